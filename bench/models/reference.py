#!/usr/bin/env python3
"""The reference pipeline Atlas is compared with, timed on the same inputs (writes a markdown table to stdout).

  preprocess: SpeciesNet-style pre-processing of one JPEG with PIL + OpenCV (open, EXIF transpose, RGB,
              letterbox to 1280 long side with stride-64 padding (value 114) as float CHW /255, crop of the
              middle half resized to 480x480 as float HWC /255), next to libjpeg-turbo's `djpeg` decoding the
              same file to /dev/null (the decode floor; includes starting the process, ~1-2 ms).
  torch:      the PyTorch eager stand-in models (random weights, same seeds as build_standins.py):
              EfficientNetV2-M on a [1,3,480,480] crop and the YOLOv5x6-shaped detector on [1,3,960,1280].

Usage: reference.py IMAGE [--torch] [--n N] [--detector-n N]
Needs Debian's python3-pil, python3-opencv, libjpeg-turbo-progs (djpeg) and, for --torch, python3-torch(vision).
"""

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps


def cpu_seconds():
    """CPU time of this process (all threads) plus its finished children (djpeg)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn, n, warmup=1):
    """Median and min wall ms, CPU ms per call (the machine is shared: CPU time moves less than wall time)."""
    for _ in range(warmup):
        fn()
    samples = []
    cpu = cpu_seconds()
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    cpu_ms = (cpu_seconds() - cpu) * 1000 / n
    return statistics.median(samples), min(samples), len(samples), cpu_ms


def preprocess(path):
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        rgb = np.asarray(im)
        h, w = rgb.shape[:2]
        scale = 1280 / max(h, w)
        nw, nh = round(w * scale), round(h * scale)
        resized = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_LINEAR)
        ph, pw = -(-nh // 64) * 64, -(-nw // 64) * 64
        top, left = (ph - nh) // 2, (pw - nw) // 2
        padded = cv2.copyMakeBorder(resized, top, ph - nh - top, left, pw - nw - left, cv2.BORDER_CONSTANT, value=(114, 114, 114))
        tensor = np.ascontiguousarray(padded.transpose(2, 0, 1), dtype=np.float32) / 255.0
        crop = im.crop((w // 4, h // 4, 3 * w // 4, 3 * h // 4)).resize((480, 480), Image.BILINEAR)
        crop_tensor = np.asarray(crop, dtype=np.float32) / 255.0
    return tensor, crop_tensor


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("image")
    parser.add_argument("--torch", action="store_true")
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--detector-n", type=int, default=2)
    args = parser.parse_args()
    image = Path(args.image)

    rows = []
    med, low, n, cpu = timed(lambda: preprocess(image), args.n, warmup=2)
    rows.append(("Python PIL + OpenCV pre-processing (decode + EXIF + letterbox tensor + 480 crop)", n, med, low, cpu))
    with Image.open(image) as im:
        size = f"{im.width}x{im.height}"
    med, low, n, cpu = timed(lambda: subprocess.run(["djpeg", "-outfile", "/dev/null", str(image)], check=True), args.n, warmup=2)
    rows.append(("djpeg (libjpeg-turbo) decode to /dev/null, process start included", n, med, low, cpu))

    if args.torch:
        import torch

        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import torchvision

        from build_standins import YoloV5x6

        torch.set_num_threads(max(1, torch.get_num_threads()))
        torch.manual_seed(0)
        classifier = torchvision.models.efficientnet_v2_m(weights=None, num_classes=2498).eval()
        crop = torch.rand(1, 3, 480, 480)
        with torch.no_grad():
            med, low, n, cpu = timed(lambda: classifier(crop), max(3, args.n // 4))
        rows.append((f"PyTorch {torch.__version__} eager EfficientNetV2-M, batch 1, {torch.get_num_threads()} threads", n, med, low, cpu))
        torch.manual_seed(0)
        detector = YoloV5x6().eval()
        frame = torch.rand(1, 3, 960, 1280)
        with torch.no_grad():
            med, low, n, cpu = timed(lambda: detector(frame), args.detector_n)
        rows.append((f"PyTorch {torch.__version__} eager YOLOv5x6-shaped detector, 1280x960, batch 1", n, med, low, cpu))

    print(f"Reference pipeline on {image.name} ({size}, {image.stat().st_size // 1024} KiB):")
    print()
    print("| reference | n | median ms | min ms | CPU ms/op |")
    print("|---|---:|---:|---:|---:|")
    for name, n, med, low, cpu in rows:
        print(f"| {name} | {n} | {med:.1f} | {low:.1f} | {cpu:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

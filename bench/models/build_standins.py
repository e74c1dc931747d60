#!/usr/bin/env python3
"""Build architecture-equivalent, RANDOM-WEIGHT stand-ins of the two SpeciesNet models for benchmarks.

  classifier: torchvision EfficientNetV2-M, 2,498 outputs, 480x480, exported with Atlas's classifier contract
              (NHWC float32 [B,480,480,3] input, the NHWC->NCHW transpose inside the graph so the convolutional
              core is NCHW, logits [B,2498]); export_effnetv2m.py beside this file does that export.
  detector:   a YOLOv5x6-shaped network (YOLOv5 v6.x P6 layout, depth 1.33 / width 1.25, four detection levels
              P3-P6 at strides 8/16/32/64, 3 anchors each, 3 classes = MegaDetector v5a's configuration), written
              here, exported with the detector contract of the spec: input float32 [B,3,H,W] (B, H, W dynamic,
              H and W multiples of 64), output [B,N,8] rows (cx, cy, w, h in input pixels, objectness,
              p(animal), p(person), p(vehicle)) decoded in-graph as YOLOv5's Detect layer does.

The weights are random (seeded), so the predictions are meaningless; only size and arithmetic matter. The
detector's objectness biases get YOLOv5's prior initialisation, so a random network reports (almost) no
boxes instead of 76,500, which keeps NMS cost realistic.

Files go to a cache outside git (default ~/.cache/atlas-bench; never commit them):
  effnetv2m_2498.onnx (~210 MB), yolov5x6_standin.onnx (~560 MB), standins.json (parameters, GFLOPs).

Usage: build_standins.py [CACHE_DIR]        Needs Debian's python3-torch, python3-torchvision, python3-onnx.
"""

import inspect
import json
import math
import subprocess
import sys
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent

# MegaDetector v5a is YOLOv5x6 (nc=3). YOLOv5's own model card states 209.8 GFLOPs at 640x640 for YOLOv5x6
# (GFLOPs there = 2 x multiply-accumulates); FLOPs scale with pixels, so 1280x1280 = 4x and 1280x960 = 3x.
MDV5A_GFLOPS_640 = 209.8
ANCHORS = [[19, 27, 44, 40, 38, 94], [96, 68, 86, 152, 180, 137], [140, 301, 303, 264, 238, 542], [436, 615, 739, 380, 925, 792]]
STRIDES = [8, 16, 32, 64]
NC = 3


class Conv(nn.Module):
    """YOLOv5 Conv: Conv2d (no bias) + BatchNorm + SiLU."""

    def __init__(self, c1, c2, k=1, s=1, p=None):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2 if p is None else p, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=0.001, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut=True):
        super().__init__()
        self.cv1 = Conv(c1, c2, 1, 1)
        self.cv2 = Conv(c2, c2, 3, 1)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=True):
        super().__init__()
        c_ = c2 // 2
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c1, c_, 1, 1)
        self.cv3 = Conv(2 * c_, c2, 1)
        self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut) for _ in range(n)))

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c_ * 4, c2, 1, 1)
        self.m = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


class Detect(nn.Module):
    """YOLOv5 Detect in export form: per level sigmoid, grid/anchor decode, rows concatenated to [B, N, 5 + nc]."""

    def __init__(self, channels):
        super().__init__()
        self.no = NC + 5
        self.na = len(ANCHORS[0]) // 2
        self.m = nn.ModuleList(nn.Conv2d(c, self.no * self.na, 1) for c in channels)
        self.register_buffer("anchors", torch.tensor(ANCHORS, dtype=torch.float32).view(len(ANCHORS), 1, self.na, 1, 1, 2))
        for conv, s in zip(self.m, STRIDES):  # YOLOv5's _initialize_biases
            b = conv.bias.view(self.na, -1)
            with torch.no_grad():
                b[:, 4] += math.log(8 / (640 / s) ** 2)
                b[:, 5:] += math.log(0.6 / (NC - 0.99))

    def forward(self, features):
        rows = []
        for i, x in enumerate(features):
            x = self.m[i](x)
            bs, _, ny, nx = x.shape
            y = x.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).sigmoid()
            yv = torch.arange(ny, dtype=torch.float32).view(1, 1, ny, 1, 1).expand(1, 1, ny, nx, 1)
            xv = torch.arange(nx, dtype=torch.float32).view(1, 1, 1, nx, 1).expand(1, 1, ny, nx, 1)
            grid = torch.cat((xv, yv), 4) - 0.5
            xy = (y[..., 0:2] * 2 + grid) * STRIDES[i]
            wh = (y[..., 2:4] * 2) ** 2 * self.anchors[i]
            rows.append(torch.cat((xy, wh, y[..., 4:]), 4).reshape(bs, -1, self.no))
        return torch.cat(rows, 1)


class YoloV5x6(nn.Module):
    """YOLOv5x6 (v6.x yolov5x6.yaml with depth_multiple 1.33, width_multiple 1.25) for 3 classes."""

    def __init__(self):
        super().__init__()
        self.b0 = Conv(3, 80, 6, 2, 2)
        self.b1 = Conv(80, 160, 3, 2)
        self.b2 = C3(160, 160, 4)
        self.b3 = Conv(160, 320, 3, 2)
        self.b4 = C3(320, 320, 8)       # P3
        self.b5 = Conv(320, 640, 3, 2)
        self.b6 = C3(640, 640, 12)      # P4
        self.b7 = Conv(640, 960, 3, 2)
        self.b8 = C3(960, 960, 4)       # P5
        self.b9 = Conv(960, 1280, 3, 2)
        self.b10 = C3(1280, 1280, 4)
        self.b11 = SPPF(1280, 1280, 5)  # P6
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.h12 = Conv(1280, 960, 1, 1)
        self.h15 = C3(1920, 960, 4, False)
        self.h16 = Conv(960, 640, 1, 1)
        self.h19 = C3(1280, 640, 4, False)
        self.h20 = Conv(640, 320, 1, 1)
        self.h23 = C3(640, 320, 4, False)   # P3 out
        self.h24 = Conv(320, 320, 3, 2)
        self.h26 = C3(640, 640, 4, False)   # P4 out
        self.h27 = Conv(640, 640, 3, 2)
        self.h29 = C3(1280, 960, 4, False)  # P5 out
        self.h30 = Conv(960, 960, 3, 2)
        self.h32 = C3(1920, 1280, 4, False)  # P6 out
        self.detect = Detect([320, 640, 960, 1280])

    def forward(self, x):
        x = self.b2(self.b1(self.b0(x)))
        p3 = self.b4(self.b3(x))
        p4 = self.b6(self.b5(p3))
        p5 = self.b8(self.b7(p4))
        p6 = self.b11(self.b10(self.b9(p5)))
        h12 = self.h12(p6)
        h15 = self.h15(torch.cat((self.up(h12), p5), 1))
        h16 = self.h16(h15)
        h19 = self.h19(torch.cat((self.up(h16), p4), 1))
        h20 = self.h20(h19)
        o3 = self.h23(torch.cat((self.up(h20), p3), 1))
        o4 = self.h26(torch.cat((self.h24(o3), h20), 1))
        o5 = self.h29(torch.cat((self.h27(o4), h16), 1))
        o6 = self.h32(torch.cat((self.h30(o5), h12), 1))
        return self.detect([o3, o4, o5, o6])


def gflops(model, height, width):
    """2 x multiply-accumulates of the convolutions (YOLOv5's convention), counted with forward hooks."""
    macs = [0]

    def hook(module, inputs, output):
        k = module.kernel_size[0] * module.kernel_size[1] * (module.in_channels // module.groups)
        macs[0] += output.numel() * k

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model(torch.zeros(1, 3, height, width))
    for h in handles:
        h.remove()
    return 2 * macs[0] / 1e9


def export(model, example, path, input_name, output_name, dynamic_axes):
    kwargs = dict(input_names=[input_name], output_names=[output_name], dynamic_axes=dynamic_axes,
                  opset_version=17, do_constant_folding=True)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    tmp = path.with_suffix(".onnx.tmp")
    with torch.no_grad():
        torch.onnx.export(model, (example,), str(tmp), **kwargs)
    tmp.rename(path)


def main() -> int:
    cache = Path(sys.argv[1]).expanduser() if len(sys.argv) > 1 else Path.home() / ".cache" / "atlas-bench"
    cache.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, torch.get_num_threads()))

    classifier = cache / "effnetv2m_2498.onnx"
    if not classifier.exists():
        subprocess.run([sys.executable, str(HERE / "export_effnetv2m.py"), str(cache)], check=True)

    detector = cache / "yolov5x6_standin.onnx"
    info_path = cache / "standins.json"
    if not detector.exists() or not info_path.exists():
        torch.manual_seed(0)
        model = YoloV5x6().eval()
        params = sum(p.numel() for p in model.parameters())
        info = {
            "detector": {
                "file": detector.name,
                "architecture": "YOLOv5x6 layout (v6.x yaml, depth 1.33, width 1.25), 4 detection levels P3-P6, 3 classes, random weights",
                "parameters": params,
                # Counted at 320x256 and scaled by pixels (exact: every layer's output scales with the input
                # area when H and W are multiples of 64); a full-size eager forward takes minutes on 2 cores.
                "gflops_1280x1280": round(gflops(model, 256, 320) * (1280 * 1280) / (256 * 320), 1),
                "gflops_1280x960": round(gflops(model, 256, 320) * (1280 * 960) / (256 * 320), 1),
                "mdv5a_gflops_1280x1280": round(MDV5A_GFLOPS_640 * 4, 1),
                "mdv5a_gflops_1280x960": round(MDV5A_GFLOPS_640 * 3, 1),
            },
            "classifier": {"file": classifier.name, "architecture": "torchvision efficientnet_v2_m, 2,498 classes, random weights, NHWC input"},
        }
        if not detector.exists():
            # Traced with batch 2 at a small size (H != W) so nothing batch-1- or size-specific is baked in; height,
            # width and batch stay dynamic (the grids come from the feature maps' shapes).
            export(model, torch.rand(2, 3, 256, 320), detector, "images", "output",
                   {"images": {0: "batch", 2: "height", 3: "width"}, "output": {0: "batch", 1: "rows"}})
        info_path.write_text(json.dumps(info, indent=2) + "\n")
        import onnx  # only to check the result

        onnx.checker.check_model(str(detector))
        print(f"wrote {detector} ({detector.stat().st_size / 1e6:.0f} MB, {params / 1e6:.1f} M parameters, "
              f"{info['detector']['gflops_1280x960']} GFLOPs at 1280x960 vs MegaDetector v5a's {info['detector']['mdv5a_gflops_1280x960']})")
    print(info_path.read_text().strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())

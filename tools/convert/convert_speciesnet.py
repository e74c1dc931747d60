#!/usr/bin/env python3
"""Convert the official SpeciesNet + MegaDetector v5a PyTorch weights into an Atlas ONNX bundle.

Input:  a SpeciesNet model folder (Kaggle google/speciesnet/pyTorch/v4.0.1a, v4.0.2a, v4.0.3a,
        ...: info.json, the classifier .pt GraphModule, labels, taxonomy, geofence) and the
        MegaDetector v5a checkpoint (md_v5a.0.0.pt / md_v5a.0.1.pt; a path, or the URL that
        info.json names, downloaded only with --allow-download).
Output: a new bundle folder in SpeciesNet's own layout that Atlas loads
        (SPECIESNET_MODEL_DIR=<folder>):
          info.json          version, type, classifier, classifier_labels, detector, taxonomy, geofence
          <classifier>.onnx  crops  float32 NHWC [batch,480,480,3] (0..1) -> logits [batch,labels]
          <detector>.onnx    images float32 NCHW [batch,3,height,width] (0..1, letterboxed)
                             -> output [batch,N,8] = cx,cy,w,h (input pixels), objectness,
                                p(animal), p(person), p(vehicle); no NMS in the graph
          labels, taxonomy, geofence (copied byte for byte)
          verification.json  what was compared and the measured differences

The detector is exported once with dynamic height/width. YOLOv5's Detect head caches its
anchor grids per feature-map size, so a plain trace bakes the grid of the trace size into the
graph (spec 10.4). The converter sets the head's `dynamic` flag (`onnx_dynamic` in older
YOLOv5 code) and clears the cached grids, so the grids are computed from the runtime feature
map shape inside the graph. Then it PROVES the export: PyTorch and ONNX Runtime are run on
the same tensors at every letterbox size a 1280-px letterbox can produce (long side 1280,
short side a multiple of 64: 39 shapes) or at the sizes given with --detector-sizes, and the
raw [1,N,8] outputs are compared element by element. The classifier is compared on several
batch sizes (logits and top-5 order). Any difference above tolerance, or any run error,
makes the tool exit with status 1 and leaves the bundle in <out>.partial for inspection.

Verification runs ONNX Runtime through the `onnxruntime` Python package, or, with
--ort-runner CMD, through an external program (tools/convert/OrtRunner, the C# ONNX Runtime
that Atlas itself uses) called as `CMD MODEL.onnx IN.npy OUT.npy [IN.npy OUT.npy ...]`.
"""

import argparse
import datetime as dt
import hashlib
import inspect
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import numpy as np
import torch

CLASSIFIER_SIZE = 480
DETECTOR_LONG_SIDE = 1280
DETECTOR_STRIDE = 64
DETECTOR_LEVEL_STRIDES = (8, 16, 32, 64)
DETECTOR_ANCHORS_PER_LEVEL = 3
DETECTOR_COLUMNS = 8
INFO_FILE_KEYS = ("classifier", "classifier_labels", "detector", "taxonomy", "geofence")
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}
USER_AGENT = "atlas-convert-speciesnet/1.0"


class ConversionError(Exception):
    """A problem with the inputs or the environment (exit status 2)."""


# --------------------------------------------------------------------------- helpers


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def url_to_filename(url: str) -> str:
    """SpeciesNet's cache name for a downloaded detector (spec 1.1)."""
    return url.split("?")[0].replace(":", "_").replace("/", "_")


def is_url(value: str) -> bool:
    return value.startswith("http://") or value.startswith("https://")


def download(url: str, target: Path) -> None:
    partial = target.with_name(target.name + ".part")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    print(f"downloading {url} -> {target}")
    with urllib.request.urlopen(request, timeout=600) as response, open(partial, "wb") as fp:
        shutil.copyfileobj(response, fp, 1 << 20)
    partial.replace(target)


def letterbox_shapes(spec: str) -> list[tuple[int, int]]:
    """Parse --detector-sizes into (height, width) pairs.

    "all": every shape YOLOv5's auto letterbox can produce at 1280 px (the long side is always
    1280 since upscaling is allowed; the short side is padded up to a multiple of 64).
    "common": the shapes of usual camera-trap aspect ratios.
    Otherwise a comma list of WxH, e.g. "1280x960,1280x768".
    """
    if spec == "all":
        shorts = range(DETECTOR_STRIDE, DETECTOR_LONG_SIDE + 1, DETECTOR_STRIDE)
        shapes = [(s, DETECTOR_LONG_SIDE) for s in shorts]
        shapes += [(DETECTOR_LONG_SIDE, s) for s in shorts if s != DETECTOR_LONG_SIDE]
        return shapes
    if spec == "common":
        # 4:3, 3:4, 16:9, 9:16, 3:2, 2:3, 1:1 after letterboxing (H, W)
        return [(960, 1280), (1280, 960), (768, 1280), (1280, 768), (896, 1280), (1280, 896), (1280, 1280)]
    shapes = []
    for item in spec.split(","):
        w, h = (int(v) for v in item.lower().strip().split("x"))
        if w % DETECTOR_STRIDE or h % DETECTOR_STRIDE:
            raise ConversionError(f"detector size {item} is not a multiple of {DETECTOR_STRIDE}")
        shapes.append((h, w))
    return shapes


def expected_detector_rows(height: int, width: int) -> int:
    return DETECTOR_ANCHORS_PER_LEVEL * sum((height // s) * (width // s) for s in DETECTOR_LEVEL_STRIDES)


# --------------------------------------------------------------------------- loading


def read_source_info(source_dir: Path) -> dict:
    info_path = source_dir / "info.json"
    if not info_path.is_file():
        raise ConversionError(f"{info_path} not found: --speciesnet must be a SpeciesNet model folder")
    info = json.loads(info_path.read_text(encoding="utf-8"))
    missing = [k for k in ("version", "type") + INFO_FILE_KEYS if k not in info]
    if missing:
        raise ConversionError(f"{info_path} lacks {', '.join(missing)}")
    if info["type"] not in ("always_crop", "full_image"):
        raise ConversionError(f"{info_path}: unknown type {info['type']!r}")
    return info


def resolve_detector(source_dir: Path, info: dict, megadetector: str | None, allow_download: bool) -> tuple[Path, str]:
    """Find MegaDetector's .pt: --megadetector (path or URL), else info.json's detector entry.

    Returns the local file and the model's name (the URL's file name without extension,
    e.g. md_v5a.0.0, not SpeciesNet's mangled cache name).
    """
    value = megadetector or info["detector"]
    if not is_url(value):
        path = Path(value) if megadetector else source_dir / value
        if not path.is_file():
            raise ConversionError(f"MegaDetector weights not found: {path}")
        return path, path.stem
    name = Path(value.split("?")[0]).stem
    cached = source_dir / url_to_filename(value)
    if cached.is_file():
        return cached, name
    if not allow_download:
        raise ConversionError(
            f"the detector is a URL ({value}); pass --allow-download to fetch it into {cached}, "
            "or download it yourself and pass --megadetector PATH"
        )
    download(value, cached)
    return cached, name


def load_classifier(path: Path) -> torch.nn.Module:
    """The SpeciesNet classifier is a torch.fx GraphModule saved whole with torch.save."""
    try:
        model = torch.load(path, map_location="cpu", weights_only=False)
    except ModuleNotFoundError as exc:
        raise ConversionError(
            f"loading {path} needs the module {exc.name!r}; SpeciesNet's classifier is an onnx2torch "
            "GraphModule, so `pip install onnx2torch` (see tools/convert/requirements.txt)"
        ) from exc
    if not isinstance(model, torch.nn.Module):
        raise ConversionError(f"{path} holds a {type(model).__name__}, not a torch module")
    model.float().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def make_yolov5_importable(yolov5_dir: Path | None) -> None:
    """MegaDetector's checkpoint pickles `models.yolo.Model`: make the YOLOv5 `models` package importable."""
    if yolov5_dir is not None:
        if not (yolov5_dir / "models").is_dir():
            raise ConversionError(f"--yolov5-dir {yolov5_dir} has no models/ folder")
        sys.path.insert(0, str(yolov5_dir.resolve()))
        return
    try:
        import yolov5  # pylint: disable=import-outside-toplevel
        import yolov5.utils.general  # noqa: F401  (SpeciesNet imports this before loading)  pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise ConversionError(
            "MegaDetector needs the YOLOv5 code: `pip install 'yolov5>=7.0.8,<7.0.12'` "
            "(the version SpeciesNet pins) or pass --yolov5-dir with a clone of ultralytics/yolov5"
        ) from exc
    package_dir = str(Path(yolov5.__file__).resolve().parent)
    if package_dir not in sys.path:
        sys.path.append(package_dir)  # the pip package keeps `models` and `utils` there


def load_megadetector(path: Path) -> torch.nn.Module:
    """Load exactly as SpeciesNet does: checkpoint["model"].float().eval(), no layer fusion."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    model = checkpoint["model"] if isinstance(checkpoint, dict) else checkpoint
    model = model.float().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    for m in model.modules():  # same compatibility fix SpeciesNet applies
        if isinstance(m, torch.nn.Upsample) and not hasattr(m, "recompute_scale_factor"):
            m.recompute_scale_factor = None
    return model


def detect_heads(model: torch.nn.Module) -> list[torch.nn.Module]:
    return [m for m in model.modules() if type(m).__name__ == "Detect"]


class FirstOutput(torch.nn.Module):
    """model(x)[0]: the decoded [B,N,8] tensor SpeciesNet feeds to NMS."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images)[0]


# --------------------------------------------------------------------------- export


def onnx_export(model, example, path: Path, input_name: str, output_name: str, dynamic_axes: dict, opset: int) -> None:
    kwargs = dict(
        input_names=[input_name],
        output_names=[output_name],
        dynamic_axes=dynamic_axes,
        opset_version=opset,
        do_constant_folding=True,
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter honours dynamic_axes as written here
    with torch.no_grad():
        torch.onnx.export(model, (example,), str(path), **kwargs)


def export_classifier(model: torch.nn.Module, path: Path, opset: int) -> None:
    # Trace with batch 2 so that nothing batch-1-specific can be baked into the graph.
    example = torch.rand(2, CLASSIFIER_SIZE, CLASSIFIER_SIZE, 3, generator=torch.Generator().manual_seed(0))
    onnx_export(model, example, path, "crops", "logits", {"crops": {0: "batch"}, "logits": {0: "batch"}}, opset)


def export_detector(model: torch.nn.Module, path: Path, opset: int, static_grid: bool) -> None:
    heads = detect_heads(model)
    if not heads:
        raise ConversionError("no YOLOv5 Detect module found in the MegaDetector model")
    trace_hw = (960, 1280)  # non-square, so a swapped height/width would show up in verification
    example = torch.rand(1, 3, *trace_hw, generator=torch.Generator().manual_seed(0))
    for head in heads:
        head.inplace = False
        if static_grid:
            # Demonstration of spec 10.4 only: warm up (as yolov5 export.py does) so the grids of
            # the trace size are cached and get baked into the graph as constants.
            head.dynamic = False
            head.onnx_dynamic = False
        else:
            head.dynamic = True  # YOLOv5 >= 6.2
            head.onnx_dynamic = True  # YOLOv5 6.0 / 6.1
            head.grid = [torch.empty(0) for _ in range(head.nl)]  # drop any cached grid
    if static_grid:
        with torch.no_grad():
            model(example)
    onnx_export(
        FirstOutput(model),
        example,
        path,
        "images",
        "output",
        {"images": {0: "batch", 2: "height", 3: "width"}, "output": {0: "batch", 1: "anchors"}},
        opset,
    )
    pin_output_columns(path)


def pin_output_columns(path: Path) -> None:
    """Declare the detector output's last axis as 8: the exporter's shape inference loses it
    in the Split/Concat of the Detect head, and Atlas reads the declared shape."""
    import onnx  # pylint: disable=import-outside-toplevel

    model = onnx.load(str(path))
    dims = model.graph.output[0].type.tensor_type.shape.dim
    if len(dims) == 3 and dims[2].dim_value != DETECTOR_COLUMNS:
        dims[2].Clear()
        dims[2].dim_value = DETECTOR_COLUMNS
        onnx.save(model, str(path))


def check_onnx_graph(path: Path, input_name: str, output_name: str, input_rank: int) -> dict:
    import onnx  # pylint: disable=import-outside-toplevel

    onnx.checker.check_model(str(path))
    model = onnx.load(str(path), load_external_data=False)

    def dims(value_info):
        return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]

    inputs = {i.name: dims(i) for i in model.graph.input}
    outputs = {o.name: dims(o) for o in model.graph.output}
    if list(inputs) != [input_name] or list(outputs) != [output_name]:
        raise ConversionError(f"{path.name}: expected {input_name} -> {output_name}, got {inputs} -> {outputs}")
    if len(inputs[input_name]) != input_rank:
        raise ConversionError(f"{path.name}: input rank {len(inputs[input_name])}, expected {input_rank}")
    ops = sorted({n.op_type for n in model.graph.node})
    return {
        "opset": max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
        "inputs": inputs,
        "outputs": outputs,
        "has_nms": "NonMaxSuppression" in ops,
        "op_types": ops,
    }


# --------------------------------------------------------------------------- ONNX Runtime backends


class PythonOrt:
    name = "onnxruntime (Python)"

    def __init__(self) -> None:
        import onnxruntime  # pylint: disable=import-outside-toplevel

        self.ort = onnxruntime
        self.version = onnxruntime.__version__
        self.sessions: dict[Path, object] = {}

    def run(self, model_path: Path, inputs: list[np.ndarray]) -> list[np.ndarray]:
        if model_path not in self.sessions:
            self.sessions[model_path] = self.ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
        session = self.sessions[model_path]
        name = session.get_inputs()[0].name
        return [session.run(None, {name: x})[0] for x in inputs]


class ExternalOrt:
    """Runs `CMD MODEL IN.npy OUT.npy ...` (tools/convert/OrtRunner: Atlas's own C# ONNX Runtime)."""

    def __init__(self, command: str) -> None:
        self.command = shlex.split(command)
        self.name = f"external: {command}"
        self.version = None  # filled from the runner's first output line

    def run(self, model_path: Path, inputs: list[np.ndarray]) -> list[np.ndarray]:
        with tempfile.TemporaryDirectory(prefix="ort-runner-") as tmp:
            args = [str(model_path)]
            for i, x in enumerate(inputs):
                np.save(Path(tmp) / f"in{i}.npy", np.ascontiguousarray(x, dtype=np.float32))
                args += [str(Path(tmp) / f"in{i}.npy"), str(Path(tmp) / f"out{i}.npy")]
            result = subprocess.run(self.command + args, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                first_lines = " ".join(result.stderr.strip().splitlines()[:2])
                raise RuntimeError(f"ORT runner exit {result.returncode}: {first_lines[:600]}")
            if self.version is None and result.stdout.strip():
                self.version = json.loads(result.stdout.strip().splitlines()[0]).get("ort_version")
            return [np.load(Path(tmp) / f"out{i}.npy") for i in range(len(inputs))]


def make_backend(ort_runner: str | None):
    if ort_runner:
        return ExternalOrt(ort_runner)
    try:
        return PythonOrt()
    except ImportError as exc:
        raise ConversionError(
            "verification needs ONNX Runtime: `pip install onnxruntime`, or pass --ort-runner with "
            "the command of tools/convert/OrtRunner (or --skip-verify, which is not recommended)"
        ) from exc


# --------------------------------------------------------------------------- verification inputs


def synthetic_image(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """HWC float32 0..1: smooth blobs plus noise (closer to a photo than uniform noise)."""
    coarse = rng.random((max(2, height // 64), max(2, width // 64), 3), dtype=np.float32)
    image = torch.nn.functional.interpolate(
        torch.from_numpy(coarse).permute(2, 0, 1)[None], size=(height, width), mode="bilinear", align_corners=False
    )[0].permute(1, 2, 0).numpy()
    image = image + rng.normal(0.0, 0.05, image.shape).astype(np.float32)
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def load_rgb(path: Path) -> np.ndarray:
    from PIL import Image, ImageFile, ImageOps  # pylint: disable=import-outside-toplevel

    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as SpeciesNet does
    with Image.open(path) as img:
        img.load()
        rgb = ImageOps.exif_transpose(img.convert("RGB"))
    return np.asarray(rgb)


def letterbox(image: np.ndarray) -> np.ndarray:
    """YOLOv5 auto letterbox to a 1280 long side (PIL bilinear here: only PyTorch vs ORT is compared)."""
    from PIL import Image  # pylint: disable=import-outside-toplevel

    h, w = image.shape[:2]
    r = min(DETECTOR_LONG_SIDE / h, DETECTOR_LONG_SIDE / w)
    new_w, new_h = round(w * r), round(h * r)
    pad_w = (DETECTOR_LONG_SIDE - new_w) % DETECTOR_STRIDE / 2
    pad_h = (DETECTOR_LONG_SIDE - new_h) % DETECTOR_STRIDE / 2
    if (new_w, new_h) != (w, h):
        image = np.asarray(Image.fromarray(image).resize((new_w, new_h), Image.BILINEAR))
    top, bottom = round(pad_h - 0.1), round(pad_h + 0.1)
    left, right = round(pad_w - 0.1), round(pad_w + 0.1)
    return np.pad(image, ((top, bottom), (left, right), (0, 0)), constant_values=114)


def squash(image: np.ndarray, size: int) -> np.ndarray:
    from PIL import Image  # pylint: disable=import-outside-toplevel

    return np.asarray(Image.fromarray(image).resize((size, size), Image.BILINEAR))


def image_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise ConversionError(f"no images found in {folder}")
    return files


# --------------------------------------------------------------------------- comparison


def compare(reference: np.ndarray, candidate: np.ndarray, rtol: float, atol: float) -> dict:
    diff = np.abs(reference.astype(np.float64) - candidate.astype(np.float64))
    allowed = atol + rtol * np.abs(reference.astype(np.float64))
    return {
        "max_abs_diff": float(diff.max(initial=0.0)),
        "max_rel_diff": float((diff / np.maximum(np.abs(reference), 1e-6)).max(initial=0.0)),
        "elements_over_tolerance": int((diff > allowed).sum()),
        "within_tolerance": bool((diff <= allowed).all()),
    }


def top5(logits: np.ndarray) -> list[list[int]]:
    # Stable sort on the negated logits, the same order torch.topk gives for distinct values.
    return [list(map(int, row)) for row in np.argsort(-logits, axis=-1, kind="stable")[:, :5]]


def top5_equivalent(want: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> bool:
    """Same top-5 order, except where two PyTorch logits tie within tolerance (then either order is right)."""
    for ref_row, want_idx, got_idx in zip(want, top5(want), top5(got)):
        for a, b in zip(want_idx, got_idx):
            if a != b and abs(ref_row[a] - ref_row[b]) > atol + rtol * abs(ref_row[a]):
                return False
    return True


def verify_classifier(model, onnx_path: Path, backend, num_labels: int, images: list[Path], args) -> dict:
    rng = np.random.default_rng(args.seed)
    cases: list[tuple[str, np.ndarray]] = []
    for batch in (1, 3, 8):
        batch_arr = np.stack([synthetic_image(rng, CLASSIFIER_SIZE, CLASSIFIER_SIZE) for _ in range(batch)])
        cases.append((f"synthetic batch {batch}", batch_arr))
    if images:
        crops = np.stack([squash(load_rgb(p), CLASSIFIER_SIZE) for p in images]).astype(np.float32) / 255.0
        for start in range(0, len(crops), 8):
            names = ", ".join(p.name for p in images[start : start + 8])
            cases.append((f"images: {names}", crops[start : start + 8]))

    results, passed = [], True
    try:
        ort_outputs = backend.run(onnx_path, [x for _, x in cases])
    except Exception as exc:  # pylint: disable=broad-exception-caught
        return {"passed": False, "error": f"ONNX Runtime failed: {exc}", "cases": []}
    for (name, x), got in zip(cases, ort_outputs):
        with torch.no_grad():
            want = model(torch.from_numpy(x)).numpy()
        entry = {"case": name, "batch": int(x.shape[0]), "output_shape": list(got.shape)}
        if list(got.shape) != [x.shape[0], num_labels] or list(want.shape) != list(got.shape):
            entry.update(passed=False, error=f"shape {list(got.shape)} (PyTorch {list(want.shape)}), expected [{x.shape[0]}, {num_labels}]")
        else:
            entry.update(compare(want, got, args.cls_rtol, args.cls_atol))
            entry["top5_identical"] = top5(want) == top5(got)
            entry["top5_equivalent"] = top5_equivalent(want, got, args.cls_rtol, args.cls_atol)
            entry["passed"] = entry["within_tolerance"] and entry["top5_equivalent"]
        passed &= entry["passed"]
        results.append(entry)
        print(f"  classifier {name}: {'ok' if entry['passed'] else 'FAILED'} "
              f"(max abs diff {entry.get('max_abs_diff', float('nan')):.3g})")
    return {"passed": passed, "tolerance": {"rtol": args.cls_rtol, "atol": args.cls_atol}, "cases": results}


def verify_detector(model, onnx_path: Path, backend, shapes: list[tuple[int, int]], images: list[Path], args) -> dict:
    rng = np.random.default_rng(args.seed + 1)
    cases: list[tuple[str, np.ndarray]] = []
    for h, w in shapes:
        cases.append((f"synthetic {w}x{h}", synthetic_image(rng, h, w).transpose(2, 0, 1)[None]))
    for p in images:
        boxed = letterbox(load_rgb(p)).astype(np.float32) / 255.0
        cases.append((f"image {p.name} ({boxed.shape[1]}x{boxed.shape[0]})", boxed.transpose(2, 0, 1)[None].copy()))

    results, passed = [], True
    for name, x in cases:  # one at a time: a 1280x1280 YOLOv5x6 output is large, and errors stay per size
        h, w = x.shape[2:]
        entry = {"case": name, "height": int(h), "width": int(w), "expected_rows": expected_detector_rows(h, w)}
        try:
            got = backend.run(onnx_path, [x])[0]
        except Exception as exc:  # pylint: disable=broad-exception-caught
            entry.update(passed=False, error=f"ONNX Runtime failed: {str(exc)[-500:]}")
            passed = False
            results.append(entry)
            print(f"  detector {name}: FAILED (ONNX Runtime error)")
            continue
        with torch.no_grad():
            want = model(torch.from_numpy(x))[0].numpy()
        entry["output_shape"] = list(got.shape)
        contract = [1, entry["expected_rows"], DETECTOR_COLUMNS]
        if list(got.shape) != contract or list(want.shape) != contract:
            entry.update(passed=False, error=f"shape {list(got.shape)} (PyTorch {list(want.shape)}), expected {contract}")
        else:
            entry.update(compare(want, got, args.det_rtol, args.det_atol))
            entry["max_abs_diff_xywh"] = float(np.abs(want[..., :4] - got[..., :4]).max())
            entry["max_abs_diff_scores"] = float(np.abs(want[..., 4:] - got[..., 4:]).max())
            entry["passed"] = entry["within_tolerance"]
        passed &= entry["passed"]
        results.append(entry)
        print(f"  detector {name}: {'ok' if entry['passed'] else 'FAILED'} "
              f"(max abs diff {entry.get('max_abs_diff', float('nan')):.3g})")
    return {"passed": passed, "tolerance": {"rtol": args.det_rtol, "atol": args.det_atol}, "cases": results}


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--speciesnet", type=Path, required=True, help="SpeciesNet model folder (with info.json)")
    parser.add_argument("--megadetector", help="md_v5a.0.0.pt / md_v5a.0.1.pt path or URL (default: info.json 'detector')")
    parser.add_argument("--out", type=Path, required=True, help="bundle folder to create")
    parser.add_argument("--version", help="bundle version (default: source version + '-onnx')")
    parser.add_argument("--allow-download", action="store_true", help="download the detector if it is a URL")
    parser.add_argument("--yolov5-dir", type=Path, help="folder holding YOLOv5's models/ (default: pip package yolov5)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--images", type=Path, help="folder of real images to verify with (in addition to synthetic tensors)")
    parser.add_argument("--detector-sizes", default="all",
                        help="'all' (the 39 letterbox shapes, default), 'common', or a list like 1280x960,960x1280")
    parser.add_argument("--ort-runner", help="command of an external ONNX Runtime runner (tools/convert/OrtRunner)")
    parser.add_argument("--skip-verify", action="store_true", help="export only (the bundle is marked unverified)")
    parser.add_argument("--cls-rtol", type=float, default=1e-3)
    parser.add_argument("--cls-atol", type=float, default=1e-3, help="absolute tolerance on logits")
    parser.add_argument("--det-rtol", type=float, default=1e-3)
    parser.add_argument("--det-atol", type=float, default=1e-4, help="absolute tolerance on raw detector rows")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--static-grid", action="store_true", help=argparse.SUPPRESS)  # demonstrates spec 10.4; must fail
    return parser.parse_args(argv)


def convert(args: argparse.Namespace) -> int:
    source_dir = args.speciesnet.resolve()
    info = read_source_info(source_dir)
    for key in ("classifier", "classifier_labels", "taxonomy", "geofence"):
        if not (source_dir / info[key]).is_file():
            raise ConversionError(f"{source_dir / info[key]} (info.json {key}) not found")
    shapes = letterbox_shapes(args.detector_sizes)
    images = image_files(args.images) if args.images else []
    backend = None if args.skip_verify else make_backend(args.ort_runner)

    out_dir = args.out.resolve()
    if out_dir.exists() and not args.overwrite:
        raise ConversionError(f"{out_dir} exists (use --overwrite)")
    detector_pt, detector_name = resolve_detector(source_dir, info, args.megadetector, args.allow_download)
    make_yolov5_importable(args.yolov5_dir)
    work_dir = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    classifier_pt = source_dir / info["classifier"]
    labels = [line.strip() for line in (source_dir / info["classifier_labels"]).read_text(encoding="utf-8").splitlines()]
    labels = [label for label in labels if label]

    new_info = dict(info)
    new_info["version"] = args.version or f"{info['version']}-onnx"
    new_info["classifier"] = Path(info["classifier"]).stem + ".onnx"
    new_info["detector"] = detector_name + ".onnx"
    for key in ("classifier_labels", "taxonomy", "geofence"):
        new_info[key] = Path(info[key]).name
        shutil.copyfile(source_dir / info[key], work_dir / new_info[key])

    print(f"loading classifier {classifier_pt}")
    classifier = load_classifier(classifier_pt)
    print(f"exporting {new_info['classifier']} (opset {args.opset})")
    export_classifier(classifier, work_dir / new_info["classifier"], args.opset)

    print(f"loading detector {detector_pt}")
    export_model = load_megadetector(detector_pt)
    grid = "grids baked at 1280x960 (--static-grid demonstration)" if args.static_grid else "dynamic height/width"
    print(f"exporting {new_info['detector']} (opset {args.opset}, {grid})")
    export_detector(export_model, work_dir / new_info["detector"], args.opset, args.static_grid)
    del export_model

    report = {
        "tool": "tools/convert/convert_speciesnet.py",
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "environment": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "ort_backend": backend.name if backend else None,
        },
        "source": {
            "speciesnet_dir": str(source_dir),
            "version": info["version"],
            "type": info["type"],
            "classifier": {"file": info["classifier"], "sha256": sha256(classifier_pt)},
            "detector": {"file": str(detector_pt), "sha256": sha256(detector_pt)},
            "labels": len(labels),
        },
        "bundle": {},
        "detector_export": "single export, dynamic height/width; Detect grids computed from the runtime shape"
        if not args.static_grid else "static grid (demonstration; expected to fail away from 1280x960)",
    }
    import onnx  # pylint: disable=import-outside-toplevel

    report["environment"]["onnx"] = onnx.__version__
    cls_graph = check_onnx_graph(work_dir / new_info["classifier"], "crops", "logits", 4)
    det_graph = check_onnx_graph(work_dir / new_info["detector"], "images", "output", 4)
    report["bundle"] = {
        "classifier": {"file": new_info["classifier"], "sha256": sha256(work_dir / new_info["classifier"]), **cls_graph},
        "detector": {"file": new_info["detector"], "sha256": sha256(work_dir / new_info["detector"]), **det_graph},
    }
    graph_ok = not det_graph["has_nms"]
    if not graph_ok:
        print("detector graph contains NonMaxSuppression: Atlas expects the raw head")

    passed = graph_ok
    if backend is None:
        report["verification"] = "skipped (--skip-verify): this bundle was NOT compared with PyTorch"
    else:
        print(f"verifying with {backend.name}")
        report["classifier_verification"] = verify_classifier(
            classifier, work_dir / new_info["classifier"], backend, len(labels), images, args)
        reference = load_megadetector(detector_pt)  # an untouched copy, exactly as SpeciesNet runs it
        report["detector_verification"] = verify_detector(
            reference, work_dir / new_info["detector"], backend, shapes, images, args)
        passed &= report["classifier_verification"]["passed"] and report["detector_verification"]["passed"]
        report["environment"]["ort_version"] = backend.version
    report["verified"] = backend is not None
    report["passed"] = passed if backend is not None else None

    (work_dir / "info.json").write_text(json.dumps(new_info, indent=1) + "\n", encoding="utf-8")
    (work_dir / "verification.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if not passed:
        print(f"VERIFICATION FAILED: see {work_dir / 'verification.json'} (bundle left in {work_dir})")
        return 1
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(work_dir, out_dir)
    print(f"bundle written to {out_dir}" + ("" if backend else " (UNVERIFIED)"))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return convert(args)
    except ConversionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

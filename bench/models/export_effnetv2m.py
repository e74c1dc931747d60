#!/usr/bin/env python3
"""Export a real-size SpeciesNet classifier stand-in for benchmarks.

torchvision EfficientNetV2-M (the architecture of the SpeciesNet v4 classifier) with RANDOM weights and
2,498 outputs, wrapped so the graph takes SpeciesNet's NHWC float32 [B,480,480,3] input (the permute to
NCHW happens inside the graph, as in the real classifier) and returns logits [B,2498]. Its predictions are
meaningless; only its size and arithmetic (≈24 GFLOPs per image) matter for timing.

Usage: export_effnetv2m.py [OUT_DIR]   (default: bench/models/out, git-ignored; the file is ~210 MB)
Needs Debian's python3-torch, python3-torchvision and python3-onnx (apt-get install -y ...).
"""

import inspect
import sys
from pathlib import Path

import torch
import torchvision

NUM_CLASSES = 2498
SIZE = 480


class NhwcClassifier(torch.nn.Module):
    """[B,H,W,3] -> permute -> EfficientNetV2-M -> [B,2498] logits."""

    def __init__(self) -> None:
        super().__init__()
        self.model = torchvision.models.efficientnet_v2_m(weights=None, num_classes=NUM_CLASSES)

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        return self.model(crops.permute(0, 3, 1, 2))


def main() -> int:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "effnetv2m_2498.onnx"
    if path.exists():
        print(f"{path} exists; delete it to export again")
        return 0

    torch.manual_seed(0)
    model = NhwcClassifier().eval()
    # Trace with batch 2 so nothing batch-1-specific is baked into the graph; the batch stays dynamic.
    example = torch.rand(2, SIZE, SIZE, 3)
    kwargs = dict(
        input_names=["crops"],
        output_names=["logits"],
        dynamic_axes={"crops": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
        do_constant_folding=True,
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    tmp = path.with_suffix(".onnx.tmp")
    with torch.no_grad():
        torch.onnx.export(model, (example,), str(tmp), **kwargs)
    tmp.rename(path)

    import onnx  # after the export: only to check and report the result

    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    params = sum(p.numel() for p in model.parameters())
    print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB, {params / 1e6:.1f} M parameters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Build a SpeciesNet-style model folder with tiny stand-in weights.

The real SpeciesNet classifier (EfficientNetV2-M, a torch.fx GraphModule) and MegaDetector
v5a (YOLOv5x6) cannot be downloaded on a machine without internet access. This script
writes a folder with the same layout and the same tensor contracts so that
convert_speciesnet.py can be run end to end:

  info.json                   version/type/classifier/classifier_labels/detector/taxonomy/geofence
  standin_classifier.pt       torch.fx GraphModule saved with torch.save:
                              NHWC float32 [B,480,480,3] (0..1) -> logits [B,K]
  standin.labels.txt          K labels in SpeciesNet's 7-field format (made up, except the
                              special blank/animal/human/vehicle labels)
  standin_taxonomy.txt        the labels plus their parent taxa
  standin_geofence.json       one allow rule
  md_standin.pt               {"model": models.yolo.Model} pickled like MegaDetector's .pt:
                              NCHW float32 [1,3,H,W] -> ([1,N,8], features)

The detector checkpoint refers to the stand-in package in standin_yolov5/ (the way the
real one refers to the YOLOv5 repository), so pass `--yolov5-dir <this folder>/standin_yolov5`
to the converter.

Usage: make_standins.py OUT_DIR [--seed N]
"""

import argparse
import json
import random
import sys
import uuid
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent
STANDIN_YOLOV5 = HERE / "standin_yolov5"

# Special labels are fixed by SpeciesNet (spec 1.2); the species rows are invented.
SPECIAL_LABELS = [
    "f1856211-cfb7-4a5b-9158-c0f72fd09ee6;;;;;;blank",
    "1f689929-883d-4dae-958c-3d57ab5b6c16;;;;;;animal",
    "990ae9dd-7a59-4344-afcb-1b7b21368000;mammalia;primates;hominidae;homo;sapiens;human",
    "e2895ed5-780b-48f6-8a11-9e27cb594511;;;;;;vehicle",
]
STANDIN_TAXA = [
    ("mammalia", "carnivora", "standinidae", "standinus", "alpha", "alpha stand-in"),
    ("mammalia", "carnivora", "standinidae", "standinus", "beta", "beta stand-in"),
    ("mammalia", "carnivora", "standinidae", "standinus", "", "standinus species"),
    ("mammalia", "carnivora", "standinidae", "", "", "standinidae family"),
    ("mammalia", "rodentia", "fictidae", "fictus", "gamma", "gamma stand-in"),
    ("mammalia", "rodentia", "fictidae", "fictus", "delta", ""),
    ("aves", "passeriformes", "exemplidae", "exemplus", "epsilon", "epsilon stand-in"),
    ("aves", "", "", "", "", "bird"),
]


class StandinClassifier(nn.Module):
    """Tiny CNN with the SpeciesNet classifier's I/O contract (NHWC in, logits out)."""

    def __init__(self, num_labels: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 5, stride=4, padding=2, bias=False),
            nn.BatchNorm2d(8),
            nn.SiLU(),
            nn.Conv2d(8, 16, 3, stride=4, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.SiLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Linear(16, num_labels)

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        x = crops.permute(0, 3, 1, 2)  # NHWC -> NCHW inside the graph, as the real model does
        return self.head(torch.flatten(self.features(x), 1))


def randomize_batch_norms(model: nn.Module, gen: torch.Generator) -> None:
    """Give every BatchNorm non-trivial statistics so the export has something to get wrong."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=gen) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(n, generator=gen) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)


def make_labels(rng: random.Random) -> tuple[list[str], list[str]]:
    """Return (labels, taxonomy) in SpeciesNet's 7-field format."""
    labels = list(SPECIAL_LABELS)
    for taxon in STANDIN_TAXA:
        labels.append(";".join((str(uuid.UUID(int=rng.getrandbits(128), version=4)),) + taxon))
    parents = {
        ("mammalia", "", "", "", "", "mammalia class"),
        ("mammalia", "carnivora", "", "", "", "carnivora order"),
        ("mammalia", "rodentia", "", "", "", "rodentia order"),
        ("mammalia", "rodentia", "fictidae", "", "", "fictidae family"),
        ("aves", "passeriformes", "", "", "", "passeriformes order"),
    }
    taxonomy = labels + [
        ";".join((str(uuid.UUID(int=rng.getrandbits(128), version=4)),) + p) for p in sorted(parents)
    ]
    return labels, sorted(taxonomy)


def build(out_dir: Path, seed: int) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)

    labels, taxonomy = make_labels(rng)
    (out_dir / "standin.labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    (out_dir / "standin_taxonomy.txt").write_text("\n".join(taxonomy) + "\n", encoding="utf-8")
    geofence = {"mammalia;rodentia;fictidae;fictus;gamma": {"allow": {"USA": ["CA"], "MEX": []}}}
    (out_dir / "standin_geofence.json").write_text(json.dumps(geofence, indent=1), encoding="utf-8")

    # Classifier: saved as a torch.fx GraphModule, like the onnx2torch model SpeciesNet ships.
    classifier = StandinClassifier(len(labels))
    randomize_batch_norms(classifier, gen)
    with torch.no_grad():
        classifier.head.weight.mul_(8.0)  # spread the logits so the top-5 order is well defined
    classifier.eval()
    graph_module = torch.fx.symbolic_trace(classifier)
    torch.save(graph_module, out_dir / "standin_classifier.pt")

    # Detector: pickled {"model": models.yolo.Model} like MegaDetector's checkpoint.
    sys.path.insert(0, str(STANDIN_YOLOV5))
    try:
        from models.yolo import Model  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.remove(str(STANDIN_YOLOV5))
    detector = Model()
    randomize_batch_norms(detector, gen)
    detector.eval()
    with torch.no_grad():
        detector(torch.rand(1, 3, 640, 640, generator=gen))  # leaves 640x640 grids cached, as a used model would
    torch.save({"model": detector, "epoch": -1, "standin": True}, out_dir / "md_standin.pt")

    info = {
        "version": "0.0.1-standin",
        "type": "always_crop",
        "classifier": "standin_classifier.pt",
        "classifier_labels": "standin.labels.txt",
        "detector": "md_standin.pt",
        "taxonomy": "standin_taxonomy.txt",
        "geofence": "standin_geofence.json",
    }
    (out_dir / "info.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path, help="folder to create (a SpeciesNet-style model folder)")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args(argv)
    build(args.out_dir, args.seed)
    print(f"stand-in SpeciesNet folder written to {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

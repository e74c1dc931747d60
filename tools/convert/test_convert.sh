#!/usr/bin/env bash
# Stand-in round trip for tools/convert/convert_speciesnet.py (no real weights, no network).
#
#   1. make_standins.py builds a SpeciesNet-style folder with tiny models that keep the real
#      tensor contracts (classifier: torch.fx GraphModule, NHWC [B,480,480,3] -> [B,K];
#      detector: pickled {"model": models.yolo.Model}, YOLOv5-style Detect head at strides
#      8/16/32/64 -> [1,N,8]).
#   2. The converter exports both to ONNX and verifies them against PyTorch: classifier at
#      batch 1/3/8, detector at all 39 letterbox shapes (plus ../shared/speciesnet/images when
#      present); the bundle and verification.json are then checked here.
#   3. Failure paths: a detector exported with baked grids (--static-grid) must fail
#      verification (spec 10.4), a URL detector without --allow-download and an existing
#      output folder must be refused.
#
# Needs: python3 with torch, onnx, numpy, pillow (Debian: apt-get install python3-torch
# python3-torchvision python3-onnx python3-pil, about 150 MB, ~1 min). ONNX Runtime comes from
# the onnxruntime Python package if importable, else from tools/convert/OrtRunner (the C# ONNX
# Runtime Atlas uses; needs the .NET SDK). Takes ~1-2 minutes on 2 cores.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

pass=0
fail=0
ok() { echo "PASS: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL: $1"; fail=$((fail + 1)); }

if ! "$PYTHON" -c 'import torch, onnx, numpy, PIL' 2>/dev/null; then
  echo "missing python packages for $PYTHON: apt-get install -y python3-torch python3-torchvision python3-onnx python3-pil" >&2
  exit 2
fi

ORT_ARGS=()
if "$PYTHON" -c 'import onnxruntime' 2>/dev/null; then
  echo "ONNX Runtime: Python onnxruntime"
else
  echo "ONNX Runtime: building tools/convert/OrtRunner (C#)"
  dotnet build "$HERE/OrtRunner" -c Release -o "$WORK/ortrunner" >"$WORK/ortrunner-build.log" 2>&1 \
    || { cat "$WORK/ortrunner-build.log" >&2; exit 2; }
  ORT_ARGS=(--ort-runner "dotnet $WORK/ortrunner/OrtRunner.dll")
fi

IMAGE_ARGS=()
if [ -d "$REPO/../shared/speciesnet/images" ]; then
  IMAGE_ARGS=(--images "$REPO/../shared/speciesnet/images")
fi

"$PYTHON" "$HERE/make_standins.py" "$WORK/src"
convert() {
  "$PYTHON" -W ignore "$HERE/convert_speciesnet.py" --yolov5-dir "$HERE/standin_yolov5" "${ORT_ARGS[@]}" "$@"
}

# --- 1. round trip --------------------------------------------------------------------------
if convert --speciesnet "$WORK/src" --out "$WORK/bundle" "${IMAGE_ARGS[@]}" >"$WORK/convert.log" 2>&1; then
  ok "converter exits 0 on the stand-ins"
else
  cat "$WORK/convert.log"; bad "converter exits 0 on the stand-ins"
fi

if "$PYTHON" - "$WORK/bundle" "$WORK/src" <<'EOF'
import json, sys
from pathlib import Path
import onnx
bundle, src = Path(sys.argv[1]), Path(sys.argv[2])
info = json.loads((bundle / "info.json").read_text())
source = json.loads((src / "info.json").read_text())
assert info["version"] == source["version"] + "-onnx", info
assert info["type"] == source["type"]
assert info["classifier"].endswith(".onnx") and info["detector"].endswith(".onnx"), info
for key in ("classifier_labels", "taxonomy", "geofence"):
    assert (bundle / info[key]).read_bytes() == (src / source[key]).read_bytes(), key
for key in ("classifier", "detector"):
    assert (bundle / info[key]).is_file(), key

def io(path):
    m = onnx.load(str(path))
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
    return ({i.name: dims(i) for i in m.graph.input}, {o.name: dims(o) for o in m.graph.output},
            {n.op_type for n in m.graph.node})

labels = len((src / source["classifier_labels"]).read_text().splitlines())
ci, co, _ = io(bundle / info["classifier"])
assert ci == {"crops": ["batch", 480, 480, 3]}, ci
assert co == {"logits": ["batch", labels]}, co
di, do, ops = io(bundle / info["detector"])
assert di == {"images": ["batch", 3, "height", "width"]}, di
assert do == {"output": ["batch", "anchors", 8]}, do
assert "NonMaxSuppression" not in ops

report = json.loads((bundle / "verification.json").read_text())
assert report["passed"] is True
det = report["detector_verification"]["cases"]
sizes = {(c["width"], c["height"]) for c in det}
assert len([c for c in det if c["case"].startswith("synthetic")]) == 39, len(det)
for w, h in [(1280, 960), (960, 1280), (1280, 768), (768, 1280), (1280, 1280), (1280, 64)]:
    assert (w, h) in sizes, (w, h)
assert all(c["passed"] and c["output_shape"] == [1, c["expected_rows"], 8] for c in det)
assert next(c for c in det if (c["width"], c["height"]) == (1280, 1280))["expected_rows"] == 102000
assert next(c for c in det if (c["width"], c["height"]) == (1280, 960))["expected_rows"] == 76500
cls = report["classifier_verification"]["cases"]
assert {c["batch"] for c in cls} >= {1, 3, 8}
assert all(c["passed"] and c["top5_identical"] for c in cls)
print(f"max abs diff: classifier {max(c['max_abs_diff'] for c in cls):.3g}, "
      f"detector xywh {max(c['max_abs_diff_xywh'] for c in det):.3g} px, "
      f"detector scores {max(c['max_abs_diff_scores'] for c in det):.3g}")
EOF
then ok "bundle layout, ONNX I/O contract and verification.json"; else bad "bundle layout, ONNX I/O contract and verification.json"; fi

# --- 2. a baked-grid detector must fail verification --------------------------------------------
set +e
convert --speciesnet "$WORK/src" --out "$WORK/static" --static-grid --detector-sizes 1280x960,960x1280 >"$WORK/static.log" 2>&1
rc=$?
set -e
if [ "$rc" -eq 1 ] && [ -f "$WORK/static.partial/verification.json" ] && [ ! -e "$WORK/static" ] \
  && grep -q '"passed": false' "$WORK/static.partial/verification.json"; then
  ok "baked-grid export is rejected (exit 1, bundle left in .partial)"
else
  cat "$WORK/static.log"; bad "baked-grid export is rejected (rc=$rc)"
fi

# --- 3. the classifier comparison catches a changed model; top-5 ties are tolerated -------------
if ORT_RUNNER="${ORT_ARGS[1]:-}" "$PYTHON" -W ignore - "$HERE" "$WORK/src" "$WORK/bundle" >"$WORK/cls.log" 2>&1 <<'EOF'
import json, os, sys, types
from pathlib import Path
import numpy as np
import torch
sys.path.insert(0, sys.argv[1])
import convert_speciesnet as cs
src, bundle = Path(sys.argv[2]), Path(sys.argv[3])
info = json.loads((bundle / "info.json").read_text())
args = types.SimpleNamespace(seed=1, cls_rtol=1e-3, cls_atol=1e-3)
backend = cs.make_backend(os.environ["ORT_RUNNER"] or None)
model = cs.load_classifier(src / "standin_classifier.pt")
with torch.no_grad():
    model.head.bias[0] += 0.05  # one logit off by 0.05: far above tolerance
result = cs.verify_classifier(model, bundle / info["classifier"], backend, 12, [], args)
assert result["passed"] is False, result
assert all(not c["within_tolerance"] for c in result["cases"]), result

ref = np.array([[5.0, 4.0, 3.0, 2.0, 1.0, 1.0 + 1e-6, -1.0]])
swapped = np.array([[5.0, 4.0, 3.0, 2.0, 1.0 + 1e-6, 1.0, -1.0]])  # tie at rank 5 resolved the other way
assert cs.top5(ref) != cs.top5(swapped) and cs.top5_equivalent(ref, swapped, 1e-3, 1e-3)
wrong = np.array([[4.0, 5.0, 3.0, 2.0, 1.0, 0.0, -1.0]])
assert not cs.top5_equivalent(ref, wrong, 1e-3, 1e-3)
EOF
then ok "classifier comparison rejects a changed model, accepts a tie"
else cat "$WORK/cls.log"; bad "classifier comparison rejects a changed model, accepts a tie"; fi

# --- 4. refusals -------------------------------------------------------------------------------
cp -r "$WORK/src" "$WORK/src-url"
"$PYTHON" - "$WORK/src-url/info.json" <<'EOF'
import json, sys
info = json.load(open(sys.argv[1]))
info["detector"] = "https://example.invalid/v5.0/md_v5a.0.0.pt"
json.dump(info, open(sys.argv[1], "w"))
EOF
set +e
convert --speciesnet "$WORK/src-url" --out "$WORK/url" >"$WORK/url.log" 2>&1
rc=$?
set -e
if [ "$rc" -eq 2 ] && grep -q -- "--allow-download" "$WORK/url.log"; then
  ok "URL detector without --allow-download is refused"
else
  cat "$WORK/url.log"; bad "URL detector without --allow-download is refused (rc=$rc)"
fi

# A URL detector that SpeciesNet already downloaded (its cache name) is used without a download.
cp "$WORK/src/md_standin.pt" "$WORK/src-url/https___example.invalid_v5.0_md_v5a.0.0.pt"
if convert --speciesnet "$WORK/src-url" --out "$WORK/cached" --detector-sizes 1280x960 >"$WORK/cached.log" 2>&1 \
  && grep -q '"detector": "md_v5a.0.0.onnx"' "$WORK/cached/info.json"; then
  ok "URL detector found under SpeciesNet's cache name, bundle names it md_v5a.0.0.onnx"
else
  cat "$WORK/cached.log"; bad "URL detector found under SpeciesNet's cache name"
fi

set +e
convert --speciesnet "$WORK/src" --out "$WORK/bundle" --skip-verify >"$WORK/exists.log" 2>&1
rc=$?
set -e
if [ "$rc" -eq 2 ] && grep -q -- "--overwrite" "$WORK/exists.log"; then
  ok "existing output folder is not replaced without --overwrite"
else
  cat "$WORK/exists.log"; bad "existing output folder is not replaced without --overwrite (rc=$rc)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# Builds Release and runs every Atlas benchmark once; results go to bench/results/ (results.md, results.json,
# service.log). Takes about 3-5 minutes on 2 cores. Not part of CI.
#
#   bench/run.sh                          # all sections, CPU
#   bench/run.sh --sections stages,engine # a subset: stages, scaled, engine, classifier, http, batch, inference, int8, microbatch, memory, jobs
#   ATLAS_EXECUTION_PROVIDER=cuda bench/run.sh   # on a GPU host with the CUDA 13 + cuDNN 9 libraries
#   bench/run.sh --sections jobs          # /v1/jobs: embedded, and (with ATLAS_TEST_RABBITMQ / ATLAS_TEST_POSTGRES
#                                         # exported from tools/ci/start-job-backends.sh) RabbitMQ + PostgreSQL, 1 and 2 workers
#
# The classifier, inference and microbatch sections use random-weight stand-ins of the two SpeciesNet models, built
# once by bench/models/build_standins.py into ${ATLAS_BENCH_CACHE:-~/.cache/atlas-bench} (outside git; ~770 MB):
# EfficientNetV2-M (2,498 classes, NHWC) and a YOLOv5x6-shaped detector at 1280. They are built here when missing
# and Debian's python3-torch/python3-torchvision/python3-onnx are installed
# (apt-get install -y python3-torch python3-torchvision python3-onnx), else those parts are skipped with a message.
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${ATLAS_BENCH_CACHE:-$HOME/.cache/atlas-bench}
# Only some sections (all of them when no --sections is given) need the stand-ins.
needs_models=1
if [[ " $* " == *" --sections "* ]]; then
  sections=$(printf '%s\n' "$@" | sed -n '/^--sections$/{n;p;}')
  [[ ,$sections, == *,classifier,* || ,$sections, == *,inference,* || ,$sections, == *,int8,* || ,$sections, == *,microbatch,* ]] || needs_models=0
fi
if [[ $needs_models == 1 && ( ! -f $cache/yolov5x6_standin.onnx || ! -f $cache/effnetv2m_2498.onnx ) ]]; then
  if /usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null; then
    echo "Building the random-weight stand-in models into $cache (~5-10 min on 2 cores)..."
    /usr/bin/python3 bench/models/build_standins.py "$cache"
  else
    echo "python3-torch/torchvision/onnx not installed: the stand-in model sections will be skipped."
  fi
fi
# The optional int8 path (section int8): tools/convert/quantize_int8.py on the fp32 stand-ins, needs python3-onnx only.
for model in effnetv2m_2498 yolov5x6_standin; do
  if [[ $needs_models == 1 && -f $cache/$model.onnx && ! -f $cache/$model.int8.onnx ]] && /usr/bin/python3 -c 'import onnx' 2>/dev/null; then
    /usr/bin/python3 tools/convert/quantize_int8.py "$cache/$model.onnx" "$cache/$model.int8.onnx"
  fi
done
export ATLAS_BENCH_CACHE=$cache

dotnet build src/Atlas.Api -c Release -v q -nologo
dotnet build bench/Atlas.Bench -c Release -v q -nologo

# Output folders carry the runtime identifier on linux-x64 (Directory.Build.props) and none elsewhere.
shopt -s nullglob
api=(src/Atlas.Api/bin/Release/net10.0/{*/,}Atlas.Api.dll)
bench=(bench/Atlas.Bench/bin/Release/net10.0/{*/,}atlas-bench.dll)
api_dll=${api[0]}
bench_dll=${bench[0]}

dotnet "$bench_dll" --api-dll "$api_dll" --out bench/results "$@"

# The reference pipeline (PIL + OpenCV pre-processing, djpeg, PyTorch eager stand-ins) on the same image.
image=../shared/speciesnet/images/african_elephants.jpg
[[ -f $image ]] || image=bench/results/synthetic.jpg
if [[ -f $image ]] && /usr/bin/python3 -c 'import PIL, cv2' 2>/dev/null && command -v djpeg >/dev/null; then
  torch_flag=()
  /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null && torch_flag=(--torch)
  /usr/bin/python3 bench/models/reference.py "$image" "${torch_flag[@]}" > bench/results/reference.md
else
  echo "python3-pil/python3-opencv/libjpeg-turbo-progs missing: no reference table." > bench/results/reference.md
fi

# One command, tables in BENCHMARKS.md: the generated block between the markers is replaced by this run's tables.
/usr/bin/python3 - <<'PY'
from pathlib import Path
doc, begin, end = Path("BENCHMARKS.md"), "<!-- bench:generated:begin -->", "<!-- bench:generated:end -->"
text = doc.read_text()
block = Path("bench/results/results.md").read_text() + "\n" + Path("bench/results/reference.md").read_text()
if begin in text and end in text:
    text = text[: text.index(begin) + len(begin)] + "\n" + block + text[text.index(end):]
else:
    text += f"\n## Latest generated run\n\n{begin}\n{block}{end}\n"
doc.write_text(text)
print("BENCHMARKS.md: generated block updated from bench/results/results.md and reference.md")
PY

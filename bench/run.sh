#!/usr/bin/env bash
# Builds Release and runs every Atlas benchmark once; results go to bench/results/ (results.md, results.json,
# service.log). Takes about 3-5 minutes on 2 cores. Not part of CI.
#
#   bench/run.sh                          # all sections, CPU
#   bench/run.sh --sections stages,engine # a subset: stages, engine, classifier, http, batch, jobs
#   ATLAS_EXECUTION_PROVIDER=cuda bench/run.sh   # on a GPU host with the CUDA 13 + cuDNN 9 libraries
#   bench/run.sh --sections jobs          # /v1/jobs: embedded, and (with ATLAS_TEST_RABBITMQ / ATLAS_TEST_POSTGRES
#                                         # exported from tools/ci/start-job-backends.sh) RabbitMQ + PostgreSQL, 1 and 2 workers
#
# Section 3 needs bench/models/out/effnetv2m_2498.onnx; it is exported here when missing and Debian's
# python3-torch/python3-torchvision/python3-onnx are installed (apt-get install -y python3-torch
# python3-torchvision python3-onnx), else that section is skipped with a message.
set -euo pipefail
cd "$(dirname "$0")/.."

model=bench/models/out/effnetv2m_2498.onnx
# Only the classifier section (run when no --sections is given, or when it is named) needs the exported model.
needs_model=1
if [[ " $* " == *" --sections "* ]]; then
  sections=$(printf '%s\n' "$@" | sed -n '/^--sections$/{n;p;}')
  [[ ,$sections, == *,classifier,* ]] || needs_model=0
fi
if [[ $needs_model == 1 && ! -f $model ]]; then
  if /usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null; then
    echo "Exporting the EfficientNetV2-M stand-in (random weights, ~220 MB, ~2 min)..."
    /usr/bin/python3 bench/models/export_effnetv2m.py bench/models/out
  else
    echo "python3-torch/torchvision/onnx not installed: section 3 (real-size classifier) will be skipped."
  fi
fi

dotnet build src/Atlas.Api -c Release -v q -nologo
dotnet build bench/Atlas.Bench -c Release -v q -nologo

# Output folders carry the runtime identifier on linux-x64 (Directory.Build.props) and none elsewhere.
shopt -s nullglob
api=(src/Atlas.Api/bin/Release/net10.0/{*/,}Atlas.Api.dll)
bench=(bench/Atlas.Bench/bin/Release/net10.0/{*/,}atlas-bench.dll)
api_dll=${api[0]}
bench_dll=${bench[0]}

dotnet "$bench_dll" --api-dll "$api_dll" --out bench/results "$@"
echo "Copy the tables from bench/results/results.md into BENCHMARKS.md when they are meant to replace the published run."

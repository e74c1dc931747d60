#!/usr/bin/env bash
# Deployment checks that need no Docker engine, GPU or cluster (called by .ci/run; about 2-4 minutes):
#   1. docker/Dockerfile and docker/Dockerfile.cpu parse and lint clean (dockerfile-utils), every COPY source
#      exists and survives .dockerignore, stages/user/port/HEALTHCHECK/package choice are as documented;
#      docker/compose.yaml and deploy/kubernetes/*.yaml parse and name the probes, GPU resource and volume.
#   2. `dotnet publish -r linux-x64` of both variants (GPU and CPU ONNX Runtime packages), as the Dockerfiles run
#      it: only linux-x64 ELF natives, no Windows/macOS libraries; prints the sizes.
#   3. Each publish folder starts through docker/entrypoint.sh on a free loopback port: /livez and /healthz
#      answer 200, and everything the process prints is JSON log lines. Also: PORT is honoured, a bad PORT is
#      refused, and the CPU build in auto mode falls back without trying CUDA.
# Needs: node + npm (installed from Debian when missing), the .NET SDK, curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "check-deploy: installing nodejs and npm from Debian" >&2
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
if ! command -v curl >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq curl >/dev/null
fi

echo "== check-deploy: static checks (Dockerfiles, .dockerignore, compose, Kubernetes)"
(cd tools/ci && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
for script in docker/entrypoint.sh docker/healthcheck.sh; do
  sh -n "$script"
  [ -x "$script" ] || { echo "FAIL $script is not executable"; exit 1; }
done
echo "ok   docker/entrypoint.sh and docker/healthcheck.sh: sh -n clean, executable"
node tools/ci/check-deploy.mjs static

work=$(mktemp -d)
pids=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})'
}

# start NAME ENV... : runs the entry point against a publish folder in the background, waits for /healthz 200.
start_app() {
  local name=$1 dll=$2; shift 2
  local port; port=$(free_port)
  env -u SPECIESNET_MODEL_DIR -u ATLAS_EXECUTION_PROVIDER -u ASPNETCORE_URLS -u ASPNETCORE_ENVIRONMENT \
    ATLAS_APP_DLL="$dll" PORT="$port" "$@" sh docker/entrypoint.sh >"$work/$name.out" 2>"$work/$name.err" &
  local pid=$!
  pids+=("$pid")
  local code=000
  for _ in $(seq 1 120); do
    code=$(curl -s -o "$work/$name.healthz" -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
    [ "$code" = 200 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  local live; live=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/livez" || true)
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local provider; provider=$(grep -o '"execution_provider":"[A-Za-z]*"' "$work/$name.healthz" 2>/dev/null | head -1 || true)
  if [ "$code" = 200 ] && [ "$live" = 200 ]; then
    echo "ok   $name: started on PORT=$port, /healthz 200, /livez 200 ($provider)"
  else
    echo "FAIL $name: /healthz $code, /livez $live on PORT=$port"
    tail -n 5 "$work/$name.out" "$work/$name.err"
    return 1
  fi
  node tools/ci/check-deploy.mjs jsonlines "$work/$name.out" "$work/$name.err" | grep -v 'checks passed'
}

status=0
for variant in gpu cpu; do
  echo "== check-deploy: dotnet publish -r linux-x64 ($variant: -p:AtlasOnnxRuntime=$variant)"
  t0=$(date +%s)
  dotnet publish src/Atlas.Api/Atlas.Api.csproj -c Release -r linux-x64 --self-contained false \
    -p:AtlasOnnxRuntime=$variant --artifacts-path "$work/artifacts-$variant" -o "$work/publish-$variant" \
    -nologo -v:q >"$work/publish-$variant.log" 2>&1 || { tail -n 30 "$work/publish-$variant.log"; exit 1; }
  echo "     published in $(( $(date +%s) - t0 )) s; du -sh: $(du -sh "$work/publish-$variant" | cut -f1)"
  node tools/ci/check-deploy.mjs natives "$work/publish-$variant" $variant || status=1
done

echo "== check-deploy: start the published apps"
start_app gpu-auto "$work/publish-gpu/Atlas.Api.dll" || status=1
start_app cpu-image-env "$work/publish-cpu/Atlas.Api.dll" ATLAS_EXECUTION_PROVIDER=cpu || status=1
start_app cpu-auto "$work/publish-cpu/Atlas.Api.dll" || status=1
if grep -q 'no CUDA execution provider' "$work/cpu-auto.healthz"; then
  echo "ok   cpu-auto: /healthz names why CUDA is not used (CPU-only package)"
else
  echo "FAIL cpu-auto: /healthz does not say the CPU package has no CUDA provider"; status=1
fi

set +e
PORT=http ATLAS_APP_DLL=/nonexistent sh docker/entrypoint.sh >"$work/badport.out" 2>&1
rc=$?
set -e
if [ $rc = 1 ] && grep -q "PORT is 'http'" "$work/badport.out"; then
  echo "ok   entrypoint: PORT=http refused with exit 1 and one line naming PORT"
else
  echo "FAIL entrypoint: PORT=http gave exit $rc: $(cat "$work/badport.out")"; status=1
fi

echo "== check-deploy: $( [ $status = 0 ] && echo passed || echo FAILED ) in $(( $(date +%s) - start )) s"
exit $status

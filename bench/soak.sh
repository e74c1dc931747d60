#!/usr/bin/env bash
# Soak: the Release build of Atlas on the demo bundle, on loopback, under mixed valid + hostile traffic at
# concurrency 16 (bench/Atlas.Soak). Reports requests, status mix, p50/p99, RSS start/middle/end, open fds, threads.
# Not part of CI. Results: bench/results/soak-<label>.md and soak-<label>.log (server log).
#
#   bench/soak.sh                      # 600 s, default GC (Server GC, DATAS on: .NET 10's default)
#   bench/soak.sh 120 workstation      # 120 s; any DOTNET_* variable set in the caller reaches the server, e.g.
#   DOTNET_gcServer=0 bench/soak.sh 120 workstation
#   DOTNET_GCHeapHardLimit=0x20000000 bench/soak.sh 120 hardlimit-512m
#
# Runs both processes under `nice -n 10` (shared machines).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
label=${2:-default}
concurrency=${SOAK_CONCURRENCY:-16}

dotnet build src/Atlas.Api -c Release -v q -nologo
dotnet build bench/Atlas.Soak -c Release -v q -nologo
shopt -s nullglob
api=(src/Atlas.Api/bin/Release/net10.0/{*/,}Atlas.Api.dll)
soak=(bench/Atlas.Soak/bin/Release/net10.0/{*/,}atlas-soak.dll)
mkdir -p bench/results
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production ATLAS_EXECUTION_PROVIDER=${ATLAS_EXECUTION_PROVIDER:-cpu} \
  RATE_LIMIT_REQUESTS=0 GEMINI_RATE_LIMIT_REQUESTS=0 \
  nice -n 10 dotnet "${api[0]}" >"bench/results/soak-$label.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
echo "Atlas pid $server on port $port (GC env: $(env | grep -E '^DOTNET_(gc|GC)' | tr '\n' ' '))"
status=0
env -u DOTNET_gcServer -u DOTNET_GCHeapHardLimit -u DOTNET_GCDynamicAdaptationMode \
  nice -n 10 dotnet "${soak[0]}" --url "http://127.0.0.1:$port/" --pid "$server" --seconds "$seconds" \
  --concurrency "$concurrency" --out "bench/results/soak-$label.md" || status=$?
echo "server log lines at Error or above: $(grep -c -E '"@l":"(Error|Fatal)"|\] (ERR|FTL)|fail:' "bench/results/soak-$label.log" || true)"
exit $status

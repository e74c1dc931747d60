#!/usr/bin/env bash
# Leak check: the Release service (demo bundle, loopback) under N /uploadfile/ requests from 4 curl loops, with RSS
# (/proc/PID/status), the managed heap (prometheus-net dotnet_total_memory_bytes = GC.GetTotalMemory) and GC counts
# sampled after each checkpoint. Not part of CI. Any DOTNET_* / MALLOC_* variable set by the caller reaches the server:
#
#   bench/leak.sh                                   # checkpoints 100 1000 2000, Server GC
#   DOTNET_gcServer=0 bench/leak.sh                 # workstation GC
#   MALLOC_ARENA_MAX=2 bench/leak.sh 100 1000 2000  # glibc arenas capped
set -euo pipefail
cd "$(dirname "$0")/.."
checkpoints=("${@:-100 1000 2000}")
read -r -a checkpoints <<<"${checkpoints[*]}"
image=${LEAK_IMAGE:-../shared/speciesnet/images/african_elephants.jpg}
[[ -f $image ]] || { echo "no image at $image (set LEAK_IMAGE)"; exit 1; }
shopt -s nullglob
api=(src/Atlas.Api/bin/Release/net10.0/{*/,}Atlas.Api.dll)
[[ ${#api[@]} -gt 0 ]] || dotnet build src/Atlas.Api -c Release -v q -nologo
api=(src/Atlas.Api/bin/Release/net10.0/{*/,}Atlas.Api.dll)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production ATLAS_EXECUTION_PROVIDER=cpu \
  RATE_LIMIT_REQUESTS=0 ENABLE_METRICS=true nice -n 5 dotnet "${api[0]}" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 120); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 1; done

sample() {
  local rss hwm heap gen2
  rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$server/status)
  hwm=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$server/status)
  metrics=$(curl -fs "http://127.0.0.1:$port/metrics")
  heap=$(awk '/^dotnet_total_memory_bytes / {printf "%d", $2/1048576}' <<<"$metrics")
  gen2=$(awk '/^dotnet_collection_count_total\{generation="2"\}/ {print $2}' <<<"$metrics")
  echo "| $1 | $rss | $hwm | $heap | $gen2 |"
}

echo "| requests | RSS MiB | peak RSS MiB | managed heap MiB (GC.GetTotalMemory) | gen2 GCs |"
echo "|---:|---:|---:|---:|---:|"
done_so_far=0
for target in "${checkpoints[@]}"; do
  n=$((target - done_so_far))
  for worker in 1 2 3 4; do
    ( for _ in $(seq $(( (n + 4 - worker) / 4 ))); do
        curl -fs -o /dev/null -F "file=@$image" "http://127.0.0.1:$port/uploadfile/" || echo "request failed" >&2
      done ) &
  done
  wait $(jobs -p | grep -v "^$server$") 2>/dev/null || true
  done_so_far=$target
  sample "$target"
done

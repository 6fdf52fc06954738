#!/usr/bin/env bash
# The gRPC port under HTTP/2 rapid reset (docs/deploy.md): starts `hiedge serve` with a
# token on free ports, sends STREAMS opened-and-reset streams over SECONDS without the
# token, and prints the server's resident memory before, at its peak and after.
# Usage: scripts/grpc_attack.sh [STREAMS] [SECONDS]   (default 250000 10)
set -euo pipefail
cd "$(dirname "$0")/.."
STREAMS="${1:-250000}"
SECONDS_="${2:-10}"
cmake --build build --target hiedge hiedge_rapid_reset >/dev/null
export OPENBLAS_NUM_THREADS=1
log=$(mktemp)
build/hiedge serve --models-dir models --model sml --port 0 --grpc-port 0 \
  --auth-token "attack-test-$$" 2>"$log" &
server=$!
trap 'kill -9 $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 300); do grep -q 'grpc://' "$log" && break; sleep 0.1; done
port=$(grep -o 'grpc://[^ ]*' "$log" | sed 's/.*://')
rss() { awk '/VmRSS/ {print $2 / 1024}' "/proc/$server/status"; }
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "server rss before: $(rss) MiB"
build/bench/hiedge_rapid_reset "$port" "$STREAMS" "$SECONDS_"
sleep 1
echo "server rss after: $(rss) MiB, peak $(awk '/VmHWM/ {print $2 / 1024}' "/proc/$server/status") MiB"

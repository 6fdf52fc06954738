#!/usr/bin/env bash
# The device's footprint: peak RSS (/usr/bin/time -v) and shared libraries loaded (ldd)
# of hiedge-device (REST) and hiedge-device-grpc, running the shipped S-ML over the
# 10,000 Fashion-MNIST test images against a local `hiedge serve`, at theta 0 (never
# offload) and theta 0.9 (about half offloaded). Prints a table and writes
# results/device_footprint.json. Targets (engine issue): RSS <= 16 MB and <= 30 shared
# libraries for the REST build.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
mkdir -p results
LOG="$(mktemp)"
"$BUILD/hiedge" serve --models-dir models --model lml --port 0 --grpc-port 0 2>"$LOG" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 1 300); do grep -q "serving" "$LOG" && break; sleep 0.1; done
REST_PORT=$(grep -o 'http://[^:]*:[0-9]*' "$LOG" | head -1 | sed 's/.*://')
GRPC_PORT=$(grep -o 'grpc://[^:]*:[0-9]*' "$LOG" | head -1 | sed 's/.*://')
rows=()
printf "%-20s %6s %9s %10s %8s %10s\n" binary theta rss_MB libraries offload accuracy
for binary in hiedge-device hiedge-device-grpc; do
  libs=$(ldd "$BUILD/$binary" | wc -l)
  for theta in 0 0.9; do
    if [ "$binary" = hiedge-device ]; then args=(--server "127.0.0.1:$REST_PORT");
    else args=(--server "127.0.0.1:$GRPC_PORT" --transport grpc); fi
    out="$(mktemp -d)"
    /usr/bin/time -v "$BUILD/$binary" --local models/sml.json --data /usr/share/datasets/fashion-mnist \
      --theta "$theta" --model lml --out "$out" "${args[@]}" >/dev/null 2>"$out/time.txt"
    rss_kb=$(grep "Maximum resident set size" "$out/time.txt" | awk '{print $NF}')
    offload=$(python3 -c "import json;print(json.load(open('$out/summary.json'))['offload_rate'])")
    accuracy=$(python3 -c "import json;print(json.load(open('$out/summary.json'))['accuracy'])")
    printf "%-20s %6s %9.1f %10d %8.3f %10.4f\n" "$binary" "$theta" "$(echo "$rss_kb/1024" | bc -l)" \
      "$libs" "$offload" "$accuracy"
    rows+=("{\"binary\":\"$binary\",\"theta\":$theta,\"peak_rss_kb\":$rss_kb,\"shared_libraries\":$libs,\"offload_rate\":$offload,\"accuracy\":$accuracy}")
    rm -rf "$out"
  done
done
(IFS=,; echo "[${rows[*]}]") | python3 -m json.tool > results/device_footprint.json
echo "wrote results/device_footprint.json"

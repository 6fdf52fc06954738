#!/usr/bin/env bash
# The server's own CPU per request (docs/fleet.md, "What a request costs the server"):
# `hiedge serve` as its own process, serving a model that computes almost nothing
# (Flatten + a 784x10 Gemm, 7,840 MACs, Triton's onnxruntime_onnx layout), batch-1
# requests from closed-loop `hiedge loadgen` clients over REST, over gRPC through the
# port's guard (the default), and over gRPC without it (a second server with
# --grpc-no-guard). The server's CPU time (user + system, /proc/<pid>/stat, that process
# alone) over each load, divided by the requests it answered in it
# (nv_inference_request_success). The three loads are interleaved for ROUNDS rounds (the
# machine is shared and noisy) and the median of the rounds is reported.
# Prints one line per transport and writes results/server_cpu.json.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
CONCURRENCY="${CONCURRENCY:-8}"
ROUNDS="${ROUNDS:-3}"
WINDOWS="${WINDOWS:-3}"  # One-second load windows per round and transport.
WORK="$(mktemp -d)"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/repo/tiny/1" results
/usr/bin/python3 - "$WORK/repo/tiny/1/model.onnx" <<'PY'
import sys
import onnx
from onnx import TensorProto, helper
w = helper.make_tensor("w", TensorProto.FLOAT, [784, 10], [0.001] * 7840)
b = helper.make_tensor("b", TensorProto.FLOAT, [10], [0.0] * 10)
graph = helper.make_graph(
    [helper.make_node("Flatten", ["input"], ["flat"]),
     helper.make_node("Gemm", ["flat", "w", "b"], ["logits"])],
    "tiny", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], [w, b])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
PY
cat >"$WORK/repo/tiny/config.pbtxt" <<'PB'
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "input", data_type: TYPE_FP32, dims: [ 1, 28, 28 ] } ]
output [ { name: "logits", data_type: TYPE_FP32, dims: [ 10 ] } ]
PB

# start NAME [serve flags...]: starts a server; sets <NAME>_PID, <NAME>_REST, <NAME>_GRPC.
start() {
  local name=$1
  shift
  "$BUILD/hiedge" serve --model-repository "$WORK/repo" --repository-poll-seconds 0 \
    --port 0 --grpc-port 0 "$@" 2>"$WORK/$name.log" &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 300); do grep -q "grpc://" "$WORK/$name.log" && break; sleep 0.1; done
  printf -v "${name}_PID" '%s' "$pid"
  printf -v "${name}_REST" '%s' "$(grep -o 'http://[^:]*:[0-9]*' "$WORK/$name.log" | head -1 | sed 's/.*://')"
  printf -v "${name}_GRPC" '%s' "$(grep -o 'grpc://[^:]*:[0-9]*' "$WORK/$name.log" | head -1 | sed 's/.*://')"
}
start guarded
start direct --grpc-no-guard

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
answered() {
  curl -s "127.0.0.1:$1/metrics" |
    awk '/^nv_inference_request_success\{/ {s += $NF} END {printf "%d\n", s}'
}
CPU_MODEL=$(grep -m1 "model name" /proc/cpuinfo | sed 's/.*: //')
TICK=$(getconf CLK_TCK)
# measure LABEL PID REST_PORT LOAD_PORT TRANSPORT: appends "LABEL us requests" to $WORK/rows.
measure() {
  local c0 n0 c1 n1
  c0=$(cpu "$2"); n0=$(answered "$3")
  "$BUILD/hiedge" loadgen --server "127.0.0.1:$4" --transport "$5" --model tiny \
    --concurrency "$CONCURRENCY" --window-ms 1000 --max-windows "$WINDOWS" >/dev/null
  c1=$(cpu "$2"); n1=$(answered "$3")
  awk -v l="$1" -v c="$((c1 - c0))" -v n="$((n1 - n0))" -v t="$TICK" \
    'BEGIN {printf "%s %.1f %d\n", l, c / t * 1e6 / n, n}' >>"$WORK/rows"
}
for round in $(seq 1 "$ROUNDS"); do
  measure rest "$guarded_PID" "$guarded_REST" "$guarded_REST" rest
  measure grpc "$guarded_PID" "$guarded_REST" "$guarded_GRPC" grpc
  measure grpc_no_guard "$direct_PID" "$direct_REST" "$direct_GRPC" grpc
  echo "round $round of $ROUNDS done" >&2
done
json="{\"cpu\": \"$CPU_MODEL\", \"concurrency\": $CONCURRENCY, \"rounds\": $ROUNDS, \"transports\": {"
for label in rest grpc grpc_no_guard; do
  read -r median rounds requests < <(awk -v l="$label" '$1 == l {print $2, $3}' "$WORK/rows" |
    sort -n | awk '{v[NR] = $1; r = r (NR > 1 ? "," : "") $1; n += $2}
      END {printf "%s [%s] %d\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), r, n}')
  echo "$label: server CPU $median us per request (median of $ROUNDS rounds $rounds, $requests requests, $CPU_MODEL)"
  json+="\"$label\": {\"server_cpu_us_per_request\": $median, \"rounds_us\": $rounds, \"requests\": $requests},"
done
json="${json%,}}}"
echo "$json" >results/server_cpu.json

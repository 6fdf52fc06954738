#!/usr/bin/env bash
# The server's own CPU per request (docs/fleet.md, "What a request costs the server"):
# `hiedge serve` as its own process, serving a model that computes almost nothing
# (Flatten + a 784x10 Gemm, 7,840 MACs, Triton's onnxruntime_onnx layout), batch-1
# requests from closed-loop `hiedge loadgen` clients over REST, then over gRPC. The
# server's CPU time (user + system, /proc/<pid>/stat, that process alone) over each
# load, divided by the requests it answered in it (nv_inference_request_success).
# Prints one line per transport and writes results/server_cpu.json.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
CONCURRENCY="${CONCURRENCY:-8}"
WORK="$(mktemp -d)"
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
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
"$BUILD/hiedge" serve --model-repository "$WORK/repo" --repository-poll-seconds 0 \
  --port 0 --grpc-port 0 2>"$WORK/serve.log" &
SERVER=$!
for _ in $(seq 1 300); do grep -q "grpc://" "$WORK/serve.log" && break; sleep 0.1; done
REST=$(grep -o 'http://[^:]*:[0-9]*' "$WORK/serve.log" | head -1 | sed 's/.*://')
GRPC=$(grep -o 'grpc://[^:]*:[0-9]*' "$WORK/serve.log" | head -1 | sed 's/.*://')
cpu() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
answered() {
  curl -s "127.0.0.1:$REST/metrics" |
    awk '/^nv_inference_request_success\{/ {s += $NF} END {printf "%d\n", s}'
}
CPU_MODEL=$(grep -m1 "model name" /proc/cpuinfo | sed 's/.*: //')
TICK=$(getconf CLK_TCK)
json="{\"cpu\": \"$CPU_MODEL\", \"concurrency\": $CONCURRENCY, \"transports\": {"
for transport in rest grpc; do
  port=$REST; [ "$transport" = grpc ] && port=$GRPC
  c0=$(cpu); n0=$(answered)
  "$BUILD/hiedge" loadgen --server "127.0.0.1:$port" --transport "$transport" --model tiny \
    --concurrency "$CONCURRENCY" --window-ms 1000 --max-windows 5 >/dev/null
  c1=$(cpu); n1=$(answered)
  us=$(awk -v c="$((c1 - c0))" -v n="$((n1 - n0))" -v t="$TICK" \
    'BEGIN {printf "%.1f", c / t * 1e6 / n}')
  echo "$transport: server CPU $us us per request ($((n1 - n0)) requests, $CPU_MODEL)"
  json+="\"$transport\": {\"server_cpu_us_per_request\": $us, \"requests\": $((n1 - n0))},"
done
json="${json%,}}}"
echo "$json" >results/server_cpu.json

#!/usr/bin/env bash
# Builds the parser fuzzers with clang's libFuzzer under ASan and UBSan and runs each
# for a fixed number of executions (default 1,000,000) from its seed corpus in
# tests/fuzz/corpus/<target>/:
#   infer_request_fuzzer  REST JSON + binary tensor data, model metadata
#   grpc_message_fuzzer   protobuf ModelInferRequest/Response, config.pbtxt text
#   config_json_fuzzer    model cards, decision configs, two-level configs (JSON)
#   onnx_model_fuzzer     ONNX model files: the reader and the XNNPACK compiler
#   http_request_fuzzer   raw HTTP bytes: Beast's parser under the server's limits, the
#                         router (routes, methods, auth) and the infer body parser
#   http2_frames_fuzzer   client HTTP/2 byte streams through the gRPC guard's frame
#                         scanner, cut into reads of any size
# Inputs reach 200 KB (-max_len), so deep and wide documents of the size a client can
# send are explored; the seed corpus holds such documents (50,000-deep nesting).
# Not part of ./scripts/test.sh; needs clang (Debian: clang).
# Usage: scripts/fuzz.sh [executions]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-1000000}"
OUT=build-fuzz
mkdir -p "$OUT"
# Every hiedge library is instrumented (HIEDGE_FUZZ adds the sanitizer and coverage
# flags); each fuzzer links the component target it exercises.
cmake -S . -B "$OUT" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHIEDGE_FUZZ=ON -DHIEDGE_BUILD_TESTS=OFF -DHIEDGE_BUILD_BENCH=OFF >/dev/null
cmake --build "$OUT" -j"$(nproc)" --target infer_request_fuzzer grpc_message_fuzzer \
  config_json_fuzzer http_request_fuzzer onnx_model_fuzzer http2_frames_fuzzer
# ONNX seeds: small models a user's exporter would write (python3-onnx).
mkdir -p "$OUT/corpus/onnx_model"
/usr/bin/python3 tests/engine/make_onnx_fixtures.py "$OUT/onnx_fixtures" >/dev/null
cp "$OUT"/onnx_fixtures/*.onnx "$OUT/corpus/onnx_model/"
for target in infer_request grpc_message config_json http_request onnx_model http2_frames; do
  mkdir -p "$OUT/corpus/$target"
  cp -n tests/fuzz/corpus/"$target"/* "$OUT/corpus/$target/" 2>/dev/null || true
  echo "fuzz: ${target}_fuzzer, $RUNS executions"
  "$OUT/tests/fuzz/${target}_fuzzer" -runs="$RUNS" -max_len=200000 "$OUT/corpus/$target"
done

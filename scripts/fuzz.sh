#!/usr/bin/env bash
# Builds the parser fuzzers with clang's libFuzzer under ASan and UBSan and runs each
# for a fixed number of executions (default 1,000,000) from its seed corpus in
# tests/fuzz/corpus/<target>/:
#   infer_request_fuzzer  REST JSON + binary tensor data, model metadata
#   grpc_message_fuzzer   protobuf ModelInferRequest/Response, config.pbtxt text
#   config_json_fuzzer    model cards, decision configs, two-level configs (JSON)
#   http_request_fuzzer   raw HTTP bytes: Beast's parser under the server's limits, the
#                         router (routes, methods, auth) and the infer body parser
# Inputs reach 200 KB (-max_len), so deep and wide documents of the size a client can
# send are explored; the seed corpus holds such documents (50,000-deep nesting).
# Not part of ./scripts/test.sh; needs clang (Debian: clang).
# Usage: scripts/fuzz.sh [executions]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-1000000}"
OUT=build-fuzz
mkdir -p "$OUT"
CXX=(clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
mkdir -p "$OUT/proto"
protoc --proto_path=proto --cpp_out="$OUT/proto" proto/model_config.proto proto/grpc_service.proto
PROTOCOL=(src/protocol/infer_codec.cc src/protocol/metadata_codec.cc src/protocol/tensor_codec.cc
  src/common/bounded_json.cc src/common/status.cc src/common/tensor.cc)
"${CXX[@]}" -Iinclude -Isrc -Isrc/protocol \
  tests/fuzz/infer_request_fuzzer.cc "${PROTOCOL[@]}" -o "$OUT/infer_request_fuzzer"
"${CXX[@]}" -Iinclude -Isrc -Isrc/protocol -I"$OUT/proto" \
  tests/fuzz/grpc_message_fuzzer.cc src/protocol/grpc_codec.cc src/protocol/tensor_codec.cc \
  src/common/bounded_json.cc src/server/model_config_proto.cc src/common/status.cc src/common/tensor.cc \
  "$OUT/proto/grpc_service.pb.cc" "$OUT/proto/model_config.pb.cc" -lprotobuf -o "$OUT/grpc_message_fuzzer"
"${CXX[@]}" -Iinclude -Isrc \
  tests/fuzz/config_json_fuzzer.cc src/common/model_card.cc src/decision/decision_config.cc \
  src/decision/two_level_config.cc src/decision/superclasses.cc src/common/files.cc \
  src/common/bounded_json.cc src/common/status.cc -o "$OUT/config_json_fuzzer"
# The router needs the service (no models are added: nothing runs a model).
"${CXX[@]}" -Iinclude -Isrc -Isrc/protocol \
  tests/fuzz/http_request_fuzzer.cc src/server/http_routes.cc src/server/auth.cc \
  src/server/inference_service.cc src/server/dynamic_batcher.cc src/server/batch_queue.cc \
  src/server/metrics.cc src/common/clock.cc src/decision/threshold.cc "${PROTOCOL[@]}" \
  -lprometheus-cpp-core -o "$OUT/http_request_fuzzer"
for target in infer_request grpc_message config_json http_request; do
  mkdir -p "$OUT/corpus/$target"
  cp -n tests/fuzz/corpus/"$target"/* "$OUT/corpus/$target/" 2>/dev/null || true
  echo "fuzz: ${target}_fuzzer, $RUNS executions"
  "$OUT/${target}_fuzzer" -runs="$RUNS" -max_len=200000 "$OUT/corpus/$target"
done

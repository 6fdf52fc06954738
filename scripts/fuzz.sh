#!/usr/bin/env bash
# Builds the protocol parser fuzzer with clang's libFuzzer under ASan and UBSan and
# runs it for a fixed number of executions (default 1,000,000) from the seed corpus
# in tests/fuzz/corpus/. Not part of ./scripts/test.sh; needs clang (Debian: clang).
# Usage: scripts/fuzz.sh [executions]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-1000000}"
OUT=build-fuzz
mkdir -p "$OUT" "$OUT/corpus"
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Iinclude -Isrc/protocol \
  tests/fuzz/infer_request_fuzzer.cc src/protocol/*.cc src/common/status.cc src/common/tensor.cc \
  -o "$OUT/infer_request_fuzzer"
cp -n tests/fuzz/corpus/infer_request/* "$OUT/corpus/" 2>/dev/null || true
"$OUT/infer_request_fuzzer" -runs="$RUNS" -max_len=4096 "$OUT/corpus"

#!/usr/bin/env bash
# Runs hiedge's benchmarks and writes results/bench.json. Extra arguments go to
# Google Benchmark (e.g. --benchmark_filter=Sml).
#
# OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to slow SSE3
# kernels; where /proc/cpuinfo shows avx512f this script sets
# OPENBLAS_CORETYPE=SkylakeX for the benchmark process only, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build >/dev/null
export OPENBLAS_NUM_THREADS=1
if grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=SkylakeX
  echo "bench: avx512f present: OPENBLAS_CORETYPE=SkylakeX set for this benchmark run"
else
  echo "bench: no avx512f: OpenBLAS picks its own kernels"
fi
mkdir -p results
echo "bench: engines side by side (build/bench/hiedge_engine_compare)"
build/bench/hiedge_engine_compare --out results/engine.json
echo "bench: device footprint (scripts/device_footprint.sh)"
scripts/device_footprint.sh
build/bench/hiedge_bench --benchmark_out=results/bench.json --benchmark_out_format=json \
  --benchmark_counters_tabular=true "$@"

# The server-overhead benchmark once more with client and server threads on one core:
# on this VM a wakeup across vCPUs costs tens of microseconds per hop, which the
# unpinned run above includes and a real two-machine deployment does not have.
if command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ]; then
  echo "bench: ServerOverhead again pinned to CPU 0 (taskset -c 0), to separate cross-core wakeups"
  taskset -c 0 build/bench/hiedge_bench --benchmark_filter=ServerOverhead \
    --benchmark_out=results/bench_overhead_pinned.json --benchmark_out_format=json \
    --benchmark_counters_tabular=true
fi

#!/usr/bin/env bash
# The main job: set up, build, and run the end-to-end HI demo with the shipped models.
# Extra arguments go to `hiedge demo` (see `build/hiedge demo --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
# One OpenBLAS thread: libtorch parallelises itself, and OpenBLAS threads would fight it.
export OPENBLAS_NUM_THREADS=1
exec build/hiedge demo "$@"

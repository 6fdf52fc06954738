#!/usr/bin/env bash
# Sets up, builds, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
export OPENBLAS_NUM_THREADS=1
ctest --test-dir build --output-on-failure -j2 --timeout 600

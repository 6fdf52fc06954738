#!/usr/bin/env bash
# Regenerates docs/results.md and docs/results/ (tables, JSON, CSV, PNG + SVG plots)
# from the shipped models on Fashion-MNIST.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build >/dev/null
export OPENBLAS_NUM_THREADS=1
exec build/hiedge eval --out docs/results --markdown docs/results.md "$@"

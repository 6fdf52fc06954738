#!/usr/bin/env bash
# Regenerates docs/results.md and docs/results/ (tables, JSON, CSV, PNG + SVG plots)
# from the shipped models on Fashion-MNIST.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build >/dev/null
export OPENBLAS_NUM_THREADS=1
build/hiedge eval --out docs/results --markdown docs/results.md "$@"
# The QoS planner's Table 5 analogue, appended to the same document.
build/hiedge plan --accuracy 0.90 --accuracy 0.92 --accuracy 0.93 --accuracy 0.94 \
  --json docs/results/plan.json --markdown-append docs/results.md

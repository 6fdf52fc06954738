#!/usr/bin/env bash
# Regenerates docs/results.md and docs/results/ (tables, JSON, CSV, PNG + SVG plots)
# from the shipped models on Fashion-MNIST. Extra arguments go to `hiedge eval`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build >/dev/null
export OPENBLAS_NUM_THREADS=1
build/hiedge eval --out docs/results --markdown docs/results.md "$@"
# The QoS planner's Table 5 analogue, appended to the same document.
build/hiedge plan --accuracy 0.90 --accuracy 0.92 --accuracy 0.93 --accuracy 0.94 \
  --json docs/results/plan.json --markdown-append docs/results.md
# Multi-tier: the two-level system (seed 004) offline, against partitioning, on skewed
# clusters and under budgets on loopback servers, and the device -> edge -> cloud demo.
build/hiedge twolevel --large models/lml.json --json docs/results/two_level.json \
  --title "Two-level architecture (seed 004): accuracy, MACs and upload" \
  --markdown-append docs/results.md
build/hiedge partition --images 2000 --rounds 5 --json docs/results/partition.json \
  --markdown-append docs/results.md
build/hiedge clusters --json docs/results/clusters.json --markdown-append docs/results.md
build/hiedge budgets --json docs/results/budgets.json --markdown-append docs/results.md
build/hiedge demo --out results/demo --markdown-append docs/results.md
# The HI benchmark on the shipped Fashion-MNIST pair, and seed 000's vibration use case
# (rule S-ML, 1-D CNN L-ML), each one JSON beside its section.
build/hiedge hi-bench --json docs/results/hi_bench.json --markdown-append docs/results.md \
  --title "HI benchmark: sml and lml on Fashion-MNIST"
scripts/vibration.sh docs/results.md
cp results/vibration/hi_bench.json docs/results/vibration_hi_bench.json
# The shift benchmark: the field learner and the drift detectors over 16 designed
# shifts (5 audit seeds, worst seed), appended to the same document.
build/hiedge shift-bench --out docs/results/shift_bench >/dev/null
cat docs/results/shift_bench/shift_bench.md >> docs/results.md
# Fleets (docs/fleet.md): the policy comparison, misbehaving devices and a ramp.
scripts/fleet.sh
# The seeds' headline figures beside hiedge's (seed 000's beta-averaged pair over Wi-Fi,
# seed 001's Eq. (2), seed 004's gain over partitioning on its LAN), and HI over links.
scripts/seeds.sh
cat docs/results/seeds.md >> docs/results.md
scripts/links.sh

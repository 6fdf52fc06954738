#!/usr/bin/env bash
# Seed 000's third use case end to end: bearing vibration windows (seeded generator,
# written as a CSV data set), the statistical threshold rule as the S-ML, a 1-D CNN as
# the L-ML (both by `hiedge train`), and HI through the device -> REST server path
# (`hiedge hi-bench`). Writes results/vibration/{manifest.json,train.csv,test.csv,
# models/, hi_bench.json}. With a Markdown file argument, appends the table to it.
# Usage: scripts/vibration.sh [docs/results.md]   (after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1
OUT=results/vibration
# A moderate fault severity (impulse amplitude 1.5, noise 0.5): the rule's statistics
# separate faults only in part, as real early-stage faults do.
build/hiedge vibration-data --out "$OUT" --impulse 1.5 --force
build/hiedge train --arch statistical_rule --name vib_rule --data "$OUT/manifest.json" \
  --out "$OUT/models" --force
build/hiedge train --arch cnn1d --name vib_cnn --data "$OUT/manifest.json" --out "$OUT/models" \
  --epochs 15 --threads 1 --seed 1 --force
markdown=()
if [ $# -ge 1 ]; then
  markdown=(--markdown-append "$1" --title "Vibration fault detection (the third use case of seed 000; scripts/vibration.sh)")
fi
build/hiedge hi-bench --data "$OUT/manifest.json" --local "$OUT/models/vib_rule.json" \
  --remote "$OUT/models/vib_cnn.json" --beta 0.1 --json "$OUT/hi_bench.json" "${markdown[@]}"

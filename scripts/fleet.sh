#!/usr/bin/env bash
# The fleet comparison of docs/fleet.md and the README: cameras at 10 frames/s under a
# 50 ms SLO against one started `hiedge serve`, with a decision calibrated at beta 0.002
# (HI at the L-ML's accuracy, about 37% offloaded) and the devices' default 500 ms
# offload deadline, per policy and fleet size; then one misbehaving device (greedy,
# flood) in a loaded fleet of 1,000, a mixed fleet of two S-MLs, and a ramp from 10 to
# 1,000 devices. Writes
# docs/results/fleet.json and docs/results/fleet*/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build >/dev/null
export OPENBLAS_NUM_THREADS=1
COMMON=(--rate-hz 10 --slo-ms 50 --beta 0.002 --deadline-ms 500 --seed 1)
build/hiedge fleet "${COMMON[@]}" --devices 10,30,100,300,600,1000 \
  --policies fixed,load_aware,server_set --duration-s 6 --warmup-s 3 \
  --out docs/results/fleet "$@"
cp docs/results/fleet/fleet.json docs/results/fleet.json
for bad in greedy flood; do
  build/hiedge fleet "${COMMON[@]}" --devices 1000 --policies server_set --misbehaving "$bad" \
    --duration-s 6 --warmup-s 3 --out "docs/results/fleet_$bad" "$@"
done
# A mixed fleet: half the devices run sml, half sml_large, each calibrated for its own.
build/hiedge fleet "${COMMON[@]}" --devices 1000 --policies fixed,server_set \
  --local models/sml.json --local models/sml_large.json --duration-s 6 --warmup-s 3 \
  --out docs/results/fleet_mixed "$@"
build/hiedge fleet "${COMMON[@]}" --devices 10:1000 --policies fixed,server_set \
  --duration-s 40 --warmup-s 0 --out docs/results/fleet_ramp "$@"

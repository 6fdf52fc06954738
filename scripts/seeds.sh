#!/usr/bin/env bash
# The seeds' headline figures beside hiedge's (docs/results/seeds.md and .json), each
# with the command that measured it:
#   - seed 000: HI against full offload, latency and offloads averaged over beta in
#     [0, 1] and at beta = 0.5, over the seed's Wi-Fi (t_dev and t_off measured by
#     hi-bench over the emulated link, offloads from the demo's beta sweep on test);
#   - seed 000: the binary filter at its default threshold and in the seed's weak-filter
#     regime (threshold fitted on validation to the seed's false-positive rate);
#   - seed 001: Eq. (2)'s HI accuracy (the L-ML as accurate on offloaded samples as on
#     all) against the measured one, with the L-ML's accuracy on the offloaded samples;
#     EE-HI's latency saving over HI with the offload measured over each emulated link;
#   - seed 004: two-level against the best DNN partitioning cut, idle and loaded, over
#     its 100 Mb/s LAN (emulated) and on loopback.
# Usage: scripts/seeds.sh   (about 5 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/results/seeds
mkdir -p "$out"
export OPENBLAS_NUM_THREADS=1
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "== demo (beta sweep, HI row)" >&2
build/hiedge demo --out "$out/demo" --edge '' --two-level '' > "$out/demo.txt"
echo "== hi-bench over the seeds' Wi-Fi" >&2
build/hiedge hi-bench --link wifi --json "$out/hi_bench_wifi.json" > /dev/null
echo "== partition over seed 004's 100 Mb/s LAN" >&2
build/hiedge partition --link lan100 --images 500 --rounds 3 \
  --json "$out/partition_lan100.json" > /dev/null
build/hiedge partition --images 500 --rounds 3 --json "$out/partition_loopback.json" > /dev/null
echo "== early-exit HI, the offload over each link" >&2
build/hiedge early-exit --out "$out/early_exit" > /dev/null
echo "== binary filter: default and weak operating points" >&2
build/hiedge filter --json "$out/filter.json" > /dev/null
/usr/bin/python3 scripts/seeds_table.py "$out" "$cpu"

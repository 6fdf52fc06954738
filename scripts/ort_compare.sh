#!/usr/bin/env bash
# hiedge's engine against ONNX Runtime on one shipped model at one batch (docs/engine.md,
# "Against ONNX Runtime"). ONNX Runtime is not a hiedge dependency and Debian 12 has no
# package of it: this benchmark fetches npm's onnxruntime-node (its bundled CPU library;
# --ignore-scripts skips the GPU download) into ORT_DIR once, and runs
# bench/ort_bench.js with node. hiedge is measured by build/bench/hiedge_engine_compare
# (the same public Infer call a server makes). The two alternate for ROUNDS rounds per
# thread count and the medians are compared. Writes results/ort_compare.json.
#   MODEL=sml BATCH=256 THREADS="1 2" ROUNDS=5 RUN_SECONDS=1 scripts/ort_compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
MODEL="${MODEL:-sml}"
BATCH="${BATCH:-256}"
THREADS="${THREADS:-1 2}"
ROUNDS="${ROUNDS:-5}"
SECONDS_PER_RUN="${RUN_SECONDS:-1}"
ORT_VERSION="${ORT_VERSION:-1.20.1}"
ORT_DIR="${ORT_DIR:-$HOME/.cache/hiedge/onnxruntime-node-$ORT_VERSION}"
if [ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ]; then
  echo "fetching onnxruntime-node $ORT_VERSION from npm into $ORT_DIR" >&2
  mkdir -p "$ORT_DIR"
  (cd "$ORT_DIR" && npm install --no-audit --no-fund --ignore-scripts \
    "onnxruntime-node@$ORT_VERSION" >/dev/null)
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p results
CPU_MODEL=$(grep -m1 "model name" /proc/cpuinfo | sed 's/.*: //')
hiedge_rate() {
  "$BUILD/bench/hiedge_engine_compare" --models "$MODEL" --batches "$BATCH" --threads "$1" \
    --rounds 1 --seconds "$SECONDS_PER_RUN" --out "$WORK/h.json" >/dev/null 2>&1
  /usr/bin/python3 -c 'import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
print(next(r["images_per_second"] for r in rows if r["engine"] == "xnnpack-fp32"))' "$WORK/h.json"
}
ort_rate() {
  NODE_PATH="$ORT_DIR/node_modules" node bench/ort_bench.js "models/$MODEL.onnx" "$BATCH" "$1" \
    "$SECONDS_PER_RUN" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["images_per_second"])'
}
for round in $(seq 1 "$ROUNDS"); do
  for t in $THREADS; do
    if [ $((round % 2)) -eq 1 ]; then
      echo "hiedge $t $(hiedge_rate "$t")" >>"$WORK/rows"
      echo "ort $t $(ort_rate "$t")" >>"$WORK/rows"
    else
      echo "ort $t $(ort_rate "$t")" >>"$WORK/rows"
      echo "hiedge $t $(hiedge_rate "$t")" >>"$WORK/rows"
    fi
  done
  echo "round $round of $ROUNDS done" >&2
done
/usr/bin/python3 - "$WORK/rows" "$MODEL" "$BATCH" "$CPU_MODEL" "$ORT_VERSION" <<'PY'
import json, statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
model, batch, cpu, version = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
out = {"model": model, "batch": batch, "cpu": cpu, "onnxruntime": version, "threads": []}
for t in sorted({int(r[1]) for r in rows}):
    rate = {e: [float(r[2]) for r in rows if r[0] == e and int(r[1]) == t] for e in ("hiedge", "ort")}
    med = {e: statistics.median(v) for e, v in rate.items()}
    ratio = med["ort"] / med["hiedge"]
    out["threads"].append({"threads": t, "hiedge_images_per_second": med["hiedge"],
                           "ort_images_per_second": med["ort"], "ort_over_hiedge": ratio,
                           "hiedge_rounds": rate["hiedge"], "ort_rounds": rate["ort"]})
    print(f"{model} batch {batch}, {t} thread(s): hiedge {med['hiedge']:,.0f} img/s, "
          f"ONNX Runtime {version} {med['ort']:,.0f} img/s, ORT/hiedge {ratio:.2f}x ({cpu})")
json.dump(out, open("results/ort_compare.json", "w"), indent=2)
PY

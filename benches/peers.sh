#!/usr/bin/env bash
# Side-by-side timings against the peers of ../shared/peers (issues #4, #7, #8). First
# `qindex run big_1m.qi` (whole process) against the polars pipeline of
# ../shared/peers/big_eval.py (its in-process `pipeline_wall_s`), on the same machine, median of
# five runs each. Set-up, once per machine (see ../shared/peers/README.md):
#   python3 -m venv /tmp/qindex-peers-venv
#   /tmp/qindex-peers-venv/bin/pip install numpy polars pandas salib
#   /tmp/qindex-peers-venv/bin/python ../shared/peers/big_eval.py gen
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/tmp/qindex-peers-venv/bin/python}
PEERS=../shared/peers
OUT=${PEERS_OUT:-/tmp/qindex-peers}
cargo build --release --quiet
[ -f "$OUT/big.csv" ] || "$PY" "$PEERS/big_eval.py" gen

echo "== polars (in-process pipeline_wall_s), 5 runs"
for i in 1 2 3 4 5; do "$PY" "$PEERS/big_eval.py" polars | tail -1; done |
    "$PY" -c 'import sys, json, statistics as s; t=[json.loads(l)["pipeline_wall_s"] for l in sys.stdin]; print("polars median", s.median(t), t)'

echo "== qindex (whole process), 5 runs"
hyperfine --warmup 1 --runs 5 --export-json /tmp/qindex-hyperfine.json \
    "target/release/qindex run $PEERS/big_1m.qi --data $OUT/big.csv --format csv --output /tmp/qindex-big-out.csv"
"$PY" -c 'import json; r=json.load(open("/tmp/qindex-hyperfine.json"))["results"][0]; print("qindex median", r["median"])'
/usr/bin/time -f "qindex peak memory %M KB" target/release/qindex run "$PEERS/big_1m.qi" --data "$OUT/big.csv" --format csv --output /tmp/qindex-big-out.csv

# Issue #7: Monte Carlo uncertainty (10,000 replications) against the numpy baseline's
# in-process core_wall_s_median; and the median ranks of the top 20 against the baseline's.
echo "== numpy mc_uncertainty.py --R 10000 (core_wall_s_median)"
"$PY" "$PEERS/mc_uncertainty.py" --R 10000 | "$PY" -c 'import sys, json; print("numpy core_wall_s_median", json.load(sys.stdin)["core_wall_s_median"])'
echo "== qindex uncertainty mc_300x50.qi (whole process), 10 runs"
hyperfine -N --warmup 2 --runs 10 --export-json /tmp/qindex-hyperfine-mc.json \
    "target/release/qindex uncertainty $PEERS/mc_300x50.qi --format json --quiet --output /tmp/qindex-mc.json"
"$PY" -c 'import json; r=json.load(open("/tmp/qindex-hyperfine-mc.json"))["results"][0]; print("qindex median", r["median"])'
"$PY" - "$OUT/mc_ranks.csv" /tmp/qindex-mc.json <<'PYEOF'
import csv, json, sys
peer = {int(r["unit"]): r for r in csv.DictReader(open(sys.argv[1]))}
ours = json.load(open(sys.argv[2]))["units"]
top = [u for u in ours if u["nominal_rank"] and u["nominal_rank"] <= 20]
diff = max(abs(u["median_rank"] - float(peer[int(u["unit"].lstrip("U"))]["median_rank"])) for u in top)
print("top-20 median ranks: largest difference from numpy", diff)
PYEOF

# Issue #8: Sobol' indices of each unit's score (N = 1024, bootstrap intervals) against
# SALib's reported total.
echo "== SALib sobol_index.py (timing_median_s.total_s)"
"$PY" "$PEERS/sobol_index.py" | "$PY" -c 'import sys, json; print("SALib total_s", json.load(sys.stdin)["timing_median_s"]["total_s"])'
echo "== qindex sensitivity sobol_300x50.qi --target score (whole process), 5 runs"
hyperfine -N --warmup 1 --runs 5 --export-json /tmp/qindex-hyperfine-sobol.json \
    "target/release/qindex sensitivity $PEERS/sobol_300x50.qi --target score --format json --quiet --output /tmp/qindex-sobol.json"
"$PY" -c 'import json; r=json.load(open("/tmp/qindex-hyperfine-sobol.json"))["results"][0]; print("qindex median", r["median"])'

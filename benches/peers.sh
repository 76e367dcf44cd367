#!/usr/bin/env bash
# Side-by-side timing of `qindex run big_1m.qi` (whole process) against the polars pipeline of
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

#!/usr/bin/env bash
# Side-by-side timings against the peers of ../shared/peers, as interleaved pairs (peer, qindex,
# peer, qindex, ...) on one machine, so that drift of the machine (other load, frequency,
# caches) falls on both alike. Each comparison prints both medians and their ratio:
#   run          qindex run big_1m.qi (whole process) / polars pipeline_wall_s (in process)
#                target: at most 0.7
#   uncertainty  numpy core_wall_s (in process) / qindex uncertainty mc_300x50.qi (whole process)
#                target: at least 2.5
#   sensitivity  SALib total_s (in process) / qindex sensitivity sobol_300x50.qi --target score
#                (whole process); target: at least 50
# and qindex's peak memory on the 1M run, the SHA-256 of its output (unchanged by any speed-up),
# and the largest difference of the top-20 median ranks from numpy's.
#
# Set-up, once per machine (see ../shared/peers/README.md):
#   python3 -m venv /tmp/qindex-peers-venv
#   /tmp/qindex-peers-venv/bin/pip install numpy polars pandas salib
# Then: benches/peers.sh [PAIRS] (default 5; ONLY=run|uncertainty|sensitivity for one).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/tmp/qindex-peers-venv/bin/python}
PEERS=${PEERS:-../shared/peers}
export PEERS_OUT=${PEERS_OUT:-/tmp/qindex-peers}
PAIRS=${1:-5}
cargo build --release --quiet
if [ -z "${ONLY:-}" ] || [ "${ONLY:-}" = run ]; then
    [ -f "$PEERS_OUT/big.csv" ] || "$PY" "$PEERS/big_eval.py" gen > /dev/null
fi

exec "$PY" - "$PAIRS" "$PEERS" "$PEERS_OUT" "${ONLY:-}" <<'PYEOF'
import csv, hashlib, json, os, statistics, subprocess, sys, time

pairs, peers, out, only = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
qindex = "target/release/qindex"


def peer(args):
    """The peer's JSON document (its last JSON value on standard output)."""
    text = subprocess.run([sys.executable] + args, capture_output=True, text=True, check=True).stdout
    start = text.find("{")
    return json.loads(text[start:])


def whole(args):
    """qindex as a whole process: wall seconds and peak resident memory (MB)."""
    t = time.perf_counter()
    p = subprocess.Popen([qindex] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        sys.exit(f"qindex {' '.join(args)} failed: {p.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def compare(name, peer_args, peer_time, ours, ratio, target):
    if only and only != name:
        return
    theirs, mine, rss = [], [], []
    for _ in range(pairs):
        theirs.append(peer_time(peer(peer_args)))
        wall, peak = whole(ours)
        mine.append(wall)
        rss.append(peak)
    p, q = statistics.median(theirs), statistics.median(mine)
    r = ratio(p, q)
    print(f"== {name}: {pairs} interleaved pairs")
    print(f"   peer   median {p:.3f} s  {[round(x, 3) for x in theirs]}")
    print(f"   qindex median {q:.3f} s  {[round(x, 3) for x in mine]}  peak {max(rss):.0f} MB")
    print(f"   ratio  {r:.2f}  (target {target})", flush=True)


big_out = "/tmp/qindex-big-out.csv"
compare(
    "run",
    [f"{peers}/big_eval.py", "polars"],
    lambda d: d["pipeline_wall_s"],
    ["run", f"{peers}/big_1m.qi", "--data", f"{out}/big.csv", "--format", "csv", "--output", big_out],
    lambda p, q: q / p,
    "qindex/polars <= 0.7",
)
if os.path.exists(big_out) and (not only or only == "run"):
    # In blocks: the whole file read at once would stay in this process, and a process it
    # starts inherits its peak memory (exec keeps the parent's high-water mark), which would
    # then be reported as qindex's.
    digest = hashlib.sha256()
    with open(big_out, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    print(f"   output sha256 {digest.hexdigest()}")

mc = "/tmp/qindex-mc.json"
compare(
    "uncertainty",
    [f"{peers}/mc_uncertainty.py", "--R", "10000", "--repeats", "1"],
    lambda d: d["core_wall_s_median"],
    ["uncertainty", f"{peers}/mc_300x50.qi", "--format", "json", "--quiet", "--output", mc],
    lambda p, q: p / q,
    "numpy/qindex >= 2.5",
)
if os.path.exists(mc) and os.path.exists(f"{out}/mc_ranks.csv") and (not only or only == "uncertainty"):
    theirs = {int(r["unit"]): r for r in csv.DictReader(open(f"{out}/mc_ranks.csv"))}
    units = json.load(open(mc))["units"]
    top = [u for u in units if u["nominal_rank"] and u["nominal_rank"] <= 20]
    diff = max(abs(u["median_rank"] - float(theirs[int(u["unit"].lstrip("U"))]["median_rank"])) for u in top)
    print(f"   top-20 median ranks: largest difference from numpy {diff}")

compare(
    "sensitivity",
    [f"{peers}/sobol_index.py", "--repeats", "1"],
    lambda d: d["timing_median_s"]["total_s"],
    ["sensitivity", f"{peers}/sobol_300x50.qi", "--target", "score", "--format", "json", "--quiet",
     "--output", "/tmp/qindex-sobol.json"],
    lambda p, q: p / q,
    "SALib/qindex >= 50",
)
PYEOF

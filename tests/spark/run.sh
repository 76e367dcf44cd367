#!/usr/bin/env bash
# The Spark dialect tested on Spark itself: `qindex sql --dialect spark` for each shipped rules
# file the SQL covers, run in Spark's local mode (PySpark in a venv) over the file's data, and
# compared with the native engine (ranks exactly, scores to 1e-9).
#
# Needs Java 17 and Python 3 with venv. Under CI=true a missing JRE is installed with apt-get;
# elsewhere a missing tool skips (exit 77) with the reason.
#
# usage: tests/spark/run.sh [QINDEX_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
qindex=${1:-${QINDEX_BIN:-$root/target/debug/qindex}}
venv=${QINDEX_SPARK_VENV:-$root/target/spark-venv}
ci=${CI:-}

skip() {
    if [ "$ci" = true ]; then
        echo "tests/spark/run.sh: $1 (CI=true: failing)" >&2
        exit 1
    fi
    echo "tests/spark/run.sh: skipped: $1" >&2
    exit 77
}

if ! command -v java >/dev/null 2>&1; then
    if [ "$ci" = true ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless
    else
        skip "no java (install a JRE 17, e.g. apt-get install openjdk-17-jre-headless)"
    fi
fi
command -v python3 >/dev/null 2>&1 || skip "no python3"
[ -x "$qindex" ] || skip "no qindex binary at $qindex (cargo build first)"

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import pyspark" >/dev/null 2>&1; then
    python3 -m venv "$venv" || skip "python3 -m venv failed"
    "$venv/bin/pip" install -q "pyspark>=3.5,<5" || skip "pip install pyspark failed"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
ran=0
# The shipped files, and quality_city.qi with its one setting the SQL does not cover
# (`winsorise auto`) made percentile clipping: its survey estimates come from the respondent
# table `citizens`.
sed -e 's/winsorise auto/winsorise 5%..95%/' -e "s#data \"data/#data \"$root/rules/data/#" \
    rules/quality_city.qi > "$tmp/quality_city_pct.qi"
for rules in rules/*.qi "$tmp/quality_city_pct.qi"; do
    name=$(basename "$rules" .qi)
    if ! "$qindex" sql "$rules" --dialect spark --period all -o "$tmp/$name.sql" 2>"$tmp/$name.err"; then
        if grep -q "not compiled to SQL\|the SQL cannot compute" "$tmp/$name.err"; then
            echo "$rules: not covered by the SQL: $(grep -c "^error: " "$tmp/$name.err") settings refused"
            continue
        fi
        cat "$tmp/$name.err" >&2
        exit 1
    fi
    plan=$("$qindex" explain "$rules" --format json)
    data=$(echo "$plan" | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["index"]["data"])')
    tables=$(echo "$plan" | "$venv/bin/python" -c 'import json,sys; print(" ".join(s["id"] + "=" + s["path"] for s in json.load(sys.stdin).get("surveys", []) if s.get("path")))')
    "$qindex" run "$rules" --period all --format csv -q -o "$tmp/$name.native.csv"
    # shellcheck disable=SC2086
    "$venv/bin/python" "$here/compare.py" "$tmp/$name.sql" "$data" "$tmp/$name.native.csv" $tables
    ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || { echo "no rules file was compared" >&2; exit 1; }
echo "tests/spark/run.sh: $ran rules files equal in Spark"

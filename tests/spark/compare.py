"""Runs a query of `qindex sql --dialect spark` in Spark's local mode over a CSV file and
compares its result with the native engine's CSV (`qindex run --format csv --period all`):
ranks exactly, scores to 1e-9. Prints a line per file; exits 1 on a difference.

usage: compare.py QUERY.sql DATA.csv NATIVE.csv [TABLE=FILE.csv ...]

Each TABLE=FILE.csv is a further table the query reads (a survey's respondents).
"""

import csv
import math
import sys

from pyspark.sql import SparkSession


def number(s):
    if s is None or s == "":
        return math.nan
    return float(s)


def main():
    query_path, data_path, native_path = sys.argv[1:4]
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("qindex-sql")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    # Every column as text, as `--engine datafusion` registers a CSV: the query reads the
    # numbers itself.
    spark.read.option("header", True).option("inferSchema", False).csv(data_path) \
        .createOrReplaceTempView("data")
    for extra in sys.argv[4:]:
        name, path = extra.split("=", 1)
        spark.read.option("header", True).option("inferSchema", False).csv(path) \
            .createOrReplaceTempView(name)
    with open(query_path, encoding="utf-8") as f:
        query = f.read()
    rows = spark.sql(query).collect()
    columns = rows[0].__fields__ if rows else []
    has_period = "period" in columns
    got = {}
    for r in rows:
        key = (str(r["unit"]), str(r["period"]) if has_period else None)
        got[key] = (r["score"], int(r["rank"]))

    with open(native_path, encoding="utf-8-sig", newline="") as f:
        native = list(csv.reader(f))
    head = native[0]
    score_at, rank_at = head.index("score"), head.index("rank")
    period_at = score_at - 1 if has_period else None
    problems = []
    for line in native[1:]:
        if not line:
            continue
        key = (line[0], line[period_at] if period_at is not None else None)
        if key not in got:
            problems.append(f"{key}: no Spark row")
            continue
        score, rank = got[key]
        want_score, want_rank = number(line[score_at]), int(line[rank_at] or 0)
        score = math.nan if score is None else float(score)
        if rank != want_rank:
            problems.append(f"{key}: rank {rank} in Spark, {want_rank} native")
        same = (math.isnan(score) and math.isnan(want_score)) or abs(score - want_score) <= 1e-9 * max(
            1.0, abs(want_score)
        )
        if not same:
            problems.append(f"{key}: score {score!r} in Spark, {want_score!r} native")
    if len(got) != len(native) - 1:
        problems.append(f"{len(got)} Spark rows, {len(native) - 1} native")
    spark.stop()
    if problems:
        print(f"{query_path}: {len(problems)} differences", file=sys.stderr)
        for p in problems[:20]:
            print("  " + p, file=sys.stderr)
        sys.exit(1)
    print(f"{query_path}: {len(got)} rows equal (ranks exactly, scores to 1e-9)")


if __name__ == "__main__":
    main()

//! `qindex sql`: the settings the SQL does not compile are refused with a diagnostic at their
//! span, saying what to use instead; the covered ones compile in every dialect.

mod common;

use common::{qindex, qindex_ok, root};
use qindex::session::Session;
use qindex::sql::{compile, not_covered, Dialect, SqlOptions};

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("qindex-sql-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("{name}.qi"));
    std::fs::write(&path, text).expect("write");
    path
}

/// Each setting the SQL does not cover: the rules, the text its span must cover, and a word
/// of the hint.
const NOT_COVERED: &[(&str, &str, &str, &str)] = &[
    (
        "winsorise_auto",
        "index t by u {\n    indicator a { winsorise auto }\n    indicator b\n}\n",
        "winsorise auto",
        "winsorise P1..P2",
    ),
    (
        "pca",
        "index t by u {\n    weights pca\n    indicator a\n    indicator b\n}\n",
        "weights pca",
        "entropy",
    ),
    (
        "copeland",
        "index t by u {\n    aggregate copeland\n    indicator a\n    indicator b\n}\n",
        "aggregate copeland",
        "arithmetic",
    ),
    (
        "grey",
        "index t by u {\n    aggregate grey 0.6\n    indicator a\n    indicator b\n}\n",
        "aggregate grey 0.6",
        "topsis",
    ),
    (
        "mazziotta",
        "index t by u {\n    normalise zscore 100, 10\n    aggregate mazziotta_pareto\n    indicator a\n    indicator b\n}\n",
        "aggregate mazziotta_pareto",
        "arithmetic",
    ),
    (
        "ratio_unit",
        "index t by u {\n    indicator a { normalise ratio unit \"X\" }\n    indicator b\n}\n",
        "normalise ratio unit \"X\"",
        "ratio mean",
    ),
];

#[test]
fn each_setting_not_covered_is_refused_at_its_span() {
    for (name, text, spanned, hint) in NOT_COVERED {
        let path = write(name, text);
        let session = Session::open(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        session.valid().unwrap_or_else(|e| panic!("{name}: {e}"));
        let plan = session.plan("default").expect("plan");
        let ds = not_covered(plan);
        assert_eq!(ds.len(), 1, "{name}: {ds:?}");
        let d = &ds[0];
        assert_eq!(d.code, "sql-not-covered");
        let span = d.span.expect("a span");
        let source = &text[span.start as usize..span.end as usize];
        assert!(
            source.starts_with(spanned),
            "{name}: the span covers {source:?}, not {spanned:?}"
        );
        let hints = d.hint.clone().unwrap_or_default();
        assert!(hints.contains(hint), "{name}: {hints}");
        assert!(compile(plan, &SqlOptions::default()).is_err());
        // The command prints it as any rules error: file, line, column and the line.
        let o = qindex(&["sql", path.to_str().expect("utf-8")]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("is not compiled to SQL"), "{name}: {err}");
        assert!(err.contains(&format!("{name}.qi:")), "{name}: {err}");
        assert!(err.contains(spanned), "{name}: {err}");
    }
}

/// The shipped rules compile in every dialect, but for `winsorise auto` (quality_city.qi and
/// market_led.qi use it once each, for `brands`).
#[test]
fn the_shipped_rules_compile_in_every_dialect() {
    for file in ["hdi.qi", "gggi.qi", "quality_city.qi", "market_led.qi"] {
        let path = root().join("rules").join(file);
        let session = Session::open(&path).expect("opens");
        for scheme in session.all_schemes() {
            let plan = session.plan(&scheme).expect("plan");
            let refused: Vec<String> = not_covered(plan).into_iter().map(|d| d.message).collect();
            assert!(
                refused
                    .iter()
                    .all(|m| m.starts_with("`winsorise auto` of `brands`")),
                "{file} {scheme}: {refused:?}"
            );
            if !refused.is_empty() {
                continue;
            }
            for d in [
                Dialect::Datafusion,
                Dialect::Spark,
                Dialect::Postgres,
                Dialect::Duckdb,
            ] {
                let opts = SqlOptions {
                    dialect: d,
                    ..SqlOptions::default()
                };
                compile(plan, &opts).unwrap_or_else(|e| panic!("{file} {scheme} {d:?}: {e}"));
            }
        }
    }
}

/// A survey is read from the table named like it, or the one `--survey-table` gives;
/// `missing median by` has its stage (quality_city.qi with `winsorise auto` made percentile
/// clipping, the one setting of it the SQL does not cover).
#[test]
fn the_survey_table_is_the_callers() {
    let text = common::quality_city_with_percentile_clipping();
    let path = write("quality_city_pct", &text);
    let path = path.to_str().expect("utf-8");
    let sql = String::from_utf8(qindex_ok(&["sql", path])).expect("utf-8");
    assert!(sql.contains("FROM citizens r"), "{sql}");
    for stage in [
        "survey_0_items AS",
        "survey_0_answers AS",
        "survey_0 AS",
        "impute_by0 AS",
    ] {
        assert!(sql.contains(stage), "{stage}");
    }
    let out = qindex_ok(&[
        "sql",
        path,
        "--survey-table",
        "citizens=survey.respondents_2024",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let sql = doc["sql"].as_str().expect("sql");
    assert!(sql.contains("FROM survey.respondents_2024 r"), "{sql}");
    assert!(!sql.contains("FROM citizens r"));
    assert_eq!(doc["survey_tables"]["citizens"], "survey.respondents_2024");
    let o = qindex(&["sql", path, "--survey-table", "citizens"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("SURVEY=TABLE"));
}

#[test]
fn covered_rules_compile_in_every_dialect() {
    for d in ["datafusion", "spark", "postgres", "duckdb"] {
        let out = qindex_ok(&["sql", "rules/hdi.qi", "--dialect", d]);
        let sql = String::from_utf8(out).expect("utf-8");
        assert!(sql.starts_with("-- qindex: index `hdi`"), "{d}");
        assert!(sql.contains("WITH base AS ("), "{d}");
        for stage in ["formulas AS", "normalised AS", "level_0 AS", "ranked AS"] {
            assert!(sql.contains(stage), "{d}: {stage}");
        }
        // Labels ride along in comments.
        assert!(sql.contains("/* Long and healthy life */"), "{d}");
    }
}

#[test]
fn the_table_and_period_are_the_callers() {
    let path = write(
        "panel",
        "index t by u over year {\n    indicator a\n    indicator b { direction negative }\n}\n",
    );
    let out = qindex_ok(&[
        "sql",
        path.to_str().expect("utf-8"),
        "--table",
        "credit.cities",
        "--period",
        "2022",
        "--dialect",
        "spark",
    ]);
    let sql = String::from_utf8(out).expect("utf-8");
    assert!(sql.contains("FROM credit.cities"), "{sql}");
    assert!(sql.contains("WHERE _p = '2022'"), "{sql}");
    assert!(sql.contains("_p AS period"), "{sql}");
}

#[cfg(not(feature = "datafusion"))]
#[test]
fn engine_datafusion_without_the_feature_says_how_to_turn_it_on() {
    let o = qindex(&["run", "rules/hdi.qi", "--engine", "datafusion"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--features datafusion"), "{err}");
}

#[test]
fn dialect_spelling() {
    assert_eq!(Dialect::Spark.ident("a`b"), "`a``b`");
    assert_eq!(Dialect::Datafusion.ident("a\"b"), "\"a\"\"b\"");
    // Numbers are doubles in every dialect: `7 / 2` is 3.5.
    assert_eq!(Dialect::Datafusion.num(7.0), "7.0");
    assert_eq!(Dialect::Spark.num(0.5), "0.5D");
    assert_eq!(Dialect::Duckdb.num(2.0), "CAST(2.0 AS DOUBLE)");
}

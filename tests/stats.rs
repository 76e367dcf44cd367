//! `qindex stats` through the real binary: the demo's planted problems are flagged, the ASEM
//! data (COINr's example) gives a report, and degenerate data never prints NaN.

mod common;

use std::process::{Command, Output};

fn qindex(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qindex"))
        .args(args)
        .current_dir(common::root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run qindex")
}

fn stats(args: &[&str]) -> String {
    let mut all = vec!["stats"];
    all.extend_from_slice(args);
    String::from_utf8_lossy(&common::qindex_ok(&all)).into_owned()
}

fn json(rules: &str) -> serde_json::Value {
    serde_json::from_str(&stats(&[rules, "--format", "json"])).expect("valid JSON")
}

fn flagged(doc: &serde_json::Value, code: &str, node: &str, other: &str) -> Option<f64> {
    doc["flags"].as_array().unwrap().iter().find_map(|f| {
        (f["code"] == code && f["node"] == node && f["other"] == other)
            .then(|| f["value"].as_f64().unwrap())
    })
}

#[test]
fn demo_text_report() {
    insta::assert_snapshot!("quality_city", stats(&["rules/quality_city.qi"]));
}

/// The demo data plants a direction mistake (`training` falls as `culture` rises) and a
/// redundant pair (`citizen_satisfaction`, `citizen_awareness`, r > 0.99).
#[test]
fn demo_planted_problems_are_flagged() {
    let doc = json("rules/quality_city.qi");
    assert_eq!(doc["format"], "qindex.stats/1");
    let r = flagged(&doc, "negative_correlation", "training", "culture")
        .expect("training flagged against culture");
    assert!(r < 0.0);
    let r = flagged(
        &doc,
        "redundant",
        "citizen_satisfaction",
        "citizen_awareness",
    )
    .expect("redundant pair flagged");
    assert!(r > 0.99, "r = {r}");
    let text = stats(&["rules/quality_city.qi"]);
    assert!(text.contains("`training` is negatively correlated with its group `culture`"));
    assert!(text.contains("`citizen_satisfaction` and `citizen_awareness`"));
}

/// COINr's example data: the whole hierarchy (49 indicators, 8 pillars, 2 sub-indices).
#[test]
fn asem_report() {
    let doc = json("tests/fixtures/stats/asem.qi");
    assert_eq!(doc["units"], 51);
    assert_eq!(doc["indicators"].as_array().unwrap().len(), 49);
    assert_eq!(doc["groups"].as_array().unwrap().len(), 11);
    for g in doc["groups"].as_array().unwrap() {
        let pca = &g["pca"];
        assert!(pca.is_object(), "{}: no components", g["id"]);
        let explained: f64 = pca["explained"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!((explained - 1.0).abs() < 1e-9, "{}", g["id"]);
    }
    let text = stats(&["tests/fixtures/stats/asem.qi"]);
    assert!(text.contains("Group `Physical` Physical: 8 children, 51 complete units"));
    assert!(!text.contains("NaN"));
}

/// A constant indicator, a perfectly correlated pair, a group missing for half the units and
/// fewer units than indicators: notes and dashes, never NaN.
#[test]
fn degenerate_data_gives_notes_not_nan() {
    let text = stats(&["tests/fixtures/stats/edge.qi"]);
    assert!(!text.to_lowercase().contains("nan"), "{text}");
    assert!(text.contains("note: `c` takes one value for every unit"));
    assert!(text.contains("note: 2 units have every child present"));
    let raw = stats(&["tests/fixtures/stats/edge.qi", "--format", "json"]);
    assert!(!raw.to_lowercase().contains("nan"));
    let doc: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let c = &doc["indicators"][2];
    assert_eq!(c["id"], "c");
    assert!(c["skewness"].is_null() && c["with_parent"]["pearson"].is_null());
    assert!(flagged(&doc, "redundant", "a", "b").is_some());
}

#[test]
fn period_all_is_refused() {
    let o = qindex(&["stats", "rules/quality_city.qi", "--period", "all"]);
    assert_eq!(o.status.code(), Some(2));
}

/// The indicator × indicator correlation matrix (the report's heatmap) is symmetric, has 1 on
/// the diagonal of every varying indicator, and agrees exactly with the within-group pairs,
/// which `qindex stats` computes group by group (an independent path through the same data).
#[test]
fn correlation_matrix_agrees_with_the_group_pairs() {
    // market_led's default scheme is quality_city's system (it `use`s it).
    let loaded = common::Loaded::new(std::path::Path::new("rules/market_led.qi"));
    let (_, nominal) = loaded.nominal();
    let c = qindex::analysis::coherence(&loaded.base, &nominal.periods[0]);
    let n = c.indicators.len();
    assert_eq!(c.correlations.len(), n);
    let at = |id: &str| c.indicators.iter().position(|i| i.id == id);
    for a in 0..n {
        assert_eq!(c.correlations[a].len(), n);
        if c.indicators[a].sd.is_some_and(|s| s > 0.0) {
            let d = c.correlations[a][a].unwrap();
            assert!((d - 1.0).abs() < 1e-12, "{}: {d}", c.indicators[a].id);
        }
        for b in 0..n {
            assert_eq!(c.correlations[a][b], c.correlations[b][a]);
        }
    }
    let mut pairs = 0;
    for g in &c.groups {
        // Pairs between indicators (a group's children may be groups).
        for p in &g.pairs {
            if let (Some(a), Some(b)) = (at(&p.a), at(&p.b)) {
                assert_eq!(c.correlations[a][b], p.corr.pearson, "{} {}", p.a, p.b);
                pairs += 1;
            }
        }
    }
    assert!(pairs > 20, "only {pairs} pairs");
}

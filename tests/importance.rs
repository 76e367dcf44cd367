//! `qindex importance` through the real binary: the demo's planted silent indicator, the
//! linear measure shared with `qindex orientation`, the warning under 30 units and undefined η².

mod common;

use common::qindex;
use serde_json::Value;

fn json_of(args: &[&str]) -> (Value, String) {
    let o = qindex(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "qindex {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    (serde_json::from_slice(&o.stdout).expect("json"), stderr)
}

fn node<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("no node {id}"))
}

#[test]
fn the_planted_silent_indicator_is_flagged_on_the_demo() {
    let (v, stderr) = json_of(&["importance", "rules/quality_city.qi", "--format", "json"]);
    assert_eq!(v["format"], "qindex.importance/1");
    assert_eq!(v["units"], 36);
    assert!(v["warnings"].as_array().unwrap().is_empty(), "{v}");
    assert!(!stderr.contains("units:"), "{stderr}");
    let kpi = node(&v, "kpi_weight");
    assert_eq!(kpi["silent"], true, "{kpi}");
    assert!(kpi["eta2"].as_f64().unwrap() < 0.05, "{kpi}");
    // The shares of η² add up to 1 among all indicators, and among each group's children.
    let nodes = v["nodes"].as_array().unwrap();
    let total: f64 = nodes
        .iter()
        .filter_map(|n| n["share_of_indicators"].as_f64())
        .sum();
    assert!((total - 1.0).abs() < 1e-9);
    let org: f64 = nodes
        .iter()
        .filter(|n| n["parent"] == "organisation")
        .map(|n| n["share_of_siblings"].as_f64().unwrap())
        .sum();
    assert!((org - 1.0).abs() < 1e-9);
    // Silent means an η² share below a quarter of the nominal share.
    for n in nodes.iter().filter(|n| n["kind"] == "indicator") {
        let (eff, nom) = (
            n["share_of_indicators"].as_f64().unwrap(),
            n["nominal_share_of_indicators"].as_f64().unwrap(),
        );
        assert_eq!(
            n["silent"] == true,
            nom > 0.0 && eff < 0.25 * nom,
            "{}",
            n["id"]
        );
        // The spline nests the straight line: η² is never below r².
        let (e, r2) = (n["eta2"].as_f64().unwrap(), n["r2"].as_f64().unwrap());
        assert!(e >= r2 - 1e-9, "{}: η² {e} < r² {r2}", n["id"]);
    }
    // The linear measure is the orientation report's.
    let (o, _) = json_of(&["orientation", "rules/quality_city.qi", "--format", "json"]);
    for i in o["indicators"].as_array().unwrap() {
        let n = node(&v, i["id"].as_str().unwrap());
        assert_eq!(n["r"], i["r"]);
        assert_eq!(n["linear_share"], i["importance"]);
        assert_eq!(n["nominal_share_of_indicators"], i["nominal"]);
    }
}

#[test]
fn the_demo_table() {
    let o = qindex(&["importance", "rules/quality_city.qi"]);
    assert!(o.status.success());
    insta::assert_snapshot!(
        "quality_city_importance",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn few_units_warn_and_a_flat_indicator_has_a_reason() {
    let (v, stderr) = json_of(&[
        "importance",
        "tests/fixtures/importance/small.qi",
        "--format",
        "json",
    ]);
    assert_eq!(v["units"], 12);
    assert!(
        stderr.contains("warning[importance]: only 12 units"),
        "{stderr}"
    );
    assert!(v["warnings"][0].as_str().unwrap().contains("fewer than 30"));
    let flat = node(&v, "flat");
    assert_eq!(flat["eta2"], Value::Null);
    assert_eq!(
        flat["undefined"],
        "the value does not vary across the units"
    );
    assert_eq!(flat["silent"], false);
    // x and z alone: their η² shares add up to 1.
    let x = node(&v, "x")["share_of_indicators"].as_f64().unwrap();
    let z = node(&v, "z")["share_of_indicators"].as_f64().unwrap();
    assert!((x + z - 1.0).abs() < 1e-12);
}

#[test]
fn csv_and_output_file() {
    let dir = std::env::temp_dir().join(format!("qindex-importance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("imp.csv");
    let o = qindex(&[
        "importance",
        "tests/fixtures/importance/small.qi",
        "--format",
        "csv",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty());
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("id,label,kind,parent,depth,weight,overall,n,eta2,undefined"));
    assert_eq!(lines.len(), 4);
    assert!(lines[3]
        .starts_with("flat,不变的指标,indicator,small,1,0.25,0.25,12,,the value does not vary"));
    std::fs::remove_dir_all(&dir).unwrap();
}

//! `qindex profile` through the real binary, on a small panel of eight Guangdong cities over two
//! years (tests/fixtures/profile/).

mod common;

use std::process::Output;

const RULES: &str = "tests/fixtures/profile/cities.qi";

use common::qindex;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn profile(args: &[&str]) -> String {
    let mut all = vec!["profile", RULES];
    all.extend_from_slice(args);
    let o = qindex(&all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

fn profile_json(unit: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![unit, "--format", "json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&profile(&args)).expect("valid JSON")
}

fn ids(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect()
}

#[test]
fn text_profile_of_the_leader() {
    insta::assert_snapshot!("shenzhen_2023", profile(&["440300"]));
}

#[test]
fn text_profile_by_chinese_label() {
    // 江门 misses its patents in 2023: imputed, shown, but neither a strength nor an improvement.
    insta::assert_snapshot!("jiangmen_2023", profile(&["江门"]));
}

#[test]
fn first_period_has_no_comparison() {
    let out = profile(&["440300", "--period", "2022"]);
    assert!(out.contains("period 2022"), "{out}");
    assert!(!out.contains("Improvements"), "{out}");
    assert!(!out.contains("change"), "{out}");
}

#[test]
fn label_and_id_give_the_same_profile() {
    assert_eq!(profile(&["江门"]), profile(&["440700"]));
}

#[test]
fn unknown_unit_suggests_the_closest_id() {
    let o = qindex(&["profile", RULES, "44030"]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!(stderr(&o).trim(), @"error: unknown unit `44030`; did you mean `440300` (深圳)?");
    let o = qindex(&["profile", RULES, "深证"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `440300` (深圳)?"),
        "{}",
        stderr(&o)
    );
    let o = qindex(&["profile", RULES, "xyz"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the units in period 2023 include `440100`"),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn period_all_is_a_usage_error() {
    let o = qindex(&["profile", RULES, "440300", "--period", "all"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = qindex(&["profile", RULES, "440300", "--period", "2019"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn json_is_valid_and_complete() {
    let v = profile_json("440300", &[]);
    assert_eq!(v["format"], "qindex.profile/1");
    assert_eq!(v["unit"], "440300");
    assert_eq!(v["label"], "深圳");
    assert_eq!(v["period"], "2023");
    assert_eq!(v["previous_period"], "2022");
    assert_eq!(v["rank"], 1);
    assert_eq!(v["units_ranked"], 8);
    let nodes = v["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 10, "3 groups and 7 indicators");
    let rd = nodes.iter().find(|n| n["id"] == "rd_share").unwrap();
    assert_eq!(rd["unit_of_measure"], "%");
    assert_eq!(rd["rank"], 1);
    assert_eq!(rd["of"], 8);
    // 2236 / 34606 * 100
    assert!((rd["raw"].as_f64().unwrap() - 6.461307).abs() < 1e-6);
    assert_eq!(v["by_rank"].as_array().unwrap().len(), 10);
    assert_eq!(
        ids(&v["strengths"]),
        [
            "economy",
            "gdp_per_capita",
            "rd_share",
            "patents",
            "environment"
        ]
    );
    assert_eq!(ids(&v["weaknesses"]), ["complaints", "governance"]);
}

#[test]
fn imputed_values_are_flagged_and_compared() {
    let v = profile_json("440700", &[]);
    let patents = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "patents")
        .unwrap();
    assert_eq!(patents["flags"], serde_json::json!(["imputed"]));
    assert!(patents["raw"].is_null());
    assert!(patents["treated"].as_f64().is_some());
    assert_eq!(patents["previous"]["rank"], 8);
    assert_eq!(patents["rank_change"], 4);
    // An imputed value is shown but never a strength or an improvement.
    assert_eq!(patents["compared"], false);
    assert_eq!(ids(&v["improvements"]), ["economy"]);
    assert!(!ids(&v["strengths"]).contains(&"patents"));
}

#[test]
fn an_indicator_with_two_values_is_never_compared() {
    for unit in [
        "440300", "440100", "440600", "441900", "440400", "441300", "440700", "442000",
    ] {
        for period in ["2022", "2023"] {
            let v = profile_json(unit, &["--period", period]);
            let plan = v["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["id"] == "quality_plan")
                .unwrap();
            assert_eq!(plan["distinct"], 2);
            assert_eq!(plan["discriminates"], false);
            for list in ["strengths", "weaknesses", "improvements"] {
                assert!(
                    !ids(&v[list]).contains(&"quality_plan"),
                    "{unit} {period} {list}"
                );
            }
        }
    }
}

#[test]
fn a_unit_that_is_not_ranked_has_no_rank() {
    // HDI's regional aggregates are evaluated but not ranked (`units where`); no period column.
    if !common::shared("data/hdi/hdi_2022.csv").exists() {
        return;
    }
    let o = qindex(&["profile", "rules/hdi.qi", "ZZA.VHHD", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ranked"], false);
    assert!(v["rank"].is_null());
    assert!(v["period"].is_null() && v["previous_period"].is_null());
    assert_eq!(v["scale"], serde_json::json!([0.0, 1.0]));
    assert!(v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["rank"].is_null()));
    assert_eq!(ids(&v["strengths"]).len() + ids(&v["weaknesses"]).len(), 0);
    let o = qindex(&["profile", "rules/hdi.qi", "CHN"]);
    let text = stdout(&o);
    assert!(text.contains("score 0.788, rank 75 of 193"), "{text}");
}

/// Each rank says what it is out of: with a unit vetoed, the index rank is among the ranked
/// units and the group ranks among all units, and the headline says so (it said "31 of 35"
/// beside groups "of 36").
#[test]
fn denominators_are_explained() {
    let o = common::qindex(&[
        "profile",
        "rules/quality_city.qi",
        "C02",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (ranked, units, vetoed) = (
        v["units_ranked"].as_u64().unwrap(),
        v["units"].as_u64().unwrap(),
        v["units_vetoed"].as_u64().unwrap(),
    );
    assert!(vetoed > 0);
    assert_eq!(ranked + vetoed, units);
    let o = common::qindex(&["profile", "rules/quality_city.qi", "C02"]);
    let text = String::from_utf8(o.stdout).unwrap();
    let headline = text.lines().nth(1).unwrap();
    assert!(
        headline.contains(&format!(
            "of the {ranked} ranked units ({vetoed} of the {units} units vetoed"
        )),
        "{headline}"
    );
    assert!(
        text.contains(&format!(" of {units} ")),
        "groups are ranked among all units"
    );
}

//! `qindex orientation` on the demo: the government-oriented index gives market indicators a
//! small nominal weight and an even smaller importance; silent indicators are flagged.

mod common;

use common::qindex;

#[test]
fn market_indicators_are_quieter_than_their_weight() {
    let o = qindex(&["orientation", "rules/quality_city.qi", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["format"], "qindex.orientation/1");
    let tag = |t: &str| {
        v["tags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["tag"] == t)
            .unwrap()
            .clone()
    };
    let market = tag("market");
    let government = tag("government");
    // The demo's market factor is only weakly tied to government effort (r = 0.15), and the
    // default scheme weights government work: market indicators matter less than their weight.
    assert!(market["importance"].as_f64().unwrap() < market["nominal"].as_f64().unwrap() / 2.0);
    assert!(government["nominal"].as_f64().unwrap() > 0.7);
    let shares: f64 = v["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["importance"].as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < 1e-9, "importance shares add up to 1");
    let silent: Vec<&str> = v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["silent"] == true)
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    // The demo's planted silent indicator (rules/data/README.md), and a market indicator.
    assert!(silent.contains(&"kpi_weight"), "{silent:?}");
    assert!(silent.contains(&"competitiveness"), "{silent:?}");
    // Silent means an importance share below a quarter of the nominal share.
    for i in v["indicators"].as_array().unwrap() {
        let (imp, nom) = (
            i["importance"].as_f64().unwrap(),
            i["nominal"].as_f64().unwrap(),
        );
        assert_eq!(
            i["silent"] == true,
            nom > 0.0 && imp < 0.25 * nom,
            "{}",
            i["id"]
        );
    }
    let o = qindex(&[
        "orientation",
        "rules/market_led.qi",
        "--scheme",
        "market_led",
    ]);
    insta::assert_snapshot!("market_led_orientation", String::from_utf8_lossy(&o.stdout));
}

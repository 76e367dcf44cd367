//! `qindex compare`: rank correlations against scipy, and the market-led comparison of the
//! shipped rules on the demo data.

mod common;

use common::qindex;
use qindex::methods::stats::{kendall_tau_b, spearman};

/// Reference values from scipy 1.17.1: `scipy.stats.spearmanr(x, y).statistic` and
/// `scipy.stats.kendalltau(x, y).statistic` (tau-b), on data with ties in both columns.
#[test]
fn rank_correlations_with_ties_match_scipy() {
    let x = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 5.0, 5.0, 8.0, 10.0];
    let y = [2.0, 1.0, 3.0, 3.0, 6.0, 5.0, 4.0, 7.0, 9.0, 9.0];
    assert!((spearman(&x, &y) - 0.9071598722068406).abs() < 1e-12);
    assert!((kendall_tau_b(&x, &y) - 0.7859370885787427).abs() < 1e-12);
    let x = [3.5, 1.0, 2.0, 2.0, 7.0, 4.5];
    let y = [1.0, 1.0, 2.0, 5.0, 6.0, 6.0];
    assert!((spearman(&x, &y) - 0.7164977208318385).abs() < 1e-12);
    assert!((kendall_tau_b(&x, &y) - 0.592999453328881).abs() < 1e-12);
    // Identical and reversed orders.
    assert!((kendall_tau_b(&x, &x) - 1.0).abs() < 1e-12);
    let rev: Vec<f64> = x.iter().map(|v| -v).collect();
    assert!((kendall_tau_b(&x, &rev) + 1.0).abs() < 1e-12);
}

#[test]
fn market_led_moves_ranks_on_the_demo() {
    let o = qindex(&["compare", "rules/market_led.qi", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["format"], "qindex.compare/1");
    assert_eq!(
        v["schemes"],
        serde_json::json!(["default", "market_led", "market_strong"])
    );
    let pairs = v["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 3);
    // The demo plants market indicators weakly tied to government effort: the market-led
    // scheme changes the ranking, but not beyond recognition.
    let rho = pairs[0]["spearman"].as_f64().unwrap();
    assert!(rho > 0.5 && rho < 0.999, "{rho}");
    assert!(pairs[0]["mean_abs_shift"].as_f64().unwrap() > 0.5);
    // The vetoed city is unranked under every scheme.
    let c24 = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == "C24")
        .unwrap();
    assert!(c24["ranks"]["default"].is_null() && c24["ranks"]["market_led"].is_null());
    // Shifts are rank under default minus rank under the scheme.
    for u in v["units"].as_array().unwrap() {
        if let (Some(a), Some(b)) = (
            u["ranks"]["default"].as_i64(),
            u["ranks"]["market_led"].as_i64(),
        ) {
            assert_eq!(u["shift"]["market_led"].as_i64(), Some(a - b));
        }
    }
    let o = qindex(&[
        "compare",
        "rules/market_led.qi",
        "--scheme",
        "default",
        "--scheme",
        "market_led",
    ]);
    insta::assert_snapshot!("demo_compare", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn compare_needs_two_schemes() {
    let o = qindex(&["compare", "rules/quality_city.qi"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least two schemes"));
}

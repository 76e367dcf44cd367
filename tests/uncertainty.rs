//! `qindex uncertainty` through the real binary.

mod common;

use common::qindex;
use serde_json::Value;

fn json_of(args: &[&str]) -> (Value, String) {
    let o = qindex(args);
    assert!(
        o.status.success(),
        "qindex {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8(o.stdout).expect("utf-8");
    (serde_json::from_str(&text).expect("json"), text)
}

#[test]
fn json_is_identical_for_any_thread_count() {
    let run = |threads: &str| {
        json_of(&[
            "uncertainty",
            "rules/market_led.qi",
            "--samples",
            "200",
            "--format",
            "json",
            "--threads",
            threads,
        ])
        .1
    };
    let one = run("1");
    let two = run("2");
    assert_eq!(one, two);
    let v: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(v["format"], "qindex.uncertainty/1");
    assert_eq!(v["samples"], 200);
    assert_eq!(v["seed"], 2013);
    assert_eq!(v["top_n"], 10);
    assert_eq!(v["factors"].as_array().unwrap().len(), 8);
    assert!(v["marc"].as_f64().unwrap() > 0.0);
}

#[test]
fn percentile_ranks_are_ordered() {
    let (v, _) = json_of(&[
        "uncertainty",
        "rules/market_led.qi",
        "--samples",
        "200",
        "--format",
        "json",
    ]);
    let units = v["units"].as_array().unwrap();
    assert_eq!(units.len(), 36);
    // A vetoed unit is never ranked: nulls, listed last.
    let last = &units[35];
    assert!(last["nominal_rank"].is_null() && last["p05_rank"].is_null());
    assert_eq!(last["p_top"], 0.0);
    for u in &units[..35] {
        let (p05, med, p95) = (
            u["p05_rank"].as_f64().unwrap(),
            u["median_rank"].as_f64().unwrap(),
            u["p95_rank"].as_f64().unwrap(),
        );
        assert!(p05 <= med && med <= p95, "{u}");
        assert!((u["width"].as_f64().unwrap() - (p95 - p05)).abs() < 1e-12);
        let p = u["p_top"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        assert!(u["sd_score"].as_f64().unwrap() >= 0.0);
    }
    // Sorted by nominal rank.
    let nominal: Vec<u64> = units[..35]
        .iter()
        .map(|u| u["nominal_rank"].as_u64().unwrap())
        .collect();
    assert!(nominal.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn tiny_variation_keeps_every_nominal_rank() {
    let (v, _) = json_of(&[
        "uncertainty",
        "tests/fixtures/uncertainty/tiny.qi",
        "--format",
        "json",
    ]);
    assert_eq!(v["samples"], 50);
    assert_eq!(v["marc"].as_f64().unwrap(), 0.0);
    let units = v["units"].as_array().unwrap();
    assert_eq!(units.len(), 6);
    for u in units {
        let nominal = u["nominal_rank"].as_f64().unwrap();
        assert_eq!(u["p05_rank"].as_f64().unwrap(), nominal, "{u}");
        assert_eq!(u["p95_rank"].as_f64().unwrap(), nominal, "{u}");
        assert_eq!(u["median_rank"].as_f64().unwrap(), nominal, "{u}");
        assert!(u["sd_score"].as_f64().unwrap() < 1e-3);
    }
}

#[test]
fn derived_weights_are_varied_too() {
    let (v, _) = json_of(&[
        "uncertainty",
        "tests/fixtures/uncertainty/derived.qi",
        "--format",
        "json",
    ]);
    assert!(v["marc"].as_f64().unwrap() > 0.0, "{v}");
    let units = v["units"].as_array().unwrap();
    assert!(units.iter().any(|u| u["sd_score"].as_f64().unwrap() > 0.1));
}

#[test]
fn samples_and_seed_can_be_overridden() {
    let (a, _) = json_of(&[
        "uncertainty",
        "rules/market_led.qi",
        "--samples",
        "30",
        "--seed",
        "5",
        "--top",
        "3",
        "--format",
        "json",
    ]);
    assert_eq!(a["samples"], 30);
    assert_eq!(a["seed"], 5);
    assert_eq!(a["top_n"], 3);
    let (b, _) = json_of(&[
        "uncertainty",
        "rules/market_led.qi",
        "--samples",
        "30",
        "--seed",
        "6",
        "--format",
        "json",
    ]);
    assert_ne!(a["marc"], b["marc"], "another seed, other draws");
}

#[test]
fn geometric_over_zscores_is_rejected_before_any_replication() {
    let o = qindex(&["uncertainty", "tests/fixtures/uncertainty/negative.qi"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("zscore"), "{err}");
    assert!(err.contains("geometric"), "{err}");
    assert!(err.contains("zscore(100, 10)"), "{err}");
    assert!(err.contains("scale 1..100"), "{err}");
}

#[test]
fn csv_has_a_row_per_unit() {
    let o = qindex(&[
        "uncertainty",
        "tests/fixtures/uncertainty/tiny.qi",
        "--format",
        "csv",
    ]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("unit,nominal_rank,median_rank,mean_rank,p05_rank,p95_rank,width,p_top,mean_score,sd_score")
    );
    assert_eq!(lines.count(), 6);
}

#[test]
fn no_uncertainty_block_is_a_usage_error() {
    let o = qindex(&["uncertainty", "rules/hdi.qi"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn demo_table() {
    let o = qindex(&["uncertainty", "rules/market_led.qi", "--samples", "100"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    insta::assert_snapshot!("demo_uncertainty_table", String::from_utf8_lossy(&o.stdout));
}

/// `--samples 0` ran no replication and printed a table of "-"; it is a usage error.
#[test]
fn zero_samples_are_a_usage_error() {
    for cmd in ["uncertainty", "sensitivity"] {
        let o = qindex(&[cmd, "rules/market_led.qi", "--samples", "0"]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("1 or more"),
            "{cmd}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.stdout.is_empty());
    }
}

/// P(top N) says nothing when N is not less than the ranked units: the default N is then a
/// third of them, and an explicit N that large is noted.
#[test]
fn top_n_fits_the_number_of_units() {
    let fixture = "tests/fixtures/sensitivity/choices.qi";
    let (v, _) = json_of(&[
        "uncertainty",
        fixture,
        "--samples",
        "50",
        "--format",
        "json",
    ]);
    let units = v["units"].as_array().unwrap();
    let ranked = units
        .iter()
        .filter(|u| !u["nominal_rank"].is_null())
        .count();
    assert!(ranked < 30);
    assert_eq!(v["top_n"].as_u64().unwrap() as usize, ranked / 3);
    assert!(v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| !n.as_str().unwrap().contains("P(top")));
    let n = ranked.to_string();
    let (v, _) = json_of(&[
        "uncertainty",
        fixture,
        "--samples",
        "50",
        "--top",
        &n,
        "--format",
        "json",
    ]);
    assert!(v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x.as_str().unwrap().starts_with(&format!("P(top {n}) is 1"))));
    // With 30 units or more, the default stays 10.
    let (v, _) = json_of(&[
        "uncertainty",
        "rules/market_led.qi",
        "--samples",
        "20",
        "--format",
        "json",
    ]);
    assert_eq!(v["top_n"], 10);
}

/// When `choose normalise` moves the index onto another range (a z-score around 100 beside
/// min-max onto 0..100), the mean and sd of the score mix scales: a note says so. Weights
/// alone keep one scale: no note.
#[test]
fn mixed_score_scales_are_noted() {
    let (v, text) = json_of(&[
        "uncertainty",
        "rules/market_led.qi",
        "--samples",
        "50",
        "--format",
        "json",
    ]);
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(notes.iter().any(|n| n.contains("mix scales")), "{text}");
    let (v, _) = json_of(&[
        "uncertainty",
        "../shared/peers/mc_300x50.qi",
        "--samples",
        "50",
        "--format",
        "json",
    ]);
    assert!(v["notes"].as_array().unwrap().is_empty());
    let o = qindex(&["uncertainty", "rules/market_led.qi", "--samples", "50"]);
    assert!(String::from_utf8_lossy(&o.stdout)
        .contains("note: the mean and sd of the score mix scales"));
}

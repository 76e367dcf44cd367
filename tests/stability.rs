//! `qindex stability` through the real binary, on a fixture whose breakpoints are derived by
//! hand, and on the demo.

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
    let text = String::from_utf8(o.stdout).expect("utf-8");
    (serde_json::from_str(&text).expect("json"), text)
}

fn node<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == id)
        .unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

// tests/fixtures/stability/two.csv, with `normalise none` and weights a = b = 1 (t⁰ = ½):
//   unit  a   b
//   u1    10  1
//   u2    1   8
//   u3    4   4
//   u4    2   2
// Weight share t on a, 1 − t on b; arithmetic scores:
//   u1 = 10t + (1 − t) = 1 + 9t,  u2 = t + 8(1 − t) = 8 − 7t,  u3 = 4,  u4 = 2.
// At t = ½: u1 5.5, u2 4.5, u3 4, u4 2, so the top 2 is (u1, u2).
// Crossings: u1 = u2 at 1 + 9t = 8 − 7t, t = 7/16; u2 = u3 at 8 − 7t = 4, t = 4/7;
//            u1 = u3 at 1 + 9t = 4, t = 1/3 (u1 = u4 at 1/9 and u2 = u4 at 6/7 are below 2nd).
// Order (u1, u2) needs u1 > u2 (t > 7/16) and u2 > u3 (t < 4/7): [7/16, 4/7].
// Set {u1, u2} needs both above u3: t > 1/3 and t < 4/7: [1/3, 4/7].
// Breakpoints of the order: 1/3 (below it u2, u3 lead), 7/16, 4/7; of the set: 1/3, 4/7.
#[test]
fn exact_breakpoints_are_the_hand_derived_crossings() {
    let (v, _) = json_of(&[
        "stability",
        "tests/fixtures/stability/two.qi",
        "--top",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(v["format"], "qindex.stability/1");
    assert_eq!(v["nominal_top"], serde_json::json!(["u1", "u2"]));
    let a = node(&v, "a");
    assert_eq!(a["method"], "exact");
    assert_eq!(f(&a["share"]), 0.5);
    let near = |x: &Value, want: f64| (f(x) - want).abs() < 1e-12;
    assert!(near(&a["order"]["low"], 7.0 / 16.0), "{a}");
    assert!(near(&a["order"]["high"], 4.0 / 7.0), "{a}");
    assert!(near(&a["set"]["low"], 1.0 / 3.0), "{a}");
    assert!(near(&a["set"]["high"], 4.0 / 7.0), "{a}");
    let ob: Vec<f64> = a["order_breakpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    assert_eq!(ob.len(), 3);
    for (got, want) in ob.iter().zip([1.0 / 3.0, 7.0 / 16.0, 4.0 / 7.0]) {
        assert!((got - want).abs() < 1e-12, "{ob:?}");
    }
    // Weights are normalised to sum 1 here, so weight units equal shares.
    assert!(near(&a["order"]["weight_low"], 7.0 / 16.0));
    // b moves the other way: its share s = 1 − t.
    let b = node(&v, "b");
    assert!(near(&b["order"]["low"], 1.0 - 4.0 / 7.0), "{b}");
    assert!(near(&b["order"]["high"], 1.0 - 7.0 / 16.0), "{b}");
}

#[test]
fn the_grid_brackets_the_exact_breakpoints() {
    let (v, _) = json_of(&[
        "stability",
        "tests/fixtures/stability/two.qi",
        "--top",
        "2",
        "--grid",
        "--format",
        "json",
    ]);
    let a = node(&v, "a");
    assert_eq!(a["method"], "grid");
    let half = f(&a["resolution"]) / 2.0;
    assert_eq!(half, 0.0025);
    for (got, want) in [
        (&a["order"]["low"], 7.0 / 16.0),
        (&a["order"]["high"], 4.0 / 7.0),
        (&a["set"]["low"], 1.0 / 3.0),
        (&a["set"]["high"], 4.0 / 7.0),
    ] {
        assert!((f(got) - want).abs() <= half + 1e-12, "{got} vs {want}");
    }
}

// Scheme `geo`: weighted geometric mean, score = a^t · b^(1 − t); in logs
//   ln u1 = t ln 10,  ln u2 = (1 − t) ln 8,  ln u3 = ln 4,  ln u4 = ln 2.
// At t = ½: u3 4, u1 3.16, u2 2.83, u4 2: top 2 (u3, u1).
// u1 = u3 at t = ln 4 / ln 10 = 0.60206; u1 = u2 at t = ln 8 / (ln 10 + ln 8) = 0.47454;
// u2 = u3 at t = 1 − ln 4 / ln 8 = 1/3.
// Order (u3, u1): u1 > u2 and u3 > u1: [0.47454, 0.60206]; set {u1, u3}: [0.47454, 1].
#[test]
fn geometric_aggregation_uses_the_grid_and_brackets_the_crossings() {
    let (v, _) = json_of(&[
        "stability",
        "tests/fixtures/stability/two.qi",
        "--scheme",
        "geo",
        "--top",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(v["nominal_top"], serde_json::json!(["u3", "u1"]));
    let a = node(&v, "a");
    assert_eq!(a["method"], "grid");
    assert!(a["reason"].as_str().unwrap().contains("geometric"));
    let half = f(&a["resolution"]) / 2.0;
    let (l10, l8, l4) = (10f64.ln(), 8f64.ln(), 4f64.ln());
    for (got, want) in [
        (&a["order"]["low"], l8 / (l10 + l8)),
        (&a["order"]["high"], l4 / l10),
        (&a["set"]["low"], l8 / (l10 + l8)),
        (&a["set"]["high"], 1.0),
    ] {
        assert!((f(got) - want).abs() <= half + 1e-12, "{got} vs {want}");
    }
}

#[test]
fn the_demo_is_identical_for_any_thread_count() {
    let run = |threads: &str| {
        json_of(&[
            "stability",
            "rules/quality_city.qi",
            "--format",
            "json",
            "--threads",
            threads,
        ])
        .1
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    let v: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(v["top"], 10);
    // Every node's nominal share lies inside its own intervals.
    for n in v["nodes"].as_array().unwrap() {
        if n["method"] == "none" {
            continue;
        }
        let t = f(&n["share"]);
        for k in ["order", "set"] {
            assert!(f(&n[k]["low"]) <= t && t <= f(&n[k]["high"]), "{n}");
        }
        // The set is looser than the order.
        assert!(f(&n["set"]["low"]) <= f(&n["order"]["low"]), "{n}");
        assert!(f(&n["set"]["high"]) >= f(&n["order"]["high"]), "{n}");
    }
    let o = qindex(&["stability", "rules/quality_city.qi", "--top", "5"]);
    assert!(o.status.success());
    insta::assert_snapshot!(
        "quality_city_stability_top5",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn exact_and_grid_agree_on_the_demo() {
    let args = |grid: bool| {
        let mut a = vec!["stability", "rules/quality_city.qi", "--format", "json"];
        if grid {
            a.push("--grid");
        }
        json_of(&a).0
    };
    let (exact, grid) = (args(false), args(true));
    let mut checked = 0;
    for (e, g) in exact["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .zip(grid["nodes"].as_array().unwrap())
    {
        if e["method"] != "exact" {
            continue;
        }
        checked += 1;
        let half = f(&g["resolution"]) / 2.0;
        for k in ["order", "set"] {
            for end in ["low", "high"] {
                let (x, y) = (f(&e[k][end]), f(&g[k][end]));
                // A crossing pair closer than a grid step can hide from the grid.
                assert!(
                    (x - y).abs() <= half + 1e-9,
                    "{} {k} {end}: {x} vs {y}",
                    e["id"]
                );
            }
        }
    }
    assert!(checked > 20, "{checked}");
}

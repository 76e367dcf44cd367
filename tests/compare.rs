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

/// The decomposition of `--explain` adds up to the score change, for every unit.
#[test]
fn decomposition_adds_up() {
    use qindex::eval::{self, EvalOptions};
    let (program, _) = qindex::check::load(std::path::Path::new("rules/market_led.qi")).unwrap();
    let a = qindex::check::compile(&program, "default").unwrap().0;
    let b = qindex::check::compile(&program, "market_led").unwrap().0;
    let frame = common::bound_frame(std::path::Path::new("rules/market_led.qi"), &[&a, &b]);
    let ra = eval::evaluate(&a, &frame, &EvalOptions::default()).unwrap();
    let rb = eval::evaluate(&b, &frame, &EvalOptions::default()).unwrap();
    let (pa, pb) = (&ra.periods[0], &rb.periods[0]);
    let mut checked = 0;
    for i in 0..pa.len() {
        let unit = frame.units().get(pa.rows[i]);
        let d = qindex::analysis::compare::decompose(&frame, [&a, &b], [pa, pb], unit).unwrap();
        assert!(
            d.not_split.is_empty(),
            "both schemes aggregate arithmetically"
        );
        let (Some(sa), Some(sb)) = (d.score_a, d.score_b) else {
            continue;
        };
        let top: f64 = d
            .parts
            .iter()
            .filter(|p| p.depth == 1)
            .map(|p| p.weight_effect + p.value_effect)
            .sum();
        assert!(
            (top + d.adjustments - (sb - sa)).abs() < 1e-9,
            "{unit}: {top} + {} vs {}",
            d.adjustments,
            sb - sa
        );
        // Each split group's children add up to its value effect.
        for g in d
            .parts
            .iter()
            .filter(|p| p.depth == 1 && p.value_effect.abs() > 1e-12)
        {
            let mut ids: Vec<String> = Vec::new();
            for plan in [&a, &b] {
                if let Some(n) = plan.find(&g.node) {
                    ids.extend(
                        plan.node(n)
                            .children
                            .iter()
                            .map(|c| plan.node(*c).id.clone()),
                    );
                }
            }
            let kids: f64 = d
                .parts
                .iter()
                .filter(|p| ids.contains(&p.node))
                .map(|p| p.weight_effect + p.value_effect)
                .sum();
            assert!(
                (kids - g.value_effect).abs() < 1e-9,
                "{unit}/{}: {kids} vs {}",
                g.node,
                g.value_effect
            );
        }
        checked += 1;
    }
    assert!(checked >= 35);
    let o = qindex(&[
        "compare",
        "rules/market_led.qi",
        "--scheme",
        "default",
        "--scheme",
        "market_led",
        "--explain",
        "C29",
    ]);
    insta::assert_snapshot!("demo_explain_c29", String::from_utf8_lossy(&o.stdout));
}

/// One scheme in two periods: units matched by id; the decomposition adds up too.
#[test]
fn two_periods() {
    let o = qindex(&[
        "compare",
        "rules/quality_city.qi",
        "--since",
        "2022",
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schemes"], serde_json::json!(["2022", "2023"]));
    let o = qindex(&[
        "compare",
        "rules/quality_city.qi",
        "--since",
        "2022",
        "--explain",
        "C23",
    ]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        out.contains("why C23 moved: 2022 76.69 (rank 2) → 2023 77.97 (rank 1)"),
        "{out}"
    );
    insta::assert_snapshot!("demo_since_2022_explain_c23", out);
}

/// The rows of `--explain` add up to the real score change for every aggregation: where a
/// group is not arithmetic (market_strong's geometric index) the part its change takes is
/// shown as "not split". Before, C15 showed "score change +0.00" for a fall of 14.97.
#[test]
fn decomposition_adds_up_for_every_aggregation() {
    use qindex::eval::{self, EvalOptions};
    let (program, _) = qindex::check::load(std::path::Path::new("rules/market_led.qi")).unwrap();
    let names = ["default", "market_led", "market_strong"];
    let plans: Vec<_> = names
        .iter()
        .map(|n| qindex::check::compile(&program, n).unwrap().0)
        .collect();
    let refs: Vec<&qindex::plan::Plan> = plans.iter().collect();
    let frame = common::bound_frame(std::path::Path::new("rules/market_led.qi"), &refs);
    let results: Vec<_> = plans
        .iter()
        .map(|p| eval::evaluate(p, &frame, &EvalOptions::default()).unwrap())
        .collect();
    let mut not_split = 0;
    for a in 0..3 {
        for b in 0..3 {
            if a == b {
                continue;
            }
            let (pa, pb) = (&results[a].periods[0], &results[b].periods[0]);
            for i in 0..pa.len() {
                let unit = frame.units().get(pa.rows[i]);
                let d = qindex::analysis::compare::decompose(
                    &frame,
                    [&plans[a], &plans[b]],
                    [pa, pb],
                    unit,
                )
                .unwrap();
                let (Some(sa), Some(sb)) = (d.score_a, d.score_b) else {
                    continue;
                };
                let top: f64 = d
                    .parts
                    .iter()
                    .filter(|p| p.depth == 1)
                    .map(|p| p.weight_effect + p.value_effect)
                    .sum();
                let sum = top + d.adjustments + d.not_split_change;
                assert!(
                    (sum - (sb - sa)).abs() < 1e-9,
                    "{} → {}, {unit}: {sum} vs {}",
                    names[a],
                    names[b],
                    sb - sa
                );
                not_split += usize::from(!d.not_split.is_empty());
            }
        }
    }
    assert!(
        not_split > 0,
        "market_strong's geometric index is not split"
    );
    let (pa, pb) = (&results[0].periods[0], &results[2].periods[0]);
    let d = qindex::analysis::compare::decompose(&frame, [&plans[0], &plans[2]], [pa, pb], "C15")
        .unwrap();
    let real = d.score_b.unwrap() - d.score_a.unwrap();
    assert!(real < -1.0, "C15 falls under market_strong");
    let o = qindex(&[
        "compare",
        "rules/market_led.qi",
        "--scheme",
        "default",
        "--scheme",
        "market_strong",
        "--explain",
        "C15",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    let change = out
        .lines()
        .find(|l| l.starts_with("score change"))
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_string();
    assert_eq!(change, format!("{real:+.2}"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("not split")), "{out}");
}

/// `--since P` compares P with the latest period: the heading names both periods (it said
/// "period P"), and each orientation line is named by its period (both said "default:").
#[test]
fn since_names_both_periods() {
    let json = qindex(&[
        "compare",
        "rules/quality_city.qi",
        "--since",
        "2021",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let periods: Vec<&str> = v["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(periods.len(), 2);
    assert_eq!(periods[0], "2021");
    assert_ne!(periods[1], "2021");
    assert!(v["period"].is_null());
    let o = qindex(&["compare", "rules/quality_city.qi", "--since", "2021"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.starts_with(&format!("periods {} → {}", periods[0], periods[1])),
        "{text}"
    );
    for p in &periods {
        assert!(text.contains(&format!("\n  {p}: government")), "{text}");
    }
    assert!(!text.contains("\n  default: government"), "{text}");
}

/// `--explain` with `--format json` appended text after the JSON, so it no longer parsed. The
/// decompositions are now in the document; with CSV it is a usage error.
#[test]
fn explain_keeps_json_one_document() {
    let o = qindex(&[
        "compare",
        "rules/market_led.qi",
        "--explain",
        "C15",
        "--format",
        "json",
    ]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    let ex = v["explanations"].as_array().unwrap();
    assert_eq!(ex.len(), v["schemes"].as_array().unwrap().len() - 1);
    for d in ex {
        let top: f64 = d["parts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["depth"] == 1)
            .map(|p| p["weight_effect"].as_f64().unwrap() + p["value_effect"].as_f64().unwrap())
            .sum();
        let sum =
            top + d["adjustments"].as_f64().unwrap() + d["not_split_change"].as_f64().unwrap();
        let real = d["score_b"].as_f64().unwrap() - d["score_a"].as_f64().unwrap();
        assert!((sum - real).abs() < 1e-9, "{d}");
    }
    let o = qindex(&[
        "compare",
        "rules/market_led.qi",
        "--explain",
        "C15",
        "--format",
        "csv",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
}

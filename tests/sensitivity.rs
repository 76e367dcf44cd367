//! `qindex sensitivity`: the Sobol' indices of the `uncertainty` block's factors.

mod common;

use common::{qindex, root, shared, Loaded};
use qindex::eval::PeriodChoice;
use qindex::sensitivity::indices::{self, Target};
use qindex::sensitivity::kernel::Kernel;
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

fn options(samples: usize, target: Target) -> indices::Options<'static> {
    indices::Options {
        samples,
        seed: 5,
        target,
        period: PeriodChoice::Latest,
        resamples: 100,
        progress: None,
        interrupted: &|| false,
    }
}

/// Two categorical factors, a (3 options) and b (2 options), each uniform: the MARC is a
/// function f(a, b) of six equally likely cells, so the indices are exact:
/// V = Var f; S1_a = Var_a(E[f | a]) / V; ST_a = E_b[Var_a(f | b)] / V = 1 − Var_b(E[f | b]) / V
/// (and symmetrically for b). The cells are evaluated through the kernel at the centres of
/// their uniform intervals (the kernel equals the plain evaluator: tests/kernel.rs); the
/// estimates at N = 4096 must agree within 0.03.
#[test]
fn categorical_factors_match_the_exact_decomposition() {
    let path = root().join("tests/fixtures/sensitivity/choices.qi");
    let loaded = Loaded::new(&path);
    let variants = loaded.variants();
    let plans = loaded.plans(&variants);
    let unc = loaded.base.uncertainty.clone().unwrap();
    let (eval_opts, nominal) = loaded.nominal();
    let nom = &nominal.periods[0];
    let kernel = Kernel::new(&plans, &unc, &loaded.frame, eval_opts, nom.rows.clone());
    // Each factor's uniform goes in the column the layout gives it.
    let cols = kernel.layout().factor_columns();
    let mut f = [[0.0f64; 2]; 3];
    for (a, row) in f.iter_mut().enumerate() {
        for (b, cell) in row.iter_mut().enumerate() {
            let mut u = [0.0; 2];
            u[cols[0][0]] = (a as f64 + 0.5) / 3.0;
            u[cols[1][0]] = (b as f64 + 0.5) / 2.0;
            let o = kernel.evaluate(&u).unwrap();
            let (mut s, mut n) = (0.0, 0.0);
            for (r, nr) in o.ranks.iter().zip(&nom.final_rank) {
                if *r > 0 && *nr > 0 {
                    s += (*r as f64 - *nr as f64).abs();
                    n += 1.0;
                }
            }
            *cell = s / n;
        }
    }
    let all: Vec<f64> = f.iter().flatten().copied().collect();
    let mean = all.iter().sum::<f64>() / 6.0;
    let var = all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 6.0;
    assert!(var > 0.0, "the fixture's choices must move the ranks");
    let var_of = |xs: &[f64]| {
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / xs.len() as f64
    };
    let mean_a: Vec<f64> = f.iter().map(|r| (r[0] + r[1]) / 2.0).collect();
    let mean_b: Vec<f64> = (0..2)
        .map(|b| f.iter().map(|r| r[b]).sum::<f64>() / 3.0)
        .collect();
    let s1 = [var_of(&mean_a) / var, var_of(&mean_b) / var];
    let st = [1.0 - var_of(&mean_b) / var, 1.0 - var_of(&mean_a) / var];

    let report = indices::run(&plans, &loaded.frame, &options(4096, Target::Marc)).unwrap();
    assert_eq!(report.entries.len(), 1);
    let e = &report.entries[0];
    for i in 0..2 {
        assert!(
            (e.s1[i] - s1[i]).abs() < 0.03,
            "S1[{i}] {} vs exact {}",
            e.s1[i],
            s1[i]
        );
        assert!(
            (e.st[i] - st[i]).abs() < 0.03,
            "ST[{i}] {} vs exact {}",
            e.st[i],
            st[i]
        );
    }
    // The fixture has an interaction: total exceeds first order.
    assert!(st[0] - s1[0] > 0.1);
}

#[test]
fn json_is_identical_for_any_thread_count() {
    let run = |threads: &str| {
        json_of(&[
            "sensitivity",
            shared("peers/sobol_300x50.qi").to_str().unwrap(),
            "--samples",
            "64",
            "--target",
            "score",
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
    assert_eq!(v["format"], "qindex.sensitivity/1");
    assert_eq!(v["samples"], 64);
    assert_eq!(v["seed"], 11);
    assert_eq!(v["target"], "score");
    assert_eq!(v["evaluations"], 64 * 12);
    let factors = v["factors"].as_array().unwrap();
    assert_eq!(factors.len(), 10);
    assert_eq!(factors[0], "vary weight g01 50%");
    let entries = v["indices"].as_array().unwrap();
    assert_eq!(entries.len(), 300);
    for e in entries {
        assert!(e["unit"].is_string());
        for k in ["S1", "ST", "S1_conf", "ST_conf"] {
            assert_eq!(e[k].as_array().unwrap().len(), 10, "{k}");
        }
    }
}

/// The group weights of the peers' model: first-order indices of a unit's score sum to about
/// one (the model is nearly additive in the weights) and no total index is below its
/// first-order index by more than the estimates' error.
#[test]
fn score_indices_of_the_peers_model_are_coherent() {
    let (v, _) = json_of(&[
        "sensitivity",
        shared("peers/sobol_300x50.qi").to_str().unwrap(),
        "--target",
        "score",
        "--format",
        "json",
    ]);
    let entries = v["indices"].as_array().unwrap();
    let mut sums = Vec::new();
    for e in entries {
        let s1: Vec<f64> = e["S1"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let st: Vec<f64> = e["ST"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        sums.push(s1.iter().sum::<f64>());
        for (a, b) in s1.iter().zip(&st) {
            assert!(b - a > -0.05, "ST {b} well below S1 {a}");
        }
    }
    let mean = sums.iter().sum::<f64>() / sums.len() as f64;
    assert!((0.85..=1.1).contains(&mean), "mean ΣS1 = {mean}");
}

#[test]
fn rank_target_covers_every_ranked_unit_and_explains_missing_indices() {
    let (v, _) = json_of(&[
        "sensitivity",
        "rules/market_led.qi",
        "--samples",
        "64",
        "--target",
        "rank",
        "--format",
        "json",
    ]);
    let entries = v["indices"].as_array().unwrap();
    // 36 cities, one vetoed in the nominal results.
    assert_eq!(entries.len(), 35);
    assert_eq!(v["factors"].as_array().unwrap().len(), 8);
    // The top city keeps rank 1 in every evaluation: no indices, and a note says why.
    assert!(entries[0]["S1"][0].is_null());
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("kept the same rank")),
        "{notes:?}"
    );
}

#[test]
fn samples_not_a_power_of_two_are_noted() {
    let o = qindex(&[
        "sensitivity",
        "tests/fixtures/sensitivity/choices.qi",
        "--samples",
        "100",
    ]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("not a power of two"), "{out}");
    assert!(out.contains("use 128"), "{out}");
}

#[test]
fn an_interrupted_run_returns_without_results() {
    let path = root().join("tests/fixtures/sensitivity/choices.qi");
    let loaded = Loaded::new(&path);
    let variants = loaded.variants();
    let plans = loaded.plans(&variants);
    let mut opts = options(64, Target::Marc);
    opts.interrupted = &|| true;
    assert!(matches!(
        indices::run(&plans, &loaded.frame, &opts),
        Err(qindex::Error::Interrupted)
    ));
    let u = qindex::sensitivity::uncertainty::Options {
        samples: 10,
        seed: 1,
        top_n: Some(3),
        period: PeriodChoice::Latest,
        progress: None,
        interrupted: &|| true,
    };
    assert!(matches!(
        qindex::sensitivity::uncertainty::run(&plans, &loaded.frame, &u),
        Err(qindex::Error::Interrupted)
    ));
}

#[test]
fn rules_without_an_uncertainty_block_are_a_usage_error() {
    let o = qindex(&["sensitivity", "rules/hdi.qi"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no `uncertainty` block"), "{err}");
}

#[test]
fn csv_has_a_row_per_unit_and_factor() {
    let o = qindex(&[
        "sensitivity",
        shared("peers/sobol_300x50.qi").to_str().unwrap(),
        "--samples",
        "32",
        "--target",
        "score",
        "--format",
        "csv",
        "--resamples",
        "10",
    ]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "unit,factor,S1,S1_conf,ST,ST_conf");
    assert_eq!(lines.len(), 1 + 300 * 10);
}

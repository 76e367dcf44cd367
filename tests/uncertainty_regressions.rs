//! The three faults of the uncertainty and sensitivity analyses found on the shipped rules
//! (Sobol' indices on the wrong factor, options crossed between `choose` lines, a
//! `choose aggregate` that reached only the index), each reproduced as it was found, and the
//! analysis checked against an independent path: one line alone in the block.

mod common;

use common::{qindex, root, Loaded};
use qindex::plan::{Aggregate, MissingPolicy, Normalise};
use qindex::sensitivity::kernel::Kernel;
use serde_json::Value;
use std::path::PathBuf;

/// `rules/market_led.qi` with its `uncertainty` block replaced by `lines`, written beside it
/// under a name of its own (its `use` is relative). Removed when dropped.
struct Variant(PathBuf);

impl Variant {
    fn new(name: &str, lines: &[&str], samples: usize) -> Variant {
        let text = std::fs::read_to_string(root().join("rules/market_led.qi")).unwrap();
        let i = text.find("\nuncertainty {").unwrap();
        let mut out = text[..i].to_string();
        out.push_str(&format!(
            "\nuncertainty {{\n    samples {samples}\n    seed 2013\n"
        ));
        for l in lines {
            out.push_str(&format!("    {l}\n"));
        }
        out.push_str("}\n");
        let path = root().join(format!("rules/.test-{name}-{}.qi", std::process::id()));
        std::fs::write(&path, out).unwrap();
        Variant(path)
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Variant {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn json_of(args: &[&str]) -> Value {
    let o = qindex(args);
    assert!(
        o.status.success(),
        "qindex {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_str(&String::from_utf8(o.stdout).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

/// The MARC of each line alone in the block (one factor at a time).
fn oat_marc(name: &str, line: &str) -> f64 {
    let v = Variant::new(name, &[line], 1000);
    json_of(&["uncertainty", v.arg(), "--format", "json"])["marc"]
        .as_f64()
        .unwrap()
}

const MARKET_LED: &[&str] = &[
    "vary weights 20%",
    "vary weights in infrastructure 10%",
    "choose normalise [minmax, zscore(100, 10), percentile]",
    "choose aggregate [arithmetic, geometric] at quality_city",
    "choose missing [skip, mean, median]",
    "choose scheme [default, market_led, market_strong]",
    "drop indicator in product",
    "vary survey citizens",
];

/// Fault 1, as found: the scheme got S1 0.00 on the shipped block, and moving `choose scheme`
/// to the first line changed the indices. Now the scheme drives the MARC, and moving the
/// line moves its indices with it and changes nothing else.
#[test]
fn sobol_indices_follow_the_factor_not_its_line() {
    let shipped = json_of(&[
        "sensitivity",
        "rules/market_led.qi",
        "--samples",
        "256",
        "--format",
        "json",
    ]);
    let mut moved_lines = vec![MARKET_LED[5]];
    moved_lines.extend(
        MARKET_LED
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 5)
            .map(|(_, l)| *l),
    );
    let moved = Variant::new("moved", &moved_lines, 1000);
    let moved = json_of(&[
        "sensitivity",
        moved.arg(),
        "--samples",
        "256",
        "--format",
        "json",
    ]);
    let factors_a: Vec<&str> = shipped["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let factors_b: Vec<&str> = moved["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(factors_b[0], MARKET_LED[5]);
    let (a, b) = (&shipped["indices"][0], &moved["indices"][0]);
    for key in ["S1", "ST"] {
        let (xa, xb) = (floats(&a[key]), floats(&b[key]));
        for (i, f) in factors_a.iter().enumerate() {
            let j = factors_b.iter().position(|g| g == f).unwrap();
            assert!(
                (xa[i] - xb[j]).abs() < 1e-12,
                "{key} of {f}: {} vs {}",
                xa[i],
                xb[j]
            );
        }
    }
    let st = floats(&a["ST"]);
    let scheme = factors_a
        .iter()
        .position(|f| f.starts_with("choose scheme"))
        .unwrap();
    for (i, s) in st.iter().enumerate() {
        if i != scheme {
            assert!(st[scheme] > *s, "the scheme drives the MARC: {st:?}");
        }
    }
}

/// Fault 1, second reproduction: a block of `choose missing` then `choose scheme` gave
/// `missing` S1 1.00, although `missing` alone moves nothing (its policy reaches only
/// indicators complete in the latest period) and the scheme alone moves a lot.
#[test]
fn a_factor_that_moves_nothing_explains_nothing() {
    assert_eq!(oat_marc("missing", MARKET_LED[4]), 0.0);
    assert!(oat_marc("scheme", MARKET_LED[5]) > 1.0);
    let v = Variant::new("two", &[MARKET_LED[4], MARKET_LED[5]], 1000);
    let r = json_of(&[
        "sensitivity",
        v.arg(),
        "--samples",
        "256",
        "--format",
        "json",
    ]);
    let (s1, st) = (
        floats(&r["indices"][0]["S1"]),
        floats(&r["indices"][0]["ST"]),
    );
    assert!(
        s1[0].abs() < 1e-12 && st[0].abs() < 1e-12,
        "missing: {s1:?} {st:?}"
    );
    assert!(st[1] > 0.99, "scheme: {st:?}");
}

/// The analysis against its independent path: the factors' total indices are in the order
/// of their one-at-a-time MARCs, wherever those differ clearly (by half and by 0.05).
#[test]
fn sensitivity_orders_the_factors_as_one_at_a_time() {
    let oat: Vec<f64> = MARKET_LED
        .iter()
        .enumerate()
        .map(|(i, l)| oat_marc(&format!("oat{i}"), l))
        .collect();
    let r = json_of(&[
        "sensitivity",
        "rules/market_led.qi",
        "--samples",
        "1024",
        "--format",
        "json",
    ]);
    let st = floats(&r["indices"][0]["ST"]);
    for i in 0..oat.len() {
        for j in 0..oat.len() {
            if oat[i] > 1.5 * oat[j] && oat[i] - oat[j] > 0.05 {
                assert!(
                    st[i] > st[j],
                    "`{}` (MARC alone {:.3}, ST {:.3}) against `{}` (MARC alone {:.3}, ST {:.3})",
                    MARKET_LED[i],
                    oat[i],
                    st[i],
                    MARKET_LED[j],
                    oat[j],
                    st[j]
                );
            }
        }
    }
}

/// Fault 2, as found: with `choose normalise [minmax, percentile]` (two options beside
/// lines of three) the run panicked ("index out of bounds: the len is 2 but the index is
/// 2"). Now it runs, and every option of every line is drawn with its own line's number: the
/// plan of a replication has exactly the options its uniforms pick.
#[test]
fn each_line_draws_its_own_options() {
    let lines = [
        "choose normalise [minmax, percentile]",
        "choose missing [skip, mean, median]",
        "choose scheme [default, market_led, market_strong]",
        "choose aggregate [arithmetic, geometric, harmonic, min] at quality_city",
    ];
    let v = Variant::new("counts", &lines, 300);
    let o = qindex(&["uncertainty", v.arg(), "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let loaded = Loaded::new(&v.0);
    let variants = loaded.variants();
    let plans = loaded.plans(&variants);
    let unc = loaded.base.uncertainty.clone().unwrap();
    let (eval_opts, nominal) = loaded.nominal();
    let kernel = Kernel::new(
        &plans,
        &unc,
        &loaded.frame,
        eval_opts,
        nominal.periods[0].rows.clone(),
    );
    let cols = kernel.layout().factor_columns();
    // `complaints` sets neither its normalisation nor its missing-data policy.
    let normalise = [Normalise::MinMax, Normalise::Percentile];
    let missing = [
        MissingPolicy::Skip,
        MissingPolicy::Mean,
        MissingPolicy::Median,
    ];
    let schemes = ["default", "market_led", "market_strong"];
    let aggregate = [
        Aggregate::Arithmetic,
        Aggregate::Geometric,
        Aggregate::Harmonic,
        Aggregate::Min,
    ];
    for (n, normalise) in normalise.iter().enumerate() {
        for (m, missing) in missing.iter().enumerate() {
            for (s, scheme) in schemes.iter().enumerate() {
                for (a, aggregate) in aggregate.iter().enumerate() {
                    let mut u = vec![0.0; kernel.layout().dims()];
                    u[cols[0][0]] = (n as f64 + 0.5) / 2.0;
                    u[cols[1][0]] = (m as f64 + 0.5) / 3.0;
                    u[cols[2][0]] = (s as f64 + 0.5) / 3.0;
                    u[cols[3][0]] = (a as f64 + 0.5) / 4.0;
                    let plan = kernel.plan_for(&u).unwrap();
                    assert_eq!(plan.scheme, *scheme);
                    let id = plan.find("complaints").unwrap();
                    let ind = plan.node(id).indicator.as_ref().unwrap();
                    assert_eq!(ind.normalise, *normalise, "{n} {m} {s} {a}");
                    assert_eq!(ind.missing, vec![missing.clone()], "{n} {m} {s} {a}");
                    let root = plan.node(qindex::plan::NodeId::ROOT);
                    assert_eq!(root.group.as_ref().unwrap().aggregate, *aggregate);
                }
            }
        }
    }
}

/// Fault 3: `choose aggregate` without `at` switched only the index. It reaches what
/// `aggregate X` in a scheme reaches: every group that does not set its own aggregation.
#[test]
fn choose_aggregate_switches_every_level() {
    let v = Variant::new(
        "aggregate",
        &["choose aggregate [arithmetic, geometric]"],
        100,
    );
    let loaded = Loaded::new(&v.0);
    let variants = loaded.variants();
    let plans = loaded.plans(&variants);
    let unc = loaded.base.uncertainty.clone().unwrap();
    let (eval_opts, nominal) = loaded.nominal();
    let kernel = Kernel::new(
        &plans,
        &unc,
        &loaded.frame,
        eval_opts.clone(),
        nominal.periods[0].rows.clone(),
    );
    let geometric = kernel.plan_for(&[0.75]).unwrap();
    // The same override in a scheme, compiled from rules text.
    let text = format!(
        "{}\nscheme all_geometric {{\n    aggregate geometric\n}}\n",
        std::fs::read_to_string(&v.0).unwrap()
    );
    let (program, _) =
        qindex::check::load_text(&v.0.with_file_name(".test-scheme.qi"), text).unwrap();
    let (scheme, _) = qindex::check::compile(&program, "all_geometric").unwrap();
    let mut groups = 0;
    for (a, b) in geometric.nodes.iter().zip(&scheme.nodes) {
        assert_eq!(a.id, b.id);
        if let (Some(ga), Some(gb)) = (&a.group, &b.group) {
            assert_eq!(ga.aggregate, gb.aggregate, "{}", a.id);
            groups += usize::from(ga.aggregate == Aggregate::Geometric);
        }
    }
    assert!(groups > 5, "every level: {groups} geometric groups");
    // And the replication's scores are that scheme's.
    let kernel_scores = kernel.evaluate(&[0.75]).unwrap().scores;
    let run = qindex::eval::evaluate(&scheme, &loaded.frame, &eval_opts).unwrap();
    for (k, r) in kernel_scores.iter().zip(&run.periods[0].score) {
        assert!(k.is_nan() || (k - r).abs() < 1e-9, "{k} vs {r}");
    }
}

//! `vary survey ID` (LANGUAGE.md, "Surveys (v1)"): the rescaling bootstrap as a factor of the
//! uncertainty and sensitivity analyses, on the shipped system (`rules/market_led.qi` varies
//! the citizen survey of `rules/quality_city.qi`).
//!
//! The kernel's replications are checked against the plain evaluator in `tests/kernel.rs`;
//! here: the checker, the bootstrap's spread through the kernel against the linearised SE, the
//! line as one input of the Saltelli design, and the survey-alone summary against the audit
//! export of a block that varies the survey alone.

mod common;

use common::{qindex, qindex_ok, root, Loaded};
use qindex::eval::DataOptions;
use qindex::sensitivity::kernel::Kernel;
use qindex::session::Session;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A folder for one test, removed when it ends.
struct Fresh(PathBuf);

impl Drop for Fresh {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fresh(name: &str) -> Fresh {
    let dir =
        std::env::temp_dir().join(format!("qindex-vary-survey-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Fresh(dir)
}

/// Rules that `use` the shipped system and add `block` (an `uncertainty` block).
fn over_quality_city(dir: &Path, block: &str) -> PathBuf {
    let path = dir.join("rules.qi");
    let used = root().join("rules/quality_city.qi");
    std::fs::write(&path, format!("use \"{}\"\n\n{block}", used.display())).unwrap();
    path
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn vary_survey_names_a_declared_survey_once() {
    let dir = fresh("check");
    let path = over_quality_city(&dir.0, "uncertainty {\n    vary survey citizen\n}\n");
    let o = qindex(&["check", &path.display().to_string()]);
    assert!(!o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let (_, diags) = common::check_file(&path);
    assert!(diags
        .iter()
        .any(|d| d.code == "unknown-survey" && d.is_error()));
    assert!(err.contains("there is no survey `citizen`"), "{err}");
    assert!(err.contains("did you mean `citizens`?"), "{err}");
    assert!(err.contains("rules.qi:4:17"), "the span of the name: {err}");

    let path = over_quality_city(
        &dir.0,
        "uncertainty {\n    vary survey citizens\n    vary survey citizens\n}\n",
    );
    let o = qindex(&["check", &path.display().to_string()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("already listed"), "{}", stderr(&o));
    let (_, diags) = common::check_file(&path);
    assert!(diags
        .iter()
        .any(|d| d.code == "repeated-factor" && d.is_error()));

    // A survey no indicator reads: the line changes nothing, and says so.
    let unread = dir.0.join("unread.qi");
    std::fs::write(
        &unread,
        "survey people {\n    data \"people.csv\"\n    by city\n    scale 1..5\n    dimension d {\n        item q1\n    }\n}\n\n\
         index t by city {\n    indicator x\n    indicator y\n}\n\n\
         uncertainty {\n    vary survey people\n}\n",
    )
    .unwrap();
    let (_, diags) = common::check_file(&unread);
    let codes: Vec<(&str, bool)> = diags.iter().map(|d| (d.code, d.is_error())).collect();
    assert!(
        codes.contains(&("uncertainty-unread-survey", false)),
        "{codes:?}"
    );
}

#[test]
fn vary_survey_formats_and_round_trips() {
    let text = "uncertainty {\n  vary   survey    citizens   # the bootstrap\n  samples 10\n}\n";
    let dir = fresh("fmt");
    let path = over_quality_city(&dir.0, text);
    let once = qindex_ok(&["fmt", &path.display().to_string()]);
    let once = String::from_utf8(once).unwrap();
    assert!(
        once.contains("    vary survey citizens  # the bootstrap\n"),
        "{once}"
    );
    std::fs::write(&path, &once).unwrap();
    let twice = String::from_utf8(qindex_ok(&["fmt", &path.display().to_string()])).unwrap();
    assert_eq!(once, twice, "fmt is idempotent");
}

/// The spread of the estimates the kernel's replications re-estimate (2,000 replications of
/// `rules/market_led.qi`, every line drawn) agrees with the linearised standard errors of
/// `qindex survey`: the median ratio of bootstrap SD to SE over units × estimates is in
/// 0.9–1.1 (LANGUAGE.md: "Its variance matches the linearised SE to within sampling error").
#[test]
fn the_kernels_bootstrap_spread_matches_the_linearised_se() {
    let path = root().join("rules/market_led.qi");
    let loaded = Loaded::new(&path);
    let (base, frame) = (&loaded.base, &loaded.frame);
    let unc = base.uncertainty.clone().expect("a block");
    let (eval_opts, nominal) = loaded.nominal();
    let variants = loaded.variants();
    let plans = loaded.plans(&variants);
    let kernel = Kernel::new(
        &plans,
        &unc,
        frame,
        eval_opts,
        nominal.periods[0].rows.clone(),
    );
    let dims = kernel.layout().dims();
    let reps = 2000;
    // Per column and frame row: Σx and Σx² over the replications.
    let mut sums: HashMap<String, (Vec<f64>, Vec<f64>)> = HashMap::new();
    let mut u = vec![0.0; dims];
    for r in 0..reps {
        qindex::sensitivity::uncertainty::fill_replication(11, r, &mut u);
        let t = kernel.trace(&u).unwrap();
        assert_eq!(t.survey.len(), 3, "the three estimates the index reads");
        for (column, values) in &t.survey {
            let (s, q) = sums
                .entry(column.clone())
                .or_insert_with(|| (vec![0.0; values.len()], vec![0.0; values.len()]));
            for (k, v) in values.iter().enumerate() {
                s[k] += v;
                q[k] += v * v;
            }
        }
    }
    // The linearised SEs, by unit and period, from the session's own estimates.
    let session = Session::load(&path).unwrap();
    let plan = session.plan("default").unwrap().clone();
    let data = session.bind(&[&plan], &DataOptions::default()).unwrap();
    let est = &data.surveys[0];
    let periods = frame.periods().expect("a panel");
    let mut ratios = Vec::new();
    for (column, (s, q)) in &sums {
        let name = column.strip_prefix("citizens.").expect("a citizens column");
        for row in 0..frame.len() {
            let Some(e) = est
                .unit(frame.units().get(row), Some(periods.get(row)))
                .and_then(|u| u.get(name))
            else {
                continue;
            };
            let (Some(se), true) = (e.se, s[row].is_finite()) else {
                continue;
            };
            let n = reps as f64;
            let mean = s[row] / n;
            let sd = ((q[row] - n * mean * mean) / (n - 1.0)).max(0.0).sqrt();
            ratios.push(sd / se);
        }
    }
    assert!(
        ratios.len() >= 100,
        "{} unit × period estimates",
        ratios.len()
    );
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    assert!(
        (0.9..=1.1).contains(&median),
        "median bootstrap SD / linearised SE = {median}"
    );
}

/// In the Saltelli design a `vary survey` line is one input: a block that varies the survey
/// alone gives row AB_0 exactly the outcome of row B (its only input taken from B), and the
/// survey's first-order and total indices are those of the whole variance.
#[test]
fn vary_survey_is_one_input_of_the_saltelli_design() {
    let dir = fresh("sobol");
    let path = over_quality_city(
        &dir.0,
        "uncertainty {\n    samples 64\n    seed 5\n    vary survey citizens\n}\n",
    );
    let loaded = Loaded::new(&path);
    let (base, frame) = (&loaded.base, &loaded.frame);
    let unc = base.uncertainty.clone().unwrap();
    let (eval_opts, nominal) = loaded.nominal();
    let variants = loaded.variants();
    let plans = loaded.plans(&variants);
    let mut kernel = Kernel::new(
        &plans,
        &unc,
        frame,
        eval_opts,
        nominal.periods[0].rows.clone(),
    );
    assert_eq!(kernel.layout().factor_columns(), vec![vec![0]]);
    let design =
        qindex::sensitivity::sobol::Design::new(64, kernel.layout().factor_columns(), 5).unwrap();
    let outcomes = kernel
        .run(design.rows(), 2, |r, u| design.row(r, u))
        .unwrap();
    let mut distinct = std::collections::HashSet::new();
    for r in 0..design.rows() {
        let (sample, block) = design.block(r);
        if let qindex::sensitivity::sobol::Block::Ab(0) = block {
            let b = (0..design.rows())
                .find(|&k| design.block(k) == (sample, qindex::sensitivity::sobol::Block::B))
                .unwrap();
            let bits = |o: &qindex::sensitivity::kernel::Outcome| -> Vec<u64> {
                o.scores.iter().map(|x| x.to_bits()).collect()
            };
            assert_eq!(
                outcomes[r].ranks, outcomes[b].ranks,
                "sample {sample}: AB_0 is B"
            );
            assert_eq!(bits(&outcomes[r]), bits(&outcomes[b]), "sample {sample}");
        }
        distinct.insert(format!("{:?}", outcomes[r].ranks));
    }
    assert!(distinct.len() > 1, "the survey's draws move the ranks");

    let json = qindex_ok(&[
        "sensitivity",
        &path.display().to_string(),
        "--format",
        "json",
        "--quiet",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let text = v.to_string();
    assert!(text.contains("vary survey citizens"), "{text}");
}

/// `qindex uncertainty rules/market_led.qi` reports the survey's sampling error alone: its
/// rank intervals and swapped pairs equal those recomputed from the audit export of a block
/// that varies the survey alone (same seed, same base plan), and the output is identical on
/// one and two threads.
#[test]
fn the_survey_alone_summary_equals_a_block_that_varies_it_alone() {
    let market = root().join("rules/market_led.qi");
    let m = market.display().to_string();
    let json = |threads: &str| -> serde_json::Value {
        let out = qindex_ok(&[
            "uncertainty",
            &m,
            "--format",
            "json",
            "--quiet",
            "--threads",
            threads,
        ]);
        serde_json::from_slice(&out).unwrap()
    };
    let full = json("2");
    assert_eq!(full, json("1"), "the same output on one and two threads");
    let alone = &full["survey_alone"];
    assert_eq!(
        alone["factors"],
        serde_json::json!(["vary survey citizens"])
    );
    let samples = alone["samples"].as_u64().unwrap();

    let dir = fresh("alone");
    let block = format!(
        "uncertainty {{\n    samples {samples}\n    seed 2013\n    vary survey citizens\n}}\n"
    );
    let path = over_quality_city(&dir.0, &block);
    let p = path.display().to_string();
    let own: serde_json::Value = serde_json::from_slice(&qindex_ok(&[
        "uncertainty",
        &p,
        "--format",
        "json",
        "--quiet",
    ]))
    .unwrap();
    // The same intervals, unit by unit.
    let by_unit =
        |units: &serde_json::Value| -> Vec<(String, serde_json::Value, serde_json::Value)> {
            units
                .as_array()
                .unwrap()
                .iter()
                .map(|u| {
                    (
                        u["unit"].as_str().unwrap().to_string(),
                        u["p05_rank"].clone(),
                        u["p95_rank"].clone(),
                    )
                })
                .collect()
        };
    assert_eq!(by_unit(&alone["units"]), by_unit(&own["units"]));

    // The swapped pairs, counted from the audit export's ranks.
    let export = dir.0.join("replications.jsonl");
    qindex_ok(&[
        "uncertainty",
        &p,
        "--replications",
        &export.display().to_string(),
        "--quiet",
    ]);
    let text = std::fs::read_to_string(&export).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len() as u64, samples);
    for r in &records {
        let survey = r["survey"]["citizens.satisfaction"].as_object();
        assert!(
            survey.is_some_and(|s| !s.is_empty()),
            "the record shows the estimates drawn"
        );
    }
    let nominal: HashMap<String, u64> = own["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| Some((u["unit"].as_str()?.to_string(), u["nominal_rank"].as_u64()?)))
        .collect();
    let mut want = Vec::new();
    for (a, ra) in &nominal {
        for (b, rb) in &nominal {
            if ra >= rb {
                continue;
            }
            let swapped = records
                .iter()
                .filter(|r| {
                    let (x, y) = (r["ranks"][a].as_u64(), r["ranks"][b].as_u64());
                    matches!((x, y), (Some(x), Some(y)) if y < x)
                })
                .count();
            let share = swapped as f64 / samples as f64;
            if share >= qindex::sensitivity::uncertainty::SWAP_SHARE {
                want.push((a.clone(), b.clone(), share));
            }
        }
    }
    let mut got: Vec<(String, String, f64)> = alone["swaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["higher"].as_str().unwrap().to_string(),
                w["lower"].as_str().unwrap().to_string(),
                w["share"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(
        !got.is_empty(),
        "the shipped survey's error swaps some neighbours"
    );
    want.sort_by(|x, y| x.partial_cmp(y).unwrap());
    got.sort_by(|x, y| x.partial_cmp(y).unwrap());
    assert_eq!(got, want);

    // The table says it in words.
    let table = String::from_utf8(qindex_ok(&["uncertainty", &m, "--quiet"])).unwrap();
    assert!(
        table.contains("the survey's sampling error alone"),
        "{table}"
    );
    assert!(table.contains("swaps with"), "{table}");
}

//! `qindex run`: values checked by hand on a small fixture, snapshots of the demo and the
//! fixture, the data-error corpus, and byte-identical output across runs and thread counts.

mod common;

use qindex::eval::{self, DataOptions, EvalOptions, PeriodChoice};
use qindex::plan::NodeId;
use std::path::Path;

use common::qindex;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Every value of `tests/fixtures/run/small.qi` in 2023, computed here by hand from its data.
#[test]
fn small_fixture_by_hand() {
    let (program, _) = qindex::check::load(Path::new("tests/fixtures/run/small.qi")).unwrap();
    let (plan, _) = qindex::check::compile(&program, "default").unwrap();
    let opts = DataOptions::default();
    let (frame, _) =
        eval::load_data(&plan, &eval::data_path(&plan, &opts).unwrap(), &opts).unwrap();
    let results = eval::evaluate(&plan, &frame, &EvalOptions::default()).unwrap();
    assert_eq!(results.periods.len(), 1, "the latest period by default");
    let p = &results.periods[0];
    assert_eq!(p.period.as_deref(), Some("2023"));
    let node = |id: &str| plan.find(id).unwrap();
    let row = |unit: &str| {
        (0..p.len())
            .find(|i| frame.units().get(p.rows[*i]) == unit)
            .unwrap()
    };
    let (a, b, c, d) = (row("A"), row("B"), row("C"), row("D"));

    // x = x_num / x_den * 100: 50, 60, 80, 100 → min-max onto 0..100.
    let x = [50.0, 60.0, 80.0, 100.0].map(|v: f64| (v - 50.0) / 50.0 * 100.0);
    // y, lower is better: 10, 20, 30, 40 → (40 − y) / 30 · 100.
    let y = [10.0, 20.0, 30.0, 40.0].map(|v: f64| (40.0 - v) / 30.0 * 100.0);
    // z with goalposts 0..10: 2, 4, 12 (clamped), 8.
    let z = [20.0, 40.0, 100.0, 80.0];
    // w: 4, missing, 2, 8; the missing one is the mean of the others (14/3) → min-max over 2..8.
    let w = [4.0, 14.0 / 3.0, 2.0, 8.0].map(|v: f64| (v - 2.0) / 6.0 * 100.0);
    for (k, r) in [a, b, c, d].into_iter().enumerate() {
        assert!(close(p.value(node("x"), r), x[k]), "x of row {k}");
        assert!(close(p.value(node("y"), r), y[k]), "y of row {k}");
        assert!(close(p.value(node("z"), r), z[k]), "z of row {k}");
        assert!(close(p.value(node("w"), r), w[k]), "w of row {k}");
        let ga = (x[k] + y[k]) / 2.0;
        let gb = (z[k] * w[k]).sqrt(); // geometric mean, equal weights
        assert!(close(p.value(node("a"), r), ga), "a of row {k}");
        assert!(close(p.value(node("b"), r), gb), "b of row {k}");
        assert!(
            close(p.value(NodeId::ROOT, r), 0.75 * ga + 0.25 * gb),
            "index of row {k}"
        );
    }
    assert_eq!(
        p.flag(plan.find("w").unwrap(), b),
        qindex::eval::flags::IMPUTED
    );
    assert_eq!(
        p.flag(plan.find("z").unwrap(), c),
        qindex::eval::flags::CLAMPED
    );
    // Adjustments: bonus pilot·2 at most 3 (B: 2, C: 3); D is vetoed.
    assert!(close(p.bonus[b], 2.0) && close(p.bonus[c], 3.0) && close(p.bonus[a], 0.0));
    assert!(close(p.score[b], p.value(NodeId::ROOT, b) + 2.0));
    assert!(p.vetoed[d] && !p.vetoed[a]);
    // Final ranks from the adjusted scores; the vetoed unit is unranked.
    assert_eq!(
        [
            p.final_rank[a],
            p.final_rank[b],
            p.final_rank[c],
            p.final_rank[d]
        ],
        [2, 1, 3, 0]
    );
    // Standard competition ranks of group a: A and D tie at 50.
    assert_eq!(
        [a, b, c, d].map(|r| p.rank[node("a").index()][r]),
        [1, 4, 3, 1],
        "ties share the best rank, the next rank is skipped"
    );
}

#[test]
fn every_period_with_period_all() {
    let (program, _) = qindex::check::load(Path::new("tests/fixtures/run/small.qi")).unwrap();
    let (plan, _) = qindex::check::compile(&program, "default").unwrap();
    let opts = DataOptions::default();
    let (frame, _) =
        eval::load_data(&plan, &eval::data_path(&plan, &opts).unwrap(), &opts).unwrap();
    let all = eval::evaluate(
        &plan,
        &frame,
        &EvalOptions {
            period: PeriodChoice::All,
            filter: None,
            ..Default::default()
        },
    )
    .unwrap();
    let names: Vec<_> = all
        .periods
        .iter()
        .map(|p| p.period.clone().unwrap())
        .collect();
    assert_eq!(names, ["2022", "2023"]);
    // In 2022 z is 5 for everyone: goalposts give 50, whatever the others do.
    let z = plan.find("z").unwrap();
    assert!(all.periods[0].values(z).iter().all(|v| close(*v, 50.0)));
    let err = eval::evaluate(
        &plan,
        &frame,
        &EvalOptions {
            period: PeriodChoice::One("2030".into()),
            filter: None,
            ..Default::default()
        },
    );
    assert!(matches!(err, Err(qindex::Error::Usage(m)) if m.contains("2022, 2023")));
}

#[test]
fn small_fixture_outputs() {
    for (name, args) in [
        ("table", vec!["--format", "table", "--indicators"]),
        ("csv", vec!["--format", "csv", "--period", "all"]),
        ("json", vec!["--format", "json"]),
        ("top", vec!["--format", "table", "--top", "2"]),
        ("where", vec!["--format", "csv", "--where", "y < 40"]),
    ] {
        let mut all = vec!["run", "tests/fixtures/run/small.qi"];
        all.extend(args);
        let o = qindex(&all);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o.stderr));
        insta::assert_snapshot!(format!("small_{name}"), text(&o.stdout));
    }
}

#[test]
fn demo_outputs() {
    let o = qindex(&["run", "rules/quality_city.qi", "--format", "table"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    insta::assert_snapshot!("demo_table", text(&o.stdout));
    insta::assert_snapshot!("demo_warnings", text(&o.stderr));
    let o = qindex(&[
        "run",
        "rules/market_led.qi",
        "--scheme",
        "market_led",
        "--format",
        "table",
        "--depth",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    insta::assert_snapshot!("demo_market_led_table", text(&o.stdout));
}

/// The demo's planted facts show in the results: the vetoed city, the winsorised outliers.
#[test]
fn demo_planted_facts() {
    let o = qindex(&["run", "rules/quality_city.qi", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 36);
    let vetoed: Vec<&str> = results
        .iter()
        .filter(|r| r["adjustments"]["vetoed"] == true)
        .map(|r| r["unit"].as_str().unwrap())
        .collect();
    assert_eq!(vetoed, ["C24"]);
    assert!(results.iter().any(|r| r["nodes"]["brands"]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "winsorised")));
    assert_eq!(v["format"], "qindex.run/1");
}

#[test]
fn identical_bytes_across_runs_and_thread_counts() {
    for format in ["csv", "json"] {
        let run = |threads: &str| {
            let o = qindex(&[
                "run",
                "rules/market_led.qi",
                "--scheme",
                "market_strong",
                "--period",
                "all",
                "--indicators",
                "--format",
                format,
                "--threads",
                threads,
            ]);
            assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
            o.stdout
        };
        let one = run("1");
        assert_eq!(one, run("1"), "{format}: two runs");
        assert_eq!(one, run("2"), "{format}: 1 and 2 threads");
    }
}

#[test]
fn output_file_is_written_whole() {
    let dir = std::env::temp_dir().join(format!("qindex-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("result.csv");
    let o = qindex(&[
        "run",
        "tests/fixtures/run/small.qi",
        "--format",
        "csv",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .starts_with("city,name,year,score,rank"));
    // A run that fails leaves the previous file as it was and no temporary file.
    let o = qindex(&[
        "run",
        "tests/fixtures/run/small.qi",
        "--period",
        "1999",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .starts_with("city,name,year,score,rank"));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Each file of `tests/corpus/data_err/` gives a clear message naming the file, row and
/// column (or the rules span), and never a panic.
#[test]
fn data_error_corpus() {
    insta::glob!("corpus/data_err/*.qi", |path| {
        let rel = common::relative(path);
        let o = qindex(&["run", rel.to_str().unwrap(), "--format", "csv"]);
        let err = text(&o.stderr);
        assert!(!err.contains("panicked"), "{err}");
        let code = o.status.code().unwrap();
        assert!(code == 0 || code == 1 || code == 2);
        if code != 0 {
            assert!(err.contains("error"), "{err}");
        }
        insta::assert_snapshot!(format!("exit {code}\n{err}"));
    });
}

/// A table large enough for the paths only big inputs take — a mapped data file, the parallel
/// CSV writer (several chunks), radix ranking (64Ki values and more) — with ties and missing
/// values: the same bytes with 1, 2 and 3 threads, and ranks that are standard competition
/// ranks of the scores.
#[test]
fn large_table_same_bytes_whatever_the_threads() {
    let dir = std::env::temp_dir().join(format!("qindex-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let n = 150_000usize;
    let mut csv = String::from("unit,a,b,c,d\n");
    let mut state = 5u64;
    for i in 0..n {
        let mut cell = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            match (state >> 33) % 40 {
                0 => String::new(),
                1..=4 => format!("{}", (state >> 40) % 7),
                _ => format!("{:.4}", ((state >> 20) % 1_000_000) as f64 / 1e4 - 20.0),
            }
        };
        csv.push_str(&format!(
            "U{i:07},{},{},{},{}\r\n",
            cell(),
            cell(),
            cell(),
            cell()
        ));
    }
    assert!(csv.len() > 4 << 20, "big enough to be mapped");
    std::fs::write(dir.join("large.csv"), &csv).unwrap();
    std::fs::write(
        dir.join("large.qi"),
        "index large by unit {\n  data \"large.csv\"\n  normalise minmax\n  \
         group g weight 2 {\n    indicator a weight 0.6\n    indicator b weight 0.4\n  }\n  \
         group h weight 1 {\n    indicator c\n    indicator d { direction negative }\n  }\n}\n",
    )
    .unwrap();
    let rules = dir.join("large.qi");
    let run = |threads: &str| {
        let o = qindex(&[
            "run",
            rules.to_str().unwrap(),
            "--format",
            "csv",
            "--threads",
            threads,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        o.stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"), "1 and 2 threads");
    assert_eq!(one, run("3"), "1 and 3 threads");
    let out = text(&one);
    let rows: Vec<(f64, u32)> = out
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].parse().unwrap_or(f64::NAN), f[2].parse().unwrap_or(0))
        })
        .collect();
    assert_eq!(rows.len(), n);
    let mut scores: Vec<f64> = rows.iter().map(|r| r.0).filter(|s| !s.is_nan()).collect();
    scores.sort_by(|a, b| b.total_cmp(a));
    assert!(scores.len() > n / 2);
    for (s, r) in &rows {
        if s.is_nan() {
            assert_eq!(*r, 0);
        } else {
            let better = scores.partition_point(|x| x > s);
            assert_eq!(*r as usize, better + 1, "score {s}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A vetoed unit says why: the table names the veto condition that fired, and CSV, JSON and
/// xlsx carry an `adjustments` column (bonus, penalty, vetoes). Before, C24 was listed last
/// as "vetoed" with the highest score and no reason.
#[test]
fn vetoed_units_show_the_condition_that_fired() {
    let rules = std::fs::read_to_string("rules/quality_city.qi").unwrap();
    // The ineligible veto's condition, as written in the rules.
    let cond = rules
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("veto ") && !l.contains(" cap "))
        .unwrap()
        .trim_start_matches("veto ")
        .split('#')
        .next()
        .unwrap()
        .trim()
        .to_string();
    let csv = qindex(&["run", "rules/quality_city.qi", "--format", "csv"]);
    let csv = String::from_utf8(csv.stdout).unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = head.iter().position(|h| *h == "adjustments").unwrap();
    assert_eq!(head[col - 1], "rank");
    let vetoed: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(col - 1) == Some(""))
        .collect();
    assert!(!vetoed.is_empty());
    for l in &vetoed {
        let cell = l.split(',').nth(col).unwrap();
        assert_eq!(cell, format!("veto: {cond}"), "{l}");
    }
    let json = qindex(&["run", "rules/quality_city.qi", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let results = v["results"].as_array().unwrap();
    let unranked_vetoed: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r["adjustments"]["vetoed"] == true)
        .collect();
    assert_eq!(unranked_vetoed.len(), vetoed.len());
    for r in unranked_vetoed {
        assert_eq!(r["adjustments"]["vetoes"][0], cond.as_str());
        assert!(r["rank"].is_null());
    }
    let table = qindex(&["run", "rules/quality_city.qi", "--format", "table"]);
    let table = String::from_utf8(table.stdout).unwrap();
    let unit = vetoed[0].split(',').next().unwrap();
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(&format!("vetoed: {unit} ")) && l.contains(&cond)),
        "{table}"
    );
}

/// The table's precision follows the scale and tells ranked neighbours apart: on HDI's 0..1
/// scale two different scores never read alike (they read 0.97 and 0.97 at two decimals).
/// JSON keeps full precision.
#[test]
fn table_precision_tells_neighbours_apart() {
    let table = qindex(&["run", "rules/hdi.qi", "--format", "table"]);
    let table = String::from_utf8(table.stdout).unwrap();
    let json = qindex(&["run", "rules/hdi.qi", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let full: std::collections::HashMap<String, f64> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| Some((r["unit"].as_str()?.to_string(), r["score"].as_f64()?)))
        .collect();
    // Ranked rows: rank, unit, label words..., score, ...; the score is the first cell with
    // a decimal point after the unit.
    let rows: Vec<(String, String)> = table
        .lines()
        .skip(1)
        .filter(|l| {
            l.trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
        .map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            let score = cells[2..].iter().find(|c| c.contains('.')).unwrap();
            (cells[1].to_string(), score.to_string())
        })
        .collect();
    assert!(rows.len() > 150);
    let decimals = rows[0].1.split('.').nth(1).unwrap().len();
    assert!(decimals >= 3, "three significant digits of 0..1 at least");
    for w in rows.windows(2) {
        let (a, b) = (full[&w[0].0], full[&w[1].0]);
        if a != b {
            assert_ne!(w[0].1, w[1].1, "{} and {} read alike", w[0].0, w[1].0);
        }
    }
    // A 0..100 scale keeps two decimals.
    let t = qindex(&["run", "rules/quality_city.qi", "--format", "table"]);
    let t = String::from_utf8(t.stdout).unwrap();
    let first = t.lines().nth(2).unwrap();
    let score = first.split_whitespace().find(|c| c.contains('.')).unwrap();
    assert!(score.split('.').nth(1).unwrap().len() >= 2, "{first}");
}

/// A method that fails on the data (a geometric mean meeting a negative z-score) is reported at
/// the `aggregate` setting that chose it, wherever it was written: on the group itself, on the
/// index (inherited: the group is shown as related), or in a scheme (likewise). Each location
/// is found in the rules text here, not typed in.
#[test]
fn evaluation_errors_point_at_the_setting_that_caused_them() {
    let dir = std::env::temp_dir().join(format!("qindex-setting-span-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("d.csv"), "city,a,b\nA,1,5\nB,2,3\nC,3,9\n").unwrap();
    let index = |top: &str, group: &str, scheme: &str| {
        format!(
            "index t \"T\" by city {{\n    data \"d.csv\"\n    normalise zscore\n{top}    group g \"G\" {{\n{group}        indicator a \"A\"\n        indicator b \"B\"\n    }}\n}}\n{scheme}"
        )
    };
    let cases = [
        (
            "own",
            index("", "        aggregate geometric\n", ""),
            "aggregate geometric",
            None,
            vec![],
        ),
        (
            "inherited",
            index("    aggregate geometric\n", "", ""),
            "aggregate geometric",
            Some("`g` inherits it"),
            vec![],
        ),
        (
            "scheme",
            index(
                "",
                "",
                "scheme geo \"G\" {\n    aggregate g = geometric\n}\n",
            ),
            "aggregate g = geometric",
            Some("the scheme sets it for `g`"),
            vec!["--scheme", "geo"],
        ),
    ];
    for (name, rules, setting, related, extra) in cases {
        let path = dir.join(format!("{name}.qi"));
        std::fs::write(&path, &rules).unwrap();
        let line = rules.lines().position(|l| l.contains(setting)).unwrap() + 1;
        let col = rules.lines().nth(line - 1).unwrap().find(setting).unwrap() + 1;
        let mut args = vec!["run", path.to_str().unwrap()];
        args.extend(extra);
        let out = qindex(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains("got a negative value"), "{name}: {err}");
        let at = format!("{name}.qi:{line}:{col}");
        let first = err.lines().find(|l| l.contains("-->")).unwrap();
        assert!(
            first.ends_with(&at),
            "{name}: expected {at} first, got\n{err}"
        );
        match related {
            Some(r) => assert!(err.contains(r), "{name}: no `{r}` in\n{err}"),
            None => assert_eq!(err.matches("-->").count(), 1, "{name}: {err}"),
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `--columns` shows exactly the nodes named, in the order named (an indicator before a group
/// here, the reverse of the plan's order), with the same values as the full output; an unknown
/// id is an error with a did-you-mean.
#[test]
fn columns_choose_the_nodes_shown() {
    let csv = |args: &[&str]| {
        let mut all = vec!["run", "rules/quality_city.qi", "--format", "csv", "-q"];
        all.extend(args);
        let out = qindex(&all);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let rows: Vec<Vec<String>> = text(&out.stdout)
            .lines()
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        rows
    };
    let full = csv(&["--indicators"]);
    let head = &full[0];
    // The last indicator and the first group below the index, as the full output orders them.
    let group = head[head.iter().position(|h| h == "adjustments").unwrap() + 1].clone();
    let indicator = head.last().unwrap().clone();
    assert!(!indicator.ends_with("_rank") && head.contains(&format!("{group}_rank")));
    let chosen = csv(&["--columns", &format!("{indicator},{group}")]);
    let tail: Vec<&str> = chosen[0][chosen[0].len() - 3..]
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        tail,
        [indicator.as_str(), group.as_str(), &format!("{group}_rank")]
    );
    let col = |rows: &[Vec<String>], name: &str| -> Vec<String> {
        let k = rows[0].iter().position(|h| h == name).unwrap();
        rows[1..].iter().map(|r| r[k].clone()).collect()
    };
    for name in [&indicator, &group, &format!("{group}_rank")] {
        assert_eq!(col(&chosen, name), col(&full, name), "{name}");
    }
    // Only the groups shown are ranked: each group alone, and the first level (`--depth 1`),
    // gets the ranks of the full output, and so do the index's score and rank.
    let groups: Vec<&String> = head
        .iter()
        .filter(|h| head.contains(&format!("{h}_rank")))
        .collect();
    assert!(groups.len() > 3);
    for g in &groups {
        let alone = csv(&["--columns", g.as_str()]);
        for name in [
            g.to_string(),
            format!("{g}_rank"),
            "score".into(),
            "rank".into(),
        ] {
            assert_eq!(
                col(&alone, &name),
                col(&full, &name),
                "--columns {g}: {name}"
            );
        }
    }
    let level = csv(&["--depth", "1"]);
    for name in level[0].iter().skip(1) {
        assert_eq!(col(&level, name), col(&full, name), "--depth 1: {name}");
    }
    let typo = &group[..group.len() - 1];
    let out = qindex(&["run", "rules/quality_city.qi", "--columns", typo, "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!("did you mean `{group}`?")),
        "{}",
        text(&out.stderr)
    );
}

/// `QINDEX_TIMINGS=1` prints the phase budget of `run` on standard error, one line per phase in
/// the order they run (docs/performance.md); the evaluator's steps once, not per block.
#[test]
fn timings_list_the_phases_of_run_in_order() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_qindex"))
        .args(["run", "rules/quality_city.qi", "--format", "csv", "-q"])
        .current_dir(common::root())
        .env("QINDEX_TIMINGS", "1")
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = text(&o.stderr);
    let phases: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("timing: "))
        .map(|l| l.split("  ").next().unwrap().trim())
        .collect();
    assert_eq!(
        phases,
        [
            "read",
            "parse",
            "survey `citizens`: respondents read",
            "survey `citizens`: prepared",
            "formulas",
            "indicators (statistics, normalise)",
            "aggregate",
            "adjust and rank",
            "format and write"
        ],
        "{err}"
    );
    let o = qindex(&["run", "rules/quality_city.qi", "--format", "csv", "-q"]);
    assert!(!text(&o.stderr).contains("timing:"));
}

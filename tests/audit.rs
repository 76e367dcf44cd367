//! Every replication auditable: `qindex uncertainty --replications`, `--replay R` and
//! `--configurations`, and `qindex sensitivity --evaluations`.

mod common;

use common::{qindex, root, Loaded};
use qindex::sensitivity::kernel::Kernel;
use qindex::sensitivity::uncertainty::fill_replication;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qindex-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn ok(args: &[&str]) -> String {
    let o = qindex(args);
    assert!(
        o.status.success(),
        "qindex {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A rules file with an uncertainty block that reaches every kind of line, over a shipped
/// index that has none (`use`d by absolute path).
fn with_block(rules: &str, block: &str) -> PathBuf {
    let path = temp(&format!(
        "{}-block.qi",
        Path::new(rules).file_stem().unwrap().to_string_lossy()
    ));
    std::fs::write(
        &path,
        format!(
            "use \"{}\"\n\nuncertainty {{\n    samples 40\n    seed 5\n{block}}}\n",
            root().join(rules).display()
        ),
    )
    .unwrap();
    path
}

/// `--replay R` then `qindex run --scheme replication_R` gives replication R's scores (to
/// 1e-9, against the kernel's) and ranks (exactly, against `--replications`), for random
/// replications of every shipped rules file.
#[test]
fn replay_reproduces_replications() {
    let files = [
        root().join("rules/market_led.qi"),
        with_block(
            "rules/quality_city.qi",
            "    vary weights 25%\n    choose aggregate [arithmetic, geometric]\n    choose normalise [minmax, percentile] at product\n    choose missing [skip, mean]\n    drop indicator\n",
        ),
        with_block(
            "rules/hdi.qi",
            "    vary weights 30%\n    choose aggregate [arithmetic, geometric]\n    drop indicator\n",
        ),
        with_block(
            "rules/gggi.qi",
            "    vary weights in gggi 20%\n    choose normalise [minmax, rank]\n",
        ),
    ];
    let mut state = 99u64;
    for path in &files {
        let p = path.to_str().unwrap();
        let reps = temp("reps.jsonl");
        ok(&[
            "uncertainty",
            p,
            "--samples",
            "40",
            "--replications",
            reps.to_str().unwrap(),
        ]);
        let records = lines(&reps);
        assert_eq!(records.len(), 40);
        // The kernel's own scores of the same replications.
        let loaded = Loaded::new(path);
        let variants = loaded.variants();
        let plans = loaded.plans(&variants);
        let unc = loaded.base.uncertainty.clone().unwrap();
        let (eval_opts, nominal) = loaded.nominal();
        let nom = &nominal.periods[0];
        let mut kernel = Kernel::new(
            &plans,
            &unc,
            &loaded.frame,
            eval_opts.clone(),
            nom.rows.clone(),
        );
        let outcomes = kernel
            .run(40, 2, |r, u| fill_replication(unc.seed, r, u))
            .unwrap();
        for _ in 0..4 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (state >> 33) as usize % 40;
            let text = ok(&[
                "uncertainty",
                p,
                "--samples",
                "40",
                "--replay",
                &r.to_string(),
            ]);
            let replay = temp(&format!("replay-{r}.qi"));
            std::fs::write(&replay, &text).unwrap();
            let (program, diags) = qindex::check::load(&replay).unwrap();
            assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
            let (plan, _) = qindex::check::compile(&program, &format!("replication_{r}"))
                .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
            // A scheme cannot carry the survey estimates a replication re-estimated (`vary
            // survey`): the replay lists them, and with them the scheme gives the replication.
            let mut u = vec![0.0; kernel.layout().dims()];
            fill_replication(unc.seed, r, &mut u);
            let trace = kernel.trace(&u).unwrap();
            for (column, values) in &trace.survey {
                let unit = loaded.frame.units().get(nom.rows[0]);
                let listed = format!("{unit}={:?}", values[nom.rows[0]]);
                assert!(text.contains(&format!("#   {column}:")), "{text}");
                assert!(text.contains(&listed), "{listed}\n{text}");
            }
            let frame = kernel.frame_for(&trace);
            let run = qindex::eval::evaluate(&plan, &frame, &eval_opts).unwrap();
            let run = &run.periods[0];
            assert_eq!(run.rows, nom.rows);
            let ranks = &records[r]["ranks"];
            for i in 0..run.rows.len() {
                let unit = loaded.frame.units().get(run.rows[i]);
                let got = outcomes[r].scores[i];
                let want = run.score[i];
                if run.final_rank[i] > 0 {
                    assert!(
                        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                        "{p} replication {r} {unit}: kernel {got}, run {want}\n{text}"
                    );
                }
                if nom.is_unit[i] {
                    let rank = ranks[unit].as_u64().map_or(0, |x| x as u32);
                    assert_eq!(
                        rank, run.final_rank[i],
                        "{p} replication {r} {unit}\n{text}"
                    );
                }
            }
        }
    }
}

/// The JSON Lines are the same for any thread count, and writing them changes nothing in
/// the results.
#[test]
fn replications_are_thread_invariant_and_change_nothing() {
    let out = |threads: &str| {
        let path = temp(&format!("reps-{threads}.jsonl"));
        let summary = ok(&[
            "uncertainty",
            "rules/market_led.qi",
            "--samples",
            "300",
            "--format",
            "json",
            "--threads",
            threads,
            "--replications",
            path.to_str().unwrap(),
        ]);
        (std::fs::read_to_string(path).unwrap(), summary)
    };
    let (one, summary) = out("1");
    let (two, _) = out("2");
    assert_eq!(one, two);
    let plain = ok(&[
        "uncertainty",
        "rules/market_led.qi",
        "--samples",
        "300",
        "--format",
        "json",
    ]);
    assert_eq!(summary, plain);
    // Each line: its number, one choice per `choose` line, the drop, the varied weights, the
    // MARC and every unit's rank; the mean of the MARCs is the summary's.
    let v: Value = serde_json::from_str(&plain).unwrap();
    let mut marc = 0.0;
    for (r, line) in one.lines().enumerate() {
        let rec: Value = serde_json::from_str(line).unwrap();
        assert_eq!(rec["replication"], r);
        assert_eq!(rec["choices"].as_object().unwrap().len(), 4);
        assert!(rec["dropped"].is_null() || rec["dropped"].is_string());
        assert!(rec["weights"].as_object().unwrap().len() > 50);
        assert_eq!(rec["ranks"].as_object().unwrap().len(), 36);
        marc += rec["marc"].as_f64().unwrap();
    }
    let mean = marc / 300.0;
    assert!((mean - v["marc"].as_f64().unwrap()).abs() < 1e-9);
}

/// `sensitivity --evaluations` writes the design's rows: N·(D + 2) of them, each with its
/// base sample and matrix; an AB_i row takes factor i's choice from B and the others from A.
#[test]
fn evaluations_follow_the_design() {
    let path = temp("evals.jsonl");
    ok(&[
        "sensitivity",
        "rules/market_led.qi",
        "--samples",
        "8",
        "--evaluations",
        path.to_str().unwrap(),
    ]);
    let recs = lines(&path);
    // The block's eight lines: D = 8, N·(D + 2) rows.
    let d = 8;
    assert_eq!(recs.len(), 8 * (d + 2));
    for (j, chunk) in recs.chunks(d + 2).enumerate() {
        let (a, b) = (&chunk[0], &chunk[d + 1]);
        assert_eq!(a["matrix"], "A");
        assert_eq!(b["matrix"], "B");
        for (i, rec) in chunk[1..=d].iter().enumerate() {
            assert_eq!(rec["sample"], j);
            assert_eq!(rec["matrix"], format!("AB_{i}"));
            let factor = rec["factor"].as_str().unwrap();
            if factor.starts_with("choose") {
                for (line, option) in rec["choices"].as_object().unwrap() {
                    let from = if line == factor { b } else { a };
                    assert_eq!(option, &from["choices"][line], "{factor}: {line}");
                }
            }
            // `vary survey`: the survey's draw is B's in its own row, A's in the others.
            let from = if factor.starts_with("vary survey") {
                b
            } else {
                a
            };
            assert_eq!(rec["survey"], from["survey"], "{factor}");
            assert!(rec["survey"].is_object());
        }
    }
}

/// `--configurations` lists the 27 combinations of `choose scheme`, `normalise` and
/// `missing` of the shipped block, with the draws adding up, and shows that `choose aggregate`
/// switches the index both ways in each.
#[test]
fn configurations_of_the_shipped_block() {
    let v: Value = serde_json::from_str(&ok(&[
        "uncertainty",
        "rules/market_led.qi",
        "--configurations",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(v["format"], "qindex.configurations/1");
    let configs = v["configurations"].as_array().unwrap();
    assert_eq!(configs.len(), 27);
    let drawn: u64 = configs
        .iter()
        .map(|c| c["replications"].as_u64().unwrap())
        .sum();
    assert_eq!(drawn, v["samples"].as_u64().unwrap());
    for c in configs {
        assert_eq!(c["choices"].as_object().unwrap().len(), 3);
        assert_eq!(
            c["groups"]["quality_city"]["aggregate"],
            "arithmetic | geometric"
        );
        let inds = c["indicators"].as_object().unwrap();
        assert!(inds.values().any(|i| i["winsorised"].as_u64().unwrap() > 0));
    }
    let table = ok(&["uncertainty", "rules/market_led.qi", "--configurations"]);
    assert!(table.starts_with("27 configurations over 1000 replications"));
}

/// On data with gaps, `choose missing [skip, mean]` really imputes in the `mean`
/// configuration only, and `choose aggregate` without `at` switches every group.
#[test]
fn configurations_show_what_each_choice_does() {
    let dir = temp("gaps");
    std::fs::create_dir_all(&dir).unwrap();
    let mut csv = String::from("unit,a,b,c,d\n");
    for u in 0..12 {
        let cell = |k: usize| {
            if (u + k).is_multiple_of(5) {
                String::new()
            } else {
                ((u * 7 + k * 13) % 23).to_string()
            }
        };
        csv.push_str(&format!(
            "u{u},{},{},{},{}\n",
            cell(1),
            cell(2),
            cell(3),
            cell(4)
        ));
    }
    std::fs::write(dir.join("gaps.csv"), csv).unwrap();
    let rules = dir.join("gaps.qi");
    std::fs::write(
        &rules,
        "index gaps by unit {\n    data \"gaps.csv\"\n    scale 1..100\n    coverage 25%\n    group g1 {\n        indicator a\n        indicator b\n    }\n    group g2 {\n        indicator c\n        indicator d\n    }\n}\n\nuncertainty {\n    samples 64\n    seed 1\n    choose missing [skip, mean]\n    choose aggregate [arithmetic, geometric]\n}\n",
    )
    .unwrap();
    let v: Value = serde_json::from_str(&ok(&[
        "uncertainty",
        rules.to_str().unwrap(),
        "--configurations",
        "--format",
        "json",
    ]))
    .unwrap();
    let configs = v["configurations"].as_array().unwrap();
    assert_eq!(configs.len(), 2);
    for c in configs {
        let option = c["choices"]["choose missing [skip, mean]"]
            .as_str()
            .unwrap();
        let imputed: u64 = c["indicators"]
            .as_object()
            .unwrap()
            .values()
            .map(|i| i["imputed"].as_u64().unwrap())
            .sum();
        match option {
            "skip" => assert_eq!(imputed, 0),
            _ => assert!(imputed > 0, "{c}"),
        }
        for g in ["gaps", "g1", "g2"] {
            assert_eq!(c["groups"][g]["aggregate"], "arithmetic | geometric", "{g}");
        }
        assert!(c["replications"].as_u64().unwrap() > 0);
    }
}

/// `--replay` names replications that exist.
#[test]
fn replay_of_a_replication_that_does_not_exist() {
    let o = qindex(&[
        "uncertainty",
        "rules/market_led.qi",
        "--samples",
        "10",
        "--replay",
        "10",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("there is no replication 10"));
}

//! Real published indices reproduced from their rules: the UNDP Human Development Index 2022
//! (`rules/hdi.qi`) and the WEF Global Gender Gap Index 2023 (`rules/gggi.qi`), read in place from
//! `../shared/data/`, compared with the published values after rounding to their 3 decimals.

mod common;

use qindex::eval::{self, DataOptions, EvalOptions};
use std::collections::HashMap;
use std::path::Path;

/// Evaluates a shipped rules file over its own `data` and returns unit → (score, rank).
fn run(rules: &str) -> (HashMap<String, (f64, u32)>, Vec<qindex::eval::Warning>) {
    let (program, diags) = qindex::check::load(Path::new(rules)).unwrap();
    assert!(diags.is_empty());
    let (plan, _) = qindex::check::compile(&program, "default").unwrap();
    let opts = DataOptions::default();
    let path = eval::data_path(&plan, &opts).unwrap();
    let (frame, _) = eval::load_data(&plan, &path, &opts).unwrap();
    let results = eval::evaluate(&plan, &frame, &EvalOptions::default()).unwrap();
    let p = &results.periods[0];
    let out = p
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                frame.units().get(*r).to_string(),
                (p.score[i], p.final_rank[i]),
            )
        })
        .collect();
    (out, results.warnings)
}

fn published(file: &str, key: &str, value: &str) -> Vec<(String, f64, String)> {
    let text =
        std::fs::read_to_string(common::shared(file)).expect("shared data beside the checkout");
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let k = head.iter().position(|h| *h == key).unwrap();
    let v = head.iter().position(|h| *h == value).unwrap();
    lines
        .map(|l| {
            // Country names may be quoted and hold commas.
            let cells = split_csv(l);
            (cells[k].clone(), cells[v].parse().unwrap(), l.to_string())
        })
        .collect()
}

fn split_csv(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[test]
fn hdi_2022_every_published_value() {
    let (scores, warnings) = run("rules/hdi.qi");
    let rows = published("data/hdi/hdi_2022.csv", "iso3", "hdi_published");
    assert_eq!(rows.len(), 204, "193 countries and 11 aggregates");
    let mut largest: f64 = 0.0;
    for (iso3, hdi, line) in &rows {
        let (score, rank) = scores[iso3];
        assert!(
            (round3(score) - hdi).abs() < 1e-9,
            "{iso3}: computed {score}, published {hdi}"
        );
        largest = largest.max((score - hdi).abs());
        // Regional aggregates (codes ZZ..) are evaluated but not ranked.
        let aggregate = line.split(',').nth(2) == Some("1");
        assert_eq!(rank == 0, aggregate, "{iso3}: rank {rank}");
    }
    assert!(largest < 0.0005, "largest unrounded gap {largest}");
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn gggi_2023_as_its_readme_states() {
    let (scores, _) = run("rules/gggi.qi");
    let rows = published("data/gggi/gggi_2023.csv", "country", "published_index");
    assert_eq!(rows.len(), 146);
    let mut matching = 0;
    let mut largest: f64 = 0.0;
    for (country, index, _) in &rows {
        let (score, _) = scores[country];
        if (round3(score) - index).abs() < 1e-9 {
            matching += 1;
        }
        largest = largest.max((score - index).abs());
    }
    // The data's README: 137 of 146 match to 3 decimals, largest error 0.0006 (the inputs are
    // themselves published to 3 decimals).
    assert!(matching >= 137, "{matching} of 146 match");
    assert!(
        largest < 0.00065,
        "largest error {largest} (0.0006 to 4 decimals)"
    );
}

#[test]
fn gggi_ranks_follow_the_published_order() {
    let (scores, _) = run("rules/gggi.qi");
    let rows = published("data/gggi/gggi_2023.csv", "country", "published_rank");
    let mut moved = 0;
    for (country, rank, _) in &rows {
        if (scores[country].1 as f64 - rank).abs() > 1.0 {
            moved += 1;
        }
    }
    // Ties at 3 decimals are broken by unrounded values, so a rank may differ by one.
    assert!(
        moved <= 5,
        "{moved} countries more than one rank from the published one"
    );
}

//! `qindex snapshot`: unchanged rules pass `--check`; a one-weight edit fails it with a review
//! naming the units that changed rank; `--accept` makes it pass again.

mod common;

use common::qindex;
use std::path::PathBuf;

/// A copy of the shipped rules and demo data (the panel and the survey's respondents) in a
/// fresh folder.
fn workspace(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qindex-snapshot-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let root = common::root();
    for file in [
        "quality_city.qi",
        "data/quality_city.csv",
        "data/citizens.csv",
    ] {
        std::fs::copy(root.join("rules").join(file), dir.join(file)).unwrap();
    }
    dir
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn check_fails_after_a_weight_edit_and_passes_after_accept() {
    let dir = workspace("edit");
    let rules = dir.join("quality_city.qi");
    let r = rules.to_str().unwrap();
    let o = qindex(&["snapshot", r]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(dir.join("quality_city.qisnap").exists());
    let o = qindex(&["snapshot", r, "--check"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "unchanged rules pass: {}",
        text(&o.stdout)
    );

    // One weight: product 14 → 20.
    let source = std::fs::read_to_string(&rules).unwrap();
    let edited = source.replace(
        "group product \"产品质量\" weight 14 {",
        "group product \"产品质量\" weight 20 {",
    );
    assert_ne!(source, edited, "the edit applies");
    std::fs::write(&rules, edited).unwrap();
    let o = qindex(&["snapshot", r, "--check"]);
    assert_eq!(o.status.code(), Some(1));
    let review = text(&o.stdout);
    assert!(review.contains("~ node product"), "{review}");
    assert!(review.contains("rank changes"), "{review}");

    // The review's rank changes are the true ones: compare two runs directly.
    let before: serde_json::Value = {
        std::fs::write(&rules, &source).unwrap();
        serde_json::from_slice(&qindex(&["run", r, "--format", "json"]).stdout).unwrap()
    };
    std::fs::write(
        &rules,
        source.replace(
            "group product \"产品质量\" weight 14 {",
            "group product \"产品质量\" weight 20 {",
        ),
    )
    .unwrap();
    let after: serde_json::Value =
        serde_json::from_slice(&qindex(&["run", r, "--format", "json"]).stdout).unwrap();
    let listed: Vec<String> = review
        .lines()
        .skip_while(|l| !l.contains("rank changes"))
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .map(|l| l.trim().split(" (").next().unwrap().to_string())
        .collect();
    let mut expected = Vec::new();
    for (a, b) in before["results"]
        .as_array()
        .unwrap()
        .iter()
        .zip(after["results"].as_array().unwrap())
    {
        if a["rank"] != b["rank"] {
            let show =
                |r: &serde_json::Value| r.as_i64().map_or("-".to_string(), |x| x.to_string());
            expected.push(format!(
                "{}: {} → {}",
                a["unit"].as_str().unwrap(),
                show(&a["rank"]),
                show(&b["rank"])
            ));
        }
    }
    let (mut l, mut e) = (listed.clone(), expected.clone());
    l.sort();
    e.sort();
    assert!(!e.is_empty(), "the edit moves some units");
    assert_eq!(l, e, "the review lists exactly the units that moved");

    let o = qindex(&["snapshot", r, "--accept"]);
    assert_eq!(o.status.code(), Some(0));
    let o = qindex(&["snapshot", r, "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn float_noise_is_not_a_change() {
    let dir = workspace("noise");
    let rules = dir.join("quality_city.qi");
    let r = rules.to_str().unwrap();
    assert_eq!(qindex(&["snapshot", r, "--all"]).status.code(), Some(0));
    // Change the last digits of every full-precision value in the stored snapshot.
    let snap = dir.join("quality_city.qisnap");
    let text_in = std::fs::read_to_string(&snap).unwrap();
    let noisy: String = text_in
        .lines()
        .map(|l| match l.strip_prefix("value ") {
            Some(rest) => {
                let mut parts: Vec<String> = rest.split_whitespace().map(str::to_string).collect();
                if let Ok(v) = parts[2].parse::<f64>() {
                    parts[2] = format!("{:?}", v * (1.0 + 1e-13));
                }
                format!("value {}\n", parts.join(" "))
            }
            None => format!("{l}\n"),
        })
        .collect();
    std::fs::write(&snap, noisy).unwrap();
    let o = qindex(&["snapshot", r, "--all", "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_without_a_snapshot_says_how_to_make_one() {
    let dir = workspace("none");
    let rules = dir.join("quality_city.qi");
    let o = qindex(&["snapshot", rules.to_str().unwrap(), "--check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("write one with `qindex snapshot"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The review, as a reviewer reads it, for the one-weight edit of tests/fixtures/diff/.
#[test]
fn review_reads_well() {
    let dir = std::env::temp_dir().join(format!("qindex-snapshot-review-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    assert_eq!(
        qindex(&["snapshot", "rules/quality_city.qi", "--dir", d])
            .status
            .code(),
        Some(0)
    );
    // The edited version is checked against the original's snapshot.
    std::fs::copy(
        dir.join("quality_city.qisnap"),
        dir.join("quality_city_v2.qisnap"),
    )
    .unwrap();
    let o = qindex(&[
        "snapshot",
        "tests/fixtures/diff/quality_city_v2.qi",
        "--dir",
        d,
        "--check",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    // The first line names the snapshot file, which lives in a temporary folder.
    let review: String = out.lines().skip(1).map(|l| format!("{l}\n")).collect();
    insta::assert_snapshot!("review_product_weight", review);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A check of other schemes than the snapshot holds compares nothing: it says so, and how to
/// check the same schemes or store these, instead of reporting every line as changed.
#[test]
fn check_of_another_scheme_set_says_so() {
    let dir = workspace("schemes");
    let rules = dir.join("quality_city.qi");
    std::fs::write(
        &rules,
        std::fs::read_to_string(&rules).unwrap()
            + "\nscheme heavier_product \"\" {\n    weight product = 20\n}\n",
    )
    .unwrap();
    let r = rules.to_str().unwrap();
    let o = qindex(&["snapshot", r, "--all"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = qindex(&["snapshot", r, "--check"]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(!out.contains("results changed"), "{out}");
    assert!(
        out.contains(
            "the snapshot holds the schemes default, heavier_product, this check is of default"
        ),
        "{out}"
    );
    assert!(
        out.contains(&format!("`qindex snapshot {r} --check --all`")),
        "{out}"
    );
    // The same check as the snapshot passes; the JSON says which case it is.
    let o = qindex(&["snapshot", r, "--check", "--all"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let o = qindex(&["snapshot", r, "--check", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "schemes-differ");
    std::fs::remove_dir_all(&dir).unwrap();
}

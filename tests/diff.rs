//! `qindex diff`: two versions of an indicator system, from files or from git.

mod common;

use common::qindex;

#[test]
fn one_weight_edit() {
    // tests/fixtures/diff/quality_city_v2.qi is rules/quality_city.qi with the weight of
    // `product` raised from 14 to 20 (and its data paths adjusted).
    let o = qindex(&[
        "diff",
        "rules/quality_city.qi",
        "tests/fixtures/diff/quality_city_v2.qi",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        out.contains("~ node product parent=quality_city weight=0.140000"),
        "{out}"
    );
    assert!(out.contains("rank changes"), "{out}");
    assert!(
        out.contains("why "),
        "the biggest movers are explained: {out}"
    );
    insta::assert_snapshot!("quality_city_v2", out);
}

#[test]
fn git_revision_against_the_working_file() {
    // The checkout is a git repository in CI and for developers.
    let o = qindex(&["diff", "git:HEAD:rules/hdi.qi", "rules/hdi.qi"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("no difference in the plan or the results"));
    let o = qindex(&["diff", "git:no-such-rev:rules/hdi.qi", "rules/hdi.qi"]);
    assert_eq!(o.status.code(), Some(2));
}

//! No crash on any input, and outputs that never destroy data: the reproductions of a
//! fuzzing campaign, each as it was found.

mod common;

use common::qindex;
use std::path::PathBuf;

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("qindex-robust-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("d.csv"), "unit,x\nu1,1\nu2,2\nu3,5\n").unwrap();
    d
}

fn rules(name: &str, text: &str) -> PathBuf {
    let path = dir().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn with_formula(name: &str, formula: &str) -> PathBuf {
    rules(
        name,
        &format!("index t by unit {{\n    data \"d.csv\"\n    indicator a = {formula}\n}}\n"),
    )
}

/// The code a command exits with and its standard error; never a crash (101, or a signal).
fn exit(args: &[&str]) -> (i32, String) {
    let o = qindex(args);
    let code = o.status.code().expect("exits, not killed by a signal");
    assert_ne!(code, 101, "a panic: {}", String::from_utf8_lossy(&o.stderr));
    (code, String::from_utf8_lossy(&o.stderr).into_owned())
}

/// Deep nesting overflowed the stack (SIGABRT) in `check`, `fmt` and `run`: parentheses from
/// about 5,100 deep, `abs(` from 4,000, groups from 4,300, `if`s from 7,000. Now each is a
/// diagnostic at the place it goes too deep; nesting within the limits works.
#[test]
fn deep_nesting_is_a_diagnostic() {
    let cases = [
        (
            "parens.qi",
            with_formula(
                "parens.qi",
                &format!("{}x{}", "(".repeat(6000), ")".repeat(6000)),
            ),
        ),
        (
            "abs.qi",
            with_formula(
                "abs.qi",
                &format!("{}x{}", "abs(".repeat(5000), ")".repeat(5000)),
            ),
        ),
        (
            "ifs.qi",
            with_formula(
                "ifs.qi",
                &format!(
                    "{}0",
                    (0..8000)
                        .map(|i| format!("if x > {i} then {i} else "))
                        .collect::<String>()
                ),
            ),
        ),
        (
            "groups.qi",
            rules(
                "groups.qi",
                &format!(
                    "index t by unit {{\n    data \"d.csv\"\n{}indicator a = x\n{}}}\n",
                    "group g {\n".repeat(5000),
                    "}\n".repeat(5000)
                ),
            ),
        ),
    ];
    for (name, path) in &cases {
        let p = path.to_str().unwrap();
        for cmd in [
            &["check", p][..],
            &["fmt", p][..],
            &["run", p, "--format", "csv"][..],
        ] {
            let (code, err) = exit(cmd);
            assert_eq!(code, 1, "{name} {cmd:?}: {err}");
            assert!(err.contains("more than"), "{name}: {err}");
            assert!(
                err.contains(&format!("{name}:")),
                "{name}: the place: {err}"
            );
        }
    }
    // Within the limits: 200 parentheses, 900 `if`s, a sum of 20,000 terms.
    let fine = [
        with_formula(
            "p200.qi",
            &format!("{}x{}", "(".repeat(200), ")".repeat(200)),
        ),
        with_formula(
            "if900.qi",
            &format!(
                "{}0",
                (0..900)
                    .map(|i| format!("if x > {i} then {i} else "))
                    .collect::<String>()
            ),
        ),
        with_formula("sum.qi", &vec!["x"; 20_000].join(" + ")),
    ];
    for path in &fine {
        let p = path.to_str().unwrap();
        for cmd in [
            &["check", p][..],
            &["fmt", p][..],
            &["run", p, "--format", "csv"][..],
        ] {
            let (code, err) = exit(cmd);
            assert_eq!(code, 0, "{p} {cmd:?}: {err}");
        }
    }
    // A `--where` of 6,000 parentheses crashed `run`.
    let p = fine[0].to_str().unwrap();
    let filter = format!("{}x > 1{}", "(".repeat(6000), ")".repeat(6000));
    let (code, err) = exit(&["run", p, "--where", &filter, "--format", "csv"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--where:1:"), "{err}");
}

/// A diagnostic past column ~65,516 of a line panicked ("Formatting argument out of range").
/// Now the line is shown around the span, elided.
#[test]
fn a_diagnostic_far_along_a_line() {
    let path = rules(
        "long.qi",
        &format!(
            "index t \"{}\" by unit {{ data \"d.csv\" indicator a = nosuch(x) }}\n",
            "A".repeat(70_000)
        ),
    );
    let (code, err) = exit(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown function `nosuch`"), "{err}");
    let shown = err.lines().find(|l| l.contains("nosuch(x)")).unwrap();
    assert!(
        shown.contains('…') && shown.chars().count() < 300,
        "{shown}"
    );
    let marks = err.lines().find(|l| l.contains('^')).unwrap();
    let col = |l: &str, pat: &str| l.find(pat).map(|b| l[..b].chars().count());
    assert_eq!(col(marks, "^"), col(shown, "nosuch"), "{err}");
}

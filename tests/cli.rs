//! The real binary: exit codes, output formats, and no panic on any corpus file.

mod common;

use std::process::Output;

use common::qindex;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn shipped_rules_check_with_exit_zero() {
    let o = qindex(&[
        "check",
        "rules/quality_city.qi",
        "rules/market_led.qi",
        "rules/examples/language_reference.qi",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 3);
}

#[test]
fn never_panics_on_any_corpus_file() {
    let mut files = Vec::new();
    for dir in [
        "tests/corpus/ok",
        "tests/corpus/err",
        "tests/corpus/ok/include",
        "tests/corpus/err/include",
    ] {
        for e in std::fs::read_dir(common::root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "qi") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() > 80);
    for f in files {
        let f = common::relative(&f);
        let path = f.to_str().unwrap();
        for args in [
            vec!["check", path],
            vec!["explain", path],
            vec!["explain", path, "--format", "json"],
        ] {
            let o = qindex(&args);
            let code = o.status.code();
            assert!(
                matches!(code, Some(0) | Some(1)),
                "{args:?} exited {code:?}: {}",
                stderr(&o)
            );
            assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
            let is_err = path.contains("/err/") && !path.contains("/include/");
            if is_err {
                assert_eq!(code, Some(1), "{args:?} must fail: {}", stderr(&o));
                assert!(stderr(&o).contains("error"), "{args:?}");
            }
        }
    }
}

#[test]
fn errors_name_file_line_and_column() {
    let o = qindex(&["check", "tests/corpus/err/unknown_normalisation.qi"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("--> tests/corpus/err/unknown_normalisation.qi:"),
        "{e}"
    );
    assert!(e.contains("did you mean `minmax`?"), "{e}");
    assert!(
        !e.contains("\u{1b}["),
        "no colour with NO_COLOR or off a terminal"
    );
}

#[test]
fn explain_formats() {
    let text = qindex(&["explain", "rules/quality_city.qi"]);
    assert_eq!(text.status.code(), Some(0));
    assert!(stdout(&text).contains("质量强市示范城市评价"));
    let json = qindex(&[
        "explain",
        "rules/market_led.qi",
        "--scheme",
        "market_led",
        "--format",
        "json",
    ]);
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("valid JSON");
    assert_eq!(v["scheme"], "market_led");
    assert!(v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["id"] == "market"));
    let csv = qindex(&["explain", "rules/quality_city.qi", "--format", "csv"]);
    assert!(stdout(&csv).starts_with(
        "level,id,label,unit,source,direction,normalisation,aggregation,data,weight,overall weight"
    ));
    let md = qindex(&["explain", "rules/quality_city.qi", "--format", "markdown"]);
    assert!(stdout(&md).starts_with("| level"));
}

#[test]
fn usage_and_io_errors_exit_two() {
    let o = qindex(&[
        "explain",
        "rules/quality_city.qi",
        "--scheme",
        "market_lead",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("there is no scheme `market_lead`"),
        "{}",
        stderr(&o)
    );
    let o = qindex(&["check", "rules/no_such_file.qi"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no_such_file.qi"));
    let o = qindex(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn help_documents_exit_codes() {
    let o = qindex(&["--help"]);
    let out = stdout(&o);
    assert!(
        out.contains("Exit codes:") && out.contains("2  usage"),
        "{out}"
    );
}

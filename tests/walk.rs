//! Every subcommand behaves alike (issue "commands that behave alike"): `--format json` is one
//! JSON document with a `format` key, `-o PATH` writes the result there and nothing to
//! standard output, `--quiet` says nothing on standard error, and the exit codes are those of
//! `--help` (0 success, 1 errors in the rules, 2 usage).

mod common;
use common::{qindex, root};
use std::path::PathBuf;

/// Every subcommand with arguments that make it succeed on the bundled rules and data. The
/// placeholder `{dir}` is a fresh folder per run (for what a command writes beside its input),
/// holding the generated survey of `common::survey_fixture`.
fn commands() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("check", vec!["check", "rules/quality_city.qi"]),
        ("explain", vec!["explain", "rules/quality_city.qi"]),
        ("run", vec!["run", "rules/quality_city.qi"]),
        ("sql", vec!["sql", "rules/hdi.qi"]),
        ("profile", vec!["profile", "rules/quality_city.qi", "C01"]),
        ("compare", vec!["compare", "rules/market_led.qi"]),
        ("orientation", vec!["orientation", "rules/market_led.qi"]),
        ("stats", vec!["stats", "rules/quality_city.qi"]),
        (
            "uncertainty",
            vec!["uncertainty", "rules/market_led.qi", "--samples", "16"],
        ),
        (
            "sensitivity",
            vec![
                "sensitivity",
                "rules/market_led.qi",
                "--samples",
                "8",
                "--resamples",
                "10",
            ],
        ),
        ("importance", vec!["importance", "rules/quality_city.qi"]),
        ("stability", vec!["stability", "rules/quality_city.qi"]),
        ("survey", vec!["survey", "{dir}/survey.qi"]),
        (
            "report",
            vec!["report", "rules/market_led.qi", "--no-uncertainty"],
        ),
        (
            "diff",
            vec!["diff", "rules/quality_city.qi", "rules/quality_city.qi"],
        ),
        (
            "snapshot",
            vec!["snapshot", "rules/quality_city.qi", "--dir", "{dir}"],
        ),
        ("fmt", vec!["fmt", "rules/quality_city.qi"]),
    ]
}

/// The subcommands `qindex --help` lists, in its order.
fn listed() -> Vec<String> {
    let out = qindex(&["--help"]);
    let help = String::from_utf8(out.stdout).unwrap();
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

fn fresh(name: &str, what: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("qindex-walk-{}-{name}-{what}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    common::survey_fixture(&dir);
    dir
}

fn args(template: &[&str], dir: &std::path::Path, extra: &[&str]) -> Vec<String> {
    template
        .iter()
        .map(|a| a.replace("{dir}", &dir.display().to_string()))
        .chain(extra.iter().map(|s| s.to_string()))
        .collect()
}

fn run(args: &[String]) -> std::process::Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    qindex(&refs)
}

#[test]
fn the_help_lists_every_command_in_workflow_order() {
    let mut expected: Vec<String> = commands().iter().map(|c| c.0.to_string()).collect();
    // `lsp` speaks the Language Server Protocol (tests/lsp.rs), `completions` prints a script.
    expected.push("lsp".into());
    expected.push("completions".into());
    assert_eq!(listed(), expected);
}

#[test]
fn every_command_writes_one_json_document_with_a_format_key() {
    for (name, template) in commands() {
        let dir = fresh(name, "json");
        let out = run(&args(&template, &dir, &["--format", "json"]));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{name}: not one JSON document ({e}):\n{stdout}"));
        let format = v["format"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no format key"));
        assert!(
            format.starts_with("qindex.") && format.contains('/'),
            "{name}: format {format}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn every_command_writes_to_output_and_nothing_to_stdout() {
    for (name, template) in commands() {
        let dir = fresh(name, "output");
        let target = dir.join("result.txt");
        let target_arg = target.display().to_string();
        let out = run(&args(&template, &dir, &["-o", &target_arg]));
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stdout.is_empty(),
            "{name}: wrote to standard output too"
        );
        let written = std::fs::read(&target).unwrap_or_else(|_| panic!("{name}: no -o file"));
        assert!(!written.is_empty(), "{name}: empty -o file");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn every_command_is_silent_on_stderr_with_quiet() {
    for (name, template) in commands() {
        let dir = fresh(name, "quiet");
        let out = run(&args(&template, &dir, &["--quiet"]));
        assert!(out.status.success(), "{name}");
        assert!(
            out.stderr.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn every_command_exits_1_on_errors_in_the_rules_and_2_on_usage_errors() {
    let dir = fresh("all", "codes");
    let bad = dir.join("bad.qi");
    std::fs::write(&bad, "index i {\n    indicator a = (\n}\n").unwrap();
    let bad = bad.display().to_string();
    let quality = root().join("rules/quality_city.qi");
    let elsewhere = dir.join("out.xlsx").display().to_string();
    for (name, template) in commands() {
        // The same command on rules with an error: every argument naming the rules file is
        // pointed at the bad one.
        let with_bad: Vec<String> = args(&template, &dir, &[])
            .into_iter()
            .map(|a| if a.ends_with(".qi") { bad.clone() } else { a })
            .collect();
        let out = run(&with_bad);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name} on bad rules: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A format the command does not write is a usage error.
        let out = run(&args(
            &template,
            &dir,
            &["--format", "xlsx", "-o", &elsewhere],
        ));
        if name != "run" && name != "compare" {
            assert_eq!(out.status.code(), Some(2), "{name} --format xlsx");
        }
    }
    // Writing onto an input is refused (exit 2), and leaves it as it was.
    let before = std::fs::read(&quality).unwrap();
    let out = qindex(&[
        "run",
        "rules/quality_city.qi",
        "-o",
        "rules/quality_city.qi",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&quality).unwrap(), before);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn completions_come_from_the_command_line_definition() {
    for shell in ["bash", "zsh", "fish"] {
        let out = qindex(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for (name, _) in commands() {
            assert!(script.contains(name), "{shell}: {name} missing");
        }
        assert!(script.contains("--scheme"), "{shell}: options missing");
    }
}

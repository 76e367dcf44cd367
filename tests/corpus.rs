//! The corpus: every `tests/corpus/ok/*.qi` file parses, checks and explains (snapshot of the
//! explanation of every scheme, plus any warnings); every `tests/corpus/err/*.qi` file is
//! rejected with the diagnostics in its snapshot, at the line its `# expect:` comment names.

mod common;

use common::{check_file, render};
use qindex::check;
use qindex::report;

fn explain_all(path: &std::path::Path) -> String {
    let (program, diags) = check_file(path);
    let program = program.expect("readable");
    assert!(
        !diags.iter().any(|d| d.is_error()),
        "{} has errors:\n{}",
        path.display(),
        render(Some(&program), &diags)
    );
    let checked = check::check(&program);
    let mut out = String::new();
    if !diags.is_empty() {
        out.push_str(&render(Some(&program), &diags));
        out.push('\n');
    }
    for plan in &checked.plans {
        out.push_str(&format!("=== scheme {}\n", plan.scheme));
        out.push_str(&report::explain_text(plan));
        out.push('\n');
    }
    out
}

#[test]
fn ok_corpus_checks_and_explains() {
    insta::glob!("corpus/ok/*.qi", |path| {
        let out = explain_all(path);
        let warn_file = path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("warn_");
        // Files named warn_* must warn; the others must be clean.
        assert_eq!(
            out.contains("warning:"),
            warn_file,
            "{}: warnings do not match the file's name:\n{out}",
            path.display()
        );
        insta::assert_snapshot!(out);
    });
}

#[test]
fn shipped_rules_are_clean() {
    insta::glob!("../rules", "**/*.qi", |path| {
        let (program, diags) = check_file(path);
        assert!(
            diags.is_empty(),
            "{} should check without errors or warnings:\n{}",
            path.display(),
            render(program.as_ref(), &diags)
        );
        insta::assert_snapshot!(explain_all(path));
    });
}

/// The line named by the file's first comment: `# expect: error at LINE:COL: ...`.
fn expected_line(text: &str) -> Option<usize> {
    let rest = text.lines().next()?.split("error at ").nth(1)?;
    rest.split(':').next()?.trim().parse().ok()
}

#[test]
fn err_corpus_is_rejected_with_clear_messages() {
    insta::glob!("corpus/err/*.qi", |path| {
        let (program, diags) = check_file(path);
        let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
        assert!(!errors.is_empty(), "{} should be rejected", path.display());
        let rendered = render(program.as_ref(), &diags);
        assert!(
            !rendered.contains("Rule::"),
            "pest rule names leak: {rendered}"
        );
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        if let Some(line) = expected_line(&text) {
            // The line may be in a file this one `use`s (a `use` cycle closes there).
            let at = format!(".qi:{line}:");
            assert!(
                rendered.contains(&at),
                "{}: expected an error on line {line}, got:\n{rendered}",
                path.display()
            );
        }
        insta::assert_snapshot!(rendered);
    });
}

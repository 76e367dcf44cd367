//! No crash on any input, and outputs that never destroy data: the reproductions of a
//! fuzzing campaign, each as it was found.

mod common;

use common::qindex;
use std::path::PathBuf;

/// The folder of this run's files, with the data `d.csv`, written once (the tests run in
/// parallel and read it).
fn dir() -> PathBuf {
    static ONCE: std::sync::Once = std::sync::Once::new();
    let d = std::env::temp_dir().join(format!("qindex-robust-{}", std::process::id()));
    ONCE.call_once(|| {
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("d.csv"), "unit,x\nu1,1\nu2,2\nu3,5\n").unwrap();
    });
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

/// A copy of the tiny index and its data in a folder of its own (one per test: they run in
/// parallel).
fn tiny(name: &str) -> (PathBuf, PathBuf) {
    let d = dir().join(name);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("d.csv"), "unit,x,y\nu1,1,5\nu2,2,3\nu3,5,1\n").unwrap();
    std::fs::write(
        d.join("base.qi"),
        "index t by unit {\n    data \"d.csv\"\n    indicator x\n    indicator y\n}\n",
    )
    .unwrap();
    std::fs::write(
        d.join("r.qi"),
        "use \"base.qi\"\n\nscheme s {\n    weight x = 2\n}\n",
    )
    .unwrap();
    (d.join("r.qi"), d.join("d.csv"))
}

/// `-o` onto the data, the rules or a `use`d file overwrote it and exited 0. Now it is
/// refused (exit 2) and the file is untouched.
#[test]
fn outputs_never_replace_inputs() {
    let (rules, data) = tiny("inputs");
    let base = rules.with_file_name("base.qi");
    let before: Vec<String> = [&rules, &data, &base]
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    for target in [&data, &rules, &base] {
        let (code, err) = exit(&[
            "run",
            rules.to_str().unwrap(),
            "--format",
            "csv",
            "-o",
            target.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("which the command reads"), "{err}");
    }
    // Refused before the work: the demo index warns as it evaluates, and none of its warnings
    // comes before the error (a copy, so that a regression cannot replace the shipped data).
    let demo = dir().join("inputs-demo");
    std::fs::create_dir_all(demo.join("data")).unwrap();
    let root = common::root();
    std::fs::copy(root.join("rules/quality_city.qi"), demo.join("q.qi")).unwrap();
    for f in std::fs::read_dir(root.join("rules/data")).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&f, demo.join("data").join(f.file_name().unwrap())).unwrap();
        }
    }
    let target = demo.join("data/quality_city.csv");
    let (code, err) = exit(&[
        "run",
        demo.join("q.qi").to_str().unwrap(),
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    // Through a symlink or a hard link to the data, too.
    let link = rules.with_file_name("link.csv");
    let _ = std::fs::remove_file(&link);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&data, &link).unwrap();
        let (code, _) = exit(&[
            "run",
            rules.to_str().unwrap(),
            "--format",
            "csv",
            "-o",
            link.to_str().unwrap(),
        ]);
        assert_eq!(code, 2);
        std::fs::remove_file(&link).unwrap();
        std::fs::hard_link(&data, &link).unwrap();
        let (code, _) = exit(&[
            "run",
            rules.to_str().unwrap(),
            "--format",
            "csv",
            "-o",
            link.to_str().unwrap(),
        ]);
        assert_eq!(code, 2);
        std::fs::remove_file(&link).unwrap();
    }
    let after: Vec<String> = [&rules, &data, &base]
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(before, after);
}

/// The atomic rename replaced a symlink with a regular file (the real file unchanged) and, as
/// root, a device node with a regular file. Now a symlink is written through and a device is
/// written directly.
#[cfg(unix)]
#[test]
fn outputs_write_through_links_and_into_devices() {
    use std::os::unix::fs::FileTypeExt;
    let (rules, _) = tiny("links");
    let real = rules.with_file_name("results.csv");
    let link = rules.with_file_name("latest.csv");
    std::fs::write(&real, "old").unwrap();
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink("results.csv", &link).unwrap();
    let (code, err) = exit(&[
        "run",
        rules.to_str().unwrap(),
        "--format",
        "csv",
        "-o",
        link.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&real).unwrap().starts_with("unit,"));
    let leftovers = std::fs::read_dir(rules.parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(leftovers, 0);
    let (code, err) = exit(&[
        "run",
        rules.to_str().unwrap(),
        "--format",
        "csv",
        "-o",
        "/dev/null",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
}

/// With standard output on a full disk, `check` and `uncertainty` exited 0 and `explain` 2
/// without a word. Now every command exits 2 and says why.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_on_standard_output_is_an_error() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let cases: [&[&str]; 4] = [
        &["check", "rules/quality_city.qi"],
        &["explain", "rules/quality_city.qi"],
        &["uncertainty", "rules/market_led.qi", "--samples", "20"],
        &["run", "rules/quality_city.qi", "--format", "csv"],
    ];
    for args in cases {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_qindex"))
            .args(args)
            .current_dir(common::root())
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("error:") && err.contains("No space left"),
            "{args:?}: {err}"
        );
    }
}

/// `samples 4294967296` was refused with "is a whole number … not 4294967296", which it is.
/// Now the message gives the limit.
#[test]
fn too_many_samples_names_the_limit() {
    let path = rules(
        "samples.qi",
        "index t by unit {\n    data \"d.csv\"\n    indicator x\n}\n\nuncertainty {\n    samples 4294967296\n    vary weights 10%\n}\n",
    );
    let (code, err) = exit(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("at most 1000000000"), "{err}");
    assert!(!err.contains("whole number"), "{err}");
}

/// A signal during a large `run -o` leaves no temporary file beside the target, whenever it
/// arrives: the test signals as soon as the temporary file appears.
#[cfg(unix)]
#[test]
fn a_signal_during_a_write_leaves_no_temporary_file() {
    let d = dir().join("signal");
    std::fs::create_dir_all(&d).unwrap();
    let mut csv = String::from("unit,a,b,c\n");
    for i in 0..300_000 {
        csv.push_str(&format!("u{i},{},{},{}\n", i % 97, i % 89, i % 83));
    }
    std::fs::write(d.join("big.csv"), csv).unwrap();
    let rules = d.join("big.qi");
    std::fs::write(
        &rules,
        "index t by unit {\n    data \"big.csv\"\n    indicator a = a\n    indicator b = b\n    indicator c = c\n}\n",
    )
    .unwrap();
    let out = d.join("out.csv");
    for signal in ["TERM", "INT"] {
        // The write lasts a fraction of a second: try until the signal lands during it.
        let mut attempts = 0;
        let signalled = loop {
            attempts += 1;
            let (landed, left) = signal_during_write(&rules, &out, &d, signal);
            assert!(!left, "{signal}: a temporary file was left");
            if landed || attempts == 20 {
                break landed;
            }
        };
        assert!(signalled, "{signal}: never arrived during the write");
    }
}

#[cfg(unix)]
/// Runs `run -o`, sends `signal` as soon as the temporary file appears; whether it was sent,
/// and whether a temporary file is left after the process ended.
fn signal_during_write(
    rules: &std::path::Path,
    out: &std::path::Path,
    d: &std::path::Path,
    signal: &str,
) -> (bool, bool) {
    {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_qindex"))
            .args(["run", rules.to_str().unwrap(), "--format", "csv", "-o"])
            .arg(out)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let temporary = || {
            std::fs::read_dir(d)
                .unwrap()
                .filter_map(|e| e.ok())
                .any(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        };
        let mut signalled = false;
        while child.try_wait().unwrap().is_none() {
            if temporary() {
                let sig = if signal == "TERM" {
                    libc::SIGTERM
                } else {
                    libc::SIGINT
                };
                // SAFETY: kill(2) on the child's own pid; no memory is involved.
                assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
                signalled = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let status = child.wait().unwrap();
        if signalled {
            assert!(!status.success(), "{signal}: {status:?}");
        }
        let left = temporary();
        let _ = std::fs::remove_file(out);
        (signalled, left)
    }
}

/// Only regular files and pipes are read: `/dev/zero` as rules, as a `use`d file or as data
/// is refused at once (it used to be read until memory ran out).
#[cfg(unix)]
#[test]
fn devices_are_not_read() {
    let (code, err) = exit(&["check", "/dev/zero"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a regular file or a pipe"), "{err}");
    let used = rules(
        "uses_zero.qi",
        "use \"/dev/zero\"\nindex t by unit {\n    data \"d.csv\"\n    indicator a = x\n}\n",
    );
    let (code, err) = exit(&["check", used.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not a regular file or a pipe"), "{err}");
    let plain = with_formula("plain_for_zero.qi", "x");
    let (code, err) = exit(&["run", plain.to_str().unwrap(), "--data", "/dev/zero"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("/dev/zero: not a regular file or a pipe"),
        "{err}"
    );
}

/// `fmt -` on text that is not UTF-8 says where, as for a file given by path, and exits 1.
#[test]
fn fmt_of_standard_input_that_is_not_utf8_gives_the_position() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_qindex"))
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"index a {\n  indicator x = \xff\n}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("<stdin>:2:17"), "{err}");
}

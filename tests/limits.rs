//! Bounded resources (issue: unbounded allocations aborted with "memory allocation failed"):
//! the analyses estimate the memory their samples need before allocating and refuse beyond
//! the budget (half the machine's memory, or `--memory-limit`), naming the estimate and what to
//! change; `--samples` has the range of the block's `samples`.

mod common;

use common::qindex;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn sensitivity_refuses_a_design_beyond_the_budget() {
    // N = 10⁸ on the shipped block: 10⁹ evaluations of the MARC, about 22 GB.
    let o = qindex(&[
        "sensitivity",
        "rules/market_led.qi",
        "--samples",
        "100000000",
        "--memory-limit",
        "8G",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("`sensitivity` with N = 100000000"), "{err}");
    assert!(err.contains("would need about 22.4 GB of memory"), "{err}");
    assert!(err.contains("give a smaller N"), "{err}");
    // The default budget, half the machine's memory: N = 10⁹ needs about 224 GB.
    let o = qindex(&[
        "sensitivity",
        "rules/market_led.qi",
        "--samples",
        "1000000000",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("(half of this machine's memory"), "{err}");

    // Within the default budget, but not within a limit given.
    let o = qindex(&[
        "sensitivity",
        "rules/market_led.qi",
        "--samples",
        "4096",
        "--target",
        "rank",
        "--memory-limit",
        "1M",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("more than the limit of 1.0 MB (set by --memory-limit)"),
        "{err}"
    );
    let o = qindex(&[
        "sensitivity",
        "rules/market_led.qi",
        "--samples",
        "64",
        "--memory-limit",
        "1M",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn uncertainty_refuses_beyond_the_budget_and_the_range_of_samples() {
    let o = qindex(&[
        "uncertainty",
        "rules/market_led.qi",
        "--samples",
        "100000",
        // Above what the data needs (about 163 KB: refused before reading beyond it), below
        // what the replications' blocks need (about 220 KB).
        "--memory-limit",
        "200K",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`uncertainty` with 100000 replications of 36 units"),
        "{err}"
    );
    assert!(err.contains("give fewer replications"), "{err}");

    let o = qindex(&[
        "uncertainty",
        "rules/market_led.qi",
        "--samples",
        "4000000000",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("at most 1000000000"), "{err}");

    let o = qindex(&[
        "uncertainty",
        "rules/market_led.qi",
        "--memory-limit",
        "lots",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`lots` is not a size"),
        "{}",
        stderr(&o)
    );
}

/// `stability` shows its progress on a terminal (it can run for minutes on a large system):
/// run under `script`, which gives it a pseudo-terminal, it counts the weights it has moved;
/// with its standard error not a terminal it prints nothing but the result.
#[test]
fn stability_shows_progress_on_a_terminal() {
    let bin = env!("CARGO_BIN_EXE_qindex");
    let out = std::env::temp_dir().join(format!("qindex-limits-{}.txt", std::process::id()));
    let command = format!("{bin} stability rules/quality_city.qi -o {}", out.display());
    let o = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(common::root())
        .env("NO_COLOR", "1")
        .output()
        .expect("`script` (util-linux) runs");
    let tty = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{tty}");
    assert!(tty.contains("\r1/"), "{tty:?}");
    assert!(tty.contains(" weights moved"), "{tty:?}");
    let _ = std::fs::remove_file(&out);
    let o = qindex(&["stability", "rules/quality_city.qi", "--format", "json"]);
    assert!(o.status.success());
    assert!(!stderr(&o).contains("weights moved"), "{}", stderr(&o));
}

/// Every command shows, on a terminal, what it is doing once it has run for a second: here
/// `run` blocked reading its data from a FIFO for 1.6 s shows `reading PATH… 1.x s`, and
/// clears the line before it ends. Not on a pipe.
#[test]
fn a_slow_phase_shows_on_a_terminal() {
    let bin = env!("CARGO_BIN_EXE_qindex");
    let dir = std::env::temp_dir().join(format!("qindex-limits-phase-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("data.csv");
    let _ = std::fs::remove_file(&fifo);
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string and mode.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let out = dir.join("out.csv");
    let command = format!(
        "{bin} run rules/quality_city.qi --data {} --format csv -o {}",
        fifo.display(),
        out.display()
    );
    let child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(common::root())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) runs");
    let data = std::fs::read(common::root().join("rules/data/quality_city.csv")).unwrap();
    {
        // Opening blocks until qindex opens the FIFO to read it.
        let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1600));
        std::io::Write::write_all(&mut w, &data).unwrap();
    }
    let o = child.wait_with_output().unwrap();
    let tty = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{tty}");
    let shown = format!("\rreading {}… 1.", fifo.display());
    assert!(tty.contains(&shown), "{tty:?}");
    // Cleared before anything else is printed (the warnings) and not drawn after.
    let last = tty.rfind('…').unwrap();
    let after = &tty[last..];
    let blank = after.find(&format!("\r{}", " ".repeat(20)));
    let cleared = blank.is_some_and(|b| after[b + 1..].trim_start_matches(' ').starts_with('\r'));
    assert!(cleared, "{after:?}");
    assert!(blank < after.find("warning["), "{after:?}");
    assert!(std::fs::metadata(&out).unwrap().len() > 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The in-memory engine estimates what a data file needs before reading it and refuses beyond
/// the budget, with the estimate, the limit and `--engine datafusion` (issue #19).
#[test]
fn run_refuses_data_beyond_the_budget_before_reading_it() {
    let dir = std::env::temp_dir().join(format!("qindex-limits-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("r.qi");
    std::fs::write(
        &rules,
        "index r by unit {\n    indicator x\n    indicator y\n}\n",
    )
    .unwrap();
    let rows: u64 = 50_000;
    let mut csv = String::from("unit,x,y\n");
    for i in 0..rows {
        csv.push_str(&format!("u{i},{}.5,{}\n", i % 97, i % 13));
    }
    let data = dir.join("d.csv");
    std::fs::write(&data, &csv).unwrap();
    let (r, d) = (rules.to_str().unwrap(), data.to_str().unwrap());

    let o = qindex(&[
        "run",
        r,
        "--data",
        d,
        "--format",
        "csv",
        "--memory-limit",
        "1M",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(o.stdout.is_empty());
    // The estimate counts rows from the file's size: close to the real count.
    let estimated: u64 = err
        .split("(about ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        estimated.abs_diff(rows) * 20 < rows,
        "{estimated} rows: {err}"
    );
    assert!(
        err.contains(" rows × 3 columns) would need about "),
        "{err}"
    );
    assert!(
        err.contains("more than the limit of 1.0 MB (set by --memory-limit)"),
        "{err}"
    );
    assert!(err.contains("--engine datafusion --memory-limit"), "{err}");

    // Within the budget it runs.
    let o = qindex(&[
        "run",
        r,
        "--data",
        d,
        "--format",
        "csv",
        "--memory-limit",
        "64M",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        o.stdout.iter().filter(|b| **b == b'\n').count() as u64,
        rows + 1
    );
    let _ = std::fs::remove_dir_all(&dir);
}

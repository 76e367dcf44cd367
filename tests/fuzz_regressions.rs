//! Crashes found by the fuzzing harness (`fuzz/`, `tests/fuzz_smoke.rs`), each as a reproducer
//! that must end in a diagnostic (exit 1), not a panic, an abort or a hang. One not fixed yet
//! is `#[ignore]`d with the reason; `cargo test --test fuzz_regressions -- --ignored` runs them.
//!
//! The reproducers run the real binary under a memory limit and a time limit, so that a crash
//! that aborts the process (an allocation of many gigabytes) fails the test instead.
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The most memory a reproducer may take (address space), and the most time.
const MEMORY: u64 = 4 << 30;
const TIME: Duration = Duration::from_secs(60);

/// The span of `unknown escape` ended one byte after the backslash, inside the character that
/// follows it when that is not ASCII (found by fuzz_smoke). Now it covers the whole escape.
#[test]
fn unknown_escape_before_a_wide_character() {
    for (text, escape) in [
        ("index t \"a\\导\" by unit {\n    indicator x\n}\n", "\\导"),
        ("index t \"\\😀b\" by unit {\n    indicator x\n}\n", "\\😀"),
        ("index t \"\\q\" by unit {\n    indicator x\n}\n", "\\q"),
    ] {
        let (program, diags) =
            qindex::check::load_text(Path::new("escape.qi"), text.to_string()).unwrap();
        let d = diags
            .iter()
            .find(|d| d.message.starts_with("unknown escape"))
            .unwrap_or_else(|| panic!("{text}: {diags:?}"));
        let span = d.span.expect("a span");
        assert_eq!(program.sources.slice(span), escape, "{text}");
        assert_eq!(&text[span.range()], escape, "{text}");
    }
}

/// The rules every workbook reproducer is read for: the columns of `tests/fixtures/data/book.xls`.
/// Written once: the tests run in parallel and read it.
fn rules() -> PathBuf {
    static RULES: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    RULES
        .get_or_init(|| {
            scratch_file(
                "book.qi",
                b"index t by unit over year {\n    indicator score\n}\n",
            )
        })
        .clone()
}

/// `qindex ARGS` under the limits: its exit code (`None`: killed by a signal or for taking too
/// long) and standard error.
fn limited(args: &[&str]) -> (Option<i32>, String) {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qindex"));
    cmd.args(args)
        .current_dir(common::root())
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit(2) in the child before exec; it touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: MEMORY as libc::rlim_t,
                rlim_max: MEMORY as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("run qindex");
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).ok();
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > TIME {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let err = reader.join().unwrap();
    (status.and_then(|s| s.code()), err)
}

/// A damaged `.xls` workbook given as data is a `bad-workbook` diagnostic, exit 1.
fn workbook_is_a_diagnostic(fixture: &str) {
    let rules = rules();
    let data = Path::new("tests/fixtures/fuzz").join(fixture);
    let (code, err) = limited(&[
        "run",
        rules.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--sheet",
        "Data",
        "--format",
        "csv",
    ]);
    assert!(
        code == Some(1) && !err.contains("panicked"),
        "{fixture}: exit {code:?} (None: a signal or a hang), not 1:\n{err}"
    );
    assert!(err.contains("could not be read as a spreadsheet"), "{err}");
}

#[test]
fn truncated_xls_cfb_sector() {
    workbook_is_a_diagnostic("xls_cfb_261.xls");
}

#[test]
fn damaged_xls_sector_table() {
    workbook_is_a_diagnostic("xls_cfb_283.xls");
}

#[test]
fn damaged_xls_directory_entry() {
    workbook_is_a_diagnostic("xls_cfb_302.xls");
}

#[test]
fn damaged_xls_directory_name() {
    workbook_is_a_diagnostic("xls_cfb_306.xls");
}

#[test]
fn damaged_xls_record_length() {
    workbook_is_a_diagnostic("xls_utils_19.xls");
}

#[test]
fn damaged_xls_record_overflow() {
    workbook_is_a_diagnostic("xls_xls_723.xls");
}

#[test]
// calamine 0.30.1 reserved what the damaged header says (17 GB here) and the process aborted;
// `data::compound` now checks the numbers first.
fn damaged_xls_huge_allocation() {
    workbook_is_a_diagnostic("xls_huge_allocation.xls");
}

/// A workbook written to the scratch folder of this process.
fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qindex-fuzz-regressions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `qindex run` of the workbook rules over `data`, under the limits.
fn run_on(data: &Path) -> (Option<i32>, String) {
    limited(&[
        "run",
        rules().to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--format",
        "csv",
    ])
}

/// One value typed in the sheet's far corner made calamine lay out 17 billion cells and abort.
/// The sheet's cells are now read one by one first; the error names the stray cell.
#[test]
fn a_stray_value_in_the_far_corner_of_an_xlsx_sheet() {
    let book = |stray: bool| {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("Data").unwrap();
        for (c, h) in ["unit", "year", "score"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        for row in 1..4u32 {
            sheet.write_string(row, 0, format!("C{row}")).unwrap();
            sheet.write_number(row, 1, 2024).unwrap();
            sheet.write_number(row, 2, row as f64).unwrap();
        }
        if stray {
            sheet.write_string(1_048_575, 16_383, "x").unwrap();
        }
        book.save_to_buffer().unwrap()
    };
    let (code, err) = run_on(&scratch_file("stray.xlsx", &book(true)));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("spans 1048576 rows × 16384 columns"), "{err}");
    assert!(
        err.contains("its last value is in cell XFD1048576"),
        "{err}"
    );
    // The same sheet without the stray value reads.
    let (code, err) = run_on(&scratch_file("clean.xlsx", &book(false)));
    assert_eq!(code, Some(0), "{err}");
}

/// An `.ods` of 1.3 KB whose one value repeats 999,999,999 times in 999,999,999 rows (the
/// shape of calamine's issue 594 file) exhausted memory; it is refused from its tags.
#[test]
fn repeated_rows_and_cells_of_an_ods_sheet() {
    use std::io::Write;
    let ods = |rows: &str, cols: &str| {
        let content = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content \
             xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
             xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
             xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\"><office:body>\
             <office:spreadsheet><table:table table:name=\"Data\"><table:table-row>\
             <table:table-cell office:value-type=\"string\"><text:p>unit</text:p></table:table-cell>\
             <table:table-cell office:value-type=\"string\"><text:p>year</text:p></table:table-cell>\
             <table:table-cell office:value-type=\"string\"><text:p>score</text:p></table:table-cell>\
             </table:table-row><table:table-row table:number-rows-repeated=\"{rows}\">\
             <table:table-cell office:value-type=\"string\"><text:p>C</text:p></table:table-cell>\
             <table:table-cell office:value-type=\"float\" office:value=\"2024\"/>\
             <table:table-cell table:number-columns-repeated=\"{cols}\" \
             office:value-type=\"float\" office:value=\"1\"/></table:table-row></table:table>\
             </office:spreadsheet></office:body></office:document-content>"
        );
        let mut out = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("mimetype", stored).unwrap();
        zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        zip.start_file("META-INF/manifest.xml", stored).unwrap();
        zip.write_all(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest:manifest \
              xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\">\
              <manifest:file-entry manifest:full-path=\"/\" \
              manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>\
              <manifest:file-entry manifest:full-path=\"content.xml\" \
              manifest:media-type=\"text/xml\"/></manifest:manifest>",
        )
        .unwrap();
        zip.start_file("content.xml", stored).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
        zip.finish().unwrap();
        out.into_inner()
    };
    let (code, err) = run_on(&scratch_file("bomb.ods", &ods("999999999", "999999999")));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("could not be read as a spreadsheet"), "{err}");
    assert!(err.contains("`table:number-rows-repeated`"), "{err}");
    // The same sheet without the repeats reads.
    let (code, err) = run_on(&scratch_file("small.ods", &ods("1", "1")));
    assert_eq!(code, Some(0), "{err}");
}

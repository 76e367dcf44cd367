//! Loading data files: formats, encodings, cell syntax and every data error.

use qindex::data::{load, load_csv_bytes, Frame, LoadOptions};
use qindex::{Diagnostic, Error, Severity};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new("tests/fixtures/data").join(name)
}

/// A diagnostic on one line: severity, code, location, message, and hint when there is one.
fn line(d: &Diagnostic) -> String {
    let sev = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut s = format!(
        "{sev}[{}] {}: {}",
        d.code,
        d.location.as_deref().unwrap_or("-"),
        d.message
    );
    if let Some(h) = &d.hint {
        s.push_str(&format!(" (hint: {h})"));
    }
    for n in &d.notes {
        s.push_str(&format!(" (note: {n})"));
    }
    s
}

fn ok(path: &Path, opts: &LoadOptions) -> (Frame, Vec<String>) {
    match load(path, opts) {
        Ok((f, w)) => (f, w.iter().map(line).collect()),
        Err(Error::Diagnostics(d)) => panic!("{:#?}", d.iter().map(line).collect::<Vec<_>>()),
        Err(e) => panic!("{e}"),
    }
}

fn fails(path: &Path, opts: &LoadOptions) -> Vec<String> {
    match load(path, opts) {
        Ok(_) => panic!("{} loaded without error", path.display()),
        Err(Error::Diagnostics(d)) => d.iter().map(line).collect(),
        Err(e) => panic!("not a diagnostic: {e}"),
    }
}

fn opts(unit: &str, numeric: &[&str]) -> LoadOptions {
    let mut o = LoadOptions::new(unit);
    o.numeric_columns = numeric.iter().map(|s| s.to_string()).collect();
    o
}

fn is_missing(v: &[f64]) -> Vec<bool> {
    v.iter().map(|x| x.is_nan()).collect()
}

fn panel_opts() -> LoadOptions {
    let mut o = opts("unit", &["score", "share", "pop"]);
    o.period_column = Some("year".into());
    o.label_column = Some("name".into());
    o.text_columns = vec!["region".into()];
    o
}

#[test]
fn panel_with_keys_labels_and_text_columns() {
    let (f, warnings) = ok(&fixture("panel.csv"), &panel_opts());
    assert_eq!(f.len(), 6);
    assert_eq!(
        f.units().iter().collect::<Vec<_>>(),
        ["001", "001", "002", "002", "003", "003"]
    );
    let periods = f.periods().map(|p| p.iter().collect::<Vec<_>>());
    assert_eq!(
        periods,
        Some(vec!["2021", "2022", "2021", "2022", "2021", "2022"])
    );
    assert_eq!(f.labels().map(|l| l.get(4)), Some("Gamma, the third"));
    assert_eq!(f.text_column("region").map(|c| c.get(2)), Some("south"));
    assert_eq!(
        f.headers(),
        ["unit", "year", "name", "region", "score", "share", "pop"]
    );
    assert_eq!(f.column("score").map(|c| c[0]), Some(1.5));
    assert_eq!(f.column("nonexistent"), None);
    assert_eq!(f.source_row(2), 4);
    assert_eq!(f.content_hash().len(), 16);
    assert_eq!(f.encoding(), "UTF-8");
    assert_eq!(
        warnings[0],
        "warning[trimmed-id] tests/fixtures/data/panel.csv:4:1: 1 value(s) in column `unit` had \
         spaces around them, which were removed (first in row 4: ` 002 `)"
    );
    assert_eq!(
        warnings[2],
        "warning[thousands-separators] tests/fixtures/data/panel.csv:2:7: column `pop` of \
         tests/fixtures/data/panel.csv was read with thousands separators (1 cell(s), first in \
         row 2: `1,234,567.8` read as 1234567.8)"
    );
    assert_eq!(warnings.len(), 3, "and one for `share`: {warnings:?}");
}

#[test]
fn missing_value_tokens() {
    let (f, _) = ok(&fixture("panel.csv"), &panel_opts());
    let score = f.column("score").unwrap_or_default();
    assert_eq!(is_missing(score), [false, false, true, true, true, false]);
    // N/A, —, …, #DIV/0!
    let share = f.column("share").unwrap_or_default();
    assert_eq!(is_missing(share), [false, false, true, true, true, true]);
    // -, 无, /, #VALUE!
    let pop = f.column("pop").unwrap_or_default();
    assert_eq!(is_missing(pop), [false, false, true, true, true, true]);
}

#[test]
fn user_missing_tokens() {
    let mut o = opts("unit", &["x", "y"]);
    o.na_tokens = vec!["n.a.".into(), "abc".into()];
    let (f, _) = ok(&fixture("not_numeric.csv"), &o);
    assert_eq!(
        is_missing(f.column("x").unwrap_or_default()),
        [false, true, false]
    );
    assert_eq!(
        is_missing(f.column("y").unwrap_or_default()),
        [false, false, true]
    );
}

#[test]
fn percent_and_thousands() {
    let (f, warnings) = ok(&fixture("panel.csv"), &panel_opts());
    assert_eq!(f.column("share").map(|c| c[0]), Some(0.95));
    assert_eq!(f.column("pop").map(|c| c[0]), Some(1234567.8));
    assert!(
        warnings[1].starts_with(
            "warning[mixed-percent] tests/fixtures/data/panel.csv:2:6: column `share` mixes \
             percentages (1 cell(s), first in row 2: `95%`) and plain numbers (1 cell(s), first \
             in row 3)"
        ),
        "{warnings:?}"
    );
}

#[test]
fn mixed_percent_warns() {
    let (f, warnings) = ok(&fixture("percent_mixed.csv"), &opts("unit", &["x"]));
    assert_eq!(f.column("x"), Some(&[0.5, 0.4, 0.3][..]));
    assert_eq!(
        warnings,
        [
            "warning[mixed-percent] tests/fixtures/data/percent_mixed.csv:2:2: column `x` mixes \
          percentages (2 cell(s), first in row 2: `50%`) and plain numbers (1 cell(s), first \
          in row 3) (hint: percentages were divided by 100 (95% is 0.95); check that the plain \
          numbers are on the same scale)"
        ]
    );
}

#[test]
fn delimiters_detected_and_forced() {
    let (f, _) = ok(&fixture("semicolon.csv"), &opts("unit", &["x", "y"]));
    assert_eq!(f.column("x"), Some(&[1.5, -3.0][..]));
    assert_eq!(f.column("y"), Some(&[2.0, 400.0][..]));
    let (f, _) = ok(&fixture("tab.tsv"), &opts("unit", &["y"]));
    assert_eq!(f.column("y"), Some(&[2.0, 4.0][..]));
    let mut o = opts("unit;x;y", &[]);
    o.delimiter = Some(b',');
    let (f, _) = ok(&fixture("semicolon.csv"), &o);
    assert_eq!(f.units().get(1), "b;-3;4e2");
}

#[test]
fn utf8_bom() {
    let (f, _) = ok(&fixture("bom.csv"), &opts("unit", &["x"]));
    assert_eq!(f.headers()[0], "unit");
    assert_eq!(f.column("x"), Some(&[1.0, 2.0][..]));
}

#[test]
fn gb18030_detected() {
    let mut o = opts("地区", &["得分"]);
    o.period_column = Some("年份".into());
    o.text_columns = vec!["备注".into()];
    let (f, _) = ok(&fixture("gb18030.csv"), &o);
    assert_eq!(f.encoding(), "gb18030");
    assert_eq!(
        f.units().iter().collect::<Vec<_>>(),
        ["北京", "上海", "广州"]
    );
    assert_eq!(
        is_missing(f.column("得分").unwrap_or_default()),
        [false, false, true]
    );
    assert_eq!(f.text_column("备注").map(|c| c.get(1)), Some("直辖市"));
}

#[test]
fn forced_encoding() {
    let mut o = opts("地区", &["得分"]);
    o.encoding = Some("GBK".into());
    let (f, _) = ok(&fixture("gb18030.csv"), &o);
    assert_eq!(f.units().get(0), "北京");
    assert_eq!(f.encoding(), "GBK");

    let mut o = opts("unit", &["x"]);
    o.encoding = Some("latin1".into());
    let (f, _) = ok(&fixture("latin1.csv"), &o);
    assert_eq!(f.units().get(1), "São Tomé");
}

#[test]
fn unknown_encoding() {
    let mut o = opts("unit", &["x"]);
    o.encoding = Some("gbkk".into());
    let errors = fails(&fixture("bom.csv"), &o);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with(
            "error[unknown-encoding] tests/fixtures/data/bom.csv: unknown encoding `gbkk` \
             (hint: did you mean `gbk`?)"
        ),
        "{}",
        errors[0]
    );
}

#[test]
fn quoted_fields() {
    let mut o = opts("unit", &["x"]);
    o.label_column = Some("label".into());
    let (f, _) = ok(&fixture("quoted.csv"), &o);
    let labels = f.labels().map(|l| l.iter().collect::<Vec<_>>());
    assert_eq!(labels, Some(vec!["say \"hi\"", "two\nlines", "plain"]));
    assert_eq!(f.column("x"), Some(&[1.0, 2500.0, 3.0][..]));
    assert_eq!(f.source_row(2), 4);
}

#[test]
fn blank_rows_are_skipped() {
    let (f, _) = ok(&fixture("blank_rows.csv"), &opts("unit", &["x"]));
    assert_eq!(f.units().iter().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(f.source_row(1), 4);
}

#[test]
fn rows_of_one_period() {
    let (f, _) = ok(&fixture("panel.csv"), &panel_opts());
    assert_eq!(f.period_values(), ["2021", "2022"]);
    assert_eq!(f.rows_of_period("2022"), [1, 3, 5]);
    let p = f.for_period("2022");
    assert_eq!(p.len(), 3);
    assert_eq!(p.units().iter().collect::<Vec<_>>(), ["001", "002", "003"]);
    assert_eq!(p.column("score").map(|c| c[2]), Some(3.0));
    assert_eq!(p.source_row(2), 7);
    assert_eq!(p.content_hash(), f.content_hash());
}

#[test]
fn unknown_column_suggests() {
    let errors = fails(&fixture("panel.csv"), &opts("unit", &["scroe", "zzz"]));
    assert_eq!(
        errors,
        [
            "error[unknown-column] tests/fixtures/data/panel.csv:1: column `scroe` is not in \
             the header of tests/fixtures/data/panel.csv (hint: did you mean `score`?) (note: \
             the columns are `unit`, `year`, `name`, `region`, `score`, `share`, `pop`)",
            "error[unknown-column] tests/fixtures/data/panel.csv:1: column `zzz` is not in the \
             header of tests/fixtures/data/panel.csv (hint: check the spelling, or the \
             delimiter and the header row of the file) (note: the columns are `unit`, `year`, \
             `name`, `region`, `score`, `share`, `pop`)",
        ]
    );
}

#[test]
fn not_a_number() {
    let errors = fails(&fixture("not_numeric.csv"), &opts("unit", &["x", "y"]));
    let hint = " (hint: write a number (0.5, 50%), leave the cell empty or write NA if it is \
                missing, or load leniently to read such cells as missing)";
    assert_eq!(
        errors,
        [
            format!(
                "error[not-a-number] tests/fixtures/data/not_numeric.csv:3:2: `abc` in column \
                 `x`, row 3, is not a number{hint}"
            ),
            format!(
                "error[not-a-number] tests/fixtures/data/not_numeric.csv:4:3: `n.a.` in column \
                 `y`, row 4, is not a number{hint}"
            ),
        ]
    );
}

#[test]
fn lenient_reads_missing_and_warns_once_per_column() {
    let mut o = opts("unit", &["x", "y"]);
    o.lenient = true;
    let (f, warnings) = ok(&fixture("not_numeric.csv"), &o);
    assert_eq!(
        is_missing(f.column("x").unwrap_or_default()),
        [false, true, false]
    );
    assert_eq!(
        warnings,
        [
            "warning[not-a-number] tests/fixtures/data/not_numeric.csv:3:2: 1 cell(s) in column \
             `x` are not numbers and were read as missing (first in row 3: `abc`)",
            "warning[not-a-number] tests/fixtures/data/not_numeric.csv:4:3: 1 cell(s) in column \
             `y` are not numbers and were read as missing (first in row 4: `n.a.`)",
        ]
    );
}

#[test]
fn duplicate_unit_and_period() {
    let mut o = opts("unit", &["x"]);
    o.period_column = Some("year".into());
    let errors = fails(&fixture("duplicate.csv"), &o);
    assert_eq!(
        errors,
        ["error[duplicate-row] tests/fixtures/data/duplicate.csv:5:1: unit `b` in period `2021` \
          appears twice, in rows 3 and 5 (hint: keep one row per unit and period)"]
    );
    let errors = fails(&fixture("duplicate.csv"), &opts("unit", &["x"]));
    assert_eq!(errors.len(), 2);
    assert!(
        errors[0].contains("unit `a` appears twice, in rows 2 and 4"),
        "{errors:?}"
    );
}

/// Over 65,536 rows the duplicate check sorts by radix: a unit repeated three times is
/// reported against its first row, in row order.
#[test]
fn duplicates_in_a_long_file() {
    let mut text = String::from("unit,x\n");
    for i in 0..70_000 {
        let unit = match i {
            50_000 | 69_999 => "u00007".to_string(),
            _ => format!("u{i:05}"),
        };
        text.push_str(&format!("{unit},{i}\n"));
    }
    let errors = match load_csv_bytes(
        Path::new("long.csv"),
        text.as_bytes(),
        &opts("unit", &["x"]),
    ) {
        Err(Error::Diagnostics(d)) => d.iter().map(line).collect::<Vec<_>>(),
        _ => panic!("the repeated unit is found"),
    };
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("in rows 9 and 50002"), "{errors:?}");
    assert!(errors[1].contains("in rows 9 and 70001"), "{errors:?}");
}

#[test]
fn empty_file_and_header_only() {
    assert_eq!(
        fails(&fixture("empty.csv"), &opts("unit", &["x"])),
        [
            "error[empty-file] tests/fixtures/data/empty.csv: tests/fixtures/data/empty.csv is \
          empty (hint: a data file needs a header row and one row per unit (and period))"
        ]
    );
    assert_eq!(
        fails(&fixture("header_only.csv"), &opts("unit", &["x"])),
        ["error[no-rows] tests/fixtures/data/header_only.csv:2: \
          tests/fixtures/data/header_only.csv has a header but no rows of data"]
    );
}

#[test]
fn wrong_number_of_fields() {
    let errors = fails(&fixture("ragged.csv"), &opts("unit", &["x", "y"]));
    let hint = " (hint: a value may contain the delimiter: put it in double quotes (\"1,234\"), \
                or the row may be cut short)";
    assert_eq!(
        errors,
        [
            format!(
                "error[field-count] tests/fixtures/data/ragged.csv:3: row 3 has 2 fields but \
                 the header has 3{hint}"
            ),
            format!(
                "error[field-count] tests/fixtures/data/ragged.csv:4: row 4 has 4 fields but \
                 the header has 3{hint}"
            ),
        ],
        "trailing empty fields (row 5) are allowed"
    );
    // The same when only the first column is read, and the others are only counted.
    assert_eq!(fails(&fixture("ragged.csv"), &opts("unit", &[])), errors);
}

#[test]
fn missing_unit_id() {
    let bytes = b"unit,x\na,1\n,2\n";
    let err = load_csv_bytes(Path::new("inline.csv"), bytes, &opts("unit", &["x"]));
    let Err(Error::Diagnostics(d)) = err else {
        panic!("expected an error")
    };
    assert_eq!(
        d.iter().map(line).collect::<Vec<_>>(),
        [
            "error[missing-unit] inline.csv:3:1: row 3 has no unit id in column `unit` (hint: \
          fill in the cell, or delete the row if it is not data)"
        ]
    );
}

#[test]
fn unclosed_quote() {
    let err = load_csv_bytes(
        Path::new("inline.csv"),
        b"unit,x\na,1\n\"b,2\nc,3\n",
        &opts("unit", &["x"]),
    );
    let Err(Error::Diagnostics(d)) = err else {
        panic!("expected an error")
    };
    assert_eq!(
        d.iter().map(line).collect::<Vec<_>>(),
        [
            "error[unclosed-quote] inline.csv:3: a quoted value that starts in row 3 is never \
          closed (hint: add the closing double quote; write a quote inside a value as \"\")"
        ]
    );
}

#[test]
fn io_error_for_missing_file() {
    match load(&fixture("no_such_file.csv"), &opts("unit", &[])) {
        Err(Error::Io { path, .. }) => assert_eq!(path, fixture("no_such_file.csv")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn xlsx_sheet() {
    let mut o = opts("unit", &["score", "share"]);
    o.period_column = Some("year".into());
    o.label_column = Some("name".into());
    o.sheet = Some("Data".into());
    o.lenient = true;
    let (f, warnings) = ok(&fixture("book.xlsx"), &o);
    assert_eq!(
        f.units().iter().collect::<Vec<_>>(),
        ["001", "002", "003", "004"]
    );
    assert_eq!(f.periods().map(|p| p.get(0)), Some("2021"));
    assert_eq!(f.labels().map(|p| p.get(3)), Some("Delta"));
    let score = f.column("score").unwrap_or_default();
    assert_eq!(score[0], 1.5);
    assert_eq!(is_missing(score), [false, true, true, true]);
    assert_eq!(f.column("share").map(|c| c[0]), Some(0.95));
    assert_eq!(
        warnings,
        [
            "warning[not-a-number] tests/fixtures/data/book.xlsx:5:4: 1 cell(s) in column \
             `score` are not numbers and were read as missing (first in row 5: `abc`)",
            "warning[mixed-percent] tests/fixtures/data/book.xlsx:2:5: column `share` mixes \
             percentages (1 cell(s), first in row 2: `95%`) and plain numbers (3 cell(s), \
             first in row 3) (hint: percentages were divided by 100 (95% is 0.95); check that \
             the plain numbers are on the same scale)",
        ]
    );
}

#[test]
fn xlsx_default_sheet_and_unknown_sheet() {
    // The first sheet holds a note, not data: one error, which names the sheet that has the
    // unit column (there were as many errors as columns read).
    let errors = fails(&fixture("book.xlsx"), &opts("unit", &["score"]));
    assert_eq!(
        errors,
        [
            "error[unit-column-sheet] tests/fixtures/data/book.xlsx[Notes]: the first sheet of \
          tests/fixtures/data/book.xlsx, `Notes`, has no column `unit` (the units) (hint: the \
          sheet `Data` has that column: read it with `--sheet Data`) (note: its sheets are \
          `Notes`, `Data`)"
        ]
    );
    let mut o = opts("unit", &["score"]);
    o.sheet = Some("data".into());
    let errors = fails(&fixture("book.xlsx"), &o);
    assert_eq!(
        errors,
        ["error[unknown-sheet] tests/fixtures/data/book.xlsx: tests/fixtures/data/book.xlsx has \
          no sheet named `data` (hint: did you mean `Data`?) (note: its sheets are `Notes`, \
          `Data`)"]
    );
}

/// A file large enough to be parsed in chunks on several threads gives the same frame as one
/// thread, with quoted line breaks near the split points.
#[test]
fn parallel_parse_matches_sequential() {
    let mut text = String::from("unit,label,x,y\n");
    for i in 0..40_000 {
        let label = if i % 997 == 0 {
            format!("\"multi\nline {i}\"")
        } else {
            format!("label number {i}")
        };
        text.push_str(&format!("u{i:05},{label},{}.25,{}%\n", i % 1000, i % 7));
    }
    assert!(text.len() > 1 << 20);
    let mut o = opts("unit", &["x", "y"]);
    o.label_column = Some("label".into());
    let load_with = |threads: usize| {
        let mut o = o.clone();
        o.threads = Some(threads);
        match load_csv_bytes(Path::new("big.csv"), text.as_bytes(), &o) {
            Ok((f, _)) => f,
            Err(e) => panic!("{e}"),
        }
    };
    let one = load_with(1);
    for threads in [2, 3, 8] {
        let many = load_with(threads);
        assert_eq!(many.len(), 40_000);
        assert_eq!(many.units(), one.units());
        assert_eq!(many.labels(), one.labels());
        assert_eq!(many.column("x"), one.column("x"));
        assert_eq!(many.column("y"), one.column("y"));
        assert_eq!(many.source_row(39_999), one.source_row(39_999));
    }
    assert_eq!(one.labels().map(|l| l.get(997)), Some("multi\nline 997"));
    assert_eq!(one.source_row(39_999), 40_001);
}

/// A quoted value with line breaks that spans the middle of the file: the split points fall
/// inside it, the parse notices and reads the file as one chunk, with the same result.
#[test]
fn a_split_inside_a_quoted_value_is_parsed_again() {
    let mut text = String::from("unit,label,x\n");
    for i in 0..20_000 {
        text.push_str(&format!("u{i:05},plain,{i}\n"));
    }
    text.push_str("middle,\"");
    for _ in 0..60_000 {
        text.push_str("line\n");
    }
    text.push_str("\",1\n");
    for i in 20_000..40_000 {
        text.push_str(&format!("u{i:05},plain,{i}\n"));
    }
    assert!(text.len() > 1 << 20);
    let mut o = opts("unit", &["x"]);
    o.label_column = Some("label".into());
    let load_with = |threads: usize| {
        let mut o = o.clone();
        o.threads = Some(threads);
        match load_csv_bytes(Path::new("quoted.csv"), text.as_bytes(), &o) {
            Ok((f, _)) => f,
            Err(e) => panic!("{e}"),
        }
    };
    let one = load_with(1);
    assert_eq!(one.len(), 40_001);
    for threads in [2, 3] {
        let many = load_with(threads);
        assert_eq!(many.units(), one.units());
        assert_eq!(many.labels(), one.labels());
        assert_eq!(many.column("x"), one.column("x"));
        assert_eq!(many.source_row(40_000), one.source_row(40_000));
    }
}

/// The HDI file shared by the project loads in place with its columns.
#[test]
fn hdi_2022() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/hdi/hdi_2022.csv");
    // shared/ lies beside the checkout on every developer machine and in CI.
    assert!(path.exists(), "{} is missing", path.display());
    let numeric = [
        "life_expectancy",
        "expected_years_schooling",
        "mean_years_schooling",
        "gni_per_capita_2017ppp",
        "hdi_published",
    ];
    let mut o = opts("iso3", &numeric);
    o.label_column = Some("country".into());
    o.text_columns = vec!["is_aggregate".into()];
    let (f, warnings) = match load(&path, &o) {
        Ok(x) => x,
        Err(Error::Diagnostics(d)) => panic!("{:#?}", d.iter().map(line).collect::<Vec<_>>()),
        Err(e) => panic!("{e}"),
    };
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(f.len() > 150, "{} rows", f.len());
    assert_eq!(f.units().get(0), "AFG");
    assert_eq!(f.labels().map(|l| l.get(0)), Some("Afghanistan"));
    for name in numeric {
        let col = f.column(name).unwrap_or_default();
        assert_eq!(col.len(), f.len());
        assert!(col.iter().any(|v| !v.is_nan()), "{name} is all missing");
    }
    assert!((f.column("hdi_published").unwrap_or_default()[0] - 0.462).abs() < 1e-12);
}

#[test]
fn xls_and_ods() {
    for name in ["book.xls", "book.ods"] {
        let mut o = opts("unit", &["score"]);
        o.period_column = Some("year".into());
        let (f, warnings) = ok(&fixture(name), &o);
        assert!(warnings.is_empty(), "{name}: {warnings:?}");
        assert_eq!(
            f.units().iter().collect::<Vec<_>>(),
            ["001", "002", "003"],
            "{name}"
        );
        assert_eq!(f.periods().map(|p| p.get(2)), Some("2021"), "{name}");
        let score = f.column("score").unwrap_or_default();
        assert_eq!(score[0], 1.5, "{name}");
        assert_eq!(is_missing(score), [false, true, false], "{name}");
        assert_eq!(f.source_row(2), 4, "{name}");
    }
}

fn inline_errors(bytes: &[u8], o: &LoadOptions) -> Vec<String> {
    match load_csv_bytes(Path::new("inline.csv"), bytes, o) {
        Ok(_) => panic!("loaded without error"),
        Err(Error::Diagnostics(d)) => d.iter().map(line).collect(),
        Err(e) => panic!("not a diagnostic: {e}"),
    }
}

#[test]
fn neither_utf8_nor_gb18030() {
    assert_eq!(
        inline_errors(b"unit,x\na\x81\xff,1\n", &opts("unit", &["x"])),
        [
            "error[bad-encoding] inline.csv:2: inline.csv is neither UTF-8, GB18030 nor \
          Windows-1252 (hint: name the file's encoding (for example `windows-1252` or `big5`), \
          or save it again as UTF-8)"
        ]
    );
}

fn inline_ok(bytes: &[u8], o: &LoadOptions) -> (Frame, Vec<String>) {
    match load_csv_bytes(Path::new("inline.csv"), bytes, o) {
        Ok((f, w)) => (f, w.iter().map(line).collect()),
        Err(Error::Diagnostics(d)) => panic!("{:#?}", d.iter().map(line).collect::<Vec<_>>()),
        Err(e) => panic!("{e}"),
    }
}

/// A file that is not UTF-8 is read as GB18030 or Windows-1252, whichever reads more
/// plausibly, with a warning naming the file, the encoding, the text as read and the option to
/// name the encoding; a short file's guess says it is not clear-cut and shows the other reading.
#[test]
fn a_guessed_encoding_is_the_plausible_one_and_is_warned_about() {
    let (f, w) = ok(&fixture("latin1.csv"), &opts("unit", &["x"]));
    assert_eq!(f.encoding(), "windows-1252");
    assert_eq!(
        f.units().iter().collect::<Vec<_>>(),
        ["Côte d'Ivoire", "São Tomé"]
    );
    assert_eq!(
        w,
        [
            "warning[guessed-encoding] tests/fixtures/data/latin1.csv:2: \
          tests/fixtures/data/latin1.csv is not UTF-8 and was read as windows-1252, a guess \
          (row 2: `Côte d'Ivoire,1`) (hint: if the text looks garbled, name the file's \
          encoding: `--encoding latin1` (Western European) or `--encoding gbk` (Chinese), or \
          save the file as UTF-8)"
        ]
    );
    let (f, w) = inline_ok(b"city,x\nZ\xfcrich,1\nBern,2\n", &opts("city", &["x"]));
    assert_eq!(f.units().get(0), "Zürich");
    assert_eq!(w.len(), 1);
    assert!(
        w[0].contains("read as windows-1252, a guess (row 2: `Zürich,1`)")
            && w[0].contains("(note: the choice is not clear-cut")
            && w[0].contains("read as gb18030 it says `Z黵ich,1`"),
        "{}",
        w[0]
    );
    let mut o = opts("地区", &["得分"]);
    o.period_column = Some("年份".into());
    let (f, w) = ok(&fixture("gb18030.csv"), &o);
    assert_eq!(f.encoding(), "gb18030");
    assert_eq!(w.len(), 1);
    assert!(
        w[0].starts_with(
            "warning[guessed-encoding] tests/fixtures/data/gb18030.csv:1: \
             tests/fixtures/data/gb18030.csv is not UTF-8 and was read as gb18030, a guess \
             (row 1: `地区,年份,得分,备注`)"
        ) && !w[0].contains("note:"),
        "{}",
        w[0]
    );
}

/// `--encoding latin1`, `iso-8859-1` and `windows-1252` read a Latin-1 file the same way,
/// without a warning (the encoding is given, not guessed).
#[test]
fn latin1_encodings_can_be_given() {
    for name in ["latin1", "iso-8859-1", "windows-1252", "Latin1"] {
        let mut o = opts("city", &["x"]);
        o.encoding = Some(name.into());
        let (f, w) = inline_ok(b"city,x\nZ\xfcrich,1\nBern,2\n", &o);
        assert_eq!(f.units().get(0), "Zürich", "{name}");
        assert_eq!(f.encoding(), "windows-1252");
        assert!(w.is_empty(), "{name}: {w:?}");
    }
}

/// Thousands separators, one rule per column: a column is read with them when every comma in
/// it groups digits in threes, with one note naming the column; a column that mixes such
/// numbers with commas that do not (`1,23`, a decimal comma `1,5`) is an error at the first
/// of those, even when loading leniently.
#[test]
fn thousands_separators_one_rule_per_column() {
    let text = b"unit,x,y,z\na,\"1,234\",\"1,234\",1\nb,\"12,345,678.5\",\"1,23\",\"1,5\"\nc,7,\"1,5\",2\n";
    let (f, w) = inline_ok(
        &text
            .replace_y("\"1,23\"", "3")
            .replace_y("\"1,5\",2", "4,2"),
        &opts("unit", &["x"]),
    );
    assert_eq!(f.column("x"), Some(&[1234.0, 12_345_678.5, 7.0][..]));
    assert_eq!(
        w,
        [
            "warning[thousands-separators] inline.csv:2:2: column `x` of inline.csv was read \
          with thousands separators (2 cell(s), first in row 2: `1,234` read as 1234)"
        ]
    );
    for lenient in [false, true] {
        let mut o = opts("unit", &["y"]);
        o.lenient = lenient;
        assert_eq!(
            inline_errors(text, &o),
            [
                "error[mixed-thousands] inline.csv:3:3: `1,23` in column `y`, row 3, does not \
              group digits in threes, but the column writes thousands separators (row 2: \
              `1,234`), so its commas cannot all be read the same way (hint: write the \
              column's numbers one way: with a comma between every three digits (\"1,234.5\") \
              or without separators (1234.5), and decimals with a point (1.5, not 1,5)) \
              (note: 2 cell(s) of the column have such commas)",
                if lenient {
                    "warning[not-a-number] inline.csv:4:3: 1 cell(s) in column `y` are not numbers \
                  and were read as missing (first in row 4: `1,5`)"
                } else {
                    "error[not-a-number] inline.csv:4:3: `1,5` in column `y`, row 4, is not a \
                  number (hint: write a number (0.5, 50%), leave the cell empty or write NA if \
                  it is missing, or load leniently to read such cells as missing)"
                }
            ],
            "lenient {lenient}"
        );
    }
    // A decimal comma alone is not a number, as before.
    let errors = inline_errors(text, &opts("unit", &["z"]));
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("error[not-a-number] inline.csv:3:4: `1,5`"),
        "{}",
        errors[0]
    );
}

trait ReplaceY {
    fn replace_y(&self, from: &str, to: &str) -> Vec<u8>;
}

impl ReplaceY for [u8] {
    fn replace_y(&self, from: &str, to: &str) -> Vec<u8> {
        String::from_utf8_lossy(self)
            .replacen(from, to, 1)
            .into_bytes()
    }
}

/// The thousands rule gives the same frame and the same diagnostics for any number of
/// threads: the grouped numbers sit in every chunk of a file parsed in parallel, and the
/// misgrouped one near its end.
#[test]
fn thousands_rule_is_the_same_for_any_thread_count() {
    let mut text = String::from("unit,x,y\n");
    for i in 0..60_000 {
        let y = if i == 55_555 {
            "\"4,56\"".to_string()
        } else {
            format!("\"{},{:03}\"", i % 900 + 1, i % 1000)
        };
        text.push_str(&format!(
            "u{i:05},\"{},{:03}.5\",{y}\n",
            i % 50 + 1,
            i % 1000
        ));
    }
    assert!(text.len() > 1 << 20);
    let load_with = |threads: usize, column: &str| {
        let mut o = opts("unit", &[column]);
        o.threads = Some(threads);
        match load_csv_bytes(Path::new("big.csv"), text.as_bytes(), &o) {
            Ok((f, w)) => (
                f.column(column).map(|c| c.to_vec()),
                w.iter().map(line).collect::<Vec<_>>(),
            ),
            Err(Error::Diagnostics(d)) => (None, d.iter().map(line).collect()),
            Err(e) => panic!("{e}"),
        }
    };
    let (x, w) = load_with(1, "x");
    assert_eq!(x.as_ref().map(|c| c[1234]), Some(35_234.5));
    assert_eq!(
        w,
        [
            "warning[thousands-separators] big.csv:2:2: column `x` of big.csv was read with \
          thousands separators (60000 cell(s), first in row 2: `1,000.5` read as 1000.5)"
        ]
    );
    let (y, e) = load_with(1, "y");
    assert_eq!(y, None);
    assert!(
        e[0].starts_with("error[mixed-thousands] big.csv:55557:3: `4,56` in column `y`, row 55557"),
        "{e:?}"
    );
    for threads in [3, 2] {
        assert_eq!(
            load_with(threads, "x"),
            (x.clone(), w.clone()),
            "{threads} threads"
        );
        assert_eq!(
            load_with(threads, "y"),
            (None, e.clone()),
            "{threads} threads"
        );
    }
}

#[test]
fn duplicate_column_name() {
    assert_eq!(
        inline_errors(b"unit,x,x\na,1,2\n", &opts("unit", &["x"])),
        [
            "error[duplicate-column] inline.csv:1:3: column `x` appears more than once in the \
          header (columns 2 and 3) (hint: rename one of the columns so that each name is unique)"
        ]
    );
}

#[test]
fn many_bad_cells_are_summarised() {
    let mut text = String::from("unit,x\n");
    for i in 0..12 {
        text.push_str(&format!("u{i},bad{i}\n"));
    }
    let errors = inline_errors(text.as_bytes(), &opts("unit", &["x"]));
    assert_eq!(errors.len(), 5);
    assert!(
        errors[4].ends_with("(note: 7 more cells in this column are not numbers)"),
        "{}",
        errors[4]
    );
}

/// Without the `parquet` feature a `.parquet` file is refused with the command that builds
/// it in, never parsed as CSV (even when its bytes would read as CSV).
#[cfg(not(feature = "parquet"))]
#[test]
fn parquet_without_the_feature_says_how_to_build_it() {
    let dir = std::env::temp_dir().join(format!("qindex-no-parquet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("d.parquet");
    std::fs::write(&path, "unit,x\na,1\n").unwrap();
    let mut opts = LoadOptions::new("unit");
    opts.numeric_columns = vec!["x".into()];
    match load(&path, &opts) {
        Err(Error::Usage(m)) => {
            assert!(m.contains("d.parquet"), "{m}");
            assert!(
                m.contains("`cargo build --release --features parquet`"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

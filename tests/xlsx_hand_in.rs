//! Workbooks fit to hand in (`run --format xlsx`, `compare --format xlsx`): labels as headers,
//! rows in rank order, scores rounded by a number format with the full value in the cell,
//! adjustment and veto columns, a frozen heading with an autofilter, and text that looks like
//! a formula marked as text.

mod common;

use calamine::{open_workbook, Data, Reader, Xlsx};
use common::qindex;
use std::io::Read;
use std::path::{Path, PathBuf};

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qindex-handin-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(args: &[&str], path: &Path) {
    let mut all = args.to_vec();
    all.extend([
        "--format",
        "xlsx",
        "--quiet",
        "--output",
        path.to_str().unwrap(),
    ]);
    common::qindex_ok(&all);
}

/// A file of the workbook's zip archive, as text.
fn part(path: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not text: {other:?}"),
    }
}

fn column(sheet: &calamine::Range<Data>, heading: &str) -> usize {
    (0..sheet.width())
        .find(|c| text(&sheet[(0, *c)]) == heading)
        .unwrap_or_else(|| panic!("no column {heading}"))
}

#[test]
fn run_workbook_has_labels_rank_order_full_values_and_veto_columns() {
    let dir = scratch("run");
    let path = dir.join("run.xlsx");
    write(&["run", "rules/quality_city.qi"], &path);
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["results", "indicators", "weights", "methods"]
    );
    let sheet = book.worksheet_range("results").unwrap();
    // Labels as headings: each group's label and its rank.
    let heads: Vec<String> = (0..sheet.width()).map(|c| text(&sheet[(0, c)])).collect();
    assert!(heads.contains(&"质量发展战略规划".to_string()), "{heads:?}");
    assert!(heads.contains(&"质量发展战略规划 rank".to_string()));
    for h in ["score", "rank", "adjustments", "bonus", "penalty", "vetoed"] {
        assert!(heads.contains(&h.to_string()), "no {h}: {heads:?}");
    }
    // Rank order: ranks ascending, the units without a rank last.
    let (score, rank) = (column(&sheet, "score"), column(&sheet, "rank"));
    let ranks: Vec<Option<f64>> = (1..sheet.height())
        .map(|r| match sheet[(r, rank)] {
            Data::Float(x) => Some(x),
            _ => None,
        })
        .collect();
    let ranked = ranks.iter().take_while(|r| r.is_some()).count();
    assert!(ranked > 1 && ranks[ranked..].iter().all(Option::is_none));
    assert!(
        ranks[..ranked].windows(2).all(|w| w[0] <= w[1]),
        "{ranks:?}"
    );
    // The vetoed unit is there, not ranked, with the veto's reason.
    let (vetoed, adjustments) = (column(&sheet, "vetoed"), column(&sheet, "adjustments"));
    let v = (1..sheet.height())
        .find(|r| text(&sheet[(*r, vetoed)]) == "yes")
        .expect("a vetoed unit");
    assert!(text(&sheet[(v, adjustments)]).contains("veto"));
    // Full values in the cells: the scores equal the CSV's, which are not rounded.
    let csv = String::from_utf8(
        qindex(&["run", "rules/quality_city.qi", "--format", "csv", "-q"]).stdout,
    )
    .unwrap();
    let k = csv
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|h| h == "score")
        .unwrap();
    let full: Vec<(String, f64)> = csv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((f[0].to_string(), f[k].parse().ok()?))
        })
        .collect();
    let mut unrounded = 0;
    for r in 1..sheet.height() {
        if let Data::Float(x) = sheet[(r, score)] {
            let unit = text(&sheet[(r, 0)]);
            let (_, y) = full.iter().find(|(u, _)| *u == unit).unwrap();
            assert_eq!(x, *y, "{unit}");
            unrounded += usize::from((x * 100.0).fract() != 0.0);
        }
    }
    assert!(unrounded > 0, "no score has more than two decimals");
    // The number format that shows them rounded, the frozen heading and the autofilter.
    let styles = part(&path, "xl/styles.xml");
    assert!(styles.contains("formatCode=\"0.00\""), "{styles}");
    let sheet1 = part(&path, "xl/worksheets/sheet1.xml");
    assert!(sheet1.contains("<pane ySplit=\"1\""), "no frozen heading");
    assert!(sheet1.contains("<autoFilter ref=\"A1:"), "no autofilter");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn headers_ids_names_columns_by_id() {
    let dir = scratch("ids");
    let path = dir.join("ids.xlsx");
    write(&["run", "rules/quality_city.qi", "--headers", "ids"], &path);
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let sheet = book.worksheet_range("results").unwrap();
    column(&sheet, "strategy");
    column(&sheet, "strategy_rank");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn text_that_looks_like_a_formula_is_marked_as_text() {
    let dir = scratch("formula");
    let path = dir.join("evil.xlsx");
    write(&["run", "tests/fixtures/report/injection.qi"], &path);
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let sheet = book.worksheet_range("results").unwrap();
    // The text is kept as it is (no character added), a string, not a formula.
    let labels: Vec<String> = (1..sheet.height()).map(|r| text(&sheet[(r, 1)])).collect();
    for l in ["=1+2", "@SUM(A1)", "-3", "+cmd|' /C calc'!A0"] {
        assert!(labels.contains(&l.to_string()), "{l}: {labels:?}");
    }
    let xml = part(&path, "xl/worksheets/sheet1.xml");
    assert!(!xml.contains("<f>"), "a formula in the sheet");
    // ... and styled with Excel's quote prefix, so editing the cell keeps it text.
    assert!(part(&path, "xl/styles.xml").contains("quotePrefix=\"1\""));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn compare_workbook_has_a_sheet_per_scheme_in_rank_order() {
    let dir = scratch("compare");
    let path = dir.join("compare.xlsx");
    write(&["compare", "rules/market_led.qi"], &path);
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "comparison",
            "correlations",
            "default",
            "market_led",
            "market_strong",
            "methods default",
            "methods market_led",
            "methods market_strong"
        ]
    );
    for scheme in ["default", "market_led", "market_strong"] {
        let sheet = book.worksheet_range(scheme).unwrap();
        let ranks: Vec<f64> = (1..sheet.height())
            .filter_map(|r| match sheet[(r, 2)] {
                Data::Float(x) => Some(x),
                _ => None,
            })
            .collect();
        assert!(ranks.len() > 10, "{scheme}");
        assert!(
            ranks.windows(2).all(|w| w[0] <= w[1]),
            "{scheme}: {ranks:?}"
        );
    }
    // The correlations are those of `compare --format json`.
    let json: serde_json::Value = serde_json::from_slice(
        &qindex(&["compare", "rules/market_led.qi", "--format", "json", "-q"]).stdout,
    )
    .unwrap();
    let corr = book.worksheet_range("correlations").unwrap();
    let pairs = json["pairs"].as_array().unwrap();
    assert_eq!(corr.height(), 1 + pairs.len());
    for (r, p) in pairs.iter().enumerate() {
        assert_eq!(text(&corr[(r + 1, 0)]), p["a"].as_str().unwrap());
        assert_eq!(
            corr[(r + 1, 3)],
            Data::Float(p["spearman"].as_f64().unwrap())
        );
    }
    let comparison = book.worksheet_range("comparison").unwrap();
    assert_eq!(text(&comparison[(0, 2)]), "default rank");
    assert_eq!(comparison[(1, 2)], Data::Float(1.0));
    std::fs::remove_dir_all(&dir).unwrap();
}

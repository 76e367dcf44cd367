//! `qindex run --format xlsx`: the same bytes on every run, Chinese text intact, and the
//! results sheet equal to the CSV.

mod common;

use calamine::{open_workbook, Data, Reader, Xlsx};
use std::path::{Path, PathBuf};

const RULES: &str = "tests/fixtures/profile/cities.qi";

use common::qindex;

/// A fresh folder for one test's outputs.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qindex-xlsx-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_xlsx(path: &Path, extra: &[&str]) {
    let mut args = vec![
        "run",
        RULES,
        "--format",
        "xlsx",
        "--output",
        path.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = qindex(&args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.is_empty());
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not text: {other:?}"),
    }
}

#[test]
fn two_runs_give_identical_bytes() {
    let dir = scratch("twice");
    let (a, b) = (dir.join("a.xlsx"), dir.join("b.xlsx"));
    write_xlsx(&a, &["--period", "all"]);
    // A second apart, so a clock in the file would show.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    write_xlsx(&b, &["--period", "all"]);
    let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(a.starts_with(b"PK"), "a zip file");
    assert!(a == b, "the two workbooks differ");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        2,
        "no temporary file left"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reads_back_with_chinese_text_and_a_results_sheet_per_period() {
    let dir = scratch("readback");
    let path = dir.join("out.xlsx");
    write_xlsx(&path, &["--period", "all", "--headers", "ids"]);
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "results 2022",
            "results 2023",
            "indicators",
            "weights",
            "methods"
        ]
    );

    let results = book.worksheet_range("results 2022").unwrap();
    assert_eq!(text(&results[(0, 1)]), "city_name");
    assert_eq!(text(&results[(1, 0)]), "440300");
    assert_eq!(text(&results[(1, 1)]), "深圳");
    assert_eq!(text(&results[(1, 2)]), "2022");
    assert_eq!(results[(1, 4)], Data::Float(1.0), "rank 1");
    assert_eq!(results.height(), 1 + 8, "eight cities");

    let indicators = book.worksheet_range("indicators").unwrap();
    assert_eq!(text(&indicators[(0, 3)]), "gdp_per_capita raw");
    assert_eq!(text(&indicators[(0, 5)]), "gdp_per_capita value");
    assert_eq!(indicators.width(), 3 + 3 * 7);
    assert_eq!(indicators[(1, 3)], Data::Float(18.3));
    // 江门 has no patents in 2023: raw empty, treated imputed.
    let jiangmen = (1..indicators.height())
        .find(|r| text(&indicators[(*r, 1)]) == "江门" && text(&indicators[(*r, 2)]) == "2023")
        .unwrap();
    assert_eq!(indicators[(jiangmen, 9)], Data::Empty);
    assert!(matches!(indicators[(jiangmen, 10)], Data::Float(_)));

    let weights = book.worksheet_range("weights").unwrap();
    assert_eq!(text(&weights[(0, 0)]), "year");
    assert_eq!(
        weights.height(),
        1 + 2 * 11,
        "eleven nodes in each of two years"
    );
    assert_eq!(text(&weights[(2, 1)]), "economy");
    assert_eq!(text(&weights[(2, 2)]), "经济质量");
    assert_eq!(text(&weights[(2, 3)]), "city_quality");
    assert_eq!(weights[(2, 4)], Data::Float(0.5));

    let methods = book.worksheet_range("methods").unwrap();
    assert_eq!(text(&methods[(0, 7)]), "aggregation");
    assert_eq!(text(&methods[(2, 7)]), "arithmetic");
    assert_eq!(text(&methods[(3, 8)]), "gdp_per_capita");
    assert_eq!(text(&methods[(0, 10)]), "overall weight");
    assert_eq!(text(&methods[(1, 2)]), "城市质量发展评价");
    assert_eq!(text(&methods[(8, 3)]), "μg/m³");
    assert_eq!(methods[(2, 9)], Data::Float(0.5));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn results_sheet_matches_the_csv() {
    let dir = scratch("csv");
    let path = dir.join("out.xlsx");
    let view = [
        "--period",
        "all",
        "--indicators",
        "--top",
        "5",
        "--headers",
        "ids",
    ];
    write_xlsx(&path, &view);
    let mut args = vec!["run", RULES, "--format", "csv"];
    args.extend_from_slice(&view);
    let csv = String::from_utf8(qindex(&args).stdout).unwrap();
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    // One sheet per period, in rank order as the CSV of `--top`: together, the CSV's rows.
    let mut cells: Vec<Vec<Data>> = Vec::new();
    for name in ["results 2022", "results 2023"] {
        let sheet = book.worksheet_range(name).unwrap();
        let skip = if cells.is_empty() { 0 } else { 1 };
        cells.extend(sheet.rows().skip(skip).map(|r| r.to_vec()));
    }
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(cells.len(), lines.len());
    for (r, line) in lines.iter().enumerate() {
        // The fixture has no commas or quotes inside fields.
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[r].len(), fields.len());
        for (c, field) in fields.iter().enumerate() {
            let cell = &cells[r][c];
            match (field.parse::<f64>(), cell) {
                (Ok(x), Data::Float(y)) => assert_eq!(x, *y, "row {r} column {c}"),
                _ => assert_eq!(text(cell), *field, "row {r} column {c}"),
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn xlsx_needs_an_output_file() {
    let o = qindex(&["run", RULES, "--format", "xlsx"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--output PATH"));
}

/// A workbook cell formatted `90.12%` holds 0.9012. It was read as 0.9012 and clamped to 0
/// by goalposts 80..100 without a word. Now it is read as CSV reads `90.12%` (the fraction,
/// counted as a percentage: mixed with plain numbers it is warned about), a note says so, and
/// goalposts that every unit lies beyond are warned about.
#[test]
fn percent_formatted_cells_are_noted() {
    use rust_xlsxwriter::{Format, Workbook};
    let dir = scratch("percent");
    let mut book = Workbook::new();
    let notes = book.add_worksheet();
    notes.set_name("说明").unwrap();
    notes.write_string(0, 0, "指标说明").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("数据").unwrap();
    let pct = Format::new().set_num_format("0.00%");
    for (c, h) in ["city", "pass_rate", "mixed"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let rates = [0.9012, 0.8534, 0.9577, 0.8811];
    for (i, r) in rates.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, format!("C{row}")).unwrap();
        sheet.write_number_with_format(row, 1, *r, &pct).unwrap();
        if i == 0 {
            sheet.write_number_with_format(row, 2, 0.5, &pct).unwrap();
        } else {
            sheet.write_number(row, 2, 40.0 + i as f64).unwrap();
        }
    }
    let data = dir.join("p.xlsx");
    book.save(&data).unwrap();
    let rules = dir.join("p.qi");
    std::fs::write(
        &rules,
        "index p by city {\n    data \"p.xlsx\"\n    indicator pass_rate {\n        goalposts 80..100\n    }\n    indicator mixed\n}\n",
    )
    .unwrap();
    let o = qindex(&[
        "run",
        rules.to_str().unwrap(),
        "--sheet",
        "数据",
        "--format",
        "json",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("4 cell(s) of column `pass_rate` are formatted as percentages"),
        "{err}"
    );
    assert!(err.contains("mixes percentages"), "{err}");
    assert!(
        err.contains("every unit's value lies below its goalposts 80..100"),
        "{err}"
    );
    assert!(err.contains("percentages read as fractions"), "{err}");
    // The values are the fractions the cells hold.
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let raw = v["results"][0]["nodes"]["pass_rate"]["raw"]
        .as_f64()
        .unwrap();
    assert_eq!(raw, rates[0]);
}

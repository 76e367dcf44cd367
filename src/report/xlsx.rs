//! `qindex run --format xlsx` and `qindex compare --format xlsx`: workbooks fit to hand in —
//! rows in rank order, scores shown rounded by a number format with the full value in the
//! cell, a frozen heading row with an autofilter, one sheet per period or scheme, the methods
//! table — byte-for-byte the same on every run.

use super::methods::{methods_cells, Cell};
use super::run::RunOutput;
use crate::analysis::compare::{Comparison, UnitRow};
use crate::eval::PeriodResult;
use crate::plan::{NodeKind, Plan};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use std::io::Write;

/// The creation time written into every workbook. A fixed one keeps two runs over the same
/// rules and data identical, so outputs can be compared and checked in.
const CREATED: (u16, u8, u8) = (2000, 1, 1);

/// Writes the workbook of `qindex run`: sheets `results` (the columns of the CSV), `indicators`
/// (each row's raw, treated and normalised value of every indicator), `weights` (each node's
/// weight within its parent and overall, per period when there are periods) and `methods`
/// (the methods table).
pub fn run(o: &RunOutput, w: &mut dyn Write) -> std::io::Result<()> {
    let bytes = workbook(o).map_err(|e| std::io::Error::other(format!("xlsx: {e}")))?;
    w.write_all(&bytes)
}

fn workbook(o: &RunOutput) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let index = &o.plan.index;
    properties(
        &mut book,
        index.label.clone().unwrap_or_else(|| index.id.clone()),
        format!(
            "qindex {}; scheme {}; rules {}; data {}",
            env!("CARGO_PKG_VERSION"),
            o.plan.scheme,
            o.rules_hash,
            o.frame.content_hash()
        ),
    )?;
    let f = Formats::new();
    let mut names = Vec::new();
    let many = o.results.periods.len() > 1;
    for p in &o.results.periods {
        let name = match (&p.period, many) {
            (Some(period), true) => format!("results {period}"),
            _ => "results".to_string(),
        };
        let name = sheet_name(&name, &mut names);
        results(book.add_worksheet(), &name, o, p, &f)?;
    }
    indicators(book.add_worksheet(), o, &f)?;
    weights(book.add_worksheet(), o, &f)?;
    methods(book.add_worksheet(), "methods", o.plan, &f)?;
    book.save_to_buffer()
}

/// The title and comment of a workbook, and a fixed creation time.
fn properties(book: &mut Workbook, title: String, comment: String) -> Result<(), XlsxError> {
    let created = ExcelDateTime::from_ymd(CREATED.0, CREATED.1, CREATED.2)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(title)
            .set_comment(comment)
            .set_creation_datetime(&created),
    );
    Ok(())
}

/// The cell formats of a workbook.
struct Formats {
    bold: Format,
    /// A text cell a spreadsheet would read as a formula is marked as text (Excel's quote
    /// prefix, not a character added to it), as OWASP recommends against CSV injection.
    quoted: Format,
    /// Scores and values shown with two decimals; the cell keeps the full value.
    score: Format,
    /// Weights shown with four decimals.
    weight: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            bold: Format::new().set_bold(),
            quoted: Format::new().set_quote_prefix(),
            score: Format::new().set_num_format(SCORE_FORMAT),
            weight: Format::new().set_num_format(WEIGHT_FORMAT),
        }
    }
}

/// The number format of scores and values.
pub const SCORE_FORMAT: &str = "0.00";
/// The number format of weights.
pub const WEIGHT_FORMAT: &str = "0.0000";

/// A text cell, marked as text when it starts like a formula.
fn text(sheet: &mut Worksheet, r: u32, c: u16, t: &str, f: &Formats) -> Result<(), XlsxError> {
    if super::formula_like(t) {
        sheet.write_string_with_format(r, c, t, &f.quoted)?;
    } else {
        sheet.write_string(r, c, t)?;
    }
    Ok(())
}

/// A sheet name Excel accepts (at most 31 characters, none of `[]:*?/\`), unique among
/// `taken`.
fn sheet_name(wanted: &str, taken: &mut Vec<String>) -> String {
    let clean: String = wanted
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let clean = clean.trim_matches('\'').to_string();
    let base: String = clean.chars().take(31).collect();
    let mut name = if base.is_empty() {
        "sheet".to_string()
    } else {
        base
    };
    let mut k = 2;
    while taken
        .iter()
        .any(|t| t.to_lowercase() == name.to_lowercase())
    {
        let suffix = format!(" ({k})");
        let keep = 31 - suffix.chars().count();
        name = format!("{}{suffix}", clean.chars().take(keep).collect::<String>());
        k += 1;
    }
    taken.push(name.clone());
    name
}

fn heading(
    sheet: &mut Worksheet,
    name: &str,
    head: &[String],
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    for (k, h) in head.iter().enumerate() {
        sheet.write_string_with_format(0, col(k)?, h, &f.bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The autofilter over the heading and `rows` rows of `width` columns, and the columns fitted.
fn finish(sheet: &mut Worksheet, rows: usize, width: usize) -> Result<(), XlsxError> {
    if width > 0 {
        sheet.autofilter(0, 0, row(rows)?, col(width - 1)?)?;
    }
    sheet.autofit();
    Ok(())
}

fn col(k: usize) -> Result<u16, XlsxError> {
    u16::try_from(k).map_err(|_| XlsxError::RowColumnLimitError)
}

fn row(r: usize) -> Result<u32, XlsxError> {
    u32::try_from(r).map_err(|_| XlsxError::RowColumnLimitError)
}

/// Writes a number in a format, or nothing when it is missing.
fn number(sheet: &mut Worksheet, r: u32, c: u16, x: f64, f: &Format) -> Result<(), XlsxError> {
    if x.is_finite() {
        sheet.write_number_with_format(r, c, x, f)?;
    }
    Ok(())
}

fn rank(sheet: &mut Worksheet, r: u32, c: u16, k: u32) -> Result<(), XlsxError> {
    if k != 0 {
        sheet.write_number(r, c, f64::from(k))?;
    }
    Ok(())
}

/// The unit, its label and the period: the first columns of the per-row sheets.
fn keys(o: &RunOutput, period: Option<&str>, frame_row: usize) -> Vec<String> {
    let mut cells = vec![o.frame.units().get(frame_row).to_string()];
    if let Some(l) = o.frame.labels() {
        cells.push(l.get(frame_row).to_string());
    }
    if o.plan.index.period_column.is_some() {
        cells.push(period.unwrap_or("").to_string());
    }
    cells
}

fn key_heads(o: &RunOutput) -> Vec<String> {
    let mut head = vec![o.plan.index.unit_column.clone()];
    if o.frame.labels().is_some() {
        head.push(
            o.plan
                .index
                .label_column
                .clone()
                .unwrap_or_else(|| "label".into()),
        );
    }
    if let Some(p) = &o.plan.index.period_column {
        head.push(p.clone());
    }
    head
}

/// One period's results in rank order (units without a rank last): the columns of the CSV,
/// then, when the rules adjust scores, each row's bonus, penalty and whether it was vetoed
/// (the reasons are in the adjustments column).
fn results(
    sheet: &mut Worksheet,
    name: &str,
    o: &RunOutput,
    p: &PeriodResult,
    f: &Formats,
) -> Result<(), XlsxError> {
    let cols = o.columns();
    let mut head = o.header(&cols);
    let adjusted = !o.plan.adjustments.is_empty();
    if adjusted {
        head.extend(["bonus", "penalty", "vetoed"].map(String::from));
    }
    heading(sheet, name, &head, f)?;
    let rows = o.ranked_rows(p);
    for (k, i) in rows.iter().copied().enumerate() {
        let at = row(k + 1)?;
        let mut c = 0;
        for t in keys(o, p.period.as_deref(), p.rows[i]) {
            text(sheet, at, col(c)?, &t, f)?;
            c += 1;
        }
        number(sheet, at, col(c)?, p.score[i], &f.score)?;
        rank(sheet, at, col(c + 1)?, p.final_rank[i])?;
        c += 2;
        if adjusted {
            let t = p.adjustments_text(o.plan, i);
            if !t.is_empty() {
                text(sheet, at, col(c)?, &t, f)?;
            }
            c += 1;
        }
        for n in &cols {
            number(sheet, at, col(c)?, p.value(*n, i), &f.score)?;
            c += 1;
            if o.plan.node(*n).kind != NodeKind::Indicator {
                rank(sheet, at, col(c)?, p.rank[n.index()][i])?;
                c += 1;
            }
        }
        if adjusted {
            number(sheet, at, col(c)?, p.bonus[i], &f.score)?;
            number(sheet, at, col(c + 1)?, p.penalty[i], &f.score)?;
            if p.vetoed[i] {
                sheet.write_string(at, col(c + 2)?, "yes")?;
            }
        }
    }
    finish(sheet, rows.len(), head.len())
}

/// Each row's raw, treated and normalised value of every indicator, in rank order within each
/// period.
fn indicators(sheet: &mut Worksheet, o: &RunOutput, f: &Formats) -> Result<(), XlsxError> {
    let ids: Vec<_> = o.plan.indicators().collect();
    let mut head = key_heads(o);
    for id in &ids {
        let name = o.name(*id);
        for part in ["raw", "treated", "value"] {
            head.push(format!("{name} {part}"));
        }
    }
    heading(sheet, "indicators", &head, f)?;
    let first = key_heads(o).len();
    let mut r = 0;
    for p in &o.results.periods {
        for i in o.ranked_rows(p) {
            r += 1;
            let at = row(r)?;
            for (c, t) in keys(o, p.period.as_deref(), p.rows[i]).iter().enumerate() {
                text(sheet, at, col(c)?, t, f)?;
            }
            for (k, id) in ids.iter().enumerate() {
                let c = first + 3 * k;
                let general = Format::new();
                number(sheet, at, col(c)?, p.raw[id.index()][i], &general)?;
                number(sheet, at, col(c + 1)?, p.treated(*id)[i], &general)?;
                number(sheet, at, col(c + 2)?, p.value(*id, i), &f.score)?;
            }
        }
    }
    finish(sheet, r, head.len())
}

fn weights(sheet: &mut Worksheet, o: &RunOutput, f: &Formats) -> Result<(), XlsxError> {
    let periods = o.results.periods.iter().any(|p| p.period.is_some());
    let mut head: Vec<String> = Vec::new();
    if periods {
        head.push(
            o.plan
                .index
                .period_column
                .clone()
                .unwrap_or_else(|| "period".into()),
        );
    }
    for h in ["node", "label", "parent", "weight", "overall weight"] {
        head.push(h.to_string());
    }
    heading(sheet, "weights", &head, f)?;
    let mut r = 0;
    for p in &o.results.periods {
        for id in o.plan.ids() {
            let node = o.plan.node(id);
            r += 1;
            let at = row(r)?;
            let mut c = 0;
            if periods {
                text(sheet, at, 0, p.period.as_deref().unwrap_or(""), f)?;
                c = 1;
            }
            text(sheet, at, c, &node.id, f)?;
            if let Some(l) = &node.label {
                text(sheet, at, c + 1, l, f)?;
            }
            if let Some(parent) = node.parent {
                text(sheet, at, c + 2, &o.plan.node(parent).id, f)?;
            }
            number(sheet, at, c + 3, p.weights[id.index()], &f.weight)?;
            number(sheet, at, c + 4, p.overall[id.index()], &f.weight)?;
        }
    }
    finish(sheet, r, head.len())
}

/// The methods table of a plan.
fn methods(sheet: &mut Worksheet, name: &str, plan: &Plan, f: &Formats) -> Result<(), XlsxError> {
    let (head, rows) = methods_cells(plan);
    let head: Vec<String> = head.iter().map(|h| h.to_string()).collect();
    heading(sheet, name, &head, f)?;
    let n = rows.len();
    for (r, cells) in rows.into_iter().enumerate() {
        let at = row(r + 1)?;
        for (c, cell) in cells.into_iter().enumerate() {
            match cell {
                Cell::Empty => {}
                Cell::Text(t) => text(sheet, at, col(c)?, &t, f)?,
                Cell::Number(x) => number(sheet, at, col(c)?, x, &Format::new())?,
            }
        }
    }
    finish(sheet, n, head.len())
}

/// Writes the workbook of `qindex compare`: sheet `comparison` (each unit's rank, score and
/// shift under each scheme, in the baseline's rank order), `correlations` (Spearman and
/// Kendall per pair), one sheet per scheme (or period) with its ranking, and the methods
/// table of each distinct plan.
pub fn compare(c: &Comparison, plans: &[&Plan], w: &mut dyn Write) -> std::io::Result<()> {
    let bytes = compare_book(c, plans).map_err(|e| std::io::Error::other(format!("xlsx: {e}")))?;
    w.write_all(&bytes)
}

fn compare_book(c: &Comparison, plans: &[&Plan]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let index = &plans[0].index;
    properties(
        &mut book,
        index.label.clone().unwrap_or_else(|| index.id.clone()),
        format!(
            "qindex {}; compared: {}",
            env!("CARGO_PKG_VERSION"),
            c.schemes.join(", ")
        ),
    )?;
    let f = Formats::new();
    let mut names = vec!["comparison".to_string(), "correlations".to_string()];
    // The baseline's rank order; units it does not rank last, by id.
    let by_rank = |k: usize| {
        let mut order: Vec<&UnitRow> = c.units.iter().collect();
        order.sort_by(|a, b| {
            let key = |u: &UnitRow| u.ranks[k].unwrap_or(u32::MAX);
            key(a).cmp(&key(b)).then_with(|| a.unit.cmp(&b.unit))
        });
        order
    };
    let sheet = book.add_worksheet();
    let mut head = vec!["unit".to_string(), "label".to_string()];
    for (k, s) in c.schemes.iter().enumerate() {
        head.push(format!("{s} rank"));
        head.push(format!("{s} score"));
        if k > 0 {
            head.push(format!("{s} shift"));
        }
    }
    heading(sheet, "comparison", &head, &f)?;
    let units = by_rank(0);
    for (r, u) in units.iter().enumerate() {
        let at = row(r + 1)?;
        unit_cells(sheet, at, u, &f)?;
        let mut col_at = 2;
        for k in 0..c.schemes.len() {
            rank(sheet, at, col(col_at)?, u.ranks[k].unwrap_or(0))?;
            number(
                sheet,
                at,
                col(col_at + 1)?,
                u.scores[k].unwrap_or(f64::NAN),
                &f.score,
            )?;
            col_at += 2;
            if k > 0 {
                if let Some(s) = u.shift[k] {
                    sheet.write_number(at, col(col_at)?, s as f64)?;
                }
                col_at += 1;
            }
        }
    }
    finish(sheet, units.len(), head.len())?;

    let sheet = book.add_worksheet();
    let head = [
        "a",
        "b",
        "units",
        "spearman",
        "kendall tau-b",
        "mean |shift|",
    ]
    .map(String::from);
    heading(sheet, "correlations", &head, &f)?;
    for (r, p) in c.pairs.iter().enumerate() {
        let at = row(r + 1)?;
        text(sheet, at, 0, &p.a, &f)?;
        text(sheet, at, 1, &p.b, &f)?;
        sheet.write_number(at, 2, p.n as f64)?;
        let three = Format::new().set_num_format("0.000");
        for (k, x) in [p.spearman, p.kendall, p.mean_abs_shift]
            .into_iter()
            .enumerate()
        {
            number(sheet, at, col(3 + k)?, x.unwrap_or(f64::NAN), &three)?;
        }
    }
    finish(sheet, c.pairs.len(), head.len())?;

    for (k, s) in c.schemes.iter().enumerate() {
        let name = sheet_name(s, &mut names);
        let sheet = book.add_worksheet();
        let head = ["unit", "label", "rank", "score"].map(String::from);
        heading(sheet, &name, &head, &f)?;
        let units = by_rank(k);
        for (r, u) in units.iter().enumerate() {
            let at = row(r + 1)?;
            unit_cells(sheet, at, u, &f)?;
            rank(sheet, at, 2, u.ranks[k].unwrap_or(0))?;
            number(sheet, at, 3, u.scores[k].unwrap_or(f64::NAN), &f.score)?;
        }
        finish(sheet, units.len(), head.len())?;
    }
    let mut seen: Vec<&str> = Vec::new();
    for plan in plans {
        if seen.contains(&plan.scheme.as_str()) {
            continue;
        }
        seen.push(&plan.scheme);
        let name = sheet_name(&format!("methods {}", plan.scheme), &mut names);
        methods(book.add_worksheet(), &name, plan, &f)?;
    }
    book.save_to_buffer()
}

fn unit_cells(sheet: &mut Worksheet, at: u32, u: &UnitRow, f: &Formats) -> Result<(), XlsxError> {
    text(sheet, at, 0, &u.unit, f)?;
    if let Some(l) = &u.label {
        text(sheet, at, 1, l, f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut taken = Vec::new();
        assert_eq!(sheet_name("results 2023", &mut taken), "results 2023");
        assert_eq!(sheet_name("a/b:c*d?[e]\\f", &mut taken), "a_b_c_d__e__f");
        assert_eq!(sheet_name("'quoted'", &mut taken), "quoted");
        assert_eq!(sheet_name("RESULTS 2023", &mut taken), "RESULTS 2023 (2)");
        let long = "质".repeat(40);
        let name = sheet_name(&long, &mut taken);
        assert_eq!(name.chars().count(), 31);
        let again = sheet_name(&long, &mut taken);
        assert_eq!(again.chars().count(), 31);
        assert!(again.ends_with(" (2)"));
        assert_eq!(sheet_name("", &mut taken), "sheet");
    }
}

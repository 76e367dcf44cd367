//! `qindex run --format xlsx`: the results, every indicator's values, the weights and the
//! methods table as one workbook, byte-for-byte the same on every run.

use super::methods::{methods_cells, Cell};
use super::run::RunOutput;
use crate::plan::NodeKind;
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
    let created = ExcelDateTime::from_ymd(CREATED.0, CREATED.1, CREATED.2)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(index.label.clone().unwrap_or_else(|| index.id.clone()))
            .set_comment(format!(
                "qindex {}; scheme {}; rules {}; data {}",
                env!("CARGO_PKG_VERSION"),
                o.plan.scheme,
                o.rules_hash,
                o.frame.content_hash()
            ))
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    results(book.add_worksheet(), o, &bold)?;
    indicators(book.add_worksheet(), o, &bold)?;
    weights(book.add_worksheet(), o, &bold)?;
    methods(book.add_worksheet(), o, &bold)?;
    book.save_to_buffer()
}

fn heading(
    sheet: &mut Worksheet,
    name: &str,
    head: &[String],
    bold: &Format,
) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    for (k, h) in head.iter().enumerate() {
        sheet.write_string_with_format(0, col(k)?, h, bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn col(k: usize) -> Result<u16, XlsxError> {
    u16::try_from(k).map_err(|_| XlsxError::RowColumnLimitError)
}

fn row(r: usize) -> Result<u32, XlsxError> {
    u32::try_from(r).map_err(|_| XlsxError::RowColumnLimitError)
}

/// Writes a number, or nothing when it is missing.
fn number(sheet: &mut Worksheet, r: u32, c: u16, x: f64) -> Result<(), XlsxError> {
    if x.is_finite() {
        sheet.write_number(r, c, x)?;
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

fn results(sheet: &mut Worksheet, o: &RunOutput, bold: &Format) -> Result<(), XlsxError> {
    let cols = o.columns();
    heading(sheet, "results", &o.header(&cols), bold)?;
    let mut r = 1;
    for p in &o.results.periods {
        for i in o.data_rows(p) {
            let at = row(r)?;
            let mut c = 0;
            for text in keys(o, p.period.as_deref(), p.rows[i]) {
                sheet.write_string(at, col(c)?, text)?;
                c += 1;
            }
            number(sheet, at, col(c)?, p.score[i])?;
            rank(sheet, at, col(c + 1)?, p.final_rank[i])?;
            c += 2;
            if !o.plan.adjustments.is_empty() {
                let text = p.adjustments_text(o.plan, i);
                if !text.is_empty() {
                    sheet.write_string(at, col(c)?, text)?;
                }
                c += 1;
            }
            for n in &cols {
                number(sheet, at, col(c)?, p.value[n.index()][i])?;
                c += 1;
                if o.plan.node(*n).kind != NodeKind::Indicator {
                    rank(sheet, at, col(c)?, p.rank[n.index()][i])?;
                    c += 1;
                }
            }
            r += 1;
        }
    }
    sheet.autofit();
    Ok(())
}

fn indicators(sheet: &mut Worksheet, o: &RunOutput, bold: &Format) -> Result<(), XlsxError> {
    let ids: Vec<_> = o.plan.indicators().collect();
    let mut head = key_heads(o);
    for id in &ids {
        let name = &o.plan.node(*id).id;
        for part in ["raw", "treated", "value"] {
            head.push(format!("{name} {part}"));
        }
    }
    heading(sheet, "indicators", &head, bold)?;
    let first = key_heads(o).len();
    let mut r = 1;
    for p in &o.results.periods {
        for i in o.data_rows(p) {
            let at = row(r)?;
            for (c, text) in keys(o, p.period.as_deref(), p.rows[i])
                .into_iter()
                .enumerate()
            {
                sheet.write_string(at, col(c)?, text)?;
            }
            for (k, id) in ids.iter().enumerate() {
                let c = first + 3 * k;
                number(sheet, at, col(c)?, p.raw[id.index()][i])?;
                number(sheet, at, col(c + 1)?, p.treated(*id)[i])?;
                number(sheet, at, col(c + 2)?, p.value[id.index()][i])?;
            }
            r += 1;
        }
    }
    sheet.autofit();
    Ok(())
}

fn weights(sheet: &mut Worksheet, o: &RunOutput, bold: &Format) -> Result<(), XlsxError> {
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
    heading(sheet, "weights", &head, bold)?;
    let mut r = 1;
    for p in &o.results.periods {
        for id in o.plan.ids() {
            let node = o.plan.node(id);
            let at = row(r)?;
            let mut c = 0;
            if periods {
                sheet.write_string(at, 0, p.period.as_deref().unwrap_or(""))?;
                c = 1;
            }
            sheet.write_string(at, c, &node.id)?;
            if let Some(l) = &node.label {
                sheet.write_string(at, c + 1, l)?;
            }
            if let Some(parent) = node.parent {
                sheet.write_string(at, c + 2, &o.plan.node(parent).id)?;
            }
            number(sheet, at, c + 3, p.weights[id.index()])?;
            number(sheet, at, c + 4, p.overall[id.index()])?;
            r += 1;
        }
    }
    sheet.autofit();
    Ok(())
}

fn methods(sheet: &mut Worksheet, o: &RunOutput, bold: &Format) -> Result<(), XlsxError> {
    let (head, rows) = methods_cells(o.plan);
    let head: Vec<String> = head.iter().map(|h| h.to_string()).collect();
    heading(sheet, "methods", &head, bold)?;
    for (r, cells) in rows.into_iter().enumerate() {
        let at = row(r + 1)?;
        for (c, cell) in cells.into_iter().enumerate() {
            match cell {
                Cell::Empty => {}
                Cell::Text(t) => {
                    sheet.write_string(at, col(c)?, t)?;
                }
                Cell::Number(x) => number(sheet, at, col(c)?, x)?,
            }
        }
    }
    sheet.autofit();
    Ok(())
}

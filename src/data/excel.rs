//! Spreadsheets (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`) through calamine.

use super::build::{finish, Columns, Layout, Meta, Sink};
use super::cell::{trim, Cell, CellReader};
use super::frame::Frame;
use super::LoadOptions;
use crate::diagnostics::{did_you_mean, Diagnostic};
use crate::error::Error;
use calamine::{Data, Range, Reader, Sheets};
use std::io::Cursor;
use std::path::Path;

/// The first cell of a kind in a column: its row (in the data), column and value.
type FirstCell = (u64, usize, f64);

pub(crate) fn load_excel(
    path: &Path,
    bytes: Vec<u8>,
    opts: &LoadOptions,
    content_hash: String,
) -> Result<(Frame, Vec<Diagnostic>), Error> {
    let file = path.display().to_string();
    let (mut workbook, names, sheet, range) =
        open_sheet(&file, &bytes, opts, || empty(&file, None))?;
    let Some(((row0, col0), headers)) = sheet_header(&range) else {
        return Err(empty(&file, Some(&sheet)));
    };
    let rows = range.rows().skip(1);
    if headers.iter().all(|h| h.is_empty()) && opts.sheet.is_some() {
        return Err(empty(&file, Some(&sheet)));
    }
    // Without `--sheet`, the first sheet is read; when it lacks the unit column (a sheet of
    // notes before the data, say), one error names the sheets that have it.
    if opts.sheet.is_none() && !headers.contains(&opts.unit_column) {
        let mut having = Vec::new();
        for name in names.iter().skip(1) {
            let limit = inflation_limit(bytes.len());
            if let Ok(r) = guarded(&file, || sheet_range(&file, &mut workbook, name, limit)) {
                let has = r
                    .rows()
                    .next()
                    .is_some_and(|row| row.iter().any(|c| trim(&text_of(c)) == opts.unit_column));
                if has {
                    having.push(name.clone());
                }
            }
        }
        let listed = names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut d = Diagnostic::error(
            "unit-column-sheet",
            format!(
                "the first sheet of {file}, `{sheet}`, has no column `{}` (the units)",
                opts.unit_column
            ),
        )
        .with_location(format!("{file}[{sheet}]"))
        .with_note(format!("its sheets are {listed}"));
        d = match having.first() {
            Some(h) => d.with_hint(format!(
                "the sheet `{h}` has that column: read it with `--sheet {h}`"
            )),
            None => d.with_hint(
                "no sheet has that column in its first row: check the `by` column of the index, or give the sheet with `--sheet NAME`",
            ),
        };
        return Err(Error::diagnostic(d));
    }
    if headers.iter().all(|h| h.is_empty()) {
        return Err(empty(&file, Some(&sheet)));
    }
    let location = format!("{file}[{sheet}]");
    let layout = Layout::new(headers, opts, &location)?;
    // Cells formatted as percentages (`90.12%`, stored as 0.9012) are read as CSV reads
    // `90.12%`: the fraction, counted as a percentage (a column that mixes them with plain
    // numbers is warned about), and noted.
    let percent = super::xlsx_formats::percent_cells(&bytes, &sheet).unwrap_or_default();
    let mut percent_seen: Vec<(usize, Option<FirstCell>)> = vec![(0, None); layout.numeric_count()];
    let reader = CellReader::new(&opts.na_tokens);
    let mut columns = Columns::new(layout.numeric_count(), range.height());
    let room = [range.height()];
    let mut pieces = columns.split(&room);
    let mut sink = Sink::new(&layout, &reader, pieces.pop().unwrap_or_default());
    let mut buf = String::new();
    for (i, cells) in rows.enumerate() {
        let row = i as u64;
        if cells.iter().all(|c| match c {
            Data::Empty => true,
            Data::String(s) => trim(s).is_empty(),
            _ => false,
        }) {
            continue;
        }
        sink.row(row);
        for a in &layout.active {
            let cell = cells.get(a.col).unwrap_or(&Data::Empty);
            if let Some(slot) = a.numeric {
                let at = (row0 + 1 + i as u32, col0 + a.col as u32);
                match cell {
                    Data::Float(v) if !percent.is_empty() && percent.contains(&at) => {
                        let seen = &mut percent_seen[slot];
                        seen.0 += 1;
                        seen.1.get_or_insert((row, a.col, *v));
                        let shown = format!("{}%", *v * 100.0);
                        sink.push_cell(slot, a.col, row, Cell::Percent(*v), &shown)
                    }
                    Data::Float(v) => sink.push_cell(slot, a.col, row, Cell::Number(*v), ""),
                    Data::Int(v) => sink.push_cell(slot, a.col, row, Cell::Number(*v as f64), ""),
                    // Excel's error values (#N/A, #DIV/0!) are missing values.
                    Data::Empty | Data::Error(_) => {
                        sink.push_cell(slot, a.col, row, Cell::Missing, "")
                    }
                    Data::String(s) => sink.numeric(slot, a.col, row, s, true),
                    other => {
                        buf.clear();
                        buf.push_str(&text_of(other));
                        sink.push_cell(slot, a.col, row, Cell::Invalid, &buf);
                    }
                }
            }
            if let Some(slot) = a.text {
                match cell {
                    Data::String(s) => sink.text(slot, a.col, row, s, a.key),
                    other => sink.text(slot, a.col, row, &text_of(other), a.key),
                }
            }
        }
    }
    let meta = Meta {
        path,
        content_hash,
        encoding: "spreadsheet",
        col_offset: col0 as usize,
        lenient: opts.lenient,
        unit_column: opts.unit_column.clone(),
        period_column: opts.period_column.clone(),
        label_column: opts.label_column.clone(),
    };
    // The header is the range's first row; sheet rows are 1-based.
    let first_row = row0 as u64 + 2;
    let mut notes = Vec::new();
    for (slot, (count, first)) in percent_seen.iter().enumerate() {
        let Some((row, c, v)) = first else { continue };
        let name = &layout.numeric_names[slot];
        notes.push(
            Diagnostic::warning(
                "percent-cells",
                format!(
                    "{count} cell(s) of column `{name}` are formatted as percentages in the workbook and were read as fractions (first in row {}: {}% is {v})",
                    first_row + row,
                    v * 100.0
                ),
            )
            .with_location(format!("{location}:{}:{}", first_row + row, col0 as usize + c + 1))
            .with_hint("a value shown as 90% is 0.9: write goalposts and bands as fractions (0.8..1), or store the column as numbers in percentage points"),
        );
    }
    let part = sink.into_part(first_row);
    finish(layout, columns, vec![part], notes, meta)
}

/// A workbook read from memory.
pub(crate) type Workbook<'b> = Sheets<Cursor<&'b [u8]>>;

/// The error for bytes that calamine cannot read as a workbook.
pub(crate) fn bad_workbook(file: &str) -> impl Fn(calamine::Error) -> Error + '_ {
    move |e| {
        Error::diagnostic(
            Diagnostic::error(
                "bad-workbook",
                format!("{file} could not be read as a spreadsheet: {e}"),
            )
            .with_location(file.to_string()),
        )
    }
}

/// The workbook in `bytes`, its sheet names, the sheet to read (`opts.sheet`, an unknown name
/// being an error listing the sheets, with a did-you-mean; or the first) and that sheet's
/// cells; `empty` is the error for a workbook without sheets.
pub(crate) fn open_sheet<'b>(
    file: &str,
    bytes: &'b [u8],
    opts: &LoadOptions,
    empty: impl FnOnce() -> Error,
) -> Result<OpenSheet<'b>, Error> {
    check_inflation(file, bytes)?;
    let limit = inflation_limit(bytes.len());
    let checked = super::compound::check(bytes, limit)
        .and_then(|()| super::opendocument::check(bytes, limit));
    if let Err(why) = checked {
        return Err(Error::diagnostic(
            Diagnostic::error(
                "bad-workbook",
                format!("{file} could not be read as a spreadsheet: {why}"),
            )
            .with_location(file.to_string())
            .with_hint("open it in Excel or WPS and save it again, or save the sheet as CSV"),
        ));
    }
    guarded(file, || read_sheet(file, bytes, opts, empty))
}

/// A sheet's cells, laid out (as calamine does) in a grid from the first used cell to the
/// last. For `.xlsx` and `.xlsb` the cells are read one by one first, so that a grid too large
/// for memory (one stray value in the sheet's far corner makes 17 billion cells) is refused
/// with the cell that stretches it, instead of aborting the process. `.xls` sheets were laid
/// out when the workbook opened (checked by [`super::compound`]); `.ods` sheets too.
pub(crate) fn sheet_range(
    file: &str,
    workbook: &mut Workbook<'_>,
    sheet: &str,
    limit: u64,
) -> Result<Range<Data>, Error> {
    let mut cells = Vec::new();
    let mut far: Option<(u32, u32)> = None;
    let mut collect = |cell: calamine::Cell<calamine::DataRef<'_>>| {
        if !matches!(cell.get_value(), calamine::DataRef::Empty) {
            let (r, c) = cell.get_position();
            if far.is_none_or(|(fr, fc)| (r, c) > (fr, fc)) {
                far = Some((r, c));
            }
            let value: Data = cell.get_value().clone().into();
            cells.push(calamine::Cell::new((r, c), value));
        }
    };
    match workbook {
        Sheets::Xlsx(x) => {
            let mut reader = match x.worksheet_cells_reader(sheet) {
                Ok(reader) => reader,
                // A chart sheet: no cells, as calamine's own `worksheet_range` gives.
                Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(Range::default()),
                Err(e) => return Err(bad_workbook(file)(calamine::Error::Xlsx(e))),
            };
            while let Some(cell) = reader
                .next_cell()
                .map_err(|e| bad_workbook(file)(calamine::Error::Xlsx(e)))?
            {
                collect(cell);
            }
        }
        Sheets::Xlsb(x) => {
            let mut reader = x
                .worksheet_cells_reader(sheet)
                .map_err(|e| bad_workbook(file)(calamine::Error::Xlsb(e)))?;
            while let Some(cell) = reader
                .next_cell()
                .map_err(|e| bad_workbook(file)(calamine::Error::Xlsb(e)))?
            {
                collect(cell);
            }
        }
        _ => return workbook.worksheet_range(sheet).map_err(bad_workbook(file)),
    }
    let (mut r0, mut r1, mut c0, mut c1) = (u32::MAX, 0, u32::MAX, 0);
    for cell in &cells {
        let (r, c) = cell.get_position();
        (r0, r1, c0, c1) = (r0.min(r), r1.max(r), c0.min(c), c1.max(c));
    }
    let grid = if cells.is_empty() {
        0
    } else {
        (r1 - r0 + 1) as u64 * (c1 - c0 + 1) as u64
    };
    let bytes = grid.saturating_mul(std::mem::size_of::<Data>() as u64);
    if bytes > limit {
        let (fr, fc) = far.unwrap_or_default();
        let mb = |b: u64| b as f64 / (1u64 << 20) as f64;
        return Err(Error::diagnostic(
            Diagnostic::error(
                "workbook-too-large",
                format!(
                    "sheet `{sheet}` of {file} spans {} rows × {} columns from {} to {} ({:.0} MB \
                     as a grid, more than the {:.0} MB qindex reads from a workbook of this size)",
                    r1 - r0 + 1,
                    c1 - c0 + 1,
                    cell_name(r0, c0),
                    cell_name(r1, c1),
                    mb(bytes),
                    mb(limit)
                ),
            )
            .with_location(format!("{file}[{sheet}]"))
            .with_note(format!("its last value is in cell {}", cell_name(fr, fc)))
            .with_hint(
                "delete the stray values far from the table (Ctrl+End in Excel goes to the last \
                 used cell), or save the sheet as CSV",
            ),
        ));
    }
    Ok(Range::from_sparse(cells))
}

/// A cell's A1 name from its 0-based row and column.
fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = col as u64 + 1;
    while c > 0 {
        letters.push(b'A' + ((c - 1) % 26) as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8(letters).unwrap(), row as u64 + 1)
}

thread_local! {
    static IN_READER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is inside the workbook reader, whose panics on damaged files become
/// `bad-workbook` diagnostics (the command line's panic hook stays quiet for them).
pub fn in_workbook_reader() -> bool {
    IN_READER.with(|r| r.get())
}

/// Runs the workbook reader (calamine), turning a panic on a damaged file into a
/// `bad-workbook` diagnostic: a damaged `.xls` must give an error, not a crash.
fn guarded<T>(file: &str, read: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    IN_READER.with(|r| r.set(true));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    IN_READER.with(|r| r.set(false));
    out.unwrap_or_else(|_| {
        Err(Error::diagnostic(
            Diagnostic::error(
                "bad-workbook",
                format!(
                    "{file} could not be read as a spreadsheet: the file is damaged (the \
                     workbook reader failed on it)"
                ),
            )
            .with_location(file.to_string())
            .with_hint("open it in Excel or WPS and save it again, or save the sheet as CSV"),
        ))
    })
}

/// [`open_sheet`] after the size check, inside [`guarded`].
fn read_sheet<'b>(
    file: &str,
    bytes: &'b [u8],
    opts: &LoadOptions,
    empty: impl FnOnce() -> Error,
) -> Result<OpenSheet<'b>, Error> {
    let mut workbook =
        calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(bad_workbook(file))?;
    let names = workbook.sheet_names();
    let sheet = match &opts.sheet {
        Some(s) if names.iter().any(|n| n == s) => s.clone(),
        Some(s) => {
            let mut d =
                Diagnostic::error("unknown-sheet", format!("{file} has no sheet named `{s}`"))
                    .with_location(file.to_string())
                    .with_note(format!(
                        "its sheets are {}",
                        names
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
            if let Some(close) = did_you_mean(s, names.iter().map(|n| n.as_str())) {
                d = d.with_hint(format!("did you mean `{close}`?"));
            }
            return Err(Error::diagnostic(d));
        }
        None => match names.first() {
            Some(n) => n.clone(),
            None => return Err(empty()),
        },
    };
    let range = sheet_range(file, &mut workbook, &sheet, inflation_limit(bytes.len()))?;
    Ok((workbook, names, sheet, range))
}

/// The most a workbook's parts may inflate to in all: 50 times the file's size, but never less
/// than 256 MB (small workbooks of repetitive cells compress well) nor more than 2 GB.
pub(crate) fn inflation_limit(file_len: usize) -> u64 {
    (file_len as u64)
        .saturating_mul(50)
        .clamp(256 << 20, 2 << 30)
}

/// Refuses a workbook whose parts would inflate beyond [`inflation_limit`] (a zip bomb, or a
/// sheet too large to read in memory), from the sizes its zip directory declares, before
/// anything is decompressed. Not a zip (an `.xls`), or a broken one: left to the reader, which
/// reports it.
fn check_inflation(file: &str, bytes: &[u8]) -> Result<(), Error> {
    if !bytes.starts_with(b"PK") {
        return Ok(());
    }
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut total = 0u64;
    for i in 0..archive.len() {
        if let Ok(part) = archive.by_index_raw(i) {
            total = total.saturating_add(part.size());
        }
    }
    let limit = inflation_limit(bytes.len());
    if total <= limit {
        return Ok(());
    }
    let mb = |b: u64| b as f64 / (1u64 << 20) as f64;
    Err(Error::diagnostic(
        Diagnostic::error(
            "workbook-too-large",
            format!(
                "{file} would inflate to {:.0} MB when read ({:.0}× its {:.1} MB): more than the \
                 {:.0} MB qindex reads from a workbook of this size",
                mb(total),
                total as f64 / bytes.len().max(1) as f64,
                mb(bytes.len() as u64),
                mb(limit)
            ),
        )
        .with_location(file.to_string())
        .with_hint(
            "save the sheet as CSV and read that; a workbook this compressed may also be a zip \
             bomb rather than data",
        ),
    ))
}

/// What [`open_sheet`] opens: the workbook, its sheet names, the sheet read and its cells.
pub(crate) type OpenSheet<'b> = (Workbook<'b>, Vec<String>, String, Range<Data>);

/// A sheet's first used (row, column), 0-based, and its first row as trimmed text; `None` for
/// a sheet without cells. The data rows are `range.rows().skip(1)`.
pub(crate) fn sheet_header(range: &Range<Data>) -> Option<((u32, u32), Vec<String>)> {
    let start = range.start().unwrap_or((0, 0));
    let header = range.rows().next()?;
    Some((
        start,
        header
            .iter()
            .map(|c| trim(&text_of(c)).to_string())
            .collect(),
    ))
}

fn empty(file: &str, sheet: Option<&str>) -> Error {
    let what = match sheet {
        Some(s) => format!("sheet `{s}` of {file} is empty"),
        None => format!("{file} has no sheets"),
    };
    Error::diagnostic(
        Diagnostic::error("empty-file", what)
            .with_location(file.to_string())
            .with_hint("a data sheet needs a header row and one row per unit (and period)"),
    )
}

/// A cell as text: whole numbers without a decimal point, so that a unit id or year typed as
/// a number reads `2022`, not `2022.0`; other numbers in full (shortest round-trip).
pub(crate) fn text_of(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", *v as i64),
        Data::Float(v) => v.to_string(),
        Data::Int(v) => v.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::Error(e) => e.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workbook with one sheet of a few cells, as bytes.
    fn workbook() -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "city").unwrap();
        ws.write_string(0, 1, "x").unwrap();
        ws.write_string(1, 0, "a").unwrap();
        ws.write_number(1, 1, 1.0).unwrap();
        wb.save_to_buffer().unwrap()
    }

    /// Sets the uncompressed size its zip directory declares for the first part to `size`.
    fn declare(bytes: &mut [u8], size: u32) {
        let at = bytes
            .windows(4)
            .position(|w| w == b"PK\x01\x02")
            .expect("a central directory entry");
        bytes[at + 24..at + 28].copy_from_slice(&size.to_le_bytes());
    }

    /// A workbook whose parts declare more than the limit is refused before anything is
    /// inflated, with the sizes and a hint; the same workbook with honest sizes reads.
    #[test]
    fn workbooks_that_would_inflate_past_the_limit_are_refused() {
        let opts = LoadOptions::new("city");
        let honest = workbook();
        assert!(open_sheet("w.xlsx", &honest, &opts, || unreachable!()).is_ok());
        let mut bomb = honest.clone();
        declare(&mut bomb, 0x9000_0000);
        let Err(Error::Diagnostics(ds)) = open_sheet("w.xlsx", &bomb, &opts, || unreachable!())
        else {
            panic!("a workbook declaring 2.25 GB is refused");
        };
        assert_eq!(ds[0].code, "workbook-too-large");
        assert!(
            ds[0].message.contains("would inflate to 2304 MB"),
            "{}",
            ds[0].message
        );
        assert_eq!(ds[0].location.as_deref(), Some("w.xlsx"));
        // Just under the floor of 256 MB passes the check (and then fails as a broken part,
        // which the reader reports, not a panic).
        let mut under = honest.clone();
        declare(&mut under, (200 << 20) as u32);
        if let Err(Error::Diagnostics(ds)) = open_sheet("w.xlsx", &under, &opts, || unreachable!())
        {
            assert_ne!(ds[0].code, "workbook-too-large");
        }
    }

    #[test]
    fn the_limit_is_fifty_times_the_file_within_bounds() {
        assert_eq!(inflation_limit(1 << 10), 256 << 20);
        assert_eq!(inflation_limit(10 << 20), 500 << 20);
        assert_eq!(inflation_limit(100 << 20), 2 << 30);
    }
}

//! Respondent-level tables: survey microdata, many rows per unit × period.
//!
//! A [`Frame`](super::Frame) holds one row per unit × period and refuses repeated keys; a
//! survey file has one row per respondent, so it is read here into a [`Respondents`] table
//! instead, with the same [`LoadOptions`], encodings (detection of GB18030, forced labels),
//! delimiter detection, missing-value tokens and cell reading as index data. Every problem is
//! a [`Diagnostic`] located at `file:row:column` (`file[sheet]:row:column` in a workbook), the
//! header being row 1; the codes are those of [`super::load`] (`not-a-number`,
//! `unknown-column`, `missing-unit`, `missing-period`, `field-count`, `unclosed-quote`, ...).

use super::build::{find_column, Examples};
use super::cell::{trim, Cell, CellReader};
use super::csv::{read_header, split_points, Delimited, TextRecords, PARALLEL_MIN_BYTES};
use super::excel::{open_sheet, sheet_header, text_of};
use super::frame::TextColumn;
use super::{Format, LoadOptions};
use crate::diagnostics::Diagnostic;
use crate::error::Error;
use calamine::Data;
use std::path::{Path, PathBuf};

/// One loaded respondent file, by columns: row `i` of every column is respondent `i`. Missing
/// numbers are NaN; text cells are trimmed.
#[derive(Debug, Clone, PartialEq)]
pub struct Respondents {
    /// The file, and the sheet of a workbook, as locations show it (`file` or `file[sheet]`).
    source: String,
    path: PathBuf,
    /// Added to 0-based column indices in locations (a sheet's first used column).
    col_offset: usize,
    /// Name, 0-based file column and cells of each text column read.
    text: Vec<(String, usize, TextColumn)>,
    /// Name, 0-based file column and values of each numeric column read.
    numeric: Vec<(String, usize, Vec<f64>)>,
    /// The file row of each respondent (header = row 1).
    rows: Vec<u32>,
    encoding: &'static str,
}

impl Respondents {
    /// A table built in memory (for tests and generated data): text and numeric columns of
    /// equal length, respondent `i` shown as row `i + 2` of `name`. `None` when the columns
    /// differ in length.
    pub fn from_columns(
        name: &str,
        text: Vec<(String, Vec<String>)>,
        numeric: Vec<(String, Vec<f64>)>,
    ) -> Option<Respondents> {
        let n = text
            .first()
            .map(|c| c.1.len())
            .or_else(|| numeric.first().map(|c| c.1.len()))
            .unwrap_or(0);
        if text.iter().any(|c| c.1.len() != n) || numeric.iter().any(|c| c.1.len() != n) {
            return None;
        }
        let width = text.len();
        Some(Respondents {
            source: name.to_string(),
            path: PathBuf::from(name),
            col_offset: 0,
            text: text
                .into_iter()
                .enumerate()
                .map(|(k, (name, cells))| {
                    let mut col = TextColumn::new();
                    for c in &cells {
                        col.push(trim(c));
                    }
                    (name, k, col)
                })
                .collect(),
            numeric: numeric
                .into_iter()
                .enumerate()
                .map(|(k, (name, v))| (name, width + k, v))
                .collect(),
            rows: (0..n).map(|i| (i + 2) as u32).collect(),
            encoding: "UTF-8",
        })
    }

    /// The number of respondents.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The file the table was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The encoding a CSV file was read in (`spreadsheet` for a workbook).
    pub fn encoding(&self) -> &'static str {
        self.encoding
    }

    /// A text column by name.
    pub fn text(&self, name: &str) -> Option<&TextColumn> {
        self.text.iter().find(|c| c.0 == name).map(|c| &c.2)
    }

    /// A numeric column by name.
    pub fn numeric(&self, name: &str) -> Option<&[f64]> {
        self.numeric
            .iter()
            .find(|c| c.0 == name)
            .map(|c| c.2.as_slice())
    }

    /// The file row of respondent `i` (header = row 1).
    pub fn source_row(&self, i: usize) -> u32 {
        self.rows.get(i).copied().unwrap_or(0)
    }

    /// `file:row:column` of respondent `i`'s cell in the column `name` (`file:row` when the
    /// column was not read), for data errors found after loading.
    pub fn location(&self, i: usize, name: &str) -> String {
        let col = self
            .text
            .iter()
            .map(|c| (&c.0, c.1))
            .chain(self.numeric.iter().map(|c| (&c.0, c.1)))
            .find(|c| c.0 == name)
            .map(|c| c.1);
        let row = self.source_row(i);
        match col {
            Some(c) => format!("{}:{row}:{}", self.source, c + 1 + self.col_offset),
            None => format!("{}:{row}", self.source),
        }
    }
}

/// Reads a respondent file (CSV or workbook, by extension) with the columns `opts` names: the
/// unit and period columns and [`LoadOptions::text_columns`] as text,
/// [`LoadOptions::numeric_columns`] as numbers. Returns the table and its warnings; errors
/// come as [`Error::Diagnostics`], each located at `file:row:column`.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<(Respondents, Vec<Diagnostic>), Error> {
    if opts.unit_column.trim().is_empty() {
        return Err(Error::Usage(
            "no unit id column was given for the respondents".to_string(),
        ));
    }
    if Format::of(path) == Format::Parquet {
        return Err(Error::Usage(format!(
            "{}: survey respondents are read from CSV or a workbook, not yet from Parquet; \
             write the respondents as CSV",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    match Format::of(path) {
        Format::Csv | Format::Parquet => load_csv_bytes(path, &bytes, opts),
        Format::Spreadsheet => load_workbook(path, &bytes, opts),
    }
}

/// [`load`] of CSV text already in memory (`path` stands for the file in messages).
pub fn load_csv_bytes(
    path: &Path,
    bytes: &[u8],
    opts: &LoadOptions,
) -> Result<(Respondents, Vec<Diagnostic>), Error> {
    let file = path.display().to_string();
    let needs = "a respondent file needs a header row and one row per respondent";
    let Delimited {
        decoded,
        delimiter,
        headers,
        body,
    } = read_header(&file, bytes, opts, needs)?;
    let text: &str = &decoded.text;
    // Without quotes every record is one line, so the body splits at line breaks into chunks
    // parsed on their own threads, each knowing its first row; with quotes, one chunk.
    let rest = &text.as_bytes()[body..];
    let parts = if rest.len() >= PARALLEL_MIN_BYTES && memchr::memchr(b'"', rest).is_none() {
        super::threads(opts)
    } else {
        1
    };
    let bounds: Vec<usize> = split_points(rest, parts.max(1))
        .into_iter()
        .map(|b| body + b)
        .collect();
    let mut first_rows = vec![2u32];
    for w in bounds.windows(2).take(bounds.len().saturating_sub(2)) {
        let lines = memchr::memchr_iter(b'\n', &text.as_bytes()[w[0]..w[1]]).count();
        first_rows.push(first_rows.last().copied().unwrap_or(2) + lines as u32);
    }
    let chunks = bounds.len() - 1;
    let parsed = crate::par_map(chunks, |k| {
        let mut table = Builder::new(&headers, opts, file.clone(), 0)?;
        let records = TextRecords::new(&text[..bounds[k + 1]], delimiter, bounds[k]);
        parse_records(records, first_rows[k], headers.len(), &mut table);
        Ok::<Builder, Error>(table)
    });
    let mut parsed = parsed.into_iter();
    let mut table = match parsed.next() {
        Some(first) => first?,
        None => Builder::new(&headers, opts, file.clone(), 0)?,
    };
    for part in parsed {
        table.append(part?);
    }
    table.finish(path, decoded.encoding, decoded.warnings)
}

/// Adds the records to `table`, the first being file row `row0`.
fn parse_records(mut records: TextRecords, row0: u32, width: usize, table: &mut Builder) {
    let mut fields = Vec::new();
    let mut row = row0 - 1;
    while !records.at_end() {
        row += 1;
        if records.next(&mut fields).is_err() {
            table.diags.push(
                Diagnostic::error(
                    "unclosed-quote",
                    format!("a quoted value that starts in row {row} is never closed"),
                )
                .with_location(format!("{}:{row}", table.source))
                .with_hint("add the closing double quote; write a quote inside a value as \"\""),
            );
            break;
        }
        if fields.iter().all(|f| trim(&f.0).is_empty()) {
            continue;
        }
        let trailing = fields.iter().rev().take_while(|f| f.0.is_empty()).count();
        if fields.len() != width && !(fields.len() > width && fields.len() - width <= trailing) {
            table.field_count(row, fields.len(), width);
            continue;
        }
        table.row(row, |col| {
            let (cell, quoted) = &fields[col];
            (cell.as_str(), *quoted)
        });
    }
}

/// [`load`] of a workbook's sheet (the first, or [`LoadOptions::sheet`]).
fn load_workbook(
    path: &Path,
    bytes: &[u8],
    opts: &LoadOptions,
) -> Result<(Respondents, Vec<Diagnostic>), Error> {
    let file = path.display().to_string();
    let (_, _, sheet, range) = open_sheet(&file, bytes, opts, || empty_sheet(&file))?;
    let Some(((row0, col0), headers)) = sheet_header(&range) else {
        return Err(empty_sheet(&format!("{file}[{sheet}]")));
    };
    let rows = range.rows().skip(1);
    let source = format!("{file}[{sheet}]");
    let mut table = Builder::new(&headers, opts, source, col0 as usize)?;
    let mut cells_text: Vec<String> = Vec::new();
    for (i, cells) in rows.enumerate() {
        // Sheet rows are 1-based; the header is the range's first row.
        let row = row0 + 2 + i as u32;
        cells_text.clear();
        cells_text.extend(cells.iter().map(cell_text));
        if cells_text.iter().all(|c| trim(c).is_empty()) {
            continue;
        }
        table.row(row, |col| {
            let cell = cells_text.get(col).map_or("", |c| c.as_str());
            // Strings in a workbook may carry thousands separators, like quoted CSV values.
            (cell, matches!(cells.get(col), Some(Data::String(_))))
        });
    }
    table.finish(path, "spreadsheet", Vec::new())
}

fn empty_sheet(what: &str) -> Error {
    Error::diagnostic(
        Diagnostic::error("empty-file", format!("{what} has no cells"))
            .with_location(what.to_string())
            .with_hint("a respondent sheet needs a header row and one row per respondent"),
    )
}

/// A workbook cell as text, read back by the same [`CellReader`] as a CSV cell (see
/// [`text_of`]), every Excel error value as the missing token `#N/A`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Error(_) => "#N/A".to_string(),
        other => text_of(other),
    }
}

/// The columns being filled, and the problems found.
struct Builder {
    source: String,
    col_offset: usize,
    lenient: bool,
    reader: CellReader,
    /// (name, file column, cells, is a key column that must not be empty)
    text: Vec<(String, usize, TextColumn, bool)>,
    numeric: Vec<(String, usize, Vec<f64>)>,
    rows: Vec<u32>,
    invalid: Vec<Examples>,
    empty_key: Vec<Examples>,
    field_count: Examples,
    diags: Vec<Diagnostic>,
}

impl Builder {
    fn new(
        headers: &[String],
        opts: &LoadOptions,
        source: String,
        col_offset: usize,
    ) -> Result<Builder, Error> {
        let mut diags = Vec::new();
        let mut find = |name: &str| find_column(name, headers, &source, col_offset, &mut diags);
        let mut text: Vec<(String, usize, TextColumn, bool)> = Vec::new();
        let keys = std::iter::once((&opts.unit_column, true))
            .chain(opts.period_column.iter().map(|p| (p, true)))
            .chain(opts.label_column.iter().map(|l| (l, false)))
            .chain(opts.text_columns.iter().map(|t| (t, false)));
        for (name, key) in keys {
            if text.iter().any(|(n, ..)| n == name) {
                continue;
            }
            if let Some(col) = find(name) {
                text.push((name.clone(), col, TextColumn::new(), key));
            }
        }
        let mut numeric: Vec<(String, usize, Vec<f64>)> = Vec::new();
        for name in &opts.numeric_columns {
            if numeric.iter().any(|(n, ..)| n == name) {
                continue;
            }
            if let Some(col) = find(name) {
                numeric.push((name.clone(), col, Vec::new()));
            }
        }
        if !diags.is_empty() {
            return Err(Error::Diagnostics(diags));
        }
        let (t, n) = (text.len(), numeric.len());
        Ok(Builder {
            source,
            col_offset,
            lenient: opts.lenient,
            reader: CellReader::new(&opts.na_tokens),
            text,
            numeric,
            rows: Vec::new(),
            invalid: (0..n).map(|_| Examples::default()).collect(),
            empty_key: (0..t).map(|_| Examples::default()).collect(),
            field_count: Examples::default(),
            diags: Vec::new(),
        })
    }

    /// Appends the rows of the chunk that follows (its rows are file rows already): cells,
    /// examples and diagnostics, keeping the first examples of the whole file.
    fn append(&mut self, other: Builder) {
        for (mine, theirs) in self.text.iter_mut().zip(&other.text) {
            mine.2.append(&theirs.2);
        }
        for (mine, theirs) in self.numeric.iter_mut().zip(other.numeric) {
            mine.2.extend(theirs.2);
        }
        self.rows.extend(other.rows);
        for (mine, theirs) in self.invalid.iter_mut().zip(other.invalid) {
            mine.merge(theirs, 0);
        }
        for (mine, theirs) in self.empty_key.iter_mut().zip(other.empty_key) {
            mine.merge(theirs, 0);
        }
        let shown = self.field_count.first.len();
        self.field_count.merge(other.field_count, 0);
        let mut room = super::build::EXAMPLES.saturating_sub(shown);
        for d in other.diags {
            if d.code == "field-count" {
                if room == 0 {
                    continue;
                }
                room -= 1;
            }
            self.diags.push(d);
        }
    }

    fn field_count(&mut self, row: u32, found: usize, width: usize) {
        if self.field_count.first.len() < super::build::EXAMPLES {
            self.diags.push(
                Diagnostic::error(
                    "field-count",
                    format!("row {row} has {found} fields but the header has {width}"),
                )
                .with_location(format!("{}:{row}", self.source))
                .with_hint(
                    "a value may contain the delimiter: put it in double quotes (\"1,234\"), \
                     or the row may be cut short",
                ),
            );
        }
        self.field_count.add(row.into(), 0, String::new);
    }

    /// Adds a respondent from its cells: `cell(col)` is the text of file column `col` and
    /// whether it was quoted.
    fn row<'c>(&mut self, row: u32, cell: impl Fn(usize) -> (&'c str, bool)) {
        self.rows.push(row);
        for (k, (_, col, cells, key)) in self.text.iter_mut().enumerate() {
            let t = trim(cell(*col).0);
            if *key && t.is_empty() {
                self.empty_key[k].add(row.into(), *col, String::new);
            }
            cells.push(t);
        }
        for (k, (_, col, values)) in self.numeric.iter_mut().enumerate() {
            let (raw, quoted) = cell(*col);
            let v = match self.reader.read(raw, quoted) {
                Cell::Number(v) | Cell::Percent(v) | Cell::Thousands(v) => v,
                Cell::Missing => f64::NAN,
                Cell::Invalid => {
                    self.invalid[k].add(row.into(), *col, || trim(raw).to_string());
                    f64::NAN
                }
            };
            values.push(v);
        }
    }

    fn finish(
        mut self,
        path: &Path,
        encoding: &'static str,
        warnings: Vec<Diagnostic>,
    ) -> Result<(Respondents, Vec<Diagnostic>), Error> {
        let source = self.source.clone();
        let col = |c: usize| c + 1 + self.col_offset;
        let mut diags = warnings;
        diags.append(&mut self.diags);
        if self.field_count.count > self.field_count.first.len() {
            if let Some(last) = diags.iter_mut().rev().find(|d| d.code == "field-count") {
                last.notes.push(format!(
                    "{} more rows have the wrong number of fields",
                    self.field_count.count - self.field_count.first.len()
                ));
            }
        }
        for (k, (name, ..)) in self.text.iter().enumerate() {
            let empty = &self.empty_key[k];
            let location = |row, c| format!("{source}:{row}:{}", col(c));
            empty.empty_keys(k == 0, name, location, &mut diags);
        }
        for (k, (name, ..)) in self.numeric.iter().enumerate() {
            let lenient = self.lenient;
            super::build::not_a_number(&mut diags, name, &self.invalid[k], lenient, &source, col);
        }
        if self.rows.is_empty() && !diags.iter().any(|d| d.is_error()) {
            diags.push(
                Diagnostic::error(
                    "no-rows",
                    format!("{source} has a header but no respondents"),
                )
                .with_location(format!("{source}:2")),
            );
        }
        if diags.iter().any(|d| d.is_error()) {
            return Err(Error::Diagnostics(diags));
        }
        let table = Respondents {
            source,
            path: path.to_path_buf(),
            col_offset: self.col_offset,
            text: self
                .text
                .into_iter()
                .map(|(n, c, cells, _)| (n, c, cells))
                .collect(),
            numeric: self.numeric,
            rows: self.rows,
            encoding,
        };
        Ok((table, diags))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> LoadOptions {
        let mut o = LoadOptions::new("city");
        o.period_column = Some("year".into());
        o.text_columns = vec!["district".into()];
        o.numeric_columns = vec!["weight".into(), "q1".into()];
        o
    }

    fn load_text(text: &str) -> Result<(Respondents, Vec<Diagnostic>), Error> {
        load_csv_bytes(Path::new("r.csv"), text.as_bytes(), &opts())
    }

    fn codes(e: Error) -> Vec<(&'static str, Option<String>)> {
        match e {
            Error::Diagnostics(ds) => ds.into_iter().map(|d| (d.code, d.location)).collect(),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn repeated_units_quotes_and_blank_lines() {
        let (t, warnings) = load_text(
            "city,year,district,weight,q1\r\n\
             a,2022,d1,1.5,3\r\n\
             a,2022,\"d,2\",\"1,000\",\r\n\
             \r\n\
             b,2023,d1,2,NA\r\n",
        )
        .unwrap();
        assert!(warnings.is_empty());
        assert_eq!(t.len(), 3);
        assert_eq!(t.text("city").unwrap().get(1), "a");
        assert_eq!(t.text("district").unwrap().get(1), "d,2");
        assert_eq!(t.numeric("weight").unwrap(), &[1.5, 1000.0, 2.0]);
        assert!(t.numeric("q1").unwrap()[1].is_nan());
        assert_eq!(t.source_row(2), 5);
        assert_eq!(t.location(2, "q1"), "r.csv:5:5");
    }

    #[test]
    fn data_errors_name_file_row_and_column() {
        let e =
            load_text("city,year,district,weight,q1\na,2022,d1,x,3\n,2022,d1,1,3\n").unwrap_err();
        assert_eq!(
            codes(e),
            vec![
                ("missing-unit", Some("r.csv:3:1".to_string())),
                ("not-a-number", Some("r.csv:2:4".to_string())),
            ]
        );
        let e = load_text("city,year,district,weight\na,2022,d1,1\n").unwrap_err();
        assert_eq!(
            codes(e),
            vec![("unknown-column", Some("r.csv:1".to_string()))]
        );
        let e = load_text("city,year,district,weight,q1\na,2022,d1,1\n").unwrap_err();
        assert_eq!(codes(e), vec![("field-count", Some("r.csv:2".to_string()))]);
        let e = load_text("city,year,district,weight,q1\na,2022,\"d1,1,3\n").unwrap_err();
        assert_eq!(
            codes(e),
            vec![("unclosed-quote", Some("r.csv:2".to_string()))]
        );
    }

    #[test]
    fn gbk_text_is_detected() {
        let (bytes, _, _) =
            encoding_rs::GBK.encode("city,year,district,weight,q1\n北京,2022,东城,1,2\n");
        let (t, _) = load_csv_bytes(Path::new("r.csv"), &bytes, &opts()).unwrap();
        assert_eq!(t.text("city").unwrap().get(0), "北京");
        assert_eq!(t.encoding(), "gb18030");
    }

    /// A workbook: numbers typed as numbers, a unit id typed as a number, an Excel error
    /// value (missing), a located error in a sheet that does not start at A1.
    #[test]
    fn workbooks_read_like_csv() {
        let dir = std::env::temp_dir().join(format!("qindex-respondents-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["city", "year", "district", "weight", "q1"]
            .iter()
            .enumerate()
        {
            ws.write_string(1, 1 + c as u16, *h).unwrap();
        }
        ws.write_number(2, 1, 101.0).unwrap();
        ws.write_number(2, 2, 2022.0).unwrap();
        ws.write_string(2, 3, "d1").unwrap();
        ws.write_number(2, 4, 1.25).unwrap();
        ws.write_number(2, 5, 4.0).unwrap();
        ws.write_string(3, 1, "a").unwrap();
        ws.write_number(3, 2, 2022.0).unwrap();
        ws.write_string(3, 3, "d2").unwrap();
        ws.write_number(3, 4, 2.0).unwrap();
        ws.write_string(3, 5, "#N/A").unwrap();
        wb.save(&path).unwrap();
        let (t, _) = load(&path, &opts()).unwrap();
        assert_eq!(t.text("city").unwrap().get(0), "101");
        assert_eq!(t.numeric("weight").unwrap(), &[1.25, 2.0]);
        assert!(t.numeric("q1").unwrap()[1].is_nan());
        // Sheet row 4, column F.
        assert_eq!(
            t.location(1, "q1"),
            format!("{}[Sheet1]:4:6", path.display())
        );

        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["city", "year", "district", "weight", "q1"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (c, v) in ["a", "2022", "d1", "heavy", "1"].iter().enumerate() {
            ws.write_string(1, c as u16, *v).unwrap();
        }
        wb.save(&path).unwrap();
        let e = load(&path, &opts()).unwrap_err();
        assert_eq!(
            codes(e),
            vec![(
                "not-a-number",
                Some(format!("{}[Sheet1]:2:4", path.display()))
            )]
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    /// A file over 1 MB without quotes is parsed in chunks on several threads: the table, the
    /// source rows and every data error (its row, location and count of more) are those of
    /// the one-thread parse, blank lines included.
    #[test]
    fn chunked_parse_equals_one_chunk() {
        let mut text = String::from("city,year,district,weight,q1\n");
        for i in 0..60_000usize {
            let row = i + 2;
            let line = match row {
                1_000 | 45_000 | 45_001 | 59_000 => {
                    format!("c{},2022,d{},1.5,x{row}\n", i % 7, i % 3)
                }
                30_000 => "\n".to_string(),
                40_000 => format!("c{},2022,d1,1.5\n", i % 7),
                50_000 => ",2022,d1,2,3\n".to_string(),
                _ => format!(
                    "c{},2022,d{},{}.25,{}\n",
                    i % 7,
                    i % 3,
                    1 + i % 4,
                    1 + i % 5
                ),
            };
            text.push_str(&line);
        }
        assert!(text.len() > PARALLEL_MIN_BYTES);
        let with = |text: &str, threads: usize| {
            let mut o = opts();
            o.threads = Some(threads);
            load_csv_bytes(Path::new("r.csv"), text.as_bytes(), &o)
        };
        let (one, three) = (with(&text, 1).unwrap_err(), with(&text, 3).unwrap_err());
        let (Error::Diagnostics(a), Error::Diagnostics(b)) = (one, three) else {
            panic!("data errors expected");
        };
        assert_eq!(a, b);
        let locations: Vec<_> = a.iter().filter_map(|d| d.location.clone()).collect();
        assert!(
            locations.contains(&"r.csv:59000:5".to_string()),
            "{locations:?}"
        );
        assert!(
            locations.contains(&"r.csv:40000".to_string()),
            "{locations:?}"
        );
        assert!(
            locations.contains(&"r.csv:50000:1".to_string()),
            "{locations:?}"
        );

        let clean: String = text
            .lines()
            .enumerate()
            .map(|(k, l)| match k + 1 {
                1_000 | 45_000 | 45_001 | 59_000 | 40_000 | 50_000 => "c1,2022,d1,1,2\n".into(),
                _ => format!("{l}\n"),
            })
            .collect();
        let (one, three) = (with(&clean, 1).unwrap(), with(&clean, 3).unwrap());
        assert_eq!(one, three);
        assert_eq!(one.0.len(), 59_999, "the blank line is no respondent");
        assert_eq!(one.0.source_row(59_998), 60_001);
    }
}

//! From cells to a [`Frame`]: which columns are read, the per-chunk column builders, and the
//! diagnostics gathered on the way (shared by the CSV and spreadsheet readers).

use super::cell::{misgrouped_comma, trim, Cell, CellReader};
use super::frame::{Frame, TextColumn};
use super::LoadOptions;
use crate::diagnostics::{did_you_mean, edit_distance, Diagnostic};
use crate::error::Error;
use std::hash::{Hash, Hasher};
use std::path::Path;

/// How many examples of one kind of problem in one column become diagnostics.
pub(crate) const EXAMPLES: usize = 5;

/// Which file columns are read, and into which numeric or text column.
#[derive(Debug)]
pub(crate) struct Layout {
    pub headers: Vec<String>,
    pub active: Vec<Active>,
    pub(crate) numeric_names: Vec<String>,
    text_names: Vec<String>,
    /// The text slot of the unit column and of the period column.
    unit_slot: usize,
    period_slot: Option<usize>,
}

/// One file column that is read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Active {
    pub col: usize,
    pub numeric: Option<usize>,
    pub text: Option<usize>,
    /// The unit or period column: trimmed with a warning, must not be empty.
    pub key: bool,
}

impl Layout {
    /// Resolves the columns the options name against the header; every absent or ambiguous
    /// name is an error.
    pub fn new(headers: Vec<String>, opts: &LoadOptions, file: &str) -> Result<Layout, Error> {
        fn push_unique(list: &mut Vec<String>, name: &str) {
            if !list.iter().any(|n| n == name) {
                list.push(name.to_string());
            }
        }
        let mut text_names: Vec<String> = Vec::new();
        push_unique(&mut text_names, &opts.unit_column);
        for name in opts
            .period_column
            .iter()
            .chain(&opts.label_column)
            .chain(&opts.text_columns)
        {
            push_unique(&mut text_names, name);
        }
        let mut numeric_names = Vec::new();
        for name in &opts.numeric_columns {
            push_unique(&mut numeric_names, name);
        }

        let mut diags = Vec::new();
        let mut active: Vec<Active> = Vec::new();
        let find = |name: &str, diags: &mut Vec<Diagnostic>| -> Option<usize> {
            find_column(name, &headers, file, 0, diags)
        };
        let slot_of = |col: usize, active: &mut Vec<Active>| -> usize {
            match active.iter().position(|a| a.col == col) {
                Some(i) => i,
                None => {
                    active.push(Active {
                        col,
                        numeric: None,
                        text: None,
                        key: false,
                    });
                    active.len() - 1
                }
            }
        };
        for (slot, name) in text_names.iter().enumerate() {
            if let Some(col) = find(name, &mut diags) {
                let a = slot_of(col, &mut active);
                active[a].text = Some(slot);
                active[a].key |= *name == opts.unit_column
                    || opts.period_column.as_deref() == Some(name.as_str());
            }
        }
        for (slot, name) in numeric_names.iter().enumerate() {
            if let Some(col) = find(name, &mut diags) {
                let a = slot_of(col, &mut active);
                active[a].numeric = Some(slot);
            }
        }
        if !diags.is_empty() {
            return Err(Error::Diagnostics(diags));
        }
        active.sort_by_key(|a| a.col);
        let period_slot = opts
            .period_column
            .as_ref()
            .and_then(|p| text_names.iter().position(|n| n == p));
        Ok(Layout {
            headers,
            active,
            numeric_names,
            text_names,
            unit_slot: 0,
            period_slot,
        })
    }

    /// The number of numeric columns read.
    pub fn numeric_count(&self) -> usize {
        self.numeric_names.len()
    }

    pub fn width(&self) -> usize {
        self.headers.len()
    }
}

/// The 0-based position of column `name` in `headers`, or `None` with an error in `diags`
/// when no column or more than one has that name. `col_offset` is added to positions in
/// locations (a sheet's first used column).
pub(crate) fn find_column(
    name: &str,
    headers: &[String],
    file: &str,
    col_offset: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<usize> {
    let mut at = (0..headers.len()).filter(|&i| headers[i] == name);
    match (at.next(), at.next()) {
        (Some(i), None) => Some(i),
        (None, _) => {
            diags.push(unknown_column(name, headers, file));
            None
        }
        (Some(first), Some(second)) => {
            diags.push(
                Diagnostic::error(
                    "duplicate-column",
                    format!(
                        "column `{name}` appears more than once in the header \
                         (columns {} and {})",
                        first + 1,
                        second + 1
                    ),
                )
                .with_location(format!("{file}:1:{}", second + 1 + col_offset))
                .with_hint("rename one of the columns so that each name is unique"),
            );
            None
        }
    }
}

fn unknown_column(name: &str, headers: &[String], file: &str) -> Diagnostic {
    let mut d = Diagnostic::error(
        "unknown-column",
        format!("column `{name}` is not in the header of {file}"),
    )
    .with_location(format!("{file}:1"))
    .with_column(name);
    let close = closest(name, headers);
    if !close.is_empty() {
        let names: Vec<String> = close.iter().map(|c| format!("`{c}`")).collect();
        d = d.with_hint(format!("did you mean {}?", names.join(" or ")));
    } else {
        d = d.with_hint("check the spelling, or the delimiter and the header row of the file");
    }
    let shown: Vec<String> = headers.iter().take(30).map(|h| format!("`{h}`")).collect();
    let more = if headers.len() > 30 {
        format!(" and {} more", headers.len() - 30)
    } else {
        String::new()
    };
    d.with_note(format!("the columns are {}{more}", shown.join(", ")))
}

/// Up to three header names close to a misspelt one: the likely typo first, then others
/// within a few edits (transposed letters cost two).
fn closest<'h>(name: &str, headers: &'h [String]) -> Vec<&'h str> {
    let mut out: Vec<&str> = did_you_mean(name, headers.iter().map(|h| h.as_str()))
        .into_iter()
        .collect();
    let limit = (name.chars().count() / 2).max(2);
    let mut others: Vec<(usize, &str)> = headers
        .iter()
        .map(|h| {
            (
                edit_distance(&name.to_lowercase(), &h.to_lowercase()),
                h.as_str(),
            )
        })
        .filter(|(d, h)| *d <= limit && !out.contains(h) && *h != name)
        .collect();
    others.sort();
    out.extend(others.into_iter().map(|(_, h)| h));
    out.truncate(3);
    out
}

/// The first examples of one kind of problem, and how many there were.
#[derive(Debug, Clone, Default)]
pub(crate) struct Examples {
    pub count: usize,
    /// (row, column, value); rows are chunk-local until merged.
    pub first: Vec<(u64, usize, String)>,
}

impl Examples {
    /// An error for each example of an empty key cell (the unit id when `unit`, else the
    /// period) in column `name`, at `location(row, column)`; the last says how many more.
    pub fn empty_keys(
        &self,
        unit: bool,
        name: &str,
        location: impl Fn(u64, usize) -> String,
        diags: &mut Vec<Diagnostic>,
    ) {
        let (code, what) = match unit {
            true => ("missing-unit", "unit id"),
            false => ("missing-period", "period"),
        };
        for (i, (row, c, _)) in self.first.iter().enumerate() {
            let mut d =
                Diagnostic::error(code, format!("row {row} has no {what} in column `{name}`"))
                    .with_location(location(*row, *c))
                    .with_hint("fill in the cell, or delete the row if it is not data");
            if i + 1 == self.first.len() && self.count > self.first.len() {
                d = d.with_note(format!(
                    "{} more rows have no value in this column",
                    self.count - self.first.len()
                ));
            }
            diags.push(d);
        }
    }

    #[inline]
    pub fn add(&mut self, row: u64, col: usize, value: impl FnOnce() -> String) {
        if self.first.len() < EXAMPLES {
            self.first.push((row, col, value()));
        }
        self.count += 1;
    }

    pub(crate) fn merge(&mut self, other: Examples, offset: u64) {
        self.count += other.count;
        for (r, c, v) in other.first {
            if self.first.len() < EXAMPLES {
                self.first.push((r + offset, c, v));
            }
        }
    }

    fn shift(&mut self, offset: u64) {
        for e in &mut self.first {
            e.0 += offset;
        }
    }
}

/// The cells of a numeric column that are not numbers: with `lenient`, one warning (they are
/// read as missing); else an error for each example, located at `file:row:column`.
pub(crate) fn not_a_number(
    diags: &mut Vec<Diagnostic>,
    name: &str,
    invalid: &Examples,
    lenient: bool,
    file: &str,
    col: impl Fn(usize) -> usize,
) {
    if invalid.count == 0 {
        return;
    }
    if lenient {
        let (row, c, value) = &invalid.first[0];
        diags.push(
            Diagnostic::warning(
                "not-a-number",
                format!(
                    "{} cell(s) in column `{name}` are not numbers and were read as missing \
                     (first in row {row}: `{value}`)",
                    invalid.count
                ),
            )
            .with_location(format!("{file}:{row}:{}", col(*c))),
        );
        return;
    }
    for (i, (row, c, value)) in invalid.first.iter().enumerate() {
        let mut d = Diagnostic::error(
            "not-a-number",
            format!("`{value}` in column `{name}`, row {row}, is not a number"),
        )
        .with_location(format!("{file}:{row}:{}", col(*c)))
        .with_hint(
            "write a number (0.5, 50%), leave the cell empty or write NA if it is missing, or \
             load leniently to read such cells as missing",
        );
        if i + 1 == invalid.first.len() && invalid.count > invalid.first.len() {
            d = d.with_note(format!(
                "{} more cells in this column are not numbers",
                invalid.count - invalid.first.len()
            ));
        }
        diags.push(d);
    }
}

/// Problems found while reading one chunk.
#[derive(Debug, Clone, Default)]
pub(crate) struct Issues {
    /// Per numeric slot.
    invalid: Vec<Examples>,
    percent: Vec<Examples>,
    plain: Vec<Examples>,
    /// Numbers read with thousands separators (`"1,234"`).
    thousands: Vec<Examples>,
    /// Cells that are not numbers because of a comma that does not group digits in threes
    /// (`1,23`, `1,5`); also counted in `invalid`.
    misgrouped: Vec<Examples>,
    /// Per text slot.
    trimmed: Vec<Examples>,
    empty_key: Vec<Examples>,
    /// Rows with a wrong number of fields; the value is the number found.
    pub field_count: Examples,
    /// The row where an unclosed quote starts.
    pub unclosed_quote: Option<u64>,
}

impl Issues {
    fn merge(&mut self, other: Issues, offset: u64) {
        fn each(a: &mut [Examples], b: Vec<Examples>, offset: u64) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y, offset);
            }
        }
        each(&mut self.invalid, other.invalid, offset);
        each(&mut self.percent, other.percent, offset);
        each(&mut self.plain, other.plain, offset);
        each(&mut self.thousands, other.thousands, offset);
        each(&mut self.misgrouped, other.misgrouped, offset);
        each(&mut self.trimmed, other.trimmed, offset);
        each(&mut self.empty_key, other.empty_key, offset);
        self.field_count.merge(other.field_count, offset);
        if self.unclosed_quote.is_none() {
            self.unclosed_quote = other.unclosed_quote.map(|r| r + offset);
        }
    }

    fn shift(&mut self, offset: u64) {
        for e in self
            .invalid
            .iter_mut()
            .chain(&mut self.percent)
            .chain(&mut self.plain)
            .chain(&mut self.thousands)
            .chain(&mut self.misgrouped)
            .chain(&mut self.trimmed)
            .chain(&mut self.empty_key)
        {
            e.shift(offset);
        }
        self.field_count.shift(offset);
        if let Some(r) = &mut self.unclosed_quote {
            *r += offset;
        }
    }
}

/// The numeric columns of a whole file, allocated once with room for every row, so that the
/// chunks parsed in parallel write their rows in place and nothing is copied afterwards.
pub(crate) struct Columns {
    data: Vec<Vec<f64>>,
}

impl Columns {
    /// `n` columns of `rows` zeroed cells (zeroed memory is mapped lazily, so the pages are
    /// touched first by the thread that fills them).
    pub fn new(n: usize, rows: usize) -> Columns {
        Columns {
            data: (0..n).map(|_| vec![0.0; rows]).collect(),
        }
    }

    /// Splits every column into consecutive pieces of the given lengths: piece `k` of each
    /// column, for chunk `k`.
    pub fn split(&mut self, lengths: &[usize]) -> Vec<Vec<&mut [f64]>> {
        let mut out: Vec<Vec<&mut [f64]>> = lengths.iter().map(|_| Vec::new()).collect();
        for col in &mut self.data {
            let mut rest = col.as_mut_slice();
            for (k, &len) in lengths.iter().enumerate() {
                let whole = std::mem::take(&mut rest);
                let (piece, tail) = whole.split_at_mut(len.min(whole.len()));
                out[k].push(piece);
                rest = tail;
            }
        }
        out
    }

    /// Moves the rows each chunk wrote (at the start of its piece) together, and drops the
    /// unused room.
    fn compact(mut self, pieces: &[(usize, usize)]) -> Vec<Vec<f64>> {
        for col in &mut self.data {
            let mut to = 0;
            let mut from = 0;
            for &(len, written) in pieces {
                if from != to {
                    col.copy_within(from..from + written, to);
                }
                to += written;
                from += len;
            }
            col.truncate(to);
        }
        self.data
    }
}

/// Builds the columns of one chunk of rows. Rows are numbered from 0 within the chunk; the
/// chunk's offset turns them into file rows when chunks are merged.
pub(crate) struct Sink<'a> {
    reader: &'a CellReader,
    numeric: Vec<&'a mut [f64]>,
    text: Vec<TextColumn>,
    rows: Vec<u32>,
    pub issues: Issues,
    /// Rows of plain numbers not yet in the columns (see [`Sink::numbers`]).
    block: Block,
}

/// Consecutive rows of plain numbers, row-major: written into the columns a block at a time,
/// each column receiving a contiguous run, rather than a cell to every column per row.
#[derive(Default)]
struct Block {
    /// The (slot, column) of each value of a row.
    slots: Vec<(usize, usize)>,
    values: Vec<f64>,
    /// The position in the columns of the first row, and its chunk-local row number.
    start: usize,
    first_row: u64,
    rows: usize,
}

/// Rows per block.
const BLOCK_ROWS: usize = 256;

/// What a chunk produced besides its numeric cells (which are in [`Columns`]).
pub(crate) struct Part {
    /// The room the chunk had in [`Columns`].
    room: usize,
    text: Vec<TextColumn>,
    rows: Vec<u32>,
    issues: Issues,
    /// The file row of the chunk's row 0.
    pub offset: u64,
}

impl<'a> Sink<'a> {
    /// A sink writing the numeric cells into `numeric` (one piece per numeric column, each
    /// with room for every row of the chunk).
    pub fn new(layout: &Layout, reader: &'a CellReader, numeric: Vec<&'a mut [f64]>) -> Sink<'a> {
        let n = layout.numeric_names.len();
        let t = layout.text_names.len();
        let rows_hint = numeric.first().map_or(1024, |c| c.len());
        Sink {
            reader,
            numeric,
            text: (0..t)
                .map(|_| TextColumn::with_capacity(rows_hint, rows_hint * 8))
                .collect(),
            rows: Vec::with_capacity(rows_hint),
            block: Block::default(),
            issues: Issues {
                invalid: vec![Examples::default(); n],
                percent: vec![Examples::default(); n],
                plain: vec![Examples::default(); n],
                thousands: vec![Examples::default(); n],
                misgrouped: vec![Examples::default(); n],
                trimmed: vec![Examples::default(); t],
                empty_key: vec![Examples::default(); t],
                ..Issues::default()
            },
        }
    }

    /// Starts a row (chunk-local row number).
    #[inline]
    pub fn row(&mut self, row: u64) {
        self.rows.push(row as u32);
    }

    /// Reads a cell of a numeric column.
    #[inline]
    pub fn numeric(&mut self, slot: usize, col: usize, row: u64, cell: &str, quoted: bool) {
        let read = self.reader.read(cell, quoted);
        self.push_cell(slot, col, row, read, cell);
    }

    /// Stores a row (started by [`Sink::row`]) of plain numbers, `values[k]` being the cell of
    /// `slots[k]` = (slot, column); the same `slots` for every call of a chunk. Kept in a
    /// block until [`BLOCK_ROWS`] consecutive rows are in, or another kind of row comes.
    #[inline]
    pub fn numbers(&mut self, row: u64, values: &[f64], slots: &[(usize, usize)]) {
        let at = self.rows.len() - 1;
        if self.block.rows > 0 && at != self.block.start + self.block.rows {
            self.flush();
        }
        if self.block.rows == 0 {
            self.block.start = at;
            self.block.first_row = row;
            if self.block.slots.is_empty() {
                self.block.slots = slots.to_vec();
            }
        }
        self.block.values.extend_from_slice(values);
        self.block.rows += 1;
        if self.block.rows == BLOCK_ROWS {
            self.flush();
        }
    }

    /// Writes the block into the columns, and counts its cells as plain numbers.
    fn flush(&mut self) {
        let Block {
            slots,
            values,
            start,
            first_row,
            rows,
        } = &mut self.block;
        if *rows == 0 {
            return;
        }
        let width = slots.len();
        for (k, &(slot, col)) in slots.iter().enumerate() {
            let column = &mut self.numeric[slot][*start..*start + *rows];
            for (j, c) in column.iter_mut().enumerate() {
                *c = values[j * width + k];
            }
            let plain = &mut self.issues.plain[slot];
            if plain.count == 0 {
                plain.add(*first_row, col, String::new);
                plain.count += *rows - 1;
            } else {
                plain.count += *rows;
            }
        }
        values.clear();
        *rows = 0;
    }

    /// Starts `n` consecutive rows at once (chunk-local numbers from `first`), for a reader
    /// that then fills them a column at a time ([`Sink::push_cell_at`], [`Sink::text`]):
    /// each column's cells still arrive in row order, so its diagnostics are those of a
    /// row-by-row read. Returns the position of the first of them in the columns.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    pub fn rows(&mut self, first: u64, n: usize) -> usize {
        if self.block.rows > 0 {
            self.flush();
        }
        let at = self.rows.len();
        self.rows
            .extend((first..first + n as u64).map(|r| r as u32));
        at
    }

    /// Stores a cell already read as a number; `raw` is shown when it is invalid.
    #[inline]
    pub fn push_cell(&mut self, slot: usize, col: usize, row: u64, cell: Cell, raw: &str) {
        // Rows before this one come first, for the order of the examples.
        if self.block.rows > 0 {
            self.flush();
        }
        // The caller sized each piece for every row of the chunk: `row` was called first.
        let at = self.rows.len() - 1;
        self.push_cell_at(at, slot, col, row, cell, raw);
    }

    /// [`Sink::push_cell`] into the row at position `at` of the columns (rows started by
    /// [`Sink::rows`]).
    #[inline]
    pub fn push_cell_at(
        &mut self,
        at: usize,
        slot: usize,
        col: usize,
        row: u64,
        cell: Cell,
        raw: &str,
    ) {
        let v = match cell {
            Cell::Number(v) => {
                let plain = &mut self.issues.plain[slot];
                if plain.count == 0 {
                    plain.add(row, col, String::new);
                } else {
                    plain.count += 1;
                }
                v
            }
            Cell::Thousands(v) => {
                let plain = &mut self.issues.plain[slot];
                if plain.count == 0 {
                    plain.add(row, col, String::new);
                } else {
                    plain.count += 1;
                }
                self.issues.thousands[slot].add(row, col, || trim(raw).to_string());
                v
            }
            Cell::Percent(v) => {
                self.issues.percent[slot].add(row, col, || trim(raw).to_string());
                // A grouped percentage (`1,234%`) follows the column's thousands rule too.
                if raw.contains(',') {
                    self.issues.thousands[slot].add(row, col, || trim(raw).to_string());
                }
                v
            }
            Cell::Missing => f64::NAN,
            Cell::Invalid => {
                self.issues.invalid[slot].add(row, col, || shorten(trim(raw)));
                if misgrouped_comma(raw) {
                    self.issues.misgrouped[slot].add(row, col, || shorten(trim(raw)));
                }
                f64::NAN
            }
        };
        self.numeric[slot][at] = v;
    }

    /// Stores a cell of a text column, trimmed.
    #[inline]
    pub fn text(&mut self, slot: usize, col: usize, row: u64, cell: &str, key: bool) {
        let t = trim(cell);
        if key {
            if t.len() != cell.len() {
                self.issues.trimmed[slot].add(row, col, || cell.to_string());
            }
            if t.is_empty() {
                self.issues.empty_key[slot].add(row, col, String::new);
            }
        }
        self.text[slot].push(t);
    }

    /// Releases the numeric pieces; `offset` is the file row of the chunk's row 0.
    pub fn into_part(mut self, offset: u64) -> Part {
        self.flush();
        Part {
            room: self.numeric.first().map_or(0, |c| c.len()),
            text: self.text,
            rows: self.rows,
            issues: self.issues,
            offset,
        }
    }
}

fn shorten(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// What the frame records about the file besides its cells.
pub(crate) struct Meta<'p> {
    pub path: &'p Path,
    pub content_hash: String,
    pub encoding: &'static str,
    /// Added to 0-based column indices in locations (a sheet's first used column).
    pub col_offset: usize,
    pub lenient: bool,
    pub unit_column: String,
    pub period_column: Option<String>,
    pub label_column: Option<String>,
}

/// Joins the chunks (each with the file row of its row 0) into a frame, and turns the issues
/// into diagnostics. Errors (with the warnings found so far) are returned as `Err`.
pub(crate) fn finish(
    layout: Layout,
    columns: Columns,
    parts: Vec<Part>,
    mut diags: Vec<Diagnostic>,
    meta: Meta<'_>,
) -> Result<(Frame, Vec<Diagnostic>), Error> {
    let file = meta.path.display().to_string();
    let total: usize = parts.iter().map(|p| p.rows.len()).sum();
    let pieces: Vec<(usize, usize)> = parts.iter().map(|p| (p.room, p.rows.len())).collect();
    let numeric = columns.compact(&pieces);
    let mut text: Vec<TextColumn> = Vec::new();
    let mut source_rows: Vec<u32> = Vec::with_capacity(total);
    let mut issues: Option<Issues> = None;
    for part in parts {
        let offset = part.offset;
        source_rows.extend(part.rows.iter().map(|r| (*r as u64 + offset) as u32));
        match &mut issues {
            None => {
                text = part.text;
                let mut is = part.issues;
                is.shift(offset);
                issues = Some(is);
            }
            Some(is) => {
                for (a, b) in text.iter_mut().zip(&part.text) {
                    a.append(b);
                }
                is.merge(part.issues, offset);
            }
        }
    }
    let issues = issues.unwrap_or_default();
    let col = |c: usize| c + 1 + meta.col_offset;

    for (slot, name) in layout.text_names.iter().enumerate() {
        let empty = &issues.empty_key[slot];
        let unit = slot == layout.unit_slot;
        empty.empty_keys(
            unit,
            name,
            |row, c| format!("{file}:{row}:{}", col(c)),
            &mut diags,
        );
        let trimmed = &issues.trimmed[slot];
        if let Some((row, c, value)) = trimmed.first.first() {
            diags.push(
                Diagnostic::warning(
                    "trimmed-id",
                    format!(
                        "{} value(s) in column `{name}` had spaces around them, which were \
                         removed (first in row {row}: `{value}`)",
                        trimmed.count
                    ),
                )
                .with_location(format!("{file}:{row}:{}", col(*c))),
            );
        }
    }

    for (i, (row, _, found)) in issues.field_count.first.iter().enumerate() {
        let mut d = Diagnostic::error(
            "field-count",
            format!(
                "row {row} has {found} fields but the header has {}",
                layout.width()
            ),
        )
        .with_location(format!("{file}:{row}"))
        .with_hint(
            "a value may contain the delimiter: put it in double quotes (\"1,234\"), \
             or the row may be cut short",
        );
        if i + 1 == issues.field_count.first.len()
            && issues.field_count.count > issues.field_count.first.len()
        {
            d = d.with_note(format!(
                "{} more rows have the wrong number of fields",
                issues.field_count.count - issues.field_count.first.len()
            ));
        }
        diags.push(d);
    }
    if let Some(row) = issues.unclosed_quote {
        diags.push(
            Diagnostic::error(
                "unclosed-quote",
                format!("a quoted value that starts in row {row} is never closed"),
            )
            .with_location(format!("{file}:{row}"))
            .with_hint("add the closing double quote; write a quote inside a value as \"\""),
        );
    }

    for (slot, name) in layout.numeric_names.iter().enumerate() {
        let (thousands, misgrouped) = (&issues.thousands[slot], &issues.misgrouped[slot]);
        let mut invalid = issues.invalid[slot].clone();
        if let (Some((row, _, value)), Some((brow, bc, bad))) =
            (thousands.first.first(), misgrouped.first.first())
        {
            // One rule per column: separators only when every comma in it groups in threes.
            diags.push(
                Diagnostic::error(
                    "mixed-thousands",
                    format!(
                        "`{bad}` in column `{name}`, row {brow}, does not group digits in \
                         threes, but the column writes thousands separators (row {row}: \
                         `{value}`), so its commas cannot all be read the same way"
                    ),
                )
                .with_location(format!("{file}:{brow}:{}", col(*bc)))
                .with_hint(
                    "write the column's numbers one way: with a comma between every three \
                     digits (\"1,234.5\") or without separators (1234.5), and decimals with \
                     a point (1.5, not 1,5)",
                )
                .with_note(format!(
                    "{} cell(s) of the column have such commas",
                    misgrouped.count
                )),
            );
            invalid.first.retain(|(r, k, _)| (r, k) != (brow, bc));
            invalid.count -= 1;
        } else if let Some((row, c, value)) = thousands.first.first() {
            diags.push(
                Diagnostic::warning(
                    "thousands-separators",
                    format!(
                        "column `{name}` of {file} was read with thousands separators \
                         ({} cell(s), first in row {row}: `{value}` read as {})",
                        thousands.count,
                        value.replace(',', "")
                    ),
                )
                .with_location(format!("{file}:{row}:{}", col(*c))),
            );
        }
        not_a_number(&mut diags, name, &invalid, meta.lenient, &file, col);
        let (pct, plain) = (&issues.percent[slot], &issues.plain[slot]);
        if pct.count > 0 && plain.count > 0 {
            let (prow, c, pvalue) = &pct.first[0];
            let (row, _, _) = &plain.first[0];
            diags.push(
                Diagnostic::warning(
                    "mixed-percent",
                    format!(
                        "column `{name}` mixes percentages ({} cell(s), first in row {prow}: \
                         `{pvalue}`) and plain numbers ({} cell(s), first in row {row})",
                        pct.count, plain.count
                    ),
                )
                .with_location(format!("{file}:{prow}:{}", col(*c)))
                .with_hint(
                    "percentages were divided by 100 (95% is 0.95); check that the plain \
                     numbers are on the same scale",
                ),
            );
        }
    }

    let frame = Frame {
        path: meta.path.to_path_buf(),
        headers: layout.headers,
        unit_column: meta.unit_column,
        period_column: meta.period_column,
        label_column: meta.label_column,
        numeric: layout.numeric_names.into_iter().zip(numeric).collect(),
        text: layout.text_names.into_iter().zip(text).collect(),
        source_rows,
        content_hash: meta.content_hash,
        encoding: meta.encoding,
    };
    if frame.is_empty() && !diags.iter().any(|d| d.is_error()) {
        diags.push(
            Diagnostic::error(
                "no-rows",
                format!("{file} has a header but no rows of data"),
            )
            .with_location(format!("{file}:2")),
        );
    }
    if !diags.iter().any(|d| d.is_error()) {
        duplicates(&frame, layout.period_slot.is_some(), &file, &mut diags);
    }
    if diags.iter().any(|d| d.is_error()) {
        return Err(Error::Diagnostics(diags));
    }
    Ok((frame, diags))
}

/// Reports (unit, period) pairs — or units, without a period column — that occur twice.
fn duplicates(frame: &Frame, has_period: bool, file: &str, diags: &mut Vec<Diagnostic>) {
    let units = frame.units();
    let periods = frame.periods().filter(|_| has_period);
    let unit_col = frame
        .headers
        .iter()
        .position(|h| *h == frame.unit_column)
        .map_or(1, |c| c + 1);
    // Hash every key, sort (hash, row) packed in one integer (the hash's high bits above the
    // row's), and compare only rows whose packed hashes meet: much faster than a hash map of a
    // million string keys. Rows with equal packed hashes are in row order, so the first row of
    // a repeated key is the earliest one; keys that only share those bits are told apart by
    // the comparison.
    let key = |i: usize| (units.get(i), periods.map_or("", |p| p.get(i)));
    let n = frame.len();
    let bits = usize::BITS - n.max(1).leading_zeros();
    let low: u64 = (1u64 << bits) - 1;
    let mut hashed: Vec<u64> = (0..n)
        .map(|i| {
            let mut h = FxHasher::default();
            key(i).hash(&mut h);
            (h.finish() & !low) | i as u64
        })
        .collect();
    crate::methods::rank::sort_above(&mut hashed, bits);
    let row = |k: u64| (k & low) as usize;
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    while start < hashed.len() {
        let mut end = start + 1;
        while end < hashed.len() && hashed[end] & !low == hashed[start] & !low {
            end += 1;
        }
        if end - start > 1 {
            // Rows with one hash: each row repeats the first earlier row with the same key.
            for j in start + 1..end {
                let b = row(hashed[j]);
                if let Some(a) = (start..j)
                    .map(|k| row(hashed[k]))
                    .find(|a| key(*a) == key(b))
                {
                    pairs.push((a, b));
                }
            }
        }
        start = end;
    }
    pairs.sort_by_key(|p| p.1);
    let mut found = 0usize;
    let mut reported = 0usize;
    for (first, i) in pairs {
        let key = key(i);
        found += 1;
        if reported < 10 {
            reported += 1;
            let (a, b) = (frame.source_row(first), frame.source_row(i));
            let what = match periods {
                Some(_) => format!("unit `{}` in period `{}`", key.0, key.1),
                None => format!("unit `{}`", key.0),
            };
            diags.push(
                Diagnostic::error(
                    "duplicate-row",
                    format!("{what} appears twice, in rows {a} and {b}"),
                )
                .with_location(format!("{file}:{b}:{unit_col}"))
                .with_hint(if periods.is_some() {
                    "keep one row per unit and period"
                } else {
                    "keep one row per unit, or name the period column of a panel"
                }),
            );
        }
    }
    if found > reported {
        if let Some(last) = diags.last_mut() {
            last.notes.push(format!(
                "{} more rows repeat an earlier one",
                found - reported
            ));
        }
    }
}

/// A fast non-cryptographic hasher (the rustc "Fx" hash) for the duplicate check.
#[derive(Default)]
struct FxHasher {
    hash: u64,
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.hash = (self.hash.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
    }

    #[inline]
    fn write_u8(&mut self, b: u8) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        self.hash = (self.hash.rotate_left(5) ^ b as u64).wrapping_mul(K);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

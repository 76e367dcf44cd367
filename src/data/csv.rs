//! Delimited text files: delimiter detection, quoted fields, and parallel parsing of
//! newline-aligned chunks.

use super::build::{finish, Columns, Layout, Meta, Part, Sink};
use super::cell::{load8, parse_decimal_field, trim, CellReader};
use super::encoding::{decode, Decoded};
use super::frame::Frame;
use super::hash::content_hash;
use super::LoadOptions;
use crate::diagnostics::Diagnostic;
use crate::error::Error;
use std::path::Path;

/// Below this size a file is parsed on one thread.
pub(crate) const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// Loads CSV bytes; the content hash is computed on a thread of its own while the text is
/// checked and parsed (it is one more pass over the whole file).
pub(crate) fn load_csv(
    path: &Path,
    bytes: &[u8],
    opts: &LoadOptions,
) -> Result<(Frame, Vec<Diagnostic>), Error> {
    if bytes.len() < PARALLEL_MIN_BYTES || super::threads(opts) < 2 {
        return load_csv_with(path, bytes, opts, || content_hash(bytes), true);
    }
    std::thread::scope(|s| {
        let hash = s.spawn(|| content_hash(bytes));
        let joined = || match hash.join() {
            Ok(h) => h,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        load_csv_with(path, bytes, opts, joined, true)
    })
}

/// [`load_csv`]; `fast` lets records of plain numbers be read in one pass (tests turn it off
/// to check that both readers give the same).
fn load_csv_with(
    path: &Path,
    bytes: &[u8],
    opts: &LoadOptions,
    content_hash: impl FnOnce() -> String,
    fast: bool,
) -> Result<(Frame, Vec<Diagnostic>), Error> {
    let file = path.display().to_string();
    let needs = "a data file needs a header row and one row per unit (and period)";
    let Delimited {
        decoded,
        delimiter,
        headers,
        body: body_start,
    } = read_header(&file, bytes, opts, needs)?;
    let text: &str = &decoded.text;
    let layout = Layout::new(headers, opts, &file)?;
    let reader = CellReader::new(&opts.na_tokens);
    let body = &text[body_start..];

    let threads = super::threads(opts);
    let parts = if body.len() < PARALLEL_MIN_BYTES {
        1
    } else {
        threads
    };
    let (columns, parts) = match parse_parallel(body, parts, delimiter, &layout, &reader, fast) {
        Some(done) => done,
        // A split point guessed inside a quoted value shows as a chunk ending inside quotes;
        // the file is then parsed again as one chunk, which is always right.
        None => parse_parallel(body, 1, delimiter, &layout, &reader, fast)
            .unwrap_or_else(|| unreachable!("a single chunk is never re-split")),
    };
    let meta = Meta {
        path,
        content_hash: content_hash(),
        encoding: decoded.encoding,
        col_offset: 0,
        lenient: opts.lenient,
        unit_column: opts.unit_column.clone(),
        period_column: opts.period_column.clone(),
        label_column: opts.label_column.clone(),
    };
    finish(layout, columns, parts, decoded.warnings, meta)
}

/// Delimited text, decoded, with its delimiter and its header row (trimmed); the records start
/// at byte `body`.
pub(crate) struct Delimited<'a> {
    pub decoded: Decoded<'a>,
    pub delimiter: u8,
    pub headers: Vec<String>,
    pub body: usize,
}

/// Decodes `bytes` (`opts.encoding`, or detected), refuses an empty file (`needs` says what a
/// file needs, as a hint), takes `opts.delimiter` or detects it, and reads the header row.
pub(crate) fn read_header<'a>(
    file: &str,
    bytes: &'a [u8],
    opts: &LoadOptions,
    needs: &str,
) -> Result<Delimited<'a>, Error> {
    let decoded = decode(bytes, opts.encoding.as_deref(), file)?;
    let text: &str = &decoded.text;
    if trim(text).is_empty() {
        return Err(Error::diagnostic(
            Diagnostic::error("empty-file", format!("{file} is empty"))
                .with_location(file.to_string())
                .with_hint(needs.to_string()),
        ));
    }
    let delimiter = match opts.delimiter {
        Some(d) => d,
        None => detect_delimiter(text.as_bytes()),
    };
    let mut header = TextRecords::new(text, delimiter, 0);
    let mut fields = Vec::new();
    if header.next(&mut fields).is_err() {
        return Err(Error::diagnostic(
            Diagnostic::error(
                "unclosed-quote",
                "a quoted value in the header is never closed",
            )
            .with_location(format!("{file}:1")),
        ));
    }
    let headers = fields.iter().map(|f| trim(&f.0).to_string()).collect();
    let body = header.records.pos;
    Ok(Delimited {
        decoded,
        delimiter,
        headers,
        body,
    })
}

/// The records of delimited text from byte `from` on, each field as its text (quotes and
/// `""` escapes removed) and whether it was quoted (a quoted number may carry thousands
/// separators).
pub(crate) struct TextRecords<'a> {
    text: &'a str,
    records: Records<'a>,
    fields: Vec<Field>,
    scratch: String,
}

impl<'a> TextRecords<'a> {
    pub(crate) fn new(text: &'a str, delimiter: u8, from: usize) -> TextRecords<'a> {
        let mut records = Records::new(text.as_bytes(), delimiter);
        records.pos = from;
        TextRecords {
            text,
            records,
            fields: Vec::new(),
            scratch: String::new(),
        }
    }

    pub(crate) fn at_end(&self) -> bool {
        self.records.at_end()
    }

    /// The next record's fields into `out`; the text must not be at its end. The strings
    /// already in `out` are reused, so a loop over a file allocates once per column, not once
    /// per cell.
    pub(crate) fn next(&mut self, out: &mut Vec<(String, bool)>) -> Result<(), Unclosed> {
        self.records.next(&mut self.fields)?;
        out.truncate(self.fields.len());
        for (k, f) in self.fields.iter().enumerate() {
            let quoted = f.kind != Kind::Plain;
            let text = f.get(self.text, &mut self.scratch);
            match out.get_mut(k) {
                Some((s, q)) => {
                    s.clear();
                    s.push_str(text);
                    *q = quoted;
                }
                None => out.push((text.to_string(), quoted)),
            }
        }
        Ok(())
    }
}

/// The delimiter of the first line: the most frequent of comma, semicolon and tab outside
/// quotes (comma when there is none).
pub(crate) fn detect_delimiter(text: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for &b in text {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => break,
            b',' if !in_quotes => counts[0] += 1,
            b'\t' if !in_quotes => counts[1] += 1,
            b';' if !in_quotes => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        [b',', b'\t', b';'][best]
    }
}

struct ChunkResult<'a> {
    sink: Sink<'a>,
    /// Records seen, including blank lines.
    records: u64,
    ended_in_quote: bool,
}

/// Parses the body in `parts` chunks on as many threads; `None` when a chunk boundary fell
/// inside a quoted value.
fn parse_parallel(
    body: &str,
    parts: usize,
    delimiter: u8,
    layout: &Layout,
    reader: &CellReader,
    fast: bool,
) -> Option<(Columns, Vec<Part>)> {
    let bounds = split_points(body.as_bytes(), parts);
    let chunks: Vec<&str> = bounds
        .windows(2)
        // Split points are just after a '\n', so they are char boundaries.
        .map(|w| &body[w[0]..w[1]])
        .collect();
    // A chunk has at most as many records as line breaks, plus one for a last line without:
    // room for every row. Counted on a thread per chunk.
    let room_of = |c: &str| {
        let b = c.as_bytes();
        memchr::memchr_iter(b'\n', b).count() + usize::from(!b.ends_with(b"\n"))
    };
    let room: Vec<usize> = if chunks.len() == 1 {
        chunks.iter().map(|c| room_of(c)).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = chunks.iter().map(|c| s.spawn(move || room_of(c))).collect();
            join_all(handles)
        })
    };
    let mut columns = Columns::new(layout.numeric_count(), room.iter().sum());
    let pieces = columns.split(&room);
    let n = chunks.len();
    let results: Vec<ChunkResult<'_>> = if n == 1 {
        pieces
            .into_iter()
            .map(|p| parse_chunk(chunks[0], delimiter, layout, reader, p, true, fast))
            .collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = chunks
                .iter()
                .zip(pieces)
                .enumerate()
                .map(|(i, (chunk, piece))| {
                    let last = i + 1 == n;
                    s.spawn(move || {
                        parse_chunk(chunk, delimiter, layout, reader, piece, last, fast)
                    })
                })
                .collect();
            join_all(handles)
        })
    };
    if results[..n - 1].iter().any(|r| r.ended_in_quote) {
        return None;
    }
    let mut next_row = 2u64;
    let parts = results
        .into_iter()
        .map(|r| {
            let part = r.sink.into_part(next_row);
            next_row += r.records;
            part
        })
        .collect();
    Some((columns, parts))
}

/// The results of scoped threads in order; a panic in one is passed on.
fn join_all<T>(handles: Vec<std::thread::ScopedJoinHandle<'_, T>>) -> Vec<T> {
    handles
        .into_iter()
        .map(|h| match h.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        })
        .collect()
}

/// Chunk boundaries: `0`, points just after a line break, and `len`. A break may lie inside a
/// quoted value (a value with a line break in it): the chunk before it then ends inside quotes,
/// which the parse detects, and the text is parsed again as one chunk. Not counting quotes here
/// saves a pass over the whole file before the parallel part.
pub(crate) fn split_points(b: &[u8], parts: usize) -> Vec<usize> {
    let mut bounds = vec![0];
    for i in 1..parts {
        let from = (b.len() * i / parts).max(*bounds.last().unwrap_or(&0));
        let at = match memchr::memchr(b'\n', &b[from..]) {
            Some(k) => from + k + 1,
            None => b.len(),
        };
        if at < b.len() && at > *bounds.last().unwrap_or(&0) {
            bounds.push(at);
        }
    }
    bounds.push(b.len());
    bounds
}

/// A field of a record: a byte range of the text and how to read it.
#[derive(Debug, Clone, Copy)]
struct Field {
    start: usize,
    end: usize,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    /// Quoted, with the quotes already left out of the range.
    Quoted,
    /// Quoted, with `""` escapes or text after the closing quote: the range starts after the
    /// opening quote and is unescaped on use.
    Escaped,
}

impl Field {
    fn get<'t>(&self, text: &'t str, scratch: &'t mut String) -> &'t str {
        let raw = &text[self.start..self.end];
        if self.kind != Kind::Escaped {
            return raw;
        }
        scratch.clear();
        let mut rest = raw;
        while let Some(q) = rest.find('"') {
            scratch.push_str(&rest[..q]);
            if rest[q + 1..].starts_with('"') {
                scratch.push('"');
                rest = &rest[q + 2..];
            } else {
                rest = &rest[q + 1..];
            }
        }
        scratch.push_str(rest);
        scratch
    }

    fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// The outline of a record, for checking it against the header.
struct Shape {
    /// The number of fields.
    total: usize,
    /// Every field is empty or white space.
    blank: bool,
    /// How many fields at the end are empty.
    trailing_empty: usize,
}

impl Shape {
    fn of(fields: &[Field], text: &str) -> Shape {
        let empty = |f: &Field| text[f.start..f.end].trim().is_empty();
        Shape {
            total: fields.len(),
            blank: fields.iter().all(empty),
            trailing_empty: fields.iter().rev().take_while(|f| f.is_empty()).count(),
        }
    }
}

/// A record cursor over delimited text.
struct Records<'a> {
    b: &'a [u8],
    pos: usize,
    delimiter: u8,
}

/// A quoted value runs past the end of the text.
pub(crate) struct Unclosed;

impl<'a> Records<'a> {
    fn new(b: &'a [u8], delimiter: u8) -> Records<'a> {
        Records {
            b,
            pos: 0,
            delimiter,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.b.len()
    }

    /// Reads the next record of a text without any double quote: one line, split at the
    /// delimiter. Only the first `need` fields are kept; the others are only counted, which is
    /// much faster. The text must not be at its end.
    #[inline]
    fn next_unquoted(&mut self, fields: &mut Vec<Field>, need: usize) -> Shape {
        fields.clear();
        let b = self.b;
        let d = self.delimiter;
        let start = self.pos;
        let end = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |k| start + k);
        self.pos = (end + 1).min(b.len());
        let mut line_end = end;
        if line_end > start && b[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        let line = &b[start..line_end];
        let mut field_start = start;
        let mut total = None;
        // Fields are short: a plain loop beats a SIMD search per field.
        for (k, &c) in line.iter().enumerate() {
            if c == d {
                fields.push(Field {
                    start: field_start,
                    end: start + k,
                    kind: Kind::Plain,
                });
                field_start = start + k + 1;
                if fields.len() == need {
                    // memchr counts with SIMD.
                    let more = memchr::memchr_iter(d, &line[k + 1..]).count();
                    total = Some(need + 1 + more);
                    break;
                }
            }
        }
        let total = match total {
            Some(t) => t,
            None => {
                fields.push(Field {
                    start: field_start,
                    end: line_end,
                    kind: Kind::Plain,
                });
                fields.len()
            }
        };
        Shape {
            total,
            blank: line.iter().all(|&c| c == d || c.is_ascii_whitespace()),
            trailing_empty: line.iter().rev().take_while(|&&c| c == d).count(),
        }
    }

    /// Reads the next record in one pass when it is the common case: its numeric cells are
    /// plain decimal numbers (see [`parse_decimal_field`]) without spaces, signs of missing
    /// values or user missing-value tokens, and it has exactly as many fields as the header.
    /// The numbers go to `values` and the byte ranges of the text cells (not yet trimmed) to
    /// `texts`, in column order. Anything else returns `false` and leaves the cursor where it
    /// was, for the general reader, so what a record gives never depends on which reader read
    /// it. The text must not contain double quotes.
    ///
    /// The record's delimiters are found first (`ends`, scratch), eight bytes at a time; each
    /// number is then read between known ends ([`parse_decimal_field`]), so the reading of one
    /// does not wait for the length of the one before.
    #[inline]
    fn fast_record(
        &mut self,
        uses: &[Use],
        width: usize,
        reader: &CellReader,
        values: &mut Vec<f64>,
        texts: &mut Vec<(usize, usize)>,
        ends: &mut Vec<usize>,
    ) -> bool {
        values.clear();
        texts.clear();
        let b = self.b;
        let len = b.len();
        let start = self.pos;
        let newline = memchr::memchr(b'\n', &b[start..]).map_or(len, |k| start + k);
        // A '\r' before the line break (or at the end of the text) belongs to it.
        let mut line_end = newline;
        if line_end > start && b[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        ends.clear();
        delimiters(b, start, line_end, self.delimiter, ends);
        if ends.len() + 1 != width {
            return false;
        }
        ends.push(line_end);
        let mut from = start;
        for (u, &end) in uses.iter().zip(ends.iter()) {
            match u {
                Use::Number(_) => match parse_decimal_field(b, from, end) {
                    Some(v) => {
                        if reader.has_user_tokens()
                            && reader.is_user_token(
                                std::str::from_utf8(&b[from..end]).unwrap_or_default(),
                            )
                        {
                            return false;
                        }
                        values.push(v);
                    }
                    None => return false,
                },
                Use::Text(..) => texts.push((from, end)),
                Use::Skip => {}
            }
            from = end + 1;
        }
        self.pos = (newline + 1).min(len);
        true
    }

    /// Reads the fields of the next record; the text must not be at its end.
    #[inline]
    fn next(&mut self, fields: &mut Vec<Field>) -> Result<(), Unclosed> {
        fields.clear();
        let b = self.b;
        let d = self.delimiter;
        let len = b.len();
        let mut pos = self.pos;
        loop {
            if pos < len && b[pos] == b'"' {
                let start = pos + 1;
                let mut p = start;
                let mut kind = Kind::Quoted;
                let close = loop {
                    match memchr::memchr(b'"', &b[p..]) {
                        None => {
                            self.pos = len;
                            return Err(Unclosed);
                        }
                        Some(k) => {
                            let q = p + k;
                            if q + 1 < len && b[q + 1] == b'"' {
                                kind = Kind::Escaped;
                                p = q + 2;
                            } else {
                                break q;
                            }
                        }
                    }
                };
                pos = close + 1;
                while pos < len && b[pos] != d && b[pos] != b'\n' {
                    pos += 1;
                }
                let mut end = pos;
                if end > close + 1 && b[end - 1] == b'\r' {
                    end -= 1;
                }
                if end > close + 1 {
                    kind = Kind::Escaped;
                }
                let end = if kind == Kind::Escaped { end } else { close };
                fields.push(Field { start, end, kind });
            } else {
                let start = pos;
                while pos < len && b[pos] != d && b[pos] != b'\n' {
                    pos += 1;
                }
                let mut end = pos;
                if end > start && b[end - 1] == b'\r' && (pos == len || b[pos] == b'\n') {
                    end -= 1;
                }
                fields.push(Field {
                    start,
                    end,
                    kind: Kind::Plain,
                });
            }
            if pos >= len {
                break;
            }
            if b[pos] == d {
                pos += 1;
                continue;
            }
            pos += 1; // the line break
            break;
        }
        self.pos = pos;
        Ok(())
    }
}

/// Pushes the positions of `delimiter` in `b[from..to]` onto `out`, in order: eight bytes at a
/// time, the matches of a word taken from its mask.
#[inline]
fn delimiters(b: &[u8], from: usize, to: usize, delimiter: u8, out: &mut Vec<usize>) {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let repeated = u64::from(delimiter) * 0x0101_0101_0101_0101;
    let mut p = from;
    while p + 8 <= to {
        let x = load8(b, p) ^ repeated;
        // The high bit of each byte that is zero in `x` (exact: no carries between bytes).
        let mut zero = !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7);
        while zero != 0 {
            out.push(p + (zero.trailing_zeros() / 8) as usize);
            zero &= zero - 1;
        }
        p += 8;
    }
    for (k, &c) in b[p..to].iter().enumerate() {
        if c == delimiter {
            out.push(p + k);
        }
    }
}

/// What the one-pass reader of [`Records::fast_record`] does with each of the first `need`
/// columns of a record.
#[derive(Debug, Clone, Copy)]
enum Use {
    Skip,
    Number(usize),
    /// The text slot, and whether the column is the unit or the period.
    Text(usize, bool),
}

/// The columns' uses for [`Records::fast_record`], or `None` when it cannot be used: a column
/// read both as a number and as text, no numeric column (a record of numbers is never blank),
/// or a delimiter that can be part of a number.
fn fast_uses(layout: &Layout, need: usize, delimiter: u8) -> Option<Vec<Use>> {
    if b"0123456789.+-eE".contains(&delimiter) {
        return None;
    }
    let mut uses = vec![Use::Skip; need];
    for a in &layout.active {
        uses[a.col] = match (a.numeric, a.text) {
            (Some(slot), None) => Use::Number(slot),
            (None, Some(slot)) => Use::Text(slot, a.key),
            (None, None) => Use::Skip,
            (Some(_), Some(_)) => return None,
        };
    }
    uses.iter()
        .any(|u| matches!(u, Use::Number(_)))
        .then_some(uses)
}

/// Parses the records of one chunk into a sink. Row numbers are chunk-local.
fn parse_chunk<'a>(
    text: &str,
    delimiter: u8,
    layout: &Layout,
    reader: &'a CellReader,
    numeric: Vec<&'a mut [f64]>,
    last: bool,
    fast: bool,
) -> ChunkResult<'a> {
    let width = layout.width();
    let mut sink = Sink::new(layout, reader, numeric);
    let mut records = Records::new(text.as_bytes(), delimiter);
    let mut fields: Vec<Field> = Vec::with_capacity(width + 1);
    let mut scratch = String::new();
    let mut row = 0u64;
    let mut ended_in_quote = false;
    let quotes = memchr::memchr(b'"', text.as_bytes()).is_some();
    let need = layout.active.iter().map(|a| a.col + 1).max().unwrap_or(1);
    let uses = if quotes || !fast {
        None
    } else {
        fast_uses(layout, need, delimiter)
    };
    let mut values: Vec<f64> = Vec::with_capacity(need);
    let mut texts: Vec<(usize, usize)> = Vec::new();
    let mut ends: Vec<usize> = Vec::with_capacity(width + 1);
    // The (slot, column) of each number of a fast record, in order.
    let number_slots: Vec<(usize, usize)> = uses.as_ref().map_or(Vec::new(), |uses| {
        uses.iter()
            .enumerate()
            .filter_map(|(col, u)| match u {
                Use::Number(slot) => Some((*slot, col)),
                _ => None,
            })
            .collect()
    });
    while !records.at_end() {
        let this = row;
        row += 1;
        if let Some(uses) = &uses {
            if records.fast_record(uses, width, reader, &mut values, &mut texts, &mut ends) {
                sink.row(this);
                sink.numbers(this, &values, &number_slots);
                let mut t = texts.iter();
                for (col, u) in uses.iter().enumerate() {
                    if let Use::Text(slot, key) = *u {
                        let &(a, b) = t.next().expect("a range per text");
                        sink.text(slot, col, this, &text[a..b], key);
                    }
                }
                continue;
            }
        }
        let shape = if !quotes {
            records.next_unquoted(&mut fields, need)
        } else if records.next(&mut fields).is_ok() {
            Shape::of(&fields, text)
        } else {
            if last {
                sink.issues.unclosed_quote = Some(this);
            }
            ended_in_quote = true;
            break;
        };
        if shape.blank {
            continue; // an empty line, or a row of empty cells as spreadsheets export
        }
        // Empty fields after the last column (a trailing delimiter) are harmless.
        if shape.total != width
            && !(shape.total > width && shape.total - width <= shape.trailing_empty)
        {
            let n = shape.total;
            sink.issues.field_count.add(this, 0, || n.to_string());
            continue;
        }
        sink.row(this);
        for a in &layout.active {
            let f = fields[a.col];
            let cell = f.get(text, &mut scratch);
            if let Some(slot) = a.numeric {
                sink.numeric(slot, a.col, this, cell, f.kind != Kind::Plain);
            }
            if let Some(slot) = a.text {
                sink.text(slot, a.col, this, cell, a.key);
            }
        }
    }
    ChunkResult {
        sink,
        records: row,
        ended_in_quote,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<String> {
        if !text.contains('"') {
            let mut r = Records::new(text.as_bytes(), b',');
            let mut fields = Vec::new();
            let mut out = Vec::new();
            let mut scratch = String::new();
            while !r.at_end() {
                r.next_unquoted(&mut fields, usize::MAX);
                let cells: Vec<String> = fields
                    .iter()
                    .map(|f| f.get(text, &mut scratch).to_string())
                    .collect();
                out.push(cells.join("|"));
            }
            assert_eq!(out, split_quoted(text), "{text:?}");
        }
        split_quoted(text)
    }

    fn split_quoted(text: &str) -> Vec<String> {
        let mut r = Records::new(text.as_bytes(), b',');
        let mut fields = Vec::new();
        let mut out = Vec::new();
        let mut scratch = String::new();
        while !r.at_end() {
            if r.next(&mut fields).is_err() {
                out.push("<unclosed>".to_string());
                break;
            }
            let cells: Vec<String> = fields
                .iter()
                .map(|f| f.get(text, &mut scratch).to_string())
                .collect();
            out.push(cells.join("|"));
        }
        out
    }

    #[test]
    fn records() {
        assert_eq!(split("a,b\r\n1,2\n"), ["a|b", "1|2"]);
        assert_eq!(
            split("a,\"b,c\"\n\"x\"\"y\",\"2\"\r\n"),
            ["a|b,c", "x\"y|2"]
        );
        assert_eq!(split("\"line\nbreak\",2"), ["line\nbreak|2"]);
        assert_eq!(split("\"ab\"cd,e\n"), ["abcd|e"]);
        assert_eq!(split("a,\"open\n"), ["<unclosed>"]);
        assert_eq!(split("a,\n\n"), ["a|", ""]);
        assert_eq!(split("a,b\r\nc\r"), ["a|b", "c"]);
        assert_eq!(split("a\rb,c"), ["a\rb|c"]);
    }

    /// The one-pass reader of plain records and the general reader give the same frame and the
    /// same diagnostics, on random files mixing plain numbers with everything else a cell or a
    /// record can be.
    #[test]
    fn fast_and_general_readers_agree() {
        let cells = [
            "1.5",
            "-2",
            "+3",
            "0",
            "1e5",
            "2.5E-3",
            "007",
            ".5",
            "5.",
            " 4",
            "4 ",
            "",
            "NA",
            "-",
            "1.5%",
            "abc",
            "1e400",
            "12345678901234567890123",
            "-999",
            "1,5",
            "\t7",
            "x1",
        ];
        let units = ["a", "b", " c", "", "d ", "e\r", "f"];
        let mut state = 99u64;
        let mut next = move |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as usize) % n
        };
        for case in 0..400 {
            let delimiter = [b',', b';', b'\t'][case % 3] as char;
            let eol = if case % 2 == 0 { "\n" } else { "\r\n" };
            let mut text = ["unit", "x", "skip", "y"].join(&delimiter.to_string());
            text.push_str(eol);
            for r in 0..30 {
                let mut fields = vec![
                    format!("{}{r}", units[next(units.len())]),
                    cells[next(cells.len())].to_string(),
                    "s".to_string(),
                    cells[next(cells.len())].to_string(),
                ];
                match next(12) {
                    0 => fields.truncate(next(4)),
                    1 => fields.push(String::new()),
                    2 => fields.push("extra".into()),
                    _ => {}
                }
                text.push_str(&fields.join(&delimiter.to_string()));
                if r < 29 || case % 4 != 0 {
                    text.push_str(eol);
                }
            }
            let mut opts = LoadOptions::new("unit");
            opts.numeric_columns = vec!["x".into(), "y".into()];
            opts.lenient = case % 5 == 0;
            if case % 7 == 0 {
                opts.na_tokens = vec!["-999".into()];
            }
            opts.delimiter = Some(delimiter as u8);
            let path = Path::new("t.csv");
            let run = |fast| {
                format!(
                    "{:?}",
                    load_csv_with(path, text.as_bytes(), &opts, String::new, fast)
                )
            };
            assert_eq!(run(true), run(false), "{text:?}");
        }
    }

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter(b"a;b;c\n1,5;2;3"), b';');
        assert_eq!(detect_delimiter(b"a\tb\n"), b'\t');
        assert_eq!(detect_delimiter(b"\"a;b\",c\n"), b',');
        assert_eq!(detect_delimiter(b"single\n"), b',');
    }

    /// Split points fall just after a line break, quoted or not: a split inside a quoted value
    /// is caught by the parse (`tests/data_loading.rs` checks files with quoted line breaks
    /// near the split points against the single-threaded parse).
    #[test]
    fn splits_after_line_breaks() {
        let text = b"x,y\nx,y\n\"a\nb\",1\n";
        assert_eq!(split_points(text, 2), vec![0, 11, text.len()]);
        let plain = b"aa\nbb\ncc\n";
        assert_eq!(split_points(plain, 2), vec![0, 6, 9]);
        assert_eq!(split_points(b"no break at all", 2), vec![0, 15]);
    }
}

//! Parquet files (feature `parquet`): only the columns the options name are decoded, by the
//! Arrow reader, into the same [`Frame`] and diagnostics as the equivalent CSV file.
//!
//! Numeric columns may be integers, floating point or decimals (cast to `f64`; a decimal is
//! the nearest `f64` to its exact value, as the CSV reader reads its digits; a 32-bit float
//! is read as the shortest decimal that prints it, `0.1f32` as 0.1), or text, read as a CSV
//! cell is (`95%`, `NA`, `"1,234"`). Nulls and NaN are missing values; a value equal to a
//! number among [`LoadOptions::na_tokens`] is missing too. Unit, period, label and other text
//! columns may be text, integers (their decimal digits), floating point (whole numbers
//! without a decimal point, as for spreadsheets), decimals (with their scale's digits),
//! booleans (`true`, `false`) or dates (`2024-01-31`). Anything else in a named column
//! (timestamps, nested or binary data) is a `column-type` error naming the file and column.
//! Rows are numbered as in the equivalent CSV file: the first row of data is row 2.
//!
//! Row groups are spread over threads, each decoding its own into its part of the columns.

use super::build::{finish, Columns, Layout, Meta, Part, Sink};
use super::cell::{Cell, CellReader};
use super::frame::Frame;
use super::LoadOptions;
use crate::diagnostics::Diagnostic;
use crate::error::Error;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Decimal256Type, Decimal32Type, Decimal64Type, Float16Type,
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::Array;
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use std::fmt::Write as _;
use std::fs::File;
use std::path::Path;

/// Rows decoded at a time.
const BATCH_ROWS: usize = 8192;

/// Loads the named columns of a Parquet file.
pub(crate) fn load_parquet(
    path: &Path,
    opts: &LoadOptions,
) -> Result<(Frame, Vec<Diagnostic>), Error> {
    let file = path.display().to_string();
    let io = |e| Error::io(path, e);
    let f = File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    if !f.metadata().map_err(io)?.is_file() {
        return Err(Error::Io {
            path: path.to_path_buf(),
            message: "a Parquet file is read from its end, so it cannot come from a pipe: \
                      write it to a file first"
                .into(),
        });
    }
    if len == 0 {
        return Err(empty(&file, "is empty"));
    }
    let md = metadata(&file, &f)?;
    let headers: Vec<String> = md
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    if headers.is_empty() {
        return Err(empty(&file, "has no columns"));
    }
    let layout = Layout::new(headers, opts, &file)?;
    check_types(&layout, &md, &file)?;

    let groups: Vec<usize> = md
        .metadata()
        .row_groups()
        .iter()
        .map(|g| usize::try_from(g.num_rows()).unwrap_or(0))
        .collect();
    let chunks = split_groups(&groups, super::threads(opts));
    let lengths: Vec<usize> = chunks
        .iter()
        .map(|c| c.iter().map(|&g| groups[g]).sum())
        .collect();
    let total: usize = lengths.iter().sum();
    let mask = ProjectionMask::roots(md.parquet_schema(), layout.active.iter().map(|a| a.col));
    let mut columns = Columns::new(layout.numeric_count(), total);
    let pieces = columns.split(&lengths);
    let cells = Reading {
        reader: CellReader::new(&opts.na_tokens),
        tokens: numeric_tokens(&opts.na_tokens),
    };
    let (parts, hash) = std::thread::scope(|s| {
        let hash = s.spawn(|| super::hash::content_hash_of(File::open(path)?));
        let mut offset = 2u64;
        let handles: Vec<_> = chunks
            .into_iter()
            .zip(pieces)
            .zip(&lengths)
            .map(|((groups, piece), &rows)| {
                let at = offset;
                offset += rows as u64;
                let (md, mask, layout, cells, file) = (&md, &mask, &layout, &cells, &file);
                s.spawn(move || {
                    let f = File::open(path).map_err(|e| Error::io(path, e))?;
                    read_chunk(f, md, mask, groups, layout, cells, piece, file, at)
                })
            })
            .collect();
        let parts: Result<Vec<Part>, Error> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        let hash = hash.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (parts, hash)
    });
    let meta = Meta {
        path,
        content_hash: hash.map_err(io)?,
        encoding: "Parquet",
        col_offset: 0,
        lenient: opts.lenient,
        unit_column: opts.unit_column.clone(),
        period_column: opts.period_column.clone(),
        label_column: opts.label_column.clone(),
    };
    finish(layout, columns, parts?, Vec::new(), meta)
}

/// The column names of a Parquet file, from its footer; `None` when it cannot be read.
pub(crate) fn header(path: &Path) -> Option<Vec<String>> {
    let f = File::open(path).ok()?;
    let md = ArrowReaderMetadata::load(&f, options()).ok()?;
    Some(
        md.schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect(),
    )
}

/// The number of rows a Parquet file's footer declares.
pub(crate) fn rows(path: &Path) -> Option<u64> {
    let f = File::open(path).ok()?;
    let md = ArrowReaderMetadata::load(&f, options()).ok()?;
    Some(md.metadata().file_metadata().num_rows().max(0) as u64)
}

/// The reader's options: the Parquet types alone decide the Arrow types (the schema a writer
/// may embed would bring dictionary, large and view variants of the same data).
fn options() -> ArrowReaderOptions {
    ArrowReaderOptions::new().with_skip_arrow_metadata(true)
}

/// The file's footer: its schema and row groups.
fn metadata(file: &str, f: &File) -> Result<ArrowReaderMetadata, Error> {
    ArrowReaderMetadata::load(f, options()).map_err(|e| bad_file(file, &e.to_string()))
}

fn empty(file: &str, what: &str) -> Error {
    Error::diagnostic(
        Diagnostic::error("empty-file", format!("{file} {what}"))
            .with_location(file.to_string())
            .with_hint("a data file needs a column of unit ids and one row per unit (and period)"),
    )
}

fn bad_file(file: &str, why: &str) -> Error {
    Error::diagnostic(
        Diagnostic::error(
            "bad-parquet",
            format!("{file} cannot be read as a Parquet file: {why}"),
        )
        .with_location(file.to_string())
        .with_hint(
            "check that the file is complete and was written as Parquet (a `.parquet` file is \
             always read as Parquet)",
        ),
    )
}

/// What a numeric column may hold: numbers, or text read as CSV cells; a column of nulls.
fn numeric_type(t: &DataType) -> bool {
    use DataType::*;
    matches!(
        t,
        Null | Int8
            | Int16
            | Int32
            | Int64
            | UInt8
            | UInt16
            | UInt32
            | UInt64
            | Float16
            | Float32
            | Float64
            | Decimal32(..)
            | Decimal64(..)
            | Decimal128(..)
            | Decimal256(..)
            | Utf8
            | LargeUtf8
            | Utf8View
    )
}

/// What a text column (unit ids, periods, labels) may hold.
fn text_type(t: &DataType) -> bool {
    numeric_type(t)
        || matches!(
            t,
            DataType::Boolean | DataType::Date32 | DataType::Binary | DataType::LargeBinary
        )
}

/// Every named column whose type cannot be read as the rules read it.
fn check_types(layout: &Layout, md: &ArrowReaderMetadata, file: &str) -> Result<(), Error> {
    let fields = md.schema().fields();
    let mut diags = Vec::new();
    for a in &layout.active {
        let field = &fields[a.col];
        let t = field.data_type();
        let name = field.name();
        let location = format!("{file}:1:{}", a.col + 1);
        if a.numeric.is_some() && !numeric_type(t) {
            diags.push(
                Diagnostic::error(
                    "column-type",
                    format!("column `{name}` of {file} holds {t} values, not numbers"),
                )
                .with_location(location)
                .with_hint(
                    "an indicator reads a column of numbers (integers, floating point or \
                     decimals): convert the column, or name another one in the rules",
                ),
            );
        } else if a.text.is_some() && !text_type(t) {
            diags.push(
                Diagnostic::error(
                    "column-type",
                    format!(
                        "column `{name}` of {file} holds {t} values, which are not read as \
                         unit ids, periods or labels"
                    ),
                )
                .with_location(location)
                .with_hint("store the column as text or integers"),
            );
        }
    }
    match diags.is_empty() {
        true => Ok(()),
        false => Err(Error::Diagnostics(diags)),
    }
}

/// Row groups in at most `threads` consecutive runs of about equal numbers of rows.
fn split_groups(groups: &[usize], threads: usize) -> Vec<Vec<usize>> {
    let total: usize = groups.iter().sum();
    let want = threads.clamp(1, groups.len().max(1));
    let per = total.div_ceil(want).max(1);
    let mut out: Vec<Vec<usize>> = vec![Vec::new()];
    let mut rows = 0;
    for (g, &n) in groups.iter().enumerate() {
        if rows >= per && out.len() < want {
            out.push(Vec::new());
            rows = 0;
        }
        if let Some(last) = out.last_mut() {
            last.push(g);
        }
        rows += n;
    }
    out
}

/// How cells become numbers: text as a CSV cell, numbers equal to a missing-value token as
/// missing.
struct Reading {
    reader: CellReader,
    tokens: Vec<f64>,
}

/// The missing-value tokens that are numbers (`-999`).
fn numeric_tokens(tokens: &[String]) -> Vec<f64> {
    let reader = CellReader::new(&[]);
    tokens
        .iter()
        .filter_map(|t| match reader.read(t, false) {
            Cell::Number(v) => Some(v),
            _ => None,
        })
        .collect()
}

/// Decodes one run of row groups into a [`Part`]; `offset` is the file row of its first row.
#[allow(clippy::too_many_arguments)]
fn read_chunk(
    f: File,
    md: &ArrowReaderMetadata,
    mask: &ProjectionMask,
    groups: Vec<usize>,
    layout: &Layout,
    cells: &Reading,
    piece: Vec<&mut [f64]>,
    file: &str,
    offset: u64,
) -> Result<Part, Error> {
    let room = piece.first().map(|c| c.len());
    let bad = |e: &dyn std::fmt::Display| bad_file(file, &e.to_string());
    let batches = ParquetRecordBatchReaderBuilder::new_with_metadata(f, md.clone())
        .with_projection(mask.clone())
        .with_row_groups(groups)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| bad(&e))?;
    let mut sink = Sink::new(layout, &cells.reader, piece);
    let mut row = 0u64;
    let mut text = String::new();
    for batch in batches {
        let batch = batch.map_err(|e| bad(&e))?;
        let n = batch.num_rows();
        if room.is_some_and(|room| row as usize + n > room) {
            return Err(bad(&"it holds more rows than its footer declares"));
        }
        let at = sink.rows(row, n);
        for (k, a) in layout.active.iter().enumerate() {
            let column = batch.column(k).as_ref();
            if let Some(slot) = a.numeric {
                numbers(column, cells, |i, cell, raw| {
                    sink.push_cell_at(at + i, slot, a.col, row + i as u64, cell, raw)
                });
            }
            if let Some(slot) = a.text {
                texts(column, &mut text, |i, cell| {
                    sink.text(slot, a.col, row + i as u64, cell, a.key)
                });
            }
        }
        row += n as u64;
    }
    Ok(sink.into_part(offset))
}

/// A number read from a numeric Parquet value: NaN and the numeric missing-value tokens are
/// missing, infinities are not numbers (as in a CSV file).
fn number(v: f64, tokens: &[f64]) -> Cell {
    if v.is_nan() || tokens.contains(&v) {
        Cell::Missing
    } else if v.is_infinite() {
        Cell::Invalid
    } else {
        Cell::Number(v)
    }
}

/// Calls `put(row, cell, raw)` for every row of a numeric column (`raw` is shown when the
/// cell is not a number).
fn numbers(column: &dyn Array, cells: &Reading, mut put: impl FnMut(usize, Cell, &str)) {
    let tokens = cells.tokens.as_slice();
    let mut each = |get: &dyn Fn(usize) -> f64| {
        for i in 0..column.len() {
            if column.is_null(i) {
                put(i, Cell::Missing, "");
                continue;
            }
            let v = get(i);
            let cell = number(v, tokens);
            let raw = if matches!(cell, Cell::Invalid) {
                if v > 0.0 {
                    "inf"
                } else {
                    "-inf"
                }
            } else {
                ""
            };
            put(i, cell, raw);
        }
    };
    match column.data_type() {
        DataType::Int8 => each(&|i| column.as_primitive::<Int8Type>().value(i) as f64),
        DataType::Int16 => each(&|i| column.as_primitive::<Int16Type>().value(i) as f64),
        DataType::Int32 => each(&|i| column.as_primitive::<Int32Type>().value(i) as f64),
        DataType::Int64 => each(&|i| column.as_primitive::<Int64Type>().value(i) as f64),
        DataType::UInt8 => each(&|i| column.as_primitive::<UInt8Type>().value(i) as f64),
        DataType::UInt16 => each(&|i| column.as_primitive::<UInt16Type>().value(i) as f64),
        DataType::UInt32 => each(&|i| column.as_primitive::<UInt32Type>().value(i) as f64),
        DataType::UInt64 => each(&|i| column.as_primitive::<UInt64Type>().value(i) as f64),
        DataType::Float16 => each(&|i| column.as_primitive::<Float16Type>().value(i).to_f64()),
        DataType::Float32 => {
            let a = column.as_primitive::<Float32Type>();
            let mut text = String::new();
            let shortest = std::cell::RefCell::new(&mut text);
            each(&|i| {
                let v = a.value(i);
                if !v.is_finite() {
                    return v as f64;
                }
                // The shortest digits that print the f32, read as f64: what a CSV shows.
                let mut t = shortest.borrow_mut();
                t.clear();
                let _ = write!(t, "{v}");
                t.parse().unwrap_or(v as f64)
            })
        }
        DataType::Float64 => each(&|i| column.as_primitive::<Float64Type>().value(i)),
        DataType::Decimal32(_, s) => {
            let s = *s;
            each(&|i| decimal(column.as_primitive::<Decimal32Type>().value(i) as i128, s))
        }
        DataType::Decimal64(_, s) => {
            let s = *s;
            each(&|i| decimal(column.as_primitive::<Decimal64Type>().value(i) as i128, s))
        }
        DataType::Decimal128(_, s) => {
            let s = *s;
            each(&|i| decimal(column.as_primitive::<Decimal128Type>().value(i), s))
        }
        DataType::Decimal256(_, s) => {
            let s = *s;
            each(&|i| {
                let v = column.as_primitive::<Decimal256Type>().value(i);
                match v.to_i128() {
                    Some(v) => decimal(v, s),
                    None => decimal_text(&v.to_string(), s).parse().unwrap_or(f64::NAN),
                }
            })
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            strings(column, |i, s| match s {
                None => put(i, Cell::Missing, ""),
                // Quoted, as a CSV writer quotes a value with a comma (`"1,234"`).
                Some(s) => put(i, cells.reader.read(s, true), s),
            })
        }
        // A column of nulls; other types were refused by `check_types`.
        _ => {
            for i in 0..column.len() {
                put(i, Cell::Missing, "");
            }
        }
    }
}

/// Calls `put(row, text)` for every row of a text column (a null is empty text).
fn texts(column: &dyn Array, buf: &mut String, mut put: impl FnMut(usize, &str)) {
    let mut each = |show: &dyn Fn(usize, &mut String)| {
        for i in 0..column.len() {
            buf.clear();
            if !column.is_null(i) {
                show(i, buf);
            }
            put(i, buf);
        }
    };
    fn whole(v: f64, t: &mut String) {
        // Whole numbers without a decimal point (a year stored as 2022.0 reads `2022`), as
        // for spreadsheets; NaN is empty.
        if v.is_nan() {
        } else if v.fract() == 0.0 && v.abs() < 1e15 {
            let _ = write!(t, "{}", v as i64);
        } else {
            let _ = write!(t, "{v}");
        }
    }
    macro_rules! int {
        ($t:ty) => {
            each(&|i, t| {
                let _ = write!(t, "{}", column.as_primitive::<$t>().value(i));
            })
        };
    }
    match column.data_type() {
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => int!(UInt64Type),
        DataType::Float16 => {
            each(&|i, t| whole(column.as_primitive::<Float16Type>().value(i).to_f64(), t))
        }
        DataType::Float32 => each(&|i, t| {
            let v = column.as_primitive::<Float32Type>().value(i);
            if v.fract() == 0.0 && v.abs() < 1e15 {
                let _ = write!(t, "{}", v as i64);
            } else if !v.is_nan() {
                let _ = write!(t, "{v}");
            }
        }),
        DataType::Float64 => each(&|i, t| whole(column.as_primitive::<Float64Type>().value(i), t)),
        DataType::Decimal32(_, s) => each(&|i, t| {
            let v = column.as_primitive::<Decimal32Type>().value(i);
            t.push_str(&decimal_text(&v.to_string(), *s))
        }),
        DataType::Decimal64(_, s) => each(&|i, t| {
            let v = column.as_primitive::<Decimal64Type>().value(i);
            t.push_str(&decimal_text(&v.to_string(), *s))
        }),
        DataType::Decimal128(_, s) => each(&|i, t| {
            let v = column.as_primitive::<Decimal128Type>().value(i);
            t.push_str(&decimal_text(&v.to_string(), *s))
        }),
        DataType::Decimal256(_, s) => each(&|i, t| {
            let v = column.as_primitive::<Decimal256Type>().value(i);
            t.push_str(&decimal_text(&v.to_string(), *s))
        }),
        DataType::Boolean => each(&|i, t| {
            t.push_str(match column.as_boolean().value(i) {
                true => "true",
                false => "false",
            })
        }),
        DataType::Date32 => each(&|i, t| {
            let (y, m, d) = civil(column.as_primitive::<Date32Type>().value(i) as i64);
            let _ = write!(t, "{y:04}-{m:02}-{d:02}");
        }),
        DataType::Binary => {
            each(&|i, t| t.push_str(&String::from_utf8_lossy(column.as_binary::<i32>().value(i))))
        }
        DataType::LargeBinary => {
            each(&|i, t| t.push_str(&String::from_utf8_lossy(column.as_binary::<i64>().value(i))))
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            strings(column, |i, s| put(i, s.unwrap_or("")))
        }
        // A column of nulls; other types were refused by `check_types`.
        _ => each(&|_, _| {}),
    }
}

/// Calls `put(row, text)` for every row of a string column (`None` for a null).
fn strings(column: &dyn Array, mut put: impl FnMut(usize, Option<&str>)) {
    macro_rules! each {
        ($a:expr) => {{
            let a = $a;
            for i in 0..a.len() {
                put(i, (!a.is_null(i)).then(|| a.value(i)));
            }
        }};
    }
    match column.data_type() {
        DataType::Utf8 => each!(column.as_string::<i32>()),
        DataType::LargeUtf8 => each!(column.as_string::<i64>()),
        DataType::Utf8View => each!(column.as_string_view()),
        _ => {}
    }
}

/// The nearest `f64` to the decimal `v · 10^-scale`. When both `v` and the power of ten are
/// exact in an `f64`, one division (or product) rounds once, to the nearest, as parsing the
/// decimal's digits does; otherwise the digits are parsed.
fn decimal(v: i128, scale: i8) -> f64 {
    const EXACT: i128 = 1 << 53;
    if v.abs() < EXACT && (-22..=22).contains(&scale) {
        let p = 10f64.powi(scale.unsigned_abs() as i32);
        return match scale >= 0 {
            true => v as f64 / p,
            false => v as f64 * p,
        };
    }
    decimal_text(&v.to_string(), scale)
        .parse()
        .unwrap_or(f64::NAN)
}

/// The digits of an unscaled decimal with the point put in (`12345`, scale 2: `123.45`;
/// scale -2: `1234500`).
fn decimal_text(digits: &str, scale: i8) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", digits),
    };
    if scale <= 0 {
        return format!(
            "{sign}{digits}{}",
            "0".repeat(scale.unsigned_abs() as usize)
        );
    }
    let scale = scale as usize;
    let padded = match digits.len() <= scale {
        true => format!("{}{digits}", "0".repeat(scale + 1 - digits.len())),
        false => digits.to_string(),
    };
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_read_as_their_digits() {
        for (v, s) in [(12345i128, 2i8), (-7, 3), (1, 0), (5, -2), (123_456_789, 9)] {
            let text = decimal_text(&v.to_string(), s);
            assert_eq!(decimal(v, s), text.parse::<f64>().unwrap(), "{text}");
        }
        assert_eq!(decimal_text("-5", 3), "-0.005");
        assert_eq!(decimal_text("5", -2), "500");
        let big = i128::MAX / 3;
        assert_eq!(
            decimal(big, 4),
            decimal_text(&big.to_string(), 4).parse::<f64>().unwrap()
        );
    }

    #[test]
    fn dates_in_the_gregorian_calendar() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(-1), (1969, 12, 31));
        assert_eq!(civil(19_782), (2024, 2, 29));
        assert_eq!(civil(11_016), (2000, 2, 29));
    }

    #[test]
    fn row_groups_spread_over_threads_in_order() {
        assert_eq!(
            split_groups(&[10, 10, 10, 10], 2),
            vec![vec![0, 1], vec![2, 3]]
        );
        assert_eq!(split_groups(&[10], 4), vec![vec![0]]);
        assert_eq!(split_groups(&[], 4), vec![Vec::<usize>::new()]);
        let groups = [5, 1, 1, 1, 9, 3];
        for threads in 1..8 {
            let split = split_groups(&groups, threads);
            let flat: Vec<usize> = split.concat();
            assert_eq!(flat, (0..groups.len()).collect::<Vec<_>>());
            assert!(split.len() <= threads);
        }
    }
}

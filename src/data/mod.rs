//! Loading data files (CSV, XLSX, XLS, ODS, and Parquet with the `parquet` feature) into a
//! columnar [`Frame`].
//!
//! ```no_run
//! use qindex::data::{load, LoadOptions};
//! use std::path::Path;
//!
//! let mut opts = LoadOptions::new("iso3");
//! opts.label_column = Some("country".into());
//! opts.numeric_columns = vec!["life_expectancy".into(), "gni_per_capita_2017ppp".into()];
//! let (frame, warnings) = load(Path::new("hdi_2022.csv"), &opts)?;
//! let life = frame.column("life_expectancy").unwrap_or_default();
//! # Ok::<(), qindex::Error>(())
//! ```
//!
//! Only the columns named in [`LoadOptions`] are read, so a wide file costs little more than
//! the columns a rules file uses (a Parquet file decodes only those). A CSV file is read into memory once, split at line breaks
//! (outside quoted values) and parsed on several threads; the result does not depend on the
//! number of threads.
//!
//! What a cell may hold in a numeric column: a number (`1.5`, `-2e3`), a percentage (`95%`,
//! read as 0.95), a number with thousands separators inside quotes (`"1,234,567.8"`), or a
//! missing value: an empty cell, one of [`DEFAULT_NA_TOKENS`] or a token of
//! [`LoadOptions::na_tokens`]. Anything else is an error naming the file, row and column
//! (or, with [`LoadOptions::lenient`], a missing value and one warning per column).
//!
//! # Diagnostics
//!
//! Every problem is a [`Diagnostic`] whose `location` is `file:row:column` (`file:row` for a
//! whole row), rows counted as a spreadsheet shows them, the header being row 1.
//!
//! | code | severity | triggered by |
//! | --- | --- | --- |
//! | `empty-file` | error | a file of zero bytes or white space; a sheet with no cells |
//! | `no-rows` | error | a header and no data rows |
//! | `unknown-column` | error | a named column not in the header (hints the closest names) |
//! | `duplicate-column` | error | a named column that appears twice in the header |
//! | `not-a-number` | error (warning if lenient) | `abc` in a numeric column |
//! | `field-count` | error | `b,3` under the header `unit,x,y` |
//! | `unclosed-quote` | error | `"b,2` with no closing quote |
//! | `missing-unit`, `missing-period` | error | a row whose unit id (or period) is empty |
//! | `duplicate-row` | error | two rows for unit `a` in period `2021` (or for `a`, without periods) |
//! | `unknown-encoding` | error | the encoding `gbkk` |
//! | `bad-encoding` | error | bytes that are neither UTF-8 nor GB18030, with no encoding given |
//! | `unknown-sheet` | error | a sheet name the workbook does not have |
//! | `bad-workbook` | error | a spreadsheet file that cannot be opened |
//! | `trimmed-id` | warning | ` 002 ` as a unit id or period (read as `002`) |
//! | `mixed-percent` | warning | `50%` and `0.4` in one column |
//! | `percent-cells` | warning | workbook cells formatted as percentages, read as fractions |
//! | `decode-errors` | warning | bytes invalid in the encoding given, replaced by `�` |
//! | `column-type` | error | a Parquet timestamp column named as an indicator |
//! | `bad-parquet` | error | a `.parquet` file that is cut short or not Parquet |

pub(crate) mod build;
pub use excel::in_workbook_reader;
mod cell;
mod compound;
mod csv;
mod encoding;
mod excel;
mod frame;
mod hash;
mod opendocument;
#[cfg(feature = "parquet")]
mod parquet;
mod xlsx_formats;

pub mod respondents;

pub use cell::DEFAULT_NA_TOKENS;
#[cfg(feature = "datafusion")]
pub(crate) use csv::detect_delimiter;
pub use frame::{Frame, TextColumn};
pub use hash::content_hash;

use crate::diagnostics::Diagnostic;
use crate::error::Error;
use std::path::Path;

/// How to read a data file, and which of its columns to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The CSV delimiter; detected from the header line (comma, semicolon or tab) when `None`.
    pub delimiter: Option<u8>,
    /// The text encoding of a CSV file, by any WHATWG label (`utf-8`, `gbk`, `gb18030`,
    /// `latin1`, ...). When `None`: UTF-8 with or without BOM, UTF-16 with BOM, else GB18030.
    pub encoding: Option<String>,
    /// The spreadsheet's sheet; the first sheet when `None`.
    pub sheet: Option<String>,
    /// More cell values that mean "missing", on top of [`DEFAULT_NA_TOKENS`] (e.g. `-999`).
    pub na_tokens: Vec<String>,
    /// Read cells that are not numbers as missing, with one warning per column, instead of
    /// failing.
    pub lenient: bool,
    /// The column of unit ids (kept as text).
    pub unit_column: String,
    /// The column of periods (kept as text), for panel data.
    pub period_column: Option<String>,
    /// The column of display names of units (kept as text).
    pub label_column: Option<String>,
    /// The columns read as numbers.
    pub numeric_columns: Vec<String>,
    /// More columns kept as text (e.g. a grouping column for `mean by`).
    pub text_columns: Vec<String>,
    /// Threads for parsing a large CSV file; the available cores when `None`.
    pub threads: Option<usize>,
}

impl LoadOptions {
    /// Options with the unit id column and everything else default.
    pub fn new(unit_column: impl Into<String>) -> LoadOptions {
        LoadOptions {
            unit_column: unit_column.into(),
            ..LoadOptions::default()
        }
    }
}

/// The kinds of file [`load`] reads, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text: any extension that is not a spreadsheet's.
    Csv,
    /// `.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`.
    Spreadsheet,
    /// `.parquet`, `.parq`: read with the `parquet` feature, refused without it.
    Parquet,
}

impl Format {
    pub fn of(path: &Path) -> Format {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => Format::Spreadsheet,
            "parquet" | "parq" => Format::Parquet,
            _ => Format::Csv,
        }
    }
}

/// Loads a data file into a [`Frame`] with the columns the options name.
///
/// Returns the frame and the warnings found; any error (an absent column, a cell that is not
/// a number, a repeated unit and period, a row with the wrong number of fields, ...) comes as
/// [`Error::Diagnostics`] with every problem found and its `file:row:column` location, the
/// header being row 1. A file that cannot be read is [`Error::Io`].
pub fn load(path: &Path, opts: &LoadOptions) -> Result<(Frame, Vec<Diagnostic>), Error> {
    if opts.unit_column.trim().is_empty() {
        return Err(Error::Usage(
            "no unit id column was given for the data".to_string(),
        ));
    }
    let io = |e| Error::io(path, e);
    let kind = std::fs::metadata(path).map_err(io)?.file_type();
    #[cfg(unix)]
    let readable = kind.is_file() || std::os::unix::fs::FileTypeExt::is_fifo(&kind);
    #[cfg(not(unix))]
    let readable = kind.is_file();
    if !readable {
        return Err(Error::Io {
            path: path.to_path_buf(),
            message: "not a regular file or a pipe: give the path of a data file".into(),
        });
    }
    match Format::of(path) {
        Format::Csv => {
            let before = std::fs::metadata(path).map_err(io)?;
            if let Some(map) = map_file(path, &before) {
                crate::timing::lap("map");
                let result = csv::load_csv(path, &map, opts);
                crate::timing::lap("parse");
                if unchanged(path, &before) {
                    return result;
                }
                // The file changed while it was mapped: read it again into memory, where it
                // cannot change under the parser.
            }
            let bytes = read_file(path, threads(opts)).map_err(io)?;
            crate::timing::lap("read");
            let result = csv::load_csv(path, &bytes, opts);
            crate::timing::lap("parse");
            result
        }
        Format::Spreadsheet => {
            let bytes = read_file(path, threads(opts)).map_err(io)?;
            let hash = content_hash(&bytes);
            excel::load_excel(path, bytes, opts, hash)
        }
        Format::Parquet => load_parquet(path, opts),
    }
}

#[cfg(feature = "parquet")]
fn load_parquet(path: &Path, opts: &LoadOptions) -> Result<(Frame, Vec<Diagnostic>), Error> {
    let result = parquet::load_parquet(path, opts);
    crate::timing::lap("parquet");
    result
}

#[cfg(not(feature = "parquet"))]
fn load_parquet(path: &Path, _: &LoadOptions) -> Result<(Frame, Vec<Diagnostic>), Error> {
    Err(parquet_not_built(path))
}

/// The error for a Parquet file in a build without the `parquet` feature.
#[cfg(not(feature = "parquet"))]
fn parquet_not_built(path: &Path) -> Error {
    Error::Usage(format!(
        "{}: reading Parquet needs a qindex built with the `parquet` feature: \
         `cargo build --release --features parquet` (or `--features datafusion`, which \
         includes it); or convert the file to CSV",
        path.display()
    ))
}

/// How many rows a data file holds, known before it is loaded: exact for Parquet (its footer),
/// estimated for a regular CSV file from its size and the lines of its first megabyte.
/// `None` for a spreadsheet, a pipe, or a file that cannot be read (the load then says why).
pub fn rows_before_loading(path: &Path) -> Option<u64> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    match Format::of(path) {
        #[cfg(feature = "parquet")]
        Format::Parquet => parquet::rows(path),
        #[cfg(not(feature = "parquet"))]
        Format::Parquet => None,
        Format::Spreadsheet => None,
        Format::Csv => {
            use std::io::Read;
            const SAMPLE: u64 = 1 << 20;
            let mut head = Vec::new();
            std::fs::File::open(path)
                .ok()?
                .take(SAMPLE)
                .read_to_end(&mut head)
                .ok()?;
            let header = memchr::memchr(b'\n', &head)? + 1;
            let body = &head[header..];
            let lines = memchr::memchr_iter(b'\n', body).count() as u64;
            if meta.len() <= SAMPLE || lines == 0 {
                // The whole file was read (or one long line): count what is there.
                return Some(lines + u64::from(!body.is_empty() && !body.ends_with(b"\n")));
            }
            let per_line = body.len() as u64 / lines;
            Some((meta.len() - header as u64) / per_line.max(1))
        }
    }
}

/// From this size a CSV file is mapped into memory rather than read.
const MAP_MIN_BYTES: u64 = 4 << 20;

/// Maps a large regular file into memory, read-only, its pages loaded up front: no copy of the
/// file and no fresh memory to fill, which for hundreds of megabytes is a good part of the
/// load. `None` for a small or empty file, anything but a regular file, or when the mapping
/// fails: the caller reads the file instead.
///
/// A mapped file that is modified while it is parsed is detected afterwards (see
/// [`unchanged`]) and read again; as with any memory-mapped input, a file cut short by
/// another program during the parse may stop the process (SIGBUS).
fn map_file(path: &Path, meta: &std::fs::Metadata) -> Option<memmap2::Mmap> {
    if !meta.is_file() || meta.len() < MAP_MIN_BYTES || usize::try_from(meta.len()).is_err() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: the mapping is read-only and private to this process; the file's size and time
    // are checked after parsing, and the data re-read when they changed.
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }.ok()?;
    (map.len() as u64 == meta.len()).then_some(map)
}

/// Whether the file still has the size and modification time it had before.
fn unchanged(path: &Path, before: &std::fs::Metadata) -> bool {
    match std::fs::metadata(path) {
        Ok(now) => now.len() == before.len() && now.modified().ok() == before.modified().ok(),
        Err(_) => false,
    }
}

/// The threads to use: the option, else the available cores.
pub(crate) fn threads(opts: &LoadOptions) -> usize {
    opts.threads.unwrap_or_else(crate::threads).max(1)
}

/// The most read from a pipe, whose length is not known beforehand (a file can be larger).
const MAX_PIPE_BYTES: u64 = 16 << 30;

/// Reads a whole file; a large one in as many pieces as threads, each read by its own thread
/// into its part of one buffer, which spreads the cost of copying and of mapping fresh memory.
fn read_file(path: &Path, threads: usize) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    const PARALLEL_MIN_BYTES: u64 = 64 << 20;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        // A pipe: read up to a bound, since its length is unknown.
        return crate::check::load::read_capped(std::fs::File::open(path)?, MAX_PIPE_BYTES)
            .map_err(|e| std::io::Error::other(e.to_string().replace("as rules", "from a pipe")));
    }
    let len = meta.len();
    if threads == 1 || len < PARALLEL_MIN_BYTES {
        return std::fs::read(path);
    }
    let mut buf = vec![0u8; len as usize];
    let piece = buf.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = buf
            .chunks_mut(piece)
            .enumerate()
            .map(|(i, part)| {
                s.spawn(move || -> std::io::Result<()> {
                    let mut f = std::fs::File::open(path)?;
                    f.seek(SeekFrom::Start((i * piece) as u64))?;
                    f.read_exact(part)
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(r) => r?,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok::<(), std::io::Error>(())
    })?;
    // A file that grew while it was read is read again whole, as `fs::read` would.
    if std::fs::metadata(path)?.len() != len {
        return std::fs::read(path);
    }
    Ok(buf)
}

/// Loads CSV text already in memory (`name` stands for the file in messages).
pub fn load_csv_bytes(
    name: &Path,
    bytes: &[u8],
    opts: &LoadOptions,
) -> Result<(Frame, Vec<Diagnostic>), Error> {
    csv::load_csv(name, bytes, opts)
}

/// The column names of a data file, from its first row alone (the first megabyte of a CSV,
/// the first sheet of a workbook): for an editor's completion. `None` when it cannot be read.
pub fn header_of(path: &Path) -> Option<Vec<String>> {
    let kind = std::fs::metadata(path).ok()?.file_type();
    if !kind.is_file() {
        return None;
    }
    let opts = LoadOptions::new("");
    match Format::of(path) {
        Format::Csv => {
            use std::io::Read;
            let mut bytes = Vec::new();
            std::fs::File::open(path)
                .ok()?
                .take(1 << 20)
                .read_to_end(&mut bytes)
                .ok()?;
            // Whole lines only, so that a character is never cut.
            if let Some(end) = bytes.iter().rposition(|b| *b == b'\n') {
                bytes.truncate(end + 1);
            }
            let file = path.display().to_string();
            let header = csv::read_header(&file, &bytes, &opts, "").ok()?;
            Some(header.headers)
        }
        Format::Spreadsheet => {
            let bytes = std::fs::read(path).ok()?;
            let file = path.display().to_string();
            let (_, _, _, range) =
                excel::open_sheet(&file, &bytes, &opts, || Error::Usage(String::new())).ok()?;
            excel::sheet_header(&range).map(|(_, h)| h)
        }
        #[cfg(feature = "parquet")]
        Format::Parquet => parquet::header(path),
        #[cfg(not(feature = "parquet"))]
        Format::Parquet => None,
    }
}

//! The columnar table a data file becomes: unit ids, periods, numeric and text columns.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A column of text cells stored in one buffer with end offsets, never a `String` per cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextColumn {
    bytes: String,
    ends: Vec<usize>,
}

impl TextColumn {
    pub fn new() -> TextColumn {
        TextColumn::default()
    }

    pub(crate) fn with_capacity(cells: usize, bytes: usize) -> TextColumn {
        TextColumn {
            bytes: String::with_capacity(bytes),
            ends: Vec::with_capacity(cells),
        }
    }

    pub fn push(&mut self, cell: &str) {
        self.bytes.push_str(cell);
        self.ends.push(self.bytes.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The cell of row `i`. Panics when `i >= len()`, like slice indexing.
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }

    /// Appends every cell of `other`.
    pub(crate) fn append(&mut self, other: &TextColumn) {
        let base = self.bytes.len();
        self.bytes.push_str(&other.bytes);
        self.ends.extend(other.ends.iter().map(|e| e + base));
    }

    fn select(&self, rows: &[usize]) -> TextColumn {
        let mut out = TextColumn::with_capacity(rows.len(), 0);
        for &r in rows {
            out.push(self.get(r));
        }
        out
    }
}

/// One loaded data file, by columns. Row `i` of every column belongs to unit `units().get(i)`
/// in period `periods().map(|p| p.get(i))`. Missing numbers are NaN.
///
/// Only the columns the loader was asked for are kept ([`LoadOptions`](super::LoadOptions));
/// [`Frame::headers`] lists every column of the file.
#[derive(Debug, Clone)]
pub struct Frame {
    pub(crate) path: PathBuf,
    pub(crate) headers: Vec<String>,
    pub(crate) unit_column: String,
    pub(crate) period_column: Option<String>,
    pub(crate) label_column: Option<String>,
    pub(crate) numeric: Vec<(String, Vec<f64>)>,
    pub(crate) text: Vec<(String, TextColumn)>,
    /// The file row of each frame row (header = row 1).
    pub(crate) source_rows: Vec<u32>,
    pub(crate) content_hash: String,
    pub(crate) encoding: &'static str,
}

impl Frame {
    /// The number of rows (unit × period observations).
    pub fn len(&self) -> usize {
        self.source_rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.source_rows.is_empty()
    }

    /// The file the frame was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every column name of the file, in file order, whether loaded or not.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The unit ids, as text (leading zeros kept, surrounding spaces trimmed).
    pub fn units(&self) -> &TextColumn {
        self.text_by_name(&self.unit_column)
    }

    pub fn unit_column(&self) -> &str {
        &self.unit_column
    }

    /// The period of each row, as text; `None` for a file without a period column.
    pub fn periods(&self) -> Option<&TextColumn> {
        self.period_column.as_deref().map(|p| self.text_by_name(p))
    }

    pub fn period_column(&self) -> Option<&str> {
        self.period_column.as_deref()
    }

    /// The display label of each unit, when a label column was named.
    pub fn labels(&self) -> Option<&TextColumn> {
        self.label_column.as_deref().map(|p| self.text_by_name(p))
    }

    /// A numeric column by name; `None` when it was not loaded as numeric.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.numeric
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Adds a numeric column computed after loading (a survey's estimates); one value per row.
    /// The content hash then covers its values too, since results depend on them.
    pub(crate) fn add_numeric(&mut self, name: String, values: Vec<f64>) {
        debug_assert_eq!(values.len(), self.len());
        let mut bytes = self.content_hash.clone().into_bytes();
        bytes.extend_from_slice(name.as_bytes());
        for v in &values {
            bytes.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        self.content_hash = super::content_hash(&bytes);
        self.numeric.push((name, values));
    }

    /// A copy with the values of some numeric columns replaced (a bootstrap replication's
    /// survey estimates); columns it does not have are left out.
    pub(crate) fn with_columns(&self, columns: &[(String, Vec<f64>)]) -> Frame {
        let mut out = self.clone();
        for (name, values) in columns {
            if let Some((_, v)) = out.numeric.iter_mut().find(|(n, _)| n == name) {
                debug_assert_eq!(values.len(), v.len());
                v.clone_from(values);
            }
        }
        out
    }

    /// A text column by name (the unit, period and label columns are text columns too).
    pub fn text_column(&self, name: &str) -> Option<&TextColumn> {
        self.text.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    fn text_by_name(&self, name: &str) -> &TextColumn {
        match self.text_column(name) {
            Some(c) => c,
            None => unreachable!("key column `{name}` is always loaded as text"),
        }
    }

    /// The names of the numeric columns, in the order they were asked for.
    pub fn numeric_names(&self) -> impl Iterator<Item = &str> {
        self.numeric.iter().map(|(n, _)| n.as_str())
    }

    /// The names of the text columns, in the order they were asked for.
    pub fn text_names(&self) -> impl Iterator<Item = &str> {
        self.text.iter().map(|(n, _)| n.as_str())
    }

    /// The file row (header = row 1; a sheet's own row number for spreadsheets) of frame row `i`.
    pub fn source_row(&self, i: usize) -> usize {
        self.source_rows[i] as usize
    }

    /// A hash of the file's bytes (16 hex digits) for reproducibility headers; see
    /// [`content_hash`](super::content_hash).
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// The encoding the text was read in: `UTF-8`, `GB18030`, or the forced one.
    pub fn encoding(&self) -> &str {
        self.encoding
    }

    /// The distinct periods in order of first appearance; empty without a period column.
    pub fn period_values(&self) -> Vec<&str> {
        let Some(periods) = self.periods() else {
            return Vec::new();
        };
        let mut seen: HashMap<&str, ()> = HashMap::new();
        let mut out = Vec::new();
        for p in periods.iter() {
            if seen.insert(p, ()).is_none() {
                out.push(p);
            }
        }
        out
    }

    /// The rows of one period, in file order. Without a period column every row belongs to it.
    pub fn rows_of_period(&self, period: &str) -> Vec<usize> {
        match self.periods() {
            Some(periods) => periods
                .iter()
                .enumerate()
                .filter(|(_, p)| *p == period)
                .map(|(i, _)| i)
                .collect(),
            None => (0..self.len()).collect(),
        }
    }

    /// A frame with only the given rows, in the given order.
    pub fn select_rows(&self, rows: &[usize]) -> Frame {
        Frame {
            path: self.path.clone(),
            headers: self.headers.clone(),
            unit_column: self.unit_column.clone(),
            period_column: self.period_column.clone(),
            label_column: self.label_column.clone(),
            numeric: self
                .numeric
                .iter()
                .map(|(n, v)| (n.clone(), rows.iter().map(|&r| v[r]).collect()))
                .collect(),
            text: self
                .text
                .iter()
                .map(|(n, c)| (n.clone(), c.select(rows)))
                .collect(),
            source_rows: rows.iter().map(|&r| self.source_rows[r]).collect(),
            content_hash: self.content_hash.clone(),
            encoding: self.encoding,
        }
    }

    /// The rows of one period as a frame of their own.
    pub fn for_period(&self, period: &str) -> Frame {
        self.select_rows(&self.rows_of_period(period))
    }
}

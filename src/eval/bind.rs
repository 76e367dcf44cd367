//! Binding: loading the data a plan needs, and reporting absent columns at the rules span
//! that refers to them.

use crate::data::{self, Frame, LoadOptions};
use crate::diagnostics::Diagnostic;
use crate::plan::{MissingPolicy, Plan};
use crate::source::Span;
use crate::Error;
use std::path::{Path, PathBuf};

/// How the data is read, from the command line.
#[derive(Debug, Clone, Default)]
pub struct DataOptions {
    /// `--data`: overrides `data "PATH"` of the rules.
    pub path: Option<PathBuf>,
    pub delimiter: Option<u8>,
    pub encoding: Option<String>,
    pub sheet: Option<String>,
    pub na_tokens: Vec<String>,
    pub lenient: bool,
    pub threads: Option<usize>,
}

impl DataOptions {
    /// The loader's options for a file keyed by `unit_column`: these options' delimiter,
    /// encoding, sheet, missing-value tokens, leniency and threads.
    pub fn load_options(&self, unit_column: String) -> LoadOptions {
        let mut lo = LoadOptions::new(unit_column);
        lo.delimiter = self.delimiter;
        lo.encoding = self.encoding.clone();
        lo.sheet = self.sheet.clone();
        lo.na_tokens = self.na_tokens.clone();
        lo.lenient = self.lenient;
        lo.threads = self.threads;
        lo
    }
}

/// The data file a plan reads: `--data`, else the rules' `data "PATH"`.
pub fn data_path(plan: &Plan, opts: &DataOptions) -> Result<PathBuf, Error> {
    match (&opts.path, &plan.index.data) {
        (Some(p), _) => Ok(p.clone()),
        (None, Some(p)) => Ok(PathBuf::from(p)),
        (None, None) => Err(Error::Usage(format!(
            "no data for index `{}`: pass --data PATH, or write `data \"PATH\"` in the index",
            plan.index.id
        ))),
    }
}

/// Loads the columns the plan reads. Absent columns are reported at the place in the rules
/// that names them, with the file's closest column names.
pub fn load(
    plan: &Plan,
    path: &Path,
    opts: &DataOptions,
) -> Result<(Frame, Vec<Diagnostic>), Error> {
    load_for(&[plan], path, opts)
}

/// Loads the columns that any of several plans (schemes of one index) reads, once.
pub fn load_for(
    plans: &[&Plan],
    path: &Path,
    opts: &DataOptions,
) -> Result<(Frame, Vec<Diagnostic>), Error> {
    let plan = plans[0];
    let mut lo = opts.load_options(plan.index.unit_column.clone());
    lo.period_column = plan.index.period_column.clone();
    lo.label_column = plan.index.label_column.clone();
    let mut spans: Vec<(String, Span)> = Vec::new();
    for plan in plans {
        for c in plan.columns.iter().filter(|c| c.survey.is_none()) {
            if !lo.numeric_columns.contains(&c.name) {
                lo.numeric_columns.push(c.name.clone());
                spans.push((c.name.clone(), c.span));
            }
        }
        for id in plan.indicators() {
            let node = plan.node(id);
            for p in &node.indicator.as_ref().expect("indicator").missing {
                if let MissingPolicy::MeanBy(c) | MissingPolicy::MedianBy(c) = p {
                    if !lo.text_columns.contains(c) {
                        lo.text_columns.push(c.clone());
                        spans.push((c.clone(), node.span));
                    }
                }
            }
        }
    }
    refuse_beyond_budget(path, &lo)?;
    match data::load(path, &lo) {
        Err(Error::Diagnostics(ds)) => Err(Error::Diagnostics(at_rules(
            ds,
            &spans,
            "this column is not in the data",
        ))),
        other => other,
    }
}

/// The in-memory pipeline's peak memory over its columns' values (8 bytes a row and column
/// read), rounded up from what was measured: `qindex run` of the peers' `big_1m.qi` on 1M
/// rows × 51 columns (408 MB of values) peaks at 654 MB from Parquet, 1.6 times; from CSV at
/// 834 MB, the 385 MB file (mapped while parsed) and 1.1 times.
const PEAK_FACTOR: u64 = 2;

/// Refuses, before reading it, a data file whose evaluation in memory would need more than the
/// memory budget ([`crate::memory::limit`]): rows (from a Parquet footer, or estimated from a
/// CSV file's size) × columns read × 8 bytes × [`PEAK_FACTOR`], plus a CSV file's own size.
/// The message gives the estimate and the limit and points to `--engine datafusion`, which
/// runs out of core.
fn refuse_beyond_budget(path: &Path, lo: &LoadOptions) -> Result<(), Error> {
    let Some(rows) = data::rows_before_loading(path) else {
        return Ok(());
    };
    let columns = 1
        + lo.numeric_columns.len()
        + lo.text_columns.len()
        + usize::from(lo.period_column.is_some())
        + usize::from(lo.label_column.is_some());
    let mut need = crate::memory::product(&[rows, columns as u64, 8, PEAK_FACTOR]);
    let csv = data::Format::of(path) == data::Format::Csv;
    if csv {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        need = need.saturating_add(size);
    }
    let about = if csv { "about " } else { "" };
    crate::memory::check(
        need,
        &format!(
            "evaluating {} in memory ({about}{rows} rows × {columns} columns)",
            path.display()
        ),
        "run it out of core with `qindex run RULES --engine datafusion --memory-limit 4G` \
         (a qindex built with `--features datafusion`), or raise the in-memory budget with \
         --memory-limit SIZE",
    )
}

/// Diagnostics about absent columns moved to the place in the rules that names the column
/// (`spans`), their file location kept as a note; the others as they are.
pub fn at_rules(ds: Vec<Diagnostic>, spans: &[(String, Span)], label: &str) -> Vec<Diagnostic> {
    ds.into_iter()
        .map(|d| {
            let Some(name) = &d.column else {
                return d;
            };
            match spans.iter().find(|(n, _)| n == name) {
                Some((_, span)) => {
                    let location = d.location.clone().unwrap_or_default();
                    let mut d = d.with_span(*span).with_label(label.to_string());
                    d.location = None;
                    d.with_note(format!("in {location}"))
                }
                None => d,
            }
        })
        .collect()
}

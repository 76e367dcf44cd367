//! The command line: the subcommands in the order of a methodologist's workflow, and the
//! arguments they share.

use super::emit::Format;
use clap::{Parser, Subcommand};
use qindex::eval::PeriodChoice;
use qindex::Error;
use std::path::PathBuf;

pub const EXIT_CODES: &str = "Exit codes:
  0  success (warnings allowed)
  1  errors in the rules or the data, or a --check that found differences
  2  usage, input/output or internal errors";

/// qindex: write an indicator system as rules, compile it into an evaluation plan, run it over
/// the data, and see how robust the ranking is.
#[derive(Parser)]
#[command(name = "qindex", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// One command is parsed per run, so the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum Command {
    /// Check rules files: syntax, names, settings, weights, schemes and uncertainty.
    ///
    /// Formats: table (a line per file; the diagnostics on standard error) or json (`qindex.check/1`).
    #[command(after_help = EXIT_CODES)]
    Check(super::check::Args),
    /// Explain a rules file: the hierarchy with weights and methods, or the methods table.
    ///
    /// Formats: table (the tree), json (the compiled plan, `qindex.explain/1`), markdown or csv (the methods table).
    #[command(after_help = EXIT_CODES)]
    Explain(super::explain::Args),
    /// Evaluate the rules over the data: every unit's indicator values, group scores, index
    /// score and rank.
    ///
    /// Formats: table (the default on a terminal), csv (the default otherwise), json, or xlsx (a workbook with the results, indicators, weights and methods; needs --output).
    #[command(after_help = EXIT_CODES)]
    Run(super::run::Args),
    /// Compile a scheme to one SQL query over the data table: one CTE per stage, node ids as
    /// column names, labels in comments; for DataFusion, Spark, PostgreSQL or DuckDB.
    /// Settings the SQL cannot compute exactly are refused with a diagnostic.
    ///
    /// Formats: table (the query) or json (`qindex.sql/1`: the query with its scheme, dialect and table).
    #[command(after_help = EXIT_CODES)]
    Sql(super::sql::Args),
    /// One unit's standing: its score and rank, every group and indicator by its rank among
    /// the units, its strengths and weaknesses, and its improvements since the previous period.
    ///
    /// Formats: table or json (`qindex.profile/1`, docs/profile-json.md).
    #[command(after_help = EXIT_CODES)]
    Profile(super::profile::Args),
    /// Compare schemes over the same data: each unit's rank and score under each, the rank
    /// correlations (Spearman, Kendall tau-b), the biggest movers and the top-N changes.
    ///
    /// Formats: table, csv, json (`qindex.compare/1`, docs/compare-json.md) or xlsx (a sheet per scheme, the comparison, the correlations and the methods tables; needs --output).
    #[command(after_help = EXIT_CODES)]
    Compare(super::compare::Args),
    /// How much weight each orientation (government, market, society) carries, nominally and
    /// in the data; flags silent indicators.
    ///
    /// Formats: table or json (`qindex.orientation/1`).
    #[command(after_help = EXIT_CODES)]
    Orientation(super::orientation::Args),
    /// The coherence report: each indicator's distribution and treatment, correlations within
    /// and across levels, Cronbach's alpha, principal components, KMO and Bartlett's test, and
    /// flags for likely direction mistakes, redundant pairs, weak groups and missing data.
    ///
    /// Formats: table or json (`qindex.stats/1`, docs/stats-json.md).
    #[command(after_help = EXIT_CODES)]
    Stats(super::stats::Args),
    /// The rules' `uncertainty` block as a Monte Carlo: each unit's nominal rank, median and
    /// 5th–95th percentile ranks, chance of a top-N place and score spread, and the MARC.
    ///
    /// Formats: table, csv or json (`qindex.uncertainty/1`, docs/uncertainty-json.md).
    #[command(after_help = EXIT_CODES)]
    Uncertainty(super::uncertainty::Args),
    /// First-order and total Sobol' indices of each factor of the rules' `uncertainty` block
    /// (each `vary`, `choose` and `drop` line) for the MARC, each unit's rank or each unit's
    /// score: which modelling choice drives the uncertainty.
    ///
    /// Formats: table, csv or json (`qindex.sensitivity/1`, docs/sensitivity-json.md).
    #[command(after_help = EXIT_CODES)]
    Sensitivity(super::sensitivity::Args),
    /// Each indicator's and group's main effect on the index (η² by a penalised spline) next to
    /// its nominal weight; flags silent indicators.
    ///
    /// Formats: table, csv or json (`qindex.importance/1`, docs/importance-json.md).
    #[command(after_help = EXIT_CODES)]
    Importance(super::importance::Args),
    /// For each weight moved from 0 to its parent's whole weight (siblings rescaled
    /// proportionally), where the top-N order and the top-N set stay the nominal ones.
    ///
    /// Formats: table or json (`qindex.stability/1`, docs/stability-json.md).
    #[command(after_help = EXIT_CODES)]
    Stability(super::stability::Args),
    /// The rules' `survey` blocks: each unit's respondent count, Σw, and every dimension's and
    /// item's estimate with its standard error, 95% interval and share of no answers; each
    /// dimension's Cronbach's alpha and item-rest correlations; flags for weak items, low
    /// alphas and small samples.
    ///
    /// Formats: table, csv (the estimates) or json (`qindex.survey/1`, docs/cli-json.md).
    #[command(after_help = EXIT_CODES)]
    Survey(super::survey::Args),
    /// One self-contained HTML report to hand in: the ranking, the group heatmap, the
    /// schemes compared, the orientation, the robustness (rank intervals, MARC, Sobol'
    /// indices), the coherence, a profile of each unit, the methods table and the warnings.
    /// It loads nothing from the network.
    ///
    /// Formats: html (the default) or json (the report's data model, `qindex.report/1`).
    #[command(after_help = EXIT_CODES)]
    Report(super::report::Args),
    /// The difference between two versions of an indicator system: nodes added, removed or
    /// moved, weights, methods and tags changed, and what it does to the results. Either side
    /// may be `git:REV:PATH`, e.g. `qindex diff git:HEAD~1:rules/quality_city.qi rules/quality_city.qi`.
    ///
    /// Formats: table or json (`qindex.diff/1`: the review and the decompositions).
    #[command(after_help = EXIT_CODES)]
    Diff(super::diff::Args),
    /// Snapshot testing of rules: write the results as a diff-friendly text next to the rules,
    /// or check that they have not changed (exit 1 with a review when they have).
    ///
    /// Formats: table or json (`qindex.snapshot/1`: the file, its status and review).
    #[command(after_help = EXIT_CODES)]
    Snapshot(super::snapshot::Args),
    /// Format rules files in the one canonical layout, keeping every comment.
    ///
    /// Formats: table (the formatted text; with --check the files not formatted) or json (`qindex.fmt/1`).
    #[command(after_help = EXIT_CODES)]
    Fmt(super::fmt::Args),
    /// The language server for editors (Language Server Protocol over standard input and
    /// output): diagnostics as you type, hover with each node's weights, go to definition,
    /// the outline and formatting. Editors start it; see the README.
    Lsp(super::lsp::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(super::completions::Args),
}

/// The result's format, where it goes, and how much is said on the way (every command has
/// them).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct OutArgs {
    /// The format of the result: table, json, csv, markdown, xlsx or html, as the command writes
    /// them (its description lists them). JSON is one document with a `format` key.
    #[arg(long, value_enum, hide_possible_values = true)]
    pub format: Option<Format>,
    /// Write the result to this file (atomically: a failed run leaves the file as it was)
    /// instead of standard output.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// No warnings, notes or progress on standard error (errors are still shown).
    #[arg(long, short)]
    pub quiet: bool,
}

/// What names a spreadsheet's columns (`--headers`).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Headers {
    /// The nodes' labels (their ids where they have none).
    #[default]
    Labels,
    /// The nodes' ids.
    Ids,
}

/// The arguments of a command that looks at one scheme in one period.
#[derive(clap::Args, Debug, Clone)]
pub struct OneScheme {
    #[command(flatten)]
    pub on: Evaluated,
    #[command(flatten)]
    pub out: OutArgs,
}

/// A rules file evaluated in several schemes over the same data.
#[derive(clap::Args, Debug, Clone)]
pub struct Schemes {
    /// The rules file.
    pub file: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// A scheme (repeatable; `default` is the base index, and the first is the baseline of
    /// a comparison).
    #[arg(long = "scheme")]
    pub schemes: Vec<String>,
    /// `default` and every scheme of the rules.
    #[arg(long, conflicts_with = "schemes")]
    pub all: bool,
    /// The period (default: the latest).
    #[arg(long)]
    pub period: Option<String>,
}

/// The arguments of the commands that sample the `uncertainty` block.
#[derive(clap::Args, Debug, Clone)]
pub struct Sampled {
    /// The rules file.
    pub file: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// The period (default: the latest).
    #[arg(long)]
    pub period: Option<String>,
    /// Replications (uncertainty) or base samples N, the design evaluating N·(factors + 2)
    /// plans (sensitivity; a power of two keeps the Sobol' points balanced); 1 or more.
    /// Default: `samples` of the uncertainty block.
    #[arg(long, value_parser = samples)]
    pub samples: Option<u64>,
    /// The random seed (default: `seed` of the uncertainty block).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The most memory the analysis may plan to use (512M, 8G, ...); beyond it, it refuses
    /// before starting. Default: half of this machine's memory.
    #[arg(long, value_name = "SIZE", value_parser = qindex::memory::parse_size)]
    pub memory_limit: Option<u64>,
}

/// A rules file evaluated over its data in one scheme and period.
#[derive(clap::Args, Debug, Clone)]
pub struct Evaluated {
    /// The rules file.
    pub file: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// The scheme (`default` is the base index).
    #[arg(long, default_value = "default")]
    pub scheme: String,
    /// The period (default: the latest).
    #[arg(long)]
    pub period: Option<String>,
}

impl Evaluated {
    /// The period of a command that looks at one period: `all` is refused.
    pub fn one_period(&self) -> Result<PeriodChoice, Error> {
        one_period(self.period.as_deref())
    }
}

/// `--period` for the commands that look at one period: `all` is refused.
pub fn one_period(period: Option<&str>) -> Result<PeriodChoice, Error> {
    match period {
        Some("all") => Err(Error::Usage(
            "--period all: this command looks at one period; name it".into(),
        )),
        p => Ok(period_choice(p)),
    }
}

/// `--period`: the latest by default, `all`, or one period.
pub fn period_choice(period: Option<&str>) -> PeriodChoice {
    match period {
        None => PeriodChoice::Latest,
        Some("all") => PeriodChoice::All,
        Some(p) => PeriodChoice::One(p.to_string()),
    }
}

/// How the data is read (shared by the commands that read data).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct DataArgs {
    /// The data file (CSV, .xlsx, .xls, .ods); overrides `data "PATH"` in the rules.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The CSV delimiter (`,` `;` or `tab`); detected when not given.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// The CSV text encoding (utf-8, gbk, gb18030, ...); detected when not given.
    #[arg(long)]
    pub encoding: Option<String>,
    /// The spreadsheet's sheet (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Another cell value that means "missing" (repeatable), on top of NA, N/A, -, 无, ...
    #[arg(long = "na", value_name = "TOKEN")]
    pub na: Vec<String>,
    /// Read cells that are not numbers as missing (counted in a warning) instead of failing.
    #[arg(long)]
    pub lenient: bool,
    /// Threads to use (default: the available cores); the results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
}

impl DataArgs {
    pub fn options(&self) -> Result<qindex::eval::DataOptions, Error> {
        if let Some(n) = self.threads {
            qindex::set_threads(n);
        }
        let delimiter = match self.delimiter.as_deref() {
            None => None,
            Some("tab") | Some("\\t") => Some(b'\t'),
            Some(d) if d.len() == 1 => Some(d.as_bytes()[0]),
            Some(d) => {
                return Err(Error::Usage(format!(
                    "--delimiter {d}: give one character, or `tab`"
                )))
            }
        };
        Ok(qindex::eval::DataOptions {
            path: self.data.clone(),
            delimiter,
            encoding: self.encoding.clone(),
            sheet: self.sheet.clone(),
            na_tokens: self.na.clone(),
            lenient: self.lenient,
            threads: self.threads,
        })
    }
}

/// A count given on the command line: a whole number, 1 or more.
/// `--samples`: 1 to 10⁹, the range of the block's `samples`.
fn samples(s: &str) -> Result<u64, String> {
    match at_least_one(s)? {
        n if n > 1_000_000_000 => Err(format!(
            "{n} is more than qindex runs: at most 1000000000 (a few thousand replications give \
             stable rank intervals)"
        )),
        n => Ok(n),
    }
}

pub fn at_least_one(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("it must be 1 or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

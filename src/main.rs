//! The `qindex` command line: parses arguments, calls the library, renders diagnostics and
//! maps errors to exit codes. The library never prints.

use clap::{Parser, Subcommand, ValueEnum};
use qindex::diagnostics::{render_all, Color};
use qindex::report::{self as explain, TableFormat};
use qindex::{Diagnostic, Error, Sources};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXIT_CODES: &str = "Exit codes:
  0  success (warnings allowed)
  1  errors in the rules or the data, or a --check that found differences
  2  usage, input/output or internal errors";

/// qindex: write an indicator system as rules, compile it into an evaluation plan, and check
/// and explain it.
#[derive(Parser)]
#[command(name = "qindex", version, about, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// One command is parsed per run, so the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// How much weight each orientation (government, market, society) carries, nominally and
    /// in the data; flags silent indicators.
    #[command(after_help = EXIT_CODES)]
    Orientation {
        /// The rules file.
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// The scheme (`default` is the base index).
        #[arg(long, default_value = "default")]
        scheme: String,
        /// The period (default: the latest).
        #[arg(long)]
        period: Option<String>,
        /// table (the default) or json.
        #[arg(long, value_enum, default_value_t = OrientationFormat::Table)]
        format: OrientationFormat,
    },
    /// Each indicator's and group's main effect on the index (η² by a penalised spline) next to
    /// its nominal weight; flags silent indicators.
    #[command(after_help = EXIT_CODES)]
    Importance {
        /// The rules file.
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// The scheme (`default` is the base index).
        #[arg(long, default_value = "default")]
        scheme: String,
        /// The period (default: the latest).
        #[arg(long)]
        period: Option<String>,
        /// table (the default), csv or json (`qindex.importance/1`, see docs/importance-json.md).
        #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
        format: CompareFormat,
        /// Write to this file (atomically) instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// For each weight moved from 0 to its parent's whole weight (siblings rescaled
    /// proportionally), where the top-N order and the top-N set stay the nominal ones.
    #[command(after_help = EXIT_CODES)]
    Stability {
        /// The rules file.
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// The scheme (`default` is the base index).
        #[arg(long, default_value = "default")]
        scheme: String,
        /// The period (default: the latest).
        #[arg(long)]
        period: Option<String>,
        /// N: the size of the top group.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Always evaluate on the grid of 201 shares, even where exact breakpoints exist.
        #[arg(long)]
        grid: bool,
        /// table (the default) or json (`qindex.stability/1`, see docs/stability-json.md).
        #[arg(long, value_enum, default_value_t = OrientationFormat::Table)]
        format: OrientationFormat,
        /// Write to this file (atomically) instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Snapshot testing of rules: write the results as a diff-friendly text next to the rules,
    /// or check that they have not changed (exit 1 with a review when they have).
    #[command(after_help = EXIT_CODES)]
    Snapshot {
        /// The rules file.
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// The scheme (repeatable); default: `default` only.
        #[arg(long = "scheme")]
        schemes: Vec<String>,
        /// Every scheme: `default` and each scheme of the rules.
        #[arg(long, conflicts_with = "schemes")]
        all: bool,
        /// The period (default: the latest).
        #[arg(long)]
        period: Option<String>,
        /// The folder of the snapshot file (default: the rules file's folder).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Compare with the stored snapshot; exit 1 with a review when results changed.
        #[arg(long, conflicts_with = "accept")]
        check: bool,
        /// Replace the stored snapshot with the current results.
        #[arg(long)]
        accept: bool,
    },
    /// The difference between two versions of an indicator system: nodes added, removed or
    /// moved, weights, methods and tags changed, and what it does to the results. Either side
    /// may be `git:REV:PATH`, e.g. `qindex diff git:HEAD~1:rules/quality_city.qi rules/quality_city.qi`.
    #[command(after_help = EXIT_CODES)]
    Diff {
        /// The old rules file (or `git:REV:PATH`).
        old: PathBuf,
        /// The new rules file (or `git:REV:PATH`).
        new: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// The scheme to compare in both versions (`default` is the base index).
        #[arg(long, default_value = "default")]
        scheme: String,
        /// The period (default: the latest).
        #[arg(long)]
        period: Option<String>,
        /// Explain why this unit moved (the three biggest movers are explained anyway).
        #[arg(long, value_name = "UNIT")]
        explain: Option<String>,
    },
    /// Compare schemes over the same data: each unit's rank and score under each, the rank
    /// correlations (Spearman, Kendall tau-b), the biggest movers and the top-N changes.
    #[command(after_help = EXIT_CODES)]
    Compare {
        /// The rules file.
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// A scheme to compare (repeatable; the first is the baseline). Default: `default` and
        /// every scheme of the rules.
        #[arg(long = "scheme")]
        schemes: Vec<String>,
        /// Compare `default` and every scheme (the default when no --scheme is given).
        #[arg(long, conflicts_with = "schemes")]
        all: bool,
        /// The period to compare (default: the latest).
        #[arg(long)]
        period: Option<String>,
        /// The size of the top group whose entries and exits are listed.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Explain why this unit moved: its score change split by node into the effect of
        /// changed weights and of changed values.
        #[arg(long, value_name = "UNIT")]
        explain: Option<String>,
        /// Compare one scheme (the first --scheme, or `default`) between this earlier period and
        /// --period (default: the latest), instead of schemes within one period.
        #[arg(long, value_name = "PERIOD")]
        since: Option<String>,
        /// table (the default), csv or json.
        #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
        format: CompareFormat,
    },
    /// Evaluate the rules over the data: every unit's indicator values, group scores, index
    /// score and rank.
    #[command(after_help = EXIT_CODES)]
    Run {
        /// The rules file.
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// The scheme to evaluate (`default` is the base index).
        #[arg(long, default_value = "default")]
        scheme: String,
        /// The period to evaluate (default: the latest), or `all`.
        #[arg(long)]
        period: Option<String>,
        /// Only units for which this condition holds are ranked and reported, e.g.
        /// `--where "population > 1e6"`.
        #[arg(long = "where", value_name = "EXPR")]
        filter: Option<String>,
        /// table (default on a terminal), csv (default otherwise), json, or xlsx (a workbook
        /// with the results, indicators, weights and methods; needs --output).
        #[arg(long, value_enum)]
        format: Option<RunFormat>,
        /// Write to this file (atomically) instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Group levels to show below the index (1 = the index's children).
        #[arg(long)]
        depth: Option<u32>,
        /// Add every indicator's normalised value.
        #[arg(long)]
        indicators: bool,
        /// Only the N best-ranked units.
        #[arg(long)]
        top: Option<usize>,
    },
    /// One unit's standing: its score and rank, every group and indicator by its rank among
    /// the units, its strengths and weaknesses, and its improvements since the previous period.
    #[command(after_help = EXIT_CODES)]
    Profile {
        /// The rules file.
        file: PathBuf,
        /// The unit: its id, or its display label (e.g. its Chinese name).
        unit: String,
        #[command(flatten)]
        data: DataArgs,
        /// The scheme to evaluate (`default` is the base index).
        #[arg(long, default_value = "default")]
        scheme: String,
        /// The period to profile (default: the latest); it is compared with the one before.
        #[arg(long)]
        period: Option<String>,
        /// text, or json (`qindex.profile/1`, see docs/profile-json.md).
        #[arg(long, value_enum, default_value_t = ProfileFormat::Text)]
        format: ProfileFormat,
    },
    /// The coherence report: each indicator's distribution and treatment, correlations within
    /// and across levels, Cronbach's alpha, principal components, KMO and Bartlett's test, and
    /// flags for likely direction mistakes, redundant pairs, weak groups and missing data.
    #[command(after_help = EXIT_CODES)]
    Stats {
        /// The rules file.
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// The scheme to evaluate (`default` is the base index).
        #[arg(long, default_value = "default")]
        scheme: String,
        /// The period to analyse (default: the latest).
        #[arg(long)]
        period: Option<String>,
        /// text, or json (`qindex.stats/1`, see docs/stats-json.md).
        #[arg(long, value_enum, default_value_t = ProfileFormat::Text)]
        format: ProfileFormat,
    },
    /// The rules' `uncertainty` block as a Monte Carlo: each unit's nominal rank, median and
    /// 5th–95th percentile ranks, chance of a top-N place and score spread, and the MARC.
    #[command(after_help = EXIT_CODES)]
    Uncertainty {
        /// The rules file.
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// The period (default: the latest).
        #[arg(long)]
        period: Option<String>,
        /// Replications, 1 or more (default: `samples` of the uncertainty block).
        #[arg(long, value_parser = at_least_one)]
        samples: Option<u64>,
        /// The random seed (default: `seed` of the uncertainty block).
        #[arg(long)]
        seed: Option<u64>,
        /// The size of the top group whose membership probability is reported (default: 10,
        /// or a third of the ranked units when there are fewer than 30).
        #[arg(long, value_parser = at_least_one)]
        top: Option<u64>,
        /// table (the default), csv or json (`qindex.uncertainty/1`, see docs/uncertainty-json.md).
        #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
        format: CompareFormat,
        /// No progress counter on standard error.
        #[arg(long)]
        quiet: bool,
        /// Write to this file (atomically) instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Also write what each replication drew and gave, as JSON Lines, to this file (see
        /// docs/checking-uncertainty.md).
        #[arg(long, value_name = "PATH")]
        replications: Option<PathBuf>,
        /// Print replication R as a rules file: a scheme `replication_R` that `qindex run`
        /// evaluates to the replication's scores and ranks.
        #[arg(long, value_name = "R", conflicts_with_all = ["configurations", "replications"])]
        replay: Option<u64>,
        /// List each configuration the block can produce (the options of `choose scheme`,
        /// `normalise` and `missing`): its draws, what it imputes and winsorises, its
        /// normalised values, and the groups' aggregations.
        #[arg(long, conflicts_with = "replications")]
        configurations: bool,
    },
    /// First-order and total Sobol' indices of each factor of the rules' `uncertainty` block
    /// (each `vary`, `choose` and `drop` line) for the MARC, each unit's rank or each unit's
    /// score: which modelling choice drives the uncertainty.
    #[command(after_help = EXIT_CODES)]
    Sensitivity {
        /// The rules file.
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
        /// The period (default: the latest).
        #[arg(long)]
        period: Option<String>,
        /// Base samples N; the design evaluates N·(factors + 2) plans (default: `samples` of
        /// the uncertainty block). A power of two keeps the Sobol' points balanced.
        #[arg(long, value_parser = at_least_one)]
        samples: Option<u64>,
        /// The seed of the scrambled Sobol' sequence and of the bootstrap (default: `seed` of
        /// the uncertainty block).
        #[arg(long)]
        seed: Option<u64>,
        /// What the indices are of: marc (one number per evaluation, the default), rank or
        /// score (one set of indices per unit).
        #[arg(long, value_enum, default_value_t = SensitivityTarget::Marc)]
        target: SensitivityTarget,
        /// Bootstrap resamples for the 95% intervals.
        #[arg(long, default_value_t = 100)]
        resamples: usize,
        /// table (the default), csv or json (`qindex.sensitivity/1`, see docs/sensitivity-json.md).
        #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
        format: CompareFormat,
        /// No progress counter on standard error.
        #[arg(long)]
        quiet: bool,
        /// Write to this file (atomically) instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Also write what each evaluation of the design drew and gave, as JSON Lines, to
        /// this file (see docs/checking-uncertainty.md).
        #[arg(long, value_name = "PATH")]
        evaluations: Option<PathBuf>,
    },
    /// Check rules files: syntax, names, settings, weights, schemes and uncertainty.
    #[command(after_help = EXIT_CODES)]
    Check {
        /// Rules files (`*.qi`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Explain a rules file: the hierarchy with weights and methods, or the methods table.
    #[command(after_help = EXIT_CODES)]
    Explain {
        /// The rules file.
        file: PathBuf,
        /// The scheme to explain (`default` is the base index).
        #[arg(long, default_value = "default")]
        scheme: String,
        /// text: the tree; json: the compiled plan; markdown or csv: the methods table.
        #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
        format: ExplainFormat,
    },
    /// Format rules files in the one canonical layout, keeping every comment.
    #[command(after_help = EXIT_CODES)]
    Fmt {
        /// Rules files (`*.qi`); `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Rewrite the files in place instead of printing them.
        #[arg(long, conflicts_with = "check")]
        write: bool,
        /// Print nothing but the names of files that are not formatted; exit 1 if there are any.
        #[arg(long)]
        check: bool,
    },
}

/// How the data is read (shared by the commands that read data).
#[derive(clap::Args, Debug, Clone, Default)]
struct DataArgs {
    /// The data file (CSV, .xlsx, .xls, .ods); overrides `data "PATH"` in the rules.
    #[arg(long)]
    data: Option<PathBuf>,
    /// The CSV delimiter (`,` `;` or `tab`); detected when not given.
    #[arg(long)]
    delimiter: Option<String>,
    /// The CSV text encoding (utf-8, gbk, gb18030, ...); detected when not given.
    #[arg(long)]
    encoding: Option<String>,
    /// The spreadsheet's sheet (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    /// Another cell value that means "missing" (repeatable), on top of NA, N/A, -, 无, ...
    #[arg(long = "na", value_name = "TOKEN")]
    na: Vec<String>,
    /// Read cells that are not numbers as missing (counted in a warning) instead of failing.
    #[arg(long)]
    lenient: bool,
    /// Threads to use (default: the available cores); the results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
}

impl DataArgs {
    fn options(&self) -> Result<qindex::eval::DataOptions, Error> {
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OrientationFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CompareFormat {
    Table,
    Csv,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RunFormat {
    Table,
    Csv,
    Json,
    Xlsx,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProfileFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExplainFormat {
    Text,
    Json,
    Markdown,
    Csv,
}

fn color() -> Color {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if !no_color && std::io::stderr().is_terminal() {
        Color::Always
    } else {
        Color::Never
    }
}

/// Prints diagnostics to standard error.
fn report(diags: &[Diagnostic], sources: &Sources) {
    if diags.is_empty() {
        return;
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{}", render_all(diags, sources, color()));
    let _ = writeln!(err);
}

/// Maps an error to its exit code after printing it.
fn fail(e: Error, sources: Option<&Sources>) -> ExitCode {
    match e {
        Error::Diagnostics(ds) => {
            let empty = Sources::new();
            report(&ds, sources.unwrap_or(&empty));
            summary(&ds);
            ExitCode::from(1)
        }
        Error::Io { path, message } => {
            eprintln!("error: {}: {message}", path.display());
            ExitCode::from(2)
        }
        Error::Usage(m) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Error::Interrupted => {
            eprintln!("\ninterrupted: nothing was written");
            ExitCode::from(130)
        }
    }
}

fn summary(diags: &[Diagnostic]) {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if errors > 0 {
        eprintln!(
            "{errors} error{}{}",
            if errors == 1 { "" } else { "s" },
            if warnings > 0 {
                format!(
                    ", {warnings} warning{}",
                    if warnings == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        );
    }
}

/// The stack of the thread that runs a command. Rules are parsed and checked by recursion,
/// as deep as an expression nests; the lexer refuses nesting past its limits
/// (`syntax::lex::MAX_DEPTH`, ...), and this stack holds everything within them with room to
/// spare. Only the pages used are ever committed.
const STACK: usize = 1 << 30;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let work = std::thread::Builder::new()
        .name("qindex".into())
        .stack_size(STACK)
        .spawn(move || std::panic::catch_unwind(|| finish_stdout(run(cli))));
    match work.map(|h| h.join()) {
        Ok(Ok(Ok(code))) => code,
        _ => {
            eprintln!(
                "error: internal error in qindex (a bug): please report it with the rules file"
            );
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Run {
            file,
            data,
            scheme,
            period,
            filter,
            format,
            output,
            depth,
            indicators,
            top,
        } => {
            let view = qindex::report::run::RunView {
                depth,
                indicators,
                top,
                width: None,
            };
            run_cmd(&file, &data, &scheme, period, filter, format, output, view)
        }
        Command::Profile {
            file,
            unit,
            data,
            scheme,
            period,
            format,
        } => profile_cmd(&file, &unit, &data, &scheme, period, format),
        Command::Stats {
            file,
            data,
            scheme,
            period,
            format,
        } => stats_cmd(&file, &data, &scheme, period, format),
        Command::Check { files } => check(&files),
        Command::Uncertainty {
            file,
            data,
            period,
            samples,
            seed,
            top,
            format,
            quiet,
            output,
            replications,
            replay,
            configurations,
        } => uncertainty_cmd(
            &file,
            &data,
            period,
            samples,
            seed,
            top,
            format,
            quiet,
            output.as_deref(),
            Audit {
                replications,
                replay,
                configurations,
            },
        ),
        Command::Sensitivity {
            file,
            data,
            period,
            samples,
            seed,
            target,
            resamples,
            format,
            quiet,
            output,
            evaluations,
        } => sensitivity_cmd(
            &file,
            &data,
            period,
            SensitivityRun {
                samples: samples.map(|n| n as usize),
                seed,
                target,
                resamples,
                evaluations,
            },
            format,
            quiet,
            output.as_deref(),
        ),
        Command::Diff {
            old,
            new,
            data,
            scheme,
            period,
            explain,
        } => diff_cmd(&old, &new, &data, &scheme, period, explain),
        Command::Snapshot {
            file,
            data,
            schemes,
            all,
            period,
            dir,
            check,
            accept: _,
        } => snapshot_cmd(&file, &data, schemes, all, period, dir, check),
        Command::Orientation {
            file,
            data,
            scheme,
            period,
            format,
        } => orientation_cmd(&file, &data, &scheme, period, format),
        Command::Importance {
            file,
            data,
            scheme,
            period,
            format,
            output,
        } => importance_cmd(&file, &data, &scheme, period, format, output),
        Command::Stability {
            file,
            data,
            scheme,
            period,
            top,
            grid,
            format,
            output,
        } => stability_cmd(&file, &data, &scheme, period, top, grid, format, output),
        Command::Compare {
            file,
            data,
            schemes,
            all: _,
            period,
            top,
            explain,
            since,
            format,
        } => compare_cmd(&file, &data, schemes, period, top, explain, since, format),
        Command::Explain {
            file,
            scheme,
            format,
        } => explain_cmd(&file, &scheme, format),
        Command::Fmt {
            files,
            write,
            check,
        } => fmt_cmd(&files, write, check),
    }
}

fn check(files: &[PathBuf]) -> ExitCode {
    let mut worst = 0u8;
    for path in files {
        let (program, mut diags) = match qindex::check::load(path) {
            Ok(x) => x,
            Err(e) => {
                worst = worst.max(match fail(e, None) {
                    c if c == ExitCode::from(1) => 1,
                    _ => 2,
                });
                continue;
            }
        };
        let checked = qindex::check::check(&program);
        diags.extend(checked.diagnostics.iter().cloned());
        report(&diags, &program.sources);
        let errors = diags.iter().filter(|d| d.is_error()).count();
        if errors > 0 {
            summary(&diags);
            worst = worst.max(1);
            continue;
        }
        let warnings = diags.len();
        if let Some(plan) = checked.plan("default") {
            let groups = plan
                .nodes
                .iter()
                .filter(|n| n.kind == qindex::plan::NodeKind::Group)
                .count();
            let indicators = plan.indicators().count();
            say(&format!(
                "{}: ok — index `{}`: {groups} groups, {indicators} indicators{}{}\n",
                path.display(),
                plan.index.id,
                if checked.schemes.is_empty() {
                    String::new()
                } else {
                    format!("; schemes: {}", checked.schemes.join(", "))
                },
                if warnings > 0 {
                    format!(
                        "; {warnings} warning{}",
                        if warnings == 1 { "" } else { "s" }
                    )
                } else {
                    String::new()
                }
            ));
        }
    }
    ExitCode::from(worst)
}

fn explain_cmd(path: &Path, scheme: &str, format: ExplainFormat) -> ExitCode {
    let (program, diags) = match qindex::check::load(path) {
        Ok(x) => x,
        Err(e) => return fail(e, None),
    };
    if diags.iter().any(Diagnostic::is_error) {
        let mut all = diags;
        all.extend(qindex::check::check(&program).diagnostics);
        return fail(Error::Diagnostics(all), Some(&program.sources));
    }
    let (plan, warnings) = match qindex::check::compile(&program, scheme) {
        Ok(x) => x,
        Err(e) => return fail(e, Some(&program.sources)),
    };
    report(&warnings, &program.sources);
    let out = match format {
        ExplainFormat::Text => explain::explain_text(&plan),
        ExplainFormat::Json => explain::explain_json(&plan),
        ExplainFormat::Markdown => explain::methods_table(&plan, TableFormat::Markdown),
        ExplainFormat::Csv => explain::methods_table(&plan, TableFormat::Csv),
    };
    say(&out);
    ExitCode::SUCCESS
}

/// Loads, checks and compiles one scheme of a rules file, printing warnings.
fn compile_rules(
    path: &Path,
    scheme: &str,
) -> Result<(qindex::check::Program, qindex::plan::Plan), ExitCode> {
    let (program, diags) = match qindex::check::load(path) {
        Ok(x) => x,
        Err(e) => return Err(fail(e, None)),
    };
    if diags.iter().any(Diagnostic::is_error) {
        let mut all = diags;
        all.extend(qindex::check::check(&program).diagnostics);
        return Err(fail(Error::Diagnostics(all), Some(&program.sources)));
    }
    for (_, f) in program.sources.iter() {
        qindex::output::protect(&f.path);
    }
    match qindex::check::compile(&program, scheme) {
        Ok((plan, warnings)) => {
            report(&warnings, &program.sources);
            Ok((program, plan))
        }
        Err(e) => Err(fail(e, Some(&program.sources))),
    }
}

/// A content hash of every rules file of the program, for reproducibility headers.
fn rules_hash(program: &qindex::check::Program) -> String {
    let mut bytes = Vec::new();
    for (_, f) in program.sources.iter() {
        bytes.extend_from_slice(f.text.as_bytes());
        bytes.push(0);
    }
    qindex::data::content_hash(&bytes)
}

#[allow(clippy::too_many_arguments)]
fn run_cmd(
    path: &Path,
    data: &DataArgs,
    scheme: &str,
    period: Option<String>,
    filter: Option<String>,
    format: Option<RunFormat>,
    output: Option<PathBuf>,
    view: qindex::report::run::RunView,
) -> ExitCode {
    if format == Some(RunFormat::Xlsx) && output.is_none() {
        return fail(
            Error::Usage("--format xlsx writes a file: give it with --output PATH".into()),
            None,
        );
    }
    let timer = Timer::new();
    let (program, mut plan) = match compile_rules(path, scheme) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let mut sources = program.sources.clone();
    let filter_code = match filter {
        Some(text) => {
            let file = sources.add("--where", text.clone());
            match qindex::check::compile_condition(&mut plan, file, &text) {
                Ok(c) => Some(c),
                Err(ds) => return fail(Error::Diagnostics(ds), Some(&sources)),
            }
        }
        None => None,
    };
    let (frame, _) = match load_frame(&[&plan], data, &sources) {
        Ok(x) => x,
        Err(code) => return code,
    };
    timer.lap("rules and data loaded");
    let opts = qindex::eval::EvalOptions {
        period: period_choice(period.as_deref()),
        filter: filter_code,
    };
    let results = match qindex::eval::evaluate(&plan, &frame, &opts) {
        Ok(r) => r,
        Err(e) => return fail(e, Some(&sources)),
    };
    print_eval_warnings(&results.warnings);
    timer.lap("evaluated");
    let out = qindex::report::run::RunOutput {
        plan: &plan,
        frame: &frame,
        results: &results,
        rules_hash: rules_hash(&program),
        view,
    };
    let to_terminal = output.is_none() && std::io::stdout().is_terminal();
    let format = format.unwrap_or(if to_terminal {
        RunFormat::Table
    } else {
        RunFormat::Csv
    });
    let render = |w: &mut dyn Write| match format {
        RunFormat::Table => qindex::report::run::table(&out, w),
        RunFormat::Csv => qindex::report::run::csv(&out, w),
        RunFormat::Json => qindex::report::run::json(&out, w),
        RunFormat::Xlsx => qindex::report::xlsx::run(&out, w),
    };
    let written = match &output {
        Some(p) => qindex::output::write_atomic(p, render),
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            render(&mut lock)
                .and_then(|_| lock.flush())
                .map_err(|e| Error::io("standard output", e))
        }
    };
    timer.lap("written");
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Io { message, .. }) if message.contains("Broken pipe") => ExitCode::SUCCESS,
        Err(e) => fail(e, None),
    }
}

/// `qindex profile`: evaluates the chosen period and the one before, then profiles one unit.
fn profile_cmd(
    path: &Path,
    unit: &str,
    data: &DataArgs,
    scheme: &str,
    period: Option<String>,
    format: ProfileFormat,
) -> ExitCode {
    use qindex::eval::{evaluate, sorted_periods, EvalOptions, PeriodChoice};
    let (program, plan) = match compile_rules(path, scheme) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let sources = &program.sources;
    let (frame, _) = match load_frame(&[&plan], data, sources) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if period.as_deref() == Some("all") {
        return fail(
            Error::Usage("--period all: a profile is of one period; name it".into()),
            None,
        );
    }
    let choice = period.map_or(PeriodChoice::Latest, PeriodChoice::One);
    let current = match evaluate(
        &plan,
        &frame,
        &EvalOptions {
            period: choice,
            filter: None,
        },
    ) {
        Ok(r) => r,
        Err(e) => return fail(e, Some(sources)),
    };
    let Some(now) = current.periods.first() else {
        return fail(Error::Usage("the data has no rows to profile".into()), None);
    };
    let at = match qindex::analysis::profile::find_unit(&frame, now, unit) {
        Ok(i) => i,
        Err(e) => return fail(e, None),
    };
    print_eval_warnings(&current.warnings);
    // The period before, when the data is a panel: evaluated on its own, as `run` would.
    let periods = sorted_periods(&frame);
    let before = now
        .period
        .as_ref()
        .and_then(|p| periods.iter().position(|q| q == p))
        .filter(|i| *i > 0)
        .map(|i| periods[i - 1].clone());
    let previous = match before {
        Some(p) => {
            let opts = EvalOptions {
                period: PeriodChoice::One(p),
                filter: None,
            };
            match evaluate(&plan, &frame, &opts) {
                Ok(r) => Some(r),
                Err(e) => return fail(e, Some(sources)),
            }
        }
        None => None,
    };
    let prev = previous.as_ref().and_then(|r| r.periods.first());
    let profile = qindex::analysis::profile::profile(&plan, &frame, now, prev, at);
    let out = match format {
        ProfileFormat::Text => qindex::report::profile::text(&profile),
        ProfileFormat::Json => qindex::report::profile::json(&profile),
    };
    say(&out);
    ExitCode::SUCCESS
}

/// `qindex stats`: evaluates one period and prints its coherence report.
fn stats_cmd(
    path: &Path,
    data: &DataArgs,
    scheme: &str,
    period: Option<String>,
    format: ProfileFormat,
) -> ExitCode {
    use qindex::eval::{evaluate, EvalOptions, PeriodChoice};
    let (program, plan) = match compile_rules(path, scheme) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let sources = &program.sources;
    let (frame, _) = match load_frame(&[&plan], data, sources) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if period.as_deref() == Some("all") {
        return fail(
            Error::Usage("--period all: statistics are of one period; name it".into()),
            None,
        );
    }
    let opts = EvalOptions {
        period: period.map_or(PeriodChoice::Latest, PeriodChoice::One),
        filter: None,
    };
    let results = match evaluate(&plan, &frame, &opts) {
        Ok(r) => r,
        Err(e) => return fail(e, Some(sources)),
    };
    print_eval_warnings(&results.warnings);
    let Some(result) = results.periods.first() else {
        return fail(Error::Usage("the data has no rows to analyse".into()), None);
    };
    let coherence = qindex::analysis::coherence(&plan, result);
    let out = match format {
        ProfileFormat::Text => qindex::report::stats::text(&plan, &coherence),
        ProfileFormat::Json => qindex::report::stats::json(&plan, &coherence),
    };
    say(&out);
    ExitCode::SUCCESS
}

/// Evaluation warnings, one line each with their counts.
fn print_eval_warnings(warnings: &[qindex::eval::Warning]) {
    let mut err = std::io::stderr().lock();
    for w in warnings {
        let mut at = Vec::new();
        if let Some(n) = &w.node {
            at.push(format!("`{n}`"));
        }
        if let Some(u) = &w.unit {
            at.push(format!("unit {u}"));
        }
        if let Some(p) = &w.period {
            at.push(format!("period {p}"));
        }
        let at = if at.is_empty() {
            String::new()
        } else {
            format!(" [{}]", at.join(", "))
        };
        let count = if w.count > 1 {
            format!(" ({}×)", w.count)
        } else {
            String::new()
        };
        let _ = writeln!(err, "warning{at}: {}{count}", w.message);
    }
}

/// `qindex fmt`: prints, rewrites (`--write`, through a temporary file renamed over the
/// original) or checks (`--check`) each file; a file with a syntax error is left alone.
fn fmt_cmd(files: &[PathBuf], write: bool, check: bool) -> ExitCode {
    let mut worst = 0u8;
    for path in files {
        let stdin = path.as_os_str() == "-";
        let text = if stdin {
            let mut t = String::new();
            match std::io::Read::read_to_string(&mut std::io::stdin(), &mut t) {
                Ok(_) => t,
                Err(e) => {
                    eprintln!("error: standard input: {e}");
                    worst = 2;
                    continue;
                }
            }
        } else {
            match qindex::check::load::read_rules(path) {
                Ok(t) => t,
                Err(e) => {
                    worst = worst.max(match fail(e, None) {
                        c if c == ExitCode::from(1) => 1,
                        _ => 2,
                    });
                    continue;
                }
            }
        };
        let formatted = match qindex::syntax::fmt::format_source(&text) {
            Ok(f) => f,
            Err(d) => {
                let mut sources = Sources::new();
                sources.add(if stdin { Path::new("<stdin>") } else { path }, text);
                fail(Error::Diagnostics(vec![*d]), Some(&sources));
                worst = worst.max(1);
                continue;
            }
        };
        if check {
            if formatted != text {
                println!("{}", path.display());
                worst = worst.max(1);
            }
        } else if write && !stdin {
            if formatted != text {
                if let Err(e) =
                    qindex::output::write_atomic(path, |w| w.write_all(formatted.as_bytes()))
                {
                    eprintln!("error: {e}");
                    worst = 2;
                }
            }
        } else {
            say(&formatted);
        }
    }
    ExitCode::from(worst)
}

#[allow(clippy::too_many_arguments)]
fn compare_cmd(
    path: &Path,
    data: &DataArgs,
    schemes: Vec<String>,
    period: Option<String>,
    top: usize,
    explain: Option<String>,
    since: Option<String>,
    format: CompareFormat,
) -> ExitCode {
    let (program, diags) = match qindex::check::load(path) {
        Ok(x) => x,
        Err(e) => return fail(e, None),
    };
    let checked = qindex::check::check(&program);
    if diags
        .iter()
        .chain(&checked.diagnostics)
        .any(Diagnostic::is_error)
    {
        let mut all = diags;
        all.extend(checked.diagnostics);
        return fail(Error::Diagnostics(all), Some(&program.sources));
    }
    let names: Vec<String> = if since.is_some() {
        vec![schemes.first().cloned().unwrap_or_else(|| "default".into())]
    } else if schemes.is_empty() {
        std::iter::once("default".to_string())
            .chain(checked.schemes.iter().cloned())
            .collect()
    } else {
        schemes
    };
    let mut plans = Vec::new();
    for name in &names {
        match qindex::check::compile(&program, name) {
            Ok((plan, _)) => plans.push(plan),
            Err(e) => return fail(e, Some(&program.sources)),
        }
    }
    if plans.len() < 2 && since.is_none() {
        return fail(Error::Usage("compare needs at least two schemes: name them with --scheme, or declare schemes in the rules".into()), None);
    }
    let refs: Vec<&qindex::plan::Plan> = plans.iter().collect();
    let (frame, _) = match load_frame(&refs, data, &program.sources) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let opts = qindex::eval::EvalOptions {
        period: match one_period(period.as_deref()) {
            Ok(p) => p,
            Err(code) => return code,
        },
        filter: None,
    };
    let mut results = Vec::new();
    let mut names = names;
    if let Some(earlier) = &since {
        // One scheme in two periods: the earlier one first, as the baseline.
        plans.push(plans[0].clone());
        let earlier_opts = qindex::eval::EvalOptions {
            period: qindex::eval::PeriodChoice::One(earlier.clone()),
            filter: None,
        };
        for o in [&earlier_opts, &opts] {
            match qindex::eval::evaluate(&plans[0], &frame, o) {
                Ok(r) => results.push(r),
                Err(e) => return fail(e, Some(&program.sources)),
            }
        }
        names = results
            .iter()
            .map(|r| r.periods[0].period.clone().unwrap_or_default())
            .collect();
    } else {
        for plan in &plans {
            match qindex::eval::evaluate(plan, &frame, &opts) {
                Ok(r) => results.push(r),
                Err(e) => return fail(e, Some(&program.sources)),
            }
        }
    }
    let periods: Vec<&qindex::eval::PeriodResult> = results.iter().map(|r| &r.periods[0]).collect();
    let comparison = qindex::analysis::compare::compare(&frame, &names, &periods, top);
    let mut out = match format {
        CompareFormat::Table => qindex::report::compare::text(&comparison, None),
        CompareFormat::Csv => qindex::report::compare::csv(&comparison),
        CompareFormat::Json => qindex::report::compare::json(&comparison),
    };
    if format == CompareFormat::Table {
        out.push_str(
            "\norientation: nominal weight / importance in the data (see `qindex orientation`)\n",
        );
        for ((plan, p), name) in plans.iter().zip(&periods).zip(&names) {
            let o = qindex::analysis::orientation::orientation(plan, p);
            let parts: Vec<String> = o
                .tags
                .iter()
                .map(|t| {
                    format!(
                        "{} {:.0}% / {:.0}%",
                        t.tag.as_deref().unwrap_or("untagged"),
                        t.nominal * 100.0,
                        t.importance * 100.0
                    )
                })
                .collect();
            // The compared versions' names: schemes, or periods with --since.
            out.push_str(&format!("  {name}: {}\n", parts.join(", ")));
        }
    }
    // Without --explain, the table explains the biggest mover up and down, so one command
    // says what changes and why.
    if explain.is_none() && format == CompareFormat::Table {
        let movers = &comparison.movers;
        for m in movers.up.iter().take(1).chain(movers.down.iter().take(1)) {
            let k = names.iter().position(|n| *n == m.scheme).unwrap_or(1);
            if let Some(mut d) = qindex::analysis::compare::decompose(
                &frame,
                [&plans[0], &plans[k]],
                [periods[0], periods[k]],
                &m.unit,
            ) {
                (d.a, d.b) = (names[0].clone(), names[k].clone());
                out.push('\n');
                out.push_str(&qindex::report::compare::decomposition_text(&d));
            }
        }
    }
    if let Some(unit) = explain {
        let unit = match qindex::analysis::profile::find_unit(&frame, periods[0], &unit) {
            Ok(row) => frame.units().get(periods[0].rows[row]).to_string(),
            Err(e) => return fail(e, None),
        };
        let mut explained = Vec::new();
        for k in 1..plans.len() {
            if let Some(mut d) = qindex::analysis::compare::decompose(
                &frame,
                [&plans[0], &plans[k]],
                [periods[0], periods[k]],
                &unit,
            ) {
                // The compared versions' names: schemes, or periods with --since.
                (d.a, d.b) = (names[0].clone(), names[k].clone());
                explained.push(d);
            }
        }
        match format {
            // JSON stays one document: the decompositions go in under `explanations`.
            CompareFormat::Json => {
                out = qindex::report::compare::json_explained(&comparison, Some(&explained));
            }
            // CSV is one table: the decompositions are text, for the table or JSON.
            CompareFormat::Csv => {
                return fail(
                    Error::Usage(
                        "--explain with --format csv: the decomposition is not one table; use --format table or json".into(),
                    ),
                    None,
                );
            }
            CompareFormat::Table => {
                for d in &explained {
                    out.push('\n');
                    out.push_str(&qindex::report::compare::decomposition_text(d));
                }
            }
        }
    }
    say(&out);
    ExitCode::SUCCESS
}

fn orientation_cmd(
    path: &Path,
    data: &DataArgs,
    scheme: &str,
    period: Option<String>,
    format: OrientationFormat,
) -> ExitCode {
    let (program, plan) = match compile_rules(path, scheme) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let (frame, _) = match load_frame(&[&plan], data, &program.sources) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let opts = qindex::eval::EvalOptions {
        period: match one_period(period.as_deref()) {
            Ok(p) => p,
            Err(code) => return code,
        },
        filter: None,
    };
    let results = match qindex::eval::evaluate(&plan, &frame, &opts) {
        Ok(r) => r,
        Err(e) => return fail(e, Some(&program.sources)),
    };
    let o = qindex::analysis::orientation::orientation(&plan, &results.periods[0]);
    let out = match format {
        OrientationFormat::Table => qindex::report::orientation::text(&o),
        OrientationFormat::Json => qindex::report::orientation::json(&o),
    };
    say(&out);
    ExitCode::SUCCESS
}

/// `qindex importance`: evaluates one period and estimates each node's main effect.
fn importance_cmd(
    path: &Path,
    data: &DataArgs,
    scheme: &str,
    period: Option<String>,
    format: CompareFormat,
    output: Option<PathBuf>,
) -> ExitCode {
    use qindex::analysis::importance;
    let (program, plan) = match compile_rules(path, scheme) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let (frame, _) = match load_frame(&[&plan], data, &program.sources) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let opts = qindex::eval::EvalOptions {
        period: match one_period(period.as_deref()) {
            Ok(p) => p,
            Err(code) => return code,
        },
        filter: None,
    };
    let results = match qindex::eval::evaluate(&plan, &frame, &opts) {
        Ok(r) => r,
        Err(e) => return fail(e, Some(&program.sources)),
    };
    let r = importance::importance(&plan, &results.periods[0]);
    for w in &r.warnings {
        eprintln!("warning: {w}");
    }
    let out = match format {
        CompareFormat::Table => qindex::report::importance::table(&r),
        CompareFormat::Csv => qindex::report::importance::csv(&r),
        CompareFormat::Json => qindex::report::importance::json(&r),
    };
    emit(&out, output.as_deref())
}

/// `qindex stability`: moves each weight over its range and finds where the top N changes.
#[allow(clippy::too_many_arguments)]
fn stability_cmd(
    path: &Path,
    data: &DataArgs,
    scheme: &str,
    period: Option<String>,
    top: usize,
    grid: bool,
    format: OrientationFormat,
    output: Option<PathBuf>,
) -> ExitCode {
    use qindex::analysis::stability;
    if top == 0 {
        return fail(Error::Usage("--top 0: give N of at least 1".into()), None);
    }
    let (program, plan) = match compile_rules(path, scheme) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let (frame, _) = match load_frame(&[&plan], data, &program.sources) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let opts = stability::Options {
        top,
        grid_only: grid,
        period: match one_period(period.as_deref()) {
            Ok(p) => p,
            Err(code) => return code,
        },
    };
    let s = match stability::stability(&plan, &frame, &opts) {
        Ok(s) => s,
        Err(e) => return fail(e, Some(&program.sources)),
    };
    let out = match format {
        OrientationFormat::Table => qindex::report::stability::table(&s),
        OrientationFormat::Json => qindex::report::stability::json(&s),
    };
    emit(&out, output.as_deref())
}

/// Writes a report to `--output` (atomically) or to standard output.
fn emit(text: &str, output: Option<&Path>) -> ExitCode {
    match output {
        Some(p) => match qindex::output::write_atomic(p, |w| w.write_all(text.as_bytes())) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e, None),
        },
        None => {
            say(text);
            ExitCode::SUCCESS
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn snapshot_cmd(
    path: &Path,
    data: &DataArgs,
    schemes: Vec<String>,
    all: bool,
    period: Option<String>,
    dir: Option<PathBuf>,
    check: bool,
) -> ExitCode {
    let (program, diags) = match qindex::check::load(path) {
        Ok(x) => x,
        Err(e) => return fail(e, None),
    };
    let checked = qindex::check::check(&program);
    if diags
        .iter()
        .chain(&checked.diagnostics)
        .any(Diagnostic::is_error)
    {
        let mut everything = diags;
        everything.extend(checked.diagnostics);
        return fail(Error::Diagnostics(everything), Some(&program.sources));
    }
    let names: Vec<String> = if all {
        std::iter::once("default".to_string())
            .chain(checked.schemes.iter().cloned())
            .collect()
    } else if schemes.is_empty() {
        vec!["default".to_string()]
    } else {
        schemes
    };
    let mut plans = Vec::new();
    for name in &names {
        match qindex::check::compile(&program, name) {
            Ok((plan, _)) => plans.push(plan),
            Err(e) => return fail(e, Some(&program.sources)),
        }
    }
    let refs: Vec<&qindex::plan::Plan> = plans.iter().collect();
    let (frame, data_path) = match load_frame(&refs, data, &program.sources) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let opts = qindex::eval::EvalOptions {
        period: match one_period(period.as_deref()) {
            Ok(p) => p,
            Err(code) => return code,
        },
        filter: None,
    };
    let mut results = Vec::new();
    for plan in &plans {
        match qindex::eval::evaluate(plan, &frame, &opts) {
            Ok(r) => results.push(r),
            Err(e) => return fail(e, Some(&program.sources)),
        }
    }
    let runs: Vec<qindex::report::snapshot::SchemeRun> = plans
        .iter()
        .zip(&results)
        .map(|(plan, r)| qindex::report::snapshot::SchemeRun {
            plan,
            result: &r.periods[0],
        })
        .collect();
    let header = qindex::report::snapshot::Header {
        rules: program
            .sources
            .iter()
            .map(|(_, f)| {
                (
                    f.path.display().to_string(),
                    qindex::data::content_hash(f.text.as_bytes()),
                )
            })
            .collect(),
        data: (
            data_path.display().to_string(),
            frame.content_hash().to_string(),
        ),
        period: results[0].periods[0].period.clone(),
    };
    let text = qindex::report::snapshot::render(&header, &frame, &runs);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rules".into());
    let folder = dir.unwrap_or_else(|| path.parent().map(Path::to_path_buf).unwrap_or_default());
    let target = folder.join(format!("{stem}.qisnap"));
    if check {
        let old = match std::fs::read_to_string(&target) {
            Ok(t) => t,
            Err(_) => {
                eprintln!(
                    "error: there is no snapshot {} to check against; write one with `qindex snapshot {}`",
                    target.display(),
                    path.display()
                );
                return ExitCode::from(1);
            }
        };
        return match qindex::report::snapshot::review(&old, &text) {
            None => {
                say(&format!("{}: results unchanged\n", target.display()));
                ExitCode::SUCCESS
            }
            Some(review) => {
                say(&format!(
                    "{}: results changed\n\n{review}accept the new results with `qindex snapshot {} --accept`\n",
                    target.display(),
                    path.display()
                ));
                ExitCode::from(1)
            }
        };
    }
    match qindex::output::write_atomic(&target, |w| w.write_all(text.as_bytes())) {
        Ok(()) => {
            say(&format!("wrote {}\n", target.display()));
            ExitCode::SUCCESS
        }
        Err(e) => fail(e, None),
    }
}

/// Loads the data the plans read (`--data`, else the rules' `data "PATH"`), once for all of
/// them, printing the data's warnings; returns the frame and the file's path.
fn load_frame(
    plans: &[&qindex::plan::Plan],
    data: &DataArgs,
    sources: &Sources,
) -> Result<(qindex::data::Frame, PathBuf), ExitCode> {
    let loaded = data.options().and_then(|opts| {
        let path = qindex::eval::data_path(plans[0], &opts)?;
        qindex::output::protect(&path);
        let (frame, warnings) = qindex::eval::load_data_for(plans, &path, &opts)?;
        Ok((frame, warnings, path))
    });
    match loaded {
        Ok((frame, warnings, path)) => {
            report(&warnings, sources);
            Ok((frame, path))
        }
        Err(e) => Err(fail(e, Some(sources))),
    }
}

/// `--period` for the commands that look at one period: `all` is refused.
fn one_period(period: Option<&str>) -> Result<qindex::eval::PeriodChoice, ExitCode> {
    match period {
        Some("all") => Err(fail(
            Error::Usage("--period all: this command looks at one period; name it".into()),
            None,
        )),
        p => Ok(period_choice(p)),
    }
}

/// `--period`: the latest by default, `all`, or one period.
fn period_choice(period: Option<&str>) -> qindex::eval::PeriodChoice {
    match period {
        None => qindex::eval::PeriodChoice::Latest,
        Some("all") => qindex::eval::PeriodChoice::All,
        Some(p) => qindex::eval::PeriodChoice::One(p.to_string()),
    }
}

/// `qindex uncertainty`: compiles `default` and every scheme the block chooses from, loads the
/// data once for all of them, and runs the Monte Carlo.
#[allow(clippy::too_many_arguments)]
fn uncertainty_cmd(
    path: &Path,
    data: &DataArgs,
    period: Option<String>,
    samples: Option<u64>,
    seed: Option<u64>,
    top: Option<u64>,
    format: CompareFormat,
    quiet: bool,
    output: Option<&Path>,
    audit: Audit,
) -> ExitCode {
    let (program, base) = match compile_rules(path, "default") {
        Ok(x) => x,
        Err(code) => return code,
    };
    let Some(unc) = base.uncertainty.clone() else {
        return fail(
            Error::Usage(format!(
                "{}: the rules have no `uncertainty` block",
                path.display()
            )),
            None,
        );
    };
    let schemes = match qindex::sensitivity::scheme_plans(&program, &unc) {
        Ok(s) => s,
        Err(e) => return fail(e, Some(&program.sources)),
    };
    let mut refs: Vec<&qindex::plan::Plan> = vec![&base];
    refs.extend(schemes.iter());
    let (frame, _) = match load_frame(&refs, data, &program.sources) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let samples = samples.unwrap_or(unc.samples);
    let interrupted = on_ctrl_c();
    let show_progress = !quiet && std::io::stderr().is_terminal();
    let progress = |done: u64| {
        eprint!("\r{done}/{samples} replications");
        if done == samples {
            eprint!("\r{}\r", " ".repeat(40));
        }
    };
    let opts = qindex::sensitivity::uncertainty::Options {
        samples,
        seed: seed.unwrap_or(unc.seed),
        top_n: top.map(|t| t as usize),
        period: match one_period(period.as_deref()) {
            Ok(p) => p,
            Err(code) => return code,
        },
        progress: if show_progress { Some(&progress) } else { None },
        interrupted: &|| interrupted.load(std::sync::atomic::Ordering::Relaxed),
    };
    let variants = match qindex::check::Variants::new(&program) {
        Ok(v) => v,
        Err(e) => return fail(e, Some(&program.sources)),
    };
    let plans = qindex::sensitivity::uncertainty::Plans {
        base: &base,
        schemes: schemes.iter().collect(),
        variants: &variants,
    };
    use qindex::sensitivity::audit;
    if let Some(r) = audit.replay {
        return match audit::replay(&plans, &frame, &opts, r, path) {
            Ok(text) => emit(&text, output),
            Err(e) => fail(e, Some(&program.sources)),
        };
    }
    if audit.configurations {
        return match audit::configurations(&plans, &frame, &opts) {
            Ok(c) => emit(
                &match format {
                    CompareFormat::Json => qindex::report::audit::configurations_json(&c),
                    _ => qindex::report::audit::configurations_table(&c),
                },
                output,
            ),
            Err(e) => fail(e, Some(&program.sources)),
        };
    }
    if let Some(path) = &audit.replications {
        let lines = match audit::replications(&plans, &frame, &opts) {
            Ok(l) => l,
            Err(e) => return fail(e, Some(&program.sources)),
        };
        if let Err(e) = qindex::output::write_atomic(path, |w| w.write_all(lines.as_bytes())) {
            return fail(e, None);
        }
    }
    let summary = match qindex::sensitivity::uncertainty::run(&plans, &frame, &opts) {
        Ok(s) => s,
        Err(e) => return fail(e, Some(&program.sources)),
    };
    for (code, count) in &summary.warnings {
        eprintln!("warning[{code}]: {count} times over the replications");
    }
    let out = match format {
        CompareFormat::Table => qindex::report::uncertainty::table(&summary),
        CompareFormat::Csv => qindex::report::uncertainty::csv(&summary),
        CompareFormat::Json => qindex::report::uncertainty::json(&summary),
    };
    emit(&out, output)
}

/// The audit outputs of `qindex uncertainty` (docs/checking-uncertainty.md).
struct Audit {
    replications: Option<PathBuf>,
    replay: Option<u64>,
    configurations: bool,
}

/// A flag that the first Ctrl-C sets (long runs check it and stop without writing); a second
/// Ctrl-C exits at once.
fn on_ctrl_c() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    use signal_hook::consts::SIGINT;
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Registration fails only on platforms without signals; Ctrl-C then kills as usual.
    let _ = signal_hook::flag::register_conditional_shutdown(SIGINT, 130, flag.clone());
    let _ = signal_hook::flag::register(SIGINT, flag.clone());
    flag
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SensitivityTarget {
    Marc,
    Rank,
    Score,
}

struct SensitivityRun {
    samples: Option<usize>,
    seed: Option<u64>,
    target: SensitivityTarget,
    resamples: usize,
    evaluations: Option<PathBuf>,
}

/// `qindex sensitivity`: the same plans and data as `uncertainty`, a Saltelli design over the
/// block's factors, Sobol' indices with bootstrap intervals.
fn sensitivity_cmd(
    path: &Path,
    data: &DataArgs,
    period: Option<String>,
    run: SensitivityRun,
    format: CompareFormat,
    quiet: bool,
    output: Option<&Path>,
) -> ExitCode {
    use qindex::sensitivity::indices;
    let (program, base) = match compile_rules(path, "default") {
        Ok(x) => x,
        Err(code) => return code,
    };
    let Some(unc) = base.uncertainty.clone() else {
        return fail(
            Error::Usage(format!(
                "{}: the rules have no `uncertainty` block: its lines are the factors of the sensitivity analysis (see LANGUAGE.md, \"Uncertainty\")",
                path.display()
            )),
            None,
        );
    };
    let schemes = match qindex::sensitivity::scheme_plans(&program, &unc) {
        Ok(s) => s,
        Err(e) => return fail(e, Some(&program.sources)),
    };
    let mut refs: Vec<&qindex::plan::Plan> = vec![&base];
    refs.extend(schemes.iter());
    let (frame, _) = match load_frame(&refs, data, &program.sources) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let interrupted = on_ctrl_c();
    let show_progress = !quiet && std::io::stderr().is_terminal();
    let progress = |done: usize, total: usize| {
        eprint!("\r{done}/{total} evaluations");
        if done == total {
            eprint!("\r{}\r", " ".repeat(40));
        }
    };
    let opts = indices::Options {
        samples: run.samples.unwrap_or(unc.samples as usize),
        seed: run.seed.unwrap_or(unc.seed),
        target: match run.target {
            SensitivityTarget::Marc => indices::Target::Marc,
            SensitivityTarget::Rank => indices::Target::Rank,
            SensitivityTarget::Score => indices::Target::Score,
        },
        period: match one_period(period.as_deref()) {
            Ok(p) => p,
            Err(code) => return code,
        },
        resamples: run.resamples,
        progress: if show_progress { Some(&progress) } else { None },
        interrupted: &|| interrupted.load(std::sync::atomic::Ordering::Relaxed),
    };
    let variants = match qindex::check::Variants::new(&program) {
        Ok(v) => v,
        Err(e) => return fail(e, Some(&program.sources)),
    };
    let plans = qindex::sensitivity::kernel::Plans {
        base: &base,
        schemes: schemes.iter().collect(),
        variants: &variants,
    };
    if let Some(path) = &run.evaluations {
        let lines = match qindex::sensitivity::audit::evaluations(&plans, &frame, &opts) {
            Ok(l) => l,
            Err(e) => return fail(e, Some(&program.sources)),
        };
        if let Err(e) = qindex::output::write_atomic(path, |w| w.write_all(lines.as_bytes())) {
            return fail(e, None);
        }
    }
    let report = match indices::run(&plans, &frame, &opts) {
        Ok(r) => r,
        Err(e) => return fail(e, Some(&program.sources)),
    };
    for (code, count) in &report.warnings {
        eprintln!("warning[{code}]: {count} times over the evaluations");
    }
    let out = match format {
        CompareFormat::Table => qindex::report::sensitivity::table(&report),
        CompareFormat::Csv => qindex::report::sensitivity::csv(&report),
        CompareFormat::Json => qindex::report::sensitivity::json(&report),
    };
    emit(&out, output)
}

/// A count given on the command line: a whole number, 1 or more.
fn at_least_one(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("it must be 1 or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

/// A failed write to standard output other than a closed pipe (a full disk, say): the
/// command then exits 2 with a message instead of losing its output silently.
static STDOUT_FAILED: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Prints to standard output; a closed pipe (`| head`) is not an error, any other failure is
/// remembered for the exit code ([`finish_stdout`]).
fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let mut failed = STDOUT_FAILED.lock().unwrap_or_else(|e| e.into_inner());
            failed.get_or_insert_with(|| e.to_string());
        }
    }
}

/// `code`, or 2 with a message when writing to standard output failed.
fn finish_stdout(code: ExitCode) -> ExitCode {
    let failed = STDOUT_FAILED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    match failed {
        Some(e) => {
            eprintln!("error: writing to standard output: {e}");
            ExitCode::from(2)
        }
        None => code,
    }
}

fn diff_cmd(
    old: &Path,
    new: &Path,
    data: &DataArgs,
    scheme: &str,
    period: Option<String>,
    explain: Option<String>,
) -> ExitCode {
    let mut sides = Vec::new();
    for path in [old, new] {
        match compile_rules(path, scheme) {
            Ok(x) => sides.push(x),
            Err(code) => return code,
        }
    }
    let (new_program, new_plan) = sides.pop().expect("two sides");
    let (old_program, old_plan) = sides.pop().expect("two sides");
    let data_opts = match data.options() {
        Ok(o) => o,
        Err(e) => return fail(e, None),
    };
    let data_path = match qindex::eval::data_path(&new_plan, &data_opts) {
        Ok(p) if p.to_string_lossy().starts_with("git:") => {
            return fail(
                Error::Usage("the new rules come from git: give the data with --data PATH".into()),
                None,
            )
        }
        Ok(p) => p,
        Err(e) => return fail(e, None),
    };
    let (frame, _) =
        match qindex::eval::load_data_for(&[&old_plan, &new_plan], &data_path, &data_opts) {
            Ok(x) => x,
            Err(e) => return fail(e, Some(&new_program.sources)),
        };
    let opts = qindex::eval::EvalOptions {
        period: match one_period(period.as_deref()) {
            Ok(p) => p,
            Err(code) => return code,
        },
        filter: None,
    };
    let mut results = Vec::new();
    for (plan, program) in [(&old_plan, &old_program), (&new_plan, &new_program)] {
        match qindex::eval::evaluate(plan, &frame, &opts) {
            Ok(r) => results.push(r),
            Err(e) => return fail(e, Some(&program.sources)),
        }
    }
    let render =
        |program: &qindex::check::Program, plan: &qindex::plan::Plan, r: &qindex::eval::Results| {
            let header = qindex::report::snapshot::Header {
                rules: program
                    .sources
                    .iter()
                    .map(|(_, f)| {
                        (
                            f.path.display().to_string(),
                            qindex::data::content_hash(f.text.as_bytes()),
                        )
                    })
                    .collect(),
                data: (
                    data_path.display().to_string(),
                    frame.content_hash().to_string(),
                ),
                period: r.periods[0].period.clone(),
            };
            qindex::report::snapshot::render(
                &header,
                &frame,
                &[qindex::report::snapshot::SchemeRun {
                    plan,
                    result: &r.periods[0],
                }],
            )
        };
    let (a, b) = (
        render(&old_program, &old_plan, &results[0]),
        render(&new_program, &new_plan, &results[1]),
    );
    let mut out = format!(
        "{} → {} (scheme {scheme})\n\n",
        old.display(),
        new.display()
    );
    match qindex::report::snapshot::review(&a, &b) {
        None => out.push_str("no difference in the plan or the results\n"),
        Some(review) => out.push_str(&review),
    }
    // Why the biggest movers moved.
    let (pa, pb) = (&results[0].periods[0], &results[1].periods[0]);
    let mut movers: Vec<(i64, String)> = (0..pa.len())
        .filter(|i| {
            pa.final_rank[*i] != 0
                && pb.final_rank[*i] != 0
                && pa.final_rank[*i] != pb.final_rank[*i]
        })
        .map(|i| {
            (
                (pa.final_rank[i] as i64 - pb.final_rank[i] as i64).abs(),
                frame.units().get(pa.rows[i]).to_string(),
            )
        })
        .collect();
    movers.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    movers.truncate(3);
    if let Some(unit) = explain {
        match qindex::analysis::profile::find_unit(&frame, pa, &unit) {
            Ok(row) => {
                let unit = frame.units().get(pa.rows[row]).to_string();
                movers.retain(|m| m.1 != unit);
                movers.insert(0, (0, unit));
            }
            Err(e) => return fail(e, None),
        }
    }
    for (_, unit) in &movers {
        if let Some(mut d) =
            qindex::analysis::compare::decompose(&frame, [&old_plan, &new_plan], [pa, pb], unit)
        {
            (d.a, d.b) = ("old".into(), "new".into());
            out.push('\n');
            out.push_str(&qindex::report::compare::decomposition_text(&d));
        }
    }
    say(&out);
    ExitCode::SUCCESS
}

/// Phase timings on standard error when `QINDEX_TIMINGS` is set: for finding where the time of a
/// large run goes.
struct Timer {
    start: std::time::Instant,
    on: bool,
}

impl Timer {
    fn new() -> Timer {
        Timer {
            start: std::time::Instant::now(),
            on: std::env::var_os("QINDEX_TIMINGS").is_some(),
        }
    }

    fn lap(&self, what: &str) {
        if self.on {
            eprintln!(
                "timing: {what} at {:.3} s",
                self.start.elapsed().as_secs_f64()
            );
        }
    }
}

//! `qindex sensitivity`: Sobol' indices of the `uncertainty` block's factors.

use super::args::{one_period, DataArgs, OutArgs};
use super::emit::{self, Cx, Format, Outcome};
use qindex::sensitivity::{audit, indices, kernel};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The rules file.
    file: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// The period (default: the latest).
    #[arg(long)]
    period: Option<String>,
    /// Base samples N; the design evaluates N·(factors + 2) plans (default: `samples` of
    /// the uncertainty block). A power of two keeps the Sobol' points balanced.
    #[arg(long, value_parser = super::args::at_least_one)]
    samples: Option<u64>,
    /// The seed of the scrambled Sobol' sequence and of the bootstrap (default: `seed` of
    /// the uncertainty block).
    #[arg(long)]
    seed: Option<u64>,
    /// What the indices are of: marc (one number per evaluation, the default), rank or
    /// score (one set of indices per unit).
    #[arg(long, value_enum, default_value_t = Target::Marc)]
    target: Target,
    /// Bootstrap resamples for the 95% intervals.
    #[arg(long, default_value_t = 100)]
    resamples: usize,
    /// table (the default), csv or json (`qindex.sensitivity/1`, see docs/sensitivity-json.md).
    #[arg(long, value_enum, hide_possible_values = true)]
    format: Option<Format>,
    /// Also write what each evaluation of the design drew and gave, as JSON Lines, to
    /// this file (see docs/checking-uncertainty.md).
    #[arg(long, value_name = "PATH")]
    evaluations: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Target {
    Marc,
    Rank,
    Score,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let all = [Format::Table, Format::Csv, Format::Json];
    let format = cx.format("sensitivity", a.format, &all, Format::Table)?;
    let period = one_period(a.period.as_deref())?;
    let session = cx.session(&a.file)?;
    let (base, unc, schemes) = session.uncertainty(
        "its lines are the factors of the sensitivity analysis (see LANGUAGE.md, \"Uncertainty\")",
    )?;
    cx.diagnostics(&session.warnings_for(&["default"]));
    let mut plans_read = vec![base];
    plans_read.extend(schemes.iter().copied());
    let frame = cx.bind(&session, &plans_read, &a.data)?;
    let interrupted = emit::cooperate();
    let counter = cx.progress("evaluations");
    let progress = counter
        .as_ref()
        .map(|c| move |done: usize, total: usize| c(done as u64, total as u64));
    let opts = indices::Options {
        samples: a.samples.map_or(unc.samples as usize, |n| n as usize),
        seed: a.seed.unwrap_or(unc.seed),
        target: match a.target {
            Target::Marc => indices::Target::Marc,
            Target::Rank => indices::Target::Rank,
            Target::Score => indices::Target::Score,
        },
        period,
        resamples: a.resamples,
        progress: progress.as_ref().map(|p| p as &dyn Fn(usize, usize)),
        interrupted: &interrupted,
    };
    let variants = session.variants()?;
    let plans = kernel::Plans {
        base,
        schemes,
        variants: &variants,
    };
    if let Some(path) = &a.evaluations {
        let lines = audit::evaluations(&plans, frame, &opts)?;
        emit::write_atomic(path, |w| w.write_all(lines.as_bytes()))?;
    }
    let report = indices::run(&plans, frame, &opts)?;
    cx.counted_warnings(&report.warnings, "over the evaluations");
    cx.emit(&match format {
        Format::Csv => indices::csv(&report),
        Format::Json => indices::json(&report),
        _ => indices::table(&report),
    })
}

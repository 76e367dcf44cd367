//! `qindex sensitivity`: Sobol' indices of the `uncertainty` block's factors.

use super::args::{one_period, OutArgs, Sampled};
use super::emit::{self, Cx, Format, Outcome};
use qindex::sensitivity::{audit, indices, kernel};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    on: Sampled,
    /// What the indices are of: marc (one number per evaluation, the default), rank or
    /// score (one set of indices per unit).
    #[arg(long, value_enum, default_value_t = Target::Marc)]
    target: Target,
    /// Bootstrap resamples for the 95% intervals.
    #[arg(long, default_value_t = 100)]
    resamples: usize,
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
    let format = cx.format("sensitivity", &all, Format::Table)?;
    let period = one_period(a.on.period.as_deref())?;
    let session = cx.sampled(
        &a.on,
        "its lines are the factors of the sensitivity analysis (see LANGUAGE.md, \"Uncertainty\")",
    )?;
    let (base, unc, schemes) = session.uncertainty("")?;
    let frame = session.frame()?;
    let interrupted = emit::cooperate();
    let counter = cx.progress("evaluations");
    let progress = counter
        .as_ref()
        .map(|c| move |done: usize, total: usize| c(done as u64, total as u64));
    let opts = indices::Options {
        samples: a.on.samples.map_or(unc.samples as usize, |n| n as usize),
        seed: a.on.seed.unwrap_or(unc.seed),
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
        surveys: &session.data()?.replicable,
    };
    emit::audit_file(&a.evaluations, |sink| {
        audit::evaluations(&plans, frame, &opts, sink)
    })?;
    let report = indices::run(&plans, frame, &opts)?;
    cx.counted_warnings(&report.warnings, "over the evaluations");
    cx.emit(&match format {
        Format::Csv => qindex::report::sensitivity::csv(&report),
        Format::Json => qindex::report::sensitivity::json(&report),
        _ => qindex::report::sensitivity::table(&report),
    })
}

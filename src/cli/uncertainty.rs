//! `qindex uncertainty`: the rules' `uncertainty` block as a Monte Carlo, and its audit
//! outputs (docs/checking-uncertainty.md).

use super::args::{one_period, OutArgs, Sampled};
use super::emit::{self, Cx, Format, Outcome};
use qindex::sensitivity::{audit, uncertainty};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    on: Sampled,
    /// N: the top group (the units ranked 1 to N), whose membership probability is reported
    /// (default: 10, or a third of the ranked units when there are fewer than 30).
    #[arg(long, value_parser = super::args::at_least_one)]
    top: Option<u64>,
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
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let all = [Format::Table, Format::Csv, Format::Json];
    let format = cx.format("uncertainty", &all, Format::Table)?;
    let period = one_period(a.on.period.as_deref())?;
    let session = cx.sampled(&a.on, "nothing to sample")?;
    let (base, unc, schemes) = session.uncertainty("")?;
    let frame = session.frame()?;
    let samples = a.on.samples.unwrap_or(unc.samples);
    let interrupted = emit::cooperate();
    let counter = cx.progress("replications");
    let progress = counter.as_ref().map(|c| move |done: u64| c(done, samples));
    let opts = uncertainty::Options {
        samples,
        seed: a.on.seed.unwrap_or(unc.seed),
        top_n: a.top.map(|t| t as usize),
        period,
        progress: progress.as_ref().map(|p| p as &(dyn Fn(u64) + Sync)),
        interrupted: &interrupted,
    };
    let variants = session.variants()?;
    let plans = uncertainty::Plans {
        base,
        schemes,
        variants: &variants,
        surveys: &session.data()?.replicable,
    };
    if let Some(r) = a.replay {
        let replay = audit::replay(&plans, frame, &opts, r, &a.on.file)?;
        return cx.emit(&qindex::report::audit::replay_text(&replay));
    }
    if a.configurations {
        let c = audit::configurations(&plans, frame, &opts)?;
        return cx.emit(&match format {
            Format::Json => qindex::report::audit::configurations_json(&c),
            _ => qindex::report::audit::configurations_table(&c),
        });
    }
    emit::audit_file(&a.replications, |sink| {
        audit::replications(&plans, frame, &opts, sink)
    })?;
    let summary = uncertainty::run(&plans, frame, &opts)?;
    cx.counted_warnings(&summary.warnings, "over the replications");
    cx.emit(&match format {
        Format::Csv => qindex::report::uncertainty::csv(&summary),
        Format::Json => qindex::report::uncertainty::json(&summary),
        _ => qindex::report::uncertainty::table(&summary),
    })
}

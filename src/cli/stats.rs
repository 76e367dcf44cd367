//! `qindex stats`: the coherence report of one evaluated period.

use super::args::{Evaluated, OutArgs};
use super::emit::{Cx, Format, Outcome};
use qindex::Error;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    on: Evaluated,
    /// table (the default) or json (`qindex.stats/1`, see docs/stats-json.md).
    #[arg(long, value_enum, hide_possible_values = true)]
    format: Option<Format>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let format = cx.format(
        "stats",
        a.format,
        &[Format::Table, Format::Json],
        Format::Table,
    )?;
    let period = a.on.one_period()?;
    let session = cx.session(&a.on.file)?;
    let plan = session.plan(&a.on.scheme)?;
    cx.diagnostics(&session.warnings_for(&[&a.on.scheme]));
    cx.bind(&session, &[plan], &a.on.data)?;
    let results = session.evaluate_in(plan, &period)?;
    cx.eval_warnings(&results.warnings);
    let Some(result) = results.periods.first() else {
        return Err(Error::Usage("the data has no rows to analyse".into()));
    };
    let coherence = qindex::analysis::coherence(plan, result);
    cx.emit(&match format {
        Format::Json => qindex::report::stats::json(plan, &coherence),
        _ => qindex::report::stats::text(plan, &coherence),
    })
}

//! `qindex importance`: each node's main effect on the index next to its nominal weight.

use super::args::{Evaluated, OutArgs};
use super::emit::{Cx, Format, Outcome, Warn};
use qindex::sensitivity::importance;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    on: Evaluated,
    /// table (the default), csv or json (`qindex.importance/1`, see docs/importance-json.md).
    #[arg(long, value_enum, hide_possible_values = true)]
    format: Option<Format>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let all = [Format::Table, Format::Csv, Format::Json];
    let format = cx.format("importance", a.format, &all, Format::Table)?;
    let period = a.on.one_period()?;
    let session = cx.session(&a.on.file)?;
    let plan = session.plan(&a.on.scheme)?;
    cx.diagnostics(&session.warnings_for(&[&a.on.scheme]));
    cx.bind(&session, &[plan], &a.on.data)?;
    let results = session.evaluate_in(plan, &period)?;
    cx.eval_warnings(&results.warnings);
    let r = importance::importance(plan, &results.periods[0]);
    cx.warnings(r.warnings.iter().map(|w| Warn {
        code: "importance",
        message: w,
        node: None,
        unit: None,
        period: None,
        count: 1,
        units: &[],
    }));
    cx.emit(&match format {
        Format::Csv => importance::csv(&r),
        Format::Json => importance::json(&r),
        _ => importance::table(&r),
    })
}

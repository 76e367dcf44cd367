//! `qindex orientation`: the weight each orientation tag carries, nominally and in the data.

use super::args::{Evaluated, OutArgs};
use super::emit::{Cx, Format, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    on: Evaluated,
    /// table (the default) or json (`qindex.orientation/1`).
    #[arg(long, value_enum, hide_possible_values = true)]
    format: Option<Format>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let all = [Format::Table, Format::Json];
    let format = cx.format("orientation", a.format, &all, Format::Table)?;
    let period = a.on.one_period()?;
    let session = cx.session(&a.on.file)?;
    let plan = session.plan(&a.on.scheme)?;
    cx.diagnostics(&session.warnings_for(&[&a.on.scheme]));
    cx.bind(&session, &[plan], &a.on.data)?;
    let results = session.evaluate_in(plan, &period)?;
    cx.eval_warnings(&results.warnings);
    let o = qindex::report::orientation::orientation(plan, &results.periods[0]);
    cx.emit(&match format {
        Format::Json => qindex::report::orientation::json(&o),
        _ => qindex::report::orientation::text(&o),
    })
}

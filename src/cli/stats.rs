//! `qindex stats`: the coherence report of one evaluated period.

use super::args::OneScheme;
use super::emit::{Cx, Format, Outcome};
use qindex::Error;

pub type Args = OneScheme;

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let format = cx.format("stats", &[Format::Table, Format::Json], Format::Table)?;
    let session = cx.bound(&a.on)?;
    let results = cx.evaluated(&session, &a.on)?;
    let plan = session.plan(&a.on.scheme)?;
    let Some(result) = results.periods.first() else {
        return Err(Error::Usage("the data has no rows to analyse".into()));
    };
    let coherence = qindex::analysis::coherence(plan, result);
    cx.emit(&match format {
        Format::Json => qindex::report::stats::json(plan, &coherence),
        _ => qindex::report::stats::text(plan, &coherence),
    })
}

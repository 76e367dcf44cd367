//! `qindex importance`: each node's main effect on the index next to its nominal weight.

use super::args::OneScheme;
use super::emit::{Cx, Format, Outcome, Warn};
use qindex::analysis::importance;

pub type Args = OneScheme;

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let all = [Format::Table, Format::Csv, Format::Json];
    let format = cx.format("importance", &all, Format::Table)?;
    let session = cx.bound(&a.on)?;
    let results = cx.evaluated(&session, &a.on)?;
    let r = importance::importance(session.plan(&a.on.scheme)?, &results.periods[0]);
    cx.warnings(r.warnings.iter().map(|w| Warn::plain("importance", w)));
    cx.emit(&match format {
        Format::Csv => qindex::report::importance::csv(&r),
        Format::Json => qindex::report::importance::json(&r),
        _ => qindex::report::importance::table(&r),
    })
}

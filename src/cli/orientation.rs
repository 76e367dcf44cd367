//! `qindex orientation`: the weight each orientation tag carries, nominally and in the data.

use super::args::OneScheme;
use super::emit::{Cx, Format, Outcome};

pub type Args = OneScheme;

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let format = cx.format("orientation", &[Format::Table, Format::Json], Format::Table)?;
    let session = cx.bound(&a.on)?;
    let results = cx.evaluated(&session, &a.on)?;
    let o = qindex::analysis::orientation::orientation(
        session.plan(&a.on.scheme)?,
        &results.periods[0],
    );
    cx.emit(&match format {
        Format::Json => qindex::report::orientation::json(&o),
        _ => qindex::report::orientation::text(&o),
    })
}

//! `qindex profile`: one unit's standing in a period, against the period before.

use super::args::{Evaluated, OutArgs};
use super::emit::{Cx, Format, Outcome};
use qindex::eval::PeriodChoice;
use qindex::Error;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    on: Evaluated,
    /// The unit: its id, or its display label (e.g. its Chinese name).
    unit: String,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let format = cx.format("profile", &[Format::Table, Format::Json], Format::Table)?;
    let session = cx.bound(&a.on)?;
    let (plan, frame) = (session.plan(&a.on.scheme)?, session.frame()?);
    let current = session.evaluate_in(plan, &a.on.one_period()?)?;
    let Some(now) = current.periods.first() else {
        return Err(Error::Usage("the data has no rows to profile".into()));
    };
    // An unknown unit is the one thing said: the warnings come once it is found.
    let at = qindex::analysis::profile::find_unit(frame, now, &a.unit)?;
    cx.eval_warnings(&current.warnings);
    // The period before, when the data is a panel: evaluated on its own, as `run` would.
    let previous = match session.previous_period(now.period.as_deref())? {
        Some(p) => Some(session.evaluate_in(plan, &PeriodChoice::One(p))?),
        None => None,
    };
    let prev = previous.as_ref().and_then(|r| r.periods.first());
    let profile = qindex::analysis::profile::profile(plan, frame, now, prev, at);
    cx.emit(&match format {
        Format::Json => qindex::report::profile::json(&profile),
        _ => qindex::report::profile::text(&profile),
    })
}

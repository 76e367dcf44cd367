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
    /// table (the default) or json (`qindex.profile/1`, see docs/profile-json.md).
    #[arg(long, value_enum, hide_possible_values = true)]
    format: Option<Format>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let format = cx.format(
        "profile",
        a.format,
        &[Format::Table, Format::Json],
        Format::Table,
    )?;
    let period = a.on.one_period()?;
    let session = cx.session(&a.on.file)?;
    let plan = session.plan(&a.on.scheme)?;
    cx.diagnostics(&session.warnings_for(&[&a.on.scheme]));
    let frame = cx.bind(&session, &[plan], &a.on.data)?;
    let current = session.evaluate_in(plan, &period)?;
    let Some(now) = current.periods.first() else {
        return Err(Error::Usage("the data has no rows to profile".into()));
    };
    let at = qindex::report::profile::find_unit(frame, now, &a.unit)?;
    cx.eval_warnings(&current.warnings);
    // The period before, when the data is a panel: evaluated on its own, as `run` would.
    let previous = match session.previous_period(now.period.as_deref())? {
        Some(p) => Some(session.evaluate_in(plan, &PeriodChoice::One(p))?),
        None => None,
    };
    let prev = previous.as_ref().and_then(|r| r.periods.first());
    let profile = qindex::report::profile::profile(plan, frame, now, prev, at);
    cx.emit(&match format {
        Format::Json => qindex::report::profile::json(&profile),
        _ => qindex::report::profile::text(&profile),
    })
}

//! `qindex diff`: two versions of an indicator system over the same data.

use super::args::{one_period, DataArgs, OutArgs};
use super::emit::{Cx, Format, Outcome};
use qindex::analysis::compare;
use qindex::report::snapshot;
use qindex::Error;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The old rules file (or `git:REV:PATH`).
    old: PathBuf,
    /// The new rules file (or `git:REV:PATH`).
    new: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// The scheme to compare in both versions (`default` is the base index).
    #[arg(long, default_value = "default")]
    scheme: String,
    /// The period (default: the latest).
    #[arg(long)]
    period: Option<String>,
    /// Explain why this unit moved (the three biggest movers are explained anyway).
    #[arg(long, value_name = "UNIT")]
    explain: Option<String>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let format = cx.format("diff", &[Format::Table, Format::Json], Format::Table)?;
    let period = one_period(a.period.as_deref())?;
    let old = cx.session(&a.old)?;
    let old_plan = old.plan(&a.scheme)?;
    cx.diagnostics(&old.warnings_for(&[&a.scheme]));
    let new = cx.session(&a.new)?;
    let new_plan = new.plan(&a.scheme)?;
    cx.diagnostics(&new.warnings_for(&[&a.scheme]));
    let data_path = new.data_path(&[new_plan], &a.data.options()?)?;
    if data_path.to_string_lossy().starts_with("git:") {
        return Err(Error::Usage(
            "the new rules come from git: give the data with --data PATH".into(),
        ));
    }
    let frame = cx.bind(
        &new,
        &[old_plan, new_plan],
        &a.data,
        std::slice::from_ref(&period),
    )?;
    let (ra, rb) = (
        new.evaluate_in(old_plan, &period)?,
        new.evaluate_in(new_plan, &period)?,
    );
    let render = |session: &qindex::session::Session, plan, r: &qindex::eval::Results| {
        let header = snapshot::Header {
            rules: session.rules_files(),
            data: (
                data_path.display().to_string(),
                frame.content_hash().to_string(),
            ),
            period: r.periods[0].period.clone(),
        };
        let run = snapshot::SchemeRun {
            plan,
            result: &r.periods[0],
        };
        snapshot::render(&header, frame, &[run])
    };
    let review = snapshot::review(&render(&old, old_plan, &ra), &render(&new, new_plan, &rb));
    let (pa, pb) = (&ra.periods[0], &rb.periods[0]);
    let asked = match &a.explain {
        Some(unit) => Some(qindex::analysis::profile::find_unit(frame, pa, unit)?),
        None => None,
    };
    let diff = compare::Diff {
        old: a.old.display().to_string(),
        new: a.new.display().to_string(),
        scheme: a.scheme,
        review,
        explanations: compare::diff_explanations(frame, [old_plan, new_plan], [pa, pb], asked),
    };
    cx.emit(&match format {
        Format::Json => qindex::report::json::document("diff", 1, &diff),
        _ => qindex::report::compare::diff_text(&diff),
    })
}

//! `qindex diff`: two versions of an indicator system over the same data.

use super::args::{one_period, DataArgs, OutArgs};
use super::emit::{Cx, Format, Outcome};
use qindex::report::{compare, snapshot};
use qindex::Error;
use serde::Serialize;
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

/// The result of a diff.
#[derive(Serialize)]
struct Diff {
    old: String,
    new: String,
    scheme: String,
    /// The review of the plans' and results' differences (`None`: no difference).
    review: Option<String>,
    /// Why the biggest movers (and the unit asked for) moved.
    explanations: Vec<compare::Decomposition>,
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
    let frame = cx.bind(&new, &[old_plan, new_plan], &a.data)?;
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
    // Why the biggest movers moved.
    let (pa, pb) = (&ra.periods[0], &rb.periods[0]);
    let mut movers: Vec<(i64, String)> = (0..pa.len())
        .filter(|i| {
            pa.final_rank[*i] != 0
                && pb.final_rank[*i] != 0
                && pa.final_rank[*i] != pb.final_rank[*i]
        })
        .map(|i| {
            (
                (pa.final_rank[i] as i64 - pb.final_rank[i] as i64).abs(),
                frame.units().get(pa.rows[i]).to_string(),
            )
        })
        .collect();
    movers.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    movers.truncate(3);
    if let Some(unit) = &a.explain {
        let row = qindex::report::profile::find_unit(frame, pa, unit)?;
        let unit = frame.units().get(pa.rows[row]).to_string();
        movers.retain(|m| m.1 != unit);
        movers.insert(0, (0, unit));
    }
    let explanations = movers
        .iter()
        .filter_map(|(_, unit)| {
            let mut d = compare::decompose(frame, [old_plan, new_plan], [pa, pb], unit)?;
            (d.a, d.b) = ("old".into(), "new".into());
            Some(d)
        })
        .collect();
    let diff = Diff {
        old: a.old.display().to_string(),
        new: a.new.display().to_string(),
        scheme: a.scheme,
        review,
        explanations,
    };
    cx.emit(&match format {
        Format::Json => super::emit::json("diff", 1, &diff),
        _ => text(&diff),
    })
}

fn text(d: &Diff) -> String {
    let mut out = format!("{} → {} (scheme {})\n\n", d.old, d.new, d.scheme);
    match &d.review {
        None => out.push_str("no difference in the plan or the results\n"),
        Some(review) => out.push_str(review),
    }
    for e in &d.explanations {
        out.push('\n');
        out.push_str(&compare::decomposition_text(e));
    }
    out
}

//! `qindex stability`: each weight moved over its range, where the top N changes.

use super::args::{Evaluated, OutArgs};
use super::emit::{Cx, Format, Outcome};
use qindex::sensitivity::stability;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    on: Evaluated,
    /// N: the top group, the units ranked 1 to N.
    #[arg(long, default_value_t = 10, value_parser = super::args::at_least_one)]
    top: u64,
    /// Always evaluate on the grid of 201 shares, even where exact breakpoints exist.
    #[arg(long)]
    grid: bool,
    /// table (the default) or json (`qindex.stability/1`, see docs/stability-json.md).
    #[arg(long, value_enum, hide_possible_values = true)]
    format: Option<Format>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let all = [Format::Table, Format::Json];
    let format = cx.format("stability", a.format, &all, Format::Table)?;
    let opts = stability::Options {
        top: a.top as usize,
        grid_only: a.grid,
        period: a.on.one_period()?,
    };
    let session = cx.session(&a.on.file)?;
    let plan = session.plan(&a.on.scheme)?;
    cx.diagnostics(&session.warnings_for(&[&a.on.scheme]));
    let frame = cx.bind(&session, &[plan], &a.on.data)?;
    let s = stability::stability(plan, frame, &opts)?;
    cx.emit(&match format {
        Format::Json => stability::json(&s),
        _ => stability::table(&s),
    })
}

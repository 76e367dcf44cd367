//! `qindex stability`: each weight moved over its range, where the top N changes.

use super::args::{Evaluated, OutArgs};
use super::emit::{Cx, Format, Outcome};
use qindex::analysis::stability;

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
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let format = cx.format("stability", &[Format::Table, Format::Json], Format::Table)?;
    let opts = stability::Options {
        top: a.top as usize,
        grid_only: a.grid,
        period: a.on.one_period()?,
    };
    let session = cx.bound(&a.on)?;
    let counter = cx.progress("weights moved");
    let progress = |done: usize, total: usize| {
        if let Some(c) = &counter {
            c(done as u64, total as u64);
        }
    };
    let plan = session.plan(&a.on.scheme)?;
    let s = stability::stability_with(plan, session.frame()?, &opts, &progress)?;
    cx.emit(&match format {
        Format::Json => qindex::report::stability::json(&s),
        _ => qindex::report::stability::table(&s),
    })
}

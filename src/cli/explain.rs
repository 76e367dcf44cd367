//! `qindex explain`: the compiled plan of a scheme, as a tree, JSON or the methods table.

use super::args::OutArgs;
use super::emit::{Cx, Format, Outcome};
use qindex::report::{self, TableFormat};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The rules file.
    file: PathBuf,
    /// The scheme to explain (`default` is the base index).
    #[arg(long, default_value = "default")]
    scheme: String,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let all = [Format::Table, Format::Json, Format::Markdown, Format::Csv];
    let format = cx.format("explain", &all, Format::Table)?;
    let session = cx.session(&a.file)?;
    let plan = session.plan(&a.scheme)?;
    cx.diagnostics(&session.warnings_for(&[&a.scheme]));
    cx.emit(&match format {
        Format::Json => report::explain_json(plan),
        Format::Markdown => report::methods_table(plan, TableFormat::Markdown),
        Format::Csv => report::methods_table(plan, TableFormat::Csv),
        _ => report::explain_text(plan),
    })
}

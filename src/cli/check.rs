//! `qindex check`: every rules file loaded, checked and compiled; diagnostics on standard
//! error, a line per file (or JSON) on standard output.

use super::args::OutArgs;
use super::emit::{Cx, Exit, Format, Outcome};
use qindex::analysis::checked;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Rules files (`*.qi`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let format = cx.format("check", &[Format::Table, Format::Json], Format::Table)?;
    let mut files = Vec::new();
    let (mut unreadable, mut rules_errors) = (false, false);
    for path in &a.files {
        match qindex::session::Session::open(path) {
            Ok(session) => {
                cx.know(&session);
                if format == Format::Table {
                    cx.diagnostics(session.diagnostics());
                }
                files.push(checked::check(&session));
            }
            Err(e) => {
                // Errors in the rules (a file that is not UTF-8) exit 1, unreadable files 2.
                rules_errors |= matches!(e, qindex::Error::Diagnostics(_));
                unreadable |= !matches!(e, qindex::Error::Diagnostics(_));
                cx.exit(Err(e));
            }
        }
    }
    let text = match format {
        Format::Json => {
            qindex::report::json::document("check", 1, &serde_json::json!({ "files": files }))
        }
        _ => files.iter().map(qindex::report::checked::line).collect(),
    };
    cx.emit(&text)?;
    Ok(if unreadable {
        Exit::Unusable
    } else if !rules_errors && files.iter().all(|f| f.ok) {
        Exit::Ok
    } else {
        Exit::Differences
    })
}

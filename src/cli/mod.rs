//! The commands: each turns its arguments into a session, an analysis and a rendering, in a
//! file of its own. The output policy and the exit codes are in [`emit`].

pub mod args;
mod check;
mod compare;
mod completions;
mod diff;
pub mod emit;
mod explain;
mod fmt;
mod importance;
mod lsp;
mod orientation;
mod profile;
mod report;
mod run;
mod sensitivity;
mod snapshot;
mod sql;
mod stability;
mod stats;
mod survey;
mod uncertainty;

use args::Command;
use emit::Cx;
use std::process::ExitCode;

/// Runs one command and maps its outcome to the exit code.
pub fn dispatch(command: Command) -> ExitCode {
    let out = match &command {
        Command::Check(a) => &a.out,
        Command::Explain(a) => &a.out,
        Command::Run(a) => &a.out,
        Command::Sql(a) => &a.out,
        Command::Profile(a) => &a.out,
        Command::Compare(a) => &a.out,
        Command::Orientation(a) => &a.out,
        Command::Stats(a) => &a.out,
        Command::Uncertainty(a) => &a.out,
        Command::Sensitivity(a) => &a.out,
        Command::Importance(a) => &a.out,
        Command::Stability(a) => &a.out,
        Command::Survey(a) => &a.out,
        Command::Report(a) => &a.out,
        Command::Diff(a) => &a.out,
        Command::Snapshot(a) => &a.out,
        Command::Fmt(a) => &a.out,
        Command::Lsp(a) => &a.out,
        Command::Completions(a) => &a.out,
    };
    let mut cx = Cx::new(out);
    let outcome = match command {
        Command::Check(a) => check::run(a, &mut cx),
        Command::Explain(a) => explain::run(a, &mut cx),
        Command::Run(a) => run::run(a, &mut cx),
        Command::Sql(a) => sql::run(a, &mut cx),
        Command::Profile(a) => profile::run(a, &mut cx),
        Command::Compare(a) => compare::run(a, &mut cx),
        Command::Orientation(a) => orientation::run(a, &mut cx),
        Command::Stats(a) => stats::run(a, &mut cx),
        Command::Uncertainty(a) => uncertainty::run(a, &mut cx),
        Command::Sensitivity(a) => sensitivity::run(a, &mut cx),
        Command::Importance(a) => importance::run(a, &mut cx),
        Command::Stability(a) => stability::run(a, &mut cx),
        Command::Survey(a) => survey::run(a, &mut cx),
        Command::Report(a) => report::run(a, &mut cx),
        Command::Diff(a) => diff::run(a, &mut cx),
        Command::Snapshot(a) => snapshot::run(a, &mut cx),
        Command::Fmt(a) => fmt::run(a, &mut cx),
        Command::Lsp(a) => lsp::run(a, &mut cx),
        Command::Completions(a) => completions::run(a, &mut cx),
    };
    cx.exit(outcome)
}

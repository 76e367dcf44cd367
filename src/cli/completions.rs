//! `qindex completions SHELL`: a completion script for the shell, from the command line's
//! own definition.

use super::args::OutArgs;
use super::emit::{Cx, Outcome};
use clap::CommandFactory;

#[derive(clap::Args)]
pub struct Args {
    /// The shell: bash, zsh, fish, elvish or powershell.
    shell: clap_complete::Shell,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let mut command = super::args::Cli::command();
    cx.emit_with(|w| {
        clap_complete::generate(a.shell, &mut command, "qindex", w);
        Ok(())
    })
}

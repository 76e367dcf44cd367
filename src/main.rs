//! The `qindex` command line: parses the arguments and runs one command (see `cli/`). The
//! library never prints.

mod cli;

use clap::Parser;
use std::process::ExitCode;

/// The stack of the thread that runs a command. Rules are parsed and checked by recursion,
/// as deep as an expression nests; the lexer refuses nesting past its limits
/// (`syntax::lex::MAX_DEPTH`, ...), and this stack holds everything within them with room to
/// spare. Only the pages used are ever committed.
const STACK: usize = 1 << 30;

fn main() -> ExitCode {
    qindex::timing::start();
    let cli = cli::args::Cli::parse();
    cli::emit::handle_signals();
    // A panic in the workbook reader on a damaged file becomes a diagnostic: no trace of it.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !qindex::data::in_workbook_reader() {
            default(info);
        }
    }));
    let work = std::thread::Builder::new()
        .name("qindex".into())
        .stack_size(STACK)
        .spawn(move || std::panic::catch_unwind(|| cli::dispatch(cli.command)));
    match work.map(|h| h.join()) {
        Ok(Ok(Ok(code))) => code,
        _ => {
            eprintln!(
                "error: internal error in qindex (a bug): please report it with the rules file"
            );
            ExitCode::from(2)
        }
    }
}

//! `qindex lsp`: the language server over standard input and output (see [`qindex::lsp`]).

use super::args::OutArgs;
use super::emit::{Cx, Outcome};
use qindex::Error;

#[derive(clap::Args)]
pub struct Args {
    /// Accepted for editors that pass it; the server always speaks over standard input and
    /// output.
    #[arg(long)]
    stdio: bool,
    #[command(flatten)]
    pub out: OutArgs,
}

pub fn run(_: Args, _: &mut Cx) -> Outcome {
    let (connection, io) = lsp_server::Connection::stdio();
    let served = qindex::lsp::serve(&connection);
    drop(connection);
    let joined = io.join();
    served.map_err(|e| Error::Usage(format!("the language server stopped: {e}")))?;
    joined.map_err(|e| Error::Usage(format!("the language server's input ended: {e}")))?;
    Ok(super::emit::Exit::Ok)
}

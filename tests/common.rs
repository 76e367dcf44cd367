//! Helpers shared by the integration tests.
#![allow(dead_code)]

use qindex::check::{self, Program};
use qindex::diagnostics::{render_all, Color};
use qindex::{Diagnostic, Error};
use std::path::{Path, PathBuf};

/// The crate root; tests run from here.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path relative to the crate root, so snapshots do not depend on the machine.
pub fn relative(path: &Path) -> PathBuf {
    path.strip_prefix(root()).unwrap_or(path).to_path_buf()
}

/// Loads and checks a file, returning the program (if it could be read) and all diagnostics.
pub fn check_file(path: &Path) -> (Option<Program>, Vec<Diagnostic>) {
    match check::load(&relative(path)) {
        Ok((program, mut diags)) => {
            let checked = check::check(&program);
            diags.extend(checked.diagnostics);
            (Some(program), diags)
        }
        Err(Error::Diagnostics(ds)) => (None, ds),
        Err(e) => panic!("cannot load {}: {e}", path.display()),
    }
}

/// Diagnostics rendered without colour, as the CLI prints them.
pub fn render(program: Option<&Program>, diags: &[Diagnostic]) -> String {
    let empty = qindex::Sources::new();
    let sources = program.map_or(&empty, |p| &p.sources);
    render_all(diags, sources, Color::Never)
}

/// The shared reference folder beside the checkout.
pub fn shared(rel: &str) -> PathBuf {
    root().join("..").join("shared").join(rel)
}

/// Runs the real `qindex` binary from the crate root, without colour.
pub fn qindex(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_qindex"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run qindex")
}

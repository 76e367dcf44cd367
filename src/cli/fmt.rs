//! `qindex fmt`: rules files in the one canonical layout, printed, rewritten or checked.

use super::args::OutArgs;
use super::emit::{self, Cx, Exit, Format, Outcome};
use qindex::{Error, Sources};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// Rules files (`*.qi`); `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Rewrite the files in place instead of printing them.
    #[arg(long, conflicts_with = "check")]
    write: bool,
    /// Print nothing but the names of files that are not formatted; exit 1 if there are any.
    #[arg(long)]
    check: bool,
    #[command(flatten)]
    pub out: OutArgs,
}

/// One file's formatting.
#[derive(Serialize)]
struct File {
    path: String,
    /// Already in the canonical layout.
    formatted: bool,
    /// The canonical text (not with --check or --write).
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

pub fn run(a: Args, cx: &mut Cx) -> Outcome {
    let format = cx.format("fmt", &[Format::Table, Format::Json], Format::Table)?;
    let mut files = Vec::new();
    let mut worst = Exit::Ok;
    for path in &a.files {
        let stdin = path.as_os_str() == "-";
        let shown = if stdin { Path::new("<stdin>") } else { path };
        let text = if stdin {
            let limit = qindex::check::load::MAX_RULES_BYTES;
            qindex::check::load::read_capped(std::io::stdin(), limit)
                .map_err(|e| Error::io("standard input", e))
                .and_then(|bytes| qindex::check::load::decode_rules(bytes, shown))
        } else {
            qindex::check::load::read_rules(path)
        };
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                // Not UTF-8 is an error in the rules (1, as by path); unreadable is 2.
                let in_rules = matches!(e, Error::Diagnostics(_));
                cx.exit(Err(e));
                worst = match (in_rules, worst) {
                    (_, Exit::Unusable) | (false, _) => Exit::Unusable,
                    (true, _) => Exit::Differences,
                };
                continue;
            }
        };
        let formatted = match qindex::syntax::fmt::format_source(&text) {
            Ok(f) => f,
            Err(d) => {
                // A file with a syntax error is left alone.
                let mut sources = Sources::new();
                sources.add(shown, text);
                cx.show(Error::Diagnostics(vec![*d]), &sources);
                if worst == Exit::Ok {
                    worst = Exit::Differences;
                }
                continue;
            }
        };
        let same = formatted == text;
        if a.check && !same && worst == Exit::Ok {
            worst = Exit::Differences;
        }
        if a.write && !stdin && !same {
            if let Err(e) = emit::write_atomic(path, |w| w.write_all(formatted.as_bytes())) {
                cx.exit(Err(e));
                worst = Exit::Unusable;
            }
        }
        files.push(File {
            path: shown.display().to_string(),
            formatted: same,
            text: (!a.check && (!a.write || stdin)).then_some(formatted),
        });
    }
    let out = match format {
        Format::Json => {
            qindex::report::json::document("fmt", 1, &serde_json::json!({ "files": files }))
        }
        _ if a.check => files
            .iter()
            .filter(|f| !f.formatted)
            .map(|f| format!("{}\n", f.path))
            .collect(),
        _ => files.iter().filter_map(|f| f.text.clone()).collect(),
    };
    cx.emit(&out)?;
    Ok(worst)
}

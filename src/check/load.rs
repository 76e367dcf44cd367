//! Loading a rules file and every file it `use`s.

use crate::diagnostics::Diagnostic;
use crate::source::{FileId, Sources, Span};
use crate::syntax::{self, ast};
use std::path::{Path, PathBuf};

/// A rules program: the root file and every file reached through `use`, parsed.
#[derive(Debug, Clone)]
pub struct Program {
    pub sources: Sources,
    /// Parsed files in load order (the root first); files with syntax errors are absent.
    pub files: Vec<(FileId, ast::File)>,
    pub root: FileId,
}

impl Program {
    pub fn file(&self, id: FileId) -> Option<&ast::File> {
        self.files.iter().find(|(f, _)| *f == id).map(|(_, f)| f)
    }

    /// The directory of a file, against which its relative paths resolve.
    pub fn dir_of(&self, id: FileId) -> PathBuf {
        self.sources
            .get(id)
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// Content of every source file, for the reproducibility headers of outputs.
    pub fn source_paths(&self) -> Vec<&Path> {
        self.sources.iter().map(|(_, f)| f.path.as_path()).collect()
    }
}

/// The largest rules file read, in bytes: far above any indicator system (the 50-item seed
/// is 20 kB), and a bound on what a wrong path (`/dev/zero`) can make qindex read.
pub const MAX_RULES_BYTES: u64 = 64 << 20;

/// Reads a file as UTF-8; a file in another encoding gets a clear message with its position.
pub fn read_rules(path: &Path) -> Result<String, crate::Error> {
    let bytes = read_file(path).map_err(|e| crate::Error::io(path, e))?;
    decode_rules(bytes, path)
}

/// Rules text from bytes read elsewhere (standard input): UTF-8, or a diagnostic at the
/// first byte that is not, by line and column.
pub fn decode_rules(bytes: Vec<u8>, path: &Path) -> Result<String, crate::Error> {
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
            let col = String::from_utf8_lossy(
                &bytes[bytes[..at]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |p| p + 1)..at],
            )
            .chars()
            .count()
                + 1;
            Err(crate::Error::Diagnostics(vec![Diagnostic::error(
                "encoding",
                "this rules file is not UTF-8 text",
            )
            .with_location(format!("{}:{line}:{col}", path.display()))
            .with_hint(
                "save it as UTF-8 (in Excel/WPS or a text editor: \"Save as\" → encoding UTF-8); \
                 GBK/GB18030 is accepted for data files but not for rules",
            )]))
        }
    }
}

/// Reads a regular file or a FIFO, at most [`MAX_RULES_BYTES`]; anything else (a device such
/// as `/dev/zero`, a folder) and anything longer is an error that says so.
pub fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let kind = file.metadata()?.file_type();
    #[cfg(unix)]
    let readable = kind.is_file() || std::os::unix::fs::FileTypeExt::is_fifo(&kind);
    #[cfg(not(unix))]
    let readable = kind.is_file();
    if !readable {
        return Err(std::io::Error::other(
            "not a regular file or a pipe: give the path of a rules file",
        ));
    }
    read_capped(file, MAX_RULES_BYTES)
}

/// Reads at most `limit` bytes; a longer input is an error naming the limit.
pub fn read_capped(input: impl std::io::Read, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(input, limit + 1), &mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "longer than {} MiB, the most qindex reads as rules",
            limit >> 20
        )));
    }
    Ok(bytes)
}

/// Loads the root file and, recursively, its `use`s. Syntax errors (the first of each file),
/// missing files and `use` cycles are returned as diagnostics; files that parse are kept.
///
/// A path `git:REV:PATH` is read from a git revision (`git show REV:PATH`, relative to the
/// current directory), and the files it `use`s from the same revision.
pub fn load(path: &Path) -> Result<(Program, Vec<Diagnostic>), crate::Error> {
    let text = match path.to_str().and_then(|p| p.strip_prefix("git:")) {
        Some(_) => {
            let bytes = read_any(path).map_err(|e| crate::Error::io(path, e))?;
            String::from_utf8(bytes)
                .map_err(|_| crate::Error::Usage(format!("{} is not UTF-8 text", path.display())))?
        }
        None => read_rules(path)?,
    };
    load_text(path, text)
}

/// Reads a file from the file system, or from git for `git:REV:PATH`.
fn read_any(path: &Path) -> std::io::Result<Vec<u8>> {
    let Some(rest) = path.to_str().and_then(|p| p.strip_prefix("git:")) else {
        return read_file(path);
    };
    let Some((rev, file)) = rest.split_once(':') else {
        return Err(std::io::Error::other(
            "write `git:REV:PATH`, e.g. `git:HEAD~1:rules/quality_city.qi`",
        ));
    };
    let out = std::process::Command::new("git")
        .args(["show", &format!("{rev}:./{file}")])
        .output()
        .map_err(|e| std::io::Error::other(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("git show {rev}:{file}: {msg}"),
        ));
    }
    Ok(out.stdout)
}

/// Like [`load`], with the root file's text given (for standard input and tests).
pub fn load_text(path: &Path, text: String) -> Result<(Program, Vec<Diagnostic>), crate::Error> {
    load_overlay(path, text, &std::collections::HashMap::new())
}

/// Like [`load_text`], with the text of some `use`d files given too (keyed by their normalised
/// path, as [`Program::sources`] has it): the editor's unsaved text, or a rename's result.
pub fn load_overlay(
    path: &Path,
    text: String,
    overlay: &std::collections::HashMap<PathBuf, String>,
) -> Result<(Program, Vec<Diagnostic>), crate::Error> {
    let mut sources = Sources::new();
    let root = sources.add(normalize(path), text);
    let mut program = Program {
        sources,
        files: Vec::new(),
        root,
    };
    let mut diags = Vec::new();
    let mut stack = vec![root];
    visit(&mut program, root, &mut stack, &mut diags, overlay);
    Ok((program, diags))
}

fn visit(
    program: &mut Program,
    id: FileId,
    stack: &mut Vec<FileId>,
    diags: &mut Vec<Diagnostic>,
    overlay: &std::collections::HashMap<PathBuf, String>,
) {
    let text = program.sources.get(id).text.clone();
    let file = match syntax::parse(id, &text) {
        Ok(f) => f,
        Err(d) => {
            diags.push(*d);
            return;
        }
    };
    let uses: Vec<ast::Use> = file
        .items
        .iter()
        .filter_map(|i| match i {
            ast::Item::Use(u) => Some(u.clone()),
            _ => None,
        })
        .collect();
    program.files.push((id, file));
    let dir = program.dir_of(id);
    for u in uses {
        let target = normalize(&dir.join(&u.path.value));
        if let Some(existing) = program.sources.find(&target) {
            if stack.contains(&existing) {
                let chain: Vec<String> = stack
                    .iter()
                    .skip_while(|f| **f != existing)
                    .map(|f| program.sources.get(*f).path.display().to_string())
                    .chain([target.display().to_string()])
                    .collect();
                diags.push(
                    Diagnostic::error("use-cycle", "these files `use` each other in a cycle")
                        .with_span(u.span)
                        .with_note(format!("cycle: {}", chain.join(" → ")))
                        .with_hint("move what both need into a third file that both `use`"),
                );
            }
            // A file included twice is loaded once.
            continue;
        }
        let read = match overlay.get(&target) {
            Some(t) => Ok(t.clone().into_bytes()),
            None => read_any(&target),
        };
        let text = match read {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => {
                    diags.push(
                        Diagnostic::error(
                            "encoding",
                            format!("`{}` is not UTF-8 text", u.path.value),
                        )
                        .with_span(u.path.span)
                        .with_hint("save the file as UTF-8"),
                    );
                    continue;
                }
            },
            Err(e) => {
                diags.push(
                    Diagnostic::error(
                        "use-missing",
                        format!("cannot read `{}`: {}", target.display(), io_reason(&e)),
                    )
                    .with_span(u.path.span)
                    .with_hint("a `use` path is relative to the file that says it"),
                );
                continue;
            }
        };
        let fid = program.sources.add(target, text);
        stack.push(fid);
        visit(program, fid, stack, diags, overlay);
        stack.pop();
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Removes `.` and `a/..` parts so the same file reached by two paths is recognised.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                let last_is_parent = matches!(
                    out.components().next_back(),
                    None | Some(std::path::Component::ParentDir)
                );
                if last_is_parent {
                    out.push("..");
                } else {
                    out.pop();
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A span for a whole file's first character, for diagnostics about the file itself.
pub fn file_start(id: FileId) -> Span {
    Span::new(id, 0, 0)
}

//! References and rename of node ids and `let` names: in every file of the program, and in the
//! other open files whose programs hold the file that declares the name (a file that `use`s
//! the one being edited). A rename keeps the rules' meaning or is refused.

use super::document::Document;
use super::names::{NameKind, Occurrence};
use crate::diagnostics::{Diagnostic, Severity};
use crate::source::Span;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A place in the program of `docs[doc]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub doc: usize,
    pub span: Span,
}

/// The node id or let name written at `offset` of the document's own text.
pub fn name_at(doc: &Document, offset: usize) -> Option<&Occurrence> {
    let program = doc.program.as_ref()?;
    doc.names.at(program.root, offset)
}

fn path_of(doc: &Document, span: Span) -> Option<&Path> {
    Some(&doc.program.as_ref()?.sources.get(span.file).path)
}

/// Every place the name at `offset` of `docs[0]` is written (declarations first when
/// `declarations`, else left out), once each, with its kind and name.
pub fn references(
    docs: &[&Document],
    offset: usize,
    declarations: bool,
) -> Option<(NameKind, String, Vec<Place>)> {
    let first = name_at(docs.first()?, offset)?;
    let (kind, name) = (first.kind, first.name.clone());
    let declared: Vec<PathBuf> = docs[0]
        .names
        .all(kind, &name)
        .filter(|o| o.declaration)
        .filter_map(|o| path_of(docs[0], o.span).map(Path::to_path_buf))
        .collect();
    let mut seen: Vec<(PathBuf, u32, u32)> = Vec::new();
    let mut out = Vec::new();
    for (k, doc) in docs.iter().enumerate() {
        let Some(program) = &doc.program else {
            continue;
        };
        let related = k == 0
            || program
                .sources
                .iter()
                .any(|(_, f)| declared.contains(&f.path));
        if !related {
            continue;
        }
        let mut found: Vec<&Occurrence> = doc.names.all(kind, &name).collect();
        found.sort_by_key(|o| !o.declaration);
        for o in found {
            if o.declaration && !declarations {
                continue;
            }
            let Some(path) = path_of(doc, o.span) else {
                continue;
            };
            let key = (path.to_path_buf(), o.span.start, o.span.end);
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            out.push(Place {
                doc: k,
                span: o.span,
            });
        }
    }
    Some((kind, name, out))
}

/// An edit to a file of the program of `docs[doc]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub place: Place,
    pub text: String,
}

/// The operator words, which are not names in an expression.
const OPERATOR_WORDS: &[&str] = &["if", "then", "else", "and", "or", "not"];

/// Whether `name` is an identifier of the language (what `let NAME = 1` accepts, and not an
/// operator word).
fn is_identifier(name: &str) -> bool {
    if OPERATOR_WORDS.contains(&name) {
        return false;
    }
    let probe = format!("let {name} = 1");
    matches!(
        crate::syntax::parse(crate::source::FileId(0), &probe),
        Ok(f) if matches!(f.items.as_slice(), [crate::syntax::ast::Item::Let(l)] if l.name.name == name)
    )
}

/// The edits that rename the name at `offset` of `docs[0]` to `new`, or why it cannot be
/// done: `new` is not a name, is taken, or would change what the rules compute.
///
/// An indicator without a formula reads the data column of its id; renamed, it is given the
/// formula `` = `OLD` `` (a backtick name is always a data column), so it reads the same
/// column under its new id.
pub fn rename(docs: &[&Document], offset: usize, new: &str) -> Result<Vec<Edit>, String> {
    let Some((kind, old, places)) = references(docs, offset, true) else {
        return Err("only a node id or a `let` name can be renamed".into());
    };
    if new == old {
        return Ok(Vec::new());
    }
    if !is_identifier(new) {
        return Err(format!(
            "`{new}` is not a name: a letter or `_`, then letters, digits or `_` (and not `if`, `then`, `else`, `and`, `or`, `not`)"
        ));
    }
    let what = match kind {
        NameKind::Node => "node id",
        NameKind::Let => "`let` name",
    };
    // The programs the rename touches (not the unrelated open files).
    let mut related: Vec<usize> = places.iter().map(|p| p.doc).collect();
    related.push(0);
    related.sort();
    related.dedup();
    for doc in related.iter().map(|k| docs[*k]) {
        if doc.names.all(kind, new).next().is_some() {
            return Err(format!("`{new}` is already a {what}; choose another name"));
        }
        if kind == NameKind::Let && doc.names.columns.iter().any(|(c, _)| c == new) {
            return Err(format!(
                "`{new}` is a data column the rules read; a `let` of that name would take its place in every formula"
            ));
        }
    }
    let mut edits: Vec<Edit> = places
        .into_iter()
        .map(|place| Edit {
            place,
            text: new.to_string(),
        })
        .collect();
    if kind == NameKind::Node {
        // Indicators that read the column of their id keep reading it.
        let mut implicit: Vec<Edit> = Vec::new();
        for e in &edits {
            let doc = docs[e.place.doc];
            for (id, at) in &doc.names.implicit {
                if id.span == e.place.span {
                    implicit.push(Edit {
                        place: Place {
                            doc: e.place.doc,
                            span: Span::new(id.span.file, *at, *at),
                        },
                        text: format!(" = `{old}`"),
                    });
                }
            }
        }
        edits.extend(implicit);
    }
    check_meaning(docs, &edits, &old, new)?;
    Ok(edits)
}

/// A file's text and the replacements in it: (start byte, end byte, new text).
type Replacements<'a> = (String, Vec<(usize, usize, &'a str)>);

/// The texts of the files the edits change, edited: (normalised path, new text).
pub fn apply(docs: &[&Document], edits: &[Edit]) -> HashMap<PathBuf, String> {
    let mut by_file: HashMap<PathBuf, Replacements> = HashMap::new();
    for e in edits {
        let Some(program) = &docs[e.place.doc].program else {
            continue;
        };
        let file = program.sources.get(e.place.span.file);
        let entry = by_file
            .entry(file.path.clone())
            .or_insert_with(|| (file.text.clone(), Vec::new()));
        let r = (
            e.place.span.start as usize,
            e.place.span.end as usize,
            e.text.as_str(),
        );
        if !entry.1.contains(&r) {
            entry.1.push(r);
        }
    }
    by_file
        .into_iter()
        .map(|(path, (mut text, mut changes))| {
            changes.sort_by_key(|c| std::cmp::Reverse((c.0, c.1)));
            for (start, end, t) in changes {
                if start <= end
                    && end <= text.len()
                    && text.is_char_boundary(start)
                    && text.is_char_boundary(end)
                {
                    text.replace_range(start..end, t);
                }
            }
            (path, text)
        })
        .collect()
}

/// The errors of checking the program rooted at `root`, with `overlay` for the texts of files.
fn errors(root: &Path, text: String, overlay: &HashMap<PathBuf, String>) -> Vec<Diagnostic> {
    let mut diags = match crate::check::load::load_overlay(root, text, overlay) {
        Ok((program, mut diags)) => {
            diags.extend(crate::check::check(&program).diagnostics);
            diags
        }
        Err(crate::Error::Diagnostics(ds)) => ds,
        Err(e) => vec![Diagnostic::error("unreadable", e.to_string())],
    };
    diags.retain(|d| d.severity == Severity::Error);
    diags
}

/// Refuses edits after which a program of the open files checks with an error it did not have.
fn check_meaning(docs: &[&Document], edits: &[Edit], old: &str, new: &str) -> Result<(), String> {
    let after = apply(docs, edits);
    let mut roots: Vec<usize> = edits.iter().map(|e| e.place.doc).collect();
    roots.sort();
    roots.dedup();
    for k in roots {
        let Some(program) = &docs[k].program else {
            continue;
        };
        // The texts the program was checked with (the editor's, for open files), then the
        // same with the edits.
        let root = program.sources.get(program.root);
        let read: HashMap<PathBuf, String> = program
            .sources
            .iter()
            .filter(|(id, _)| *id != program.root)
            .map(|(_, f)| (f.path.clone(), f.text.clone()))
            .collect();
        let before = errors(&root.path, root.text.clone(), &read);
        let text = after
            .get(&root.path)
            .cloned()
            .unwrap_or_else(|| root.text.clone());
        let mut edited = read;
        edited.extend(after.iter().map(|(p, t)| (p.clone(), t.clone())));
        let now = errors(&root.path, text, &edited);
        let new_error = now.iter().find(|d| {
            !before
                .iter()
                .any(|b| b.code == d.code && b.message == d.message)
        });
        if let Some(d) = new_error {
            return Err(format!(
                "renaming `{old}` to `{new}` would break the rules: {}",
                d.message
            ));
        }
    }
    Ok(())
}

//! What `qindex check` finds in a rules file: its shape when it compiles, and every
//! diagnostic with its file, line and column.

use crate::diagnostics::{Diagnostic, Severity};
use crate::plan::NodeKind;
use crate::session::Session;
use crate::Sources;
use serde::Serialize;

/// The check of one rules file.
#[derive(Debug, Clone, Serialize)]
pub struct FileCheck {
    pub path: String,
    /// No errors (warnings allowed).
    pub ok: bool,
    pub errors: usize,
    pub warnings: usize,
    /// The index's id, groups and indicators, and the declared schemes, when it compiles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<Shape>,
    pub diagnostics: Vec<Located>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Shape {
    pub id: String,
    pub groups: usize,
    pub indicators: usize,
    pub schemes: Vec<String>,
}

/// A diagnostic with its place as file, line and column (1-based, columns in characters).
#[derive(Debug, Clone, Serialize)]
pub struct Located {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Located {
    pub fn new(d: &Diagnostic, sources: &Sources) -> Located {
        let (file, line, column) = match d.span {
            Some(span) if (span.file.0 as usize) < sources.len() => {
                let f = sources.get(span.file);
                let p = f.position(span.start as usize);
                (
                    Some(f.path.display().to_string()),
                    Some(p.line),
                    Some(p.column),
                )
            }
            _ => (d.location.clone(), None, None),
        };
        Located {
            severity: d.severity,
            code: d.code,
            message: d.message.clone(),
            file,
            line,
            column,
            hint: d.hint.clone(),
            notes: d.notes.clone(),
        }
    }
}

/// The check of an opened session.
pub fn check(session: &Session) -> FileCheck {
    let diags = session.diagnostics();
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let index = session.plan("default").ok().map(|plan| Shape {
        id: plan.index.id.clone(),
        groups: plan
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Group)
            .count(),
        indicators: plan.indicators().count(),
        schemes: session.schemes().to_vec(),
    });
    FileCheck {
        path: session.path().display().to_string(),
        ok: errors == 0,
        errors,
        warnings: diags.len() - errors,
        index,
        diagnostics: diags
            .iter()
            .map(|d| Located::new(d, session.sources()))
            .collect(),
    }
}

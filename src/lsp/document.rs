//! One open rules file: its text checked as `qindex check` checks it, and what the editor asks
//! of it (hover, definitions, the outline), in qindex's terms (byte offsets, spans); the
//! server converts to the protocol's.

use crate::check::{self, Checked, Program};
use crate::diagnostics::Diagnostic;
use crate::plan::{NodeKind, Plan, Weight};
use crate::source::Span;
use std::path::Path;

use super::position::LineIndex;

/// A checked version of an open file.
pub struct Document {
    /// The editor's version of the text, for the diagnostics published about it.
    pub version: i32,
    /// The text as the checker reads it (a byte-order mark removed; spans count without it).
    pub text: String,
    /// Whether the editor's text starts with a byte-order mark (one UTF-16 unit on line 0).
    pub bom: bool,
    pub lines: LineIndex,
    /// The program (the file and every file it `use`s), when the file could be read.
    pub program: Option<Program>,
    pub checked: Option<Checked>,
    /// Every diagnostic of loading and checking, in every file of the program.
    pub diagnostics: Vec<Diagnostic>,
}

impl Document {
    /// Checks `text` as the content of the file at `path` (its `use`s resolve against it).
    pub fn new(path: &Path, text: &str, version: i32) -> Document {
        let bom = text.starts_with('\u{feff}');
        let text = text.strip_prefix('\u{feff}').unwrap_or(text).to_string();
        let lines = LineIndex::new(&text);
        let (program, checked, diagnostics) = match check::load_text(path, text.clone()) {
            Ok((program, mut diags)) => {
                let checked = check::check(&program);
                diags.extend(checked.diagnostics.iter().cloned());
                (Some(program), Some(checked), diags)
            }
            Err(crate::Error::Diagnostics(ds)) => (None, None, ds),
            Err(e) => (
                None,
                None,
                vec![Diagnostic::error("unreadable", e.to_string())],
            ),
        };
        Document {
            version,
            text,
            bom,
            lines,
            program,
            checked,
            diagnostics,
        }
    }

    /// Whether `span` is in this file (not in a file it `use`s).
    pub fn is_own(&self, span: Span) -> bool {
        self.program.as_ref().is_some_and(|p| span.file == p.root)
    }

    /// The default scheme's plan, then the other schemes'.
    fn plans(&self) -> impl Iterator<Item = &Plan> {
        self.checked.iter().flat_map(|c| c.plans.iter())
    }

    /// The identifier around byte `offset` (letters, digits, `_`), and its byte range.
    pub fn word_at(&self, offset: usize) -> Option<(&str, std::ops::Range<usize>)> {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let offset = offset.min(self.text.len());
        if !self.text.is_char_boundary(offset) {
            return None;
        }
        let start = self.text[..offset]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_word(*c))
            .last()
            .map_or(offset, |(i, _)| i);
        let end = self.text[offset..]
            .char_indices()
            .find(|(_, c)| !is_word(*c))
            .map_or(self.text.len(), |(i, _)| offset + i);
        (start < end).then(|| (&self.text[start..end], start..end))
    }

    /// The node named at `offset`, in the first plan that has it.
    fn node_at(&self, offset: usize) -> Option<(&Plan, crate::plan::NodeId)> {
        let (word, _) = self.word_at(offset)?;
        self.plans().find_map(|p| p.find(word).map(|id| (p, id)))
    }

    /// What hovering at `offset` shows (Markdown): for a node id, its label, kind, weight
    /// within its parent and in the whole index, direction, normalisation, aggregation, tags.
    pub fn hover(&self, offset: usize) -> Option<String> {
        let (plan, id) = self.node_at(offset)?;
        let node = plan.node(id);
        let kind = match node.kind {
            NodeKind::Index => "index",
            NodeKind::Group => "group",
            NodeKind::Indicator => "indicator",
        };
        let mut out = format!("**`{}`** ({kind})", node.id);
        if let Some(l) = &node.label {
            out.push_str(&format!(" {l}"));
        }
        if plan.scheme != "default" {
            out.push_str(&format!(" — in scheme `{}`", plan.scheme));
        }
        out.push_str("\n\n");
        if let Some(d) = &node.description {
            out.push_str(&format!("{d}\n\n"));
        }
        let mut facts: Vec<String> = Vec::new();
        if let (Some(w), Some(p)) = (&node.weight, node.parent) {
            let parent = &plan.node(p).id;
            facts.push(match w {
                Weight::Fixed(x) => format!("weight within `{parent}`: {}", short(*x)),
                Weight::Derived(m) => {
                    format!("weight within `{parent}`: derived from data: {m}")
                }
            });
            facts.push(match node.overall {
                Some(x) => format!("overall weight in the index: {}", short(x)),
                None => "overall weight in the index: derived from data (depends on the data)"
                    .to_string(),
            });
        }
        if let Some(i) = &node.indicator {
            facts.push(format!("direction: {}", i.direction));
            facts.push(format!("normalise: {}", i.normalise));
            facts.push(format!("formula: `{}`", i.formula.text));
        }
        if let Some(g) = &node.group {
            facts.push(format!("aggregate: {}", g.aggregate));
            facts.push(format!("weights: {}", g.weights));
        }
        if !node.tags.is_empty() {
            facts.push(format!("tags: {}", node.tags.join(", ")));
        }
        for f in facts {
            out.push_str(&format!("- {f}\n"));
        }
        Some(out)
    }

    /// Where the node named at `offset` is declared: its span (in any file of the program).
    pub fn definition(&self, offset: usize) -> Option<Span> {
        let (plan, id) = self.node_at(offset)?;
        let node = plan.node(id);
        Some(self.id_span(node.span, &node.id))
    }

    /// Within a declaration's span, the span of its id (the first occurrence as a word), so
    /// that a jump lands on the name; the declaration's start when it is not found.
    pub fn id_span(&self, decl: Span, id: &str) -> Span {
        let Some(program) = &self.program else {
            return decl;
        };
        let text = program.sources.slice(decl);
        let found = text.match_indices(id).find(|(i, _)| {
            let before = text[..*i].chars().next_back();
            let after = text[i + id.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            !word(before) && !word(after)
        });
        match found {
            Some((i, _)) => Span::new(
                decl.file,
                decl.start as usize + i,
                decl.start as usize + i + id.len(),
            ),
            None => Span::new(decl.file, decl.start as usize, decl.start as usize),
        }
    }

    /// The default plan's nodes declared in this file, as an outline: (node, children).
    pub fn outline(&self) -> Vec<Outline> {
        let Some(plan) = self.checked.as_ref().and_then(|c| c.plan("default")) else {
            return Vec::new();
        };
        fn walk(doc: &Document, plan: &Plan, id: crate::plan::NodeId) -> Vec<Outline> {
            let node = plan.node(id);
            let children: Vec<Outline> = node
                .children
                .iter()
                .flat_map(|c| walk(doc, plan, *c))
                .collect();
            if !doc.is_own(node.span) {
                return children;
            }
            vec![Outline {
                id: node.id.clone(),
                label: node.label.clone(),
                kind: node.kind,
                span: node.span,
                name: doc.id_span(node.span, &node.id),
                children,
            }]
        }
        walk(self, plan, crate::plan::NodeId::ROOT)
    }
}

/// A node of the outline.
pub struct Outline {
    pub id: String,
    pub label: Option<String>,
    pub kind: NodeKind,
    /// The whole declaration, and its id.
    pub span: Span,
    pub name: Span,
    pub children: Vec<Outline>,
}

/// A weight for reading: up to six significant decimals.
fn short(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

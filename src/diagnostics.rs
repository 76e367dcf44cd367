//! One diagnostic type for every problem a user can cause, rendered with source snippets.

use crate::source::{Sources, Span};
use serde::Serialize;
use std::fmt::Write as _;
use unicode_width::UnicodeWidthChar;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A problem in the rules or the data: a message in the methodologist's terms, where it is,
/// and how to fix it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable, short code such as `unknown-node`, for tests and JSON consumers.
    pub code: &'static str,
    pub message: String,
    /// The primary location in the rules; `None` for problems without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// A short text printed under the underline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Further locations, each with a short text ("first defined here").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<(Span, String)>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Extra facts (a list of missing pairs, a computed value).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Where a data problem was found, when it is not in the rules: `file:row:column`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The data column the problem is about (`unknown-column`), so that a caller who knows
    /// where the rules name it can point there.
    #[serde(skip)]
    pub column: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, code, message)
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, code, message)
    }

    fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            span: None,
            label: None,
            related: Vec::new(),
            hint: None,
            notes: Vec::new(),
            location: None,
            column: None,
        }
    }

    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_related(mut self, span: Span, text: impl Into<String>) -> Self {
        self.related.push((span, text.into()));
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn with_location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    pub fn with_column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Whether the rendering may use ANSI colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Never,
    Always,
}

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Renders one diagnostic against the sources:
///
/// ```text
/// error: unknown node `brnads` in this scheme
///   --> rules/market_led.qi:4:12
///    |
///  4 |     weight brnads = 3
///    |            ^^^^^^ no group or indicator has this id
///    = hint: did you mean `brands`?
/// ```
pub fn render(diag: &Diagnostic, sources: &Sources, color: Color) -> String {
    let paint = Paint {
        on: color == Color::Always,
    };
    let mut out = String::new();
    let (word, code) = match diag.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let _ = writeln!(
        out,
        "{}{}",
        paint.wrap(code, word),
        paint.wrap("1", &format!(": {}", diag.message))
    );
    let gutter = diag
        .span
        .iter()
        .chain(diag.related.iter().map(|(s, _)| s))
        .map(|s| {
            let file = sources.get(s.file);
            (file.line_index(s.start as usize) + 1).to_string().len()
        })
        .max()
        .unwrap_or(1);
    if let Some(span) = diag.span {
        snippet(
            &mut out,
            sources,
            span,
            diag.label.as_deref(),
            gutter,
            &paint,
            code,
        );
    } else if let Some(location) = &diag.location {
        let _ = writeln!(
            out,
            "{:gutter$}{} {}",
            "",
            paint.wrap("1;34", "-->"),
            location
        );
    }
    for (span, text) in &diag.related {
        snippet(&mut out, sources, *span, Some(text), gutter, &paint, "1;34");
    }
    for note in &diag.notes {
        let _ = writeln!(
            out,
            "{:gutter$} {} {}",
            "",
            paint.wrap("1;34", "= note:"),
            indent_continuation(note, gutter + 9)
        );
    }
    if let Some(hint) = &diag.hint {
        let _ = writeln!(
            out,
            "{:gutter$} {} {}",
            "",
            paint.wrap("1;36", "= hint:"),
            indent_continuation(hint, gutter + 9)
        );
    }
    out
}

fn indent_continuation(text: &str, width: usize) -> String {
    text.replace('\n', &format!("\n{:width$}", ""))
}

fn snippet(
    out: &mut String,
    sources: &Sources,
    span: Span,
    label: Option<&str>,
    gutter: usize,
    paint: &Paint,
    code: &str,
) {
    let file = sources.get(span.file);
    let pos = file.position(span.start as usize);
    let _ = writeln!(
        out,
        "{:gutter$}{} {}:{}:{}",
        "",
        paint.wrap("1;34", "-->"),
        file.path.display(),
        pos.line,
        pos.column
    );
    let bar = paint.wrap("1;34", "|");
    let _ = writeln!(out, "{:gutter$} {}", "", bar);
    let line = pos.line - 1;
    let text = file.line_text(line);
    let line_start = file.line_start(line);
    // The underline runs from the span's start to its end or the end of the line. A long
    // line is shown around the span only, elided with `…` on either side.
    let floor = |i: usize| crate::source::floor_char_boundary(text, i.min(text.len()));
    let start = floor(span.start as usize - line_start);
    let end = floor(
        (span.end as usize)
            .saturating_sub(line_start)
            .min(text.len())
            .max(start),
    );
    let (from, prefix) = if start > ELIDE_BEFORE + 20 {
        (floor(start - ELIDE_BEFORE), "…")
    } else {
        (0, "")
    };
    let limit = end.min(start + ELIDE_SPAN) + ELIDE_AFTER;
    let (to, suffix) = if text.len() > limit + 20 {
        (floor(limit), "…")
    } else {
        (text.len(), "")
    };
    let _ = writeln!(
        out,
        "{} {} {}{}{}",
        paint.wrap("1;34", &format!("{:>gutter$}", pos.line)),
        bar,
        prefix,
        expand_tabs(&text[from..to]),
        suffix
    );
    let lead = display_width(prefix) + display_width(&text[from..start]);
    let body = &text[start..end.min(to)];
    let marks = display_width(body).max(1);
    let mut under = " ".repeat(lead);
    under.push_str(&"^".repeat(marks));
    if let Some(label) = label {
        under.push(' ');
        under.push_str(label);
    }
    let _ = writeln!(out, "{:gutter$} {} {}", "", bar, paint.wrap(code, &under));
}

/// Of a long line, the characters shown before a span, of the span, and after it.
const ELIDE_BEFORE: usize = 60;
const ELIDE_SPAN: usize = 80;
const ELIDE_AFTER: usize = 40;

fn expand_tabs(text: &str) -> String {
    text.replace('\t', "    ")
}

/// The width of a text in terminal columns: CJK characters count 2, tabs 4.
pub fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| if c == '\t' { 4 } else { c.width().unwrap_or(0) })
        .sum()
}

/// Renders many diagnostics, errors and warnings in the order given, separated by blank lines.
pub fn render_all(diags: &[Diagnostic], sources: &Sources, color: Color) -> String {
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&render(d, sources, color));
    }
    out
}

/// The closest candidate to a misspelt name, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= limit || c.to_lowercase() == name.to_lowercase())
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// Levenshtein distance in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Whether `c` is a control character (ESC, BEL, CR, ...) or one of the invisible characters
/// that reorder text on a terminal (LRM/RLM, bidirectional embeddings, overrides and isolates,
/// as in "Trojan Source" attacks).
pub fn is_invisible_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every [`is_invisible_control`] character written visibly as `\u{202E}` (a tab
/// as `\t`), so that it cannot act on a terminal and a reader sees it is there.
pub fn escape_invisible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            c if is_invisible_control(c) => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_counts_cjk_twice() {
        assert_eq!(display_width("质量ab"), 6);
    }

    #[test]
    fn suggestion_finds_typos() {
        assert_eq!(did_you_mean("brnads", ["brands", "market"]), Some("brands"));
        assert_eq!(did_you_mean("zzz", ["brands", "market"]), None);
    }
}

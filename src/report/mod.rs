//! Renderers only: every command's result (the Plan for `qindex explain`, the analyses, the
//! uncertainty and sensitivity summaries) as text, CSV, JSON or xlsx. Nothing here computes.

pub mod audit;
pub mod checked;
pub mod compare;
mod explain;
#[cfg(test)]
mod fixtures;
pub mod html;
pub mod importance;
pub mod json;
mod methods;
pub mod orientation;
pub mod profile;
pub mod run;
pub mod sensitivity;
pub mod snapshot;
pub mod stability;
pub mod stats;
pub mod survey;
pub mod table;
pub mod uncertainty;
pub mod xlsx;

pub use explain::{explain_json, explain_text};
pub use methods::{methods_cells, methods_table, Cell, TableFormat};

use crate::diagnostics::display_width;
use crate::plan::Weight;

/// The widest a label may be in the text tree, in display columns; longer ones end in `…`.
const LABEL_MAX_WIDTH: usize = 40;

/// A node's weight within its parent as text, or `None` for the index.
fn weight_text(weight: Option<&Weight>, decimals: Option<usize>) -> Option<String> {
    weight.map(|w| match w {
        Weight::Fixed(x) => fixed_number(*x, decimals),
        Weight::Derived(method) => format!("derived ({method})"),
    })
}

/// A number with `decimals` places, or printed as briefly as it is exact when `None`.
fn fixed_number(x: f64, decimals: Option<usize>) -> String {
    match decimals {
        Some(d) => format!("{x:.d$}"),
        None => crate::plan::num(x),
    }
}

/// The text on one line: control characters (a newline in a label) become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Code from the rules (a formula, a condition) as shown: without its comments, white space
/// (line breaks included) as single spaces, and control and bidirectional characters written
/// visibly (`\u{202E}`), so that what a reader sees is what the code does ("Trojan Source").
/// A `#` inside a string or a backticked column name is not a comment.
pub(crate) fn code_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut space = false;
    let push = |out: &mut String, c: char, space: &mut bool| {
        if *space && !out.is_empty() {
            out.push(' ');
        }
        *space = false;
        out.push_str(&crate::diagnostics::escape_invisible(
            c.encode_utf8(&mut [0; 4]),
        ));
    };
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                space = true;
            }
            c if c.is_whitespace() => space = true,
            '"' | '`' => {
                push(&mut out, c, &mut space);
                while let Some(d) = chars.next() {
                    push(&mut out, d, &mut space);
                    if d == '\\' && c == '"' {
                        if let Some(e) = chars.next() {
                            push(&mut out, e, &mut space);
                        }
                    } else if d == c {
                        break;
                    }
                }
            }
            c => push(&mut out, c, &mut space),
        }
    }
    out
}

/// The invisible characters that reorder text on a terminal (LRM/RLM, embeddings, overrides,
/// isolates): a label could otherwise make a table line read differently from its bytes.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Cuts `text` to at most `max` display columns, ending in `…` when anything was cut.
pub(crate) fn truncate_to_width(text: &str, max: usize) -> String {
    if display_width(text) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut width = 0;
    let mut buf = [0u8; 4];
    for c in text.chars() {
        let w = display_width(c.encode_utf8(&mut buf));
        // Leave one column for the ellipsis.
        if width + w + 1 > max {
            break;
        }
        out.push(c);
        width += w;
    }
    out.push('…');
    out
}

/// `text` followed by spaces up to `width` display columns.
pub(crate) fn pad(text: &str, width: usize) -> String {
    format!(
        "{text}{}",
        " ".repeat(width.saturating_sub(display_width(text)))
    )
}

/// `text` preceded by spaces up to `width` display columns.
pub(crate) fn pad_left(text: &str, width: usize) -> String {
    format!(
        "{}{text}",
        " ".repeat(width.saturating_sub(display_width(text)))
    )
}

/// A text cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab or
/// carriage return before one) gets a leading `'`, as OWASP recommends against CSV injection.
pub(crate) fn guard_formula(text: &str) -> String {
    if formula_like(text) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// Whether a spreadsheet would read a text cell as a formula: it starts with `=`, `+`, `-`,
/// `@`, or a tab or carriage return before one.
pub(crate) fn formula_like(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A field quoted per RFC 4180 when it holds a comma, a quote or a line break.
pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_by_display_width() {
        assert_eq!(truncate_to_width("abcdef", 6), "abcdef");
        assert_eq!(truncate_to_width("abcdefg", 6), "abcde…");
        // CJK counts 2: four characters (8 columns) do not fit in 6; two plus `…` (5) do.
        assert_eq!(truncate_to_width("质量强市", 6), "质量…");
        assert_eq!(truncate_to_width("质量强市", 8), "质量强市");
        assert!(display_width(&truncate_to_width("质量强市示范城市评价", 7)) <= 7);
    }

    #[test]
    fn pads_by_display_width() {
        assert_eq!(pad("质量", 6), "质量  ");
        assert_eq!(pad_left("质量", 6), "  质量");
        assert_eq!(pad("toolong", 3), "toolong");
    }

    #[test]
    fn code_text_drops_comments_and_shows_invisible_characters() {
        assert_eq!(code_text("a  # the first\n  + b # x"), "a + b");
        assert_eq!(code_text("`a#b` + \"c#\\\"d\" # e"), "`a#b` + \"c#\\\"d\"");
        assert_eq!(
            code_text("x /* \u{202E} */\t+ `y\u{2066}`\r\n\u{7}"),
            "x /* \\u{202E} */ + `y\\u{2066}` \\u{7}"
        );
    }

    #[test]
    fn one_line_replaces_control_characters() {
        assert_eq!(one_line("a\nb\tc"), "a b c");
        assert_eq!(one_line("x\u{1b}[31my\u{7}z\rw"), "x [31my z w");
        assert_eq!(one_line("ab\u{202E}cd\u{2066}e"), "ab cd e");
    }
}

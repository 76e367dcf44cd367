//! A lexical pass before the grammar: collects comments with their spans (for the formatter)
//! and finds the slips a grammar reports badly — full-width punctuation typed by a Chinese
//! input method, unterminated strings and backticks — so they can be named precisely.

use super::ast::Comment;
use crate::diagnostics::Diagnostic;
use crate::source::{FileId, Span};

/// Full-width characters and the ASCII character meant.
const FULL_WIDTH: &[(char, char)] = &[
    ('（', '('),
    ('）', ')'),
    ('，', ','),
    ('：', ':'),
    ('；', ';'),
    ('＞', '>'),
    ('＜', '<'),
    ('＝', '='),
    ('“', '"'),
    ('”', '"'),
    ('‘', '\''),
    ('’', '\''),
    ('％', '%'),
    ('［', '['),
    ('］', ']'),
    ('｛', '{'),
    ('｝', '}'),
    ('【', '['),
    ('】', ']'),
    ('。', '.'),
    ('、', ','),
    ('－', '-'),
    ('＋', '+'),
    ('＊', '*'),
    ('／', '/'),
    ('　', ' '),
    ('｀', '`'),
    ('＃', '#'),
];

/// The ASCII character a full-width one stands for.
pub fn ascii_for(c: char) -> Option<char> {
    FULL_WIDTH.iter().find(|(f, _)| *f == c).map(|(_, a)| *a)
}

pub struct Lexed {
    pub comments: Vec<Comment>,
    /// Problems in source order; the parser reports the first one that comes before (or
    /// where) the grammar fails.
    pub problems: Vec<(usize, Diagnostic)>,
    /// The innermost `{` still open at the end of the file.
    pub unclosed: Option<usize>,
    /// Nesting or length past what the parser takes (see [`MAX_DEPTH`]): reported before
    /// parsing, which would otherwise recurse that deep.
    pub too_deep: Option<Diagnostic>,
}

/// Brackets (`(`, `[`, `{`) open at once, at most.
pub const MAX_DEPTH: usize = 256;
/// `if`s in one expression (between two braces), at most: each nests the parse one level.
pub const MAX_IFS: usize = 1000;
/// Operators in one expression (between two braces), at most.
pub const MAX_OPERATORS: usize = 100_000;

/// The error for input past one of the parser's limits.
fn limit(code: &'static str, message: String, span: Span, hint: &str) -> Diagnostic {
    Diagnostic::error(code, message)
        .with_span(span)
        .with_hint(hint.to_string())
}

pub fn scan(file: FileId, text: &str) -> Lexed {
    let mut comments = Vec::new();
    let mut problems = Vec::new();
    let mut braces: Vec<usize> = Vec::new();
    let mut too_deep: Option<Diagnostic> = None;
    let mut depth = 0usize;
    let (mut ifs, mut operators) = (0usize, 0usize);
    let mut prev_word_char = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if too_deep.is_none() {
            let word_char = c.is_alphanumeric() || c == '_';
            match c {
                '(' | '[' | '{' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        too_deep = Some(limit(
                            "too-deep",
                            format!("brackets nested more than {MAX_DEPTH} deep"),
                            Span::new(file, i, i + 1),
                            "split the expression with `let` names, or the groups into fewer levels",
                        ));
                    }
                    if c == '{' {
                        (ifs, operators) = (0, 0);
                    }
                }
                ')' | ']' | '}' => {
                    depth = depth.saturating_sub(1);
                    if c == '}' {
                        (ifs, operators) = (0, 0);
                    }
                }
                '+' | '-' | '*' | '/' | '^' => {
                    operators += 1;
                    if operators > MAX_OPERATORS {
                        too_deep = Some(limit(
                            "too-long",
                            format!("more than {MAX_OPERATORS} operators in one expression"),
                            Span::new(file, i, i + 1),
                            "sum long lists of columns in the data, or split the expression with `let` names",
                        ));
                    }
                }
                'i' if !prev_word_char
                    && text[i..].starts_with("if")
                    && !text[i + 2..]
                        .chars()
                        .next()
                        .is_some_and(|d| d.is_alphanumeric() || d == '_') =>
                {
                    ifs += 1;
                    if ifs > MAX_IFS {
                        too_deep = Some(limit(
                            "too-deep",
                            format!("more than {MAX_IFS} `if`s in one expression"),
                            Span::new(file, i, i + 2),
                            "split the expression with `let` names, or use `bands` for a scoring table",
                        ));
                    }
                }
                _ => {}
            }
            prev_word_char = word_char;
        }
        match c {
            '#' => {
                let mut end = text.len();
                while let Some(&(j, d)) = chars.peek() {
                    if d == '\n' {
                        end = j;
                        break;
                    }
                    chars.next();
                }
                let body = text[i..end].trim_end_matches('\r');
                comments.push(Comment {
                    text: body.to_string(),
                    span: Span::new(file, i, i + body.len()),
                });
            }
            '"' | '`' => {
                let mut closed = false;
                let mut escaped = false;
                while let Some(&(_, d)) = chars.peek() {
                    if d == '\n' || d == '\r' {
                        break;
                    }
                    chars.next();
                    if c == '"' && d == '\\' && !escaped {
                        escaped = true;
                        continue;
                    }
                    if d == c && !escaped {
                        closed = true;
                        break;
                    }
                    escaped = false;
                }
                if !closed {
                    let (what, hint) = if c == '"' {
                        (
                            "this string is never closed",
                            "end it with `\"` on the same line (write `\\\"` for a quote inside it)",
                        )
                    } else {
                        (
                            "this backtick column name is never closed",
                            "end the column name with a backtick on the same line",
                        )
                    };
                    problems.push((
                        i,
                        Diagnostic::error("unterminated-string", what)
                            .with_span(Span::new(file, i, i + 1))
                            .with_label("starts here")
                            .with_hint(hint),
                    ));
                }
            }
            '{' => braces.push(i),
            '}' => {
                braces.pop();
            }
            _ => {
                if let Some(ascii) = ascii_for(c) {
                    let message = if c == '　' {
                        "a full-width space (U+3000) here".to_string()
                    } else {
                        format!("full-width `{c}` where the rules language uses ASCII `{ascii}`")
                    };
                    problems.push((
                        i,
                        Diagnostic::error("full-width", message)
                            .with_span(Span::new(file, i, i + c.len_utf8()))
                            .with_label(format!("write `{ascii}`"))
                            .with_hint(
                                "switch the input method to half-width (English) punctuation; \
                                 full-width characters are fine inside \"strings\" and `backticks`",
                            ),
                    ));
                }
            }
        }
    }
    Lexed {
        comments,
        problems,
        unclosed: braces.last().copied(),
        too_deep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_skip_strings_and_backticks() {
        let l = scan(FileId(0), "a \"x # y\" `c#d` # real\n# two\r\n");
        let texts: Vec<_> = l.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["# real", "# two"]);
        assert!(l.problems.is_empty());
    }

    #[test]
    fn full_width_colon_is_named() {
        let l = scan(FileId(0), "a ： b \"：\"");
        assert_eq!(l.problems.len(), 1);
        assert!(l.problems[0].1.message.contains("`:`"));
    }

    #[test]
    fn unterminated_string_points_at_its_start() {
        let l = scan(FileId(0), "x \"abc\ny");
        assert_eq!(l.problems[0].0, 2);
    }
}

//! Semantic tokens: what each word of a rules file is (a keyword, a node id, a method, a data
//! column, ...), read from the grammar's own parse, so editors colour the file without a second
//! grammar. Comments come from the lexical pass ([`super::lex`]), which keeps them.

use super::lex;
use super::parse::{Grammar, Rule};
use crate::source::FileId;
use pest::iterators::Pair;
use pest::Parser as _;

/// What a token is. `Name` is a name in an expression: a `let` when one is declared with it,
/// else a data column (the caller, which knows the lets, decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Keyword,
    /// A word operator (`and`, `or`, `not`) or a symbol one (`+`, `>=`, ...).
    Operator,
    /// The id of an index, group or indicator, declared or referred to.
    Node,
    /// The name a `let` declares.
    Let,
    /// A name in an expression: a `let` or a data column.
    Name,
    /// A data column: in backticks, or where the grammar expects a column (`by`, `item`, ...).
    Column,
    /// A method and its qualifier words (`minmax`, `zscore`, `ri textbook`, `by`).
    Method,
    /// A function called in an expression (`log`, `min`, ...).
    Function,
    Scheme,
    Survey,
    /// A survey's dimension, or the dimension or item after `SURVEY.`.
    Dimension,
    /// A `tag` word.
    Tag,
    String,
    Number,
    Comment,
}

/// A token: its byte range in the text, its kind, and whether it declares the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub kind: TokenKind,
    pub declaration: bool,
}

/// The tokens of `text` in order. A text that does not parse gives its comments only (the
/// editor keeps its own colouring for the rest).
pub fn tokens(text: &str) -> Vec<Token> {
    let lexed = lex::scan(FileId(0), text);
    let mut out: Vec<Token> = Vec::new();
    if lexed.too_deep.is_none() {
        pest::set_error_detail(false);
        if let Ok(pairs) = Grammar::parse(Rule::program, text) {
            for p in pairs {
                walk(p, Rule::program, &mut out);
            }
        }
    }
    out.extend(lexed.comments.iter().map(|c| Token {
        start: c.span.start as usize,
        end: c.span.end as usize,
        kind: TokenKind::Comment,
        declaration: false,
    }));
    out.sort_by_key(|t| t.start);
    out
}

fn push(out: &mut Vec<Token>, p: &Pair<Rule>, kind: TokenKind, declaration: bool) {
    let s = p.as_span();
    if s.start() < s.end() {
        out.push(Token {
            start: s.start(),
            end: s.end(),
            kind,
            declaration,
        });
    }
}

/// The kind of an `ident` inside a pair of rule `parent` (`first`: the first ident there).
fn ident_kind(parent: Rule, first: bool) -> (TokenKind, bool) {
    use TokenKind as K;
    match parent {
        Rule::index_decl | Rule::group_decl | Rule::indicator_decl if first => (K::Node, true),
        Rule::let_decl => (K::Let, true),
        Rule::target
        | Rule::judgement
        | Rule::exclude
        | Rule::add_to
        | Rule::in_node
        | Rule::at_node => (K::Node, false),
        Rule::scheme_decl if first => (K::Scheme, true),
        Rule::scheme_from => (K::Scheme, false),
        Rule::survey_decl if first => (K::Survey, true),
        Rule::dimension_decl if first => (K::Dimension, true),
        Rule::method | Rule::list_method => (K::Method, false),
        Rule::setting => (K::Tag, false),
        // A column written as a plain name where the grammar expects a column.
        _ => (K::Column, false),
    }
}

fn walk(p: Pair<Rule>, parent: Rule, out: &mut Vec<Token>) {
    use TokenKind as K;
    let rule = p.as_rule();
    match rule {
        Rule::ident => {
            let (kind, decl) = ident_kind(parent, true);
            push(out, &p, kind, decl);
        }
        Rule::string => push(out, &p, K::String, false),
        Rule::column => push(out, &p, K::Column, false),
        Rule::number | Rule::signed => push(out, &p, K::Number, false),
        Rule::name => push(out, &p, K::Name, false),
        Rule::not_op | Rule::or_op | Rule::and_op => push(out, &p, K::Operator, false),
        Rule::neg
        | Rule::eq
        | Rule::ne
        | Rule::le
        | Rule::ge
        | Rule::lt
        | Rule::gt
        | Rule::add_op
        | Rule::sub_op
        | Rule::mul_op
        | Rule::div_op
        | Rule::pow_op
        | Rule::band_op
        | Rule::judge_op => push(out, &p, K::Operator, false),
        Rule::ratio_kw | Rule::qual_word => push(out, &p, K::Method, false),
        Rule::survey_ref => {
            let mut inner = p.into_inner();
            if let Some(survey) = inner.next() {
                push(out, &survey, K::Survey, false);
            }
            if let Some(member) = inner.next() {
                push(out, &member, K::Dimension, false);
            }
        }
        Rule::call => {
            let mut inner = p.into_inner();
            if let Some(f) = inner.next() {
                push(out, &f, K::Function, false);
            }
            for c in inner {
                walk(c, Rule::call, out);
            }
        }
        Rule::vary => {
            // `vary survey ID`: a survey; `vary weight NODE`: a node.
            let mut survey = false;
            for c in p.into_inner() {
                match c.as_rule() {
                    Rule::k_survey => {
                        survey = true;
                        push(out, &c, K::Keyword, false);
                    }
                    Rule::ident => push(out, &c, if survey { K::Survey } else { K::Node }, false),
                    _ => walk(c, Rule::vary, out),
                }
            }
        }
        Rule::choose => {
            // `choose scheme [a, b]` lists schemes, not methods.
            let mut schemes = false;
            for c in p.into_inner() {
                match c.as_rule() {
                    Rule::ident => {
                        schemes = c.as_str() == "scheme";
                        push(out, &c, K::Keyword, false);
                    }
                    Rule::method_list if schemes => {
                        let from = out.len();
                        walk(c, Rule::choose, out);
                        for t in &mut out[from..] {
                            if t.kind == K::Method {
                                t.kind = K::Scheme;
                            }
                        }
                    }
                    _ => walk(c, Rule::choose, out),
                }
            }
        }
        Rule::method_qual => {
            // `by COLUMN` and `ri TABLE`: the word is the method's, its argument a column or
            // a table's name.
            let mut by = false;
            for c in p.into_inner() {
                match c.as_rule() {
                    Rule::k_by => {
                        by = true;
                        push(out, &c, K::Method, false);
                    }
                    Rule::ident => push(out, &c, if by { K::Column } else { K::Method }, false),
                    _ => walk(c, Rule::method_qual, out),
                }
            }
        }
        Rule::method | Rule::list_method => {
            let mut first = true;
            for c in p.into_inner() {
                if c.as_rule() == Rule::ident && first {
                    push(out, &c, K::Method, false);
                } else {
                    walk(c, rule, out);
                }
                first = false;
            }
        }
        _ if is_keyword(rule) => push(out, &p, K::Keyword, false),
        _ => {
            let mut first = true;
            for c in p.into_inner() {
                if c.as_rule() == Rule::ident {
                    let (kind, decl) = ident_kind(rule, first);
                    push(out, &c, kind, decl);
                    first = false;
                } else {
                    walk(c, rule, out);
                }
            }
        }
    }
}

/// The grammar's keyword rules (`k_*`), by name; each rule's answer is kept, since this is
/// asked for every pair of the file.
fn is_keyword(rule: Rule) -> bool {
    use std::sync::atomic::{AtomicU8, Ordering};
    static KNOWN: [AtomicU8; 512] = [const { AtomicU8::new(0) }; 512];
    let by_name = || format!("{rule:?}").starts_with("k_");
    let Some(slot) = KNOWN.get(rule as usize) else {
        return by_name();
    };
    match slot.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let keyword = by_name();
            slot.store(if keyword { 1 } else { 2 }, Ordering::Relaxed);
            keyword
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_classify_the_words_of_a_file() {
        let text = "# top\nlet r = a / 2\nindex t \"T\" by city {\n    indicator x = log(r) + `b c` {\n        normalise zscore 100, 10\n        tag market\n    }\n}\nscheme s from s0 {\n    weight x = 2\n    exclude x\n}\nuncertainty {\n    choose scheme [default, s]\n    choose normalise [minmax, rank]\n}\n";
        let toks = tokens(text);
        let seen: Vec<(&str, TokenKind, bool)> = toks
            .iter()
            .map(|t| (&text[t.start..t.end], t.kind, t.declaration))
            .collect();
        use TokenKind as K;
        for want in [
            ("# top", K::Comment, false),
            ("let", K::Keyword, false),
            ("r", K::Let, true),
            ("a", K::Name, false),
            ("/", K::Operator, false),
            ("2", K::Number, false),
            ("t", K::Node, true),
            ("\"T\"", K::String, false),
            ("city", K::Column, false),
            ("x", K::Node, true),
            ("log", K::Function, false),
            ("`b c`", K::Column, false),
            ("zscore", K::Method, false),
            ("100", K::Number, false),
            ("market", K::Tag, false),
            ("s", K::Scheme, true),
            ("s0", K::Scheme, false),
            ("x", K::Node, false),
            ("choose", K::Keyword, false),
            ("scheme", K::Keyword, false),
            ("default", K::Scheme, false),
            ("rank", K::Method, false),
        ] {
            assert!(seen.contains(&want), "{want:?} not in {seen:?}");
        }
        // In order, without overlaps.
        assert!(toks.windows(2).all(|w| w[0].end <= w[1].start), "{seen:?}");
    }
}

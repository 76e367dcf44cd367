//! The parser: pest pairs are turned into the AST at once; `Pair` and `Rule` stay here.

use super::ast::*;
use super::lex;
use crate::diagnostics::{did_you_mean, Diagnostic};
use crate::source::{FileId, Span};
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;
use std::sync::OnceLock;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/qindex.pest"]
pub(super) struct Grammar;

type P<'i> = Pair<'i, Rule>;

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::or_op, Assoc::Left))
            .op(Op::infix(Rule::and_op, Assoc::Left))
            .op(Op::prefix(Rule::not_op))
            .op(Op::infix(Rule::eq, Assoc::Left)
                | Op::infix(Rule::ne, Assoc::Left)
                | Op::infix(Rule::lt, Assoc::Left)
                | Op::infix(Rule::le, Assoc::Left)
                | Op::infix(Rule::gt, Assoc::Left)
                | Op::infix(Rule::ge, Assoc::Left))
            .op(Op::infix(Rule::add_op, Assoc::Left) | Op::infix(Rule::sub_op, Assoc::Left))
            .op(Op::infix(Rule::mul_op, Assoc::Left) | Op::infix(Rule::div_op, Assoc::Left))
            .op(Op::prefix(Rule::neg))
            .op(Op::infix(Rule::pow_op, Assoc::Right))
    })
}

/// Parses one file. On failure, returns the first syntax error of the file.
pub fn parse(file: FileId, text: &str) -> Result<File, Box<Diagnostic>> {
    let mut lexed = lex::scan(file, text);
    if let Some(d) = lexed.too_deep.take() {
        return Err(Box::new(d));
    }
    // Detailed attempts slow parsing down, so they are collected only to explain a failure.
    pest::set_error_detail(false);
    let parsed = Grammar::parse(Rule::program, text).map_err(|_| {
        pest::set_error_detail(true);
        let e = Grammar::parse(Rule::program, text).expect_err("the same input fails again");
        pest::set_error_detail(false);
        e
    });
    match parsed {
        Ok(mut pairs) => {
            if let Some((_, d)) = lexed.problems.into_iter().next() {
                return Err(Box::new(d));
            }
            let program = pairs.next().expect("the grammar yields one program");
            let b = Builder {
                file,
                text,
                comments: lexed
                    .comments
                    .iter()
                    .map(|c| (c.span.start as usize, c.span.end as usize))
                    .collect(),
            };
            let mut items = Vec::new();
            for p in program.into_inner() {
                if p.as_rule() == Rule::EOI {
                    break;
                }
                items.push(b.item(p)?);
            }
            Ok(File {
                items,
                comments: lexed.comments,
            })
        }
        Err(e) => {
            let mut pos = match e.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((s, _)) => s,
            };
            if let Some(a) = e.parse_attempts() {
                pos = pos.max(a.max_position);
            }
            if let Some((_, d)) = lexed.problems.into_iter().find(|(at, _)| *at <= pos) {
                return Err(Box::new(d));
            }
            Err(Box::new(syntax_error(file, text, &e, pos, lexed.unclosed)))
        }
    }
}

/// Parses a standalone expression (for `--where`).
pub fn parse_expr(file: FileId, text: &str) -> Result<Expr, Box<Diagnostic>> {
    if let Some(d) = lex::scan(file, text).too_deep {
        return Err(Box::new(d));
    }
    pest::set_error_detail(true);
    let result = Grammar::parse(Rule::expr_only, text);
    pest::set_error_detail(false);
    match result {
        Ok(mut pairs) => {
            let whole = pairs.next().expect("an expression");
            let p = whole.into_inner().next().expect("an expression");
            Builder {
                file,
                text,
                comments: Vec::new(),
            }
            .expr(p)
        }
        Err(e) => {
            let mut pos = match e.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((s, _)) => s,
            };
            if let Some(a) = e.parse_attempts() {
                pos = pos.max(a.max_position);
            }
            Err(Box::new(syntax_error(file, text, &e, pos, None)))
        }
    }
}

pub(crate) const SETTING_WORDS: &[&str] = &[
    "scale",
    "goalposts",
    "normalise",
    "direction",
    "transform",
    "winsorise",
    "missing",
    "coverage",
    "aggregate",
    "weights",
    "reference",
    "unit",
    "source",
    "description",
    "tag",
    "group",
    "indicator",
    "let",
    "data",
    "units",
    "adjust",
];

pub(crate) const SURVEY_WORDS: &[&str] = &[
    "data",
    "by",
    "over",
    "weight",
    "strata",
    "cluster",
    "scale",
    "dont_know",
    "min_respondents",
    "dimension",
];

pub(crate) const DIMENSION_WORDS: &[&str] = &["item", "scale", "reverse", "weight"];

pub(crate) const TOP_WORDS: &[&str] = &["index", "let", "use", "scheme", "uncertainty", "survey"];

fn syntax_error(
    file: FileId,
    text: &str,
    e: &pest::error::Error<Rule>,
    pos: usize,
    unclosed: Option<usize>,
) -> Diagnostic {
    let location = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    // The rules pest names are those tried where it stopped; the detailed attempts may reach
    // further, and then only they describe what was expected at `pos`.
    let mut rules: Vec<Rule> = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } if location == pos => {
            positives.clone()
        }
        _ => Vec::new(),
    };
    let mut tokens: Vec<String> = Vec::new();
    if let Some(attempts) = e.parse_attempts() {
        for stack in attempts.call_stacks() {
            if let Some(r) = stack.deepest.get_rule() {
                rules.push(*r);
            }
        }
        for t in attempts.expected_tokens() {
            tokens.push(t.to_string());
        }
    }
    let found = found_token(text, pos);
    let mut expected: Vec<String> = Vec::new();
    fn push(expected: &mut Vec<String>, s: &str) {
        if !expected.iter().any(|e| e == s) {
            expected.push(s.to_string());
        }
    }
    let mut operator = false;
    let mut setting = false;
    let mut top = false;
    let mut survey_line = false;
    let mut dimension_line = false;
    for r in &rules {
        match describe(*r) {
            Some(Described::Word(w)) => push(&mut expected, w),
            Some(Described::Operator) => operator = true,
            Some(Described::Setting) => setting = true,
            Some(Described::Top) => top = true,
            Some(Described::SurveyLine) => survey_line = true,
            Some(Described::DimensionLine) => dimension_line = true,
            None => {}
        }
    }
    for t in &tokens {
        match t.as_str() {
            "{" | "}" | "(" | ")" | "[" | "]" | "=" | ":" | "," | ".." => {
                push(&mut expected, &format!("`{t}`"))
            }
            "+" | "-" | "*" | "/" | "^" | "==" | "!=" | "<" | "<=" | ">" | ">=" => operator = true,
            _ => {}
        }
    }
    if setting {
        expected.insert(0, "a setting or declaration".into());
    }
    if top {
        expected.insert(
            0,
            "`index`, `scheme`, `uncertainty`, `survey`, `use` or `let`".into(),
        );
    }
    if expected.iter().any(|e| e == "an expression") {
        expected.retain(|e| !matches!(e.as_str(), "a name" | "a `column`" | "a number" | "`(`"));
    }
    if operator && expected.is_empty() {
        push(&mut expected, "an operator");
    }
    let span = Span::new(
        file,
        pos,
        pos + found
            .len()
            .max(1)
            .min(text.len().saturating_sub(pos).max(1)),
    );
    let found_words = if found.is_empty() {
        "the end of the file".to_string()
    } else {
        format!("`{found}`")
    };
    let is_word = found
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_');
    if is_word && expected.len() == 1 && expected[0] == "the end of the file" {
        top = true;
    }
    // An unknown word where a line of a survey or of its dimension could stand.
    if is_word && (survey_line || dimension_line) {
        // Inside a dimension, the survey's own `scale` is attempted too: the dimension wins.
        let (words, what, all): (&[&str], &str, &str) = if !dimension_line {
            (
                SURVEY_WORDS,
                "unknown survey setting",
                "a survey has `data`, `by`, `over`, `weight`, `strata`, `cluster`, `scale`, \
                 `dont_know`, `min_respondents` and `dimension` lines",
            )
        } else {
            (
                DIMENSION_WORDS,
                "unexpected word in a dimension:",
                "a dimension has a `scale` and `item` lines: \
                 `item COLUMN [\"label\"] [reverse] [weight W] [{ scale LO..HI }]`",
            )
        };
        let d = Diagnostic::error("syntax", format!("{what} `{found}`")).with_span(span);
        return match did_you_mean(&found, words.iter().copied()) {
            Some(w) => d.with_hint(format!("did you mean `{w}`?")),
            None => d.with_hint(all),
        };
    }
    // An unknown word where a setting or declaration could stand.
    if is_word && (setting || top) {
        let words = if setting { SETTING_WORDS } else { TOP_WORDS };
        let kind = if setting { "setting" } else { "declaration" };
        let mut d =
            Diagnostic::error("syntax", format!("unknown {kind} `{found}`")).with_span(span);
        if let Some(s) = did_you_mean(&found, words.iter().copied()) {
            d = d.with_hint(format!("did you mean `{s}`?"));
        } else if setting {
            d = d.with_hint(
                "settings are: scale, normalise, goalposts, direction, transform, winsorise, \
                 missing, coverage, aggregate, weights, reference, unit, source, description, tag",
            );
        } else {
            d = d.with_hint(
                "a rules file holds `index`, `scheme`, `uncertainty`, `survey`, `use` and `let` \
                 declarations",
            );
        }
        return d;
    }
    // A character the language never uses.
    if let Some(c) = found.chars().next() {
        if found.chars().count() == 1
            && !c.is_alphanumeric()
            && !"_#\"`{}()[],:=<>!+-*/^.%".contains(c)
        {
            return Diagnostic::error("syntax", format!("`{c}` is not part of the rules language"))
                .with_span(span)
                .with_hint("remove it; operators are `+ - * / ^`, comparisons `== != < <= > >=`");
        }
    }
    // `weight` with something other than a number after it.
    let before = text[..crate::source::floor_char_boundary(text, pos)].trim_end();
    if before.ends_with("weight") && expected.iter().any(|e| e == "a number") {
        return Diagnostic::error("syntax", format!("`weight` must be followed by a number, not {found_words}"))
            .with_span(span)
            .with_hint("write the weight, e.g. `group product \"产品质量\" weight 15 { ... }`; weights are relative");
    }
    let message = if expected.is_empty() {
        format!("unexpected {found_words}")
    } else {
        format!("expected {}, found {found_words}", join_or(&expected))
    };
    if found.is_empty() {
        if let Some(open) = unclosed {
            return Diagnostic::error("syntax", "the file ends before this `{` is closed")
                .with_span(Span::new(file, open, open + 1))
                .with_label("opened here")
                .with_hint("add the matching `}` after the last line of this block");
        }
    }
    let mut d = Diagnostic::error("syntax", message).with_span(span);
    if found.starts_with('}') && expected.iter().any(|e| e == "a number") {
        d = d.with_hint("write the number before the `}`");
    }
    d
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => "something else".to_string(),
        [a] => a.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

enum Described {
    Word(&'static str),
    Operator,
    Setting,
    Top,
    /// A line of a `survey` block.
    SurveyLine,
    /// A line of a survey's `dimension`.
    DimensionLine,
}

/// Readable words for grammar rules: users never see rule names.
fn describe(r: Rule) -> Option<Described> {
    use Described::*;
    Some(match r {
        Rule::ident | Rule::name | Rule::target => Word("a name"),
        Rule::number | Rule::signed => Word("a number"),
        Rule::string | Rule::string_inner => Word("a \"string\""),
        Rule::column | Rule::column_inner => Word("a `column`"),
        Rule::range => Word("a range such as `0..100`"),
        Rule::expr | Rule::call | Rule::paren | Rule::if_expr | Rule::neg | Rule::not_op => {
            Word("an expression")
        }
        Rule::method | Rule::list_method => Word("a method name"),
        Rule::method_list | Rule::list_item => Word("a list `[...]`"),
        Rule::band_row | Rule::band_op => Word("a band such as `>= 90: 100`"),
        Rule::judgement | Rule::judge_op => Word("a judgement such as `a > b : 3`"),
        Rule::setting => Setting,
        Rule::group_decl | Rule::indicator_decl | Rule::data_decl | Rule::units_where => Setting,
        Rule::adjust_block => Setting,
        Rule::use_decl
        | Rule::index_decl
        | Rule::scheme_decl
        | Rule::uncertainty_decl
        | Rule::survey_decl => Top,
        Rule::survey_by
        | Rule::survey_weight
        | Rule::survey_strata
        | Rule::survey_cluster
        | Rule::survey_scale
        | Rule::dont_know
        | Rule::min_resp
        | Rule::dimension_decl
        | Rule::k_strata
        | Rule::k_cluster
        | Rule::k_dont_know
        | Rule::k_min_resp
        | Rule::k_dimension => SurveyLine,
        Rule::survey_item | Rule::k_item | Rule::k_reverse => DimensionLine,
        Rule::let_decl => Word("`let`"),
        Rule::bonus | Rule::penalty | Rule::veto => Word("`bonus`, `penalty` or `veto`"),
        Rule::samples | Rule::seed | Rule::vary | Rule::choose | Rule::drop => {
            Word("`samples`, `seed`, `vary`, `choose` or `drop`")
        }
        Rule::exclude | Rule::add => Word("a setting, `weight`, `exclude` or `add`"),
        Rule::or_op
        | Rule::and_op
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
        | Rule::pow_op => Operator,
        Rule::EOI => Word("the end of the file"),
        Rule::header_weight | Rule::k_weight => Word("`weight`"),
        Rule::formula => Word("`=`"),
        Rule::label_col | Rule::k_label => Word("`label`"),
        Rule::over_col | Rule::k_over => Word("`over`"),
        Rule::k_by => Word("`by`"),
        Rule::k_then => Word("`then`"),
        Rule::k_else => Word("`else`"),
        Rule::k_where => Word("`where`"),
        Rule::k_indicator => Word("`indicator`"),
        Rule::k_weights => Word("`weights`"),
        Rule::limit_max | Rule::k_max => Word("`max`"),
        Rule::limit_cap | Rule::k_cap => Word("`cap`"),
        Rule::scheme_from | Rule::k_from => Word("`from`"),
        Rule::add_to | Rule::k_to => Word("`to`"),
        Rule::in_node | Rule::k_in => Word("`in`"),
        Rule::at_node | Rule::k_at => Word("`at`"),
        _ => return None,
    })
}

/// The text at a position, up to the end of a word or one character.
fn found_token(text: &str, pos: usize) -> String {
    let rest = &text[crate::source::floor_char_boundary(text, pos)..];
    let mut chars = rest.chars();
    match chars.next() {
        None => String::new(),
        Some(c) if c.is_alphanumeric() || c == '_' => rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect(),
        Some(c) => c.to_string(),
    }
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    /// Comment spans, sorted, to keep them out of the end of node spans.
    comments: Vec<(usize, usize)>,
}

type R<T> = Result<T, Box<Diagnostic>>;

impl Builder<'_> {
    /// A node's span, without the whitespace and comments pest lets a rule that ends in an
    /// optional part absorb.
    fn span(&self, p: &P) -> Span {
        let s = p.as_span();
        let (start, mut end) = (s.start(), s.end());
        let bytes = self.text.as_bytes();
        while end > start {
            if bytes[end - 1].is_ascii_whitespace() {
                end -= 1;
            } else if let Ok(k) = self.comments.binary_search_by_key(&end, |c| c.1) {
                end = self.comments[k].0.max(start);
            } else {
                break;
            }
        }
        Span::new(self.file, start, end)
    }

    fn item(&self, p: P) -> R<Item> {
        Ok(match p.as_rule() {
            Rule::use_decl => {
                let span = self.span(&p);
                let s = p.into_inner().nth(1).expect("use path");
                Item::Use(Use {
                    path: self.string(s)?,
                    span,
                })
            }
            Rule::let_decl => Item::Let(self.let_decl(p)?),
            Rule::index_decl => Item::Index(self.index(p)?),
            Rule::scheme_decl => Item::Scheme(self.scheme(p)?),
            Rule::uncertainty_decl => Item::Uncertainty(self.uncertainty(p)?),
            Rule::survey_decl => Item::Survey(self.survey(p)?),
            r => unreachable!("item {r:?}"),
        })
    }

    fn ident(&self, p: P) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn string(&self, p: P) -> R<Str> {
        let span = self.span(&p);
        let raw = p.into_inner().next().map(|i| i.as_str()).unwrap_or("");
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.char_indices();
        while let Some((i, c)) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some((_, '"')) => value.push('"'),
                    Some((_, '\\')) => value.push('\\'),
                    Some((j, other)) => {
                        let at = span.start as usize + 1 + i;
                        return Err(Box::new(
                            Diagnostic::error(
                                "syntax",
                                format!("unknown escape `\\{other}` in a string"),
                            )
                            .with_span(Span::new(self.file, at, at + (j - i) + other.len_utf8()))
                            .with_hint(
                                "strings know only `\\\"` and `\\\\`; write `\\\\` for a backslash",
                            ),
                        ));
                    }
                    None => value.push('\\'),
                }
            } else {
                value.push(c);
            }
        }
        Ok(Str { value, span })
    }

    fn column(&self, p: P) -> ColumnName {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::column => ColumnName {
                name: p
                    .into_inner()
                    .next()
                    .map(|i| i.as_str())
                    .unwrap_or("")
                    .to_string(),
                backticks: true,
                span,
            },
            _ => ColumnName {
                name: p.as_str().to_string(),
                backticks: false,
                span,
            },
        }
    }

    fn number(&self, p: P) -> R<Number> {
        let span = self.span(&p);
        let text = p.as_str().to_string();
        let percent = text.ends_with('%');
        let digits: String = text
            .trim_end_matches('%')
            .chars()
            .filter(|c| *c != '_')
            .collect();
        let value: f64 = digits.parse().map_err(|_| {
            Box::new(
                Diagnostic::error("syntax", format!("`{text}` is not a number")).with_span(span),
            )
        })?;
        if !value.is_finite() {
            return Err(Box::new(
                Diagnostic::error("syntax", format!("`{text}` is too large to be a number"))
                    .with_span(span),
            ));
        }
        Ok(Number {
            text,
            value: if percent { value / 100.0 } else { value },
            percent,
            span,
        })
    }

    fn range(&self, p: P) -> R<Range> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let lo = self.number(it.next().expect("lo"))?;
        let hi = self.number(it.next().expect("hi"))?;
        Ok(Range { lo, hi, span })
    }

    fn let_decl(&self, p: P) -> R<Let> {
        let span = self.span(&p);
        let mut it = p.into_inner().skip(1);
        let name = self.ident(it.next().expect("let name"));
        let expr = self.expr(it.next().expect("let expr"))?;
        Ok(Let { name, expr, span })
    }

    fn index(&self, p: P) -> R<Index> {
        let span = self.span(&p);
        let mut it = p.into_inner().skip(1).peekable();
        let id = self.ident(it.next().expect("index id"));
        let label = match it.peek().map(|p| p.as_rule()) {
            Some(Rule::string) => Some(self.string(it.next().expect("label"))?),
            _ => None,
        };
        it.next(); // k_by
        let by = self.column(it.next().expect("by column"));
        let mut label_column = None;
        let mut over = None;
        let mut members = Vec::new();
        for q in it {
            match q.as_rule() {
                Rule::label_col => {
                    label_column = Some(self.column(q.into_inner().nth(1).expect("column")))
                }
                Rule::over_col => over = Some(self.column(q.into_inner().nth(1).expect("column"))),
                _ => members.push(self.member(q)?),
            }
        }
        Ok(Index {
            id,
            label,
            by,
            label_column,
            over,
            members,
            span,
        })
    }

    fn member(&self, p: P) -> R<Member> {
        let span = self.span(&p);
        Ok(match p.as_rule() {
            Rule::group_decl => Member::Group(self.group(p)?),
            Rule::indicator_decl => Member::Indicator(self.indicator(p)?),
            Rule::let_decl => Member::Let(self.let_decl(p)?),
            Rule::data_decl => Member::Data(
                self.string(p.into_inner().nth(1).expect("data path"))?,
                span,
            ),
            Rule::units_where => {
                Member::UnitsWhere(self.expr(p.into_inner().nth(2).expect("where expr"))?, span)
            }
            Rule::adjust_block => Member::Adjust(self.adjust(p)?),
            Rule::setting => Member::Setting(self.setting(p)?),
            Rule::misplaced => self.member(p.into_inner().next().expect("member"))?,
            r => unreachable!("member {r:?}"),
        })
    }

    fn group(&self, p: P) -> R<Group> {
        let span = self.span(&p);
        let mut it = p.into_inner().skip(1).peekable();
        let id = self.ident(it.next().expect("group id"));
        let mut label = None;
        let mut weight = None;
        let mut members = Vec::new();
        for q in it {
            match q.as_rule() {
                Rule::string => label = Some(self.string(q)?),
                Rule::header_weight => {
                    weight = Some(self.number(q.into_inner().nth(1).expect("weight"))?)
                }
                _ => members.push(self.member(q)?),
            }
        }
        Ok(Group {
            id,
            label,
            weight,
            members,
            span,
        })
    }

    fn indicator(&self, p: P) -> R<Indicator> {
        let span = self.span(&p);
        let mut it = p.into_inner().skip(1);
        let id = self.ident(it.next().expect("indicator id"));
        let mut ind = Indicator {
            id,
            label: None,
            formula: None,
            weight: None,
            body: None,
            span,
        };
        for q in it {
            match q.as_rule() {
                Rule::string => ind.label = Some(self.string(q)?),
                Rule::formula => {
                    ind.formula = Some(self.expr(q.into_inner().next().expect("formula"))?)
                }
                Rule::header_weight => {
                    ind.weight = Some(self.number(q.into_inner().nth(1).expect("weight"))?)
                }
                Rule::indicator_body => {
                    let mut body = Vec::new();
                    for m in q.into_inner() {
                        body.push(self.member(m)?);
                    }
                    ind.body = Some(body);
                }
                r => unreachable!("indicator {r:?}"),
            }
        }
        Ok(ind)
    }

    fn adjust(&self, p: P) -> R<Adjust> {
        let span = self.span(&p);
        let mut lines = Vec::new();
        for q in p.into_inner().skip(1) {
            let lspan = self.span(&q);
            let kind = match q.as_rule() {
                Rule::bonus => AdjustKind::Bonus,
                Rule::penalty => AdjustKind::Penalty,
                _ => AdjustKind::Veto,
            };
            let mut it = q.into_inner().skip(1);
            let expr = self.expr(it.next().expect("adjust expr"))?;
            let limit = match it.next() {
                Some(l) => Some(self.number(l.into_inner().nth(1).expect("limit"))?),
                None => None,
            };
            lines.push(AdjustLine {
                kind,
                expr,
                limit,
                span: lspan,
            });
        }
        Ok(Adjust { lines, span })
    }

    fn setting(&self, p: P) -> R<Setting> {
        let span = self.span(&p);
        let mut it = p.into_inner().peekable();
        let kw = it.next().expect("setting keyword");
        let key_span = self.span(&kw);
        let key = match kw.as_rule() {
            Rule::k_scale => SettingKey::Scale,
            Rule::k_goalposts => SettingKey::Goalposts,
            Rule::k_normalise => SettingKey::Normalise,
            Rule::k_direction => SettingKey::Direction,
            Rule::k_transform => SettingKey::Transform,
            Rule::k_winsorise => SettingKey::Winsorise,
            Rule::k_missing => SettingKey::Missing,
            Rule::k_coverage => SettingKey::Coverage,
            Rule::k_aggregate => SettingKey::Aggregate,
            Rule::k_weights => SettingKey::Weights,
            Rule::k_reference => SettingKey::Reference,
            Rule::k_unit => SettingKey::Unit,
            Rule::k_source => SettingKey::Source,
            Rule::k_description => SettingKey::Description,
            Rule::k_tag => SettingKey::Tag,
            Rule::k_weight => SettingKey::Weight,
            r => unreachable!("setting keyword {r:?}"),
        };
        let target = match it.peek().map(|p| p.as_rule()) {
            Some(Rule::target) => Some(
                self.ident(
                    it.next()
                        .expect("target")
                        .into_inner()
                        .next()
                        .expect("ident"),
                ),
            ),
            _ => None,
        };
        let rest: Vec<P> = it.collect();
        let value = match key {
            SettingKey::Missing => {
                let mut ms = Vec::new();
                for m in rest {
                    ms.push(self.method(m)?);
                }
                SettingValue::Methods(ms)
            }
            SettingKey::Tag => {
                SettingValue::Words(rest.into_iter().map(|w| self.ident(w)).collect())
            }
            _ => {
                let v = rest.into_iter().next().expect("setting value");
                match v.as_rule() {
                    Rule::range => SettingValue::Range(self.range(v)?),
                    Rule::method => SettingValue::Method(self.method(v)?),
                    Rule::signed => SettingValue::Number(self.number(v)?),
                    Rule::string => SettingValue::Str(self.string(v)?),
                    r => unreachable!("setting value {r:?}"),
                }
            }
        };
        Ok(Setting {
            key,
            key_span,
            target,
            value,
            span,
        })
    }

    fn method(&self, p: P) -> R<Method> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let first = it.next().expect("method name");
        if first.as_rule() == Rule::ratio_unit {
            let mut r = first.into_inner();
            let name = self.ident(r.next().expect("ratio"));
            r.next(); // k_unit
            let unit = self.string(r.next().expect("unit name"))?;
            return Ok(Method {
                name,
                qualifier: Some(Qualifier::Unit(unit)),
                params: Vec::new(),
                parens: false,
                block: None,
                span,
            });
        }
        let name = self.ident(first);
        let mut m = Method {
            name,
            qualifier: None,
            params: Vec::new(),
            parens: false,
            block: None,
            span,
        };
        for q in it {
            match q.as_rule() {
                Rule::method_qual => {
                    let mut qi = q.into_inner();
                    let first = qi.next().expect("qualifier");
                    m.qualifier = Some(match first.as_rule() {
                        Rule::k_by => Qualifier::By(self.column(qi.next().expect("column"))),
                        Rule::k_ri => Qualifier::Ri(self.ident(qi.next().expect("ri"))),
                        _ => Qualifier::Word(self.ident(first)),
                    });
                }
                Rule::paren_params | Rule::space_params => {
                    m.parens = q.as_rule() == Rule::paren_params;
                    for a in q.into_inner() {
                        m.params.push(match a.as_rule() {
                            Rule::range => Param::Range(self.range(a)?),
                            _ => Param::Number(self.number(a)?),
                        });
                    }
                }
                Rule::method_block => {
                    let b = q.into_inner().next().expect("block");
                    let bspan = self.span(&b);
                    m.block = Some(match b.as_rule() {
                        Rule::bands_block => {
                            let mut rows = Vec::new();
                            for r in b.into_inner() {
                                rows.push(self.band_row(r)?);
                            }
                            MethodBlock::Bands(rows, bspan)
                        }
                        Rule::ahp_block => {
                            let mut js = Vec::new();
                            for j in b.into_inner() {
                                js.push(self.judgement(j)?);
                            }
                            MethodBlock::Ahp(js, bspan)
                        }
                        _ => MethodBlock::List(self.list(b)?, bspan),
                    });
                }
                r => unreachable!("method part {r:?}"),
            }
        }
        Ok(m)
    }

    fn list(&self, p: P) -> R<Vec<ListItem>> {
        let mut items = Vec::new();
        for it in p.into_inner() {
            let span = self.span(&it);
            let mut parts = it.into_inner();
            let method = self.method(parts.next().expect("list method"))?;
            let share = match parts.next() {
                Some(s) => Some(self.number(s)?),
                None => None,
            };
            items.push(ListItem {
                method,
                share,
                span,
            });
        }
        Ok(items)
    }

    fn band_row(&self, p: P) -> R<BandRow> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let first = it.next().expect("band op");
        let (op, threshold) = if first.as_rule() == Rule::k_else {
            (BandOp::Else, None)
        } else {
            let op = match first.as_str() {
                ">=" => BandOp::Ge,
                ">" => BandOp::Gt,
                "<=" => BandOp::Le,
                _ => BandOp::Lt,
            };
            (op, Some(self.number(it.next().expect("threshold"))?))
        };
        let score = self.number(it.next().expect("band score"))?;
        Ok(BandRow {
            op,
            threshold,
            score,
            span,
        })
    }

    fn judgement(&self, p: P) -> R<Judgement> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let left = self.ident(it.next().expect("left"));
        let op = match it.next().expect("op").as_str() {
            ">" => JudgeOp::Greater,
            "<" => JudgeOp::Less,
            _ => JudgeOp::Equal,
        };
        let right = self.ident(it.next().expect("right"));
        let value = match it.next() {
            Some(v) => Some(self.number(v)?),
            None => None,
        };
        Ok(Judgement {
            left,
            op,
            right,
            value,
            span,
        })
    }

    fn scheme(&self, p: P) -> R<Scheme> {
        let span = self.span(&p);
        let mut it = p.into_inner().skip(1);
        let id = self.ident(it.next().expect("scheme id"));
        let mut s = Scheme {
            id,
            label: None,
            from: None,
            overrides: Vec::new(),
            span,
        };
        for q in it {
            let qspan = self.span(&q);
            match q.as_rule() {
                Rule::string => s.label = Some(self.string(q)?),
                Rule::scheme_from => {
                    s.from = Some(self.ident(q.into_inner().nth(1).expect("from")))
                }
                Rule::exclude => s.overrides.push(Override::Exclude(
                    q.into_inner().skip(1).map(|i| self.ident(i)).collect(),
                    qspan,
                )),
                Rule::add => {
                    let mut to = None;
                    let mut members = Vec::new();
                    for a in q.into_inner().skip(1) {
                        match a.as_rule() {
                            Rule::add_to => {
                                to = Some(self.ident(a.into_inner().nth(1).expect("to")))
                            }
                            _ => members.push(self.member(a)?),
                        }
                    }
                    s.overrides.push(Override::Add {
                        to,
                        members,
                        span: qspan,
                    });
                }
                Rule::setting => s.overrides.push(Override::Setting(self.setting(q)?)),
                r => unreachable!("scheme part {r:?}"),
            }
        }
        Ok(s)
    }

    fn uncertainty(&self, p: P) -> R<Uncertainty> {
        let span = self.span(&p);
        let mut lines = Vec::new();
        for q in p.into_inner().skip(1) {
            let lspan = self.span(&q);
            let rule = q.as_rule();
            let mut it = q.into_inner().skip(1).peekable();
            lines.push(match rule {
                Rule::samples => {
                    UncertaintyLine::Samples(self.number(it.next().expect("n"))?, lspan)
                }
                Rule::seed => UncertaintyLine::Seed(self.number(it.next().expect("seed"))?, lspan),
                Rule::vary => {
                    let kw = it.next().expect("weights, weight or survey");
                    if kw.as_rule() == Rule::k_survey {
                        UncertaintyLine::VarySurvey {
                            survey: self.ident(it.next().expect("survey")),
                            span: lspan,
                        }
                    } else if kw.as_rule() == Rule::k_weights {
                        let within =
                            match it.peek().map(|p| p.as_rule()) {
                                Some(Rule::in_node) => Some(self.ident(
                                    it.next().expect("in").into_inner().nth(1).expect("node"),
                                )),
                                _ => None,
                            };
                        let amount = self.number(it.next().expect("amount"))?;
                        UncertaintyLine::VaryWeights {
                            within,
                            amount,
                            span: lspan,
                        }
                    } else {
                        let node = self.ident(it.next().expect("node"));
                        let amount = self.number(it.next().expect("amount"))?;
                        UncertaintyLine::VaryWeight {
                            node,
                            amount,
                            span: lspan,
                        }
                    }
                }
                Rule::choose => {
                    let what = self.ident(it.next().expect("what"));
                    let list = it.next().expect("options");
                    let options_span = self.span(&list);
                    let options = self.list(list)?;
                    let at = it
                        .next()
                        .map(|a| self.ident(a.into_inner().nth(1).expect("node")));
                    UncertaintyLine::Choose {
                        what,
                        options,
                        options_span,
                        at,
                        span: lspan,
                    }
                }
                _ => {
                    it.next(); // k_indicator
                    let within = it
                        .next()
                        .map(|a| self.ident(a.into_inner().nth(1).expect("node")));
                    UncertaintyLine::Drop {
                        within,
                        span: lspan,
                    }
                }
            });
        }
        Ok(Uncertainty { lines, span })
    }

    /// A declaration's `KEYWORD ID [LABEL]`: its span, id and label, and the pairs after them.
    fn head<'i>(&self, p: P<'i>) -> R<(Span, Ident, Option<Str>, Vec<P<'i>>)> {
        let span = self.span(&p);
        let mut it = p.into_inner().skip(1).peekable();
        let id = self.ident(it.next().expect("an id"));
        let label = match it.peek().map(|q| q.as_rule()) {
            Some(Rule::string) => Some(self.string(it.next().expect("a label"))?),
            _ => None,
        };
        Ok((span, id, label, it.collect()))
    }

    fn survey(&self, p: P) -> R<Survey> {
        let (span, id, label, rest) = self.head(p)?;
        let mut lines = Vec::new();
        for q in rest {
            let lspan = self.span(&q);
            let rule = q.as_rule();
            let column = |kind| {
                SurveyLine::Column(
                    kind,
                    self.column(q.clone().into_inner().nth(1).expect("column")),
                    lspan,
                )
            };
            lines.push(match rule {
                Rule::data_decl => {
                    SurveyLine::Data(self.string(q.into_inner().nth(1).expect("path"))?, lspan)
                }
                Rule::survey_by => column(SurveyColumn::By),
                Rule::over_col => column(SurveyColumn::Over),
                Rule::survey_weight => column(SurveyColumn::Weight),
                Rule::survey_strata => column(SurveyColumn::Strata),
                Rule::survey_cluster => column(SurveyColumn::Cluster),
                Rule::survey_scale => {
                    SurveyLine::Scale(self.range(q.into_inner().nth(1).expect("range"))?, lspan)
                }
                Rule::dont_know => {
                    let v = q.into_inner().nth(1).expect("codes");
                    let list = v.as_rule() == Rule::code_list;
                    let mut codes = Vec::new();
                    if list {
                        for c in v.into_inner() {
                            codes.push(self.number(c)?);
                        }
                    } else {
                        codes.push(self.number(v)?);
                    }
                    SurveyLine::DontKnow {
                        codes,
                        list,
                        span: lspan,
                    }
                }
                Rule::min_resp => SurveyLine::MinRespondents(
                    self.number(q.into_inner().nth(1).expect("n"))?,
                    lspan,
                ),
                Rule::dimension_decl => SurveyLine::Dimension(self.dimension(q)?),
                r => unreachable!("survey line {r:?}"),
            });
        }
        Ok(Survey {
            id,
            label,
            lines,
            span,
        })
    }

    fn dimension(&self, p: P) -> R<SurveyDimension> {
        let (span, id, label, rest) = self.head(p)?;
        let mut lines = Vec::new();
        for q in rest {
            let lspan = self.span(&q);
            match q.as_rule() {
                Rule::survey_scale => lines.push(DimensionLine::Scale(
                    self.range(q.into_inner().nth(1).expect("range"))?,
                    lspan,
                )),
                _ => {
                    let mut parts = q.into_inner().skip(1);
                    let column = self.column(parts.next().expect("item column"));
                    let mut item = SurveyItem {
                        column,
                        label: None,
                        scale: None,
                        reverse: None,
                        weight: None,
                        span: lspan,
                    };
                    for o in parts {
                        match o.as_rule() {
                            Rule::string => item.label = Some(self.string(o)?),
                            Rule::item_body => {
                                if let Some(sc) = o.into_inner().next() {
                                    item.scale =
                                        Some(self.range(sc.into_inner().nth(1).expect("range"))?)
                                }
                            }
                            Rule::k_reverse => item.reverse = Some(self.span(&o)),
                            _ => {
                                item.weight =
                                    Some(self.number(o.into_inner().nth(1).expect("weight"))?)
                            }
                        }
                    }
                    lines.push(DimensionLine::Item(item));
                }
            }
        }
        Ok(SurveyDimension {
            id,
            label,
            lines,
            span,
        })
    }

    fn expr(&self, p: P) -> R<Expr> {
        pratt()
            .map_primary(|q| self.primary(q))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let span = self.span(&op).to(rhs.span);
                let op = if op.as_rule() == Rule::neg {
                    UnaryOp::Neg
                } else {
                    UnaryOp::Not
                };
                Ok(Expr {
                    kind: ExprKind::Unary(op, Box::new(rhs)),
                    span,
                })
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let span = lhs.span.to(rhs.span);
                let op = match op.as_rule() {
                    Rule::or_op => BinaryOp::Or,
                    Rule::and_op => BinaryOp::And,
                    Rule::eq => BinaryOp::Eq,
                    Rule::ne => BinaryOp::Ne,
                    Rule::lt => BinaryOp::Lt,
                    Rule::le => BinaryOp::Le,
                    Rule::gt => BinaryOp::Gt,
                    Rule::ge => BinaryOp::Ge,
                    Rule::add_op => BinaryOp::Add,
                    Rule::sub_op => BinaryOp::Sub,
                    Rule::mul_op => BinaryOp::Mul,
                    Rule::div_op => BinaryOp::Div,
                    _ => BinaryOp::Pow,
                };
                Ok(Expr {
                    kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    span,
                })
            })
            .parse(p.into_inner())
    }

    fn primary(&self, p: P) -> R<Expr> {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::number => ExprKind::Number(self.number(p)?),
            Rule::name => ExprKind::Name(p.as_str().to_string()),
            Rule::column => ExprKind::Column(self.column(p).name),
            Rule::survey_ref => {
                let mut it = p.into_inner();
                let survey = self.ident(it.next().expect("survey"));
                let name = self.column(it.next().expect("estimate"));
                ExprKind::Survey(survey, name)
            }
            Rule::paren => {
                ExprKind::Paren(Box::new(self.expr(p.into_inner().next().expect("inner"))?))
            }
            Rule::call => {
                let mut it = p.into_inner();
                let name = self.ident(it.next().expect("callee"));
                let mut args = Vec::new();
                for a in it {
                    args.push(self.expr(a)?);
                }
                ExprKind::Call(name, args)
            }
            Rule::if_expr => {
                let mut parts = p.into_inner().filter(|q| q.as_rule() == Rule::expr);
                let c = self.expr(parts.next().expect("cond"))?;
                let a = self.expr(parts.next().expect("then"))?;
                let b = self.expr(parts.next().expect("else"))?;
                ExprKind::If(Box::new(c), Box::new(a), Box::new(b))
            }
            r => unreachable!("primary {r:?}"),
        };
        Ok(Expr { kind, span })
    }
}

//! The formatter: AST (+ comments) → the one canonical layout of a rules file.
//!
//! Printing is from the AST, so the layout never depends on the author's spacing; comments are
//! put back by their source position. A comment on its own line goes before the node that
//! follows it; a comment after a node on the same line stays at the end of that node's line;
//! comments left at the end of a block go before its `}`. A comment inside a construct printed
//! on one line (an expression broken over lines, a list) moves to its own line just before that
//! line, so no comment is ever lost or reordered.

use super::ast::*;
use crate::diagnostics::Diagnostic;
use crate::source::FileId;
use unicode_width::UnicodeWidthStr;

/// An indicator whose body is a single setting keeps it on the header line up to this width.
const MAX_WIDTH: usize = 100;
const INDENT: &str = "    ";

/// Parses then formats a rules file. A file with a syntax error is not formatted.
pub fn format_source(text: &str) -> Result<String, Box<Diagnostic>> {
    // The byte-order mark is dropped, as when a file is loaded (spans count without it).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file = super::parse(FileId(0), text)?;
    Ok(format(&file, text))
}

/// Formats a parsed file; `source` is the text it was parsed from (for comment positions and
/// the author's blank lines).
pub fn format(file: &File, source: &str) -> String {
    let mut p = Printer {
        src: source,
        comments: &file.comments,
        next: 0,
        out: String::new(),
        indent: 0,
        last_end: 0,
        fresh: true,
        force_blank: false,
    };
    for (k, item) in file.items.iter().enumerate() {
        p.force_blank = k > 0;
        p.item(item);
    }
    p.comments_before(usize::MAX);
    p.out
}

struct Printer<'a> {
    src: &'a str,
    comments: &'a [Comment],
    /// The first comment not printed yet.
    next: usize,
    out: String,
    indent: usize,
    /// Where the last printed node or comment ends in the source.
    last_end: usize,
    /// At the start of the file or of a block: no blank line before the next line.
    fresh: bool,
    /// Between top-level items: a blank line before the next line whatever the source says.
    force_blank: bool,
}

impl<'a> Printer<'a> {
    fn peek(&self) -> Option<&'a Comment> {
        self.comments.get(self.next)
    }

    /// The next comment, if it starts before `pos`.
    fn comment_before(&self, pos: usize) -> Option<&'a Comment> {
        self.peek().filter(|c| (c.span.start as usize) < pos)
    }

    /// The next comment, if it follows `pos` on the same line (only spaces or the commas
    /// between list rows in between).
    fn comment_after(&self, pos: usize) -> Option<&'a Comment> {
        self.peek().filter(|c| {
            let start = c.span.start as usize;
            start >= pos
                && self.src[pos..start]
                    .chars()
                    .all(|ch| ch == ' ' || ch == '\t' || ch == '\r' || ch == ',')
        })
    }

    /// A blank line before a line starting at `pos` in the source, when the author left one
    /// (at most one), or always between top-level items.
    fn blank(&mut self, pos: usize) {
        let author = !self.fresh
            && pos >= self.last_end
            && self.src[self.last_end..pos.min(self.src.len())]
                .matches('\n')
                .count()
                >= 2;
        if self.force_blank || author {
            self.out.push('\n');
        }
        self.force_blank = false;
        self.fresh = false;
    }

    fn write_indent(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str(INDENT);
        }
    }

    fn comment_line(&mut self, c: &Comment) {
        self.write_indent();
        self.out.push_str(c.text.trim_end());
        self.out.push('\n');
        self.next += 1;
    }

    /// Every comment before `pos`, each on its own line.
    fn comments_before(&mut self, pos: usize) {
        while let Some(c) = self.comment_before(pos) {
            self.blank(c.span.start as usize);
            self.comment_line(c);
            self.last_end = c.span.end as usize;
        }
    }

    /// Starts the line of a node spanning from `start`: its leading comments, then the comments
    /// inside its one-line part (before `head_end`), then the indentation.
    fn begin(&mut self, start: usize, head_end: usize) {
        self.comments_before(start);
        self.blank(start);
        while let Some(c) = self.comment_before(head_end) {
            self.comment_line(c);
        }
        self.write_indent();
    }

    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// Ends the line of a node ending at `end`, with its trailing comment.
    fn end(&mut self, end: usize) {
        self.last_end = end;
        if self.comment_before(end).is_some() {
            // Comments after a nested block but inside the node: on their own lines after it.
            self.out.push('\n');
            while let Some(c) = self.comment_before(end) {
                self.comment_line(c);
            }
            if let Some(c) = self.comment_after(end) {
                self.comment_line(c);
                self.last_end = c.span.end as usize;
            }
            return;
        }
        if let Some(c) = self.comment_after(end) {
            self.out.push_str("  ");
            self.out.push_str(c.text.trim_end());
            self.next += 1;
            self.last_end = c.span.end as usize;
        }
        self.out.push('\n');
    }

    /// A `{ ... }` block whose `{` is at `open` and `}` at `close`, one item per line.
    fn block<T>(
        &mut self,
        open: usize,
        close: usize,
        items: &[T],
        mut item: impl FnMut(&mut Self, &T),
    ) {
        if items.is_empty() && self.comment_before(close).is_none() {
            self.push(" {}");
            return;
        }
        self.push(" {");
        self.last_end = open + 1;
        if let Some(c) = self.comment_after(open + 1) {
            self.out.push_str("  ");
            self.out.push_str(c.text.trim_end());
            self.next += 1;
            self.last_end = c.span.end as usize;
        }
        self.out.push('\n');
        self.indent += 1;
        self.fresh = true;
        for i in items {
            item(self, i);
        }
        self.comments_before(close);
        self.indent -= 1;
        self.fresh = false;
        self.write_indent();
        self.push("}");
    }

    /// The position of the `{` that opens a block after a header ending at `from`.
    fn brace_after(&self, from: usize) -> usize {
        let bytes = self.src.as_bytes();
        let mut i = from;
        while i < bytes.len() {
            match bytes[i] {
                b'{' => return i,
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
        }
        from
    }

    /// A node's start and end. pest lets a rule that ends in an optional part or a repetition
    /// swallow the spaces and comments after it, so the end is moved back before them.
    fn bounds(&self, span: crate::source::Span) -> (usize, usize) {
        let start = span.start as usize;
        let mut end = span.end as usize;
        loop {
            end = start + self.src[start..end].trim_end().len();
            // The last comment starting before `end`; if `end` falls inside it, cut it off.
            let k = self
                .comments
                .partition_point(|c| (c.span.start as usize) < end);
            match k.checked_sub(1).map(|k| &self.comments[k]) {
                Some(c) if c.span.start as usize >= start && c.span.end as usize >= end => {
                    end = c.span.start as usize;
                }
                _ => return (start, end),
            }
        }
    }

    fn width(&self, line: &str) -> usize {
        self.indent * INDENT.len() + line.width()
    }

    // ------------------------------------------------------------------ items

    fn item(&mut self, item: &Item) {
        match item {
            Item::Use(u) => {
                let (s, e) = self.bounds(u.span);
                self.begin(s, e);
                self.push(&format!("use {}", string(&u.path)));
                self.end(e);
            }
            Item::Let(l) => self.let_decl(l),
            Item::Index(i) => {
                let (s, e) = self.bounds(i.span);
                let mut head = format!("index {}", i.id.name);
                let mut head_end = i.by.span.end;
                if let Some(l) = &i.label {
                    head.push(' ');
                    head.push_str(&string(l));
                }
                head.push_str(&format!(" by {}", column(&i.by)));
                if let Some(c) = &i.label_column {
                    head.push_str(&format!(" label {}", column(c)));
                    head_end = c.span.end;
                }
                if let Some(c) = &i.over {
                    head.push_str(&format!(" over {}", column(c)));
                    head_end = c.span.end;
                }
                let open = self.brace_after(head_end as usize);
                self.begin(s, open);
                self.push(&head);
                self.block(open, e - 1, &i.members, Self::member);
                self.end(e);
            }
            Item::Scheme(sc) => {
                let (s, e) = self.bounds(sc.span);
                let mut head = format!("scheme {}", sc.id.name);
                let mut head_end = sc.id.span.end;
                if let Some(l) = &sc.label {
                    head.push(' ');
                    head.push_str(&string(l));
                    head_end = l.span.end;
                }
                if let Some(f) = &sc.from {
                    head.push_str(&format!(" from {}", f.name));
                    head_end = f.span.end;
                }
                let open = self.brace_after(head_end as usize);
                self.begin(s, open);
                self.push(&head);
                self.block(open, e - 1, &sc.overrides, Self::override_);
                self.end(e);
            }
            Item::Uncertainty(u) => {
                let (s, e) = self.bounds(u.span);
                let open = self.brace_after(s + "uncertainty".len());
                self.begin(s, open);
                self.push("uncertainty");
                self.block(open, e - 1, &u.lines, Self::uncertainty_line);
                self.end(e);
            }
            Item::Survey(sv) => self.headed_block(
                sv.span,
                labelled("survey", &sv.id, &sv.label),
                &sv.lines,
                Self::survey_line,
            ),
        }
    }

    /// A line of a `survey` block.
    fn survey_line(&mut self, l: &SurveyLine) {
        let text = match l {
            SurveyLine::Dimension(d) => {
                let head = labelled("dimension", &d.id, &d.label);
                self.headed_block(d.span, head, &d.lines, |p, l| {
                    let text = match l {
                        DimensionLine::Scale(r, _) => format!("scale {}", range(r)),
                        DimensionLine::Item(i) => survey_item(i),
                    };
                    p.one_line(l.span(), &text);
                });
                return;
            }
            SurveyLine::Data(path, _) => format!("data {}", string(path)),
            SurveyLine::Column(kind, c, _) => format!("{} {}", kind.keyword(), column(c)),
            SurveyLine::Scale(r, _) => format!("scale {}", range(r)),
            SurveyLine::DontKnow { codes, list, .. } => {
                let codes: Vec<&str> = codes.iter().map(|c| c.text.as_str()).collect();
                if *list || codes.len() != 1 {
                    format!("dont_know [{}]", codes.join(", "))
                } else {
                    format!("dont_know {}", codes[0])
                }
            }
            SurveyLine::MinRespondents(n, _) => format!("min_respondents {}", n.text),
        };
        self.one_line(l.span(), &text);
    }

    /// A node of `span` whose header `head` (ending at `head.1` in the source) opens a block
    /// of `items`.
    fn headed_block<T>(
        &mut self,
        span: crate::source::Span,
        head: (String, u32),
        items: &[T],
        item: impl FnMut(&mut Self, &T),
    ) {
        let (s, e) = self.bounds(span);
        let open = self.brace_after(head.1 as usize);
        self.begin(s, open);
        self.push(&head.0);
        self.block(open, e - 1, items, item);
        self.end(e);
    }

    /// A node printed on one line, with its comments.
    fn one_line(&mut self, span: crate::source::Span, text: &str) {
        let (s, e) = self.bounds(span);
        self.begin(s, e);
        self.push(text);
        self.end(e);
    }

    fn let_decl(&mut self, l: &Let) {
        let (s, e) = self.bounds(l.span);
        self.begin(s, e);
        self.push(&format!("let {} = {}", l.name.name, expr(&l.expr)));
        self.end(e);
    }

    fn member(&mut self, m: &Member) {
        match m {
            Member::Group(g) => {
                let (s, e) = self.bounds(g.span);
                let mut head = format!("group {}", g.id.name);
                let mut head_end = g.id.span.end;
                if let Some(l) = &g.label {
                    head.push(' ');
                    head.push_str(&string(l));
                    head_end = l.span.end;
                }
                if let Some(w) = &g.weight {
                    head.push_str(&format!(" weight {}", w.text));
                    head_end = w.span.end;
                }
                let open = self.brace_after(head_end as usize);
                self.begin(s, open);
                self.push(&head);
                self.block(open, e - 1, &g.members, Self::member);
                self.end(e);
            }
            Member::Indicator(i) => self.indicator(i),
            Member::Let(l) => self.let_decl(l),
            Member::Data(path, span) => {
                let (s, e) = self.bounds(*span);
                self.begin(s, e);
                self.push(&format!("data {}", string(path)));
                self.end(e);
            }
            Member::UnitsWhere(x, span) => {
                let (s, e) = self.bounds(*span);
                self.begin(s, e);
                self.push(&format!("units where {}", expr(x)));
                self.end(e);
            }
            Member::Adjust(a) => {
                let (s, e) = self.bounds(a.span);
                let open = self.brace_after(s + "adjust".len());
                self.begin(s, open);
                self.push("adjust");
                self.block(open, e - 1, &a.lines, |p, l| {
                    let (s, e) = p.bounds(l.span);
                    p.begin(s, e);
                    let (kw, limit) = match l.kind {
                        AdjustKind::Bonus => ("bonus", "max"),
                        AdjustKind::Penalty => ("penalty", "max"),
                        AdjustKind::Veto => ("veto", "cap"),
                    };
                    let mut line = format!("{kw} {}", expr(&l.expr));
                    if let Some(n) = &l.limit {
                        line.push_str(&format!(" {limit} {}", n.text));
                    }
                    p.push(&line);
                    p.end(e);
                });
                self.end(e);
            }
            Member::Setting(st) => self.setting(st),
        }
    }

    fn indicator(&mut self, i: &Indicator) {
        let (s, e) = self.bounds(i.span);
        let mut head = format!("indicator {}", i.id.name);
        let mut head_end = i.id.span.end;
        if let Some(l) = &i.label {
            head.push(' ');
            head.push_str(&string(l));
            head_end = l.span.end;
        }
        if let Some(f) = &i.formula {
            head.push_str(&format!(" = {}", expr(f)));
            head_end = f.span.end;
        }
        if let Some(w) = &i.weight {
            head.push_str(&format!(" weight {}", w.text));
            head_end = w.span.end;
        }
        let Some(body) = &i.body else {
            self.begin(s, e);
            self.push(&head);
            self.end(e);
            return;
        };
        let open = self.brace_after(head_end as usize);
        let close = e - 1;
        self.begin(s, open);
        // A short body of one setting stays on the header line.
        if let [Member::Setting(st)] = body.as_slice() {
            if self.comment_before(close).is_none() && !multi_line(st) {
                let line = format!("{head} {{ {} }}", setting_text(st));
                if self.width(&line) <= MAX_WIDTH {
                    self.push(&line);
                    self.end(e);
                    return;
                }
            }
        }
        self.push(&head);
        self.block(open, close, body, Self::member);
        self.end(e);
    }

    fn setting(&mut self, st: &Setting) {
        let (s, e) = self.bounds(st.span);
        let block = match &st.value {
            SettingValue::Method(m) => match &m.block {
                Some(MethodBlock::Ahp(js, span)) => Some((m, Rows::Ahp(js), *span)),
                Some(MethodBlock::Bands(rows, span)) if self.has_comment_in(*span) => {
                    Some((m, Rows::Bands(rows), *span))
                }
                _ => None,
            },
            _ => None,
        };
        let Some((m, rows, span)) = block else {
            self.begin(s, e);
            self.push(&setting_text(st));
            self.end(e);
            return;
        };
        let (open, close) = self.bounds(span);
        self.begin(s, open);
        self.push(&format!("{} {}", setting_key(st), method_head(m, false)));
        match rows {
            Rows::Ahp(js) => self.block(open, close - 1, js, |p, j| {
                let (s, e) = p.bounds(j.span);
                p.begin(s, e);
                p.push(&judgement(j));
                p.end(e);
            }),
            Rows::Bands(rows) => self.block(open, close - 1, rows, |p, r| {
                let (s, e) = p.bounds(r.span);
                p.begin(s, e);
                p.push(&band_row(r));
                p.end(e);
            }),
        }
        self.end(e);
    }

    fn has_comment_in(&self, span: crate::source::Span) -> bool {
        self.comments[self.next..]
            .iter()
            .any(|c| c.span.start >= span.start && c.span.start < span.end)
    }

    fn override_(&mut self, o: &Override) {
        match o {
            Override::Setting(st) => self.setting(st),
            Override::Exclude(ids, span) => {
                let (s, e) = self.bounds(*span);
                self.begin(s, e);
                self.push(&format!("exclude {}", idents(ids)));
                self.end(e);
            }
            Override::Add { to, members, span } => {
                let (s, e) = self.bounds(*span);
                let mut head = "add".to_string();
                let mut head_end = s + "add".len();
                if let Some(t) = to {
                    head.push_str(&format!(" to {}", t.name));
                    head_end = t.span.end as usize;
                }
                let open = self.brace_after(head_end);
                self.begin(s, open);
                self.push(&head);
                self.block(open, e - 1, members, Self::member);
                self.end(e);
            }
        }
    }

    fn uncertainty_line(&mut self, l: &UncertaintyLine) {
        let (s, e) = self.bounds(l.span());
        let text = match l {
            UncertaintyLine::Samples(n, _) => format!("samples {}", n.text),
            UncertaintyLine::Seed(n, _) => format!("seed {}", n.text),
            UncertaintyLine::VaryWeights { within, amount, .. } => match within {
                Some(w) => format!("vary weights in {} {}", w.name, amount.text),
                None => format!("vary weights {}", amount.text),
            },
            UncertaintyLine::VaryWeight { node, amount, .. } => {
                format!("vary weight {} {}", node.name, amount.text)
            }
            UncertaintyLine::VarySurvey { survey, .. } => format!("vary survey {}", survey.name),
            UncertaintyLine::Choose {
                what, options, at, ..
            } => {
                let mut t = format!("choose {} {}", what.name, list(options));
                if let Some(a) = at {
                    t.push_str(&format!(" at {}", a.name));
                }
                t
            }
            UncertaintyLine::Drop { within, .. } => match within {
                Some(w) => format!("drop indicator in {}", w.name),
                None => "drop indicator".to_string(),
            },
        };
        self.begin(s, e);
        self.push(&text);
        self.end(e);
    }
}

enum Rows<'a> {
    Ahp(&'a [Judgement]),
    Bands(&'a [BandRow]),
}

/// Whether a setting needs lines of its own: an AHP block outside a list, one judgement a line.
fn multi_line(st: &Setting) -> bool {
    matches!(
        &st.value,
        SettingValue::Method(Method {
            block: Some(MethodBlock::Ahp(..)),
            ..
        })
    )
}

// ---------------------------------------------------------------------- one-line text

/// A string literal, re-escaped: only `"` and `\` need it.
fn string(s: &Str) -> String {
    let mut out = String::with_capacity(s.value.len() + 2);
    out.push('"');
    for c in s.value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn column(c: &ColumnName) -> String {
    if c.backticks {
        format!("`{}`", c.name)
    } else {
        c.name.clone()
    }
}

/// `KEYWORD ID ["LABEL"]` and where it ends in the source.
fn labelled(keyword: &str, id: &Ident, label: &Option<Str>) -> (String, u32) {
    match label {
        Some(l) => (format!("{keyword} {} {}", id.name, string(l)), l.span.end),
        None => (format!("{keyword} {}", id.name), id.span.end),
    }
}

/// `item COLUMN ["LABEL"] [reverse] [weight W] [{ scale LO..HI }]`, on one line.
fn survey_item(i: &SurveyItem) -> String {
    let mut s = format!("item {}", column(&i.column));
    if let Some(l) = &i.label {
        s.push(' ');
        s.push_str(&string(l));
    }
    if i.reverse.is_some() {
        s.push_str(" reverse");
    }
    if let Some(w) = &i.weight {
        s.push_str(&format!(" weight {}", w.text));
    }
    if let Some(r) = &i.scale {
        s.push_str(&format!(" {{ scale {} }}", range(r)));
    }
    s
}

fn idents(ids: &[Ident]) -> String {
    ids.iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn range(r: &Range) -> String {
    format!("{}..{}", r.lo.text, r.hi.text)
}

/// `KEY` or `KEY NODE =`.
fn setting_key(st: &Setting) -> String {
    match &st.target {
        Some(t) => format!("{} {} =", st.key.keyword(), t.name),
        None => st.key.keyword().to_string(),
    }
}

/// A setting on one line (an AHP block inline).
fn setting_text(st: &Setting) -> String {
    let value = match &st.value {
        SettingValue::Range(r) => range(r),
        SettingValue::Method(m) => method(m, false),
        SettingValue::Methods(ms) => ms
            .iter()
            .map(|m| method(m, false))
            .collect::<Vec<_>>()
            .join(", "),
        SettingValue::Number(n) => n.text.clone(),
        SettingValue::Str(s) => string(s),
        SettingValue::Words(ws) => idents(ws),
    };
    format!("{} {value}", setting_key(st))
}

/// A method's name, qualifier and parameters: in the space form (`zscore 100, 10`), or in
/// parentheses inside a list (`zscore(100, 10)`), where a number after the method is its share.
fn method_head(m: &Method, in_list: bool) -> String {
    let mut s = m.name.name.clone();
    match &m.qualifier {
        Some(Qualifier::By(c)) => s.push_str(&format!(" by {}", column(c))),
        Some(Qualifier::Unit(u)) => s.push_str(&format!(" unit {}", string(u))),
        Some(Qualifier::Ri(r)) => s.push_str(&format!(" ri {}", r.name)),
        Some(Qualifier::Word(w)) => s.push_str(&format!(" {}", w.name)),
        None => {}
    }
    if !m.params.is_empty() {
        let params = m
            .params
            .iter()
            .map(|p| match p {
                Param::Number(n) => n.text.clone(),
                Param::Range(r) => range(r),
            })
            .collect::<Vec<_>>()
            .join(", ");
        if in_list {
            s.push_str(&format!("({params})"));
        } else {
            s.push_str(&format!(" {params}"));
        }
    }
    s
}

fn method(m: &Method, in_list: bool) -> String {
    let mut s = method_head(m, in_list);
    match &m.block {
        Some(MethodBlock::Bands(rows, _)) => {
            let rows: Vec<String> = rows.iter().map(band_row).collect();
            s.push_str(&format!(" {{ {} }}", rows.join(", ")));
        }
        Some(MethodBlock::Ahp(js, _)) if js.is_empty() => s.push_str(" {}"),
        Some(MethodBlock::Ahp(js, _)) => {
            let js: Vec<String> = js.iter().map(judgement).collect();
            s.push_str(&format!(" {{ {} }}", js.join(", ")));
        }
        Some(MethodBlock::List(items, _)) => {
            s.push(' ');
            s.push_str(&list(items));
        }
        None => {}
    }
    s
}

fn list(items: &[ListItem]) -> String {
    let items: Vec<String> = items
        .iter()
        .map(|i| match &i.share {
            Some(n) => format!("{} {}", method(&i.method, true), n.text),
            None => method(&i.method, true),
        })
        .collect();
    format!("[{}]", items.join(", "))
}

fn band_row(r: &BandRow) -> String {
    match &r.threshold {
        Some(t) => format!("{} {}: {}", r.op.symbol(), t.text, r.score.text),
        None => format!("else: {}", r.score.text),
    }
}

fn judgement(j: &Judgement) -> String {
    match &j.value {
        Some(v) => format!(
            "{} {} {} : {}",
            j.left.name,
            j.op.symbol(),
            j.right.name,
            v.text
        ),
        None => format!("{} {} {}", j.left.name, j.op.symbol(), j.right.name),
    }
}

/// An expression on one line: parentheses as written, none added (the tree already encodes
/// precedence, and the same tokens parse to the same tree).
pub fn expr(e: &Expr) -> String {
    let mut s = String::new();
    write_expr(e, &mut s);
    s
}

fn write_expr(e: &Expr, s: &mut String) {
    match &e.kind {
        ExprKind::Number(n) => s.push_str(&n.text),
        ExprKind::Name(n) => s.push_str(n),
        ExprKind::Column(c) => {
            s.push('`');
            s.push_str(c);
            s.push('`');
        }
        ExprKind::Unary(op, x) => {
            s.push_str(match op {
                UnaryOp::Neg => "-",
                UnaryOp::Not => "not ",
            });
            write_expr(x, s);
        }
        ExprKind::Binary(op, l, r) => {
            write_expr(l, s);
            s.push(' ');
            s.push_str(op.symbol());
            s.push(' ');
            write_expr(r, s);
        }
        ExprKind::Call(f, args) => {
            s.push_str(&f.name);
            s.push('(');
            for (k, a) in args.iter().enumerate() {
                if k > 0 {
                    s.push_str(", ");
                }
                write_expr(a, s);
            }
            s.push(')');
        }
        ExprKind::If(c, a, b) => {
            s.push_str("if ");
            write_expr(c, s);
            s.push_str(" then ");
            write_expr(a, s);
            s.push_str(" else ");
            write_expr(b, s);
        }
        ExprKind::Paren(x) => {
            s.push('(');
            write_expr(x, s);
            s.push(')');
        }
        ExprKind::Survey(survey, name) => {
            s.push_str(&survey.name);
            s.push('.');
            s.push_str(&column(name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::format_source;

    fn fmt(s: &str) -> String {
        format_source(s).expect("parses")
    }

    #[test]
    fn spacing_and_inline_body() {
        let out = fmt("index i by c{indicator x \"l\"=a/b weight 3{direction negative}}");
        assert_eq!(
            out,
            "index i by c {\n    indicator x \"l\" = a / b weight 3 { direction negative }\n}\n"
        );
    }

    #[test]
    fn comments_leading_trailing_and_at_block_end() {
        let src = "# top\nindex i by c { # open\n  scale 0..100   # s\n\n\n  # end\n}\n# tail\n";
        assert_eq!(
            fmt(src),
            "# top\nindex i by c {  # open\n    scale 0..100  # s\n\n    # end\n}\n# tail\n"
        );
    }

    #[test]
    fn comment_inside_an_expression_moves_before_its_line() {
        let src = "let x = a + # why\n  b # after\n";
        assert_eq!(fmt(src), "# why\nlet x = a + b  # after\n");
    }

    #[test]
    fn params_space_form_outside_lists_and_parens_inside() {
        let src = "index i by c { normalise zscore(100,10) }\nuncertainty { choose normalise [zscore(100 , 10),rank] }";
        assert_eq!(
            fmt(src),
            "index i by c {\n    normalise zscore 100, 10\n}\n\nuncertainty {\n    choose normalise [zscore(100, 10), rank]\n}\n"
        );
    }

    #[test]
    fn strings_are_reescaped_and_numbers_kept() {
        let src = "index i \"a \\\"q\\\" \\\\ #x\" by c { coverage 60%\n weight 1e4 }";
        assert_eq!(
            fmt(src),
            "index i \"a \\\"q\\\" \\\\ #x\" by c {\n    coverage 60%\n    weight 1e4\n}\n"
        );
    }
}

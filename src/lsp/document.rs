//! One open rules file: its text checked as `qindex check` checks it, and what the editor asks
//! of it (hover, definitions, the outline), in qindex's terms (byte offsets, spans); the
//! server converts to the protocol's.

use crate::check::{self, Checked, Program};
use crate::diagnostics::Diagnostic;
use crate::plan::{NodeKind, Plan, Weight};
use crate::source::Span;
use std::path::Path;

use super::names::Names;
use super::position::LineIndex;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

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
    /// The plans of the last version that compiled, for completion while the text does not
    /// (the usual state in the middle of typing).
    pub previous: Option<Checked>,
    /// The data file the rules name (`data "PATH"` in the index), found in the text even when
    /// it does not parse.
    pub data: Option<std::path::PathBuf>,
    /// Where node ids and lets are declared and referred to, in every file of the program.
    pub names: Names,
}

impl Document {
    /// Checks `text` as the content of the file at `path` (its `use`s resolve against it).
    pub fn new(path: &Path, text: &str, version: i32) -> Document {
        Document::with_open(path, text, version, &HashMap::new())
    }

    /// Like [`Document::new`], with the editor's text of the other open files (keyed by their
    /// normalised paths) read in place of the saved files when this one `use`s them.
    pub fn with_open(
        path: &Path,
        text: &str,
        version: i32,
        open: &HashMap<std::path::PathBuf, String>,
    ) -> Document {
        let bom = text.starts_with('\u{feff}');
        let text = text.strip_prefix('\u{feff}').unwrap_or(text).to_string();
        let lines = LineIndex::new(&text);
        let loaded = check::load::load_overlay(path, text.clone(), open);
        let (program, checked, diagnostics) = match loaded {
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
        let names = program.as_ref().map(Names::of).unwrap_or_default();
        let mut doc = Document {
            version,
            text,
            bom,
            lines,
            program,
            checked,
            diagnostics,
            previous: None,
            data: None,
            names,
        };
        doc.data = doc.data_line(path);
        let bound = doc.data_diagnostics();
        doc.diagnostics.extend(bound);
        doc
    }

    /// The diagnostics that need the data: columns the rules read that the data file's header
    /// lacks (with did-you-mean from the header), as `qindex run` reports them, at the place
    /// in the rules that names them. None when the file cannot be read (not yet written,
    /// deleted).
    fn data_diagnostics(&self) -> Vec<Diagnostic> {
        let Some(plan) = self.checked.as_ref().and_then(|c| c.plan("default")) else {
            return Vec::new();
        };
        let Some(path) = plan.index.data.as_ref().map(std::path::PathBuf::from) else {
            return Vec::new();
        };
        let Some(header) = crate::data::header_of(&path) else {
            return Vec::new();
        };
        let file = path.display().to_string();
        let mut found = Vec::new();
        let mut spans: Vec<(String, Span)> = Vec::new();
        for c in self.plans().flat_map(|p| &p.columns) {
            if c.survey.is_some() || spans.iter().any(|(n, _)| *n == c.name) {
                continue;
            }
            spans.push((c.name.clone(), c.span));
            crate::data::build::find_column(&c.name, &header, &file, 0, &mut found);
        }
        let keys = [
            Some(&plan.index.unit_column),
            plan.index.period_column.as_ref(),
        ];
        for key in keys.into_iter().flatten() {
            crate::data::build::find_column(key, &header, &file, 0, &mut found);
        }
        crate::eval::at_rules(found, &spans, "this column is not in the data")
    }

    /// Whether this version compiled to at least one plan.
    pub fn compiles(&self) -> bool {
        self.checked.as_ref().is_some_and(|c| !c.plans.is_empty())
    }

    /// The plans completion draws on: this version's, else the last that compiled.
    fn known_plans(&self) -> impl Iterator<Item = &Plan> {
        let checked = if self.compiles() {
            self.checked.as_ref()
        } else {
            self.previous.as_ref()
        };
        checked.into_iter().flat_map(|c| c.plans.iter())
    }

    /// The path of the first `data "PATH"` line inside the index block, relative to the
    /// file's directory.
    fn data_line(&self, path: &Path) -> Option<std::path::PathBuf> {
        let mut at = 0;
        for line in self.text.split_inclusive('\n') {
            let t = line.trim_start();
            if let Some(rest) = t.strip_prefix("data ") {
                if self.block_at(at) == Some("index") {
                    let quoted = rest.trim_start().strip_prefix('"')?;
                    let name = &quoted[..quoted.find('"')?];
                    let dir = path.parent().unwrap_or(Path::new("."));
                    return Some(dir.join(name));
                }
            }
            at += line.len();
        }
        None
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
        let Some((plan, id)) = self.node_at(offset) else {
            return self
                .column_hover(offset)
                .or_else(|| self.method_hover(offset));
        };
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

    /// Hovering over a method's name after the setting that takes it: its one-line
    /// definition (docs/language.md has the whole).
    fn method_hover(&self, offset: usize) -> Option<String> {
        let (word, range) = self.word_at(offset)?;
        let line_start = self.text[..range.start].rfind('\n').map_or(0, |i| i + 1);
        let before = &self.text[line_start..range.start];
        let setting = before
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .rfind(|w| !w.is_empty() && METHOD_SETTINGS.contains(w))?;
        let (_, text) = METHODS
            .iter()
            .find(|(name, _)| *name == format!("{setting} {word}"))?;
        Some(format!("**`{word}`** ({setting})\n\n{text}"))
    }

    /// Hovering over a data column the rules read: its missing share and its minimum, median
    /// and maximum in the data file, from [`column_stats`] (read once per version of the file).
    fn column_hover(&self, offset: usize) -> Option<String> {
        let (word, _) = self.word_at(offset)?;
        let plan = self.checked.as_ref()?.plan("default")?;
        plan.columns
            .iter()
            .find(|c| c.name == word && c.survey.is_none())?;
        let path = std::path::PathBuf::from(plan.index.data.as_ref()?);
        let st = column_stats(plan, &path, word)?;
        let mut out = format!(
            "**`{word}`**: data column of {} (number)\n\n- rows: {}; missing: {} ({:.1}%)\n",
            path.display(),
            st.rows,
            st.missing,
            100.0 * st.missing as f64 / st.rows.max(1) as f64
        );
        if let Some((min, median, max)) = st.spread {
            out.push_str(&format!(
                "- min {}, median {}, max {}\n",
                short(min),
                short(median),
                short(max)
            ));
        }
        Some(out)
    }

    /// Where the node named at `offset` is declared: its span (in any file of the program).
    pub fn definition(&self, offset: usize) -> Option<Span> {
        let program = self.program.as_ref()?;
        let root = program.file(program.root)?;
        // `use "FILE"`: the start of the file it names.
        for item in &root.items {
            if let crate::syntax::ast::Item::Use(u) = item {
                if u.span.range().contains(&offset) {
                    let want =
                        std::path::absolute(program.dir_of(program.root).join(&u.path.value))
                            .ok()?;
                    let (file, _) = program
                        .sources
                        .iter()
                        .find(|(_, f)| std::path::absolute(&f.path).is_ok_and(|p| p == want))?;
                    return Some(Span::new(file, 0, 0));
                }
            }
        }
        if let Some(span) = self.survey_definition(offset) {
            return Some(span);
        }
        if let Some((plan, id)) = self.node_at(offset) {
            let node = plan.node(id);
            return Some(self.id_span(node.span, &node.id));
        }
        // A `let`, a scheme, a survey or a survey's dimension, in any file of the program.
        let (word, _) = self.word_at(offset)?;
        if let Some(l) = self.plans().flat_map(|p| &p.lets).find(|l| l.name == word) {
            // The name in `let NAME = ...`, before the expression's span.
            let file = &program.sources.get(l.code.span.file).text;
            let before = &file[..(l.code.span.start as usize).min(file.len())];
            let at = before
                .rfind(&format!("let {word}"))
                .map_or(before.len(), |i| i + 4);
            return Some(Span::new(l.code.span.file, at, at + word.len()));
        }
        use crate::syntax::ast::{Item, SurveyLine};
        for (_, file) in &program.files {
            for item in &file.items {
                match item {
                    Item::Let(l) if l.name.name == word => return Some(l.name.span),
                    Item::Scheme(s) if s.id.name == word => return Some(s.id.span),
                    Item::Survey(sv) => {
                        if sv.id.name == word {
                            return Some(sv.id.span);
                        }
                        for line in &sv.lines {
                            if let SurveyLine::Dimension(d) = line {
                                if d.id.name == word {
                                    return Some(d.id.span);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        None
    }

    /// At `SURVEY.NAME` in this file: the survey's declaration (on `SURVEY`), or its dimension's
    /// or item's (on `NAME`).
    fn survey_definition(&self, offset: usize) -> Option<Span> {
        use crate::syntax::ast::{DimensionLine, Item, SurveyLine};
        let program = self.program.as_ref()?;
        let within = |s: Span| (s.start as usize..=s.end as usize).contains(&offset);
        let (survey, name) = self
            .names
            .survey_refs
            .iter()
            .find(|(s, n)| s.span.file == program.root && (within(s.span) || within(n.span)))?;
        let decl = program.files.iter().find_map(|(_, f)| {
            f.items.iter().find_map(|i| match i {
                Item::Survey(sv) if sv.id.name == survey.name => Some(sv),
                _ => None,
            })
        })?;
        if within(survey.span) {
            return Some(decl.id.span);
        }
        let dimensions = decl.lines.iter().filter_map(|l| match l {
            SurveyLine::Dimension(d) => Some(d),
            _ => None,
        });
        let mut item = None;
        for d in dimensions {
            if d.id.name == name.name {
                return Some(d.id.span);
            }
            for line in &d.lines {
                if let DimensionLine::Item(i) = line {
                    if i.column.name == name.name && item.is_none() {
                        item = Some(i.column.span);
                    }
                }
            }
        }
        item
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

/// A completion offered at a position.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    /// What it is (a node's label, "data column", ...).
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    Keyword,
    Method,
    Node,
    Column,
    Let,
}

impl Document {
    /// What may be written at `offset`: after a setting that takes a method, its methods; where
    /// a node is expected (`at`, `weight`, `exclude`, `in`, `to`), the node ids; in a formula
    /// (after `=` or an operator), the data file's columns (its header) and the lets; at the
    /// start of a line, the words valid in the enclosing block.
    pub fn completion(&self, offset: usize) -> Vec<Completion> {
        use crate::check::settings as st;
        let offset = offset.min(self.text.len());
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let before = self.text.get(line_start..offset).unwrap_or("");
        let code = before.split('#').next().unwrap_or("");
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let typed_from = code
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_word(*c))
            .last()
            .map_or(code.len(), |(i, _)| i);
        let head = code[..typed_from].trim_end();
        let previous = head
            .rsplit(|c: char| !is_word(c))
            .next()
            .filter(|w| !w.is_empty() && head.ends_with(w));
        let words = |list: &[&str], kind| -> Vec<Completion> {
            list.iter()
                .map(|w| Completion {
                    label: w.to_string(),
                    kind,
                    detail: None,
                })
                .collect()
        };
        let methods = match previous {
            Some("normalise") => Some(st::NORMALISE),
            Some("aggregate") => Some(st::AGGREGATE),
            Some("weights") => Some(st::WEIGHTS),
            Some("direction") => Some(st::DIRECTION),
            Some("transform") => Some(st::TRANSFORM),
            Some("missing") => Some(st::MISSING),
            Some("winsorise") => Some(st::WINSORISE),
            Some("reference") => Some(st::REFERENCE),
            Some("tag") => Some(crate::check::build::ORIENTATIONS),
            _ => None,
        };
        if let Some(list) = methods {
            let mut out = words(list, CompletionKind::Method);
            // In a scheme, `aggregate NODE = ...` and `weights NODE = ...` name a node first.
            if matches!(
                previous,
                Some("aggregate" | "weights" | "normalise" | "missing")
            ) {
                out.extend(self.node_completions());
            }
            return out;
        }
        if matches!(previous, Some("at" | "weight" | "exclude" | "in" | "to")) {
            return self.node_completions();
        }
        let in_formula = head.contains('=')
            || head.ends_with(|c: char| "+-*/(,<>".contains(c))
            || matches!(
                previous,
                Some("if" | "then" | "else" | "and" | "or" | "not")
            );
        if in_formula {
            let mut out: Vec<Completion> = self
                .columns()
                .into_iter()
                .map(|c| Completion {
                    label: c,
                    kind: CompletionKind::Column,
                    detail: Some("data column".into()),
                })
                .collect();
            if let Some(plan) = self.known_plans().next() {
                out.extend(plan.lets.iter().map(|l| Completion {
                    label: l.name.clone(),
                    kind: CompletionKind::Let,
                    detail: Some("let".into()),
                }));
            }
            return out;
        }
        if head.is_empty() {
            use crate::syntax::parse as p;
            let list: &[&str] = match self.block_at(line_start) {
                None => p::TOP_WORDS,
                Some("uncertainty") => &["samples", "seed", "vary", "choose", "drop"],
                Some("survey") => p::SURVEY_WORDS,
                Some("dimension") => p::DIMENSION_WORDS,
                Some(_) => p::SETTING_WORDS,
            };
            return words(list, CompletionKind::Keyword);
        }
        Vec::new()
    }

    /// Every node id of every plan, once, with its label.
    fn node_completions(&self) -> Vec<Completion> {
        let mut out: Vec<Completion> = Vec::new();
        for plan in self.known_plans() {
            for node in &plan.nodes {
                if out.iter().any(|c| c.label == node.id) {
                    continue;
                }
                out.push(Completion {
                    label: node.id.clone(),
                    kind: CompletionKind::Node,
                    detail: node.label.clone(),
                });
            }
        }
        out
    }

    /// The columns of the data file the rules name (`data "PATH"`), from its header.
    fn columns(&self) -> Vec<String> {
        let path = self
            .checked
            .as_ref()
            .and_then(|c| c.plan("default"))
            .and_then(|p| p.index.data.clone())
            .map(std::path::PathBuf::from)
            .or_else(|| self.data.clone());
        path.and_then(|p| crate::data::header_of(&p))
            .unwrap_or_default()
    }

    /// The keyword of the innermost block open at byte `offset` (`index`, `group`, `survey`,
    /// ...), or `None` at the top level: braces counted outside comments and strings.
    fn block_at(&self, offset: usize) -> Option<&str> {
        let mut stack: Vec<usize> = Vec::new();
        let mut in_string = false;
        let mut in_comment = false;
        for (i, c) in self.text[..offset.min(self.text.len())].char_indices() {
            match c {
                '\n' => in_comment = false,
                _ if in_comment => {}
                '"' => in_string = !in_string,
                _ if in_string => {}
                '#' => in_comment = true,
                '{' => stack.push(i),
                '}' => {
                    stack.pop();
                }
                _ => {}
            }
        }
        let open = *stack.last()?;
        let line_start = self.text[..open].rfind('\n').map_or(0, |i| i + 1);
        self.text[line_start..open].split_whitespace().next()
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

/// A data column's figures for hover.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnStats {
    pub rows: usize,
    pub missing: usize,
    /// Minimum, median and maximum of the values present.
    pub spread: Option<(f64, f64, f64)>,
}

impl ColumnStats {
    fn of(values: &[f64]) -> ColumnStats {
        let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        present.sort_by(f64::total_cmp);
        let spread = (!present.is_empty()).then(|| {
            (
                present[0],
                crate::methods::stats::quantile_sorted(&present, 0.5),
                present[present.len() - 1],
            )
        });
        ColumnStats {
            rows: values.len(),
            missing: values.len() - present.len(),
            spread,
        }
    }
}

/// The figures of one data file's columns, and the modification time and size of the file
/// they were read from.
struct Cached {
    modified: Option<SystemTime>,
    len: u64,
    columns: HashMap<String, ColumnStats>,
}

fn cache() -> &'static Mutex<HashMap<std::path::PathBuf, Cached>> {
    static CACHE: OnceLock<Mutex<HashMap<std::path::PathBuf, Cached>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// How many times [`column_stats`] has read a data file (for the tests of its cache).
pub static DATA_READS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The figures of column `name` of the data file at `path`. The file is read once for every
/// column the plan reads (hovering goes from column to column) and again only when its
/// modification time or size changes.
pub fn column_stats(plan: &Plan, path: &Path, name: &str) -> Option<ColumnStats> {
    let meta = std::fs::metadata(path).ok()?;
    let (modified, len) = (meta.modified().ok(), meta.len());
    let mut cache = cache().lock().unwrap_or_else(|e| e.into_inner());
    let fresh = cache
        .get(path)
        .is_some_and(|c| c.modified == modified && c.len == len && modified.is_some());
    if !fresh {
        cache.remove(path);
    }
    if let Some(st) = cache.get(path).and_then(|c| c.columns.get(name)) {
        return Some(st.clone());
    }
    let mut opts = crate::data::LoadOptions::new(&plan.index.unit_column);
    opts.period_column = plan.index.period_column.clone();
    let header = crate::data::header_of(path).unwrap_or_default();
    let mut wanted: Vec<String> = plan
        .columns
        .iter()
        .filter(|c| c.survey.is_none() && header.contains(&c.name))
        .map(|c| c.name.clone())
        .collect();
    wanted.sort();
    wanted.dedup();
    DATA_READS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    opts.numeric_columns = wanted.clone();
    // All the columns at once; when one of them does not read as numbers, this one alone.
    let frame = match crate::data::load(path, &opts) {
        Ok((frame, _)) => frame,
        Err(_) => {
            wanted = vec![name.to_string()];
            opts.numeric_columns = wanted.clone();
            crate::data::load(path, &opts).ok()?.0
        }
    };
    let entry = cache.entry(path.to_path_buf()).or_insert_with(|| Cached {
        modified,
        len,
        columns: HashMap::new(),
    });
    for w in &wanted {
        if let Some(values) = frame.column(w) {
            entry.columns.insert(w.clone(), ColumnStats::of(values));
        }
    }
    entry.columns.get(name).cloned()
}

/// The settings whose value is a method named in [`METHODS`].
const METHOD_SETTINGS: &[&str] = &["normalise", "aggregate", "weights", "missing", "transform"];

/// One line per method (LANGUAGE.md and docs/language.md define them fully).
const METHODS: &[(&str, &str)] = &[
    ("normalise minmax", "(x − min) / (max − min) onto the scale, over the units of the block; a constant column gives the midpoint."),
    ("normalise goalposts", "clamp((x − LO) / (HI − LO), 0, 1) onto the scale, for goalposts LO..HI."),
    ("normalise zscore", "M + S·(x − mean) / sd (`zscore M, S`; defaults M = 0, S = 1)."),
    ("normalise rank", "ascending rank, 1 = worst, n = best; ties share the lowest rank."),
    ("normalise percentile", "rank / n onto the scale (OECD/JRC Handbook)."),
    ("normalise target", "attainment min(x / T, 1) onto the scale (达标率) for `target T`."),
    ("normalise ratio", "x / a reference value: the mean, max or min of the units, or a named unit's value."),
    ("normalise vector", "x / √Σx², for TOPSIS."),
    ("normalise bands", "scoring bands: the first matching row gives its score; no match and no `else`: missing."),
    ("normalise none", "the value as it is."),
    ("aggregate arithmetic", "the weighted mean of the children, weights renormalised over those present."),
    ("aggregate geometric", "exp(Σ w·ln x / Σ w); a zero gives 0 with a warning, a negative value is an error."),
    ("aggregate harmonic", "the weighted harmonic mean: Σ w / Σ (w / x)."),
    ("aggregate power", "the weighted power mean (Σ w·x^p / Σ w)^(1/p)."),
    ("aggregate min", "the smallest child (weights ignored, with a warning)."),
    ("aggregate median", "the weighted median (smallest x whose cumulative weight ≥ ½)."),
    ("aggregate topsis", "closeness D⁻ / (D⁺ + D⁻) to the ideal against the anti-ideal (TOPSIS), onto the scale."),
    ("aggregate mazziotta_pareto", "the penalised mean M − S·cv of the children standardised to 100 ± 10."),
    ("aggregate copeland", "weighted pairwise outranking, wins − losses, onto the scale."),
    ("aggregate grey", "grey relational grade against the column maxima (ρ = 0.5 by default), onto the scale."),
    ("weights given", "each child's `weight`, normalised among siblings (equal when none has one)."),
    ("weights equal", "every child the same weight."),
    ("weights entropy", "derived from data: more weight to children whose values differ more (entropy)."),
    ("weights critic", "derived from data: contrast times conflict with the siblings (CRITIC)."),
    ("weights sd", "derived from data: proportional to each child's standard deviation."),
    ("weights cv", "derived from data: proportional to each child's coefficient of variation."),
    ("weights pca", "derived from data: from the principal components' loadings."),
    ("weights ahp", "from pairwise judgements (AHP), with the consistency ratio checked."),
    ("weights combine", "a combination of methods' weights (linear or multiplicative)."),
    ("missing skip", "left missing: the group aggregates over what is present, subject to `coverage`."),
    ("missing mean", "imputed with the mean of the units' observed values."),
    ("missing median", "imputed with the median of the units' observed values."),
    ("missing worst", "imputed with the worst observed value given the direction."),
    ("missing zero", "imputed with 0."),
    ("missing carry", "the unit's previous period; none: the next policy."),
    ("transform log", "ln(x) before normalisation."),
    ("transform log1p", "ln(1 + x) before normalisation."),
    ("transform sqrt", "√x before normalisation."),
    ("transform none", "no transform."),
];

/// A weight for reading: up to six significant decimals.
fn short(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_contexts() {
        let text =
            "index t by city {\n    indicator a\n}\nscheme s {\n    normalise \n    exclude \n}\n";
        let doc = Document::new(Path::new("/tmp/x.qi"), text, 1);
        let at = |needle: &str| text.find(needle).unwrap() + needle.len();
        let labels = |offset| -> Vec<String> {
            doc.completion(offset)
                .into_iter()
                .map(|c| c.label)
                .collect()
        };
        let m = labels(at("    normalise "));
        assert!(m.contains(&"minmax".to_string()), "{m:?}");
        let n = labels(at("    exclude "));
        assert!(n.contains(&"a".to_string()), "{n:?}");
    }

    /// Every method the checker knows has a one-line hover, and hovering a method's name
    /// after its setting shows it.
    #[test]
    fn every_method_has_a_hover() {
        use crate::check::settings as st;
        for (setting, list) in [
            ("normalise", st::NORMALISE),
            ("aggregate", st::AGGREGATE),
            ("weights", st::WEIGHTS),
            ("missing", st::MISSING),
            ("transform", st::TRANSFORM),
        ] {
            for m in list {
                let key = format!("{setting} {m}");
                assert!(METHODS.iter().any(|(k, _)| *k == key), "{key} has no hover");
            }
        }
        let text = "index t by city {\n    normalise zscore\n    indicator a\n}\n";
        let doc = Document::new(Path::new("/tmp/m.qi"), text, 1);
        let hover = doc
            .hover(text.find("zscore").unwrap() + 2)
            .expect("a hover");
        assert!(hover.contains("(x − mean) / sd"), "{hover}");
    }

    /// Hovering over data columns reads the data file once, for every column the rules read,
    /// and again only once the file changes (its size or modification time).
    #[test]
    fn column_hover_reads_the_data_once_per_version_of_the_file() {
        use std::sync::atomic::Ordering;
        let dir = std::env::temp_dir().join(format!("qindex-hover-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("d.csv");
        std::fs::write(&csv, "city,gdp,pop\na,1,2\nb,3,4\n").unwrap();
        let text = "index t by city {\n    data \"d.csv\"\n    indicator x = gdp / pop\n}\n";
        let doc = Document::new(&dir.join("r.qi"), text, 1);
        let at = |w: &str| text.find(w).unwrap() + 1;
        let reads = || DATA_READS.load(Ordering::SeqCst);
        let start = reads();
        let gdp = doc.hover(at("gdp")).expect("a hover on gdp");
        assert!(gdp.contains("min 1, median 2, max 3"), "{gdp}");
        let pop = doc.hover(at("pop")).expect("a hover on pop");
        assert!(pop.contains("min 2, median 3, max 4"), "{pop}");
        doc.hover(at("gdp")).unwrap();
        assert_eq!(reads() - start, 1);
        std::fs::write(&csv, "city,gdp,pop\na,1,2\nb,3,4\nc,50,6\n").unwrap();
        let gdp = doc.hover(at("gdp")).unwrap();
        assert!(gdp.contains("max 50"), "{gdp}");
        assert_eq!(reads() - start, 2);
        std::fs::remove_dir_all(&dir).ok();
    }
}

//! The model: the index tree built from the AST with each node's explicitly written settings,
//! before inheritance. Schemes edit a copy of it; the plan builder resolves it.

use super::load::{normalize, Program};
use super::settings::{self, slot, Set, Val};
use crate::diagnostics::Diagnostic;
use crate::plan::NodeKind;
use crate::source::{FileId, Span};
use crate::syntax::ast::{self, Item, Member, SettingKey};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone)]
pub struct MNode {
    pub id: String,
    pub id_span: Span,
    pub label: Option<String>,
    pub kind: NodeKind,
    pub span: Span,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// The weight written in the header (or set by a scheme), and where.
    pub weight: Option<(f64, Span)>,
    pub formula: Option<ast::Expr>,
    /// Settings written on this node, by slot.
    pub explicit: BTreeMap<SettingKey, Set>,
    /// Scheme overrides that apply to this node only (not inherited).
    pub forced: BTreeMap<SettingKey, Set>,
    pub removed: bool,
}

#[derive(Debug, Clone)]
pub struct LetEntry {
    pub name: String,
    pub name_span: Span,
    pub expr: ast::Expr,
}

#[derive(Debug, Clone)]
pub struct Model {
    pub nodes: Vec<MNode>,
    pub unit_column: String,
    pub label_column: Option<String>,
    pub period_column: Option<String>,
    pub index_label: Option<String>,
    pub data: Option<String>,
    pub units_where: Option<ast::Expr>,
    pub adjust: Vec<ast::AdjustLine>,
    pub lets: Vec<LetEntry>,
}

impl Model {
    pub fn find(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id && !n.removed)
    }

    pub fn live_children(&self, i: usize) -> Vec<usize> {
        self.nodes[i]
            .children
            .iter()
            .copied()
            .filter(|c| !self.nodes[*c].removed)
            .collect()
    }

    /// Live nodes at and below `i`, depth first.
    pub fn subtree(&self, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![i];
        while let Some(n) = stack.pop() {
            out.push(n);
            let kids = &self.nodes[n].children;
            stack.extend(kids.iter().rev().filter(|c| !self.nodes[**c].removed));
        }
        out
    }
}

/// Everything the checker found in the program's files, in `use` order.
pub struct Parts<'p> {
    pub index: Option<&'p ast::Index>,
    pub lets: Vec<&'p ast::Let>,
    pub schemes: Vec<&'p ast::Scheme>,
    pub uncertainty: Option<&'p ast::Uncertainty>,
    pub surveys: Vec<&'p ast::Survey>,
}

/// Items of every file in order, a `use` standing for the items of the file it names.
pub fn collect<'p>(program: &'p Program, diags: &mut Vec<Diagnostic>) -> Parts<'p> {
    let mut order: Vec<&'p Item> = Vec::new();
    let mut seen: Vec<FileId> = Vec::new();
    walk(program, program.root, &mut order, &mut seen);
    let mut parts = Parts {
        index: None,
        lets: Vec::new(),
        schemes: Vec::new(),
        uncertainty: None,
        surveys: Vec::new(),
    };
    let mut index_span: Option<Span> = None;
    for item in order {
        match item {
            Item::Index(i) => {
                if let Some(first) = index_span {
                    diags.push(
                        Diagnostic::error(
                            "two-indexes",
                            "a program describes exactly one index, but this is a second one",
                        )
                        .with_span(i.id.span)
                        .with_related(first, "the first index")
                        .with_hint(
                            "put alternative versions in a `scheme`, or each index in its own file",
                        ),
                    );
                } else {
                    index_span = Some(i.id.span);
                    parts.index = Some(i);
                }
            }
            Item::Let(l) => parts.lets.push(l),
            Item::Scheme(s) => parts.schemes.push(s),
            Item::Uncertainty(u) => {
                if let Some(first) = parts.uncertainty {
                    diags.push(
                        Diagnostic::error(
                            "two-uncertainty",
                            "a program has at most one `uncertainty` block",
                        )
                        .with_span(Span::new(
                            u.span.file,
                            u.span.start as usize,
                            u.span.start as usize + 11,
                        ))
                        .with_related(
                            Span::new(
                                first.span.file,
                                first.span.start as usize,
                                first.span.start as usize + 11,
                            ),
                            "the first one",
                        )
                        .with_hint("put all the uncertain factors in one block"),
                    );
                } else {
                    parts.uncertainty = Some(u);
                }
            }
            Item::Survey(s) => parts.surveys.push(s),
            Item::Use(_) => {}
        }
    }
    parts
}

fn walk<'p>(program: &'p Program, file: FileId, order: &mut Vec<&'p Item>, seen: &mut Vec<FileId>) {
    if seen.contains(&file) {
        return;
    }
    seen.push(file);
    let Some(ast) = program.file(file) else {
        return;
    };
    let dir = program.dir_of(file);
    for item in &ast.items {
        if let Item::Use(u) = item {
            if let Some(f) = program.sources.find(&normalize(&dir.join(&u.path.value))) {
                walk(program, f, order, seen);
            }
        } else {
            order.push(item);
        }
    }
}

/// Builds the base model from the index declaration.
pub fn build(program: &Program, index: &ast::Index, diags: &mut Vec<Diagnostic>) -> Model {
    let mut model = Model {
        nodes: Vec::new(),
        unit_column: index.by.name.clone(),
        label_column: index.label_column.as_ref().map(|c| c.name.clone()),
        period_column: index.over.as_ref().map(|c| c.name.clone()),
        index_label: index.label.as_ref().map(|l| l.value.clone()),
        data: None,
        units_where: None,
        adjust: Vec::new(),
        lets: Vec::new(),
    };
    model.nodes.push(MNode {
        id: index.id.name.clone(),
        id_span: index.id.span,
        label: index.label.as_ref().map(|l| l.value.clone()),
        kind: NodeKind::Index,
        span: index.span,
        parent: None,
        children: Vec::new(),
        weight: None,
        formula: None,
        explicit: BTreeMap::new(),
        forced: BTreeMap::new(),
        removed: false,
    });
    let mut b = TreeBuilder {
        program,
        diags,
        ids: HashMap::new(),
        data_span: None,
        where_span: None,
        adjust_span: None,
    };
    b.ids.insert(index.id.name.clone(), index.id.span);
    b.members(&mut model, 0, &index.members);
    model
}

pub struct TreeBuilder<'a> {
    pub program: &'a Program,
    pub diags: &'a mut Vec<Diagnostic>,
    /// Every node id seen, for duplicates.
    pub ids: HashMap<String, Span>,
    data_span: Option<Span>,
    where_span: Option<Span>,
    adjust_span: Option<Span>,
}

impl<'a> TreeBuilder<'a> {
    pub fn new(program: &'a Program, diags: &'a mut Vec<Diagnostic>, model: &Model) -> Self {
        let ids = model
            .nodes
            .iter()
            .map(|n| (n.id.clone(), n.id_span))
            .collect();
        TreeBuilder {
            program,
            diags,
            ids,
            data_span: Some(Span::default()),
            where_span: Some(Span::default()),
            adjust_span: Some(Span::default()),
        }
    }

    pub fn members(&mut self, model: &mut Model, at: usize, members: &[Member]) {
        let kind = model.nodes[at].kind;
        for m in members {
            match m {
                Member::Setting(s) => self.setting(model, at, s),
                Member::Group(g) => {
                    if kind == NodeKind::Indicator {
                        self.misplaced(m.span(), "a group", "an indicator has settings only");
                        continue;
                    }
                    let Some(i) = self.node(
                        model,
                        at,
                        &g.id,
                        g.label.as_ref(),
                        NodeKind::Group,
                        g.span,
                        g.weight.as_ref(),
                    ) else {
                        continue;
                    };
                    self.members(model, i, &g.members);
                    if model.nodes[i].children.is_empty() {
                        self.diags.push(
                            Diagnostic::error(
                                "empty-group",
                                format!("group `{}` has no indicators", g.id.name),
                            )
                            .with_span(g.id.span)
                            .with_hint("add indicators or groups to it, or remove it"),
                        );
                    }
                }
                Member::Indicator(ind) => {
                    if kind == NodeKind::Indicator {
                        self.misplaced(
                            m.span(),
                            "an indicator",
                            "indicators cannot be nested; put both in a group",
                        );
                        continue;
                    }
                    let Some(i) = self.node(
                        model,
                        at,
                        &ind.id,
                        ind.label.as_ref(),
                        NodeKind::Indicator,
                        ind.span,
                        ind.weight.as_ref(),
                    ) else {
                        continue;
                    };
                    model.nodes[i].formula = ind.formula.clone();
                    if let Some(body) = &ind.body {
                        self.members(model, i, body);
                    }
                }
                Member::Let(l) => {
                    if kind != NodeKind::Index {
                        self.misplaced(
                            l.span,
                            "`let`",
                            "a `let` belongs at the index level or the top level of a file",
                        );
                        continue;
                    }
                    model.lets.push(LetEntry {
                        name: l.name.name.clone(),
                        name_span: l.name.span,
                        expr: l.expr.clone(),
                    });
                }
                Member::Data(path, span) => {
                    if kind != NodeKind::Index {
                        self.misplaced(
                            *span,
                            "`data`",
                            "the data file is named once, at the index level",
                        );
                        continue;
                    }
                    if let Some(first) = self.data_span {
                        self.repeated(*span, first, "`data`");
                        continue;
                    }
                    self.data_span = Some(*span);
                    let dir = self.program.dir_of(path.span.file);
                    model.data = Some(normalize(&dir.join(&path.value)).display().to_string());
                }
                Member::UnitsWhere(e, span) => {
                    if kind != NodeKind::Index {
                        self.misplaced(
                            *span,
                            "`units where`",
                            "it selects the units of the whole index; write it at the index level",
                        );
                        continue;
                    }
                    if let Some(first) = self.where_span {
                        self.repeated(*span, first, "`units where`");
                        continue;
                    }
                    self.where_span = Some(*span);
                    model.units_where = Some(e.clone());
                }
                Member::Adjust(a) => {
                    if kind != NodeKind::Index {
                        self.misplaced(a.span, "`adjust`", "adjustments apply to the index score; write the block at the index level");
                        continue;
                    }
                    if let Some(first) = self.adjust_span {
                        self.repeated(a.span, first, "`adjust` block");
                        continue;
                    }
                    self.adjust_span = Some(a.span);
                    model.adjust = a.lines.clone();
                }
            }
        }
    }

    fn misplaced(&mut self, span: Span, what: &str, why: &str) {
        let start = Span::new(span.file, span.start as usize, span.start as usize);
        let head = self.program.sources.slice(span);
        let word_len = head.find(|c: char| c.is_whitespace()).unwrap_or(head.len());
        self.diags.push(
            Diagnostic::error("misplaced", format!("{what} cannot stand here"))
                .with_span(Span::new(
                    start.file,
                    start.start as usize,
                    start.start as usize + word_len,
                ))
                .with_hint(why.to_string()),
        );
    }

    fn repeated(&mut self, span: Span, first: Span, what: &str) {
        let mut d =
            Diagnostic::error("repeated", format!("{what} is written twice")).with_span(Span::new(
                span.file,
                span.start as usize,
                span.start as usize
                    + self
                        .program
                        .sources
                        .slice(span)
                        .find(char::is_whitespace)
                        .unwrap_or(1),
            ));
        if first != Span::default() {
            d = d.with_related(first, "first written here");
        }
        self.diags.push(d.with_hint("keep one"));
    }

    #[allow(clippy::too_many_arguments)]
    fn node(
        &mut self,
        model: &mut Model,
        parent: usize,
        id: &ast::Ident,
        label: Option<&ast::Str>,
        kind: NodeKind,
        span: Span,
        weight: Option<&ast::Number>,
    ) -> Option<usize> {
        if let Some(first) = self.ids.get(&id.name) {
            self.diags.push(
                Diagnostic::error(
                    "duplicate-id",
                    format!("`{}` is already the id of another node", id.name),
                )
                .with_span(id.span)
                .with_related(*first, "first used here")
                .with_hint("every group and indicator needs its own id"),
            );
            return None;
        }
        self.ids.insert(id.name.clone(), id.span);
        // An invalid weight is reported, and still counts as written so that the siblings
        // are not also reported for mixing given and missing weights.
        let w = weight.map(|n| {
            if let Err(d) = settings::weight_value(n) {
                self.diags.push(d);
            }
            (n.value, n.span)
        });
        let i = model.nodes.len();
        model.nodes.push(MNode {
            id: id.name.clone(),
            id_span: id.span,
            label: label.map(|l| l.value.clone()),
            kind,
            span,
            parent: Some(parent),
            children: Vec::new(),
            weight: w,
            formula: None,
            explicit: BTreeMap::new(),
            forced: BTreeMap::new(),
            removed: false,
        });
        model.nodes[parent].children.push(i);
        Some(i)
    }

    fn setting(&mut self, model: &mut Model, at: usize, s: &ast::Setting) {
        if let Some(t) = &s.target {
            self.diags.push(
                Diagnostic::error(
                    "target-outside-scheme",
                    format!("`{} =` names a node, which only a scheme does", t.name),
                )
                .with_span(t.span)
                .with_hint(format!(
                    "write the setting inside the node it is for: `{} ...` in `{}`'s block",
                    s.key.keyword(),
                    t.name
                )),
            );
            return;
        }
        let kind = model.nodes[at].kind;
        if let Err(why) = settings::allowed_on(s.key, kind) {
            let where_ = match kind {
                NodeKind::Index => "the index",
                NodeKind::Group => "a group",
                NodeKind::Indicator => "an indicator",
            };
            self.diags.push(
                Diagnostic::error(
                    "setting-place",
                    format!("`{}` has no meaning on {where_}", s.key.keyword()),
                )
                .with_span(s.key_span)
                .with_hint(why),
            );
            return;
        }
        let val = match settings::value(s) {
            Ok(v) => v,
            Err(d) => {
                self.diags.push(d);
                return;
            }
        };
        let node = &mut model.nodes[at];
        let key = slot(s.key);
        if let Some(first) = node.explicit.get(&key) {
            let what = if s.key != key
                || matches!(first.val, Val::Norm(crate::plan::Normalise::Goalposts(..)))
                    && s.key == SettingKey::Normalise
            {
                "`normalise` and `goalposts` both set the normalisation".to_string()
            } else {
                format!("`{}` is set twice on `{}`", s.key.keyword(), node.id)
            };
            self.diags.push(
                Diagnostic::error("repeated-setting", what)
                    .with_span(s.key_span)
                    .with_related(first.span, "first set here")
                    .with_hint(if s.key == SettingKey::Tag {
                        "list all tags in one line: `tag a, b`"
                    } else {
                        "keep one of them"
                    }),
            );
            return;
        }
        node.explicit.insert(key, Set { val, span: s.span });
    }
}

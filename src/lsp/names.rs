//! Where node ids and `let` names occur in the files of a program (declarations and every
//! reference), for references, rename and the definition of `SURVEY.NAME`; read from the AST.

use crate::check::Program;
use crate::source::Span;
use crate::syntax::ast::{
    AdjustLine, ColumnName, Expr, ExprKind, Ident, Item, Member, Method, MethodBlock, Override,
    Setting, SettingValue, UncertaintyLine,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Node,
    Let,
}

/// One place a name is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub kind: NameKind,
    pub name: String,
    pub span: Span,
    pub declaration: bool,
}

/// The names of a program.
#[derive(Debug, Default)]
pub struct Names {
    /// Node ids and let names, declared and referred to, in file order.
    pub occurrences: Vec<Occurrence>,
    /// Names in expressions that are not lets: data columns.
    pub columns: Vec<(String, Span)>,
    /// `SURVEY.NAME` in expressions.
    pub survey_refs: Vec<(Ident, ColumnName)>,
    /// Indicators without a formula (they read the column of their id): the id, and the byte
    /// where `= COLUMN` would be written (after the label, else the id).
    pub implicit: Vec<(Ident, usize)>,
}

impl Names {
    /// Collects the names of every parsed file of `program`.
    pub fn of(program: &Program) -> Names {
        let mut w = Walk::default();
        for (_, file) in &program.files {
            for item in &file.items {
                w.item(item);
            }
        }
        let lets: Vec<String> = w
            .out
            .occurrences
            .iter()
            .filter(|o| o.kind == NameKind::Let)
            .map(|o| o.name.clone())
            .collect();
        // Names resolve to a let first, then to a data column (docs/language.md).
        for (name, span) in std::mem::take(&mut w.names) {
            if lets.contains(&name) {
                w.out.occurrences.push(Occurrence {
                    kind: NameKind::Let,
                    name,
                    span,
                    declaration: false,
                });
            } else {
                w.out.columns.push((name, span));
            }
        }
        w.out
    }

    /// The node id or let name written at `offset` of file `file`.
    pub fn at(&self, file: crate::source::FileId, offset: usize) -> Option<&Occurrence> {
        self.occurrences.iter().find(|o| {
            o.span.file == file && (o.span.start as usize..=o.span.end as usize).contains(&offset)
        })
    }

    /// Every occurrence of the name `name` of kind `kind`.
    pub fn all<'a>(
        &'a self,
        kind: NameKind,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.occurrences
            .iter()
            .filter(move |o| o.kind == kind && o.name == name)
    }
}

#[derive(Default)]
struct Walk {
    out: Names,
    /// Names in expressions, classified once every let is known.
    names: Vec<(String, Span)>,
}

impl Walk {
    fn node(&mut self, id: &Ident, declaration: bool) {
        self.out.occurrences.push(Occurrence {
            kind: NameKind::Node,
            name: id.name.clone(),
            span: id.span,
            declaration,
        });
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Use(_) | Item::Survey(_) => {}
            Item::Let(l) => self.let_decl(l),
            Item::Index(i) => {
                self.node(&i.id, true);
                self.members(&i.members);
            }
            Item::Scheme(s) => {
                for o in &s.overrides {
                    match o {
                        Override::Setting(s) => self.setting(s),
                        Override::Exclude(ids, _) => {
                            for id in ids {
                                self.node(id, false);
                            }
                        }
                        Override::Add { to, members, .. } => {
                            if let Some(t) = to {
                                self.node(t, false);
                            }
                            self.members(members);
                        }
                    }
                }
            }
            Item::Uncertainty(u) => {
                for line in &u.lines {
                    if let UncertaintyLine::Choose { options, .. } = line {
                        for o in options {
                            self.method(&o.method);
                        }
                    }
                    match line {
                        UncertaintyLine::VaryWeights {
                            within: Some(n), ..
                        }
                        | UncertaintyLine::VaryWeight { node: n, .. }
                        | UncertaintyLine::Choose { at: Some(n), .. }
                        | UncertaintyLine::Drop {
                            within: Some(n), ..
                        } => self.node(n, false),
                        _ => {}
                    }
                }
            }
        }
    }

    fn let_decl(&mut self, l: &crate::syntax::ast::Let) {
        self.out.occurrences.push(Occurrence {
            kind: NameKind::Let,
            name: l.name.name.clone(),
            span: l.name.span,
            declaration: true,
        });
        self.expr(&l.expr);
    }

    fn members(&mut self, members: &[Member]) {
        for m in members {
            match m {
                Member::Group(g) => {
                    self.node(&g.id, true);
                    self.members(&g.members);
                }
                Member::Indicator(i) => {
                    self.node(&i.id, true);
                    match &i.formula {
                        Some(f) => self.expr(f),
                        None => {
                            let at = i.label.as_ref().map_or(i.id.span.end, |l| l.span.end);
                            self.out.implicit.push((i.id.clone(), at as usize));
                        }
                    }
                    if let Some(body) = &i.body {
                        self.members(body);
                    }
                }
                Member::Let(l) => self.let_decl(l),
                Member::Data(..) => {}
                Member::UnitsWhere(e, _) => self.expr(e),
                Member::Adjust(a) => {
                    for AdjustLine { expr, .. } in &a.lines {
                        self.expr(expr);
                    }
                }
                Member::Setting(s) => self.setting(s),
            }
        }
    }

    fn setting(&mut self, s: &Setting) {
        if let Some(t) = &s.target {
            self.node(t, false);
        }
        match &s.value {
            SettingValue::Method(m) => self.method(m),
            SettingValue::Methods(ms) => {
                for m in ms {
                    self.method(m);
                }
            }
            _ => {}
        }
    }

    /// AHP judgements name the children they compare.
    fn method(&mut self, m: &Method) {
        match &m.block {
            Some(MethodBlock::Ahp(judgements, _)) => {
                for j in judgements {
                    self.node(&j.left, false);
                    self.node(&j.right, false);
                }
            }
            Some(MethodBlock::List(items, _)) => {
                for i in items {
                    self.method(&i.method);
                }
            }
            _ => {}
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Name(n) => self.names.push((n.clone(), e.span)),
            ExprKind::Number(_) | ExprKind::Column(_) => {}
            ExprKind::Unary(_, a) | ExprKind::Paren(a) => self.expr(a),
            ExprKind::Binary(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Call(_, args) => {
                for a in args {
                    self.expr(a);
                }
            }
            ExprKind::If(a, b, c) => {
                self.expr(a);
                self.expr(b);
                self.expr(c);
            }
            ExprKind::Survey(s, n) => self.out.survey_refs.push((s.clone(), n.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every place the language names a node or a let is found: declarations, scheme targets,
    /// `exclude`, `add to`, the uncertainty block's nodes, AHP judgements (in a setting and in
    /// a `choose` list); lets in formulas, `units where` and adjustments. Columns are not lets.
    #[test]
    fn every_place_a_node_or_let_is_named() {
        let text = "let k = 2\nindex t by city {\n    units where k > 0\n    group g {\n        weights ahp { a > b : 3 }\n        indicator a = x * k\n        indicator b\n    }\n    adjust {\n        bonus k max 1\n    }\n}\nscheme s {\n    weight a = 2\n    exclude b\n    add to g {\n        indicator c = a_col\n    }\n}\nuncertainty {\n    vary weight a 10%\n    vary weights in g 10%\n    choose weights [equal, ahp { a > b : 2 }] at g\n    drop indicator in g\n}\n";
        let (program, _) =
            crate::check::load_text(std::path::Path::new("/tmp/names.qi"), text.into()).unwrap();
        let names = Names::of(&program);
        let count = |kind, name| names.all(kind, name).count();
        // a: declaration, 2 judgements, `weight a =`, `vary weight a`.
        assert_eq!(count(NameKind::Node, "a"), 5);
        // b: declaration, 2 judgements, `exclude b`.
        assert_eq!(count(NameKind::Node, "b"), 4);
        // g: declaration, `add to g`, `vary weights in g`, `at g`, `drop indicator in g`.
        assert_eq!(count(NameKind::Node, "g"), 5);
        // k: declaration, `units where`, the formula, the bonus.
        assert_eq!(count(NameKind::Let, "k"), 4);
        assert!(names.columns.iter().any(|(c, _)| c == "x"));
        assert!(names.all(NameKind::Let, "x").next().is_none());
        // `indicator b` reads the column `b`.
        let implicit: Vec<&str> = names
            .implicit
            .iter()
            .map(|(i, _)| i.name.as_str())
            .collect();
        assert_eq!(implicit, ["b"]);
        for o in &names.occurrences {
            assert_eq!(&text[o.span.range()], o.name, "{o:?}");
        }
    }
}

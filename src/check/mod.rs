//! The check stage: AST → Plan. Resolves names, `use`d files, inheritance and scheme overlays,
//! and reports every problem a methodologist can make as a diagnostic.

pub(crate) mod build;
pub mod expr;
pub mod load;
mod model;
mod scheme;
pub mod settings;
mod survey;
mod uncertainty;

pub use build::score_range;
pub use load::{load, load_text, Program};

use crate::diagnostics::{Diagnostic, Severity};
use crate::plan::{NodeKind, Plan};
use crate::source::Span;
use std::collections::HashMap;

/// The result of checking a whole program: a plan per scheme (the base index first, as
/// `default`), and every diagnostic, in source order.
#[derive(Debug)]
pub struct Checked {
    pub plans: Vec<Plan>,
    pub diagnostics: Vec<Diagnostic>,
    /// Every scheme declared, in order (without `default`).
    pub schemes: Vec<String>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn plan(&self, scheme: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.scheme == scheme)
    }
}

/// What every scheme starts from: the program's items and the base index's model, with the
/// top-level lets in program order.
struct Base<'p> {
    parts: model::Parts<'p>,
    index: &'p crate::syntax::ast::Index,
    model: model::Model,
}

/// Collects the program's items and builds the base model (`None` without an index).
fn base<'p>(program: &'p Program, diags: &mut Vec<Diagnostic>) -> Option<Base<'p>> {
    let parts = model::collect(program, diags);
    let index = parts.index?;
    let mut base = model::build(program, index, diags);
    // Top-level lets around the index, in program order.
    let top_before: Vec<_> = parts
        .lets
        .iter()
        .filter(|l| before(l.span, index.span, program))
        .collect();
    let top_after: Vec<_> = parts
        .lets
        .iter()
        .filter(|l| !before(l.span, index.span, program))
        .collect();
    let entry = |l: &&&crate::syntax::ast::Let| model::LetEntry {
        name: l.name.name.clone(),
        name_span: l.name.span,
        expr: l.expr.clone(),
    };
    let mut lets: Vec<model::LetEntry> = top_before.iter().map(entry).collect();
    lets.append(&mut base.lets);
    lets.extend(top_after.iter().map(entry));
    base.lets = lets;
    Some(Base {
        parts,
        index,
        model: base,
    })
}

/// Checks a program and compiles the base index and every scheme.
pub fn check(program: &Program) -> Checked {
    let mut diags = Vec::new();
    let Some(Base {
        parts,
        index,
        model: base,
    }) = base(program, &mut diags)
    else {
        let parts = model::collect(program, &mut Vec::new());
        let schemes: Vec<String> = parts.schemes.iter().map(|s| s.id.name.clone()).collect();
        if program.files.len() == program.sources.len() {
            diags.push(
                Diagnostic::error("no-index", "this program has no `index` declaration")
                    .with_location(program.sources.get(program.root).path.display().to_string())
                    .with_hint("declare the index: `index ID \"label\" by UNIT_COLUMN { ... }`, here or in a file this one `use`s"),
            );
        }
        return finish(Vec::new(), diags, schemes);
    };
    let schemes: Vec<String> = parts.schemes.iter().map(|s| s.id.name.clone()).collect();
    check_lets(&base.lets, &mut diags);

    // Scheme ids, then each scheme's model.
    let mut scheme_ids: HashMap<&str, Span> = HashMap::new();
    for s in &parts.schemes {
        if s.id.name == "default" {
            diags.push(
                Diagnostic::error(
                    "scheme-default",
                    "`default` is the name of the base index; a scheme needs another name",
                )
                .with_span(s.id.span),
            );
        } else if let Some(first) = scheme_ids.insert(&s.id.name, s.id.span) {
            diags.push(
                Diagnostic::error(
                    "duplicate-scheme",
                    format!("there are two schemes called `{}`", s.id.name),
                )
                .with_span(s.id.span)
                .with_related(first, "the first one"),
            );
        }
    }
    let mut models: Vec<(String, Option<String>, model::Model)> = Vec::new();
    for s in &parts.schemes {
        if s.id.name == "default" || scheme_ids.get(s.id.name.as_str()) != Some(&s.id.span) {
            continue;
        }
        let Some(chain) = scheme::chain(&parts.schemes, &s.id.name, &mut diags) else {
            continue;
        };
        let mut m = base.clone();
        scheme::apply_chain(program, &mut m, &chain, &mut diags);
        models.push((
            s.id.name.clone(),
            s.label.as_ref().map(|l| l.value.clone()),
            m,
        ));
    }
    unused_lets(&base, &models, &mut diags);

    // Nodes of every scheme, for the uncertainty block.
    let mut nodes: HashMap<String, NodeKind> = HashMap::new();
    for m in std::iter::once(&base).chain(models.iter().map(|(_, _, m)| m)) {
        for n in m.nodes.iter().filter(|n| !n.removed) {
            nodes.entry(n.id.clone()).or_insert(n.kind);
        }
    }
    let surveys = surveys(program, &parts, &base, &models, &mut diags);
    let survey_ids: Vec<String> = parts.surveys.iter().map(|s| s.id.name.clone()).collect();
    let uplan = parts.uncertainty.map(|u| {
        uncertainty::check(
            u,
            &program.sources,
            &nodes,
            &schemes,
            &survey_ids,
            &mut diags,
        )
    });

    let mut plans = Vec::new();
    if let Some(p) = build::build(
        program,
        &base,
        ("default", None),
        &index.id,
        uplan.as_ref(),
        &surveys,
        &mut diags,
    ) {
        plans.push(p);
    }
    for (name, label, m) in &models {
        if let Some(p) = build::build(
            program,
            m,
            (name, label.clone()),
            &index.id,
            uplan.as_ref(),
            &surveys,
            &mut diags,
        ) {
            plans.push(p);
        }
    }
    if let Some(u) = &uplan {
        unread_surveys(u, &plans, &mut diags);
    }
    finish(plans, diags, schemes)
}

/// A `vary survey` line whose survey no scheme reads (`SURVEY.NAME`) changes nothing: a
/// warning at the line.
fn unread_surveys(u: &crate::plan::UncertaintyPlan, plans: &[Plan], diags: &mut Vec<Diagnostic>) {
    for f in &u.factors {
        let crate::plan::FactorKind::VarySurvey { survey } = &f.kind else {
            continue;
        };
        let read = plans
            .iter()
            .flat_map(|p| &p.columns)
            .any(|c| c.survey.as_ref().is_some_and(|r| &r.survey == survey));
        if !read {
            diags.push(
                Diagnostic::warning(
                    "uncertainty-unread-survey",
                    format!("no indicator reads survey `{survey}`: varying it changes nothing"),
                )
                .with_span(f.span)
                .with_hint(format!(
                    "read its estimates as `{survey}.NAME` in an indicator, or remove the line"
                )),
            );
        }
    }
}

/// The `survey` blocks, checked against the names of every scheme's nodes and the lets.
fn surveys(
    program: &Program,
    parts: &model::Parts,
    base: &model::Model,
    models: &[(String, Option<String>, model::Model)],
    diags: &mut Vec<Diagnostic>,
) -> Vec<crate::plan::SurveyPlan> {
    let mut taken: HashMap<String, Span> = HashMap::new();
    for m in std::iter::once(base).chain(models.iter().map(|(_, _, m)| m)) {
        for n in m.nodes.iter().filter(|n| !n.removed) {
            taken.entry(n.id.clone()).or_insert(n.id_span);
        }
    }
    for l in &base.lets {
        taken.entry(l.name.clone()).or_insert(l.name_span);
    }
    survey::check(
        program,
        &parts.surveys,
        &taken,
        base.period_column.is_some(),
        diags,
    )
}

fn before(a: Span, b: Span, program: &Program) -> bool {
    // Files are numbered in load order, and a used file's items come before the user's.
    let order = |s: Span| {
        let rank = if s.file == program.root {
            u32::MAX
        } else {
            s.file.0
        };
        (rank, s.start)
    };
    order(a) < order(b)
}

fn finish(plans: Vec<Plan>, mut diags: Vec<Diagnostic>, schemes: Vec<String>) -> Checked {
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| {
        seen.insert((
            d.code,
            d.message.clone(),
            d.span.map(|s| (s.file, s.start, s.end)),
        ))
    });
    diags.sort_by_key(|d| d.span.map(|s| (s.file, s.start)).unwrap_or_default());
    Checked {
        plans,
        diagnostics: diags,
        schemes,
    }
}

/// Lets must be defined before they are used by other lets, without cycles.
fn check_lets(lets: &[model::LetEntry], diags: &mut Vec<Diagnostic>) {
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, l) in lets.iter().enumerate() {
        if let Some(&j) = first.get(l.name.as_str()) {
            diags.push(
                Diagnostic::error("duplicate-let", format!("`{}` is defined twice", l.name))
                    .with_span(l.name_span)
                    .with_related(lets[j].name_span, "first defined here")
                    .with_hint("give the second one another name"),
            );
        } else {
            first.insert(&l.name, i);
        }
    }
    let refs: Vec<Vec<(usize, Span)>> = lets
        .iter()
        .map(|l| {
            let mut names = Vec::new();
            expr::names(&l.expr, &mut names);
            names
                .into_iter()
                .filter_map(|(n, s)| first.get(n.as_str()).map(|j| (*j, s)))
                .collect()
        })
        .collect();
    let mut in_cycle = vec![false; lets.len()];
    for i in 0..lets.len() {
        if in_cycle[i] {
            continue;
        }
        if let Some(path) = cycle_from(i, &refs) {
            for &k in &path {
                in_cycle[k] = true;
            }
            let names: Vec<&str> = path
                .iter()
                .chain([&i])
                .map(|k| lets[*k].name.as_str())
                .collect();
            diags.push(
                Diagnostic::error(
                    "let-cycle",
                    format!("`{}` is defined in terms of itself", lets[i].name),
                )
                .with_span(lets[i].name_span)
                .with_note(format!("cycle: {}", names.join(" → ")))
                .with_hint("one of these definitions must use data columns only"),
            );
        }
    }
    for (i, r) in refs.iter().enumerate() {
        if in_cycle[i] {
            continue;
        }
        for &(j, span) in r {
            if j > i && !in_cycle[j] {
                diags.push(
                    Diagnostic::error(
                        "let-order",
                        format!("`{}` is used before its definition", lets[j].name),
                    )
                    .with_span(span)
                    .with_related(lets[j].name_span, "defined here")
                    .with_hint(format!(
                        "move `let {} = ...` above the line that uses it",
                        lets[j].name
                    )),
                );
            }
        }
    }
}

/// A path i → ... → i through let references, if one exists.
fn cycle_from(i: usize, refs: &[Vec<(usize, Span)>]) -> Option<Vec<usize>> {
    let mut stack = vec![(i, vec![i])];
    let mut visited = vec![false; refs.len()];
    while let Some((n, path)) = stack.pop() {
        for &(j, _) in &refs[n] {
            if j == i {
                return Some(path);
            }
            if !visited[j] {
                visited[j] = true;
                let mut p = path.clone();
                p.push(j);
                stack.push((j, p));
            }
        }
    }
    None
}

fn unused_lets(
    base: &model::Model,
    models: &[(String, Option<String>, model::Model)],
    diags: &mut Vec<Diagnostic>,
) {
    let mut used = vec![false; base.lets.len()];
    for m in std::iter::once(base).chain(models.iter().map(|(_, _, m)| m)) {
        let mut roots: Vec<&crate::syntax::ast::Expr> = m
            .nodes
            .iter()
            .filter(|n| !n.removed)
            .filter_map(|n| n.formula.as_ref())
            .collect();
        roots.extend(m.adjust.iter().map(|a| &a.expr));
        roots.extend(m.units_where.iter());
        for i in build::reachable_lets(&m.lets, &roots) {
            used[i] = true;
        }
    }
    for (l, u) in base.lets.iter().zip(used) {
        if !u {
            diags.push(
                Diagnostic::warning(
                    "unused-let",
                    format!("`{}` is defined but never used", l.name),
                )
                .with_span(l.name_span)
                .with_hint("remove it, or use it in a formula"),
            );
        }
    }
}

/// Compiles one scheme (`default` for the base index). Fails when the program has errors;
/// warnings travel with the plan.
pub fn compile(program: &Program, scheme: &str) -> Result<(Plan, Vec<Diagnostic>), crate::Error> {
    let checked = check(program);
    if checked.has_errors() {
        return Err(crate::Error::Diagnostics(checked.diagnostics));
    }
    // Warnings about other schemes' plans are not this plan's business.
    let other = |d: &Diagnostic| {
        d.notes
            .iter()
            .any(|n| n.starts_with("in scheme `") && *n != format!("in scheme `{scheme}`"))
    };
    let warnings: Vec<Diagnostic> = checked
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Warning && !other(d))
        .collect();
    match checked.plans.into_iter().find(|p| p.scheme == scheme) {
        Some(p) => Ok((p, warnings)),
        None => {
            let mut names = vec!["default".to_string()];
            names.extend(checked.schemes);
            let hint =
                match crate::diagnostics::did_you_mean(scheme, names.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the schemes are: {}", names.join(", ")),
                };
            Err(crate::Error::Usage(format!(
                "there is no scheme `{scheme}` in these rules; {hint}"
            )))
        }
    }
}

/// Compiles variants of a checked program: a scheme (or `default`) with further overrides
/// appended, as if a scheme built `from` it declared them. This is how an uncertainty
/// replication's plan is made, so that a `choose` line reaches exactly what the same override
/// in a scheme reaches (LANGUAGE.md, "Uncertainty"), by the same code.
pub struct Variants<'p> {
    program: &'p Program,
    base: Base<'p>,
    uncertainty: Option<crate::plan::UncertaintyPlan>,
    surveys: Vec<crate::plan::SurveyPlan>,
}

impl<'p> Variants<'p> {
    /// Fails when the program has errors.
    pub fn new(program: &'p Program) -> Result<Variants<'p>, crate::Error> {
        let checked = check(program);
        if checked.has_errors() {
            return Err(crate::Error::Diagnostics(checked.diagnostics));
        }
        let uncertainty = checked.plan("default").and_then(|p| p.uncertainty.clone());
        let surveys = checked
            .plan("default")
            .map(|p| p.surveys.clone())
            .unwrap_or_default();
        let base = base(program, &mut Vec::new())
            .ok_or_else(|| crate::Error::Usage("these rules have no `index`".into()))?;
        Ok(Variants {
            program,
            base,
            uncertainty,
            surveys,
        })
    }

    /// The source text of a span of the program, whitespace collapsed (an option of a
    /// `choose` line as written).
    pub fn text(&self, span: Span) -> String {
        self.program
            .sources
            .slice(span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// An override as a scheme writes it: `SETTING [NODE =] VALUE`.
    pub fn override_text(&self, o: &crate::syntax::ast::Setting) -> String {
        match &o.target {
            Some(t) => format!("{} {} = {}", o.key.keyword(), t.name, self.text(o.span)),
            None => format!("{} {}", o.key.keyword(), self.text(o.span)),
        }
    }

    /// The plan of scheme `from` (`default`: the base index) with `overrides` applied after
    /// the scheme's own, in this order. An override whose node the scheme does not have
    /// (excluded, or never added) reaches nothing and is left out, silently: the uncertainty
    /// block names nodes of any scheme.
    pub fn compile(
        &self,
        from: &str,
        overrides: &[crate::syntax::ast::Setting],
    ) -> Result<Plan, crate::Error> {
        use crate::syntax::ast;
        let mut diags = Vec::new();
        let mut chain: Vec<&ast::Scheme> = if from == "default" {
            Vec::new()
        } else {
            scheme::chain(&self.base.parts.schemes, from, &mut diags).ok_or_else(|| {
                crate::Error::Usage(format!("there is no scheme `{from}` in these rules"))
            })?
        };
        let mut model = self.base.model.clone();
        scheme::apply_chain(self.program, &mut model, &chain, &mut diags);
        let present: Vec<ast::Override> = overrides
            .iter()
            .filter(|o| {
                o.target
                    .as_ref()
                    .is_none_or(|t| model.find(&t.name).is_some())
            })
            .map(|o| ast::Override::Setting(o.clone()))
            .collect();
        let span = self.base.index.id.span;
        let extra = ast::Scheme {
            id: ast::Ident {
                name: "uncertainty replication".into(),
                span,
            },
            label: None,
            from: None,
            overrides: present,
            span,
        };
        chain.clear();
        chain.push(&extra);
        scheme::apply_chain(self.program, &mut model, &chain, &mut diags);
        let plan = build::build(
            self.program,
            &model,
            (from, None),
            &self.base.index.id,
            self.uncertainty.as_ref(),
            &self.surveys,
            &mut diags,
        );
        let errors: Vec<Diagnostic> = diags.into_iter().filter(|d| d.is_error()).collect();
        match plan {
            Some(p) if errors.is_empty() => Ok(p),
            _ => Err(crate::Error::Diagnostics(errors)),
        }
    }
}

/// Compiles a condition written on the command line (`--where`) against a plan: names are the
/// plan's `let`s or data columns (new columns are added to the plan so that they are loaded).
pub fn compile_condition(
    plan: &mut Plan,
    file: crate::FileId,
    text: &str,
) -> Result<crate::plan::Code, Vec<Diagnostic>> {
    let expr = crate::syntax::parse_expr(file, text).map_err(|d| vec![*d])?;
    struct PlanScope<'a> {
        plan: &'a mut Plan,
    }
    impl expr::Scope for PlanScope<'_> {
        fn let_index(&self, name: &str) -> Option<u32> {
            self.plan
                .lets
                .iter()
                .position(|l| l.name == name)
                .map(|i| i as u32)
        }
        fn column(&mut self, name: &str, span: Span) -> u32 {
            let data = |c: &crate::plan::ColumnRef| c.name == name && c.survey.is_none();
            if let Some(i) = self.plan.columns.iter().position(data) {
                return i as u32;
            }
            self.plan.columns.push(crate::plan::ColumnRef {
                name: name.to_string(),
                span,
                survey: None,
            });
            (self.plan.columns.len() - 1) as u32
        }
        fn has_periods(&self) -> bool {
            self.plan.index.period_column.is_some()
        }
        fn note_let_use(&mut self, _: u32) {}
        fn survey(
            &mut self,
            survey: &crate::syntax::ast::Ident,
            name: &crate::syntax::ast::ColumnName,
        ) -> Result<u32, Diagnostic> {
            let plan = &mut *self.plan;
            survey::column(&mut plan.columns, &plan.surveys, survey, name)
        }
    }
    let mut scope = PlanScope { plan };
    let (code, diags) =
        expr::Compiler::new(&mut scope).compile(&expr, text, expr::Ty::Bool, "`--where`");
    match code {
        Some(c) => Ok(c),
        None => Err(diags),
    }
}

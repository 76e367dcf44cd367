//! The plan builder: resolves a (scheme-edited) model into a [`Plan`] — inheritance, weights,
//! compiled expressions — and reports what is wrong or suspicious about the result.

use super::expr::{Compiler, Scope, Ty};
use super::load::Program;
use super::model::{LetEntry, Model};
use super::settings::{Judgement, Set, Val, WeightsSpec};
use crate::diagnostics::{did_you_mean, Diagnostic};
use crate::methods::ahp::{self, RiTable};
use crate::plan::*;
use crate::source::Span;
use crate::syntax::ast::{self, SettingKey};
use std::collections::{BTreeMap, HashMap};

pub const ORIENTATIONS: &[&str] = &["government", "market", "society"];

const INHERITED: &[SettingKey] = &[
    SettingKey::Scale,
    SettingKey::Normalise,
    SettingKey::Direction,
    SettingKey::Transform,
    SettingKey::Winsorise,
    SettingKey::Missing,
    SettingKey::Coverage,
    SettingKey::Aggregate,
];

/// The settings whose errors can surface only while evaluating (a method meeting its data).
const METHOD_SETTINGS: &[SettingKey] = &[
    SettingKey::Normalise,
    SettingKey::Direction,
    SettingKey::Transform,
    SettingKey::Winsorise,
    SettingKey::Missing,
    SettingKey::Aggregate,
    SettingKey::Weights,
];

/// Where the effective value of setting `key` on `node` was written, and whose it is.
fn setting_at(model: &Model, node: usize, key: SettingKey) -> Option<SettingAt> {
    let set = resolve(model, node, key)?;
    let own = |map: &BTreeMap<SettingKey, Set>| map.get(&key).is_some_and(|s| std::ptr::eq(s, set));
    let from = if own(&model.nodes[node].forced) {
        SettingFrom::Scheme
    } else if own(&model.nodes[node].explicit) {
        SettingFrom::Own
    } else {
        SettingFrom::Ancestor
    };
    Some(SettingAt {
        key,
        span: set.span,
        from,
    })
}

/// The effective value of a setting on a node: a scheme's node-only override, else the
/// nearest written value up the tree (for inherited settings), else none.
fn resolve(model: &Model, node: usize, key: SettingKey) -> Option<&Set> {
    if let Some(s) = model.nodes[node].forced.get(&key) {
        return Some(s);
    }
    if !INHERITED.contains(&key) {
        return model.nodes[node].explicit.get(&key);
    }
    let mut n = Some(node);
    while let Some(i) = n {
        if let Some(s) = model.nodes[i].explicit.get(&key) {
            return Some(s);
        }
        // A forced value on an ancestor applies to that node only; it is not inherited.
        n = model.nodes[i].parent;
    }
    None
}

struct LetScope<'a> {
    /// Plan let index by name.
    lets: &'a HashMap<String, u32>,
    columns: Vec<ColumnRef>,
    column_index: HashMap<String, u32>,
    has_periods: bool,
    surveys: &'a [SurveyPlan],
}

impl Scope for LetScope<'_> {
    fn let_index(&self, name: &str) -> Option<u32> {
        self.lets.get(name).copied()
    }
    fn column(&mut self, name: &str, span: Span) -> u32 {
        if let Some(&i) = self.column_index.get(name) {
            return i;
        }
        let i = self.columns.len() as u32;
        self.columns.push(ColumnRef {
            name: name.to_string(),
            span,
            survey: None,
        });
        self.column_index.insert(name.to_string(), i);
        i
    }
    fn has_periods(&self) -> bool {
        self.has_periods
    }
    fn note_let_use(&mut self, _: u32) {}
    fn survey(&mut self, survey: &ast::Ident, name: &ast::ColumnName) -> Result<u32, Diagnostic> {
        super::survey::column(&mut self.columns, self.surveys, survey, name)
    }
}

/// Builds the plan of one scheme; `None` when the model has errors that prevent it.
pub fn build(
    program: &Program,
    model: &Model,
    scheme: (&str, Option<String>),
    index_id: &ast::Ident,
    uncertainty: Option<&UncertaintyPlan>,
    surveys: &[SurveyPlan],
    diags: &mut Vec<Diagnostic>,
) -> Option<Plan> {
    let first_new = diags.len();
    let errors_before = diags.iter().filter(|d| d.is_error()).count();
    // Node ids in depth-first order over live nodes.
    let order = model.subtree(0);
    let mut pos: HashMap<usize, NodeId> = HashMap::new();
    for (k, m) in order.iter().enumerate() {
        pos.insert(*m, NodeId(k as u32));
    }
    // Lets reachable from this plan's expressions, in program order.
    let mut roots: Vec<&ast::Expr> = Vec::new();
    for &m in &order {
        if let Some(f) = &model.nodes[m].formula {
            roots.push(f);
        }
    }
    roots.extend(model.adjust.iter().map(|a| &a.expr));
    roots.extend(model.units_where.iter());
    let reachable = reachable_lets(&model.lets, &roots);
    let mut let_index: HashMap<String, u32> = HashMap::new();
    for (k, l) in reachable.iter().enumerate() {
        let_index.insert(model.lets[*l].name.clone(), k as u32);
    }
    let mut scope = LetScope {
        lets: &let_index,
        columns: Vec::new(),
        column_index: HashMap::new(),
        has_periods: model.period_column.is_some(),
        surveys,
    };
    let mut lets = Vec::new();
    for &l in &reachable {
        let entry = &model.lets[l];
        let text = program.sources.slice(entry.expr.span).to_string();
        let (code, ds) = Compiler::new(&mut scope).compile(&entry.expr, &text, Ty::Num, "a `let`");
        diags.extend(ds);
        if let Some(code) = code {
            lets.push(LetDef {
                name: entry.name.clone(),
                code,
            });
        }
    }

    let mut nodes: Vec<Node> = Vec::with_capacity(order.len());
    for &m in &order {
        let mn = &model.nodes[m];
        let scale = match resolve(model, m, SettingKey::Scale) {
            Some(Set {
                val: Val::Scale(lo, hi),
                ..
            }) => (*lo, *hi),
            _ => (0.0, 100.0),
        };
        let text = |k: SettingKey| match mn.explicit.get(&k).map(|s| &s.val) {
            Some(Val::Text(t)) => Some(t.clone()),
            _ => None,
        };
        let (tags, orientation) = tags_of(model, m, diags);
        let mut node = Node {
            id: mn.id.clone(),
            label: mn.label.clone(),
            kind: mn.kind,
            parent: mn.parent.map(|p| pos[&p]),
            children: model.live_children(m).iter().map(|c| pos[c]).collect(),
            depth: nodes_depth(model, m),
            weight: None,
            overall: None,
            scale,
            group: None,
            indicator: None,
            tags,
            orientation,
            unit: text(SettingKey::Unit),
            source: text(SettingKey::Source),
            description: text(SettingKey::Description),
            weight_factor: None,
            span: mn.span,
            settings: METHOD_SETTINGS
                .iter()
                .filter_map(|&key| setting_at(model, m, key))
                .collect(),
        };
        if mn.kind == NodeKind::Indicator {
            node.indicator = indicator_plan(program, model, m, &mut scope, diags);
        } else {
            let aggregate = match resolve(model, m, SettingKey::Aggregate) {
                Some(Set {
                    val: Val::Aggregate(a),
                    ..
                }) => *a,
                _ => Aggregate::Arithmetic,
            };
            let coverage = match resolve(model, m, SettingKey::Coverage) {
                Some(Set {
                    val: Val::Coverage(c),
                    ..
                }) => *c,
                _ => 0.0,
            };
            node.group = Some(GroupPlan {
                aggregate,
                weights: Weights::Given,
                coverage,
                vary_derived: Vec::new(),
            });
        }
        nodes.push(node);
    }

    // Weights of every group's children.
    for &m in &order {
        if model.nodes[m].kind == NodeKind::Indicator {
            continue;
        }
        let kids = model.live_children(m);
        if kids.is_empty() {
            continue;
        }
        let (method, ws) = child_weights(model, m, &kids, diags);
        for (c, w) in kids.iter().zip(ws) {
            nodes[pos[c].index()].weight = Some(w);
        }
        if let Some(g) = nodes[pos[&m].index()].group.as_mut() {
            g.weights = method;
        }
    }
    // Overall weights: the product down the path while all are fixed.
    for k in 0..nodes.len() {
        nodes[k].overall = match (nodes[k].parent, &nodes[k].weight) {
            (None, _) => Some(1.0),
            (Some(p), Some(Weight::Fixed(w))) => nodes[p.index()].overall.map(|o| o * w),
            _ => None,
        };
    }

    let mut adjustments = Vec::new();
    for a in &model.adjust {
        let text = program.sources.slice(a.expr.span).to_string();
        let (want, what) = match a.kind {
            ast::AdjustKind::Veto => (Ty::Bool, "a veto"),
            ast::AdjustKind::Bonus => (Ty::Num, "a bonus"),
            ast::AdjustKind::Penalty => (Ty::Num, "a penalty"),
        };
        let (code, ds) = Compiler::new(&mut scope).compile(&a.expr, &text, want, what);
        diags.extend(ds);
        if let Some(l) = &a.limit {
            if l.value < 0.0 {
                diags.push(
                    Diagnostic::error(
                        "adjust-limit",
                        format!("the limit `{}` must not be negative", l.text),
                    )
                    .with_span(l.span),
                );
            }
        }
        if let Some(code) = code {
            adjustments.push(Adjustment {
                kind: match a.kind {
                    ast::AdjustKind::Bonus => AdjustKind::Bonus,
                    ast::AdjustKind::Penalty => AdjustKind::Penalty,
                    ast::AdjustKind::Veto => AdjustKind::Veto,
                },
                code,
                limit: a.limit.as_ref().map(|l| l.value),
            });
        }
    }
    let units_where = model.units_where.as_ref().and_then(|e| {
        let text = program.sources.slice(e.span).to_string();
        let (code, ds) = Compiler::new(&mut scope).compile(e, &text, Ty::Bool, "`units where`");
        diags.extend(ds);
        code
    });

    let reference = match resolve(model, 0, SettingKey::Reference) {
        Some(Set {
            val: Val::Reference(r),
            ..
        }) => *r,
        _ => Reference::Period,
    };
    let mut plan = Plan {
        scheme: scheme.0.to_string(),
        scheme_label: scheme.1,
        index: IndexInfo {
            id: index_id.name.clone(),
            label: model.index_label.clone(),
            unit_column: model.unit_column.clone(),
            label_column: model.label_column.clone(),
            period_column: model.period_column.clone(),
            data: model.data.clone(),
            reference,
        },
        nodes,
        lets,
        columns: scope.columns,
        units_where,
        adjustments,
        uncertainty: uncertainty.cloned(),
        surveys: surveys.to_vec(),
    };
    warn_structure(model, &order, &plan, diags);
    if let Some(u) = &plan.uncertainty {
        let owners: Vec<Option<usize>> = plan.ids().map(|id| weight_owner(&plan, id, u)).collect();
        for (k, o) in owners.into_iter().enumerate() {
            plan.nodes[k].weight_factor = o;
        }
    }
    if scheme.0 != "default" {
        for d in &mut diags[first_new..] {
            d.notes.push(format!("in scheme `{}`", scheme.0));
        }
    }
    let errors_after = diags.iter().filter(|d| d.is_error()).count();
    (errors_after == errors_before).then_some(plan)
}

fn nodes_depth(model: &Model, mut m: usize) -> u32 {
    let mut d = 0;
    while let Some(p) = model.nodes[m].parent {
        d += 1;
        m = p;
    }
    d
}

/// Own and inherited tags (the union up the tree, own first) and the orientation tag among
/// them; an indicator carries at most one orientation, own or inherited.
fn tags_of(model: &Model, m: usize, diags: &mut Vec<Diagnostic>) -> (Vec<String>, Option<String>) {
    let mut tags: Vec<String> = Vec::new();
    let mut orientation: Option<(String, usize, Span)> = None;
    let mut n = Some(m);
    while let Some(i) = n {
        if let Some(Set {
            val: Val::Tags(ts), ..
        }) = model.nodes[i].explicit.get(&SettingKey::Tag)
        {
            for (t, span) in ts {
                if ORIENTATIONS.contains(&t.as_str()) {
                    match &orientation {
                        None => orientation = Some((t.clone(), i, *span)),
                        Some((first, at, first_span))
                            if first != t && model.nodes[m].kind == NodeKind::Indicator =>
                        {
                            let id = &model.nodes[m].id;
                            let d = if *at == i {
                                Diagnostic::error(
                                    "two-orientations",
                                    format!(
                                        "`{id}` carries two orientation tags, `{first}` and `{t}`"
                                    ),
                                )
                                .with_span(*span)
                                .with_related(*first_span, "the first one")
                            } else {
                                Diagnostic::error(
                                    "two-orientations",
                                    format!("`{id}` is tagged `{first}` but inherits `{t}` from group `{}`", model.nodes[i].id),
                                )
                                .with_span(*first_span)
                                .with_related(*span, "inherited from here")
                            };
                            diags.push(d.with_hint(
                                "an indicator counts for one orientation (government, market or society): \
                                 keep the one it measures, or move it to a group of that orientation",
                            ));
                        }
                        Some(_) => {}
                    }
                }
                if !tags.contains(t) {
                    tags.push(t.clone());
                }
            }
        }
        n = model.nodes[i].parent;
    }
    (tags, orientation.map(|o| o.0))
}

fn indicator_plan(
    program: &Program,
    model: &Model,
    m: usize,
    scope: &mut LetScope,
    diags: &mut Vec<Diagnostic>,
) -> Option<IndicatorPlan> {
    let mn = &model.nodes[m];
    let formula = match &mn.formula {
        Some(e) => {
            let text = program.sources.slice(e.span).to_string();
            let (code, ds) = Compiler::new(scope).compile(e, &text, Ty::Num, "an indicator");
            diags.extend(ds);
            code?
        }
        None => {
            let c = scope.column(&mn.id, mn.id_span);
            Code {
                ops: vec![Instr::Column(c)],
                text: mn.id.clone(),
                span: mn.id_span,
            }
        }
    };
    let get = |k| resolve(model, m, k);
    let normalise = get(SettingKey::Normalise);
    let direction = get(SettingKey::Direction);
    let dir = match direction {
        Some(Set {
            val: Val::Dir(d), ..
        }) => *d,
        _ => Direction::Positive,
    };
    let norm = match normalise {
        Some(Set {
            val: Val::Norm(n), ..
        }) => n.clone(),
        _ => Normalise::MinMax,
    };
    if matches!(norm, Normalise::Ratio(_)) && dir == Direction::Negative {
        let at = direction.map(|d| d.span).unwrap_or(mn.id_span);
        diags.push(
            Diagnostic::error("ratio-negative", format!("`{}` is normalised by `ratio` but has `direction negative`", mn.id))
                .with_span(at)
                .with_related(normalise.map(|n| n.span).unwrap_or(mn.id_span), "ratio set here")
                .with_hint("a ratio of negated values means nothing; invert in the formula instead (e.g. `= 1 / x`) and keep the direction positive"),
        );
    }
    if let (Direction::Optimum(x), Normalise::Goalposts(lo, hi)) = (&dir, &norm) {
        if x <= lo || x >= hi {
            diags.push(
                Diagnostic::error(
                    "optimum-outside",
                    format!(
                        "the optimum {} of `{}` lies outside its goalposts {}..{}",
                        num(*x),
                        mn.id,
                        num(*lo),
                        num(*hi)
                    ),
                )
                .with_span(direction.map(|d| d.span).unwrap_or(mn.id_span))
                .with_related(
                    normalise.map(|n| n.span).unwrap_or(mn.id_span),
                    "goalposts set here",
                )
                .with_hint("the optimum must lie strictly between the goalposts"),
            );
        }
    }
    Some(IndicatorPlan {
        formula,
        missing: match get(SettingKey::Missing) {
            Some(Set {
                val: Val::Missing(p),
                ..
            }) => p.clone(),
            _ => vec![MissingPolicy::Skip],
        },
        transform: match get(SettingKey::Transform) {
            Some(Set {
                val: Val::Transform(t),
                ..
            }) => *t,
            _ => Transform::None,
        },
        winsorise: match get(SettingKey::Winsorise) {
            Some(Set {
                val: Val::Winsorise(w),
                ..
            }) => w.clone(),
            _ => Winsorise::None,
        },
        direction: dir,
        normalise: norm,
    })
}

/// Lets reachable from the roots, in program order.
pub(super) fn reachable_lets(lets: &[LetEntry], roots: &[&ast::Expr]) -> Vec<usize> {
    let mut want = vec![false; lets.len()];
    let mut stack: Vec<usize> = Vec::new();
    let by_name: HashMap<&str, usize> = lets
        .iter()
        .enumerate()
        .map(|(i, l)| (l.name.as_str(), i))
        .collect();
    let mut names = Vec::new();
    for r in roots {
        super::expr::names(r, &mut names);
    }
    for (n, _) in names.drain(..) {
        if let Some(&i) = by_name.get(n.as_str()) {
            stack.push(i);
        }
    }
    while let Some(i) = stack.pop() {
        if want[i] {
            continue;
        }
        want[i] = true;
        super::expr::names(&lets[i].expr, &mut names);
        for (n, _) in names.drain(..) {
            if let Some(&j) = by_name.get(n.as_str()) {
                stack.push(j);
            }
        }
    }
    (0..lets.len()).filter(|i| want[*i]).collect()
}

fn weights_spec(model: &Model, g: usize) -> Option<&Set> {
    resolve(model, g, SettingKey::Weights)
}

/// The weighting method of a group and each child's weight.
fn child_weights(
    model: &Model,
    g: usize,
    kids: &[usize],
    diags: &mut Vec<Diagnostic>,
) -> (Weights, Vec<Weight>) {
    let n = kids.len();
    let equal = vec![Weight::Fixed(1.0 / n as f64); n];
    let gid = model.nodes[g].id.clone();
    let set = weights_spec(model, g);
    let spec = match set {
        Some(Set {
            val: Val::Weights(w),
            ..
        }) => w.clone(),
        _ => WeightsSpec::Simple(Weights::Given),
    };
    let given: Vec<Option<(f64, Span)>> = kids.iter().map(|c| model.nodes[*c].weight).collect();
    let any_given = given.iter().any(Option::is_some);
    if !matches!(spec, WeightsSpec::Simple(Weights::Given)) && any_given {
        let at = given
            .iter()
            .flatten()
            .next()
            .map(|w| w.1)
            .unwrap_or(model.nodes[g].id_span);
        diags.push(
            Diagnostic::warning("weights-ignored", format!("the weights written on `{gid}`'s children are ignored: the group uses `weights {}`", spec.name()))
                .with_span(at)
                .with_hint("remove the children's weights, or the group's `weights` line"),
        );
    }
    match spec {
        WeightsSpec::Simple(Weights::Given) => {
            if !any_given {
                return (Weights::Given, equal);
            }
            // The ids of the children with (`true`) or without a weight.
            let weighted = |has: bool| -> Vec<&str> {
                kids.iter()
                    .zip(&given)
                    .filter(|(_, w)| w.is_some() == has)
                    .map(|(c, _)| model.nodes[*c].id.as_str())
                    .collect()
            };
            let missing = weighted(false);
            if !missing.is_empty() {
                let with = weighted(true);
                let first_missing = kids
                    .iter()
                    .zip(&given)
                    .find(|(_, w)| w.is_none())
                    .map(|(c, _)| model.nodes[*c].id_span)
                    .unwrap_or_default();
                diags.push(
                    Diagnostic::error(
                        "mixed-weights",
                        format!("in `{gid}`, some children have a weight and some do not"),
                    )
                    .with_span(first_missing)
                    .with_label("no weight")
                    .with_note(format!("with a weight: {}", quote_list(&with)))
                    .with_note(format!("without: {}", quote_list(&missing)))
                    .with_hint("give every child a weight, or none (then they count equally)"),
                );
                return (Weights::Given, equal);
            }
            let ws: Vec<f64> = given.iter().map(|w| w.map_or(0.0, |w| w.0)).collect();
            let total: f64 = ws.iter().sum();
            percent_warning(&ws, model.nodes[g].id_span, &gid, diags);
            (
                Weights::Given,
                ws.iter().map(|w| Weight::Fixed(w / total)).collect(),
            )
        }
        WeightsSpec::Simple(Weights::Equal) => (Weights::Equal, equal),
        WeightsSpec::Ahp {
            textbook,
            judgements,
            span,
        } => match ahp_weights(model, g, kids, &judgements, textbook, span, diags) {
            Some(info) => {
                let ws = info.weights.iter().map(|w| Weight::Fixed(*w)).collect();
                (Weights::Ahp(info), ws)
            }
            None => (Weights::Equal, equal),
        },
        WeightsSpec::Simple(w) => {
            let name = w.to_string();
            (w, vec![Weight::Derived(name); n])
        }
        WeightsSpec::Combine { product, parts, .. } => {
            let mut out_parts = Vec::new();
            let mut fixed: Vec<Option<Vec<f64>>> = Vec::new();
            for (p, share) in parts {
                match p {
                    WeightsSpec::Ahp {
                        textbook,
                        judgements,
                        span,
                    } => match ahp_weights(model, g, kids, &judgements, textbook, span, diags) {
                        Some(info) => {
                            fixed.push(Some(info.weights.clone()));
                            out_parts.push((Weights::Ahp(info), share));
                        }
                        None => return (Weights::Equal, equal),
                    },
                    WeightsSpec::Simple(Weights::Equal) | WeightsSpec::Simple(Weights::Given) => {
                        fixed.push(Some(vec![1.0 / n as f64; n]));
                        out_parts.push((Weights::Equal, share));
                    }
                    WeightsSpec::Simple(w) => {
                        fixed.push(None);
                        out_parts.push((w, share));
                    }
                    WeightsSpec::Combine { .. } => return (Weights::Equal, equal),
                }
            }
            let method = Weights::Combine {
                product,
                parts: out_parts,
            };
            if fixed.iter().all(Option::is_some) {
                let vs: Vec<Vec<f64>> = fixed.into_iter().flatten().collect();
                let shares: Vec<f64> = match &method {
                    Weights::Combine { parts, .. } => parts.iter().map(|p| p.1).collect(),
                    _ => Vec::new(),
                };
                let mut w: Vec<f64> = (0..n)
                    .map(|i| {
                        if product {
                            vs.iter().map(|v| v[i]).product()
                        } else {
                            vs.iter().zip(&shares).map(|(v, s)| v[i] * s).sum()
                        }
                    })
                    .collect();
                let t: f64 = w.iter().sum();
                w.iter_mut().for_each(|x| *x /= t);
                (method, w.into_iter().map(Weight::Fixed).collect())
            } else {
                let name = method.to_string();
                (method, vec![Weight::Derived(name); n])
            }
        }
    }
}

fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Weights that look like percentages (or fractions) but do not add up.
fn percent_warning(ws: &[f64], at: Span, gid: &str, diags: &mut Vec<Diagnostic>) {
    if ws.len() < 2 {
        return;
    }
    let total: f64 = ws.iter().sum();
    let integers = ws.iter().all(|w| w.fract() == 0.0);
    let looks = if integers {
        (90.0..=110.0).contains(&total) && total != 100.0
    } else {
        // Published weights rounded to 3 decimals may add up to 0.999 or 1.001: not a typo.
        (0.9..=1.1).contains(&total) && (total - 1.0).abs() > 0.005
    };
    if looks {
        diags.push(
            Diagnostic::warning(
                "weights-sum",
                format!("the weights of `{gid}`'s children add up to {}, not {}", num(total), if integers { "100" } else { "1" }),
            )
            .with_span(at)
            .with_hint("weights are renormalised, so this works; if they were meant as percentages, check for a typo"),
        );
    }
}

/// AHP weights over a group's current children (judgements about excluded children ignored).
#[allow(clippy::too_many_arguments)]
fn ahp_weights(
    model: &Model,
    g: usize,
    kids: &[usize],
    judgements: &[Judgement],
    textbook: bool,
    span: Span,
    diags: &mut Vec<Diagnostic>,
) -> Option<AhpInfo> {
    let names: Vec<&str> = kids.iter().map(|c| model.nodes[*c].id.as_str()).collect();
    let removed: Vec<&str> = model.nodes[g]
        .children
        .iter()
        .filter(|c| model.nodes[**c].removed)
        .map(|c| model.nodes[*c].id.as_str())
        .collect();
    let gid = &model.nodes[g].id;
    let n = names.len();
    let mut matrix = vec![vec![0.0; n]; n];
    let mut source: Vec<Vec<Option<&Judgement>>> = vec![vec![None; n]; n];
    for (i, row) in matrix.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    let mut ok = true;
    for j in judgements {
        let mut idx = [0usize; 2];
        let mut skip = false;
        for (k, (name, sp)) in [(&j.left, j.left_span), (&j.right, j.right_span)]
            .into_iter()
            .enumerate()
        {
            match names.iter().position(|x| x == name) {
                Some(i) => idx[k] = i,
                None if removed.contains(&name.as_str()) => skip = true,
                None => {
                    let mut d = Diagnostic::error(
                        "ahp-unknown",
                        format!("`{name}` is not a child of `{gid}`"),
                    )
                    .with_span(sp);
                    d = match did_you_mean(name, names.iter().copied()) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                        None => d.with_hint(format!(
                            "the children of `{gid}` are {}",
                            quote_list(&names)
                        )),
                    };
                    diags.push(d);
                    ok = false;
                    skip = true;
                }
            }
        }
        if skip {
            continue;
        }
        let (a, b) = (idx[0], idx[1]);
        if let Some(first) = source[a][b] {
            diags.push(
                Diagnostic::error(
                    "ahp-repeated",
                    format!("`{}` and `{}` are compared twice", j.left, j.right),
                )
                .with_span(j.span)
                .with_related(first.span, "first compared here"),
            );
            ok = false;
            continue;
        }
        matrix[a][b] = j.value;
        matrix[b][a] = 1.0 / j.value;
        source[a][b] = Some(j);
        source[b][a] = Some(j);
    }
    if !ok {
        return None;
    }
    let mut missing = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            if source[a][b].is_none() {
                missing.push(format!("{} ? {}", names[a], names[b]));
            }
        }
    }
    if !missing.is_empty() {
        diags.push(
            Diagnostic::error(
                "ahp-missing",
                format!(
                    "the AHP judgements of `{gid}` are incomplete: {} pair(s) are not compared",
                    missing.len()
                ),
            )
            .with_span(span)
            .with_note(format!("missing: {}", missing.join(", ")))
            .with_hint(
                "compare every pair of children once, e.g. `a > b : 3`, `a < b : 2` or `a = b`",
            ),
        );
        return None;
    }
    if n > ahp::MAX_N {
        diags.push(
            Diagnostic::error(
                "ahp-size",
                format!(
                    "AHP compares at most {} children; `{gid}` has {n}",
                    ahp::MAX_N
                ),
            )
            .with_span(span)
            .with_hint("split the group into subgroups, or use another weighting"),
        );
        return None;
    }
    let table = if textbook {
        RiTable::Textbook
    } else {
        RiTable::Saaty
    };
    let res = match ahp::ahp(&matrix, table) {
        Ok(r) => r,
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    "ahp",
                    format!("the AHP judgements of `{gid}` cannot be used: {e}"),
                )
                .with_span(span),
            );
            return None;
        }
    };
    if res.cr > 0.10 {
        let mut d = Diagnostic::error(
            "ahp-inconsistent",
            format!(
                "the AHP judgements of `{gid}` are inconsistent: CR = {:.3} > 0.10 ({} random index)",
                res.cr,
                if textbook { "textbook" } else { "Saaty's" }
            ),
        )
        .with_span(span);
        if let Some(worst) = ahp::most_inconsistent(&matrix, &res.weights) {
            if let Some(j) = source[worst.row][worst.col] {
                let (l, r) = (names[worst.row], names[worst.col]);
                let consistent = worst.consistent;
                let suggestion = if consistent >= 1.0 {
                    format!("`{l} > {r} : {}`", round_judgement(consistent))
                } else {
                    format!("`{r} > {l} : {}`", round_judgement(1.0 / consistent))
                };
                d = d
                    .with_related(j.span, "the most inconsistent judgement")
                    .with_note(format!(
                        "consistent with the other judgements would be about {suggestion}"
                    ));
            }
        }
        diags.push(d.with_hint("revise the most inconsistent judgement, then check again"));
        return None;
    }
    Some(AhpInfo {
        children: names.iter().map(|s| s.to_string()).collect(),
        matrix,
        weights: res.weights,
        lambda_max: res.lambda_max,
        ci: res.ci,
        cr: res.cr,
        ri_table: if textbook { "textbook" } else { "saaty" }.to_string(),
    })
}

fn round_judgement(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    num(r.clamp(1.0, 9.0))
}

/// What range an indicator's or group's values end up on, for the mixed-ranges warning.
#[derive(Debug, Clone, PartialEq)]
enum Out {
    Scale(f64, f64),
    Around(f64, f64),
    Ranks,
    Unscaled(&'static str),
    Mixed,
}

impl Out {
    fn describe(&self) -> String {
        match self {
            Out::Scale(lo, hi) => format!("{}..{}", num(*lo), num(*hi)),
            Out::Around(m, s) => format!("{} ± {}·z", num(*m), num(*s)),
            Out::Ranks => "ranks 1..n".into(),
            Out::Unscaled(w) => format!("unscaled ({w})"),
            Out::Mixed => "mixed ranges".into(),
        }
    }
}

/// The range the index's scores end up on, in words (`0..100`, `100 ± 10·z`, `ranks 1..n`,
/// ...): what tells whether two plans' scores can be averaged together.
pub fn score_range(plan: &Plan) -> String {
    out_range(plan, NodeId::ROOT).describe()
}

fn out_range(plan: &Plan, id: NodeId) -> Out {
    let node = plan.node(id);
    let (lo, hi) = node.scale;
    if let Some(ind) = &node.indicator {
        return match &ind.normalise {
            Normalise::MinMax
            | Normalise::Goalposts(..)
            | Normalise::Percentile
            | Normalise::Target(_) => Out::Scale(lo, hi),
            Normalise::ZScore { mean, sd } => Out::Around(*mean, *sd),
            Normalise::Rank => Out::Ranks,
            Normalise::Ratio(_) => Out::Unscaled("ratio"),
            Normalise::Vector => Out::Unscaled("vector"),
            Normalise::None => Out::Unscaled("none"),
            Normalise::Bands(b) => {
                let s = b.iter().map(|b| b.score);
                let (mn, mx) = s.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                    (a.min(x), b.max(x))
                });
                if mn >= lo && mx <= hi {
                    Out::Scale(lo, hi)
                } else {
                    Out::Scale(mn, mx)
                }
            }
        };
    }
    let Some(g) = node.group.as_ref() else {
        // An indicator whose formula has errors: already reported.
        return Out::Mixed;
    };
    match g.aggregate {
        Aggregate::Topsis | Aggregate::Grey(_) | Aggregate::Copeland { .. } => Out::Scale(lo, hi),
        Aggregate::MazziottaPareto => Out::Around(100.0, 10.0),
        _ => {
            let mut outs = node.children.iter().map(|c| out_range(plan, *c));
            let first = outs.next().unwrap_or(Out::Mixed);
            if outs.all(|o| o == first) {
                first
            } else {
                Out::Mixed
            }
        }
    }
}

fn warn_structure(model: &Model, order: &[usize], plan: &Plan, diags: &mut Vec<Diagnostic>) {
    for (k, &m) in order.iter().enumerate() {
        let node = &plan.nodes[k];
        if node.kind == NodeKind::Indicator {
            continue;
        }
        if node.children.len() == 1 && node.kind == NodeKind::Group {
            diags.push(
                Diagnostic::warning("single-child", format!("group `{}` has only one child", node.id))
                    .with_span(model.nodes[m].id_span)
                    .with_hint("a group of one adds a level without combining anything; move the child up, or add its siblings"),
            );
        }
        let Some(g) = node.group.as_ref() else {
            continue;
        };
        if g.aggregate == Aggregate::Min
            && node
                .children
                .iter()
                .any(|c| model.nodes[order[c.index()]].weight.is_some())
        {
            diags.push(
                Diagnostic::warning(
                    "min-ignores-weights",
                    format!(
                        "`aggregate min` ignores the weights of `{}`'s children",
                        node.id
                    ),
                )
                .with_span(model.nodes[m].id_span),
            );
        }
        if !matches!(
            g.aggregate,
            Aggregate::Topsis
                | Aggregate::Grey(_)
                | Aggregate::Copeland { .. }
                | Aggregate::MazziottaPareto
        ) {
            let outs: Vec<(NodeId, Out)> = node
                .children
                .iter()
                .map(|c| (*c, out_range(plan, *c)))
                .collect();
            if outs.iter().any(|(_, o)| *o != outs[0].1)
                && !outs.iter().any(|(_, o)| *o == Out::Mixed)
            {
                let list: Vec<String> = outs
                    .iter()
                    .map(|(c, o)| format!("`{}` on {}", plan.node(*c).id, o.describe()))
                    .collect();
                diags.push(
                    Diagnostic::warning("mixed-ranges", format!("the children of `{}` end up on different ranges", node.id))
                        .with_span(model.nodes[m].id_span)
                        .with_note(list.join(", "))
                        .with_hint("aggregating values on different ranges weights them unequally; give them comparable normalisations"),
                );
            }
        }
    }
}

/// The uncertainty factor that varies a node's weight: `vary weight NODE`, else
/// `vary weights in PARENT`, else `vary weights`.
fn weight_owner(plan: &Plan, id: NodeId, u: &UncertaintyPlan) -> Option<usize> {
    let node = plan.node(id);
    let parent = plan.node(node.parent?);
    let exact = u
        .factors
        .iter()
        .position(|f| matches!(&f.kind, FactorKind::VaryWeight { node: n, .. } if *n == node.id));
    let within = u.factors.iter().position(
        |f| matches!(&f.kind, FactorKind::VaryWeights { within: Some(w), .. } if *w == parent.id),
    );
    let all = u
        .factors
        .iter()
        .position(|f| matches!(&f.kind, FactorKind::VaryWeights { within: None, .. }));
    exact.or(within).or(all)
}

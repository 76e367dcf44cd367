//! `qindex uncertainty`: the rules' `uncertainty` block as a Monte Carlo.
//!
//! Each replication `r` draws from its own random stream (ChaCha8 seeded with the block's seed,
//! stream `r`), builds a modified copy of a compiled [`Plan`] and evaluates it with the ordinary
//! evaluator over the frame loaded once. Replications run on several threads, but each one's
//! result depends only on `(seed, r)` and the results are reduced in replication order, so the
//! output is identical for any thread count.
//!
//! Within a replication (LANGUAGE.md, "Uncertainty"): `choose scheme` → the other `choose`s →
//! `vary` → `drop`. Simplifications, pinned here:
//! - `choose normalise` replaces the normalisation of the indicators (under `at NODE`, or all)
//!   whose method is a default-style one (`minmax`, `zscore`, `rank`, `percentile`); methods that
//!   are explicit by nature (`goalposts`, `target`, `bands`, `ratio`, `vector`, `none`) are kept.
//! - `choose aggregate` without `at` sets the index node's aggregation.
//! - `choose missing` sets the whole policy list of the indicators under `at` (or all) to the
//!   chosen policy.
//! - `vary` multiplies each weight by U(1 − P, 1 + P) and renormalises the siblings: fixed
//!   weights (given, equal, AHP) in the plan; weights derived from data by the evaluator, after
//!   derivation, through [`crate::plan::GroupPlan::vary_derived`].
//! - `drop` removes the indicator from its parent's children; fixed sibling weights are
//!   renormalised and derived weights are derived over the remaining children (AHP weights are
//!   renormalised rather than recomputed from the sub-matrix).

use crate::data::Frame;
use crate::diagnostics::Diagnostic;
use crate::eval::{self, EvalOptions, PeriodChoice};
use crate::methods::stats::quantile_sorted;
use crate::plan::{Aggregate, FactorKind, NodeId, Normalise, Plan, UncertaintyPlan, Weight};
use crate::Error;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

/// How to run.
pub struct Options<'a> {
    pub samples: u64,
    pub seed: u64,
    pub top_n: usize,
    pub period: PeriodChoice,
    /// Called with the number of replications done, from the calling thread.
    pub progress: Option<&'a dyn Fn(u64)>,
}

/// One unit's summary over the replications; rank statistics are over the replications in
/// which the unit is ranked (`None` when it never is).
#[derive(Debug, Clone)]
pub struct UnitSummary {
    pub unit: String,
    pub label: Option<String>,
    pub nominal_rank: Option<u32>,
    pub median_rank: Option<f64>,
    pub mean_rank: Option<f64>,
    pub p05_rank: Option<f64>,
    pub p95_rank: Option<f64>,
    pub width: Option<f64>,
    /// The share of all replications in which the unit ranks within the top N.
    pub p_top: f64,
    pub mean_score: Option<f64>,
    /// The sample standard deviation (n − 1) of the score.
    pub sd_score: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub samples: u64,
    pub seed: u64,
    pub top_n: usize,
    pub period: Option<String>,
    pub factors: Vec<String>,
    /// Mean over replications of the mean |rank − nominal rank| over the units ranked in both.
    pub marc: Option<f64>,
    /// Sorted by nominal rank, then unranked units.
    pub units: Vec<UnitSummary>,
    /// Evaluation warnings over all replications: (code, count), by first appearance.
    pub warnings: Vec<(String, usize)>,
}

/// The plans a run may use: `default` and each scheme named by `choose scheme`.
pub struct Plans<'p> {
    pub base: &'p Plan,
    pub schemes: Vec<&'p Plan>,
}

impl Plans<'_> {
    fn get(&self, name: &str) -> Option<&Plan> {
        if name == self.base.scheme {
            return Some(self.base);
        }
        self.schemes.iter().copied().find(|p| p.scheme == name)
    }
}

/// One replication's outcome, by position in the nominal period's rows.
struct Rep {
    ranks: Vec<u32>,
    scores: Vec<f64>,
    warnings: Vec<(&'static str, usize)>,
}

/// Runs the Monte Carlo.
pub fn run(plans: &Plans, frame: &Frame, opts: &Options) -> Result<Summary, Error> {
    let base = plans.base;
    let Some(unc) = &base.uncertainty else {
        return Err(Error::Usage(
            "these rules have no `uncertainty` block: add one (see LANGUAGE.md, \"Uncertainty\")"
                .into(),
        ));
    };
    for f in &unc.factors {
        if let FactorKind::ChooseScheme { options } = &f.kind {
            for o in options {
                if plans.get(o).is_none() {
                    return Err(Error::Usage(format!(
                        "`{}`: the scheme `{o}` was not compiled",
                        f.text
                    )));
                }
            }
        }
    }
    reject_negative_inputs(plans, unc)?;

    let eval_opts = EvalOptions {
        period: opts.period.clone(),
        filter: None,
    };
    let nominal = eval::evaluate(base, frame, &eval_opts)?;
    let Some(nom) = nominal.periods.first() else {
        return Err(Error::Usage("the data has no rows to evaluate".into()));
    };
    let rows = nom.rows.clone();
    let m = rows.len();
    let period = nom.period.clone();

    // Replications in chunks; inside them the evaluator runs single-threaded (the replications
    // are the parallel work), and the thread setting is restored afterwards.
    let threads = crate::threads().max(1);
    crate::set_threads(1);
    let n = opts.samples;
    let chunk = (64 * threads as u64).max(1);
    let mut all_ranks: Vec<Vec<u32>> = Vec::with_capacity(n as usize);
    let mut score_sum = vec![0.0; m];
    let mut score_sq = vec![0.0; m];
    let mut score_n = vec![0u64; m];
    let mut warnings: Vec<(String, usize)> = Vec::new();
    let mut start = 0u64;
    let outcome = (|| -> Result<(), Error> {
        while start < n {
            let end = (start + chunk).min(n);
            let reps = run_chunk(
                plans, unc, frame, &eval_opts, &rows, opts.seed, start, end, threads,
            )?;
            for rep in reps {
                for (i, s) in rep.scores.iter().enumerate() {
                    if s.is_finite() {
                        score_sum[i] += s;
                        score_n[i] += 1;
                    }
                }
                // Second moments about the running sums are unstable; keep raw squares and
                // correct at the end (scores are bounded by the scale, so this is safe).
                for (i, s) in rep.scores.iter().enumerate() {
                    if s.is_finite() {
                        score_sq[i] += s * s;
                    }
                }
                for (code, c) in rep.warnings {
                    match warnings.iter_mut().find(|(k, _)| k == code) {
                        Some(w) => w.1 += c,
                        None => warnings.push((code.to_string(), c)),
                    }
                }
                all_ranks.push(rep.ranks);
            }
            start = end;
            if let Some(p) = opts.progress {
                p(end);
            }
        }
        Ok(())
    })();
    crate::set_threads(threads);
    outcome?;

    // MARC.
    let mut marc_sum = 0.0;
    let mut marc_n = 0u64;
    for ranks in &all_ranks {
        let mut s = 0.0;
        let mut k = 0u64;
        for (i, r) in ranks.iter().enumerate() {
            let nr = nom.final_rank[i];
            if *r > 0 && nr > 0 {
                s += (*r as f64 - nr as f64).abs();
                k += 1;
            }
        }
        if k > 0 {
            marc_sum += s / k as f64;
            marc_n += 1;
        }
    }
    let marc = (marc_n > 0).then(|| marc_sum / marc_n as f64);

    let order = nom.order(frame);
    let mut units = Vec::with_capacity(m);
    for i in order {
        if !nom.is_unit[i] {
            continue;
        }
        let row = rows[i];
        let mut rs: Vec<f64> = all_ranks
            .iter()
            .map(|r| r[i])
            .filter(|r| *r > 0)
            .map(f64::from)
            .collect();
        rs.sort_by(f64::total_cmp);
        let q = |p: f64| (!rs.is_empty()).then(|| quantile_sorted(&rs, p));
        let top = all_ranks
            .iter()
            .filter(|r| r[i] > 0 && (r[i] as usize) <= opts.top_n)
            .count();
        let (p05, p95) = (q(0.05), q(0.95));
        let k = score_n[i] as f64;
        let mean_score = (score_n[i] > 0).then(|| score_sum[i] / k);
        let sd_score = (score_n[i] > 1).then(|| {
            let mean = score_sum[i] / k;
            ((score_sq[i] - k * mean * mean).max(0.0) / (k - 1.0)).sqrt()
        });
        units.push(UnitSummary {
            unit: frame.units().get(row).to_string(),
            label: frame.labels().map(|l| l.get(row).to_string()),
            nominal_rank: (nom.final_rank[i] > 0).then_some(nom.final_rank[i]),
            median_rank: q(0.5),
            mean_rank: (!rs.is_empty()).then(|| rs.iter().sum::<f64>() / rs.len() as f64),
            p05_rank: p05,
            p95_rank: p95,
            width: p05.zip(p95).map(|(a, b)| b - a),
            p_top: if n == 0 { 0.0 } else { top as f64 / n as f64 },
            mean_score,
            sd_score,
        });
    }
    Ok(Summary {
        samples: n,
        seed: opts.seed,
        top_n: opts.top_n,
        period,
        factors: unc.factors.iter().map(|f| f.text.clone()).collect(),
        marc,
        units,
        warnings,
    })
}

#[allow(clippy::too_many_arguments)]
fn run_chunk(
    plans: &Plans,
    unc: &UncertaintyPlan,
    frame: &Frame,
    eval_opts: &EvalOptions,
    rows: &[usize],
    seed: u64,
    start: u64,
    end: u64,
    threads: usize,
) -> Result<Vec<Rep>, Error> {
    let one = |r: u64| replicate(plans, unc, frame, eval_opts, rows, seed, r);
    let count = (end - start) as usize;
    let threads = threads.clamp(1, count.max(1));
    let mut done: Vec<(u64, Result<Rep, Error>)> = if threads == 1 {
        (start..end).map(|r| (r, one(r))).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let one = &one;
                    s.spawn(move || {
                        (start + t as u64..end)
                            .step_by(threads)
                            .map(|r| (r, one(r)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("replications do not panic"))
                .collect()
        })
    };
    done.sort_by_key(|d| d.0);
    done.into_iter().map(|(_, rep)| rep).collect()
}

/// One replication: its plan, evaluated.
fn replicate(
    plans: &Plans,
    unc: &UncertaintyPlan,
    frame: &Frame,
    eval_opts: &EvalOptions,
    rows: &[usize],
    seed: u64,
    r: u64,
) -> Result<Rep, Error> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(r);
    let plan = draw_plan(plans, unc, &mut rng);
    let results = eval::evaluate(&plan, frame, eval_opts).map_err(|e| in_replication(e, r))?;
    let p = results
        .periods
        .first()
        .ok_or_else(|| Error::Usage("a replication evaluated no period".into()))?;
    // Rows are the period's rows in file order whatever the plan; map defensively.
    let (ranks, scores) = if p.rows == rows {
        (p.final_rank.clone(), p.score.clone())
    } else {
        let pos: std::collections::HashMap<usize, usize> =
            p.rows.iter().enumerate().map(|(i, r)| (*r, i)).collect();
        rows.iter()
            .map(|row| match pos.get(row) {
                Some(&i) => (p.final_rank[i], p.score[i]),
                None => (0, f64::NAN),
            })
            .unzip()
    };
    let scores = scores
        .into_iter()
        .zip(&ranks)
        .map(|(s, r)| if *r > 0 { s } else { f64::NAN })
        .collect();
    Ok(Rep {
        ranks,
        scores,
        warnings: results.warnings.iter().map(|w| (w.code, w.count)).collect(),
    })
}

fn in_replication(e: Error, r: u64) -> Error {
    match e {
        Error::Diagnostics(ds) => Error::Diagnostics(
            ds.into_iter()
                .map(|d| d.with_note(format!("in uncertainty replication {r}")))
                .collect(),
        ),
        other => other,
    }
}

/// A uniform draw in [0, 1).
fn unit(rng: &mut ChaCha8Rng) -> f64 {
    rng.random::<f64>()
}

/// A uniform index in 0..n (n ≥ 1).
fn pick(rng: &mut ChaCha8Rng, n: usize) -> usize {
    rng.random_range(0..n)
}

/// Whether `id` is `under` or one of its descendants.
fn is_under(plan: &Plan, id: NodeId, under: NodeId) -> bool {
    let mut cur = Some(id);
    while let Some(c) = cur {
        if c == under {
            return true;
        }
        cur = plan.node(c).parent;
    }
    false
}

/// The indicators under the node named `at` (all when `None`; none when the plan lacks it).
fn indicators_at(plan: &Plan, at: Option<&str>) -> Vec<NodeId> {
    let root = match at {
        None => NodeId::ROOT,
        Some(name) => match plan.find(name) {
            Some(id) => id,
            None => return Vec::new(),
        },
    };
    plan.indicators()
        .filter(|id| is_under(plan, *id, root) && attached(plan, *id))
        .collect()
}

/// Whether a node is still reachable from the index (not dropped).
fn attached(plan: &Plan, id: NodeId) -> bool {
    match plan.node(id).parent {
        None => true,
        Some(p) => plan.node(p).children.contains(&id) && attached(plan, p),
    }
}

/// Whether `choose normalise` may replace this method (see the module docs).
fn replaceable(n: &Normalise) -> bool {
    matches!(
        n,
        Normalise::MinMax | Normalise::ZScore { .. } | Normalise::Rank | Normalise::Percentile
    )
}

/// Builds one replication's plan.
fn draw_plan(plans: &Plans, unc: &UncertaintyPlan, rng: &mut ChaCha8Rng) -> Plan {
    // 1. choose scheme.
    let mut plan: Option<Plan> = None;
    for f in &unc.factors {
        if let FactorKind::ChooseScheme { options } = &f.kind {
            let name = &options[pick(rng, options.len())];
            plan = plans.get(name).cloned();
        }
    }
    let mut plan = plan.unwrap_or_else(|| plans.base.clone());
    // 2. the other chooses.
    for f in &unc.factors {
        match &f.kind {
            FactorKind::ChooseNormalise { options, at } => {
                let choice = &options[pick(rng, options.len())];
                for id in indicators_at(&plan, at.as_deref()) {
                    let ind = plan.nodes[id.index()]
                        .indicator
                        .as_mut()
                        .expect("indicator");
                    if replaceable(&ind.normalise) {
                        ind.normalise = choice.clone();
                    }
                }
            }
            FactorKind::ChooseAggregate { options, at } => {
                let choice = &options[pick(rng, options.len())];
                let id = match at {
                    None => Some(NodeId::ROOT),
                    Some(name) => plan.find(name),
                };
                if let Some(g) = id.and_then(|id| plan.nodes[id.index()].group.as_mut()) {
                    g.aggregate = choice.clone();
                }
            }
            FactorKind::ChooseMissing { options, at } => {
                let choice = &options[pick(rng, options.len())];
                for id in indicators_at(&plan, at.as_deref()) {
                    let ind = plan.nodes[id.index()]
                        .indicator
                        .as_mut()
                        .expect("indicator");
                    ind.missing = vec![choice.clone()];
                }
            }
            _ => {}
        }
    }
    // 3. vary: each node's fixed weight by its owning factor, in plan order.
    let mut touched: Vec<NodeId> = Vec::new();
    for k in 0..plan.nodes.len() {
        let Some(fi) = plan.nodes[k].weight_factor else {
            continue;
        };
        let amount = match unc.factors.get(fi).map(|f| &f.kind) {
            Some(
                FactorKind::VaryWeights { amount, .. } | FactorKind::VaryWeight { amount, .. },
            ) => *amount,
            _ => continue,
        };
        let factor = 1.0 - amount + 2.0 * amount * unit(rng);
        let Some(p) = plan.nodes[k].parent else {
            continue;
        };
        match &mut plan.nodes[k].weight {
            Some(Weight::Fixed(w)) => {
                *w *= factor;
                if !touched.contains(&p) {
                    touched.push(p);
                }
            }
            Some(Weight::Derived(_)) => {
                // Multiplied after derivation by the evaluator, then renormalised.
                let id = NodeId(k as u32);
                let pos = plan.node(p).children.iter().position(|c| *c == id);
                let kids = plan.node(p).children.len();
                if let (Some(pos), Some(g)) = (pos, plan.nodes[p.index()].group.as_mut()) {
                    if g.vary_derived.len() != kids {
                        g.vary_derived = vec![1.0; kids];
                    }
                    g.vary_derived[pos] = factor;
                }
            }
            None => {}
        }
    }
    for p in touched {
        renormalise(&mut plan, p);
    }
    // 4. drop.
    for f in &unc.factors {
        if let FactorKind::DropIndicator { within } = &f.kind {
            let candidates: Vec<NodeId> = indicators_at(&plan, within.as_deref())
                .into_iter()
                .filter(|id| {
                    let p = plan.node(*id).parent.expect("an indicator has a parent");
                    plan.node(p).children.len() > 1
                })
                .collect();
            let k = pick(rng, candidates.len() + 1);
            if k > 0 {
                let id = candidates[k - 1];
                let p = plan.node(id).parent.expect("an indicator has a parent");
                if let Some(pos) = plan.node(p).children.iter().position(|c| *c == id) {
                    plan.nodes[p.index()].children.remove(pos);
                    if let Some(g) = plan.nodes[p.index()].group.as_mut() {
                        if g.vary_derived.len() > pos {
                            g.vary_derived.remove(pos);
                        }
                    }
                }
                renormalise(&mut plan, p);
            }
        }
    }
    plan
}

/// Makes the fixed weights of a node's children sum to 1.
fn renormalise(plan: &mut Plan, parent: NodeId) {
    let kids = plan.node(parent).children.clone();
    let sum: f64 = kids
        .iter()
        .filter_map(|c| plan.node(*c).weight.as_ref().and_then(Weight::fixed))
        .sum();
    if sum.is_nan() || sum <= 0.0 {
        return;
    }
    for c in kids {
        if let Some(Weight::Fixed(w)) = &mut plan.nodes[c.index()].weight {
            *w /= sum;
        }
    }
}

/// Whether a method needs non-negative inputs.
fn needs_positive(a: &Aggregate) -> bool {
    match a {
        Aggregate::Geometric | Aggregate::Harmonic => true,
        Aggregate::Power(p) => *p <= 0.0,
        _ => false,
    }
}

/// Whether a normalisation onto `scale` can give negative values.
fn may_be_negative(n: &Normalise, scale: (f64, f64)) -> bool {
    match n {
        Normalise::ZScore { mean, sd } => mean - 3.0 * sd.abs() < 0.0,
        Normalise::MinMax
        | Normalise::Goalposts(..)
        | Normalise::Percentile
        | Normalise::Target(_) => scale.0 < 0.0,
        _ => false,
    }
}

/// Before any replication: a group that may aggregate with geometric, harmonic or power P ≤ 0
/// must not receive an indicator whose normalisation may be negative, in any scheme and under
/// any choice. Names both options.
fn reject_negative_inputs(plans: &Plans, unc: &UncertaintyPlan) -> Result<(), Error> {
    let mut candidates: Vec<&Plan> = vec![plans.base];
    candidates.extend(plans.schemes.iter().copied());
    for plan in candidates {
        for g in plan.ids().filter(|id| plan.node(*id).group.is_some()) {
            let node = plan.node(g);
            // The aggregations this group may use, each with where it comes from.
            let mut aggs: Vec<(Aggregate, String)> = vec![(
                node.group.as_ref().expect("group").aggregate.clone(),
                "by its rules".to_string(),
            )];
            for f in &unc.factors {
                if let FactorKind::ChooseAggregate { options, at } = &f.kind {
                    let hits = match at {
                        None => g == NodeId::ROOT,
                        Some(name) => *name == node.id,
                    };
                    if hits {
                        aggs.extend(
                            options
                                .iter()
                                .map(|o| (o.clone(), format!("by `{}`", f.text))),
                        );
                    }
                }
            }
            let Some((agg, agg_from)) = aggs.into_iter().find(|(a, _)| needs_positive(a)) else {
                continue;
            };
            for id in plan.indicators().filter(|id| is_under(plan, *id, g)) {
                let n = plan.node(id);
                let ind = n.indicator.as_ref().expect("indicator");
                let mut norms: Vec<(Normalise, String)> =
                    vec![(ind.normalise.clone(), "by its rules".to_string())];
                if replaceable(&ind.normalise) {
                    for f in &unc.factors {
                        if let FactorKind::ChooseNormalise { options, at } = &f.kind {
                            let reaches = match at {
                                None => true,
                                Some(name) => {
                                    plan.find(name).is_some_and(|a| is_under(plan, id, a))
                                }
                            };
                            if reaches {
                                norms.extend(
                                    options
                                        .iter()
                                        .map(|o| (o.clone(), format!("by `{}`", f.text))),
                                );
                            }
                        }
                    }
                }
                if let Some((norm, norm_from)) =
                    norms.into_iter().find(|(o, _)| may_be_negative(o, n.scale))
                {
                    let mut d = Diagnostic::error(
                        "uncertainty-negative-input",
                        format!(
                            "`{}` is normalised with `{norm}` ({norm_from}), which can give negative values, but `{}` may aggregate with `{agg}` ({agg_from}), which needs non-negative inputs",
                            n.id, node.id
                        ),
                    )
                    .with_hint(
                        "normalise onto a positive range, e.g. `zscore(100, 10)` or `scale 1..100`, or drop that aggregation from the choice",
                    )
                    .with_span(node.span);
                    if plan.scheme != "default" {
                        d = d.with_note(format!("in scheme `{}`", plan.scheme));
                    }
                    return Err(Error::Diagnostics(vec![d]));
                }
            }
        }
    }
    Ok(())
}

fn opt(x: Option<f64>) -> Value {
    match x {
        Some(v) if v.is_finite() => json!(v),
        _ => Value::Null,
    }
}

/// `qindex.uncertainty/1` (see docs/uncertainty-json.md).
pub fn json(s: &Summary) -> String {
    let units: Vec<Value> = s
        .units
        .iter()
        .map(|u| {
            json!({
                "unit": u.unit,
                "nominal_rank": u.nominal_rank,
                "median_rank": opt(u.median_rank),
                "mean_rank": opt(u.mean_rank),
                "p05_rank": opt(u.p05_rank),
                "p95_rank": opt(u.p95_rank),
                "width": opt(u.width),
                "p_top": u.p_top,
                "mean_score": opt(u.mean_score),
                "sd_score": opt(u.sd_score),
            })
        })
        .collect();
    let v = json!({
        "format": "qindex.uncertainty/1",
        "samples": s.samples,
        "seed": s.seed,
        "top_n": s.top_n,
        "period": s.period,
        "factors": s.factors,
        "marc": opt(s.marc),
        "units": units,
    });
    let mut out = serde_json::to_string_pretty(&v).expect("json");
    out.push('\n');
    out
}

fn fmt(x: Option<f64>, decimals: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "-".into(),
    }
}

/// CSV, one row per unit, the JSON's columns.
pub fn csv(s: &Summary) -> String {
    let mut out = String::from(
        "unit,nominal_rank,median_rank,mean_rank,p05_rank,p95_rank,width,p_top,mean_score,sd_score\n",
    );
    let cell = |x: Option<f64>| {
        x.filter(|v| v.is_finite())
            .map_or(String::new(), |v| v.to_string())
    };
    for u in &s.units {
        let unit = crate::report::guard_formula(&u.unit);
        let unit = if unit.contains([',', '"', '\n']) {
            format!("\"{}\"", unit.replace('"', "\"\""))
        } else {
            unit
        };
        out.push_str(&format!(
            "{unit},{},{},{},{},{},{},{},{},{}\n",
            u.nominal_rank.map_or(String::new(), |r| r.to_string()),
            cell(u.median_rank),
            cell(u.mean_rank),
            cell(u.p05_rank),
            cell(u.p95_rank),
            cell(u.width),
            u.p_top,
            cell(u.mean_score),
            cell(u.sd_score),
        ));
    }
    out
}

/// The table: units by nominal rank, aligned by display width.
pub fn table(s: &Summary) -> String {
    use crate::diagnostics::display_width;
    let mut out = String::new();
    out.push_str(&format!(
        "uncertainty: {} replications, seed {}{}\n",
        s.samples,
        s.seed,
        s.period
            .as_ref()
            .map_or(String::new(), |p| format!(", period {p}"))
    ));
    for f in &s.factors {
        out.push_str(&format!("  {f}\n"));
    }
    out.push_str(&format!(
        "MARC (mean absolute rank change against the nominal ranks): {}\n\n",
        fmt(s.marc, 2)
    ));
    let header = [
        "rank".to_string(),
        "unit".to_string(),
        "median".to_string(),
        "p05".to_string(),
        "p95".to_string(),
        "width".to_string(),
        format!("P(top {})", s.top_n),
        "mean score".to_string(),
        "sd".to_string(),
    ];
    let mut rows: Vec<Vec<String>> = vec![header.to_vec()];
    for u in &s.units {
        let name = match &u.label {
            Some(l) if *l != u.unit && !l.is_empty() => format!("{l} ({})", u.unit),
            _ => u.unit.clone(),
        };
        rows.push(vec![
            u.nominal_rank.map_or("-".into(), |r| r.to_string()),
            name,
            fmt(u.median_rank, 1),
            fmt(u.p05_rank, 1),
            fmt(u.p95_rank, 1),
            fmt(u.width, 1),
            format!("{:.2}", u.p_top),
            fmt(u.mean_score, 2),
            fmt(u.sd_score, 2),
        ]);
    }
    let cols = header.len();
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| display_width(&r[c])).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let pad = " ".repeat(widths[c] - display_width(cell));
            if c > 0 {
                line.push_str("  ");
            }
            if c == 1 {
                line.push_str(cell);
                line.push_str(&pad);
            } else {
                line.push_str(&pad);
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

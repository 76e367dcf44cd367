//! `qindex stability`: for each weight, the range over which the top-N order and the top-N set
//! stay the nominal ones, the siblings rescaled proportionally.
//!
//! # Definition
//! Take a node i with parent g, whose children carry the weights w_j used in this period
//! (given or derived; derived ones are held at their derived values) summing to P. For
//! t ∈ [0, 1] set w_i = t·P and every sibling j ≠ i to w_j·(1 − t)·P / (P − w_i⁰), so the
//! siblings keep their proportions and all sum to P; t⁰ = w_i⁰ / P is the nominal share. The
//! plan is re-evaluated with these weights fixed and units are ordered by their final score
//! (ties by the nominal order). The report gives the interval of t around t⁰ over which the
//! first N units are the nominal ones in the nominal order (`order`), and over which they are
//! the nominal N units in any order (`set`), plus every t in [0, 1] where either changes.
//!
//! # Exact and grid
//! When every aggregation from g up to the index is arithmetic and the weights above g are not
//! derived from the data, each unit's index score before adjustments is linear in t, and its
//! final score is min(a + b·t + C, K) (bonuses and penalties add C, capped vetoes set K). The
//! model is fitted from evaluations at t = 0 and 1 and checked at t = ½ and t⁰ for every unit;
//! breakpoints are then the exact crossings of the units' score functions. Otherwise, or when
//! the check fails (a unit with a missing child is renormalised, so its score is not linear),
//! the plan is evaluated on the grid t = k/200 plus t⁰ and a breakpoint is reported at the
//! midpoint of the grid cell where the top N changes: within ± `resolution` / 2 of the truth.

use crate::analysis::NodeRef;
use crate::data::Frame;
use crate::eval::{self, EvalOptions, PeriodChoice, PeriodResult};
use crate::plan::{AdjustKind, Aggregate, NodeId, Plan, Weight};
use crate::Error;
use serde::Serialize;

/// Grid cells over [0, 1] when breakpoints cannot be computed exactly.
pub const GRID: usize = 200;

#[derive(Debug, Clone)]
pub struct Options {
    pub top: usize,
    pub period: PeriodChoice,
    /// Use the grid even where exact breakpoints are possible (to cross-check them).
    pub grid_only: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stability {
    pub scheme: String,
    pub period: Option<String>,
    /// N: the size of the top group (at most the number of ranked units).
    pub top: usize,
    /// Ranked units in the nominal evaluation.
    pub units: usize,
    /// The nominal top N, best first.
    pub nominal_top: Vec<String>,
    pub nodes: Vec<NodeStability>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeStability {
    /// The node, its place in the tree and its weight within the parent.
    #[serde(flatten)]
    pub node: NodeRef,
    /// P: the sum of the weights of the node and its siblings.
    pub siblings_weight: f64,
    /// t⁰ = weight / P.
    pub share: f64,
    /// Whether the parent derives its children's weights from the data (held at their values).
    pub derived: bool,
    /// `exact`, `grid`, or `none` (the weight cannot be moved; see `reason`).
    pub method: &'static str,
    /// Why the method is `grid` or `none`.
    pub reason: Option<String>,
    /// The grid step (0 when exact): a breakpoint lies within ± resolution / 2 of the one given.
    pub resolution: f64,
    /// Where the nominal top-N order holds.
    pub order: Option<Interval>,
    /// Where the nominal top-N set holds.
    pub set: Option<Interval>,
    /// Every share t in (0, 1) where the top-N order changes.
    pub order_breakpoints: Vec<f64>,
    /// Every share t in (0, 1) where the top-N set changes.
    pub set_breakpoints: Vec<f64>,
}

/// An interval of the share t, and the same in weight units (t·P).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    pub weight_low: f64,
    pub weight_high: f64,
}

impl Interval {
    /// The interval between the breakpoints `bps` nearest below (or at) and above `t0`, in
    /// 0..1; siblings' weights sum to `p`.
    fn around(bps: &[f64], t0: f64, p: f64) -> Interval {
        let low = bps.iter().copied().filter(|b| *b <= t0).fold(0.0, f64::max);
        let high = bps.iter().copied().filter(|b| *b > t0).fold(1.0, f64::min);
        Interval {
            low,
            high,
            weight_low: low * p,
            weight_high: high * p,
        }
    }
}

/// One unit's final score as a function of t: min(a + b·t, k).
#[derive(Debug, Clone, Copy)]
struct Line {
    a: f64,
    b: f64,
    k: f64,
}

impl Line {
    fn at(&self, t: f64) -> f64 {
        (self.a + self.b * t).min(self.k)
    }
    /// The t where a + b·t reaches the cap, if inside (0, 1).
    fn kink(&self) -> Option<f64> {
        if self.k.is_infinite() || self.b == 0.0 {
            return None;
        }
        let t = (self.k - self.a) / self.b;
        (t > 0.0 && t < 1.0).then_some(t)
    }
    fn min01(&self) -> f64 {
        self.at(0.0).min(self.at(1.0))
    }
    fn max01(&self) -> f64 {
        (self.a.max(self.a + self.b)).min(self.k)
    }
}

fn error_text(e: &Error) -> String {
    match e {
        Error::Diagnostics(ds) => ds
            .iter()
            .find(|d| d.is_error())
            .map_or_else(|| e.to_string(), |d| d.message.clone()),
        e => e.to_string(),
    }
}

/// The per-unit score adjustments of the plan as (C, K): final = min(index + C, K), and the
/// units an uncapped veto makes ineligible. One evaluation per adjustment.
fn adjustments(
    plan: &Plan,
    frame: &Frame,
    opts: &EvalOptions,
    m: usize,
) -> Result<(Vec<f64>, Vec<f64>), Error> {
    let mut c = vec![0.0; m];
    let mut k = vec![f64::INFINITY; m];
    for a in &plan.adjustments {
        let mut one = plan.clone();
        let mut adj = a.clone();
        if adj.kind == AdjustKind::Veto {
            adj.limit = None;
        }
        one.adjustments = vec![adj];
        let r = eval::evaluate(&one, frame, opts)?;
        let p = &r.periods[0];
        for i in 0..m {
            match a.kind {
                AdjustKind::Bonus => {
                    c[i] += p.bonus[i];
                    k[i] += p.bonus[i];
                }
                AdjustKind::Penalty => {
                    c[i] -= p.penalty[i];
                    k[i] -= p.penalty[i];
                }
                AdjustKind::Veto => {
                    if let (Some(cap), true) = (a.limit, p.vetoed[i]) {
                        k[i] = k[i].min(cap);
                    }
                }
            }
        }
    }
    Ok((c, k))
}

/// The ranked units ordered best first: by score, ties by `tie` (lower first).
fn order_of(scores: &[f64], ranked: &[usize], tie: &[usize]) -> Vec<usize> {
    let mut u: Vec<usize> = ranked
        .iter()
        .copied()
        .filter(|i| scores[*i].is_finite())
        .collect();
    u.sort_by(|a, b| {
        scores[*b]
            .total_cmp(&scores[*a])
            .then(tie[*a].cmp(&tie[*b]))
    });
    u
}

/// From the states at sorted points `ts` (each `(order same, set same)` vs the nominal) and the
/// position of t⁰ among them: the breakpoints (midpoints between points whose top N differ) and
/// the intervals around t⁰. `tops` are the top-N lists at the points.
fn summarise(
    ts: &[f64],
    tops: &[Vec<usize>],
    nominal_at: usize,
    p: f64,
) -> (Interval, Interval, Vec<f64>, Vec<f64>) {
    let mut order_bp = Vec::new();
    let mut set_bp = Vec::new();
    for i in 1..ts.len() {
        let mid = (ts[i - 1] + ts[i]) / 2.0;
        if tops[i] != tops[i - 1] {
            order_bp.push(mid);
        }
        let (mut a, mut b) = (tops[i].clone(), tops[i - 1].clone());
        a.sort_unstable();
        b.sort_unstable();
        if a != b {
            set_bp.push(mid);
        }
    }
    let t0 = ts[nominal_at];
    let around = |bps: &[f64]| Interval::around(bps, t0, p);
    (around(&order_bp), around(&set_bp), order_bp, set_bp)
}

/// The weights of `parent`'s children with child `node` at share t of their sum.
fn plan_at(base: &Plan, node: NodeId, parent: NodeId, used: &[f64], t: f64) -> Plan {
    let mut plan = base.clone();
    let kids = plan.node(parent).children.clone();
    let p: f64 = kids.iter().map(|c| used[c.index()]).sum();
    let rest = p - used[node.index()];
    for c in kids {
        let w = if c == node {
            t * p
        } else {
            used[c.index()] * (1.0 - t) * p / rest
        };
        plan.nodes[c.index()].weight = Some(Weight::Fixed(w));
    }
    if let Some(g) = plan.nodes[parent.index()].group.as_mut() {
        g.vary_derived.clear();
    }
    plan
}

/// Why exact breakpoints are impossible for a node below `parent`, if they are.
fn not_exact(plan: &Plan, parent: NodeId) -> Option<String> {
    let mut g = Some(parent);
    while let Some(id) = g {
        let node = plan.node(id);
        if let Some(gp) = &node.group {
            if gp.aggregate != Aggregate::Arithmetic {
                return Some(format!(
                    "`{}` aggregates by {}, so the scores are not linear in the weight",
                    node.id, gp.aggregate
                ));
            }
            if id != parent && (gp.weights.is_derived() || !gp.vary_derived.is_empty()) {
                return Some(format!(
                    "`{}` derives its weights from the data, which move with the weight",
                    node.id
                ));
            }
        }
        g = node.parent;
    }
    None
}

struct Ctx<'a, 'f> {
    plan: &'a Plan,
    frame: &'f Frame,
    opts: EvalOptions,
    nominal: &'a PeriodResult<'f>,
    ranked: Vec<usize>,
    tie: Vec<usize>,
    top: Vec<usize>,
    adjust: Option<(Vec<f64>, Vec<f64>)>,
    grid_only: bool,
}

impl Ctx<'_, '_> {
    fn scores(&self, p: &PeriodResult) -> Vec<f64> {
        (0..p.len())
            .map(|i| {
                if p.final_rank[i] > 0 {
                    p.score[i]
                } else {
                    f64::NAN
                }
            })
            .collect()
    }

    fn top_at(&self, scores: &[f64]) -> Vec<usize> {
        let o = order_of(scores, &self.ranked, &self.tie);
        o[..self.top.len().min(o.len())].to_vec()
    }

    fn node(&self, id: NodeId) -> NodeStability {
        let plan = self.plan;
        let node = plan.node(id);
        let parent = node.parent.expect("a node below the index has a parent");
        let used = &self.nominal.weights;
        let kids = &plan.node(parent).children;
        let p: f64 = kids.iter().map(|c| used[c.index()]).sum();
        let w0 = used[id.index()];
        let mut out = NodeStability {
            node: NodeRef::new(plan, id, w0),
            siblings_weight: p,
            share: if p > 0.0 { w0 / p } else { f64::NAN },
            derived: plan
                .node(parent)
                .group
                .as_ref()
                .is_some_and(|g| g.weights.is_derived()),
            method: "none",
            reason: None,
            resolution: 0.0,
            order: None,
            set: None,
            order_breakpoints: Vec::new(),
            set_breakpoints: Vec::new(),
        };
        if kids.len() < 2 {
            out.reason = Some("the only child: its weight cannot move".into());
            return out;
        }
        if !(p.is_finite() && w0.is_finite() && p > 0.0 && p - w0 > 1e-12 * p) {
            out.reason = Some("the siblings carry no weight to rescale".into());
            return out;
        }
        let t0 = w0 / p;
        let eval_at = |t: f64| -> Result<Vec<f64>, Error> {
            let plan = plan_at(plan, id, parent, used, t);
            let r = eval::evaluate(&plan, self.frame, &self.opts)?;
            Ok(self.scores(&r.periods[0]))
        };
        let grid = |out: &mut NodeStability, reason: String| {
            let mut ts: Vec<f64> = (0..=GRID).map(|k| k as f64 / GRID as f64).collect();
            let at = ts.partition_point(|t| *t < t0);
            if ts.get(at).is_some_and(|t| (*t - t0).abs() < 1e-12) {
                ts[at] = t0;
            } else {
                ts.insert(at, t0);
            }
            let mut tops = Vec::with_capacity(ts.len());
            for (i, t) in ts.iter().enumerate() {
                if i == at {
                    tops.push(self.top.clone());
                    continue;
                }
                match eval_at(*t) {
                    Ok(s) => tops.push(self.top_at(&s)),
                    Err(e) => {
                        out.method = "none";
                        out.reason = Some(format!(
                            "evaluation with weight share {t:.3} failed: {}",
                            error_text(&e)
                        ));
                        return;
                    }
                }
            }
            let (o, s, ob, sb) = summarise(&ts, &tops, at, p);
            out.method = "grid";
            out.reason = Some(reason);
            out.resolution = 1.0 / GRID as f64;
            out.order = Some(o);
            out.set = Some(s);
            out.order_breakpoints = ob;
            out.set_breakpoints = sb;
        };
        let reason = match (&self.adjust, not_exact(plan, parent)) {
            _ if self.grid_only => "--grid asked for the grid".into(),
            (_, Some(r)) => r,
            (None, None) => "the adjustments could not be modelled".into(),
            (Some((c, k)), None) => match self.exact(id, parent, t0, p, c, k) {
                Ok((o, s, ob, sb)) => {
                    out.method = "exact";
                    out.order = Some(o);
                    out.set = Some(s);
                    out.order_breakpoints = ob;
                    out.set_breakpoints = sb;
                    return out;
                }
                Err(r) => r,
            },
        };
        grid(&mut out, reason);
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn exact(
        &self,
        id: NodeId,
        parent: NodeId,
        t0: f64,
        p: f64,
        c: &[f64],
        k: &[f64],
    ) -> Result<Found, String> {
        let index = |t: f64| -> Result<(Vec<f64>, Vec<f64>), String> {
            let plan = plan_at(self.plan, id, parent, &self.nominal.weights, t);
            let r = eval::evaluate(&plan, self.frame, &self.opts).map_err(|e| {
                format!(
                    "evaluation with weight share {t:.3} failed: {}",
                    error_text(&e)
                )
            })?;
            let q = &r.periods[0];
            Ok((q.values(NodeId::ROOT).into_owned(), self.scores(q)))
        };
        let (v0, _) = index(0.0)?;
        let (v1, _) = index(1.0)?;
        let m = v0.len();
        let mut is_ranked = vec![false; m];
        for i in &self.ranked {
            is_ranked[*i] = true;
        }
        let lines: Vec<Line> = (0..m)
            .map(|i| Line {
                a: v0[i] + c[i],
                b: v1[i] - v0[i],
                k: k[i],
            })
            .collect();
        // Check the model at t = ½ and at t⁰ against the evaluator.
        let nominal_scores = self.scores(self.nominal);
        let (_, half) = index(0.5)?;
        for (t, actual) in [(0.5, &half), (t0, &nominal_scores)] {
            for &i in &self.ranked {
                let (want, got) = (lines[i].at(t), actual[i]);
                let tol = 1e-9 * (1.0 + want.abs());
                if !(got.is_finite() && (got - want).abs() <= tol) {
                    return Err(
                        "a unit's score is not linear in the weight (a missing value renormalised, or a score below coverage)"
                            .into(),
                    );
                }
            }
            if self.ranked.iter().any(|i| actual[*i].is_nan())
                || (0..m).any(|i| actual[i].is_finite() && !is_ranked[i])
            {
                return Err("the ranked units change with the weight".into());
            }
        }
        // Units that can reach the top N somewhere in [0, 1]: fewer than N others are above
        // them everywhere. Scores are concave in t, so their minimum is at an end.
        let n = self.top.len();
        let cand: Vec<usize> = self
            .ranked
            .iter()
            .copied()
            .filter(|&u| {
                let hi = lines[u].max01();
                self.ranked
                    .iter()
                    .filter(|&&v| v != u && lines[v].min01() > hi)
                    .count()
                    < n
            })
            .collect();
        // Every t where two candidates' scores cross.
        let mut ts: Vec<f64> = Vec::new();
        for (x, &u) in cand.iter().enumerate() {
            for &v in &cand[x + 1..] {
                let (lu, lv) = (lines[u], lines[v]);
                let mut cuts = vec![0.0, 1.0];
                cuts.extend(lu.kink());
                cuts.extend(lv.kink());
                cuts.sort_by(f64::total_cmp);
                for w in cuts.windows(2) {
                    let mid = (w[0] + w[1]) / 2.0;
                    // On this piece each score is its line or its cap.
                    let piece = |l: Line| {
                        if l.a + l.b * mid <= l.k {
                            (l.a, l.b)
                        } else {
                            (l.k, 0.0)
                        }
                    };
                    let ((au, bu), (av, bv)) = (piece(lu), piece(lv));
                    if bu != bv {
                        let t = (av - au) / (bu - bv);
                        if t > w[0] && t < w[1] {
                            ts.push(t);
                        }
                    }
                }
            }
        }
        ts.sort_by(f64::total_cmp);
        ts.dedup_by(|a, b| (*a - *b).abs() <= 1e-12);
        // The top N on each side of every crossing, and at t⁰.
        let scores_at = |t: f64| -> Vec<f64> {
            (0..m)
                .map(|i| {
                    if is_ranked[i] {
                        lines[i].at(t)
                    } else {
                        f64::NAN
                    }
                })
                .collect()
        };
        let mut points: Vec<f64> = Vec::with_capacity(ts.len() + 2);
        let mut prev = 0.0;
        for t in &ts {
            points.push((prev + t) / 2.0);
            prev = *t;
        }
        points.push((prev + 1.0) / 2.0);
        let tops: Vec<Vec<usize>> = points.iter().map(|t| self.top_at(&scores_at(*t))).collect();
        let mut order_bp = Vec::new();
        let mut set_bp = Vec::new();
        for (i, t) in ts.iter().enumerate() {
            let (a, b) = (&tops[i], &tops[i + 1]);
            if a != b {
                order_bp.push(*t);
            }
            let (mut a, mut b) = (a.clone(), b.clone());
            a.sort_unstable();
            b.sort_unstable();
            if a != b {
                set_bp.push(*t);
            }
        }
        let around = |bps: &[f64]| Interval::around(bps, t0, p);
        Ok((around(&order_bp), around(&set_bp), order_bp, set_bp))
    }
}

/// The intervals around t⁰ (order, set) and the breakpoints (order, set).
type Found = (Interval, Interval, Vec<f64>, Vec<f64>);

/// The stability report: every node below the index whose weight can move.
pub fn stability(plan: &Plan, frame: &Frame, opts: &Options) -> Result<Stability, Error> {
    stability_with(plan, frame, opts, &|_, _| {})
}

/// [`stability`], calling `progress(done, total)` from the workers as each node is done.
pub fn stability_with(
    plan: &Plan,
    frame: &Frame,
    opts: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Stability, Error> {
    let eval_opts = EvalOptions {
        period: opts.period.clone(),
        filter: None,
        ..Default::default()
    };
    let results = eval::evaluate(plan, frame, &eval_opts)?;
    let nominal = &results.periods[0];
    // Re-evaluations look at the same period.
    let eval_opts = EvalOptions {
        period: match &nominal.period {
            Some(p) => PeriodChoice::One(p.clone()),
            None => PeriodChoice::Latest,
        },
        filter: None,
        ..Default::default()
    };
    let m = nominal.len();
    let ranked: Vec<usize> = (0..m)
        .filter(|i| nominal.final_rank[*i] > 0 && nominal.score[*i].is_finite())
        .collect();
    // Ties at any t are broken by the nominal order.
    let mut tie = vec![usize::MAX; m];
    let mut by_rank = ranked.clone();
    by_rank.sort_by_key(|i| (nominal.final_rank[*i], *i));
    for (pos, i) in by_rank.iter().enumerate() {
        tie[*i] = pos;
    }
    let top: Vec<usize> = by_rank[..opts.top.min(by_rank.len())].to_vec();
    let adjust = adjustments(plan, frame, &eval_opts, m).ok();
    let ctx = Ctx {
        plan,
        frame,
        opts: eval_opts,
        nominal,
        ranked,
        tie,
        top: top.clone(),
        adjust,
        grid_only: opts.grid_only,
    };
    let ids: Vec<NodeId> = plan.ids().skip(1).collect();
    let threads = crate::threads().clamp(1, ids.len().max(1));
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, NodeStability)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|th| {
                let ctx = &ctx;
                let ids = &ids;
                let finished = &finished;
                s.spawn(move || {
                    ids.iter()
                        .enumerate()
                        .skip(th)
                        .step_by(threads)
                        .map(|(k, id)| {
                            let node = ctx.node(*id);
                            let n = finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            progress(n + 1, ids.len());
                            (k, node)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a stability worker does not panic"))
            .collect()
    });
    done.sort_by_key(|(k, _)| *k);
    let units = frame.units();
    Ok(Stability {
        scheme: plan.scheme.clone(),
        period: nominal.period.clone(),
        top: top.len(),
        units: ctx.ranked.len(),
        nominal_top: top
            .iter()
            .map(|i| units.get(nominal.rows[*i]).to_string())
            .collect(),
        nodes: done.into_iter().map(|(_, n)| n).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capped_line_kinks_where_it_meets_the_cap() {
        let l = Line {
            a: 50.0,
            b: 20.0,
            k: 60.0,
        };
        assert_eq!(l.kink(), Some(0.5));
        assert_eq!(l.at(0.75), 60.0);
        assert_eq!(l.max01(), 60.0);
        assert_eq!(l.min01(), 50.0);
    }

    #[test]
    fn grid_breakpoints_sit_between_the_points_that_differ() {
        let ts = [0.0, 0.25, 0.5, 0.75, 1.0];
        let tops = vec![vec![1, 0], vec![0, 1], vec![0, 1], vec![0, 2], vec![0, 2]];
        let (order, set, ob, sb) = summarise(&ts, &tops, 2, 2.0);
        assert_eq!(ob, vec![0.125, 0.625]);
        assert_eq!(sb, vec![0.625]);
        assert_eq!((order.low, order.high), (0.125, 0.625));
        assert_eq!((set.low, set.high), (0.0, 0.625));
        assert_eq!(set.weight_high, 1.25);
    }
}

//! `qindex compare`: each unit's score and rank under several schemes, the rank correlations
//! between schemes, and who moves.

use crate::data::Frame;
use crate::eval::PeriodResult;
use crate::methods::stats;
use serde::Serialize;

/// How many movers each list shows.
pub const MOVERS: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub schemes: Vec<String>,
    /// The period, when every compared result is of the same one.
    pub period: Option<String>,
    /// The period of each compared result, in the order of `schemes` (two periods with
    /// `--since`).
    pub periods: Vec<Option<String>>,
    pub top_n: usize,
    pub units: Vec<UnitRow>,
    pub pairs: Vec<Pair>,
    pub movers: Movers,
    /// Per scheme after the first: units entering and leaving the top N against the first.
    pub top_changes: Vec<TopChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitRow {
    pub unit: String,
    pub label: Option<String>,
    /// By scheme, in the order of `schemes`; `None` when unranked (vetoed, missing, not a unit).
    pub ranks: Vec<Option<u32>>,
    pub scores: Vec<Option<f64>>,
    /// Rank under the first scheme minus rank under each scheme: positive = moved up.
    pub shift: Vec<Option<i64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    pub a: String,
    pub b: String,
    /// Units ranked under both.
    pub n: usize,
    pub spearman: Option<f64>,
    pub kendall: Option<f64>,
    pub mean_abs_shift: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mover {
    pub unit: String,
    pub label: Option<String>,
    pub scheme: String,
    pub from: u32,
    pub to: u32,
    pub shift: i64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Movers {
    pub up: Vec<Mover>,
    pub down: Vec<Mover>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopChange {
    pub scheme: String,
    pub entering: Vec<String>,
    pub leaving: Vec<String>,
}

fn opt(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Compares results over the same data: one period under several schemes, or one scheme in two
/// periods (`names` label them). The first is the baseline of the shifts; units are matched by
/// id, and those ranked in the baseline are listed.
pub fn compare(
    frame: &Frame,
    schemes: &[String],
    results: &[&PeriodResult],
    top_n: usize,
) -> Comparison {
    let base = results[0];
    let label = |row: usize| frame.labels().map(|l| l.get(row).to_string());
    // Results are aligned by unit id, so that two periods (different rows) compare too.
    let index: Vec<std::collections::HashMap<&str, usize>> = results
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| (frame.units().get(r.rows[i]), i))
                .collect()
        })
        .collect();
    let units: Vec<UnitRow> = (0..base.len())
        .filter(|i| base.is_unit[*i])
        .map(|i| {
            let row = base.rows[i];
            let unit = frame.units().get(row);
            let at: Vec<Option<usize>> = index.iter().map(|m| m.get(unit).copied()).collect();
            let ranks: Vec<Option<u32>> = results
                .iter()
                .zip(&at)
                .map(|(r, k)| k.and_then(|k| (r.final_rank[k] != 0).then_some(r.final_rank[k])))
                .collect();
            let scores = results
                .iter()
                .zip(&at)
                .map(|(r, k)| k.and_then(|k| opt(r.score[k])))
                .collect();
            let shift = ranks
                .iter()
                .map(|r| match (ranks[0], r) {
                    (Some(a), Some(b)) => Some(a as i64 - *b as i64),
                    _ => None,
                })
                .collect();
            UnitRow {
                unit: unit.to_string(),
                label: label(row),
                ranks,
                scores,
                shift,
            }
        })
        .collect();
    let mut pairs = Vec::new();
    for a in 0..schemes.len() {
        for b in a + 1..schemes.len() {
            let both: Vec<&UnitRow> = units
                .iter()
                .filter(|u| u.ranks[a].is_some() && u.ranks[b].is_some())
                .collect();
            let xa: Vec<f64> = both
                .iter()
                .map(|u| u.scores[a].unwrap_or(f64::NAN))
                .collect();
            let xb: Vec<f64> = both
                .iter()
                .map(|u| u.scores[b].unwrap_or(f64::NAN))
                .collect();
            let shifts: Vec<f64> = both
                .iter()
                .map(|u| (u.ranks[a].unwrap_or(0) as f64 - u.ranks[b].unwrap_or(0) as f64).abs())
                .collect();
            pairs.push(Pair {
                a: schemes[a].clone(),
                b: schemes[b].clone(),
                n: both.len(),
                spearman: opt(stats::spearman(&xa, &xb)),
                kendall: opt(stats::kendall_tau_b(&xa, &xb)),
                mean_abs_shift: opt(stats::mean(&shifts)),
            });
        }
    }
    let mut all: Vec<Mover> = Vec::new();
    for (s, scheme) in schemes.iter().enumerate().skip(1) {
        for u in &units {
            if let (Some(from), Some(to), Some(shift)) = (u.ranks[0], u.ranks[s], u.shift[s]) {
                all.push(Mover {
                    unit: u.unit.clone(),
                    label: u.label.clone(),
                    scheme: scheme.clone(),
                    from,
                    to,
                    shift,
                });
            }
        }
    }
    let mut up: Vec<Mover> = all.iter().filter(|m| m.shift > 0).cloned().collect();
    up.sort_by(|a, b| {
        b.shift
            .cmp(&a.shift)
            .then(a.to.cmp(&b.to))
            .then(a.unit.cmp(&b.unit))
    });
    up.truncate(MOVERS);
    let mut down: Vec<Mover> = all.iter().filter(|m| m.shift < 0).cloned().collect();
    down.sort_by(|a, b| {
        a.shift
            .cmp(&b.shift)
            .then(a.to.cmp(&b.to))
            .then(a.unit.cmp(&b.unit))
    });
    down.truncate(MOVERS);
    let in_top = |s: usize| -> Vec<&str> {
        units
            .iter()
            .filter(|u| u.ranks[s].is_some_and(|r| r as usize <= top_n))
            .map(|u| u.unit.as_str())
            .collect()
    };
    let top_changes = (1..schemes.len())
        .map(|s| {
            let (before, after) = (in_top(0), in_top(s));
            TopChange {
                scheme: schemes[s].clone(),
                entering: after
                    .iter()
                    .filter(|u| !before.contains(u))
                    .map(|u| u.to_string())
                    .collect(),
                leaving: before
                    .iter()
                    .filter(|u| !after.contains(u))
                    .map(|u| u.to_string())
                    .collect(),
            }
        })
        .collect();
    let periods: Vec<Option<String>> = results.iter().map(|r| r.period.clone()).collect();
    Comparison {
        schemes: schemes.to_vec(),
        period: if periods.iter().all(|p| *p == base.period) {
            base.period.clone()
        } else {
            None
        },
        periods,
        top_n,
        units,
        pairs,
        movers: Movers { up, down },
        top_changes,
    }
}

/// One node's part in a unit's score change between two schemes.
#[derive(Debug, Clone, Serialize)]
pub struct Part {
    pub node: String,
    pub label: Option<String>,
    pub depth: u32,
    /// The part of the change due to the node's effective weight within its parent changing.
    pub weight_effect: f64,
    /// The part due to the node's value changing.
    pub value_effect: f64,
}

/// Why one unit's score changed between two schemes.
#[derive(Debug, Clone, Serialize)]
pub struct Decomposition {
    pub unit: String,
    pub a: String,
    pub b: String,
    pub score_a: Option<f64>,
    pub score_b: Option<f64>,
    pub rank_a: Option<u32>,
    pub rank_b: Option<u32>,
    /// The index's children, and below them the children of every arithmetic group.
    pub parts: Vec<Part>,
    /// The change from adjustments (bonus, penalty, veto cap).
    pub adjustments: f64,
    /// Groups whose aggregation is not arithmetic: their change is not split among children.
    pub not_split: Vec<String>,
    /// The part of the score change that the parts do not explain, because a group (the
    /// index, say) is not arithmetic: the parts, the adjustments and this add up to the real
    /// change.
    pub not_split_change: f64,
}

/// Splits a unit's score change between two schemes by node.
///
/// # Formula
/// An arithmetic group's score is S = Σₖ wₖxₖ with wₖ the effective weights (renormalised over
/// the children present). Its change splits exactly as
/// ΔS = Σₖ Δwₖ·(xₖ + x'ₖ)/2 + Σₖ Δxₖ·(wₖ + w'ₖ)/2,
/// the first sum being the effect of changed weights and the second of changed values (the
/// symmetric, Shapley split of a product). A child in one scheme only has weight 0 in the
/// other. Each child's value effect is split again among its own children when it is an
/// arithmetic group too, scaled by its weight (w + w')/2 in its parent.
pub fn decompose(
    frame: &Frame,
    plans: [&crate::plan::Plan; 2],
    results: [&PeriodResult; 2],
    unit: &str,
) -> Option<Decomposition> {
    let row = |r: &PeriodResult| (0..r.len()).find(|i| frame.units().get(r.rows[*i]) == unit);
    let (ia, ib) = (row(results[0])?, row(results[1])?);
    let mut parts = Vec::new();
    let mut not_split = Vec::new();
    // (node id, scale) pairs to split: the index first.
    let mut queue: Vec<(String, f64)> = vec![(plans[0].index.id.clone(), 1.0)];
    while let Some((id, scale)) = queue.pop() {
        let na = plans[0].find(&id);
        let nb = plans[1].find(&id);
        let group_of = |k: usize, n: Option<crate::plan::NodeId>| {
            n.and_then(|n| plans[k].node(n).group.as_ref().map(|g| g.aggregate))
        };
        let arithmetic = [group_of(0, na), group_of(1, nb)].iter().all(|g| {
            g.as_ref()
                .is_none_or(|g| *g == crate::plan::Aggregate::Arithmetic)
        });
        if !arithmetic {
            not_split.push(id);
            continue;
        }
        // Effective weights and values of the children, by child id, in each scheme.
        let kids =
            |k: usize, n: Option<crate::plan::NodeId>, i: usize| -> Vec<(String, f64, f64)> {
                let Some(n) = n else { return Vec::new() };
                let plan = plans[k];
                let r = results[k];
                let node = plan.node(n);
                let present: Vec<(String, f64, f64)> = node
                    .children
                    .iter()
                    .filter_map(|c| {
                        let x = r.value(*c, i);
                        let w = r.weights[c.index()];
                        (x.is_finite() && w.is_finite()).then(|| (plan.node(*c).id.clone(), w, x))
                    })
                    .collect();
                let (ws, xs): (Vec<f64>, Vec<f64>) = present.iter().map(|p| (p.1, p.2)).unzip();
                let shares = crate::methods::aggregate::renormalised_weights(&xs, &ws);
                present
                    .into_iter()
                    .zip(shares)
                    .map(|((c, _, x), share)| (c, share, x))
                    .collect()
            };
        let (ka, kb) = (kids(0, na, ia), kids(1, nb, ib));
        let mut ids: Vec<String> = ka.iter().map(|k| k.0.clone()).collect();
        for k in &kb {
            if !ids.contains(&k.0) {
                ids.push(k.0.clone());
            }
        }
        for c in ids {
            let (wa, xa) = ka
                .iter()
                .find(|k| k.0 == c)
                .map_or((0.0, 0.0), |k| (k.1, k.2));
            let (wb, xb) = kb
                .iter()
                .find(|k| k.0 == c)
                .map_or((0.0, 0.0), |k| (k.1, k.2));
            let (xa, xb) = match (ka.iter().any(|k| k.0 == c), kb.iter().any(|k| k.0 == c)) {
                (true, false) => (xa, xa),
                (false, true) => (xb, xb),
                _ => (xa, xb),
            };
            let node = plans[1]
                .find(&c)
                .map(|n| plans[1].node(n))
                .or_else(|| plans[0].find(&c).map(|n| plans[0].node(n)));
            let weight_effect = scale * (wb - wa) * (xa + xb) / 2.0;
            let value_effect = scale * (xb - xa) * (wa + wb) / 2.0;
            let is_group = node.is_some_and(|n| n.kind != crate::plan::NodeKind::Indicator);
            parts.push(Part {
                node: c.clone(),
                label: node.and_then(|n| n.label.clone()),
                depth: node.map_or(1, |n| n.depth),
                weight_effect,
                value_effect,
            });
            if is_group && value_effect != 0.0 {
                queue.push((c, scale * (wa + wb) / 2.0));
            }
        }
    }
    let (sa, sb) = (results[0].score[ia], results[1].score[ib]);
    let (va, vb) = (
        results[0].value(crate::plan::NodeId::ROOT, ia),
        results[1].value(crate::plan::NodeId::ROOT, ib),
    );
    let adjustments = (sb - vb) - (sa - va);
    let explained: f64 = parts
        .iter()
        .filter(|p| p.depth == 1)
        .map(|p| p.weight_effect + p.value_effect)
        .sum();
    let not_split_change = if sa.is_finite() && sb.is_finite() && !not_split.is_empty() {
        (sb - sa) - explained - adjustments
    } else {
        0.0
    };
    Some(Decomposition {
        unit: unit.to_string(),
        a: plans[0].scheme.clone(),
        b: plans[1].scheme.clone(),
        score_a: opt(sa),
        score_b: opt(sb),
        rank_a: (results[0].final_rank[ia] != 0).then_some(results[0].final_rank[ia]),
        rank_b: (results[1].final_rank[ib] != 0).then_some(results[1].final_rank[ib]),
        parts,
        adjustments,
        not_split,
        not_split_change,
    })
}

/// `qindex diff`: what a change of the rules does to one scheme's results.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub old: String,
    pub new: String,
    pub scheme: String,
    /// The review of the plans' and results' differences (`None`: no difference).
    pub review: Option<String>,
    /// Why the biggest movers (and the unit asked for, first) moved.
    pub explanations: Vec<Decomposition>,
}

/// How many of the biggest movers a diff explains.
pub const DIFF_MOVERS: usize = 3;

/// The decompositions of a diff: the unit asked for (a row of `results[0]`), then the
/// biggest rank changes between the old and the new results, ties by unit id.
pub fn diff_explanations(
    frame: &Frame,
    plans: [&crate::plan::Plan; 2],
    results: [&PeriodResult; 2],
    asked: Option<usize>,
) -> Vec<Decomposition> {
    let [pa, pb] = results;
    let mut movers: Vec<(i64, String)> = (0..pa.len())
        .filter(|i| {
            pa.final_rank[*i] != 0
                && pb.final_rank[*i] != 0
                && pa.final_rank[*i] != pb.final_rank[*i]
        })
        .map(|i| {
            (
                (pa.final_rank[i] as i64 - pb.final_rank[i] as i64).abs(),
                frame.units().get(pa.rows[i]).to_string(),
            )
        })
        .collect();
    movers.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    movers.truncate(DIFF_MOVERS);
    if let Some(row) = asked {
        let unit = frame.units().get(pa.rows[row]).to_string();
        movers.retain(|m| m.1 != unit);
        movers.insert(0, (0, unit));
    }
    movers
        .iter()
        .filter_map(|(_, unit)| {
            let mut d = decompose(frame, plans, results, unit)?;
            (d.a, d.b) = ("old".into(), "new".into());
            Some(d)
        })
        .collect()
}

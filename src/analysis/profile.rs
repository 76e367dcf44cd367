//! `qindex profile`: one unit's standing on every indicator and group — strengths, weaknesses
//! and improvements, as a city's annual assessment report lists them.

use crate::data::Frame;
use crate::diagnostics::did_you_mean;
use crate::eval::{flags, PeriodResult};
use crate::plan::{NodeKind, Plan};
use crate::Error;
use serde::Serialize;

/// How many nodes are listed as strengths, weaknesses and improvements.
pub const LIST_LEN: usize = 5;

/// A node whose normalised value takes this many distinct values or fewer among the units
/// cannot tell units apart, so it is never a strength, a weakness or an improvement.
pub const MIN_DISTINCT: usize = 3;

/// One unit's profile in one period. Plain data: `qindex.profile/1` is its JSON form.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub index: String,
    pub index_label: Option<String>,
    pub scheme: String,
    /// The unit's id and display label.
    pub unit: String,
    pub label: Option<String>,
    pub period: Option<String>,
    /// The period before `period`, when the unit has a row in it.
    pub previous_period: Option<String>,
    /// Whether the unit is a ranked unit (`units where`).
    pub ranked: bool,
    /// The index score after adjustments, and the final rank among `units_ranked`.
    pub score: Option<f64>,
    pub rank: Option<u32>,
    pub units_ranked: usize,
    /// The units of the period (`units where`), and how many of them a veto left unranked:
    /// those still have group and indicator ranks, which are among the units with a value.
    pub units: usize,
    pub units_vetoed: usize,
    pub vetoed: bool,
    /// The index's scale (`scale LO..HI`), to read the scores and values against.
    pub scale: (f64, f64),
    pub previous_score: Option<f64>,
    pub previous_rank: Option<u32>,
    /// Every group and indicator, in plan order.
    pub nodes: Vec<NodeProfile>,
    /// Ids of the nodes of `nodes` by standing, best first (those the unit has a rank on).
    /// Standing is the rank's place between first and last, `(rank - 1) / (of - 1)`, so that
    /// ranks out of fewer units (some missing a value) compare.
    pub by_rank: Vec<String>,
    /// The five best-standing nodes that discriminate, among those in the better half.
    pub strengths: Vec<String>,
    /// The five worst-standing nodes that discriminate, among those in the worse half; worst
    /// first.
    pub weaknesses: Vec<String>,
    /// Ids of the nodes that gained most places since the previous period, biggest first.
    pub improvements: Vec<String>,
}

/// One group or indicator of a [`Profile`].
#[derive(Debug, Clone, Serialize)]
pub struct NodeProfile {
    pub id: String,
    pub label: Option<String>,
    pub kind: NodeKind,
    pub depth: u32,
    pub parent: Option<String>,
    /// The unit of measurement of an indicator's raw value.
    pub unit_of_measure: Option<String>,
    /// Indicators: the value after the formula, and after imputation, transform and
    /// winsorising.
    pub raw: Option<f64>,
    pub treated: Option<f64>,
    /// The normalised value (indicators) or the score (groups); higher is better.
    pub value: Option<f64>,
    /// The rank of `value` among the ranked units with a value (1 = best), out of `of`.
    pub rank: Option<u32>,
    pub of: usize,
    /// Distinct values among the ranked units; `discriminates` is `distinct > 3`.
    pub distinct: usize,
    pub discriminates: bool,
    /// Whether the node may be a strength, a weakness or an improvement: it discriminates and
    /// the unit's value was not imputed (a guess says nothing about the unit).
    pub compared: bool,
    pub flags: Vec<&'static str>,
    pub previous: Option<Standing>,
    /// Places gained since the previous period (positive = better).
    pub rank_change: Option<i64>,
    pub value_change: Option<f64>,
}

/// A node's value and rank in the previous period.
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    pub value: Option<f64>,
    pub rank: Option<u32>,
    pub of: usize,
}

/// The position in `period` of the unit named `query`: its id, or else its display label.
/// An unknown unit is a usage error naming the closest ids and labels.
pub fn find_unit(frame: &Frame, period: &PeriodResult, query: &str) -> Result<usize, Error> {
    let query = query.trim();
    let units = frame.units();
    if let Some(i) = (0..period.len()).find(|i| units.get(period.rows[*i]) == query) {
        return Ok(i);
    }
    if let Some(labels) = frame.labels() {
        let hits: Vec<usize> = (0..period.len())
            .filter(|i| labels.get(period.rows[*i]).trim() == query)
            .collect();
        match hits.as_slice() {
            [i] => return Ok(*i),
            [] => {}
            many => {
                let ids: Vec<String> = many
                    .iter()
                    .map(|i| format!("`{}`", units.get(period.rows[*i])))
                    .collect();
                return Err(Error::Usage(format!(
                    "unit `{query}` is the label of several units ({}); give the unit id",
                    ids.join(", ")
                )));
            }
        }
    }
    let in_period = period
        .period
        .as_deref()
        .map(|p| format!(" in period {p}"))
        .unwrap_or_default();
    if (0..frame.len()).any(|r| units.get(r) == query) {
        return Err(Error::Usage(format!(
            "unit `{query}` has no row{in_period}; choose another --period"
        )));
    }
    let ids: Vec<&str> = period.rows.iter().map(|r| units.get(*r)).collect();
    let mut hint = String::new();
    if let Some(id) = did_you_mean(query, ids.iter().copied()) {
        hint = format!("; did you mean `{id}`{}?", label_note(frame, period, id));
    } else if let Some(labels) = frame.labels() {
        let names: Vec<&str> = period.rows.iter().map(|r| labels.get(*r)).collect();
        if let Some(name) = did_you_mean(query, names.iter().copied()) {
            let row = period.rows[names.iter().position(|n| *n == name).unwrap_or(0)];
            hint = format!("; did you mean `{}` ({name})?", units.get(row));
        }
    }
    if hint.is_empty() {
        let mut some: Vec<&str> = ids.clone();
        some.sort_unstable();
        some.dedup();
        let shown: Vec<String> = some.iter().take(5).map(|u| format!("`{u}`")).collect();
        hint = format!(
            "; the units{in_period} include {}{}",
            shown.join(", "),
            if some.len() > 5 { ", ..." } else { "" }
        );
    }
    Err(Error::Usage(format!("unknown unit `{query}`{hint}")))
}

fn label_note(frame: &Frame, period: &PeriodResult, id: &str) -> String {
    let Some(labels) = frame.labels() else {
        return String::new();
    };
    period
        .rows
        .iter()
        .find(|r| frame.units().get(**r) == id)
        .map(|r| labels.get(*r))
        .filter(|l| !l.is_empty())
        .map(|l| format!(" ({l})"))
        .unwrap_or_default()
}

/// The values of the ranked units with a value, and the competition rank (1 = highest) of
/// position `at`, with how many units were ranked and how many distinct values they hold.
fn standing(values: &[f64], is_unit: &[bool], at: usize) -> (Option<u32>, usize, usize) {
    let mut ranked: Vec<f64> = values
        .iter()
        .zip(is_unit)
        .filter(|(v, u)| **u && !v.is_nan())
        .map(|(v, _)| *v)
        .collect();
    let of = ranked.len();
    ranked.sort_unstable_by(|a, b| b.total_cmp(a));
    ranked.dedup();
    let distinct = ranked.len();
    let v = values[at];
    let rank = (is_unit[at] && !v.is_nan()).then(|| {
        1 + values
            .iter()
            .zip(is_unit)
            .filter(|(x, u)| **u && **x > v)
            .count() as u32
    });
    (rank, of, distinct)
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Where a rank stands between the best (0) and the last (1), so that ranks out of different
/// counts (units missing a value) compare.
fn position(rank: u32, of: usize) -> f64 {
    if of <= 1 {
        0.0
    } else {
        f64::from(rank - 1) / (of - 1) as f64
    }
}

/// The median unit of a period: for each node after the index (plan order), the median of
/// its values over the units (`None` where no unit has one), the reference a unit's profile
/// is drawn against.
pub fn median_unit(plan: &Plan, current: &PeriodResult) -> Vec<(String, Option<f64>)> {
    plan.ids()
        .skip(1)
        .map(|id| {
            let values: Vec<f64> = current
                .values(id)
                .iter()
                .zip(&current.is_unit)
                .filter(|(v, u)| **u && v.is_finite())
                .map(|(v, _)| *v)
                .collect();
            let m = crate::methods::stats::median(&values);
            (plan.node(id).id.clone(), finite(m))
        })
        .collect()
}

/// Builds the profile of the unit at position `at` of `current`, compared with `previous`
/// (the period before, evaluated with the same plan) when given.
pub fn profile(
    plan: &Plan,
    frame: &Frame,
    current: &PeriodResult,
    previous: Option<&PeriodResult>,
    at: usize,
) -> Profile {
    let unit = frame.units().get(current.rows[at]).to_string();
    let label = frame
        .labels()
        .map(|l| l.get(current.rows[at]).to_string())
        .filter(|l| !l.is_empty());
    let prev_at = previous.and_then(|p| {
        (0..p.len())
            .find(|i| frame.units().get(p.rows[*i]) == unit)
            .map(|i| (p, i))
    });

    let mut nodes = Vec::new();
    for id in plan.ids().skip(1) {
        let node = plan.node(id);
        let k = id.index();
        let (rank, of, distinct) = standing(&current.values(id), &current.is_unit, at);
        let value = finite(current.value(id, at));
        let indicator = node.kind == NodeKind::Indicator;
        let prev = prev_at.map(|(p, i)| {
            let (rank, of, _) = standing(&p.values(id), &p.is_unit, i);
            Standing {
                value: finite(p.value(id, i)),
                rank,
                of,
            }
        });
        let rank_change = match (rank, prev.as_ref().and_then(|s| s.rank)) {
            (Some(now), Some(then)) => Some(i64::from(then) - i64::from(now)),
            _ => None,
        };
        let value_change = match (value, prev.as_ref().and_then(|s| s.value)) {
            (Some(now), Some(then)) => Some(now - then),
            _ => None,
        };
        nodes.push(NodeProfile {
            id: node.id.clone(),
            label: node.label.clone(),
            kind: node.kind,
            depth: node.depth,
            parent: node.parent.map(|p| plan.node(p).id.clone()),
            unit_of_measure: node.unit.clone(),
            raw: indicator.then(|| finite(current.raw[k][at])).flatten(),
            treated: indicator.then(|| finite(current.treated(id)[at])).flatten(),
            value,
            rank,
            of,
            distinct,
            discriminates: distinct > MIN_DISTINCT,
            compared: distinct > MIN_DISTINCT && current.flag(id, at) & flags::IMPUTED == 0,
            flags: flags::names(current.flag(id, at)),
            previous: prev,
            rank_change,
            value_change,
        });
    }

    // Best first; ties keep plan order (the sort is stable).
    let mut order: Vec<usize> = (0..nodes.len())
        .filter(|i| nodes[*i].rank.is_some())
        .collect();
    let pos = |n: &NodeProfile| position(n.rank.unwrap_or(0), n.of);
    order.sort_by(|a, b| pos(&nodes[*a]).total_cmp(&pos(&nodes[*b])));
    let candidates: Vec<usize> = order
        .iter()
        .copied()
        .filter(|i| nodes[*i].compared)
        .collect();
    // Only the better half can hold a strength and only the worse half a weakness, so that a
    // unit ranked near the top on everything is not told it is weak.
    let strengths: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|i| pos(&nodes[*i]) < 0.5)
        .take(LIST_LEN)
        .collect();
    let mut weaknesses: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|i| pos(&nodes[*i]) > 0.5)
        .collect();
    // Worst first; ties stay in plan order (the sort is stable).
    weaknesses.sort_by(|a, b| pos(&nodes[*b]).total_cmp(&pos(&nodes[*a])));
    weaknesses.truncate(LIST_LEN);
    let mut gains: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|i| nodes[*i].rank_change.is_some_and(|c| c > 0))
        .collect();
    gains.sort_by(|a, b| {
        let (a, b) = (&nodes[*a], &nodes[*b]);
        b.rank_change.cmp(&a.rank_change).then_with(|| {
            b.value_change
                .unwrap_or(0.0)
                .total_cmp(&a.value_change.unwrap_or(0.0))
        })
    });
    gains.truncate(LIST_LEN);
    let ids = |v: &[usize]| -> Vec<String> { v.iter().map(|i| nodes[*i].id.clone()).collect() };

    let final_rank = |p: &PeriodResult, i: usize| (p.final_rank[i] != 0).then_some(p.final_rank[i]);
    Profile {
        index: plan.index.id.clone(),
        index_label: plan.index.label.clone(),
        scheme: plan.scheme.clone(),
        unit,
        label,
        period: current.period.clone(),
        previous_period: prev_at.and_then(|(p, _)| p.period.clone()),
        ranked: current.is_unit[at],
        score: finite(current.score[at]),
        rank: final_rank(current, at),
        units_ranked: current.final_rank.iter().filter(|r| **r != 0).count(),
        units: current.is_unit.iter().filter(|u| **u).count(),
        units_vetoed: current
            .vetoed
            .iter()
            .zip(&current.is_unit)
            .filter(|(v, u)| **v && **u)
            .count(),
        vetoed: current.vetoed[at],
        scale: plan.node(crate::plan::NodeId::ROOT).scale,
        previous_score: prev_at.and_then(|(p, i)| finite(p.score[i])),
        previous_rank: prev_at.and_then(|(p, i)| final_rank(p, i)),
        by_rank: ids(&order),
        strengths: ids(&strengths),
        weaknesses: ids(&weaknesses),
        improvements: ids(&gains),
        nodes,
    }
}

impl Profile {
    /// The profile of the node `id`.
    pub fn node(&self, id: &str) -> Option<&NodeProfile> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standing_uses_competition_ranks_over_units() {
        let v = [10.0, 30.0, 30.0, f64::NAN, 5.0, 99.0];
        let u = [true, true, true, true, true, false];
        assert_eq!(standing(&v, &u, 0), (Some(3), 4, 3));
        assert_eq!(standing(&v, &u, 1), (Some(1), 4, 3));
        assert_eq!(standing(&v, &u, 3), (None, 4, 3));
        assert_eq!(standing(&v, &u, 5), (None, 4, 3));
    }

    #[test]
    fn positions_compare_across_counts() {
        assert_eq!(position(1, 8), 0.0);
        assert_eq!(position(8, 8), 1.0);
        assert!(position(6, 6) > position(7, 8));
        assert_eq!(position(1, 1), 0.0);
    }
}

//! The report's data model: one `Serialize` value holding every section, assembled from the
//! analyses' results (`qindex report --format json` writes it; the charts are built from it).
//! Nothing here computes a statistic: values are taken from the results as they are.

use crate::analysis::compare::{Comparison, Decomposition};
use crate::analysis::orientation::Orientation;
use crate::analysis::profile::Profile;
use crate::analysis::Coherence;
use crate::data::Frame;
use crate::eval::PeriodResult;
use crate::plan::Plan;
use crate::report::methods::{methods_cells, Cell};
use crate::sensitivity::indices;
use crate::sensitivity::uncertainty::Summary;
use serde::Serialize;

/// The language of the report's own text (headings, captions); labels from the rules are
/// shown as they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Zh,
    En,
}

/// The whole report. Sections that are `None` or empty are left out of the page.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub lang: Lang,
    pub overview: Overview,
    pub ranking: Option<Ranking>,
    pub schemes: Option<Schemes>,
    pub orientation: Vec<Orientation>,
    pub robustness: Option<Robustness>,
    pub coherence: Option<Coherence>,
    pub profiles: Vec<UnitProfile>,
    pub methods: Methods,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub index: String,
    pub label: Option<String>,
    pub description: Option<String>,
    pub source: Option<String>,
    /// The scheme ranked (the first `--scheme`, or `default`).
    pub scheme: String,
    pub period: Option<String>,
    pub units: usize,
    pub ranked: usize,
    pub rules_hash: String,
    pub data_hash: String,
    pub version: String,
    /// When the report was written, only with `--stamp`.
    pub stamp: Option<String>,
}

/// A node shown as a column: its id and label.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub id: String,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ranking {
    /// The index's scale (the bars' full width).
    pub scale: (f64, f64),
    /// The index's children, the columns of the table and of the heatmap.
    pub groups: Vec<Column>,
    /// Each group's scale, in the order of `groups`.
    pub group_scales: Vec<(f64, f64)>,
    pub previous_period: Option<String>,
    /// The ranked units, in rank order.
    pub rows: Vec<RankRow>,
    /// Units without a rank (vetoed, or without a score), with the reason.
    pub apart: Vec<Apart>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RankRow {
    pub rank: u32,
    pub unit: String,
    pub label: Option<String>,
    pub score: Option<f64>,
    pub groups: Vec<Option<f64>>,
    /// Places gained since the previous period (positive: up), from the comparison of the
    /// two periods.
    pub change: Option<i64>,
    /// Bonuses, penalties and capping vetoes that adjusted the score, in words.
    pub adjustments: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Apart {
    pub unit: String,
    pub label: Option<String>,
    pub score: Option<f64>,
    pub vetoed: bool,
    /// The vetoes that fired, in words; `None` when the unit has no score.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Schemes {
    pub comparison: Comparison,
    /// Each compared scheme's label, in the order of `comparison.schemes`.
    pub labels: Vec<Option<String>>,
    /// Why the biggest movers moved.
    pub explained: Vec<Decomposition>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Robustness {
    pub uncertainty: Summary,
    /// Sobol' indices of the MARC, when they were estimated.
    pub sensitivity: Option<indices::Report>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitProfile {
    pub profile: Profile,
    /// The median unit's values of the index's children (the radar's reference), in the
    /// order of the ranking's groups.
    pub median: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Methods {
    pub headings: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// Everything the report is built from: the results and the analyses, computed by the caller.
pub struct Inputs<'a> {
    pub lang: Lang,
    pub plan: &'a Plan,
    pub frame: &'a Frame,
    pub current: &'a PeriodResult<'a>,
    /// The comparison of the previous period (first) with the current one, when there is one.
    pub since: Option<&'a Comparison>,
    pub comparison: Option<Comparison>,
    /// The label of each compared scheme, in the comparison's order.
    pub scheme_labels: Vec<Option<String>>,
    pub explained: Vec<Decomposition>,
    pub orientation: Vec<Orientation>,
    pub uncertainty: Option<Summary>,
    pub sensitivity: Option<indices::Report>,
    pub coherence: Option<Coherence>,
    pub profiles: Vec<Profile>,
    /// `analysis::profile::median_unit` of the current period.
    pub median: Vec<(String, Option<f64>)>,
    pub warnings: Vec<String>,
    pub rules_hash: String,
    pub stamp: Option<String>,
}

/// Assembles the report.
pub fn build(i: Inputs) -> Report {
    let (plan, frame, p) = (i.plan, i.frame, i.current);
    let root = &plan.nodes[0];
    let groups: Vec<Column> = root.children.iter().map(|c| column(plan, *c)).collect();
    let overview = Overview {
        index: plan.index.id.clone(),
        label: plan.index.label.clone(),
        description: root.description.clone(),
        source: root.source.clone(),
        scheme: plan.scheme.clone(),
        period: p.period.clone(),
        units: p.is_unit.iter().filter(|u| **u).count(),
        ranked: p.final_rank.iter().filter(|r| **r != 0).count(),
        rules_hash: i.rules_hash,
        data_hash: frame.content_hash().to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        stamp: i.stamp,
    };
    let median = groups
        .iter()
        .map(|g| {
            i.median
                .iter()
                .find(|(id, _)| *id == g.id)
                .and_then(|(_, m)| *m)
        })
        .collect();
    let (headings, rows) = methods_cells(plan);
    Report {
        lang: i.lang,
        overview,
        ranking: ranking(plan, frame, p, i.since, groups),
        schemes: i.comparison.map(|comparison| Schemes {
            comparison,
            labels: i.scheme_labels,
            explained: i.explained,
        }),
        orientation: i.orientation,
        robustness: i.uncertainty.map(|uncertainty| Robustness {
            uncertainty,
            sensitivity: i.sensitivity,
        }),
        coherence: i.coherence,
        profiles: i
            .profiles
            .into_iter()
            .map(|profile| UnitProfile {
                profile,
                median: Vec::clone(&median),
            })
            .collect(),
        methods: Methods {
            headings: headings.iter().map(|h| h.to_string()).collect(),
            rows,
        },
        warnings: i.warnings,
    }
}

fn column(plan: &Plan, id: crate::plan::NodeId) -> Column {
    let n = plan.node(id);
    Column {
        id: n.id.clone(),
        label: n.label.clone(),
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn ranking(
    plan: &Plan,
    frame: &Frame,
    p: &PeriodResult,
    since: Option<&Comparison>,
    groups: Vec<Column>,
) -> Option<Ranking> {
    if p.is_empty() {
        return None;
    }
    let ids: Vec<_> = plan.nodes[0].children.clone();
    let label = |i: usize| {
        frame
            .labels()
            .map(|l| l.get(p.rows[i]).to_string())
            .filter(|l| !l.is_empty())
    };
    let change = |unit: &str| {
        since.and_then(|c| {
            c.units
                .iter()
                .find(|u| u.unit == unit)
                .and_then(|u| u.shift.get(1).copied().flatten())
        })
    };
    let mut rows = Vec::new();
    let mut apart = Vec::new();
    for i in p.order(frame) {
        if !p.is_unit[i] {
            continue;
        }
        let unit = frame.units().get(p.rows[i]).to_string();
        let text = p.adjustments_text(plan, i);
        if p.final_rank[i] == 0 {
            apart.push(Apart {
                label: label(i),
                score: finite(p.score[i]),
                vetoed: p.vetoed[i],
                reason: (!text.is_empty()).then_some(text),
                unit,
            });
            continue;
        }
        rows.push(RankRow {
            rank: p.final_rank[i],
            label: label(i),
            score: finite(p.score[i]),
            groups: ids.iter().map(|g| finite(p.value(*g, i))).collect(),
            change: change(&unit),
            adjustments: (!text.is_empty()).then_some(text),
            unit,
        });
    }
    Some(Ranking {
        scale: plan.nodes[0].scale,
        group_scales: ids.iter().map(|g| plan.node(*g).scale).collect(),
        groups,
        previous_period: since.and_then(|c| c.periods.first().cloned().flatten()),
        rows,
        apart,
    })
}

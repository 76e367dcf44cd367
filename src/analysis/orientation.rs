//! `qindex orientation`: how much weight each orientation (`government`, `market`, `society`,
//! untagged) carries nominally, and how much it matters in the data.

use crate::eval::PeriodResult;
use crate::methods::stats;
use crate::plan::Plan;
use serde::Serialize;

/// An indicator whose importance share is below this fraction of its nominal share is silent.
pub const SILENT_RATIO: f64 = 0.25;

#[derive(Debug, Clone, Serialize)]
pub struct Orientation {
    pub scheme: String,
    pub period: Option<String>,
    pub tags: Vec<TagShare>,
    pub indicators: Vec<IndicatorShare>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TagShare {
    pub tag: Option<String>,
    /// Share of the nominal overall weight in the index.
    pub nominal: f64,
    /// Share of the importance (the indicators' r² with the index, normalised to sum 1).
    pub importance: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorShare {
    pub id: String,
    pub label: Option<String>,
    pub tag: Option<String>,
    /// Overall weight in the index (the product of the weights down the path), in this period.
    pub nominal: f64,
    /// Pearson's r between the indicator's normalised value and the index score, over the
    /// ranked units with both.
    pub r: Option<f64>,
    pub importance: f64,
    /// importance / nominal.
    pub ratio: Option<f64>,
    pub silent: bool,
}

/// The orientation report of one period's results.
///
/// # Formula
/// Importance of indicator i: rᵢ², the squared Pearson correlation between its normalised value
/// and the index score (before adjustments) over the ranked units: its first-order effect on
/// the index under linearity (Paruolo, Saisana & Saltelli 2013, "Ratings and rankings: voodoo
/// or science?", J. R. Stat. Soc. A 176(3)); shares are rᵢ² / Σ r². Nominal shares are the overall
/// weights. An indicator is silent when its importance share is below a quarter of its
/// nominal share.
pub fn orientation(plan: &Plan, p: &PeriodResult) -> Orientation {
    let index = p.values(crate::plan::NodeId::ROOT);
    let units: Vec<usize> = (0..p.len()).filter(|i| p.is_unit[*i]).collect();
    let y: Vec<f64> = units.iter().map(|i| index[*i]).collect();
    let mut rows: Vec<IndicatorShare> = plan
        .indicators()
        .map(|id| {
            let node = plan.node(id);
            let x: Vec<f64> = units.iter().map(|i| p.value(id, *i)).collect();
            let r = stats::pearson(&x, &y);
            IndicatorShare {
                id: node.id.clone(),
                label: node.label.clone(),
                tag: node.orientation.clone(),
                nominal: if p.overall[id.index()].is_finite() {
                    p.overall[id.index()]
                } else {
                    0.0
                },
                r: r.is_finite().then_some(r),
                importance: if r.is_finite() { r * r } else { 0.0 },
                ratio: None,
                silent: false,
            }
        })
        .collect();
    let total_imp: f64 = rows.iter().map(|r| r.importance).sum();
    let total_nom: f64 = rows.iter().map(|r| r.nominal).sum();
    for r in &mut rows {
        r.importance = if total_imp > 0.0 {
            r.importance / total_imp
        } else {
            0.0
        };
        r.nominal = if total_nom > 0.0 {
            r.nominal / total_nom
        } else {
            0.0
        };
        r.ratio = (r.nominal > 0.0).then(|| r.importance / r.nominal);
        r.silent = r.nominal > 0.0 && r.importance < SILENT_RATIO * r.nominal;
    }
    let mut tags: Vec<TagShare> = Vec::new();
    for t in ["government", "market", "society"]
        .map(Some)
        .into_iter()
        .chain([None])
    {
        let of: Vec<&IndicatorShare> = rows.iter().filter(|r| r.tag.as_deref() == t).collect();
        if of.is_empty() {
            continue;
        }
        tags.push(TagShare {
            tag: t.map(str::to_string),
            nominal: of.iter().map(|r| r.nominal).sum(),
            importance: of.iter().map(|r| r.importance).sum(),
        });
    }
    Orientation {
        scheme: plan.scheme.clone(),
        period: p.period.clone(),
        tags,
        indicators: rows,
    }
}

//! `qindex orientation`: how much weight each orientation (`government`, `market`, `society`,
//! untagged) carries nominally, and how much it matters in the data.

use super::{pad, pad_left, truncate_to_width};
use crate::diagnostics::display_width;
use crate::eval::PeriodResult;
use crate::methods::stats;
use crate::plan::Plan;
use serde::Serialize;

/// An indicator whose importance share is below this fraction of its nominal share is silent.
pub const SILENT_RATIO: f64 = 0.25;

#[derive(Debug, Clone, Serialize)]
pub struct Orientation {
    pub format: &'static str,
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
    let index = &p.value[0];
    let units: Vec<usize> = (0..p.len()).filter(|i| p.is_unit[*i]).collect();
    let y: Vec<f64> = units.iter().map(|i| index[*i]).collect();
    let mut rows: Vec<IndicatorShare> = plan
        .indicators()
        .map(|id| {
            let node = plan.node(id);
            let x: Vec<f64> = units.iter().map(|i| p.value[id.index()][*i]).collect();
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
        format: "qindex.orientation/1",
        scheme: plan.scheme.clone(),
        period: p.period.clone(),
        tags,
        indicators: rows,
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

pub fn text(o: &Orientation) -> String {
    let mut out = format!(
        "orientation of scheme {}{}\n\n",
        o.scheme,
        o.period
            .as_deref()
            .map(|p| format!(", period {p}"))
            .unwrap_or_default()
    );
    out.push_str("orientation   nominal weight  importance\n");
    for t in &o.tags {
        out.push_str(&format!(
            "{}  {}  {}\n",
            pad(t.tag.as_deref().unwrap_or("(untagged)"), 12),
            pad_left(&pct(t.nominal), 14),
            pad_left(&pct(t.importance), 10)
        ));
    }
    out.push_str("\nimportance is each indicator's squared correlation with the index, as a share (Paruolo, Saisana & Saltelli 2013)\n\n");
    let mut grid = vec![vec![
        "indicator".to_string(),
        "label".to_string(),
        "orientation".to_string(),
        "nominal".to_string(),
        "r".to_string(),
        "importance".to_string(),
        "ratio".to_string(),
        String::new(),
    ]];
    for r in &o.indicators {
        grid.push(vec![
            r.id.clone(),
            truncate_to_width(r.label.as_deref().unwrap_or(""), 24),
            r.tag.clone().unwrap_or_default(),
            pct(r.nominal),
            r.r.map_or("—".into(), |v| format!("{v:.2}")),
            pct(r.importance),
            r.ratio.map_or("—".into(), |v| format!("{v:.2}")),
            if r.silent {
                "silent".into()
            } else {
                String::new()
            },
        ]);
    }
    let widths: Vec<usize> = (0..grid[0].len())
        .map(|k| grid.iter().map(|r| display_width(&r[k])).max().unwrap_or(0))
        .collect();
    for (i, row) in grid.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(k, c)| {
                if k < 3 || k == 7 || i == 0 {
                    pad(c, widths[k])
                } else {
                    pad_left(c, widths[k])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    let silent: Vec<&str> = o
        .indicators
        .iter()
        .filter(|r| r.silent)
        .map(|r| r.id.as_str())
        .collect();
    if !silent.is_empty() {
        out.push_str(&format!(
            "\nsilent (importance under a quarter of the nominal weight): {}\n",
            silent.join(", ")
        ));
    }
    out
}

pub fn json(o: &Orientation) -> String {
    let mut s = serde_json::to_string_pretty(o).expect("plain data serialises");
    s.push('\n');
    s
}

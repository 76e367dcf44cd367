//! The coherence report of one evaluated period: indicator statistics, correlations within
//! and across levels, reliability, principal components, and plain-word flags.

use super::kmo::Bartlett;
use super::pca::Pca;
use crate::eval::{flags, PeriodResult};
use crate::methods::{stats, treat};
use crate::plan::{NodeId, NodeKind, Plan};
use serde::Serialize;

/// Below this Cronbach's alpha a group is flagged (Nunnally's 0.7 is often quoted; the
/// Handbook and COINr treat 0.6 as the lowest acceptable).
pub const ALPHA_MIN: f64 = 0.6;
/// A first component explaining less than this share is flagged.
pub const FIRST_COMPONENT_MIN: f64 = 0.5;
/// Pairs correlated beyond this |r| are flagged as redundant.
pub const REDUNDANT_R: f64 = 0.9;
/// Indicators missing for more than this share of units are flagged.
pub const MISSING_MAX: f64 = 0.3;

/// Pearson and Spearman correlations of two columns (pairwise complete); `None` when
/// undefined (a constant column, fewer than 2 pairs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Corr {
    pub pearson: Option<f64>,
    pub spearman: Option<f64>,
}

impl Corr {
    pub fn of(x: &[f64], y: &[f64]) -> Corr {
        Corr {
            pearson: defined(stats::pearson(x, y)),
            spearman: defined(stats::spearman(x, y)),
        }
    }
}

/// Two decimals without a sign on zero (`-0.00` reads as a sign that is not there).
fn two(x: f64) -> String {
    let s = format!("{x:.2}");
    if s == "-0.00" {
        "0.00".to_string()
    } else {
        s
    }
}

fn defined(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Descriptive statistics of one indicator's raw values over the units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorStats {
    pub id: String,
    pub label: Option<String>,
    pub parent: String,
    pub n: usize,
    pub missing_share: f64,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub skewness: Option<f64>,
    pub kurtosis: Option<f64>,
    /// Whether COINr's rule (|skewness| ≥ 2 and kurtosis ≥ 3.5) flags the raw values.
    pub outlier: bool,
    /// Units whose value was imputed, and whose value winsorising changed.
    pub imputed: usize,
    pub winsorised: usize,
    /// The normalised value against the parent's score and the index score.
    pub with_parent: Corr,
    pub with_index: Corr,
}

/// A correlation between two children of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    pub a: String,
    pub b: String,
    #[serde(flatten)]
    pub corr: Corr,
}

/// The statistics of one group (or the index) over its children.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupStats {
    pub id: String,
    pub label: Option<String>,
    pub kind: NodeKind,
    /// `None` for the index.
    pub parent: Option<String>,
    pub children: Vec<String>,
    /// Every pair of children, in order (a before b).
    pub pairs: Vec<Pair>,
    /// The score against the parent's score and the index score (`None` for the index).
    pub with_parent: Option<Corr>,
    pub with_index: Option<Corr>,
    /// Units with every child present: alpha, PCA, KMO and Bartlett use these.
    pub complete_units: usize,
    pub alpha: Option<f64>,
    pub pca: Option<Pca>,
    pub kmo: Option<f64>,
    pub bartlett: Option<Bartlett>,
    /// Why a statistic is missing, in plain words.
    pub notes: Vec<String>,
}

/// A finding worth a look, in plain words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    /// `negative_correlation`, `redundant`, `low_alpha`, `weak_first_component`, `missing`.
    pub code: &'static str,
    pub node: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    pub value: f64,
    pub message: String,
}

/// The coherence report of one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coherence {
    pub period: Option<String>,
    /// The units the statistics are over (`units where`).
    pub units: usize,
    pub indicators: Vec<IndicatorStats>,
    pub groups: Vec<GroupStats>,
    /// Cronbach's alpha over all indicators (complete cases), and how many units that is.
    pub index_alpha: Option<f64>,
    pub index_complete_units: usize,
    pub flags: Vec<Flag>,
    /// Pearson correlations between every pair of indicators (rows and columns in the order
    /// of `indicators`), on the normalised values, pairwise complete; `None` when undefined.
    pub correlations: Vec<Vec<Option<f64>>>,
}

/// The coherence statistics of one evaluated period, over its units (rows with `is_unit`).
///
/// Indicator descriptives use the raw value (after the formula, before treatment);
/// correlations, alpha and components use normalised values and group scores.
pub fn coherence(plan: &Plan, result: &PeriodResult) -> Coherence {
    let units: Vec<usize> = (0..result.len()).filter(|&i| result.is_unit[i]).collect();
    let pick = |v: &[f64]| -> Vec<f64> {
        units
            .iter()
            .map(|&i| v.get(i).copied().unwrap_or(f64::NAN))
            .collect()
    };
    let values: Vec<Vec<f64>> = plan.ids().map(|id| pick(&result.values(id))).collect();
    let index = &values[NodeId::ROOT.index()];
    let name = |id: NodeId| plan.nodes[id.index()].id.clone();
    let mut flags_out = Vec::new();

    let mut indicators = Vec::new();
    for (k, node) in plan.nodes.iter().enumerate() {
        if !node.is_indicator() {
            continue;
        }
        let raw = pick(&result.raw[k]);
        let n = stats::count(&raw);
        let count_flag = |bit: u8| {
            units
                .iter()
                .filter(|&&i| result.flag(NodeId(k as u32), i) & bit != 0)
                .count()
        };
        let parent = node.parent.unwrap_or(NodeId::ROOT);
        let mut copy = raw.clone();
        let outcome = treat::winsorise_auto(&mut copy).outcome;
        let missing_share = if units.is_empty() {
            0.0
        } else {
            1.0 - n as f64 / units.len() as f64
        };
        let s = IndicatorStats {
            id: node.id.clone(),
            label: node.label.clone(),
            parent: name(parent),
            n,
            missing_share,
            mean: defined(stats::mean(&raw)),
            sd: defined(stats::sd(&raw)),
            min: defined(stats::min(&raw)),
            max: defined(stats::max(&raw)),
            skewness: defined(stats::skewness(&raw)),
            kurtosis: defined(stats::kurtosis(&raw)),
            outlier: matches!(
                outcome,
                treat::WinsoriseOutcome::Winsorised | treat::WinsoriseOutcome::LogFallback
            ),
            imputed: count_flag(flags::IMPUTED),
            winsorised: count_flag(flags::WINSORISED),
            with_parent: Corr::of(&values[k], &values[parent.index()]),
            with_index: Corr::of(&values[k], index),
        };
        if s.missing_share > MISSING_MAX {
            flags_out.push(Flag {
                code: "missing",
                node: s.id.clone(),
                other: None,
                value: s.missing_share,
                message: format!(
                    "`{}` is missing for {:.0}% of the units (more than {:.0}%): its values there are guesses or gaps, so use it with care",
                    s.id,
                    s.missing_share * 100.0,
                    MISSING_MAX * 100.0
                ),
            });
        }
        indicators.push(s);
    }

    let mut groups = Vec::new();
    for (k, node) in plan.nodes.iter().enumerate() {
        if node.is_indicator() || node.children.is_empty() {
            continue;
        }
        groups.push(group_stats(plan, k, &values, &mut flags_out));
    }

    let all: Vec<&[f64]> = plan
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.is_indicator())
        .map(|(k, _)| values[k].as_slice())
        .collect();
    let index_complete_units = super::complete_cases(&all).first().map_or(0, Vec::len);
    let correlations = all
        .iter()
        .map(|a| all.iter().map(|b| defined(stats::pearson(a, b))).collect())
        .collect();
    Coherence {
        period: result.period.clone(),
        units: units.len(),
        correlations,
        indicators,
        groups,
        index_alpha: super::alpha::cronbach(&all).filter(|_| index_complete_units >= 3),
        index_complete_units,
        flags: flags_out,
    }
}

fn group_stats(plan: &Plan, k: usize, values: &[Vec<f64>], flags: &mut Vec<Flag>) -> GroupStats {
    let node = &plan.nodes[k];
    let name = |id: NodeId| plan.nodes[id.index()].id.clone();
    let children: Vec<NodeId> = node.children.clone();
    let cols: Vec<&[f64]> = children
        .iter()
        .map(|c| values[c.index()].as_slice())
        .collect();
    let mut notes = Vec::new();

    // A child negatively correlated with its group: most often a direction set the wrong way.
    for c in &children {
        let r = stats::pearson(&values[c.index()], &values[k]);
        if r < 0.0 {
            flags.push(Flag {
                code: "negative_correlation",
                node: name(*c),
                other: Some(node.id.clone()),
                value: r,
                message: format!(
                    "`{}` is negatively correlated with its group `{}` (r = {}): check its direction",
                    name(*c),
                    node.id,
                    two(r)
                ),
            });
        }
        let v = &values[c.index()];
        if stats::count(v) >= 2 && stats::variance(v) == 0.0 {
            notes.push(format!(
                "`{}` takes one value for every unit: its correlations are undefined",
                name(*c)
            ));
        }
    }

    let mut pairs = Vec::new();
    for i in 0..children.len() {
        for j in i + 1..children.len() {
            let corr = Corr::of(cols[i], cols[j]);
            if let Some(r) = corr.pearson.filter(|r| r.abs() > REDUNDANT_R) {
                flags.push(Flag {
                    code: "redundant",
                    node: name(children[i]),
                    other: Some(name(children[j])),
                    value: r,
                    message: format!(
                        "`{}` and `{}` in `{}` are almost the same measure (r = {r:.3}): consider dropping or merging one",
                        name(children[i]),
                        name(children[j]),
                        node.id
                    ),
                });
            }
            pairs.push(Pair {
                a: name(children[i]),
                b: name(children[j]),
                corr,
            });
        }
    }

    let complete = super::complete_cases(&cols);
    let complete_units = complete.first().map_or(0, Vec::len);
    let p = children.len();
    let alpha = super::alpha::cronbach(&cols).filter(|_| complete_units >= 3);
    let (mut pca, mut kmo, mut bartlett) = (None, None, None);
    if p < 2 {
        notes.push("one child only: no alpha, components or sphericity test".to_string());
    } else if complete_units < 3 {
        notes.push(format!(
            "{complete_units} units have every child present: too few for alpha, components or tests"
        ));
    } else {
        match super::correlation_matrix(&complete) {
            None => notes.push(
                "a child is constant over the complete units: no components or tests".to_string(),
            ),
            Some(r) => {
                pca = super::pca::principal_components(&r);
                kmo = super::kmo::kmo(&r);
                bartlett = super::kmo::bartlett(&r, complete_units);
                if complete_units <= p {
                    notes.push(format!(
                        "{complete_units} complete units for {p} children: the correlation matrix is singular, so no KMO or Bartlett test"
                    ));
                } else if kmo.is_none() {
                    notes.push(
                        "the correlation matrix is singular (perfectly correlated children): no KMO or Bartlett test"
                            .to_string(),
                    );
                }
            }
        }
    }
    if let Some(a) = alpha.filter(|a| *a < ALPHA_MIN) {
        flags.push(Flag {
            code: "low_alpha",
            node: node.id.clone(),
            other: None,
            value: a,
            message: format!(
                "`{}` has Cronbach's alpha {} (below {ALPHA_MIN}): its children do not measure one thing consistently",
                node.id,
                two(a)
            ),
        });
    }
    if let Some(e) = pca
        .as_ref()
        .and_then(|p| p.explained.first().copied())
        .filter(|e| *e < FIRST_COMPONENT_MIN)
    {
        flags.push(Flag {
            code: "weak_first_component",
            node: node.id.clone(),
            other: None,
            value: e,
            message: format!(
                "the first principal component of `{}` explains {:.0}% of the variance (under {:.0}%): the group is not one dimension",
                node.id,
                e * 100.0,
                FIRST_COMPONENT_MIN * 100.0
            ),
        });
    }
    let parent = node.parent;
    GroupStats {
        id: node.id.clone(),
        label: node.label.clone(),
        kind: node.kind,
        parent: parent.map(name),
        children: children.iter().map(|c| name(*c)).collect(),
        pairs,
        with_parent: parent.map(|p| Corr::of(&values[k], &values[p.index()])),
        with_index: parent.map(|_| Corr::of(&values[k], &values[NodeId::ROOT.index()])),
        complete_units,
        alpha,
        pca,
        kmo,
        bartlett,
        notes,
    }
}

//! The report's charts as typed ECharts options (serialised with serde into the page's one
//! JSON block), each built from a section of the data model. Labels reach the charts as data,
//! and charts draw text as SVG text, so no label is ever read as HTML.

use super::model::{Ranking, UnitProfile};
use super::text::Text;
use crate::analysis::compare::Comparison;
use crate::analysis::orientation::Orientation;
use crate::analysis::Coherence;
use crate::sensitivity::indices;
use crate::sensitivity::uncertainty::Summary;
use serde::Serialize;

/// A chart: the id of its container, the container's height in pixels, and its option.
#[derive(Debug, Clone, Serialize)]
pub struct Spec {
    pub id: String,
    pub height: u32,
    pub option: Chart,
}

/// An ECharts option, with only the parts the report uses.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Chart {
    /// Off: the page is drawn once, as it will print.
    pub animation: bool,
    pub tooltip: Tooltip,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legend: Option<Legend>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid: Option<Grid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_axis: Option<Axis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y_axis: Option<Axis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visual_map: Option<VisualMap>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub radar: Option<Radar>,
    pub series: Vec<Series>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tooltip {
    pub trigger: &'static str,
    /// `richText`: tooltips are drawn by the chart, not written into the page as HTML.
    pub render_mode: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Legend {
    pub top: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grid {
    pub left: u32,
    pub right: u32,
    pub top: u32,
    pub bottom: u32,
    pub contain_label: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Axis {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub inverse: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub axis_label: Option<AxisLabel>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AxisLabel {
    /// 0: every category labelled; none: as many as fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<u32>,
    pub rotate: i32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VisualMap {
    pub min: f64,
    pub max: f64,
    pub calculable: bool,
    pub orient: &'static str,
    pub left: &'static str,
    pub bottom: u32,
    pub in_range: InRange,
}

#[derive(Debug, Clone, Serialize)]
pub struct InRange {
    pub color: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Radar {
    pub indicator: Vec<RadarAxis>,
    pub radius: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct RadarAxis {
    pub name: String,
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub data: Vec<Datum>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<&'static str>,
}

impl Series {
    fn new(kind: &'static str, name: Option<String>, data: Vec<Datum>) -> Series {
        Series {
            kind,
            name,
            data,
            symbol_size: None,
            color: None,
        }
    }
}

/// A data item: one value, a tuple (heatmap cells, boxes), or a named vector (radar).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Datum {
    Value(Option<f64>),
    Tuple(Vec<Option<f64>>),
    Named {
        name: String,
        value: Vec<Option<f64>>,
    },
}

const BLUE: &str = "#2b6cb0";
const ORANGE: &str = "#dd6b20";
const SCALE: [&str; 3] = ["#f7fbff", "#6baed6", "#08306b"];
const DIVERGING: [&str; 3] = ["#b2182b", "#f7f7f7", "#2166ac"];

fn chart(trigger: &'static str, series: Vec<Series>) -> Chart {
    Chart {
        animation: false,
        tooltip: Tooltip {
            trigger,
            render_mode: "richText",
        },
        legend: None,
        grid: Some(grid(10, 30, 30, 10)),
        x_axis: None,
        y_axis: None,
        visual_map: None,
        radar: None,
        series,
    }
}

/// The plot area's margins in pixels, the axis labels inside them.
fn grid(left: u32, right: u32, top: u32, bottom: u32) -> Grid {
    Grid {
        left,
        right,
        top,
        bottom,
        contain_label: true,
    }
}

/// The most categories labelled one by one; more are labelled as they fit.
const ALL_LABELS: usize = 80;

fn category(names: Vec<String>, inverse: bool) -> Axis {
    let interval = (names.len() <= ALL_LABELS).then_some(0);
    Axis {
        kind: "category",
        data: Some(names),
        name: None,
        min: None,
        max: None,
        inverse,
        axis_label: Some(AxisLabel {
            interval,
            rotate: 0,
        }),
    }
}

fn value_axis(name: Option<String>, min: Option<f64>, max: Option<f64>, inverse: bool) -> Axis {
    Axis {
        kind: "value",
        data: None,
        name,
        min,
        max,
        inverse,
        axis_label: None,
    }
}

/// The name a unit is shown by: its label, else its id.
pub fn shown(unit: &str, label: Option<&str>) -> String {
    match label {
        Some(l) if !l.is_empty() => l.to_string(),
        _ => unit.to_string(),
    }
}

/// Pixels per category row of a horizontal chart, plus room for the axes.
fn rows_height(n: usize) -> u32 {
    (60 + 18 * n).clamp(160, 2400) as u32
}

/// The scores as horizontal bars, the best at the top.
pub fn ranking_bar(r: &Ranking, t: &Text) -> Spec {
    let names = r
        .rows
        .iter()
        .map(|u| shown(&u.unit, u.label.as_deref()))
        .collect();
    let data = r.rows.iter().map(|u| Datum::Value(u.score)).collect();
    let mut c = chart(
        "axis",
        vec![Series {
            color: Some(BLUE),
            ..Series::new("bar", Some(t.score.into()), data)
        }],
    );
    c.y_axis = Some(category(names, true));
    c.x_axis = Some(value_axis(None, Some(r.scale.0), Some(r.scale.1), false));
    Spec {
        id: "chart-ranking".into(),
        height: rows_height(r.rows.len()),
        option: c,
    }
}

/// Units (by rank) × the index's children.
pub fn group_heatmap(r: &Ranking) -> Option<Spec> {
    if r.groups.is_empty() || r.rows.is_empty() {
        return None;
    }
    let x: Vec<String> = r
        .groups
        .iter()
        .map(|g| shown(&g.id, g.label.as_deref()))
        .collect();
    let y = r
        .rows
        .iter()
        .map(|u| shown(&u.unit, u.label.as_deref()))
        .collect();
    let mut data = Vec::new();
    for (k, row) in r.rows.iter().enumerate() {
        for (g, v) in row.groups.iter().enumerate() {
            if v.is_some() {
                data.push(Datum::Tuple(vec![Some(g as f64), Some(k as f64), *v]));
            }
        }
    }
    let (lo, hi) = scales_span(&r.group_scales);
    let c = heatmap(x, y, data, 30, visual_map(lo, hi, &SCALE));
    Some(Spec {
        id: "chart-heatmap".into(),
        height: rows_height(r.rows.len()) + 80,
        option: c,
    })
}

/// A heatmap of `[x, y, value]` cells, the x labels turned by `rotate` degrees, the first y
/// category at the top.
fn heatmap(
    x: Vec<String>,
    y: Vec<String>,
    data: Vec<Datum>,
    rotate: i32,
    colours: VisualMap,
) -> Chart {
    let mut c = chart("item", vec![Series::new("heatmap", None, data)]);
    c.grid = Some(grid(10, 20, 10, 60));
    c.x_axis = Some(Axis {
        axis_label: Some(AxisLabel {
            interval: (x.len() <= ALL_LABELS).then_some(0),
            rotate,
        }),
        ..category(x, false)
    });
    c.y_axis = Some(category(y, true));
    c.visual_map = Some(colours);
    c
}

/// The widest range of the groups' scales (the heatmap's colour scale).
fn scales_span(scales: &[(f64, f64)]) -> (f64, f64) {
    let lo = scales.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
    let hi = scales.iter().map(|s| s.1).fold(f64::NEG_INFINITY, f64::max);
    if lo.is_finite() && hi.is_finite() && lo < hi {
        (lo, hi)
    } else {
        (0.0, 100.0)
    }
}

fn visual_map(min: f64, max: f64, colors: &[&'static str]) -> VisualMap {
    VisualMap {
        min,
        max,
        calculable: true,
        orient: "horizontal",
        left: "center",
        bottom: 0,
        in_range: InRange {
            color: colors.to_vec(),
        },
    }
}

/// Each unit's rank under the first scheme and under scheme `k`, joined by a line.
pub fn slope(c: &Comparison, k: usize, names: [&str; 2], t: &Text) -> Spec {
    let series = c
        .units
        .iter()
        .filter(|u| u.ranks[0].is_some() || u.ranks[k].is_some())
        .map(|u| {
            let data = vec![
                Datum::Value(u.ranks[0].map(f64::from)),
                Datum::Value(u.ranks[k].map(f64::from)),
            ];
            Series {
                symbol_size: Some(6),
                ..Series::new("line", Some(shown(&u.unit, u.label.as_deref())), data)
            }
        })
        .collect();
    let mut chart = chart("item", series);
    chart.grid = Some(grid(40, 40, 30, 10));
    chart.x_axis = Some(category(names.map(str::to_string).to_vec(), false));
    chart.y_axis = Some(value_axis(Some(t.rank.into()), Some(1.0), None, true));
    Spec {
        id: format!("chart-slope-{k}"),
        height: rows_height(c.units.len()).min(720),
        option: chart,
    }
}

/// Two bar series side by side, with a legend (the axes are the caller's).
fn two_bars(series: [(&str, Vec<Datum>); 2]) -> Chart {
    let [(a, da), (b, db)] = series;
    let mut c = chart(
        "axis",
        vec![
            Series {
                color: Some(BLUE),
                ..Series::new("bar", Some(a.into()), da)
            },
            Series {
                color: Some(ORANGE),
                ..Series::new("bar", Some(b.into()), db)
            },
        ],
    );
    c.legend = Some(Legend { top: 0 });
    c
}

/// Nominal weight against effective importance, by tag.
pub fn orientation(o: &Orientation, k: usize, t: &Text) -> Spec {
    let tags = o
        .tags
        .iter()
        .map(|s| s.tag.clone().unwrap_or_else(|| t.untagged.to_string()))
        .collect();
    let nominal = o
        .tags
        .iter()
        .map(|s| Datum::Value(Some(s.nominal)))
        .collect();
    let importance = o
        .tags
        .iter()
        .map(|s| Datum::Value(Some(s.importance)))
        .collect();
    let mut c = two_bars([(t.nominal, nominal), (t.importance, importance)]);
    c.x_axis = Some(category(tags, false));
    c.y_axis = Some(value_axis(None, Some(0.0), None, false));
    Spec {
        id: format!("chart-orientation-{k}"),
        height: 280,
        option: c,
    }
}

/// Each unit's 5th–95th percentile rank range with its median (a box) and its nominal rank (a
/// point).
pub fn intervals(s: &Summary, t: &Text) -> Spec {
    let units: Vec<_> = s.units.iter().filter(|u| u.median_rank.is_some()).collect();
    let names = units
        .iter()
        .map(|u| shown(&u.unit, u.label.as_deref()))
        .collect();
    let boxes = units
        .iter()
        .map(|u| {
            Datum::Tuple(vec![
                u.p05_rank,
                u.p05_rank,
                u.median_rank,
                u.p95_rank,
                u.p95_rank,
            ])
        })
        .collect();
    let nominal = units
        .iter()
        .enumerate()
        .map(|(k, u)| Datum::Tuple(vec![u.nominal_rank.map(f64::from), Some(k as f64)]))
        .collect();
    let mut c = chart(
        "item",
        vec![
            Series {
                color: Some(BLUE),
                ..Series::new("boxplot", Some(t.interval.into()), boxes)
            },
            Series {
                color: Some(ORANGE),
                symbol_size: Some(7),
                ..Series::new("scatter", Some(t.nominal_rank.into()), nominal)
            },
        ],
    );
    c.legend = Some(Legend { top: 0 });
    c.y_axis = Some(category(names, true));
    c.x_axis = Some(value_axis(Some(t.rank.into()), Some(1.0), None, false));
    Spec {
        id: "chart-intervals".into(),
        height: rows_height(units.len()),
        option: c,
    }
}

/// First-order and total Sobol' indices of the MARC, per factor.
pub fn sobol(r: &indices::Report, t: &Text) -> Option<Spec> {
    let e = r.entries.first()?;
    let defined = |x: &f64| x.is_finite().then_some(*x);
    let s1 = e.s1.iter().map(|x| Datum::Value(defined(x))).collect();
    let st = e.st.iter().map(|x| Datum::Value(defined(x))).collect();
    let mut c = two_bars([(t.first_order, s1), (t.total, st)]);
    c.y_axis = Some(category(r.factors.clone(), true));
    c.x_axis = Some(value_axis(None, Some(0.0), None, false));
    Some(Spec {
        id: "chart-sobol".into(),
        height: rows_height(2 * r.factors.len()),
        option: c,
    })
}

/// Pearson correlations between every pair of indicators, as a heatmap (the diagonal left
/// out).
pub fn correlations(c: &Coherence) -> Option<Spec> {
    let mut data = Vec::new();
    for (a, row) in c.correlations.iter().enumerate() {
        for (b, r) in row.iter().enumerate() {
            if let (true, Some(r)) = (a != b, r) {
                data.push(Datum::Tuple(vec![Some(a as f64), Some(b as f64), Some(*r)]));
            }
        }
    }
    if data.is_empty() {
        return None;
    }
    let shown_names: Vec<String> = c
        .indicators
        .iter()
        .map(|i| shown(&i.id, i.label.as_deref()))
        .collect();
    let chart = heatmap(
        shown_names.clone(),
        shown_names,
        data,
        60,
        visual_map(-1.0, 1.0, &DIVERGING),
    );
    let n = c.indicators.len();
    Some(Spec {
        id: "chart-correlations".into(),
        height: (rows_height(n) + 200).min(1400),
        option: chart,
    })
}

/// A unit's scores of the index's children against the median unit's.
pub fn radar(
    p: &UnitProfile,
    k: usize,
    groups: &[(String, Option<String>, (f64, f64))],
    t: &Text,
) -> Option<Spec> {
    if groups.len() < 3 {
        return None;
    }
    let values = groups
        .iter()
        .map(|(id, _, _)| p.profile.node(id).and_then(|n| n.value))
        .collect();
    let me = shown(&p.profile.unit, p.profile.label.as_deref());
    let series = Series::new(
        "radar",
        None,
        vec![
            Datum::Named {
                name: me,
                value: values,
            },
            Datum::Named {
                name: t.median_unit.into(),
                value: p.median.clone(),
            },
        ],
    );
    let mut c = chart("item", vec![series]);
    c.grid = None;
    c.legend = Some(Legend { top: 0 });
    c.radar = Some(Radar {
        indicator: groups
            .iter()
            .map(|(id, label, scale)| RadarAxis {
                name: shown(id, label.as_deref()),
                min: scale.0,
                max: scale.1,
            })
            .collect(),
        radius: "62%",
    });
    Some(Spec {
        id: format!("chart-radar-{k}"),
        height: 320,
        option: c,
    })
}

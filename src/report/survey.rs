//! Renderers of `qindex survey`: each survey's estimates per unit × period, the reliability of
//! its dimensions, and its flags.

use super::table::Table;
use crate::analysis::survey::{SurveyEstimates, Z95};
use serde_json::{json, Value};

fn num(x: Option<f64>) -> Value {
    match x {
        Some(v) if v.is_finite() => json!(v),
        _ => Value::Null,
    }
}

/// `qindex.survey/1` (docs/cli-json.md).
pub fn json(surveys: &[SurveyEstimates]) -> String {
    let surveys: Vec<Value> = surveys
        .iter()
        .map(|s| {
            let units: Vec<Value> = s
                .units
                .iter()
                .map(|u| {
                    let estimates: serde_json::Map<String, Value> = u
                        .estimates
                        .iter()
                        .map(|(name, e)| {
                            let v = json!({
                                "mean": num(e.mean),
                                "se": num(e.se),
                                "no_answer": e.no_answer,
                            });
                            (name.clone(), v)
                        })
                        .collect();
                    json!({
                        "unit": u.unit,
                        "period": u.period,
                        "n": u.n,
                        "sum_weights": u.sum_weights,
                        "estimates": estimates,
                    })
                })
                .collect();
            let dimensions: Vec<Value> = s
                .dimensions
                .iter()
                .map(|d| {
                    let items: Vec<Value> = d
                        .items
                        .iter()
                        .map(|i| json!({"id": i.id, "item_rest": num(i.item_rest)}))
                        .collect();
                    json!({
                        "id": d.id,
                        "period": d.period,
                        "alpha": num(d.alpha),
                        "items": items,
                    })
                })
                .collect();
            let flags: Vec<String> = s.warnings.iter().map(|w| w.to_string()).collect();
            json!({
                "id": s.id,
                "units": units,
                "dimensions": dimensions,
                "flags": flags,
            })
        })
        .collect();
    super::json::document("survey", 1, &json!({ "surveys": surveys }))
}

fn fixed(x: Option<f64>, decimals: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "-".into(),
    }
}

/// The cells that open a block of rows, shown on its first row only.
fn leading<const N: usize>(first: bool, cells: [String; N]) -> Vec<String> {
    cells
        .into_iter()
        .map(|c| if first { c } else { String::new() })
        .collect()
}

fn period(p: &Option<String>) -> String {
    p.clone().unwrap_or_default()
}

/// CSV: one row per survey, unit × period and estimate (full precision; empty when missing).
pub fn csv(surveys: &[SurveyEstimates]) -> String {
    let mut table = Table::new()
        .left("survey")
        .left("unit")
        .left("period")
        .right("n")
        .right("sum_weights")
        .left("estimate")
        .right("mean")
        .right("se")
        .right("lower")
        .right("upper")
        .right("no_answer");
    let cell = |x: Option<f64>| {
        x.filter(|v| v.is_finite())
            .map_or(String::new(), |v| v.to_string())
    };
    for s in surveys {
        for u in &s.units {
            for (name, e) in &u.estimates {
                table.row([
                    s.id.clone(),
                    u.unit.clone(),
                    period(&u.period),
                    u.n.to_string(),
                    u.sum_weights.to_string(),
                    name.clone(),
                    cell(e.mean),
                    cell(e.se),
                    cell(e.lower),
                    cell(e.upper),
                    e.no_answer.to_string(),
                ]);
            }
        }
    }
    table.render_csv(false)
}

/// The text report: per survey, the estimates (a row per unit × period and estimate), the
/// reliability of each dimension per period, and the flags.
pub fn table(surveys: &[SurveyEstimates], width: Option<usize>) -> String {
    let mut out = String::new();
    for (k, s) in surveys.iter().enumerate() {
        if k > 0 {
            out.push('\n');
        }
        let respondents: usize = s.units.iter().map(|u| u.n).sum();
        out.push_str(&format!(
            "survey {}: {respondents} respondents in {} units × periods\n\n",
            s.id,
            s.units.len()
        ));
        let mut t = Table::new()
            .key_left("unit")
            .key_left("period")
            .right("n")
            .right("Σw")
            .key_left("estimate")
            .right("mean")
            .right("SE")
            .right("95% interval")
            .right("no answer")
            .align_headings();
        for u in &s.units {
            for (j, (name, e)) in u.estimates.iter().enumerate() {
                let first = j == 0;
                let interval = match (e.lower, e.upper) {
                    (Some(l), Some(h)) => format!("{l:.2}–{h:.2}"),
                    _ => "-".into(),
                };
                let mut row = leading(
                    first,
                    [
                        u.unit.clone(),
                        period(&u.period),
                        u.n.to_string(),
                        format!("{:.1}", u.sum_weights),
                    ],
                );
                row.extend([
                    name.clone(),
                    fixed(e.mean, 2),
                    fixed(e.se, 2),
                    interval,
                    format!("{:.1}%", e.no_answer * 100.0),
                ]);
                t.row(row);
            }
        }
        out.push_str(&t.render_text(width));
        out.push_str(&format!(
            "\nmean: the weighted mean on 0..100; SE: Taylor-linearised standard error; \
             95% interval: mean ± {Z95}·SE;\nno answer: the unweighted share of respondents \
             without a value.\n\n"
        ));
        let mut r = Table::new()
            .key_left("dimension")
            .left("period")
            .right("alpha")
            .left("item")
            .right("item-rest r")
            .align_headings();
        for d in &s.dimensions {
            for (j, i) in d.items.iter().enumerate() {
                let first = j == 0;
                let mut row = leading(first, [d.id.clone(), period(&d.period), fixed(d.alpha, 3)]);
                row.extend([i.id.clone(), fixed(i.item_rest, 3)]);
                r.row(row);
            }
        }
        out.push_str(&r.render_text(width));
        out.push_str(
            "\nalpha: Cronbach's alpha of the item scores over the respondents who answered every \
             item (unweighted);\nitem-rest r: each item's correlation with the sum of the \
             others.\n",
        );
        if s.warnings.is_empty() {
            out.push_str("\nno flags\n");
        } else {
            out.push_str("\nflags:\n");
            for w in &s.warnings {
                out.push_str(&format!("  - {w}\n"));
            }
        }
    }
    out
}

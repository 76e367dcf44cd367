//! Renderers of `qindex uncertainty`.

use super::table::Table;
use crate::sensitivity::uncertainty::Summary;
use serde_json::{json, Value};

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
        "samples": s.samples,
        "seed": s.seed,
        "top_n": s.top_n,
        "period": s.period,
        "factors": s.factors,
        "marc": opt(s.marc),
        "units": units,
        "notes": s.notes,
    });
    super::json::document("uncertainty", 1, &v)
}

fn fmt(x: Option<f64>, decimals: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "-".into(),
    }
}

/// CSV, one row per unit, the JSON's columns.
pub fn csv(s: &Summary) -> String {
    let mut table = Table::new().left("unit");
    for h in [
        "nominal_rank",
        "median_rank",
        "mean_rank",
        "p05_rank",
        "p95_rank",
        "width",
        "p_top",
        "mean_score",
        "sd_score",
    ] {
        table = table.right(h);
    }
    let cell = |x: Option<f64>| {
        x.filter(|v| v.is_finite())
            .map_or(String::new(), |v| v.to_string())
    };
    for u in &s.units {
        table.row([
            u.unit.clone(),
            u.nominal_rank.map_or(String::new(), |r| r.to_string()),
            cell(u.median_rank),
            cell(u.mean_rank),
            cell(u.p05_rank),
            cell(u.p95_rank),
            cell(u.width),
            u.p_top.to_string(),
            cell(u.mean_score),
            cell(u.sd_score),
        ]);
    }
    table.render_csv(false)
}

/// The table: units by nominal rank, aligned by display width.
pub fn table(s: &Summary) -> String {
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
    let mut table = Table::new()
        .key_right("rank")
        .key_left("unit")
        .right("median")
        .right("p05")
        .right("p95")
        .right("width")
        .right(format!("P(top {})", s.top_n))
        .right("mean score")
        .right("sd")
        .align_headings();
    for u in &s.units {
        let name = match &u.label {
            Some(l) if *l != u.unit && !l.is_empty() => format!("{l} ({})", u.unit),
            _ => u.unit.clone(),
        };
        table.row([
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
    out.push_str(&table.render_text(None));
    if !s.notes.is_empty() {
        out.push('\n');
        for n in &s.notes {
            out.push_str(&format!("note: {n}\n"));
        }
    }
    out
}

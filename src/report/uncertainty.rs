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
        "survey_alone": s.survey_alone.as_ref().map(|a| json!({
            "factors": a.factors,
            "samples": a.samples,
            "units": a.units.iter().map(|u| json!({
                "unit": u.unit,
                "p05_rank": opt(u.p05_rank),
                "p95_rank": opt(u.p95_rank),
            })).collect::<Vec<_>>(),
            "swaps": a.swaps.iter().map(|w| json!({
                "higher": w.higher,
                "higher_rank": w.higher_rank,
                "lower": w.lower,
                "lower_rank": w.lower_rank,
                "share": w.share,
            })).collect::<Vec<_>>(),
        })),
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
    let alone = s.survey_alone.as_ref();
    if alone.is_some() {
        table = table.right("survey_p05_rank").right("survey_p95_rank");
    }
    let cell = |x: Option<f64>| {
        x.filter(|v| v.is_finite())
            .map_or(String::new(), |v| v.to_string())
    };
    for (k, u) in s.units.iter().enumerate() {
        let mut row = vec![
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
        ];
        if let Some(a) = alone {
            row.push(cell(a.units[k].p05_rank));
            row.push(cell(a.units[k].p95_rank));
        }
        table.row(row);
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
    if let Some(a) = &s.survey_alone {
        out.push_str(&survey_alone_text(s, a));
    }
    if !s.notes.is_empty() {
        out.push('\n');
        for n in &s.notes {
            out.push_str(&format!("note: {n}\n"));
        }
    }
    out
}

/// The survey-alone section of the table: the pairs the survey's sampling error swaps.
fn survey_alone_text(s: &Summary, a: &crate::sensitivity::uncertainty::SurveyAlone) -> String {
    let mut out = format!(
        "\nthe survey's sampling error alone ({}; every other factor nominal; {} replications):\n",
        a.factors.join(", "),
        a.samples
    );
    let moving = a
        .units
        .iter()
        .filter(|u| u.p05_rank.zip(u.p95_rank).is_some_and(|(lo, hi)| hi > lo))
        .count();
    let ranked = a.units.iter().filter(|u| u.p05_rank.is_some()).count();
    out.push_str(&format!(
        "  {moving} of {ranked} ranked units have a 5–95% rank interval that spans more than one rank\n"
    ));
    if a.swaps.is_empty() {
        out.push_str(&format!(
            "  it reverses no pair of units in {:.0}% or more of the replications\n",
            crate::sensitivity::uncertainty::SWAP_SHARE * 100.0
        ));
        return out;
    }
    out.push_str(&format!(
        "  pairs whose order it reverses in {:.0}% or more of the replications:\n\n",
        crate::sensitivity::uncertainty::SWAP_SHARE * 100.0
    ));
    let name = |unit: &str| -> String {
        match s
            .units
            .iter()
            .find(|u| u.unit == unit)
            .and_then(|u| u.label.as_ref())
        {
            Some(l) if l != unit && !l.is_empty() => format!("{l} ({unit})"),
            _ => unit.to_string(),
        }
    };
    let mut table = Table::new()
        .key_right("rank")
        .key_left("unit")
        .right("rank ")
        .left("swaps with")
        .right("share")
        .align_headings();
    for w in &a.swaps {
        table.row([
            w.higher_rank.to_string(),
            name(&w.higher),
            w.lower_rank.to_string(),
            name(&w.lower),
            format!("{:.0}%", w.share * 100.0),
        ]);
    }
    out.push_str(&table.render_text(None));
    out
}

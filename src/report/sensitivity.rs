//! Renderers of `qindex sensitivity`.

use super::table::{Align, Table};
use crate::sensitivity::indices::{Report, Target};
use serde_json::{json, Value};

fn num(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

/// `qindex.sensitivity/1` (see docs/sensitivity-json.md).
pub fn json(r: &Report) -> String {
    let arr = |v: &[f64]| Value::Array(v.iter().map(|x| num(*x)).collect());
    let indices: Vec<Value> = r
        .entries
        .iter()
        .map(|e| {
            json!({
                "unit": e.unit,
                "S1": arr(&e.s1),
                "ST": arr(&e.st),
                "S1_conf": arr(&e.s1_conf),
                "ST_conf": arr(&e.st_conf),
            })
        })
        .collect();
    let v = json!({
        "samples": r.samples,
        "seed": r.seed,
        "period": r.period,
        "target": r.target.name(),
        "factors": r.factors,
        "evaluations": r.evaluations,
        "indices": indices,
        "notes": r.notes,
    });
    super::json::document("sensitivity", 1, &v)
}

/// CSV: one row per output and factor.
pub fn csv(r: &Report) -> String {
    let mut table = Table::new()
        .left("unit")
        .left("factor")
        .right("S1")
        .right("S1_conf")
        .right("ST")
        .right("ST_conf");
    let cell = |x: f64| {
        if x.is_finite() {
            x.to_string()
        } else {
            String::new()
        }
    };
    for e in &r.entries {
        for (i, f) in r.factors.iter().enumerate() {
            table.row([
                e.unit.clone().unwrap_or_default(),
                f.clone(),
                cell(e.s1[i]),
                cell(e.s1_conf[i]),
                cell(e.st[i]),
                cell(e.st_conf[i]),
            ]);
        }
    }
    table.render_csv(false)
}

fn fmt2(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "-".into()
    }
}

/// The table: each factor's indices (for `rank` and `score`: averaged over the units, with the
/// number of units it drives most), then the units with their leading factor.
pub fn table(r: &Report) -> String {
    let mut out = format!(
        "sensitivity of the {}: {} base samples, {} evaluations, seed {}{}\n\n",
        match r.target {
            Target::Marc => "MARC (mean absolute rank change)",
            Target::Rank => "units' ranks",
            Target::Score => "units' scores",
        },
        r.samples,
        r.evaluations,
        r.seed,
        r.period
            .as_ref()
            .map_or(String::new(), |p| format!(", period {p}"))
    );
    let per_unit = r.target != Target::Marc;
    let mut rows: Vec<Vec<String>> = vec![if per_unit {
        vec![
            "factor".into(),
            "mean S1".into(),
            "mean ST".into(),
            "leads".into(),
        ]
    } else {
        vec![
            "factor".into(),
            "S1".into(),
            "±".into(),
            "ST".into(),
            "±".into(),
        ]
    }];
    for (i, f) in r.factors.iter().enumerate() {
        if per_unit {
            rows.push(vec![
                f.clone(),
                fmt2(r.mean_s1[i]),
                fmt2(r.mean_st[i]),
                r.leads[i].to_string(),
            ]);
        } else {
            let e = &r.entries[0];
            rows.push(vec![
                f.clone(),
                fmt2(e.s1[i]),
                fmt2(e.s1_conf[i]),
                fmt2(e.st[i]),
                fmt2(e.st_conf[i]),
            ]);
        }
    }
    align(&mut out, &rows);
    if per_unit {
        out.push_str(
            "\nleads: the number of units whose total index is largest for the factor\n\n",
        );
        let mut rows: Vec<Vec<String>> = vec![vec![
            "rank".into(),
            "unit".into(),
            "leading factor".into(),
            "S1".into(),
            "ST".into(),
        ]];
        for e in &r.entries {
            let l = &e.leading;
            let name = match (&e.label, &e.unit) {
                (Some(l), Some(u)) if l != u && !l.is_empty() => format!("{l} ({u})"),
                (_, Some(u)) => u.clone(),
                _ => String::new(),
            };
            rows.push(vec![
                e.nominal_rank.map_or("-".into(), |r| r.to_string()),
                name,
                l.map_or("-".into(), |i| r.factors[i].clone()),
                l.map_or("-".into(), |i| fmt2(e.s1[i])),
                l.map_or("-".into(), |i| fmt2(e.st[i])),
            ]);
        }
        align(&mut out, &rows);
    }
    if !r.notes.is_empty() {
        out.push('\n');
        for n in &r.notes {
            out.push_str(&format!("note: {n}\n"));
        }
    }
    out
}

/// Appends rows (the first the headings) as columns aligned by display width: text columns
/// left, numbers right.
fn align(out: &mut String, rows: &[Vec<String>]) {
    let Some(head) = rows.first() else { return };
    let numeric = |c: usize| {
        rows.iter()
            .skip(1)
            .all(|r| r[c] == "-" || r[c].parse::<f64>().is_ok())
    };
    let mut table = Table::new().align_headings();
    for (c, h) in head.iter().enumerate() {
        table = table.column(
            h.clone(),
            if numeric(c) {
                Align::Right
            } else {
                Align::Left
            },
        );
    }
    for r in rows.iter().skip(1) {
        table.row(r.clone());
    }
    out.push_str(&table.render_text(None));
}

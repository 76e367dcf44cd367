//! Renderers of `qindex compare`: the comparison and the score-change decomposition.

use super::table::Table;
use crate::analysis::compare::{Comparison, Decomposition, Mover, Part, UnitRow};

fn num(x: Option<f64>, d: usize) -> String {
    x.map_or("—".into(), |v| format!("{v:.d$}"))
}

/// The comparison as text: ranks side by side (sorted by the first scheme), then the pairs,
/// the movers and the top-N changes.
pub fn text(c: &Comparison, width: Option<usize>) -> String {
    let mut out = String::new();
    if let Some(p) = &c.period {
        out.push_str(&format!("period {p}\n"));
    } else if c.periods.iter().any(Option::is_some) {
        let ps: Vec<&str> = c
            .periods
            .iter()
            .map(|p| p.as_deref().unwrap_or("—"))
            .collect();
        out.push_str(&format!(
            "periods {} (the first is the baseline)\n",
            ps.join(" → ")
        ));
    }
    let mut table = Table::new().key_left("unit").left("label").max_width(20);
    for s in &c.schemes {
        table = table.right(s.clone());
    }
    for s in c.schemes.iter().skip(1) {
        table = table.right(format!("Δ {s}"));
    }
    let mut order: Vec<&UnitRow> = c.units.iter().collect();
    order.sort_by_key(|u| (u.ranks[0].unwrap_or(u32::MAX), u.unit.clone()));
    for u in order {
        let mut row = vec![u.unit.clone(), u.label.clone().unwrap_or_default()];
        for r in &u.ranks {
            row.push(r.map_or("—".into(), |r| r.to_string()));
        }
        for s in u.shift.iter().skip(1) {
            row.push(match s {
                Some(0) => "=".into(),
                Some(d) if *d > 0 => format!("+{d}"),
                Some(d) => d.to_string(),
                None => "—".into(),
            });
        }
        table.row(row);
    }
    out.push_str(&table.render_text(width));
    out.push_str("\nrank agreement (units ranked under both)\n");
    for p in &c.pairs {
        out.push_str(&format!(
            "  {} vs {}: Spearman {}, Kendall tau-b {}, mean |rank shift| {} (n = {})\n",
            p.a,
            p.b,
            num(p.spearman, 3),
            num(p.kendall, 3),
            num(p.mean_abs_shift, 2),
            p.n
        ));
    }
    let movers = |title: &str, list: &[Mover], out: &mut String| {
        if list.is_empty() {
            return;
        }
        out.push_str(&format!("\n{title}\n"));
        for m in list {
            out.push_str(&format!(
                "  {} {}  {} → {} under {} ({:+})\n",
                m.unit,
                m.label.as_deref().unwrap_or(""),
                m.from,
                m.to,
                m.scheme,
                m.shift
            ));
        }
    };
    movers(
        &format!("biggest movers up (against {})", c.schemes[0]),
        &c.movers.up,
        &mut out,
    );
    movers(
        &format!("biggest movers down (against {})", c.schemes[0]),
        &c.movers.down,
        &mut out,
    );
    for t in &c.top_changes {
        if t.entering.is_empty() && t.leaving.is_empty() {
            out.push_str(&format!(
                "\ntop {} under {}: the same units\n",
                c.top_n, t.scheme
            ));
        } else {
            out.push_str(&format!(
                "\ntop {} under {}: entering {}; leaving {}\n",
                c.top_n,
                t.scheme,
                if t.entering.is_empty() {
                    "none".into()
                } else {
                    t.entering.join(", ")
                },
                if t.leaving.is_empty() {
                    "none".into()
                } else {
                    t.leaving.join(", ")
                }
            ));
        }
    }
    out
}

/// CSV: unit, label, then rank, score and shift per scheme.
pub fn csv(c: &Comparison) -> String {
    let mut table = Table::new().left("unit").left("label");
    for s in &c.schemes {
        table = table
            .right(format!("rank_{s}"))
            .right(format!("score_{s}"))
            .right(format!("shift_{s}"));
    }
    for u in &c.units {
        let mut row = vec![u.unit.clone(), u.label.clone().unwrap_or_default()];
        for k in 0..c.schemes.len() {
            row.push(u.ranks[k].map_or(String::new(), |r| r.to_string()));
            row.push(u.scores[k].map_or(String::new(), |x| x.to_string()));
            row.push(u.shift[k].map_or(String::new(), |x| x.to_string()));
        }
        table.row(row);
    }
    table.render_csv(true)
}

/// JSON `qindex.compare/1`, documented in `docs/compare-json.md`.
pub fn json(c: &Comparison) -> String {
    json_explained(c, None)
}

/// JSON `qindex.compare/1` with the decompositions of `compare --explain` under
/// `explanations`, so that the output stays one document.
pub fn json_explained(c: &Comparison, explanations: Option<&[Decomposition]>) -> String {
    use serde_json::{json, Map, Value};
    let by_scheme = |vals: Vec<Value>| -> Value {
        let mut m = Map::new();
        for (s, v) in c.schemes.iter().zip(vals) {
            m.insert(s.clone(), v);
        }
        Value::Object(m)
    };
    let units: Vec<Value> = c
        .units
        .iter()
        .map(|u| {
            json!({
                "unit": u.unit,
                "label": u.label,
                "ranks": by_scheme(u.ranks.iter().map(|r| json!(r)).collect()),
                "scores": by_scheme(u.scores.iter().map(|r| json!(r)).collect()),
                "shift": by_scheme(u.shift.iter().map(|r| json!(r)).collect()),
            })
        })
        .collect();
    let mut v = json!({
        "schemes": c.schemes,
        "period": c.period,
        "periods": c.periods,
        "top_n": c.top_n,
        "units": units,
        "pairs": c.pairs,
        "movers": c.movers,
        "top_changes": c.top_changes,
    });
    if let Some(d) = explanations {
        v["explanations"] = json!(d);
    }
    super::json::document("compare", 1, &v)
}

/// The decomposition as text: the index's children, then the deeper parts, largest first.
pub fn decomposition_text(d: &Decomposition) -> String {
    let mut out = format!(
        "why {} moved: {} {} (rank {}) → {} {} (rank {})\n",
        d.unit,
        d.a,
        num(d.score_a, 2),
        d.rank_a.map_or("—".into(), |r| r.to_string()),
        d.b,
        num(d.score_b, 2),
        d.rank_b.map_or("—".into(), |r| r.to_string()),
    );
    let top: Vec<&Part> = d.parts.iter().filter(|p| p.depth == 1).collect();
    let mut rows: Vec<&Part> = top.clone();
    rows.sort_by(|x, y| {
        (y.weight_effect + y.value_effect)
            .abs()
            .total_cmp(&(x.weight_effect + x.value_effect).abs())
    });
    let mut table = Table::new()
        .key_left("node")
        .left("label")
        .max_width(20)
        .right("weights")
        .right("values")
        .right("total");
    let f = |x: f64| format!("{x:+.2}");
    for p in &rows {
        table.row([
            p.node.clone(),
            p.label.clone().unwrap_or_default(),
            f(p.weight_effect),
            f(p.value_effect),
            f(p.weight_effect + p.value_effect),
        ]);
    }
    let total: f64 = top.iter().map(|p| p.weight_effect + p.value_effect).sum();
    table.row(["adjustments", "", "", "", &f(d.adjustments)]);
    // What the parts do not explain (a group that is not arithmetic, the index among them)
    // is shown as such, so the rows add up to the real change.
    if !d.not_split.is_empty() && d.not_split_change != 0.0 {
        table.row([
            "not split".into(),
            d.not_split.join(", "),
            String::new(),
            String::new(),
            f(d.not_split_change),
        ]);
    }
    table.row([
        "score change",
        "",
        "",
        "",
        &f(total + d.adjustments + d.not_split_change),
    ]);
    out.push_str(&table.render_text(None));
    let mut deeper: Vec<&Part> = d.parts.iter().filter(|p| p.depth > 1).collect();
    deeper.sort_by(|x, y| {
        (y.weight_effect + y.value_effect)
            .abs()
            .total_cmp(&(x.weight_effect + x.value_effect).abs())
    });
    if !deeper.is_empty() {
        out.push_str("\nlargest parts below the top level\n");
        for p in deeper.iter().take(8) {
            out.push_str(&format!(
                "  {} {}  weights {}  values {}\n",
                p.node,
                p.label.as_deref().unwrap_or(""),
                f(p.weight_effect),
                f(p.value_effect)
            ));
        }
    }
    if !d.not_split.is_empty() {
        out.push_str(&format!(
            "\nnot split (aggregation not arithmetic, so a change in it has no exact split by node): {}\n",
            d.not_split.join(", ")
        ));
    }
    out
}

/// `qindex compare`'s table: the comparison, each version's orientation (nominal weight /
/// importance by tag), then the decompositions of the units explained.
pub fn text_explained(
    c: &Comparison,
    orientations: &[crate::analysis::orientation::Orientation],
    explained: &[Decomposition],
    width: Option<usize>,
) -> String {
    let mut out = text(c, width);
    out.push_str(
        "\norientation: nominal weight / importance in the data (see `qindex orientation`)\n",
    );
    for (o, name) in orientations.iter().zip(&c.schemes) {
        let parts: Vec<String> = o
            .tags
            .iter()
            .map(|t| {
                format!(
                    "{} {:.0}% / {:.0}%",
                    t.tag.as_deref().unwrap_or("untagged"),
                    t.nominal * 100.0,
                    t.importance * 100.0
                )
            })
            .collect();
        // The compared versions' names: schemes, or periods with --since.
        out.push_str(&format!("  {name}: {}\n", parts.join(", ")));
    }
    for d in explained {
        out.push('\n');
        out.push_str(&decomposition_text(d));
    }
    out
}

/// `qindex diff`'s text: the review of the plans' and results' differences, then why the
/// biggest movers moved.
pub fn diff_text(d: &crate::analysis::compare::Diff) -> String {
    let mut out = format!("{} → {} (scheme {})\n\n", d.old, d.new, d.scheme);
    match &d.review {
        None => out.push_str("no difference in the plan or the results\n"),
        Some(review) => out.push_str(review),
    }
    for e in &d.explanations {
        out.push('\n');
        out.push_str(&decomposition_text(e));
    }
    out
}

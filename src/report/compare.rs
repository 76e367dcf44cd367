//! `qindex compare`: each unit's score and rank under several schemes, the rank correlations
//! between schemes, and who moves.

use super::{csv_field, guard_formula, pad, pad_left, truncate_to_width};
use crate::data::Frame;
use crate::diagnostics::display_width;
use crate::eval::PeriodResult;
use crate::methods::stats;
use serde::Serialize;

/// How many movers each list shows.
pub const MOVERS: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub schemes: Vec<String>,
    /// The period, when every compared result is of the same one.
    pub period: Option<String>,
    /// The period of each compared result, in the order of `schemes` (two periods with
    /// `--since`).
    pub periods: Vec<Option<String>>,
    pub top_n: usize,
    pub units: Vec<UnitRow>,
    pub pairs: Vec<Pair>,
    pub movers: Movers,
    /// Per scheme after the first: units entering and leaving the top N against the first.
    pub top_changes: Vec<TopChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitRow {
    pub unit: String,
    pub label: Option<String>,
    /// By scheme, in the order of `schemes`; `None` when unranked (vetoed, missing, not a unit).
    pub ranks: Vec<Option<u32>>,
    pub scores: Vec<Option<f64>>,
    /// Rank under the first scheme minus rank under each scheme: positive = moved up.
    pub shift: Vec<Option<i64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    pub a: String,
    pub b: String,
    /// Units ranked under both.
    pub n: usize,
    pub spearman: Option<f64>,
    pub kendall: Option<f64>,
    pub mean_abs_shift: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mover {
    pub unit: String,
    pub label: Option<String>,
    pub scheme: String,
    pub from: u32,
    pub to: u32,
    pub shift: i64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Movers {
    pub up: Vec<Mover>,
    pub down: Vec<Mover>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopChange {
    pub scheme: String,
    pub entering: Vec<String>,
    pub leaving: Vec<String>,
}

fn opt(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Compares results over the same data: one period under several schemes, or one scheme in two
/// periods (`names` label them). The first is the baseline of the shifts; units are matched by
/// id, and those ranked in the baseline are listed.
pub fn compare(
    frame: &Frame,
    schemes: &[String],
    results: &[&PeriodResult],
    top_n: usize,
) -> Comparison {
    let base = results[0];
    let label = |row: usize| frame.labels().map(|l| l.get(row).to_string());
    // Results are aligned by unit id, so that two periods (different rows) compare too.
    let index: Vec<std::collections::HashMap<&str, usize>> = results
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| (frame.units().get(r.rows[i]), i))
                .collect()
        })
        .collect();
    let units: Vec<UnitRow> = (0..base.len())
        .filter(|i| base.is_unit[*i])
        .map(|i| {
            let row = base.rows[i];
            let unit = frame.units().get(row);
            let at: Vec<Option<usize>> = index.iter().map(|m| m.get(unit).copied()).collect();
            let ranks: Vec<Option<u32>> = results
                .iter()
                .zip(&at)
                .map(|(r, k)| k.and_then(|k| (r.final_rank[k] != 0).then_some(r.final_rank[k])))
                .collect();
            let scores = results
                .iter()
                .zip(&at)
                .map(|(r, k)| k.and_then(|k| opt(r.score[k])))
                .collect();
            let shift = ranks
                .iter()
                .map(|r| match (ranks[0], r) {
                    (Some(a), Some(b)) => Some(a as i64 - *b as i64),
                    _ => None,
                })
                .collect();
            UnitRow {
                unit: unit.to_string(),
                label: label(row),
                ranks,
                scores,
                shift,
            }
        })
        .collect();
    let mut pairs = Vec::new();
    for a in 0..schemes.len() {
        for b in a + 1..schemes.len() {
            let both: Vec<&UnitRow> = units
                .iter()
                .filter(|u| u.ranks[a].is_some() && u.ranks[b].is_some())
                .collect();
            let xa: Vec<f64> = both
                .iter()
                .map(|u| u.scores[a].unwrap_or(f64::NAN))
                .collect();
            let xb: Vec<f64> = both
                .iter()
                .map(|u| u.scores[b].unwrap_or(f64::NAN))
                .collect();
            let shifts: Vec<f64> = both
                .iter()
                .map(|u| (u.ranks[a].unwrap_or(0) as f64 - u.ranks[b].unwrap_or(0) as f64).abs())
                .collect();
            pairs.push(Pair {
                a: schemes[a].clone(),
                b: schemes[b].clone(),
                n: both.len(),
                spearman: opt(stats::spearman(&xa, &xb)),
                kendall: opt(stats::kendall_tau_b(&xa, &xb)),
                mean_abs_shift: opt(stats::mean(&shifts)),
            });
        }
    }
    let mut all: Vec<Mover> = Vec::new();
    for (s, scheme) in schemes.iter().enumerate().skip(1) {
        for u in &units {
            if let (Some(from), Some(to), Some(shift)) = (u.ranks[0], u.ranks[s], u.shift[s]) {
                all.push(Mover {
                    unit: u.unit.clone(),
                    label: u.label.clone(),
                    scheme: scheme.clone(),
                    from,
                    to,
                    shift,
                });
            }
        }
    }
    let mut up: Vec<Mover> = all.iter().filter(|m| m.shift > 0).cloned().collect();
    up.sort_by(|a, b| {
        b.shift
            .cmp(&a.shift)
            .then(a.to.cmp(&b.to))
            .then(a.unit.cmp(&b.unit))
    });
    up.truncate(MOVERS);
    let mut down: Vec<Mover> = all.iter().filter(|m| m.shift < 0).cloned().collect();
    down.sort_by(|a, b| {
        a.shift
            .cmp(&b.shift)
            .then(a.to.cmp(&b.to))
            .then(a.unit.cmp(&b.unit))
    });
    down.truncate(MOVERS);
    let in_top = |s: usize| -> Vec<&str> {
        units
            .iter()
            .filter(|u| u.ranks[s].is_some_and(|r| r as usize <= top_n))
            .map(|u| u.unit.as_str())
            .collect()
    };
    let top_changes = (1..schemes.len())
        .map(|s| {
            let (before, after) = (in_top(0), in_top(s));
            TopChange {
                scheme: schemes[s].clone(),
                entering: after
                    .iter()
                    .filter(|u| !before.contains(u))
                    .map(|u| u.to_string())
                    .collect(),
                leaving: before
                    .iter()
                    .filter(|u| !after.contains(u))
                    .map(|u| u.to_string())
                    .collect(),
            }
        })
        .collect();
    let periods: Vec<Option<String>> = results.iter().map(|r| r.period.clone()).collect();
    Comparison {
        schemes: schemes.to_vec(),
        period: if periods.iter().all(|p| *p == base.period) {
            base.period.clone()
        } else {
            None
        },
        periods,
        top_n,
        units,
        pairs,
        movers: Movers { up, down },
        top_changes,
    }
}

fn num(x: Option<f64>, d: usize) -> String {
    x.map_or("—".into(), |v| format!("{v:.d$}"))
}

/// The comparison as text: ranks side by side (sorted by the first scheme), then the pairs,
/// the movers and the top-N changes.
pub fn text(c: &Comparison) -> String {
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
    let mut head = vec!["unit".to_string(), "label".to_string()];
    for s in &c.schemes {
        head.push(s.clone());
    }
    for s in c.schemes.iter().skip(1) {
        head.push(format!("Δ {s}"));
    }
    let mut order: Vec<&UnitRow> = c.units.iter().collect();
    order.sort_by_key(|u| (u.ranks[0].unwrap_or(u32::MAX), u.unit.clone()));
    let mut grid = vec![head];
    for u in order {
        let mut row = vec![
            u.unit.clone(),
            truncate_to_width(u.label.as_deref().unwrap_or(""), 20),
        ];
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
        grid.push(row);
    }
    let widths: Vec<usize> = (0..grid[0].len())
        .map(|k| grid.iter().map(|r| display_width(&r[k])).max().unwrap_or(0))
        .collect();
    for (i, row) in grid.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(k, cell)| {
                if k < 2 || i == 0 {
                    pad(cell, widths[k])
                } else {
                    pad_left(cell, widths[k])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
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
    let mut head = vec!["unit".to_string(), "label".to_string()];
    for s in &c.schemes {
        head.push(format!("rank_{s}"));
        head.push(format!("score_{s}"));
        head.push(format!("shift_{s}"));
    }
    let mut out = head
        .iter()
        .map(|h| csv_field(&guard_formula(h)))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for u in &c.units {
        let mut row = vec![
            csv_field(&guard_formula(&u.unit)),
            csv_field(&guard_formula(u.label.as_deref().unwrap_or(""))),
        ];
        for k in 0..c.schemes.len() {
            row.push(u.ranks[k].map_or(String::new(), |r| r.to_string()));
            row.push(u.scores[k].map_or(String::new(), |x| x.to_string()));
            row.push(u.shift[k].map_or(String::new(), |x| x.to_string()));
        }
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// JSON `qindex.compare/1`, documented in `docs/compare-json.md`.
pub fn json(c: &Comparison) -> String {
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
    let v = json!({
        "format": "qindex.compare/1",
        "schemes": c.schemes,
        "period": c.period,
        "periods": c.periods,
        "top_n": c.top_n,
        "units": units,
        "pairs": c.pairs,
        "movers": c.movers,
        "top_changes": c.top_changes,
    });
    let mut s = serde_json::to_string_pretty(&v).expect("plain data serialises");
    s.push('\n');
    s
}

/// One node's part in a unit's score change between two schemes.
#[derive(Debug, Clone, Serialize)]
pub struct Part {
    pub node: String,
    pub label: Option<String>,
    pub depth: u32,
    /// The part of the change due to the node's effective weight within its parent changing.
    pub weight_effect: f64,
    /// The part due to the node's value changing.
    pub value_effect: f64,
}

/// Why one unit's score changed between two schemes.
#[derive(Debug, Clone, Serialize)]
pub struct Decomposition {
    pub unit: String,
    pub a: String,
    pub b: String,
    pub score_a: Option<f64>,
    pub score_b: Option<f64>,
    pub rank_a: Option<u32>,
    pub rank_b: Option<u32>,
    /// The index's children, and below them the children of every arithmetic group.
    pub parts: Vec<Part>,
    /// The change from adjustments (bonus, penalty, veto cap).
    pub adjustments: f64,
    /// Groups whose aggregation is not arithmetic: their change is not split among children.
    pub not_split: Vec<String>,
    /// The part of the score change that the parts do not explain, because a group (the
    /// index, say) is not arithmetic: the parts, the adjustments and this add up to the real
    /// change.
    pub not_split_change: f64,
}

/// Splits a unit's score change between two schemes by node.
///
/// # Formula
/// An arithmetic group's score is S = Σₖ wₖxₖ with wₖ the effective weights (renormalised over
/// the children present). Its change splits exactly as
/// ΔS = Σₖ Δwₖ·(xₖ + x'ₖ)/2 + Σₖ Δxₖ·(wₖ + w'ₖ)/2,
/// the first sum being the effect of changed weights and the second of changed values (the
/// symmetric, Shapley split of a product). A child in one scheme only has weight 0 in the
/// other. Each child's value effect is split again among its own children when it is an
/// arithmetic group too, scaled by its weight (w + w')/2 in its parent.
pub fn decompose(
    frame: &Frame,
    plans: [&crate::plan::Plan; 2],
    results: [&PeriodResult; 2],
    unit: &str,
) -> Option<Decomposition> {
    let row = |r: &PeriodResult| (0..r.len()).find(|i| frame.units().get(r.rows[*i]) == unit);
    let (ia, ib) = (row(results[0])?, row(results[1])?);
    let mut parts = Vec::new();
    let mut not_split = Vec::new();
    // (node id, scale) pairs to split: the index first.
    let mut queue: Vec<(String, f64)> = vec![(plans[0].index.id.clone(), 1.0)];
    while let Some((id, scale)) = queue.pop() {
        let na = plans[0].find(&id);
        let nb = plans[1].find(&id);
        let group_of = |k: usize, n: Option<crate::plan::NodeId>| {
            n.and_then(|n| plans[k].node(n).group.as_ref().map(|g| g.aggregate))
        };
        let arithmetic = [group_of(0, na), group_of(1, nb)].iter().all(|g| {
            g.as_ref()
                .is_none_or(|g| *g == crate::plan::Aggregate::Arithmetic)
        });
        if !arithmetic {
            not_split.push(id);
            continue;
        }
        // Effective weights and values of the children, by child id, in each scheme.
        let kids =
            |k: usize, n: Option<crate::plan::NodeId>, i: usize| -> Vec<(String, f64, f64)> {
                let Some(n) = n else { return Vec::new() };
                let plan = plans[k];
                let r = results[k];
                let node = plan.node(n);
                let present: Vec<(String, f64, f64)> = node
                    .children
                    .iter()
                    .filter_map(|c| {
                        let x = r.value[c.index()][i];
                        let w = r.weights[c.index()];
                        (x.is_finite() && w.is_finite()).then(|| (plan.node(*c).id.clone(), w, x))
                    })
                    .collect();
                let (ws, xs): (Vec<f64>, Vec<f64>) = present.iter().map(|p| (p.1, p.2)).unzip();
                let shares = crate::methods::aggregate::renormalised_weights(&xs, &ws);
                present
                    .into_iter()
                    .zip(shares)
                    .map(|((c, _, x), share)| (c, share, x))
                    .collect()
            };
        let (ka, kb) = (kids(0, na, ia), kids(1, nb, ib));
        let mut ids: Vec<String> = ka.iter().map(|k| k.0.clone()).collect();
        for k in &kb {
            if !ids.contains(&k.0) {
                ids.push(k.0.clone());
            }
        }
        for c in ids {
            let (wa, xa) = ka
                .iter()
                .find(|k| k.0 == c)
                .map_or((0.0, 0.0), |k| (k.1, k.2));
            let (wb, xb) = kb
                .iter()
                .find(|k| k.0 == c)
                .map_or((0.0, 0.0), |k| (k.1, k.2));
            let (xa, xb) = match (ka.iter().any(|k| k.0 == c), kb.iter().any(|k| k.0 == c)) {
                (true, false) => (xa, xa),
                (false, true) => (xb, xb),
                _ => (xa, xb),
            };
            let node = plans[1]
                .find(&c)
                .map(|n| plans[1].node(n))
                .or_else(|| plans[0].find(&c).map(|n| plans[0].node(n)));
            let weight_effect = scale * (wb - wa) * (xa + xb) / 2.0;
            let value_effect = scale * (xb - xa) * (wa + wb) / 2.0;
            let is_group = node.is_some_and(|n| n.kind != crate::plan::NodeKind::Indicator);
            parts.push(Part {
                node: c.clone(),
                label: node.and_then(|n| n.label.clone()),
                depth: node.map_or(1, |n| n.depth),
                weight_effect,
                value_effect,
            });
            if is_group && value_effect != 0.0 {
                queue.push((c, scale * (wa + wb) / 2.0));
            }
        }
    }
    let (sa, sb) = (results[0].score[ia], results[1].score[ib]);
    let (va, vb) = (results[0].value[0][ia], results[1].value[0][ib]);
    let adjustments = (sb - vb) - (sa - va);
    let explained: f64 = parts
        .iter()
        .filter(|p| p.depth == 1)
        .map(|p| p.weight_effect + p.value_effect)
        .sum();
    let not_split_change = if sa.is_finite() && sb.is_finite() && !not_split.is_empty() {
        (sb - sa) - explained - adjustments
    } else {
        0.0
    };
    Some(Decomposition {
        unit: unit.to_string(),
        a: plans[0].scheme.clone(),
        b: plans[1].scheme.clone(),
        score_a: opt(sa),
        score_b: opt(sb),
        rank_a: (results[0].final_rank[ia] != 0).then_some(results[0].final_rank[ia]),
        rank_b: (results[1].final_rank[ib] != 0).then_some(results[1].final_rank[ib]),
        parts,
        adjustments,
        not_split,
        not_split_change,
    })
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
    let mut grid = vec![vec![
        "node".to_string(),
        "label".to_string(),
        "weights".to_string(),
        "values".to_string(),
        "total".to_string(),
    ]];
    let f = |x: f64| format!("{x:+.2}");
    for p in &rows {
        grid.push(vec![
            p.node.clone(),
            truncate_to_width(p.label.as_deref().unwrap_or(""), 20),
            f(p.weight_effect),
            f(p.value_effect),
            f(p.weight_effect + p.value_effect),
        ]);
    }
    let total: f64 = top.iter().map(|p| p.weight_effect + p.value_effect).sum();
    grid.push(vec![
        "adjustments".into(),
        String::new(),
        String::new(),
        String::new(),
        f(d.adjustments),
    ]);
    // What the parts do not explain (a group that is not arithmetic, the index among them)
    // is shown as such, so the rows add up to the real change.
    if !d.not_split.is_empty() && d.not_split_change != 0.0 {
        grid.push(vec![
            "not split".into(),
            truncate_to_width(&d.not_split.join(", "), 20),
            String::new(),
            String::new(),
            f(d.not_split_change),
        ]);
    }
    grid.push(vec![
        "score change".into(),
        String::new(),
        String::new(),
        String::new(),
        f(total + d.adjustments + d.not_split_change),
    ]);
    let widths: Vec<usize> = (0..5)
        .map(|k| grid.iter().map(|r| display_width(&r[k])).max().unwrap_or(0))
        .collect();
    for (i, row) in grid.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(k, c)| {
                if k < 2 || i == 0 {
                    pad(c, widths[k])
                } else {
                    pad_left(c, widths[k])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
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

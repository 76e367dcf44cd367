//! Renderers of `qindex profile`.

use super::table::{Align, Table};
use super::truncate_to_width;
use crate::analysis::profile::{NodeProfile, Profile, MIN_DISTINCT};
use crate::plan::NodeKind;
use serde::Serialize;

/// JSON `qindex.profile/1`, documented in `docs/profile-json.md`.
pub fn json(p: &Profile) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        qindex: &'static str,
        #[serde(flatten)]
        profile: &'a Profile,
    }
    let doc = Doc {
        qindex: env!("CARGO_PKG_VERSION"),
        profile: p,
    };
    super::json::document("profile", 1, &doc)
}

/// A score or value with two decimals (three on a scale of width 1 or less, as the HDI's
/// 0..1), or `—` when missing.
fn fixed(x: Option<f64>, scale: (f64, f64)) -> String {
    let d = if scale.1 - scale.0 <= 1.0 { 3 } else { 2 };
    x.map_or_else(|| "—".into(), |x| format!("{x:.d$}"))
}

/// A raw value as it would be written: up to four significant decimals below 1, two above.
fn raw_text(x: Option<f64>) -> String {
    let Some(x) = x else {
        return "—".into();
    };
    let s = if x.abs() < 1.0 {
        format!("{x:.4}")
    } else {
        format!("{x:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn signed(x: i64) -> String {
    match x {
        0 => "=".into(),
        x if x > 0 => format!("+{x}"),
        x => x.to_string(),
    }
}

fn rank_of(rank: Option<u32>, of: usize) -> String {
    rank.map_or_else(|| "—".into(), |r| format!("{r} of {of}"))
}

fn name(n: &NodeProfile) -> String {
    truncate_to_width(n.label.as_deref().unwrap_or(""), 30)
}

/// Lines of cells aligned by display width, the first row the headings; `right` says which
/// columns hold numbers.
fn grid(rows: &[Vec<String>], right: &[bool], indent: &str) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let ncol = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut table = Table::new().indent(indent);
    for k in 0..ncol {
        let heading = rows
            .first()
            .and_then(|r| r.get(k))
            .cloned()
            .unwrap_or_default();
        table = table.column(
            heading,
            if right.get(k).copied().unwrap_or(false) {
                Align::Right
            } else {
                Align::Left
            },
        );
    }
    for row in rows.iter().skip(1) {
        table.row(row.clone());
    }
    table.render_text(None)
}

/// The profile for a terminal: the headline, the groups, the strengths, weaknesses and
/// improvements, then every node by rank. Aligned by display width (CJK counts two columns).
pub fn text(p: &Profile) -> String {
    let mut out = String::new();
    let who = match &p.label {
        Some(l) => format!("{} {l}", p.unit),
        None => p.unit.clone(),
    };
    let index = match &p.index_label {
        Some(l) => format!("{} {l}", p.index),
        None => p.index.clone(),
    };
    out.push_str(&format!("Profile of {who} — {index}"));
    if p.scheme != "default" {
        out.push_str(&format!(", scheme {}", p.scheme));
    }
    if let Some(period) = &p.period {
        out.push_str(&format!(", period {period}"));
    }
    out.push('\n');
    let mut headline = format!("score {}, rank {}", fixed(p.score, p.scale), {
        match (p.rank, p.vetoed, p.ranked) {
            (Some(r), _, _) if p.units_vetoed > 0 => format!(
                "{r} of the {} ranked units ({} of the {} units vetoed: ranked on groups and indicators, not overall)",
                p.units_ranked, p.units_vetoed, p.units
            ),
            (Some(r), _, _) => format!("{r} of {}", p.units_ranked),
            (None, true, _) => "— (vetoed)".into(),
            (None, _, false) => "— (not a ranked unit)".into(),
            (None, _, _) => "—".into(),
        }
    });
    if let Some(prev) = &p.previous_period {
        headline.push_str(&format!(
            "; {prev}: score {}, rank {}",
            fixed(p.previous_score, p.scale),
            p.previous_rank
                .map_or_else(|| "—".to_string(), |r| r.to_string())
        ));
    }
    out.push_str(&headline);
    out.push_str("\n\n");

    let changes = p.previous_period.is_some();
    let groups: Vec<&NodeProfile> = p
        .nodes
        .iter()
        .filter(|n| n.kind != NodeKind::Indicator)
        .collect();
    if !groups.is_empty() {
        let mut rows = vec![vec![
            "group".to_string(),
            "".into(),
            "score".into(),
            "rank".into(),
        ]];
        if changes {
            rows[0].push("change".into());
        }
        for g in groups {
            let mut cells = vec![
                format!(
                    "{}{}",
                    "  ".repeat(g.depth.saturating_sub(1) as usize),
                    g.id
                ),
                name(g),
                fixed(g.value, p.scale),
                rank_of(g.rank, g.of),
            ];
            if changes {
                cells.push(g.rank_change.map(signed).unwrap_or_default());
            }
            rows.push(cells);
        }
        out.push_str("Groups\n");
        out.push_str(&grid(&rows, &[false, false, true, true, true], "  "));
        out.push('\n');
    }

    let short = |title: String, ids: &[String], out: &mut String| {
        out.push_str(&title);
        out.push('\n');
        if ids.is_empty() {
            out.push_str("  (none)\n\n");
            return;
        }
        let rows: Vec<Vec<String>> = ids
            .iter()
            .filter_map(|id| p.node(id))
            .map(|n| {
                vec![
                    rank_of(n.rank, n.of),
                    n.id.clone(),
                    name(n),
                    fixed(n.value, p.scale),
                ]
            })
            .collect();
        out.push_str(&grid(&rows, &[true, false, false, true], "  "));
        out.push('\n');
    };
    short("Strengths".into(), &p.strengths, &mut out);
    short("Weaknesses".into(), &p.weaknesses, &mut out);
    if let Some(prev) = &p.previous_period {
        out.push_str(&format!("Improvements since {prev}\n"));
        if p.improvements.is_empty() {
            out.push_str("  (none)\n");
        } else {
            let rows: Vec<Vec<String>> = p
                .improvements
                .iter()
                .filter_map(|id| p.node(id))
                .map(|n| {
                    let then = n.previous.as_ref();
                    vec![
                        n.rank_change.map(signed).unwrap_or_default(),
                        n.id.clone(),
                        name(n),
                        format!(
                            "rank {} → {}",
                            then.and_then(|s| s.rank)
                                .map_or_else(|| "—".to_string(), |r| r.to_string()),
                            n.rank.map_or_else(|| "—".to_string(), |r| r.to_string())
                        ),
                        format!(
                            "value {}",
                            n.value_change.map_or_else(
                                || "—".to_string(),
                                |d| format!("{}{d:.2}", if d >= 0.0 { "+" } else { "" })
                            )
                        ),
                    ]
                })
                .collect();
            out.push_str(&grid(&rows, &[true, false, false, false, false], "  "));
        }
        out.push('\n');
    }

    out.push_str("All indicators and groups by rank\n");
    let mut head: Vec<String> = ["", "rank", "id", "", "raw", "unit", "value"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if changes {
        head.push("change".into());
    }
    head.push("flags".into());
    let mut rows = vec![head];
    let unranked = p.nodes.iter().filter(|n| n.rank.is_none());
    let ordered = p.by_rank.iter().filter_map(|id| p.node(id)).chain(unranked);
    for n in ordered {
        let mark = if p.strengths.contains(&n.id) {
            "+"
        } else if p.weaknesses.contains(&n.id) {
            "-"
        } else if !n.compared {
            "·"
        } else {
            ""
        };
        let indicator = n.kind == NodeKind::Indicator;
        let mut cells = vec![
            mark.to_string(),
            rank_of(n.rank, n.of),
            n.id.clone(),
            name(n),
            if indicator {
                raw_text(n.raw)
            } else {
                String::new()
            },
            truncate_to_width(n.unit_of_measure.as_deref().unwrap_or(""), 12),
            fixed(n.value, p.scale),
        ];
        if changes {
            cells.push(n.rank_change.map(signed).unwrap_or_default());
        }
        let mut fl: Vec<&str> = n.flags.clone();
        if !indicator {
            fl.insert(0, "group");
        }
        cells.push(fl.join(", "));
        rows.push(cells);
    }
    let mut right = vec![false, true, false, false, true, false, true];
    if changes {
        right.push(true);
    }
    out.push_str(&grid(&rows, &right, "  "));
    out.push_str(&format!(
        "  + strength, - weakness, · not compared ({MIN_DISTINCT} or fewer distinct values among the units, or imputed)\n"
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_values_read_briefly() {
        assert_eq!(raw_text(Some(95.5)), "95.5");
        assert_eq!(raw_text(Some(1200.0)), "1200");
        assert_eq!(raw_text(Some(0.01234)), "0.0123");
        assert_eq!(raw_text(None), "—");
    }
}

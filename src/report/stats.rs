//! Renderers of the coherence report (`qindex stats`): aligned text and `qindex.stats/1` JSON.

use super::table::{Align, Table};
use super::{one_line, truncate_to_width};
use crate::analysis::coherence::{Corr, GroupStats};
use crate::analysis::Coherence;
use crate::plan::Plan;
use serde::Serialize;

/// The widest a label may be in the indicator table, in display columns.
const LABEL_WIDTH: usize = 24;

/// A number with `d` decimals, or `—` when undefined (never `NaN`).
fn num(x: Option<f64>, d: usize) -> String {
    match x {
        Some(v) if v.is_finite() => {
            let s = format!("{v:.d$}");
            // `-0.00` reads as a sign that is not there.
            if s.trim_start_matches('-')
                .chars()
                .all(|c| c == '0' || c == '.')
            {
                s.trim_start_matches('-').to_string()
            } else {
                s
            }
        }
        _ => "—".to_string(),
    }
}

/// A raw value: 2 decimals, or 4 significant digits in scientific notation when very large
/// or very small, so that columns stay narrow.
fn raw(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() && v != 0.0 && !(1e-3..1e7).contains(&v.abs()) => {
            format!("{v:.3e}")
        }
        _ => num(x, 2),
    }
}

/// Columns of cells, the first row the headings: the first `left` columns left-aligned, the
/// rest right-aligned.
fn table(out: &mut String, indent: &str, rows: &[Vec<String>], left: usize) {
    let Some(head) = rows.first() else { return };
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut table = Table::new().indent(indent).align_headings();
    for c in 0..cols {
        let heading = head.get(c).cloned().unwrap_or_default();
        table = table.column(heading, if c < left { Align::Left } else { Align::Right });
    }
    for row in rows.iter().skip(1) {
        table.row(row.clone());
    }
    out.push_str(&table.render_text(None));
}

fn corr_text(c: &Corr) -> String {
    format!("{} / {}", num(c.pearson, 2), num(c.spearman, 2))
}

/// The text report: flags first, then the indicators, then each group.
pub fn text(plan: &Plan, c: &Coherence) -> String {
    let mut out = String::new();
    let index = &plan.index;
    out.push_str(&format!(
        "Coherence of `{}`{}{}{} — {} units\n",
        index.id,
        index
            .label
            .as_deref()
            .map(|l| format!(" {}", one_line(l)))
            .unwrap_or_default(),
        if plan.scheme == "default" {
            String::new()
        } else {
            format!(", scheme {}", plan.scheme)
        },
        c.period
            .as_deref()
            .map(|p| format!(", period {p}"))
            .unwrap_or_default(),
        c.units
    ));

    out.push_str(&format!("\nFlags ({})\n", c.flags.len()));
    if c.flags.is_empty() {
        out.push_str("  none\n");
    }
    for f in &c.flags {
        out.push_str(&format!("  - {}\n", f.message));
    }

    out.push_str("\nIndicators (raw values; r = Pearson / Spearman of the normalised value)\n");
    let mut rows = vec![[
        "id",
        "label",
        "group",
        "n",
        "missing",
        "mean",
        "sd",
        "min",
        "max",
        "skew",
        "kurt",
        "outlier",
        "imputed",
        "winsorised",
        "r group",
        "r index",
    ]
    .map(String::from)
    .to_vec()];
    for s in &c.indicators {
        rows.push(vec![
            s.id.clone(),
            truncate_to_width(&one_line(s.label.as_deref().unwrap_or("")), LABEL_WIDTH),
            s.parent.clone(),
            s.n.to_string(),
            format!("{:.0}%", s.missing_share * 100.0),
            raw(s.mean),
            raw(s.sd),
            raw(s.min),
            raw(s.max),
            num(s.skewness, 2),
            num(s.kurtosis, 2),
            if s.outlier { "yes" } else { "" }.to_string(),
            s.imputed.to_string(),
            s.winsorised.to_string(),
            corr_text(&s.with_parent),
            corr_text(&s.with_index),
        ]);
    }
    table(&mut out, "  ", &rows, 3);

    for g in &c.groups {
        group(&mut out, g);
    }
    out.push_str(&format!(
        "\nAll {} indicators: Cronbach's alpha {} over {} complete units\n",
        c.indicators.len(),
        num(c.index_alpha, 3),
        c.index_complete_units
    ));
    out
}

fn group(out: &mut String, g: &GroupStats) {
    out.push_str(&format!(
        "\n{} `{}`{}: {} children, {} complete units\n",
        match g.parent {
            None => "Index",
            Some(_) => "Group",
        },
        g.id,
        g.label
            .as_deref()
            .map(|l| format!(" {}", one_line(l)))
            .unwrap_or_default(),
        g.children.len(),
        g.complete_units
    ));
    if let (Some(p), Some(i), Some(parent)) = (&g.with_parent, &g.with_index, &g.parent) {
        if p == i {
            out.push_str(&format!("  r with the index: {}\n", corr_text(i)));
        } else {
            out.push_str(&format!(
                "  r with `{parent}`: {}   r with the index: {}\n",
                corr_text(p),
                corr_text(i)
            ));
        }
    }
    let bartlett = match &g.bartlett {
        Some(b) => format!(
            "chi² {} (df {}, p {})",
            num(Some(b.chi2), 2),
            b.df,
            if b.p_value < 1e-4 {
                "< 0.0001".to_string()
            } else {
                num(Some(b.p_value), 4)
            }
        ),
        None => "—".to_string(),
    };
    out.push_str(&format!(
        "  alpha {}   KMO {}   Bartlett {}\n",
        num(g.alpha, 3),
        num(g.kmo, 3),
        bartlett
    ));
    for n in &g.notes {
        out.push_str(&format!("  note: {n}\n"));
    }
    if g.children.len() >= 2 {
        out.push_str("  correlations (Pearson below the diagonal, Spearman above)\n");
        let k = g.children.len();
        let mut rows = vec![std::iter::once(String::new())
            .chain((1..=k).map(|i| i.to_string()))
            .collect::<Vec<_>>()];
        let at = |i: usize, j: usize| -> Corr {
            let (a, b) = if i < j { (i, j) } else { (j, i) };
            // Pairs are stored in order: (0,1), (0,2), ..., (1,2), ...
            let idx = a * (2 * k - a - 1) / 2 + (b - a - 1);
            g.pairs[idx].corr
        };
        for i in 0..k {
            let w = k.to_string().len();
            let mut row = vec![format!("{:>w$} {}", i + 1, g.children[i])];
            for j in 0..k {
                row.push(match j.cmp(&i) {
                    std::cmp::Ordering::Equal => "1".to_string(),
                    std::cmp::Ordering::Less => num(at(i, j).pearson, 2),
                    std::cmp::Ordering::Greater => num(at(i, j).spearman, 2),
                });
            }
            rows.push(row);
        }
        table(out, "    ", &rows, 1);
    }
    if let Some(p) = &g.pca {
        out.push_str("  principal components (loadings = unit eigenvectors)\n");
        let shown = p.eigenvalues.len().min(3);
        let mut rows = vec![std::iter::once(String::new())
            .chain((1..=shown).map(|c| format!("PC{c}")))
            .collect::<Vec<_>>()];
        rows.push(
            std::iter::once("eigenvalue".to_string())
                .chain(p.eigenvalues[..shown].iter().map(|v| num(Some(*v), 3)))
                .collect(),
        );
        rows.push(
            std::iter::once("explained".to_string())
                .chain(
                    p.explained[..shown]
                        .iter()
                        .map(|v| format!("{:.1}%", v * 100.0)),
                )
                .collect(),
        );
        for (v, child) in g.children.iter().enumerate() {
            rows.push(
                std::iter::once(child.clone())
                    .chain(p.loadings[..shown].iter().map(|l| num(Some(l[v]), 3)))
                    .collect(),
            );
        }
        table(out, "    ", &rows, 1);
    }
}

#[derive(Serialize)]
struct Json<'a> {
    qindex: &'static str,
    index: &'a str,
    index_label: Option<&'a str>,
    scheme: &'a str,
    #[serde(flatten)]
    coherence: &'a Coherence,
}

/// The `qindex.stats/1` JSON document (docs/stats-json.md).
pub fn json(plan: &Plan, c: &Coherence) -> String {
    let doc = Json {
        qindex: env!("CARGO_PKG_VERSION"),
        index: &plan.index.id,
        index_label: plan.index.label.as_deref(),
        scheme: &plan.scheme,
        coherence: c,
    };
    super::json::document("stats", 1, &doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_numbers_print_as_a_dash() {
        assert_eq!(num(None, 2), "—");
        assert_eq!(num(Some(f64::NAN), 2), "—");
        assert_eq!(num(Some(-0.001), 2), "0.00");
        assert_eq!(raw(Some(12345678.0)), "1.235e7");
    }
}

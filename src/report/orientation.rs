//! Renderers of `qindex orientation`.

use super::{pad, pad_left, truncate_to_width};
use crate::analysis::orientation::Orientation;
use crate::diagnostics::display_width;

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

pub fn text(o: &Orientation) -> String {
    let mut out = format!(
        "orientation of scheme {}{}\n\n",
        o.scheme,
        o.period
            .as_deref()
            .map(|p| format!(", period {p}"))
            .unwrap_or_default()
    );
    out.push_str("orientation   nominal weight  importance\n");
    for t in &o.tags {
        out.push_str(&format!(
            "{}  {}  {}\n",
            pad(t.tag.as_deref().unwrap_or("(untagged)"), 12),
            pad_left(&pct(t.nominal), 14),
            pad_left(&pct(t.importance), 10)
        ));
    }
    out.push_str("\nimportance is each indicator's squared correlation with the index, as a share (Paruolo, Saisana & Saltelli 2013)\n\n");
    let mut grid = vec![vec![
        "indicator".to_string(),
        "label".to_string(),
        "orientation".to_string(),
        "nominal".to_string(),
        "r".to_string(),
        "importance".to_string(),
        "ratio".to_string(),
        String::new(),
    ]];
    for r in &o.indicators {
        grid.push(vec![
            r.id.clone(),
            truncate_to_width(r.label.as_deref().unwrap_or(""), 24),
            r.tag.clone().unwrap_or_default(),
            pct(r.nominal),
            r.r.map_or("—".into(), |v| format!("{v:.2}")),
            pct(r.importance),
            r.ratio.map_or("—".into(), |v| format!("{v:.2}")),
            if r.silent {
                "silent".into()
            } else {
                String::new()
            },
        ]);
    }
    let widths: Vec<usize> = (0..grid[0].len())
        .map(|k| grid.iter().map(|r| display_width(&r[k])).max().unwrap_or(0))
        .collect();
    for (i, row) in grid.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(k, c)| {
                if k < 3 || k == 7 || i == 0 {
                    pad(c, widths[k])
                } else {
                    pad_left(c, widths[k])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    let silent: Vec<&str> = o
        .indicators
        .iter()
        .filter(|r| r.silent)
        .map(|r| r.id.as_str())
        .collect();
    if !silent.is_empty() {
        out.push_str(&format!(
            "\nsilent (importance under a quarter of the nominal weight): {}\n",
            silent.join(", ")
        ));
    }
    out
}

pub fn json(o: &Orientation) -> String {
    let mut s = serde_json::to_string_pretty(o).expect("plain data serialises");
    s.push('\n');
    s
}

//! Renderers of `qindex stability`.

use crate::analysis::stability::{Interval, Stability};
use crate::diagnostics::display_width;

fn share_range(i: &Option<Interval>) -> String {
    i.map_or("—".into(), |i| format!("{:.3}–{:.3}", i.low, i.high))
}

/// The report as an aligned table.
pub fn table(s: &Stability) -> String {
    let mut out = format!(
        "weight stability of scheme {}{}: the top {} of {} units\n",
        s.scheme,
        s.period
            .as_deref()
            .map(|p| format!(", period {p}"))
            .unwrap_or_default(),
        s.top,
        s.units
    );
    out.push_str(&format!(
        "nominal top {}: {}\n\n",
        s.top,
        s.nominal_top.join(", ")
    ));
    let mut grid = vec![[
        "node",
        "label",
        "share",
        "order holds",
        "set holds",
        "method",
        "",
    ]
    .map(String::from)
    .to_vec()];
    for n in &s.nodes {
        grid.push(vec![
            format!(
                "{}{}",
                "  ".repeat(n.depth.saturating_sub(1) as usize),
                n.id
            ),
            crate::report::truncate_to_width(n.label.as_deref().unwrap_or(""), 24),
            if n.share.is_finite() {
                format!("{:.3}", n.share)
            } else {
                "—".into()
            },
            share_range(&n.order),
            share_range(&n.set),
            match n.method {
                "grid" => format!("grid ±{:.4}", n.resolution / 2.0),
                m => m.to_string(),
            },
            n.reason.clone().unwrap_or_default(),
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
                if (2..5).contains(&k) && i > 0 {
                    crate::report::pad_left(c, widths[k])
                } else {
                    crate::report::pad(c, widths[k])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(
        "\nshare: the weight as a share of its and its siblings' weights; moving it from 0 to 1 rescales the siblings\n\
         proportionally. order/set holds: the shares over which the nominal top-N order/set stays the same.\n",
    );
    out
}

pub fn json(s: &Stability) -> String {
    let mut t = serde_json::to_string_pretty(s).expect("plain data serialises");
    t.push('\n');
    t
}

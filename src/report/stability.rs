//! Renderers of `qindex stability`.

use super::table::Table;
use crate::analysis::stability::{Interval, Stability};

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
    let mut table = Table::new()
        .key_left("node")
        .left("label")
        .max_width(24)
        .right("share")
        .right("order holds")
        .right("set holds")
        .left("method")
        .left("");
    for n in &s.nodes {
        table.row([
            format!(
                "{}{}",
                "  ".repeat(n.node.depth.saturating_sub(1) as usize),
                n.node.id
            ),
            n.node.label.clone().unwrap_or_default(),
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
    out.push_str(&table.render_text(None));
    out.push_str(
        "\nshare: the weight as a share of its and its siblings' weights; moving it from 0 to 1 rescales the siblings\n\
         proportionally. order/set holds: the shares over which the nominal top-N order/set stays the same.\n",
    );
    out
}

/// JSON `qindex.stability/1`, documented in `docs/stability-json.md`.
pub fn json(s: &Stability) -> String {
    super::json::document("stability", 1, s)
}

//! Renderers of `qindex orientation`.

use super::table::Table;
use crate::analysis::orientation::Orientation;

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
    let mut tags = Table::new()
        .key_left("orientation")
        .min_width(12)
        .right("nominal weight")
        .right("importance");
    for t in &o.tags {
        tags.row([
            t.tag.as_deref().unwrap_or("(untagged)").to_string(),
            pct(t.nominal),
            pct(t.importance),
        ]);
    }
    out.push_str(&tags.render_text(None));
    out.push_str("\nimportance is each indicator's squared correlation with the index, as a share (Paruolo, Saisana & Saltelli 2013)\n\n");
    let mut table = Table::new()
        .key_left("indicator")
        .left("label")
        .max_width(24)
        .left("orientation")
        .right("nominal")
        .right("r")
        .right("importance")
        .right("ratio")
        .left("");
    for r in &o.indicators {
        table.row([
            r.id.clone(),
            r.label.clone().unwrap_or_default(),
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
    out.push_str(&table.render_text(None));
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

/// JSON `qindex.orientation/1`, documented in `docs/orientation-json.md`.
pub fn json(o: &Orientation) -> String {
    super::json::document("orientation", 1, o)
}

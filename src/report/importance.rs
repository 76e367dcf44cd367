//! Renderers of `qindex importance`.

use super::table::Table;
use crate::analysis::importance::Importance;

fn pct(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{:.1}%", v * 100.0))
}

fn dec(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{v:.3}"))
}

/// The report as an aligned table (labels aligned by display width).
pub fn table(r: &Importance) -> String {
    let mut out = format!(
        "importance (main effects) of scheme {}{}, over {} units\n\n",
        r.scheme,
        r.period
            .as_deref()
            .map(|p| format!(", period {p}"))
            .unwrap_or_default(),
        r.units
    );
    let mut table = Table::new()
        .key_left("node")
        .left("label")
        .max_width(24)
        .right("n")
        .right("weight")
        .right("overall")
        .right("η²")
        .right("eff. share")
        .right("nominal")
        .right("r²")
        .left("")
        .left("");
    for nd in &r.nodes {
        let indent = "  ".repeat(nd.node.depth.saturating_sub(1) as usize);
        let (eff, nom) = match nd.node.kind {
            "indicator" => (nd.share_of_indicators, nd.nominal_share_of_indicators),
            _ => (nd.share_of_siblings, Some(nd.nominal_share_of_siblings)),
        };
        table.row([
            format!("{indent}{}", nd.node.id),
            nd.node.label.clone().unwrap_or_default(),
            nd.n.to_string(),
            format!("{:.3}", nd.node.weight),
            pct(Some(nd.overall)),
            dec(nd.eta2),
            pct(eff),
            pct(nom),
            dec(nd.r2),
            if nd.silent {
                "silent".into()
            } else {
                String::new()
            },
            nd.undefined
                .map(|u| format!("η² undefined: {u}"))
                .unwrap_or_default(),
        ]);
    }
    out.push_str(&table.render_text(None));
    out.push_str(
        "\nη²: the index's variance explained by the node alone, by a P-spline with GCV (Becker et al. 2017);\n\
         eff. share: η² as a share of all indicators' (of the siblings' for a group); nominal: the same share of the weight\n",
    );
    let silent: Vec<&str> = r
        .nodes
        .iter()
        .filter(|n| n.silent)
        .map(|n| n.node.id.as_str())
        .collect();
    if !silent.is_empty() {
        out.push_str(&format!(
            "silent (main effect under a quarter of what the nominal weight promises): {}\n",
            silent.join(", ")
        ));
    }
    out
}

/// JSON `qindex.importance/1`, documented in `docs/importance-json.md`.
pub fn json(r: &Importance) -> String {
    super::json::document("importance", 1, r)
}

fn opt(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| format!("{v}"))
}

/// One row per node; empty cells for missing values.
pub fn csv(r: &Importance) -> String {
    let mut table = Table::new()
        .left("id")
        .left("label")
        .left("kind")
        .left("parent");
    for h in ["depth", "weight", "overall", "n", "eta2"] {
        table = table.right(h);
    }
    table = table.left("undefined");
    for h in [
        "df",
        "nominal_share_of_siblings",
        "share_of_siblings",
        "nominal_share_of_indicators",
        "share_of_indicators",
        "r",
        "r2",
        "linear_share",
    ] {
        table = table.right(h);
    }
    table = table.left("silent");
    for nd in &r.nodes {
        table.row([
            nd.node.id.clone(),
            nd.node.label.clone().unwrap_or_default(),
            nd.node.kind.to_string(),
            nd.node.parent.clone(),
            nd.node.depth.to_string(),
            format!("{}", nd.node.weight),
            format!("{}", nd.overall),
            nd.n.to_string(),
            opt(nd.eta2),
            nd.undefined.unwrap_or("").to_string(),
            opt(nd.df),
            format!("{}", nd.nominal_share_of_siblings),
            opt(nd.share_of_siblings),
            opt(nd.nominal_share_of_indicators),
            opt(nd.share_of_indicators),
            opt(nd.r),
            opt(nd.r2),
            opt(nd.linear_share),
            nd.silent.to_string(),
        ]);
    }
    table.render_csv(false)
}

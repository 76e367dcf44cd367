//! Renderers of `qindex importance`.

use super::csv_field;
use crate::analysis::importance::Importance;
use crate::diagnostics::display_width;

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
    let mut grid = vec![[
        "node",
        "label",
        "n",
        "weight",
        "overall",
        "η²",
        "eff. share",
        "nominal",
        "r²",
        "",
        "",
    ]
    .map(String::from)
    .to_vec()];
    for nd in &r.nodes {
        let indent = "  ".repeat(nd.depth.saturating_sub(1) as usize);
        let (eff, nom) = match nd.kind {
            "indicator" => (nd.share_of_indicators, nd.nominal_share_of_indicators),
            _ => (nd.share_of_siblings, Some(nd.nominal_share_of_siblings)),
        };
        grid.push(vec![
            format!("{indent}{}", nd.id),
            crate::report::truncate_to_width(nd.label.as_deref().unwrap_or(""), 24),
            nd.n.to_string(),
            format!("{:.3}", nd.weight),
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
    let widths: Vec<usize> = (0..grid[0].len())
        .map(|k| grid.iter().map(|r| display_width(&r[k])).max().unwrap_or(0))
        .collect();
    for (i, row) in grid.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(k, c)| {
                if !(2..9).contains(&k) || i == 0 {
                    crate::report::pad(c, widths[k])
                } else {
                    crate::report::pad_left(c, widths[k])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(
        "\nη²: the index's variance explained by the node alone, by a P-spline with GCV (Becker et al. 2017);\n\
         eff. share: η² as a share of all indicators' (of the siblings' for a group); nominal: the same share of the weight\n",
    );
    let silent: Vec<&str> = r
        .nodes
        .iter()
        .filter(|n| n.silent)
        .map(|n| n.id.as_str())
        .collect();
    if !silent.is_empty() {
        out.push_str(&format!(
            "silent (main effect under a quarter of what the nominal weight promises): {}\n",
            silent.join(", ")
        ));
    }
    out
}

pub fn json(r: &Importance) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("plain data serialises");
    s.push('\n');
    s
}

fn opt(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| format!("{v}"))
}

/// One row per node; empty cells for missing values.
pub fn csv(r: &Importance) -> String {
    let mut out = String::from(
        "id,label,kind,parent,depth,weight,overall,n,eta2,undefined,df,nominal_share_of_siblings,share_of_siblings,nominal_share_of_indicators,share_of_indicators,r,r2,linear_share,silent\n",
    );
    for nd in &r.nodes {
        let cells = [
            csv_field(&nd.id),
            csv_field(&crate::report::guard_formula(
                nd.label.as_deref().unwrap_or(""),
            )),
            nd.kind.to_string(),
            csv_field(&nd.parent),
            nd.depth.to_string(),
            format!("{}", nd.weight),
            format!("{}", nd.overall),
            nd.n.to_string(),
            opt(nd.eta2),
            csv_field(nd.undefined.unwrap_or("")),
            opt(nd.df),
            format!("{}", nd.nominal_share_of_siblings),
            opt(nd.share_of_siblings),
            opt(nd.nominal_share_of_indicators),
            opt(nd.share_of_indicators),
            opt(nd.r),
            opt(nd.r2),
            opt(nd.linear_share),
            nd.silent.to_string(),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

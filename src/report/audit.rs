//! Renderers of `qindex uncertainty --configurations`.

use super::table::Table;
use crate::sensitivity::audit::Configurations;
use serde_json::{json, Map, Value};

/// `qindex.configurations/1`.
pub fn configurations_json(c: &Configurations) -> String {
    let num = |x: Option<f64>| x.map_or(Value::Null, |v| json!(v));
    let configs: Vec<Value> = c
        .configurations
        .iter()
        .map(|k| {
            let mut choices = Map::new();
            for (l, o) in &k.choices {
                choices.insert(l.clone(), json!(o));
            }
            let mut inds = Map::new();
            for f in &k.indicators {
                inds.insert(
                    f.id.clone(),
                    json!({
                        "imputed": f.imputed,
                        "winsorised": f.winsorised,
                        "min": num(f.min),
                        "mean": num(f.mean),
                        "max": num(f.max),
                    }),
                );
            }
            let mut groups = Map::new();
            for (g, a) in &k.groups {
                groups.insert(g.clone(), json!({ "aggregate": a }));
            }
            json!({
                "choices": choices,
                "replications": k.replications,
                "indicators": inds,
                "groups": groups,
            })
        })
        .collect();
    let v = json!({
        "samples": c.samples,
        "period": c.period,
        "configurations": configs,
        "notes": c.notes,
    });
    super::json::document("configurations", 1, &v)
}

/// The configurations as text: each with its choices and draws, the indicators it imputes or
/// winsorises (with their counts) and the range of every indicator's normalised values, and
/// the groups' aggregations.
pub fn configurations_table(c: &Configurations) -> String {
    let mut out = format!(
        "{} configurations over {} replications{}\n",
        c.configurations.len(),
        c.samples,
        c.period
            .as_ref()
            .map_or(String::new(), |p| format!(", period {p}"))
    );
    let f = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.2}"));
    for (k, conf) in c.configurations.iter().enumerate() {
        out.push_str(&format!(
            "\nconfiguration {} ({} replications)\n",
            k + 1,
            conf.replications
        ));
        for (l, o) in &conf.choices {
            out.push_str(&format!("  {l} → {o}\n"));
        }
        let mut table = Table::new()
            .key_left("indicator")
            .right("imputed")
            .right("winsorised")
            .right("min")
            .right("mean")
            .right("max")
            .align_headings()
            .indent("  ");
        for i in &conf.indicators {
            table.row([
                i.id.clone(),
                i.imputed.to_string(),
                i.winsorised.to_string(),
                f(i.min),
                f(i.mean),
                f(i.max),
            ]);
        }
        out.push_str(&table.render_text(None));
        let groups: Vec<String> = conf
            .groups
            .iter()
            .map(|(g, a)| format!("{g} {a}"))
            .collect();
        out.push_str(&format!("  groups: {}\n", groups.join(", ")));
    }
    for n in &c.notes {
        out.push_str(&format!("\nnote: {n}\n"));
    }
    out
}

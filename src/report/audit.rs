//! Renderers of the audit trail: the JSON Lines of `qindex uncertainty --replications` and
//! `qindex sensitivity --evaluations`, the scheme of `--replay R`, and `--configurations`.

use super::table::Table;
use crate::sensitivity::audit::{Configurations, Draw, Record, Replay};
use serde_json::{json, Map, Value};

/// One line of the JSON Lines export (`docs/checking-uncertainty.md`): the draw (`replication`,
/// or `evaluation`, `sample`, `matrix` and `factor`), `choices`, `dropped` (null, one id, or a
/// list), `weights`, `marc` and `ranks` (null: unranked), ended by a line break.
pub fn record_line(r: &Record) -> String {
    let mut rec = Map::new();
    match &r.draw {
        Draw::Replication(n) => {
            rec.insert("replication".into(), json!(n));
        }
        Draw::Evaluation {
            row,
            sample,
            matrix,
            factor,
        } => {
            rec.insert("evaluation".into(), json!(row));
            rec.insert("sample".into(), json!(sample));
            rec.insert("matrix".into(), json!(matrix));
            if let Some(f) = factor {
                rec.insert("factor".into(), json!(f));
            }
        }
    }
    let object = |pairs: Vec<(String, Value)>| Value::Object(pairs.into_iter().collect());
    let choices = r.choices.iter().map(|(l, o)| (l.clone(), json!(o)));
    rec.insert("choices".into(), object(choices.collect()));
    let dropped = match r.dropped.as_slice() {
        [] => Value::Null,
        [one] => json!(one),
        all => json!(all),
    };
    rec.insert("dropped".into(), dropped);
    let weights = r.weights.iter().map(|(id, w)| (id.clone(), json!(w)));
    rec.insert("weights".into(), object(weights.collect()));
    rec.insert("marc".into(), r.marc.map_or(Value::Null, |m| json!(m)));
    let ranks = r.ranks.iter().map(|(u, k)| (u.clone(), json!(k)));
    rec.insert("ranks".into(), object(ranks.collect()));
    if !r.survey.is_empty() {
        let columns = r.survey.iter().map(|c| {
            let values = c.values.iter().map(|(u, v)| (u.clone(), json!(v)));
            (c.column.clone(), object(values.collect()))
        });
        rec.insert("survey".into(), object(columns.collect()));
    }
    let mut line = serde_json::to_string(&Value::Object(rec)).expect("json");
    line.push('\n');
    line
}

/// Replication R as rules text: a file that `use`s the rules and declares
/// `scheme replication_R`, so that `qindex run THAT --scheme replication_R` gives its scores
/// and ranks.
pub fn replay_text(p: &Replay) -> String {
    let r = p.replication;
    let mut out = format!(
        "# Replication {r} of the `uncertainty` block of {} (seed {}), as a scheme:\n#     qindex run THIS_FILE --scheme replication_{r}\n# gives its scores and ranks.\n",
        p.rules, p.seed
    );
    for (line, option) in &p.choices {
        out.push_str(&format!("#   {line} → {option}\n"));
    }
    for d in &p.dropped {
        out.push_str(&format!("#   dropped: {d}\n"));
    }
    if !p.survey.is_empty() {
        out.push_str(
            "# It also re-estimated survey estimates by the bootstrap (`vary survey`). A scheme\n\
             # cannot carry data, so `qindex run` of this scheme reads the nominal estimates and\n\
             # its scores differ from the replication's by that much. The replication's values:\n",
        );
        for c in &p.survey {
            out.push_str(&format!("#   {}:", c.column));
            for (u, v) in &c.values {
                match v {
                    Some(v) => out.push_str(&format!(" {u}={v:?}")),
                    None => out.push_str(&format!(" {u}=missing")),
                }
            }
            out.push('\n');
        }
    }
    out.push_str(&format!(
        "\nuse \"{}\"\n\nscheme replication_{r} from {} {{\n",
        p.uses.replace('\\', "\\\\").replace('"', "\\\""),
        p.from
    ));
    for o in &p.overrides {
        out.push_str(&format!("    {o}\n"));
    }
    if !p.dropped.is_empty() {
        out.push_str(&format!("    exclude {}\n", p.dropped.join(", ")));
    }
    for g in &p.given {
        out.push_str(&format!("    weights {g} = given\n"));
    }
    for (id, w) in &p.weights {
        out.push_str(&format!("    weight {id} = {w:?}\n"));
    }
    out.push_str("}\n");
    out
}

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

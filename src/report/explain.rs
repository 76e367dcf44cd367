//! `qindex explain`: the Plan as a text tree, and as JSON.

use super::table::Table;
use super::{code_text, one_line, truncate_to_width, weight_text, LABEL_MAX_WIDTH};
use crate::plan::{
    num, AdjustKind, Direction, IndicatorPlan, MissingPolicy, Node, NodeId, Normalise, Plan,
    Reference, Transform, Winsorise,
};
use std::fmt::Write as _;

/// The `scale` a node has unless the rules say otherwise.
const DEFAULT_SCALE: (f64, f64) = (0.0, 100.0);

/// Separates the settings listed after a node's weights.
const SEP: &str = " · ";

/// The Plan as a tree, one line per node, with each node's weight within its parent and in the
/// whole index, its methods and settings; then the adjustments, `units where` and the
/// uncertainty plan. Weights have 3 decimals; columns are aligned by display width, so Chinese
/// labels line up.
pub fn explain_text(plan: &Plan) -> String {
    let mut out = String::new();
    out.push_str(&header(plan));
    out.push_str("\n\n");

    let rows: Vec<Row> = plan.ids().map(|id| row(plan, id)).collect();
    let mut table = Table::new()
        .key_left("node")
        .left("weight")
        .left("overall")
        .left("");
    for r in &rows {
        table.row([
            r.tree.clone(),
            r.weight.clone(),
            r.overall.clone(),
            r.details.join(SEP),
        ]);
    }
    out.push_str(&table.render_text(None));

    let adjust = adjustments(plan);
    if !adjust.is_empty() {
        out.push('\n');
        out.push_str(&adjust);
    }
    if let Some(code) = &plan.units_where {
        out.push('\n');
        let _ = writeln!(out, "units where {}", code_text(&code.text));
    }
    if let Some(u) = &plan.uncertainty {
        out.push('\n');
        let _ = writeln!(
            out,
            "uncertainty{SEP}samples {}{SEP}seed {}",
            u.samples, u.seed
        );
        for (k, factor) in u.factors.iter().enumerate() {
            let _ = writeln!(out, "  {}. {}", k + 1, code_text(&factor.text));
        }
    }
    for s in &plan.surveys {
        out.push('\n');
        out.push_str(&survey(s));
    }
    out
}

/// A `survey` block: its file and design, then each dimension with its items, scales and
/// weights as the estimation uses them (inherited scales resolved).
fn survey(s: &crate::plan::SurveyPlan) -> String {
    let d = &s.design;
    let mut parts = vec![match &d.label {
        Some(l) => format!("survey {} \"{}\"", d.id, one_line(l)),
        None => format!("survey {}", d.id),
    }];
    if let Some(p) = &s.path {
        parts.push(format!("data \"{}\"", one_line(p)));
    }
    let mut design = format!("by {}", d.by);
    for (kw, c) in [
        ("over", &d.over),
        ("weight", &d.weight),
        ("strata", &d.strata),
        ("cluster", &d.cluster),
    ] {
        if let Some(c) = c {
            let _ = write!(design, " {kw} {c}");
        }
    }
    parts.push(design);
    if !d.dont_know.is_empty() {
        let codes: Vec<String> = d.dont_know.iter().map(|c| num(*c)).collect();
        parts.push(format!("dont_know [{}]", codes.join(", ")));
    }
    if let Some(m) = d.min_respondents {
        parts.push(format!("min_respondents {m}"));
    }
    let mut out = parts.join(SEP);
    out.push('\n');
    let mut table = Table::new()
        .indent("  ")
        .key_left("dimension / item")
        .left("scale")
        .left("weight")
        .left("");
    for dim in &d.dimensions {
        let label = dim.label.as_deref().map(one_line).unwrap_or_default();
        table.row([
            format!("{} {}", dim.id, truncate_to_width(&label, LABEL_MAX_WIDTH)),
            String::new(),
            String::new(),
            String::new(),
        ]);
        for item in &dim.items {
            let label = item.label.as_deref().map(one_line).unwrap_or_default();
            let scale = d.scale_of(dim, item).map_or("none".to_string(), |s| {
                format!("{}..{}", num(s.lo), num(s.hi))
            });
            table.row([
                format!(
                    "  {} {}",
                    item.id,
                    truncate_to_width(&label, LABEL_MAX_WIDTH)
                ),
                scale,
                num(item.weight),
                if item.reverse {
                    "reverse".to_string()
                } else {
                    String::new()
                },
            ]);
        }
    }
    out.push_str(&table.render_text(None));
    out
}

/// The Plan as pretty-printed JSON, ending in a newline.
pub fn explain_json(plan: &Plan) -> String {
    super::json::document("explain", 1, plan)
}

/// The line above the tree: the index, the scheme and where the data comes from.
fn header(plan: &Plan) -> String {
    let index = &plan.index;
    let mut parts = Vec::new();
    parts.push(match &index.label {
        Some(label) => format!("index {} \"{}\"", index.id, one_line(label)),
        None => format!("index {}", index.id),
    });
    parts.push(match &plan.scheme_label {
        Some(label) => format!("scheme {} \"{}\"", plan.scheme, one_line(label)),
        None => format!("scheme {}", plan.scheme),
    });
    let mut columns = format!("by {}", index.unit_column);
    if let Some(c) = &index.label_column {
        let _ = write!(columns, " label {c}");
    }
    if let Some(c) = &index.period_column {
        let _ = write!(columns, " over {c}");
    }
    parts.push(columns);
    if let Some(data) = &index.data {
        parts.push(format!("data \"{}\"", one_line(data)));
    }
    parts.push(format!(
        "reference {}",
        match index.reference {
            Reference::Period => "period",
            Reference::Panel => "panel",
        }
    ));
    parts.join(SEP)
}

/// One line of the tree, in cells.
struct Row {
    /// Tree drawing, id and (truncated) label.
    tree: String,
    weight: String,
    overall: String,
    details: Vec<String>,
}

fn row(plan: &Plan, id: NodeId) -> Row {
    let node = plan.node(id);
    let mut tree = tree_prefix(plan, id);
    tree.push_str(&node.id);
    if let Some(label) = &node.label {
        tree.push(' ');
        tree.push_str(&truncate_to_width(&one_line(label), LABEL_MAX_WIDTH));
    }
    Row {
        tree,
        weight: weight_text(node.weight.as_ref(), Some(3)).unwrap_or_else(|| "—".into()),
        overall: node
            .overall
            .map_or_else(|| "—".into(), |w| format!("{w:.3}")),
        details: details(plan, node),
    }
}

/// The box-drawing before a node: `│  ` or blanks for each ancestor below the index, then
/// `├─ ` or `└─ ` for the node itself; empty for the index.
fn tree_prefix(plan: &Plan, id: NodeId) -> String {
    let mut parts = Vec::new();
    let mut current = id;
    let mut first = true;
    // A plan lists parents before children; the bound on steps only guards a malformed plan.
    for _ in 0..plan.nodes.len() {
        let Some(parent) = plan.nodes.get(current.index()).and_then(|n| n.parent) else {
            break;
        };
        let last = is_last_child(plan, parent, current);
        parts.push(match (first, last) {
            (true, false) => "├─ ",
            (true, true) => "└─ ",
            (false, false) => "│  ",
            (false, true) => "   ",
        });
        first = false;
        current = parent;
    }
    parts.reverse();
    parts.concat()
}

fn is_last_child(plan: &Plan, parent: NodeId, child: NodeId) -> bool {
    plan.nodes
        .get(parent.index())
        .and_then(|p| p.children.last())
        .is_none_or(|last| *last == child)
}

/// The settings shown after a node's weights, in the order of the rules language.
fn details(plan: &Plan, node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(g) = &node.group {
        out.push(format!("aggregate {}", g.aggregate));
        out.push(format!("weights {}", g.weights));
        if g.coverage > 0.0 {
            out.push(format!("coverage {}%", num(g.coverage * 100.0)));
        }
    }
    if let Some(ind) = &node.indicator {
        indicator_details(ind, &mut out);
    }
    let parent_scale = node
        .parent
        .and_then(|p| plan.nodes.get(p.index()))
        .map_or(DEFAULT_SCALE, |p| p.scale);
    if node.scale != parent_scale {
        out.push(format!(
            "scale {}..{}",
            num(node.scale.0),
            num(node.scale.1)
        ));
    }
    if let Some(unit) = &node.unit {
        out.push(format!("unit {}", one_line(unit)));
    }
    if let Some(tags) = tags_text(node) {
        out.push(tags);
    }
    if let Some(factor) = node
        .weight_factor
        .and_then(|k| plan.uncertainty.as_ref()?.factors.get(k))
    {
        out.push(format!("± {}", code_text(&factor.text)));
    }
    out
}

fn indicator_details(ind: &IndicatorPlan, out: &mut Vec<String>) {
    out.push(format!("= {}", code_text(&ind.formula.text)));
    out.push(match &ind.normalise {
        // `goalposts` is a setting of its own in the rules.
        n @ Normalise::Goalposts(..) => n.to_string(),
        n => format!("normalise {n}"),
    });
    if ind.direction != Direction::Positive {
        out.push(format!("direction {}", ind.direction));
    }
    if ind.transform != Transform::None {
        out.push(format!(
            "transform {}",
            match ind.transform {
                Transform::None => "none",
                Transform::Log => "log",
                Transform::Log1p => "log1p",
                Transform::Sqrt => "sqrt",
            }
        ));
    }
    match &ind.winsorise {
        Winsorise::None => {}
        Winsorise::Auto => out.push("winsorise auto".into()),
        Winsorise::Percentiles(lo, hi) => out.push(format!(
            "winsorise {}%..{}%",
            num(lo * 100.0),
            num(hi * 100.0)
        )),
    }
    if ind.missing.as_slice() != [MissingPolicy::Skip] && !ind.missing.is_empty() {
        let policies: Vec<String> = ind.missing.iter().map(|m| m.to_string()).collect();
        out.push(format!("missing {}", policies.join(", ")));
    }
}

/// `tags [market], digital`: the orientation tag in brackets.
fn tags_text(node: &Node) -> Option<String> {
    let orientation = node.orientation.as_deref();
    let mut tags: Vec<String> = node
        .tags
        .iter()
        .map(|t| {
            if Some(t.as_str()) == orientation {
                format!("[{t}]")
            } else {
                t.clone()
            }
        })
        .collect();
    if let Some(o) = orientation {
        if !node.tags.iter().any(|t| t == o) {
            tags.insert(0, format!("[{o}]"));
        }
    }
    (!tags.is_empty()).then(|| format!("tags {}", one_line(&tags.join(", "))))
}

/// The `adjust` block, one line per adjustment; empty when there are none.
fn adjustments(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.adjustments.is_empty() {
        return out;
    }
    out.push_str("adjust\n");
    for adj in &plan.adjustments {
        let code = code_text(&adj.code.text);
        let line = match (adj.kind, adj.limit) {
            (AdjustKind::Bonus, None) => format!("bonus {code}"),
            (AdjustKind::Bonus, Some(m)) => format!("bonus {code} max {}", num(m)),
            (AdjustKind::Penalty, None) => format!("penalty {code}"),
            (AdjustKind::Penalty, Some(m)) => format!("penalty {code} max {}", num(m)),
            (AdjustKind::Veto, None) => format!("veto {code} (ineligible)"),
            (AdjustKind::Veto, Some(s)) => format!("veto {code} cap {}", num(s)),
        };
        let _ = writeln!(out, "  {line}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::display_width;
    use crate::report::fixtures::sample_plan;

    #[test]
    fn explain_text_tree() {
        let out = explain_text(&sample_plan());
        insta::assert_snapshot!(out, @r#"
            index quality_city "质量强市示范城市评价" · scheme default · by city label city_name over year · data "data/cities.csv" · reference period

            node                                                          weight             overall
            quality_city 质量强市示范城市评价                             —                  1.000    aggregate arithmetic · weights given · coverage 60%
            ├─ product 产品质量                                           0.600              0.600    aggregate arithmetic · weights ahp (CR 0.000) · ± vary weights 25%
            │  ├─ pass_rate 产品质量监督抽查合格率                        0.667              0.400    = passed_batches / sampled_batches * 100 · goalposts 80..100 · unit % · tags [government] · ± vary weights in product 10%
            │  └─ complaints 质量投诉率                                   0.333              0.200    = `质量投诉件数` / per_10k_people · normalise minmax · direction negative · transform log1p · winsorise 5%..95% · missing carry, mean · unit 件/万人 · ± vary weights in product 10%
            └─ market 市场质量                                            0.400              0.400    aggregate arithmetic · weights entropy · scale 1..100 · tags [market] · ± vary weights 25%
               ├─ sales_share 品牌产品销售份额                            derived (entropy)  —        = share(brand_sales) * 100 · normalise minmax · tags digital, [market] · ± vary weights 25%
               └─ intermediaries 每万人拥有的质量检验检测认证中介服务机…  derived (entropy)  —        = quality_intermediaries · normalise rank · winsorise auto · tags [market] · ± vary weights 25%

            adjust
              penalty major_incidents * 5 max 15
              bonus national_awards * 2
              veto quality_fraud_cases > 0 (ineligible)
              veto safety_incidents > 2 cap 60

            units where population > 0

            uncertainty · samples 4096 · seed 2013
              1. vary weights 25%
              2. vary weights in product 10%
              3. choose normalise [minmax, rank]
        "#);
    }

    /// The character starting at display column `col`, and the one before it; `None` when
    /// `col` falls inside a wide character or past the end.
    fn char_at_column(line: &str, col: usize) -> Option<(char, Option<char>)> {
        let mut width = 0;
        let mut prev = None;
        for c in line.chars() {
            if width == col {
                return Some((c, prev));
            }
            if width > col {
                return None;
            }
            width += display_width(c.encode_utf8(&mut [0u8; 4]));
            prev = Some(c);
        }
        None
    }

    #[test]
    fn columns_line_up_with_chinese_labels() {
        let out = explain_text(&sample_plan());
        let lines: Vec<&str> = out.lines().collect();
        let heading = lines[2];
        assert!(heading.starts_with("node "));
        let weight_col = display_width(&heading[..heading.find("weight").unwrap()]);
        let overall_col = display_width(&heading[..heading.find("overall").unwrap()]);
        let rows = &lines[3..3 + sample_plan().nodes.len()];
        for row in rows {
            for col in [weight_col, overall_col] {
                let (c, prev) = char_at_column(row, col)
                    .unwrap_or_else(|| panic!("no character at column {col}: {row}"));
                assert!(
                    c != ' ' && prev == Some(' '),
                    "column {col} misaligned: {row}"
                );
            }
        }
        // The weight cells themselves start exactly there.
        let pass_rate = rows.iter().find(|r| r.contains("pass_rate")).unwrap();
        assert_eq!(
            display_width(&pass_rate[..pass_rate.find("0.667").unwrap()]),
            weight_col
        );
    }

    #[test]
    fn long_labels_are_cut_at_the_label_cap() {
        let out = explain_text(&sample_plan());
        let row = out.lines().find(|l| l.contains("intermediaries")).unwrap();
        let label_start = row.find("intermediaries ").unwrap() + "intermediaries ".len();
        let label_end = row.find('…').unwrap() + '…'.len_utf8();
        let label = &row[label_start..label_end];
        assert!(display_width(label) <= LABEL_MAX_WIDTH, "{label}");
        assert!(display_width(label) >= LABEL_MAX_WIDTH - 1, "{label}");
    }

    /// An index with one unlabelled indicator, no adjustments and no uncertainty plan.
    fn minimal_plan() -> Plan {
        let mut plan = sample_plan();
        plan.index.label = None;
        plan.index.label_column = None;
        plan.index.period_column = None;
        plan.index.data = None;
        plan.index.reference = Reference::Panel;
        plan.scheme = "market_led".into();
        plan.scheme_label = Some("市场导向方案".into());
        let mut index = plan.nodes[0].clone();
        index.label = None;
        index.children = vec![NodeId(1)];
        if let Some(g) = &mut index.group {
            g.coverage = 0.0;
            g.aggregate = crate::plan::Aggregate::Geometric;
        }
        let mut only = plan.nodes[2].clone();
        only.label = None;
        only.parent = Some(NodeId(0));
        only.depth = 1;
        only.weight = Some(crate::plan::Weight::Fixed(1.0));
        only.overall = Some(1.0);
        only.tags.clear();
        only.orientation = None;
        only.weight_factor = None;
        plan.nodes = vec![index, only];
        plan.units_where = None;
        plan.adjustments.clear();
        plan.uncertainty = None;
        plan
    }

    #[test]
    fn explain_text_minimal() {
        let out = explain_text(&minimal_plan());
        insta::assert_snapshot!(out, @r#"
            index quality_city · scheme market_led "市场导向方案" · by city · reference panel

            node          weight  overall
            quality_city  —       1.000    aggregate geometric · weights given
            └─ pass_rate  1.000   1.000    = passed_batches / sampled_batches * 100 · goalposts 80..100 · unit %
        "#);
    }

    #[test]
    fn explain_json_minimal() {
        let out = explain_json(&minimal_plan());
        assert!(out.ends_with("}\n"));
        insta::assert_snapshot!(out, @r#"
            {
              "format": "qindex.explain/1",
              "scheme": "market_led",
              "scheme_label": "市场导向方案",
              "index": {
                "id": "quality_city",
                "unit_column": "city",
                "reference": "panel"
              },
              "nodes": [
                {
                  "id": "quality_city",
                  "kind": "index",
                  "children": [
                    1
                  ],
                  "depth": 0,
                  "overall": 1.0,
                  "scale": [
                    0.0,
                    100.0
                  ],
                  "group": {
                    "aggregate": "geometric",
                    "weights": "given",
                    "coverage": 0.0
                  },
                  "span": "0:0-0"
                },
                {
                  "id": "pass_rate",
                  "kind": "indicator",
                  "parent": 0,
                  "depth": 1,
                  "weight": {
                    "fixed": 1.0
                  },
                  "overall": 1.0,
                  "scale": [
                    0.0,
                    100.0
                  ],
                  "indicator": {
                    "formula": {
                      "ops": [],
                      "text": "passed_batches / sampled_batches * 100",
                      "span": "0:0-0"
                    },
                    "missing": [
                      "skip"
                    ],
                    "transform": "none",
                    "winsorise": "none",
                    "direction": "positive",
                    "normalise": {
                      "goalposts": [
                        80.0,
                        100.0
                      ]
                    }
                  },
                  "unit": "%",
                  "span": "0:0-0"
                }
              ],
              "lets": [
                {
                  "name": "per_10k_people",
                  "code": {
                    "ops": [],
                    "text": "population / 10000",
                    "span": "0:0-0"
                  }
                }
              ],
              "columns": [],
              "adjustments": []
            }
        "#);
    }

    #[test]
    fn tree_lines_continue_past_nested_groups() {
        let out = explain_text(&crate::report::fixtures::nested_plan());
        // The tree cell: everything before the weight column.
        let weight_col = out.lines().nth(2).and_then(|h| h.find("weight")).unwrap();
        let trees: Vec<&str> = out
            .lines()
            .skip(3)
            .take(7)
            .map(|l| {
                let cut = l
                    .char_indices()
                    .scan(0, |w, (i, c)| {
                        let at = *w;
                        *w += display_width(c.encode_utf8(&mut [0u8; 4]));
                        Some((i, at))
                    })
                    .find(|(_, at)| *at == weight_col)
                    .map_or(l.len(), |(i, _)| i);
                l[..cut].trim_end()
            })
            .collect();
        assert_eq!(
            trees,
            [
                "quality_city",
                "├─ a 甲",
                "│  ├─ a1 甲一",
                "│  │  ├─ x",
                "│  │  └─ y",
                "│  └─ z",
                "└─ b",
            ]
        );
    }
}

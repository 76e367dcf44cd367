//! The methods table: one row per node with its metadata, direction, normalisation and weights.

use super::table::{Align, Table};
use super::{fixed_number, weight_text};
use crate::plan::{Node, Plan};

/// How [`methods_table`] writes its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// A pipe table (GitHub-flavoured), padded so that it also reads as plain text.
    Markdown,
    /// RFC 4180 (CRLF line ends), safe to open in a spreadsheet.
    Csv,
}

const HEADINGS: [&str; 11] = [
    "level",
    "id",
    "label",
    "unit",
    "source",
    "direction",
    "normalisation",
    "aggregation",
    "data",
    "weight",
    "overall weight",
];

/// Columns holding numbers: right-aligned in Markdown; their numbers are not guarded in CSV.
const NUMERIC: [bool; 11] = [
    true, false, false, false, false, false, false, false, false, true, true,
];

/// The methods table every published index ships: one row per node in plan order, with its
/// level (depth), id, label, unit, source, direction and normalisation (indicators), its
/// aggregation (groups), its data (an indicator's column or formula), its weight within its
/// parent and its overall weight. A weight derived from data reads
/// `derived (METHOD)`, and an overall weight that depends on one is left empty (`—` in
/// Markdown).
pub fn methods_table(plan: &Plan, format: TableFormat) -> String {
    match format {
        TableFormat::Markdown => markdown(plan),
        TableFormat::Csv => csv(plan),
    }
}

/// A cell of a spreadsheet: numbers stay numbers, at full precision (in JSON: null, a string
/// or a number).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
}

/// The methods table as cells for a spreadsheet: the headings, then the rows of
/// [`methods_table`]. The level and fixed weights are numbers; a derived weight is its text.
pub fn methods_cells(plan: &Plan) -> (&'static [&'static str], Vec<Vec<Cell>>) {
    let rows = plan
        .nodes
        .iter()
        .map(|node| {
            let mut row: Vec<Cell> = cells(node, None)
                .into_iter()
                .map(|c| c.map_or(Cell::Empty, Cell::Text))
                .collect();
            row[0] = Cell::Number(f64::from(node.depth));
            if let Some(w) = node.weight.as_ref().and_then(|w| w.fixed()) {
                row[9] = Cell::Number(w);
            }
            row[10] = node.overall.map_or(Cell::Empty, Cell::Number);
            row
        })
        .collect();
    (&HEADINGS, rows)
}

/// A row's cells; `None` for a cell with nothing to say.
fn cells(node: &Node, decimals: Option<usize>) -> [Option<String>; 11] {
    let ind = node.indicator.as_ref();
    [
        Some(node.depth.to_string()),
        Some(node.id.clone()),
        node.label.clone(),
        node.unit.clone(),
        node.source.clone(),
        ind.map(|i| i.direction.to_string()),
        ind.map(|i| i.normalise.to_string()),
        node.group.as_ref().map(|g| g.aggregate.to_string()),
        ind.map(|i| super::code_text(&i.formula.text)),
        weight_text(node.weight.as_ref(), decimals),
        node.overall.map(|w| fixed_number(w, decimals)),
    ]
}

fn markdown(plan: &Plan) -> String {
    let mut table = Table::new();
    for (h, numeric) in HEADINGS.iter().zip(NUMERIC) {
        table = table.column(*h, if numeric { Align::Right } else { Align::Left });
    }
    for node in &plan.nodes {
        table.row(
            cells(node, Some(3))
                .into_iter()
                .enumerate()
                .map(|(k, cell)| {
                    match cell {
                        Some(text) => text,
                        // An empty weight reads as a gap in the data; a dash says "not applicable".
                        None if NUMERIC[k] => "—".to_string(),
                        None => String::new(),
                    }
                }),
        );
    }
    table.render_markdown()
}

fn csv(plan: &Plan) -> String {
    let mut table = Table::new();
    for (h, numeric) in HEADINGS.iter().zip(NUMERIC) {
        table = table.column(*h, if numeric { Align::Right } else { Align::Left });
    }
    for node in &plan.nodes {
        table.row(cells(node, None).into_iter().map(Option::unwrap_or_default));
    }
    table.render_csv(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::display_width;
    use crate::report::fixtures::sample_plan;
    use crate::report::{csv_field, guard_formula};

    #[test]
    fn methods_table_markdown() {
        let out = methods_table(&sample_plan(), TableFormat::Markdown);
        insta::assert_snapshot!(out, @r"
            | level | id             | label                                                      | unit    | source                       | direction | normalisation     | aggregation | data                                   | weight            | overall weight |
            | ----: | -------------- | ---------------------------------------------------------- | ------- | ---------------------------- | --------- | ----------------- | ----------- | -------------------------------------- | ----------------: | -------------: |
            |     0 | quality_city   | 质量强市示范城市评价                                       |         |                              |           |                   | arithmetic  |                                        |                 — |          1.000 |
            |     1 | product        | 产品质量                                                   |         | 国家统计局, 《城市统计年鉴》 |           |                   | arithmetic  |                                        |             0.600 |          0.600 |
            |     2 | pass_rate      | 产品质量监督抽查合格率                                     | %       |                              | positive  | goalposts 80..100 |             | passed_batches / sampled_batches * 100 |             0.667 |          0.400 |
            |     2 | complaints     | 质量投诉率                                                 | 件/万人 |                              | negative  | minmax            |             | `质量投诉件数` / per_10k_people        |             0.333 |          0.200 |
            |     1 | market         | 市场质量                                                   |         |                              |           |                   | arithmetic  |                                        |             0.400 |          0.400 |
            |     2 | sales_share    | 品牌产品销售份额                                           |         |                              | positive  | minmax            |             | share(brand_sales) * 100               | derived (entropy) |              — |
            |     2 | intermediaries | 每万人拥有的质量检验检测认证中介服务机构数量（含分支机构） |         |                              | positive  | rank              |             | quality_intermediaries                 | derived (entropy) |              — |
        ");
    }

    #[test]
    fn methods_table_csv() {
        let out = methods_table(&sample_plan(), TableFormat::Csv);
        assert!(out.ends_with("\r\n"));
        assert!(!out.replace("\r\n", "").contains('\n'));
        insta::assert_snapshot!(out.replace("\r\n", "\n"), @r#"
            level,id,label,unit,source,direction,normalisation,aggregation,data,weight,overall weight
            0,quality_city,质量强市示范城市评价,,,,,arithmetic,,,1
            1,product,产品质量,,"国家统计局, 《城市统计年鉴》",,,arithmetic,,0.6,0.6
            2,pass_rate,产品质量监督抽查合格率,%,,positive,goalposts 80..100,,passed_batches / sampled_batches * 100,0.666667,0.4
            2,complaints,质量投诉率,件/万人,,negative,minmax,,`质量投诉件数` / per_10k_people,0.333333,0.2
            1,market,市场质量,,,,,arithmetic,,0.4,0.4
            2,sales_share,品牌产品销售份额,,,positive,minmax,,share(brand_sales) * 100,derived (entropy),
            2,intermediaries,每万人拥有的质量检验检测认证中介服务机构数量（含分支机构）,,,positive,rank,,quality_intermediaries,derived (entropy),
        "#);
    }

    #[test]
    fn methods_cells_keep_numbers_as_numbers() {
        let (head, rows) = methods_cells(&sample_plan());
        assert_eq!(head.len(), 11);
        assert_eq!(rows.len(), 7);
        assert_eq!(rows[0][0], Cell::Number(0.0));
        assert_eq!(rows[0][2], Cell::Text("质量强市示范城市评价".into()));
        assert_eq!(rows[0][9], Cell::Empty);
        assert_eq!(rows[0][10], Cell::Number(1.0));
        assert_eq!(rows[2][9], Cell::Number(2.0 / 3.0), "full precision");
        assert_eq!(rows[5][9], Cell::Text("derived (entropy)".into()));
        assert_eq!(rows[5][10], Cell::Empty);
    }

    #[test]
    fn csv_quotes_per_rfc_4180() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("质量"), "质量");
    }

    #[test]
    fn csv_guards_against_formula_injection() {
        for bad in ["=1+2", "+1", "-1", "@SUM(A1)", "\t=1"] {
            assert_eq!(guard_formula(bad), format!("'{bad}"));
        }
        assert_eq!(guard_formula("1-2"), "1-2");
        assert_eq!(guard_formula("质量=好"), "质量=好");

        let mut plan = sample_plan();
        plan.nodes[1].label = Some("=HYPERLINK(\"http://x\", \"a\")".into());
        plan.nodes[1].unit = Some("-".into());
        plan.nodes[1].source = Some("@统计局".into());
        let out = methods_table(&plan, TableFormat::Csv);
        let line = out.lines().nth(2).unwrap();
        assert!(
            line.starts_with("1,product,\"'=HYPERLINK(\"\"http://x\"\", \"\"a\"\")\",'-,'@统计局,"),
            "{line}"
        );
    }

    #[test]
    fn csv_keeps_numbers_unguarded_and_precise() {
        let mut plan = sample_plan();
        plan.nodes[1].weight = Some(crate::plan::Weight::Fixed(-0.25));
        let out = methods_table(&plan, TableFormat::Csv);
        let line = out.lines().nth(2).unwrap();
        assert!(line.contains(",-0.25,"), "{line}");
        // Full precision, unlike the 3 decimals of the text and Markdown forms.
        assert!(
            out.contains(",0.333333,") || out.contains(",0.333333\r"),
            "{out}"
        );
    }

    #[test]
    fn markdown_escapes_pipes_and_line_breaks() {
        let mut plan = sample_plan();
        plan.nodes[1].label = Some("a|b\nc".into());
        let out = methods_table(&plan, TableFormat::Markdown);
        let line = out.lines().nth(3).unwrap();
        assert!(line.contains(" a\\|b c "), "{line}");
        // Every line has the same number of unescaped pipes: twelve cell borders.
        for line in out.lines() {
            assert_eq!(line.replace("\\|", "").matches('|').count(), 12, "{line}");
        }
    }

    #[test]
    fn markdown_columns_line_up_with_chinese_labels() {
        let out = methods_table(&sample_plan(), TableFormat::Markdown);
        let borders: Vec<Vec<usize>> = out.lines().map(pipe_columns).collect();
        for b in &borders {
            assert_eq!(b, &borders[0]);
        }
    }

    /// The display columns of a line's unescaped pipes.
    fn pipe_columns(line: &str) -> Vec<usize> {
        let mut cols = Vec::new();
        let mut prev = None;
        for (i, c) in line.char_indices() {
            if c == '|' && prev != Some('\\') {
                cols.push(display_width(&line[..i]));
            }
            prev = Some(c);
        }
        cols
    }
}

//! Plans built by hand for the renderers' tests.

use crate::plan::*;
use crate::source::Span;

fn code(text: &str) -> Code {
    Code {
        ops: Vec::new(),
        text: text.to_string(),
        span: Span::default(),
    }
}

fn node(id: &str, label: Option<&str>, kind: NodeKind, parent: Option<u32>, depth: u32) -> Node {
    Node {
        id: id.to_string(),
        label: label.map(str::to_string),
        kind,
        parent: parent.map(NodeId),
        children: Vec::new(),
        depth,
        weight: None,
        overall: None,
        scale: (0.0, 100.0),
        group: None,
        indicator: None,
        tags: Vec::new(),
        orientation: None,
        unit: None,
        source: None,
        description: None,
        weight_factor: None,
        span: Span::default(),
        settings: Vec::new(),
    }
}

fn group(
    id: &str,
    label: &str,
    parent: u32,
    weight: Weight,
    overall: Option<f64>,
    weights: Weights,
) -> Node {
    Node {
        weight: Some(weight),
        overall,
        group: Some(GroupPlan {
            aggregate: Aggregate::Arithmetic,
            weights,
            coverage: 0.0,
            vary_derived: Vec::new(),
        }),
        ..node(id, Some(label), NodeKind::Group, Some(parent), 1)
    }
}

fn indicator(
    id: &str,
    label: &str,
    parent: u32,
    weight: Weight,
    overall: Option<f64>,
    formula: &str,
) -> Node {
    Node {
        weight: Some(weight),
        overall,
        indicator: Some(IndicatorPlan {
            formula: code(formula),
            missing: vec![MissingPolicy::Skip],
            transform: Transform::None,
            winsorise: Winsorise::None,
            direction: Direction::Positive,
            normalise: Normalise::MinMax,
        }),
        ..node(id, Some(label), NodeKind::Indicator, Some(parent), 2)
    }
}

fn tagged(mut node: Node, tags: &[&str], orientation: Option<&str>) -> Node {
    node.tags = tags.iter().map(|t| t.to_string()).collect();
    node.orientation = orientation.map(str::to_string);
    node
}

/// An index with two groups with Chinese labels: `product` weighted by AHP, `market` by
/// entropy (so its children's weights are derived), tags, settings off their defaults, a label
/// too long for the tree, adjustments and an uncertainty plan.
pub(crate) fn sample_plan() -> Plan {
    let mut index = node(
        "quality_city",
        Some("质量强市示范城市评价"),
        NodeKind::Index,
        None,
        0,
    );
    index.overall = Some(1.0);
    index.children = vec![NodeId(1), NodeId(4)];
    index.group = Some(GroupPlan {
        aggregate: Aggregate::Arithmetic,
        weights: Weights::Given,
        coverage: 0.6,
        vary_derived: Vec::new(),
    });

    let ahp = Weights::Ahp(AhpInfo {
        children: vec!["pass_rate".into(), "complaints".into()],
        matrix: vec![vec![1.0, 2.0], vec![0.5, 1.0]],
        weights: vec![2.0 / 3.0, 1.0 / 3.0],
        lambda_max: 2.0,
        ci: 0.0,
        cr: 0.0,
        ri_table: "saaty".into(),
    });
    let mut product = group("product", "产品质量", 0, Weight::Fixed(0.6), Some(0.6), ahp);
    product.children = vec![NodeId(2), NodeId(3)];
    product.source = Some("国家统计局, 《城市统计年鉴》".into());
    product.weight_factor = Some(0);

    let mut pass_rate = tagged(
        indicator(
            "pass_rate",
            "产品质量监督抽查合格率",
            1,
            Weight::Fixed(2.0 / 3.0),
            Some(0.4),
            "passed_batches / sampled_batches * 100",
        ),
        &["government"],
        Some("government"),
    );
    pass_rate.unit = Some("%".into());
    pass_rate.weight_factor = Some(1);
    if let Some(ind) = &mut pass_rate.indicator {
        ind.normalise = Normalise::Goalposts(80.0, 100.0);
    }

    let mut complaints = indicator(
        "complaints",
        "质量投诉率",
        1,
        Weight::Fixed(1.0 / 3.0),
        Some(0.2),
        "`质量投诉件数` / per_10k_people",
    );
    complaints.unit = Some("件/万人".into());
    complaints.weight_factor = Some(1);
    if let Some(ind) = &mut complaints.indicator {
        ind.direction = Direction::Negative;
        ind.transform = Transform::Log1p;
        ind.winsorise = Winsorise::Percentiles(0.05, 0.95);
        ind.missing = vec![MissingPolicy::Carry, MissingPolicy::Mean];
    }

    let mut market = tagged(
        group(
            "market",
            "市场质量",
            0,
            Weight::Fixed(0.4),
            Some(0.4),
            Weights::Entropy,
        ),
        &["market"],
        Some("market"),
    );
    market.children = vec![NodeId(5), NodeId(6)];
    market.weight_factor = Some(0);
    // `scale 1..100` on the group (for a geometric mean), inherited by its indicators.
    market.scale = (1.0, 100.0);

    let mut sales_share = tagged(
        indicator(
            "sales_share",
            "品牌产品销售份额",
            4,
            Weight::Derived("entropy".into()),
            None,
            "share(brand_sales) * 100",
        ),
        &["digital", "market"],
        Some("market"),
    );
    sales_share.weight_factor = Some(0);
    sales_share.scale = (1.0, 100.0);

    let mut intermediaries = tagged(
        indicator(
            "intermediaries",
            "每万人拥有的质量检验检测认证中介服务机构数量（含分支机构）",
            4,
            Weight::Derived("entropy".into()),
            None,
            "quality_intermediaries",
        ),
        &["market"],
        Some("market"),
    );
    intermediaries.weight_factor = Some(0);
    intermediaries.scale = (1.0, 100.0);
    if let Some(ind) = &mut intermediaries.indicator {
        ind.normalise = Normalise::Rank;
        ind.winsorise = Winsorise::Auto;
    }

    Plan {
        scheme: "default".into(),
        scheme_label: None,
        index: IndexInfo {
            id: "quality_city".into(),
            label: Some("质量强市示范城市评价".into()),
            unit_column: "city".into(),
            label_column: Some("city_name".into()),
            period_column: Some("year".into()),
            data: Some("data/cities.csv".into()),
            reference: Reference::Period,
        },
        nodes: vec![
            index,
            product,
            pass_rate,
            complaints,
            market,
            sales_share,
            intermediaries,
        ],
        lets: vec![LetDef {
            name: "per_10k_people".into(),
            code: code("population / 10000"),
        }],
        columns: Vec::new(),
        units_where: Some(code("population > 0")),
        adjustments: vec![
            Adjustment {
                kind: AdjustKind::Penalty,
                code: code("major_incidents * 5"),
                limit: Some(15.0),
            },
            Adjustment {
                kind: AdjustKind::Bonus,
                code: code("national_awards * 2"),
                limit: None,
            },
            Adjustment {
                kind: AdjustKind::Veto,
                code: code("quality_fraud_cases > 0"),
                limit: None,
            },
            Adjustment {
                kind: AdjustKind::Veto,
                code: code("safety_incidents > 2"),
                limit: Some(60.0),
            },
        ],
        uncertainty: Some(UncertaintyPlan {
            samples: 4096,
            seed: 2013,
            factors: vec![
                Factor {
                    text: "vary weights 25%".into(),
                    kind: FactorKind::VaryWeights {
                        within: None,
                        amount: 0.25,
                    },
                    overrides: Vec::new(),
                    span: Span::default(),
                    key: "vary weights None".into(),
                },
                Factor {
                    text: "vary weights in product 10%".into(),
                    kind: FactorKind::VaryWeights {
                        within: Some("product".into()),
                        amount: 0.1,
                    },
                    overrides: Vec::new(),
                    span: Span::default(),
                    key: "vary weights Some(\"product\")".into(),
                },
                Factor {
                    text: "choose normalise [minmax, rank]".into(),
                    kind: FactorKind::ChooseNormalise {
                        options: vec![Normalise::MinMax, Normalise::Rank],
                        at: None,
                    },
                    overrides: Vec::new(),
                    span: Span::default(),
                    key: "normalise None".into(),
                },
            ],
            span: Span::default(),
        }),
        surveys: Vec::new(),
    }
}

/// `sample_plan` with its nodes replaced by a deeper tree without labels:
/// index → a → (a1 → (x, y), z), and index → b.
pub(crate) fn nested_plan() -> Plan {
    let mut plan = sample_plan();
    let fixed = |w: f64| Weight::Fixed(w);
    let mut index = plan.nodes[0].clone();
    index.label = None;
    index.children = vec![NodeId(1), NodeId(6)];
    let mut a = group("a", "甲", 0, fixed(0.5), Some(0.5), Weights::Equal);
    a.children = vec![NodeId(2), NodeId(5)];
    let mut a1 = group("a1", "甲一", 1, fixed(0.5), Some(0.25), Weights::Equal);
    a1.depth = 2;
    a1.children = vec![NodeId(3), NodeId(4)];
    let leaf = |id: &str, parent: u32, depth: u32, overall: f64| Node {
        label: None,
        depth,
        ..indicator(id, "", parent, fixed(0.5), Some(overall), id)
    };
    let x = leaf("x", 2, 3, 0.125);
    let y = leaf("y", 2, 3, 0.125);
    let z = leaf("z", 1, 2, 0.25);
    let b = leaf("b", 0, 1, 0.5);
    plan.nodes = vec![index, a, a1, x, y, z, b];
    plan
}

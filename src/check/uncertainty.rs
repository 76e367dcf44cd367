//! The `uncertainty` block: factors checked against the nodes of every scheme.

use super::settings;
use crate::diagnostics::{did_you_mean, Diagnostic};
use crate::plan::{Factor, FactorKind, NodeKind, UncertaintyPlan};
use crate::source::Sources;
use crate::syntax::ast::{self, UncertaintyLine};
use std::collections::HashMap;

const CHOOSE: &[&str] = &["normalise", "aggregate", "missing", "scheme"];

pub fn check(
    u: &ast::Uncertainty,
    sources: &Sources,
    nodes: &HashMap<String, NodeKind>,
    schemes: &[String],
    surveys: &[String],
    diags: &mut Vec<Diagnostic>,
) -> UncertaintyPlan {
    let mut plan = UncertaintyPlan {
        samples: 1000,
        seed: 0,
        factors: Vec::new(),
        span: u.span,
    };
    let mut seen: HashMap<String, ast::UncertaintyLine> = HashMap::new();
    let mut samples_seen = None;
    let mut seed_seen = None;
    let node = |id: &ast::Ident, want_group: bool, diags: &mut Vec<Diagnostic>| -> bool {
        match nodes.get(&id.name) {
            Some(NodeKind::Indicator) if want_group => {
                diags.push(
                    Diagnostic::error(
                        "uncertainty-node",
                        format!("`{}` is an indicator, but this line needs a group", id.name),
                    )
                    .with_span(id.span),
                );
                false
            }
            Some(_) => true,
            None => {
                let mut d = Diagnostic::error(
                    "unknown-node",
                    format!("there is no group or indicator `{}`", id.name),
                )
                .with_span(id.span);
                if let Some(s) = did_you_mean(&id.name, nodes.keys().map(String::as_str)) {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                }
                diags.push(d);
                false
            }
        }
    };
    for line in &u.lines {
        let mut overrides = Vec::new();
        let text = sources
            .slice(line.span())
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let kind = match line {
            UncertaintyLine::Samples(n, span) => {
                if let Some(first) = samples_seen.replace(*span) {
                    diags.push(
                        Diagnostic::error("repeated", "`samples` is written twice")
                            .with_span(*span)
                            .with_related(first, "first written here"),
                    );
                }
                if n.value < 1.0 || n.value.fract() != 0.0 || n.percent {
                    diags.push(
                        Diagnostic::error(
                            "samples",
                            format!(
                                "`samples` is a whole number of replications, 1 or more, not `{}`",
                                n.text
                            ),
                        )
                        .with_span(n.span),
                    );
                } else if n.value > 1e9 {
                    diags.push(
                        Diagnostic::error(
                            "samples",
                            format!(
                                "`samples {}` is more replications than qindex runs: at most 1000000000",
                                n.text
                            ),
                        )
                        .with_span(n.span)
                        .with_hint("a few thousand replications give stable rank intervals; sensitivity needs N·(factors + 2) evaluations"),
                    );
                } else {
                    plan.samples = n.value as u64;
                }
                continue;
            }
            UncertaintyLine::Seed(n, span) => {
                if let Some(first) = seed_seen.replace(*span) {
                    diags.push(
                        Diagnostic::error("repeated", "`seed` is written twice")
                            .with_span(*span)
                            .with_related(first, "first written here"),
                    );
                }
                if n.value < 0.0 || n.value.fract() != 0.0 || n.percent || n.value >= 2f64.powi(53)
                {
                    diags.push(
                        Diagnostic::error(
                            "seed",
                            format!("`seed` is a whole number 0 or more, not `{}`", n.text),
                        )
                        .with_span(n.span),
                    );
                } else {
                    plan.seed = n.value as u64;
                }
                continue;
            }
            UncertaintyLine::VaryWeights { within, amount, .. } => {
                if let Some(w) = within {
                    if !node(w, true, diags) {
                        continue;
                    }
                }
                let Some(a) = vary_amount(amount, diags) else {
                    continue;
                };
                FactorKind::VaryWeights {
                    within: within.as_ref().map(|w| w.name.clone()),
                    amount: a,
                }
            }
            UncertaintyLine::VaryWeight {
                node: n, amount, ..
            } => {
                if !node(n, false, diags) {
                    continue;
                }
                if nodes.get(&n.name) == Some(&NodeKind::Index) {
                    diags.push(
                        Diagnostic::error("uncertainty-node", "the index has no weight to vary")
                            .with_span(n.span),
                    );
                    continue;
                }
                let Some(a) = vary_amount(amount, diags) else {
                    continue;
                };
                FactorKind::VaryWeight {
                    node: n.name.clone(),
                    amount: a,
                }
            }
            UncertaintyLine::VarySurvey { survey, .. } => {
                if !surveys.contains(&survey.name) {
                    let mut d = Diagnostic::error(
                        "unknown-survey",
                        format!("there is no survey `{}`", survey.name),
                    )
                    .with_span(survey.span);
                    d = match did_you_mean(&survey.name, surveys.iter().map(String::as_str)) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                        None => d.with_hint("declare it with `survey ID { ... }`"),
                    };
                    diags.push(d);
                    continue;
                }
                FactorKind::VarySurvey {
                    survey: survey.name.clone(),
                }
            }
            UncertaintyLine::Drop { within, .. } => {
                if let Some(w) = within {
                    if !node(w, true, diags) {
                        continue;
                    }
                }
                FactorKind::DropIndicator {
                    within: within.as_ref().map(|w| w.name.clone()),
                }
            }
            UncertaintyLine::Choose {
                what,
                options,
                options_span,
                at,
                ..
            } => {
                if !CHOOSE.contains(&what.name.as_str()) {
                    let mut d = Diagnostic::error(
                        "uncertainty-choose",
                        format!(
                            "`choose {}` is not an uncertain choice qindex knows",
                            what.name
                        ),
                    )
                    .with_span(what.span);
                    d = match did_you_mean(&what.name, CHOOSE.iter().copied()) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                        None => d.with_hint("choose normalise, aggregate, missing or scheme"),
                    };
                    diags.push(d);
                    continue;
                }
                if let Some(a) = at {
                    if what.name == "scheme" {
                        diags.push(
                            Diagnostic::error(
                                "uncertainty-choose",
                                "`choose scheme` applies to the whole index and takes no `at`",
                            )
                            .with_span(a.span),
                        );
                        continue;
                    }
                    if !node(a, what.name == "aggregate", diags) {
                        continue;
                    }
                }
                if options.len() < 2 {
                    diags.push(
                        Diagnostic::error(
                            "uncertainty-choose",
                            "a choice needs at least two options",
                        )
                        .with_span(*options_span)
                        .with_hint("list the alternatives, e.g. `[minmax, rank]`"),
                    );
                    continue;
                }
                if let Some(s) = options.iter().find_map(|o| o.share.as_ref()) {
                    diags.push(
                        Diagnostic::error(
                            "uncertainty-choose",
                            "options are chosen uniformly; they take no share",
                        )
                        .with_span(s.span),
                    );
                    continue;
                }
                let at_name = at.as_ref().map(|a| a.name.clone());
                // The equivalent scheme override of each option.
                let key = match what.name.as_str() {
                    "normalise" => Some(ast::SettingKey::Normalise),
                    "aggregate" => Some(ast::SettingKey::Aggregate),
                    "missing" => Some(ast::SettingKey::Missing),
                    _ => None,
                };
                overrides = key
                    .map(|key| {
                        options
                            .iter()
                            .map(|o| ast::Setting {
                                key,
                                key_span: what.span,
                                target: at.clone(),
                                value: if key == ast::SettingKey::Missing {
                                    ast::SettingValue::Methods(vec![o.method.clone()])
                                } else {
                                    ast::SettingValue::Method(o.method.clone())
                                },
                                span: o.span,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let mut ok = true;
                let kind = match what.name.as_str() {
                    "normalise" => FactorKind::ChooseNormalise {
                        options: options
                            .iter()
                            .filter_map(|o| {
                                settings::normalise(&o.method)
                                    .map_err(|d| diags.push(d))
                                    .ok()
                            })
                            .collect(),
                        at: at_name,
                    },
                    "aggregate" => FactorKind::ChooseAggregate {
                        options: options
                            .iter()
                            .filter_map(|o| {
                                settings::aggregate(&o.method)
                                    .map_err(|d| diags.push(d))
                                    .ok()
                            })
                            .collect(),
                        at: at_name,
                    },
                    "missing" => FactorKind::ChooseMissing {
                        options: options
                            .iter()
                            .filter_map(|o| {
                                settings::missing(&o.method).map_err(|d| diags.push(d)).ok()
                            })
                            .collect(),
                        at: at_name,
                    },
                    _ => {
                        let mut names = Vec::new();
                        for o in options {
                            let n = &o.method.name;
                            if n.name != "default" && !schemes.contains(&n.name) {
                                let mut d = Diagnostic::error(
                                    "unknown-scheme",
                                    format!("there is no scheme `{}`", n.name),
                                )
                                .with_span(n.span);
                                d = match did_you_mean(&n.name, schemes.iter().map(String::as_str).chain(["default"])) {
                                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                                    None => d.with_hint("the base index is the scheme `default`; others are declared with `scheme ID { ... }`"),
                                };
                                diags.push(d);
                                ok = false;
                            }
                            names.push(n.name.clone());
                        }
                        FactorKind::ChooseScheme { options: names }
                    }
                };
                let count = match &kind {
                    FactorKind::ChooseNormalise { options, .. } => options.len(),
                    FactorKind::ChooseAggregate { options, .. } => options.len(),
                    FactorKind::ChooseMissing { options, .. } => options.len(),
                    _ => options.len(),
                };
                if !ok || count != options.len() {
                    continue;
                }
                kind
            }
        };
        let key = factor_key(&kind);
        if let Some(first) = seen.get(&key) {
            diags.push(
                Diagnostic::error("repeated-factor", "this uncertain factor is already listed")
                    .with_span(line.span())
                    .with_related(first.span(), "first listed here")
                    .with_hint("each factor appears once; merge the two lines"),
            );
            continue;
        }
        seen.insert(key.clone(), line.clone());
        plan.factors.push(Factor {
            text,
            kind,
            overrides,
            key,
            span: line.span(),
        });
    }
    plan
}

fn factor_key(k: &FactorKind) -> String {
    match k {
        FactorKind::VaryWeights { within, .. } => format!("vary weights {within:?}"),
        FactorKind::VaryWeight { node, .. } => format!("vary weight {node}"),
        FactorKind::ChooseNormalise { at, .. } => format!("normalise {at:?}"),
        FactorKind::ChooseAggregate { at, .. } => format!("aggregate {at:?}"),
        FactorKind::ChooseMissing { at, .. } => format!("missing {at:?}"),
        FactorKind::ChooseScheme { .. } => "scheme".into(),
        FactorKind::DropIndicator { within } => format!("drop {within:?}"),
        FactorKind::VarySurvey { survey } => format!("vary survey {survey}"),
    }
}

fn vary_amount(n: &ast::Number, diags: &mut Vec<Diagnostic>) -> Option<f64> {
    match settings::fraction(n, "how far a weight varies") {
        Ok(v) if v > 0.0 => Some(v),
        Ok(_) => {
            diags.push(
                Diagnostic::error("fraction", "a weight that varies by 0% does not vary")
                    .with_span(n.span),
            );
            None
        }
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

//! Scheme overlays: a scheme edits a copy of the base model (LANGUAGE.md "Schemes").

use super::load::Program;
use super::model::{MNode, Model, TreeBuilder};
use super::settings::{self, slot, Set, Val, WeightsSpec};
use crate::diagnostics::{did_you_mean, Diagnostic};
use crate::plan::{NodeKind, Weights};
use crate::source::Span;
use crate::syntax::ast::{self, Override, SettingKey};

/// Settings that a scheme applies to indicators (and, for `scale`, to groups' scores).
fn indicator_setting(key: SettingKey) -> bool {
    matches!(
        key,
        SettingKey::Normalise
            | SettingKey::Goalposts
            | SettingKey::Direction
            | SettingKey::Transform
            | SettingKey::Winsorise
            | SettingKey::Missing
            | SettingKey::Scale
    )
}

fn group_setting(key: SettingKey) -> bool {
    matches!(
        key,
        SettingKey::Aggregate | SettingKey::Weights | SettingKey::Coverage
    )
}

/// The chain of schemes to apply, the most basic first (`from`), or an error.
pub fn chain<'p>(
    schemes: &[&'p ast::Scheme],
    name: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<&'p ast::Scheme>> {
    let mut out: Vec<&ast::Scheme> = Vec::new();
    let mut cur = schemes.iter().find(|s| s.id.name == name).copied()?;
    loop {
        if out.iter().any(|s| s.id.name == cur.id.name) {
            let names: Vec<&str> = out
                .iter()
                .map(|s| s.id.name.as_str())
                .chain([cur.id.name.as_str()])
                .collect();
            // Report a cycle once, from the scheme declared first among its members.
            let first = out
                .iter()
                .skip_while(|s| s.id.name != cur.id.name)
                .map(|s| s.id.span.start)
                .min();
            if cur.id.name != name || first != Some(cur.id.span.start) {
                return None;
            }
            diags.push(
                Diagnostic::error(
                    "scheme-cycle",
                    "these schemes are built `from` each other in a cycle",
                )
                .with_span(cur.id.span)
                .with_note(format!("cycle: {}", names.join(" → from "))),
            );
            return None;
        }
        out.push(cur);
        let Some(from) = &cur.from else { break };
        if from.name == "default" {
            break;
        }
        match schemes.iter().find(|s| s.id.name == from.name) {
            Some(s) => cur = s,
            None => {
                let mut d = Diagnostic::error(
                    "unknown-scheme",
                    format!("there is no scheme `{}` to build from", from.name),
                )
                .with_span(from.span);
                if let Some(s) =
                    did_you_mean(&from.name, schemes.iter().map(|s| s.id.name.as_str()))
                {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                }
                diags.push(d);
                return None;
            }
        }
    }
    out.reverse();
    Some(out)
}

/// Applies a chain of schemes: first every structural change (`exclude`, `add`) in chain
/// order, then every setting and weight, so that overrides reach what the chain added.
pub fn apply_chain(
    program: &Program,
    model: &mut Model,
    chain: &[&ast::Scheme],
    diags: &mut Vec<Diagnostic>,
) {
    for s in chain {
        apply(program, model, s, true, diags);
    }
    for s in chain {
        apply(program, model, s, false, diags);
    }
}

fn apply(
    program: &Program,
    model: &mut Model,
    scheme: &ast::Scheme,
    structure: bool,
    diags: &mut Vec<Diagnostic>,
) {
    // Groups whose weights this scheme sets, for `add` into an AHP group.
    let sets_weights: Vec<Option<String>> = scheme
        .overrides
        .iter()
        .filter_map(|o| match o {
            Override::Setting(s) if s.key == SettingKey::Weights => {
                Some(s.target.as_ref().map(|t| t.name.clone()))
            }
            _ => None,
        })
        .collect();
    for o in &scheme.overrides {
        if structure == matches!(o, Override::Setting(_)) {
            continue;
        }
        match o {
            Override::Exclude(ids, _) => {
                for id in ids {
                    let Some(i) = lookup(model, id, diags) else {
                        continue;
                    };
                    if i == 0 {
                        diags.push(
                            Diagnostic::error(
                                "exclude-index",
                                "the index itself cannot be excluded",
                            )
                            .with_span(id.span),
                        );
                        continue;
                    }
                    remove(model, i);
                }
                if model.live_children(0).is_empty() {
                    diags.push(
                        Diagnostic::error(
                            "exclude-all",
                            format!(
                                "scheme `{}` excludes everything in the index",
                                scheme.id.name
                            ),
                        )
                        .with_span(o.span()),
                    );
                }
            }
            Override::Add { to, members, span } => {
                let at = match to {
                    Some(t) => match lookup(model, t, diags) {
                        Some(i) if model.nodes[i].kind == NodeKind::Indicator => {
                            diags.push(
                                Diagnostic::error(
                                    "add-to-indicator",
                                    format!("`{}` is an indicator; `add to` names a group", t.name),
                                )
                                .with_span(t.span),
                            );
                            continue;
                        }
                        Some(i) => i,
                        None => continue,
                    },
                    None => 0,
                };
                let ahp = matches!(model.nodes[at].explicit.get(&SettingKey::Weights), Some(Set { val: Val::Weights(w), .. }) if w.has_ahp());
                let id = model.nodes[at].id.clone();
                let covered = sets_weights.iter().any(|t| match t {
                    Some(t) => *t == id,
                    None => at == 0,
                });
                if ahp && !covered {
                    diags.push(
                        Diagnostic::error("add-to-ahp", format!("`{id}` is weighted by AHP judgements, which say nothing about what this adds"))
                            .with_span(Span::new(span.file, span.start as usize, span.start as usize + 3))
                            .with_hint(format!("also set the group's weights in this scheme, e.g. `weights {id} = equal`, or an `ahp {{ ... }}` with the new children")),
                    );
                    continue;
                }
                let mut b = TreeBuilder::new(program, diags, model);
                b.members(model, at, members);
            }
            Override::Setting(s) => setting(model, s, &scheme.id.name, diags),
        }
    }
}

fn lookup(model: &Model, id: &ast::Ident, diags: &mut Vec<Diagnostic>) -> Option<usize> {
    if let Some(i) = model.find(&id.name) {
        return Some(i);
    }
    let excluded = model.nodes.iter().any(|n| n.id == id.name && n.removed);
    let mut d = Diagnostic::error(
        "unknown-node",
        if excluded {
            format!("`{}` is already excluded by this scheme", id.name)
        } else {
            format!("there is no group or indicator `{}`", id.name)
        },
    )
    .with_span(id.span);
    if !excluded {
        if let Some(s) = did_you_mean(
            &id.name,
            model
                .nodes
                .iter()
                .filter(|n| !n.removed)
                .map(|n| n.id.as_str()),
        ) {
            d = d.with_hint(format!("did you mean `{s}`?"));
        }
    }
    diags.push(d);
    None
}

/// Removes a node; a group left without children goes too.
fn remove(model: &mut Model, i: usize) {
    model.nodes[i].removed = true;
    let mut p = model.nodes[i].parent;
    while let Some(g) = p {
        if g == 0 || !model.live_children(g).is_empty() {
            break;
        }
        model.nodes[g].removed = true;
        p = model.nodes[g].parent;
    }
}

fn setting(model: &mut Model, s: &ast::Setting, scheme: &str, diags: &mut Vec<Diagnostic>) {
    let target = match &s.target {
        Some(t) => match lookup(model, t, diags) {
            Some(i) => Some(i),
            None => return,
        },
        None => None,
    };
    let val = match settings::value(s) {
        Ok(v) => v,
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    let set = Set {
        val: val.clone(),
        span: s.span,
    };
    let key = slot(s.key);
    let reached = match s.key {
        SettingKey::Weight => {
            let Some(i) = target else {
                diags.push(
                    Diagnostic::error(
                        "weight-needs-node",
                        "`weight` in a scheme names the node it is for",
                    )
                    .with_span(s.span)
                    .with_hint("write `weight NODE = W`"),
                );
                return;
            };
            let Val::Weight(w) = val else { return };
            set_weight(model, i, w, s, diags);
            true
        }
        k if group_setting(k) => {
            if let Some(i) = target {
                if model.nodes[i].kind == NodeKind::Indicator {
                    diags.push(
                        Diagnostic::error(
                            "setting-place",
                            format!(
                                "`{}` applies to groups, but `{}` is an indicator",
                                k.keyword(),
                                model.nodes[i].id
                            ),
                        )
                        .with_span(s.target.as_ref().map_or(s.span, |t| t.span)),
                    );
                    return;
                }
                model.nodes[i].forced.insert(key, set);
                true
            } else {
                let mut any = false;
                for g in model.subtree(0) {
                    let n = &mut model.nodes[g];
                    if n.kind != NodeKind::Indicator && !n.explicit.contains_key(&key) {
                        n.forced.insert(key, set.clone());
                        any = true;
                    }
                }
                any
            }
        }
        k if indicator_setting(k) => {
            let root = target.unwrap_or(0);
            let mut any = false;
            for n in model.subtree(root) {
                let node = &mut model.nodes[n];
                let applies = node.kind == NodeKind::Indicator || k == SettingKey::Scale;
                if applies && !node.explicit.contains_key(&key) {
                    node.forced.insert(key, set.clone());
                    any = true;
                }
            }
            any
        }
        SettingKey::Reference => {
            if let Some(i) = target {
                if i != 0 {
                    diags.push(
                        Diagnostic::error(
                            "setting-place",
                            "`reference` is set for the whole index",
                        )
                        .with_span(s.span)
                        .with_hint("write `reference panel` without a node"),
                    );
                    return;
                }
            }
            model.nodes[0].forced.insert(key, set);
            true
        }
        _ => {
            // unit, source, description, tag: metadata of one node.
            let Some(i) = target else {
                diags.push(
                    Diagnostic::error(
                        "setting-needs-node",
                        format!("`{}` in a scheme names the node it is for", s.key.keyword()),
                    )
                    .with_span(s.span)
                    .with_hint(format!("write `{} NODE = ...`", s.key.keyword())),
                );
                return;
            };
            model.nodes[i].explicit.insert(key, set);
            true
        }
    };
    if !reached {
        diags.push(
            Diagnostic::warning(
                "override-unused",
                format!("this override of scheme `{scheme}` reaches nothing: every node it could apply to sets `{}` itself", s.key.keyword()),
            )
            .with_span(s.span)
            .with_hint("name the node (`SETTING NODE = VALUE`) to change a node that sets its own, or remove the line"),
        );
    }
}

fn set_weight(model: &mut Model, i: usize, w: f64, s: &ast::Setting, diags: &mut Vec<Diagnostic>) {
    let Some(p) = model.nodes[i].parent else {
        diags.push(Diagnostic::error("weight-index", "the index has no weight").with_span(s.span));
        return;
    };
    let parent: &MNode = &model.nodes[p];
    let spec = parent
        .forced
        .get(&SettingKey::Weights)
        .or_else(|| parent.explicit.get(&SettingKey::Weights))
        .map(|s| &s.val);
    if let Some(Val::Weights(spec)) = spec {
        match spec {
            WeightsSpec::Simple(Weights::Given) => {}
            WeightsSpec::Simple(Weights::Equal) => {
                // An explicit weight turns `equal` into given weights of 1 each.
                let set = Set {
                    val: Val::Weights(WeightsSpec::Simple(Weights::Given)),
                    span: s.span,
                };
                model.nodes[p].forced.insert(SettingKey::Weights, set);
            }
            other => {
                diags.push(
                    Diagnostic::error(
                        "weight-derived",
                        format!(
                            "the weights of `{}`'s children come from `weights {}`, so `{}` cannot be given one",
                            model.nodes[p].id,
                            other.name(),
                            model.nodes[i].id
                        ),
                    )
                    .with_span(s.span)
                    .with_hint(format!("set `weights {} = given` in this scheme too, with a weight for each child", model.nodes[p].id)),
                );
                return;
            }
        }
    }
    let siblings = model.live_children(p);
    if siblings.iter().all(|c| model.nodes[*c].weight.is_none()) {
        for c in siblings {
            model.nodes[c].weight = Some((1.0, model.nodes[c].id_span));
        }
    }
    model.nodes[i].weight = Some((w, s.span));
}

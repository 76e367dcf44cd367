//! Groups over one block: children's weights (fixed, or derived from the block's units) and
//! aggregation, bottom-up.

use super::{flags, Warnings};
use crate::data::Frame;
use crate::methods::aggregate::{self as agg, AggregateError, Child};
use crate::methods::normalise::{self as norm, PointMap, Scale};
use crate::methods::pca;
use crate::methods::weights as w;
use crate::plan::{Aggregate, Direction, NodeId, NodeKind, Plan, SettingKey, Weight, Weights};
use crate::Error;
use std::borrow::Cow;

/// An error of evaluation at the setting `key` of node `id` (see [`Node::setting_error`]).
fn error(plan: &Plan, id: NodeId, key: SettingKey, message: String, hint: &str) -> Error {
    let mut d = plan.node(id).setting_error(key, "evaluate", message);
    if !hint.is_empty() {
        d = d.with_hint(hint.to_string());
    }
    Error::Diagnostics(vec![d])
}

/// Aggregates every group and the index, children first. Returns each node's weight within its
/// parent (NaN for the index). Groups at one depth are independent and run in parallel; their
/// warnings are merged in plan order, so the output does not depend on the thread count.
#[allow(clippy::too_many_arguments)]
pub fn aggregate_all(
    plan: &Plan,
    frame: &Frame,
    rows: &[usize],
    is_unit: &[bool],
    raw: &[Cow<[f64]>],
    treated: &[Option<Vec<f64>>],
    deferred: &[Option<PointMap>],
    value: &mut [Vec<f64>],
    node_flags: &mut [Vec<u8>],
    period: Option<&str>,
    warnings: &mut Warnings,
) -> Result<Vec<f64>, Error> {
    let mut weights = vec![f64::NAN; plan.nodes.len()];
    let groups: Vec<NodeId> = plan
        .ids()
        .filter(|id| plan.node(*id).kind != NodeKind::Indicator)
        .collect();
    let deepest = groups
        .iter()
        .map(|g| plan.node(*g).depth)
        .max()
        .unwrap_or(0);
    for depth in (0..=deepest).rev() {
        let level: Vec<NodeId> = groups
            .iter()
            .copied()
            .filter(|g| plan.node(*g).depth == depth)
            .collect();
        let threads = crate::threads().clamp(1, level.len().max(1));
        let shared: &[Vec<f64>] = value;
        let run = |id: NodeId| {
            (
                id,
                one_group(
                    plan, frame, rows, is_unit, raw, treated, deferred, shared, period, id,
                ),
            )
        };
        let mut done: Vec<(NodeId, Result<GroupOut, Error>)> = if threads == 1 {
            level.iter().map(|id| run(*id)).collect()
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let level = &level;
                        let run = &run;
                        s.spawn(move || {
                            level
                                .iter()
                                .skip(t)
                                .step_by(threads)
                                .map(|id| run(*id))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().expect("groups do not panic"))
                    .collect()
            })
        };
        done.sort_by_key(|d| d.0);
        for (id, out) in done {
            let out = out?;
            for (c, wt) in plan.node(id).children.iter().zip(&out.weights) {
                weights[c.index()] = *wt;
            }
            value[id.index()] = out.value;
            node_flags[id.index()] = out.flags;
            warnings.list.extend(out.warnings.list);
        }
    }
    Ok(weights)
}

/// What one group computes.
struct GroupOut {
    weights: Vec<f64>,
    value: Vec<f64>,
    flags: Vec<u8>,
    warnings: Warnings,
}

#[allow(clippy::too_many_arguments)]
fn one_group(
    plan: &Plan,
    frame: &Frame,
    rows: &[usize],
    is_unit: &[bool],
    raw: &[Cow<[f64]>],
    treated: &[Option<Vec<f64>>],
    deferred: &[Option<PointMap>],
    value: &[Vec<f64>],
    period: Option<&str>,
    id: NodeId,
) -> Result<GroupOut, Error> {
    let n = rows.len();
    let node = plan.node(id);
    let mut warnings = Warnings::default();
    let g = node.group.as_ref().expect("a group");
    let kids = &node.children;
    // The children's columns: computed, or treated values with their normalisation deferred.
    let children: Vec<Child> = kids
        .iter()
        .map(|c| {
            let k = c.index();
            match (&deferred[k], &treated[k]) {
                (Some(map), Some(t)) => Child::Mapped(t, *map),
                (Some(map), None) => Child::Mapped(&raw[k], *map),
                (None, _) => Child::Values(&value[k]),
            }
        })
        .collect();
    let fixed: Option<Vec<f64>> = kids
        .iter()
        .map(|c| plan.node(*c).weight.as_ref().and_then(Weight::fixed))
        .collect();
    let ws: Vec<f64> = match fixed {
        Some(f) => f,
        None => derive(
            plan,
            frame,
            rows,
            id,
            &g.weights,
            is_unit,
            raw,
            treated,
            &children,
            period,
            &mut warnings,
        )
        .map(|ws| vary_derived(ws, &g.vary_derived))?,
    };
    let mut out = vec![0.0; n];
    let scale = Scale {
        lo: node.scale.0,
        hi: node.scale.1,
    };
    // The comparative methods take their reference set (ideal points, means and sds, maxima,
    // opponents) from the units only (`units where`); other rows are scored against it.
    let units = (!is_unit.iter().all(|u| *u)).then_some(is_unit);
    let result = agg::aggregate_children(
        g.aggregate,
        &children,
        &ws,
        g.coverage,
        scale,
        units,
        &mut out,
    );
    let report = match result {
        Ok(r) => r,
        Err(AggregateError::NegativeInput {
            row,
            child,
            value: v,
        }) => {
            let unit = frame.units().get(rows[row]);
            return Err(error(
                plan,
                id,
                SettingKey::Aggregate,
                format!(
                    "`aggregate {}` of `{}` got a negative value {v} from `{}` for unit {unit}",
                    g.aggregate,
                    node.id,
                    plan.node(kids[child]).id
                ),
                "geometric, harmonic and power means need non-negative values: use a normalisation onto a positive scale, e.g. `scale 1..100` or `zscore(100, 10)`",
            ));
        }
        Err(e) => {
            return Err(error(
                plan,
                id,
                SettingKey::Aggregate,
                format!("cannot aggregate `{}`: {e}", node.id),
                "",
            ))
        }
    };
    if !report.zero_rows.is_empty() {
        warnings.add(
            "aggregate-zero",
            format!("a zero child value makes the {} mean 0", g.aggregate),
            Some(&node.id),
            period,
            report.zero_rows.len(),
        );
    }
    let mut f: Vec<u8> = Vec::new();
    for &r in &report.uncovered {
        if f.is_empty() {
            f = vec![0; n];
        }
        f[r] |= flags::BELOW_COVERAGE;
    }
    let uncovered_units = report.uncovered.iter().filter(|r| is_unit[**r]).count();
    warnings.add(
        "below-coverage",
        format!(
            "the children present carry less than {}% of the weight: no score",
            crate::plan::num(g.coverage * 100.0)
        ),
        Some(&node.id),
        period,
        uncovered_units,
    );
    if !report.constant.is_empty() {
        let names: Vec<String> = report
            .constant
            .iter()
            .map(|k| format!("`{}`", plan.node(kids[*k]).id))
            .collect();
        warnings.add(
            "constant-child",
            format!(
                "{} did not vary across the units, so `aggregate {}` cannot tell them apart on it",
                names.join(", "),
                g.aggregate
            ),
            Some(&node.id),
            period,
            report.constant.len(),
        );
    }
    // Rank reversal: these scores depend on which units are compared.
    let comparing = match g.aggregate {
        Aggregate::Topsis => Some("TOPSIS"),
        Aggregate::Copeland { .. } => Some("Copeland"),
        Aggregate::Grey(_) => Some("grey relational analysis"),
        _ => None,
    };
    if let Some(name) = comparing {
        warnings.add(
            "rank-reversal",
            format!(
                "{name} compares units with each other: adding or removing a unit can swap others"
            ),
            Some(&node.id),
            period,
            1,
        );
    }
    Ok(GroupOut {
        weights: ws,
        value: out,
        flags: f,
        warnings,
    })
}

/// The children's values that data-derived weights read: min-max values in [0, 1], positively
/// oriented (entropy, CRITIC, sd), or treated values (cv); over the block's units only.
/// Derived weights times the uncertainty analysis' multipliers, renormalised.
fn vary_derived(mut ws: Vec<f64>, by: &[f64]) -> Vec<f64> {
    if by.len() != ws.len() {
        return ws;
    }
    for (w, m) in ws.iter_mut().zip(by) {
        *w *= m;
    }
    let sum: f64 = ws.iter().filter(|w| w.is_finite()).sum();
    if sum > 0.0 {
        for w in &mut ws {
            *w /= sum;
        }
    }
    ws
}

#[allow(clippy::too_many_arguments)]
fn derive(
    plan: &Plan,
    frame: &Frame,
    rows: &[usize],
    id: NodeId,
    method: &Weights,
    is_unit: &[bool],
    raw: &[Cow<[f64]>],
    treated: &[Option<Vec<f64>>],
    children: &[Child],
    period: Option<&str>,
    warnings: &mut Warnings,
) -> Result<Vec<f64>, Error> {
    let node = plan.node(id);
    let kids = &node.children;
    let units: Vec<usize> = (0..is_unit.len()).filter(|i| is_unit[*i]).collect();
    let treated_of = |c: NodeId| -> &[f64] {
        match &treated[c.index()] {
            Some(t) => t,
            None => &raw[c.index()],
        }
    };
    let child_values = |oriented: bool| -> Vec<Vec<f64>> {
        kids.iter()
            .zip(children)
            .map(|(c, child)| {
                let cn = plan.node(*c);
                let (x, dir): (Cow<[f64]>, Direction) = match &cn.indicator {
                    Some(ind) => (
                        Cow::Borrowed(treated_of(*c)),
                        ind.direction.transformed(ind.transform),
                    ),
                    None => (child.values(), Direction::Positive),
                };
                let u: Vec<f64> = units.iter().map(|i| x[*i]).collect();
                if !oriented {
                    return u;
                }
                let mut out = vec![0.0; u.len()];
                // The scale is valid, so this cannot fail.
                let _ = norm::minmax(&u, &u, dir, Scale::UNIT, &mut out);
                out
            })
            .collect()
    };
    let mut one = |m: &Weights| -> Result<Vec<f64>, Error> {
        let r = match m {
            Weights::Entropy => w::entropy(&child_values(true)),
            Weights::Critic => w::critic(&child_values(true)),
            Weights::Sd => w::sd(&child_values(true)),
            Weights::Cv => w::cv(&child_values(false)),
            Weights::Equal | Weights::Given => return Ok(w::equal(kids.len())),
            Weights::Ahp(info) => return Ok(info.weights.clone()),
            Weights::Pca { rotated } => {
                // On the children's normalised values, as they enter the aggregation.
                let cols: Vec<Vec<f64>> = children
                    .iter()
                    .map(|c| {
                        let v = c.values();
                        units.iter().map(|i| v[*i]).collect()
                    })
                    .collect();
                let r = pca::pca(&cols, *rotated).map_err(|e| {
                    error(
                        plan,
                        id,
                        SettingKey::Weights,
                        format!(
                            "cannot derive the PCA weights of `{}`'s children: {e}",
                            node.id
                        ),
                        "",
                    )
                })?;
                pca_warnings(plan, frame, rows, id, &units, &r, period, warnings);
                return Ok(r.weights);
            }
            Weights::Combine { .. } => unreachable!("combine is not nested"),
        };
        match r {
            Ok(d) => {
                warn_degenerate(plan, id, &d.degenerate, period, warnings);
                Ok(d.weights)
            }
            Err(e) => Err(error(
                plan,
                id,
                SettingKey::Weights,
                format!("cannot derive the weights of `{}`'s children: {e}", node.id),
                "",
            )),
        }
    };
    match method {
        Weights::Combine { product, parts } => {
            let computed: Vec<(Vec<f64>, f64)> = parts
                .iter()
                .map(|(m, s)| one(m).map(|v| (v, *s)))
                .collect::<Result<_, _>>()?;
            let r = if *product {
                let refs: Vec<&[f64]> = computed.iter().map(|(v, _)| v.as_slice()).collect();
                w::combine_product(&refs)
            } else {
                let refs: Vec<(&[f64], f64)> =
                    computed.iter().map(|(v, s)| (v.as_slice(), *s)).collect();
                w::combine_linear(&refs)
            };
            r.map_err(|e| {
                error(
                    plan,
                    id,
                    SettingKey::Weights,
                    format!("cannot combine the weights of `{}`: {e}", node.id),
                    "",
                )
            })
        }
        m => one(m),
    }
}

/// The children (indices into `id`'s) that derived weights gave 0 for having no variation.
fn warn_degenerate(
    plan: &Plan,
    id: NodeId,
    degenerate: &[usize],
    period: Option<&str>,
    warnings: &mut Warnings,
) {
    if degenerate.is_empty() {
        return;
    }
    let node = plan.node(id);
    let names: Vec<String> = degenerate
        .iter()
        .map(|k| format!("`{}`", plan.node(node.children[*k]).id))
        .collect();
    warnings.add(
        "degenerate-weight",
        format!(
            "{} had no variation among the units and got weight 0",
            names.join(", ")
        ),
        Some(&node.id),
        period,
        degenerate.len(),
    );
}

/// Warnings about PCA weights: units left out for missing values, constant children, and a
/// weak or missing factor structure.
#[allow(clippy::too_many_arguments)]
fn pca_warnings(
    plan: &Plan,
    frame: &Frame,
    rows: &[usize],
    id: NodeId,
    units: &[usize],
    r: &pca::PcaWeights,
    period: Option<&str>,
    warnings: &mut Warnings,
) {
    let node = plan.node(id);
    if !r.dropped.is_empty() {
        const SHOWN: usize = 10;
        let mut names: Vec<&str> = r
            .dropped
            .iter()
            .take(SHOWN)
            .map(|k| frame.units().get(rows[units[*k]]))
            .collect();
        let more = r.dropped.len().saturating_sub(SHOWN);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        names.sort_unstable();
        warnings.add(
            "pca-incomplete",
            format!(
                "PCA weights use the units with every child present; left out: {}{more}",
                names.join(", ")
            ),
            Some(&node.id),
            period,
            r.dropped.len(),
        );
    }
    warn_degenerate(plan, id, &r.degenerate, period, warnings);
    if r.fallback {
        warnings.add(
            "pca-components",
            "no principal component has an eigenvalue above 1 (the children are uncorrelated): \
             the weights come from the first component alone; consider `weights equal`"
                .into(),
            Some(&node.id),
            period,
            1,
        );
    } else if r.explained < 0.6 {
        warnings.add(
            "pca-components",
            format!(
                "the {} retained principal components explain {:.1}% of the variance, less \
                 than the 60% the OECD/JRC Handbook asks for",
                r.retained,
                r.explained * 100.0
            ),
            Some(&node.id),
            period,
            1,
        );
    }
}

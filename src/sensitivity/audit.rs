//! Every replication auditable (`docs/checking-uncertainty.md`): what each replication of
//! `qindex uncertainty` (or each evaluation of `qindex sensitivity`) drew, as JSON Lines; any
//! replication replayed as a scheme that `qindex run` evaluates; and what each configuration
//! of the block does to the indicators and groups.
//!
//! Everything here reads the kernel's own draws ([`Kernel::trace`]) and outcomes: an export
//! never changes the results, and the results never depend on an export.

use super::indices;
use super::kernel::{Kernel, Plans, Trace};
use super::sobol::{Block, Design};
use super::uncertainty::{self, check_block, fill_replication, marc_of, PREPARE_LIMIT};
use crate::data::Frame;
use crate::eval::{self, flags, EvalOptions, PeriodChoice, PeriodResult, Results};
use crate::plan::{FactorKind, NodeId, Plan};
use crate::Error;
use std::collections::HashMap;
use std::path::Path;

/// Replications exported per call of the kernel.
const CHUNK: usize = 1024;

/// The nominal results and the kernel of a run.
fn setup<'a, 'f>(
    plans: &'a Plans<'a>,
    frame: &'f Frame,
    period: &PeriodChoice,
) -> Result<(Results<'f>, Kernel<'a, 'f>, EvalOptions), Error> {
    let unc = check_block(plans)?;
    let eval_opts = EvalOptions {
        period: period.clone(),
        filter: None,
        ..Default::default()
    };
    let nominal = eval::evaluate(plans.base, frame, &eval_opts)?;
    let Some(nom) = nominal.periods.first() else {
        return Err(Error::Usage("the data has no rows to evaluate".into()));
    };
    let kernel = Kernel::new(plans, unc, frame, eval_opts.clone(), nom.rows.clone());
    kernel.prepare_configurations(PREPARE_LIMIT)?;
    Ok((nominal, kernel, eval_opts))
}

/// The weights within their parent that the evaluator used for `plan`, of the nodes `want`
/// names that are still attached, in plan order.
fn used_weights(
    plan: &Plan,
    frame: &Frame,
    eval_opts: &EvalOptions,
    want: impl Fn(&str) -> bool,
) -> Result<Vec<(String, f64)>, Error> {
    let results = eval::evaluate(plan, frame, eval_opts)?;
    let p = results
        .periods
        .first()
        .ok_or_else(|| Error::Usage("a replication evaluated no period".into()))?;
    let attached = attached(plan);
    Ok(plan
        .ids()
        .filter(|id| {
            attached[id.index()] && plan.node(*id).parent.is_some() && want(&plan.node(*id).id)
        })
        .filter_map(|id| {
            let w = p.weights[id.index()];
            w.is_finite().then(|| (plan.node(id).id.clone(), w))
        })
        .collect())
}

/// Per node: whether it hangs from the index through its parents' children.
fn attached(plan: &Plan) -> Vec<bool> {
    let mut out = vec![false; plan.nodes.len()];
    let mut stack = vec![NodeId::ROOT];
    while let Some(id) = stack.pop() {
        out[id.index()] = true;
        stack.extend(plan.node(id).children.iter().copied());
    }
    out
}

/// What one replication of `qindex uncertainty` (or one evaluation of the Saltelli design of
/// `qindex sensitivity`) drew, and what came of it: a line of the audit export
/// (`docs/checking-uncertainty.md`), rendered by `report::audit::record_line`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Record {
    pub draw: Draw,
    /// The option of each `choose` line, in line order: (line, option).
    pub choices: Vec<(String, String)>,
    /// The indicators dropped, in line order.
    pub dropped: Vec<String>,
    /// The weights used in the groups whose weights vary: (node id, weight within its parent).
    pub weights: Vec<(String, f64)>,
    /// The mean absolute rank change against the nominal ranks.
    pub marc: Option<f64>,
    /// Each unit's rank (`None`: unranked), in the nominal results' row order.
    pub ranks: Vec<(String, Option<u32>)>,
    /// The survey estimates the replication re-estimated (`vary survey`): per frame column,
    /// each unit's value in the period (see [`SurveyColumn`]).
    pub survey: Vec<SurveyColumn>,
}

/// A survey estimate column as a replication re-estimated it by the bootstrap: each unit's
/// value in the evaluated period (`None`: no estimate), in the nominal results' row order.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SurveyColumn {
    pub column: String,
    pub values: Vec<(String, Option<f64>)>,
}

/// The re-estimated survey columns of a traced replication, over the units of the period.
fn survey_columns(t: &Trace, frame: &Frame, nom: &PeriodResult) -> Vec<SurveyColumn> {
    t.survey
        .iter()
        .map(|(column, values)| SurveyColumn {
            column: column.clone(),
            values: nom
                .rows
                .iter()
                .enumerate()
                .filter(|(i, _)| nom.is_unit[*i])
                .map(|(_, row)| {
                    let v = values[*row];
                    (
                        frame.units().get(*row).to_string(),
                        v.is_finite().then_some(v),
                    )
                })
                .collect(),
        })
        .collect()
}

/// Which draw a [`Record`] is.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Draw {
    /// Replication `r` of `qindex uncertainty`.
    Replication(usize),
    /// Row `row` of the Saltelli design: base sample `sample`, matrix `A`, `B` or `AB_i`, and
    /// for `AB_i` the text of factor i.
    Evaluation {
        row: usize,
        sample: usize,
        matrix: String,
        factor: Option<String>,
    },
}

/// The record of the draw `u` (see [`Record`]).
fn record(
    kernel: &Kernel,
    frame: &Frame,
    eval_opts: &EvalOptions,
    nom: &PeriodResult,
    u: &[f64],
    ranks_in: &[u32],
    draw: Draw,
) -> Result<Record, Error> {
    let t = kernel.trace(u)?;
    let varied = kernel.varied_nodes();
    let weights = if varied.is_empty() {
        Vec::new()
    } else {
        used_weights(&t.plan, &kernel.frame_for(&t), eval_opts, |id| {
            varied.contains(&id)
        })?
    };
    let survey = survey_columns(&t, frame, nom);
    let ranks = nom
        .rows
        .iter()
        .enumerate()
        .filter(|(i, _)| nom.is_unit[*i])
        .map(|(i, row)| {
            let r = ranks_in[i];
            (frame.units().get(*row).to_string(), (r > 0).then_some(r))
        })
        .collect();
    Ok(Record {
        draw,
        choices: t.choices,
        dropped: t.dropped,
        weights,
        marc: marc_of(ranks_in, &nom.final_rank),
        ranks,
        survey,
    })
}

/// `qindex uncertainty --replications`: the record of every replication, handed to `sink` in
/// replication order (the same draws and ranks as the run with the same options).
pub fn replications(
    plans: &Plans,
    frame: &Frame,
    opts: &uncertainty::Options,
    sink: &mut dyn FnMut(Record) -> Result<(), Error>,
) -> Result<(), Error> {
    let (nominal, mut kernel, eval_opts) = setup(plans, frame, &opts.period)?;
    let nom = &nominal.periods[0];
    let n = opts.samples as usize;
    export(
        &mut kernel,
        n,
        opts.interrupted,
        |r, u| fill_replication(opts.seed, r, u),
        |kernel, r, u, ranks| {
            record(
                kernel,
                frame,
                &eval_opts,
                nom,
                u,
                ranks,
                Draw::Replication(r),
            )
        },
        sink,
    )
}

/// `qindex sensitivity --evaluations`: the record of every row of the Saltelli design, handed
/// to `sink` in row order, with its base sample and matrix (`A`, `B`, or `AB_i` with factor i's
/// columns from B, i counting the block's lines from 0).
pub fn evaluations(
    plans: &Plans,
    frame: &Frame,
    opts: &indices::Options,
    sink: &mut dyn FnMut(Record) -> Result<(), Error>,
) -> Result<(), Error> {
    let (nominal, mut kernel, eval_opts) = setup(plans, frame, &opts.period)?;
    let nom = &nominal.periods[0];
    let unc = check_block(plans)?;
    let design = Design::new(opts.samples, kernel.layout().factor_columns(), opts.seed)
        .map_err(|e| indices::design_error(e, unc))?;
    let rows = design.rows();
    export(
        &mut kernel,
        rows,
        opts.interrupted,
        |r, u| design.row(r, u),
        |kernel, r, u, ranks| {
            let (sample, block) = design.block(r);
            let (matrix, factor) = match block {
                Block::A => ("A".to_string(), None),
                Block::B => ("B".to_string(), None),
                Block::Ab(i) => (format!("AB_{i}"), Some(unc.factors[i].text.clone())),
            };
            let draw = Draw::Evaluation {
                row: r,
                sample,
                matrix,
                factor,
            };
            record(kernel, frame, &eval_opts, nom, u, ranks, draw)
        },
        sink,
    )
}

/// Runs `count` replications through the kernel in chunks (on every thread, as the analyses
/// do) and hands `record(kernel, r, uniforms, ranks)` of each to `sink`, in order.
fn export<F, L>(
    kernel: &mut Kernel,
    count: usize,
    interrupted: &(dyn Fn() -> bool + Sync),
    fill: F,
    record: L,
    sink: &mut dyn FnMut(Record) -> Result<(), Error>,
) -> Result<(), Error>
where
    F: Fn(usize, &mut [f64]) + Sync,
    L: Fn(&Kernel, usize, &[f64], &[u32]) -> Result<Record, Error>,
{
    let threads = crate::threads().max(1);
    crate::set_threads(1);
    let mut outcome = || {
        let mut u = vec![0.0; kernel.layout().dims()];
        let mut start = 0;
        while start < count {
            if interrupted() {
                return Err(Error::Interrupted);
            }
            let n = CHUNK.min(count - start);
            let outcomes = kernel.run(n, threads, |r, u| fill(start + r, u))?;
            for (k, o) in outcomes.iter().enumerate() {
                fill(start + k, &mut u);
                sink(record(kernel, start + k, &u, &o.ranks)?)?;
            }
            start += n;
        }
        Ok(())
    };
    let outcome = outcome();
    crate::set_threads(threads);
    outcome
}

/// `qindex uncertainty --replay R`: replication R as rules text, a file that `use`s the rules
/// (at `rules`) and declares `scheme replication_R`: the chosen scheme as its base, each
/// other `choose` line's option as its override, the drop as `exclude`, and the weights the
/// replication used, given, in every group where they differ from the nominal ones. `qindex
/// run THAT --scheme replication_R` gives the replication's scores and ranks.
pub fn replay(
    plans: &Plans,
    frame: &Frame,
    opts: &uncertainty::Options,
    r: u64,
    rules: &Path,
) -> Result<Replay, Error> {
    if r >= opts.samples {
        return Err(Error::Usage(format!(
            "there is no replication {r}: the run has {} (0 to {})",
            opts.samples,
            opts.samples.saturating_sub(1)
        )));
    }
    let (_, kernel, eval_opts) = setup(plans, frame, &opts.period)?;
    let mut u = vec![0.0; kernel.layout().dims()];
    fill_replication(opts.seed, r as usize, &mut u);
    let t = kernel.trace(&u)?;
    let (from, overrides) = kernel.overrides(&t.key);
    let varied = kernel.varied_nodes();
    // Groups whose children's weights differ from the nominal ones: a varied or dropped child.
    let config = kernel.config_plan(&t.key)?;
    let mut groups: Vec<String> = Vec::new();
    for id in config.ids() {
        let node = config.node(id);
        let Some(p) = node.parent else { continue };
        if varied.contains(&node.id.as_str()) || t.dropped.contains(&node.id) {
            let g = &config.node(p).id;
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
    }
    let in_groups = |id: &str| -> bool {
        t.plan
            .find(id)
            .and_then(|n| t.plan.node(n).parent)
            .is_some_and(|p| groups.contains(&t.plan.node(p).id))
    };
    let weights = used_weights(&t.plan, &kernel.frame_for(&t), &eval_opts, in_groups)?;
    let nominal = eval::evaluate(plans.base, frame, &eval_opts)?;
    let survey = match nominal.periods.first() {
        Some(nom) => survey_columns(&t, frame, nom),
        None => Vec::new(),
    };
    let path = std::fs::canonicalize(rules).unwrap_or_else(|_| rules.to_path_buf());
    let overrides = overrides
        .iter()
        // An override of the dropped indicator reaches nothing: `choose` comes before `drop`.
        .filter(|o| {
            !o.target
                .as_ref()
                .is_some_and(|t2| t.dropped.contains(&t2.name))
        })
        .map(|o| plans.variants.override_text(o))
        .collect();
    let given = groups
        .into_iter()
        .filter(|g| t.plan.find(g).is_some())
        .collect();
    Ok(Replay {
        replication: r,
        seed: opts.seed,
        rules: rules.display().to_string(),
        uses: path.display().to_string(),
        choices: t.choices,
        dropped: t.dropped,
        from,
        overrides,
        given,
        weights,
        survey,
    })
}

/// Replication R as the parts of a scheme (see [`replay`]), rendered as rules text by
/// `report::audit::replay_text`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Replay {
    pub replication: u64,
    pub seed: u64,
    /// The rules file as given, and as the scheme's `use` names it (canonical).
    pub rules: String,
    pub uses: String,
    /// The option of each `choose` line: (line, option).
    pub choices: Vec<(String, String)>,
    /// The indicators dropped, excluded by the scheme.
    pub dropped: Vec<String>,
    /// The scheme the replication's scheme derives from.
    pub from: String,
    /// Each other `choose` line's option as a scheme override, in rules text.
    pub overrides: Vec<String>,
    /// The groups whose weights the replication changed, given their used weights.
    pub given: Vec<String>,
    /// The weights used in those groups: (node id, weight).
    pub weights: Vec<(String, f64)>,
    /// The survey estimates the replication re-estimated: a scheme cannot carry them, so
    /// `qindex run` of the scheme reads the nominal estimates instead.
    pub survey: Vec<SurveyColumn>,
}

/// One indicator's figures in one configuration, over the units of the period.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IndicatorFigures {
    pub id: String,
    pub imputed: usize,
    pub winsorised: usize,
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub max: Option<f64>,
}

/// One configuration: a combination of the options of `choose scheme`, `choose normalise` and
/// `choose missing` (the lines that change indicators).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Configuration {
    pub choices: Vec<(String, String)>,
    pub replications: usize,
    pub indicators: Vec<IndicatorFigures>,
    /// Each group's aggregation; several (`a | b`) when `choose aggregate` switches it.
    pub groups: Vec<(String, String)>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Configurations {
    pub samples: u64,
    pub period: Option<String>,
    pub configurations: Vec<Configuration>,
    pub notes: Vec<String>,
}

/// Configurations listed at most (beyond, only those drawn).
const LIST_LIMIT: usize = 4096;

/// `qindex uncertainty --configurations`.
pub fn configurations(
    plans: &Plans,
    frame: &Frame,
    opts: &uncertainty::Options,
) -> Result<Configurations, Error> {
    let (nominal, kernel, eval_opts) = setup(plans, frame, &opts.period)?;
    let nom = &nominal.periods[0];
    let unc = check_block(plans)?;
    let lines = kernel.choose_lines().to_vec();
    let counts = kernel.option_counts();
    let is_aggregate: Vec<bool> = lines
        .iter()
        .map(|fi| matches!(unc.factors[*fi].kind, FactorKind::ChooseAggregate { .. }))
        .collect();
    let project = |key: &[u32]| -> Vec<u32> {
        key.iter()
            .zip(&is_aggregate)
            .map(|(k, a)| if *a { 0 } else { *k })
            .collect()
    };
    // How many replications drew each configuration.
    let mut drawn: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut u = vec![0.0; kernel.layout().dims()];
    for r in 0..opts.samples as usize {
        fill_replication(opts.seed, r, &mut u);
        *drawn.entry(project(&kernel.key(&u))).or_insert(0) += 1;
    }
    let mut notes = Vec::new();
    let total: u128 = counts
        .iter()
        .zip(&is_aggregate)
        .filter(|(_, a)| !**a)
        .map(|(c, _)| *c as u128)
        .product();
    let keys: Vec<Vec<u32>> = if total as usize <= LIST_LIMIT && total <= LIST_LIMIT as u128 {
        product(&counts, |j| !is_aggregate[j])
    } else {
        notes.push(format!(
            "the block has {total} configurations: only the {} drawn are listed",
            drawn.len()
        ));
        let mut k: Vec<Vec<u32>> = drawn.keys().cloned().collect();
        k.sort();
        k
    };
    // The aggregation options of each configuration (every combination, when few).
    let aggregate_keys = product(&counts, |j| is_aggregate[j]);
    let aggregate_keys: Vec<Vec<u32>> = if aggregate_keys.len() <= 64 {
        aggregate_keys
    } else {
        notes.push(format!(
            "the `choose aggregate` lines make {} combinations: the groups show the first 64",
            aggregate_keys.len()
        ));
        aggregate_keys.into_iter().take(64).collect()
    };
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let plan = kernel.config_plan(&key)?;
        let results = eval::evaluate(&plan, frame, &eval_opts)?;
        let p = results
            .periods
            .first()
            .ok_or_else(|| Error::Usage("a configuration evaluated no period".into()))?;
        let indicators = plan
            .indicators()
            .map(|id| indicator_figures(&plan, p, id))
            .collect();
        let mut groups: Vec<(String, Vec<String>)> = plan
            .ids()
            .filter(|id| plan.node(*id).group.is_some())
            .map(|id| (plan.node(id).id.clone(), Vec::new()))
            .collect();
        for agg in &aggregate_keys {
            let full: Vec<u32> = key
                .iter()
                .zip(agg)
                .zip(&is_aggregate)
                .map(|((k, a), is_a)| if *is_a { *a } else { *k })
                .collect();
            let plan = kernel.config_plan(&full)?;
            for (id, seen) in groups.iter_mut() {
                if let Some(g) = plan.find(id).and_then(|n| plan.node(n).group.as_ref()) {
                    let a = g.aggregate.to_string();
                    if !seen.contains(&a) {
                        seen.push(a);
                    }
                }
            }
        }
        let choices = kernel
            .describe(&key)
            .into_iter()
            .zip(&is_aggregate)
            .filter(|(_, a)| !**a)
            .map(|(c, _)| c)
            .collect();
        out.push(Configuration {
            choices,
            replications: drawn.get(&key).copied().unwrap_or(0),
            indicators,
            groups: groups
                .into_iter()
                .map(|(id, a)| (id, a.join(" | ")))
                .collect(),
        });
    }
    Ok(Configurations {
        samples: opts.samples,
        period: nom.period.clone(),
        configurations: out,
        notes,
    })
}

/// Every combination of the options of the lines `take` selects (the others at 0), the last
/// line fastest.
fn product(counts: &[usize], take: impl Fn(usize) -> bool) -> Vec<Vec<u32>> {
    let mut out = vec![vec![0u32; counts.len()]];
    for (j, c) in counts.iter().enumerate() {
        if !take(j) {
            continue;
        }
        out = out
            .into_iter()
            .flat_map(|k| {
                (0..*c as u32).map(move |o| {
                    let mut k = k.clone();
                    k[j] = o;
                    k
                })
            })
            .collect();
    }
    out
}

fn indicator_figures(plan: &Plan, p: &PeriodResult, id: NodeId) -> IndicatorFigures {
    let (mut imputed, mut winsorised) = (0, 0);
    let (mut min, mut max, mut sum, mut n) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize);
    for i in 0..p.len() {
        if !p.is_unit[i] {
            continue;
        }
        let f = p.flags[id.index()].get(i).copied().unwrap_or(0);
        imputed += usize::from(f & flags::IMPUTED != 0);
        winsorised += usize::from(f & flags::WINSORISED != 0);
        let v = p.value(id, i);
        if v.is_finite() {
            min = min.min(v);
            max = max.max(v);
            sum += v;
            n += 1;
        }
    }
    IndicatorFigures {
        id: plan.node(id).id.clone(),
        imputed,
        winsorised,
        min: (n > 0).then_some(min),
        mean: (n > 0).then(|| sum / n as f64),
        max: (n > 0).then_some(max),
    }
}

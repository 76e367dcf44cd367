//! The replication kernel shared by `qindex uncertainty` and `qindex sensitivity`.
//!
//! A replication of the `uncertainty` block is a vector of uniforms in [0, 1), laid out by
//! factor ([`Layout`]): one number for each `choose` and `drop` line, one for each weight that a
//! `vary` line owns. The kernel turns such a vector into the scores and ranks of the units.
//!
//! What a replication changes splits in two:
//! - the `choose scheme`, `choose normalise` and `choose missing` lines change how indicators are
//!   computed. Each combination of their options is a *configuration*: its plan is prepared once
//!   by the evaluator ([`crate::eval`]'s indicator stage: formulas, imputation, transforms,
//!   winsorising, normalisation) and cached;
//! - `choose aggregate`, `vary` and `drop` change only the groups: weights, aggregations,
//!   children. A replication finishes its configuration's prepared indicators under them.
//!
//! Finishing takes one of two routes, with the same results:
//! - the **general route** copies the prepared block and runs the evaluator's own group stage,
//!   adjustments and ranking ([`crate::eval::finish`]) — every setting of the language works;
//! - the **batched route** serves replications whose groups all have fixed weights and
//!   `arithmetic` or `geometric` aggregation, over indicators complete for every row, in a
//!   single period, without adjustments. Replications with the same configuration, aggregations
//!   and drops are evaluated together: every maximal all-arithmetic subtree collapses to
//!   effective indicator weights (the products of the renormalised weights down the path) and
//!   all its replications are one matrix product; geometric groups above take a vectorised
//!   logarithm of their children, and arithmetic groups above those a weighted sum. A replication whose geometric inputs are not all positive
//!   (where the evaluator would warn about zeros or stop at a negative value) is handed to the
//!   general route.
//!
//! Both routes agree with the plain evaluator to rounding (the order of the floating-point sums
//! differs): `tests/kernel.rs` checks it on random replications of every shipped rules file.

use crate::analysis::survey::Bound;
use crate::data::Frame;
use crate::diagnostics::Diagnostic;
use crate::eval::{self, EvalOptions, Prepared};
use crate::methods::rank::RankBuffers;
use crate::methods::vmath::{exp_slice, ln_axpy, weighted_columns};
use crate::plan::{Aggregate, FactorKind, NodeId, Normalise, Plan, UncertaintyPlan, Weight};
use crate::Error;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The plans a run may use: `default` and each scheme named by `choose scheme`, and the
/// compiler of a replication's variants of them.
pub struct Plans<'p> {
    pub base: &'p Plan,
    pub schemes: Vec<&'p Plan>,
    /// Compiles a configuration's plan: the chosen scheme with the other `choose` lines'
    /// overrides, by the checker's scheme code.
    pub variants: &'p crate::check::Variants<'p>,
    /// The surveys that `vary survey` lines re-estimate, bound to the frame's rows (a session
    /// binds them: [`crate::session::Data::replicable`]).
    pub surveys: &'p [Bound],
}

impl Plans<'_> {
    pub(crate) fn get(&self, name: &str) -> Option<&Plan> {
        if name == self.base.scheme {
            return Some(self.base);
        }
        self.schemes.iter().copied().find(|p| p.scheme == name)
    }

    fn all(&self) -> impl Iterator<Item = &Plan> {
        std::iter::once(self.base).chain(self.schemes.iter().copied())
    }
}

/// Where each factor's uniforms sit in a replication's input vector.
#[derive(Debug, Clone)]
pub struct Layout {
    columns: Vec<Range<usize>>,
    /// Per factor: for `vary` lines, the ids of the nodes whose weight it owns in any plan, in
    /// plan order (base first); empty for the other lines.
    owned: Vec<Vec<String>>,
    dims: usize,
}

impl Layout {
    /// The factors' columns follow the order of their keys, not of the block's lines: moving
    /// a line changes nothing but the order in which the factors are reported.
    pub fn new(plans: &Plans, unc: &UncertaintyPlan) -> Layout {
        let mut columns = vec![0..0; unc.factors.len()];
        let mut owned: Vec<Vec<String>> = vec![Vec::new(); unc.factors.len()];
        let mut next = 0;
        let mut order: Vec<usize> = (0..unc.factors.len()).collect();
        order.sort_by(|a, b| unc.factors[*a].key.cmp(&unc.factors[*b].key));
        for fi in order {
            let f = &unc.factors[fi];
            let width = match f.kind {
                FactorKind::VaryWeights { .. } | FactorKind::VaryWeight { .. } => {
                    for plan in plans.all() {
                        for node in &plan.nodes {
                            if node.weight_factor.and_then(|k| own_factor(unc, plan, k)) == Some(fi)
                                && node.parent.is_some()
                                && !owned[fi].contains(&node.id)
                            {
                                owned[fi].push(node.id.clone());
                            }
                        }
                    }
                    owned[fi].len()
                }
                _ => 1,
            };
            columns[fi] = next..next + width;
            next += width;
        }
        Layout {
            columns,
            owned,
            dims: next,
        }
    }

    /// The number of uniforms a replication draws.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Each factor's columns (a `vary` line's draws form one group factor).
    pub fn factor_columns(&self) -> Vec<Vec<usize>> {
        self.columns.iter().map(|r| r.clone().collect()).collect()
    }
}

/// The position in `unc` of the factor at position `fi` of the block `plan` was compiled with
/// (a node's `weight_factor`): the same unless the kernel runs a subset of the lines.
fn own_factor(unc: &UncertaintyPlan, plan: &Plan, fi: usize) -> Option<usize> {
    match &plan.uncertainty {
        Some(block) if !std::ptr::eq(block, unc) => {
            let key = &block.factors.get(fi)?.key;
            unc.factors.iter().position(|f| f.key == *key)
        }
        _ => Some(fi),
    }
}

/// The random stream of a `vary survey` line: a hash (FNV-1a) of its key, the same in every
/// run.
fn stream_of(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One of `k` options from a uniform: ⌊u·k⌋.
fn pick(u: f64, k: usize) -> usize {
    ((u * k as f64) as usize).min(k.saturating_sub(1))
}

/// What a replication drew (see [`Kernel::trace`]).
#[derive(Debug, Clone)]
pub struct Trace {
    /// The option of each `choose` line, in line order.
    pub key: Vec<u32>,
    /// Each `choose` line and the option it took, as written.
    pub choices: Vec<(String, String)>,
    /// The indicators dropped (by `drop` lines, in line order).
    pub dropped: Vec<String>,
    /// The replication's whole plan: what the plain evaluator evaluates.
    pub plan: Plan,
    /// The survey estimates the replication re-estimated (`vary survey`): frame columns and
    /// their values by frame row; the plain evaluator evaluates the plan over the frame with
    /// these columns ([`Kernel::frame_for`]).
    pub survey: Vec<(String, Vec<f64>)>,
}

/// A replication's outcome, by position in the nominal rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Competition ranks (0 = unranked).
    pub ranks: Vec<u32>,
    /// Index scores (NaN where unranked).
    pub scores: Vec<f64>,
    pub warnings: Vec<(&'static str, usize)>,
}

/// A configuration: the choices that change indicators, prepared once.
struct Config<'f> {
    plan: Plan,
    prepared: Prepared<'f>,
    warnings: Vec<(&'static str, usize)>,
    /// The column of each node's `vary` draw.
    vary_col: Vec<Option<usize>>,
    /// Whether the batched route may serve this configuration, and what it reads.
    fast: Option<FastData>,
}

struct FastData {
    /// Per node: whether it is an indicator with a value for every row of the block.
    complete: Vec<bool>,
    is_unit: Vec<bool>,
}

/// A replication's weights and children, drawn from its uniforms (its configuration holds the
/// rest).
#[derive(Clone)]
struct Draw {
    key: Vec<u32>,
    /// Per node: its fixed weight after `vary` and `drop` (NaN: derived or the index).
    weights: Vec<f64>,
    /// Per node: the multiplier of a derived weight (1 when not varied).
    derived: Vec<f64>,
    /// Children after `drop`, when something was dropped.
    children: Option<Vec<Vec<NodeId>>>,
    /// The drops, as (factor position, choice) — part of the batching signature.
    drops: Vec<u32>,
    /// The indicators dropped.
    dropped: Vec<NodeId>,
    /// The re-estimated survey columns (`vary survey`), empty when no line varies a survey.
    survey: Vec<(String, Vec<f64>)>,
}

impl Draw {
    fn children<'a>(&'a self, plan: &'a Plan, id: NodeId) -> &'a [NodeId] {
        match &self.children {
            Some(c) => &c[id.index()],
            None => &plan.node(id).children,
        }
    }

    fn aggregate<'a>(&'a self, plan: &'a Plan, id: NodeId) -> Option<&'a Aggregate> {
        plan.node(id).group.as_ref().map(|g| &g.aggregate)
    }
}

/// The kernel over one frame and period.
pub struct Kernel<'a, 'f> {
    plans: &'a Plans<'a>,
    unc: &'a UncertaintyPlan,
    frame: &'f Frame,
    eval_opts: EvalOptions,
    layout: Layout,
    /// The factors that make a configuration (`choose` lines), in line order.
    choose: Vec<usize>,
    /// The nominal period's frame rows: outcomes are by position in them.
    rows: Vec<usize>,
    configs: Mutex<HashMap<Vec<u32>, Arc<Config<'f>>>>,
    /// The `vary survey` lines: (factor position, the bound survey).
    surveys: Vec<(usize, &'a Bound)>,
    /// Buffers for each worker thread, kept across calls to [`Kernel::run`].
    scratch: Vec<Mutex<Scratch>>,
    /// Replications served by the batched route and by the general route.
    routes: [AtomicUsize; 2],
    /// Whether the replications' ranks are wanted (see [`Kernel::scores_only`]).
    ranked: bool,
}

impl<'a, 'f> Kernel<'a, 'f> {
    pub fn new(
        plans: &'a Plans<'a>,
        unc: &'a UncertaintyPlan,
        frame: &'f Frame,
        eval_opts: EvalOptions,
        rows: Vec<usize>,
    ) -> Kernel<'a, 'f> {
        let choose = unc
            .factors
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                matches!(
                    f.kind,
                    FactorKind::ChooseScheme { .. }
                        | FactorKind::ChooseNormalise { .. }
                        | FactorKind::ChooseAggregate { .. }
                        | FactorKind::ChooseMissing { .. }
                )
            })
            .map(|(i, _)| i)
            .collect();
        let surveys = unc
            .factors
            .iter()
            .enumerate()
            .filter_map(|(fi, f)| match &f.kind {
                FactorKind::VarySurvey { survey } => plans
                    .surveys
                    .iter()
                    .find(|b| b.id() == survey)
                    .map(|b| (fi, b)),
                _ => None,
            })
            .collect();
        Kernel {
            layout: Layout::new(plans, unc),
            choose,
            surveys,
            plans,
            unc,
            frame,
            eval_opts,
            configs: Mutex::new(HashMap::new()),
            scratch: Vec::new(),
            routes: [AtomicUsize::new(0), AtomicUsize::new(0)],
            ranked: true,
            rows,
        }
    }

    /// How many replications [`Kernel::run`] has served by the batched and by the general
    /// route.
    pub fn routes(&self) -> (usize, usize) {
        (
            self.routes[0].load(Ordering::Relaxed),
            self.routes[1].load(Ordering::Relaxed),
        )
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The number of units (nominal rows) an outcome covers.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The configuration key of a replication: the option each `choose` line picked, one entry
    /// per line of [`Kernel::choose`] (the block's `choose` lines, in line order).
    pub fn key(&self, u: &[f64]) -> Vec<u32> {
        self.choose
            .iter()
            .map(|&fi| {
                let k = options(&self.unc.factors[fi].kind);
                pick(u[self.layout.columns[fi].start], k) as u32
            })
            .collect()
    }

    fn config(&self, key: &[u32]) -> Result<Arc<Config<'f>>, Error> {
        let mut cache = self
            .configs
            .lock()
            .expect("no thread panics holding the cache");
        if let Some(c) = cache.get(key) {
            return Ok(c.clone());
        }
        let c = Arc::new(self.build_config(key)?);
        cache.insert(key.to_vec(), c.clone());
        Ok(c)
    }

    /// The number of distinct configurations the block can produce.
    pub fn configurations(&self) -> u128 {
        self.choose
            .iter()
            .map(|&fi| options(&self.unc.factors[fi].kind) as u128)
            .fold(1u128, |a, b| a.saturating_mul(b))
    }

    /// Builds every configuration before the first replication when there are at most
    /// `limit` of them, so that a configuration the compiler or the evaluator rejects (a
    /// negative value into a geometric mean, say) stops the run before it starts. Beyond the
    /// limit, configurations are built when first drawn, with the same checks.
    pub fn prepare_configurations(&self, limit: u128) -> Result<(), Error> {
        if self.configurations() > limit {
            return Ok(());
        }
        let mut key = vec![0u32; self.choose.len()];
        loop {
            self.config(&key)?;
            // The next key, the last line fastest.
            let mut j = key.len();
            loop {
                if j == 0 {
                    return Ok(());
                }
                j -= 1;
                key[j] += 1;
                if (key[j] as usize) < options(&self.unc.factors[self.choose[j]].kind) {
                    break;
                }
                key[j] = 0;
            }
        }
    }

    /// The distinct ranges the index's scores take in the configurations built so far (after
    /// a run: in every configuration drawn), sorted.
    pub fn score_ranges(&self) -> Vec<String> {
        let cache = self
            .configs
            .lock()
            .expect("no thread panics holding the cache");
        let mut out: Vec<String> = cache
            .values()
            .map(|c| crate::check::score_range(&c.plan))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The choices of a configuration, as `line = option` (for messages and audits).
    pub fn describe(&self, key: &[u32]) -> Vec<(String, String)> {
        self.choose
            .iter()
            .zip(key)
            .map(|(&fi, &c)| {
                let f = &self.unc.factors[fi];
                let option = match f.overrides.get(c as usize) {
                    Some(o) => self.plans.variants.text(o.span),
                    None => option_text(&f.kind, c as usize),
                };
                (f.text.clone(), option)
            })
            .collect()
    }

    /// A configuration's scheme and the overrides that make it, in the order they apply (see
    /// [`Kernel::build_config`]): the equivalent scheme of its replications.
    pub fn overrides(&self, key: &[u32]) -> (String, Vec<crate::syntax::ast::Setting>) {
        let mut from = self.plans.base.scheme.as_str();
        let mut overrides = Vec::new();
        for (&fi, &choice) in self.choose.iter().zip(key) {
            let f = &self.unc.factors[fi];
            match &f.kind {
                FactorKind::ChooseScheme { options } => from = &options[choice as usize],
                _ => overrides.push(f.overrides[choice as usize].clone()),
            }
        }
        let depth = |target: Option<&str>| -> usize {
            let Some(plan) = self.plans.get(from) else {
                return 0;
            };
            let Some(mut id) = target.and_then(|t| plan.find(t)) else {
                return 0;
            };
            let mut d = 1;
            while let Some(p) = plan.node(id).parent {
                d += 1;
                id = p;
            }
            d
        };
        overrides.sort_by_key(|o| depth(o.target.as_ref().map(|t| t.name.as_str())));
        // A node the scheme lacks is reached by nothing (and left out by the compiler too).
        if let Some(plan) = self.plans.get(from) {
            overrides.retain(|o| {
                o.target
                    .as_ref()
                    .is_none_or(|t| plan.find(&t.name).is_some())
            });
        }
        (from.to_string(), overrides)
    }

    /// The `choose` lines, as factor positions in the block, in line order.
    pub fn choose_lines(&self) -> &[usize] {
        &self.choose
    }

    /// The number of options of each `choose` line, in line order.
    pub fn option_counts(&self) -> Vec<usize> {
        self.choose
            .iter()
            .map(|&fi| options(&self.unc.factors[fi].kind))
            .collect()
    }

    /// The plan of a configuration (nominal weights), compiled as the replications use it.
    pub fn config_plan(&self, key: &[u32]) -> Result<Plan, Error> {
        Ok(self.config(key)?.plan.clone())
    }

    /// Whether a `vary survey` line re-estimates a survey bound to the frame.
    pub fn varies_survey(&self) -> bool {
        !self.surveys.is_empty()
    }

    /// The ids of the nodes whose weight a `vary` line owns in any plan.
    pub fn varied_nodes(&self) -> Vec<&str> {
        self.layout
            .owned
            .iter()
            .flatten()
            .map(String::as_str)
            .collect()
    }

    /// What replication `u` drew: its choices, the indicators it dropped, and its whole plan.
    pub fn trace(&self, u: &[f64]) -> Result<Trace, Error> {
        let key = self.key(u);
        let config = self.config(&key)?;
        let draw = self.draw(&config, key.clone(), u);
        let plan = replication_plan(&config, &draw);
        Ok(Trace {
            choices: self.describe(&key),
            dropped: draw
                .dropped
                .iter()
                .map(|id| config.plan.node(*id).id.clone())
                .collect(),
            key,
            plan,
            survey: draw.survey,
        })
    }

    /// The frame a traced replication reads: the bound frame, with the survey estimates it
    /// re-estimated.
    pub fn frame_for(&self, trace: &Trace) -> std::borrow::Cow<'f, Frame> {
        if trace.survey.is_empty() {
            std::borrow::Cow::Borrowed(self.frame)
        } else {
            std::borrow::Cow::Owned(self.frame.with_columns(&trace.survey))
        }
    }

    /// A configuration's plan: the chosen scheme (`default` when no line chooses one) with
    /// the equivalent override of each other `choose` line's option, compiled by the checker
    /// (LANGUAGE.md: a `choose` line reaches exactly what a scheme's override reaches). The
    /// overrides are applied from the least to the most specific (the whole index first, then
    /// by the depth of the node named by `at`), so the order of the lines does not matter.
    fn build_config(&self, key: &[u32]) -> Result<Config<'f>, Error> {
        let (from, overrides) = self.overrides(key);
        let from = from.as_str();
        let in_config = |e: Error| -> Error {
            let choices = self.describe(key);
            if choices.is_empty() {
                return e;
            }
            let text = choices
                .iter()
                .map(|(l, o)| format!("`{l}` → {o}"))
                .collect::<Vec<_>>()
                .join(", ");
            match e {
                Error::Diagnostics(ds) => Error::Diagnostics(
                    ds.into_iter()
                        .map(|d| d.with_note(format!("in the uncertainty configuration {text}")))
                        .collect(),
                ),
                Error::Usage(m) => {
                    Error::Usage(format!("{m} (in the uncertainty configuration {text})"))
                }
                other => other,
            }
        };
        let plan = self
            .plans
            .variants
            .compile(from, &overrides)
            .map_err(in_config)?;
        reject_negative_inputs(&plan).map_err(in_config)?;
        let mut prepared = eval::prepare(&plan, self.frame, &self.eval_opts).map_err(in_config)?;
        // Thousands of replications read the indicators' values: normalised once, here.
        prepared.materialise();
        let warnings = prepared.warning_counts();
        let vary_col = plan
            .nodes
            .iter()
            .map(|n| {
                let fi = own_factor(self.unc, &plan, n.weight_factor?)?;
                let pos = self.layout.owned[fi].iter().position(|id| *id == n.id)?;
                Some(self.layout.columns[fi].start + pos)
            })
            .collect();
        let fast = prepared.single_block().and_then(|block| {
            if block.rows != self.rows || !plan.adjustments.is_empty() {
                return None;
            }
            let complete = plan
                .ids()
                .map(|id| {
                    plan.node(id).is_indicator()
                        && block.value[id.index()].iter().all(|v| v.is_finite())
                })
                .collect();
            Some(FastData {
                complete,
                is_unit: block.is_unit.clone(),
            })
        });
        Ok(Config {
            plan,
            prepared,
            warnings,
            vary_col,
            fast,
        })
    }

    /// A replication's weights and children (LANGUAGE.md order: `vary`, then `drop`; the
    /// `choose` lines are the configuration).
    fn draw(&self, config: &Config, key: Vec<u32>, u: &[f64]) -> Draw {
        let plan = &config.plan;
        let nn = plan.nodes.len();
        let mut weights: Vec<f64> = plan
            .nodes
            .iter()
            .map(|n| {
                n.weight
                    .as_ref()
                    .and_then(Weight::fixed)
                    .unwrap_or(f64::NAN)
            })
            .collect();
        let mut derived = vec![1.0; nn];
        let mut touched: Vec<NodeId> = Vec::new();
        for k in 0..nn {
            let node = &plan.nodes[k];
            let fi = node
                .weight_factor
                .and_then(|k| own_factor(self.unc, plan, k));
            let (Some(fi), Some(col), Some(p)) = (fi, config.vary_col[k], node.parent) else {
                continue;
            };
            let amount = match &self.unc.factors[fi].kind {
                FactorKind::VaryWeights { amount, .. } | FactorKind::VaryWeight { amount, .. } => {
                    *amount
                }
                _ => continue,
            };
            let factor = 1.0 - amount + 2.0 * amount * u[col];
            match &node.weight {
                Some(Weight::Fixed(_)) => {
                    weights[k] *= factor;
                    if !touched.contains(&p) {
                        touched.push(p);
                    }
                }
                Some(Weight::Derived(_)) => derived[k] = factor,
                None => {}
            }
        }
        for p in touched {
            renormalise(&mut weights, &plan.node(p).children);
        }
        let mut children: Option<Vec<Vec<NodeId>>> = None;
        let mut drops = Vec::new();
        let mut dropped = Vec::new();
        for (f, cols) in self.unc.factors.iter().zip(&self.layout.columns) {
            let FactorKind::DropIndicator { within } = &f.kind else {
                continue;
            };
            let kids = children
                .get_or_insert_with(|| plan.nodes.iter().map(|n| n.children.clone()).collect());
            let candidates: Vec<NodeId> = indicators_at(plan, kids, within.as_deref())
                .into_iter()
                .filter(|id| {
                    let p = plan.node(*id).parent.expect("an indicator has a parent");
                    kids[p.index()].len() > 1
                })
                .collect();
            let k = pick(u[cols.start], candidates.len() + 1);
            drops.push(k as u32);
            if k > 0 {
                let id = candidates[k - 1];
                dropped.push(id);
                let p = plan.node(id).parent.expect("an indicator has a parent");
                kids[p.index()].retain(|c| *c != id);
                renormalise(&mut weights, &kids[p.index()]);
            }
        }
        // Each `vary survey` line: a bootstrap replication of the survey from its own random
        // stream, seeded by the line's uniform (so the Saltelli design swaps it as one input).
        let mut survey = Vec::new();
        for (fi, bound) in &self.surveys {
            let mut rng = ChaCha8Rng::seed_from_u64(u[self.layout.columns[*fi].start].to_bits());
            rng.set_stream(stream_of(&self.unc.factors[*fi].key));
            survey.extend(bound.replicate(&mut rng));
        }
        Draw {
            key,
            dropped,
            weights,
            derived,
            children,
            drops,
            survey,
        }
    }

    /// One replication by the general route.
    pub fn evaluate(&self, u: &[f64]) -> Result<Outcome, Error> {
        let key = self.key(u);
        let config = self.config(&key)?;
        let draw = self.draw(&config, key, u);
        self.general(&config, &draw)
    }

    /// The whole plan of the replication drawn from `u`: what the plain evaluator would
    /// evaluate (for tests and for reports that show a replication).
    pub fn plan_for(&self, u: &[f64]) -> Result<Plan, Error> {
        let key = self.key(u);
        let config = self.config(&key)?;
        let draw = self.draw(&config, key, u);
        Ok(replication_plan(&config, &draw))
    }

    /// The general route: the evaluator's group stage over a copy of the prepared block.
    fn general(&self, config: &Config<'f>, draw: &Draw) -> Result<Outcome, Error> {
        let plan = replication_plan(config, draw);
        // Re-estimated survey columns change the indicators: the whole evaluation, over the
        // frame with the replication's estimates.
        let replicated;
        let results = if draw.survey.is_empty() {
            eval::finish(&plan, self.frame, config.prepared.clone())?
        } else {
            replicated = self.frame.with_columns(&draw.survey);
            eval::evaluate(&plan, &replicated, &self.eval_opts)?
        };
        let p = results
            .periods
            .first()
            .ok_or_else(|| Error::Usage("a replication evaluated no period".into()))?;
        let (ranks, scores): (Vec<u32>, Vec<f64>) = if p.rows == self.rows {
            (p.final_rank.clone(), p.score.clone())
        } else {
            let pos: HashMap<usize, usize> =
                p.rows.iter().enumerate().map(|(i, r)| (*r, i)).collect();
            self.rows
                .iter()
                .map(|row| match pos.get(row) {
                    Some(&i) => (p.final_rank[i], p.score[i]),
                    None => (0, f64::NAN),
                })
                .unzip()
        };
        let scores = scores
            .into_iter()
            .zip(&ranks)
            .map(|(s, r)| if *r > 0 { s } else { f64::NAN })
            .collect();
        Ok(Outcome {
            ranks,
            scores,
            warnings: results.warnings.iter().map(|w| (w.code, w.count)).collect(),
        })
    }

    /// Only the scores of the replications are wanted (Sobol' indices of scores): the batched
    /// route then ranks nothing — a ranking is most of a small replication's cost — and a
    /// unit is left out (NaN) where it would have no rank: not a ranked unit, or no score. Its
    /// views then have no ranks (`View::ranks` is empty); those of the general route keep
    /// theirs. Near ties, which only matter to ranks, no longer send a replication to the
    /// general route.
    pub fn scores_only(&mut self) {
        self.ranked = false;
    }

    /// Replications `0..count`, each from the uniforms `fill(r, u)` writes, on `threads`
    /// threads; outcomes by replication number, identical for any thread count.
    pub fn run<F>(&mut self, count: usize, threads: usize, fill: F) -> Result<Vec<Outcome>, Error>
    where
        F: Fn(usize, &mut [f64]) + Sync,
    {
        let mut parts: Vec<Vec<Outcome>> = (0..threads.max(1)).map(|_| Vec::new()).collect();
        self.run_fold(
            count,
            1,
            fill,
            &mut parts,
            |acc, _, v| {
                acc.push(Outcome {
                    ranks: v.ranks.to_vec(),
                    scores: v.scores.to_vec(),
                    warnings: v.warnings.to_vec(),
                })
            },
            &|_| true,
        )?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// Replications `0..count`, each from the uniforms `fill(r, u)` writes, handed to
    /// `visit(acc, r, view)` without being stored: the reduction runs on the workers, one per
    /// accumulator in `accs` (the thread count). Worker `t` takes the `t`-th contiguous range
    /// of replications, a multiple of `align` long (but the last), visits them in order into
    /// `accs[t]`. Accumulators may be kept across calls. A reduction that is identical for any
    /// thread count keeps its floating-point partial sums per block of `align` replications (a
    /// block never straddles two workers) and adds the blocks in order.
    ///
    /// After each step of a few hundred replications a worker calls `tick(done)` with the
    /// number it just visited; when `tick` returns false the run stops with
    /// [`Error::Interrupted`].
    pub fn run_fold<A, F, V>(
        &mut self,
        count: usize,
        align: usize,
        fill: F,
        accs: &mut [A],
        visit: V,
        tick: &(dyn Fn(usize) -> bool + Sync),
    ) -> Result<(), Error>
    where
        A: Send,
        F: Fn(usize, &mut [f64]) + Sync,
        V: Fn(&mut A, usize, View) + Sync,
    {
        let align = align.max(1);
        let blocks = count.div_ceil(align);
        let threads = accs.len().clamp(1, blocks.max(1));
        while self.scratch.len() < threads {
            self.scratch.push(Mutex::new(Scratch::default()));
        }
        let this = &*self;
        let per = blocks.div_ceil(threads) * align;
        let ranges: Vec<Range<usize>> = (0..threads)
            .map(|t| (t * per).min(count)..((t + 1) * per).min(count))
            .collect();
        if threads == 1 {
            let Some(acc) = accs.first_mut() else {
                return Ok(());
            };
            return this.run_range(ranges[0].clone(), &fill, 0, align, acc, &visit, tick);
        }
        let results: Vec<Result<(), Error>> = std::thread::scope(|s| {
            let handles: Vec<_> = ranges
                .into_iter()
                .zip(accs.iter_mut())
                .enumerate()
                .map(|(t, (range, acc))| {
                    let (fill, visit) = (&fill, &visit);
                    s.spawn(move || this.run_range(range, fill, t, align, acc, visit, tick))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("replications do not panic"))
                .collect()
        });
        results.into_iter().collect()
    }

    /// One worker's replications, in steps of a few hundred: draw them, batch those with the
    /// same signature, evaluate, visit in order.
    #[allow(clippy::too_many_arguments)]
    fn run_range<A, F, V>(
        &self,
        range: Range<usize>,
        fill: &F,
        worker: usize,
        align: usize,
        acc: &mut A,
        visit: &V,
        tick: &(dyn Fn(usize) -> bool + Sync),
    ) -> Result<(), Error>
    where
        F: Fn(usize, &mut [f64]),
        V: Fn(&mut A, usize, View),
    {
        let step = align * STEP.div_ceil(align);
        let mut guard = self.scratch[worker]
            .lock()
            .expect("no thread panics holding its scratch");
        let Scratch { work, slots } = &mut *guard;
        let m = self.rows.len();
        let mut u = vec![0.0; self.layout.dims];
        let mut start = range.start;
        while start < range.end {
            let n = step.min(range.end - start);
            let mut draws: Vec<(Arc<Config<'f>>, Draw)> = Vec::with_capacity(n);
            // Most replications share the configuration of the one before: it is looked up
            // in the shared map (a lock and a hash) only when it changes.
            let mut last: Option<(Vec<u32>, Arc<Config<'f>>)> = None;
            for r in start..start + n {
                fill(r, &mut u);
                let key = self.key(&u);
                let config = match &mut last {
                    Some((k, c)) if *k == key => Arc::clone(c),
                    _ => {
                        let c = self.config(&key).map_err(|e| in_replication(e, r))?;
                        last = Some((key.clone(), Arc::clone(&c)));
                        c
                    }
                };
                let draw = self.draw(&config, key, &u);
                draws.push((config, draw));
            }
            slots.reset(n, m);
            // Batches of replications with the same configuration, aggregations and drops, in
            // the order of their first replication; few, so found by a scan, not hashed.
            let mut batches: Vec<(&[u32], &[u32], Vec<usize>)> = Vec::new();
            let mut stack = Vec::new();
            for (i, (config, draw)) in draws.iter().enumerate() {
                if !fast_ready(config, draw, &mut stack) {
                    continue;
                }
                let (key, drops) = (draw.key.as_slice(), draw.drops.as_slice());
                match batches.iter_mut().find(|b| b.0 == key && b.1 == drops) {
                    Some(b) => b.2.push(i),
                    None => batches.push((key, drops, vec![i])),
                }
            }
            for (_, _, members) in &batches {
                for part in members.chunks(BATCH) {
                    let (config, draw) = &draws[part[0]];
                    let structure = Structure::new(&config.plan, draw);
                    let ds: Vec<&Draw> = part.iter().map(|i| &draws[*i].1).collect();
                    self.batched(config, &structure, &ds, part, work, slots);
                }
            }
            for (i, (config, draw)) in draws.iter().enumerate() {
                let r = start + i;
                if slots.done[i] {
                    self.routes[0].fetch_add(1, Ordering::Relaxed);
                    let view = View {
                        ranks: if self.ranked {
                            &slots.ranks[i * m..(i + 1) * m]
                        } else {
                            &[]
                        },
                        scores: &slots.scores[i * m..(i + 1) * m],
                        warnings: &config.warnings,
                    };
                    visit(acc, r, view);
                } else {
                    self.routes[1].fetch_add(1, Ordering::Relaxed);
                    let o = self
                        .general(config, draw)
                        .map_err(|e| in_replication(e, r))?;
                    let view = View {
                        ranks: &o.ranks,
                        scores: &o.scores,
                        warnings: &o.warnings,
                    };
                    visit(acc, r, view);
                }
            }
            start += n;
            if !tick(n) {
                return Err(Error::Interrupted);
            }
        }
        Ok(())
    }

    /// The batched route for replications sharing a structure, into `slots` at the positions
    /// `at`; a replication it cannot serve (geometric inputs not all positive) is left undone.
    fn batched(
        &self,
        config: &Config<'f>,
        st: &Structure,
        draws: &[&Draw],
        at: &[usize],
        work: &mut Work,
        slots: &mut Slots,
    ) {
        let plan = &config.plan;
        let fast = config.fast.as_ref().expect("checked by fast_ready");
        let block = config
            .prepared
            .single_block()
            .expect("checked by fast_ready");
        let m = self.rows.len();
        let b = draws.len();
        let nn = plan.nodes.len();
        let Work {
            x,
            w,
            values,
            ranker,
            by_rank,
        } = work;
        values.resize_with(nn, Vec::new);
        // Each maximal arithmetic subtree: one matrix product for all the replications,
        // (units × indicators) · (indicators × replications).
        for f in &st.frontier {
            let inds = &st.indicators[f.index()];
            let k = inds.len();
            x.clear();
            for id in inds {
                x.extend_from_slice(&block.value[id.index()]);
            }
            w.clear();
            w.resize(k * b, 0.0);
            for (r, d) in draws.iter().enumerate() {
                effective(plan, d, *f, 1.0, &st.position, &mut w[r * k..(r + 1) * k]);
            }
            // Both products overwrite their output (nalgebra never reads it when beta is
            // zero), so the buffer is not cleared.
            let s = &mut values[f.index()];
            s.resize(m * b, 0.0);
            if k <= SMALL_PRODUCT {
                weighted_columns(x, m, w, &mut s[..m * b]);
            } else {
                let xv = nalgebra::DMatrixView::from_slice(x, m, k);
                let wv = nalgebra::DMatrixView::from_slice(w, k, b);
                let mut out = nalgebra::DMatrixViewMut::from_slice(&mut s[..m * b], m, b);
                out.gemm(1.0, &xv, &wv, 0.0);
            }
        }
        // The groups above the frontier, children first: geometric ones as
        // exp(Σ w·ln v / Σ w), arithmetic ones (above a geometric group) as Σ w·v / Σ w, over
        // the positive weights.
        let mut bad = vec![false; b];
        for g in &st.upper {
            let geometric = matches!(
                plan.node(*g).group.as_ref().map(|g| &g.aggregate),
                Some(Aggregate::Geometric)
            );
            let mut out = std::mem::take(&mut values[g.index()]);
            out.resize(m * b, 0.0);
            for (r, d) in draws.iter().enumerate() {
                let kids = d.children(plan, *g);
                let den = counted_weight(d, kids);
                let acc = &mut out[r * m..(r + 1) * m];
                acc.fill(0.0);
                for c in kids {
                    let wc = d.weights[c.index()];
                    if wc <= 0.0 {
                        continue;
                    }
                    let v = if plan.node(*c).is_indicator() {
                        &block.value[c.index()][..]
                    } else {
                        &values[c.index()][r * m..(r + 1) * m]
                    };
                    if !geometric {
                        let share = wc / den;
                        for (a, x) in acc.iter_mut().zip(v) {
                            *a += share * x;
                        }
                    } else if !ln_axpy(v, wc / den, acc) {
                        bad[r] = true;
                        break;
                    }
                }
                if geometric {
                    x.clear();
                    x.extend_from_slice(acc);
                    exp_slice(x, acc);
                }
            }
            values[g.index()] = out;
        }
        let root = &values[NodeId::ROOT.index()];
        for (r, i) in at.iter().enumerate() {
            if bad[r] {
                continue;
            }
            let scores = &mut slots.scores[i * m..(i + 1) * m];
            scores.copy_from_slice(&root[r * m..(r + 1) * m]);
            if !self.ranked {
                for (k, s) in scores.iter_mut().enumerate() {
                    if !fast.is_unit[k] {
                        *s = f64::NAN;
                    }
                }
                slots.done[*i] = true;
                continue;
            }
            let ranks = &mut slots.ranks[i * m..(i + 1) * m];
            ranker.ranks_desc(scores, |i| fast.is_unit[i], ranks);
            // Scores that tie, or nearly, may be ordered otherwise by the evaluator's sums:
            // the general route decides those.
            if near_tie(scores, ranks, by_rank) {
                continue;
            }
            for (s, r) in scores.iter_mut().zip(ranks.iter()) {
                if *r == 0 {
                    *s = f64::NAN;
                }
            }
            slots.done[*i] = true;
        }
    }
}

/// A replication's results as [`Kernel::run_fold`] hands them over, by position in the
/// nominal rows.
pub struct View<'v> {
    /// Competition ranks (0 = unranked).
    pub ranks: &'v [u32],
    /// Index scores (NaN where unranked).
    pub scores: &'v [f64],
    pub warnings: &'v [(&'static str, usize)],
}

/// The configuration's plan with a replication's group settings.
fn replication_plan(config: &Config, draw: &Draw) -> Plan {
    let mut plan = config.plan.clone();
    for (k, w) in draw.weights.iter().enumerate() {
        if let Some(Weight::Fixed(x)) = &mut plan.nodes[k].weight {
            *x = *w;
        }
    }
    if let Some(children) = &draw.children {
        for (k, c) in children.iter().enumerate() {
            plan.nodes[k].children = c.clone();
        }
    }
    for k in 0..plan.nodes.len() {
        if plan.nodes[k].group.is_none() {
            continue;
        }
        let kids = &plan.nodes[k].children;
        if kids.iter().any(|c| draw.derived[c.index()] != 1.0) {
            let by: Vec<f64> = kids.iter().map(|c| draw.derived[c.index()]).collect();
            plan.nodes[k].group.as_mut().expect("group").vary_derived = by;
        }
    }
    plan
}

/// Replications per matrix product: enough to amortise the product's set-up, few enough that
/// a batch's group values stay in cache.
const BATCH: usize = 64;

/// Replications a worker draws, batches and visits at a time (rounded up to the alignment).
const STEP: usize = 256;

/// Up to this many indicators, a frontier's product is sums of scaled columns.
const SMALL_PRODUCT: usize = 16;

/// A worker's buffers, reused across batches and calls.
#[derive(Default)]
struct Scratch {
    work: Work,
    slots: Slots,
}

/// The batched route's working buffers.
#[derive(Default)]
struct Work {
    x: Vec<f64>,
    w: Vec<f64>,
    values: Vec<Vec<f64>>,
    ranker: RankBuffers,
    by_rank: Vec<usize>,
}

/// The batched route's results for a step of replications, `m` values each.
#[derive(Default)]
struct Slots {
    ranks: Vec<u32>,
    scores: Vec<f64>,
    done: Vec<bool>,
}

impl Slots {
    /// Room for `n` replications, none done (the values are overwritten when done).
    fn reset(&mut self, n: usize, m: usize) {
        self.ranks.resize(n * m, 0);
        self.scores.resize(n * m, 0.0);
        self.done.clear();
        self.done.resize(n, false);
    }
}

/// Whether the batched route may serve a replication (see the module docs). `stack` is
/// scratch, reused across calls.
fn fast_ready(config: &Config, draw: &Draw, stack: &mut Vec<NodeId>) -> bool {
    let Some(fast) = &config.fast else {
        return false;
    };
    if !draw.survey.is_empty() {
        return false;
    }
    let plan = &config.plan;
    stack.clear();
    stack.push(NodeId::ROOT);
    while let Some(id) = stack.pop() {
        let node = plan.node(id);
        if node.is_indicator() {
            if !fast.complete[id.index()] {
                return false;
            }
            continue;
        }
        match draw.aggregate(plan, id) {
            Some(Aggregate::Arithmetic | Aggregate::Geometric) => {}
            _ => return false,
        }
        let kids = draw.children(plan, id);
        let mut den = 0.0;
        for c in kids {
            let w = draw.weights[c.index()];
            if !w.is_finite() {
                return false;
            }
            if w > 0.0 {
                den += w;
            }
            stack.push(*c);
        }
        // No positive weight: the evaluator's rule for a group without a score applies.
        if den <= 0.0 {
            return false;
        }
    }
    true
}

/// The shape of a batch: the maximal all-arithmetic subtrees (the frontier, each with its
/// indicators) and the groups above them (geometric, or arithmetic over a geometric one),
/// children before parents.
struct Structure {
    frontier: Vec<NodeId>,
    indicators: Vec<Vec<NodeId>>,
    /// Per node: an indicator's position among its frontier node's indicators.
    position: Vec<usize>,
    upper: Vec<NodeId>,
}

impl Structure {
    fn new(plan: &Plan, draw: &Draw) -> Structure {
        let nn = plan.nodes.len();
        // Linear: an indicator, or an arithmetic group whose children are all linear.
        let mut linear = vec![false; nn];
        let mut order = Vec::new();
        let mut stack = vec![NodeId::ROOT];
        while let Some(id) = stack.pop() {
            order.push(id);
            if !plan.node(id).is_indicator() {
                stack.extend(draw.children(plan, id).iter().copied());
            }
        }
        for id in order.iter().rev() {
            linear[id.index()] = plan.node(*id).is_indicator()
                || (matches!(draw.aggregate(plan, *id), Some(Aggregate::Arithmetic))
                    && draw.children(plan, *id).iter().all(|c| linear[c.index()]));
        }
        let mut frontier = Vec::new();
        let mut upper = Vec::new();
        let mut indicators = vec![Vec::new(); nn];
        for id in order.iter().rev() {
            let node = plan.node(*id);
            if node.is_indicator() {
                continue;
            }
            let parent_linear = node.parent.is_some_and(|p| linear[p.index()]);
            if linear[id.index()] && !parent_linear {
                frontier.push(*id);
                let mut inds = Vec::new();
                collect_indicators(plan, draw, *id, &mut inds);
                indicators[id.index()] = inds;
            } else if !linear[id.index()] {
                upper.push(*id);
            }
        }
        let mut position = vec![usize::MAX; nn];
        for inds in &indicators {
            for (k, id) in inds.iter().enumerate() {
                position[id.index()] = k;
            }
        }
        Structure {
            frontier,
            indicators,
            position,
            upper,
        }
    }
}

fn collect_indicators(plan: &Plan, draw: &Draw, id: NodeId, out: &mut Vec<NodeId>) {
    for c in draw.children(plan, id) {
        if plan.node(*c).is_indicator() {
            out.push(*c);
        } else {
            collect_indicators(plan, draw, *c, out);
        }
    }
}

/// The total weight a group's mean divides by: that of the children with a positive weight,
/// as [`crate::methods::aggregate::weighted_mean`] renormalises (the batched route's children
/// are all present; a dropped one is not among `kids`). Tested equal to it below.
fn counted_weight(draw: &Draw, kids: &[NodeId]) -> f64 {
    kids.iter()
        .map(|c| draw.weights[c.index()])
        .filter(|w| *w > 0.0)
        .sum()
}

/// Adds each indicator's effective weight under `id` (times `scale`) at its `position` (by
/// node) in `out`: the product of the weights down the path, each divided by the sum of its
/// siblings' positive weights, as the arithmetic mean divides.
fn effective(
    plan: &Plan,
    draw: &Draw,
    id: NodeId,
    scale: f64,
    position: &[usize],
    out: &mut [f64],
) {
    let kids = draw.children(plan, id);
    let den = counted_weight(draw, kids);
    for c in kids {
        let w = draw.weights[c.index()];
        if w <= 0.0 {
            continue;
        }
        let share = scale * (w / den);
        if plan.node(*c).is_indicator() {
            out[position[c.index()]] += share;
        } else {
            effective(plan, draw, *c, share, position, out);
        }
    }
}

/// Relative difference under which two scores of the batched route count as a possible tie:
/// far above the rounding of sums in another order, far below any difference that matters.
const TIE: f64 = 1e-10;

/// Whether two ranked scores tie or lie within [`TIE`] of each other (`by_rank` is scratch).
fn near_tie(scores: &[f64], ranks: &[u32], by_rank: &mut Vec<usize>) -> bool {
    by_rank.clear();
    by_rank.resize(scores.len(), usize::MAX);
    for (i, r) in ranks.iter().enumerate() {
        if *r == 0 {
            continue;
        }
        let slot = &mut by_rank[*r as usize - 1];
        if *slot != usize::MAX {
            return true;
        }
        *slot = i;
    }
    by_rank.windows(2).any(|w| {
        if w[0] == usize::MAX || w[1] == usize::MAX {
            return false;
        }
        let (a, b) = (scores[w[0]], scores[w[1]]);
        (a - b).abs() <= TIE * a.abs().max(b.abs())
    })
}

/// Makes the fixed weights among `kids` sum to 1 (left alone when they cannot).
fn renormalise(weights: &mut [f64], kids: &[NodeId]) {
    let sum: f64 = kids
        .iter()
        .map(|c| weights[c.index()])
        .filter(|w| !w.is_nan())
        .sum();
    if sum.is_nan() || sum <= 0.0 {
        return;
    }
    for c in kids {
        let w = &mut weights[c.index()];
        if !w.is_nan() {
            *w /= sum;
        }
    }
}

fn in_replication(e: Error, r: usize) -> Error {
    match e {
        Error::Diagnostics(ds) => Error::Diagnostics(
            ds.into_iter()
                .map(|d| d.with_note(format!("in uncertainty replication {r}")))
                .collect(),
        ),
        other => other,
    }
}

/// Whether `id` is `under` or one of its descendants.
pub(crate) fn is_under(plan: &Plan, id: NodeId, under: NodeId) -> bool {
    let mut cur = Some(id);
    while let Some(c) = cur {
        if c == under {
            return true;
        }
        cur = plan.node(c).parent;
    }
    false
}

/// The indicators under the node named `at` (all when `None`; none when the plan lacks it)
/// that are still attached, given each node's children `kids` (after the drops so far).
fn indicators_at(plan: &Plan, kids: &[Vec<NodeId>], at: Option<&str>) -> Vec<NodeId> {
    let root = match at {
        None => NodeId::ROOT,
        Some(name) => match plan.find(name) {
            Some(id) => id,
            None => return Vec::new(),
        },
    };
    let attached = |id: NodeId| -> bool {
        let mut cur = id;
        while let Some(p) = plan.node(cur).parent {
            if !kids[p.index()].contains(&cur) {
                return false;
            }
            cur = p;
        }
        true
    };
    plan.indicators()
        .filter(|id| is_under(plan, *id, root) && attached(*id))
        .collect()
}

/// The number of options of a `choose` line (1 for the other lines).
fn options(kind: &FactorKind) -> usize {
    match kind {
        FactorKind::ChooseScheme { options } => options.len(),
        FactorKind::ChooseNormalise { options, .. } => options.len(),
        FactorKind::ChooseAggregate { options, .. } => options.len(),
        FactorKind::ChooseMissing { options, .. } => options.len(),
        _ => 1,
    }
}

/// Option `i` of a `choose` line, as written in rules.
fn option_text(kind: &FactorKind, i: usize) -> String {
    match kind {
        FactorKind::ChooseScheme { options } => options[i].clone(),
        FactorKind::ChooseNormalise { options, .. } => options[i].to_string(),
        FactorKind::ChooseAggregate { options, .. } => options[i].to_string(),
        FactorKind::ChooseMissing { options, .. } => options[i].to_string(),
        _ => String::new(),
    }
}

/// Whether a method needs non-negative inputs.
fn needs_positive(a: &Aggregate) -> bool {
    match a {
        Aggregate::Geometric | Aggregate::Harmonic => true,
        Aggregate::Power(p) => *p <= 0.0,
        _ => false,
    }
}

/// Whether a normalisation onto `scale` can give negative values.
fn may_be_negative(n: &Normalise, scale: (f64, f64)) -> bool {
    match n {
        Normalise::ZScore { mean, sd } => mean - 3.0 * sd.abs() < 0.0,
        Normalise::MinMax
        | Normalise::Goalposts(..)
        | Normalise::Percentile
        | Normalise::Target(_) => scale.0 < 0.0,
        _ => false,
    }
}

/// Before a configuration's first replication: no group that aggregates with a geometric,
/// harmonic or power P ≤ 0 mean receives an indicator whose normalisation may be negative.
fn reject_negative_inputs(plan: &Plan) -> Result<(), Error> {
    for g in plan.ids() {
        let node = plan.node(g);
        let Some(group) = &node.group else { continue };
        if !needs_positive(&group.aggregate) {
            continue;
        }
        for id in plan.indicators().filter(|id| is_under(plan, *id, g)) {
            let n = plan.node(id);
            let ind = n.indicator.as_ref().expect("indicator");
            if may_be_negative(&ind.normalise, n.scale) {
                let mut d = Diagnostic::error(
                    "uncertainty-negative-input",
                    format!(
                        "`{}` is normalised with `{}`, which can give negative values, but `{}` aggregates with `{}`, which needs non-negative inputs",
                        n.id, ind.normalise, node.id, group.aggregate
                    ),
                )
                .with_hint(
                    "normalise onto a positive range, e.g. `zscore(100, 10)` or `scale 1..100`, or drop that option from the choice",
                )
                .with_span(node.span);
                if plan.scheme != "default" {
                    d = d.with_note(format!("in scheme `{}`", plan.scheme));
                }
                return Err(Error::Diagnostics(vec![d]));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::aggregate::weighted_mean;
    use proptest::prelude::*;

    /// An index over `k` indicators, read from JSON as `qindex explain --format json` writes it.
    fn flat_plan(k: usize) -> Plan {
        let mut nodes = vec![format!(
            r#"{{"id": "index", "kind": "index", "depth": 0, "scale": [0.0, 100.0],
                "children": [{}], "span": "0:0-0"}}"#,
            (1..=k)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )];
        for i in 1..=k {
            nodes.push(format!(
                r#"{{"id": "x{i}", "kind": "indicator", "parent": 0, "depth": 1,
                    "weight": {{"fixed": 1.0}}, "scale": [0.0, 100.0], "span": "0:0-0"}}"#
            ));
        }
        let json = format!(
            r#"{{"scheme": "default", "index": {{"id": "index", "unit_column": "unit",
                "reference": "period"}}, "nodes": [{}], "lets": [], "columns": [],
                "adjustments": []}}"#,
            nodes.join(", ")
        );
        serde_json::from_str(&json).expect("a plan")
    }

    proptest! {
        /// The batched route's effective weights of an arithmetic group give the one weighted
        /// mean with renormalised weights, a dropped child counting as a missing one.
        #[test]
        fn batched_weights_are_the_weighted_mean(
            (weights, values, kept) in (1usize..7).prop_flat_map(|k| (
                prop::collection::vec(prop_oneof![Just(0.0), 0.01f64..5.0], k),
                prop::collection::vec(-50.0f64..50.0, k),
                prop::collection::vec(prop::bool::weighted(0.7), k),
            ))
        ) {
            let k = weights.len();
            let plan = flat_plan(k);
            let kids: Vec<NodeId> = (1..=k as u32).filter(|i| kept[*i as usize - 1]).map(NodeId).collect();
            let mut children = vec![Vec::new(); k + 1];
            children[0] = kids;
            let mut node_weights = vec![f64::NAN];
            node_weights.extend(&weights);
            let draw = Draw {
                key: Vec::new(),
                weights: node_weights,
                derived: vec![1.0; k + 1],
                children: Some(children),
                drops: Vec::new(),
                dropped: Vec::new(),
                survey: Vec::new(),
            };
            let row: Vec<f64> = values
                .iter()
                .zip(&kept)
                .map(|(x, k)| if *k { *x } else { f64::NAN })
                .collect();
            let want = weighted_mean(&row, &weights);
            // No positive weight among the kept: the batched route does not serve it.
            prop_assume!(counted_weight(&draw, draw.children(&plan, NodeId::ROOT)) > 0.0);
            let position: Vec<usize> = (0..=k).map(|i| i.saturating_sub(1)).collect();
            let mut effective_weights = vec![0.0; k];
            effective(&plan, &draw, NodeId::ROOT, 1.0, &position, &mut effective_weights);
            let batched: f64 = effective_weights.iter().zip(&values).map(|(w, x)| w * x).sum();
            prop_assert!(
                (batched - want).abs() <= 1e-12 * (1.0 + want.abs()),
                "{batched} against {want}"
            );
        }
    }

    #[test]
    fn pick_is_uniform_over_options() {
        assert_eq!(pick(0.0, 3), 0);
        assert_eq!(pick(0.333, 3), 0);
        assert_eq!(pick(0.334, 3), 1);
        assert_eq!(pick(0.999_999, 3), 2);
        assert_eq!(pick(1.0, 3), 2);
    }
}

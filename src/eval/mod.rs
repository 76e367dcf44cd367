//! The evaluate stage: a Plan over a Frame → Results. Columnar: every step reads and writes
//! whole columns.
//!
//! Rows are grouped into *blocks* that share statistics: each period (`reference period`, the
//! default) or the whole panel (`reference panel`). Within a block, the reference rows are the
//! units (`units where`); their statistics (min, max, mean, ranks, derived weights) apply to every
//! row of the block. Ranks are computed per period over the ranked units.

mod bind;
mod formula;
mod group;
mod indicator;

use crate::data::Frame;
use crate::diagnostics::Diagnostic;
use crate::methods::normalise::PointMap;
use crate::plan::{AdjustKind, Code, NodeId, NodeKind, Plan};
use crate::Error;
pub use bind::{at_rules, data_path, load as load_data, load_for as load_data_for, DataOptions};
use formula::{Context, Problems};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// Which periods to evaluate and report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodChoice {
    /// The latest period (the default; the only one without a period column).
    Latest,
    One(String),
    All,
}

#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub period: PeriodChoice,
    /// `--where`: rows that fail it are neither ranked nor reported.
    pub filter: Option<Code>,
    /// The groups to rank, when not all (`qindex run --columns`/`--depth` shows only some):
    /// the others' `PeriodResult::rank` is left empty. The index is always ranked.
    pub ranked_groups: Option<Vec<NodeId>>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            period: PeriodChoice::Latest,
            filter: None,
            ranked_groups: None,
        }
    }
}

/// Per-row, per-node flags.
pub mod flags {
    pub const IMPUTED: u8 = 1;
    pub const WINSORISED: u8 = 2;
    pub const CLAMPED: u8 = 4;
    pub const MISSING: u8 = 8;
    pub const BELOW_COVERAGE: u8 = 16;
    pub const VETOED: u8 = 32;
    pub const TRANSFORMED_AWAY: u8 = 64;

    /// The flags' names, in bit order, as the reports print them.
    pub const NAMES: [(u8, &str); 7] = [
        (IMPUTED, "imputed"),
        (WINSORISED, "winsorised"),
        (CLAMPED, "clamped"),
        (MISSING, "missing"),
        (BELOW_COVERAGE, "below_coverage"),
        (VETOED, "vetoed"),
        (TRANSFORMED_AWAY, "invalid_transform"),
    ];

    pub fn names(bits: u8) -> Vec<&'static str> {
        NAMES
            .iter()
            .filter(|(b, _)| bits & b != 0)
            .map(|(_, n)| *n)
            .collect()
    }
}

/// A problem found while evaluating, counted over the units it concerns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
    pub node: Option<String>,
    pub unit: Option<String>,
    pub period: Option<String>,
    pub count: usize,
    /// The units it concerns, when the evaluation flags them (imputed, winsorised, missing,
    /// below coverage, transformed away), in data order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<String>,
}

/// The results of one period (or of the whole data without a period column).
#[derive(Debug, Clone)]
pub struct PeriodResult<'f> {
    pub period: Option<String>,
    /// Frame rows, in file order.
    pub rows: Vec<usize>,
    /// Whether each row is a ranked unit (`units where`).
    pub is_unit: Vec<bool>,
    /// Per node (by `NodeId`): for indicators the value after the formula; empty for groups.
    pub raw: Vec<Cow<'f, [f64]>>,
    /// Per indicator: the value after imputation, transform and winsorising; `None` when it is
    /// the raw value unchanged.
    pub treated: Vec<Option<Vec<f64>>>,
    /// Per node: the normalised value (indicators) or the score (groups, the index before
    /// adjustments); empty for an indicator whose normalisation is deferred. Read it with
    /// [`PeriodResult::values`] and [`PeriodResult::value`].
    computed: Vec<Vec<f64>>,
    /// Per indicator: the normalisation applied where the value is read, when it is a function
    /// of each treated value alone (min-max): the normalised column is never stored.
    deferred: Vec<Option<PointMap>>,
    /// Per node: flags by row (empty when no row has a flag).
    pub flags: Vec<Vec<u8>>,
    /// Per group and the index: the rank of each row among the units (0 = unranked).
    pub rank: Vec<Vec<u32>>,
    /// The index score with adjustments.
    pub score: Vec<f64>,
    /// The final rank (0 = unranked: not a unit, no score, or vetoed).
    pub final_rank: Vec<u32>,
    pub bonus: Vec<f64>,
    pub penalty: Vec<f64>,
    pub vetoed: Vec<bool>,
    /// The vetoes that fired, as (row position, index of the adjustment in the plan), in row
    /// order then rule order: a veto that excludes the unit and one that caps its score.
    pub vetoes: Vec<(usize, usize)>,
    /// Per node: the weight within its parent used in this period, and the overall weight.
    pub weights: Vec<f64>,
    pub overall: Vec<f64>,
}

impl PeriodResult<'_> {
    /// What adjusted row `i`'s score, in words: `bonus 2; penalty 1; veto: COND` (the
    /// condition of each veto that fired, `(cap S)` after a capping one); empty when nothing.
    pub fn adjustments_text(&self, plan: &Plan, i: usize) -> String {
        let mut parts = Vec::new();
        if self.bonus[i] != 0.0 && self.bonus[i].is_finite() {
            parts.push(format!("bonus {}", self.bonus[i]));
        }
        if self.penalty[i] != 0.0 && self.penalty[i].is_finite() {
            parts.push(format!("penalty {}", self.penalty[i]));
        }
        let first = self.vetoes.partition_point(|(r, _)| *r < i);
        for (_, k) in self.vetoes[first..].iter().take_while(|(r, _)| *r == i) {
            let a = &plan.adjustments[*k];
            parts.push(match a.limit {
                Some(cap) => format!("veto: {} (cap {cap})", a.code.text),
                None => format!("veto: {}", a.code.text),
            });
        }
        parts.join("; ")
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The treated value of an indicator: after imputation, transform and winsorising.
    pub fn treated(&self, node: NodeId) -> &[f64] {
        match &self.treated[node.index()] {
            Some(t) => t,
            None => &self.raw[node.index()],
        }
    }

    /// A node's values by row: the normalised value (indicators) or the score (groups, the
    /// index before adjustments).
    pub fn values(&self, node: NodeId) -> Cow<'_, [f64]> {
        values_of(
            &self.computed,
            &self.deferred,
            &self.treated,
            &self.raw,
            node.index(),
        )
    }

    /// A node's value at row position `i` (see [`PeriodResult::values`]).
    pub fn value(&self, node: NodeId, i: usize) -> f64 {
        let k = node.index();
        match &self.deferred[k] {
            Some(map) => map.apply(treated_of(&self.treated, &self.raw, k)[i]),
            None => self.computed[k][i],
        }
    }

    pub fn flag(&self, node: NodeId, row: usize) -> u8 {
        self.flags[node.index()].get(row).copied().unwrap_or(0)
    }

    /// Positions sorted for reporting: by final rank, then unranked rows by score, then by unit.
    pub fn order(&self, frame: &Frame) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.len()).collect();
        idx.sort_by(|&a, &b| {
            let ra = if self.final_rank[a] == 0 {
                u32::MAX
            } else {
                self.final_rank[a]
            };
            let rb = if self.final_rank[b] == 0 {
                u32::MAX
            } else {
                self.final_rank[b]
            };
            ra.cmp(&rb)
                .then_with(|| {
                    let (sa, sb) = (self.score[a], self.score[b]);
                    match (sa.is_nan(), sb.is_nan()) {
                        (false, false) => sb.total_cmp(&sa),
                        (a, b) => a.cmp(&b),
                    }
                })
                .then_with(|| {
                    frame
                        .units()
                        .get(self.rows[a])
                        .cmp(frame.units().get(self.rows[b]))
                })
        });
        idx
    }
}

#[derive(Debug, Clone)]
pub struct Results<'f> {
    pub periods: Vec<PeriodResult<'f>>,
    pub warnings: Vec<Warning>,
    /// Whether weights are computed per period (panel data with derived weights).
    pub weights_vary_by_period: bool,
}

/// Collects warnings, merging repeats.
#[derive(Default, Clone)]
pub(crate) struct Warnings {
    list: Vec<Warning>,
}

impl Warnings {
    pub fn add(
        &mut self,
        code: &'static str,
        message: String,
        node: Option<&str>,
        period: Option<&str>,
        count: usize,
    ) {
        if count == 0 {
            return;
        }
        if let Some(w) = self.list.iter_mut().find(|w| {
            w.code == code
                && w.node.as_deref() == node
                && w.period.as_deref() == period
                && w.message == message
        }) {
            w.count += count;
            return;
        }
        self.list.push(Warning {
            code,
            message,
            node: node.map(str::to_string),
            unit: None,
            period: period.map(str::to_string),
            count,
            units: Vec::new(),
        });
    }
}

/// The periods of a frame in order: numerically when every period is a number, else as text.
pub fn sorted_periods(frame: &Frame) -> Vec<String> {
    let mut ps: Vec<String> = frame
        .period_values()
        .into_iter()
        .map(str::to_string)
        .collect();
    let numeric: Option<Vec<f64>> = ps.iter().map(|p| p.trim().parse::<f64>().ok()).collect();
    match numeric {
        Some(_) => ps.sort_by(|a, b| {
            let (x, y) = (
                a.trim().parse::<f64>().unwrap_or(0.0),
                b.trim().parse::<f64>().unwrap_or(0.0),
            );
            x.total_cmp(&y)
        }),
        None => ps.sort(),
    }
    ps
}

/// Evaluates a plan over a frame whose columns were loaded for it (see [`crate::bind`]).
pub fn evaluate<'f>(
    plan: &Plan,
    frame: &'f Frame,
    opts: &EvalOptions,
) -> Result<Results<'f>, Error> {
    let prepared = prepare(plan, frame, opts)?;
    finish(plan, frame, prepared)
}

/// What an evaluation computes before the groups: every indicator of every block, processed
/// (formula, imputation, transform, winsorising, normalisation). Nothing here depends on the
/// groups' weights, aggregations or children, so the uncertainty kernel computes it once and
/// finishes it under many group settings.
#[derive(Clone)]
pub(crate) struct Prepared<'f> {
    periods: Vec<String>,
    period_rows: Vec<Vec<usize>>,
    selected: Vec<usize>,
    included: Vec<bool>,
    is_unit: Vec<bool>,
    adjust_values: Vec<Vec<f64>>,
    panel: bool,
    period_count: usize,
    blocks: Vec<Option<BlockResult<'f>>>,
    warnings: Warnings,
    ranked_groups: Option<Vec<NodeId>>,
}

impl<'f> Prepared<'f> {
    /// The block that a single selected period is evaluated in, when that block is the
    /// period's rows alone (not a panel): its rows and indicator values by node.
    pub(crate) fn single_block(&self) -> Option<&BlockResult<'f>> {
        if self.panel || self.selected.len() != 1 {
            return None;
        }
        self.blocks[self.selected[0]].as_ref()
    }

    /// Stores every deferred normalisation's values (for callers that read them many times,
    /// as the uncertainty kernel's replications do).
    pub(crate) fn materialise(&mut self) {
        for block in self.blocks.iter_mut().flatten() {
            block.materialise();
        }
    }

    /// The warnings of the indicator stage: (code, count).
    pub(crate) fn warning_counts(&self) -> Vec<(&'static str, usize)> {
        self.warnings
            .list
            .iter()
            .map(|w| (w.code, w.count))
            .collect()
    }
}

/// Runs everything up to the groups (see [`Prepared`]).
pub(crate) fn prepare<'f>(
    plan: &Plan,
    frame: &'f Frame,
    opts: &EvalOptions,
) -> Result<Prepared<'f>, Error> {
    let n = frame.len();
    let mut warnings = Warnings::default();

    // Periods and the rows of each.
    let periods = sorted_periods(frame);
    let period_index: HashMap<&str, u32> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i as u32))
        .collect();
    let row_period: Vec<u32> = match frame.periods() {
        Some(ps) => ps.iter().map(|p| period_index[p]).collect(),
        None => vec![0; n],
    };
    let period_count = periods.len().max(1);
    let mut period_rows: Vec<Vec<usize>> = vec![Vec::new(); period_count];
    for (r, p) in row_period.iter().enumerate() {
        period_rows[*p as usize].push(r);
    }
    let selected: Vec<usize> = match &opts.period {
        PeriodChoice::Latest => vec![period_count - 1],
        PeriodChoice::All => (0..period_count).collect(),
        PeriodChoice::One(p) => match period_index.get(p.as_str()) {
            Some(i) => vec![*i as usize],
            None => {
                let shown: Vec<&str> = periods.iter().map(String::as_str).collect();
                return Err(Error::Usage(if periods.is_empty() {
                    format!("--period {p}: the data has no period column")
                } else {
                    format!(
                        "--period {p}: the data has no such period; it has {}",
                        shown.join(", ")
                    )
                }));
            }
        },
    };

    // Rows of the same unit in each period, for `lag`, `growth` and `carry`.
    let mut unit_period_row: HashMap<(&str, u32), usize> = HashMap::new();
    if frame.periods().is_some() {
        for (r, p) in row_period.iter().enumerate() {
            unit_period_row.insert((frame.units().get(r), *p), r);
        }
    }
    let lag = |k: usize| -> Vec<Option<usize>> {
        (0..n)
            .map(|r| {
                let p = row_period[r] as usize;
                if p < k || frame.periods().is_none() {
                    return None;
                }
                unit_period_row
                    .get(&(frame.units().get(r), (p - k) as u32))
                    .copied()
            })
            .collect()
    };

    // Data columns, lets, `units where`, `--where`.
    let mut columns: Vec<&[f64]> = Vec::with_capacity(plan.columns.len());
    for c in &plan.columns {
        match frame.column(&c.name) {
            Some(col) => columns.push(col),
            None => {
                return Err(Error::Diagnostics(vec![Diagnostic::error(
                    "unknown-column",
                    format!("column `{}` was not loaded", c.name),
                )
                .with_span(c.span)]))
            }
        }
    }
    let all_units = vec![true; n];
    let mut problems = Problems::default();
    let mut lets: Vec<Vec<f64>> = Vec::with_capacity(plan.lets.len());
    for l in &plan.lets {
        let ctx = Context {
            columns: &columns,
            lets: &lets,
            period_groups: &period_rows,
            is_unit: &all_units,
            lag: &lag,
            rows: n,
        };
        let v = formula::run(&l.code, &ctx, &mut problems);
        lets.push(v);
    }
    let condition = |code: &Code, problems: &mut Problems, lets: &[Vec<f64>]| -> Vec<bool> {
        let ctx = Context {
            columns: &columns,
            lets,
            period_groups: &period_rows,
            is_unit: &all_units,
            lag: &lag,
            rows: n,
        };
        formula::run(code, &ctx, problems)
            .iter()
            .map(|v| *v != 0.0 && !v.is_nan())
            .collect()
    };
    let included: Vec<bool> = match &opts.filter {
        Some(code) => condition(code, &mut problems, &lets),
        None => vec![true; n],
    };
    let mut is_unit: Vec<bool> = match &plan.units_where {
        Some(code) => condition(code, &mut problems, &lets),
        None => vec![true; n],
    };
    for (u, i) in is_unit.iter_mut().zip(&included) {
        *u &= *i;
    }
    // Formulas of every indicator over all rows.
    let ctx = Context {
        columns: &columns,
        lets: &lets,
        period_groups: &period_rows,
        is_unit: &is_unit,
        lag: &lag,
        rows: n,
    };
    let mut raw_all: Vec<Cow<'f, [f64]>> = Vec::with_capacity(plan.nodes.len());
    for id in plan.ids() {
        let node = plan.node(id);
        let Some(ind) = &node.indicator else {
            raw_all.push(Cow::Borrowed(&[]));
            continue;
        };
        let mut p = Problems::default();
        let v: Cow<'f, [f64]> = match ind.formula.ops.as_slice() {
            [crate::plan::Instr::Column(c)] => {
                let name = &plan.columns[*c as usize].name;
                Cow::Borrowed(frame.column(name).expect("loaded above"))
            }
            _ => Cow::Owned(formula::run(&ind.formula, &ctx, &mut p)),
        };
        note_problems(&mut warnings, &p, Some(&node.id));
        raw_all.push(v);
    }
    note_problems(&mut warnings, &problems, None);
    crate::timing::step("formulas");
    let adjust_values: Vec<Vec<f64>> = plan
        .adjustments
        .iter()
        .map(|a| {
            let mut p = Problems::default();
            let v = formula::run(&a.code, &ctx, &mut p);
            note_problems(&mut warnings, &p, None);
            v
        })
        .collect();

    // Blocks: one per period, or the panel.
    let panel = plan.index.reference == crate::plan::Reference::Panel && period_count > 1;
    let blocks: Vec<Vec<usize>> = if panel {
        vec![(0..n).filter(|r| included[*r]).collect()]
    } else {
        period_rows
            .iter()
            .enumerate()
            .map(|(p, rows)| {
                if selected.contains(&p) || needs_all_periods(plan) {
                    rows.iter().copied().filter(|r| included[*r]).collect()
                } else {
                    Vec::new()
                }
            })
            .collect()
    };

    let period_name = |p: usize| -> Option<String> { periods.get(p).cloned() };
    let mut block_results: Vec<Option<BlockResult<'f>>> = Vec::new();
    for (b, rows) in blocks.iter().enumerate() {
        if rows.is_empty() {
            block_results.push(None);
            continue;
        }
        let label = if panel { None } else { period_name(b) };
        let prev: Vec<Option<usize>> = lag(1);
        let br = indicator_stage(
            plan,
            frame,
            rows,
            &is_unit,
            &raw_all,
            &prev,
            label.as_deref(),
            &mut warnings,
        )?;
        block_results.push(Some(br));
    }
    crate::timing::step("indicators (statistics, normalise)");
    Ok(Prepared {
        periods,
        period_rows,
        selected,
        included,
        is_unit,
        adjust_values,
        panel,
        period_count,
        blocks: block_results,
        warnings,
        ranked_groups: opts.ranked_groups.clone(),
    })
}

/// Aggregates the groups of every prepared block under `plan` (which may differ from the plan
/// that prepared them only in group settings: weights, aggregations, children) and finishes the
/// selected periods: adjustments and ranks.
pub(crate) fn finish<'f>(
    plan: &Plan,
    frame: &'f Frame,
    prepared: Prepared<'f>,
) -> Result<Results<'f>, Error> {
    let Prepared {
        periods,
        period_rows,
        selected,
        included,
        is_unit,
        adjust_values,
        panel,
        period_count,
        blocks: mut block_results,
        mut warnings,
        ranked_groups,
    } = prepared;
    let period_name = |p: usize| -> Option<String> { periods.get(p).cloned() };
    for (b, br) in block_results.iter_mut().enumerate() {
        let Some(br) = br else { continue };
        let label = if panel { None } else { period_name(b) };
        br.weights = group::aggregate_all(
            plan,
            frame,
            &br.rows,
            &br.is_unit,
            &br.raw,
            &br.treated,
            &br.deferred,
            &mut br.value,
            &mut br.flags,
            label.as_deref(),
            &mut warnings,
        )?;
    }
    crate::timing::step("aggregate");
    let mut out_periods: Vec<PeriodResult<'f>> = Vec::new();

    for &p in &selected {
        let rows: Vec<usize> = period_rows[p]
            .iter()
            .copied()
            .filter(|r| included[*r])
            .collect();
        let block: BlockResult<'f> = if panel {
            let br = block_results[0].as_ref().expect("the panel block");
            let pos: HashMap<usize, usize> =
                br.rows.iter().enumerate().map(|(i, r)| (*r, i)).collect();
            let positions: Vec<usize> = rows.iter().map(|r| pos[r]).collect();
            br.select(&positions)
        } else {
            // Each period's block is used once: its columns move into the result.
            match block_results[p].take() {
                Some(br) => br,
                None => continue,
            }
        };
        let label = period_name(p).filter(|_| frame.periods().is_some());
        out_periods.push(finish_period(
            plan,
            block,
            rows,
            &is_unit,
            &adjust_values,
            label,
            ranked_groups.as_deref(),
            &mut warnings,
        ));
    }
    let weights_vary_by_period = !panel
        && period_count > 1
        && plan
            .nodes
            .iter()
            .any(|n| matches!(n.weight, Some(crate::plan::Weight::Derived(_))));
    let mut warnings = warnings.list;
    name_units(&mut warnings, plan, frame, &out_periods);
    Ok(Results {
        periods: out_periods,
        warnings,
        weights_vary_by_period,
    })
}

/// Names the units a warning concerns, from the flags the evaluation set on them, so that
/// "missing values imputed" says for whom.
fn name_units(warnings: &mut [Warning], plan: &Plan, frame: &Frame, periods: &[PeriodResult]) {
    for w in warnings {
        let flag = match w.code {
            "imputed" => flags::IMPUTED,
            "winsorised" => flags::WINSORISED,
            "missing" => flags::MISSING,
            "below-coverage" => flags::BELOW_COVERAGE,
            "transform-invalid" => flags::TRANSFORMED_AWAY,
            _ => continue,
        };
        let Some(node) = w.node.as_deref().and_then(|id| plan.find(id)) else {
            continue;
        };
        for p in periods.iter().filter(|p| p.period == w.period) {
            for (i, &row) in p.rows.iter().enumerate() {
                if p.is_unit[i] && p.flag(node, i) & flag != 0 {
                    w.units.push(frame.units().get(row).to_string());
                }
            }
        }
        if let [one] = w.units.as_slice() {
            w.unit = Some(one.clone());
        }
    }
}

/// Whether evaluating one period needs the others evaluated too (nothing does yet: `carry` and
/// `lag` read raw values, which are computed for every row).
fn needs_all_periods(_plan: &Plan) -> bool {
    false
}

fn note_problems(w: &mut Warnings, p: &Problems, node: Option<&str>) {
    w.add(
        "division-by-zero",
        "a division by zero gave a missing value".into(),
        node,
        None,
        p.division_by_zero,
    );
    w.add(
        "log-non-positive",
        "a logarithm of a non-positive number gave a missing value".into(),
        node,
        None,
        p.bad_log,
    );
}

/// An indicator's treated values: `treated[k]`, or the raw values when treatment changed
/// nothing.
fn treated_of<'a>(
    treated: &'a [Option<Vec<f64>>],
    raw: &'a [Cow<'_, [f64]>],
    k: usize,
) -> &'a [f64] {
    match &treated[k] {
        Some(t) => t,
        None => &raw[k],
    }
}

/// Node `k`'s values: computed, or the deferred normalisation applied to the treated values.
fn values_of<'a>(
    computed: &'a [Vec<f64>],
    deferred: &[Option<PointMap>],
    treated: &'a [Option<Vec<f64>>],
    raw: &'a [Cow<'_, [f64]>],
    k: usize,
) -> Cow<'a, [f64]> {
    match &deferred[k] {
        Some(map) => {
            let x = treated_of(treated, raw, k);
            let mut out = vec![0.0; x.len()];
            map.apply_into(x, &mut out);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(&computed[k]),
    }
}

/// What one block computes: values per node over the block's rows.
#[derive(Clone)]
pub(crate) struct BlockResult<'f> {
    pub rows: Vec<usize>,
    pub is_unit: Vec<bool>,
    pub raw: Vec<Cow<'f, [f64]>>,
    pub treated: Vec<Option<Vec<f64>>>,
    /// Per node: as [`PeriodResult`]'s, empty where `deferred` holds the normalisation.
    pub value: Vec<Vec<f64>>,
    pub deferred: Vec<Option<PointMap>>,
    pub flags: Vec<Vec<u8>>,
    pub weights: Vec<f64>,
}

impl<'f> BlockResult<'f> {
    /// Stores every deferred normalisation's values in `value`.
    fn materialise(&mut self) {
        for k in 0..self.deferred.len() {
            if self.deferred[k].is_some() {
                let v = values_of(&self.value, &self.deferred, &self.treated, &self.raw, k);
                self.value[k] = v.into_owned();
                self.deferred[k] = None;
            }
        }
    }

    /// The block restricted to some of its rows (one period of a panel block).
    fn select(&self, positions: &[usize]) -> BlockResult<'f> {
        let pick = |v: &[f64]| -> Vec<f64> { positions.iter().map(|i| v[*i]).collect() };
        BlockResult {
            rows: positions.iter().map(|i| self.rows[*i]).collect(),
            is_unit: positions.iter().map(|i| self.is_unit[*i]).collect(),
            raw: self
                .raw
                .iter()
                .map(|v| {
                    if v.is_empty() {
                        Cow::Borrowed(&[][..])
                    } else {
                        Cow::Owned(pick(v))
                    }
                })
                .collect(),
            treated: self
                .treated
                .iter()
                .map(|t| t.as_ref().map(|v| pick(v)))
                .collect(),
            value: self
                .value
                .iter()
                .map(|v| if v.is_empty() { Vec::new() } else { pick(v) })
                .collect(),
            flags: self
                .flags
                .iter()
                .map(|f| {
                    if f.is_empty() {
                        Vec::new()
                    } else {
                        positions.iter().map(|i| f[*i]).collect()
                    }
                })
                .collect(),
            deferred: self.deferred.clone(),
            weights: self.weights.clone(),
        }
    }
}

/// The indicators of one block; the groups' values and weights are left empty.
#[allow(clippy::too_many_arguments)]
fn indicator_stage<'f>(
    plan: &Plan,
    frame: &'f Frame,
    rows: &[usize],
    is_unit_all: &[bool],
    raw_all: &[Cow<'f, [f64]>],
    prev_row: &[Option<usize>],
    period: Option<&str>,
    warnings: &mut Warnings,
) -> Result<BlockResult<'f>, Error> {
    let whole = rows.len() == frame.len();
    let is_unit: Vec<bool> = rows.iter().map(|r| is_unit_all[*r]).collect();
    let mut raw: Vec<Cow<'f, [f64]>> = Vec::with_capacity(plan.nodes.len());
    for v in raw_all {
        raw.push(if v.is_empty() {
            Cow::Borrowed(&[])
        } else if whole {
            v.clone()
        } else {
            Cow::Owned(rows.iter().map(|r| v[*r]).collect())
        });
    }
    let nn = plan.nodes.len();
    let mut treated: Vec<Option<Vec<f64>>> = vec![None; nn];
    let mut value: Vec<Vec<f64>> = vec![Vec::new(); nn];
    let mut deferred: Vec<Option<PointMap>> = vec![None; nn];
    let mut node_flags: Vec<Vec<u8>> = vec![Vec::new(); nn];
    // Indicators are independent: they are processed in parallel, and their warnings merged
    // in plan order, so the output does not depend on the number of threads.
    let ids: Vec<NodeId> = plan.indicators().collect();
    let threads = crate::threads().clamp(1, ids.len().max(1));
    type Done = (NodeId, Result<indicator::Out, Error>, Warnings);
    let one = |id: NodeId| -> Done {
        let k = id.index();
        let mut w = Warnings::default();
        // The previous period's values, for `missing carry` only.
        let carries = plan
            .node(id)
            .indicator
            .as_ref()
            .is_some_and(|ind| ind.missing.contains(&crate::plan::MissingPolicy::Carry));
        let prev: Vec<f64> = if carries {
            rows.iter()
                .map(|r| prev_row[*r].map_or(f64::NAN, |p| raw_all[k][p]))
                .collect()
        } else {
            Vec::new()
        };
        let out = indicator::process(
            plan, id, frame, rows, &is_unit, &raw[k], &prev, period, &mut w,
        );
        (id, out, w)
    };
    let mut done: Vec<Done> = if threads == 1 {
        ids.iter().map(|id| one(*id)).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let ids = &ids;
                    let one = &one;
                    s.spawn(move || {
                        ids.iter()
                            .skip(t)
                            .step_by(threads)
                            .map(|id| one(*id))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("indicators do not panic"))
                .collect()
        })
    };
    done.sort_by_key(|d| d.0);
    for (id, out, w) in done {
        let out = out?;
        let k = id.index();
        warnings.list.extend(w.list);
        treated[k] = out.treated;
        value[k] = out.value;
        deferred[k] = out.deferred;
        node_flags[k] = out.flags;
    }
    Ok(BlockResult {
        rows: rows.to_vec(),
        is_unit,
        raw,
        treated,
        value,
        deferred,
        flags: node_flags,
        weights: Vec::new(),
    })
}

#[allow(clippy::too_many_arguments)]
fn finish_period<'f>(
    plan: &Plan,
    block: BlockResult<'f>,
    rows: Vec<usize>,
    is_unit_all: &[bool],
    adjust_values: &[Vec<f64>],
    period: Option<String>,
    ranked_groups: Option<&[NodeId]>,
    warnings: &mut Warnings,
) -> PeriodResult<'f> {
    let m = rows.len();
    let is_unit: Vec<bool> = rows.iter().map(|r| is_unit_all[*r]).collect();
    let BlockResult {
        raw,
        treated,
        value,
        deferred,
        mut flags,
        weights: block_weights,
        ..
    } = block;

    // Adjustments, in order.
    let root = NodeId::ROOT.index();
    let mut score = value[root].clone();
    let mut bonus = vec![0.0; m];
    let mut penalty = vec![0.0; m];
    let mut vetoed = vec![false; m];
    let mut vetoes: Vec<(usize, usize)> = Vec::new();
    for (k, (a, vals)) in plan.adjustments.iter().zip(adjust_values).enumerate() {
        let mut missing = 0;
        for (i, r) in rows.iter().enumerate() {
            let v = vals[*r];
            if v.is_nan() {
                missing += 1;
                continue;
            }
            match a.kind {
                AdjustKind::Bonus | AdjustKind::Penalty => {
                    let pts = match a.limit {
                        Some(max) => v.min(max),
                        None => v,
                    };
                    if a.kind == AdjustKind::Bonus {
                        bonus[i] += pts;
                        score[i] += pts;
                    } else {
                        penalty[i] += pts;
                        score[i] -= pts;
                    }
                }
                AdjustKind::Veto => {
                    if v != 0.0 {
                        vetoes.push((i, k));
                        match a.limit {
                            Some(cap) => score[i] = score[i].min(cap),
                            None => vetoed[i] = true,
                        }
                    }
                }
            }
        }
        let what = match a.kind {
            AdjustKind::Bonus => "bonus",
            AdjustKind::Penalty => "penalty",
            AdjustKind::Veto => "veto",
        };
        warnings.add(
            "adjust-missing",
            format!(
                "the {what} `{}` could not be computed (missing input); no {what} applied",
                a.code.text
            ),
            None,
            period.as_deref(),
            missing,
        );
    }
    if vetoed.iter().any(|v| *v) {
        let f = &mut flags[root];
        if f.is_empty() {
            *f = vec![0; m];
        }
        for (i, v) in vetoed.iter().enumerate() {
            if *v {
                f[i] |= flags::VETOED;
            }
        }
    }

    // Ranks of the groups and the index among the units, and the final rank.
    // Sorting a million values per level is the costly part: spread the levels over the cores.
    let mut rank: Vec<Vec<u32>> = vec![Vec::new(); plan.nodes.len()];
    let none = vec![false; m];
    let mut jobs: Vec<(usize, &[f64], &[bool])> = plan
        .ids()
        .filter(|id| plan.node(*id).kind != NodeKind::Indicator)
        .filter(|id| *id == NodeId::ROOT || ranked_groups.is_none_or(|g| g.contains(id)))
        .map(|id| (id.index(), value[id.index()].as_slice(), none.as_slice()))
        .collect();
    // Without adjustments the final rank is the index's rank: no second sort.
    let adjusted = !plan.adjustments.is_empty();
    if adjusted {
        jobs.push((usize::MAX, score.as_slice(), vetoed.as_slice()));
    }
    let threads = crate::threads().min(jobs.len());
    // One key buffer for every ranking of a thread.
    let part = |t: usize, threads: usize| -> Vec<(usize, Vec<u32>)> {
        let mut keys = Vec::new();
        jobs.iter()
            .skip(t)
            .step_by(threads)
            .map(|(k, v, excluded)| (*k, ranks(v, &is_unit, excluded, &mut keys)))
            .collect()
    };
    // On one thread (each replication of an uncertainty run) no thread is spawned.
    let done: Vec<(usize, Vec<u32>)> = if threads <= 1 {
        part(0, 1)
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let part = &part;
                    s.spawn(move || part(t, threads))
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("ranking does not panic"))
                .collect()
        })
    };
    let mut final_rank = Vec::new();
    for (k, r) in done {
        if k == root && !adjusted {
            final_rank = r.clone();
        }
        if k == usize::MAX {
            final_rank = r;
        } else {
            rank[k] = r;
        }
    }

    let mut weights = block_weights;
    weights[root] = f64::NAN;
    let mut overall = vec![f64::NAN; plan.nodes.len()];
    for id in plan.ids() {
        let node = plan.node(id);
        overall[id.index()] = match node.parent {
            None => 1.0,
            Some(p) => overall[p.index()] * weights[id.index()],
        };
    }
    vetoes.sort_unstable();
    PeriodResult {
        period,
        rows,
        is_unit,
        raw,
        treated,
        computed: value,
        deferred,
        flags,
        rank,
        score,
        final_rank,
        bonus,
        penalty,
        vetoed,
        vetoes,
        weights,
        overall,
    }
}

/// Standard competition ranks (1, 2, 2, 4), highest first, over the units with a value that
/// are not excluded; 0 for the others. `keys` is a reusable buffer.
fn ranks(values: &[f64], is_unit: &[bool], excluded: &[bool], keys: &mut Vec<u64>) -> Vec<u32> {
    let mut out = vec![0u32; values.len()];
    crate::methods::rank::competition_ranks_desc_into(
        values,
        |i| is_unit[i] && !excluded[i],
        keys,
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn competition_ranks_highest_first() {
        let keys = &mut Vec::new();
        let r = ranks(
            &[10.0, 30.0, 30.0, f64::NAN, 5.0],
            &[true; 5],
            &[false; 5],
            keys,
        );
        assert_eq!(r, vec![3, 1, 1, 0, 4]);
        let r = ranks(
            &[10.0, 30.0, 20.0],
            &[true, false, true],
            &[false, false, true],
            keys,
        );
        assert_eq!(r, vec![1, 0, 0]);
    }
}

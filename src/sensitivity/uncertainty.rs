//! `qindex uncertainty`: the rules' `uncertainty` block as a Monte Carlo.
//!
//! Replication `r` draws its uniforms from its own random stream (ChaCha8 seeded with the
//! block's seed, stream `r`) and is evaluated by the [`super::kernel`]. Replications run on
//! several threads, but each one's result depends only on `(seed, r)` and the results are
//! reduced in replication order, so the output is identical for any thread count.
//!
//! Within a replication (LANGUAGE.md, "Uncertainty"): `choose scheme` → the other `choose`s →
//! `vary` → `drop`:
//! - the `choose` lines make the replication's *configuration*: the chosen scheme compiled with
//!   the equivalent override of each other line's option (`normalise X`, `aggregate NODE = X`,
//!   `missing X`, ...) by the checker's own scheme code ([`crate::check::Variants`]), so a line
//!   reaches exactly what that override reaches in a scheme. Overrides apply from the least to
//!   the most specific (`at NODE` deeper wins), whatever the order of the lines.
//! - `vary` multiplies each weight by U(1 − P, 1 + P) and renormalises the siblings: fixed
//!   weights (given, equal, AHP) in the plan; weights derived from data by the evaluator, after
//!   derivation, through [`crate::plan::GroupPlan::vary_derived`].
//! - `drop` removes the indicator from its parent's children; fixed sibling weights are
//!   renormalised and derived weights are derived over the remaining children (AHP weights are
//!   renormalised rather than recomputed from the sub-matrix).

use super::kernel::{Kernel, View};
use crate::data::Frame;
use crate::diagnostics::Diagnostic;
use crate::eval::{self, EvalOptions, PeriodChoice};
#[cfg(doc)]
use crate::methods::stats::quantile_sorted;
use crate::plan::{FactorKind, UncertaintyPlan};
use crate::Error;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How to run.
pub struct Options<'a> {
    /// Replications, at least 1.
    pub samples: u64,
    pub seed: u64,
    /// The size of the top group; `None`: 10, or a third of the ranked units when there are
    /// fewer than 30.
    pub top_n: Option<usize>,
    pub period: PeriodChoice,
    /// Called with the number of replications done, from any of the worker threads.
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
    /// Checked between chunks of replications: when it returns true the run stops with
    /// [`Error::Interrupted`].
    pub interrupted: &'a (dyn Fn() -> bool + Sync),
}

/// One unit's summary over the replications; rank statistics are over the replications in
/// which the unit is ranked (`None` when it never is).
#[derive(Debug, Clone, serde::Serialize)]
pub struct UnitSummary {
    pub unit: String,
    pub label: Option<String>,
    pub nominal_rank: Option<u32>,
    pub median_rank: Option<f64>,
    pub mean_rank: Option<f64>,
    pub p05_rank: Option<f64>,
    pub p95_rank: Option<f64>,
    pub width: Option<f64>,
    /// The share of all replications in which the unit ranks within the top N.
    pub p_top: f64,
    pub mean_score: Option<f64>,
    /// The sample standard deviation (n − 1) of the score.
    pub sd_score: Option<f64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub samples: u64,
    pub seed: u64,
    pub top_n: usize,
    pub period: Option<String>,
    pub factors: Vec<String>,
    /// Mean over replications of the mean |rank − nominal rank| over the units ranked in both.
    pub marc: Option<f64>,
    /// Sorted by nominal rank, then unranked units.
    pub units: Vec<UnitSummary>,
    /// Evaluation warnings over all replications: (code, count), by first appearance.
    pub warnings: Vec<(String, usize)>,
    /// What a reader must know to read the figures right, in plain words.
    pub notes: Vec<String>,
    /// The ranks under the survey's sampling error alone, when the block varies a survey.
    pub survey_alone: Option<SurveyAlone>,
}

/// The replications of the `vary survey` lines alone (every other factor nominal): which
/// units' ranks the surveys' sampling error can swap by itself.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SurveyAlone {
    /// The `vary survey` lines.
    pub factors: Vec<String>,
    pub samples: u64,
    /// Each unit's rank interval (5th and 95th percentiles), in the order of
    /// [`Summary::units`].
    pub units: Vec<SurveyAloneUnit>,
    /// The pairs of units whose order the survey's sampling error reverses in at least
    /// [`SWAP_SHARE`] of the replications, most often swapped first.
    pub swaps: Vec<Swap>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SurveyAloneUnit {
    pub unit: String,
    pub p05_rank: Option<f64>,
    pub p95_rank: Option<f64>,
}

/// Two units whose nominal order (`higher` ranked above `lower`) the replications reverse.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Swap {
    pub higher: String,
    pub higher_rank: u32,
    pub lower: String,
    pub lower_rank: u32,
    /// The share of replications in which `lower` ranks strictly above `higher`.
    pub share: f64,
}

/// Pairs swapped in fewer replications than this share are not listed.
pub const SWAP_SHARE: f64 = 0.05;

/// Pairs are counted between units at most this many places apart in the nominal ranking
/// (sampling error swaps neighbours; counting every pair would cost m² per replication).
const SWAP_BAND: usize = 64;

pub use super::kernel::Plans;

/// Replications whose floating-point sums are kept together (see [`Kernel::run_fold`]).
const BLOCK: usize = 256;

/// One worker's reduction of its replications.
struct Partial {
    stats: RankStats,
    top: Vec<u64>,
    score_n: Vec<u64>,
    /// The floating-point sums, per block of replications, in order.
    blocks: Vec<BlockSums>,
    /// (first replication, code, count).
    warnings: Vec<(usize, &'static str, usize)>,
}

struct BlockSums {
    block: usize,
    score_sum: Vec<f64>,
    score_sq: Vec<f64>,
    marc_sum: f64,
    marc_n: u64,
}

impl Partial {
    fn new(m: usize, n: usize) -> Partial {
        Partial {
            stats: RankStats::new(m, n),
            top: vec![0; m],
            score_n: vec![0; m],
            blocks: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Adds replication `r` (numbered over the whole run).
    fn add(&mut self, r: usize, rep: View, nominal_rank: &[u32], top_n: usize) {
        let block = r / BLOCK;
        let m = rep.ranks.len();
        if self.blocks.last().is_none_or(|b| b.block != block) {
            self.blocks.push(BlockSums {
                block,
                score_sum: vec![0.0; m],
                score_sq: vec![0.0; m],
                marc_sum: 0.0,
                marc_n: 0,
            });
        }
        let b = self.blocks.last_mut().expect("pushed");
        // Branch-free loops, so that they vectorise.
        for (((sum, sq), n), sc) in b
            .score_sum
            .iter_mut()
            .zip(&mut b.score_sq)
            .zip(&mut self.score_n)
            .zip(rep.scores)
        {
            let ok = sc.is_finite();
            let x = if ok { *sc } else { 0.0 };
            *sum += x;
            *sq += x * x;
            *n += ok as u64;
        }
        let mut s = 0u64;
        let mut k = 0u64;
        for ((r, nr), t) in rep.ranks.iter().zip(nominal_rank).zip(&mut self.top) {
            let both = (*r > 0) & (*nr > 0);
            s += if both { r.abs_diff(*nr) as u64 } else { 0 };
            k += both as u64;
            *t += ((*r > 0) & (*r as usize <= top_n)) as u64;
        }
        let s = s as f64;
        if k > 0 {
            b.marc_sum += s / k as f64;
            b.marc_n += 1;
        }
        self.stats.add(rep.ranks);
        for (code, c) in rep.warnings {
            match self.warnings.iter_mut().find(|(_, k, _)| k == code) {
                Some(w) => w.2 += c,
                None => self.warnings.push((r, code, *c)),
            }
        }
    }
}

/// Replication `r`'s uniforms: its own ChaCha8 stream of the seed, whatever thread runs it.
pub fn fill_replication(seed: u64, r: usize, u: &mut [f64]) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(r as u64);
    for x in u.iter_mut() {
        *x = rng.random::<f64>();
    }
}

/// The MARC of one replication: the mean |rank − nominal rank| over the units ranked in both
/// (`None` when there are none).
pub(crate) fn marc_of(ranks: &[u32], nominal: &[u32]) -> Option<f64> {
    let (mut s, mut k) = (0u64, 0u64);
    for (r, nr) in ranks.iter().zip(nominal) {
        if *r > 0 && *nr > 0 {
            s += r.abs_diff(*nr) as u64;
            k += 1;
        }
    }
    (k > 0).then(|| s as f64 / k as f64)
}

/// Up to this many configurations are all built before the first replication.
pub(crate) const PREPARE_LIMIT: u128 = 256;

/// Runs the Monte Carlo.
pub fn run(plans: &Plans, frame: &Frame, opts: &Options) -> Result<Summary, Error> {
    let base = plans.base;
    let unc = check_block(plans)?;
    if opts.samples == 0 {
        return Err(Error::Usage(
            "`--samples 0` runs no replication: give 1 or more".into(),
        ));
    }

    let eval_opts = EvalOptions {
        period: opts.period.clone(),
        filter: None,
        ..Default::default()
    };
    let nominal = eval::evaluate(base, frame, &eval_opts)?;
    let Some(nom) = nominal.periods.first() else {
        return Err(Error::Usage("the data has no rows to evaluate".into()));
    };
    let rows = nom.rows.clone();
    let m = rows.len();
    let period = nom.period.clone();
    crate::timing::lap("nominal evaluation");
    let mut kernel = Kernel::new(plans, unc, frame, eval_opts, rows.clone());
    kernel.prepare_configurations(PREPARE_LIMIT)?;
    crate::timing::lap("kernel set-up");

    // The replications are the parallel work: inside them the evaluator runs single-threaded,
    // and the thread setting is restored afterwards.
    let threads = crate::threads().max(1);
    crate::set_threads(1);
    let n = opts.samples as usize;
    let mut score_sum = vec![0.0; m];
    let mut score_sq = vec![0.0; m];
    let mut score_n = vec![0u64; m];
    let mut top = vec![0u64; m];
    let mut marc_sum = 0.0;
    let mut marc_n = 0u64;
    let mut warnings: Vec<(String, usize)> = Vec::new();
    let seed = opts.seed;
    let mut notes = Vec::new();
    let ranked = nom.final_rank.iter().filter(|r| **r > 0).count();
    let top_n = match opts.top_n {
        Some(n) => {
            if n >= ranked {
                notes.push(format!(
                    "P(top {n}) is 1 for every ranked unit: {n} is not less than the {ranked} ranked units; choose a smaller --top"
                ));
            }
            n
        }
        None => 10.min((ranked / 3).max(1)),
    };
    let nominal_rank = &nom.final_rank;
    crate::memory::check(
        memory_needed(m, n, threads, kernel.varies_survey()),
        &format!("`uncertainty` with {n} replications of {m} units"),
        "give fewer replications (--samples or `samples`): a few thousand give stable rank intervals",
    )?;
    let mut partials: Vec<Partial> = (0..threads).map(|_| Partial::new(m, n)).collect();
    // One pass over all the replications: the workers report each step, and stop when
    // interrupted.
    let done = std::sync::atomic::AtomicU64::new(0);
    let tick = |k: usize| {
        let now = done.fetch_add(k as u64, std::sync::atomic::Ordering::Relaxed) + k as u64;
        if let Some(p) = opts.progress {
            p(now);
        }
        !(opts.interrupted)()
    };
    let outcome = if (opts.interrupted)() {
        Err(Error::Interrupted)
    } else {
        kernel.run_fold(
            n,
            BLOCK,
            |r, u| fill_replication(seed, r, u),
            &mut partials,
            |acc, r, rep| acc.add(r, rep, nominal_rank, top_n),
            &tick,
        )
    };
    crate::set_threads(threads);
    outcome?;
    crate::timing::lap("replications");
    // Counts add up in any order; the sums of each block are added in block order, and
    // warnings are listed by the replication that first gave them.
    let mut blocks = Vec::new();
    let mut firsts: Vec<(usize, &'static str, usize)> = Vec::new();
    let mut stats: Option<RankStats> = None;
    for p in partials {
        match &mut stats {
            None => stats = Some(p.stats),
            Some(s) => s.merge(p.stats),
        }
        for (t, c) in top.iter_mut().zip(&p.top) {
            *t += c;
        }
        for (t, c) in score_n.iter_mut().zip(&p.score_n) {
            *t += c;
        }
        blocks.extend(p.blocks);
        for (first, code, c) in p.warnings {
            match firsts.iter_mut().find(|(_, k, _)| *k == code) {
                Some(w) => {
                    w.0 = w.0.min(first);
                    w.2 += c;
                }
                None => firsts.push((first, code, c)),
            }
        }
    }
    blocks.sort_by_key(|b| b.block);
    for b in blocks {
        for (t, x) in score_sum.iter_mut().zip(&b.score_sum) {
            *t += x;
        }
        for (t, x) in score_sq.iter_mut().zip(&b.score_sq) {
            *t += x;
        }
        marc_sum += b.marc_sum;
        marc_n += b.marc_n;
    }
    firsts.sort_by_key(|w| w.0);
    warnings.extend(firsts.into_iter().map(|(_, code, c)| (code.to_string(), c)));
    let stats = stats.unwrap_or_else(|| RankStats::new(m, n));
    let marc = (marc_n > 0).then(|| marc_sum / marc_n as f64);
    let ranges = kernel.score_ranges();
    if ranges.len() > 1 {
        notes.push(format!(
            "the mean and sd of the score mix scales: the configurations put the index on {}; compare ranks across them, not scores",
            ranges.join(", ")
        ));
    }

    let order = nom.order(frame);
    let mut units = Vec::with_capacity(m);
    for i in order {
        if !nom.is_unit[i] {
            continue;
        }
        let row = rows[i];
        let q = stats.unit(i);
        let (p05, p95) = (q.quantile(0.05), q.quantile(0.95));
        let k = score_n[i] as f64;
        let mean_score = (score_n[i] > 0).then(|| score_sum[i] / k);
        // Raw second moments are safe here: scores are bounded by the scale.
        let sd_score = (score_n[i] > 1).then(|| {
            let mean = score_sum[i] / k;
            ((score_sq[i] - k * mean * mean).max(0.0) / (k - 1.0)).sqrt()
        });
        units.push(UnitSummary {
            unit: frame.units().get(row).to_string(),
            label: frame.labels().map(|l| l.get(row).to_string()),
            nominal_rank: (nom.final_rank[i] > 0).then_some(nom.final_rank[i]),
            median_rank: q.quantile(0.5),
            mean_rank: q.mean(),
            p05_rank: p05,
            p95_rank: p95,
            width: p05.zip(p95).map(|(a, b)| b - a),
            p_top: if n == 0 {
                0.0
            } else {
                top[i] as f64 / n as f64
            },
            mean_score,
            sd_score,
        });
    }
    crate::timing::lap("rank intervals");
    let survey_alone = survey_alone(plans, unc, frame, &kernel, nom, &units, opts, threads)?;
    Ok(Summary {
        samples: n as u64,
        seed: opts.seed,
        top_n,
        period,
        factors: unc.factors.iter().map(|f| f.text.clone()).collect(),
        marc,
        units,
        warnings,
        notes,
        survey_alone,
    })
}

/// The bytes the reductions of `n` replications of `m` units keep: the rank counts (or lists)
/// of each worker, the per-block score sums, and the survey-alone pass's as much again.
pub(crate) fn memory_needed(m: usize, n: usize, threads: usize, survey: bool) -> u64 {
    use crate::memory::product;
    let (m, n, t) = (m as u64, n as u64, threads.max(1) as u64);
    let stats = if RankStats::lists(m as usize, n as usize) {
        product(&[m, n, 4])
    } else {
        product(&[t, m, m + 1, 4])
    };
    let blocks = product(&[n.div_ceil(BLOCK as u64), m, 16]);
    let pairs = if survey {
        product(&[t, m, SWAP_BAND as u64, 8])
    } else {
        0
    };
    let once = stats.saturating_add(blocks);
    once.saturating_add(if survey {
        stats.saturating_add(pairs)
    } else {
        0
    })
}

/// One worker's reduction of the survey-alone replications.
struct SwapCounts {
    stats: RankStats,
    /// Per ranked unit (in nominal order) and following unit within the band: how often the
    /// follower ranked strictly above it.
    swapped: Vec<u64>,
}

/// The `vary survey` lines alone, over the same number of replications (see [`SurveyAlone`]);
/// `None` when no line varies a bound survey.
#[allow(clippy::too_many_arguments)]
fn survey_alone(
    plans: &Plans,
    unc: &UncertaintyPlan,
    frame: &Frame,
    full: &Kernel,
    nom: &eval::PeriodResult,
    units: &[UnitSummary],
    opts: &Options,
    threads: usize,
) -> Result<Option<SurveyAlone>, Error> {
    if !full.varies_survey() {
        return Ok(None);
    }
    let alone = UncertaintyPlan {
        factors: unc
            .factors
            .iter()
            .filter(|f| matches!(f.kind, FactorKind::VarySurvey { .. }))
            .cloned()
            .collect(),
        ..unc.clone()
    };
    let eval_opts = EvalOptions {
        period: opts.period.clone(),
        filter: None,
        ..Default::default()
    };
    let rows = nom.rows.clone();
    let m = rows.len();
    let n = opts.samples as usize;
    let mut kernel = Kernel::new(plans, &alone, frame, eval_opts, rows);
    // The ranked units in nominal order, and each one's position in it.
    let mut order: Vec<usize> = (0..m).filter(|i| nom.final_rank[*i] > 0).collect();
    order.sort_by_key(|i| nom.final_rank[*i]);
    let band = SWAP_BAND.min(order.len().saturating_sub(1));
    let mut partials: Vec<SwapCounts> = (0..threads.max(1))
        .map(|_| SwapCounts {
            stats: RankStats::new(m, n),
            swapped: vec![0; order.len() * band],
        })
        .collect();
    let seed = opts.seed;
    let tick = |_: usize| !(opts.interrupted)();
    crate::set_threads(1);
    let outcome = kernel.run_fold(
        n,
        BLOCK,
        |r, u| fill_replication(seed, r, u),
        &mut partials,
        |acc, _, rep| {
            acc.stats.add(rep.ranks);
            for (a, &i) in order.iter().enumerate() {
                let ri = rep.ranks[i];
                for (d, &j) in order[a + 1..].iter().take(band).enumerate() {
                    let rj = rep.ranks[j];
                    acc.swapped[a * band + d] += (ri > 0 && rj > 0 && rj < ri) as u64;
                }
            }
        },
        &tick,
    );
    crate::set_threads(threads);
    outcome?;
    crate::timing::lap("replications of the survey alone");
    let mut parts = partials.into_iter();
    let first = parts.next().expect("one worker at least");
    let (mut stats, mut swapped) = (first.stats, first.swapped);
    for p in parts {
        stats.merge(p.stats);
        for (t, c) in swapped.iter_mut().zip(p.swapped) {
            *t += c;
        }
    }
    let unit_of = |i: usize| frame.units().get(nom.rows[i]).to_string();
    let position: std::collections::HashMap<String, usize> =
        (0..m).map(|i| (unit_of(i), i)).collect();
    let alone_units = units
        .iter()
        .map(|u| {
            let q = stats.unit(position[&u.unit]);
            SurveyAloneUnit {
                unit: u.unit.clone(),
                p05_rank: q.quantile(0.05),
                p95_rank: q.quantile(0.95),
            }
        })
        .collect();
    let mut swaps = Vec::new();
    for (a, &i) in order.iter().enumerate() {
        for (d, &j) in order[a + 1..].iter().take(band).enumerate() {
            let share = swapped[a * band + d] as f64 / n.max(1) as f64;
            if share >= SWAP_SHARE {
                swaps.push(Swap {
                    higher: unit_of(i),
                    higher_rank: nom.final_rank[i],
                    lower: unit_of(j),
                    lower_rank: nom.final_rank[j],
                    share,
                });
            }
        }
    }
    swaps.sort_by(|x, y| {
        y.share
            .total_cmp(&x.share)
            .then(x.higher_rank.cmp(&y.higher_rank))
            .then(x.lower_rank.cmp(&y.lower_rank))
    });
    Ok(Some(SurveyAlone {
        factors: alone.factors.iter().map(|f| f.text.clone()).collect(),
        samples: n as u64,
        units: alone_units,
        swaps,
    }))
}

/// The checks before any replication: the rules have an `uncertainty` block and every scheme
/// it chooses from was compiled. (Each configuration is checked as it is built: see
/// [`Kernel::prepare_configurations`].)
pub(crate) fn check_block<'p>(plans: &Plans<'p>) -> Result<&'p UncertaintyPlan, Error> {
    let Some(unc) = &plans.base.uncertainty else {
        return Err(Error::Usage(
            "these rules have no `uncertainty` block: add one (see LANGUAGE.md, \"Uncertainty\")"
                .into(),
        ));
    };
    for f in &unc.factors {
        if let FactorKind::ChooseScheme { options } = &f.kind {
            for o in options {
                if plans.get(o).is_none() {
                    return Err(Error::diagnostic(
                        Diagnostic::error(
                            "uncertainty-scheme",
                            format!("`{}`: the scheme `{o}` was not compiled", f.text),
                        )
                        .with_span(f.span)
                        .with_hint(format!(
                            "declare `scheme {o}` in the rules, or remove it from the line"
                        )),
                    ));
                }
            }
        }
    }
    Ok(unc)
}

/// Each unit's ranks over the replications, as counts per rank (few units) or as the list of
/// ranks (many units, where counts would take m² memory). Both give exact type 7 quantiles.
enum RankStats {
    Counts { m: usize, counts: Vec<u32> },
    Lists(Vec<Vec<u32>>),
}

impl RankStats {
    /// Whether `m` units over `n` replications keep lists of ranks rather than counts.
    fn lists(m: usize, n: usize) -> bool {
        !(m <= 2048 && m <= 16 * n.max(1))
    }

    fn new(m: usize, n: usize) -> RankStats {
        if !RankStats::lists(m, n) {
            RankStats::Counts {
                m,
                counts: vec![0; m * (m + 1)],
            }
        } else {
            RankStats::Lists(vec![Vec::new(); m])
        }
    }

    fn add(&mut self, ranks: &[u32]) {
        match self {
            RankStats::Counts { m, counts } => {
                for (i, r) in ranks.iter().enumerate() {
                    if *r > 0 {
                        counts[i * (*m + 1) + *r as usize] += 1;
                    }
                }
            }
            RankStats::Lists(lists) => {
                for (l, r) in lists.iter_mut().zip(ranks) {
                    if *r > 0 {
                        l.push(*r);
                    }
                }
            }
        }
    }

    /// Adds another reduction's ranks (of the same units).
    fn merge(&mut self, other: RankStats) {
        match (self, other) {
            (RankStats::Counts { counts, .. }, RankStats::Counts { counts: o, .. }) => {
                for (c, x) in counts.iter_mut().zip(o) {
                    *c += x;
                }
            }
            (RankStats::Lists(lists), RankStats::Lists(o)) => {
                for (l, x) in lists.iter_mut().zip(o) {
                    l.extend(x);
                }
            }
            _ => unreachable!("reductions of one run choose the same layout"),
        }
    }

    /// One unit's ranks, sorted, as (rank, count) runs.
    fn unit(&self, i: usize) -> UnitRanks {
        let runs = match self {
            RankStats::Counts { m, counts } => counts[i * (m + 1)..(i + 1) * (m + 1)]
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(r, c)| (r as u32, *c as u64))
                .collect(),
            RankStats::Lists(lists) => {
                let mut l = lists[i].clone();
                l.sort_unstable();
                let mut runs: Vec<(u32, u64)> = Vec::new();
                for r in l {
                    match runs.last_mut() {
                        Some((v, c)) if *v == r => *c += 1,
                        _ => runs.push((r, 1)),
                    }
                }
                runs
            }
        };
        UnitRanks { runs }
    }
}

struct UnitRanks {
    runs: Vec<(u32, u64)>,
}

impl UnitRanks {
    fn len(&self) -> u64 {
        self.runs.iter().map(|r| r.1).sum()
    }

    /// The k-th smallest rank (0-based).
    fn nth(&self, k: u64) -> f64 {
        let mut seen = 0;
        for (r, c) in &self.runs {
            seen += c;
            if k < seen {
                return *r as f64;
            }
        }
        f64::NAN
    }

    /// The type 7 quantile (R's default, numpy's `linear`), as [`quantile_sorted`].
    fn quantile(&self, p: f64) -> Option<f64> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        let h = (n - 1) as f64 * p;
        let lo = h.floor() as u64;
        let hi = (lo + 1).min(n - 1);
        let (a, b) = (self.nth(lo), self.nth(hi));
        Some(a + (h - lo as f64) * (b - a))
    }

    fn mean(&self) -> Option<f64> {
        let n = self.len();
        (n > 0).then(|| {
            self.runs
                .iter()
                .map(|(r, c)| *r as f64 * *c as f64)
                .sum::<f64>()
                / n as f64
        })
    }
}

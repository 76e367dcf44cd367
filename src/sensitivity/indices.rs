//! `qindex sensitivity`: first-order and total Sobol' indices of the `uncertainty` block's
//! factors, for the MARC, each unit's rank or each unit's score.
//!
//! Each line of the block is one factor (LANGUAGE.md, "Uncertainty"): a `vary` line is a group
//! factor whose draws are swapped together, a `choose` or `drop` line a categorical factor (one
//! uniform mapped to an option by ⌊u·k⌋). The [`super::kernel`]'s layout gives each factor its
//! columns; [`super::sobol::Design`] builds the N·(D + 2) rows of the Saltelli design over them;
//! the kernel evaluates every row; [`super::sobol::analyze`] estimates the indices with
//! bootstrap intervals.
//!
//! Outputs, by target:
//! - `marc`: one number per evaluation, the mean absolute rank change against the nominal ranks
//!   over the units ranked in both (COINr's target);
//! - `rank`, `score`: one output per nominally ranked unit. A unit that loses its rank in some
//!   evaluation (no score, vetoed) has no indices (null), with a warning.

use super::kernel::{Kernel, Plans};
use super::sobol::{self, AnalyzeOptions, Design, IndexKind, SobolWarning};
use super::uncertainty::check_block;
use crate::data::Frame;
use crate::diagnostics::Diagnostic;
use crate::eval::{self, EvalOptions, PeriodChoice};
use crate::plan::UncertaintyPlan;
use crate::Error;

/// What the indices are of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Marc,
    Rank,
    Score,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Marc => "marc",
            Target::Rank => "rank",
            Target::Score => "score",
        }
    }
}

pub struct Options<'a> {
    /// Base samples N (the design has N·(D + 2) rows).
    pub samples: usize,
    pub seed: u64,
    pub target: Target,
    pub period: PeriodChoice,
    /// Bootstrap resamples for the intervals (100, as SALib).
    pub resamples: usize,
    /// Called with the number of evaluations done and the total, from the calling thread.
    pub progress: Option<&'a dyn Fn(usize, usize)>,
    /// Checked between chunks of evaluations: when it returns true the run stops.
    pub interrupted: &'a (dyn Fn() -> bool + Sync),
}

/// One output's indices, in factor order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
    /// `None` for the MARC.
    pub unit: Option<String>,
    pub label: Option<String>,
    pub nominal_rank: Option<u32>,
    pub s1: Vec<f64>,
    pub st: Vec<f64>,
    pub s1_conf: Vec<f64>,
    pub st_conf: Vec<f64>,
    /// The factor whose total index is the largest for this output; `None` when none is
    /// defined.
    pub leading: Option<usize>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub samples: usize,
    pub seed: u64,
    pub period: Option<String>,
    pub target: Target,
    pub factors: Vec<String>,
    pub evaluations: usize,
    /// Outputs in nominal rank order (one entry for `marc`).
    pub entries: Vec<Entry>,
    /// Per factor: the mean of its first-order and total indices over the outputs (those
    /// not defined left out; NaN when none is), and how many outputs it leads.
    pub mean_s1: Vec<f64>,
    pub mean_st: Vec<f64>,
    pub leads: Vec<usize>,
    /// Plain-words warnings about the design and the estimates.
    pub notes: Vec<String>,
    /// Evaluation warnings over all evaluations: (code, count), by first appearance.
    pub warnings: Vec<(String, usize)>,
}

/// Evaluations per chunk (between progress reports and interruption checks).
const CHUNK: usize = 4096;

pub fn run(plans: &Plans, frame: &Frame, opts: &Options) -> Result<Report, Error> {
    let unc = check_block(plans)?;
    if opts.samples == 0 {
        return Err(Error::Usage(
            "`--samples 0` makes no design: give 1 or more base samples".into(),
        ));
    }
    let eval_opts = EvalOptions {
        period: opts.period.clone(),
        filter: None,
        ..Default::default()
    };
    let nominal = eval::evaluate(plans.base, frame, &eval_opts)?;
    let Some(nom) = nominal.periods.first() else {
        return Err(Error::Usage("the data has no rows to evaluate".into()));
    };
    let rows = nom.rows.clone();
    crate::timing::lap("nominal evaluation");
    let mut kernel = Kernel::new(plans, unc, frame, eval_opts, rows.clone());
    if opts.target == Target::Score {
        kernel.scores_only();
    }
    kernel.prepare_configurations(super::uncertainty::PREPARE_LIMIT)?;
    crate::timing::lap("kernel set-up");
    let factors = kernel.layout().factor_columns();
    for (f, cols) in unc.factors.iter().zip(&factors) {
        if cols.is_empty() {
            return Err(Error::diagnostic(
                Diagnostic::error(
                    "sensitivity-factor",
                    format!(
                        "`{}` varies no weight in any scheme, so it cannot be a factor of the sensitivity analysis",
                        f.text
                    ),
                )
                .with_span(f.span)
                .with_hint("remove the line, or point it at a group whose children have fixed weights"),
            ));
        }
    }
    let design =
        Design::new(opts.samples, factors.clone(), opts.seed).map_err(|e| design_error(e, unc))?;
    let total = design.rows();

    // The outputs: the MARC, or the nominally ranked units in nominal rank order.
    let order: Vec<usize> = nom
        .order(frame)
        .into_iter()
        .filter(|i| nom.final_rank[*i] > 0)
        .collect();
    let outputs = match opts.target {
        Target::Marc => 1,
        _ => order.len(),
    };
    if outputs == 0 {
        return Err(Error::Usage(
            "no unit is ranked in the nominal results".into(),
        ));
    }
    // The outputs of every evaluation, and the analysis' copy of one output's column per
    // thread (resampled for the confidence intervals).
    let need = crate::memory::product(&[total as u64, outputs as u64 + 2, 8]);
    crate::memory::check(
        need,
        &format!(
            "`sensitivity` with N = {} ({total} evaluations of {outputs} output{})",
            opts.samples,
            if outputs == 1 { "" } else { "s" }
        ),
        "give a smaller N (--samples or `samples`; 1024 is usually enough), or the `marc` target, which has one output",
    )?;
    let mut y = vec![0.0; total * outputs];
    let mut lost = vec![false; outputs];
    let mut warnings: Vec<(String, usize)> = Vec::new();

    let threads = crate::threads().max(1);
    crate::set_threads(1);
    let outcome = (|| -> Result<(), Error> {
        let mut start = 0;
        while start < total {
            if (opts.interrupted)() {
                return Err(Error::Interrupted);
            }
            let count = CHUNK.min(total - start);
            let reps = kernel.run(count, threads, |r, u| design.row(start + r, u))?;
            for (k, rep) in reps.iter().enumerate() {
                let row = &mut y[(start + k) * outputs..(start + k + 1) * outputs];
                match opts.target {
                    Target::Marc => {
                        let (mut s, mut n) = (0.0, 0u64);
                        for (r, nr) in rep.ranks.iter().zip(&nom.final_rank) {
                            if *r > 0 && *nr > 0 {
                                s += (*r as f64 - *nr as f64).abs();
                                n += 1;
                            }
                        }
                        row[0] = if n > 0 { s / n as f64 } else { f64::NAN };
                        lost[0] |= n == 0;
                    }
                    Target::Rank | Target::Score => {
                        for (o, i) in order.iter().enumerate() {
                            // A score is NaN where the unit has no rank (see
                            // `Kernel::scores_only`).
                            let v = match opts.target {
                                Target::Rank if rep.ranks[*i] > 0 => rep.ranks[*i] as f64,
                                Target::Score => rep.scores[*i],
                                _ => f64::NAN,
                            };
                            lost[o] |= v.is_nan();
                            row[o] = v;
                        }
                    }
                }
                for (code, c) in &rep.warnings {
                    match warnings.iter_mut().find(|(k, _)| k == code) {
                        Some(w) => w.1 += c,
                        None => warnings.push((code.to_string(), *c)),
                    }
                }
            }
            start += count;
            if let Some(p) = opts.progress {
                p(start, total);
            }
        }
        Ok(())
    })();
    crate::set_threads(threads);
    outcome?;
    crate::timing::lap("evaluations of the design");

    let indices = sobol::analyze(
        &y,
        opts.samples,
        factors.len(),
        outputs,
        &AnalyzeOptions {
            num_resamples: opts.resamples,
            conf_level: 0.95,
            seed: opts.seed,
            threads,
        },
    )
    .map_err(|e| design_error(e, unc))?;
    crate::timing::lap("indices and bootstrap intervals");

    let mut notes: Vec<String> = sobol::design_warnings(opts.samples)
        .iter()
        .map(ToString::to_string)
        .collect();
    let names: Vec<String> = unc.factors.iter().map(|f| f.text.clone()).collect();
    for w in indices.wide_intervals() {
        if let SobolWarning::WideIntervals {
            factor,
            kind,
            outputs: which,
            of,
        } = w
        {
            // An index near 0 always has an interval wider than itself: only an index that
            // matters (≥ 0.05 for some output) is worth the warning.
            let est = |o: usize| match kind {
                IndexKind::First => indices.s1(o)[factor],
                IndexKind::Total => indices.st(o)[factor],
            };
            let material = which.iter().filter(|o| est(**o) >= 0.05).count();
            if material > 0 {
                notes.push(format!(
                    "`{}`: the 95% interval of the {} index is wider than the index for {material} of {of} outputs; more samples would narrow it",
                    names[factor],
                    match kind {
                        IndexKind::First => "first-order",
                        IndexKind::Total => "total",
                    },
                ));
            }
        }
    }
    let constant = (0..outputs)
        .filter(|o| !lost[*o] && indices.s1(*o).iter().all(|x| x.is_nan()))
        .count();
    if constant > 0 {
        notes.push(match opts.target {
            Target::Marc => "the MARC did not vary over the evaluations: no indices".to_string(),
            _ => format!(
                "{constant} unit(s) kept the same {} in every evaluation: no indices (shown as -)",
                opts.target.name()
            ),
        });
    }
    let lost_count = lost.iter().filter(|l| **l).count();
    if lost_count > 0 {
        notes.push(match opts.target {
            Target::Marc => "some evaluations ranked no unit: no indices".to_string(),
            _ => format!(
                "{lost_count} unit(s) lost their rank or score in some evaluations (no score, vetoed): their indices are missing"
            ),
        });
    }

    let mut entries: Vec<Entry> = (0..outputs)
        .map(|o| {
            let (unit, label, nominal_rank) = match opts.target {
                Target::Marc => (None, None, None),
                _ => {
                    let i = order[o];
                    let row = rows[i];
                    (
                        Some(frame.units().get(row).to_string()),
                        frame.labels().map(|l| l.get(row).to_string()),
                        Some(nom.final_rank[i]),
                    )
                }
            };
            Entry {
                unit,
                label,
                nominal_rank,
                s1: indices.s1(o).to_vec(),
                st: indices.st(o).to_vec(),
                s1_conf: indices.s1_conf(o).to_vec(),
                st_conf: indices.st_conf(o).to_vec(),
                leading: None,
            }
        })
        .collect();
    for e in &mut entries {
        e.leading = (0..e.st.len())
            .filter(|i| e.st[*i].is_finite())
            .max_by(|a, b| e.st[*a].total_cmp(&e.st[*b]));
    }
    let k = names.len();
    let mean_s1 = (0..k)
        .map(|i| finite_mean(entries.iter().map(|e| e.s1[i])))
        .collect();
    let mean_st = (0..k)
        .map(|i| finite_mean(entries.iter().map(|e| e.st[i])))
        .collect();
    let leads = (0..k)
        .map(|i| entries.iter().filter(|e| e.leading == Some(i)).count())
        .collect();
    Ok(Report {
        samples: opts.samples,
        seed: opts.seed,
        period: nom.period.clone(),
        target: opts.target,
        factors: names,
        evaluations: total,
        entries,
        mean_s1,
        mean_st,
        leads,
        notes,
        warnings,
    })
}

/// Why the Saltelli design could not be made: a mistake in the `uncertainty` block is a
/// diagnostic at its line (or at the block), a sample count a usage error.
pub(crate) fn design_error(e: sobol::SobolError, unc: &UncertaintyPlan) -> Error {
    use sobol::SobolError::*;
    let at = match &e {
        EmptyFactor { factor } => unc.factors.get(*factor).map(|f| (f.span, f.text.as_str())),
        NoFactors | TooManyDimensions { .. } => Some((unc.span, "")),
        _ => None,
    };
    match at {
        Some((span, text)) => {
            let message = if text.is_empty() {
                format!("sensitivity: {e}")
            } else {
                format!("sensitivity: `{text}`: {e}")
            };
            Error::diagnostic(
                Diagnostic::error("sensitivity-design", message)
                    .with_span(span)
                    .with_hint("the factors of a sensitivity analysis are the `vary`, `choose` and `drop` lines of the `uncertainty` block"),
            )
        }
        None => Error::Usage(format!("sensitivity: {e}")),
    }
}

/// The mean of the finite values; NaN when there are none.
fn finite_mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = xs
        .filter(|x| x.is_finite())
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        f64::NAN
    } else {
        s / n as f64
    }
}

//! Aggregation of children into a group score, row by row over whole columns.
//!
//! Every function takes one column per child (`&[C]`, `C: AsRef<[f64]>`), one weight per
//! child, the `coverage` fraction, and writes one score per row into `out`. A row aggregates
//! over the children present (NaN skipped, weights renormalised); it is missing when no child
//! is present or when the present children carry less than `coverage` of the total weight.

use super::normalise::{PointMap, Scale};
use super::stats;
use super::{check_lengths, num, LengthMismatch};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Slack when comparing a share of weight with `coverage` or with ½ (weights are decimals).
const WEIGHT_TOL: f64 = 1e-12;

/// `aggregate METHOD`: the means work row by row, the others (TOPSIS, Mazziotta–Pareto,
/// Copeland, grey relational analysis) compare the rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    Arithmetic,
    Geometric,
    Harmonic,
    /// The power mean with exponent P; `Power(0.0)` is the geometric mean, `Power(1.0)` the
    /// arithmetic one.
    Power(f64),
    Min,
    Median,
    Topsis,
    MazziottaPareto,
    /// Copeland's pairwise majority count; `sum` counts weighted margins (`copeland sum`).
    Copeland {
        sum: bool,
    },
    /// Grey relational analysis with the distinguishing coefficient ρ.
    Grey(f64),
}

impl fmt::Display for Aggregate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Aggregate::Arithmetic => write!(f, "arithmetic"),
            Aggregate::Geometric => write!(f, "geometric"),
            Aggregate::Harmonic => write!(f, "harmonic"),
            Aggregate::Power(p) => write!(f, "power {}", num(*p)),
            Aggregate::Min => write!(f, "min"),
            Aggregate::Median => write!(f, "median"),
            Aggregate::Topsis => write!(f, "topsis"),
            Aggregate::MazziottaPareto => write!(f, "mazziotta_pareto"),
            Aggregate::Copeland { sum: false } => write!(f, "copeland"),
            Aggregate::Copeland { sum: true } => write!(f, "copeland sum"),
            Aggregate::Grey(r) => write!(f, "grey {}", num(*r)),
        }
    }
}

/// What an aggregation noticed, for the caller's warnings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AggregateReport {
    /// Rows where a zero input made a geometric, harmonic or power (P < 0) mean 0.
    pub zero_rows: Vec<usize>,
    /// Rows made missing by `coverage` (some children present, but too little weight).
    pub uncovered: Vec<usize>,
    /// Rows where TOPSIS was undefined (every present child at once ideal and anti-ideal), or
    /// Copeland had a single unit to compare: they get the scale's midpoint.
    pub undefined: Vec<usize>,
    /// Children (0-based) without variation over the rows: Mazziotta–Pareto standardises them
    /// to 100 (z undefined), grey relational analysis sees every cell at the reference.
    pub constant: Vec<usize>,
}

/// Why an aggregation could not run. Indices are 0-based.
#[derive(Debug, Clone, PartialEq)]
pub enum AggregateError {
    /// A group without children.
    NoChildren,
    /// A child's column (or `out`) is not as long as the first child's.
    LengthMismatch(LengthMismatch),
    /// Not one `units` flag per row.
    UnitsLength { len: usize, expected: usize },
    /// Not one weight per child.
    WeightCount { weights: usize, children: usize },
    /// A weight that is negative or not a number.
    BadWeight { child: usize, weight: f64 },
    /// `coverage` outside 0..=1.
    BadCoverage { coverage: f64 },
    /// `power P` with a P that is not a number.
    BadPower { p: f64 },
    /// `grey ρ` with ρ outside (0, 1], e.g. `grey 2`.
    BadRho { rho: f64 },
    /// A negative value fed to `geometric`, `harmonic` or `power P` (P ≠ 1), e.g. a z-score;
    /// suggest `zscore(100, 10)` or `scale 1..100`.
    NegativeInput {
        row: usize,
        child: usize,
        value: f64,
    },
}

impl From<LengthMismatch> for AggregateError {
    fn from(m: LengthMismatch) -> Self {
        AggregateError::LengthMismatch(m)
    }
}

impl fmt::Display for AggregateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use AggregateError::*;
        match self {
            NoChildren => write!(f, "the group has no children to aggregate"),
            LengthMismatch(m) => m.fmt(f),
            UnitsLength { len, expected } => {
                write!(f, "{len} unit flags given for {expected} rows")
            }
            WeightCount { weights, children } => {
                write!(f, "{weights} weights given for {children} children")
            }
            BadWeight { child, weight } => write!(
                f,
                "the weight of child {} is {weight}; weights must be numbers ≥ 0",
                child + 1
            ),
            BadCoverage { coverage } => {
                write!(f, "coverage {coverage} must be between 0% and 100%")
            }
            BadPower { p } => write!(f, "power {p} is not a number"),
            BadRho { rho } => write!(
                f,
                "the distinguishing coefficient ρ of `grey` is {rho}; it must be in (0, 1], 0.5 usually"
            ),
            NegativeInput { row, child, value } => write!(
                f,
                "child {} has the negative value {value} at row {}, which this mean cannot take; \
                 use `zscore(100, 10)` or `scale 1..100` for its children",
                child + 1,
                row + 1
            ),
        }
    }
}

impl std::error::Error for AggregateError {}

/// The children of `row` that are present and weigh something: (child, value, weight).
fn weighted_present<'a>(
    columns: &'a [&[f64]],
    weights: &'a [f64],
    row: usize,
) -> impl Iterator<Item = (usize, f64, f64)> + 'a {
    columns
        .iter()
        .zip(weights)
        .enumerate()
        .map(move |(j, (c, &w))| (j, c[row], w))
        .filter(|&(_, x, w)| !x.is_nan() && w > 0.0)
}

/// [`check`] and [`check_units`] for the comparative methods; the columns as slices and the
/// weights' total.
fn checked_among<'a, C: AsRef<[f64]>>(
    columns: &'a [C],
    weights: &[f64],
    coverage: f64,
    units: Option<&[bool]>,
    out: &[f64],
) -> Result<(Vec<&'a [f64]>, f64), AggregateError> {
    check(columns, weights, coverage, out)?;
    check_units(units, out)?;
    let columns = columns.iter().map(|c| c.as_ref()).collect();
    Ok((columns, weights.iter().sum()))
}

fn check<C: AsRef<[f64]>>(
    columns: &[C],
    weights: &[f64],
    coverage: f64,
    out: &[f64],
) -> Result<(), AggregateError> {
    if columns.is_empty() {
        return Err(AggregateError::NoChildren);
    }
    if weights.len() != columns.len() {
        return Err(AggregateError::WeightCount {
            weights: weights.len(),
            children: columns.len(),
        });
    }
    for (child, &weight) in weights.iter().enumerate() {
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(AggregateError::BadWeight { child, weight });
        }
    }
    if !(0.0..=1.0).contains(&coverage) {
        return Err(AggregateError::BadCoverage { coverage });
    }
    Ok(check_lengths(columns, out.len())?)
}

/// The weighted arithmetic mean: the rule of the general loop of [`aggregate`], without its
/// per-row buffer, for tables of a million rows.
fn arithmetic(
    columns: &[Child],
    weights: &[f64],
    total: f64,
    coverage: f64,
    out: &mut [f64],
    report: &mut AggregateReport,
) {
    // Rows in blocks, child by child, so that the inner loops run down contiguous columns
    // and vectorise. Adding 0.0 for a missing child leaves a sum as it was (the sums start at
    // +0.0 and so are never -0.0), so every row gets exactly the value of the row-by-row rule.
    const BLOCK: usize = 256;
    let mut num = [0.0f64; BLOCK];
    let mut den = [0.0f64; BLOCK];
    let mut present_weight = [0.0f64; BLOCK];
    let mut present = [0u32; BLOCK];
    // A deferred child's normalised values, one block at a time (never a whole column).
    let mut scratch = [0.0f64; BLOCK];
    for (b, out) in out.chunks_mut(BLOCK).enumerate() {
        let r0 = b * BLOCK;
        let len = out.len();
        num[..len].fill(0.0);
        den[..len].fill(0.0);
        present_weight[..len].fill(0.0);
        present[..len].fill(0);
        for (c, &w) in columns.iter().zip(weights) {
            let x = c.block(r0, len, &mut scratch);
            for k in 0..len {
                let here = !x[k].is_nan();
                present[k] += u32::from(here);
                present_weight[k] += if here { w } else { 0.0 };
            }
            if w > 0.0 {
                for k in 0..len {
                    let here = !x[k].is_nan();
                    num[k] += if here { w * x[k] } else { 0.0 };
                    den[k] += if here { w } else { 0.0 };
                }
            }
        }
        for (k, o) in out.iter_mut().enumerate() {
            *o = if present[k] == 0 {
                f64::NAN
            } else if total > 0.0 && present_weight[k] / total < coverage - WEIGHT_TOL {
                report.uncovered.push(r0 + k);
                f64::NAN
            } else if den[k] == 0.0 {
                f64::NAN
            } else {
                num[k] / den[k]
            };
        }
    }
}

/// Aggregates the children's columns row by row into `out`.
///
/// # Formula
/// Over the present children with positive weight, W = Σw:
/// - arithmetic: Σ w·x / W;
/// - geometric: exp(Σ w·ln x / W); a zero input gives 0 (the limit, listed in `zero_rows`);
/// - harmonic: W / Σ (w / x); zero → 0 as above;
/// - power P: (Σ w·x^P / W)^(1/P); P = 0 is geometric; for P < 0 a zero gives 0 as above;
/// - min: the smallest present child (weights ignored, zero weights included);
/// - median: the weighted median, the smallest x whose cumulative weight share is ≥ ½, or the
///   mean of it and the next x when the share is exactly ½.
///
/// Negative inputs are an error for geometric, harmonic and power P ≠ 1 (generalised means are
/// defined on non-negative numbers).
///
/// # Reference
/// LANGUAGE.md "Aggregation"; OECD/JRC Handbook (2008) §6; by hand in the tests.
///
/// # Missing values
/// NaN children are skipped and the weights renormalised over those present; the row is
/// missing when none is present or when the present children's weight share (of all the
/// weights) is below `coverage` (a fraction, 60% = 0.6).
///
/// The comparative methods go onto the default scale and compare every row: see
/// [`aggregate_among`].
pub fn aggregate<C: AsRef<[f64]>>(
    method: Aggregate,
    columns: &[C],
    weights: &[f64],
    coverage: f64,
    out: &mut [f64],
) -> Result<AggregateReport, AggregateError> {
    aggregate_among(
        method,
        columns,
        weights,
        coverage,
        Scale::DEFAULT,
        None,
        out,
    )
}

/// A child's column as an aggregation reads it: its values, or treated values whose
/// normalisation is deferred to the read (the evaluator's min-max indicators).
#[derive(Debug, Clone, Copy)]
pub enum Child<'a> {
    Values(&'a [f64]),
    Mapped(&'a [f64], PointMap),
}

impl<'a> Child<'a> {
    /// The values read, before any deferred map: their length is the column's.
    fn source(&self) -> &'a [f64] {
        match *self {
            Child::Values(x) | Child::Mapped(x, _) => x,
        }
    }

    /// Rows `r0..r0 + len`: a slice of the values, or the mapped values in `scratch`.
    #[inline]
    fn block<'b>(&'b self, r0: usize, len: usize, scratch: &'b mut [f64]) -> &'b [f64] {
        match self {
            Child::Values(x) => &x[r0..r0 + len],
            Child::Mapped(x, map) => {
                map.apply_into(&x[r0..r0 + len], &mut scratch[..len]);
                &scratch[..len]
            }
        }
    }

    /// The whole column, mapped.
    pub fn values(&self) -> std::borrow::Cow<'a, [f64]> {
        match *self {
            Child::Values(x) => std::borrow::Cow::Borrowed(x),
            Child::Mapped(x, map) => {
                let mut out = vec![0.0; x.len()];
                map.apply_into(x, &mut out);
                std::borrow::Cow::Owned(out)
            }
        }
    }
}

/// [`aggregate_among`] over children some of whose normalisation is deferred. The weighted
/// arithmetic mean reads them block by block (the normalised columns are never stored); the
/// other methods get them mapped in full. The results are those of [`aggregate_among`] over
/// the normalised columns, bit for bit.
pub fn aggregate_children(
    method: Aggregate,
    children: &[Child],
    weights: &[f64],
    coverage: f64,
    scale: Scale,
    units: Option<&[bool]>,
    out: &mut [f64],
) -> Result<AggregateReport, AggregateError> {
    let arithmetic_mean = matches!(method, Aggregate::Arithmetic | Aggregate::Power(1.0));
    if arithmetic_mean && children.iter().any(|c| matches!(c, Child::Mapped(..))) {
        let sources: Vec<&[f64]> = children.iter().map(Child::source).collect();
        check(&sources, weights, coverage, out)?;
        let total: f64 = weights.iter().sum();
        let mut report = AggregateReport::default();
        arithmetic(children, weights, total, coverage, out, &mut report);
        return Ok(report);
    }
    let columns: Vec<std::borrow::Cow<[f64]>> = children.iter().map(Child::values).collect();
    aggregate_among(method, &columns, weights, coverage, scale, units, out)
}

/// Any `aggregate METHOD`: the means as [`aggregate`] (row by row; `scale` and `units` are not
/// used), the comparative methods as [`topsis`], [`mazziotta_pareto`],
/// [`copeland`] and [`grey`], onto `scale` with the reference set of the rows
/// marked in `units` (`None`: every row).
pub fn aggregate_among<C: AsRef<[f64]>>(
    method: Aggregate,
    columns: &[C],
    weights: &[f64],
    coverage: f64,
    scale: Scale,
    units: Option<&[bool]>,
    out: &mut [f64],
) -> Result<AggregateReport, AggregateError> {
    match method {
        Aggregate::Topsis => topsis(columns, weights, coverage, scale, units, out),
        Aggregate::MazziottaPareto => mazziotta_pareto(columns, weights, coverage, units, out),
        Aggregate::Copeland { sum } => copeland(columns, weights, coverage, sum, scale, units, out),
        Aggregate::Grey(rho) => grey(columns, weights, coverage, rho, scale, units, out),
        _ => means(method, columns, weights, coverage, out),
    }
}

/// The means of [`aggregate`], row by row.
fn means<C: AsRef<[f64]>>(
    method: Aggregate,
    columns: &[C],
    weights: &[f64],
    coverage: f64,
    out: &mut [f64],
) -> Result<AggregateReport, AggregateError> {
    check(columns, weights, coverage, out)?;
    let method = match method {
        Aggregate::Power(p) if p.is_nan() => return Err(AggregateError::BadPower { p }),
        Aggregate::Power(0.0) => Aggregate::Geometric,
        Aggregate::Power(1.0) => Aggregate::Arithmetic,
        m => m,
    };
    let total: f64 = weights.iter().sum();
    let mut report = AggregateReport::default();
    if method == Aggregate::Arithmetic {
        let children: Vec<Child> = columns.iter().map(|c| Child::Values(c.as_ref())).collect();
        arithmetic(&children, weights, total, coverage, out, &mut report);
        return Ok(report);
    }
    // (value, weight) of the present children of the current row, reused across rows.
    let mut row_values: Vec<(f64, f64)> = Vec::with_capacity(columns.len());
    for (row, o) in out.iter_mut().enumerate() {
        row_values.clear();
        let mut present_weight = 0.0;
        for (child, c) in columns.iter().enumerate() {
            let x = c.as_ref()[row];
            if x.is_nan() {
                continue;
            }
            let w = weights[child];
            if x < 0.0
                && w > 0.0
                && matches!(
                    method,
                    Aggregate::Geometric | Aggregate::Harmonic | Aggregate::Power(_)
                )
            {
                return Err(AggregateError::NegativeInput {
                    row,
                    child,
                    value: x,
                });
            }
            present_weight += w;
            row_values.push((x, w));
        }
        if row_values.is_empty() {
            *o = f64::NAN;
            continue;
        }
        if total > 0.0 && present_weight / total < coverage - WEIGHT_TOL {
            report.uncovered.push(row);
            *o = f64::NAN;
            continue;
        }
        if method == Aggregate::Min {
            *o = row_values.iter().map(|v| v.0).fold(f64::INFINITY, f64::min);
            continue;
        }
        row_values.retain(|v| v.1 > 0.0);
        if row_values.is_empty() {
            *o = f64::NAN;
            continue;
        }
        let has_zero = row_values.iter().any(|v| v.0 == 0.0);
        *o = match method {
            Aggregate::Arithmetic => weighted_sum(&row_values, |x| x),
            Aggregate::Geometric | Aggregate::Harmonic if has_zero => {
                report.zero_rows.push(row);
                0.0
            }
            Aggregate::Power(p) if p < 0.0 && has_zero => {
                report.zero_rows.push(row);
                0.0
            }
            Aggregate::Geometric => weighted_sum(&row_values, f64::ln).exp(),
            Aggregate::Harmonic => 1.0 / weighted_sum(&row_values, |x| 1.0 / x),
            Aggregate::Power(p) => weighted_sum(&row_values, |x| x.powf(p)).powf(1.0 / p),
            Aggregate::Median => weighted_median(&mut row_values),
            // Min is handled above, the comparative methods by `aggregate_among`.
            _ => f64::NAN,
        };
    }
    Ok(report)
}

/// Σ w·f(x) / Σ w.
fn weighted_sum(values: &[(f64, f64)], f: impl Fn(f64) -> f64) -> f64 {
    let (s, w) = values
        .iter()
        .fold((0.0, 0.0), |(s, w), &(x, wx)| (s + wx * f(x), w + wx));
    s / w
}

/// Whether a child counts in a row's mean: its value is present and its weight positive.
fn counts(x: f64, w: f64) -> bool {
    !x.is_nan() && w > 0.0
}

/// The weighted arithmetic mean of one row, the weights renormalised over the children
/// present: the rule of `aggregate arithmetic` (before `coverage`), which the evaluator's
/// columnar loop, the replication kernel's batched route and the score-change decomposition
/// follow.
///
/// # Formula
/// Σ w·x / Σ w over the children whose value is present and whose weight is positive.
///
/// # Missing values
/// NaN values are skipped; NaN when no child counts.
pub fn weighted_mean(values: &[f64], weights: &[f64]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (&x, &w) in values.iter().zip(weights) {
        if counts(x, w) {
            num += w * x;
            den += w;
        }
    }
    if den == 0.0 {
        f64::NAN
    } else {
        num / den
    }
}

/// The weights of [`weighted_mean`] renormalised over the children present: each counted
/// child's weight divided by the counted children's total, 0 for the others (all 0 when none
/// counts). Σ share·x is the weighted mean, to rounding.
pub fn renormalised_weights(values: &[f64], weights: &[f64]) -> Vec<f64> {
    let total: f64 = values
        .iter()
        .zip(weights)
        .filter(|(x, w)| counts(**x, **w))
        .map(|(_, w)| w)
        .sum();
    values
        .iter()
        .zip(weights)
        .map(|(&x, &w)| {
            if counts(x, w) && total > 0.0 {
                w / total
            } else {
                0.0
            }
        })
        .collect()
}

/// The weighted median of (value, weight > 0) pairs; sorts them in place.
fn weighted_median(values: &mut [(f64, f64)]) -> f64 {
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = values.iter().map(|v| v.1).sum();
    let mut cumulative = 0.0;
    for (k, &(x, w)) in values.iter().enumerate() {
        cumulative += w / total;
        if (cumulative - 0.5).abs() <= WEIGHT_TOL {
            return match values.get(k + 1) {
                Some(&(next, _)) => (x + next) / 2.0,
                None => x,
            };
        }
        if cumulative > 0.5 {
            return x;
        }
    }
    values.last().map_or(f64::NAN, |v| v.0)
}

/// TOPSIS closeness to the ideal, onto `scale`.
///
/// # Formula
/// v_ij = w_j·x_ij; ideal_j = max_i v_ij, anti_j = min_i v_ij (over the present values);
/// D⁺_i = ‖v_i − ideal‖, D⁻_i = ‖v_i − anti‖ (Euclidean, over the children present in row i);
/// closeness D⁻/(D⁺ + D⁻) in [0, 1], onto LO..HI. The children must already be normalised and
/// positively oriented: `normalise vector` (negative direction −x/√Σx²) gives textbook TOPSIS,
/// `normalise minmax` its min-max variant. A row at once ideal and anti-ideal on every child
/// (constant columns) gets the scale's midpoint and is listed in `undefined`.
///
/// # Reference
/// LANGUAGE.md "Aggregation"; `weights_topsis.json` `topsis.vector` and `topsis.minmax`, to 1e-9.
///
/// # Missing values
/// As [`aggregate`]: present children only, subject to `coverage`.
///
/// # Reference rows
/// The ideal and anti-ideal taken over the rows marked in `units` (`units
/// where`; `None`: every row). Every row, unit or not, is then scored against them, as
/// normalisation scores non-units against the units' min and max.
pub fn topsis<C: AsRef<[f64]>>(
    columns: &[C],
    weights: &[f64],
    coverage: f64,
    scale: Scale,
    units: Option<&[bool]>,
    out: &mut [f64],
) -> Result<AggregateReport, AggregateError> {
    let (columns, total) = checked_among(columns, weights, coverage, units, out)?;
    let (ideal, anti): (Vec<f64>, Vec<f64>) = columns
        .iter()
        .zip(weights)
        .map(|(c, &w)| {
            let v = reference_values(c, units).map(|x| w * x);
            let hi = v.clone().fold(f64::NEG_INFINITY, f64::max);
            let lo = v.fold(f64::INFINITY, f64::min);
            (hi, lo)
        })
        .unzip();
    let mut report = AggregateReport::default();
    for (row, o) in out.iter_mut().enumerate() {
        let (mut d_plus, mut d_minus, mut present_weight, mut present) = (0.0, 0.0, 0.0, 0);
        for (j, c) in columns.iter().enumerate() {
            let x = c[row];
            // A child no unit has (no ideal) is left out, as a missing one.
            if x.is_nan() || !ideal[j].is_finite() {
                continue;
            }
            let v = weights[j] * x;
            d_plus += (v - ideal[j]).powi(2);
            d_minus += (v - anti[j]).powi(2);
            present_weight += weights[j];
            present += 1;
        }
        if present == 0 {
            *o = f64::NAN;
            continue;
        }
        if total > 0.0 && present_weight / total < coverage - WEIGHT_TOL {
            report.uncovered.push(row);
            *o = f64::NAN;
            continue;
        }
        let (d_plus, d_minus) = (d_plus.sqrt(), d_minus.sqrt());
        *o = if d_plus + d_minus > 0.0 {
            scale.map(d_minus / (d_plus + d_minus))
        } else {
            report.undefined.push(row);
            scale.midpoint()
        };
    }
    Ok(report)
}

/// Whether row `r` belongs to the reference set of a comparative aggregation.
fn is_unit(units: Option<&[bool]>, r: usize) -> bool {
    units.is_none_or(|u| u[r])
}

/// The present values of `column` in the reference set.
fn reference_values<'a>(
    column: &'a [f64],
    units: Option<&'a [bool]>,
) -> impl Iterator<Item = f64> + Clone + 'a {
    column
        .iter()
        .enumerate()
        .filter(move |(r, x)| !x.is_nan() && is_unit(units, *r))
        .map(|(_, &x)| x)
}

/// `units`, when given, has one flag per row.
fn check_units(units: Option<&[bool]>, out: &[f64]) -> Result<(), AggregateError> {
    match units {
        Some(u) if u.len() != out.len() => Err(AggregateError::UnitsLength {
            len: u.len(),
            expected: out.len(),
        }),
        _ => Ok(()),
    }
}

/// Whether `row` gets a score: some child is present and the present children carry at least
/// `coverage` of the total weight; a row failing coverage is listed in `report.uncovered`.
fn scored(
    columns: &[&[f64]],
    weights: &[f64],
    total: f64,
    coverage: f64,
    row: usize,
    report: &mut AggregateReport,
) -> bool {
    let (mut present, mut present_weight) = (0u32, 0.0);
    for (c, &w) in columns.iter().zip(weights) {
        if !c[row].is_nan() {
            present += 1;
            present_weight += w;
        }
    }
    if present == 0 {
        return false;
    }
    if total > 0.0 && present_weight / total < coverage - WEIGHT_TOL {
        report.uncovered.push(row);
        return false;
    }
    true
}

/// The Mazziotta–Pareto index (MPI), the negative-penalty variant: a mean penalised by the
/// unbalance of the children.
///
/// # Formula
/// Each child j is standardised over the rows: z_ij = 100 + 10·(x_ij − mean_j)/sd_j (present
/// values, sd with n − 1). Per row, over the present children with positive weight (w
/// renormalised to sum 1): M = Σ w·z, S = √(Σ w·(z − M)²) (the weighted population sd), cv = S/M,
/// MPI = M − S·cv. With equal weights this is Mazziotta & Pareto's MPI⁻. The result stays on
/// the 100 ± 10 scale of the z values; the node's `scale` does not apply. A child without
/// variation (sd 0, or fewer than 2 values) has z = 100 and is listed in `constant`.
///
/// # Reference
/// Mazziotta, M. & Pareto, A. (2016), "On a generalized non-compensatory composite index for
/// measuring socio-economic phenomena", Social Indicators Research 127, 983–1003; COINr's
/// `a_mpi` (with weights) on `n_zscore(c(100, 10))` values; by hand (numpy) in the tests, and on
/// the Handbook's TAI data against numpy/scipy in `tests/published_mp_grey.rs` (no published
/// worked example could be obtained: `tests/fixtures/published/README.md`).
///
/// # Missing values
/// mean_j and sd_j over each child's present values; per row as [`aggregate`]: present children
/// only, subject to `coverage`.
///
/// # Reference rows
/// Each child's mean and sd taken over the rows marked in `units`
/// (`units where`; `None`: every row); every row, unit or not, is standardised with them, as
/// `normalise zscore` standardises non-units with the units' mean and sd.
pub fn mazziotta_pareto<C: AsRef<[f64]>>(
    columns: &[C],
    weights: &[f64],
    coverage: f64,
    units: Option<&[bool]>,
    out: &mut [f64],
) -> Result<AggregateReport, AggregateError> {
    let (columns, total) = checked_among(columns, weights, coverage, units, out)?;
    let mut report = AggregateReport::default();
    // (mean, sd) per child; sd NaN marks a constant child, standardised to 100.
    let moments: Vec<(f64, f64)> = columns
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let reference: Vec<f64> = reference_values(c, units).collect();
            let s = stats::sd(&reference);
            if s > 0.0 {
                (stats::mean(&reference), s)
            } else {
                report.constant.push(j);
                (stats::mean(&reference), f64::NAN)
            }
        })
        .collect();
    let z = |j: usize, x: f64| {
        let (m, s) = moments[j];
        if s.is_nan() {
            100.0
        } else {
            100.0 + 10.0 * (x - m) / s
        }
    };
    for (row, o) in out.iter_mut().enumerate() {
        if !scored(&columns, weights, total, coverage, row, &mut report) {
            *o = f64::NAN;
            continue;
        }
        let (mut sw, mut swz) = (0.0, 0.0);
        for (j, x, w) in weighted_present(&columns, weights, row) {
            sw += w;
            swz += w * z(j, x);
        }
        if sw == 0.0 {
            *o = f64::NAN;
            continue;
        }
        let m = swz / sw;
        let var: f64 = weighted_present(&columns, weights, row)
            .map(|(j, x, w)| w * (z(j, x) - m).powi(2))
            .sum();
        let s = (var / sw).sqrt();
        *o = m - s * (s / m);
    }
    Ok(report)
}

/// Copeland scores from weighted pairwise outranking between the rows (units).
///
/// # Formula
/// For rows a ≠ b, over the children present in both with positive weight: W⁺ = Σ w where
/// x_a > x_b, W⁻ = Σ w where x_a < x_b, W = Σ w (equal values are ties and count to neither
/// side). Classic (`sum` false): a beats b when W⁺ > W⁻, loses when W⁺ < W⁻ (equal within
/// 1e-12 of the total weight: neither); score = wins − losses, in [−(n − 1), n − 1] for n rows
/// with a score, mapped linearly onto `scale`: (score + n − 1)/(2(n − 1)). `copeland sum`
/// (COINr's outranking-matrix row sums): score = Σ_b (W⁺ + ½(W − W⁺ − W⁻))/W, a pair without a
/// common child counting ½; in [0, n − 1], mapped as score/(n − 1). With a single row to compare
/// the row gets the scale's midpoint and is listed in `undefined`.
///
/// # Cost
/// O(n²·k) for n rows and k children: fine for hundreds or a few thousand units, slow beyond.
///
/// # Reference
/// Munda, G. & Nardo, M. (2009), "Noncompensatory/nonlinear composite indicators for ranking
/// countries: a defensible setting", Applied Economics 41; OECD/JRC Handbook (2008) §6.1.7;
/// COINr's `outrankMatrix` / `a_copeland`; by hand in the tests.
///
/// # Missing values
/// Only rows with a score (some child present, `coverage` met) are compared; a pair compares
/// the children present in both.
///
/// # Reference rows
/// Compared among the rows marked in `units` (`units where`; `None`: every row): the units
/// are compared with each other only, so a non-unit changes no unit's score. A non-unit row is
/// compared with every unit (n comparisons, one more than a unit has), and its wins − losses
/// (or row sum) is mapped onto `scale` with the units' map, so it can fall up to
/// 1/(2(n − 1)) of the scale outside it, as a min-max value of a non-unit outside the units'
/// range does; a non-unit equal to a unit on every child gets that unit's classic score. With
/// fewer than two units every row with a score gets the midpoint and is listed in `undefined`.
pub fn copeland<C: AsRef<[f64]>>(
    columns: &[C],
    weights: &[f64],
    coverage: f64,
    sum: bool,
    scale: Scale,
    units: Option<&[bool]>,
    out: &mut [f64],
) -> Result<AggregateReport, AggregateError> {
    let (columns, total) = checked_among(columns, weights, coverage, units, out)?;
    let mut report = AggregateReport::default();
    let rows: Vec<usize> = (0..out.len())
        .filter(|&r| scored(&columns, weights, total, coverage, r, &mut report))
        .collect();
    let (unit_rows, others): (Vec<usize>, Vec<usize>) =
        rows.iter().partition(|&&r| is_unit(units, r));
    out.fill(f64::NAN);
    let n = unit_rows.len();
    if n < 2 {
        for &r in &rows {
            out[r] = scale.midpoint();
            report.undefined.push(r);
        }
        return Ok(report);
    }
    // (a's share, b's share) of the pair under `copeland sum`, or a's win (1), loss (−1) or
    // tie (0) under the classic rule.
    let duel = |a: usize, b: usize| -> (f64, f64) {
        let (mut above, mut below, mut both) = (0.0, 0.0, 0.0);
        for (c, &w) in columns.iter().zip(weights) {
            let (xa, xb) = (c[a], c[b]);
            if w > 0.0 && !xa.is_nan() && !xb.is_nan() {
                both += w;
                if xa > xb {
                    above += w;
                } else if xa < xb {
                    below += w;
                }
            }
        }
        if sum {
            if both > 0.0 {
                let tie = 0.5 * (both - above - below);
                ((above + tie) / both, (below + tie) / both)
            } else {
                (0.5, 0.5)
            }
        } else if (above - below).abs() > WEIGHT_TOL * total {
            let d = if above > below { 1.0 } else { -1.0 };
            (d, -d)
        } else {
            (0.0, 0.0)
        }
    };
    let mut score = vec![0.0; n];
    for (i, &a) in unit_rows.iter().enumerate() {
        for (k, &b) in unit_rows.iter().enumerate().skip(i + 1) {
            let (sa, sb) = duel(a, b);
            score[i] += sa;
            score[k] += sb;
        }
    }
    let m = (n - 1) as f64;
    let map = |s: f64| {
        if sum {
            scale.map(s / m)
        } else {
            scale.map((s + m) / (2.0 * m))
        }
    };
    for (&r, s) in unit_rows.iter().zip(score) {
        out[r] = map(s);
    }
    for &r in &others {
        let s: f64 = unit_rows.iter().map(|&b| duel(r, b).0).sum();
        out[r] = map(s);
    }
    Ok(report)
}

/// Grey relational grade (灰色关联度) against the column maxima.
///
/// # Formula
/// The reference series is each child's maximum over the rows, x⁰_j = max_i x_ij. Per present
/// cell Δ_ij = |x⁰_j − x_ij|; Δmin and Δmax are the smallest and largest Δ over every present
/// cell of every child. The relational coefficient ξ_ij = (Δmin + ρ·Δmax)/(Δ_ij + ρ·Δmax), with
/// the distinguishing coefficient ρ in (0, 1] (0.5 by default); when Δmax = 0 (every cell at
/// its maximum) ξ = 1. The grade of row i is Σ w·ξ / Σ w over its present children with positive
/// weight, in [0, 1], onto `scale`. A child without variation is listed in `constant`.
///
/// # Reference
/// Deng, J. (1982), "Control problems of grey systems", Systems & Control Letters 1(5);
/// Deng, J. (1989), "Introduction to grey system theory", The Journal of Grey System 1;
/// 刘思峰 等《灰色系统理论及其应用》 (grey relational analysis for evaluation); by hand in
/// the tests; Si & Sun's supplier-selection example against pyDecision 5.1.8 in
/// `tests/published_mp_grey.rs`, to 1e-12.
///
/// # Missing values
/// The maxima, Δmin and Δmax over the present values; per row as [`aggregate`].
///
/// # Reference rows
/// The reference series (the column maxima), Δmin and Δmax taken over the rows
/// marked in `units` (`units where`; `None`: every row). Every row, unit or not, is then scored
/// against them: Δ = |x⁰_j − x| for a non-unit above the units' maximum too, so ξ stays in
/// (0, 1].
pub fn grey<C: AsRef<[f64]>>(
    columns: &[C],
    weights: &[f64],
    coverage: f64,
    rho: f64,
    scale: Scale,
    units: Option<&[bool]>,
    out: &mut [f64],
) -> Result<AggregateReport, AggregateError> {
    if !(rho > 0.0 && rho <= 1.0) {
        return Err(AggregateError::BadRho { rho });
    }
    let (columns, total) = checked_among(columns, weights, coverage, units, out)?;
    let mut report = AggregateReport::default();
    let maxima: Vec<f64> = columns
        .iter()
        .map(|c| reference_values(c, units).fold(f64::NAN, f64::max))
        .collect();
    // Every child reaches its own maximum, so Δmin = 0; Δmax is the widest child's range.
    let d_min = 0.0;
    let mut d_max = 0.0f64;
    for (j, (c, &top)) in columns.iter().zip(&maxima).enumerate() {
        let bottom = reference_values(c, units).fold(f64::NAN, f64::min);
        if bottom == top {
            report.constant.push(j);
        }
        if !bottom.is_nan() {
            d_max = d_max.max(top - bottom);
        }
    }
    for (row, o) in out.iter_mut().enumerate() {
        if !scored(&columns, weights, total, coverage, row, &mut report) {
            *o = f64::NAN;
            continue;
        }
        let (mut sw, mut sxi) = (0.0, 0.0);
        // A child no unit has is left out, as a missing one.
        for (j, x, w) in
            weighted_present(&columns, weights, row).filter(|(j, ..)| !maxima[*j].is_nan())
        {
            let xi = if d_max > 0.0 {
                (d_min + rho * d_max) / ((maxima[j] - x).abs() + rho * d_max)
            } else {
                1.0
            };
            sw += w;
            sxi += w * xi;
        }
        *o = if sw > 0.0 {
            scale.map(sxi / sw)
        } else {
            f64::NAN
        };
    }
    Ok(report)
}

#[cfg(test)]
mod block_tests {
    use super::*;

    /// The blocked arithmetic mean gives, bit for bit, the row-by-row rule: missing children,
    /// zero weights, negative values, zeros of both signs, coverage, and a last
    /// block shorter than the others.
    #[test]
    fn blocked_arithmetic_equals_row_by_row() {
        let mut state = 21u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        let n = 1000;
        let columns: Vec<Vec<f64>> = (0..4)
            .map(|_| {
                (0..n)
                    .map(|_| match next() % 9 {
                        0 | 1 => f64::NAN,
                        2 => -0.0,
                        3 => 0.0,
                        _ => (next() % 20_000) as f64 / 1000.0 - 5.0,
                    })
                    .collect()
            })
            .collect();
        for weights in [[0.3, 0.25, 0.0, 0.45], [1.0, 0.5, 2.0, 0.1], [0.0; 4]] {
            for coverage in [0.0, 0.6] {
                let mut out = vec![0.0; n];
                let report = aggregate(
                    Aggregate::Arithmetic,
                    &columns,
                    &weights,
                    coverage,
                    &mut out,
                )
                .unwrap_or_else(|e| panic!("{weights:?}: {e:?}"));
                let total: f64 = weights.iter().sum();
                let mut uncovered = Vec::new();
                for (r, o) in out.iter().enumerate() {
                    let (mut num, mut den, mut pw, mut present) = (0.0, 0.0, 0.0, 0);
                    for (c, &w) in columns.iter().zip(&weights) {
                        let x = c[r];
                        if x.is_nan() {
                            continue;
                        }
                        present += 1;
                        pw += w;
                        if w > 0.0 {
                            num += w * x;
                            den += w;
                        }
                    }
                    let want = if present == 0 {
                        f64::NAN
                    } else if total > 0.0 && pw / total < coverage - WEIGHT_TOL {
                        uncovered.push(r);
                        f64::NAN
                    } else if den == 0.0 {
                        f64::NAN
                    } else {
                        num / den
                    };
                    assert_eq!(o.to_bits(), want.to_bits(), "row {r}");
                }
                assert_eq!(report.uncovered, uncovered);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::normalise::{minmax, vector, Direction};
    use crate::methods::tolerance::{
        assert_all_close, assert_close, floats, reference, EXACT, REFERENCE,
    };

    const NAN: f64 = f64::NAN;

    fn run(
        m: Aggregate,
        cols: &[Vec<f64>],
        w: &[f64],
        coverage: f64,
    ) -> (Vec<f64>, AggregateReport) {
        let mut out = vec![0.0; cols[0].len()];
        let r = aggregate(m, cols, w, coverage, &mut out).unwrap();
        (out, r)
    }

    /// Source: by hand; rows (4, 1), (2, 8), (NaN, 3), with weights 3 : 1.
    #[test]
    fn means() {
        let cols = vec![vec![4.0, 2.0, NAN], vec![1.0, 8.0, 3.0]];
        let w = [3.0, 1.0];
        let (a, _) = run(Aggregate::Arithmetic, &cols, &w, 0.0);
        assert_all_close(&a, &[13.0 / 4.0, 14.0 / 4.0, 3.0], EXACT, "arithmetic");
        // geometric: (4^3 · 1)^(1/4) = 64^(1/4) = 2√2; (2^3 · 8)^(1/4) = 64^(1/4).
        let (g, _) = run(Aggregate::Geometric, &cols, &w, 0.0);
        let r = 8f64.sqrt();
        assert_all_close(&g, &[r, r, 3.0], EXACT, "geometric");
        // harmonic: 4 / (3/4 + 1) = 16/7; 4 / (3/2 + 1/8) = 32/13.
        let (h, _) = run(Aggregate::Harmonic, &cols, &w, 0.0);
        assert_all_close(&h, &[16.0 / 7.0, 32.0 / 13.0, 3.0], EXACT, "harmonic");
        // power 2: √((3·16 + 1)/4) = √12.25 = 3.5; √((3·4 + 64)/4) = √19.
        let (p, _) = run(Aggregate::Power(2.0), &cols, &w, 0.0);
        assert_all_close(&p, &[3.5, 19f64.sqrt(), 3.0], EXACT, "power 2");
        let (p0, _) = run(Aggregate::Power(0.0), &cols, &w, 0.0);
        assert_all_close(&p0, &g, EXACT, "power 0 = geometric");
        let (p_1, _) = run(Aggregate::Power(-1.0), &cols, &w, 0.0);
        assert_all_close(&p_1, &h, EXACT, "power -1 = harmonic");
        let (m, _) = run(Aggregate::Min, &cols, &w, 0.0);
        assert_all_close(&m, &[1.0, 2.0, 3.0], 0.0, "min");
    }

    /// Source: LANGUAGE.md (a zero input gives 0; a negative input is an error).
    #[test]
    fn zero_and_negative_rules() {
        let cols = vec![vec![0.0, 4.0], vec![5.0, 9.0]];
        for m in [
            Aggregate::Geometric,
            Aggregate::Harmonic,
            Aggregate::Power(-2.0),
        ] {
            let (g, r) = run(m, &cols, &[1.0, 1.0], 0.0);
            assert_eq!(g[0], 0.0, "{m:?}");
            assert_eq!(r.zero_rows, vec![0], "{m:?}");
        }
        let (p, r) = run(Aggregate::Power(2.0), &cols, &[1.0, 1.0], 0.0);
        assert_close(p[0], 12.5f64.sqrt(), EXACT, "power 2 with a zero");
        assert!(r.zero_rows.is_empty());
        let neg = vec![vec![1.0, -0.5], vec![2.0, 1.0]];
        let mut out = [0.0; 2];
        assert_eq!(
            aggregate(Aggregate::Geometric, &neg, &[1.0, 1.0], 0.0, &mut out),
            Err(AggregateError::NegativeInput {
                row: 1,
                child: 0,
                value: -0.5
            })
        );
        let (a, _) = run(Aggregate::Arithmetic, &neg, &[1.0, 1.0], 0.0);
        assert_all_close(&a, &[1.5, 0.25], EXACT, "arithmetic takes negatives");
    }

    /// Source: LANGUAGE.md (smallest x whose cumulative weight ≥ ½; the mean of two at ½).
    #[test]
    fn weighted_median_rule() {
        let cols = vec![
            vec![1.0, 1.0, 1.0],
            vec![2.0, 2.0, 2.0],
            vec![3.0, 3.0, NAN],
            vec![10.0, 10.0, 10.0],
        ];
        // Equal weights: cumulative ½ exactly at 2 → (2 + 3)/2; row 3 without the 3: 1, 2, 10 → 2.
        let (m, _) = run(Aggregate::Median, &cols, &[1.0; 4], 0.0);
        assert_all_close(&m, &[2.5, 2.5, 2.0], EXACT, "equal weights");
        // Weights 0.1, 0.1, 0.2, 0.6: cumulative 0.1, 0.2, 0.4, 1.0 → 10.
        let (m, _) = run(Aggregate::Median, &cols, &[0.1, 0.1, 0.2, 0.6], 0.0);
        assert_eq!(m[0], 10.0);
        // Weights 5, 1, 1, 1: cumulative 5/8 ≥ ½ at the first → 1.
        let (m, _) = run(Aggregate::Median, &cols, &[5.0, 1.0, 1.0, 1.0], 0.0);
        assert_eq!(m[0], 1.0);
    }

    /// Source: LANGUAGE.md "coverage": missing when the present children carry less than P.
    #[test]
    fn coverage_rule() {
        let cols = vec![
            vec![10.0, NAN, NAN, NAN],
            vec![20.0, 20.0, NAN, NAN],
            vec![30.0, 30.0, 30.0, NAN],
        ];
        let w = [0.2, 0.3, 0.5];
        let (a, r) = run(Aggregate::Arithmetic, &cols, &w, 0.6);
        // Row 1 carries 0.8 ≥ 0.6: (0.3·20 + 0.5·30)/0.8 = 26.25; row 2 carries 0.5 < 0.6.
        assert_all_close(&a, &[23.0, 26.25, NAN, NAN], EXACT, "coverage 60%");
        assert_eq!(r.uncovered, vec![2]);
        let (a, r) = run(Aggregate::Arithmetic, &cols, &w, 0.5);
        assert_all_close(
            &a,
            &[23.0, 26.25, 30.0, NAN],
            EXACT,
            "coverage 50% (boundary)",
        );
        assert!(r.uncovered.is_empty());
    }

    #[test]
    fn bad_arguments() {
        let cols = vec![vec![1.0], vec![2.0]];
        let mut out = [0.0; 1];
        let agg =
            |w: &[f64], c: f64, out: &mut [f64]| aggregate(Aggregate::Arithmetic, &cols, w, c, out);
        assert!(matches!(
            agg(&[1.0], 0.0, &mut out),
            Err(AggregateError::WeightCount { .. })
        ));
        assert!(matches!(
            agg(&[1.0, -1.0], 0.0, &mut out),
            Err(AggregateError::BadWeight { .. })
        ));
        assert!(matches!(
            agg(&[1.0, 1.0], 1.5, &mut out),
            Err(AggregateError::BadCoverage { .. })
        ));
        assert!(matches!(
            agg(&[1.0, 1.0], 0.0, &mut [0.0; 2]),
            Err(AggregateError::LengthMismatch(_))
        ));
        let none: Vec<Vec<f64>> = vec![];
        assert_eq!(
            aggregate(Aggregate::Min, &none, &[], 0.0, &mut out),
            Err(AggregateError::NoChildren)
        );
    }

    /// Source: weights_topsis.json, `topsis.vector` and `topsis.minmax` scores.
    #[test]
    fn topsis_reference() {
        let r = reference("weights_topsis.json");
        let rows: Vec<Vec<f64>> = r["matrix"].as_array().unwrap().iter().map(floats).collect();
        let dirs: Vec<Direction> = floats(&r["types"])
            .iter()
            .map(|&t| {
                if t < 0.0 {
                    Direction::Negative
                } else {
                    Direction::Positive
                }
            })
            .collect();
        let w = floats(&r["topsis"]["weights"]);
        let m = rows.len();
        let cols: Vec<Vec<f64>> = (0..dirs.len())
            .map(|j| rows.iter().map(|row| row[j]).collect())
            .collect();
        for (variant, norm) in [("vector", 0), ("minmax", 1)] {
            let normalised: Vec<Vec<f64>> = cols
                .iter()
                .zip(&dirs)
                .map(|(c, &d)| {
                    let mut out = vec![0.0; m];
                    if norm == 0 {
                        vector(c, c, d, &mut out).unwrap();
                    } else {
                        minmax(c, c, d, Scale::UNIT, &mut out).unwrap();
                    }
                    out
                })
                .collect();
            let mut out = vec![0.0; m];
            topsis(&normalised, &w, 0.0, Scale::UNIT, None, &mut out).unwrap();
            let expected = floats(&r["topsis"][variant]["score"]);
            assert_all_close(&out, &expected, REFERENCE, variant);
        }
    }

    /// Source: by hand; constant columns make TOPSIS undefined (midpoint), one child missing is
    /// skipped.
    #[test]
    fn topsis_edges() {
        let cols = vec![vec![1.0, 1.0], vec![2.0, 2.0]];
        let mut out = [0.0; 2];
        let r = topsis(&cols, &[1.0, 1.0], 0.0, Scale::DEFAULT, None, &mut out).unwrap();
        assert_eq!(out, [50.0, 50.0]);
        assert_eq!(r.undefined, vec![0, 1]);
        let cols = vec![vec![0.0, 1.0, NAN], vec![1.0, 0.0, 1.0]];
        let mut out = [0.0; 3];
        topsis(&cols, &[1.0, 1.0], 0.0, Scale::UNIT, None, &mut out).unwrap();
        assert_all_close(&out, &[0.5, 0.5, 1.0], EXACT, "with a missing child");
    }
    /// Five units × three children, unit 4 missing child 2, weights 0.5 : 0.3 : 0.2; shared by
    /// the tests of the non-compensatory methods.
    fn five() -> (Vec<Vec<f64>>, [f64; 3]) {
        (
            vec![
                vec![3.0, 5.0, 1.0, 7.0, 4.0],
                vec![2.0, 8.0, 6.0, NAN, 4.0],
                vec![9.0, 1.0, 5.0, 3.0, 5.0],
            ],
            [0.5, 0.3, 0.2],
        )
    }

    /// Source: numpy 2.4.6 — z = 100 + 10·(x − nanmean)/nanstd(ddof=1) per child; per row over
    /// present children, w renormalised: M = Σwz, S = √Σw(z − M)², MPI = M − S²/M.
    #[test]
    fn mazziotta_pareto_by_hand() {
        let (cols, w) = five();
        let mut out = [0.0; 5];
        let r = mazziotta_pareto(&cols, &w, 0.0, None, &mut out).unwrap();
        let expected = [
            96.35101760905866,
            102.62567389427295,
            94.01582838760287,
            107.37379365106378,
            99.06674287107009,
        ];
        assert_all_close(&out, &expected, REFERENCE, "MPI");
        assert!(r.constant.is_empty());
        // Balanced children (every z equal) are not penalised: MPI = M.
        let cols = vec![vec![1.0, 2.0, 3.0], vec![10.0, 20.0, 30.0]];
        let mut out = [0.0; 3];
        mazziotta_pareto(&cols, &[1.0, 1.0], 0.0, None, &mut out).unwrap();
        assert_all_close(&out, &[90.0, 100.0, 110.0], EXACT, "balanced");
        // A constant child stands at 100: row 0 has z = (90, 100), M = 95, S = 5, 95 − 25/95.
        let cols = vec![vec![1.0, 2.0, 3.0], vec![7.0, 7.0, 7.0]];
        let r = mazziotta_pareto(&cols, &[1.0, 1.0], 0.0, None, &mut out).unwrap();
        assert_close(out[0], 95.0 - 25.0 / 95.0, EXACT, "constant child");
        assert_eq!(r.constant, vec![1]);
    }

    /// Source: by hand (and a numpy loop). Pairs (a, b) by weight where a is above / below:
    /// unit 1 (5, 8, 1) beats 0 (0.8 vs 0.2), 2 (0.8 vs 0.2) and 4 (0.8 vs 0.2), loses to 3
    /// (compared on children 0 and 2 only: 0.5 vs 0.2 for 3) → 3 − 1 = 2. Classic scores
    /// −2, 2, −4, 4, 0 → (s + 4)/8. Sum variant (W⁺ + ½ ties)/W summed over b: 1.3857142857142855,
    /// 2.4, 1.1857142857142857, 3.1428571428571432, 1.8857142857142857, divided by 4.
    #[test]
    fn copeland_by_hand() {
        let (cols, w) = five();
        let mut out = [0.0; 5];
        copeland(&cols, &w, 0.0, false, Scale::UNIT, None, &mut out).unwrap();
        assert_all_close(&out, &[0.25, 0.75, 0.0, 1.0, 0.5], EXACT, "classic");
        copeland(&cols, &w, 0.0, true, Scale::UNIT, None, &mut out).unwrap();
        let expected = [
            1.3857142857142855,
            2.4000000000000004,
            1.1857142857142857,
            3.1428571428571432,
            1.8857142857142857,
        ]
        .map(|s| s / 4.0);
        assert_all_close(&out, &expected, EXACT, "sum");
        copeland(&cols, &w, 0.0, false, Scale::DEFAULT, None, &mut out).unwrap();
        assert_all_close(&out, &[25.0, 75.0, 0.0, 100.0, 50.0], EXACT, "onto 0..100");
        // A tie in weight is neither a win nor a loss; one unit alone gets the midpoint.
        let cols = vec![vec![1.0, 2.0], vec![2.0, 1.0]];
        let mut out = [0.0; 2];
        copeland(&cols, &[1.0, 1.0], 0.0, false, Scale::UNIT, None, &mut out).unwrap();
        assert_eq!(out, [0.5, 0.5]);
        let cols = vec![vec![1.0, NAN]];
        let r = copeland(&cols, &[1.0], 0.0, false, Scale::DEFAULT, None, &mut out).unwrap();
        assert_eq!(out[0], 50.0);
        assert!(out[1].is_nan());
        assert_eq!(r.undefined, vec![0]);
    }

    /// Source: by hand. Column maxima 7, 8, 9; Δmin = 0, Δmax = 8 (child 2: 9 − 1); ρ = 0.5, so
    /// ξ = 4/(Δ + 4). Row 0: Δ = 4, 6, 0 → ξ = 0.5, 0.4, 1 → 0.25 + 0.12 + 0.2 = 0.57; row 3
    /// without child 1: (0.5·1 + 0.2·0.4)/0.7 = 0.58/0.7. The rest from the same numpy loop.
    #[test]
    fn grey_by_hand() {
        let (cols, w) = five();
        let mut out = [0.0; 5];
        grey(&cols, &w, 0.0, 0.5, Scale::UNIT, None, &mut out).unwrap();
        let expected = [0.57, 0.7, 0.5, 0.58 / 0.7, 0.5357142857142857];
        assert_all_close(&out, &expected, EXACT, "grey 0.5");
        // ρ = 1: ξ = 8/(Δ + 8); row 2: Δ = 6, 2, 4 → 0.5·8/14 + 0.3·0.8 + 0.2·8/12.
        grey(&cols, &w, 0.0, 1.0, Scale::DEFAULT, None, &mut out).unwrap();
        let row2 = 0.5 * 8.0 / 14.0 + 0.3 * 0.8 + 0.2 * 8.0 / 12.0;
        assert_close(out[2], 100.0 * row2, EXACT, "grey 1 row 2");
        for rho in [0.0, -0.5, 1.5, NAN] {
            assert!(matches!(
                grey(&cols, &w, 0.0, rho, Scale::UNIT, None, &mut out),
                Err(AggregateError::BadRho { .. })
            ));
        }
        // All at the maximum: ξ = 1.
        let cols = vec![vec![3.0, 3.0]];
        let mut out = [0.0; 2];
        let r = grey(&cols, &[1.0], 0.0, 0.5, Scale::UNIT, None, &mut out).unwrap();
        assert_eq!(out, [1.0, 1.0]);
        assert_eq!(r.constant, vec![0]);
    }

    /// Source: LANGUAGE.md "coverage", applied alike by the three non-compensatory methods.
    #[test]
    fn non_compensatory_coverage() {
        let (cols, w) = five();
        let mut out = [0.0; 5];
        // Unit 3 lacks child 1 (0.3): 0.7 < 0.8.
        let r = mazziotta_pareto(&cols, &w, 0.8, None, &mut out).unwrap();
        assert!(out[3].is_nan() && r.uncovered == vec![3]);
        let r = grey(&cols, &w, 0.8, 0.5, Scale::UNIT, None, &mut out).unwrap();
        assert!(out[3].is_nan() && r.uncovered == vec![3]);
        let r = copeland(&cols, &w, 0.8, false, Scale::UNIT, None, &mut out).unwrap();
        assert!(out[3].is_nan() && r.uncovered == vec![3]);
        // Without unit 3 the others compare among four: unit 1 beats 0, 2, 4 → (3 + 3)/6.
        assert_close(out[1], 1.0, EXACT, "copeland without unit 3");
    }
}

#[cfg(test)]
mod weighted_mean_tests {
    use super::*;
    use proptest::prelude::*;

    /// k children over n rows (across the columnar loop's blocks of 256), some weights 0, some
    /// values missing.
    fn children() -> impl Strategy<Value = (Vec<f64>, Vec<Vec<f64>>)> {
        (1usize..6, 1usize..300).prop_flat_map(|(k, n)| {
            (
                prop::collection::vec(prop_oneof![Just(0.0), 0.0f64..10.0], k),
                prop::collection::vec(
                    prop::collection::vec(
                        prop::option::weighted(0.7, -100.0f64..100.0)
                            .prop_map(|v| v.unwrap_or(f64::NAN)),
                        n,
                    ),
                    k,
                ),
            )
        })
    }

    proptest! {
        /// The columnar loop of `aggregate arithmetic` is the one weighted mean, bit for bit.
        #[test]
        fn arithmetic_is_the_weighted_mean_row_by_row((weights, columns) in children()) {
            let n = columns[0].len();
            let mut out = vec![0.0; n];
            aggregate(Aggregate::Arithmetic, &columns, &weights, 0.0, &mut out).unwrap();
            for (r, got) in out.iter().enumerate() {
                let row: Vec<f64> = columns.iter().map(|c| c[r]).collect();
                let want = weighted_mean(&row, &weights);
                prop_assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "row {r}: {got} against {want}"
                );
                let shares = renormalised_weights(&row, &weights);
                let by_shares: f64 = shares
                    .iter()
                    .zip(&row)
                    .filter(|(s, _)| **s > 0.0)
                    .map(|(s, x)| s * x)
                    .sum();
                if want.is_nan() {
                    prop_assert!(shares.iter().all(|s| *s == 0.0));
                } else {
                    prop_assert!((by_shares - want).abs() <= 1e-12 * (1.0 + want.abs()));
                }
            }
        }

        /// Children whose min-max is deferred (read block by block, or mapped in full for the
        /// other methods) aggregate to exactly what their normalised columns give: every
        /// method, coverage, direction and scale, mapped and plain children mixed, columns
        /// longer than a block.
        #[test]
        fn deferred_children_aggregate_as_their_normalised_columns(
            (weights, columns) in children(),
            mapped in prop::collection::vec(any::<bool>(), 6),
            directions in prop::collection::vec(0u8..3, 6),
            optimum in -50.0f64..50.0,
            scale_lo in prop_oneof![Just(0.0), Just(1.0), -10.0f64..10.0],
            width in prop_oneof![Just(1.0), Just(100.0), 0.5f64..50.0],
            method in 0usize..9,
            coverage in prop_oneof![Just(0.0), 0.0f64..1.0],
            long in any::<bool>(),
        ) {
            use crate::methods::normalise::{minmax_map, Direction};
            // Past one block of 256 rows now and then: the columns repeated.
            let columns: Vec<Vec<f64>> = columns
                .into_iter()
                .map(|c| if long { c.iter().cycle().take(c.len() * 3 + 7).copied().collect() } else { c })
                .collect();
            let scale = Scale { lo: scale_lo, hi: scale_lo + width };
            let maps: Vec<Option<PointMap>> = columns
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    mapped[j].then(|| {
                        let d = match directions[j] {
                            0 => Direction::Positive,
                            1 => Direction::Negative,
                            _ => Direction::Optimum(optimum),
                        };
                        minmax_map(c, d, scale).expect("a valid scale").0
                    })
                })
                .collect();
            let normalised: Vec<Vec<f64>> = columns
                .iter()
                .zip(&maps)
                .map(|(c, m)| match m {
                    Some(m) => {
                        let mut out = vec![0.0; c.len()];
                        m.apply_into(c, &mut out);
                        // The one-value form agrees with the column form.
                        for (o, v) in out.iter().zip(c) {
                            assert_eq!(o.to_bits(), m.apply(*v).to_bits());
                        }
                        out
                    }
                    None => c.clone(),
                })
                .collect();
            let children: Vec<Child> = columns
                .iter()
                .zip(&maps)
                .map(|(c, m)| match m {
                    Some(m) => Child::Mapped(c, *m),
                    None => Child::Values(c),
                })
                .collect();
            let method = [
                Aggregate::Arithmetic,
                Aggregate::Power(1.0),
                Aggregate::Geometric,
                Aggregate::Harmonic,
                Aggregate::Min,
                Aggregate::Median,
                Aggregate::Topsis,
                Aggregate::MazziottaPareto,
                Aggregate::Power(2.0),
            ][method];
            let n = columns[0].len();
            let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
            let got = aggregate_children(method, &children, &weights, coverage, Scale::DEFAULT, None, &mut a);
            let want = aggregate_among(method, &normalised, &weights, coverage, Scale::DEFAULT, None, &mut b);
            prop_assert_eq!(&got, &want);
            if got.is_ok() {
                for (r, (x, y)) in a.iter().zip(&b).enumerate() {
                    prop_assert!(x.to_bits() == y.to_bits(), "row {}: {} against {}", r, x, y);
                }
            }
        }
    }
}

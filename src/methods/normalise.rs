//! Normalisation: making indicators comparable, with their direction.
//!
//! `direction negative` negates the values before the method (as COINr does) and the method's
//! reference points with it; `optimum X` replaces x by −|x − X| before the method, except with
//! goalposts, which have their own two-sided formula. Goalposts, targets, optima and band
//! thresholds are in the indicator's units: the caller transforms them together with the values
//! (`transform log` etc.) before calling these functions.

use super::num;
use super::rank::{competition_ranks, Order};
use super::stats;
use super::treat::Transform;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The range onto which min-max style values are mapped (`scale LO..HI`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scale {
    pub lo: f64,
    pub hi: f64,
}

impl Scale {
    /// `scale 0..100`, the rules language's default.
    pub const DEFAULT: Scale = Scale { lo: 0.0, hi: 100.0 };
    /// 0..1, used for derived weights and TOPSIS internals.
    pub const UNIT: Scale = Scale { lo: 0.0, hi: 1.0 };

    /// Maps u in [0, 1] onto the scale: lo + u·(hi − lo).
    pub fn map(self, u: f64) -> f64 {
        self.lo + u * (self.hi - self.lo)
    }

    /// The scale's midpoint, given to a constant column by min-max.
    pub fn midpoint(self) -> f64 {
        self.map(0.5)
    }

    fn check(self) -> Result<(), NormaliseError> {
        if self.lo.is_finite() && self.hi.is_finite() && self.lo < self.hi {
            Ok(())
        } else {
            Err(NormaliseError::BadScale {
                lo: self.lo,
                hi: self.hi,
            })
        }
    }
}

impl Default for Scale {
    fn default() -> Self {
        Scale::DEFAULT
    }
}

/// Which values are better (`direction positive|negative|optimum X`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher is better.
    #[default]
    Positive,
    /// Lower is better: values are negated before the method.
    Negative,
    /// Closest to X is best: −|x − X| before the method (goalposts: a two-sided formula).
    Optimum(f64),
}

impl Direction {
    /// The positively oriented value: x, −x or −|x − X|. NaN stays NaN.
    pub fn orient(self, x: f64) -> f64 {
        match self {
            Direction::Positive => x,
            Direction::Negative => -x,
            Direction::Optimum(o) => -(x - o).abs(),
        }
    }

    /// The direction in the units of the transformed values: the optimum transformed.
    pub fn transformed(self, t: Transform) -> Direction {
        match self {
            Direction::Optimum(x) => Direction::Optimum(t.apply(x)),
            d => d,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Direction::Positive => write!(f, "positive"),
            Direction::Negative => write!(f, "negative"),
            Direction::Optimum(x) => write!(f, "optimum {}", num(*x)),
        }
    }
}

/// The reference value of `normalise ratio`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatioTo {
    Mean,
    Max,
    Min,
    /// `ratio unit "NAME"`: the value of that unit, which the caller looks up in the data and
    /// passes as [`RatioTo::Value`] (this module does not know the units' names).
    Unit(String),
    /// A given reference value, e.g. the value of the unit of [`RatioTo::Unit`]; never in a
    /// compiled plan.
    Value(f64),
}

/// The comparison of one row of `normalise bands`; `else` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandOp {
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `else`: the fallback row, last.
    Else,
}

impl BandOp {
    fn holds(self, x: f64, threshold: f64) -> bool {
        match self {
            BandOp::Ge => x >= threshold,
            BandOp::Gt => x > threshold,
            BandOp::Le => x <= threshold,
            BandOp::Lt => x < threshold,
            BandOp::Else => true,
        }
    }

    /// The operator as written in the rules.
    pub fn symbol(self) -> &'static str {
        match self {
            BandOp::Ge => ">=",
            BandOp::Gt => ">",
            BandOp::Le => "<=",
            BandOp::Lt => "<",
            BandOp::Else => "else",
        }
    }
}

/// One row of a scoring table: `>= 1000: 60` is `Band { op: Ge, threshold: 1000, score: 60 }`;
/// `op` is `else` (threshold 0, unused) for the fallback row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub op: BandOp,
    pub threshold: f64,
    pub score: f64,
}

/// A normalisation method with its parameters, as in the `normalise` setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalise {
    #[serde(rename = "minmax")]
    MinMax,
    /// `goalposts LO..HI`.
    Goalposts(f64, f64),
    #[serde(rename = "zscore")]
    ZScore {
        mean: f64,
        sd: f64,
    },
    Rank,
    Percentile,
    Target(f64),
    Ratio(RatioTo),
    Vector,
    /// `bands { rows..., else: S }`, tried top-down; the first that holds gives the score.
    Bands(Vec<Band>),
    None,
}

impl Normalise {
    /// The method with its reference points (goalposts, target, band thresholds) in the units
    /// of the transformed values, as the functions of this module take them.
    pub fn transformed(&self, t: Transform) -> Normalise {
        if t == Transform::None {
            return self.clone();
        }
        match self {
            Normalise::Goalposts(lo, hi) => Normalise::Goalposts(t.apply(*lo), t.apply(*hi)),
            Normalise::Target(x) => Normalise::Target(t.apply(*x)),
            Normalise::Bands(rows) => Normalise::Bands(
                rows.iter()
                    .map(|b| Band {
                        threshold: if b.op == BandOp::Else {
                            b.threshold
                        } else {
                            t.apply(b.threshold)
                        },
                        ..*b
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

impl fmt::Display for Normalise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Normalise::MinMax => write!(f, "minmax"),
            Normalise::Goalposts(lo, hi) => write!(f, "goalposts {}..{}", num(*lo), num(*hi)),
            Normalise::ZScore { mean, sd } => write!(f, "zscore {}, {}", num(*mean), num(*sd)),
            Normalise::Rank => write!(f, "rank"),
            Normalise::Percentile => write!(f, "percentile"),
            Normalise::Target(t) => write!(f, "target {}", num(*t)),
            Normalise::Ratio(r) => match r {
                RatioTo::Mean => write!(f, "ratio mean"),
                RatioTo::Max => write!(f, "ratio max"),
                RatioTo::Min => write!(f, "ratio min"),
                RatioTo::Unit(u) => write!(f, "ratio unit {u:?}"),
                RatioTo::Value(v) => write!(f, "ratio {}", num(*v)),
            },
            Normalise::Vector => write!(f, "vector"),
            Normalise::Bands(b) => write!(f, "bands ({} rows)", b.len()),
            Normalise::None => write!(f, "none"),
        }
    }
}

/// What a normalisation noticed, for the caller's warnings. Index lists are usually empty and
/// then allocate nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NormaliseReport {
    /// The present values were all equal (min-max gave the scale's midpoint, z-score gave M,
    /// vector gave 0).
    pub constant: bool,
    /// Rows whose value fell outside the goalposts (or below 0 attainment for `target`) and
    /// was clamped.
    pub clamped: Vec<usize>,
    /// Rows that matched no band and had no `else` (now missing).
    pub unmatched: Vec<usize>,
}

/// Why a normalisation could not run.
#[derive(Debug, Clone, PartialEq)]
pub enum NormaliseError {
    /// `out` is not as long as the input column.
    LengthMismatch { input: usize, output: usize },
    /// `scale 5..5`: LO must be below HI.
    BadScale { lo: f64, hi: f64 },
    /// `goalposts 100..80`: LO must be below HI.
    BadGoalposts { lo: f64, hi: f64 },
    /// `direction optimum 120` with `goalposts 80..100`: the optimum must lie within them.
    OptimumOutsideGoalposts { optimum: f64, lo: f64, hi: f64 },
    /// `normalise target 0`: a target must be a positive number.
    TargetNotPositive { target: f64 },
    /// `normalise zscore 0, 0`: S must be a positive number.
    BadZScore { mean: f64, sd: f64 },
    /// `normalise ratio mean` with `direction negative` (invert in the formula instead), or
    /// `target` with `direction optimum`.
    DirectionNotSupported {
        method: &'static str,
        direction: Direction,
    },
    /// `normalise ratio mean` where the mean is 0, or `ratio unit "X"` where X's value is 0 or
    /// missing.
    ZeroReference { reference: f64 },
    /// `ratio unit "X"` given as such: the caller must pass X's value ([`RatioTo::Value`]).
    UnresolvedUnit { name: String },
}

impl fmt::Display for NormaliseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use NormaliseError::*;
        match self {
            LengthMismatch { input, output } => write!(
                f,
                "the output column has {output} rows but the input has {input}"
            ),
            BadScale { lo, hi } => write!(f, "scale {lo}..{hi}: the lower end must be below the upper"),
            BadGoalposts { lo, hi } => write!(
                f,
                "goalposts {lo}..{hi}: the lower goalpost must be below the upper"
            ),
            OptimumOutsideGoalposts { optimum, lo, hi } => write!(
                f,
                "the optimum {optimum} lies outside the goalposts {lo}..{hi}; move it inside or widen them"
            ),
            TargetNotPositive { target } => {
                write!(f, "target {target}: a target must be a positive number")
            }
            BadZScore { mean, sd } => write!(
                f,
                "zscore {mean}, {sd}: the spread S must be a positive number"
            ),
            DirectionNotSupported { method, direction } => write!(
                f,
                "`normalise {method}` cannot be used with `direction {direction}`; \
                 invert the indicator in its formula instead"
            ),
            UnresolvedUnit { name } => write!(
                f,
                "the value of the unit \"{name}\" of `ratio unit` was not looked up"
            ),
            ZeroReference { reference } => write!(
                f,
                "the ratio's reference value is {reference}; a ratio needs a non-zero reference"
            ),
        }
    }
}

impl std::error::Error for NormaliseError {}

fn check_len(x: &[f64], out: &[f64]) -> Result<(), NormaliseError> {
    if x.len() == out.len() {
        Ok(())
    } else {
        Err(NormaliseError::LengthMismatch {
            input: x.len(),
            output: out.len(),
        })
    }
}

/// Normalises column `x` into `out` with `method`, `direction` and `scale`: dispatches to the
/// function of each method below, whose docs give the formulas.
///
/// # Missing values
/// A missing input gives a missing output; statistics (min, max, mean, sd, ranks, n) are taken
/// over the present values. The caller chooses the rows (a period, or the panel).
pub fn normalise(
    x: &[f64],
    method: &Normalise,
    direction: Direction,
    scale: Scale,
    out: &mut [f64],
) -> Result<NormaliseReport, NormaliseError> {
    normalise_against(x, x, method, direction, scale, out)
}

/// Like [`normalise`], with the statistics (min, max, mean, sd, ranks, n, the vector norm, the
/// ratio's reference) taken over `reference` instead of `x`: the ranked units of a period, or
/// the whole panel (`reference panel`), applied to every row (regional aggregates under
/// `units where` included). `normalise(x, ..)` is `normalise_against(x, x, ..)`.
pub fn normalise_against(
    x: &[f64],
    reference: &[f64],
    method: &Normalise,
    direction: Direction,
    scale: Scale,
    out: &mut [f64],
) -> Result<NormaliseReport, NormaliseError> {
    let r = reference;
    match method {
        Normalise::MinMax => minmax(x, r, direction, scale, out),
        Normalise::Goalposts(lo, hi) => goalposts(x, *lo, *hi, direction, scale, out),
        Normalise::ZScore { mean, sd } => zscore(x, r, *mean, *sd, direction, out),
        Normalise::Rank => rank(x, r, direction, out),
        Normalise::Percentile => percentile(x, r, direction, scale, out),
        Normalise::Target(t) => target(x, *t, direction, scale, out),
        Normalise::Ratio(to) => ratio(x, r, to, direction, out),
        Normalise::Vector => vector(x, r, direction, out),
        Normalise::Bands(b) => bands(x, b, out),
        Normalise::None => none(x, direction, out),
    }
}

/// Min-max onto `scale`.
///
/// # Formula
/// y = orient(x); (y − min y)/(max y − min y) onto LO..HI. Negative: (max x − x)/(max x − min x).
/// A constant column (or a single value) gives the scale's midpoint and sets `constant`.
///
/// # Reference
/// LANGUAGE.md "Normalisation"; COINr `n_minx`; by hand in the tests.
///
/// # Missing values
/// NaN in, NaN out; min and max over the present values.
///
/// # Reference rows
/// Min and max are taken over `reference`.
/// Pass `x` itself for the column's own.
pub fn minmax(
    x: &[f64],
    reference: &[f64],
    direction: Direction,
    scale: Scale,
    out: &mut [f64],
) -> Result<NormaliseReport, NormaliseError> {
    check_len(x, out)?;
    let (map, report) = minmax_map(reference, direction, scale)?;
    map.apply_into(x, out);
    Ok(report)
}

/// What [`minmax`] does to each value once the reference's minimum and maximum are known: the
/// map, and the report (`constant`). The evaluator keeps the map instead of the normalised
/// column where the column is only read to be aggregated (see [`PointMap`]).
pub fn minmax_map(
    reference: &[f64],
    direction: Direction,
    scale: Scale,
) -> Result<(PointMap, NormaliseReport), NormaliseError> {
    scale.check()?;
    let (lo, hi) = match direction {
        Direction::Positive => min_max(reference, |v| v),
        Direction::Negative => min_max(reference, |v| -v),
        Direction::Optimum(o) => min_max(reference, |v| -(v - o).abs()),
    };
    let report = NormaliseReport {
        constant: lo == hi,
        ..NormaliseReport::default()
    };
    let map = if report.constant {
        PointMap::Constant(scale.midpoint())
    } else {
        PointMap::MinMax {
            direction,
            lo,
            span: hi - lo,
            scale,
        }
    };
    Ok((map, report))
}

/// A normalisation whose statistics are known, as a function of each value alone: the
/// normalised value of `v` is `apply(v)`, NaN for NaN. [`PointMap::apply`] and
/// [`PointMap::apply_into`] do the same arithmetic in the same order, so a value computed where
/// it is read is bit for bit the one a normalised column would hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PointMap {
    /// Min-max: `scale.map((orient(v) − lo) / span)`.
    MinMax {
        direction: Direction,
        lo: f64,
        span: f64,
        scale: Scale,
    },
    /// Min-max of a constant column: every present value gets this (the scale's midpoint).
    Constant(f64),
}

impl PointMap {
    /// The normalised value of `v`.
    #[inline]
    pub fn apply(&self, v: f64) -> f64 {
        let y = match *self {
            PointMap::Constant(mid) => mid,
            PointMap::MinMax {
                direction,
                lo,
                span,
                scale,
            } => scale.map((direction.orient(v) - lo) / span),
        };
        if v.is_nan() {
            f64::NAN
        } else {
            y
        }
    }

    /// Whether the map's parameters are finite (the span not zero, the scale's width finite):
    /// then a finite value never maps to NaN (an overflow gives an infinity, not NaN).
    pub fn is_finite(&self) -> bool {
        match *self {
            PointMap::Constant(mid) => mid.is_finite(),
            PointMap::MinMax {
                direction,
                lo,
                span,
                scale,
            } => {
                let optimum = match direction {
                    Direction::Optimum(o) => o.is_finite(),
                    _ => true,
                };
                optimum
                    && lo.is_finite()
                    && span.is_finite()
                    && span != 0.0
                    && (scale.hi - scale.lo).is_finite()
            }
        }
    }

    /// `out[i] = apply(x[i])`. The loops are written once per direction, without branches
    /// inside, so that they compile to vector code; the arithmetic is that of `apply`.
    pub fn apply_into(&self, x: &[f64], out: &mut [f64]) {
        match *self {
            PointMap::Constant(mid) => {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = if v.is_nan() { f64::NAN } else { mid };
                }
            }
            PointMap::MinMax {
                direction,
                lo,
                span,
                scale,
            } => match direction {
                Direction::Positive => map_with(out, x, |v| v, lo, span, scale),
                Direction::Negative => map_with(out, x, |v| -v, lo, span, scale),
                Direction::Optimum(o) => map_with(out, x, |v| -(v - o).abs(), lo, span, scale),
            },
        }
    }
}

/// The smallest and largest oriented value, NaN left out (`f64::min` and `max` ignore it).
///
/// Eight lanes at a time, which vectorises. The order of comparisons only matters for a
/// result of zero (0.0 and -0.0 compare equal): then the extreme is taken again in order, so
/// the result is always that of the sequential fold.
#[inline]
fn min_max(x: &[f64], orient: impl Fn(f64) -> f64 + Copy) -> (f64, f64) {
    let sequential = |x: &[f64]| {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &v in x {
            let y = orient(v);
            lo = lo.min(y);
            hi = hi.max(y);
        }
        (lo, hi)
    };
    let mut lo = [f64::INFINITY; 8];
    let mut hi = [f64::NEG_INFINITY; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            let y = orient(c[k]);
            lo[k] = lo[k].min(y);
            hi[k] = hi[k].max(y);
        }
    }
    let (tail_lo, tail_hi) = sequential(chunks.remainder());
    let lo = lo.iter().fold(tail_lo, |a, b| a.min(*b));
    let hi = hi.iter().fold(tail_hi, |a, b| a.max(*b));
    if lo == 0.0 || hi == 0.0 {
        return sequential(x);
    }
    (lo, hi)
}

/// `out = scale.map((orient(x) − lo) / span)`, NaN for NaN.
#[inline]
fn map_with(
    out: &mut [f64],
    x: &[f64],
    orient: impl Fn(f64) -> f64,
    lo: f64,
    span: f64,
    scale: Scale,
) {
    for (o, &v) in out.iter_mut().zip(x) {
        let y = scale.map((orient(v) - lo) / span);
        *o = if v.is_nan() { f64::NAN } else { y };
    }
}

/// Min-max against fixed goalposts, clamped, onto `scale`.
///
/// # Formula
/// Positive: clamp((x − LO)/(HI − LO), 0, 1); negative: clamp((HI − x)/(HI − LO), 0, 1);
/// optimum X (LO ≤ X ≤ HI): (x − LO)/(X − LO) below X, (HI − x)/(HI − X) above, clamped; then
/// onto LO..HI of the scale.
///
/// # Reference
/// LANGUAGE.md "Normalisation" (goalposts and `optimum X` with goalposts); HDI-style dimension
/// index; by hand in the tests.
///
/// # Missing values
/// NaN in, NaN out. Rows clamped are listed in the report's `clamped`.
pub fn goalposts(
    x: &[f64],
    lo: f64,
    hi: f64,
    direction: Direction,
    scale: Scale,
    out: &mut [f64],
) -> Result<NormaliseReport, NormaliseError> {
    check_len(x, out)?;
    scale.check()?;
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(NormaliseError::BadGoalposts { lo, hi });
    }
    if let Direction::Optimum(o) = direction {
        if !(lo..=hi).contains(&o) {
            return Err(NormaliseError::OptimumOutsideGoalposts { optimum: o, lo, hi });
        }
    }
    let attainment = |v: f64| match direction {
        Direction::Positive => (v - lo) / (hi - lo),
        Direction::Negative => (hi - v) / (hi - lo),
        Direction::Optimum(opt) if v == opt => 1.0,
        Direction::Optimum(opt) if v < opt => (v - lo) / (opt - lo),
        Direction::Optimum(opt) => (hi - v) / (hi - opt),
    };
    let outside = |u: f64| !(0.0..=1.0).contains(&u);
    Ok(clamp_onto(x, scale, out, attainment, outside))
}

/// `out = scale.map(clamp(u(x), 0, 1))`, NaN for NaN; the rows whose `u` is `listed` are
/// reported as clamped.
fn clamp_onto(
    x: &[f64],
    scale: Scale,
    out: &mut [f64],
    u: impl Fn(f64) -> f64,
    listed: impl Fn(f64) -> bool,
) -> NormaliseReport {
    let mut report = NormaliseReport::default();
    for (i, (o, &v)) in out.iter_mut().zip(x).enumerate() {
        if v.is_nan() {
            *o = f64::NAN;
            continue;
        }
        let u = u(v);
        if listed(u) {
            report.clamped.push(i);
        }
        *o = scale.map(u.clamp(0.0, 1.0));
    }
    report
}

/// Standardisation to mean M and spread S (`zscore M, S`; defaults 0, 1).
///
/// # Formula
/// y = orient(x); M + S·(y − ȳ)/sd(y), sd with n − 1. A constant column (or a single value)
/// gives M and sets `constant`.
///
/// # Reference
/// LANGUAGE.md "Normalisation"; COINr `n_zscore`; by hand in the tests.
///
/// # Missing values
/// NaN in, NaN out; mean and sd over the present values.
///
/// # Reference rows
/// The mean and sd are taken over `reference`.
/// Pass `x` itself for the column's own.
pub fn zscore(
    x: &[f64],
    reference: &[f64],
    mean: f64,
    sd: f64,
    direction: Direction,
    out: &mut [f64],
) -> Result<NormaliseReport, NormaliseError> {
    check_len(x, out)?;
    if !(mean.is_finite() && sd.is_finite() && sd > 0.0) {
        return Err(NormaliseError::BadZScore { mean, sd });
    }
    let oriented: Vec<f64> = reference.iter().map(|&v| direction.orient(v)).collect();
    let (m, s) = (stats::mean(&oriented), stats::sd(&oriented));
    // sd is NaN for a single value and 0 for a constant column: both give M.
    let constant = !m.is_nan() && (s.is_nan() || s == 0.0);
    for (o, &v) in out.iter_mut().zip(x) {
        let y = direction.orient(v);
        *o = if y.is_nan() {
            f64::NAN
        } else if constant {
            mean
        } else {
            mean + sd * (y - m) / s
        };
    }
    Ok(NormaliseReport {
        constant,
        ..Default::default()
    })
}

/// Ascending rank, 1 = worst, n = best, ties sharing the lowest rank.
///
/// # Formula
/// rank of orient(x) in ascending order, R `rank(ties = "min")`.
///
/// # Reference
/// LANGUAGE.md "Normalisation"; by hand in the tests.
///
/// # Missing values
/// NaN gets no rank (NaN); n counts the present values.
///
/// # Reference rows
/// Ranks among the values of `reference`: 1 + the number of reference values below (ties
/// share the lowest rank, as R's `ties = "min"`).
/// Pass `x` itself for the column's own.
pub fn rank(
    x: &[f64],
    reference: &[f64],
    direction: Direction,
    out: &mut [f64],
) -> Result<NormaliseReport, NormaliseError> {
    check_len(x, out)?;
    if std::ptr::eq(x, reference) {
        let y: Vec<f64> = x.iter().map(|&v| direction.orient(v)).collect();
        competition_ranks(&y, Order::LowestFirst, out);
        return Ok(NormaliseReport::default());
    }
    let mut sorted: Vec<f64> = stats::present(reference)
        .map(|v| direction.orient(v))
        .collect();
    sorted.sort_by(f64::total_cmp);
    for (o, &v) in out.iter_mut().zip(x) {
        let y = direction.orient(v);
        *o = if y.is_nan() {
            f64::NAN
        } else {
            (1 + sorted.partition_point(|r| *r < y)) as f64
        };
    }
    Ok(NormaliseReport::default())
}

/// Percentile rank onto `scale` (OECD/JRC Handbook, Table 15).
///
/// # Formula
/// [`rank`] / n onto LO..HI, n = the number of present values (the best unit gets HI).
///
/// # Reference
/// LANGUAGE.md "Normalisation"; by hand in the tests.
///
/// # Missing values
/// NaN in, NaN out.
///
/// # Reference rows
/// Ranks and n are taken over `reference`.
/// Pass `x` itself for the column's own.
pub fn percentile(
    x: &[f64],
    reference: &[f64],
    direction: Direction,
    scale: Scale,
    out: &mut [f64],
) -> Result<NormaliseReport, NormaliseError> {
    scale.check()?;
    rank(x, reference, direction, out)?;
    let n = stats::count(reference) as f64;
    for o in out.iter_mut().filter(|o| !o.is_nan()) {
        *o = scale.map((*o / n).min(1.0));
    }
    Ok(NormaliseReport::default())
}

/// Target attainment (达标率) onto `scale`.
///
/// # Formula
/// Positive: min(x/T, 1); negative: min(T/x, 1) (1 for x ≤ 0, which is below any positive
/// target); onto LO..HI. Our addition: attainment below 0 (a negative x with direction positive)
/// is clamped to 0 and listed in `clamped`.
///
/// # Reference
/// LANGUAGE.md "Normalisation"; by hand in the tests.
///
/// # Missing values
/// NaN in, NaN out. T must be positive; `direction optimum` is an error.
pub fn target(
    x: &[f64],
    t: f64,
    direction: Direction,
    scale: Scale,
    out: &mut [f64],
) -> Result<NormaliseReport, NormaliseError> {
    check_len(x, out)?;
    scale.check()?;
    if !(t.is_finite() && t > 0.0) {
        return Err(NormaliseError::TargetNotPositive { target: t });
    }
    if let Direction::Optimum(_) = direction {
        return Err(NormaliseError::DirectionNotSupported {
            method: "target",
            direction,
        });
    }
    let attainment = |v: f64| match direction {
        Direction::Negative if v <= 0.0 => 1.0,
        Direction::Negative => t / v,
        _ => v / t,
    };
    Ok(clamp_onto(x, scale, out, attainment, |u| u < 0.0))
}

/// Ratio to a reference value (unscaled).
///
/// # Formula
/// x / r, r = the mean, max or min of the present values, or a given value.
///
/// # Reference
/// LANGUAGE.md "Normalisation"; by hand in the tests.
///
/// # Missing values
/// NaN in, NaN out; an all-missing column stays missing. Only `direction positive` (others are
/// an error: invert in the formula); a zero or missing reference is an error.
///
/// # Reference rows
/// The mean, max or min is taken over `reference`.
/// Pass `x` itself for the column's own.
pub fn ratio(
    x: &[f64],
    reference: &[f64],
    to: &RatioTo,
    direction: Direction,
    out: &mut [f64],
) -> Result<NormaliseReport, NormaliseError> {
    check_len(x, out)?;
    if direction != Direction::Positive {
        return Err(NormaliseError::DirectionNotSupported {
            method: "ratio",
            direction,
        });
    }
    if stats::count(reference) == 0 && matches!(to, RatioTo::Mean | RatioTo::Max | RatioTo::Min) {
        out.fill(f64::NAN);
        return Ok(NormaliseReport::default());
    }
    let r = match to {
        RatioTo::Mean => stats::mean(reference),
        RatioTo::Max => stats::max(reference),
        RatioTo::Min => stats::min(reference),
        RatioTo::Value(v) => *v,
        RatioTo::Unit(name) => return Err(NormaliseError::UnresolvedUnit { name: name.clone() }),
    };
    if r == 0.0 || !r.is_finite() {
        return Err(NormaliseError::ZeroReference { reference: r });
    }
    for (o, &v) in out.iter_mut().zip(x) {
        *o = v / r;
    }
    Ok(NormaliseReport::default())
}

/// Vector normalisation (for TOPSIS), unscaled.
///
/// # Formula
/// y = orient(x); y / √Σy². Negative: −x/√Σx², so `aggregate topsis` over these values is
/// textbook TOPSIS with cost criteria. An all-zero column gives 0 and sets `constant`.
///
/// # Reference
/// LANGUAGE.md "Normalisation"; `weights_topsis.json` (TOPSIS, vector variant) via
/// `aggregate::topsis`.
///
/// # Missing values
/// NaN in, NaN out; the norm is over the present values.
///
/// # Reference rows
/// The norm is taken over `reference`.
/// Pass `x` itself for the column's own.
pub fn vector(
    x: &[f64],
    reference: &[f64],
    direction: Direction,
    out: &mut [f64],
) -> Result<NormaliseReport, NormaliseError> {
    check_len(x, out)?;
    let norm = stats::present(reference)
        .map(|v| direction.orient(v))
        .map(|y| y * y)
        .sum::<f64>()
        .sqrt();
    let constant = norm == 0.0 && stats::count(reference) > 0;
    for (o, &v) in out.iter_mut().zip(x) {
        let y = direction.orient(v);
        *o = if y.is_nan() {
            f64::NAN
        } else if constant {
            0.0
        } else {
            y / norm
        };
    }
    Ok(NormaliseReport {
        constant,
        ..Default::default()
    })
}

/// Scores from bands; the direction is ignored.
///
/// # Formula
/// The score of the first row, top-down, whose comparison holds; else the `else` score; no
/// match (no `else` row): missing, listed in `unmatched`.
///
/// # Reference
/// LANGUAGE.md "Normalisation"; by hand in the tests.
///
/// # Missing values
/// NaN in, NaN out (not counted as unmatched).
pub fn bands(
    x: &[f64],
    bands: &[Band],
    out: &mut [f64],
) -> Result<NormaliseReport, NormaliseError> {
    check_len(x, out)?;
    let mut report = NormaliseReport::default();
    for (i, (o, &v)) in out.iter_mut().zip(x).enumerate() {
        if v.is_nan() {
            *o = f64::NAN;
            continue;
        }
        *o = match bands.iter().find(|b| b.op.holds(v, b.threshold)) {
            Some(b) => b.score,
            None => {
                report.unmatched.push(i);
                f64::NAN
            }
        };
    }
    Ok(report)
}

/// No normalisation: the oriented value (x, −x, or −|x − X|).
///
/// # Missing values
/// NaN in, NaN out.
pub fn none(
    x: &[f64],
    direction: Direction,
    out: &mut [f64],
) -> Result<NormaliseReport, NormaliseError> {
    check_len(x, out)?;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = direction.orient(v);
    }
    Ok(NormaliseReport::default())
}

#[cfg(test)]
mod min_max_tests {
    use super::*;

    /// The eight-lane extremes equal the sequential fold bit for bit, zeros of both signs and
    /// missing values included.
    #[test]
    fn lanes_equal_the_sequential_fold() {
        let mut state = 3u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        for case in 0..300 {
            let n = (next() % 40) as usize;
            let x: Vec<f64> = (0..n)
                .map(|_| match next() % 6 {
                    0 => f64::NAN,
                    1 => 0.0,
                    2 => -0.0,
                    _ => (next() % 100) as f64 - if case % 2 == 0 { 0.0 } else { 50.0 },
                })
                .collect();
            for orient in [|v: f64| v, |v: f64| -v] {
                let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
                for &v in &x {
                    lo = lo.min(orient(v));
                    hi = hi.max(orient(v));
                }
                let (l, h) = min_max(&x, orient);
                assert_eq!(
                    (l.to_bits(), h.to_bits()),
                    (lo.to_bits(), hi.to_bits()),
                    "{x:?}"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::tolerance::{assert_all_close, EXACT};

    const NAN: f64 = f64::NAN;
    const POS: Direction = Direction::Positive;
    const NEG: Direction = Direction::Negative;

    fn run(x: &[f64], m: &Normalise, d: Direction, s: Scale) -> (Vec<f64>, NormaliseReport) {
        let mut out = vec![0.0; x.len()];
        let r = normalise(x, m, d, s, &mut out).unwrap();
        (out, r)
    }

    /// Source: by hand, min 10, max 40.
    #[test]
    fn minmax_directions() {
        let x = [10.0, 20.0, NAN, 40.0];
        let (p, r) = run(&x, &Normalise::MinMax, POS, Scale::DEFAULT);
        assert_all_close(&p, &[0.0, 100.0 / 3.0, NAN, 100.0], EXACT, "positive");
        assert!(!r.constant);
        let (n, _) = run(&x, &Normalise::MinMax, NEG, Scale::DEFAULT);
        assert_all_close(&n, &[100.0, 200.0 / 3.0, NAN, 0.0], EXACT, "negative");
        // optimum 20: −|x − 20| = −10, 0, −20 → (y + 20)/20.
        let (o, _) = run(
            &x,
            &Normalise::MinMax,
            Direction::Optimum(20.0),
            Scale::DEFAULT,
        );
        assert_all_close(&o, &[50.0, 100.0, NAN, 0.0], EXACT, "optimum");
        let (s, _) = run(&x, &Normalise::MinMax, POS, Scale { lo: 1.0, hi: 10.0 });
        assert_all_close(&s, &[1.0, 4.0, NAN, 10.0], EXACT, "scale 1..10");
    }

    /// Source: LANGUAGE.md (a constant column gives the scale's midpoint, with a warning).
    #[test]
    fn minmax_constant() {
        let (c, r) = run(&[3.0, NAN, 3.0], &Normalise::MinMax, POS, Scale::DEFAULT);
        assert_all_close(&c, &[50.0, NAN, 50.0], 0.0, "constant");
        assert!(r.constant);
    }

    /// Source: by hand, goalposts 80..100 (the pass-rate example of LANGUAGE.md).
    #[test]
    fn goalposts_clamp_and_direction() {
        let g = Normalise::Goalposts(80.0, 100.0);
        let x = [75.0, 80.0, 90.0, 105.0, NAN];
        let (p, r) = run(&x, &g, POS, Scale::DEFAULT);
        assert_all_close(&p, &[0.0, 0.0, 50.0, 100.0, NAN], EXACT, "positive");
        assert_eq!(r.clamped, vec![0, 3]);
        let (n, r) = run(&x, &g, NEG, Scale::DEFAULT);
        assert_all_close(&n, &[100.0, 100.0, 50.0, 0.0, NAN], EXACT, "negative");
        assert_eq!(r.clamped, vec![0, 3]);
    }

    /// Source: LANGUAGE.md, optimum X with goalposts: (x − LO)/(X − LO) below, (HI − x)/(HI − X) above.
    #[test]
    fn goalposts_with_optimum() {
        let g = Normalise::Goalposts(80.0, 100.0);
        let x = [85.0, 90.0, 95.0, 100.0, 70.0, 82.0];
        let (o, r) = run(&x, &g, Direction::Optimum(90.0), Scale::DEFAULT);
        assert_all_close(&o, &[50.0, 100.0, 50.0, 0.0, 0.0, 20.0], EXACT, "optimum");
        assert_eq!(r.clamped, vec![4]);
        let mut out = [0.0; 6];
        assert!(matches!(
            normalise(&x, &g, Direction::Optimum(120.0), Scale::DEFAULT, &mut out),
            Err(NormaliseError::OptimumOutsideGoalposts { .. })
        ));
        let bad = Normalise::Goalposts(100.0, 80.0);
        assert!(matches!(
            normalise(&x, &bad, POS, Scale::DEFAULT, &mut out),
            Err(NormaliseError::BadGoalposts { .. })
        ));
    }

    /// Source: by hand, mean 2, sd 1.
    #[test]
    fn zscore_m_s() {
        let z = Normalise::ZScore {
            mean: 100.0,
            sd: 10.0,
        };
        let (p, _) = run(&[1.0, 2.0, NAN, 3.0], &z, POS, Scale::DEFAULT);
        assert_all_close(&p, &[90.0, 100.0, NAN, 110.0], EXACT, "positive");
        let (n, _) = run(&[1.0, 2.0, NAN, 3.0], &z, NEG, Scale::DEFAULT);
        assert_all_close(&n, &[110.0, 100.0, NAN, 90.0], EXACT, "negative");
        let (c, r) = run(&[4.0, 4.0], &z, POS, Scale::DEFAULT);
        assert_all_close(&c, &[100.0, 100.0], 0.0, "constant");
        assert!(r.constant);
    }

    /// Source: by hand, R rank(ties = "min") of x and of −x.
    #[test]
    fn rank_and_percentile() {
        let x = [3.0, 1.0, 3.0, 2.0, NAN];
        let (p, _) = run(&x, &Normalise::Rank, POS, Scale::DEFAULT);
        assert_all_close(&p, &[3.0, 1.0, 3.0, 2.0, NAN], 0.0, "rank");
        let (n, _) = run(&x, &Normalise::Rank, NEG, Scale::DEFAULT);
        assert_all_close(&n, &[1.0, 4.0, 1.0, 3.0, NAN], 0.0, "rank negative");
        let (q, _) = run(&x, &Normalise::Percentile, POS, Scale::DEFAULT);
        assert_all_close(&q, &[75.0, 25.0, 75.0, 50.0, NAN], EXACT, "percentile");
    }

    /// Source: by hand, target 80.
    #[test]
    fn target_attainment() {
        let (p, r) = run(
            &[40.0, 80.0, 120.0, -5.0, NAN],
            &Normalise::Target(80.0),
            POS,
            Scale::DEFAULT,
        );
        assert_all_close(&p, &[50.0, 100.0, 100.0, 0.0, NAN], EXACT, "positive");
        assert_eq!(r.clamped, vec![3]);
        let (n, _) = run(
            &[40.0, 80.0, 160.0, 0.0],
            &Normalise::Target(80.0),
            NEG,
            Scale::DEFAULT,
        );
        assert_all_close(&n, &[100.0, 100.0, 50.0, 100.0], EXACT, "negative");
        let mut out = [0.0; 1];
        assert!(matches!(
            normalise(
                &[1.0],
                &Normalise::Target(0.0),
                POS,
                Scale::DEFAULT,
                &mut out
            ),
            Err(NormaliseError::TargetNotPositive { .. })
        ));
    }

    /// Source: by hand, mean 2, max 3, min 1.
    #[test]
    fn ratios() {
        let x = [1.0, 2.0, 3.0, NAN];
        let (m, _) = run(&x, &Normalise::Ratio(RatioTo::Mean), POS, Scale::DEFAULT);
        assert_all_close(&m, &[0.5, 1.0, 1.5, NAN], EXACT, "mean");
        let (m, _) = run(&x, &Normalise::Ratio(RatioTo::Max), POS, Scale::DEFAULT);
        assert_all_close(&m, &[1.0 / 3.0, 2.0 / 3.0, 1.0, NAN], EXACT, "max");
        let (m, _) = run(
            &x,
            &Normalise::Ratio(RatioTo::Value(4.0)),
            POS,
            Scale::DEFAULT,
        );
        assert_all_close(&m, &[0.25, 0.5, 0.75, NAN], EXACT, "value");
        let mut out = [0.0; 4];
        assert!(matches!(
            normalise(
                &x,
                &Normalise::Ratio(RatioTo::Min),
                NEG,
                Scale::DEFAULT,
                &mut out
            ),
            Err(NormaliseError::DirectionNotSupported { .. })
        ));
        assert!(matches!(
            normalise(
                &[0.0, 0.0],
                &Normalise::Ratio(RatioTo::Mean),
                POS,
                Scale::DEFAULT,
                &mut out[..2]
            ),
            Err(NormaliseError::ZeroReference { .. })
        ));
    }

    /// Source: by hand, the 3-4-5 triangle.
    #[test]
    fn vector_norm() {
        let (p, _) = run(&[3.0, NAN, 4.0], &Normalise::Vector, POS, Scale::DEFAULT);
        assert_all_close(&p, &[0.6, NAN, 0.8], EXACT, "positive");
        let (n, _) = run(&[3.0, NAN, 4.0], &Normalise::Vector, NEG, Scale::DEFAULT);
        assert_all_close(&n, &[-0.6, NAN, -0.8], EXACT, "negative");
        let (z, r) = run(&[0.0, 0.0], &Normalise::Vector, POS, Scale::DEFAULT);
        assert_all_close(&z, &[0.0, 0.0], 0.0, "zero");
        assert!(r.constant);
    }

    /// Source: LANGUAGE.md example `bands { >= 10000: 100, >= 1000: 60, else: 20 }`, by hand.
    #[test]
    fn bands_first_match() {
        let b = vec![
            Band {
                op: BandOp::Ge,
                threshold: 10000.0,
                score: 100.0,
            },
            Band {
                op: BandOp::Ge,
                threshold: 1000.0,
                score: 60.0,
            },
            Band {
                op: BandOp::Else,
                threshold: 0.0,
                score: 20.0,
            },
        ];
        let x = [50000.0, 10000.0, 999.0, 1000.0, NAN];
        let (s, r) = run(&x, &Normalise::Bands(b), NEG, Scale::DEFAULT);
        assert_all_close(&s, &[100.0, 100.0, 20.0, 60.0, NAN], 0.0, "with else");
        assert!(r.unmatched.is_empty());
        let b = vec![
            Band {
                op: BandOp::Gt,
                threshold: 5.0,
                score: 1.0,
            },
            Band {
                op: BandOp::Le,
                threshold: 0.0,
                score: 0.0,
            },
            Band {
                op: BandOp::Lt,
                threshold: 2.0,
                score: 0.5,
            },
        ];
        let (s, r) = run(
            &[6.0, 3.0, -1.0, 1.0],
            &Normalise::Bands(b),
            POS,
            Scale::DEFAULT,
        );
        assert_all_close(&s, &[1.0, NAN, 0.0, 0.5], 0.0, "without else");
        assert_eq!(r.unmatched, vec![1]);
    }

    #[test]
    fn none_and_errors() {
        let (n, _) = run(&[1.0, NAN], &Normalise::None, NEG, Scale::DEFAULT);
        assert_all_close(&n, &[-1.0, NAN], 0.0, "none negative");
        let mut short = [0.0; 1];
        assert_eq!(
            minmax(&[1.0, 2.0], &[1.0, 2.0], POS, Scale::DEFAULT, &mut short),
            Err(NormaliseError::LengthMismatch {
                input: 2,
                output: 1
            })
        );
        let mut out = [0.0; 2];
        assert!(matches!(
            minmax(
                &[1.0, 2.0],
                &[1.0, 2.0],
                POS,
                Scale { lo: 5.0, hi: 5.0 },
                &mut out
            ),
            Err(NormaliseError::BadScale { .. })
        ));
    }
}

#[cfg(test)]
mod against_tests {
    use super::*;

    /// Statistics from the units only, applied to every row (the regional aggregates of the
    /// HDI under `units where`): by hand.
    #[test]
    fn reference_rows_set_the_statistics() {
        let units = [10.0, 20.0, 30.0];
        let all = [10.0, 20.0, 30.0, 40.0, 5.0];
        let mut out = [0.0; 5];
        minmax(&all, &units, Direction::Positive, Scale::DEFAULT, &mut out).unwrap();
        assert_eq!(out, [0.0, 50.0, 100.0, 150.0, -25.0]);
        rank(&all, &units, Direction::Positive, &mut out).unwrap();
        // 1 + the number of units below: 40 is above all three, 5 below all.
        assert_eq!(out, [1.0, 2.0, 3.0, 4.0, 1.0]);
        percentile(&all, &units, Direction::Positive, Scale::DEFAULT, &mut out).unwrap();
        let want = [100.0 / 3.0, 200.0 / 3.0, 100.0, 100.0, 100.0 / 3.0];
        assert!(
            out.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12),
            "{out:?}"
        );
        // The plain functions are the "against themselves" case.
        let mut plain = [0.0; 3];
        let mut against = [0.0; 3];
        for m in [
            Normalise::MinMax,
            Normalise::ZScore {
                mean: 100.0,
                sd: 10.0,
            },
            Normalise::Rank,
            Normalise::Percentile,
            Normalise::Vector,
        ] {
            normalise(&units, &m, Direction::Negative, Scale::DEFAULT, &mut plain).unwrap();
            normalise_against(
                &units,
                &units.clone(),
                &m,
                Direction::Negative,
                Scale::DEFAULT,
                &mut against,
            )
            .unwrap();
            assert_eq!(plain, against, "{m:?}");
        }
    }
}

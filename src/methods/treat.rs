//! Treatment of indicator values: transforms, `winsorise auto` and percentile clipping.

use super::stats;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `transform log|log1p|sqrt|none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    #[default]
    None,
    /// Natural logarithm; defined for x > 0.
    Log,
    /// ln(1 + x); defined for x > −1 (so zero counts are fine).
    Log1p,
    /// Square root; defined for x ≥ 0.
    Sqrt,
}

impl Transform {
    /// The transformed value, NaN outside the domain (and for NaN). Use this for goalposts,
    /// targets, optima and band thresholds, which are transformed with the values.
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Transform::None => x,
            Transform::Log if x > 0.0 => x.ln(),
            Transform::Log1p if x > -1.0 => x.ln_1p(),
            Transform::Sqrt if x >= 0.0 => x.sqrt(),
            _ => f64::NAN,
        }
    }
}

impl fmt::Display for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transform::None => "none",
            Transform::Log => "log",
            Transform::Log1p => "log1p",
            Transform::Sqrt => "sqrt",
        })
    }
}

/// `winsorise none|auto|P1..P2`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Winsorise {
    None,
    /// COINr's rule: [`winsorise_auto`].
    Auto,
    /// Clip at these quantiles (fractions): [`clip_percentiles`].
    Percentiles(f64, f64),
}

/// Transforms a column in place; returns the rows whose value was present but outside the
/// domain and is now missing (to be counted and reported).
///
/// # Formula
/// `log`: ln x (x > 0); `log1p`: ln(1 + x) (x > −1); `sqrt`: √x (x ≥ 0); `none`: x.
///
/// # Reference
/// LANGUAGE.md "Settings" (`transform`) and "Expressions" (a log of a non-positive number gives a
/// missing value, counted and reported); by hand in the tests.
///
/// # Missing values
/// NaN stays NaN (not counted); out-of-domain values become NaN (counted).
pub fn transform(x: &mut [f64], t: Transform) -> Vec<usize> {
    let mut invalid = Vec::new();
    if t == Transform::None {
        return invalid;
    }
    for (i, v) in x.iter_mut().enumerate() {
        if v.is_nan() {
            continue;
        }
        *v = t.apply(*v);
        if v.is_nan() {
            invalid.push(i);
        }
    }
    invalid
}

/// What `winsorise auto` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WinsoriseOutcome {
    /// The values passed the skewness/kurtosis test as they were; nothing changed.
    Passed,
    /// Winsorising the rows in `changed` made the values pass.
    Winsorised,
    /// Winsorising did not make them pass: the log fallback replaced every present value
    /// (flag it in the report).
    LogFallback,
    /// Fewer than 4 values present: skipped (warn).
    TooFew,
}

/// The report of [`winsorise_auto`].
#[derive(Debug, Clone, PartialEq)]
pub struct WinsoriseReport {
    pub outcome: WinsoriseOutcome,
    /// Rows changed by winsorising, ascending. With [`WinsoriseOutcome::LogFallback`] these are
    /// the rows winsorising changed before it was abandoned (the values are the log ones).
    pub changed: Vec<usize>,
    /// Skewness G1 of the final values (NaN if undefined).
    pub skewness: f64,
    /// Excess kurtosis G2 of the final values (NaN if undefined).
    pub kurtosis: f64,
}

/// COINr's thresholds: pass when |G1| < 2 or G2 < 3.5.
const SKEW_THRESHOLD: f64 = 2.0;
const KURT_THRESHOLD: f64 = 3.5;
/// Winsorising stops once this many points have been changed.
const MAX_WINSORISED: usize = 5;

/// Whether values pass COINr's test; undefined statistics (constant data) pass.
fn passes(x: &[f64]) -> bool {
    let (s, k) = (stats::skewness(x), stats::kurtosis(x));
    !(s.abs() >= SKEW_THRESHOLD && k >= KURT_THRESHOLD)
}

/// `winsorise auto`: COINr's rule with its log fallback, in place.
///
/// # Formula
/// Pass when |G1| < 2 or G2 < 3.5 ([`stats::skewness`], [`stats::kurtosis`]). While failing
/// and fewer than 5 points have been changed: if G1 ≥ 0, set the maximum value(s) to the next
/// largest value, else the minimum value(s) to the next smallest; re-check after each step
/// (tied extremes all change together, so more than 5 points may change). If it still fails,
/// use ln(x − min + 0.01·(max − min)) of the original values instead (COINr `log_CT`).
///
/// # Reference
/// LANGUAGE.md "Conventions"; COINr `winsorise()`, `check_SkewKurt()` and `log_CT()`
/// (defaults winmax = 5, skew_thresh = 2, kurt_thresh = 3.5); tests by hand with exact moments.
///
/// # Missing values
/// NaN ignored and left as is; fewer than 4 present values: nothing changes,
/// [`WinsoriseOutcome::TooFew`].
pub fn winsorise_auto(x: &mut [f64]) -> WinsoriseReport {
    let report = |outcome, changed, x: &[f64]| WinsoriseReport {
        outcome,
        changed,
        skewness: stats::skewness(x),
        kurtosis: stats::kurtosis(x),
    };
    if stats::count(x) < 4 {
        return report(WinsoriseOutcome::TooFew, Vec::new(), x);
    }
    if passes(x) {
        return report(WinsoriseOutcome::Passed, Vec::new(), x);
    }
    let original = x.to_vec();
    let mut changed: Vec<usize> = Vec::new();
    while !passes(x) && changed.len() < MAX_WINSORISED {
        let high = stats::skewness(x) >= 0.0;
        let extreme = if high { stats::max(x) } else { stats::min(x) };
        let next = stats::present(x)
            .filter(|&v| v != extreme)
            .fold(f64::NAN, if high { f64::max } else { f64::min });
        if next.is_nan() {
            break; // all values equal: cannot happen while failing, but never loop forever
        }
        for (i, v) in x.iter_mut().enumerate() {
            if *v == extreme {
                *v = next;
                if !changed.contains(&i) {
                    changed.push(i);
                }
            }
        }
    }
    changed.sort_unstable();
    if passes(x) {
        return report(WinsoriseOutcome::Winsorised, changed, x);
    }
    let (lo, hi) = (stats::min(&original), stats::max(&original));
    let shift = 0.01 * (hi - lo);
    for (v, &o) in x.iter_mut().zip(&original) {
        *v = (o - lo + shift).ln();
    }
    report(WinsoriseOutcome::LogFallback, changed, x)
}

/// Why a treatment could not run.
#[derive(Debug, Clone, PartialEq)]
pub enum TreatError {
    /// `winsorise 95%..5%`: the percentiles must satisfy 0 ≤ LO < HI ≤ 1.
    BadPercentiles { lo: f64, hi: f64 },
}

impl fmt::Display for TreatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TreatError::BadPercentiles { lo, hi } => write!(
                f,
                "winsorise {}%..{}%: the percentiles must be increasing, within 0%..100%",
                lo * 100.0,
                hi * 100.0
            ),
        }
    }
}

impl std::error::Error for TreatError {}

/// `winsorise LO%..HI%`: clips the values at those percentiles, in place; returns the rows
/// changed.
///
/// # Formula
/// x ← clamp(x, Q(LO), Q(HI)), Q the type-7 quantile ([`stats::quantile`]) of the present values.
///
/// # Reference
/// LANGUAGE.md "Conventions"; R `quantile(type = 7)`; by hand in the tests.
///
/// # Missing values
/// NaN ignored and left as is. `lo` and `hi` are fractions (5% = 0.05).
pub fn clip_percentiles(x: &mut [f64], lo: f64, hi: f64) -> Result<Vec<usize>, TreatError> {
    if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo >= hi {
        return Err(TreatError::BadPercentiles { lo, hi });
    }
    let mut sorted: Vec<f64> = stats::present(x).collect();
    sorted.sort_by(f64::total_cmp);
    let (qlo, qhi) = (
        stats::quantile_sorted(&sorted, lo),
        stats::quantile_sorted(&sorted, hi),
    );
    let mut changed = Vec::new();
    for (i, v) in x.iter_mut().enumerate() {
        if *v < qlo {
            *v = qlo;
            changed.push(i);
        } else if *v > qhi {
            *v = qhi;
            changed.push(i);
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::tolerance::{assert_all_close, assert_close, EXACT};

    const NAN: f64 = f64::NAN;

    /// Source: by hand.
    #[test]
    fn transforms_and_domains() {
        let mut x = [1.0, 0.0, -0.5, -2.0, NAN, 4.0];
        let mut l = x;
        assert_eq!(transform(&mut l, Transform::Log), vec![1, 2, 3]);
        assert_all_close(&l, &[0.0, NAN, NAN, NAN, NAN, 4f64.ln()], EXACT, "log");
        let mut p = x;
        assert_eq!(transform(&mut p, Transform::Log1p), vec![3]);
        assert_all_close(
            &p,
            &[2f64.ln(), 0.0, 0.5f64.ln(), NAN, NAN, 5f64.ln()],
            EXACT,
            "log1p",
        );
        let mut s = x;
        assert_eq!(transform(&mut s, Transform::Sqrt), vec![2, 3]);
        assert_all_close(&s, &[1.0, 0.0, NAN, NAN, NAN, 2.0], EXACT, "sqrt");
        assert!(transform(&mut x, Transform::None).is_empty());
        assert_eq!(Transform::Log.apply(100.0), 100f64.ln());
    }

    /// Source: COINr's `winsorise()` example, x = c(1:10, 30, 100): one step (100 → 30) brings
    /// G1 from 3.06 to 1.71 (by hand, exact moments).
    #[test]
    fn winsorise_coinr_example() {
        let mut x: Vec<f64> = (1..=10).map(f64::from).chain([30.0, 100.0, NAN]).collect();
        let r = winsorise_auto(&mut x);
        assert_eq!(r.outcome, WinsoriseOutcome::Winsorised);
        assert_eq!(r.changed, vec![11]);
        assert_eq!(x[11], 30.0);
        assert!(x[12].is_nan());
        assert_close(r.skewness, 1.7120380600890506, EXACT, "G1 after");
        assert_close(r.kurtosis, 1.8157805377242044, EXACT, "G2 after");
    }

    /// Source: by hand; the mirror image winsorises the minimum (G1 = −2.89 before).
    #[test]
    fn winsorise_low_outliers() {
        let mut x: Vec<f64> = [-100.0, -30.0]
            .into_iter()
            .chain((1..=10).map(f64::from))
            .collect();
        let r = winsorise_auto(&mut x);
        assert_eq!(r.outcome, WinsoriseOutcome::Winsorised);
        assert_eq!(r.changed, vec![0]);
        assert_eq!(x[0], -30.0);
    }

    /// Source: by hand; 60 ones then 100, 200, 300, 300, 500, ..., 800: after four single
    /// steps the tied 300s join the block at once, so 6 points change; it still fails
    /// (G1 ≥ 2, G2 ≥ 3.5), and the log fallback ln(x − 1 + 7.99) is used on the originals.
    #[test]
    fn winsorise_ties_and_log_fallback() {
        let tail = [100.0, 200.0, 300.0, 300.0, 500.0, 600.0, 700.0, 800.0];
        let mut x: Vec<f64> = std::iter::repeat_n(1.0, 60).chain(tail).collect();
        let r = winsorise_auto(&mut x);
        assert_eq!(r.outcome, WinsoriseOutcome::LogFallback);
        assert_eq!(r.changed, (62..68).collect::<Vec<_>>());
        assert_close(x[0], 7.99f64.ln(), EXACT, "log of min");
        assert_close(x[67], (799.0f64 + 7.99).ln(), EXACT, "log of max");
    }

    #[test]
    fn winsorise_passes_or_skips() {
        let mut x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let r = winsorise_auto(&mut x);
        assert_eq!((r.outcome, r.changed.len()), (WinsoriseOutcome::Passed, 0));
        let mut few = [1.0, 2.0, 1000.0, NAN];
        assert_eq!(winsorise_auto(&mut few).outcome, WinsoriseOutcome::TooFew);
        assert_eq!(few[2], 1000.0);
        let mut constant = [3.0; 6];
        assert_eq!(
            winsorise_auto(&mut constant).outcome,
            WinsoriseOutcome::Passed
        );
    }

    /// Source: by hand, type-7 quantiles of 1..=11 at 10% and 90% are 2 and 10.
    #[test]
    fn percentile_clipping() {
        let mut x: Vec<f64> = (1..=11).map(f64::from).chain([NAN]).collect();
        let changed = clip_percentiles(&mut x, 0.10, 0.90).unwrap();
        assert_eq!(changed, vec![0, 10]);
        assert_eq!((x[0], x[1], x[9], x[10]), (2.0, 2.0, 10.0, 10.0));
        assert!(x[11].is_nan());
        assert_eq!(
            clip_percentiles(&mut x, 0.9, 0.1),
            Err(TreatError::BadPercentiles { lo: 0.9, hi: 0.1 })
        );
    }
}

//! Aggregation of children into a group score, row by row over whole columns.
//!
//! Every function takes one column per child (`&[C]`, `C: AsRef<[f64]>`), one weight per
//! child, the `coverage` fraction, and writes one score per row into `out`. A row aggregates
//! over the children present (NaN skipped, weights renormalised); it is missing when no child
//! is present or when the present children carry less than `coverage` of the total weight.

use super::normalise::Scale;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Slack when comparing a share of weight with `coverage` or with ½ (weights are decimals).
const WEIGHT_TOL: f64 = 1e-12;

/// `aggregate METHOD` for the methods that work row by row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    Arithmetic,
    Geometric,
    Harmonic,
    /// The power mean with exponent P; `Power(0.0)` is the geometric mean, `Power(1.0)` the
    /// arithmetic one.
    Power(f64),
    Min,
    Median,
}

/// What an aggregation noticed, for the caller's warnings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AggregateReport {
    /// Rows where a zero input made a geometric, harmonic or power (P < 0) mean 0.
    pub zero_rows: Vec<usize>,
    /// Rows made missing by `coverage` (some children present, but too little weight).
    pub uncovered: Vec<usize>,
    /// Rows where TOPSIS was undefined (every present child at once ideal and anti-ideal): they
    /// get the scale's midpoint.
    pub undefined: Vec<usize>,
}

/// Why an aggregation could not run. Indices are 0-based.
#[derive(Debug, Clone, PartialEq)]
pub enum AggregateError {
    /// A group without children.
    NoChildren,
    /// A child's column (or `out`) is not as long as the first child's.
    LengthMismatch {
        child: usize,
        len: usize,
        expected: usize,
    },
    /// Not one weight per child.
    WeightCount { weights: usize, children: usize },
    /// A weight that is negative or not a number.
    BadWeight { child: usize, weight: f64 },
    /// `coverage` outside 0..=1.
    BadCoverage { coverage: f64 },
    /// `power P` with a P that is not a number.
    BadPower { p: f64 },
    /// A negative value fed to `geometric`, `harmonic` or `power P` (P ≠ 1), e.g. a z-score;
    /// suggest `zscore(100, 10)` or `scale 1..100`.
    NegativeInput {
        row: usize,
        child: usize,
        value: f64,
    },
}

impl fmt::Display for AggregateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use AggregateError::*;
        match self {
            NoChildren => write!(f, "the group has no children to aggregate"),
            LengthMismatch {
                child,
                len,
                expected,
            } => write!(
                f,
                "child {} has {len} values, expected {expected}",
                child + 1
            ),
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
    let expected = out.len();
    for (child, c) in columns.iter().enumerate() {
        let len = c.as_ref().len();
        if len != expected {
            return Err(AggregateError::LengthMismatch {
                child,
                len,
                expected,
            });
        }
    }
    Ok(())
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
/// The weighted arithmetic mean: the rule of the general loop of [`aggregate`], without its
/// per-row buffer, for tables of a million rows.
fn arithmetic<C: AsRef<[f64]>>(
    columns: &[C],
    weights: &[f64],
    total: f64,
    coverage: f64,
    out: &mut [f64],
    report: &mut AggregateReport,
) {
    let columns: Vec<&[f64]> = columns.iter().map(|c| c.as_ref()).collect();
    for (r, o) in out.iter_mut().enumerate() {
        // The weight of the present children (zero weights included) and how many there are,
        // then the weighted sum over the positive weights.
        let (mut num, mut den, mut present_weight, mut present) = (0.0, 0.0, 0.0, 0u32);
        for (c, &w) in columns.iter().zip(weights) {
            let x = c[r];
            if x.is_nan() {
                continue;
            }
            present += 1;
            present_weight += w;
            if w > 0.0 {
                num += w * x;
                den += w;
            }
        }
        *o = if present == 0 {
            f64::NAN
        } else if total > 0.0 && present_weight / total < coverage - WEIGHT_TOL {
            report.uncovered.push(r);
            f64::NAN
        } else if den == 0.0 {
            f64::NAN
        } else {
            num / den
        };
    }
}

pub fn aggregate<C: AsRef<[f64]>>(
    method: Aggregation,
    columns: &[C],
    weights: &[f64],
    coverage: f64,
    out: &mut [f64],
) -> Result<AggregateReport, AggregateError> {
    check(columns, weights, coverage, out)?;
    let method = match method {
        Aggregation::Power(p) if p.is_nan() => return Err(AggregateError::BadPower { p }),
        Aggregation::Power(0.0) => Aggregation::Geometric,
        Aggregation::Power(1.0) => Aggregation::Arithmetic,
        m => m,
    };
    let total: f64 = weights.iter().sum();
    let mut report = AggregateReport::default();
    if method == Aggregation::Arithmetic {
        arithmetic(columns, weights, total, coverage, out, &mut report);
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
                    Aggregation::Geometric | Aggregation::Harmonic | Aggregation::Power(_)
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
        if method == Aggregation::Min {
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
            Aggregation::Arithmetic => weighted_sum(&row_values, |x| x),
            Aggregation::Geometric | Aggregation::Harmonic if has_zero => {
                report.zero_rows.push(row);
                0.0
            }
            Aggregation::Power(p) if p < 0.0 && has_zero => {
                report.zero_rows.push(row);
                0.0
            }
            Aggregation::Geometric => weighted_sum(&row_values, f64::ln).exp(),
            Aggregation::Harmonic => 1.0 / weighted_sum(&row_values, |x| 1.0 / x),
            Aggregation::Power(p) => weighted_sum(&row_values, |x| x.powf(p)).powf(1.0 / p),
            Aggregation::Median => weighted_median(&mut row_values),
            Aggregation::Min => unreachable!("handled above"),
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
pub fn topsis<C: AsRef<[f64]>>(
    columns: &[C],
    weights: &[f64],
    coverage: f64,
    scale: Scale,
    out: &mut [f64],
) -> Result<AggregateReport, AggregateError> {
    check(columns, weights, coverage, out)?;
    let total: f64 = weights.iter().sum();
    let (ideal, anti): (Vec<f64>, Vec<f64>) = columns
        .iter()
        .zip(weights)
        .map(|(c, &w)| {
            let v = c.as_ref().iter().filter(|x| !x.is_nan()).map(|&x| w * x);
            let hi = v.clone().fold(f64::NEG_INFINITY, f64::max);
            let lo = v.fold(f64::INFINITY, f64::min);
            (hi, lo)
        })
        .unzip();
    let mut report = AggregateReport::default();
    for (row, o) in out.iter_mut().enumerate() {
        let (mut d_plus, mut d_minus, mut present_weight, mut present) = (0.0, 0.0, 0.0, 0);
        for (j, c) in columns.iter().enumerate() {
            let x = c.as_ref()[row];
            if x.is_nan() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::normalise::{minmax, vector, Direction};
    use crate::methods::tolerance::{
        assert_all_close, assert_close, floats, reference, EXACT, REFERENCE,
    };

    const NAN: f64 = f64::NAN;

    fn run(
        m: Aggregation,
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
        let (a, _) = run(Aggregation::Arithmetic, &cols, &w, 0.0);
        assert_all_close(&a, &[13.0 / 4.0, 14.0 / 4.0, 3.0], EXACT, "arithmetic");
        // geometric: (4^3 · 1)^(1/4) = 64^(1/4) = 2√2; (2^3 · 8)^(1/4) = 64^(1/4).
        let (g, _) = run(Aggregation::Geometric, &cols, &w, 0.0);
        let r = 8f64.sqrt();
        assert_all_close(&g, &[r, r, 3.0], EXACT, "geometric");
        // harmonic: 4 / (3/4 + 1) = 16/7; 4 / (3/2 + 1/8) = 32/13.
        let (h, _) = run(Aggregation::Harmonic, &cols, &w, 0.0);
        assert_all_close(&h, &[16.0 / 7.0, 32.0 / 13.0, 3.0], EXACT, "harmonic");
        // power 2: √((3·16 + 1)/4) = √12.25 = 3.5; √((3·4 + 64)/4) = √19.
        let (p, _) = run(Aggregation::Power(2.0), &cols, &w, 0.0);
        assert_all_close(&p, &[3.5, 19f64.sqrt(), 3.0], EXACT, "power 2");
        let (p0, _) = run(Aggregation::Power(0.0), &cols, &w, 0.0);
        assert_all_close(&p0, &g, EXACT, "power 0 = geometric");
        let (p_1, _) = run(Aggregation::Power(-1.0), &cols, &w, 0.0);
        assert_all_close(&p_1, &h, EXACT, "power -1 = harmonic");
        let (m, _) = run(Aggregation::Min, &cols, &w, 0.0);
        assert_all_close(&m, &[1.0, 2.0, 3.0], 0.0, "min");
    }

    /// Source: LANGUAGE.md (a zero input gives 0; a negative input is an error).
    #[test]
    fn zero_and_negative_rules() {
        let cols = vec![vec![0.0, 4.0], vec![5.0, 9.0]];
        for m in [
            Aggregation::Geometric,
            Aggregation::Harmonic,
            Aggregation::Power(-2.0),
        ] {
            let (g, r) = run(m, &cols, &[1.0, 1.0], 0.0);
            assert_eq!(g[0], 0.0, "{m:?}");
            assert_eq!(r.zero_rows, vec![0], "{m:?}");
        }
        let (p, r) = run(Aggregation::Power(2.0), &cols, &[1.0, 1.0], 0.0);
        assert_close(p[0], 12.5f64.sqrt(), EXACT, "power 2 with a zero");
        assert!(r.zero_rows.is_empty());
        let neg = vec![vec![1.0, -0.5], vec![2.0, 1.0]];
        let mut out = [0.0; 2];
        assert_eq!(
            aggregate(Aggregation::Geometric, &neg, &[1.0, 1.0], 0.0, &mut out),
            Err(AggregateError::NegativeInput {
                row: 1,
                child: 0,
                value: -0.5
            })
        );
        let (a, _) = run(Aggregation::Arithmetic, &neg, &[1.0, 1.0], 0.0);
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
        let (m, _) = run(Aggregation::Median, &cols, &[1.0; 4], 0.0);
        assert_all_close(&m, &[2.5, 2.5, 2.0], EXACT, "equal weights");
        // Weights 0.1, 0.1, 0.2, 0.6: cumulative 0.1, 0.2, 0.4, 1.0 → 10.
        let (m, _) = run(Aggregation::Median, &cols, &[0.1, 0.1, 0.2, 0.6], 0.0);
        assert_eq!(m[0], 10.0);
        // Weights 5, 1, 1, 1: cumulative 5/8 ≥ ½ at the first → 1.
        let (m, _) = run(Aggregation::Median, &cols, &[5.0, 1.0, 1.0, 1.0], 0.0);
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
        let (a, r) = run(Aggregation::Arithmetic, &cols, &w, 0.6);
        // Row 1 carries 0.8 ≥ 0.6: (0.3·20 + 0.5·30)/0.8 = 26.25; row 2 carries 0.5 < 0.6.
        assert_all_close(&a, &[23.0, 26.25, NAN, NAN], EXACT, "coverage 60%");
        assert_eq!(r.uncovered, vec![2]);
        let (a, r) = run(Aggregation::Arithmetic, &cols, &w, 0.5);
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
        let agg = |w: &[f64], c: f64, out: &mut [f64]| {
            aggregate(Aggregation::Arithmetic, &cols, w, c, out)
        };
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
            Err(AggregateError::LengthMismatch { .. })
        ));
        let none: Vec<Vec<f64>> = vec![];
        assert_eq!(
            aggregate(Aggregation::Min, &none, &[], 0.0, &mut out),
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
                        vector(c, d, &mut out).unwrap();
                    } else {
                        minmax(c, d, Scale::UNIT, &mut out).unwrap();
                    }
                    out
                })
                .collect();
            let mut out = vec![0.0; m];
            topsis(&normalised, &w, 0.0, Scale::UNIT, &mut out).unwrap();
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
        let r = topsis(&cols, &[1.0, 1.0], 0.0, Scale::DEFAULT, &mut out).unwrap();
        assert_eq!(out, [50.0, 50.0]);
        assert_eq!(r.undefined, vec![0, 1]);
        let cols = vec![vec![0.0, 1.0, NAN], vec![1.0, 0.0, 1.0]];
        let mut out = [0.0; 3];
        topsis(&cols, &[1.0, 1.0], 0.0, Scale::UNIT, &mut out).unwrap();
        assert_all_close(&out, &[0.5, 0.5, 1.0], EXACT, "with a missing child");
    }
}

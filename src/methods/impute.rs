//! Imputation of missing indicator values: the `missing` policies, tried in order.

use super::normalise::Direction;
use super::stats;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One `missing` policy, as in the `missing` setting. Policies that need more data than the
/// column take it from [`ImputeData`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    /// Leave the value missing and stop (later policies are not tried).
    Skip,
    /// The mean of the observed values.
    Mean,
    /// The median of the observed values.
    Median,
    /// The mean of the observed values in the row's category (of the text column named).
    MeanBy(String),
    /// The median of the observed values in the row's category (of the text column named).
    MedianBy(String),
    /// The worst observed value given the direction: the minimum (positive), the maximum
    /// (negative), or the value farthest from the optimum.
    Worst,
    /// Zero.
    Zero,
    /// The unit's previous-period value; where that is missing too, the next policy is tried.
    Carry,
}

impl fmt::Display for MissingPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MissingPolicy::Skip => write!(f, "skip"),
            MissingPolicy::Mean => write!(f, "mean"),
            MissingPolicy::Median => write!(f, "median"),
            MissingPolicy::MeanBy(c) => write!(f, "mean by {c}"),
            MissingPolicy::MedianBy(c) => write!(f, "median by {c}"),
            MissingPolicy::Worst => write!(f, "worst"),
            MissingPolicy::Zero => write!(f, "zero"),
            MissingPolicy::Carry => write!(f, "carry"),
        }
    }
}

/// What the policies need besides the column, one entry per row where per row: the category
/// codes of `mean by` and `median by` (the caller maps the text column to codes, giving rows
/// with no category a code of their own), the unit's previous-period value for `carry` (NaN
/// when there is none), and the indicator's direction for `worst`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImputeData<'a> {
    pub direction: Direction,
    /// Read only when a policy is `carry`.
    pub previous: &'a [f64],
    /// (column, codes) for each column a `mean by` or `median by` names.
    pub categories: &'a [(&'a str, &'a [u32])],
}

/// What [`impute`] did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImputeReport {
    /// For each policy, in order, the rows it filled.
    pub filled: Vec<Vec<usize>>,
    /// Categories with no observed value, whose rows fell back to all units (warn).
    pub empty_categories: Vec<u32>,
    /// Rows still missing after every policy.
    pub still_missing: Vec<usize>,
}

/// Why imputation could not run.
#[derive(Debug, Clone, PartialEq)]
pub enum ImputeError {
    /// The data of policy number `policy` (0-based) does not have one entry per row.
    LengthMismatch {
        policy: usize,
        len: usize,
        expected: usize,
    },
    /// `mean by C` or `median by C` without the codes of C in the [`ImputeData`].
    NoCategories { policy: usize, column: String },
}

impl fmt::Display for ImputeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImputeError::LengthMismatch {
                policy,
                len,
                expected,
            } => write!(
                f,
                "missing-data policy {} has {len} values for {expected} rows",
                policy + 1
            ),
            ImputeError::NoCategories { policy, column } => write!(
                f,
                "missing-data policy {} needs the categories of `{column}`, which were not given",
                policy + 1
            ),
        }
    }
}

impl std::error::Error for ImputeError {}

/// Fills the missing values of `x` in place, trying `policies` in order for each missing row.
///
/// # Formula
/// Statistics are those of the **observed** values (the column as it came in, before any
/// policy filled anything), so `missing carry, mean` imputes the mean of the observed values,
/// not of observed and carried ones. `mean`/`median` (type 7) over all observed values;
/// `mean by`/`median by` over the observed values of the row's category, falling back to all
/// observed values when the category has none (listed in `empty_categories`); `worst` as in
/// [`MissingPolicy::Worst`]; `zero`; `carry` the previous-period value when present.
///
/// # Reference
/// LANGUAGE.md "Missing data"; by hand in the tests.
///
/// # Missing values
/// A policy that cannot produce a value (no observed values at all, no previous value) leaves
/// the row to the next policy; `skip` ends the chain. The caller passes the rows of one period
/// (or the panel, under `reference panel`).
pub fn impute(
    x: &mut [f64],
    policies: &[MissingPolicy],
    data: &ImputeData,
) -> Result<ImputeReport, ImputeError> {
    let n = x.len();
    // Per policy, the category codes it reads (empty for the others).
    let mut codes: Vec<&[u32]> = Vec::with_capacity(policies.len());
    for (policy, p) in policies.iter().enumerate() {
        let (len, c): (usize, &[u32]) = match p {
            MissingPolicy::MeanBy(column) | MissingPolicy::MedianBy(column) => {
                match data.categories.iter().find(|(name, _)| name == column) {
                    Some((_, c)) => (c.len(), c),
                    None => {
                        return Err(ImputeError::NoCategories {
                            policy,
                            column: column.clone(),
                        })
                    }
                }
            }
            MissingPolicy::Carry => (data.previous.len(), &[]),
            _ => (n, &[]),
        };
        if len != n {
            return Err(ImputeError::LengthMismatch {
                policy,
                len,
                expected: n,
            });
        }
        codes.push(c);
    }
    let mut report = ImputeReport {
        filled: vec![Vec::new(); policies.len()],
        ..Default::default()
    };
    let missing: Vec<usize> = (0..n).filter(|&i| x[i].is_nan()).collect();
    if missing.is_empty() {
        return Ok(report);
    }
    let observed = x.to_vec();
    let mut open = missing;
    for (k, policy) in policies.iter().enumerate() {
        if open.is_empty() || *policy == MissingPolicy::Skip {
            break;
        }
        let cats = codes[k];
        let value_for = |row: usize, report: &mut ImputeReport| -> f64 {
            match policy {
                MissingPolicy::Skip => f64::NAN,
                MissingPolicy::Mean => stats::mean(&observed),
                MissingPolicy::Median => stats::median(&observed),
                MissingPolicy::MeanBy(_) | MissingPolicy::MedianBy(_) => {
                    let mean = matches!(policy, MissingPolicy::MeanBy(_));
                    let same: Vec<f64> = observed
                        .iter()
                        .zip(cats)
                        .filter(|(v, &c)| !v.is_nan() && c == cats[row])
                        .map(|(&v, _)| v)
                        .collect();
                    let pool = if same.is_empty() {
                        if !report.empty_categories.contains(&cats[row]) {
                            report.empty_categories.push(cats[row]);
                        }
                        &observed[..]
                    } else {
                        &same[..]
                    };
                    if mean {
                        stats::mean(pool)
                    } else {
                        stats::median(pool)
                    }
                }
                MissingPolicy::Worst => worst(&observed, data.direction),
                MissingPolicy::Zero => 0.0,
                MissingPolicy::Carry => data.previous[row],
            }
        };
        let mut still = Vec::new();
        for &row in &open {
            let v = value_for(row, &mut report);
            if v.is_nan() {
                still.push(row);
            } else {
                x[row] = v;
                report.filled[k].push(row);
            }
        }
        open = still;
    }
    report.still_missing = open;
    Ok(report)
}

/// The worst observed value for `direction` (NaN when none is observed).
fn worst(observed: &[f64], direction: Direction) -> f64 {
    match direction {
        Direction::Positive => stats::min(observed),
        Direction::Negative => stats::max(observed),
        Direction::Optimum(o) => stats::present(observed).fold(f64::NAN, |best, v| {
            if best.is_nan() || (v - o).abs() > (best - o).abs() {
                v
            } else {
                best
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::tolerance::{assert_all_close, EXACT};

    const NAN: f64 = f64::NAN;

    /// Source: by hand; observed 1, 2, 6 (mean 3, median 2).
    #[test]
    fn single_policies() {
        let x = [1.0, NAN, 2.0, 6.0, NAN];
        for (policy, v) in [
            (MissingPolicy::Mean, 3.0),
            (MissingPolicy::Median, 2.0),
            (MissingPolicy::Zero, 0.0),
        ] {
            let mut y = x;
            let r = impute(
                &mut y,
                std::slice::from_ref(&policy),
                &ImputeData::default(),
            )
            .unwrap();
            assert_all_close(&y, &[1.0, v, 2.0, 6.0, v], EXACT, &format!("{policy:?}"));
            assert_eq!(r.filled, vec![vec![1, 4]]);
            assert!(r.still_missing.is_empty());
        }
        for (direction, v) in [
            (Direction::Positive, 1.0),
            (Direction::Negative, 6.0),
            (Direction::Optimum(2.5), 6.0),
            (Direction::Optimum(4.0), 1.0),
        ] {
            let mut y = x;
            let data = ImputeData {
                direction,
                ..Default::default()
            };
            let policy = MissingPolicy::Worst;
            let r = impute(&mut y, std::slice::from_ref(&policy), &data).unwrap();
            assert_all_close(&y, &[1.0, v, 2.0, 6.0, v], EXACT, &format!("{policy:?}"));
            assert_eq!(r.filled, vec![vec![1, 4]]);
            assert!(r.still_missing.is_empty());
        }
        let mut y = x;
        let r = impute(
            &mut y,
            &[MissingPolicy::Skip, MissingPolicy::Mean],
            &ImputeData::default(),
        )
        .unwrap();
        assert_eq!(r.still_missing, vec![1, 4]);
        assert!(y[1].is_nan());
    }

    /// Source: LANGUAGE.md (`missing carry, mean`: no previous value → next policy); by hand.
    #[test]
    fn carry_then_mean() {
        let mut x = [1.0, NAN, 2.0, 6.0, NAN];
        let prev = [0.5, 7.0, 1.5, 5.0, NAN];
        let data = ImputeData {
            previous: &prev,
            ..Default::default()
        };
        let r = impute(&mut x, &[MissingPolicy::Carry, MissingPolicy::Mean], &data).unwrap();
        // Row 1 carried (7); row 4 has no previous value → mean of the observed 1, 2, 6.
        assert_all_close(&x, &[1.0, 7.0, 2.0, 6.0, 3.0], EXACT, "carry, mean");
        assert_eq!(r.filled, vec![vec![1], vec![4]]);
    }

    /// Source: LANGUAGE.md (`mean by`: an empty category falls back to all units); by hand.
    #[test]
    fn by_category() {
        let cats = [0, 0, 0, 1, 1, 2];
        let mut x = [1.0, 3.0, NAN, 10.0, NAN, NAN];
        let data = ImputeData {
            categories: &[("region", &cats)],
            ..Default::default()
        };
        let r = impute(&mut x, &[MissingPolicy::MeanBy("region".into())], &data).unwrap();
        // Category 0: mean(1, 3) = 2; 1: 10; 2 is empty → mean of all observed (14/3).
        assert_all_close(
            &x,
            &[1.0, 3.0, 2.0, 10.0, 10.0, 14.0 / 3.0],
            EXACT,
            "mean by",
        );
        assert_eq!(r.empty_categories, vec![2]);
        let mut y = [1.0, 3.0, NAN, 10.0, 20.0, 30.0];
        let data = ImputeData {
            categories: &[("region", &[1, 0, 1, 1, 1, 0])],
            ..Default::default()
        };
        impute(&mut y, &[MissingPolicy::MedianBy("region".into())], &data).unwrap();
        assert_eq!(y[2], 10.0); // category 1 observed: 1, 10, 20
    }

    #[test]
    fn nothing_observed_and_errors() {
        let mut x = [NAN, NAN];
        let r = impute(&mut x, &[MissingPolicy::Mean], &ImputeData::default()).unwrap();
        assert_eq!(r.still_missing, vec![0, 1]);
        let data = ImputeData {
            previous: &[1.0],
            ..Default::default()
        };
        assert_eq!(
            impute(&mut x, &[MissingPolicy::Mean, MissingPolicy::Carry], &data),
            Err(ImputeError::LengthMismatch {
                policy: 1,
                len: 1,
                expected: 2
            })
        );
        assert_eq!(
            impute(
                &mut x,
                &[MissingPolicy::MeanBy("region".into())],
                &ImputeData::default()
            ),
            Err(ImputeError::NoCategories {
                policy: 0,
                column: "region".into()
            })
        );
    }
}

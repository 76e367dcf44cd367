//! Statistical methods as pure functions over slices: normalisation, treatment, imputation,
//! weights and aggregation. Each is unit-tested against an independent reference.
//!
//! Conventions shared by every file: a missing value is `f64::NAN`; functions never panic on
//! data and report problems with a typed error enum; columnar functions write into a caller's
//! `&mut [f64]` so the evaluator can run them on whole columns without per-cell allocation.
//!
//! | file | what |
//! |---|---|
//! | `stats` | mean, sd (n − 1), G1/G2, type-7 quantiles, Pearson, Spearman |
//! | `rank` | competition ranks (1, 2, 2, 4) and mid-ranks |
//! | `normalise` | `normalise` methods with `direction` and `scale` |
//! | `treat` | `transform`, `winsorise auto` (COINr), percentile clipping |
//! | `impute` | the `missing` policies |
//! | `weights` | given, equal, entropy, CRITIC, sd, cv, combine |
//! | `ahp` | AHP eigenvector weights and consistency |
//! | `pca` | PCA weights (OECD/JRC Handbook: components, varimax, squared loadings) |
//! | `aggregate` | arithmetic, geometric, harmonic, power, min, median, TOPSIS, Mazziotta–Pareto, Copeland, grey relational, coverage |

pub mod aggregate;
pub mod ahp;
pub mod impute;
pub mod normalise;
pub mod pca;
pub mod rank;
pub mod stats;
pub mod survey;
pub mod treat;
pub mod vmath;
pub mod weights;

#[cfg(test)]
pub(crate) mod tolerance;

/// A child's column (or the output) is not as long as expected. `child` is 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LengthMismatch {
    pub child: usize,
    pub len: usize,
    pub expected: usize,
}

impl std::fmt::Display for LengthMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (child, len, expected) = (self.child + 1, self.len, self.expected);
        write!(f, "child {child} has {len} values, expected {expected}")
    }
}

/// Every column is `expected` values long.
pub fn check_lengths<C: AsRef<[f64]>>(
    columns: &[C],
    expected: usize,
) -> Result<(), LengthMismatch> {
    match columns.iter().position(|c| c.as_ref().len() != expected) {
        None => Ok(()),
        Some(child) => Err(LengthMismatch {
            child,
            len: columns[child].as_ref().len(),
            expected,
        }),
    }
}

/// A number printed as briefly as it is exact: `0.15`, `100`, `1e-9`.
pub fn num(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let s = format!("{x}");
        if s.len() > 12 {
            format!("{x:.6}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        } else {
            s
        }
    }
}

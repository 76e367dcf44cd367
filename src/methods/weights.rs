//! Weighting methods: given, equal, derived from data (entropy, CRITIC, sd, cv) and combined.
//!
//! Derived methods take one column per child (`&[C]` with `C: AsRef<[f64]>`, so both
//! `Vec<Vec<f64>>` and `Vec<&[f64]>` work). The rules language feeds `entropy`, `critic` and
//! `sd` the children's min-max values in [0, 1], positively oriented
//! ([`crate::methods::normalise::minmax`] with [`crate::methods::normalise::Scale::UNIT`] and the
//! child's direction), and `cv` the treated values; the functions themselves accept any columns,
//! which is how the other conventions of the reference file are reproduced.

use super::{check_lengths, stats, LengthMismatch};
use std::fmt;

/// Weights derived from data, and the children that got weight 0 for having no variance.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedWeights {
    /// One weight per child, summing to 1.
    pub weights: Vec<f64>,
    /// Children with zero variance (or fewer than 2 values): weight 0, to be warned about.
    pub degenerate: Vec<usize>,
}

/// Why weights could not be computed. `child` indices are 0-based.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightsError {
    /// A group without children.
    NoChildren,
    /// A child's column is not as long as the first child's.
    LengthMismatch(LengthMismatch),
    /// `weight -1` or a NaN weight: weights must be finite and ≥ 0.
    BadWeight { child: usize, weight: f64 },
    /// Every given weight is 0.
    ZeroTotal,
    /// Every child is degenerate (no variance), so there is nothing to weight by.
    AllDegenerate,
    /// `weights entropy` on a column with a negative value (entropy needs shares).
    NegativeValue { child: usize, row: usize },
    /// `weights cv` on a child whose mean is ≤ 0 (the coefficient of variation needs a
    /// positive mean; use a transform or another method).
    NonPositiveMean { child: usize, mean: f64 },
    /// `combine linear` shares that are negative or sum to 0, or parts of different lengths.
    BadCombination,
}

impl From<LengthMismatch> for WeightsError {
    fn from(m: LengthMismatch) -> Self {
        WeightsError::LengthMismatch(m)
    }
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use WeightsError::*;
        match self {
            NoChildren => write!(f, "the group has no children to weight"),
            LengthMismatch(m) => m.fmt(f),
            BadWeight { child, weight } => write!(
                f,
                "the weight of child {} is {weight}; weights must be numbers ≥ 0",
                child + 1
            ),
            ZeroTotal => write!(f, "all the weights are 0; give at least one a positive weight"),
            AllDegenerate => write!(
                f,
                "no child varies across units, so the data cannot derive weights; use `weights equal`"
            ),
            NegativeValue { child, row } => write!(
                f,
                "child {} has a negative value at row {}; entropy weights need non-negative values",
                child + 1,
                row + 1
            ),
            NonPositiveMean { child, mean } => write!(
                f,
                "child {} has mean {mean}; `weights cv` needs a positive mean (try `weights sd`)",
                child + 1
            ),
            BadCombination => write!(
                f,
                "the combined methods' shares must be ≥ 0 with a positive sum, over the same children"
            ),
        }
    }
}

impl std::error::Error for WeightsError {}

/// Equal weights 1/n.
pub fn equal(n: usize) -> Vec<f64> {
    vec![1.0 / n as f64; n]
}

/// Given weights renormalised to sum to 1.
///
/// # Formula
/// w_i / Σw.
///
/// # Missing values
/// None allowed: a NaN or negative weight is [`WeightsError::BadWeight`].
pub fn given(w: &[f64]) -> Result<Vec<f64>, WeightsError> {
    if w.is_empty() {
        return Err(WeightsError::NoChildren);
    }
    for (child, &weight) in w.iter().enumerate() {
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(WeightsError::BadWeight { child, weight });
        }
    }
    let s: f64 = w.iter().sum();
    if s <= 0.0 {
        return Err(WeightsError::ZeroTotal);
    }
    Ok(w.iter().map(|x| x / s).collect())
}

/// Whether given weights look like percentages that do not add up: integers summing to
/// 90–110 but not 100, or decimals summing to 0.9–1.1 but not 1 (LANGUAGE.md "Weights").
pub fn looks_like_mistyped_percentages(w: &[f64]) -> bool {
    let s: f64 = w.iter().sum();
    let integers = w.iter().all(|x| x.fract() == 0.0);
    if integers {
        (90.0..=110.0).contains(&s) && s != 100.0
    } else {
        (0.9..=1.1).contains(&s) && (s - 1.0).abs() > 1e-9
    }
}

fn check_columns<C: AsRef<[f64]>>(columns: &[C]) -> Result<usize, WeightsError> {
    let first = columns.first().ok_or(WeightsError::NoChildren)?;
    let expected = first.as_ref().len();
    check_lengths(columns, expected)?;
    Ok(expected)
}

/// Scores every child that varies with `score(column, degenerate)` (a degenerate child
/// scores 0), then normalises the scores to weights.
fn weigh_varying<C: AsRef<[f64]>>(
    columns: &[C],
    score: impl Fn(&[f64], &[usize]) -> f64,
) -> Result<DerivedWeights, WeightsError> {
    let degenerate = degenerate_children(columns);
    let scores = columns
        .iter()
        .enumerate()
        .map(|(j, c)| match degenerate.contains(&j) {
            true => 0.0,
            false => score(c.as_ref(), &degenerate),
        })
        .collect();
    from_scores(scores, degenerate)
}

/// Normalises scores to weights, children in `degenerate` getting 0.
fn from_scores(scores: Vec<f64>, degenerate: Vec<usize>) -> Result<DerivedWeights, WeightsError> {
    let s: f64 = scores.iter().sum();
    if degenerate.len() == scores.len() || s.is_nan() || s <= 0.0 {
        return Err(WeightsError::AllDegenerate);
    }
    Ok(DerivedWeights {
        weights: scores.iter().map(|x| x / s).collect(),
        degenerate,
    })
}

/// Children with no variance (sd 0 or undefined).
fn degenerate_children<C: AsRef<[f64]>>(columns: &[C]) -> Vec<usize> {
    columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            let s = stats::sd(c.as_ref());
            s.is_nan() || s == 0.0
        })
        .map(|(j, _)| j)
        .collect()
}

/// Entropy weights (熵权法).
///
/// # Formula
/// p_ij = z_ij / Σ_i z_ij; e_j = −(1/ln m_j) Σ_i p_ij ln p_ij with 0 ln 0 = 0;
/// w_j = (1 − e_j) / Σ_k (1 − e_k); a degenerate child gets 0.
///
/// # Reference
/// `weights_topsis.json`: `entropy` (direction-aware min-max input, the rules language's
/// convention) and `entropy_raw` (raw input, pymcdm / pyrepo / scikit-criteria), to 1e-9.
///
/// # Missing values
/// Per child over its present values: m_j = the number present. Values must be ≥ 0.
pub fn entropy<C: AsRef<[f64]>>(columns: &[C]) -> Result<DerivedWeights, WeightsError> {
    check_columns(columns)?;
    for (child, c) in columns.iter().enumerate() {
        if let Some(row) = c.as_ref().iter().position(|&v| v < 0.0) {
            return Err(WeightsError::NegativeValue { child, row });
        }
    }
    weigh_varying(columns, |c, _| {
        let (total, m) = (stats::sum(c), stats::count(c) as f64);
        let h: f64 = stats::present(c)
            .filter(|&z| z > 0.0)
            .map(|z| {
                let p = z / total;
                p * p.ln()
            })
            .sum();
        1.0 - (-h / m.ln())
    })
}

/// CRITIC weights (Diakoulaki et al. 1995).
///
/// # Formula
/// C_j = sd_j · Σ_k (1 − r_jk), r Pearson, sd with n − 1, over the non-degenerate children;
/// w = C / ΣC; a degenerate child gets 0.
///
/// # Reference
/// `weights_topsis.json`: `critic` (direction-aware min-max input, the rules language's
/// convention, = scikit-criteria) and `critic_profit_only` (min-max ignoring direction,
/// pymcdm / pyrepo), to 1e-9.
///
/// # Missing values
/// sd over each child's present values; correlations over pairwise-complete rows.
pub fn critic<C: AsRef<[f64]>>(columns: &[C]) -> Result<DerivedWeights, WeightsError> {
    check_columns(columns)?;
    weigh_varying(columns, |cj, degenerate| {
        let conflict: f64 = (0..columns.len())
            .filter(|k| !degenerate.contains(k))
            .map(|k| 1.0 - stats::pearson(cj, columns[k].as_ref()))
            .sum();
        stats::sd(cj) * conflict
    })
}

/// Standard-deviation weights.
///
/// # Formula
/// w_j = sd_j / Σ_k sd_k (n − 1); a degenerate child gets 0.
///
/// # Reference
/// `weights_topsis.json` `sd` (direction-aware min-max input), to 1e-9.
///
/// # Missing values
/// sd over each child's present values.
pub fn sd<C: AsRef<[f64]>>(columns: &[C]) -> Result<DerivedWeights, WeightsError> {
    check_columns(columns)?;
    weigh_varying(columns, |c, _| stats::sd(c))
}

/// Coefficient-of-variation weights, on treated (not normalised) values.
///
/// # Formula
/// cv_j = sd_j / mean_j (n − 1); w = cv / Σcv; a degenerate child gets 0.
///
/// # Reference
/// `weights_topsis.json` `cv` (pyrepo `coeff_var_weighting`, raw values), to 1e-9.
///
/// # Missing values
/// Over each child's present values. A mean ≤ 0 is [`WeightsError::NonPositiveMean`].
pub fn cv<C: AsRef<[f64]>>(columns: &[C]) -> Result<DerivedWeights, WeightsError> {
    check_columns(columns)?;
    for (child, c) in columns.iter().enumerate() {
        let mean = stats::mean(c.as_ref());
        if mean.is_nan() || mean <= 0.0 {
            return Err(WeightsError::NonPositiveMean { child, mean });
        }
    }
    weigh_varying(columns, |c, _| stats::sd(c) / stats::mean(c))
}

/// `combine linear [M1 P1, M2 P2, ...]`: the share-weighted sum of each method's weights.
///
/// # Formula
/// w = Σ_m P_m w_m / Σ_m P_m (each w_m summing to 1, so w sums to 1).
///
/// # Missing values
/// None allowed.
pub fn combine_linear(parts: &[(&[f64], f64)]) -> Result<Vec<f64>, WeightsError> {
    let n = parts.first().ok_or(WeightsError::NoChildren)?.0.len();
    let total: f64 = parts.iter().map(|p| p.1).sum();
    if parts
        .iter()
        .any(|(w, s)| w.len() != n || !(s.is_finite() && *s >= 0.0))
        || total.is_nan()
        || total <= 0.0
    {
        return Err(WeightsError::BadCombination);
    }
    let combined: Vec<f64> = (0..n)
        .map(|i| parts.iter().map(|(w, s)| s * w[i]).sum::<f64>() / total)
        .collect();
    given(&combined)
}

/// `combine product [M1, M2, ...]`: the normalised product of the methods' weights.
///
/// # Formula
/// w_i = Π_m w_m,i / Σ_k Π_m w_m,k.
///
/// # Missing values
/// None allowed; all products 0 is [`WeightsError::ZeroTotal`].
pub fn combine_product(parts: &[&[f64]]) -> Result<Vec<f64>, WeightsError> {
    let n = parts.first().ok_or(WeightsError::NoChildren)?.len();
    if parts.iter().any(|w| w.len() != n) {
        return Err(WeightsError::BadCombination);
    }
    let product: Vec<f64> = (0..n)
        .map(|i| parts.iter().map(|w| w[i]).product())
        .collect();
    given(&product)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::normalise::{minmax, Direction, Scale};
    use crate::methods::tolerance::{assert_all_close, floats, reference, EXACT, REFERENCE};

    /// The reference matrix as columns, and each column's direction.
    fn reference_columns() -> (serde_json::Value, Vec<Vec<f64>>, Vec<Direction>) {
        let r = reference("weights_topsis.json");
        let rows: Vec<Vec<f64>> = r["matrix"].as_array().unwrap().iter().map(floats).collect();
        let cols = (0..rows[0].len())
            .map(|j| rows.iter().map(|row| row[j]).collect())
            .collect();
        let dirs = floats(&r["types"])
            .iter()
            .map(|&t| {
                if t < 0.0 {
                    Direction::Negative
                } else {
                    Direction::Positive
                }
            })
            .collect();
        (r, cols, dirs)
    }

    fn unit_minmax(cols: &[Vec<f64>], dirs: &[Direction]) -> Vec<Vec<f64>> {
        cols.iter()
            .zip(dirs)
            .map(|(c, &d)| {
                let mut out = vec![0.0; c.len()];
                minmax(c, c, d, Scale::UNIT, &mut out).unwrap();
                out
            })
            .collect()
    }

    fn expected(r: &serde_json::Value, name: &str) -> Vec<f64> {
        floats(&r["weights"][name]["values"])
    }

    /// Source: weights_topsis.json, `entropy` and `entropy_raw`.
    #[test]
    fn entropy_reference() {
        let (r, cols, dirs) = reference_columns();
        let z = unit_minmax(&cols, &dirs);
        let w = entropy(&z).unwrap();
        assert_all_close(&w.weights, &expected(&r, "entropy"), REFERENCE, "entropy");
        assert!(w.degenerate.is_empty());
        let raw = entropy(&cols).unwrap();
        assert_all_close(&raw.weights, &expected(&r, "entropy_raw"), REFERENCE, "raw");
    }

    /// Source: weights_topsis.json, `critic` and `critic_profit_only`.
    #[test]
    fn critic_reference() {
        let (r, cols, dirs) = reference_columns();
        let w = critic(&unit_minmax(&cols, &dirs)).unwrap();
        assert_all_close(&w.weights, &expected(&r, "critic"), REFERENCE, "critic");
        let profit = vec![Direction::Positive; dirs.len()];
        let w = critic(&unit_minmax(&cols, &profit)).unwrap();
        let e = expected(&r, "critic_profit_only");
        assert_all_close(&w.weights, &e, REFERENCE, "critic profit only");
    }

    /// Source: weights_topsis.json, `sd` and `cv`.
    #[test]
    fn sd_and_cv_reference() {
        let (r, cols, dirs) = reference_columns();
        let w = sd(&unit_minmax(&cols, &dirs)).unwrap();
        assert_all_close(&w.weights, &expected(&r, "sd"), REFERENCE, "sd");
        let w = cv(&cols).unwrap();
        assert_all_close(&w.weights, &expected(&r, "cv"), REFERENCE, "cv");
    }

    /// Source: LANGUAGE.md "Weights" (a degenerate child gets weight 0); by hand: the two
    /// varying children have equal sd, so they share the weight.
    #[test]
    fn degenerate_child() {
        let cols = vec![
            vec![0.0, 0.5, 1.0],
            vec![0.5, 0.5, 0.5],
            vec![1.0, 0.5, 0.0],
        ];
        for w in [entropy(&cols), critic(&cols), sd(&cols)] {
            let w = w.unwrap();
            assert_all_close(&w.weights, &[0.5, 0.0, 0.5], EXACT, "weights");
            assert_eq!(w.degenerate, vec![1]);
        }
        let flat = vec![vec![1.0, 1.0], vec![2.0, 2.0]];
        assert_eq!(sd(&flat), Err(WeightsError::AllDegenerate));
    }

    /// Source: by hand; missing values are skipped per child (m_j = present count).
    #[test]
    fn missing_values_are_skipped() {
        let with_nan = vec![vec![0.0, f64::NAN, 1.0, 0.5], vec![0.2, 0.4, 0.9, 0.1]];
        let without = [vec![0.0, 1.0, 0.5], vec![0.2, 0.9, 0.1]];
        let a = sd(&with_nan).unwrap();
        let expect0 = stats::sd(&without[0]);
        let expect1 = stats::sd(&with_nan[1]);
        let s = expect0 + expect1;
        assert_all_close(
            &a.weights,
            &[expect0 / s, expect1 / s],
            EXACT,
            "sd with NaN",
        );
    }

    #[test]
    fn errors() {
        let empty: Vec<Vec<f64>> = vec![];
        assert_eq!(entropy(&empty), Err(WeightsError::NoChildren));
        let ragged = vec![vec![1.0, 2.0], vec![1.0]];
        assert!(matches!(
            critic(&ragged),
            Err(WeightsError::LengthMismatch(LengthMismatch {
                child: 1,
                ..
            }))
        ));
        let neg = vec![vec![1.0, 2.0], vec![-1.0, -3.0]];
        assert!(matches!(
            cv(&neg),
            Err(WeightsError::NonPositiveMean { child: 1, .. })
        ));
        assert_eq!(
            entropy(&neg),
            Err(WeightsError::NegativeValue { child: 1, row: 0 })
        );
    }

    /// Source: LANGUAGE.md "Weights" (given, equal, percentages warning, combine); by hand.
    #[test]
    fn given_equal_combine() {
        assert_all_close(
            &given(&[15.0, 10.0, 5.0]).unwrap(),
            &[0.5, 1.0 / 3.0, 1.0 / 6.0],
            EXACT,
            "given",
        );
        assert_eq!(given(&[0.0, 0.0]), Err(WeightsError::ZeroTotal));
        assert!(matches!(
            given(&[1.0, -1.0]),
            Err(WeightsError::BadWeight { child: 1, .. })
        ));
        assert_eq!(equal(4), vec![0.25; 4]);
        assert!(looks_like_mistyped_percentages(&[30.0, 30.0, 35.0]));
        assert!(!looks_like_mistyped_percentages(&[30.0, 30.0, 40.0]));
        assert!(looks_like_mistyped_percentages(&[0.3, 0.3, 0.35]));
        assert!(!looks_like_mistyped_percentages(&[0.3, 0.3, 0.4]));
        assert!(!looks_like_mistyped_percentages(&[1.0, 2.0, 3.0]));
        let a = [0.5, 0.3, 0.2];
        let b = [0.2, 0.3, 0.5];
        let lin = combine_linear(&[(&a, 0.4), (&b, 0.6)]).unwrap();
        assert_all_close(&lin, &[0.32, 0.3, 0.38], EXACT, "linear");
        let prod = combine_product(&[&a, &b]).unwrap();
        assert_all_close(
            &prod,
            &[0.1 / 0.29, 0.09 / 0.29, 0.1 / 0.29],
            EXACT,
            "product",
        );
    }
}

//! Analytic Hierarchy Process: eigenvector weights and the consistency ratio.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The largest matrix the random-index tables cover.
pub const MAX_N: usize = 15;

/// Tolerance on `a_ij · a_ji = 1` (a judgement typed as `0.3333333333333333` must pass).
const RECIPROCAL_TOL: f64 = 1e-9;

/// Which table of random consistency indices RI(n) divides the consistency index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RiTable {
    /// Saaty's classic table (0.58, 0.90, 1.12, ...): the rules language's default (`ri saaty`).
    #[default]
    Saaty,
    /// The table of the Chinese textbooks (0.52, 0.89, 1.12, ...): `ri textbook`.
    Textbook,
}

/// RI(n) for n = 3..=15, Saaty.
const RI_SAATY: [f64; 13] = [
    0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.54, 1.56, 1.57, 1.59,
];
/// RI(n) for n = 3..=15, textbook.
const RI_TEXTBOOK: [f64; 13] = [
    0.52, 0.89, 1.12, 1.26, 1.36, 1.41, 1.46, 1.49, 1.52, 1.54, 1.56, 1.58, 1.59,
];

/// The result of [`ahp`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ahp {
    /// The normalised principal right eigenvector (sums to 1), in the matrix's row order.
    pub weights: Vec<f64>,
    /// The principal eigenvalue λmax (≥ n; = n exactly when the matrix is consistent).
    pub lambda_max: f64,
    /// Consistency index CI = (λmax − n) / (n − 1); 0 for n ≤ 2.
    pub ci: f64,
    /// Consistency ratio CR = CI / RI(n); 0 for n ≤ 2. The rules language rejects CR > 0.10.
    pub cr: f64,
    /// The random index RI(n) used (0 for n ≤ 2).
    pub ri: f64,
}

/// The most inconsistent judgement of a pairwise matrix, as found by [`most_inconsistent`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Inconsistency {
    /// Row i of the judgement a_ij (i < j), 0-based.
    pub row: usize,
    /// Column j of the judgement a_ij, 0-based.
    pub col: usize,
    /// The judgement as given, a_ij.
    pub given: f64,
    /// The value that would agree with the weights, w_i / w_j.
    pub consistent: f64,
}

/// Why a pairwise comparison matrix was refused. Indices are 0-based.
#[derive(Debug, Clone, PartialEq)]
pub enum AhpError {
    /// No items to compare: `ahp(&[], RiTable::Saaty)`.
    Empty,
    /// More than 15 items, beyond the random-index tables: a 16 × 16 matrix.
    TooLarge { n: usize },
    /// A row whose length is not the number of rows: `[[1, 2], [0.5]]`.
    NotSquare { row: usize, len: usize, n: usize },
    /// An entry that is not a positive finite number: `[[1, 0], [0, 1]]` or a NaN.
    NotPositive { row: usize, col: usize },
    /// a_ij · a_ji ≠ 1 (or a diagonal entry ≠ 1): `[[1, 3], [3, 1]]`.
    NotReciprocal { row: usize, col: usize },
}

impl fmt::Display for AhpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AhpError::Empty => write!(f, "the comparison matrix is empty"),
            AhpError::TooLarge { n } => write!(
                f,
                "AHP compares at most {MAX_N} items, and this matrix has {n}; \
                 split the group into sub-groups"
            ),
            AhpError::NotSquare { row, len, n } => write!(
                f,
                "row {} of the comparison matrix has {len} entries, expected {n}",
                row + 1
            ),
            AhpError::NotPositive { row, col } => write!(
                f,
                "the judgement at row {}, column {} is not a positive number",
                row + 1,
                col + 1
            ),
            AhpError::NotReciprocal { row, col } => write!(
                f,
                "the judgements at ({r}, {c}) and ({c}, {r}) are not reciprocal (a_ij · a_ji must be 1)",
                r = row + 1,
                c = col + 1
            ),
        }
    }
}

impl std::error::Error for AhpError {}

/// RI(n) from `table`: 0 for n ≤ 2 (such matrices are always consistent), `None` for n > 15.
///
/// # Formula
/// Saaty (n = 3..15): 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.54, 1.56, 1.57, 1.59;
/// textbook: 0.52, 0.89, 1.12, 1.26, 1.36, 1.41, 1.46, 1.49, 1.52, 1.54, 1.56, 1.58, 1.59
/// (LANGUAGE.md, "Weights").
pub fn random_index(n: usize, table: RiTable) -> Option<f64> {
    match n {
        0..=2 => Some(0.0),
        3..=MAX_N => Some(match table {
            RiTable::Saaty => RI_SAATY[n - 3],
            RiTable::Textbook => RI_TEXTBOOK[n - 3],
        }),
        _ => None,
    }
}

/// Checks that `matrix` is a square positive reciprocal matrix of at most 15 rows; returns n.
pub fn validate(matrix: &[Vec<f64>]) -> Result<usize, AhpError> {
    let n = matrix.len();
    if n == 0 {
        return Err(AhpError::Empty);
    }
    if n > MAX_N {
        return Err(AhpError::TooLarge { n });
    }
    for (row, r) in matrix.iter().enumerate() {
        if r.len() != n {
            return Err(AhpError::NotSquare {
                row,
                len: r.len(),
                n,
            });
        }
        for (col, &a) in r.iter().enumerate() {
            if !(a.is_finite() && a > 0.0) {
                return Err(AhpError::NotPositive { row, col });
            }
        }
    }
    for (i, r) in matrix.iter().enumerate() {
        for (j, &a) in r.iter().enumerate().skip(i) {
            if (a * matrix[j][i] - 1.0).abs() > RECIPROCAL_TOL {
                return Err(AhpError::NotReciprocal { row: i, col: j });
            }
        }
    }
    Ok(n)
}

/// AHP priority weights and consistency of a full pairwise comparison matrix (row-major,
/// `matrix[i][j]` = how much more important item i is than item j, a_ji = 1/a_ij).
///
/// # Formula
/// w = the principal right eigenvector of A (A w = λmax w), normalised to Σw = 1;
/// CI = (λmax − n)/(n − 1); CR = CI / RI(n), with RI from [`random_index`]; n ≤ 2 gives CI = CR = 0.
///
/// The eigenvector is found by repeated squaring of A (A^(2^k), renormalised, whose row sums
/// converge to w for any positive matrix whatever the gap between the eigenvalues), polished by
/// power iteration on A to a change below 1e-15.
///
/// # Reference
/// Matches `shared/reference/ahp.json` (numpy `eig`, pymcdm, pyrepo-mcda, AHPy) to 1e-9 for
/// weights, λmax, CI and both CRs.
///
/// # Missing values
/// None allowed: a NaN, zero, negative or infinite entry is [`AhpError::NotPositive`]; the
/// checker must first complete the matrix from the judgements (listing missing pairs).
pub fn ahp(matrix: &[Vec<f64>], ri: RiTable) -> Result<Ahp, AhpError> {
    let n = validate(matrix)?;
    let a = DMatrix::from_fn(n, n, |i, j| matrix[i][j]);
    let (weights, lambda_max) = principal_eigenvector(&a);
    let ri = random_index(n, ri).ok_or(AhpError::TooLarge { n })?;
    let ci = if n <= 2 {
        0.0
    } else {
        // λmax ≥ n for a positive reciprocal matrix; clamp rounding noise on consistent ones.
        ((lambda_max - n as f64) / (n as f64 - 1.0)).max(0.0)
    };
    let cr = if ri > 0.0 { ci / ri } else { 0.0 };
    Ok(Ahp {
        weights,
        lambda_max,
        ci,
        cr,
        ri,
    })
}

/// The normalised principal eigenvector and eigenvalue of a positive square matrix.
fn principal_eigenvector(a: &DMatrix<f64>) -> (Vec<f64>, f64) {
    let n = a.nrows();
    let normalise = |v: &mut DVector<f64>| {
        let s = v.sum();
        *v /= s;
    };
    let max_change = |x: &DVector<f64>, y: &DVector<f64>| {
        x.iter()
            .zip(y.iter())
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max)
    };

    // Repeated squaring: B_k = A^(2^k) / sum, w_k = row sums of B_k.
    let mut b = a / a.sum();
    let mut w = DVector::from_element(n, 1.0 / n as f64);
    for _ in 0..64 {
        let mut next = b.column_sum();
        normalise(&mut next);
        let change = max_change(&next, &w);
        w = next;
        if change <= 1e-15 {
            break;
        }
        b = &b * &b;
        let s = b.sum();
        b /= s;
    }

    // Power iteration on A itself removes the rounding left by the squarings.
    for _ in 0..1000 {
        let mut next = a * &w;
        normalise(&mut next);
        let change = max_change(&next, &w);
        w = next;
        if change <= 1e-16 {
            break;
        }
    }
    // With Σw = 1, λmax = Σ_i (A w)_i.
    let lambda_max = (a * &w).sum();
    (w.iter().copied().collect(), lambda_max)
}

/// The judgement that disagrees most with `weights`: the largest |ln(a_ij · w_j / w_i)| over
/// i < j (the first one in row-major order on ties), and its consistent value w_i / w_j.
///
/// # Formula
/// e_ij = |ln(a_ij · w_j / w_i)|; the judgement a_ij = w_i / w_j would make e_ij = 0.
///
/// # Reference
/// LANGUAGE.md, "Weights" (the error message for CR > 0.10).
///
/// # Missing values
/// `None` when there is no pair (n < 2), when `weights` does not match the matrix, or when an
/// entry or weight is not positive.
pub fn most_inconsistent(matrix: &[Vec<f64>], weights: &[f64]) -> Option<Inconsistency> {
    let n = matrix.len();
    if n < 2 || weights.len() != n || matrix.iter().any(|r| r.len() != n) {
        return None;
    }
    let mut best: Option<(f64, Inconsistency)> = None;
    for i in 0..n {
        for j in i + 1..n {
            let (a, wi, wj) = (matrix[i][j], weights[i], weights[j]);
            if !(a > 0.0 && wi > 0.0 && wj > 0.0) {
                return None;
            }
            let e = (a * wj / wi).ln().abs();
            if best.as_ref().is_none_or(|(b, _)| e > *b) {
                let found = Inconsistency {
                    row: i,
                    col: j,
                    given: a,
                    consistent: wi / wj,
                };
                best = Some((e, found));
            }
        }
    }
    best.map(|(_, found)| found)
}

/// The sub-matrix of the items in `keep` (in that order), for when a scheme removes a child of
/// an AHP group: the judgements about the removed child are ignored.
///
/// # Panics
/// If an index in `keep` is not a row of `matrix` (the caller's invariant, not data).
pub fn submatrix(matrix: &[Vec<f64>], keep: &[usize]) -> Vec<Vec<f64>> {
    keep.iter()
        .map(|&i| keep.iter().map(|&j| matrix[i][j]).collect())
        .collect()
}

/// Row geometric-mean weights (the "approximate" AHP method), normalised to Σw = 1.
///
/// # Formula
/// w_i ∝ (Π_j a_ij)^(1/n).
///
/// # Reference
/// `geometric_mean_weights` of `shared/reference/ahp.json`, to 1e-9.
///
/// # Missing values
/// As [`ahp`]: the matrix is validated first.
pub fn geometric_mean_weights(matrix: &[Vec<f64>]) -> Result<Vec<f64>, AhpError> {
    let n = validate(matrix)?;
    let g: Vec<f64> = matrix
        .iter()
        .map(|r| (r.iter().map(|a| a.ln()).sum::<f64>() / n as f64).exp())
        .collect();
    let s: f64 = g.iter().sum();
    Ok(g.into_iter().map(|x| x / s).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::tolerance::{
        assert_all_close, assert_close, floats, reference, EXACT, REFERENCE,
    };

    fn matrix(v: &serde_json::Value) -> Vec<Vec<f64>> {
        v.as_array().unwrap().iter().map(floats).collect()
    }

    /// Source: shared/reference/ahp.json (numpy eig, cross-checked with pymcdm, pyrepo, AHPy).
    #[test]
    fn every_reference_matrix() {
        let r = reference("ahp.json");
        let ms = r["matrices"].as_object().unwrap();
        assert_eq!(ms.len(), 6);
        for (name, m) in ms {
            let a = matrix(&m["matrix"]);
            let saaty = ahp(&a, RiTable::Saaty).unwrap();
            let textbook = ahp(&a, RiTable::Textbook).unwrap();
            let w = floats(&m["weights"]);
            assert_all_close(&saaty.weights, &w, REFERENCE, &format!("{name} weights"));
            let lambda = m["lambda_max"].as_f64().unwrap();
            assert_close(saaty.lambda_max, lambda, REFERENCE, &format!("{name} λmax"));
            let ci = m["ci"].as_f64().unwrap();
            assert_close(saaty.ci, ci, REFERENCE, &format!("{name} CI"));
            let cr_s = m["cr_saaty"].as_f64().unwrap();
            assert_close(saaty.cr, cr_s, REFERENCE, &format!("{name} CR Saaty"));
            let cr_t = m["cr_textbook"].as_f64().unwrap();
            assert_close(textbook.cr, cr_t, REFERENCE, &format!("{name} CR textbook"));
            let rejected = m["rejected_at_0.10_saaty"].as_bool().unwrap();
            assert_eq!(saaty.cr > 0.10, rejected, "{name} rejection");
            let gm = geometric_mean_weights(&a).unwrap();
            let gm_ref = floats(&m["geometric_mean_weights"]);
            assert_all_close(&gm, &gm_ref, REFERENCE, &format!("{name} geometric mean"));
        }
    }

    /// Source: ahp.json, M4_inconsistent (CR 0.81).
    #[test]
    fn inconsistent_matrix_is_rejected() {
        let r = reference("ahp.json");
        let a = matrix(&r["matrices"]["M4_inconsistent"]["matrix"]);
        let res = ahp(&a, RiTable::Saaty).unwrap();
        assert!(res.cr > 0.10);
        let worst = most_inconsistent(&a, &res.weights).unwrap();
        // By hand from the reference weights, |ln(a_ij w_j / w_i)| for i < j is 1.065, 1.215,
        // 0.691, 1.526, 1.403, 0.472: largest for a_23 = 3 (consistent value w_2/w_3 = 0.652).
        assert_eq!((worst.row, worst.col), (1, 2));
        assert_close(worst.given, 3.0, REFERENCE, "given");
        let w = floats(&r["matrices"]["M4_inconsistent"]["weights"]);
        assert_close(worst.consistent, w[1] / w[2], REFERENCE, "consistent");
    }

    /// Source: ahp.json, M3_borderline_RI (CR 0.093 Saaty, 0.104 textbook).
    #[test]
    fn borderline_matrix_depends_on_the_table() {
        let r = reference("ahp.json");
        let a = matrix(&r["matrices"]["M3_borderline_RI"]["matrix"]);
        assert!(ahp(&a, RiTable::Saaty).unwrap().cr <= 0.10);
        assert!(ahp(&a, RiTable::Textbook).unwrap().cr > 0.10);
    }

    /// Source: ahp.json, M4_consistent (λmax = n, CI = CR = 0).
    #[test]
    fn consistent_matrix() {
        let r = reference("ahp.json");
        let a = matrix(&r["matrices"]["M4_consistent"]["matrix"]);
        let res = ahp(&a, RiTable::Saaty).unwrap();
        assert_close(res.lambda_max, 4.0, EXACT, "λmax");
        assert_eq!(res.ci, 0.0);
        assert_eq!(res.cr, 0.0);
    }

    /// Source: by hand; a 2 × 2 reciprocal matrix is always consistent, w = (3/4, 1/4).
    #[test]
    fn small_matrices() {
        let one = ahp(&[vec![1.0]], RiTable::Saaty).unwrap();
        assert_eq!((one.weights.clone(), one.ci, one.cr), (vec![1.0], 0.0, 0.0));
        let two = ahp(&[vec![1.0, 3.0], vec![1.0 / 3.0, 1.0]], RiTable::Textbook).unwrap();
        assert_all_close(&two.weights, &[0.75, 0.25], EXACT, "2x2 weights");
        assert_close(two.lambda_max, 2.0, EXACT, "2x2 λmax");
        assert_eq!((two.ci, two.cr, two.ri), (0.0, 0.0, 0.0));
    }

    /// Source: LANGUAGE.md, "Weights" (the RI tables).
    #[test]
    fn random_index_tables() {
        assert_eq!(random_index(2, RiTable::Saaty), Some(0.0));
        assert_eq!(random_index(3, RiTable::Saaty), Some(0.58));
        assert_eq!(random_index(3, RiTable::Textbook), Some(0.52));
        assert_eq!(random_index(7, RiTable::Textbook), Some(1.36));
        assert_eq!(random_index(15, RiTable::Saaty), Some(1.59));
        assert_eq!(random_index(16, RiTable::Saaty), None);
    }

    #[test]
    fn bad_matrices() {
        assert_eq!(ahp(&[], RiTable::Saaty), Err(AhpError::Empty));
        let big = vec![vec![1.0; 16]; 16];
        assert_eq!(ahp(&big, RiTable::Saaty), Err(AhpError::TooLarge { n: 16 }));
        let ragged = vec![vec![1.0, 2.0], vec![0.5]];
        assert_eq!(
            ahp(&ragged, RiTable::Saaty),
            Err(AhpError::NotSquare {
                row: 1,
                len: 1,
                n: 2
            })
        );
        let zero = vec![vec![1.0, 0.0], vec![f64::NAN, 1.0]];
        assert_eq!(
            ahp(&zero, RiTable::Saaty),
            Err(AhpError::NotPositive { row: 0, col: 1 })
        );
        let sym = vec![vec![1.0, 3.0], vec![3.0, 1.0]];
        assert_eq!(
            ahp(&sym, RiTable::Saaty),
            Err(AhpError::NotReciprocal { row: 0, col: 1 })
        );
    }

    /// Source: by hand; dropping item 3 of M4_consistent leaves the consistent 3 × 3 (4:2:1).
    #[test]
    fn submatrix_after_exclude() {
        let a = vec![
            vec![1.0, 2.0, 4.0, 4.0],
            vec![0.5, 1.0, 2.0, 2.0],
            vec![0.25, 0.5, 1.0, 1.0],
            vec![0.25, 0.5, 1.0, 1.0],
        ];
        let sub = submatrix(&a, &[0, 1, 3]);
        let res = ahp(&sub, RiTable::Saaty).unwrap();
        assert_all_close(&res.weights, &[4.0 / 7.0, 2.0 / 7.0, 1.0 / 7.0], EXACT, "w");
    }
}

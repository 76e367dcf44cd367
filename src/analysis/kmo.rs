//! Sampling adequacy (Kaiser–Meyer–Olkin) and Bartlett's test of sphericity.

use nalgebra::DMatrix;
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// The overall Kaiser–Meyer–Olkin measure of sampling adequacy of a correlation matrix.
///
/// # Formula
/// KMO = Σ_{i≠j} r²ᵢⱼ / (Σ_{i≠j} r²ᵢⱼ + Σ_{i≠j} q²ᵢⱼ), with the partial correlations
/// qᵢⱼ = −(R⁻¹)ᵢⱼ / √((R⁻¹)ᵢᵢ (R⁻¹)ⱼⱼ).
///
/// # Reference
/// Kaiser (1970), "A second generation little jiffy"; Kaiser & Rice (1974); R `psych::KMO()`
/// (overall MSA); OECD/JRC Handbook (2008), §3.1.
///
/// # Missing values
/// `r` must be complete. `None` with fewer than 2 variables or when R is singular (perfectly
/// correlated variables, or fewer units than variables): partial correlations do not exist.
pub fn kmo(r: &DMatrix<f64>) -> Option<f64> {
    let p = r.nrows();
    if p < 2 || r.ncols() != p || singular(r) {
        return None;
    }
    let inv = r.clone().try_inverse()?;
    let (mut sr, mut sq) = (0.0, 0.0);
    for i in 0..p {
        for j in 0..p {
            if i != j {
                sr += r[(i, j)] * r[(i, j)];
                let q = -inv[(i, j)] / (inv[(i, i)] * inv[(j, j)]).sqrt();
                sq += q * q;
            }
        }
    }
    let k = sr / (sr + sq);
    k.is_finite().then_some(k)
}

/// Bartlett's test that a correlation matrix is the identity (no correlation to summarise).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bartlett {
    pub chi2: f64,
    pub df: f64,
    pub p_value: f64,
}

/// Bartlett's test of sphericity of the p × p correlation matrix `r` of `n` units.
///
/// # Formula
/// χ² = −(n − 1 − (2p + 5)/6) · ln|R|, df = p(p − 1)/2, p-value = 1 − F_χ²(χ²; df), computed
/// as the χ² survival function so that p-values below 1e-16 do not round to 0.
///
/// # Reference
/// Bartlett (1950), "Tests of significance in factor analysis"; R `psych::cortest.bartlett()`;
/// OECD/JRC Handbook (2008), §3.1.
///
/// # Missing values
/// `r` must be complete and built from `n` complete units. `None` with fewer than 2 variables,
/// a singular R (|R| ≤ 0: ln|R| undefined) or too few units (n − 1 − (2p + 5)/6 ≤ 0).
pub fn bartlett(r: &DMatrix<f64>, n: usize) -> Option<Bartlett> {
    let p = r.nrows();
    if p < 2 || r.ncols() != p || singular(r) {
        return None;
    }
    let det = r.determinant();
    let factor = n as f64 - 1.0 - (2.0 * p as f64 + 5.0) / 6.0;
    if det <= 0.0 || !det.is_finite() || factor <= 0.0 {
        return None;
    }
    let chi2 = -factor * det.ln();
    let df = (p * (p - 1)) as f64 / 2.0;
    // The survival function, not 1 − cdf, which rounds every p below ~1e-16 to 0.
    let p_value = ChiSquared::new(df).ok()?.sf(chi2);
    Some(Bartlett { chi2, df, p_value })
}

/// Whether R is numerically singular: its smallest eigenvalue is negligible next to p.
fn singular(r: &DMatrix<f64>) -> bool {
    let eig = nalgebra::SymmetricEigen::new(r.clone());
    let min = eig
        .eigenvalues
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    min.is_nan() || min <= 1e-10 * r.nrows() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::tolerance::{assert_close, REFERENCE};

    /// 8 units × 3 variables. Reference computed independently with numpy: R = corrcoef,
    /// partial correlations from `np.linalg.inv(R)`, KMO and χ² by the formulas in the docs,
    /// and the p-value from the closed-form χ²(3) survival function
    /// erfc(√(x/2)) + √(2x/π)·e^(−x/2).
    #[test]
    fn kmo_and_bartlett_by_the_formulas() {
        let x: [[f64; 3]; 8] = [
            [2.0, 3.0, 1.0],
            [4.0, 5.0, 3.0],
            [3.0, 3.0, 2.0],
            [5.0, 6.0, 2.0],
            [6.0, 5.0, 5.0],
            [1.0, 2.0, 2.0],
            [7.0, 8.0, 4.0],
            [4.0, 3.0, 3.0],
        ];
        let cols: Vec<Vec<f64>> = (0..3).map(|j| x.iter().map(|r| r[j]).collect()).collect();
        let r = crate::analysis::correlation_matrix(&cols).unwrap();
        assert_close(kmo(&r).unwrap(), 0.4983720503957663, REFERENCE, "KMO");
        let b = bartlett(&r, 8).unwrap();
        assert_close(b.chi2, 15.045159575602984, REFERENCE, "chi2");
        assert_eq!(b.df, 3.0);
        assert_close(b.p_value, 0.0017784608375443817, 1e-9, "p");
    }

    #[test]
    fn singular_matrices_have_neither() {
        let r = DMatrix::from_row_slice(2, 2, &[1.0, 1.0, 1.0, 1.0]);
        assert!(kmo(&r).is_none());
        assert!(bartlett(&r, 10).is_none());
        let r = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.5, 1.0]);
        assert!(bartlett(&r, 2).is_none(), "n − 1 − 9/6 ≤ 0");
    }
}

//! Principal components of a correlation matrix.

use nalgebra::{DMatrix, SymmetricEigen};
use serde::Serialize;

/// The principal components of a correlation matrix, largest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pca {
    /// Eigenvalues, descending (tiny negative round-off is set to 0).
    pub eigenvalues: Vec<f64>,
    /// Each eigenvalue's share of the total (the number of variables).
    pub explained: Vec<f64>,
    /// `loadings[c][v]`: the coefficient of variable v in component c (a unit eigenvector, as
    /// R's `prcomp(scale. = TRUE)$rotation`), signed so that its largest-magnitude entry is
    /// positive.
    pub loadings: Vec<Vec<f64>>,
}

/// Principal components of the correlation matrix `r` (p × p, symmetric).
///
/// # Formula
/// R = V Λ Vᵀ (symmetric eigendecomposition); component c has variance λ_c and explains
/// λ_c / Σλ = λ_c / p of the total; its loadings are the column v_c, with the sign chosen so
/// that the entry of largest magnitude is positive (eigenvectors are defined up to sign; this
/// makes the output deterministic).
///
/// # Reference
/// OECD/JRC Handbook on Constructing Composite Indicators (2008), §3.1; R `prcomp(x, scale. =
/// TRUE)` (same eigenvalues `sdev²` and rotation up to sign); COINr `get_PCA()`.
///
/// # Missing values
/// `r` must have none; build it from complete cases ([`super::correlation_matrix`]). `None`
/// when `r` is empty or holds a NaN.
pub fn principal_components(r: &DMatrix<f64>) -> Option<Pca> {
    let p = r.nrows();
    if p == 0 || r.ncols() != p || r.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let eig = SymmetricEigen::new(r.clone());
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let total: f64 = eig.eigenvalues.iter().map(|v| v.max(0.0)).sum();
    let mut pca = Pca {
        eigenvalues: Vec::with_capacity(p),
        explained: Vec::with_capacity(p),
        loadings: Vec::with_capacity(p),
    };
    for &c in &order {
        let lambda = eig.eigenvalues[c].max(0.0);
        let mut v: Vec<f64> = eig.eigenvectors.column(c).iter().copied().collect();
        let big = v
            .iter()
            .copied()
            .fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
        if big < 0.0 {
            v.iter_mut().for_each(|x| *x = -*x);
        }
        pca.eigenvalues.push(lambda);
        pca.explained
            .push(if total > 0.0 { lambda / total } else { 0.0 });
        pca.loadings.push(v);
    }
    Some(pca)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::tolerance::{assert_all_close, REFERENCE};

    /// Source: numpy `np.linalg.eigh` of the same 3 × 3 correlation matrix, sorted descending,
    /// each eigenvector signed so that its largest-magnitude entry is positive.
    #[test]
    fn components_of_a_correlation_matrix() {
        let r = DMatrix::from_row_slice(3, 3, &[1.0, 0.6, 0.3, 0.6, 1.0, 0.2, 0.3, 0.2, 1.0]);
        let pca = principal_components(&r).unwrap();
        assert_all_close(&pca.eigenvalues, &EIGENVALUES, REFERENCE, "eigenvalues");
        assert_all_close(&pca.loadings[0], &FIRST, REFERENCE, "first loadings");
        let sum: f64 = pca.explained.iter().sum();
        assert!((sum - 1.0).abs() < 1e-12);
    }

    const EIGENVALUES: [f64; 3] = [1.7643298790791668, 0.8455407410222324, 0.3901293798986009];
    const FIRST: [f64; 3] = [0.6565175755783729, 0.6256312961980928, 0.4213907381210336];

    #[test]
    fn perfectly_correlated_variables_have_a_zero_eigenvalue() {
        let r = DMatrix::from_row_slice(2, 2, &[1.0, 1.0, 1.0, 1.0]);
        let pca = principal_components(&r).unwrap();
        assert_all_close(&pca.eigenvalues, &[2.0, 0.0], 1e-12, "eigenvalues");
        assert_all_close(&pca.explained, &[1.0, 0.0], 1e-12, "explained");
    }
}

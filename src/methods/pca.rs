//! PCA weights: the OECD/JRC Handbook (2008) procedure, principal components of the
//! correlation matrix, varimax rotation and squared loadings.

use super::{check_lengths, stats, LengthMismatch};
use nalgebra::{DMatrix, SymmetricEigen};
use std::fmt;

/// Varimax stops when no entry of the rotation matrix changes by more than this.
const VARIMAX_TOL: f64 = 1e-10;
/// An upper bound on varimax iterations (it converges in a few dozen).
const VARIMAX_MAX_ITER: usize = 1000;

/// PCA weights and what the procedure saw, for the caller's warnings and the methods table.
#[derive(Debug, Clone, PartialEq)]
pub struct PcaWeights {
    /// One weight per child, summing to 1.
    pub weights: Vec<f64>,
    /// Children without variation over the complete rows: weight 0, left out of the PCA.
    pub degenerate: Vec<usize>,
    /// Rows (0-based) left out for missing a child's value (PCA uses complete cases).
    pub dropped: Vec<usize>,
    /// The eigenvalues of the correlation matrix of the varying children, largest first.
    pub eigenvalues: Vec<f64>,
    /// How many components were retained.
    pub retained: usize,
    /// The share of the variance the retained components explain together, in [0, 1].
    pub explained: f64,
    /// No component had an eigenvalue > 1 explaining ≥ 10% (uncorrelated children): the
    /// first component was retained alone.
    pub fallback: bool,
}

/// Why PCA weights could not be computed.
#[derive(Debug, Clone, PartialEq)]
pub enum PcaError {
    /// A child's column is not as long as the first child's.
    LengthMismatch(LengthMismatch),
    /// Fewer than 2 children, or fewer than 2 that vary over the complete rows, e.g. a group
    /// of one indicator with `weights pca`.
    TooFewIndicators { children: usize, varying: usize },
    /// Fewer than 3 rows with every child present: no correlation matrix to decompose.
    TooFewComplete { complete: usize },
}

impl From<LengthMismatch> for PcaError {
    fn from(m: LengthMismatch) -> Self {
        PcaError::LengthMismatch(m)
    }
}

impl fmt::Display for PcaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PcaError::LengthMismatch(m) => m.fmt(f),
            PcaError::TooFewIndicators { children, varying } => write!(
                f,
                "PCA weights need at least 2 children that vary across units; this group has \
                 {children}, {varying} of them varying; use `weights equal` or given weights"
            ),
            PcaError::TooFewComplete { complete } => write!(
                f,
                "PCA weights need at least 3 units with every child present; found {complete} \
                 (impute the missing values with `missing mean`, or use another method)"
            ),
        }
    }
}

impl std::error::Error for PcaError {}

/// PCA weights of the children (`weights pca`; `rotated: false` is `pca unrotated`).
///
/// # Formula
/// 1. R = the Pearson correlation matrix of the varying children over the complete rows.
/// 2. Eigenvalues λ₁ ≥ … ≥ λ_p of R (Σλ = p) with unit eigenvectors v.
/// 3. Retained components (the Handbook's three criteria): every component with λ > 1 that
///    alone explains ≥ 10% of the variance (λ/p ≥ 0.1); as eigenvalues are sorted these are
///    the first m. Their cumulative share is reported in `explained`; the Handbook expects
///    ≥ 60%, and a lower share is left to the caller to warn about, not extended with
///    components of eigenvalue ≤ 1. When no component qualifies the first is kept
///    (`fallback`).
/// 4. Loadings L_if = v_if·√λ_f, and with `rotated` a varimax rotation with Kaiser
///    normalisation (R's `stats::varimax` algorithm, rows scaled to unit communality, iterated
///    until the rotation matrix changes by less than 1e-10).
/// 5. Each child goes to the factor with its largest squared loading (the first on a tie). The
///    squared loadings are scaled to unity sum within each factor (divided by the factor's
///    explained variance EV_f = Σ_i L²_if), each factor is weighted by its share of the
///    retained variance EV_f / Σ EV, and a child's weight is its factor's share × its scaled
///    squared loading there; the weights are then normalised to sum 1. (Since the EV_f cancel,
///    the result is each child's squared loading on its own factor, normalised.)
///
/// Eigenvector and loading signs are arbitrary; the weights use squares and do not depend on
/// them.
///
/// # Reference
/// OECD/JRC (2008), "Handbook on Constructing Composite Indicators", §6.1 and the TAI worked
/// example (factor loadings, squared loadings scaled to unity sum, intermediate composites
/// weighted by explained variance); Kaiser, H. F. (1958), "The varimax criterion for analytic
/// rotation in factor analysis", Psychometrika 23; checked against numpy in the tests.
///
/// # Missing values
/// Complete cases: a row missing any child is left out and listed in `dropped`. A child with
/// no variation over the complete rows gets weight 0 and is listed in `degenerate`.
pub fn pca<C: AsRef<[f64]>>(columns: &[C], rotated: bool) -> Result<PcaWeights, PcaError> {
    pca_impl(columns, rotated, None)
}

/// PCA weights as [`pca`], but retaining the first `components` components whatever their
/// eigenvalues (clamped to 1..=p, p the number of varying children): for reproducing a
/// published example that overrides the three criteria, such as the OECD/JRC Handbook's TAI
/// example, which keeps four components, two of them with λ < 1. Not reachable from the rules,
/// which always apply the criteria. `fallback` is false.
///
/// # Formula, reference, missing values
/// As [`pca`], steps 4 and 5 with m = `components`.
pub fn pca_with_components<C: AsRef<[f64]>>(
    columns: &[C],
    rotated: bool,
    components: usize,
) -> Result<PcaWeights, PcaError> {
    pca_impl(columns, rotated, Some(components))
}

fn pca_impl<C: AsRef<[f64]>>(
    columns: &[C],
    rotated: bool,
    components: Option<usize>,
) -> Result<PcaWeights, PcaError> {
    let k = columns.len();
    let expected = columns.first().map_or(0, |c| c.as_ref().len());
    check_lengths(columns, expected)?;
    if k < 2 {
        return Err(PcaError::TooFewIndicators {
            children: k,
            varying: k,
        });
    }
    let (complete, dropped): (Vec<usize>, Vec<usize>) =
        (0..expected).partition(|&r| columns.iter().all(|c| !c.as_ref()[r].is_nan()));
    if complete.len() < 3 {
        return Err(PcaError::TooFewComplete {
            complete: complete.len(),
        });
    }
    let data: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| complete.iter().map(|&r| c.as_ref()[r]).collect())
        .collect();
    let (varying, degenerate): (Vec<usize>, Vec<usize>) = (0..k).partition(|&j| {
        let s = stats::sd(&data[j]);
        s > 0.0 && s.is_finite()
    });
    let p = varying.len();
    if p < 2 {
        return Err(PcaError::TooFewIndicators {
            children: k,
            varying: p,
        });
    }
    let r = DMatrix::from_fn(p, p, |a, b| {
        if a == b {
            1.0
        } else {
            stats::pearson(&data[varying[a]], &data[varying[b]])
        }
    });
    let eigen = SymmetricEigen::new(r);
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let eigenvalues: Vec<f64> = order.iter().map(|&f| eigen.eigenvalues[f]).collect();
    let pf = p as f64;
    let qualifying = eigenvalues
        .iter()
        .take_while(|&&l| l > 1.0 && l / pf >= 0.1)
        .count();
    let (retained, fallback) = match components {
        Some(m) => (m.clamp(1, p), false),
        None if qualifying == 0 => (1, true),
        None => (qualifying, false),
    };
    let explained = eigenvalues[..retained].iter().sum::<f64>() / pf;
    let mut loadings = DMatrix::from_fn(p, retained, |i, f| {
        let col = order[f];
        eigen.eigenvectors[(i, col)] * eigenvalues[f].max(0.0).sqrt()
    });
    if rotated && retained > 1 {
        loadings = varimax(&loadings);
    }
    let squared = loadings.map(|l| l * l);
    let ev: Vec<f64> = (0..retained).map(|f| squared.column(f).sum()).collect();
    let total_ev: f64 = ev.iter().sum();
    let mut weights = vec![0.0; k];
    for (i, &child) in varying.iter().enumerate() {
        let row = squared.row(i);
        let f = (0..retained).fold(0, |best, f| if row[f] > row[best] { f } else { best });
        weights[child] = if ev[f] > 0.0 {
            (ev[f] / total_ev) * (row[f] / ev[f])
        } else {
            0.0
        };
    }
    let s: f64 = weights.iter().sum();
    if s > 0.0 {
        weights.iter_mut().for_each(|w| *w /= s);
    }
    Ok(PcaWeights {
        weights,
        degenerate,
        dropped,
        eigenvalues,
        retained,
        explained,
        fallback,
    })
}

/// Varimax rotation with Kaiser normalisation of a p × m loading matrix (m ≥ 2), as R's
/// `stats::varimax(x, normalize = TRUE)`: rows scaled to unit length, the rotation T updated
/// from the SVD of xᵀ(z³ − z·diag(Σz²)/p) with z = xT, until no entry of T changes by more than
/// [`VARIMAX_TOL`] (R stops on the criterion's relative growth, which leaves T accurate only
/// to about its square root); then the rows scaled back.
fn varimax(loadings: &DMatrix<f64>) -> DMatrix<f64> {
    let (p, m) = loadings.shape();
    let norms: Vec<f64> = (0..p).map(|i| loadings.row(i).norm()).collect();
    let x = DMatrix::from_fn(p, m, |i, f| {
        if norms[i] > 0.0 {
            loadings[(i, f)] / norms[i]
        } else {
            0.0
        }
    });
    let mut t = DMatrix::<f64>::identity(m, m);
    for _ in 0..VARIMAX_MAX_ITER {
        let z = &x * &t;
        let col_ss: Vec<f64> = (0..m).map(|f| z.column(f).norm_squared()).collect();
        let target = DMatrix::from_fn(p, m, |i, f| {
            let v = z[(i, f)];
            v * v * v - v * col_ss[f] / p as f64
        });
        let b = x.transpose() * target;
        let svd = b.svd(true, true);
        let (Some(u), Some(v_t)) = (svd.u, svd.v_t) else {
            break;
        };
        let next = u * v_t;
        let change = (&next - &t).amax();
        t = next;
        if change < VARIMAX_TOL {
            break;
        }
    }
    let mut z = &x * &t;
    for i in 0..p {
        for f in 0..m {
            z[(i, f)] *= norms[i];
        }
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::tolerance::{assert_all_close, assert_close, EXACT, REFERENCE};

    const NAN: f64 = f64::NAN;

    /// 12 units × 6 indicators from two latent factors (numpy `default_rng(7)`: children 0–2 load
    /// on the first, 3–4 on the second, 5 on both; ×10 + 50, rounded to 1 decimal).
    fn two_factors() -> Vec<Vec<f64>> {
        vec![
            vec![
                50.5, 52.4, 39.7, 39.5, 45.3, 40.4, 46.0, 62.0, 42.1, 41.4, 58.1, 51.1,
            ],
            vec![
                49.8, 57.4, 44.3, 40.5, 46.0, 40.4, 44.5, 63.8, 51.9, 36.1, 59.2, 54.2,
            ],
            vec![
                46.2, 64.4, 52.4, 35.7, 46.8, 45.5, 49.3, 64.8, 45.7, 49.0, 62.5, 48.8,
            ],
            vec![
                51.7, 39.3, 50.1, 53.4, 34.8, 44.8, 33.7, 40.5, 27.6, 45.3, 39.3, 46.7,
            ],
            vec![
                48.3, 40.1, 57.2, 61.1, 34.6, 43.2, 29.5, 46.2, 29.0, 45.8, 39.4, 52.0,
            ],
            vec![
                49.2, 39.0, 48.4, 45.9, 49.2, 47.3, 40.6, 54.9, 36.0, 53.1, 46.1, 57.2,
            ],
        ]
    }

    /// Source: numpy 2.4.6 (`np.corrcoef`, `np.linalg.eigh`), the procedure of the doc comment
    /// written again in Python; the rotated weights with Kaiser's (1958) original pairwise
    /// planar rotations (500 sweeps), an algorithm independent of the SVD one used here (the
    /// SVD form in numpy agrees with it to 4e-12). Eigenvalues 2.943, 2.158, 0.500, ...: two
    /// components retained, explaining 85.0%.
    #[test]
    fn handbook_procedure_against_numpy() {
        let cols = two_factors();
        let r = pca(&cols, true).unwrap();
        assert_eq!(r.retained, 2);
        assert!(!r.fallback && r.dropped.is_empty() && r.degenerate.is_empty());
        assert_all_close(
            &r.eigenvalues,
            &[
                2.943051422366395,
                2.158086402300013,
                0.49999176619996766,
                0.26937029463598994,
                0.11082931869611959,
                0.018670795801515448,
            ],
            REFERENCE,
            "eigenvalues",
        );
        assert_close(r.explained, 0.8501896374444012, REFERENCE, "explained");
        let kaiser = [
            0.1892292146809582,
            0.17565808399458296,
            0.1601856739216263,
            0.17172482175848303,
            0.17484398323457673,
            0.1283582224097728,
        ];
        assert_all_close(&r.weights, &kaiser, REFERENCE, "rotated");
        let u = pca(&cols, false).unwrap();
        let unrotated = [
            0.1743441326612154,
            0.20074192309733688,
            0.1842596633663217,
            0.13184201954676117,
            0.13751109982536855,
            0.17130116150299624,
        ];
        assert_all_close(&u.weights, &unrotated, REFERENCE, "unrotated");
        for w in [&r.weights, &u.weights] {
            assert_close(w.iter().sum(), 1.0, EXACT, "sum");
        }
    }

    /// Source: invariants. Reversing a child's sign flips loadings, not their squares; a
    /// missing value drops its row; a constant child gets 0 and leaves the rest unchanged.
    #[test]
    fn invariants() {
        let cols = two_factors();
        let base = pca(&cols, true).unwrap().weights;
        let mut flipped = cols.clone();
        flipped[1].iter_mut().for_each(|x| *x = -*x);
        flipped[4].iter_mut().for_each(|x| *x = 100.0 - *x);
        assert_all_close(
            &pca(&flipped, true).unwrap().weights,
            &base,
            REFERENCE,
            "sign",
        );
        // A constant seventh child: weight 0, the others as before.
        let mut with_constant = cols.clone();
        with_constant.push(vec![5.0; 12]);
        let r = pca(&with_constant, true).unwrap();
        assert_eq!(r.degenerate, vec![6]);
        assert_eq!(r.weights[6], 0.0);
        assert_all_close(&r.weights[..6], &base, REFERENCE, "constant child");
        // A missing value drops its row: same as removing the row.
        let mut holed = cols.clone();
        holed[2][5] = NAN;
        let r = pca(&holed, true).unwrap();
        assert_eq!(r.dropped, vec![5]);
        let removed: Vec<Vec<f64>> = cols
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c.remove(5);
                c
            })
            .collect();
        assert_all_close(
            &r.weights,
            &pca(&removed, true).unwrap().weights,
            EXACT,
            "complete cases",
        );
    }

    /// Source: closed form. With one dominant component (m = 1), rotation changes nothing and
    /// the weights are the squared loadings λ·v², normalised, i.e. v²: for two children with
    /// correlation r > 0, R = [[1, r], [r, 1]] has v₁ = (1, 1)/√2, so ½ each.
    #[test]
    fn one_component() {
        let cols = vec![vec![1.0, 2.0, 3.0, 4.0], vec![1.0, 3.0, 2.0, 5.0]];
        let r = pca(&cols, true).unwrap();
        assert_eq!(r.retained, 1);
        assert_all_close(&r.weights, &[0.5, 0.5], EXACT, "two children");
        // Three children: the first component's v² from the correlation matrix itself.
        let cols = vec![
            vec![1.0, 2.0, 3.0, 4.0, 5.0],
            vec![2.0, 1.0, 4.0, 3.0, 6.0],
            vec![1.0, 3.0, 2.0, 5.0, 4.0],
        ];
        let r = pca(&cols, false).unwrap();
        assert_eq!(r.retained, 1);
        let corr = DMatrix::from_fn(3, 3, |a, b| stats::pearson(&cols[a], &cols[b]));
        let e = SymmetricEigen::new(corr);
        let top = e.eigenvalues.imax();
        let v2: Vec<f64> = (0..3).map(|i| e.eigenvectors[(i, top)].powi(2)).collect();
        assert_all_close(&r.weights, &v2, EXACT, "v²");
        assert_eq!(pca(&cols, true).unwrap().weights, r.weights);
    }

    #[test]
    fn errors() {
        assert_eq!(
            pca(&[vec![1.0, 2.0, 3.0]], true),
            Err(PcaError::TooFewIndicators {
                children: 1,
                varying: 1
            })
        );
        let cols = vec![vec![1.0, 2.0, NAN, 4.0], vec![1.0, NAN, 3.0, 5.0]];
        assert_eq!(
            pca(&cols, true),
            Err(PcaError::TooFewComplete { complete: 2 })
        );
        let cols = vec![vec![1.0, 2.0, 3.0], vec![4.0, 4.0, 4.0]];
        assert_eq!(
            pca(&cols, true),
            Err(PcaError::TooFewIndicators {
                children: 2,
                varying: 1
            })
        );
        // Uncorrelated children: every eigenvalue is 1, the first component is kept.
        let cols = vec![vec![1.0, -1.0, 1.0, -1.0], vec![1.0, 1.0, -1.0, -1.0]];
        let r = pca(&cols, true).unwrap();
        assert!(r.fallback);
        assert_close(r.weights.iter().sum(), 1.0, EXACT, "fallback sum");
    }
}

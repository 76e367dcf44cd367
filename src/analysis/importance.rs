//! `qindex importance`: each indicator's and group's main effect on the index (Pearson's
//! correlation ratio η², estimated by a penalised spline), next to its nominal weight.

use super::orientation::{self, SILENT_RATIO};
use crate::analysis::NodeRef;
use crate::eval::PeriodResult;
use crate::methods::stats;
use crate::plan::{NodeId, Plan};
use nalgebra::{Cholesky, DMatrix, DVector};
use serde::Serialize;

/// Below this many units the report warns that η² is rough.
pub const FEW_UNITS: usize = 30;
/// The fewest complete pairs a smoother is fitted to.
pub const MIN_PAIRS: usize = 5;
/// The most B-spline segments over the range of x.
pub const MAX_SEGMENTS: usize = 20;
/// The fewest B-spline segments.
pub const MIN_SEGMENTS: usize = 3;

/// A smoother's estimate of η² = Var(E[y|x]) / Var(y).
#[derive(Debug, Clone, PartialEq)]
pub struct Smooth {
    pub eta2: f64,
    /// The chosen smoothing parameter λ relative to trace(BᵀB)/trace(DᵀD); `None` for the
    /// straight line (λ = ∞).
    pub lambda: Option<f64>,
    /// Effective degrees of freedom, trace of the hat matrix (2 for the straight line).
    pub df: f64,
    /// The number of complete (x, y) pairs used.
    pub n: usize,
}

/// Why η² could not be estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undefined {
    TooFewPairs,
    ConstantX,
    ConstantY,
}

impl Undefined {
    pub fn reason(self) -> &'static str {
        match self {
            Undefined::TooFewPairs => "fewer than 5 units have both values",
            Undefined::ConstantX => "the value does not vary across the units",
            Undefined::ConstantY => "the index does not vary across the units",
        }
    }
}

/// Cubic B-spline basis functions at `x` on equally spaced knots `t0 + j·h`, j = 0..m+3.
fn bspline_row(x: f64, t0: f64, h: f64, m: usize, row: &mut [f64]) {
    // Cox–de Boor on the uniform knot sequence; the span holding x is the one starting at knot
    // j with t0 + j·h ≤ x < t0 + (j+1)·h, the last interior span taking x = max.
    let u = (x - t0) / h;
    let last = m - 1; // the last span index with full support, j = 3..=m-1
    let j = (u.floor() as isize).clamp(3, last as isize) as usize;
    let s = u - j as f64; // in [0, 1]
                          // The four non-zero uniform cubic B-splines on the span, in order j-3..=j.
    let b = [
        (1.0 - s).powi(3) / 6.0,
        (3.0 * s.powi(3) - 6.0 * s * s + 4.0) / 6.0,
        (-3.0 * s.powi(3) + 3.0 * s * s + 3.0 * s + 1.0) / 6.0,
        s.powi(3) / 6.0,
    ];
    row.iter_mut().for_each(|v| *v = 0.0);
    for (k, v) in b.iter().enumerate() {
        row[j - 3 + k] = *v;
    }
}

/// Pearson's correlation ratio η² of `y` on `x` over the complete pairs, by a P-spline.
///
/// # Formula
/// E[y|x] is estimated by a penalised regression spline (P-spline, Eilers & Marx 1996,
/// "Flexible smoothing with B-splines and penalties", Statistical Science 11(2)): a cubic
/// B-spline basis B on K = clamp(distinct x / 2, 3, 20) equal segments over [min x, max x]
/// (K + 3 coefficients α), fitted by minimising ‖y − Bα‖² + λ‖D₂α‖² with D₂ the second
/// differences. The penalty's null space is the straight lines, so λ → ∞ is the least-squares
/// line, whose η² is exactly r². λ is chosen by generalised cross-validation,
/// GCV(λ) = n·RSS / (n − tr H)², over λ = s·10^(k/4), k = −24..=24, with
/// s = tr(BᵀB)/tr(DᵀD), and over the line itself (tr H = 2); candidates are tried from the
/// line towards small λ and one replaces the best only when its GCV is lower by more than a
/// relative 1e-9, so a tie keeps the smoother fit. Then η² = Σ(ŷ − ȳ)² / Σ(y − ȳ)², which lies
/// in [0, 1] because the fit keeps the mean and shrinks. This follows Becker, Saisana, Paruolo &
/// Vandecasteele 2017, "Weights and importance in composite indicators: Closing the gap",
/// Ecological Indicators 80:12–22, who estimate the main effects with penalised splines.
///
/// # Missing values
/// Pairs where either value is missing (NaN) are left out; [`Smooth::n`] counts the rest.
pub fn correlation_ratio(x: &[f64], y: &[f64]) -> Result<Smooth, Undefined> {
    let (xs, ys): (Vec<f64>, Vec<f64>) = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (*a, *b))
        .unzip();
    let n = xs.len();
    if n < MIN_PAIRS {
        return Err(Undefined::TooFewPairs);
    }
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    let my = ys.iter().sum::<f64>() / n as f64;
    let syy: f64 = ys.iter().map(|v| (v - my) * (v - my)).sum();
    // Relative to the data's magnitude, so rounding noise in a constant column counts as constant.
    let yscale = ys.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
    if hi - lo <= 1e-12 * lo.abs().max(hi.abs()).max(1e-300) {
        return Err(Undefined::ConstantX);
    }
    if syy.sqrt() <= 1e-12 * yscale * (n as f64).sqrt() {
        return Err(Undefined::ConstantY);
    }
    // The straight line: η² = r².
    let mx = xs.iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (a, b) in xs.iter().zip(&ys) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
    }
    let line_ss = sxy * sxy / sxx; // Σ(ŷ − ȳ)² of the least-squares line
    let line_rss = (syy - line_ss).max(0.0);
    let gcv = |rss: f64, tr: f64| n as f64 * rss / ((n as f64 - tr) * (n as f64 - tr));
    let mut best = Smooth {
        eta2: (line_ss / syy).clamp(0.0, 1.0),
        lambda: None,
        df: 2.0,
        n,
    };
    let mut best_gcv = if n > 2 {
        gcv(line_rss, 2.0)
    } else {
        f64::INFINITY
    };

    let mut distinct = xs.clone();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let segments = (distinct.len() / 2).clamp(MIN_SEGMENTS, MAX_SEGMENTS);
    let m = segments + 3;
    let h = (hi - lo) / segments as f64;
    let t0 = lo - 3.0 * h;
    let mut b = DMatrix::<f64>::zeros(n, m);
    let mut row = vec![0.0; m];
    for (i, v) in xs.iter().enumerate() {
        bspline_row(*v, t0, h, m, &mut row);
        for (k, r) in row.iter().enumerate() {
            b[(i, k)] = *r;
        }
    }
    let mut d = DMatrix::<f64>::zeros(m - 2, m);
    for i in 0..m - 2 {
        d[(i, i)] = 1.0;
        d[(i, i + 1)] = -2.0;
        d[(i, i + 2)] = 1.0;
    }
    let btb = b.transpose() * &b;
    let p = d.transpose() * &d;
    let yv = DVector::from_vec(ys.clone());
    let bty = b.transpose() * &yv;
    let s = btb.trace() / p.trace();
    for k in (-24..=24).rev() {
        let rel = 10f64.powf(k as f64 / 4.0);
        let a = &btb + &p * (s * rel);
        let Some(chol) = Cholesky::new(a) else {
            continue;
        };
        let alpha = chol.solve(&bty);
        let fitted = &b * &alpha;
        let rss: f64 = fitted.iter().zip(&ys).map(|(f, v)| (v - f) * (v - f)).sum();
        let tr = chol.solve(&btb).trace();
        if n as f64 - tr <= 1e-6 {
            continue;
        }
        let g = gcv(rss, tr);
        if g < best_gcv * (1.0 - 1e-9) - 1e-300 {
            let mf = fitted.iter().sum::<f64>() / n as f64;
            let ss: f64 = fitted.iter().map(|f| (f - mf) * (f - mf)).sum();
            best_gcv = g;
            best = Smooth {
                eta2: (ss / syy).clamp(0.0, 1.0),
                lambda: Some(rel),
                df: tr,
                n,
            };
        }
    }
    Ok(best)
}

#[derive(Debug, Clone, Serialize)]
pub struct Importance {
    pub scheme: String,
    pub period: Option<String>,
    /// The units (rows the rules rank) the measures are computed over.
    pub units: usize,
    pub silent_ratio: f64,
    pub warnings: Vec<String>,
    pub nodes: Vec<NodeImportance>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeImportance {
    /// The node, its place in the tree and its weight within the parent.
    #[serde(flatten)]
    pub node: NodeRef,
    /// The overall weight in the index (the product of the weights down the path).
    pub overall: f64,
    /// Units with both this node's value and the index score.
    pub n: usize,
    pub eta2: Option<f64>,
    /// Why `eta2` is missing.
    pub undefined: Option<&'static str>,
    /// The smoother's effective degrees of freedom (2: the straight line).
    pub df: Option<f64>,
    /// The weight's share among the siblings (the siblings' weights normalised to 1).
    pub nominal_share_of_siblings: f64,
    /// η² as a share of the siblings' η².
    pub share_of_siblings: Option<f64>,
    /// Indicators: the overall weight as a share of all indicators' overall weights.
    pub nominal_share_of_indicators: Option<f64>,
    /// Indicators: η² as a share of all indicators' η² (Becker et al.'s effective weight).
    pub share_of_indicators: Option<f64>,
    /// Pearson's r with the index.
    pub r: Option<f64>,
    pub r2: Option<f64>,
    /// Indicators: r² as a share of all indicators' r², as `qindex orientation` reports it.
    pub linear_share: Option<f64>,
    pub silent: bool,
}

fn share(x: f64, total: f64) -> Option<f64> {
    (total > 0.0).then(|| x / total)
}

/// The importance report of one period's results.
///
/// For every node below the index: η² of the index score (before adjustments) on the node's
/// value (normalised value for an indicator, score for a group) over the units, by
/// [`correlation_ratio`]; its share among the siblings and, for indicators, among all
/// indicators; beside the nominal weights and the linear measure of `qindex orientation`.
/// A node is silent when its η² share is below [`SILENT_RATIO`] of its nominal share: among
/// all indicators for an indicator, among the siblings for a group. A node whose η² is
/// undefined is never called silent; its reason is given instead.
pub fn importance(plan: &Plan, p: &PeriodResult) -> Importance {
    let rows: Vec<usize> = (0..p.len()).filter(|i| p.is_unit[*i]).collect();
    let index = p.values(NodeId::ROOT);
    let y: Vec<f64> = rows.iter().map(|i| index[*i]).collect();
    let linear = orientation::orientation(plan, p);
    let fin = |v: f64| if v.is_finite() { v } else { 0.0 };
    let mut nodes: Vec<NodeImportance> = Vec::new();
    let mut of: Vec<NodeId> = Vec::new();
    for id in plan.ids().skip(1) {
        let node = plan.node(id);
        let x: Vec<f64> = rows.iter().map(|i| p.value(id, *i)).collect();
        let n = x
            .iter()
            .zip(&y)
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .count();
        let fit = correlation_ratio(&x, &y);
        let r = stats::pearson(&x, &y);
        let r = r.is_finite().then_some(r);
        let lin = linear.indicators.iter().find(|s| s.id == node.id);
        nodes.push(NodeImportance {
            node: NodeRef::new(plan, id, fin(p.weights[id.index()])),
            overall: fin(p.overall[id.index()]),
            n,
            eta2: fit.as_ref().ok().map(|f| f.eta2),
            undefined: fit.as_ref().err().map(|e| e.reason()),
            df: fit.as_ref().ok().map(|f| f.df),
            nominal_share_of_siblings: 0.0,
            share_of_siblings: None,
            nominal_share_of_indicators: None,
            share_of_indicators: None,
            r: lin.map_or(r, |l| l.r),
            r2: lin.map_or(r, |l| l.r).map(|v| v * v),
            linear_share: lin.map(|l| l.importance),
            silent: false,
        });
        of.push(id);
    }
    let pos = |id: NodeId| of.iter().position(|x| *x == id);
    // Shares among siblings.
    for parent in plan.ids() {
        let kids: Vec<usize> = plan
            .node(parent)
            .children
            .iter()
            .filter_map(|c| pos(*c))
            .collect();
        let w: f64 = kids.iter().map(|k| nodes[*k].node.weight).sum();
        let e: f64 = kids.iter().filter_map(|k| nodes[*k].eta2).sum();
        for k in kids {
            let nd = &mut nodes[k];
            nd.nominal_share_of_siblings = share(nd.node.weight, w).unwrap_or(0.0);
            nd.share_of_siblings = nd.eta2.and_then(|v| share(v, e));
            if !nd.node.kind.starts_with('i') {
                nd.silent = nd.share_of_siblings.is_some_and(|s| {
                    nd.nominal_share_of_siblings > 0.0
                        && s < SILENT_RATIO * nd.nominal_share_of_siblings
                });
            }
        }
    }
    // Shares among all indicators.
    let ind: Vec<usize> = (0..nodes.len())
        .filter(|k| nodes[*k].node.kind == "indicator")
        .collect();
    let w: f64 = ind.iter().map(|k| nodes[*k].overall).sum();
    let e: f64 = ind.iter().filter_map(|k| nodes[*k].eta2).sum();
    for k in ind {
        let nd = &mut nodes[k];
        nd.nominal_share_of_indicators = Some(share(nd.overall, w).unwrap_or(0.0));
        nd.share_of_indicators = nd.eta2.and_then(|v| share(v, e));
        let nom = nd.nominal_share_of_indicators.unwrap_or(0.0);
        nd.silent = nd
            .share_of_indicators
            .is_some_and(|s| nom > 0.0 && s < SILENT_RATIO * nom);
    }
    let mut warnings = Vec::new();
    if rows.len() < FEW_UNITS {
        warnings.push(format!(
            "only {} units: a smoother's η² over fewer than {FEW_UNITS} units is rough; read the shares as indications",
            rows.len()
        ));
    }
    Importance {
        scheme: plan.scheme.clone(),
        period: p.period.clone(),
        units: rows.len(),
        silent_ratio: SILENT_RATIO,
        warnings,
        nodes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r2(x: &[f64], y: &[f64]) -> f64 {
        let r = stats::pearson(x, y);
        r * r
    }

    /// A seeded, dependency-free noise in [-0.5, 0.5).
    fn noise(n: usize) -> Vec<f64> {
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect()
    }

    #[test]
    fn equals_r2_on_a_linear_relation() {
        // Exactly linear: every fit is exact, η² = r² = 1 to rounding.
        let x: Vec<f64> = (0..40).map(|i| (i as f64 * 0.37).sin() * 10.0).collect();
        let y: Vec<f64> = x.iter().map(|v| 3.0 - 2.0 * v).collect();
        let s = correlation_ratio(&x, &y).unwrap();
        assert!((s.eta2 - r2(&x, &y)).abs() < 1e-9, "{s:?}");
        // Linear with noise: the spline nests the line, so η² ≥ r²; GCV may spend a couple of
        // degrees of freedom on the noise, which explain about (df − 2)/(n − 2) of the residual
        // variance 1 − r². Here r² = 0.97, so η² is within 0.003 of r².
        let e = noise(60);
        let x: Vec<f64> = (0..60).map(|i| i as f64 / 6.0).collect();
        let y: Vec<f64> = x.iter().zip(&e).map(|(v, e)| 1.0 + 0.5 * v + e).collect();
        let s = correlation_ratio(&x, &y).unwrap();
        let r2 = r2(&x, &y);
        let slack = 2.0 * (s.df - 2.0) / (60.0 - 2.0) * (1.0 - r2);
        assert!(
            s.eta2 >= r2 - 1e-12 && s.eta2 - r2 <= slack,
            "{s:?} vs {r2}"
        );
        assert!(s.eta2 - r2 < 0.003, "{s:?} vs {r2}");
    }

    #[test]
    fn sees_what_correlation_misses() {
        // A noiseless U: r² ≈ 0 but y is a function of x, so η² ≈ 1.
        let x: Vec<f64> = (0..41).map(|i| i as f64 / 20.0 - 1.0).collect();
        let y: Vec<f64> = x.iter().map(|v| v * v).collect();
        let s = correlation_ratio(&x, &y).unwrap();
        assert!(r2(&x, &y) < 1e-12);
        assert!(s.eta2 > 0.999, "{s:?}");
        // A noiseless monotone cubic: r² clearly below 1, η² ≈ 1.
        let y: Vec<f64> = x.iter().map(|v| v.powi(3)).collect();
        assert!(r2(&x, &y) < 0.9);
        assert!(correlation_ratio(&x, &y).unwrap().eta2 > 0.999);
    }

    #[test]
    fn matches_an_independent_computation() {
        // numpy 2.4 (/tmp/venv-imp), the same P-spline written independently with the general
        // Cox–de Boor recursion and dense hat matrices:
        //   K = min(max(len(unique(x))//2, 3), 20); m = K+3; h = (max-min)/K
        //   knots = min + h*(arange(m+4)-3); B[i,j] = bspline_j(x_i) (degree 3)
        //   D = diff(eye(m), 2, axis=0); s = tr(BᵀB)/tr(DᵀD)
        //   for k in 24..=-24: H = B (BᵀB + s·10^(k/4) DᵀD)⁻¹ Bᵀ; GCV = n·RSS/(n − tr H)²
        //   starting from the straight line (tr H = 2), keeping a candidate only when its GCV
        //   is below best·(1 − 1e-9); η² = Σ(f − f̄)²/Σ(y − ȳ)²
        // gives η² = 0.9645179126199074 with tr H = 4.668103026370182 (r² = 0.4047).
        let x = [0.5, 1.2, 2.0, 2.9, 3.1, 4.4, 5.0, 5.8, 6.6, 7.3, 8.1, 9.0];
        let y = [3.1, 1.9, 1.2, 0.4, 0.9, 0.2, 0.8, 1.6, 2.2, 3.9, 5.3, 7.7];
        let s = correlation_ratio(&x, &y).unwrap();
        assert!((s.eta2 - 0.9645179126199074).abs() < 1e-9, "{s:?}");
        assert!((s.df - 4.668103026370182).abs() < 1e-6, "{s:?}");
    }

    #[test]
    fn undefined_cases_are_reasons_not_nan() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(correlation_ratio(&[2.0; 6], &x), Err(Undefined::ConstantX));
        assert_eq!(correlation_ratio(&x, &[7.0; 6]), Err(Undefined::ConstantY));
        let nan = f64::NAN;
        assert_eq!(
            correlation_ratio(&[1.0, nan, 3.0, 4.0, nan, 6.0], &x),
            Err(Undefined::TooFewPairs)
        );
        // Pairwise complete cases: the missing pair is left out and counted.
        let s = correlation_ratio(&[1.0, 2.0, nan, 4.0, 5.0, 6.0], &x).unwrap();
        assert_eq!(s.n, 5);
        assert!(s.eta2.is_finite());
    }
}

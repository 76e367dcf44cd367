//! Descriptive statistics and correlations over columns with missing values.
//!
//! Every function ignores NaN (missing) entries and returns NaN when the statistic is not
//! defined for the values present (too few values, zero variance).

use super::rank::mid_ranks;

/// The present (non-NaN) values of `x`.
pub fn present(x: &[f64]) -> impl Iterator<Item = f64> + '_ {
    x.iter().copied().filter(|v| !v.is_nan())
}

/// The number of present values.
pub fn count(x: &[f64]) -> usize {
    present(x).count()
}

/// The smallest present value; NaN when none.
pub fn min(x: &[f64]) -> f64 {
    present(x).fold(f64::NAN, f64::min)
}

/// The largest present value; NaN when none.
pub fn max(x: &[f64]) -> f64 {
    present(x).fold(f64::NAN, f64::max)
}

/// The sum of the present values (0 when none).
pub fn sum(x: &[f64]) -> f64 {
    present(x).sum()
}

/// Arithmetic mean.
///
/// # Formula
/// x̄ = Σx / n over the n present values; when they are all equal, that value. (Σx / n can miss
/// it by a rounding, 0.1 + 0.1 + 0.1 over 3 being 0.10000000000000002, which would give equal
/// values a variance, a skewness and a z-score of rounding noise instead of none.)
///
/// # Reference
/// By hand (exact rational arithmetic) in the tests.
///
/// # Missing values
/// NaN ignored; NaN when no value is present.
pub fn mean(x: &[f64]) -> f64 {
    let mut values = present(x);
    let Some(first) = values.next() else {
        return f64::NAN;
    };
    let (s, n, equal) = values.fold((first, 1usize, true), |(s, n, e), v| {
        (s + v, n + 1, e && v == first)
    });
    if equal {
        first
    } else {
        s / n as f64
    }
}

/// Central moments m_k = Σ(x − x̄)^k / n for k = 2, 3, 4, and n.
fn moments(x: &[f64]) -> (usize, f64, f64, f64) {
    let m = mean(x);
    let (mut n, mut m2, mut m3, mut m4) = (0usize, 0.0, 0.0, 0.0);
    for v in present(x) {
        let d = v - m;
        let d2 = d * d;
        n += 1;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    let nf = n as f64;
    (n, m2 / nf, m3 / nf, m4 / nf)
}

/// Sample variance with n − 1 in the denominator.
///
/// # Formula
/// s² = Σ(x − x̄)² / (n − 1).
///
/// # Reference
/// LANGUAGE.md "Conventions" (n − 1); by hand in the tests.
///
/// # Missing values
/// NaN ignored; NaN when fewer than 2 values are present.
pub fn variance(x: &[f64]) -> f64 {
    let m = mean(x);
    let (ss, n) = present(x).fold((0.0, 0usize), |(s, n), v| (s + (v - m) * (v - m), n + 1));
    if n < 2 {
        f64::NAN
    } else {
        ss / (n - 1) as f64
    }
}

/// Sample standard deviation with n − 1, √[`variance`].
///
/// # Missing values
/// As [`variance`].
pub fn sd(x: &[f64]) -> f64 {
    variance(x).sqrt()
}

/// Bias-adjusted sample skewness G1 (e1071 `type = 2`, SAS, Excel `SKEW`, COINr).
///
/// # Formula
/// g1 = m3 / m2^(3/2), G1 = g1 · √(n(n − 1)) / (n − 2), with m_k = Σ(x − x̄)^k / n.
///
/// # Reference
/// LANGUAGE.md "Conventions"; by hand (exact moments) in the tests.
///
/// # Missing values
/// NaN ignored; NaN when fewer than 3 values are present or they are all equal.
pub fn skewness(x: &[f64]) -> f64 {
    let (n, m2, m3, _) = moments(x);
    if n < 3 || m2 == 0.0 {
        return f64::NAN;
    }
    let nf = n as f64;
    m3 / m2.powf(1.5) * (nf * (nf - 1.0)).sqrt() / (nf - 2.0)
}

/// Bias-adjusted sample excess kurtosis G2 (e1071 `type = 2`, SAS, Excel `KURT`, COINr).
///
/// # Formula
/// g2 = m4 / m2² − 3, G2 = ((n + 1) g2 + 6)(n − 1) / ((n − 2)(n − 3)).
///
/// # Reference
/// LANGUAGE.md "Conventions"; by hand (exact moments) in the tests.
///
/// # Missing values
/// NaN ignored; NaN when fewer than 4 values are present or they are all equal.
pub fn kurtosis(x: &[f64]) -> f64 {
    let (n, m2, _, m4) = moments(x);
    if n < 4 || m2 == 0.0 {
        return f64::NAN;
    }
    let nf = n as f64;
    let g2 = m4 / (m2 * m2) - 3.0;
    ((nf + 1.0) * g2 + 6.0) * (nf - 1.0) / ((nf - 2.0) * (nf - 3.0))
}

/// The p-quantile by linear interpolation between order statistics (Hyndman & Fan type 7,
/// the default of R and numpy).
///
/// # Formula
/// h = (n − 1)p; Q(p) = x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎), order statistics 0-based.
///
/// # Reference
/// R `quantile(type = 7)`; by hand in the tests.
///
/// # Missing values
/// NaN ignored; NaN when no value is present or p is outside 0..=1.
pub fn quantile(x: &[f64], p: f64) -> f64 {
    let mut v: Vec<f64> = present(x).collect();
    v.sort_by(f64::total_cmp);
    quantile_sorted(&v, p)
}

/// [`quantile`] of values already sorted ascending with no NaN (to take several quantiles of
/// one column without sorting it again).
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The median, [`quantile`] at ½ (the mean of the two middle values for even n).
pub fn median(x: &[f64]) -> f64 {
    quantile(x, 0.5)
}

/// Pearson's correlation coefficient.
///
/// # Formula
/// r = Σ(x − x̄)(y − ȳ) / √(Σ(x − x̄)² Σ(y − ȳ)²).
///
/// # Reference
/// By hand (exact rational arithmetic) in the tests.
///
/// # Missing values
/// Pairwise complete: a pair is used when both x_i and y_i are present (R
/// `use = "pairwise.complete.obs"`). NaN when fewer than 2 pairs, either side is constant, or the
/// lengths differ.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    if x.len() != y.len() {
        return f64::NAN;
    }
    let pairs = || x.iter().zip(y).filter(|(a, b)| !a.is_nan() && !b.is_nan());
    let (mut n, mut sx, mut sy) = (0usize, 0.0, 0.0);
    for (a, b) in pairs() {
        n += 1;
        sx += a;
        sy += b;
    }
    if n < 2 {
        return f64::NAN;
    }
    let (mx, my) = (sx / n as f64, sy / n as f64);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in pairs() {
        let (da, db) = (a - mx, b - my);
        sxy += da * db;
        sxx += da * da;
        syy += db * db;
    }
    if sxx == 0.0 || syy == 0.0 {
        return f64::NAN;
    }
    (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0)
}

/// Spearman's rank correlation: Pearson on mid-ranks (ties averaged).
///
/// # Formula
/// ρ = r(rank(x), rank(y)), ranks with ties = "average", taken over the complete pairs.
///
/// # Reference
/// R `cor(method = "spearman")`; by hand in the tests.
///
/// # Missing values
/// Pairwise complete, as [`pearson`]: ranks are taken over the complete pairs only.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    if x.len() != y.len() {
        return f64::NAN;
    }
    let (xs, ys): (Vec<f64>, Vec<f64>) = x
        .iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .map(|(a, b)| (*a, *b))
        .unzip();
    let mut rx = vec![0.0; xs.len()];
    let mut ry = vec![0.0; ys.len()];
    mid_ranks(&xs, &mut rx);
    mid_ranks(&ys, &mut ry);
    pearson(&rx, &ry)
}

/// Kendall's tau-b between two columns, over the rows where both are present.
///
/// # Formula
/// τ_b = (C − D) / √((n₀ − n₁)(n₀ − n₂)), with C and D the concordant and discordant pairs,
/// n₀ = n(n − 1)/2, n₁ = Σ tᵢ(tᵢ − 1)/2 over groups of ties in x and n₂ the same in y; a pair
/// tied in x or y is neither concordant nor discordant. NaN when either column is constant or
/// fewer than 2 rows are present.
///
/// # Reference
/// Kendall (1945), "The treatment of ties in ranking problems"; `scipy.stats.kendalltau`
/// (its default, variant "b"). O(n²): meant for rankings of up to a few thousand units.
///
/// # Missing values
/// Rows where either value is missing are left out.
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> f64 {
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .map(|(a, b)| (*a, *b))
        .collect();
    let n = pairs.len();
    if n < 2 {
        return f64::NAN;
    }
    let (mut c, mut d, mut tx, mut ty) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..n {
        for j in i + 1..n {
            let dx = pairs[i].0 - pairs[j].0;
            let dy = pairs[i].1 - pairs[j].1;
            if dx == 0.0 {
                tx += 1;
            }
            if dy == 0.0 {
                ty += 1;
            }
            if dx != 0.0 && dy != 0.0 {
                if (dx > 0.0) == (dy > 0.0) {
                    c += 1;
                } else {
                    d += 1;
                }
            }
        }
    }
    let n0 = (n * (n - 1) / 2) as i64;
    let denom = (((n0 - tx) as f64) * ((n0 - ty) as f64)).sqrt();
    if denom == 0.0 {
        f64::NAN
    } else {
        (c - d) as f64 / denom
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::tolerance::{assert_close, EXACT};

    const NAN: f64 = f64::NAN;
    // A right-skewed sample with one missing value; reference values computed by hand with
    // exact rational moments (Python `fractions`), formulas as in each function's doc.
    const X: [f64; 10] = [2.0, 4.0, NAN, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0, 30.0];
    const Y: [f64; 10] = [1.0, 3.0, 99.0, 2.0, 5.0, 4.0, 6.0, 8.0, 7.0, 20.0];

    /// Source: by hand (exact rationals): mean 70/9, sd √(587.5556/8).
    #[test]
    fn mean_and_sd() {
        assert_close(mean(&X), 7.777777777777778, EXACT, "mean");
        assert_close(sd(&X), 8.56997342145496, EXACT, "sd");
        assert_eq!(count(&X), 9);
        assert_eq!((min(&X), max(&X)), (2.0, 30.0));
        assert!(mean(&[NAN]).is_nan());
        assert!(sd(&[1.0]).is_nan());
    }

    /// Equal values have their value as mean and no spread, though Σx / n misses the value
    /// (0.1 + 0.1 + 0.1 = 0.30000000000000004, over 3: 0.10000000000000002).
    #[test]
    fn equal_values_do_not_vary() {
        for v in [0.1, 1.0 / 3.0, 7.7, -2.9, 1e-300] {
            for n in 2..12 {
                let mut x = vec![v; n];
                x.push(NAN);
                assert_eq!(mean(&x), v, "{v} x {n}");
                assert_eq!(variance(&x), 0.0, "{v} x {n}");
                if n >= 4 {
                    assert!(skewness(&x).is_nan() && kurtosis(&x).is_nan(), "{v} x {n}");
                }
            }
        }
        assert_ne!((0.1 + 0.1 + 0.1) / 3.0, 0.1, "the case this guards against");
    }

    /// Source: by hand (exact moments into the G1/G2 formulas, e1071 type 2).
    #[test]
    fn skewness_and_kurtosis() {
        assert_close(skewness(&X), 2.700918689576976, EXACT, "G1");
        assert_close(kurtosis(&X), 7.6300473737161365, EXACT, "G2");
        // Symmetric sample: G1 = 0. Uniform 1..5: G2 = ((6·(−1.3)) + 6)·4/(3·2) = −1.2.
        assert_close(skewness(&[1.0, 2.0, 3.0, 4.0, 5.0]), 0.0, EXACT, "G1 sym");
        assert_close(kurtosis(&[1.0, 2.0, 3.0, 4.0, 5.0]), -1.2, EXACT, "G2 unif");
        assert!(skewness(&[1.0, 1.0, 1.0]).is_nan());
        assert!(kurtosis(&[1.0, 2.0, 3.0]).is_nan());
    }

    /// Source: by hand, type 7: h = 8p over the sorted 2 4 4 4 5 5 7 9 30.
    #[test]
    fn quantiles_type_7() {
        for (p, q) in [
            (0.0, 2.0),
            (0.1, 3.6),
            (0.25, 4.0),
            (0.5, 5.0),
            (0.9, 13.2),
            (1.0, 30.0),
        ] {
            assert_close(quantile(&X, p), q, EXACT, &format!("Q({p})"));
        }
        assert_close(median(&[1.0, 2.0, 3.0, 10.0]), 2.5, EXACT, "even median");
        assert!(quantile(&X, 1.5).is_nan());
        assert!(quantile(&[NAN], 0.5).is_nan());
    }

    /// Source: by hand (exact rationals); the pair with x missing is dropped.
    #[test]
    fn correlations() {
        assert_close(pearson(&X, &Y), 0.9688990956108372, EXACT, "pearson");
        assert_close(spearman(&X, &Y), 0.9193570532194485, EXACT, "spearman");
        assert_close(
            pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]),
            -1.0,
            EXACT,
            "r = -1",
        );
        assert!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_nan());
        assert!(pearson(&[1.0], &[1.0, 2.0]).is_nan());
    }
}

//! Cronbach's alpha: the internal consistency of a set of items.

use crate::methods::stats;

/// Cronbach's alpha of `items` (one slice per item, all the same length), over complete cases.
///
/// # Formula
/// α = k/(k − 1) · (1 − Σ s²ᵢ / s²ₜ), with k items, s²ᵢ the sample variance (n − 1) of item i
/// and s²ₜ that of the row totals Σᵢ xᵢ.
///
/// # Reference
/// Cronbach (1951), "Coefficient alpha and the internal structure of tests"; OECD/JRC Handbook
/// on Constructing Composite Indicators (2008), §3.3; COINr `get_cronbach()` (complete cases).
///
/// # Missing values
/// Rows with any item missing are dropped. `None` with fewer than 2 items, fewer than 2
/// complete rows, or totals that do not vary.
pub fn cronbach(items: &[&[f64]]) -> Option<f64> {
    let k = items.len();
    if k < 2 {
        return None;
    }
    let cols = super::complete_cases(items);
    let n = cols[0].len();
    if n < 2 {
        return None;
    }
    let totals: Vec<f64> = (0..n).map(|i| cols.iter().map(|c| c[i]).sum()).collect();
    let total_var = stats::variance(&totals);
    if total_var.is_nan() || total_var <= 0.0 {
        return None;
    }
    let item_var: f64 = cols.iter().map(|c| stats::variance(c)).sum();
    let kf = k as f64;
    Some(kf / (kf - 1.0) * (1.0 - item_var / total_var))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::tolerance::{assert_close, EXACT};

    /// Source: the formula evaluated independently with numpy
    /// (`k/(k-1)*(1-X.var(0,ddof=1).sum()/X.sum(1).var(ddof=1))`) on 5 respondents × 3 items;
    /// the row with a missing item is dropped first.
    #[test]
    fn alpha_by_the_formula() {
        let a = [4.0, 5.0, 3.0, 2.0, 5.0, f64::NAN];
        let b = [3.0, 5.0, 4.0, 2.0, 4.0, 1.0];
        let c = [4.0, 4.0, 3.0, 1.0, 5.0, 2.0];
        assert_close(cronbach(&[&a, &b, &c]).unwrap(), ALPHA_ABC, EXACT, "alpha");
    }

    const ALPHA_ABC: f64 = 0.9197080291970802;

    #[test]
    fn alpha_is_undefined_without_variation_or_items() {
        assert!(cronbach(&[&[1.0, 2.0]]).is_none());
        assert!(cronbach(&[&[1.0, 1.0], &[2.0, 2.0]]).is_none());
        assert!(cronbach(&[&[1.0, f64::NAN], &[2.0, 3.0]]).is_none());
    }
}

//! Survey estimation: item scores, respondent dimension scores, weighted means, their
//! Taylor-linearised standard errors and the rescaling bootstrap (LANGUAGE.md, "Surveys (v1)").
//!
//! Everything here works on one unit × period at a time: the respondents' values and weights as
//! slices, and their sampling design as a [`Design`] (each respondent's primary sampling unit,
//! each PSU's stratum). A missing value is `f64::NAN`.

use rand::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The answer range of an item, `lo..hi` (`scale 1..5`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scale {
    pub lo: f64,
    pub hi: f64,
}

impl Scale {
    /// Whether the range is usable: finite ends with `lo < hi`.
    pub fn is_valid(&self) -> bool {
        self.lo.is_finite() && self.hi.is_finite() && self.lo < self.hi
    }
}

/// What the survey functions refuse.
#[derive(Debug, Clone, PartialEq)]
pub enum SurveyError {
    /// An answer that is neither within the scale nor a "no answer" code: `7` on `scale 1..5`.
    OutOfScale { value: f64, scale: Scale },
    /// A scale whose ends are not finite or not increasing: `scale 5..1`.
    BadScale(Scale),
    /// A design whose respondent and PSU tables do not fit together (a PSU id past the table,
    /// a stratum without PSUs, slices of different lengths).
    BadDesign(&'static str),
}

impl fmt::Display for SurveyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SurveyError::OutOfScale { value, scale } => write!(
                f,
                "the answer {value} is outside the scale {}..{}",
                scale.lo, scale.hi
            ),
            SurveyError::BadScale(s) => {
                write!(f, "the scale {}..{} is not an increasing range", s.lo, s.hi)
            }
            SurveyError::BadDesign(why) => write!(f, "inconsistent survey design: {why}"),
        }
    }
}

/// One answer as a score on 0..100.
///
/// # Formula
/// With `reverse`, x → lo + hi − x first; then (x − lo)/(hi − lo)·100, in that order of
/// operations (as the R oracle computes it, so the scores agree to the last bit).
///
/// # Missing values
/// NaN (an empty cell or a missing-value token) and any of the `dont_know` codes are no
/// answer: NaN. Any other value outside `lo..hi` is [`SurveyError::OutOfScale`].
pub fn item_score(
    x: f64,
    scale: Scale,
    reverse: bool,
    dont_know: &[f64],
) -> Result<f64, SurveyError> {
    if !scale.is_valid() {
        return Err(SurveyError::BadScale(scale));
    }
    if x.is_nan() || dont_know.contains(&x) {
        return Ok(f64::NAN);
    }
    if x < scale.lo || x > scale.hi {
        return Err(SurveyError::OutOfScale { value: x, scale });
    }
    let x = if reverse { scale.lo + scale.hi - x } else { x };
    Ok((x - scale.lo) / (scale.hi - scale.lo) * 100.0)
}

/// A respondent's score on a dimension from their item scores.
///
/// # Formula
/// Σ wₖ·sₖ / Σ wₖ over the answered items k (the item weights renormalised over them), when
/// the answered items carry at least half of the dimension's weight Σ wₖ (all items).
///
/// # Missing values
/// NaN item scores are unanswered items; NaN when less than half of the weight is answered,
/// or when `scores` and `weights` differ in length.
pub fn dimension_score(scores: &[f64], weights: &[f64]) -> f64 {
    if scores.len() != weights.len() {
        return f64::NAN;
    }
    let total: f64 = weights.iter().sum();
    let (mut answered, mut sum) = (0.0, 0.0);
    for (&s, &w) in scores.iter().zip(weights) {
        if !s.is_nan() {
            answered += w;
            sum += w * s;
        }
    }
    if answered <= 0.0 || 2.0 * answered < total {
        return f64::NAN;
    }
    sum / answered
}

/// The weighted mean Σ wᵢ·yᵢ / Σ wᵢ over the respondents with a value.
///
/// # Missing values
/// Respondents whose `y` is NaN are left out; NaN when none is left (or their weights sum to
/// zero) or the slices differ in length.
pub fn weighted_mean(y: &[f64], w: &[f64]) -> f64 {
    if y.len() != w.len() {
        return f64::NAN;
    }
    let (mut sw, mut swy) = (0.0, 0.0);
    for (&y, &w) in y.iter().zip(w) {
        if !y.is_nan() {
            sw += w;
            swy += w * y;
        }
    }
    if sw > 0.0 {
        swy / sw
    } else {
        f64::NAN
    }
}

/// The sampling design of one unit × period: each respondent's primary sampling unit (PSU) and
/// each PSU's stratum, both as dense ids. Validated on construction.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// Per respondent: its PSU, `0..psus`.
    psu: Vec<usize>,
    /// Per PSU: its stratum, `0..strata`.
    stratum: Vec<usize>,
    /// Per stratum: its number of PSUs, n_h.
    psus_in: Vec<usize>,
}

impl Design {
    /// A design from each respondent's PSU id and each PSU's stratum id. Every PSU id must be
    /// below `stratum.len()`, and the strata ids must be `0..H` with every stratum holding a
    /// PSU; a PSU without respondents still counts in its stratum's n_h.
    pub fn new(psu: Vec<usize>, stratum: Vec<usize>) -> Result<Design, SurveyError> {
        if psu.iter().any(|&p| p >= stratum.len()) {
            return Err(SurveyError::BadDesign(
                "a respondent's PSU id is past the PSU table",
            ));
        }
        let strata = stratum.iter().max().map_or(0, |&h| h + 1);
        let mut psus_in = vec![0usize; strata];
        for &h in &stratum {
            psus_in[h] += 1;
        }
        if psus_in.contains(&0) {
            return Err(SurveyError::BadDesign("a stratum id has no PSU"));
        }
        Ok(Design {
            psu,
            stratum,
            psus_in,
        })
    }

    /// The design without strata or clusters: each of `n` respondents is its own PSU, all in
    /// one stratum.
    pub fn simple(n: usize) -> Design {
        Design {
            psu: (0..n).collect(),
            stratum: vec![0; n],
            psus_in: if n == 0 { Vec::new() } else { vec![n] },
        }
    }

    /// The number of respondents.
    pub fn respondents(&self) -> usize {
        self.psu.len()
    }

    /// The number of PSUs.
    pub fn psus(&self) -> usize {
        self.stratum.len()
    }

    /// The number of strata.
    pub fn strata(&self) -> usize {
        self.psus_in.len()
    }

    /// Each respondent's PSU.
    pub fn psu_of(&self) -> &[usize] {
        &self.psu
    }

    /// Each PSU's stratum.
    pub fn stratum_of(&self) -> &[usize] {
        &self.stratum
    }

    /// The strata with a single PSU, which add nothing to the variance (R's
    /// `survey.lonely.psu = "certainty"`) and are reported.
    pub fn lonely_strata(&self) -> Vec<usize> {
        (0..self.strata())
            .filter(|&h| self.psus_in[h] == 1)
            .collect()
    }
}

/// The Taylor-linearised variance of the weighted mean, from each PSU's total of the
/// linearised values z.
///
/// # Formula
/// var = Σ_h n_h/(n_h − 1) · Σ_j (z_hj − z̄_h)², z̄_h the mean over all n_h PSUs of stratum h
/// (PSUs whose respondents have no value count with a total of 0); a stratum with n_h = 1
/// adds 0.
fn variance_of_totals(totals: &[f64], design: &Design) -> f64 {
    let h = design.strata();
    let mut mean = vec![0.0; h];
    for (p, &t) in totals.iter().enumerate() {
        mean[design.stratum[p]] += t;
    }
    for (m, &n) in mean.iter_mut().zip(&design.psus_in) {
        *m /= n as f64;
    }
    let mut ss = vec![0.0; h];
    for (p, &t) in totals.iter().enumerate() {
        let s = design.stratum[p];
        let d = t - mean[s];
        ss[s] += d * d;
    }
    ss.iter()
        .zip(&design.psus_in)
        .filter(|(_, &n)| n > 1)
        .map(|(s, &n)| n as f64 / (n as f64 - 1.0) * s)
        .sum()
}

/// The weighted mean and its Taylor-linearised standard error, exactly as R's survey package
/// computes them with `svydesign(ids = ~cluster, strata = ~strata, weights = ~weight,
/// nest = TRUE)` and `svymean(na.rm = TRUE)` on one unit × period.
///
/// # Formula
/// ȳ = Σ wᵢyᵢ / Σ wᵢ over respondents with a value; zᵢ = wᵢ(yᵢ − ȳ)/Σ wᵢ for them and 0 for the
/// others; z_hj the total of z over PSU j of stratum h;
/// var = Σ_h n_h/(n_h − 1)·Σ_j (z_hj − z̄_h)², n_h counting every PSU of stratum h in the design
/// (also those whose respondents gave no value); a stratum with one PSU adds 0; SE = √var.
///
/// # Reference
/// Lumley (2010), *Complex Surveys*, §2.2 and the package's `svyrecvar` (`onestrat`);
/// checked against R in `tests/survey_reference.rs`.
///
/// # Missing values
/// `(NaN, NaN)` when no respondent has a value (or their weights sum to 0), or when the slices
/// do not fit the design.
pub fn mean_and_se(y: &[f64], w: &[f64], design: &Design) -> (f64, f64) {
    if y.len() != design.respondents() || w.len() != y.len() {
        return (f64::NAN, f64::NAN);
    }
    let mean = weighted_mean(y, w);
    if mean.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    let sw: f64 = y
        .iter()
        .zip(w)
        .filter(|(y, _)| !y.is_nan())
        .map(|(_, &w)| w)
        .sum();
    let mut totals = vec![0.0; design.psus()];
    for ((&y, &w), &p) in y.iter().zip(w).zip(&design.psu) {
        if !y.is_nan() {
            totals[p] += w * (y - mean) / sw;
        }
    }
    (mean, variance_of_totals(&totals, design).sqrt())
}

/// One replication's weight multiplier for each PSU by the rescaling bootstrap of Rao & Wu
/// (1988) with n_h − 1 draws.
///
/// # Formula
/// In each stratum h with n_h ≥ 2 PSUs, draw n_h − 1 of them uniformly with replacement; PSU j
/// drawn m_hj times gets the multiplier n_h/(n_h − 1)·m_hj. PSUs of a stratum with a single PSU
/// keep multiplier 1. A respondent's replicate weight is its weight times its PSU's multiplier.
///
/// # Reference
/// Rao & Wu (1988), "Resampling inference with complex survey data", JASA 83; Rao, Wu & Yue
/// (1992), Survey Methodology 18 (the rescaled weights with m_h = n_h − 1).
///
/// # Determinism
/// Strata are visited in id order and each draws its n_h − 1 PSUs in turn from `rng`, so a
/// replication is a function of the RNG stream it is given.
pub fn rescaling_multipliers<R: Rng + ?Sized>(design: &Design, rng: &mut R) -> Vec<f64> {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); design.strata()];
    for (p, &h) in design.stratum.iter().enumerate() {
        members[h].push(p);
    }
    let mut out = vec![1.0; design.psus()];
    for psus in &members {
        let n = psus.len();
        if n < 2 {
            continue;
        }
        for &p in psus {
            out[p] = 0.0;
        }
        let scale = n as f64 / (n as f64 - 1.0);
        for _ in 0..n - 1 {
            // The count fits in u32 (a stratum of more PSUs would not fit in memory), and
            // sampling a u32 range gives the same draw on every platform.
            let k = rng.random_range(0..n.min(u32::MAX as usize) as u32) as usize;
            out[psus[k]] += scale;
        }
    }
    out
}

/// One replication's respondent weights by the rescaling bootstrap: each weight times its
/// PSU's multiplier from [`rescaling_multipliers`]. Empty when `w` does not fit the design.
pub fn rescaling_weights<R: Rng + ?Sized>(w: &[f64], design: &Design, rng: &mut R) -> Vec<f64> {
    if w.len() != design.respondents() {
        return Vec::new();
    }
    let m = rescaling_multipliers(design, rng);
    w.iter().zip(&design.psu).map(|(&w, &p)| w * m[p]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::tolerance::{assert_close, EXACT};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    const LIKERT: Scale = Scale { lo: 1.0, hi: 5.0 };

    #[test]
    fn item_scores_rescale_reverse_and_refuse() {
        assert_eq!(item_score(1.0, LIKERT, false, &[9.0]), Ok(0.0));
        assert_eq!(item_score(4.0, LIKERT, false, &[9.0]), Ok(75.0));
        assert_eq!(item_score(4.0, LIKERT, true, &[9.0]), Ok(25.0));
        assert!(item_score(9.0, LIKERT, false, &[8.0, 9.0])
            .unwrap()
            .is_nan());
        assert!(item_score(f64::NAN, LIKERT, false, &[]).unwrap().is_nan());
        assert!(matches!(
            item_score(7.0, LIKERT, false, &[9.0]),
            Err(SurveyError::OutOfScale { value: 7.0, .. })
        ));
        assert!(matches!(
            item_score(1.0, Scale { lo: 5.0, hi: 1.0 }, false, &[]),
            Err(SurveyError::BadScale(_))
        ));
    }

    #[test]
    fn dimension_scores_need_half_the_weight() {
        let nan = f64::NAN;
        // Two of four equal items: exactly half, kept (R: k < n/2 is missing).
        assert_eq!(dimension_score(&[50.0, nan, 100.0, nan], &[1.0; 4]), 75.0);
        assert!(dimension_score(&[50.0, nan, nan, nan], &[1.0; 4]).is_nan());
        // Weights renormalised over the answered items: (2·40 + 1·70)/3.
        assert_close(
            dimension_score(&[40.0, 70.0, nan], &[2.0, 1.0, 1.0]),
            50.0,
            EXACT,
            "renormalised",
        );
        // The answered item carries 1 of 4: less than half.
        assert!(dimension_score(&[nan, 70.0], &[3.0, 1.0]).is_nan());
    }

    /// By hand: two strata; stratum 0 has PSUs {0: r0, r1} and {1: r2}; stratum 1 has PSU 2
    /// {r3}, a lonely PSU. ȳ = (1·10 + 1·20 + 2·40 + 1·0)/5 = 22; z = w(y − 22)/5:
    /// r0 −2.4, r1 −0.4, r2 7.2, r3 −4.4. PSU totals −2.8, 7.2 (stratum 0, mean 2.2):
    /// var = 2/1·(5² + 5²) = 100; stratum 1 adds 0. SE = 10.
    #[test]
    fn linearised_se_by_hand() {
        let design = Design::new(vec![0, 0, 1, 2], vec![0, 0, 1]).unwrap();
        assert_eq!(design.lonely_strata(), vec![1]);
        let (m, se) = mean_and_se(&[10.0, 20.0, 40.0, 0.0], &[1.0, 1.0, 2.0, 1.0], &design);
        assert_close(m, 22.0, EXACT, "mean");
        assert_close(se, 10.0, EXACT, "se");
    }

    /// A PSU whose respondents have no value still counts in n_h, with a total of 0.
    #[test]
    fn psus_without_values_count_in_n_h() {
        let design = Design::new(vec![0, 1, 2], vec![0, 0, 0]).unwrap();
        let nan = f64::NAN;
        // ȳ = 1.5; z = (−0.25, 0.25, 0); mean 0; var = 3/2·(0.0625·2) = 0.1875.
        let (m, se) = mean_and_se(&[1.0, 2.0, nan], &[1.0, 1.0, 1.0], &design);
        assert_close(m, 1.5, EXACT, "mean");
        assert_close(se, 0.1875f64.sqrt(), EXACT, "se");
        let (m, se) = mean_and_se(&[nan, nan, nan], &[1.0; 3], &design);
        assert!(m.is_nan() && se.is_nan());
    }

    #[test]
    fn bad_designs_are_refused() {
        assert!(Design::new(vec![0, 3], vec![0, 0]).is_err());
        assert!(Design::new(vec![0, 1], vec![0, 2]).is_err());
        let d = Design::simple(2);
        assert!(mean_and_se(&[1.0], &[1.0], &d).0.is_nan());
        assert!(rescaling_weights(&[1.0], &d, &mut ChaCha8Rng::seed_from_u64(1)).is_empty());
    }

    #[test]
    fn rescaling_draws_n_minus_one_per_stratum() {
        let design = Design::new(vec![0, 1, 2, 3, 4], vec![0, 0, 0, 1, 2]).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..50 {
            let m = rescaling_multipliers(&design, &mut rng);
            // Stratum 0 (3 PSUs): the multipliers are 3/2 × counts summing to 2, total 3.
            assert_close(m[0] + m[1] + m[2], 3.0, EXACT, "stratum total");
            for &x in &m[..3] {
                assert!([0.0, 1.5, 3.0].contains(&x), "{x}");
            }
            // Stratum 1 (2 PSUs, here 1 — PSU 3 alone) and 2 (PSU 4 alone) keep their weight.
            assert_eq!(&m[3..], &[1.0, 1.0]);
        }
        let a = rescaling_multipliers(&design, &mut ChaCha8Rng::seed_from_u64(3));
        let b = rescaling_multipliers(&design, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!(a, b);
    }
}

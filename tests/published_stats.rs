//! qindex's statistics against worked examples published by others (a blog post with its R
//! output, a textbook), not against values computed for these tests. Each test names its
//! source; published values are matched to the precision they are printed with.

use nalgebra::DMatrix;
use qindex::analysis::{alpha, pca};
use qindex::methods::stats;

/// Asserts that `got` rounds to `published`, printed with `decimals` decimals: |got − published|
/// is at most half a unit of the last printed digit (plus a hair for binary round-off).
#[track_caller]
fn matches_printed(got: f64, published: f64, decimals: i32, what: &str) {
    let half = 0.5 * 10f64.powi(-decimals) + 1e-12;
    assert!(
        (got - published).abs() <= half,
        "{what}: got {got}, published {published} ({decimals} decimals)"
    );
}

/// "Survey reliability", thinkdeeply.cc, https://thinkdeeply.cc/posts/survey-reliability :
/// 10 respondents × 4 Likert items (X1..X4), its table copied row by row.
const SURVEY: [[f64; 4]; 10] = [
    [3.0, 3.0, 3.0, 3.0],
    [3.0, 3.0, 4.0, 3.0],
    [3.0, 3.0, 3.0, 1.0],
    [5.0, 4.0, 4.0, 5.0],
    [2.0, 1.0, 4.0, 4.0],
    [4.0, 4.0, 4.0, 5.0],
    [3.0, 2.0, 3.0, 3.0],
    [3.0, 4.0, 3.0, 3.0],
    [4.0, 2.0, 2.0, 3.0],
    [3.0, 3.0, 2.0, 3.0],
];

fn survey_items() -> Vec<Vec<f64>> {
    (0..4)
        .map(|j| SURVEY.iter().map(|r| r[j]).collect())
        .collect()
}

/// Source: thinkdeeply.cc "Survey reliability" (above): α = 0.674, by hand from the average
/// covariance and average variance, and confirmed there by R's output
/// ("Items: 4, Sample units: 10, alpha: 0.674").
#[test]
fn cronbach_alpha_of_the_thinkdeeply_survey() {
    let items = survey_items();
    let cols: Vec<&[f64]> = items.iter().map(|c| c.as_slice()).collect();
    let a = alpha::cronbach(&cols).unwrap();
    matches_printed(a, 0.674, 3, "Cronbach's alpha");
}

/// Source: thinkdeeply.cc "Survey reliability" (above), its printed covariance matrix of X1..X4.
/// The diagonal is the sample variance (n − 1), which `stats::variance` must reproduce; the
/// off-diagonal covariances are checked as r·s_x·s_y from `stats::pearson` and `stats::sd`
/// (the convention: a covariance is the correlation times both sample sds). Values are
/// matched to the decimals printed for each cell (4 or 3; the page prints some cells with 4
/// decimals in one triangle and 3 in the other, and the 4-decimal one is used).
#[test]
fn variances_and_covariances_of_the_thinkdeeply_survey() {
    let items = survey_items();
    let variances = [(0.6778, 4), (0.989, 3), (0.6222, 4), (1.344, 3)];
    for (j, &(v, d)) in variances.iter().enumerate() {
        matches_printed(stats::variance(&items[j]), v, d, &format!("var X{}", j + 1));
    }
    let covariances = [
        ((0, 1), 0.4778, 4),
        ((0, 2), 0.0444, 4),
        ((0, 3), 0.4556, 4),
        ((1, 2), 0.1333, 4),
        ((1, 3), 0.256, 3),
        ((2, 3), 0.4889, 4),
    ];
    for &((i, j), c, d) in &covariances {
        let cov =
            stats::pearson(&items[i], &items[j]) * stats::sd(&items[i]) * stats::sd(&items[j]);
        matches_printed(cov, c, d, &format!("cov X{} X{}", i + 1, j + 1));
    }
}

/// Source: Johnson, R. A. & Wichern, D. W., "Applied Multivariate Statistical Analysis"
/// (6th ed., Pearson 2007), Exercise 8.1: the population principal components of
/// Σ = [[5, 2], [2, 2]]. Answers from the book's instructor's solutions manual, chapter 8
/// (p. 164): λ₁ = 6, λ₂ = 1, Y₁ = .894X₁ + .447X₂, Y₂ = .447X₁ − .894X₂, and the first explains
/// 6/7 = .86 of the total variance. (`principal_components` is documented for correlation
/// matrices; its decomposition and shares λ/Σλ apply to any symmetric matrix, as here.)
///
/// Convention: eigenvectors are defined up to sign; `principal_components` makes the
/// largest-magnitude entry positive, so its e₂ is the manual's negated, (−.447, .894).
#[test]
fn principal_components_of_johnson_wichern_exercise_8_1() {
    let sigma = DMatrix::from_row_slice(2, 2, &[5.0, 2.0, 2.0, 2.0]);
    let p = pca::principal_components(&sigma).unwrap();
    matches_printed(p.eigenvalues[0], 6.0, 0, "lambda 1");
    matches_printed(p.eigenvalues[1], 1.0, 0, "lambda 2");
    matches_printed(p.loadings[0][0], 0.894, 3, "e1[0]");
    matches_printed(p.loadings[0][1], 0.447, 3, "e1[1]");
    matches_printed(p.loadings[1][0], -0.447, 3, "e2[0]");
    matches_printed(p.loadings[1][1], 0.894, 3, "e2[1]");
    matches_printed(p.explained[0], 0.86, 2, "share of PC1");
}

/// Source: Johnson & Wichern (6th ed., 2007), Exercise 8.2: the principal components of the
/// correlation matrix ρ of Exercise 8.1's Σ, ρ₁₂ = 2/√(5·2) = .6325. Answers from the
/// instructor's solutions manual, chapter 8 (p. 164): λ₁ = 1.6325, Y₁ = .707Z₁ + .707Z₂,
/// explaining 1.6325/2 = .816; the correlations of Y₁ with Z₁ and Z₂ are .903 and of Y₂ with
/// Z₁ .429 (a loading, eigenvector × √λ).
///
/// Convention: e₂ has two entries of equal magnitude, so the sign rule ("largest entry
/// positive") is decided by round-off; e₂ is compared up to sign.
#[test]
fn principal_components_of_johnson_wichern_exercise_8_2() {
    let r12 = 2.0 / (5.0f64 * 2.0).sqrt();
    let rho = DMatrix::from_row_slice(2, 2, &[1.0, r12, r12, 1.0]);
    let p = pca::principal_components(&rho).unwrap();
    matches_printed(p.eigenvalues[0], 1.6325, 4, "lambda 1");
    matches_printed(p.loadings[0][0], 0.707, 3, "e1[0]");
    matches_printed(p.loadings[0][1], 0.707, 3, "e1[1]");
    matches_printed(p.explained[0], 0.816, 3, "share of PC1");
    let root = |c: usize| p.eigenvalues[c].sqrt();
    matches_printed(p.loadings[0][0] * root(0), 0.903, 3, "r(Y1, Z1)");
    matches_printed(p.loadings[0][1] * root(0), 0.903, 3, "r(Y1, Z2)");
    matches_printed(p.loadings[1][0].abs() * root(1), 0.429, 3, "|r(Y2, Z1)|");
}

/// Source: closed form, for Johnson & Wichern's Example 8.1 matrix Σ = [[1, −2, 0], [−2, 5, 0],
/// [0, 0, 2]] (6th ed., §8.2; the matrix is confirmed by its exercise restatements, but the
/// book's printed answers, 5.83, 2.00, .17, e₁ = (.383, −.924, 0), shares .73 and .98, could not
/// be checked against a copy of the book). The upper block [[1, −2], [−2, 5]] has eigenvalues
/// 3 ± 2√2 with e₁ ∝ (1, −(1 + √2)), and the third variable is its own component with λ = 2;
/// these agree with the printed values above to their digits.
///
/// Convention: `principal_components` makes the largest-magnitude entry positive, so its e₁ is
/// (1, −(1 + √2)) negated and normalised.
#[test]
fn principal_components_of_johnson_wichern_example_8_1_closed_form() {
    let sigma = DMatrix::from_row_slice(3, 3, &[1.0, -2.0, 0.0, -2.0, 5.0, 0.0, 0.0, 0.0, 2.0]);
    let p = pca::principal_components(&sigma).unwrap();
    let s = 2.0f64.sqrt();
    let want = [3.0 + 2.0 * s, 2.0, 3.0 - 2.0 * s];
    for (got, want) in p.eigenvalues.iter().zip(want) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    let norm = (1.0 + (1.0 + s).powi(2)).sqrt();
    let e1 = [-1.0 / norm, (1.0 + s) / norm, 0.0];
    for (got, want) in p.loadings[0].iter().zip(e1) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    assert_eq!(p.loadings[1].iter().map(|x| x.abs()).sum::<f64>(), 1.0);
    assert!((p.explained[0] - want[0] / 8.0).abs() < 1e-12);
    // The book's printed values, to their digits.
    matches_printed(p.eigenvalues[0], 5.83, 2, "lambda 1");
    matches_printed(p.loadings[0][1], 0.924, 3, "e1[1]");
    matches_printed(
        p.explained[0] + p.explained[1],
        0.98,
        2,
        "share of PC1 + PC2",
    );
}

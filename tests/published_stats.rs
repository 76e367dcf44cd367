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
/// (6th ed., Pearson 2007), §8.2, Example 8.1: Σ = [[1, −2, 0], [−2, 5, 0], [0, 0, 2]] has
/// λ₁ = 5.83, λ₂ = 2.00, λ₃ = 0.17 with e₁ = (.383, −.924, 0), e₂ = (0, 0, 1),
/// e₃ = (.924, .383, 0); the first component explains 5.83/8 = .73 of the total variance and
/// the first two (5.83 + 2.00)/8 = .98.
///
/// Convention: eigenvectors are defined up to sign. The book prints e₁ with its first entry
/// positive; `principal_components` makes the largest-magnitude entry positive, so its e₁ is
/// the book's negated, (−.383, .924, 0). The test compares the book's vectors after that sign
/// normalisation. (`principal_components` is documented for correlation matrices; its
/// decomposition and shares λ/Σλ apply to any symmetric matrix, as here.)
#[test]
fn principal_components_of_johnson_wichern_example_8_1() {
    let sigma = DMatrix::from_row_slice(3, 3, &[1.0, -2.0, 0.0, -2.0, 5.0, 0.0, 0.0, 0.0, 2.0]);
    let p = pca::principal_components(&sigma).unwrap();
    for (got, want) in p.eigenvalues.iter().zip([5.83, 2.00, 0.17]) {
        matches_printed(*got, want, 2, "eigenvalue");
    }
    let book: [[f64; 3]; 3] = [[0.383, -0.924, 0.0], [0.0, 0.0, 1.0], [0.924, 0.383, 0.0]];
    for (c, e) in book.iter().enumerate() {
        let big = e
            .iter()
            .copied()
            .fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
        let sign = big.signum();
        for (v, &x) in e.iter().enumerate() {
            matches_printed(p.loadings[c][v], sign * x, 3, &format!("e{}[{v}]", c + 1));
        }
    }
    matches_printed(p.explained[0], 0.73, 2, "share of PC1");
    matches_printed(
        p.explained[0] + p.explained[1],
        0.98,
        2,
        "share of PC1 + PC2",
    );
}

/// Source: Johnson & Wichern (6th ed., 2007), §8.2, Example 8.2: the standardized variables of
/// Σ = [[1, 4], [4, 100]] have ρ = [[1, .4], [.4, 1]], whose principal components have
/// λ₁ = 1.4, λ₂ = .6, e₁ = (.707, .707), e₂ = (.707, −.707); the first explains
/// λ₁/p = 1.4/2 = .7 of the standardized variance.
///
/// Convention: e₂ has two entries of equal magnitude, so the sign rule ("largest entry
/// positive") is decided by round-off; e₂ is compared up to sign.
#[test]
fn principal_components_of_johnson_wichern_example_8_2() {
    let rho = DMatrix::from_row_slice(2, 2, &[1.0, 0.4, 0.4, 1.0]);
    let p = pca::principal_components(&rho).unwrap();
    matches_printed(p.eigenvalues[0], 1.4, 1, "lambda 1");
    matches_printed(p.eigenvalues[1], 0.6, 1, "lambda 2");
    matches_printed(p.loadings[0][0], 0.707, 3, "e1[0]");
    matches_printed(p.loadings[0][1], 0.707, 3, "e1[1]");
    let s = p.loadings[1][0].signum();
    matches_printed(s * p.loadings[1][0], 0.707, 3, "e2[0]");
    matches_printed(s * p.loadings[1][1], -0.707, 3, "e2[1]");
    matches_printed(p.explained[0], 0.7, 1, "share of PC1");
}

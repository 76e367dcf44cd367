//! Kaiser–Meyer–Olkin's measure of sampling adequacy and Bartlett's test of sphericity against
//! R's psych package: the overall MSA its reference manual prints for two classic correlation
//! matrices, and values computed with R 4.2.2 and psych 2.2.9
//! (`tests/fixtures/published/reference.R`) for those, Harman's 24 tests and the Handbook's TAI.
//! No published Bartlett statistic was found whose input could be obtained exactly (psych's own
//! example, `cortest.bartlett(bfi[1:200, 1:10])`, prints χ² = 366.54 in its current manual,
//! while psych 2.2.9 gives 457.46 on the `bfi` it ships), so Bartlett's test is checked against
//! psych 2.2.9 only.

mod common;

use nalgebra::DMatrix;
use qindex::analysis::{correlation_matrix, kmo};

/// A symmetric matrix from its rows.
fn matrix(rows: &[&[f64]]) -> DMatrix<f64> {
    let p = rows.len();
    DMatrix::from_fn(p, p, |i, j| rows[i][j])
}

/// psych's `Thurstone` data set, 9 ability tests, copied from its R-datasets export
/// (neuhausi/Rdatasets, `js/psych/Thurstone.js`).
fn thurstone() -> DMatrix<f64> {
    matrix(&[
        &[1.0, 0.828, 0.776, 0.439, 0.432, 0.447, 0.447, 0.541, 0.380],
        &[0.828, 1.0, 0.779, 0.493, 0.464, 0.489, 0.432, 0.537, 0.358],
        &[0.776, 0.779, 1.0, 0.460, 0.425, 0.443, 0.401, 0.534, 0.359],
        &[0.439, 0.493, 0.460, 1.0, 0.674, 0.590, 0.381, 0.350, 0.424],
        &[0.432, 0.464, 0.425, 0.674, 1.0, 0.541, 0.402, 0.367, 0.446],
        &[0.447, 0.489, 0.443, 0.590, 0.541, 1.0, 0.288, 0.320, 0.325],
        &[0.447, 0.432, 0.401, 0.381, 0.402, 0.288, 1.0, 0.555, 0.598],
        &[0.541, 0.537, 0.534, 0.350, 0.367, 0.320, 0.555, 1.0, 0.452],
        &[0.380, 0.358, 0.359, 0.424, 0.446, 0.325, 0.598, 0.452, 1.0],
    ])
}

/// psych's `Harman.political`: 8 political variables over 147 election areas, Harman (1976),
/// *Modern Factor Analysis*, p. 166, psych's `Harman.political` data set, copied from its
/// R-datasets export (neuhausi/Rdatasets, `js/psych/Harman.political.js`).
fn harman_political() -> DMatrix<f64> {
    matrix(&[
        &[1.0, 0.84, 0.62, -0.53, 0.03, 0.57, -0.33, -0.63],
        &[0.84, 1.0, 0.84, -0.68, -0.05, 0.76, -0.35, -0.73],
        &[0.62, 0.84, 1.0, -0.76, 0.08, 0.81, -0.51, -0.81],
        &[-0.53, -0.68, -0.76, 1.0, -0.25, -0.80, 0.62, 0.88],
        &[0.03, -0.05, 0.08, -0.25, 1.0, 0.25, -0.72, -0.36],
        &[0.57, 0.76, 0.81, -0.80, 0.25, 1.0, -0.58, -0.84],
        &[-0.33, -0.35, -0.51, 0.62, -0.72, -0.58, 1.0, 0.68],
        &[-0.63, -0.73, -0.81, 0.88, -0.36, -0.84, 0.68, 1.0],
    ])
}

/// Reads a labelled square matrix (first row and first column are names).
fn read_matrix(name: &str) -> DMatrix<f64> {
    let path = common::root().join("tests/fixtures/published").join(name);
    let text = std::fs::read_to_string(path).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(1).map(|c| c.parse().unwrap()).collect())
        .collect();
    let p = rows.len();
    DMatrix::from_fn(p, p, |i, j| rows[i][j])
}

/// The Handbook's TAI data (Table A.2), one column per indicator.
fn tai() -> Vec<Vec<f64>> {
    let path = common::root().join("tests/fixtures/published/tai.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut columns = vec![Vec::new(); 8];
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.rsplitn(9, ',').collect();
        for (j, column) in columns.iter_mut().enumerate() {
            column.push(cells[7 - j].parse::<f64>().unwrap());
        }
    }
    columns
}

#[track_caller]
fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, expected {want} (tolerance {tol})"
    );
}

/// Source: psych reference manual, `KMO` examples: `KMO(Thurstone)` prints "Overall MSA =
/// 0.88" and `KMO(Harman.political)` "Overall MSA = 0.81" ("compare to the results in Dziuban
/// and Shirkey (1974)"); matched to the 2 printed decimals, then to 1e-12 against psych 2.2.9
/// (`KMO(Thurstone)$MSA` = 0.880389572352481, `KMO(Harman.political)$MSA` =
/// 0.809825766974602).
#[test]
fn kmo_of_psych_examples() {
    let t = kmo::kmo(&thurstone()).unwrap();
    close(t, 0.88, 0.005, "Thurstone, printed");
    close(t, 0.880389572352481, 1e-12, "Thurstone, psych 2.2.9");
    let h = kmo::kmo(&harman_political()).unwrap();
    close(h, 0.81, 0.005, "Harman.political, printed");
    close(h, 0.809825766974602, 1e-12, "Harman.political, psych 2.2.9");
}

/// Source: psych 2.2.9, `KMO(Harman74.cor$cov)$MSA` = 0.881333502410017 and
/// `cortest.bartlett(Harman74.cor$cov, n = 145)`: χ² = 1545.86186333094, df = 276,
/// p = 2.39956107245221e-175 (the p-value to 1e-6 relative, as statrs' and R's χ²
/// survival functions differ in the last digits that far in the tail).
#[test]
fn kmo_and_bartlett_of_harman74() {
    let r = read_matrix("harman74.csv");
    assert_eq!(r.nrows(), 24);
    close(kmo::kmo(&r).unwrap(), 0.881333502410017, 1e-12, "KMO");
    let b = kmo::bartlett(&r, 145).unwrap();
    close(b.chi2, 1545.86186333094, 1e-8, "chi2");
    assert_eq!(b.df, 276.0);
    let want = 2.39956107245221e-175;
    close(b.p_value / want, 1.0, 1e-6, "p-value (relative)");
}

/// Source: psych 2.2.9 on the Handbook's TAI data (`tai.csv`): `KMO(tai)$MSA` =
/// 0.500567225270931; `cortest.bartlett(cor(tai), n = 23)`: χ² = 85.9307629752323,
/// df = 28, p = 8.46060118539055e-08. (The Handbook itself reports neither.)
#[test]
fn kmo_and_bartlett_of_the_tai() {
    let r = correlation_matrix(&tai()).unwrap();
    close(kmo::kmo(&r).unwrap(), 0.500567225270931, 1e-12, "KMO");
    let b = kmo::bartlett(&r, 23).unwrap();
    close(b.chi2, 85.9307629752323, 1e-9, "chi2");
    assert_eq!(b.df, 28.0);
    close(
        b.p_value / 8.46060118539055e-8,
        1.0,
        1e-8,
        "p-value (relative)",
    );
}

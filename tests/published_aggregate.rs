//! Copeland aggregation against the worked examples of the OECD/JRC Handbook on Constructing
//! Composite Indicators (2008), §6.12–6.13 (material by G. Munda): the outranking matrices of
//! Table 27 (Moulin's example) and Table 36 (five TAI countries).
//!
//! qindex does not expose the outranking matrix, only each unit's score. An entry e_jk of the
//! matrix (the weight of the indicators on which j beats k, plus half the weight of ties, Handbook
//! eq. 32) is `copeland sum` on the two units j and k alone, on the 0..1 scale: with two units
//! the score is e_jk / (n − 1) = e_jk. The Handbook's matrices are checked entry by entry that
//! way, then the scores of all units against the row sums and the pairwise majorities of the
//! published matrices.
//!
//! Mazziotta–Pareto and grey relational aggregation are checked in `published_mp_grey.rs`.

use qindex::methods::aggregate::copeland;
use qindex::methods::normalise::Scale;

/// `copeland` over units (rows) given as rows of child values.
fn scores(rows: &[Vec<f64>], weights: &[f64], sum: bool) -> Vec<f64> {
    let k = weights.len();
    let columns: Vec<Vec<f64>> = (0..k)
        .map(|j| rows.iter().map(|r| r[j]).collect())
        .collect();
    let mut out = vec![0.0; rows.len()];
    copeland(&columns, weights, 0.0, sum, Scale::UNIT, None, &mut out).unwrap();
    out
}

/// Checks every entry of `published` (an outranking matrix with e_jk + e_kj = `total`) against
/// `copeland sum` on the pair alone.
fn check_matrix(rows: &[Vec<f64>], weights: &[f64], published: &[Vec<f64>], total: f64) {
    let n = rows.len();
    for j in 0..n {
        for k in 0..n {
            if j == k {
                continue;
            }
            let pair = [rows[j].clone(), rows[k].clone()];
            let e = scores(&pair, weights, true)[0] * total;
            assert!(
                (e - published[j][k]).abs() < 1e-12,
                "e[{j}][{k}]: got {e}, published {}",
                published[j][k]
            );
        }
    }
}

/// Classic Copeland scores (wins − losses) from a published outranking matrix: j beats k when
/// e_jk > e_kj.
fn copeland_from_matrix(published: &[Vec<f64>]) -> Vec<f64> {
    let n = published.len();
    (0..n)
        .map(|j| {
            (0..n)
                .filter(|&k| k != j)
                .map(|k| {
                    let d = published[j][k] - published[k][j];
                    // f64::signum(0.0) is 1: a tie must count 0.
                    if d > 0.0 {
                        1.0
                    } else if d < 0.0 {
                        -1.0
                    } else {
                        0.0
                    }
                })
                .sum()
        })
        .collect()
}

/// Source: Handbook Table 25 ("21 indicators and 4 countries", rearranged from Moulin 1988,
/// p. 228): 3 indicators rank a > b > c > d, 5 rank a > c > b > d, 7 rank b > d > c > a and 6
/// rank c > b > d > a; Table 27, the outranking matrix (rows a, b, c, d):
/// [0 8 8 8; 13 0 10 21; 13 11 0 14; 13 0 7 0], and the ranking c > b > d > a (p. 107).
///
/// Each profile is one child whose value is the rank position (4 for first … 1 for last), its
/// weight the number of indicators sharing it; equal weights over 21 separate children would
/// give the same matrix.
#[test]
fn moulin_example_table_27() {
    // Positions of a, b, c, d in each profile (4 = first).
    let profiles = [
        [4.0, 3.0, 2.0, 1.0],
        [4.0, 2.0, 3.0, 1.0],
        [1.0, 4.0, 2.0, 3.0],
        [1.0, 3.0, 4.0, 2.0],
    ];
    let weights = [3.0, 5.0, 7.0, 6.0];
    let rows: Vec<Vec<f64>> = (0..4)
        .map(|u| profiles.iter().map(|p| p[u]).collect())
        .collect();
    let table_27 = vec![
        vec![0.0, 8.0, 8.0, 8.0],
        vec![13.0, 0.0, 10.0, 21.0],
        vec![13.0, 11.0, 0.0, 14.0],
        vec![13.0, 0.0, 7.0, 0.0],
    ];
    check_matrix(&rows, &weights, &table_27, 21.0);
    // Classic Copeland on the 0..1 scale: (wins − losses + 3) / 6.
    let want: Vec<f64> = copeland_from_matrix(&table_27)
        .iter()
        .map(|s| (s + 3.0) / 6.0)
        .collect();
    let got = scores(&rows, &weights, false);
    assert_eq!(got, want);
    // The Handbook's ranking c > b > d > a.
    assert!(got[2] > got[1] && got[1] > got[3] && got[3] > got[0]);
    // `copeland sum`: the row sums of Table 27 over 21 indicators, divided by n − 1 = 3.
    let got = scores(&rows, &weights, true);
    for (u, row) in table_27.iter().enumerate() {
        let want = row.iter().sum::<f64>() / 21.0 / 3.0;
        assert!(
            (got[u] - want).abs() < 1e-12,
            "sum {u}: {} vs {want}",
            got[u]
        );
    }
}

/// Source: Handbook Table 35 ("Impact matrix for TAI (five countries)", equal weights 1/8,
/// telephones and electricity with 3 decimals) and Table 36 ("Outranking impact matrix for
/// TAI", rows Finland, USA, Sweden, Japan, Korea): Finland beats the USA on internet,
/// telephones, electricity and university, so e = 4 × 1/8 = 0.5 (p. 114).
///
/// Convention: the Handbook ranks by C-K-Y-L (Kemeny), which ties USA–Sweden–Finland,
/// Sweden–Finland–USA and Sweden–USA–Finland at 6.375 (Table 37); classic Copeland, from the
/// same matrix, orders Sweden (3) > USA (2) > Finland (1) > Japan (−2) > Korea (−4), one of the
/// three, as `copeland` does.
#[test]
fn tai_five_countries_table_36() {
    let rows = vec![
        vec![187.0, 125.6, 200.2, 50.7, 3.080, 4.150, 10.0, 27.4],
        vec![289.0, 130.0, 179.1, 66.2, 2.997, 4.073, 12.0, 13.9],
        vec![271.0, 156.6, 125.8, 59.7, 3.096, 4.145, 11.4, 15.3],
        vec![994.0, 64.6, 49.0, 80.8, 3.003, 3.865, 9.5, 10.0],
        vec![779.0, 9.8, 4.8, 66.7, 2.972, 3.653, 10.8, 23.2],
    ];
    let weights = [1.0 / 8.0; 8];
    let table_36 = vec![
        vec![0.0, 0.5, 0.375, 0.75, 0.625],
        vec![0.5, 0.0, 0.5, 0.625, 0.625],
        vec![0.625, 0.5, 0.0, 0.75, 0.625],
        vec![0.25, 0.375, 0.25, 0.0, 0.75],
        vec![0.375, 0.375, 0.375, 0.25, 0.0],
    ];
    check_matrix(&rows, &weights, &table_36, 1.0);
    let classic = copeland_from_matrix(&table_36);
    assert_eq!(classic, vec![1.0, 2.0, 3.0, -2.0, -4.0]);
    let got = scores(&rows, &weights, false);
    for (u, s) in classic.iter().enumerate() {
        assert!((got[u] - (s + 4.0) / 8.0).abs() < 1e-12, "classic {u}");
    }
    let got = scores(&rows, &weights, true);
    for (u, row) in table_36.iter().enumerate() {
        let want = row.iter().sum::<f64>() / 4.0;
        assert!(
            (got[u] - want).abs() < 1e-12,
            "sum {u}: {} vs {want}",
            got[u]
        );
    }
}

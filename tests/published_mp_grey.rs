//! `aggregate grey` and `aggregate mazziotta_pareto` through the rules language against
//! references computed outside qindex (issue #5). The sources, and what was searched for
//! published worked examples, are in `tests/fixtures/published/README.md`.
//!
//! - Grey relational analysis: the supplier-selection example of Si Shoukui & Sun Xijing,
//!   《数学建模算法与应用》 (Mathematical Modeling Algorithms and Applications), National Defense
//!   Industry Press, chapter 14, program `ex14_5.m` (6 suppliers × 9 criteria, price, distance
//!   and after-sales service cost criteria, min-max normalisation, reference series = column
//!   maxima, ρ = 0.5, equal weights), in `suppliers.csv`. Grades from pyDecision 5.1.8's
//!   `gra_method` (`reference_gra.py`, which also says why its output is multiplied by 6).
//! - Mazziotta–Pareto (MPI⁻): the Technology Achievement Index data of the OECD/JRC Handbook
//!   (2008), Table A.2 (`tai.csv`), against the definition computed with numpy 2.4.6 and
//!   scipy 1.17.1 (`reference_mpi.py`); no published example with its input data could be
//!   obtained, nor an MPI library from the registries this project reaches.

mod common;

use std::path::Path;

/// Evaluates `rules` over a file of `tests/fixtures/published` and returns the index scores in
/// file order.
fn scores(rules: &str, data: &str) -> Vec<f64> {
    common::evaluate_text(
        "reference.qi",
        rules.to_string(),
        Some(Path::new("tests/fixtures/published").join(data)),
        |_, _, results| results.periods[0].score.clone(),
    )
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() < tol, "{what}[{k}]: got {g}, reference {w}");
    }
}

/// The suppliers' rules: cost criteria negative, min-max children, `grey RHO`, on 0..1.
fn supplier_rules(rho: &str, weights: Option<&[f64]>) -> String {
    let criteria = [
        "quality",
        "price",
        "distance",
        "service",
        "technology",
        "benefit",
        "capacity",
        "influence",
        "delivery",
    ];
    let mut rules = format!(
        "index s by supplier {{\n    scale 0..1\n    normalise minmax\n    aggregate grey {rho}\n"
    );
    for (k, c) in criteria.iter().enumerate() {
        let w = weights
            .map(|w| format!(" weight {}", w[k]))
            .unwrap_or_default();
        let dir = if matches!(*c, "price" | "distance" | "service") {
            " { direction negative }"
        } else {
            ""
        };
        rules.push_str(&format!("    indicator {c}{w}{dir}\n"));
    }
    rules.push_str("}\n");
    rules
}

/// Source: Si & Sun, ch. 14, `ex14_5.m` data; pyDecision 5.1.8 `gra_method`, ρ = 0.5 and equal
/// weights (`reference_gra.py`). To 1e-12: pyDecision adds 1e-16 to each range.
///
/// Convention: qindex's Δmax is the widest child's range over the units; with min-max children
/// every range is the scale's width, so Δmin = 0 and Δmax = 1 on 0..1 as in pyDecision (and in
/// the book's program, which takes them over the whole matrix).
#[test]
fn grey_supplier_selection_equal_weights() {
    let want = [
        0.46299242986663924,
        0.5559942769728994,
        0.6490736285124801,
        0.652722701998064,
        0.4935620015189907,
        0.613015040856757,
    ];
    let got = scores(&supplier_rules("0.5", None), "suppliers.csv");
    assert_close(&got, &want, 1e-12, "grey 0.5");
    // The book's conclusion: supplier 4 first, then 3 and 6.
    assert!(got[3] > got[2] && got[2] > got[5]);
}

/// Source: as above, ρ = 0.25, and ρ = 0.5 with weights 0.2, 0.15, 0.05, 0.1, 0.1, 0.1, 0.15,
/// 0.05, 0.1 (chosen here to exercise the weighted grade; `reference_gra.py`).
#[test]
fn grey_supplier_selection_rho_and_weights() {
    let want = [
        0.3057836320454606,
        0.42112759277890344,
        0.546323552990219,
        0.5461547591653635,
        0.3573230366114271,
        0.4692815331899013,
    ];
    let got = scores(&supplier_rules("0.25", None), "suppliers.csv");
    assert_close(&got, &want, 1e-12, "grey 0.25");
    let weights = [0.2, 0.15, 0.05, 0.1, 0.1, 0.1, 0.15, 0.05, 0.1];
    let want = [
        0.44639345888137927,
        0.5717569058039065,
        0.6909807155791302,
        0.6317775539514667,
        0.4858287304093756,
        0.5856979783738093,
    ];
    let got = scores(&supplier_rules("0.5", Some(&weights)), "suppliers.csv");
    assert_close(&got, &want, 1e-12, "grey 0.5 weighted");
}

fn tai_rules(weights: Option<&[f64]>) -> String {
    let columns = [
        "patents",
        "royalties",
        "internet",
        "exports",
        "telephones",
        "electricity",
        "schooling",
        "university",
    ];
    let mut rules = String::from(
        "index tai by country {\n    normalise none\n    aggregate mazziotta_pareto\n",
    );
    for (k, c) in columns.iter().enumerate() {
        let w = weights
            .map(|w| format!(" weight {}", w[k]))
            .unwrap_or_default();
        rules.push_str(&format!("    indicator {c}{w}\n"));
    }
    rules.push_str("}\n");
    rules
}

/// Source: OECD/JRC Handbook (2008), Table A.2, the 23 countries of `tai.csv`; MPI⁻ by
/// `reference_mpi.py` (numpy 2.4.6, scipy 1.17.1), qindex's convention: indicator sd of divisor
/// n − 1, the unit's S of divisor Σw. To 1e-9.
#[test]
fn mazziotta_pareto_tai() {
    let want = [
        110.16151466799384,
        108.85371721490127,
        109.3180785174008,
        104.03171264270787,
        102.2428185432011,
        101.90642492111748,
        101.36859748406444,
        101.94189069213026,
        99.44980306208205,
        99.0904220722569,
        99.55796652569887,
        102.89274785467843,
        98.7373227437963,
        98.15154733002402,
        96.59032821959731,
        97.83020951751381,
        97.22400928913167,
        96.52010037282925,
        92.72777713126882,
        93.87361611329972,
        91.35164283059635,
        89.87409163129664,
        91.68145889665786,
    ];
    let got = scores(&tai_rules(None), "tai.csv");
    assert_close(&got, &want, 1e-9, "MPI equal weights");
    // Weights 2, 1, 1, 1, 1, 1, 1, 2 (patents and university doubled, chosen here).
    let weights = [2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0];
    let want = [
        110.28199499465028,
        107.30657328986364,
        107.88536944226534,
        104.87644036111578,
        105.47305330902019,
        100.48393335545668,
        100.70712378856834,
        100.77984674228341,
        100.75396273555596,
        99.98794134498887,
        99.83450667595267,
        101.17645825647217,
        98.24045718985795,
        97.87692872864858,
        96.66958930443977,
        98.01486055875097,
        97.50023078025876,
        96.09504229748421,
        93.71856788940548,
        94.09407585567708,
        91.24083462384735,
        89.95353188117807,
        92.26753276048434,
    ];
    let got = scores(&tai_rules(Some(&weights)), "tai.csv");
    assert_close(&got, &want, 1e-9, "MPI weighted");
}

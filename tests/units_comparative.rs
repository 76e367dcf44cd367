//! The comparative aggregations (`topsis`, `mazziotta_pareto`, `copeland`, `copeland sum`,
//! `grey`) take their reference set from the units only (`units where`, LANGUAGE.md: "which rows
//! are units to normalise, weight and rank; other rows are still evaluated and reported
//! (unranked)"): ideal and anti-ideal, each child's mean and sd, the column maxima and Δmax, and
//! the opponents of the outranking. A non-unit row is scored against that reference set, as
//! normalisation scores it against the units' min and max (docs/language.md, "units where").
//!
//! Each test evaluates five units alone, then with two non-unit rows added: "World", above every
//! unit on every child, and "Copy", equal to unit C. Source of the expectations: the rule above;
//! the numbers by hand where stated.

mod common;

const UNITS: &str = "unit,agg,a,b,c\nA,0,3,2,9\nB,0,5,8,1\nC,0,1,6,5\nD,0,7,4,3\nE,0,4,4,5\n";
const OTHERS: &str = "World,1,8,9,10\nCopy,1,1,6,5\n";

/// (unit, score, final rank) per row, in file order.
fn run(method: &str, csv: &str, tag: &str) -> Vec<(String, f64, u32)> {
    let rules = format!(
        "index t by unit {{\n    units where agg == 0\n    normalise none\n    aggregate {method}\n    \
         indicator a weight 5\n    indicator b weight 3\n    indicator c weight 2\n}}\n"
    );
    let dir = std::env::temp_dir().join(format!("qindex-units-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("data.csv");
    std::fs::write(&data, csv).unwrap();
    let out = common::evaluate_text("units.qi", rules, Some(data), |_, frame, results| {
        let p = &results.periods[0];
        (0..p.len())
            .map(|i| {
                (
                    frame.units().get(p.rows[i]).to_string(),
                    p.score[i],
                    p.final_rank[i],
                )
            })
            .collect()
    });
    std::fs::remove_dir_all(&dir).unwrap();
    out
}

/// Adding the non-units changes no unit's score or rank; the non-units get a score and no rank.
/// Returns World's and Copy's scores and the units' scores.
fn check(method: &str, tag: &str) -> (f64, f64, Vec<f64>) {
    let alone = run(method, UNITS, &format!("{tag}-alone"));
    let with = run(method, &format!("{UNITS}{OTHERS}"), &format!("{tag}-with"));
    assert_eq!(with.len(), alone.len() + 2);
    for (a, w) in alone.iter().zip(&with) {
        assert_eq!(a.0, w.0);
        assert!(
            (a.1 - w.1).abs() < 1e-12,
            "{method}: {} scores {} alone, {} with the non-units",
            a.0,
            a.1,
            w.1
        );
        assert_eq!(a.2, w.2, "{method}: rank of {}", a.0);
        assert!(a.2 > 0, "{method}: {} is ranked", a.0);
    }
    let world = &with[5];
    let copy = &with[6];
    assert_eq!((world.0.as_str(), copy.0.as_str()), ("World", "Copy"));
    for r in [world, copy] {
        assert!(r.1.is_finite(), "{method}: {} has a score", r.0);
        assert_eq!(r.2, 0, "{method}: {} is not ranked", r.0);
    }
    (world.1, copy.1, alone.iter().map(|r| r.1).collect())
}

#[test]
fn topsis_ideal_from_the_units() {
    let (world, copy, units) = check("topsis", "topsis");
    // Copy is scored against the units' ideal and anti-ideal: C's score exactly.
    assert_eq!(copy, units[2]);
    // World lies beyond the units' ideal on every child, so it is not at the ideal: its
    // closeness is below 1 though it dominates every unit.
    assert!(world < 100.0);
}

#[test]
fn mazziotta_pareto_moments_from_the_units() {
    let (world, copy, units) = check("mazziotta_pareto", "mpi");
    assert_eq!(copy, units[2]);
    // Above every unit on each child, World stands above every unit's standardised values;
    // its penalised mean stays above every unit's score.
    assert!(world > units.iter().cloned().fold(f64::NAN, f64::max));
}

#[test]
fn copeland_opponents_are_the_units() {
    let (world, copy, units) = check("copeland", "copeland");
    // By hand: World beats all five units (5 − 0), mapped with the units' map
    // (s + 4)/8 onto 0..100: 112.5, beyond the scale as a min-max value beyond the units'
    // range is. Copy ties C and meets the others as C does: C's score.
    assert_eq!(world, 112.5);
    assert_eq!(copy, units[2]);
}

#[test]
fn copeland_sum_opponents_are_the_units() {
    let (world, copy, units) = check("copeland sum", "copeland-sum");
    // By hand: World takes the whole weight against each of the five units: 5/4 → 125.
    assert_eq!(world, 125.0);
    // Copy meets the four others as C does and ties C itself (½): C's sum + ½, over 4.
    assert!((copy - (units[2] + 100.0 * 0.5 / 4.0)).abs() < 1e-12);
}

#[test]
fn grey_maxima_from_the_units() {
    let (world, copy, units) = check("grey", "grey");
    assert_eq!(copy, units[2]);
    // By hand: the units' maxima are 7, 8, 9, Δmax = 8 (child c: 9 − 1), ρ = ½ → ξ = 4/(Δ + 4);
    // World's Δ = |7 − 8|, |8 − 9|, |9 − 10| = 1 → ξ = 0.8 on each child → 80.
    assert!((world - 80.0).abs() < 1e-12, "{world}");
}

//! Sobol' indices estimated through the design and estimators of `qindex::sensitivity::sobol`,
//! against closed-form values (the Ishigami function; a model with a group factor, a
//! categorical factor and an interaction) and SALib 1.6.0's estimates.

use qindex::sensitivity::sobol::{analyze, AnalyzeOptions, Design, Indices};
use std::f64::consts::PI;

/// Agreement required between an estimate at the tests' N and the analytic index.
const ANALYTIC: f64 = 0.02;

fn reference(name: &str) -> serde_json::Value {
    let path = format!("{}/../shared/reference/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

/// Runs `model` (uniforms of one design row → one output) over the whole design.
fn run(design: &Design, model: impl Fn(&[f64]) -> f64) -> Indices {
    let mut x = vec![0.0; design.dims()];
    let y: Vec<f64> = (0..design.rows())
        .map(|r| {
            design.row(r, &mut x);
            model(&x)
        })
        .collect();
    let opts = AnalyzeOptions {
        seed: 3,
        ..AnalyzeOptions::default()
    };
    analyze(&y, design.n(), design.factors().len(), 1, &opts).unwrap()
}

#[track_caller]
fn assert_within(got: &[f64], want: &[f64], tol: f64, what: &str) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol, "{what}[{i}]: {g} vs {w} (±{tol})");
    }
}

/// Ishigami: f = sin x₁ + a sin² x₂ + b x₃⁴ sin x₁, xᵢ ~ U(−π, π), a = 7, b = 0.1, at
/// N = 2^14 (81,920 evaluations, as the reference file's SALib run).
#[test]
fn ishigami_matches_the_closed_form_and_salib() {
    let file = reference("ishigami.json");
    let (a, b) = (file["a"].as_f64().unwrap(), file["b"].as_f64().unwrap());
    let design = Design::new(1 << 14, vec![vec![0], vec![1], vec![2]], 2024).unwrap();
    let ix = run(&design, |u| {
        let x: Vec<f64> = u.iter().map(|u| -PI + 2.0 * PI * u).collect();
        x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
    });
    let analytic = &file["analytic"];
    assert_within(
        ix.s1(0),
        &floats(&analytic["S1"]),
        ANALYTIC,
        "S1 vs analytic",
    );
    assert_within(
        ix.st(0),
        &floats(&analytic["ST"]),
        ANALYTIC,
        "ST vs analytic",
    );
    let v = analytic["V"].as_f64().unwrap();
    assert!(
        (ix.variance[0] - v).abs() < 0.02 * v,
        "V {} vs {v}",
        ix.variance[0]
    );

    // SALib's estimates come from other scrambled points and resamples, so the two differ by
    // Monte Carlo error: require them within the sum of both 95% half-widths, and the
    // half-widths themselves (100 resamples here, 1000 there) within a factor 1.5.
    let salib = &file["salib_sobol_scrambled"];
    for (name, est, conf) in [
        ("S1", ix.s1(0), ix.s1_conf(0)),
        ("ST", ix.st(0), ix.st_conf(0)),
    ] {
        let their = floats(&salib[name]);
        let their_conf = floats(&salib[format!("{name}_conf")]);
        for i in 0..3 {
            let gap = (est[i] - their[i]).abs();
            assert!(
                gap <= conf[i] + their_conf[i],
                "{name}[{i}]: {} vs SALib {} (±{} ±{})",
                est[i],
                their[i],
                conf[i],
                their_conf[i]
            );
            let ratio = conf[i] / their_conf[i];
            assert!(
                (1.0 / 1.5..1.5).contains(&ratio),
                "{name}_conf[{i}]: {} vs SALib {}",
                conf[i],
                their_conf[i]
            );
        }
    }
}

/// Y = 3(x₁ + x₂) + c_L + t_L (x₄ − ½), with x₁, x₂, x₄ ~ U(0, 1), L uniform on {0, 1, 2} from
/// a uniform u by ⌊3u⌋, c = (0, 1, 3), t = (−2, 1, 4), and a dummy x₅ that Y ignores.
/// Factors: G = {x₁, x₂} (a group, swapped together), L (categorical), X₄, X₅.
///
/// The four terms are orthogonal (each has mean 0 given the others' inputs, or depends on
/// disjoint inputs), so V is the sum of the parts (in 36ths):
/// - V_G = Var 3(x₁ + x₂) = 9 · 2/12 = 3/2 = 54/36;
/// - V_L = Var c_L = (0 + 1 + 9)/3 − (4/3)² = 14/9 = 56/36;
/// - the last term h = t_L z, z = x₄ − ½ (E z = 0, E z² = 1/12): E[h | L] = 0, so it adds
///   nothing to V_L; E[h | x₄] = t̄ z with t̄ = 1, so V_X₄ = 1/12 = 3/36; Var h =
///   E t² E z² = 7 · 1/12 = 21/36, so the interaction V_{L,X₄} = 21/36 − 3/36 = 18/36;
/// - V = (54 + 56 + 3 + 18)/36 = 131/36.
///
/// First order S_i = V_i/V: G 54/131, L 56/131, X₄ 3/131, X₅ 0. Total ST_i = (V_i + the
/// interactions with i)/V: G 54/131, L 74/131, X₄ 21/131, X₅ 0.
#[test]
fn group_and_categorical_factors_with_an_interaction() {
    // Columns: x₁ = 0, L = 1, x₄ = 2, x₂ = 3, x₅ = 4 (the group's columns are not adjacent).
    let factors = vec![vec![0, 3], vec![1], vec![2], vec![4]];
    let design = Design::new(1 << 15, factors, 77).unwrap();
    let (c, t) = ([0.0, 1.0, 3.0], [-2.0, 1.0, 4.0]);
    let ix = run(&design, |u| {
        let level = (u[1] * 3.0) as usize;
        3.0 * (u[0] + u[3]) + c[level] + t[level] * (u[2] - 0.5)
    });
    let s1 = [54.0, 56.0, 3.0, 0.0].map(|v| v / 131.0);
    let st = [54.0, 74.0, 21.0, 0.0].map(|v| v / 131.0);
    assert_within(ix.s1(0), &s1, ANALYTIC, "S1");
    assert_within(ix.st(0), &st, ANALYTIC, "ST");
    assert!((ix.variance[0] - 131.0 / 36.0).abs() < 0.02 * 131.0 / 36.0);
    // The interaction shows: L's and X₄'s totals exceed their first-order indices by about
    // 18/131 = 0.137, well beyond the tolerance.
    for i in [1, 2] {
        assert!(ix.st(0)[i] - ix.s1(0)[i] > 0.1, "factor {i}");
    }
    // A factor the model ignores has exactly zero total index (f_A = f_AB).
    assert_eq!(ix.st(0)[3], 0.0);
    // The group matters as a whole: swapping x₁ alone would show only a quarter of V_G.
    assert!(ix.s1(0)[0] > 0.35);
}

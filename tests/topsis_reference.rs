//! TOPSIS through the rules language against `../shared/reference/weights_topsis.json` (numpy,
//! cross-checked with pymcdm 1.4.0, pyrepo-mcda 0.1.15 and scikit-criteria 0.10): the classic
//! variant with `normalise vector` children and the min-max variant, to 1e-9.

mod common;

use serde_json::Value;

/// Evaluates rules over the reference's decision matrix (written to a temporary data file).
fn evaluate_on_matrix(rules: String, tag: &str) -> (qindex::plan::Plan, Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(common::shared("reference/weights_topsis.json")).unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();
    let matrix: Vec<Vec<f64>> = serde_json::from_value(r["matrix"].clone()).unwrap();
    let dir = std::env::temp_dir().join(format!("qindex-ref-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut csv = String::from("unit,c1,c2,c3,c4,c5\n");
    for (i, row) in matrix.iter().enumerate() {
        let cells: Vec<String> = row.iter().map(|x| format!("{x}")).collect();
        csv.push_str(&format!("A{},{}\n", i + 1, cells.join(",")));
    }
    let data = dir.join("matrix.csv");
    std::fs::write(&data, csv).unwrap();
    let out = common::evaluate_text("reference.qi", rules, Some(data), |plan, _, results| {
        let p = &results.periods[0];
        (plan.clone(), p.score.clone(), p.weights.clone())
    });
    std::fs::remove_dir_all(&dir).unwrap();
    out
}

/// Derived weights of a group whose children are the five criteria, through the rules: the
/// rules language's conventions (direction-aware min-max for entropy, CRITIC and sd; raw values
/// for cv, all benefit criteria there as in the reference).
#[test]
fn derived_weights_match_the_reference() {
    let text = std::fs::read_to_string(common::shared("reference/weights_topsis.json")).unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();
    let types: Vec<i64> = serde_json::from_value(r["types"].clone()).unwrap();
    for method in ["entropy", "critic", "sd", "cv"] {
        let want: Vec<f64> =
            serde_json::from_value(r["weights"][method]["values"].clone()).unwrap();
        let mut rules = format!("index t by unit {{\n    weights {method}\n");
        for (k, t) in types.iter().enumerate() {
            let dir = if *t < 0 && method != "cv" {
                " { direction negative }"
            } else {
                ""
            };
            rules.push_str(&format!("    indicator c{}{dir}\n", k + 1));
        }
        rules.push_str("}\n");
        let (plan, _, weights) = evaluate_on_matrix(rules, method);
        for (k, w) in want.iter().enumerate() {
            let got = weights[plan.find(&format!("c{}", k + 1)).unwrap().index()];
            assert!((got - w).abs() < 1e-9, "{method} c{}: {got} vs {w}", k + 1);
        }
    }
}

fn scores(normalise: &str) -> (Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(common::shared("reference/weights_topsis.json")).unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();
    let types: Vec<i64> = serde_json::from_value(r["types"].clone()).unwrap();
    let weights: Vec<f64> = serde_json::from_value(r["topsis"]["weights"].clone()).unwrap();
    let key = if normalise == "vector" {
        "vector"
    } else {
        "minmax"
    };
    let want: Vec<f64> = serde_json::from_value(r["topsis"][key]["score"].clone()).unwrap();
    // Cost criteria (type −1) get `direction negative`.
    let mut rules = format!(
        "index t by unit {{\n    scale 0..1\n    normalise {normalise}\n    aggregate topsis\n"
    );
    for (k, (t, w)) in types.iter().zip(&weights).enumerate() {
        let dir = if *t < 0 {
            " { direction negative }"
        } else {
            ""
        };
        rules.push_str(&format!("    indicator c{} weight {w}{dir}\n", k + 1));
    }
    rules.push_str("}\n");
    let (_, scores, _) = evaluate_on_matrix(rules, normalise);
    (scores, want)
}

#[test]
fn topsis_with_vector_children_is_textbook_topsis() {
    let (got, want) = scores("vector");
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((g - w).abs() < 1e-9, "A{}: {g} vs {w}", k + 1);
    }
}

#[test]
fn topsis_with_minmax_children() {
    let (got, want) = scores("minmax");
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((g - w).abs() < 1e-9, "A{}: {g} vs {w}", k + 1);
    }
}

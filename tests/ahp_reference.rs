//! AHP through the rules language against `../shared/reference/ahp.json` (numpy, pymcdm 1.4.0,
//! pyrepo-mcda 0.1.15 and AHPy 2.1 agree to 5e-11): weights, λmax, CI and CR of every matrix
//! to 1e-9; the inconsistent matrix rejected; the borderline one accepted under Saaty's random
//! index and rejected under `ri textbook`.

mod common;

use qindex::check;
use qindex::plan::Weights;
use serde_json::Value;

fn reference() -> Value {
    let text = std::fs::read_to_string(common::shared("reference/ahp.json"))
        .expect("ahp.json beside the checkout");
    serde_json::from_str(&text).unwrap()
}

/// A rules file whose group `g` has one child per matrix row, weighted by AHP judgements
/// written from the matrix's upper triangle.
fn rules(matrix: &[Vec<f64>], ri: &str) -> String {
    let mut judgements = String::new();
    for (i, row) in matrix.iter().enumerate() {
        for (j, &a) in row.iter().enumerate().skip(i + 1) {
            // Judgements are written as the text a methodologist would type: `c2 > c1 : 3`.
            let (l, r, k) = if a >= 1.0 { (i, j, a) } else { (j, i, 1.0 / a) };
            let k = if (k - k.round()).abs() < 1e-9 {
                k.round()
            } else {
                k
            };
            judgements.push_str(&format!("            c{} > c{} : {}\n", l + 1, r + 1, k));
        }
    }
    let children: String = (1..=matrix.len())
        .map(|i| format!("        indicator c{i}\n"))
        .collect();
    format!("index t by unit {{\n    group g {{\n        weights ahp{ri} {{\n{judgements}        }}\n{children}    }}\n    indicator other\n}}\n")
}

fn compile(text: String) -> Result<qindex::plan::Plan, qindex::Error> {
    let (program, diags) = check::load_text(std::path::Path::new("ahp.qi"), text).unwrap();
    assert!(diags.is_empty());
    check::compile(&program, "default").map(|(p, _)| p)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9
}

#[test]
fn every_matrix_matches_the_reference() {
    let r = reference();
    for (name, m) in r["matrices"].as_object().unwrap() {
        let matrix: Vec<Vec<f64>> = serde_json::from_value(m["matrix"].clone()).unwrap();
        let rejected = m["rejected_at_0.10_saaty"].as_bool().unwrap();
        for (ri, key) in [("", "cr_saaty"), (" ri textbook", "cr_textbook")] {
            let cr = m[key].as_f64().unwrap();
            let result = compile(rules(&matrix, ri));
            if cr > 0.10 {
                let Err(qindex::Error::Diagnostics(ds)) = result else {
                    panic!("{name}{ri}: CR {cr} must be rejected");
                };
                assert!(
                    ds.iter().any(|d| d.code == "ahp-inconsistent"),
                    "{name}{ri}: {ds:?}"
                );
                let message = &ds
                    .iter()
                    .find(|d| d.code == "ahp-inconsistent")
                    .unwrap()
                    .message;
                assert!(
                    message.contains(&format!("{cr:.3}")),
                    "{name}: the message names the CR: {message}"
                );
                continue;
            }
            assert!(
                !(rejected && ri.is_empty()),
                "{name} is rejected in the reference"
            );
            let plan = result.unwrap_or_else(|e| panic!("{name}{ri}: {e:?}"));
            let g = plan.node(plan.find("g").unwrap()).group.clone().unwrap();
            let Weights::Ahp(info) = g.weights else {
                panic!("ahp")
            };
            let want: Vec<f64> = serde_json::from_value(m["weights"].clone()).unwrap();
            for (k, (a, b)) in info.weights.iter().zip(&want).enumerate() {
                assert!(close(*a, *b), "{name}: weight {k}: {a} vs {b}");
            }
            assert!(
                close(info.lambda_max, m["lambda_max"].as_f64().unwrap()),
                "{name}: lambda_max"
            );
            assert!(close(info.ci, m["ci"].as_f64().unwrap()), "{name}: ci");
            assert!(close(info.cr, cr), "{name}: cr {} vs {cr}", info.cr);
            // The children's weights in the plan are the eigenvector.
            for (k, w) in want.iter().enumerate() {
                let id = plan.find(&format!("c{}", k + 1)).unwrap();
                assert!(close(
                    plan.node(id).weight.as_ref().unwrap().fixed().unwrap(),
                    *w
                ));
            }
        }
    }
}

#[test]
fn borderline_matrix_depends_on_the_random_index_table() {
    let r = reference();
    let m = &r["matrices"]["M3_borderline_RI"];
    let matrix: Vec<Vec<f64>> = serde_json::from_value(m["matrix"].clone()).unwrap();
    assert!(
        compile(rules(&matrix, "")).is_ok(),
        "accepted under Saaty's RI (CR 0.093)"
    );
    assert!(
        compile(rules(&matrix, " ri textbook")).is_err(),
        "rejected under the textbook RI (CR 0.104)"
    );
}

#[test]
fn inconsistent_matrix_names_its_worst_judgement() {
    let r = reference();
    let m = &r["matrices"]["M4_inconsistent"];
    let matrix: Vec<Vec<f64>> = serde_json::from_value(m["matrix"].clone()).unwrap();
    let Err(qindex::Error::Diagnostics(ds)) = compile(rules(&matrix, "")) else {
        panic!("must be rejected")
    };
    let d = ds.iter().find(|d| d.code == "ahp-inconsistent").unwrap();
    assert_eq!(
        d.related.len(),
        1,
        "points at the most inconsistent judgement"
    );
    assert!(d
        .notes
        .iter()
        .any(|n| n.contains("consistent with the other judgements")));
}

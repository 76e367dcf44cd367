//! `qindex explain --format json` can be read back: the JSON of every plan of the bundled
//! rules and of the corpus deserialises into a `Plan` equal to the compiled one (less what the
//! JSON leaves out on purpose) and serialises again to the same text.

mod common;

use common::{check_file, root};
use qindex::plan::Plan;
use qindex::report::explain_json;
use std::path::PathBuf;

fn qi_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .expect("folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "qi"))
        .collect();
    files.sort();
    files
}

/// The plan as the JSON describes it: the factors' scheme overrides (compiled from the rules
/// for the replications) and the spans of the `uncertainty` block and its lines are not part
/// of the JSON.
fn as_written(plan: &Plan) -> Plan {
    let mut plan = plan.clone();
    for node in &mut plan.nodes {
        node.settings.clear();
    }
    if let Some(u) = &mut plan.uncertainty {
        u.span = Default::default();
        for f in &mut u.factors {
            f.overrides.clear();
            f.span = Default::default();
        }
    }
    plan
}

#[test]
fn explain_json_reads_back_into_the_same_plan() {
    let mut files = qi_files("rules");
    files.extend(qi_files("rules/examples"));
    files.extend(qi_files("tests/corpus/ok"));
    let mut plans = 0;
    for path in &files {
        let (program, diags) = check_file(path);
        assert!(
            !diags.iter().any(|d| d.is_error()),
            "{}: {diags:?}",
            path.display()
        );
        let checked = qindex::check::check(&program.expect("loads"));
        for plan in &checked.plans {
            let json = explain_json(plan);
            let back: Plan = serde_json::from_str(&json).unwrap_or_else(|e| {
                panic!("{} ({}): {e}", path.display(), plan.scheme);
            });
            assert_eq!(
                back,
                as_written(plan),
                "{} ({}): the plan read back differs",
                path.display(),
                plan.scheme
            );
            assert_eq!(
                explain_json(&back),
                json,
                "{} ({}): the JSON written again differs",
                path.display(),
                plan.scheme
            );
            plans += 1;
        }
    }
    assert!(plans > 30, "only {plans} plans were read back");
}

//! The Spark dialect on Spark itself: `tests/spark/run.sh` runs `qindex sql --dialect spark` in
//! Spark's local mode over the demo data and compares it with the native engine. It runs when
//! `QINDEX_SPARK=1` (it installs PySpark into target/spark-venv; `.ci/run` sets it with
//! `QINDEX_CI_DATAFUSION=1`), and must then pass: a missing tool fails it. Otherwise it says
//! why it did not run.

mod common;

use common::root;

#[test]
fn the_spark_dialect_equals_the_native_engine_in_spark() {
    let asked = std::env::var("QINDEX_SPARK").is_ok_and(|v| v == "1");
    if !asked {
        eprintln!(
            "skipped: tests/spark/run.sh runs with QINDEX_SPARK=1 (it installs PySpark, about 400 MB, and needs a JRE)"
        );
        return;
    }
    let o = std::process::Command::new("bash")
        .arg(root().join("tests/spark/run.sh"))
        .arg(env!("CARGO_BIN_EXE_qindex"))
        .current_dir(root())
        .output()
        .expect("bash runs");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "tests/spark/run.sh failed:\n{out}\n{err}"
    );
    assert!(out.contains("rows equal"), "{out}");
}

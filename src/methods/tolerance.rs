//! Test tolerances and helpers shared by the methods' unit tests.

/// Agreement required with an independent reference (numpy, R, AHPy, ...).
pub const REFERENCE: f64 = 1e-9;
/// Agreement required with a value computed by hand in closed form.
pub const EXACT: f64 = 1e-12;

/// Asserts `|a - b| <= tol`, treating two NaNs as equal, with a message naming `what`.
#[track_caller]
pub fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
    let ok = (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol;
    assert!(ok, "{what}: got {a}, expected {b} (tolerance {tol})");
}

/// Element-wise [`assert_close`] of two slices of equal length.
#[track_caller]
pub fn assert_all_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        assert_close(x, y, tol, &format!("{what}[{i}]"));
    }
}

/// Reads a reference file from `../shared/reference/` relative to the crate root.
pub fn reference(name: &str) -> serde_json::Value {
    let path = format!("{}/../shared/reference/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A JSON array of numbers as a `Vec<f64>`.
pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

//! The one JSON writer: every JSON document qindex writes starts with its `format` key.

use serde::Serialize;
use serde_json::{Map, Value};

/// `value` as a pretty-printed JSON document, ending in a newline, with
/// `"format": "qindex.KIND/VERSION"` as its first key (its other keys in their order). A value
/// that is not an object is wrapped as `{"format": ..., "value": ...}`; a `format` key of its
/// own is replaced.
pub fn document<T: Serialize + ?Sized>(kind: &str, version: u32, value: &T) -> String {
    let value = serde_json::to_value(value).unwrap_or_else(|e| {
        // Plain data always serialises; a map with non-string keys is the only way not to.
        Value::String(format!("unserialisable: {e}"))
    });
    let mut doc = Map::new();
    doc.insert(
        "format".into(),
        Value::String(format!("qindex.{kind}/{version}")),
    );
    match value {
        Value::Object(fields) => {
            for (k, v) in fields {
                if k != "format" {
                    doc.insert(k, v);
                }
            }
        }
        other => {
            doc.insert("value".into(), other);
        }
    }
    let mut out = serde_json::to_string_pretty(&Value::Object(doc)).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Doc {
        zeta: u32,
        alpha: Option<f64>,
        format: &'static str,
    }

    #[test]
    fn format_comes_first_and_keys_keep_their_order() {
        let d = Doc {
            zeta: 1,
            alpha: None,
            format: "old",
        };
        assert_eq!(
            document("thing", 2, &d),
            "{\n  \"format\": \"qindex.thing/2\",\n  \"zeta\": 1,\n  \"alpha\": null\n}\n"
        );
    }

    #[test]
    fn other_values_are_wrapped() {
        assert_eq!(
            document("list", 1, &[1, 2]),
            "{\n  \"format\": \"qindex.list/1\",\n  \"value\": [\n    1,\n    2\n  ]\n}\n"
        );
    }
}

//! `qindex report`: one self-contained HTML page, the same bytes for the same inputs, labels
//! shown as text, and its data model (the JSON the charts are built from) snapshot-tested.

mod common;

use common::{base64, qindex, qindex_ok};
use serde_json::Value;

const MARKET: &str = "rules/market_led.qi";
const INJECTION: &str = "tests/fixtures/report/injection.qi";
const CITIES: &str = "tests/fixtures/profile/cities.qi";
const EVIL: &str = "<img src=x onerror=alert(1)>";

fn report(args: &[&str]) -> String {
    let mut all = vec!["report", "--quiet"];
    all.extend_from_slice(args);
    String::from_utf8(qindex_ok(&all)).expect("UTF-8")
}

/// The page without its inline scripts: the markup the report itself writes.
fn markup(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("</script>").expect("closed script") + start;
        rest = &rest[end + "</script>".len()..];
    }
    out.push_str(rest);
    out
}

/// The text of the element `<script type="application/json" id="qi-charts">`.
fn chart_json(html: &str) -> Value {
    let open = "<script type=\"application/json\" id=\"qi-charts\">";
    let start = html.find(open).expect("the charts' JSON") + open.len();
    let end = html[start..].find("</script>").unwrap() + start;
    serde_json::from_str(&html[start..end]).expect("valid JSON")
}

#[test]
fn the_report_is_self_contained_and_the_same_bytes_on_every_run() {
    let a = report(&[MARKET]);
    let b = report(&[MARKET]);
    assert!(a == b, "two runs over the same inputs differ");
    assert!(a.len() < 3_000_000, "{} bytes", a.len());
    assert!(a.starts_with("<!DOCTYPE html>"));
    assert!(
        a.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';")
    );
    let page = markup(&a);
    // Nothing outside the page: no attribute loads or links anything but an anchor in it.
    for needle in ["src=", "<link", "url(", "@import", "http://", "https://"] {
        assert!(!page.contains(needle), "{needle} in the page's markup");
    }
    let xlsx = "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,";
    let mut attached = Vec::new();
    for (k, _) in page.match_indices("href=\"") {
        let link = &page[k + 6..];
        let link = &link[..link.find('"').unwrap()];
        if let Some(data) = link.strip_prefix(xlsx) {
            attached.push(data);
        } else {
            assert!(link.starts_with('#'), "a link leaves the page: {link:.80}");
        }
    }
    // The tables attached as workbooks: the ranking (in rank order, labelled) and the
    // comparison of the schemes.
    assert_eq!(attached.len(), 2);
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(base64(attached[0]))).unwrap();
    use calamine::Reader;
    let results = book.worksheet_range("results").unwrap();
    assert_eq!(
        results[(0, 6)],
        calamine::Data::String("质量发展战略规划".into())
    );
    assert_eq!(results[(1, 4)], calamine::Data::Float(1.0), "rank 1 first");
    let book = calamine::Xlsx::new(std::io::Cursor::new(base64(attached[1]))).unwrap();
    assert!(book.sheet_names().contains(&"market_strong".to_string()));
    // Every section of market_led.qi has content, and every chart container has an option.
    for id in [
        "overview",
        "ranking",
        "heatmap",
        "schemes",
        "orientation",
        "robustness",
        "coherence",
        "profiles",
        "methods",
        "warnings",
    ] {
        assert!(page.contains(&format!("<section id=\"{id}\">")), "no {id}");
    }
    let specs = chart_json(&a);
    let specs = specs.as_array().unwrap();
    let containers = page.matches("<div class=\"chart\"").count();
    assert_eq!(specs.len(), containers);
    for s in specs {
        let id = s["id"].as_str().unwrap();
        assert!(
            page.contains(&format!("id=\"{id}\"")),
            "no container for {id}"
        );
        assert!(
            !s["option"]["series"].as_array().unwrap().is_empty(),
            "{id}"
        );
    }
    // The robustness charts: rank intervals and Sobol' indices.
    assert!(page.contains("id=\"chart-intervals\"") && page.contains("id=\"chart-sobol\""));
    // No timestamp unless asked for.
    assert!(!a.contains(" UTC<"));
}

#[test]
fn labels_from_rules_and_data_are_text_never_markup() {
    let html = report(&[INJECTION]);
    let page = markup(&html);
    for tag in ["<img", "<iframe", "<svg", "<b ", "<script"] {
        assert!(!page.contains(tag), "{tag} in the page's markup");
    }
    // The page's own style element is the only one closed.
    assert_eq!(page.matches("</style>").count(), 1);
    // The texts are there, escaped: a unit's and the index's label, a group's, the
    // description.
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.contains("&lt;b onmouseover=alert(2)&gt;一&lt;/b&gt;"));
    assert!(page.contains("&lt;/script&gt;&lt;script&gt;alert(&#39;description&#39;)"));
    // In the charts' JSON: no way to end the script element, and the labels read back whole.
    let open = "id=\"qi-charts\">";
    let start = html.find(open).unwrap() + open.len();
    let end = html[start..].find("</script>").unwrap() + start;
    let json = &html[start..end];
    for bad in ["</", "<!--", "\u{2028}"] {
        assert!(!json.contains(bad), "{bad:?} in the charts' JSON");
    }
    let specs = chart_json(&html);
    let ranking = specs
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "chart-ranking")
        .unwrap();
    let names: Vec<&str> = ranking["option"]["yAxis"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(names.contains(&EVIL), "{names:?}");
    assert!(names.contains(&"</script><script>alert(6)</script>"));
    // An indicator's label with a line separator (the data loader trims the unit's).
    assert!(json.contains("c\\u2028line"));
}

#[test]
fn sections_follow_the_flags_and_the_language() {
    let zh = markup(&report(&[INJECTION, "--no-uncertainty"]));
    assert!(!zh.contains("<section id=\"robustness\">"));
    assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("<h2>排名</h2>"));
    let en = markup(&report(&[INJECTION, "--lang", "en"]));
    assert!(en.contains("<section id=\"robustness\">"));
    assert!(en.contains("<html lang=\"en\">") && en.contains("<h2>Ranking</h2>"));
    assert!(!en.contains("排名"));
    // One scheme: nothing to compare.
    let one = markup(&report(&[
        INJECTION,
        "--scheme",
        "other",
        "--no-uncertainty",
    ]));
    assert!(!one.contains("<section id=\"schemes\">"));
    // --unit: one profile card.
    let card = markup(&report(&[CITIES, "--unit", "深圳"]));
    assert_eq!(card.matches("<div class=\"card\">").count(), 1);
    let all = markup(&report(&[CITIES]));
    assert_eq!(all.matches("<div class=\"card\">").count(), 8);
    // A stamp only when asked for.
    let stamped = report(&[CITIES, "--stamp"]);
    assert!(stamped.contains(" UTC</dd>"));
}

#[test]
fn bad_arguments_are_usage_errors_not_panics() {
    for (args, says) in [
        (vec!["report", CITIES, "--unit", "nowhere"], "unknown unit"),
        (
            vec!["report", CITIES, "--format", "csv"],
            "writes html, json",
        ),
        (
            vec!["report", CITIES, "--scheme", "nope"],
            "no scheme `nope`",
        ),
        (vec!["report", CITIES, "--period", "all"], "--period all"),
        (vec!["report", CITIES, "--period", "1999"], "1999"),
    ] {
        let o = qindex(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            matches!(o.status.code(), Some(1) | Some(2)),
            "{args:?}: {:?} {err}",
            o.status
        );
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Floats rounded to 6 decimals, so the snapshot does not hang on the last bits.
fn rounded(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            let r = (x * 1e6).round() / 1e6;
            serde_json::Number::from_f64(if r == 0.0 { 0.0 } else { r })
                .map_or(Value::Null, Value::Number)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(rounded).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, rounded(v))).collect()),
        v => v,
    }
}

#[test]
fn the_data_model_of_a_small_panel() {
    let json = report(&[
        CITIES, "--unit", "440300", "--format", "json", "--lang", "en",
    ]);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["format"], "qindex.report/1");
    // The ranking is in rank order, and the rank change is the previous period's rank minus
    // this one's, as the comparison of the two periods gives it.
    let rows = v["ranking"]["rows"].as_array().unwrap();
    let ranks: Vec<u64> = rows.iter().map(|r| r["rank"].as_u64().unwrap()).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    assert_eq!(v["ranking"]["previous_period"], "2022");
    // The radar's reference is the median unit: each group's median over the units.
    let median = v["profiles"][0]["median"].as_array().unwrap();
    for (k, m) in median.iter().enumerate() {
        let mut g: Vec<f64> = rows
            .iter()
            .map(|r| r["groups"][k].as_f64().unwrap())
            .collect();
        g.sort_by(f64::total_cmp);
        let n = g.len();
        let expected = if n % 2 == 1 {
            g[n / 2]
        } else {
            (g[n / 2 - 1] + g[n / 2]) / 2.0
        };
        assert!((m.as_f64().unwrap() - expected).abs() < 1e-9, "group {k}");
    }
    insta::assert_snapshot!(
        "cities_shenzhen_2023",
        serde_json::to_string_pretty(&rounded(v)).unwrap()
    );
}

//! The `survey` block through the pipeline: `SURVEY.NAME` in formulas is the survey's estimate
//! for the row's unit and period (LANGUAGE.md, "Surveys (v1)"), computed once per session when
//! the data is bound; units the index and the survey do not share are warned about; errors in
//! the respondent file point at the rules or at file, row and column.
//!
//! Expected values are computed here from the generated respondents by the formulas of
//! LANGUAGE.md (item score (x − lo)/(hi − lo)·100, reversed x → lo + hi − x; a respondent's
//! dimension score the weighted mean of the answered items, missing under half the item weight;
//! Σw·y/Σw), not by the estimator; the R reference of `../shared/data/survey/` checks the whole
//! path, language included.

mod common;

use common::{survey_fixture, Respondent};
use qindex::eval::{DataOptions, PeriodChoice};
use qindex::session::Session;
use qindex::Error;
use std::path::{Path, PathBuf};

/// A fresh folder for one test, removed when the test ends.
struct Fresh(PathBuf);

impl std::ops::Deref for Fresh {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fresh(name: &str) -> Fresh {
    let dir = std::env::temp_dir().join(format!("qindex-survey-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Fresh(dir)
}

/// Item scores of a respondent on 0..100 (NaN: no answer), as LANGUAGE.md defines them.
fn scores(r: &Respondent) -> [f64; 5] {
    let mut out = [f64::NAN; 5];
    for (k, &x) in r.answers.iter().enumerate() {
        if x.is_nan() || x == 9.0 {
            continue;
        }
        out[k] = match k {
            2 => (5.0 - x) / 4.0 * 100.0, // s3 reversed: (1 + 5 − x − 1)/4
            4 => x * 100.0,               // p1 on 0..1
            _ => (x - 1.0) / 4.0 * 100.0,
        };
    }
    out
}

/// The satisfaction score of a respondent: items s1, s2 (weight 2), s3, s4.
fn satisfaction(r: &Respondent) -> f64 {
    let s = scores(r);
    let w = [1.0, 2.0, 1.0, 1.0];
    let (mut num, mut den) = (0.0, 0.0);
    for k in 0..4 {
        if !s[k].is_nan() {
            num += w[k] * s[k];
            den += w[k];
        }
    }
    if den < 2.5 {
        f64::NAN
    } else {
        num / den
    }
}

fn weighted_mean(rows: &[&Respondent], y: impl Fn(&Respondent) -> f64) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for r in rows {
        let v = y(r);
        if !v.is_nan() {
            num += r.weight * v;
            den += r.weight;
        }
    }
    num / den
}

fn bound(path: &Path) -> Session {
    let session = Session::load(path).expect("the rules check");
    let plan = session.plan("default").unwrap();
    session
        .bind(&[plan], &DataOptions::default())
        .expect("the data binds");
    session
}

#[test]
fn survey_estimates_are_columns_by_unit_and_period() {
    let dir = fresh("columns");
    let (path, rows) = survey_fixture(&dir);
    let session = bound(&path);
    let frame = session.frame().unwrap();
    let sat = frame.column("citizens.satisfaction").expect("a column");
    let s1 = frame.column("citizens.s1").expect("a column");
    let periods = frame.periods().unwrap();
    let mut checked = 0;
    for i in 0..frame.len() {
        let (unit, year) = (frame.units().get(i), periods.get(i));
        let of: Vec<&Respondent> = rows
            .iter()
            .filter(|r| r.city == unit && r.year == year)
            .collect();
        if unit == "C4" || (unit == "C3" && year == "2024") {
            // No respondents, or fewer than min_respondents: missing.
            assert!(sat[i].is_nan() && s1[i].is_nan(), "{unit} {year}");
            continue;
        }
        let want_sat = weighted_mean(&of, satisfaction);
        let want_s1 = weighted_mean(&of, |r| scores(r)[0]);
        assert!(
            (sat[i] - want_sat).abs() < 1e-9,
            "{unit} {year}: {} vs {want_sat}",
            sat[i]
        );
        assert!(
            (s1[i] - want_s1).abs() < 1e-9,
            "{unit} {year}: {} vs {want_s1}",
            s1[i]
        );
        checked += 1;
    }
    assert_eq!(checked, 5, "C1, C2 in both years and C3 in 2023");
    // The estimates are computed once and kept with the data, by the survey analysis itself.
    let data = session.data().unwrap();
    assert_eq!(data.surveys.len(), 1);
    let c1 = data.surveys[0].unit("C1", Some("2023")).unwrap();
    assert_eq!(c1.get("satisfaction").unwrap().mean, Some(sat[0]));
}

#[test]
fn unshared_units_and_small_samples_are_warned_about() {
    let dir = fresh("warnings");
    let (path, _) = survey_fixture(&dir);
    let session = bound(&path);
    let w = &session.data().unwrap().survey_warnings;
    let find = |code: &str, period: &str| {
        w.iter()
            .find(|x| x.code == code && x.period.as_deref() == Some(period))
            .unwrap_or_else(|| panic!("{code} {period} in {w:?}"))
    };
    for year in ["2023", "2024"] {
        let missing = find("survey-missing", year);
        assert_eq!(missing.units, ["C4"]);
        assert_eq!(missing.count, 1);
        assert!(missing
            .message
            .contains("`citizens.*` values of these index units are missing"));
        assert_eq!(find("survey-unmatched", year).units, ["C5"]);
    }
    let small = find("survey-small-sample", "2024");
    assert_eq!(small.unit.as_deref(), Some("C3"));
    assert!(
        small.message.contains("10 respondents"),
        "{}",
        small.message
    );
    assert!(!w
        .iter()
        .any(|x| x.code == "survey-small-sample" && x.period.as_deref() == Some("2023")));
    // The index evaluates with the survey's columns, C4 without a value for them.
    let plan = session.plan("default").unwrap();
    let results = session
        .evaluate_in(plan, &PeriodChoice::One("2023".into()))
        .expect("evaluates");
    let sat = plan.find("satisfaction").unwrap();
    let p = &results.periods[0];
    let frame = session.frame().unwrap();
    for (k, &row) in p.rows.iter().enumerate() {
        let raw = p.raw[sat.index()][k];
        assert_eq!(raw.is_nan(), frame.units().get(row) == "C4");
    }
}

#[test]
fn respondent_columns_missing_from_the_file_are_shown_in_the_rules() {
    let dir = fresh("unknown-column");
    let (path, _) = survey_fixture(&dir);
    let rules = std::fs::read_to_string(&path)
        .unwrap()
        .replace("weight w\n", "weight wt\n")
        .replace("item s4 \"噪声\"", "item s04");
    std::fs::write(&path, rules).unwrap();
    let session = Session::load(&path).unwrap();
    let plan = session.plan("default").unwrap();
    let Err(Error::Diagnostics(ds)) = session.bind(&[plan], &DataOptions::default()) else {
        panic!("binding fails");
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let at = |name: &str| {
        let d = ds
            .iter()
            .find(|d| d.message.contains(&format!("`{name}`")))
            .unwrap_or_else(|| panic!("{name}: {ds:?}"));
        let span = d.span.expect("a place in the rules");
        (
            text[span.start as usize..span.end as usize].to_string(),
            d.hint.clone().unwrap_or_default(),
            d.notes.join(" "),
        )
    };
    let (written, hint, note) = at("wt");
    assert_eq!(written, "wt");
    // The closest name first, as for index columns.
    assert!(hint.starts_with("did you mean `w`"), "{hint}");
    assert!(note.contains("respondents.csv:1"), "{note}");
    let (written, hint, _) = at("s04");
    assert_eq!(written, "s04");
    assert!(hint.starts_with("did you mean `s4`"), "{hint}");
}

#[test]
fn answers_outside_the_scale_name_file_row_and_column() {
    let dir = fresh("out-of-scale");
    let (path, _) = survey_fixture(&dir);
    let csv = dir.join("respondents.csv");
    let mut lines: Vec<String> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    // Row 4 of the file: s2 (column 7) becomes 7, neither on 1..5 nor a don't-know code.
    let mut cells: Vec<String> = lines[3].split(',').map(str::to_string).collect();
    cells[6] = "7".into();
    lines[3] = cells.join(",");
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    let session = Session::load(&path).unwrap();
    let plan = session.plan("default").unwrap();
    let Err(Error::Diagnostics(ds)) = session.bind(&[plan], &DataOptions::default()) else {
        panic!("binding fails");
    };
    assert_eq!(ds.len(), 1, "{ds:?}");
    let location = ds[0].location.clone().unwrap();
    assert!(location.ends_with("respondents.csv:4:7"), "{location}");
    assert_eq!(ds[0].code, "out-of-scale");
}

/// The whole path, rules text included, against R's survey package: the demo survey written
/// as a `survey` block gives every reference estimate to 1e-9 in the index's columns.
#[test]
fn the_language_path_equals_r_survey() {
    let dir = fresh("reference");
    let demo = common::shared("data/survey/citizens_demo.csv");
    let items = |prefix: &str, n: usize, reversed: &str| -> String {
        (1..=n)
            .map(|k| {
                let id = format!("{prefix}{k:02}");
                let rev = if id == reversed { " reverse" } else { "" };
                format!("        item {id}{rev}\n")
            })
            .collect()
    };
    let rules = format!(
        "survey citizens {{\n    data \"{}\"\n    by city over year weight weight\n    \
         strata district cluster community\n    scale 1..5\n    dont_know 9\n    \
         dimension satisfaction {{\n{}    }}\n    dimension awareness {{\n{}    }}\n    \
         dimension participation {{\n        scale 0..1\n{}    }}\n}}\n\
         index i by city over year {{\n    data \"cities.csv\"\n    \
         indicator sat = citizens.satisfaction\n    indicator aw = citizens.awareness\n    \
         indicator pa = citizens.participation + 0 * citizens.s07 + 0 * citizens.k04\n}}\n",
        demo.display(),
        items("s", 15, "s07"),
        items("k", 10, "k04"),
        items("p", 8, ""),
    );
    let path = dir.join("demo.qi");
    std::fs::write(&path, rules).unwrap();
    let (header, rows) = {
        let text = std::fs::read_to_string(common::shared("data/survey/reference_estimates.csv"))
            .expect("the R reference");
        let split = |l: &str| -> Vec<String> {
            l.split(',')
                .map(|c| c.trim().trim_matches('"').to_string())
                .collect()
        };
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = split(lines.next().unwrap());
        (header, lines.map(split).collect::<Vec<_>>())
    };
    let mut cities = String::from("city,year\n");
    for r in &rows {
        cities.push_str(&format!("{},{}\n", r[0], r[1]));
    }
    std::fs::write(dir.join("cities.csv"), cities).unwrap();
    let session = bound(&path);
    let frame = session.frame().unwrap();
    let col = |name: &str| frame.column(&format!("citizens.{name}")).unwrap();
    let mut compared = 0;
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(
            (frame.units().get(i), frame.periods().unwrap().get(i)),
            (&*r[0], &*r[1])
        );
        for name in ["satisfaction", "awareness", "participation", "s07", "k04"] {
            let k = header
                .iter()
                .position(|h| *h == format!("{name}_mean"))
                .unwrap();
            let want: f64 = r[k].parse().unwrap();
            let got = col(name)[i];
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{} {} {name}: {got} vs R {want}",
                r[0],
                r[1]
            );
            compared += 1;
        }
    }
    assert_eq!(compared, rows.len() * 5);
    // And the survey analysis the command reports is the same design: every SE too.
    let plan = session.plan("default").unwrap();
    let (est, _) = session
        .estimate_survey(&plan.surveys[0], &DataOptions::default())
        .unwrap();
    for r in &rows {
        let u = est.unit(&r[0], Some(&r[1])).unwrap();
        let k = header.iter().position(|h| h == "satisfaction_se").unwrap();
        let want: f64 = r[k].parse().unwrap();
        let got = u.get("satisfaction").unwrap().se.unwrap();
        assert!(
            (got - want).abs() <= 1e-9 * want.max(1.0),
            "{got} vs {want}"
        );
    }
}

// ---------------------------------------------------------------------- the command

fn stdout(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// The `flags` of one survey of `qindex survey --format json`.
fn flags_of(survey: &serde_json::Value) -> Vec<&str> {
    survey["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect()
}

#[test]
fn survey_json_has_the_documented_shape() {
    let dir = fresh("json");
    let (path, rows) = survey_fixture(&dir);
    let p = path.display().to_string();
    let out = stdout(&common::qindex(&["survey", &p, "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["format"], "qindex.survey/1");
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&v), ["format", "surveys"]);
    let s = &v["surveys"][0];
    assert_eq!(keys(s), ["id", "units", "dimensions", "flags"]);
    assert_eq!(s["id"], "citizens");
    // Units × periods in order of first appearance in the file: C1, C2, C3, C5 in 2023, ...
    let units: Vec<String> = s["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            format!(
                "{} {}",
                u["unit"].as_str().unwrap(),
                u["period"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        units,
        ["C1 2023", "C2 2023", "C3 2023", "C5 2023", "C1 2024", "C2 2024", "C3 2024", "C5 2024"]
    );
    let c1 = &s["units"][0];
    assert_eq!(
        keys(c1),
        ["unit", "period", "n", "sum_weights", "estimates"]
    );
    let of: Vec<&Respondent> = rows
        .iter()
        .filter(|r| r.city == "C1" && r.year == "2023")
        .collect();
    assert_eq!(c1["n"], of.len());
    let sum_w: f64 = of.iter().map(|r| r.weight).sum();
    assert!((c1["sum_weights"].as_f64().unwrap() - sum_w).abs() < 1e-9);
    // Every dimension, then every item, in first-appearance order.
    assert_eq!(
        keys(&c1["estimates"]),
        [
            "satisfaction",
            "participation",
            "s1",
            "s2",
            "s3",
            "s4",
            "p1"
        ]
    );
    let s2 = &c1["estimates"]["s2"];
    assert_eq!(keys(s2), ["mean", "se", "no_answer"]);
    // No-answer share: unweighted, don't-know codes and blanks alike.
    let unanswered = of
        .iter()
        .filter(|r| r.answers[1].is_nan() || r.answers[1] == 9.0)
        .count();
    assert_eq!(
        s2["no_answer"].as_f64().unwrap(),
        unanswered as f64 / of.len() as f64
    );
    // A unit under min_respondents: mean and se null, no_answer still given.
    let c3 = &s["units"][6];
    assert_eq!(c3["unit"], "C3");
    assert!(c3["estimates"]["satisfaction"]["mean"].is_null());
    assert!(c3["estimates"]["satisfaction"]["se"].is_null());
    assert!(c3["estimates"]["satisfaction"]["no_answer"].is_number());
    let d = &s["dimensions"][0];
    assert_eq!(keys(d), ["id", "period", "alpha", "items"]);
    assert_eq!(keys(&d["items"][0]), ["id", "item_rest"]);
    let flags = flags_of(s);
    assert!(
        flags
            .iter()
            .any(|f| f.starts_with("C3 in 2024 has 10 respondents, fewer than min_respondents 20")),
        "{flags:?}"
    );
    // s4 is noise: it correlates weakly with the rest of its dimension in both years.
    assert!(
        flags
            .iter()
            .filter(|f| f.starts_with("item s4 correlates"))
            .count()
            == 2,
        "{flags:?}"
    );
}

#[test]
fn survey_period_survey_and_formats() {
    let dir = fresh("options");
    let (path, _) = survey_fixture(&dir);
    let p = path.display().to_string();
    let out = stdout(&common::qindex(&[
        "survey", &p, "--period", "2024", "--format", "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let s = &v["surveys"][0];
    assert!(s["units"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["period"] == "2024"));
    assert!(s["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["period"] == "2024"));
    assert_eq!(s["units"].as_array().unwrap().len(), 4);
    // An unknown period or survey is a usage error with the choices.
    let o = common::qindex(&["survey", &p, "--period", "2025"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("has the periods 2023, 2024"));
    let o = common::qindex(&["survey", &p, "--survey", "citizen"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `citizens`?"));
    // CSV: a row per unit × period × estimate.
    let csv = stdout(&common::qindex(&[
        "survey", &p, "--survey", "citizens", "--format", "csv",
    ]));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "survey,unit,period,n,sum_weights,estimate,mean,se,lower,upper,no_answer"
    );
    assert_eq!(lines.count(), 8 * 7);
    // The table: estimates, reliability and flags in plain words.
    let table = stdout(&common::qindex(&["survey", &p]));
    assert!(table.starts_with("survey citizens: "), "{table}");
    assert!(table.contains("95% interval"));
    assert!(table.contains("item-rest r"));
    assert!(table.contains("flags:\n  - "));
    // The respondent file is an input: `-o` onto it is refused and leaves it as it was.
    let csv_path = dir.join("respondents.csv");
    let before = std::fs::read(&csv_path).unwrap();
    let o = common::qindex(&["survey", &p, "-o", &csv_path.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(&csv_path).unwrap(), before);
}

#[test]
fn run_warns_about_units_the_survey_does_not_cover() {
    let dir = fresh("run");
    let (path, _) = survey_fixture(&dir);
    let p = path.display().to_string();
    let o = common::qindex(&["run", &p, "--period", "2023", "--format", "csv"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(
            "warning[survey-missing] [units C4, period 2023]: no respondents in survey `citizens`"
        ),
        "{err}"
    );
    // The survey's warnings are those of the periods evaluated.
    assert!(!err.contains("period 2024"), "{err}");
    let o = common::qindex(&["run", &p, "--period", "2024", "--format", "csv"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains(
            "warning[survey-unmatched] [units C5, period 2024]: respondents of survey `citizens`"
        ),
        "{err}"
    );
    assert!(err.contains("warning[survey-small-sample] [unit C3, period 2024]: survey `citizens`: C3 in 2024 has 10 respondents"), "{err}");
    assert!(!err.contains("period 2023"), "{err}");
    let o = common::qindex(&["run", &p, "--period", "all", "--format", "csv"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("period 2023") && err.contains("period 2024"),
        "{err}"
    );
    let o = common::qindex(&["run", &p, "--period", "2023", "--format", "csv", "--quiet"]);
    assert!(o.stderr.is_empty());
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

fn variance(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0)
}

/// Decisions where LANGUAGE.md is silent (docs/language.md, "Surveys"): alpha and the
/// item-rest correlations are computed on the 0..100 item scores (reverse-coded items
/// reversed), over every respondent of the period who answered all the dimension's items —
/// small units included —, unweighted, and an item's rest is the unweighted sum of the other
/// items whatever their item weights.
#[test]
fn reliability_is_on_item_scores_unweighted_and_includes_small_units() {
    let dir = fresh("reliability");
    let (path, rows) = survey_fixture(&dir);
    let p = path.display().to_string();
    let out = stdout(&common::qindex(&["survey", &p, "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let dims = v["surveys"][0]["dimensions"].as_array().unwrap();
    for year in ["2023", "2024"] {
        let complete: Vec<[f64; 5]> = rows
            .iter()
            .filter(|r| r.year == year)
            .map(scores)
            .filter(|s| s[..4].iter().all(|v| !v.is_nan()))
            .collect();
        let cols: Vec<Vec<f64>> = (0..4)
            .map(|k| complete.iter().map(|s| s[k]).collect())
            .collect();
        let total: Vec<f64> = complete.iter().map(|s| s[..4].iter().sum()).collect();
        let k = 4.0;
        let alpha = k / (k - 1.0)
            * (1.0 - cols.iter().map(|c| variance(c)).sum::<f64>() / variance(&total));
        let d = dims
            .iter()
            .find(|d| d["id"] == "satisfaction" && d["period"] == year)
            .unwrap();
        let got = d["alpha"].as_f64().unwrap();
        assert!(
            (got - alpha).abs() < 1e-12,
            "{year}: alpha {got} vs {alpha}"
        );
        // On the raw answers (s3 not reversed) alpha would differ: the test can fail.
        let raw: Vec<Vec<f64>> = (0..4)
            .map(|j| {
                rows.iter()
                    .filter(|r| r.year == year)
                    .filter(|r| r.answers[..4].iter().all(|v| !v.is_nan() && *v != 9.0))
                    .map(|r| r.answers[j])
                    .collect()
            })
            .collect();
        let raw_total: Vec<f64> = (0..raw[0].len())
            .map(|i| raw.iter().map(|c| c[i]).sum())
            .collect();
        let raw_alpha = k / (k - 1.0)
            * (1.0 - raw.iter().map(|c| variance(c)).sum::<f64>() / variance(&raw_total));
        assert!((got - raw_alpha).abs() > 1e-3);
        for (j, item) in d["items"].as_array().unwrap().iter().enumerate() {
            let rest: Vec<f64> = complete
                .iter()
                .map(|s| (0..4).filter(|&o| o != j).map(|o| s[o]).sum())
                .collect();
            let want = pearson(&cols[j], &rest);
            let got = item["item_rest"].as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-12,
                "{year} {}: {got} vs {want}",
                item["id"]
            );
            if j != 1 {
                // With s2's item weight 2 in the rest, the correlation would differ.
                let weighted: Vec<f64> = complete
                    .iter()
                    .map(|s| {
                        (0..4)
                            .filter(|&o| o != j)
                            .map(|o| if o == 1 { 2.0 } else { 1.0 } * s[o])
                            .sum()
                    })
                    .collect();
                assert!((got - pearson(&cols[j], &weighted)).abs() > 1e-6);
            }
        }
    }
}

#[test]
fn explain_shows_the_survey() {
    let dir = fresh("explain");
    let (path, _) = survey_fixture(&dir);
    let p = path.display().to_string();
    let text = stdout(&common::qindex(&["explain", &p]));
    assert!(
        text.contains("survey citizens \"市民质量满意度调查\""),
        "{text}"
    );
    assert!(text.contains("by city over year weight w strata district cluster community"));
    assert!(
        text.contains("dont_know [9] · min_respondents 20"),
        "{text}"
    );
    let json = stdout(&common::qindex(&["explain", &p, "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let s = &v["surveys"][0];
    assert_eq!(s["id"], "citizens");
    assert_eq!(s["weight"], "w");
    assert_eq!(s["dimensions"][1]["scale"]["hi"], 1.0);
    assert_eq!(s["dimensions"][0]["items"][2]["reverse"], true);
    assert_eq!(s["dimensions"][0]["items"][1]["weight"], 2.0);
    // The index's formulas read the estimates as columns marked as a survey's.
    let cols = v["columns"].as_array().unwrap();
    assert_eq!(cols[0]["name"], "citizens.satisfaction");
    assert_eq!(cols[0]["survey"]["estimate"], "satisfaction");
}

/// Binding errors qindex decides where LANGUAGE.md is silent: a survey with periods cannot
/// feed an index without them, and a data column called like a survey estimate is refused
/// rather than silently shadowed.
#[test]
fn ambiguous_bindings_are_errors() {
    let dir = fresh("ambiguous");
    let (path, _) = survey_fixture(&dir);
    let rules = std::fs::read_to_string(&path).unwrap();
    let bind_error = |rules: String, cities: &str| -> (String, String) {
        std::fs::write(&path, rules).unwrap();
        std::fs::write(dir.join("cities.csv"), cities).unwrap();
        let session = Session::load(&path).expect("checks");
        let plan = session.plan("default").unwrap();
        match session.bind(&[plan], &DataOptions::default()) {
            Err(Error::Diagnostics(ds)) => {
                let span = ds[0].span.expect("a place in the rules");
                let text = std::fs::read_to_string(&path).unwrap();
                (
                    ds[0].code.to_string(),
                    text[span.start as usize..span.end as usize].to_string(),
                )
            }
            other => panic!("{other:?}"),
        }
    };
    let no_periods = rules.replace(
        "index city_index by city over year",
        "index city_index by city",
    );
    assert_eq!(
        bind_error(no_periods, "city,gdp\nC1,1\nC2,2\n"),
        (
            "survey-periods".to_string(),
            "citizens.satisfaction".to_string()
        )
    );
    let clash = rules.replace(
        "    indicator gdp\n",
        "    indicator gdp\n    indicator shadow = `citizens.s1`\n",
    );
    assert_eq!(
        bind_error(clash, "city,year,gdp,citizens.s1\nC1,2023,1,5\n"),
        ("survey-column-clash".to_string(), "citizens.s1".to_string())
    );
}

/// The respondent file is read like index data: `--na` names another missing-value token,
/// `--lenient` reads cells that are not numbers as missing instead of failing.
#[test]
fn survey_reads_missing_tokens_and_leniently() {
    let dir = fresh("tokens");
    let (path, _) = survey_fixture(&dir);
    let csv = dir.join("respondents.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    // Row 2's s1 (column 6) becomes `n.a.`, row 3's `oops`.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for (row, token) in [(1, "n.a."), (2, "oops")] {
        let mut cells: Vec<String> = lines[row].split(',').map(str::to_string).collect();
        cells[5] = token.into();
        lines[row] = cells.join(",");
    }
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    let p = path.display().to_string();
    let o = common::qindex(&["survey", &p, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("respondents.csv:2:6"), "{err}");
    let o = common::qindex(&[
        "survey",
        &p,
        "--format",
        "json",
        "--na",
        "n.a.",
        "--lenient",
    ]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("respondents.csv:2:6"), "{err}");
    assert!(
        err.contains("oops") || err.contains("respondents.csv:3:6"),
        "{err}"
    );
}

/// The index's other analyses read the survey's columns like data: the uncertainty block
/// samples over an index built on survey estimates.
#[test]
fn uncertainty_runs_over_survey_columns() {
    let dir = fresh("uncertainty");
    let (path, _) = survey_fixture(&dir);
    let mut rules = std::fs::read_to_string(&path).unwrap();
    rules.push_str("\nuncertainty {\n    samples 16\n    vary weights 20%\n}\n");
    std::fs::write(&path, rules).unwrap();
    let p = path.display().to_string();
    let out = stdout(&common::qindex(&[
        "uncertainty",
        &p,
        "--period",
        "2023",
        "--format",
        "json",
        "--quiet",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let units: Vec<&str> = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["unit"].as_str().unwrap())
        .collect();
    assert_eq!(units.len(), 4, "{units:?}");
}

/// The data hash of `run` covers the survey's estimates: a changed respondent file changes it.
#[test]
fn the_data_hash_covers_the_survey() {
    let dir = fresh("hash");
    let (path, _) = survey_fixture(&dir);
    let hash = || {
        let session = bound(&path);
        session.frame().unwrap().content_hash().to_string()
    };
    let before = hash();
    assert_eq!(hash(), before, "deterministic");
    let csv = dir.join("respondents.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    cells[5] = if cells[5] == "1" {
        "2".into()
    } else {
        "1".into()
    };
    lines[1] = cells.join(",");
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    assert_ne!(hash(), before);
}

/// Bad input never panics: every prefix of a rules file with a survey block, and the file with
/// each character removed, parses or gives a diagnostic, and checks.
#[test]
fn cut_and_damaged_survey_rules_never_panic() {
    let text = std::fs::read_to_string(common::root().join("tests/corpus/ok/survey.qi")).unwrap();
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let mut variants: Vec<String> = bounds.iter().map(|&i| text[..i].to_string()).collect();
    for w in bounds.windows(2) {
        variants.push(format!("{}{}", &text[..w[0]], &text[w[1]..]));
    }
    let mut rejected = 0;
    for v in &variants {
        match qindex::check::load_text(Path::new("cut.qi"), v.clone()) {
            Ok((program, diags)) => {
                let checked = qindex::check::check(&program);
                if diags
                    .iter()
                    .chain(&checked.diagnostics)
                    .any(|d| d.is_error())
                {
                    rejected += 1;
                }
            }
            Err(_) => rejected += 1,
        }
    }
    // Most cuts break the file; the whole file and a few harmless cuts (in a comment) do not.
    assert!(rejected > variants.len() / 2 && rejected < variants.len());
}

/// The plan with its surveys is plain data: it reads back as it was written (explain's JSON).
#[test]
fn plans_with_surveys_round_trip() {
    let dir = fresh("roundtrip");
    let (path, _) = survey_fixture(&dir);
    let session = Session::load(&path).unwrap();
    let plan = session.plan("default").unwrap();
    assert_eq!(plan.surveys.len(), 1);
    let json = serde_json::to_string(plan).unwrap();
    let back: qindex::plan::Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, plan);
}

/// The example of LANGUAGE.md's "Surveys (v1)" (its `survey` block and index fragment; its
/// `vary survey` line is a later step) checks, and is already in the canonical layout.
#[test]
fn the_contracts_example_checks_and_is_canonical() {
    let contract = std::fs::read_to_string(common::shared("design/LANGUAGE.md")).unwrap();
    let start = contract
        .find("survey citizens \"市民质量满意度调查\" {")
        .expect("the example");
    let end = start + contract[start..].find("\n}\n").unwrap() + 3;
    let index = contract[end..].find("index quality_city").unwrap() + end;
    let index_end = index + contract[index..].find("\n}\n").unwrap() + 3;
    let text = format!("{}\n{}", &contract[start..end], &contract[index..index_end]);
    assert_eq!(qindex::syntax::fmt::format_source(&text).unwrap(), text);
    let (program, diags) = qindex::check::load_text(Path::new("contract.qi"), text).unwrap();
    let checked = qindex::check::check(&program);
    let errors: Vec<_> = diags
        .iter()
        .chain(&checked.diagnostics)
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let plan = checked.plan("default").unwrap();
    let d = &plan.surveys[0].design;
    assert_eq!(d.dont_know, [9.0]);
    assert_eq!(d.min_respondents, Some(100));
    let participation = &d.dimensions[1];
    assert_eq!(
        d.scale_of(participation, &participation.items[0])
            .unwrap()
            .hi,
        1.0
    );
    assert!(d.dimensions[0].items[1].reverse);
    assert_eq!(d.dimensions[0].items[2].weight, 2.0);
}

/// The shipped demo (rules/data/README.md, "The citizen survey"): `qindex survey` flags the
/// planted small sample (C15 in 2022, no estimate) and the planted noise item (s15, in every
/// year), and nothing else; the respondent counts are those of the file.
#[test]
fn the_demo_survey_flags_its_planted_small_sample_and_noise_item() {
    let out = stdout(&common::qindex(&[
        "survey",
        "rules/quality_city.qi",
        "--format",
        "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let s = &v["surveys"][0];
    assert_eq!(s["id"], "citizens");
    // Respondents per city and year, counted from the file itself.
    let file = std::fs::read_to_string(common::root().join("rules/data/citizens.csv")).unwrap();
    let mut counts = std::collections::BTreeMap::<(String, String), usize>::new();
    for line in file.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        *counts
            .entry((cells[1].to_string(), cells[2].to_string()))
            .or_default() += 1;
    }
    let units = s["units"].as_array().unwrap();
    assert_eq!(units.len(), 36 * 3);
    assert_eq!(counts.len(), 36 * 3);
    for u in units {
        let key = (
            u["unit"].as_str().unwrap().to_string(),
            u["period"].as_str().unwrap().to_string(),
        );
        let n = counts[&key];
        assert_eq!(u["n"], n, "{key:?}");
        let small = key == ("C15".to_string(), "2022".to_string());
        assert_eq!(n < 100, small, "{key:?}: {n} respondents");
        for dim in ["satisfaction", "awareness", "participation"] {
            let e = &u["estimates"][dim];
            assert_eq!(e["mean"].is_null(), small, "{key:?} {dim}");
            assert_eq!(e["se"].is_null(), small, "{key:?} {dim}");
        }
    }
    let flags = flags_of(s);
    let small = format!(
        "C15 in 2022 has {} respondents, fewer than min_respondents 100",
        counts[&("C15".to_string(), "2022".to_string())]
    );
    assert!(flags.iter().any(|f| f.starts_with(&small)), "{flags:?}");
    for year in ["2021", "2022", "2023"] {
        assert!(
            flags
                .iter()
                .any(|f| f.starts_with("item s15 correlates") && f.contains(year)),
            "{year}: {flags:?}"
        );
    }
    // The planted problems are the only ones: no other unit, item or dimension is flagged.
    assert_eq!(flags.len(), 4, "{flags:?}");
    // The noise item's corrected item-total correlation is near 0; the other items' are not.
    for d in s["dimensions"].as_array().unwrap() {
        assert!(d["alpha"].as_f64().unwrap() >= 0.7, "{d}");
        for item in d["items"].as_array().unwrap() {
            let r = item["item_rest"].as_f64().unwrap();
            if item["id"] == "s15" {
                assert!(r.abs() < 0.1, "{item}");
            } else {
                assert!(r >= 0.2, "{item}");
            }
        }
    }
}

/// `qindex survey --encoding --delimiter` reach the respondent file: the fixture's respondents
/// with Chinese district names, written once as UTF-8 with commas and once as GBK with
/// semicolons, give the same JSON; the wrong delimiter given by hand is an error naming the
/// file's header (so the option is not ignored).
#[test]
fn survey_reads_the_respondent_file_with_the_given_encoding_and_delimiter() {
    let dir = fresh("encoding");
    let (path, _) = survey_fixture(&dir);
    let p = path.display().to_string();
    let file = dir.join("respondents.csv");
    let utf8 = std::fs::read_to_string(&file).unwrap().replace("-D", "-区");
    assert!(!utf8.contains(';'));
    std::fs::write(&file, &utf8).unwrap();
    let plain = stdout(&common::qindex(&["survey", &p, "--format", "json"]));
    assert!(plain.contains("\"units\""), "{plain}");
    let semicolons = utf8.replace(',', ";");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&semicolons);
    assert!(!unmappable);
    std::fs::write(&file, &gbk).unwrap();
    let given = [
        "survey",
        &p,
        "--format",
        "json",
        "--encoding",
        "gbk",
        "--delimiter",
        ";",
    ];
    assert_eq!(stdout(&common::qindex(&given)), plain);
    let wrong = common::qindex(&["survey", &p, "--encoding", "gbk", "--delimiter", ","]);
    // Exit 1: an error in the rules or the data.
    assert_eq!(
        wrong.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("is not in the header"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
}

/// A respondent workbook reads like the CSV, end to end: the fixture's respondents written
/// as an `.xlsx` (numbers typed as numbers, text as text, empty cells left empty) and named by
/// the block give the same `qindex survey` JSON and the same `run` results as the CSV.
#[test]
fn a_respondent_workbook_gives_what_the_csv_gives() {
    let dir = fresh("workbook");
    let (path, _) = survey_fixture(&dir);
    let p = path.display().to_string();
    let plain = stdout(&common::qindex(&["survey", &p, "--format", "json"]));
    let run_plain = stdout(&common::qindex(&[
        "run", &p, "--period", "all", "--format", "csv",
    ]));
    let text = std::fs::read_to_string(dir.join("respondents.csv")).unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, line) in text.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell.parse::<f64>() {
                Ok(x) if r > 0 => ws.write_number(r, c, x).map(|_| ()),
                _ if cell.is_empty() => Ok(()),
                _ => ws.write_string(r, c, cell).map(|_| ()),
            }
            .unwrap();
        }
    }
    wb.save(dir.join("respondents.xlsx")).unwrap();
    let rules = std::fs::read_to_string(&path)
        .unwrap()
        .replace("respondents.csv", "respondents.xlsx");
    assert!(rules.contains("respondents.xlsx"));
    std::fs::write(&path, rules).unwrap();
    let from_workbook = stdout(&common::qindex(&["survey", &p, "--format", "json"]));
    assert_eq!(from_workbook, plain);
    let run = stdout(&common::qindex(&[
        "run", &p, "--period", "all", "--format", "csv",
    ]));
    assert_eq!(run, run_plain);
}

/// `qindex survey` gives the same bytes on one thread and on several: the shipped respondent
/// file (over 1 MB, so read in chunks on several threads) and the per-unit and per-dimension
/// work spread over threads change nothing.
#[test]
fn survey_output_is_the_same_for_any_thread_count() {
    let run = |threads: &str| {
        common::qindex_ok(&[
            "survey",
            "rules/quality_city.qi",
            "--format",
            "json",
            "--threads",
            threads,
        ])
    };
    let one = run("1");
    assert!(one.len() > 10_000);
    assert_eq!(one, run("2"));
    assert_eq!(one, run("3"));
}

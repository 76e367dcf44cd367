//! What each fuzz target does with its input, and what must hold for every input.
//!
//! The cargo-fuzz targets (`fuzz_targets/*.rs`, nightly) call these functions, and
//! `tests/fuzz_smoke.rs` includes this file as a module and calls them on stable Rust, so the
//! logic is compiled and run by every `cargo test`. Every function panics when qindex breaks a
//! promise: a panic inside qindex, or an invariant of the target's own (an error that is not a
//! diagnostic, a diagnostic with no place, a formatting that is not idempotent...).
//!
//! Only this file and the targets' one-line bodies belong to the fuzzing harness: nothing here
//! may depend on `libfuzzer-sys`.

use qindex::check;
use qindex::data::{self, LoadOptions};
use qindex::diagnostics::{render_all, Color};
use qindex::eval::{self, DataOptions, EvalOptions, PeriodChoice};
use qindex::plan::MissingPolicy;
use qindex::{Diagnostic, Error, Sources};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Inputs longer than this are skipped: long inputs only slow the fuzzer down.
const MAX_LEN: usize = 64 * 1024;

/// Rules that name a device, a process file or the system's files could block (a `use` of
/// `/dev/stdin`) or read what the fuzzer should not: such inputs are skipped.
fn reaches_outside(text: &str) -> bool {
    ["/dev/", "/proc/", "/sys/", "git:"]
        .iter()
        .any(|p| text.contains(p))
}

/// The folder of the fixed data the targets evaluate over, written once per process.
fn workdir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("qindex-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        std::fs::write(dir.join("d.csv"), FRAME).expect("the fixed data");
        dir
    })
}

/// The fixed frame: six units over two periods, with missing values, zeros, negatives and a tie.
const FRAME: &str = "unit,year,name,region,x,y,z,w
u1,2022,One,north,1,5,0,10
u2,2022,Two,south,2,3,-1,10
u3,2022,Three,north,5,1,2.5,
u4,2022,Four,south,,4,1e6,20
u5,2022,Five,north,3,NA,0,30
u6,2022,Six,south,4,2,-3,40
u1,2023,One,north,2,6,1,11
u2,2023,Two,south,2,2,-2,12
u3,2023,Three,north,6,0,3,
u4,2023,Four,south,1,5,1e6,22
u5,2023,Five,north,,3,0,33
u6,2023,Six,south,7,1,-4,44
";

/// Every error diagnostic says where: a span in the rules, or a place in the data. Spans lie
/// inside their file (or mark its end, one past the last byte), on character boundaries, and
/// every diagnostic renders against `sources`, the program's files.
pub fn assert_placed(diags: &[Diagnostic], sources: &Sources) {
    for d in diags.iter().filter(|d| d.is_error()) {
        assert!(
            d.span.is_some() || d.location.is_some(),
            "an error with no place: {d:?}"
        );
    }
    for d in diags {
        let spans = d.span.iter().chain(d.related.iter().map(|(s, _)| s));
        for s in spans {
            assert!(
                (s.file.0 as usize) < sources.len(),
                "a span in no file of the program: {d:?}"
            );
            let text = &sources.get(s.file).text;
            let r = s.range();
            assert!(
                r.start <= r.end && r.start <= text.len() && r.end <= text.len() + 1,
                "span {r:?} outside its file of {} bytes: {d:?}",
                text.len()
            );
            let inside = |at: usize| at >= text.len() || text.is_char_boundary(at);
            assert!(
                inside(r.start) && inside(r.end),
                "span {r:?} inside a character: {d:?}"
            );
        }
    }
    let _ = render_all(diags, sources, Color::Never);
}

/// Diagnostics of an error that must be about the rules or the data (the CLI's exit 1), never
/// a usage, input/output or internal error (exit 2).
fn diagnostics(e: Error) -> Vec<Diagnostic> {
    match e {
        Error::Diagnostics(ds) => ds,
        other => panic!("not a diagnostic: {other}"),
    }
}

/// Rules text from bytes as `qindex check` reads a file; bytes that are not UTF-8 get their
/// diagnostic checked, and go on as lossy UTF-8. `None` for inputs skipped.
fn rules_text(name: &Path, data: &[u8]) -> Option<String> {
    if data.len() > MAX_LEN {
        return None;
    }
    let text = match check::load::decode_rules(data.to_vec(), name) {
        Ok(text) => text,
        Err(e) => {
            assert_placed(&diagnostics(e), &Sources::new());
            String::from_utf8_lossy(data).into_owned()
        }
    };
    (!reaches_outside(&text)).then_some(text)
}

/// The `check` target at a path (for `use`): loading and checking never panic, and give
/// either success or diagnostics that each say where.
pub fn check_named(name: &Path, data: &[u8]) {
    let Some(text) = rules_text(name, data) else {
        return;
    };
    let (program, mut diags) =
        check::load_text(name, text).expect("load_text reports problems as diagnostics");
    let checked = check::check(&program);
    diags.extend(checked.diagnostics);
    assert_placed(&diags, &program.sources);
}

/// The `check` target: bytes as a rules file.
pub fn check(data: &[u8]) {
    check_named(Path::new("fuzz.qi"), data);
}

/// What the checker makes of a text, layout aside: every plan as JSON without spans and source
/// quotes, and the codes of the diagnostics.
fn meaning(name: &Path, text: &str) -> (Vec<serde_json::Value>, Vec<&'static str>) {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("span");
                m.remove("text");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let (program, mut diags) = check::load_text(name, text.to_string()).expect("loads");
    let checked = check::check(&program);
    diags.extend(checked.diagnostics.iter().cloned());
    let plans = checked
        .plans
        .iter()
        .map(|p| {
            let mut v = serde_json::to_value(p).expect("a plan serialises");
            strip(&mut v);
            v
        })
        .collect();
    (plans, diags.iter().map(|d| d.code).collect())
}

/// The comments of a text that parses, in order, as the formatter must keep them.
fn comments(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match qindex::syntax::parse(qindex::FileId(0), text) {
        Ok(file) => file
            .comments
            .iter()
            .map(|c| c.text.trim_end().to_string())
            .collect(),
        Err(d) => panic!("does not parse: {}", d.message),
    }
}

/// Whether the formatted text is the fixed point of formatting; `None` for text that does not
/// parse (not formatted).
pub fn fmt_idempotent(text: &str) -> Option<String> {
    let once = qindex::syntax::fmt::format_source(text).ok()?;
    let twice = qindex::syntax::fmt::format_source(&once).unwrap_or_else(|d| {
        panic!(
            "the formatted text does not parse: {}\n--- formatted:\n{once}",
            d.message
        )
    });
    assert!(
        once == twice,
        "formatting is not idempotent\n--- once:\n{once}\n--- twice:\n{twice}"
    );
    Some(once)
}

/// The `fmt` target at a path: formatting is idempotent, keeps every comment in order, and
/// keeps the meaning (the same plans and the same diagnostic codes).
pub fn fmt_named(name: &Path, data: &[u8], with_meaning: bool) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.len() > MAX_LEN || reaches_outside(text) {
        return;
    }
    let Some(once) = fmt_idempotent(text) else {
        return;
    };
    assert!(
        comments(text) == comments(&once),
        "comments lost or reordered\n--- formatted:\n{once}"
    );
    if with_meaning {
        let (before, after) = (meaning(name, text), meaning(name, &once));
        assert!(
            before.1 == after.1,
            "the diagnostics changed: {:?} became {:?}\n--- formatted:\n{once}",
            before.1,
            after.1
        );
        assert!(
            before.0 == after.0,
            "the plans changed\n--- formatted:\n{once}"
        );
    }
}

/// The `fmt` target: bytes as a rules file to format.
pub fn fmt(data: &[u8]) {
    fmt_named(Path::new("fuzz.qi"), data, true);
}

/// The rules the `csv` target evaluates: the columns of `tests/fixtures/data/panel.csv`.
const CSV_RULES: &str = r#"index t by unit label name over year {
    missing mean by region, mean
    group g {
        indicator score
        indicator share { normalise zscore }
    }
    indicator pop = pop / 1000 {
        direction negative
    }
}
"#;

/// The rules the `xlsx` target evaluates: the columns of `tests/fixtures/data/book.*`.
const BOOK_RULES: &str = r#"index t by unit over year {
    indicator score
    indicator half = score / 2 {
        normalise rank
    }
}
"#;

/// Fixed rules, compiled, and their sources (for diagnostics).
type Fixed = (qindex::plan::Plan, Sources);

fn compile_fixed(text: &str) -> Fixed {
    let (program, _) = check::load_text(Path::new("fixed.qi"), text.to_string()).unwrap();
    let plan = check::compile(&program, "default")
        .expect("the fixed rules compile")
        .0;
    (plan, program.sources)
}

/// The fixed rules of the `csv` target.
fn csv_plan() -> &'static Fixed {
    static PLAN: OnceLock<Fixed> = OnceLock::new();
    PLAN.get_or_init(|| compile_fixed(CSV_RULES))
}

/// The fixed rules of the `xlsx` target.
fn book_plan() -> &'static Fixed {
    static PLAN: OnceLock<Fixed> = OnceLock::new();
    PLAN.get_or_init(|| compile_fixed(BOOK_RULES))
}

/// The loader's options `plan` needs, as `eval::load_data` makes them, and the delimiter, encoding and leniency chosen by `choice`.
fn load_options(plan: &qindex::plan::Plan, choice: u8) -> LoadOptions {
    let data_opts = DataOptions {
        delimiter: [None, Some(b','), Some(b';'), Some(b'\t')][usize::from(choice & 3)],
        encoding: [None, None, Some("gbk"), Some("latin1")][usize::from(choice >> 2 & 3)]
            .map(str::to_string),
        lenient: choice & 16 != 0,
        na_tokens: if choice & 32 != 0 {
            vec!["-999".into()]
        } else {
            Vec::new()
        },
        threads: Some(1 + usize::from(choice >> 6 & 1)),
        ..DataOptions::default()
    };
    let mut lo = data_opts.load_options(plan.index.unit_column.clone());
    lo.period_column = plan.index.period_column.clone();
    lo.label_column = plan.index.label_column.clone();
    lo.numeric_columns = plan.columns.iter().map(|c| c.name.clone()).collect();
    for id in plan.indicators() {
        let missing = plan.node(id).indicator.as_ref().map(|i| &i.missing);
        for p in missing.into_iter().flatten() {
            if let MissingPolicy::MeanBy(c) | MissingPolicy::MedianBy(c) = p {
                if !lo.text_columns.contains(c) {
                    lo.text_columns.push(c.clone());
                }
            }
        }
    }
    lo
}

/// Evaluates a plan (compiled from `sources`) over a frame loaded for it: the results, or
/// diagnostics. Whether the data loaded and the plan was evaluated.
fn evaluate_loaded(
    plan: &qindex::plan::Plan,
    sources: &Sources,
    loaded: Result<(data::Frame, Vec<Diagnostic>), Error>,
) -> bool {
    let frame = match loaded {
        Ok((frame, warnings)) => {
            assert_placed(&warnings, sources);
            frame
        }
        Err(e) => {
            assert_placed(&diagnostics(e), sources);
            return false;
        }
    };
    let opts = EvalOptions {
        period: PeriodChoice::All,
        filter: None,
        ..Default::default()
    };
    if let Err(e) = eval::evaluate(plan, &frame, &opts) {
        assert_placed(&diagnostics(e), sources);
    }
    true
}

/// The `csv` target: the first byte chooses the loader's options, the rest is a data file,
/// loaded for and evaluated by a fixed plan. Whether it loaded and was evaluated.
pub fn csv(data: &[u8]) -> bool {
    let Some((&choice, bytes)) = data.split_first() else {
        return false;
    };
    if bytes.len() > MAX_LEN {
        return false;
    }
    let lo = load_options(&csv_plan().0, choice);
    let loaded = data::load_csv_bytes(Path::new("fuzz.csv"), bytes, &lo);
    let (plan, sources) = csv_plan();
    evaluate_loaded(plan, sources, loaded)
}

/// libFuzzer's panic hook aborts on every panic, before any unwinding. A panic inside the
/// workbook reader (calamine) on a damaged file is not a crash of qindex: `data::load` catches
/// it and reports `bad-workbook`, as the command line does. So the hook lets those unwind and
/// aborts on every other.
#[allow(dead_code)] // Used by fuzz_targets/xlsx.rs; tests/fuzz_smoke.rs includes this file too.
pub fn quiet_workbook_reader_panics() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !qindex::data::in_workbook_reader() {
            abort(info);
        }
    }));
}

/// The `xlsx` target: bytes as a workbook (`.xls` or `.ods` when they start like one, else
/// `.xlsx`), its first sheet and its sheet `Data` loaded for and evaluated by fixed rules. Whether a sheet loaded and was evaluated.
pub fn xlsx(data: &[u8]) -> bool {
    if data.len() > 4 * MAX_LEN {
        return false;
    }
    let ext = if data.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        "xls"
    } else if data.starts_with(b"PK") && data.windows(11).any(|w| w == b"opendocumen") {
        "ods"
    } else {
        "xlsx"
    };
    let thread = format!("{:?}", std::thread::current().id());
    let digits: String = thread.chars().filter(char::is_ascii_digit).collect();
    let path = workdir().join(format!("book-{digits}.{ext}"));
    std::fs::write(&path, data).expect("a temporary workbook");
    let (plan, sources) = book_plan();
    let mut evaluated = false;
    for sheet in [None, Some("Data")] {
        let mut lo = load_options(plan, 0);
        lo.sheet = sheet.map(str::to_string);
        evaluated |= evaluate_loaded(plan, sources, data::load(&path, &lo));
    }
    let _ = std::fs::remove_file(&path);
    evaluated
}

/// Checks rules text named `name` in the work folder and, when it has no errors, returns the
/// program; otherwise the diagnostics are checked for places.
fn checked_program(name: &str, text: String) -> Option<(check::Program, check::Checked)> {
    if text.len() > MAX_LEN || reaches_outside(&text) {
        return None;
    }
    let (program, mut diags) = check::load_text(&workdir().join(name), text)
        .expect("load_text reports problems as diagnostics");
    let checked = check::check(&program);
    diags.extend(checked.diagnostics.iter().cloned());
    assert_placed(&diags, &program.sources);
    if diags.iter().any(Diagnostic::is_error) {
        return None;
    }
    Some((program, checked))
}

/// The data options of the fixed frame.
fn frame_options() -> DataOptions {
    DataOptions {
        path: Some(workdir().join("d.csv")),
        threads: Some(1),
        ..DataOptions::default()
    }
}

/// The `expr` target: the input as the formula of an indicator beside two plain ones,
/// evaluated over the fixed frame for every period. Whether it checked and was evaluated.
pub fn expr(data: &[u8]) -> bool {
    let formula = String::from_utf8_lossy(data);
    let text = format!(
        "index t by unit label name over year {{\n    indicator a = {formula}\n    indicator b = y\n    indicator c = x\n}}\n"
    );
    let Some((program, checked)) = checked_program("expr.qi", text) else {
        return false;
    };
    let Some(plan) = checked.plan("default") else {
        return false;
    };
    let loaded = eval::load_data(plan, &workdir().join("d.csv"), &frame_options());
    evaluate_loaded(plan, &program.sources, loaded)
}

/// The rules the `uncertainty` target's block is appended to.
const UNCERTAINTY_RULES: &str = r#"index u by unit label name over year {
    group a weight 2 {
        indicator x
        indicator y { direction negative }
        indicator z = z + w { missing mean by region, skip }
    }
    group b weight 1 {
        weights entropy
        indicator w
        indicator r = x / (y + 1)
    }
}

scheme heavy {
    weight b = 3
    aggregate u = geometric
}

scheme plain from heavy {
    normalise rank
}
"#;

/// The `uncertainty` target: the input as the body of an `uncertainty` block after fixed rules;
/// when it checks, a few replications of its Monte Carlo over the fixed frame. Whether the
/// replications ran.
pub fn uncertainty(data: &[u8]) -> bool {
    let block = String::from_utf8_lossy(data);
    let text = format!("{UNCERTAINTY_RULES}\nuncertainty {{\n{block}\n}}\n");
    let Some((program, checked)) = checked_program("uncertainty.qi", text) else {
        return false;
    };
    let Some(base) = checked.plan("default") else {
        return false;
    };
    let Some(unc) = &base.uncertainty else {
        return false;
    };
    if !base.surveys.is_empty() {
        return false; // a survey the input declared: its respondents are not part of the fixture
    }
    let mut schemes: Vec<&qindex::plan::Plan> = Vec::new();
    for name in qindex::sensitivity::chosen_schemes(unc) {
        if name != "default" && !schemes.iter().any(|p| p.scheme == name) {
            schemes.push(checked.plan(name).expect("a chosen scheme checks"));
        }
    }
    let variants = check::Variants::new(&program).expect("the rules check");
    let mut all = vec![base];
    all.extend(schemes.iter().copied());
    let frame = match eval::load_data_for(&all, &workdir().join("d.csv"), &frame_options()) {
        Ok((frame, _)) => frame,
        Err(e) => {
            assert_placed(&diagnostics(e), &program.sources);
            return false;
        }
    };
    let plans = qindex::sensitivity::kernel::Plans {
        base,
        schemes,
        variants: &variants,
        surveys: &[],
    };
    qindex::set_threads(1);
    let opts = qindex::sensitivity::uncertainty::Options {
        samples: 6,
        seed: unc.seed,
        top_n: None,
        period: PeriodChoice::Latest,
        progress: None,
        interrupted: &|| false,
    };
    match qindex::sensitivity::uncertainty::run(&plans, &frame, &opts) {
        Ok(_) => true,
        Err(e) => {
            assert_placed(&diagnostics(e), &program.sources);
            false
        }
    }
}

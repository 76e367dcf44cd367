//! Helpers shared by the integration tests.
#![allow(dead_code)]

use qindex::check::{self, Program};
use qindex::diagnostics::{render_all, Color};
use qindex::{Diagnostic, Error};
use std::path::{Path, PathBuf};

/// rules/quality_city.qi with its one setting the SQL does not compile (`winsorise auto`) made
/// percentile clipping, its data paths absolute (to be written anywhere).
pub fn quality_city_with_percentile_clipping() -> String {
    std::fs::read_to_string(root().join("rules/quality_city.qi"))
        .expect("read rules/quality_city.qi")
        .replace("winsorise auto", "winsorise 5%..95%")
        .replace(
            "data \"data/",
            &format!("data \"{}/rules/data/", root().display()),
        )
}

/// The crate root; tests run from here.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path relative to the crate root, so snapshots do not depend on the machine.
pub fn relative(path: &Path) -> PathBuf {
    path.strip_prefix(root()).unwrap_or(path).to_path_buf()
}

/// Loads and checks a file, returning the program (if it could be read) and all diagnostics.
pub fn check_file(path: &Path) -> (Option<Program>, Vec<Diagnostic>) {
    match check::load(&relative(path)) {
        Ok((program, mut diags)) => {
            let checked = check::check(&program);
            diags.extend(checked.diagnostics);
            (Some(program), diags)
        }
        Err(Error::Diagnostics(ds)) => (None, ds),
        Err(e) => panic!("cannot load {}: {e}", path.display()),
    }
}

/// Diagnostics rendered without colour, as the CLI prints them.
pub fn render(program: Option<&Program>, diags: &[Diagnostic]) -> String {
    let empty = qindex::Sources::new();
    let sources = program.map_or(&empty, |p| &p.sources);
    render_all(diags, sources, Color::Never)
}

/// The shared reference folder beside the checkout.
pub fn shared(rel: &str) -> PathBuf {
    root().join("..").join("shared").join(rel)
}

/// Runs the real `qindex` binary from the crate root, without colour.
pub fn qindex(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_qindex"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .expect("run qindex")
}

/// `qindex ARGS`, which must succeed: its standard output (a failure shows its standard error).
pub fn qindex_ok(args: &[&str]) -> Vec<u8> {
    let o = qindex(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "qindex {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// Standard base64 decoded (data URLs, screenshots).
pub fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (k, d)| acc | u32::from(*d) << (18 - 6 * k));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    out
}

/// What the analyses of the `uncertainty` block need: the base plan, the schemes it chooses
/// from, and the data loaded for all of them.
pub struct Loaded {
    pub program: Program,
    pub base: qindex::plan::Plan,
    pub schemes: Vec<qindex::plan::Plan>,
    pub frame: qindex::data::Frame,
    /// The surveys the block varies (`vary survey`), bound to the frame.
    pub surveys: Vec<qindex::analysis::survey::Bound>,
}

impl Loaded {
    pub fn new(path: &Path) -> Loaded {
        let (program, diags) = check::load(path).expect("rules load");
        assert!(
            !diags.iter().any(|d| d.is_error()),
            "{}: {diags:?}",
            path.display()
        );
        let session = qindex::session::Session::load(path).expect("compiles");
        let (base, _, schemes) = session.uncertainty("needed").expect("an uncertainty block");
        let (base, schemes): (qindex::plan::Plan, Vec<qindex::plan::Plan>) =
            (base.clone(), schemes.into_iter().cloned().collect());
        let mut all: Vec<&qindex::plan::Plan> = vec![&base];
        all.extend(schemes.iter());
        let (frame, surveys) = bound_data(path, &all);
        Loaded {
            program,
            base,
            schemes,
            frame,
            surveys,
        }
    }

    /// The options of the latest period and its nominal results (the rows the kernel's
    /// outcomes are by).
    pub fn nominal(&self) -> (qindex::eval::EvalOptions, qindex::eval::Results<'_>) {
        let opts = qindex::eval::EvalOptions {
            period: qindex::eval::PeriodChoice::Latest,
            filter: None,
            ..Default::default()
        };
        let nominal = qindex::eval::evaluate(&self.base, &self.frame, &opts).expect("nominal");
        (opts, nominal)
    }

    /// The compiler of configurations, for [`Loaded::plans`].
    pub fn variants(&self) -> check::Variants<'_> {
        check::Variants::new(&self.program).expect("checks")
    }

    pub fn plans<'a>(
        &'a self,
        variants: &'a check::Variants<'a>,
    ) -> qindex::sensitivity::kernel::Plans<'a> {
        qindex::sensitivity::kernel::Plans {
            base: &self.base,
            schemes: self.schemes.iter().collect(),
            variants,
            surveys: &self.surveys,
        }
    }
}

/// The data of `plans` (compiled from the rules file `rules`) as a session binds it: the
/// index columns and the estimates of the surveys the plans read (`SURVEY.NAME`).
pub fn bound_frame(rules: &Path, plans: &[&qindex::plan::Plan]) -> qindex::data::Frame {
    bound_data(rules, plans).0
}

/// [`bound_frame`], with the surveys that the plans' uncertainty block varies.
pub fn bound_data(
    rules: &Path,
    plans: &[&qindex::plan::Plan],
) -> (qindex::data::Frame, Vec<qindex::analysis::survey::Bound>) {
    let session = qindex::session::Session::load(rules).expect("compiles");
    let data = session
        .bind(plans, &qindex::eval::DataOptions::default())
        .expect("data binds");
    (data.frame.clone(), data.replicable.clone())
}

/// Compiles rules given as text (named `name` in messages; no errors allowed), loads their
/// data (`data`, or the rules' own `data` line) and evaluates the default scheme; `f` reads
/// what it needs from the plan, the frame and the results.
pub fn evaluate_text<T>(
    name: &str,
    rules: String,
    data: Option<PathBuf>,
    f: impl FnOnce(&qindex::plan::Plan, &qindex::data::Frame, &qindex::eval::Results) -> T,
) -> T {
    use qindex::eval::{self, DataOptions, EvalOptions};
    let (program, diags) = check::load_text(Path::new(name), rules).unwrap();
    assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
    let (plan, _) = check::compile(&program, "default").unwrap();
    let opts = DataOptions {
        path: data,
        ..Default::default()
    };
    let (frame, _) =
        eval::load_data(&plan, &eval::data_path(&plan, &opts).unwrap(), &opts).unwrap();
    let results = eval::evaluate(&plan, &frame, &EvalOptions::default()).unwrap();
    f(&plan, &frame, &results)
}

/// One generated respondent of [`survey_fixture`].
#[derive(Debug, Clone)]
pub struct Respondent {
    pub city: String,
    pub year: String,
    pub district: String,
    pub community: String,
    pub weight: f64,
    /// `s1`..`s4` on 1..5 (`9`: don't know; NaN: blank), then `p1` on 0..1.
    pub answers: [f64; 5],
}

/// The respondent columns of [`survey_fixture`], in file order after the design columns.
pub const SURVEY_ITEMS: [&str; 5] = ["s1", "s2", "s3", "s4", "p1"];

/// Writes a small synthetic citizen survey into `dir` and returns the rules file and the
/// respondents written. Generated, deterministic: cities C1–C3 surveyed in 2023 and 2024 (2
/// districts × 3 communities × 8 respondents, except C3 in 2024: 10 respondents, under
/// `min_respondents 20`); C4 is in the index only, C5 in the survey only. `s1`, `s2`, `s3`
/// (reverse-coded) follow one latent attitude, `s4` is noise; `9` and blanks are no answers.
pub fn survey_fixture(dir: &Path) -> (PathBuf, Vec<Respondent>) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut rows = Vec::new();
    for year in ["2023", "2024"] {
        for (c, city) in ["C1", "C2", "C3", "C5"].iter().enumerate() {
            let per_cluster = if *city == "C3" && year == "2024" {
                2
            } else {
                8
            };
            for d in 1..=2 {
                for k in 1..=3 {
                    if per_cluster == 2 && d == 2 && k == 3 {
                        continue;
                    }
                    for _ in 0..per_cluster {
                        let attitude = 1.5 + c as f64 * 0.6 + next() * 2.0;
                        let likert = |x: f64| x.round().clamp(1.0, 5.0);
                        let mut a = [
                            likert(attitude + next() - 0.5),
                            likert(attitude + next() - 0.5),
                            likert(6.0 - attitude + next() - 0.5),
                            likert(1.0 + next() * 4.0),
                            if next() < 0.2 + 0.1 * c as f64 {
                                1.0
                            } else {
                                0.0
                            },
                        ];
                        for v in a.iter_mut().take(4) {
                            let r = next();
                            if r < 0.04 {
                                *v = 9.0;
                            } else if r < 0.07 {
                                *v = f64::NAN;
                            }
                        }
                        rows.push(Respondent {
                            city: city.to_string(),
                            year: year.to_string(),
                            district: format!("{city}-D{d}"),
                            community: format!("{city}-D{d}-P{k}"),
                            weight: 50.0 + (next() * 100.0).round(),
                            answers: a,
                        });
                    }
                }
            }
        }
    }
    let mut csv = String::from("city,year,district,community,w,s1,s2,s3,s4,p1\n");
    for r in &rows {
        let cells: Vec<String> = r
            .answers
            .iter()
            .map(|v| {
                if v.is_nan() {
                    String::new()
                } else {
                    v.to_string()
                }
            })
            .collect();
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            r.city,
            r.year,
            r.district,
            r.community,
            r.weight,
            cells.join(",")
        ));
    }
    std::fs::write(dir.join("respondents.csv"), csv).unwrap();
    let mut cities = String::from("city,year,gdp\n");
    for (y, year) in ["2023", "2024"].iter().enumerate() {
        for (c, city) in ["C1", "C2", "C3", "C4"].iter().enumerate() {
            cities.push_str(&format!("{city},{year},{}\n", 100 + 10 * c + y));
        }
    }
    std::fs::write(dir.join("cities.csv"), cities).unwrap();
    let rules = r#"# A synthetic citizen survey read into an index (tests/common.rs, survey_fixture).
survey citizens "市民质量满意度调查" {
    data "respondents.csv"
    by city
    over year
    weight w
    strata district
    cluster community
    scale 1..5
    dont_know 9
    min_respondents 20

    dimension satisfaction "满意度" {
        item s1 "总体满意度"
        item s2 weight 2
        item s3 "投诉很困难" reverse
        item s4 "噪声"
    }
    dimension participation "参与度" {
        scale 0..1
        item p1 "参加过质量宣传活动"
    }
}

index city_index by city over year {
    data "cities.csv"
    indicator satisfaction "市民质量满意度" = citizens.satisfaction
    indicator s1 = citizens.s1
    indicator gdp
}
"#;
    let path = dir.join("survey.qi");
    std::fs::write(&path, rules).unwrap();
    (path, rows)
}

/// One step of xorshift64*: a small seeded generator, the same on every machine, for tests
/// that generate their inputs.
pub fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

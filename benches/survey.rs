//! The citizen survey at scale (issue: 1,000,000 respondents × 33 items, 300 cities, 2
//! periods): `qindex survey`'s estimation (reading the CSV, validating, scoring, estimates with
//! their SEs, reliability) and `qindex uncertainty` with `vary survey` at 1,000 replications.
//!
//! The data are synthetic and generated here, deterministically, into
//! `target/bench-data/survey_1m/` (`rules.qi`, `index.csv`, `respondents.csv`, about 90 MB),
//! once; the whole-process timings of docs/performance.md run the release binary on the same
//! files:
//!
//! ```text
//! cargo bench --bench survey            # writes the files, then measures in process
//! qindex survey target/bench-data/survey_1m/rules.qi --format csv -o /dev/null
//! qindex uncertainty target/bench-data/survey_1m/rules.qi --quiet
//! ```
//!
//! Measured on the 2-core development machine (2026-12-07, release build, whole process):
//! `qindex survey` 1.43–1.49 s over three runs (reading 0.55–0.6 s, preparing 0.35 s,
//! estimates and reliability 0.5 s; 655 MB peak); `qindex uncertainty` with `vary survey` at
//! 1,000 replications, plus the 1,000 of the survey alone, 2.1–2.8 s.

use criterion::{criterion_group, criterion_main, Criterion};
use qindex::eval::PeriodChoice;
use qindex::sensitivity::{kernel::Plans, uncertainty};
use qindex::session::Session;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const CITIES: usize = 300;
const PERIODS: [u32; 2] = [2022, 2023];
const RESPONDENTS: usize = 1_000_000;
const DISTRICTS: usize = 4;
const COMMUNITIES: usize = 10;
const ITEMS: [(&str, usize); 3] = [("s", 15), ("a", 10), ("p", 8)];

/// A small deterministic generator (the data need only be the same on every run).
struct Lcg(u64);

impl Lcg {
    fn u(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes the rules, index data and respondents once; returns the rules file.
fn generate() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/survey_1m");
    let rules = dir.join("rules.qi");
    if rules.exists() {
        return rules;
    }
    std::fs::create_dir_all(&dir).expect("bench data folder");
    let mut rng = Lcg(20130602);
    // Each city's level (0..1), which its respondents' answers follow.
    let level: Vec<f64> = (0..CITIES).map(|_| rng.u()).collect();

    let mut index = String::from("city,year,gdp,pass_rate\n");
    for p in PERIODS {
        for (c, l) in level.iter().enumerate() {
            let gdp = 50.0 + 100.0 * l + 30.0 * rng.u();
            let pass = 80.0 + 15.0 * rng.u();
            writeln!(index, "S{:03},{p},{gdp:.3},{pass:.3}", c + 1).unwrap();
        }
    }
    std::fs::write(dir.join("index.csv"), index).expect("index data");

    let mut items = Vec::new();
    for (prefix, n) in ITEMS {
        for k in 1..=n {
            items.push(format!("{prefix}{k:02}"));
        }
    }
    let mut out = String::with_capacity(RESPONDENTS * 90);
    out.push_str("respondent,city,year,district,community,weight");
    for i in &items {
        out.push(',');
        out.push_str(i);
    }
    out.push('\n');
    let groups = CITIES * PERIODS.len();
    let mut id = 0;
    for g in 0..groups {
        let (c, p) = (g % CITIES, PERIODS[g / CITIES]);
        let n = RESPONDENTS / groups + usize::from(g < RESPONDENTS % groups);
        for k in 0..n {
            id += 1;
            let district = k % DISTRICTS + 1;
            let community = (k / DISTRICTS) % COMMUNITIES + 1;
            let weight = 0.5 + rng.u();
            let latent = (level[c] + 0.3 * (rng.u() - 0.5)).clamp(0.0, 1.0);
            write!(
                out,
                "{id},S{:03},{p},D{district},K{district}{community:02},{weight:.4}",
                c + 1
            )
            .unwrap();
            for _ in &items {
                let x = rng.u();
                let answer = if x < 0.03 {
                    9
                } else {
                    1 + ((latent * 4.0 + rng.u()).floor() as u32).min(4)
                };
                write!(out, ",{answer}").unwrap();
            }
            out.push('\n');
        }
    }
    std::fs::write(dir.join("respondents.csv"), out).expect("respondents");

    let dimension = |name: &str, prefix: &str, n: usize| -> String {
        let mut d = format!("    dimension {name} {{\n");
        for k in 1..=n {
            writeln!(d, "        item {prefix}{k:02}").unwrap();
        }
        d.push_str("    }\n");
        d
    };
    let text = format!(
        "survey citizens {{\n    data \"respondents.csv\"\n    by city\n    over year\n    weight weight\n    \
         strata district\n    cluster community\n    scale 1..5\n    dont_know 9\n    min_respondents 100\n{}{}{}}}\n\n\
         index bench by city over year {{\n    data \"index.csv\"\n    normalise minmax\n    \
         indicator gdp\n    indicator pass_rate\n    group citizens_view {{\n        \
         indicator satisfaction = citizens.satisfaction\n        indicator awareness = citizens.awareness\n        \
         indicator participation = citizens.participation\n    }}\n}}\n\n\
         uncertainty {{\n    samples 1000\n    seed 7\n    vary survey citizens\n}}\n",
        dimension("satisfaction", "s", 15),
        dimension("awareness", "a", 10),
        dimension("participation", "p", 8),
    );
    std::fs::write(&rules, text).expect("rules");
    rules
}

fn bench(c: &mut Criterion) {
    let rules = generate();
    let mut g = c.benchmark_group("survey");
    g.sample_size(10);

    let session = Session::load(&rules).expect("rules compile");
    let plan = session.plan("default").expect("default").clone();
    let sp = plan.surveys[0].clone();
    g.bench_function(
        "estimate 1M respondents x 33 items (read CSV, prepare, estimate)",
        |b| {
            b.iter(|| {
                let (prepared, _) = session
                    .prepare_survey(&sp, &qindex::eval::DataOptions::default())
                    .expect("survey");
                prepared.estimates()
            })
        },
    );

    let data = session
        .bind(&[&plan], &qindex::eval::DataOptions::default())
        .expect("binds");
    let (base, _, schemes) = session.uncertainty("bench").expect("block");
    let variants = session.variants().expect("variants");
    let plans = Plans {
        base,
        schemes,
        variants: &variants,
        surveys: &data.replicable,
    };
    g.bench_function("uncertainty vary survey, 1000 replications", |b| {
        b.iter(|| {
            let opts = uncertainty::Options {
                samples: 1000,
                seed: 7,
                top_n: None,
                period: PeriodChoice::Latest,
                progress: None,
                interrupted: &|| false,
            };
            uncertainty::run(&plans, &data.frame, &opts).expect("runs")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

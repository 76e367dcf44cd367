//! The Monte Carlo analyses in process, on the peers' models (`../shared/peers/`): `qindex
//! uncertainty` of `mc_300x50.qi` (10,000 replications, against `mc_uncertainty.py`'s
//! `core_wall_s_median`) and `qindex sensitivity --target score` of `sobol_300x50.qi`
//! (N = 1024, 100 bootstrap resamples, against `sobol_index.py`'s `total_s`). Loading the rules
//! and the data is outside the measured loop.

use criterion::{criterion_group, criterion_main, Criterion};
use qindex::eval::PeriodChoice;
use qindex::plan::Plan;
use qindex::sensitivity::{indices, kernel::Plans, uncertainty};
use std::path::Path;

fn load(rules: &str) -> (qindex::check::Program, Plan, qindex::data::Frame) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/peers")
        .join(rules);
    let (program, _) = qindex::check::load(&path).expect("rules");
    let (plan, _) = qindex::check::compile(&program, "default").expect("compiles");
    let opts = qindex::eval::DataOptions::default();
    let data = qindex::eval::data_path(&plan, &opts).expect("data path");
    let (frame, _) = qindex::eval::load_data_for(&[&plan], &data, &opts).expect("data");
    (program, plan, frame)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("montecarlo");
    g.sample_size(10);

    let (program, plan, frame) = load("mc_300x50.qi");
    let variants = qindex::check::Variants::new(&program).expect("checks");
    let plans = Plans {
        base: &plan,
        schemes: Vec::new(),
        variants: &variants,
        surveys: &[],
    };
    g.bench_function("uncertainty mc_300x50 10000 replications", |b| {
        b.iter(|| {
            let opts = uncertainty::Options {
                samples: 10_000,
                seed: 7,
                top_n: Some(10),
                period: PeriodChoice::Latest,
                progress: None,
                interrupted: &|| false,
            };
            uncertainty::run(&plans, &frame, &opts).expect("runs")
        })
    });

    let (program, plan, frame) = load("sobol_300x50.qi");
    let variants = qindex::check::Variants::new(&program).expect("checks");
    let plans = Plans {
        base: &plan,
        schemes: Vec::new(),
        variants: &variants,
        surveys: &[],
    };
    g.bench_function("sensitivity sobol_300x50 score N=1024", |b| {
        b.iter(|| {
            let opts = indices::Options {
                samples: 1024,
                seed: 11,
                target: indices::Target::Score,
                period: PeriodChoice::Latest,
                resamples: 100,
                progress: None,
                interrupted: &|| false,
            };
            indices::run(&plans, &frame, &opts).expect("runs")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

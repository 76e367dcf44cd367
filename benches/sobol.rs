//! The Sobol' estimators with their bootstrap on the workload of `qindex sensitivity` over a
//! typical index: 300 outputs (units' scores), N = 1024 base samples, D = 10 factors, 100
//! resamples; Y is synthetic, from a fixed seed.

use criterion::{criterion_group, criterion_main, Criterion};
use qindex::sensitivity::sobol::{analyze, AnalyzeOptions};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const N: usize = 1024;
const D: usize = 10;
const OUTPUTS: usize = 300;

/// Y[r][o]: noise around a per-output level (the timing does not depend on the values).
fn outputs() -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(20240602);
    let mut y = Vec::with_capacity(N * (D + 2) * OUTPUTS);
    for _ in 0..N * (D + 2) {
        for o in 0..OUTPUTS {
            y.push(50.0 + o as f64 * 0.1 + rng.random::<f64>() * 10.0);
        }
    }
    y
}

fn bench(c: &mut Criterion) {
    let y = outputs();
    for threads in [1, 2] {
        let opts = AnalyzeOptions {
            seed: 7,
            threads,
            ..AnalyzeOptions::default()
        };
        c.bench_function(
            &format!("sobol analyze 300x1024x10, 100 resamples, {threads} thread(s)"),
            |b| b.iter(|| analyze(&y, N, D, OUTPUTS, &opts).unwrap()),
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);

//! Evaluation alone on 1,000,000 units × 50 indicators held in memory, and CSV loading of the
//! same table: the workload of `../shared/peers/big_eval.py` and `big_1m.qi`.

use criterion::{criterion_group, criterion_main, Criterion};
use qindex::data::LoadOptions;
use qindex::eval::{self, EvalOptions};
use std::fmt::Write;
use std::path::Path;

const ROWS: usize = 1_000_000;

/// The rules of `../shared/peers/big_1m.qi`: 10 groups of 5 indicators, min-max, weighted.
fn rules() -> String {
    let groups = [0.15, 0.12, 0.11, 0.10, 0.10, 0.09, 0.09, 0.08, 0.08, 0.08];
    let within = [0.3, 0.25, 0.2, 0.15, 0.1];
    let mut s = String::from("index big by unit {\n    scale 0..1\n");
    for (g, gw) in groups.iter().enumerate() {
        writeln!(s, "    group g{:02} weight {gw} {{", g + 1).unwrap();
        for (i, w) in within.iter().enumerate() {
            writeln!(s, "        indicator x{:02} weight {w}", g * 5 + i + 1).unwrap();
        }
        s.push_str("    }\n");
    }
    s.push_str("}\n");
    s
}

/// A deterministic table like big_eval.py's: a unit factor, a group factor and noise.
fn csv() -> Vec<u8> {
    let mut state: u64 = 20240602;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    };
    let mut s = String::with_capacity(ROWS * 420);
    s.push_str("unit");
    for k in 1..=50 {
        write!(s, ",x{k:02}").unwrap();
    }
    s.push('\n');
    for r in 0..ROWS {
        write!(s, "U{r:07}").unwrap();
        let f = next();
        for g in 0..10 {
            let h = next();
            for _ in 0..5 {
                let v = 50.0 + 10.0 * (f + h + next());
                write!(s, ",{v:.4}").unwrap();
            }
            let _ = g;
        }
        s.push('\n');
    }
    s.into_bytes()
}

fn bench(c: &mut Criterion) {
    let (program, _) = qindex::check::load_text(Path::new("big.qi"), rules()).unwrap();
    let (plan, _) = qindex::check::compile(&program, "default").unwrap();
    let bytes = csv();
    let mut opts = LoadOptions::new("unit");
    opts.numeric_columns = plan.columns.iter().map(|c| c.name.clone()).collect();
    let mut group = c.benchmark_group("big_1m");
    group.sample_size(10);
    group.bench_function("load_csv_1m_x_50", |b| {
        b.iter(|| qindex::data::load_csv_bytes(Path::new("big.csv"), &bytes, &opts).unwrap())
    });
    let (frame, _) = qindex::data::load_csv_bytes(Path::new("big.csv"), &bytes, &opts).unwrap();
    group.bench_function("evaluate_1m_x_50", |b| {
        b.iter(|| {
            eval::evaluate(&plan, &frame, &EvalOptions::default())
                .unwrap()
                .periods
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

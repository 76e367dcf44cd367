//! Parse and check a generated rules file with 5,000 indicators in 250 groups.

use criterion::{criterion_group, criterion_main, Criterion};
use std::fmt::Write;
use std::path::Path;

/// 250 groups of 20 indicators, a mix of formulas, settings and weights, like a large
/// enterprise-level indicator system.
fn generate() -> String {
    let mut s = String::from("index big \"Generated\" by unit over year {\n    let per_10k = population / 10000\n    coverage 60%\n");
    for g in 0..250 {
        writeln!(s, "    group g{g} \"组 {g}\" weight {} {{", 1 + g % 7).unwrap();
        if g % 5 == 0 {
            s.push_str("        weights entropy\n");
        }
        for i in 0..20 {
            let id = g * 20 + i;
            match i % 4 {
                0 => writeln!(s, "        indicator x{id} \"指标 {id}\" = c{id} / per_10k {{ direction negative }}").unwrap(),
                1 => writeln!(s, "        indicator x{id} = c{id} {{ goalposts 0..100  tag market }}").unwrap(),
                2 => writeln!(s, "        indicator x{id} = growth(c{id}) * 100 {{ winsorise auto }}").unwrap(),
                _ => writeln!(s, "        indicator x{id}").unwrap(),
            }
        }
        s.push_str("    }\n");
    }
    s.push_str("}\n");
    s
}

fn bench(c: &mut Criterion) {
    let text = generate();
    c.bench_function("parse_and_check_5000_indicators", |b| {
        b.iter(|| {
            let (program, diags) =
                qindex::check::load_text(Path::new("big.qi"), text.clone()).unwrap();
            assert!(diags.is_empty());
            let (plan, _) = qindex::check::compile(&program, "default").unwrap();
            assert_eq!(plan.indicators().count(), 5000);
            plan
        })
    });
}

criterion_group!(benches, bench);

fn parse_only(c: &mut Criterion) {
    let text = generate();
    c.bench_function("parse_only_5000_indicators", |b| {
        b.iter(|| qindex::syntax::parse(qindex::FileId(0), &text).unwrap())
    });
}

criterion_group!(parse_benches, parse_only);
criterion_main!(benches, parse_benches);

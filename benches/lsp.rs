//! The language server's work per keystroke on a 5,000-indicator rules file (100 groups of
//! 50): checking a new version of the text (what the diagnostics wait for), a hover, the
//! semantic tokens and the references of a group. The targets: diagnostics within
//! 100 ms of a change, hover within 20 ms.

use criterion::{criterion_group, criterion_main, Criterion};
use qindex::lsp::document::Document;
use std::path::Path;

fn rules() -> String {
    let mut out = String::from("index big \"Big\" by unit {\n    normalise minmax\n");
    for g in 0..100 {
        out.push_str(&format!("    group g{g:03} {{\n"));
        for i in 0..50 {
            out.push_str(&format!(
                "        indicator x{g:03}_{i:02} = c{i:02} * {}\n",
                g + 1
            ));
        }
        out.push_str("    }\n");
    }
    out.push_str("}\n");
    out
}

fn bench(c: &mut Criterion) {
    let text = rules();
    let path = Path::new("/tmp/qindex-bench-lsp.qi");
    let mut g = c.benchmark_group("lsp");
    g.bench_function("check a 5000-indicator file (diagnostics)", |b| {
        b.iter(|| Document::new(path, &text, 1))
    });
    let doc = Document::new(path, &text, 1);
    let offset = text.find("x099_49").expect("the last indicator") + 2;
    g.bench_function("hover on an indicator of a 5000-indicator file", |b| {
        b.iter(|| doc.hover(offset).expect("a hover"))
    });
    g.bench_function("semantic tokens of a 5000-indicator file", |b| {
        b.iter(|| qindex::syntax::tokens::tokens(&text))
    });
    let program = doc.program.as_ref().expect("the file loads");
    g.bench_function("names of a 5000-indicator file (for references)", |b| {
        b.iter(|| qindex::lsp::names::Names::of(program))
    });
    let docs = [&doc];
    g.bench_function("references of a group id in a 5000-indicator file", |b| {
        let at = text.find("g050").expect("a group") + 1;
        b.iter(|| qindex::lsp::rename::references(&docs, at, true).expect("references"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

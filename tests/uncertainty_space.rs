//! The uncertainty kernel over the space of uncertainty blocks, not a few examples: generated
//! blocks (random subsets of the factor kinds, in random line order, with 2–4 options each,
//! with and without `at`) over a generated 40-unit system with three levels, settings explicit
//! in some places and inherited in others, and one group that sets its own aggregation; and
//! random blocks over the shipped rules.
//!
//! Properties, each against an independent path:
//! - a replication's scores and ranks equal those of `qindex run` of the equivalent scheme,
//!   written out as rules text by this test (the chosen scheme as `from`, each `choose` line's
//!   option as the override a scheme would write, the drop as `exclude`, and the replication's
//!   weights given explicitly);
//! - permuting the lines of the block permutes the Sobol' indices the same way;
//! - a factor whose options are all equivalent has S1 and ST within ±0.02 of 0;
//! - a block with one effective factor gives it ST ≥ 0.95.

mod common;

use common::{root, Loaded};
use proptest::prelude::*;
use qindex::eval::{EvalOptions, PeriodChoice};
use qindex::plan::{FactorKind, NodeId, Plan};
use qindex::sensitivity::indices::{self, Target};
use qindex::sensitivity::kernel::Kernel;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A small deterministic generator for the system and the uniforms.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 11
    }

    fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize
    }
}

/// The generated system: groups `a`, `b`, `c` under the index, two subgroups each, three
/// indicators in each subgroup (`x01`..`x18`). `b` aggregates geometrically by its own rule;
/// some nodes set their normalisation or missing-data policy, the rest inherit it; `x07` is
/// negative; some cells are missing. Schemes `alt` (reweights, excludes `x05`, makes `c2`
/// geometric) and `alt2` from `alt` (imputes means, a rank normalisation under `a`).
fn system(seed: u64) -> (String, String) {
    let mut g = Lcg(seed ^ 0x5eed);
    let w = |g: &mut Lcg| 1 + g.below(5);
    let mut rules = String::from(
        "index gen \"Generated\" by unit {\n    data \"gen.csv\"\n    scale 1..100\n    coverage 50%\n",
    );
    if g.below(2) == 0 {
        rules.push_str("    normalise minmax\n");
    }
    let mut k = 0;
    for (gi, group) in ["a", "b", "c"].iter().enumerate() {
        rules.push_str(&format!("    group {group} weight {} {{\n", w(&mut g)));
        if *group == "b" {
            rules.push_str("        aggregate geometric\n");
        }
        if gi == 2 && g.below(2) == 0 {
            rules.push_str("        normalise percentile\n");
        }
        for sub in 1..=2 {
            rules.push_str(&format!(
                "        group {group}{sub} weight {} {{\n",
                w(&mut g)
            ));
            if g.below(3) == 0 {
                rules.push_str("            missing mean\n");
            }
            for _ in 0..3 {
                k += 1;
                rules.push_str(&format!(
                    "            indicator x{k:02} weight {}",
                    w(&mut g)
                ));
                let mut body = Vec::new();
                if k == 7 {
                    body.push("direction negative");
                }
                match g.below(6) {
                    0 => body.push("normalise rank"),
                    1 => body.push("goalposts 0..100"),
                    2 => body.push("missing median"),
                    _ => {}
                }
                if body.is_empty() {
                    rules.push('\n');
                } else {
                    rules.push_str(" {\n");
                    for b in body {
                        rules.push_str(&format!("                {b}\n"));
                    }
                    rules.push_str("            }\n");
                }
            }
            rules.push_str("        }\n");
        }
        rules.push_str("    }\n");
    }
    rules.push_str("}\n\n");
    rules.push_str(
        "scheme alt {\n    weight a = 1\n    weight c = 4\n    exclude x05\n    aggregate c2 = geometric\n}\n\n",
    );
    rules.push_str("scheme alt2 from alt {\n    missing mean\n    normalise a = rank\n}\n");

    let mut data = String::from("unit");
    for i in 1..=18 {
        data.push_str(&format!(",x{i:02}"));
    }
    data.push('\n');
    for u in 1..=40 {
        data.push_str(&format!("u{u:02}"));
        for i in 1..=18 {
            // Values 0..100 (goalposts), with ties in a few columns and about 8% missing.
            let v = if i % 6 == 0 {
                (g.below(8) * 10) as f64
            } else {
                (g.unit() * 1000.0).round() / 10.0
            };
            if g.below(12) == 0 {
                data.push(',');
            } else {
                data.push_str(&format!(",{v}"));
            }
        }
        data.push('\n');
    }
    (rules, data)
}

/// Groups and nodes of the generated system.
const GROUPS: &[&str] = &["gen", "a", "b", "c", "a1", "a2", "b1", "b2", "c1", "c2"];
const NODES: &[&str] = &["a", "b1", "c2", "x02", "x05", "x11", "x16"];

/// A line of a generated block.
#[derive(Debug, Clone)]
enum Line {
    VaryAll(u32),
    VaryIn(&'static str, u32),
    VaryOne(&'static str, u32),
    Normalise(Vec<&'static str>, Option<&'static str>),
    Aggregate(Vec<&'static str>, Option<&'static str>),
    Missing(Vec<&'static str>, Option<&'static str>),
    Scheme(Vec<&'static str>),
    Drop(Option<&'static str>),
}

impl Line {
    fn text(&self) -> String {
        let at = |a: &Option<&str>| a.map_or(String::new(), |n| format!(" at {n}"));
        match self {
            Line::VaryAll(p) => format!("vary weights {p}%"),
            Line::VaryIn(n, p) => format!("vary weights in {n} {p}%"),
            Line::VaryOne(n, p) => format!("vary weight {n} {p}%"),
            Line::Normalise(o, a) => format!("choose normalise [{}]{}", o.join(", "), at(a)),
            Line::Aggregate(o, a) => format!("choose aggregate [{}]{}", o.join(", "), at(a)),
            Line::Missing(o, a) => format!("choose missing [{}]{}", o.join(", "), at(a)),
            Line::Scheme(o) => format!("choose scheme [{}]", o.join(", ")),
            Line::Drop(w) => match w {
                Some(n) => format!("drop indicator in {n}"),
                None => "drop indicator".into(),
            },
        }
    }

    /// The factor's identity: two lines with the same one may not share a block.
    fn identity(&self) -> String {
        match self {
            Line::VaryAll(_) => "vary".into(),
            Line::VaryIn(n, _) => format!("vary in {n}"),
            Line::VaryOne(n, _) => format!("vary one {n}"),
            Line::Normalise(_, a) => format!("normalise {a:?}"),
            Line::Aggregate(_, a) => format!("aggregate {a:?}"),
            Line::Missing(_, a) => format!("missing {a:?}"),
            Line::Scheme(_) => "scheme".into(),
            Line::Drop(_) => "drop".into(),
        }
    }
}

const NORMALISE: &[&str] = &["minmax", "rank", "percentile", "zscore(100, 10)"];
const AGGREGATE: &[&str] = &["arithmetic", "geometric", "harmonic", "min"];
const MISSING: &[&str] = &["skip", "mean", "median", "zero"];
const SCHEMES: &[&str] = &["default", "alt", "alt2"];

/// 2–4 distinct options of `pool`, in random order.
fn options(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
    Just(pool.to_vec())
        .prop_shuffle()
        .prop_flat_map(move |v| (Just(v), 2..=pool.len().min(4)))
        .prop_map(|(v, k)| v[..k].to_vec())
}

fn maybe(names: &'static [&'static str]) -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![Just(None), prop::sample::select(names).prop_map(Some)]
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        (5u32..40).prop_map(Line::VaryAll),
        (prop::sample::select(&GROUPS[..4]), 5u32..40).prop_map(|(n, p)| Line::VaryIn(n, p)),
        (prop::sample::select(NODES), 5u32..40).prop_map(|(n, p)| Line::VaryOne(n, p)),
        (options(NORMALISE), maybe(NODES)).prop_map(|(o, a)| Line::Normalise(o, a)),
        (options(AGGREGATE), maybe(GROUPS)).prop_map(|(o, a)| Line::Aggregate(o, a)),
        (options(MISSING), maybe(NODES)).prop_map(|(o, a)| Line::Missing(o, a)),
        options(SCHEMES).prop_map(Line::Scheme),
        maybe(&GROUPS[1..4]).prop_map(Line::Drop),
    ]
}

/// 1–6 lines with distinct identities, in random order.
fn block() -> impl Strategy<Value = Vec<Line>> {
    prop::collection::vec(line(), 1..8).prop_map(|lines| {
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for l in lines {
            if !seen.contains(&l.identity()) {
                seen.push(l.identity());
                out.push(l);
            }
        }
        out.truncate(6);
        out
    })
}

fn block_text(lines: &[Line], samples: usize) -> String {
    let mut s = format!("uncertainty {{\n    samples {samples}\n    seed 3\n");
    for l in lines {
        s.push_str(&format!("    {}\n", l.text()));
    }
    s.push_str("}\n");
    s
}

/// A fresh folder for one case's files.
fn case_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "qindex-space-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes the generated system with `block` and returns the rules' path.
fn write_system(seed: u64, block: &str) -> PathBuf {
    let dir = case_dir();
    let (rules, data) = system(seed);
    std::fs::write(dir.join("gen.csv"), data).unwrap();
    let path = dir.join("gen.qi");
    std::fs::write(&path, format!("{rules}\n{block}")).unwrap();
    path
}

/// One of `k` options from a uniform, as LANGUAGE.md draws it.
fn pick(u: f64, k: usize) -> usize {
    ((u * k as f64) as usize).min(k - 1)
}

fn depth(plan: &Plan, id: NodeId) -> usize {
    let mut d = 0;
    let mut cur = id;
    while let Some(p) = plan.node(cur).parent {
        d += 1;
        cur = p;
    }
    d
}

/// The equivalent scheme of replication `u`, as rules text, with the scheme it builds on.
fn equivalent_scheme(loaded: &Loaded, kernel: &Kernel, u: &[f64]) -> String {
    let unc = loaded.base.uncertainty.as_ref().unwrap();
    let cols = kernel.layout().factor_columns();
    // The chosen scheme first: the other lines reach into it.
    let mut from = "default".to_string();
    for (f, c) in unc.factors.iter().zip(&cols) {
        if let FactorKind::ChooseScheme { options } = &f.kind {
            from = options[pick(u[c[0]], options.len())].clone();
        }
    }
    let scheme_plan = if from == "default" {
        &loaded.base
    } else {
        loaded.schemes.iter().find(|p| p.scheme == from).unwrap()
    };
    // Each choose line as the override a scheme writes, from the whole index to the most
    // specific node; a node the scheme lacks reaches nothing.
    let mut overrides: Vec<(usize, String)> = Vec::new();
    let mut drop_line = None;
    for (f, c) in unc.factors.iter().zip(&cols) {
        let (setting, options, at) = match &f.kind {
            FactorKind::ChooseNormalise { options, at } => (
                "normalise",
                options.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
                at,
            ),
            FactorKind::ChooseAggregate { options, at } => (
                "aggregate",
                options.iter().map(|o| o.to_string()).collect(),
                at,
            ),
            FactorKind::ChooseMissing { options, at } => (
                "missing",
                options.iter().map(|o| o.to_string()).collect(),
                at,
            ),
            FactorKind::DropIndicator { within } => {
                drop_line = Some((within.clone(), u[c[0]]));
                continue;
            }
            _ => continue,
        };
        let chosen = &options[pick(u[c[0]], options.len())];
        match at {
            None => overrides.push((0, format!("{setting} {chosen}"))),
            Some(node) => {
                if let Some(id) = scheme_plan.find(node) {
                    overrides.push((
                        1 + depth(scheme_plan, id),
                        format!("{setting} {node} = {chosen}"),
                    ));
                }
            }
        }
    }
    overrides.sort_by_key(|o| o.0);
    let mut text = format!("scheme replication from {from} {{\n");
    // The drop: none, or one of the indicators under the node whose parent keeps another
    // child, uniformly over the k + 1 choices, in the plan's order.
    let mut dropped: Option<String> = None;
    if let Some((within, v)) = drop_line {
        let root = within
            .as_deref()
            .map_or(Some(NodeId::ROOT), |w| scheme_plan.find(w));
        let candidates: Vec<NodeId> = match root {
            Some(root) => scheme_plan
                .indicators()
                .filter(|id| {
                    let mut cur = Some(*id);
                    let mut under = false;
                    while let Some(c) = cur {
                        under |= c == root;
                        cur = scheme_plan.node(c).parent;
                    }
                    let p = scheme_plan.node(*id).parent.unwrap();
                    under && scheme_plan.node(p).children.len() > 1
                })
                .collect(),
            None => Vec::new(),
        };
        let k = pick(v, candidates.len() + 1);
        if k > 0 {
            dropped = Some(scheme_plan.node(candidates[k - 1]).id.clone());
        }
    }
    // An override of the dropped indicator reaches nothing (`choose` comes before `drop`).
    for (_, o) in &overrides {
        if dropped
            .as_ref()
            .is_none_or(|d| !o.contains(&format!(" {d} = ")))
        {
            text.push_str(&format!("    {o}\n"));
        }
    }
    if let Some(d) = &dropped {
        text.push_str(&format!("    exclude {d}\n"));
    }
    // The replication's weights, given explicitly: those the evaluator used for the
    // kernel's plan of this replication (after `vary` and renormalisation).
    let plan = kernel.plan_for(u).unwrap();
    let eval_opts = EvalOptions {
        period: PeriodChoice::Latest,
        filter: None,
        ..Default::default()
    };
    let results = qindex::eval::evaluate(&plan, &loaded.frame, &eval_opts).unwrap();
    let p = &results.periods[0];
    let mut attached = vec![false; plan.nodes.len()];
    let mut stack = vec![NodeId::ROOT];
    while let Some(id) = stack.pop() {
        attached[id.index()] = true;
        stack.extend(plan.node(id).children.iter().copied());
    }
    for id in plan.ids() {
        if plan.node(id).group.is_some() && attached[id.index()] {
            text.push_str(&format!("    weights {} = given\n", plan.node(id).id));
        }
    }
    for id in plan.ids() {
        let w = p.weights[id.index()];
        if plan.node(id).parent.is_some() && attached[id.index()] && w.is_finite() {
            text.push_str(&format!("    weight {} = {w:?}\n", plan.node(id).id));
        }
    }
    text.push_str("}\n");
    text
}

/// Replications `count` of the rules at `path` through the kernel (both routes, 2 threads),
/// each against `qindex run --scheme replication` of its equivalent scheme.
fn kernel_equals_run(path: &Path, seed: u64, count: usize) -> Result<(), TestCaseError> {
    let loaded = Loaded::new(path);
    let variants = loaded.variants();
    let plans = loaded.plans(&variants);
    let unc = loaded.base.uncertainty.clone().unwrap();
    let (eval_opts, nominal) = loaded.nominal();
    let rows = nominal.periods[0].rows.clone();
    let mut kernel = Kernel::new(&plans, &unc, &loaded.frame, eval_opts.clone(), rows.clone());
    let dims = kernel.layout().dims();
    let fill = |r: usize, u: &mut [f64]| {
        let mut g = Lcg(seed.wrapping_add(r as u64 * 7919));
        for x in u.iter_mut() {
            *x = g.unit();
        }
    };
    let outcomes = kernel
        .run(count, 2, fill)
        .map_err(|e| TestCaseError::fail(format!("kernel: {e}")))?;
    let base_text = std::fs::read_to_string(path).unwrap();
    let mut u = vec![0.0; dims];
    for (r, got) in outcomes.iter().enumerate() {
        fill(r, &mut u);
        let scheme = equivalent_scheme(&loaded, &kernel, &u);
        let text = format!("{base_text}\n{scheme}");
        let (program, diags) =
            qindex::check::load_text(&path.with_file_name("replication.qi"), text.clone()).unwrap();
        prop_assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
        let plan = match qindex::check::compile(&program, "replication") {
            Ok((p, _)) => p,
            Err(e) => return Err(TestCaseError::fail(format!("{e:?}\n{scheme}"))),
        };
        let want = qindex::eval::evaluate(&plan, &loaded.frame, &eval_opts).unwrap();
        let p = &want.periods[0];
        prop_assert_eq!(&p.rows, &rows);
        for i in 0..rows.len() {
            let (w, g) = (p.score[i], got.scores[i]);
            if p.final_rank[i] > 0 {
                prop_assert!(
                    (w - g).abs() <= 1e-9 * w.abs().max(1.0),
                    "replication {r}, row {i}: kernel score {g}, run {w}\n{scheme}"
                );
            } else {
                prop_assert!(
                    g.is_nan(),
                    "replication {r}, row {i}: unranked by run\n{scheme}"
                );
            }
            if got.ranks[i] != p.final_rank[i] {
                // Only scores equal to rounding may be ordered otherwise.
                let near = (0..rows.len())
                    .any(|j| j != i && (p.score[j] - w).abs() <= 1e-9 * w.abs().max(1.0));
                prop_assert!(
                    near,
                    "replication {r}, row {i}: kernel rank {}, run rank {}\n{scheme}",
                    got.ranks[i],
                    p.final_rank[i]
                );
            }
        }
    }
    Ok(())
}

fn sobol(path: &Path, samples: usize, target: Target) -> indices::Report {
    let loaded = Loaded::new(path);
    let variants = loaded.variants();
    let plans = loaded.plans(&variants);
    let opts = indices::Options {
        samples,
        seed: 9,
        target,
        period: PeriodChoice::Latest,
        resamples: 10,
        progress: None,
        interrupted: &|| false,
    };
    indices::run(&plans, &loaded.frame, &opts).unwrap()
}

fn cases() -> u32 {
    std::env::var("QINDEX_SPACE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn generated_blocks_equal_their_equivalent_schemes(seed in 0u64..1000, lines in block(), rep in 0u64..1_000_000) {
        let path = write_system(seed, &block_text(&lines, 10));
        kernel_equals_run(&path, rep, 3)?;
    }

    /// `qindex uncertainty --replay R`, compiled and evaluated, gives replication R's scores
    /// and ranks, on generated blocks.
    #[test]
    fn replays_of_generated_blocks_reproduce_their_replication(
        seed in 0u64..1000,
        lines in block(),
        r in 0u64..10,
    ) {
        let path = write_system(seed, &block_text(&lines, 10));
        let loaded = Loaded::new(&path);
        let variants = loaded.variants();
        let plans = loaded.plans(&variants);
        let unc = loaded.base.uncertainty.clone().unwrap();
        let opts = qindex::sensitivity::uncertainty::Options {
            samples: 10,
            seed: unc.seed,
            top_n: None,
            period: PeriodChoice::Latest,
            progress: None,
            interrupted: &|| false,
        };
        let replay = qindex::sensitivity::audit::replay(&plans, &loaded.frame, &opts, r, &path)
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let text = qindex::report::audit::replay_text(&replay);
        let replay = path.with_file_name("replay.qi");
        std::fs::write(&replay, &text).unwrap();
        let (program, _) = qindex::check::load(&replay).unwrap();
        let (plan, _) = qindex::check::compile(&program, &format!("replication_{r}"))
            .map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        let eval_opts = EvalOptions { period: PeriodChoice::Latest, filter: None, ..Default::default() };
        let want = qindex::eval::evaluate(&plan, &loaded.frame, &eval_opts).unwrap();
        let nominal = qindex::eval::evaluate(&loaded.base, &loaded.frame, &eval_opts).unwrap();
        let rows = nominal.periods[0].rows.clone();
        let mut kernel = Kernel::new(&plans, &unc, &loaded.frame, eval_opts, rows.clone());
        let got = kernel
            .run(1, 1, |_, u| qindex::sensitivity::uncertainty::fill_replication(unc.seed, r as usize, u))
            .unwrap()
            .remove(0);
        let p = &want.periods[0];
        for i in 0..rows.len() {
            let (w, g) = (p.score[i], got.scores[i]);
            if p.final_rank[i] > 0 {
                prop_assert!((w - g).abs() <= 1e-9 * w.abs().max(1.0), "row {i}: {g} vs {w}\n{text}");
            }
            if got.ranks[i] != p.final_rank[i] {
                let near = (0..rows.len()).any(|j| j != i && (p.score[j] - w).abs() <= 1e-9 * w.abs().max(1.0));
                prop_assert!(near, "row {i}: rank {} vs {}\n{text}", got.ranks[i], p.final_rank[i]);
            }
        }
    }

    #[test]
    fn permuting_the_lines_permutes_the_indices(
        seed in 0u64..1000,
        lines in block(),
        perm in Just(()).prop_perturb(|_, mut rng| rng.random::<u64>()),
    ) {
        prop_assume!(lines.len() >= 2);
        let mut order: Vec<usize> = (0..lines.len()).collect();
        let mut g = Lcg(perm);
        for i in (1..order.len()).rev() {
            order.swap(i, g.below(i + 1));
        }
        let shuffled: Vec<Line> = order.iter().map(|i| lines[*i].clone()).collect();
        let a = sobol(&write_system(seed, &block_text(&lines, 10)), 16, Target::Marc);
        let b = sobol(&write_system(seed, &block_text(&shuffled, 10)), 16, Target::Marc);
        let (ea, eb) = (&a.entries[0], &b.entries[0]);
        for (k, i) in order.iter().enumerate() {
            prop_assert_eq!(&a.factors[*i], &b.factors[k]);
            for (x, y) in [(ea.s1[*i], eb.s1[k]), (ea.st[*i], eb.st[k])] {
                prop_assert!(
                    (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-12,
                    "{}: {x} vs {y}", a.factors[*i]
                );
            }
        }
    }

    #[test]
    fn equivalent_options_explain_nothing(
        seed in 0u64..1000,
        lines in block(),
        kind in 0usize..3,
        node in maybe(&GROUPS[1..]),
    ) {
        // A line whose options all compile to the same plan, beside a line that moves ranks.
        let null = match kind {
            0 => Line::Normalise(vec!["percentile", "percentile"], node),
            1 => Line::Aggregate(vec!["geometric", "geometric", "geometric"], node),
            _ => Line::Missing(vec!["mean", "mean"], node),
        };
        let mut block: Vec<Line> = lines
            .into_iter()
            .filter(|l| l.identity() != null.identity() && l.identity() != "vary")
            .collect();
        block.push(Line::VaryAll(40));
        let at = g_index(&block, seed);
        block.insert(at, null);
        let report = sobol(&write_system(seed, &block_text(&block, 10)), 64, Target::Marc);
        let e = &report.entries[0];
        prop_assume!(e.st.iter().any(|x| x.is_finite()));
        prop_assert!(e.s1[at].abs() <= 0.02 && e.st[at].abs() <= 0.02,
            "{}: S1 {} ST {}", report.factors[at], e.s1[at], e.st[at]);
    }

}

proptest! {
    // A statistical property: its cases come from a fixed seed, so the test is deterministic.
    #![proptest_config(ProptestConfig {
        cases: cases(),
        rng_seed: prop::test_runner::RngSeed::Fixed(13),
        ..ProptestConfig::default()
    })]

    /// With one effective factor i, f(AB_i) = f(B), so Jansen's estimate is 1 − (about) the
    /// sample correlation of f_A and f_B. For a `choose` line that correlation is that of
    /// two balanced categorical columns of the Sobol' points, small at N = 1024. (A `vary`
    /// line alone moves the MARC, a step function of the weights, by rare rank swaps: there
    /// the estimate's error is of the Monte Carlo order 1/√N and can pass 0.05 at any N a
    /// test affords; the other properties cover `vary` lines.)
    #[test]
    fn one_effective_factor_takes_all(
        seed in 0u64..1000,
        effective in prop_oneof![
            options(SCHEMES).prop_map(Line::Scheme),
            options(NORMALISE).prop_map(|o| Line::Normalise(o, None)),
            options(AGGREGATE).prop_map(|o| Line::Aggregate(o, None)),
        ],
        nulls in prop::collection::vec(0usize..3, 0..3),
        at in 0usize..4,
    ) {
        let mut block: Vec<Line> = Vec::new();
        for (k, n) in nulls.into_iter().enumerate() {
            let l = match n {
                0 => Line::Aggregate(vec!["arithmetic", "arithmetic"], Some(["a1", "c1", "b2"][k])),
                1 => Line::Missing(vec!["skip", "skip"], Some(["a", "b", "c"][k])),
                _ => Line::Normalise(vec!["rank", "rank"], Some(["x02", "x11", "x16"][k])),
            };
            block.push(l);
        }
        let at = at.min(block.len());
        block.insert(at, effective);
        let report = sobol(&write_system(seed, &block_text(&block, 10)), 1024, Target::Marc);
        let e = &report.entries[0];
        prop_assume!(e.st[at].is_finite());
        prop_assert!(e.st[at] >= 0.95, "{}: ST {}", report.factors[at], e.st[at]);
    }
}

/// A position for the null line, from the seed.
fn g_index(block: &[Line], seed: u64) -> usize {
    (seed as usize) % (block.len() + 1)
}

/// Random blocks over the shipped rules: each line kind that the rules can take.
#[test]
fn shipped_rules_equal_their_equivalent_schemes() {
    let mut g = Lcg(2026);
    let blocks = [
        (
            "rules/market_led.qi",
            vec![
                "vary weights 20%",
                "vary weights in infrastructure 10%",
                "choose normalise [percentile, minmax]",
                "choose aggregate [geometric, arithmetic]",
                "choose missing [median, skip, mean]",
                "choose scheme [market_strong, default, market_led]",
                "drop indicator in product",
            ],
        ),
        (
            "rules/quality_city.qi",
            vec![
                "vary weights 25%",
                "choose aggregate [arithmetic, geometric, harmonic]",
                "choose normalise [minmax, rank, percentile, zscore(100, 10)] at product",
                "choose missing [skip, median]",
                "drop indicator",
            ],
        ),
        (
            "rules/hdi.qi",
            vec![
                "vary weights 30%",
                "choose aggregate [arithmetic, geometric]",
                "drop indicator",
            ],
        ),
    ];
    for (rules, lines) in blocks {
        let abs = root().join(rules);
        let text = std::fs::read_to_string(&abs).unwrap();
        // The rules without their own block, `use`d files by absolute path, or a `use` of them.
        let text = match text.find("\nuncertainty {") {
            Some(i) => {
                let end = i + text[i..].find("\n}").unwrap() + 2;
                let dir = abs.parent().unwrap().display().to_string();
                format!("{}{}", &text[..i], &text[end..])
                    .replace("use \"", &format!("use \"{dir}/"))
            }
            None => format!("use \"{}\"\n", abs.display()),
        };
        for round in 0..4 {
            // Lines in a random order, a random subset of at least one.
            let mut ls = lines.clone();
            for i in (1..ls.len()).rev() {
                ls.swap(i, g.below(i + 1));
            }
            let keep = 1 + g.below(ls.len());
            ls.truncate(keep);
            let mut block = String::from("\nuncertainty {\n    samples 10\n    seed 1\n");
            for l in &ls {
                block.push_str(&format!("    {l}\n"));
            }
            block.push_str("}\n");
            let path = case_dir().join(format!("space-{round}.qi"));
            std::fs::write(&path, format!("{text}{block}")).unwrap();
            if let Err(e) = kernel_equals_run(&path, g.next(), 8) {
                panic!("{rules} with {ls:?}: {e}");
            }
        }
    }
}

//! The uncertainty kernel equals the plain evaluator: random replications of every shipped
//! rules file (with an `uncertainty` block added where it has none) and of the peers' Monte
//! Carlo model, each run through the kernel (batched and general routes) and, as a whole plan,
//! through `qindex::eval::evaluate`.

mod common;

use common::Loaded;
use qindex::eval::{EvalOptions, PeriodChoice};
use qindex::sensitivity::kernel::Kernel;
use std::path::{Path, PathBuf};

/// A rules file with an `uncertainty` block that reaches every kind of line the kernel batches
/// or hands to the evaluator.
fn with_block(rules: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qindex-kernel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let abs = Path::new(env!("CARGO_MANIFEST_DIR")).join(rules);
    let name = Path::new(rules).file_name().unwrap();
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "use \"{}\"\n\nuncertainty {{\n    samples 10\n    seed 3\n    vary weights 30%\n    choose aggregate [arithmetic, geometric]\n    drop indicator\n}}\n",
            abs.display()
        ),
    )
    .unwrap();
    path
}

/// A small deterministic generator for the uniforms (the kernel's input), independent of the
/// kernel's own streams.
fn uniforms(seed: u64, r: usize, out: &mut [f64]) {
    let mut state = seed ^ (r as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for x in out.iter_mut() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *x = (state >> 11) as f64 / (1u64 << 53) as f64;
    }
}

/// Runs `count` replications both ways; returns (batched, general) route counts and the
/// number of survey columns re-estimated over all replications.
fn agree(path: &Path, count: usize) -> (usize, usize, usize) {
    let mut surveyed = 0;
    let loaded = Loaded::new(path);
    let (base, frame) = (&loaded.base, &loaded.frame);
    let unc = base.uncertainty.clone().expect("an uncertainty block");
    let eval_opts = EvalOptions {
        period: PeriodChoice::Latest,
        filter: None,
        ..Default::default()
    };
    let nominal = qindex::eval::evaluate(base, frame, &eval_opts).expect("nominal");
    let rows = nominal.periods[0].rows.clone();
    let variants = loaded.variants();
    let plans = loaded.plans(&variants);
    let mut kernel = Kernel::new(&plans, &unc, frame, eval_opts.clone(), rows.clone());
    let dims = kernel.layout().dims();
    let outcomes = kernel
        .run(count, 2, |r, u| uniforms(17, r, u))
        .expect("replications run");
    let mut u = vec![0.0; dims];
    for (r, got) in outcomes.iter().enumerate() {
        uniforms(17, r, &mut u);
        // The replication's plan over the frame with its survey estimates (`vary survey`).
        let trace = kernel.trace(&u).expect("trace");
        assert_eq!(trace.plan, kernel.plan_for(&u).expect("plan"));
        let replicated = kernel.frame_for(&trace);
        for (column, values) in &trace.survey {
            let nominal = frame.column(column).expect("a bound survey column");
            let differs = values
                .iter()
                .zip(nominal)
                .any(|(a, b)| a.to_bits() != b.to_bits());
            assert!(
                differs,
                "{column}: the bootstrap left every estimate as it was"
            );
            surveyed += 1;
        }
        let want = qindex::eval::evaluate(&trace.plan, &replicated, &eval_opts).expect("evaluates");
        let p = &want.periods[0];
        assert_eq!(p.rows, rows);
        for i in 0..rows.len() {
            let (w, g) = (p.score[i], got.scores[i]);
            let ranked = p.final_rank[i] > 0;
            assert_eq!(
                got.ranks[i],
                p.final_rank[i],
                "{}: replication {r}, row {i}: rank",
                path.display()
            );
            if ranked {
                assert!(
                    (w - g).abs() <= 1e-9 * w.abs().max(1.0),
                    "{}: replication {r}, row {i}: score {g} vs {w}",
                    path.display()
                );
            } else {
                assert!(g.is_nan());
            }
        }
        let codes: Vec<(&str, usize)> = want.warnings.iter().map(|w| (w.code, w.count)).collect();
        assert_eq!(got.warnings, codes, "{}: replication {r}", path.display());
        // The general route alone gives the same.
        let general = kernel.evaluate(&u).expect("general route");
        assert_eq!(general.ranks, got.ranks);
    }
    let (batched, general) = kernel.routes();
    (batched, general, surveyed)
}

#[test]
fn kernel_equals_the_evaluator_on_the_peers_model() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/peers/mc_300x50.qi");
    let (batched, general, _) = agree(&path, 300);
    // Every replication of this model is arithmetic or geometric over complete min-max data.
    assert_eq!((batched, general), (300, 0));
}

#[test]
fn kernel_equals_the_evaluator_on_market_led() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/market_led.qi");
    let (batched, general, surveyed) = agree(&path, 60);
    assert_eq!(batched + general, 60);
    // `vary survey citizens`: every replication re-estimates the three estimates the index
    // reads, and so takes the general route.
    assert_eq!(surveyed, 3 * 60);
    assert_eq!(general, 60);
}

#[test]
fn kernel_equals_the_evaluator_on_every_shipped_index() {
    for rules in ["rules/quality_city.qi", "rules/hdi.qi", "rules/gggi.qi"] {
        let path = with_block(rules);
        let (batched, general, _) = agree(&path, 40);
        assert_eq!(batched + general, 40, "{rules}");
        if rules.ends_with("hdi.qi") {
            // Complete data, geometric and arithmetic means: the batched route serves it.
            assert_eq!(batched, 40, "{rules}");
        } else {
            // Adjustments or missing values: the evaluator's own group stage.
            assert_eq!(general, 40, "{rules}");
        }
    }
}

/// `Kernel::scores_only` (Sobol' indices of scores) skips the batched route's ranking: every
/// replication's scores are those of the ranked kernel — bit for bit where both take the
/// batched route — NaN exactly where the ranked kernel gives no rank, and batched views carry
/// no ranks.
#[test]
fn scores_only_gives_the_scores_of_the_ranked_kernel() {
    let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/peers/mc_300x50.qi");
    for path in [
        peers,
        with_block("rules/hdi.qi"),
        with_block("rules/gggi.qi"),
    ] {
        let loaded = Loaded::new(&path);
        let (base, frame) = (&loaded.base, &loaded.frame);
        let unc = base.uncertainty.clone().expect("an uncertainty block");
        let eval_opts = EvalOptions {
            period: PeriodChoice::Latest,
            filter: None,
            ..Default::default()
        };
        let nominal = qindex::eval::evaluate(base, frame, &eval_opts).expect("nominal");
        let rows = nominal.periods[0].rows.clone();
        let variants = loaded.variants();
        let plans = loaded.plans(&variants);
        let mut ranked = Kernel::new(&plans, &unc, frame, eval_opts.clone(), rows.clone());
        let mut scores = Kernel::new(&plans, &unc, frame, eval_opts.clone(), rows.clone());
        scores.scores_only();
        let a = ranked
            .run(80, 2, |r, u| uniforms(29, r, u))
            .expect("ranked");
        let b = scores
            .run(80, 2, |r, u| uniforms(29, r, u))
            .expect("scores only");
        let (batched, general) = ranked.routes();
        assert_eq!(scores.routes(), (batched, general), "{}", path.display());
        for (r, (x, y)) in a.iter().zip(&b).enumerate() {
            if y.ranks.is_empty() {
                // The batched route: the ranked kernel's scores, bit for bit.
                for (i, (s, t)) in x.scores.iter().zip(&y.scores).enumerate() {
                    assert!(
                        s.to_bits() == t.to_bits() || (s.is_nan() && t.is_nan()),
                        "{}: replication {r}, row {i}: {t} against {s}",
                        path.display()
                    );
                    assert_eq!(t.is_nan(), x.ranks[i] == 0);
                }
            } else {
                assert_eq!(x.ranks, y.ranks);
            }
        }
        if path.ends_with("mc_300x50.qi") || path.ends_with("hdi.qi") {
            assert!(b.iter().all(|o| o.ranks.is_empty()), "{}", path.display());
        }
    }
}

use super::*;
use crate::methods::tolerance::{assert_all_close, REFERENCE};

/// Points 0–7, 1023 and 12345 of the unscrambled sequence in dimensions 0, 1, 2, 3, 10, 100,
/// 1000 and 4095, times 2^30: computed with scipy 1.17.1,
/// `qmc.Sobol(d=4096, scramble=False).random(2**14)`, rounded `x * 2**30`.
#[test]
fn unscrambled_points_match_scipy() {
    let dims = [0, 1, 2, 3, 10, 100, 1000, 4095];
    #[rustfmt::skip]
    let expected: [(u32, [u32; 8]); 10] = [
        (0, [0, 0, 0, 0, 0, 0, 0, 0]),
        (1, [536870912, 536870912, 536870912, 536870912, 536870912, 536870912, 536870912, 536870912]),
        (2, [805306368, 268435456, 268435456, 268435456, 805306368, 268435456, 268435456, 268435456]),
        (3, [268435456, 805306368, 805306368, 805306368, 268435456, 805306368, 805306368, 805306368]),
        (4, [402653184, 402653184, 671088640, 939524096, 939524096, 671088640, 939524096, 402653184]),
        (5, [939524096, 939524096, 134217728, 402653184, 402653184, 134217728, 402653184, 939524096]),
        (6, [671088640, 134217728, 939524096, 671088640, 134217728, 939524096, 671088640, 134217728]),
        (7, [134217728, 671088640, 402653184, 134217728, 671088640, 402653184, 134217728, 671088640]),
        (1023, [1048576, 808452096, 657457152, 156237824, 728760320, 254803968, 170917888, 839909376]),
        (12345, [688193536, 873398272, 172163072, 565641216, 79757312, 579272704, 389218304, 673775616]),
    ];
    let seq = Sobol::new(MAX_DIMS).unwrap();
    for (i, want) in expected {
        for (&d, &w) in dims.iter().zip(&want) {
            let got = seq.coordinate(i, d) * (1u64 << 30) as f64;
            assert_eq!(got, f64::from(w), "point {i}, dimension {d}");
        }
    }
}

/// Each 1-D projection of the first 2^k points has exactly one point in each [i/2^k,
/// (i + 1)/2^k): the (0, m, 1)-net property, which the LMS + shift scramble keeps.
#[test]
fn scrambled_projections_are_stratified() {
    for seed in [0, 1, 20240602] {
        let seq = Sobol::scrambled(MAX_DIMS, seed).unwrap();
        let dims = (0..40).chain([100, 511, 999, 2048, 4095]);
        for d in dims {
            for k in [1u32, 2, 5, 10, 13] {
                let m = 1usize << k;
                let mut seen = vec![false; m];
                for i in 0..m as u32 {
                    let x = seq.coordinate(i, d);
                    assert!((0.0..1.0).contains(&x));
                    let cell = (x * m as f64) as usize;
                    assert!(
                        !seen[cell],
                        "seed {seed}, dim {d}, 2^{k} points: cell {cell} twice"
                    );
                    seen[cell] = true;
                }
            }
        }
    }
}

#[test]
fn scrambling_is_seeded() {
    let a = Sobol::scrambled(600, 7).unwrap();
    let b = Sobol::scrambled(600, 7).unwrap();
    let c = Sobol::scrambled(600, 8).unwrap();
    let point = |s: &Sobol, i| {
        let mut out = vec![0.0; 600];
        s.point(i, &mut out);
        out.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    };
    for i in [0, 1, 2, 3, 1000] {
        assert_eq!(point(&a, i), point(&b, i));
        assert_ne!(point(&a, i), point(&c, i));
    }
    // The scrambled first point is the shift: not the degenerate origin.
    assert!(point(&a, 0).iter().filter(|&&x| x == 0).count() < 2);
}

/// SALib 1.6.0, `sobol.sample(problem, 8, calc_second_order=False, scramble=False)` with three
/// variables in groups `['g1', 'g2', 'g1']`, times 8: the row order and the group swap.
#[test]
fn design_matches_salib_unscrambled() {
    #[rustfmt::skip]
    let salib: [[u32; 3]; 32] = [
        [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [4, 4, 4], [4, 4, 4], [4, 4, 4], [4, 4, 4],
        [6, 2, 2], [2, 2, 6], [6, 6, 2], [2, 6, 6], [2, 6, 6], [6, 6, 2], [2, 2, 6], [6, 2, 2],
        [3, 3, 5], [7, 3, 1], [3, 3, 5], [7, 3, 1], [7, 7, 1], [3, 7, 5], [7, 7, 1], [3, 7, 5],
        [5, 1, 7], [5, 1, 7], [5, 5, 7], [5, 5, 7], [1, 5, 3], [1, 5, 3], [1, 1, 3], [1, 1, 3],
    ];
    let design = Design::unscrambled(8, vec![vec![0, 2], vec![1]]).unwrap();
    assert_eq!(design.rows(), 32);
    let mut row = [0.0; 3];
    for (r, want) in salib.iter().enumerate() {
        design.row(r, &mut row);
        let got: Vec<u32> = row.iter().map(|x| (x * 8.0) as u32).collect();
        assert_eq!(got, want, "row {r}");
    }
}

#[test]
fn design_rows_swap_each_factors_columns() {
    let factors = vec![vec![3, 0], vec![1], vec![2, 4, 5]];
    let design = Design::new(16, factors.clone(), 99).unwrap();
    assert_eq!((design.dims(), design.blocks(), design.rows()), (6, 5, 80));
    let (mut a, mut b, mut ab) = ([0.0; 6], [0.0; 6], [0.0; 6]);
    for j in 0..16 {
        design.row(j * 5, &mut a);
        design.row(j * 5 + 4, &mut b);
        assert_eq!(design.block(j * 5), (j, Block::A));
        assert_eq!(design.block(j * 5 + 4), (j, Block::B));
        for (i, cols) in factors.iter().enumerate() {
            design.row(j * 5 + 1 + i, &mut ab);
            assert_eq!(design.block(j * 5 + 1 + i), (j, Block::Ab(i)));
            for c in 0..6 {
                let want = if cols.contains(&c) { b[c] } else { a[c] };
                assert_eq!(
                    ab[c].to_bits(),
                    want.to_bits(),
                    "sample {j}, factor {i}, col {c}"
                );
            }
        }
        // A and B are different columns of one sequence.
        assert!(a.iter().zip(&b).all(|(x, y)| x != y));
    }
}

#[test]
fn bad_designs_are_errors() {
    use SobolError::*;
    assert_eq!(Design::new(0, vec![vec![0]], 1).unwrap_err(), NoSamples);
    assert_eq!(Design::new(8, vec![], 1).unwrap_err(), NoFactors);
    assert_eq!(
        Design::new(8, vec![vec![0], vec![]], 1).unwrap_err(),
        EmptyFactor { factor: 1 }
    );
    assert_eq!(
        Design::new(8, vec![vec![0], vec![5]], 1).unwrap_err(),
        ColumnOutOfRange {
            factor: 1,
            column: 5,
            dims: 2
        }
    );
    assert_eq!(
        Design::new(8, vec![vec![0, 1], vec![1]], 1).unwrap_err(),
        DuplicateColumn { column: 1 }
    );
    let wide: Vec<Vec<usize>> = (0..MAX_DIMS / 2 + 1).map(|c| vec![c]).collect();
    assert_eq!(
        Design::new(8, wide, 1).unwrap_err(),
        TooManyDimensions {
            dims: MAX_DIMS + 2,
            max: MAX_DIMS
        }
    );
    let widest: Vec<Vec<usize>> = vec![(0..MAX_DIMS / 2).collect()];
    assert!(Design::new(8, widest, 1).is_ok());
    assert_eq!(Sobol::new(0).unwrap_err(), NoDimensions);
    assert!(matches!(
        Sobol::new(MAX_DIMS + 1),
        Err(TooManyDimensions { .. })
    ));
    // Every message is a sentence.
    assert!(NoSamples.to_string().contains("samples"));

    let opts = AnalyzeOptions::default();
    assert_eq!(analyze(&[], 0, 1, 1, &opts).unwrap_err(), NoSamples);
    assert_eq!(analyze(&[], 4, 0, 1, &opts).unwrap_err(), NoFactors);
    assert_eq!(
        analyze(&[0.0; 10], 4, 1, 1, &opts).unwrap_err(),
        OutputShape {
            len: 10,
            expected: 12
        }
    );
    let bad = AnalyzeOptions {
        conf_level: 1.0,
        ..AnalyzeOptions::default()
    };
    assert_eq!(
        analyze(&[0.0; 12], 4, 1, 1, &bad).unwrap_err(),
        BadConfLevel { level: 1.0 }
    );
}

/// Two outputs over 16 base samples and 3 factors, defined by row number r (0..80):
/// y₁ = sin(0.37 r) + 0.01 r and y₂ = cos(1.3 r)³ + 5. Expected: SALib 1.6.0,
/// `sobol.analyze(problem, y, calc_second_order=False)` on each output alone. y₂'s offset makes
/// the centring matter: without it the first-order estimates would be −6.74, −4.61, 5.92.
#[test]
fn estimates_match_salib_on_the_same_outputs() {
    let (n, d) = (16, 3);
    let rows = n * (d + 2);
    let mut y = Vec::with_capacity(2 * rows);
    for r in 0..rows {
        let r = r as f64;
        y.push((0.37 * r).sin() + 0.01 * r);
        y.push((1.3 * r).cos().powi(3) + 5.0);
    }
    let got = analyze(&y, n, d, 2, &AnalyzeOptions::default()).unwrap();
    #[rustfmt::skip]
    let salib_s1 = [
        [0.33595498311474215, 0.6186441539229938, 0.8097910880630347],
        [-0.8862881264900905, -1.0896021135936744, -0.2143162434383287],
    ];
    #[rustfmt::skip]
    let salib_st = [
        [0.06723783819116089, 0.2593844156267615, 0.5454642785684275],
        [0.9292654647063393, 2.097301143104195, 1.7621562456155033],
    ];
    for o in 0..2 {
        assert_all_close(
            got.s1(o),
            &salib_s1[o],
            REFERENCE,
            &format!("S1 of output {o}"),
        );
        assert_all_close(
            got.st(o),
            &salib_st[o],
            REFERENCE,
            &format!("ST of output {o}"),
        );
        assert!(got
            .s1_conf(o)
            .iter()
            .chain(got.st_conf(o))
            .all(|c| *c > 0.0));
    }
}

/// A smooth synthetic model of many outputs, for the layout and determinism tests.
fn synthetic(n: usize, d: usize, outputs: usize, seed: u64) -> Vec<f64> {
    let factors: Vec<Vec<usize>> = (0..d).map(|i| vec![i]).collect();
    let design = Design::new(n, factors, seed).unwrap();
    let mut x = vec![0.0; d];
    let mut y = Vec::with_capacity(design.rows() * outputs);
    for r in 0..design.rows() {
        design.row(r, &mut x);
        for o in 0..outputs {
            let w = 1.0 + o as f64 * 0.1;
            let v: f64 = x
                .iter()
                .enumerate()
                .map(|(i, xi)| (w * xi * (i + 1) as f64).sin() / (i + 1) as f64)
                .sum::<f64>()
                + x[0] * x[d - 1] * o as f64;
            y.push(v);
        }
    }
    y
}

fn bits(ix: &Indices) -> Vec<u64> {
    [&ix.s1, &ix.s1_conf, &ix.st, &ix.st_conf, &ix.variance]
        .iter()
        .flat_map(|v| v.iter().map(|x| x.to_bits()))
        .collect()
}

#[test]
fn results_do_not_depend_on_threads_or_on_the_other_outputs() {
    let (n, d, outputs) = (64, 4, 9);
    let y = synthetic(n, d, outputs, 5);
    let with = |threads| AnalyzeOptions {
        seed: 11,
        threads,
        ..AnalyzeOptions::default()
    };
    let one = analyze(&y, n, d, outputs, &with(1)).unwrap();
    for t in [2, 3, 8] {
        assert_eq!(
            bits(&one),
            bits(&analyze(&y, n, d, outputs, &with(t)).unwrap())
        );
    }
    // Same seed, same bits; another seed, other intervals but the same estimates.
    assert_eq!(
        bits(&one),
        bits(&analyze(&y, n, d, outputs, &with(2)).unwrap())
    );
    let other = analyze(
        &y,
        n,
        d,
        outputs,
        &AnalyzeOptions {
            seed: 12,
            ..with(1)
        },
    )
    .unwrap();
    assert_eq!(one.s1, other.s1);
    assert_ne!(one.s1_conf, other.s1_conf);
    // Output 6 analysed alone gives its bits in the joint analysis.
    let alone: Vec<f64> = y.chunks_exact(outputs).map(|row| row[6]).collect();
    let six = analyze(&alone, n, d, 1, &with(1)).unwrap();
    for (a, b) in [(&six.s1, one.s1(6)), (&six.st_conf, one.st_conf(6))] {
        assert_eq!(
            a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_constant_output_gives_nan_and_leaves_the_others_alone() {
    let (n, d) = (32, 2);
    let y1 = synthetic(n, d, 1, 3);
    let y: Vec<f64> = y1.iter().flat_map(|&v| [v, 4.25]).collect();
    let both = analyze(&y, n, d, 2, &AnalyzeOptions::default()).unwrap();
    let alone = analyze(&y1, n, d, 1, &AnalyzeOptions::default()).unwrap();
    assert_eq!(both.s1(0), alone.s1(0));
    assert_eq!(both.st_conf(0), alone.st_conf(0));
    assert_eq!(both.variance[1], 0.0);
    for v in [both.s1(1), both.st(1), both.s1_conf(1), both.st_conf(1)] {
        assert!(v.iter().all(|x| x.is_nan()));
    }
    // NaN results are not reported as wide intervals.
    assert!(both.wide_intervals().iter().all(
        |w| !matches!(w, SobolWarning::WideIntervals { outputs, .. } if outputs.contains(&1))
    ));
}

#[test]
fn fewer_than_two_resamples_give_nan_half_widths() {
    let (n, d) = (16, 2);
    let y = synthetic(n, d, 1, 3);
    for num_resamples in [0, 1] {
        let opts = AnalyzeOptions {
            num_resamples,
            ..AnalyzeOptions::default()
        };
        let ix = analyze(&y, n, d, 1, &opts).unwrap();
        assert!(ix.s1.iter().all(|x| x.is_finite()));
        assert!(ix.s1_conf.iter().all(|x| x.is_nan()));
    }
}

#[test]
fn warnings() {
    assert_eq!(design_warnings(1024), vec![]);
    assert_eq!(
        design_warnings(1000),
        vec![SobolWarning::NotPowerOfTwo { n: 1000 }]
    );
    assert!(design_warnings(1000)[0].to_string().contains("1024"));
    let ix = Indices {
        n: 8,
        factors: 2,
        outputs: 2,
        s1: vec![0.5, 0.01, 0.4, -0.02],
        s1_conf: vec![0.1, 0.05, 0.1, 0.01],
        st: vec![0.6, 0.02, 0.5, 0.1],
        st_conf: vec![0.1, 0.01, 0.1, 0.2],
        variance: vec![1.0, 1.0],
    };
    assert_eq!(
        ix.wide_intervals(),
        vec![
            SobolWarning::WideIntervals {
                factor: 1,
                kind: IndexKind::First,
                outputs: vec![0],
                of: 2
            },
            SobolWarning::WideIntervals {
                factor: 1,
                kind: IndexKind::Total,
                outputs: vec![1],
                of: 2
            },
        ]
    );
}

#[test]
fn lemire_draws_are_in_range_and_cover_it() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut seen = [0u32; 7];
    for _ in 0..7000 {
        seen[below(&mut rng, 7) as usize] += 1;
    }
    assert!(seen.iter().all(|&c| (850..1150).contains(&c)), "{seen:?}");
    assert_eq!(below(&mut rng, 1), 0);
}

/// The tiled, blocked bootstrap against a plain one written from the formulas, on the same
/// resample counts, with N = 300 (two whole tiles and a partial one) and 5 outputs (a partial
/// chunk of lanes).
#[test]
fn bootstrap_matches_a_plain_implementation() {
    let (n, d, outputs, resamples) = (300, 3, 5, 20);
    let y = synthetic(n, d, outputs, 9);
    let opts = AnalyzeOptions {
        num_resamples: resamples,
        seed: 4,
        threads: 1,
        ..AnalyzeOptions::default()
    };
    let got = analyze(&y, n, d, outputs, &opts).unwrap();
    let counts = resample_counts(n, resamples, 4);
    let z = Normal::standard().inverse_cdf(0.975);
    let blocks = d + 2;
    for o in 0..outputs {
        let col: Vec<f64> = y.chunks_exact(outputs).map(|r| r[o]).collect();
        let mu = col.iter().sum::<f64>() / col.len() as f64;
        let f = |j: usize, b: usize| col[j * blocks + b] - mu;
        for i in 0..d {
            let (mut e1, mut et) = (Vec::new(), Vec::new());
            for k in 0..resamples {
                let (mut w, mut sa, mut saa, mut p, mut q) = (0.0, 0.0, 0.0, 0.0, 0.0);
                for j in 0..n {
                    let c = f64::from(counts[k * n + j]);
                    let (a, b, ab) = (f(j, 0), f(j, blocks - 1), f(j, 1 + i));
                    w += c;
                    sa += c * (a + b);
                    saa += c * (a * a + b * b);
                    p += c * b * (ab - a);
                    q += c * (a - ab) * (a - ab);
                }
                assert_eq!(w, n as f64);
                let v = saa / (2.0 * w) - (sa / (2.0 * w)).powi(2);
                e1.push(p / w / v);
                et.push(0.5 * q / w / v);
            }
            let sd = |e: &[f64]| {
                let m = e.iter().sum::<f64>() / e.len() as f64;
                (e.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (e.len() - 1) as f64).sqrt()
            };
            let k = o * d + i;
            let what = format!("output {o}, factor {i}");
            crate::methods::tolerance::assert_close(got.s1_conf[k], z * sd(&e1), 1e-9, &what);
            crate::methods::tolerance::assert_close(got.st_conf[k], z * sd(&et), 1e-9, &what);
        }
    }
}

/// The bootstrap's sums are the same bits on every instruction set the CPU offers (AVX-512,
/// AVX2, the portable loop): multiplications and additions, never fused, in one order.
#[test]
fn bootstrap_sums_do_not_depend_on_the_vector_width() {
    let (n, resamples) = (300, 37);
    let width = (4 + 2 * 3) * LANES;
    let width = width.next_multiple_of(BLOCK);
    let mut state = 5u64;
    let p: Vec<f64> = (0..n * width)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect();
    let resampled = Resamples::new(n, resamples, 9);
    let mut dispatched = vec![0.0; resamples * width];
    let mut portable = vec![0.0; resamples * width];
    bootstrap_sums(&p, n, width, &resampled, &mut dispatched);
    bootstrap_sums_body(&p, n, width, &resampled, &mut portable);
    assert!(dispatched.iter().any(|x| *x != 0.0));
    for (a, b) in dispatched.iter().zip(&portable) {
        assert_eq!(a.to_bits(), b.to_bits());
    }
}

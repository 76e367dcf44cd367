//! Vectorised logarithm, exponential and small products for the Monte Carlo kernels.
//!
//! Written as branch-free loops that the compiler vectorises, compiled for the baseline target
//! and, chosen at run time, for AVX2 (and AVX-512 for the logarithm). Neither version contracts multiplications and
//! additions into fused operations, so both give the same bits on every x86-64 machine.
//! Accuracy: within 2 ulp of the standard library's `ln` and `exp` (tested), so a near-tie
//! between two units resolves as the plain evaluator resolves it.

/// `acc[i] += w · ln(x[i])`, and whether every `x[i]` was positive and normal: when one is
/// not (zero, negative, subnormal, infinite or NaN), `acc` is meaningless.
#[must_use]
pub fn ln_axpy(x: &[f64], w: f64, acc: &mut [f64]) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            return unsafe { ln_axpy_avx512(x, w, acc) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { ln_axpy_avx2(x, w, acc) };
        }
    }
    ln_axpy_body(x, w, acc)
}

/// `out[i] = exp(x[i])`.
pub fn exp_slice(x: &[f64], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { exp_avx2(x, out) };
            return;
        }
    }
    exp_body(x, out);
}

/// The product of a column-major `m × k` matrix `x` with the column-major `k × b` matrix `w`
/// into the column-major `m × b` matrix `out`, as `b` sums of `k` scaled columns: the fast
/// form for small `k`, where a blocked product's packing does not pay.
pub fn weighted_columns(x: &[f64], m: usize, w: &[f64], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { weighted_columns_avx512(x, m, w, out) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { weighted_columns_avx2(x, m, w, out) };
            return;
        }
    }
    weighted_columns_body(x, m, w, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn weighted_columns_avx512(x: &[f64], m: usize, w: &[f64], out: &mut [f64]) {
    weighted_columns_body(x, m, w, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn weighted_columns_avx2(x: &[f64], m: usize, w: &[f64], out: &mut [f64]) {
    weighted_columns_body(x, m, w, out);
}

#[inline(always)]
fn weighted_columns_body(x: &[f64], m: usize, w: &[f64], out: &mut [f64]) {
    if m == 0 {
        return;
    }
    let k = x.len() / m;
    if k == 0 {
        out.fill(0.0);
        return;
    }
    for (o, wr) in out.chunks_exact_mut(m).zip(w.chunks_exact(k)) {
        let w0 = wr[0];
        for (a, v) in o.iter_mut().zip(&x[..m]) {
            *a = w0 * *v;
        }
        for (j, wj) in wr.iter().enumerate().skip(1) {
            let wj = *wj;
            for (a, v) in o.iter_mut().zip(&x[j * m..(j + 1) * m]) {
                *a += wj * *v;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn ln_axpy_avx512(x: &[f64], w: f64, acc: &mut [f64]) -> bool {
    ln_axpy_body(x, w, acc)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn ln_axpy_avx2(x: &[f64], w: f64, acc: &mut [f64]) -> bool {
    ln_axpy_body(x, w, acc)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn exp_avx2(x: &[f64], out: &mut [f64]) {
    exp_body(x, out);
}

/// ln x for positive normal x: x = m·2^e with m ∈ [√½, √2); ln m = 2·atanh(s) with
/// s = (m − 1)/(m + 1), |s| ≤ 0.1716, as 2s + s·R(s²) where R is the minimax polynomial of
/// degree 7 in s² published with fdlibm's `e_log.c` (Sun Microsystems, 1993; its error below
/// 2⁻⁵⁸·⁴⁵), evaluated as two interleaved chains; e·ln 2 in two parts (Cody & Waite).
#[inline(always)]
fn ln1(v: f64) -> f64 {
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // fdlibm's Lg1..Lg7, by their published bit patterns.
    const LG1: f64 = f64::from_bits(0x3FE5_5555_5555_5593);
    const LG2: f64 = f64::from_bits(0x3FD9_9999_9997_FA04);
    const LG3: f64 = f64::from_bits(0x3FD2_4924_9422_9359);
    const LG4: f64 = f64::from_bits(0x3FCC_71C5_1D8E_78AF);
    const LG5: f64 = f64::from_bits(0x3FC7_4664_96CB_03DE);
    const LG6: f64 = f64::from_bits(0x3FC3_9A09_D078_C69F);
    const LG7: f64 = f64::from_bits(0x3FC2_F112_DF3E_5244);
    let bits = v.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let big = m > std::f64::consts::SQRT_2;
    let m = if big { m * 0.5 } else { m };
    let e = (e + big as i64) as f64;
    let s = (m - 1.0) / (m + 1.0);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let lnm = 2.0 * s + s * (t1 + t2);
    e * LN2_HI + (lnm + e * LN2_LO)
}

#[inline(always)]
fn ln_axpy_body(x: &[f64], w: f64, acc: &mut [f64]) -> bool {
    // Positive, normal and finite: sign and exponent bits from 0x001 to 0x7fe.
    let mut bad = false;
    let n = acc.len().min(x.len());
    let (acc, x) = (&mut acc[..n], &x[..n]);
    // Blocks of several vectors' worth: the polynomial is a long chain of dependent
    // operations, and independent chains side by side keep the arithmetic units busy.
    const LANES: usize = 32;
    let mut blocks = acc.chunks_exact_mut(LANES);
    let mut xs = x.chunks_exact(LANES);
    for (a, v) in (&mut blocks).zip(&mut xs) {
        let mut l = [0.0; LANES];
        for (l, v) in l.iter_mut().zip(v) {
            bad |= (v.to_bits() >> 52).wrapping_sub(1) >= 0x7fe;
            *l = ln1(*v);
        }
        for (a, l) in a.iter_mut().zip(&l) {
            *a += w * l;
        }
    }
    for (a, v) in blocks.into_remainder().iter_mut().zip(xs.remainder()) {
        bad |= (v.to_bits() >> 52).wrapping_sub(1) >= 0x7fe;
        *a += w * ln1(*v);
    }
    !bad
}

/// exp x: x = k·ln 2 + r with k = round(x / ln 2) (by the 1.5·2⁵² rounding trick, which
/// vectorises), |r| ≤ ln 2 / 2, exp r by its Taylor series to r¹³ (the next term is below
/// 2⁻⁵⁷), times 2^k built from its bits. Outside ±708 (where 2^k leaves the normal range) the
/// standard library's `exp` is used.
#[inline(always)]
fn exp_body(x: &[f64], out: &mut [f64]) {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5·2⁵²
    let mut outside = false;
    for (o, y) in out.iter_mut().zip(x) {
        let y = *y;
        // NaN compares false: it takes the standard library's path too.
        outside |= y.abs().partial_cmp(&708.0) != Some(std::cmp::Ordering::Less);
        let t = y * LOG2E + MAGIC;
        let k = t - MAGIC;
        let ki = t.to_bits().wrapping_sub(MAGIC.to_bits());
        let r = (y - k * LN2_HI) - k * LN2_LO;
        let mut p = 1.0 / 6_227_020_800.0; // 1/13!
        p = p * r + 1.0 / 479_001_600.0;
        p = p * r + 1.0 / 39_916_800.0;
        p = p * r + 1.0 / 3_628_800.0;
        p = p * r + 1.0 / 362_880.0;
        p = p * r + 1.0 / 40_320.0;
        p = p * r + 1.0 / 5_040.0;
        p = p * r + 1.0 / 720.0;
        p = p * r + 1.0 / 120.0;
        p = p * r + 1.0 / 24.0;
        p = p * r + 1.0 / 6.0;
        p = p * r + 0.5;
        let er = 1.0 + (r + r * r * p);
        let scale = f64::from_bits(ki.wrapping_add(1023) << 52);
        *o = er * scale;
    }
    if outside {
        for (o, y) in out.iter_mut().zip(x) {
            if y.abs().partial_cmp(&708.0) != Some(std::cmp::Ordering::Less) {
                *o = y.exp();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(state: &mut u64) -> f64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*state >> 11) as f64 / (1u64 << 53) as f64
    }

    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn log_is_within_two_ulp_of_std() {
        let mut state = 11u64;
        let mut xs = vec![
            1.0,
            2.0,
            0.5,
            std::f64::consts::SQRT_2,
            1e-300,
            1e300,
            0.999_999,
        ];
        for _ in 0..200_000 {
            let mant = lcg(&mut state);
            let exp = (lcg(&mut state) * 80.0) as i32 - 40;
            xs.push((mant + 1e-3) * 2f64.powi(exp));
        }
        let mut got = vec![0.0; xs.len()];
        assert!(ln_axpy(&xs, 1.0, &mut got));
        let mut generic = vec![0.0; xs.len()];
        assert!(ln_axpy_body(&xs, 1.0, &mut generic));
        for ((x, g), h) in xs.iter().zip(&got).zip(&generic) {
            let want = x.ln();
            // Near ln x = 0 the result is tiny: compare absolutely there.
            assert!(
                ulps(*g, want) <= 2 || (g - want).abs() <= 2.0 * f64::EPSILON * 1e-3,
                "ln({x}) = {g}, std {want}"
            );
            assert_eq!(g.to_bits(), h.to_bits(), "AVX2 and baseline agree");
        }
    }

    #[test]
    fn weighted_columns_is_the_matrix_product() {
        let mut state = 3u64;
        for (m, k, b) in [(7, 1, 3), (300, 5, 64), (13, 9, 2), (4, 3, 0)] {
            let x: Vec<f64> = (0..m * k).map(|_| lcg(&mut state)).collect();
            let w: Vec<f64> = (0..k * b).map(|_| lcg(&mut state)).collect();
            let mut out = vec![f64::NAN; m * b];
            weighted_columns(&x, m, &w, &mut out);
            let mut generic = vec![f64::NAN; m * b];
            weighted_columns_body(&x, m, &w, &mut generic);
            let want = nalgebra::DMatrix::from_column_slice(m, k, &x)
                * nalgebra::DMatrix::from_column_slice(k, b, &w);
            for i in 0..m * b {
                assert!((out[i] - want[i]).abs() <= 1e-14, "{m}x{k}x{b}: entry {i}");
                assert_eq!(
                    out[i].to_bits(),
                    generic[i].to_bits(),
                    "same bits everywhere"
                );
            }
        }
    }

    #[test]
    fn log_reports_invalid_inputs() {
        let mut acc = vec![0.0; 37];
        assert!(ln_axpy(&[f64::MIN_POSITIVE; 37], 1.0, &mut acc));
        assert!(ln_axpy(&[f64::MAX; 37], 1.0, &mut acc));
        for bad in [0.0, -0.0, -1.0, 1e-310, f64::INFINITY, f64::NAN, -f64::NAN] {
            let mut v = vec![1.0; 37];
            v[29] = bad;
            assert!(!ln_axpy(&v, 1.0, &mut acc), "{bad}");
        }
    }

    #[test]
    fn exp_is_within_two_ulp_of_std() {
        let mut state = 5u64;
        let mut xs = vec![
            0.0, -0.0, 1.0, -1.0, 700.0, -700.0, 709.5, -745.0, -800.0, 1e-300,
        ];
        xs.push(f64::NAN);
        for _ in 0..200_000 {
            xs.push((lcg(&mut state) - 0.5) * 1400.0);
            xs.push((lcg(&mut state) - 0.5) * 4.0);
        }
        let mut got = vec![0.0; xs.len()];
        exp_slice(&xs, &mut got);
        let mut generic = vec![0.0; xs.len()];
        exp_body(&xs, &mut generic);
        for ((x, g), h) in xs.iter().zip(&got).zip(&generic) {
            let want = x.exp();
            if want.is_nan() {
                assert!(g.is_nan());
                continue;
            }
            assert!(ulps(*g, want) <= 2, "exp({x}) = {g}, std {want}");
            assert_eq!(g.to_bits(), h.to_bits(), "AVX2 and baseline agree");
        }
    }
}

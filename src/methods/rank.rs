//! Ranking: standard competition ranks and mid-ranks.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// Which end of the values gets rank 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// The largest value is rank 1 (result ranks, `rank_of`).
    HighestFirst,
    /// The smallest value is rank 1 (`normalise rank`: 1 = worst).
    LowestFirst,
}

/// The indices of the present (non-NaN) values of `x`, sorted by value in `order`; ties keep
/// their index order, so the result is deterministic.
pub fn sorted_present(x: &[f64], order: Order) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..x.len()).filter(|&i| !x[i].is_nan()).collect();
    idx.sort_by(|&a, &b| {
        let c = x[a].partial_cmp(&x[b]).unwrap_or(Ordering::Equal);
        match order {
            Order::LowestFirst => c,
            Order::HighestFirst => c.reverse(),
        }
    });
    idx
}

/// Standard competition ranks ("1224"): tied values share the best rank of their block, and
/// the next value skips the ranks they used. Written into `out` as `f64` (1.0, 2.0, ...).
///
/// # Formula
/// rank_i = 1 + #{j : x_j strictly better than x_i}, "better" meaning larger for
/// [`Order::HighestFirst`] and smaller for [`Order::LowestFirst`] (R's `rank(ties = "min")`).
///
/// # Reference
/// LANGUAGE.md "Conventions" (result ranks, 1, 2, 2, 4) and "Normalisation" (`rank`); tests by hand.
///
/// # Missing values
/// NaN gets no rank (NaN in `out`) and is not counted. Ranks are computed from the values as
/// given (unrounded). `out` must have the length of `x`; extra entries are left alone.
pub fn competition_ranks(x: &[f64], order: Order, out: &mut [f64]) {
    for (o, &v) in out.iter_mut().zip(x) {
        if v.is_nan() {
            *o = f64::NAN;
        }
    }
    let idx = sorted_present(x, order);
    let mut rank = 1.0;
    for (k, &i) in idx.iter().enumerate() {
        if k > 0 && x[i] != x[idx[k - 1]] {
            rank = (k + 1) as f64;
        }
        if let Some(o) = out.get_mut(i) {
            *o = rank;
        }
    }
}

/// Mid-ranks (ascending, ties share the mean of their ranks), as used by Spearman's rho.
///
/// # Formula
/// A block of t tied values occupying ranks r+1..r+t all get r + (t + 1)/2.
///
/// # Reference
/// R `rank(ties = "average")`; tests by hand.
///
/// # Missing values
/// NaN gets NaN and is not counted.
pub fn mid_ranks(x: &[f64], out: &mut [f64]) {
    for (o, &v) in out.iter_mut().zip(x) {
        if v.is_nan() {
            *o = f64::NAN;
        }
    }
    let idx = sorted_present(x, Order::LowestFirst);
    let mut start = 0;
    while start < idx.len() {
        let mut end = start + 1;
        while end < idx.len() && x[idx[end]] == x[idx[start]] {
            end += 1;
        }
        let mid = (start + end + 1) as f64 / 2.0;
        for &i in &idx[start..end] {
            if let Some(o) = out.get_mut(i) {
                *o = mid;
            }
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::tolerance::assert_all_close;

    const NAN: f64 = f64::NAN;

    /// Source: LANGUAGE.md "Conventions", standard competition ranking (1, 2, 2, 4).
    #[test]
    fn competition_highest_first() {
        let x = [5.0, 9.0, 7.0, NAN, 7.0, 1.0];
        let mut out = [0.0; 6];
        competition_ranks(&x, Order::HighestFirst, &mut out);
        assert_all_close(&out, &[4.0, 1.0, 2.0, NAN, 2.0, 5.0], 0.0, "ranks");
    }

    /// Source: by hand; R `rank(c(3, 1, 3, 2), ties = "min")` = 3 1 3 2.
    #[test]
    fn competition_lowest_first() {
        let mut out = [0.0; 4];
        competition_ranks(&[3.0, 1.0, 3.0, 2.0], Order::LowestFirst, &mut out);
        assert_all_close(&out, &[3.0, 1.0, 3.0, 2.0], 0.0, "ranks");
    }

    /// Source: by hand; R `rank(c(10, 20, 10, 30, 20, 20), ties = "average")` = 1.5 4 1.5 6 4 4.
    #[test]
    fn average_ties() {
        let x = [10.0, 20.0, 10.0, 30.0, 20.0, NAN, 20.0];
        let mut out = [0.0; 7];
        mid_ranks(&x, &mut out);
        assert_all_close(&out, &[1.5, 4.0, 1.5, 6.0, 4.0, NAN, 4.0], 0.0, "mid-ranks");
    }

    #[test]
    fn all_missing_and_empty() {
        let mut out = [0.0; 2];
        competition_ranks(&[NAN, NAN], Order::HighestFirst, &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
        competition_ranks(&[], Order::HighestFirst, &mut []);
    }
}

/// Standard competition ranks (1, 2, 2, 4), highest value first, of the rows where `include`
/// holds and the value is present; 0 for the others. The same ranks as [`competition_ranks`]
/// with [`Order::HighestFirst`], sorting integer keys, for columns of a million values.
///
/// # Missing values
/// NaN rows, and rows not included, get rank 0.
pub fn competition_ranks_desc(values: &[f64], include: impl Fn(usize) -> bool) -> Vec<u32> {
    let mut out = vec![0u32; values.len()];
    competition_ranks_desc_into(values, include, &mut Vec::new(), &mut out);
    out
}

/// [`competition_ranks_desc`] into `out` (as long as `values`), with a reusable key buffer, for
/// the many small rankings of a Monte Carlo.
pub fn competition_ranks_desc_into(
    values: &[f64],
    include: impl Fn(usize) -> bool,
    keys: &mut Vec<u64>,
    out: &mut [u32],
) {
    // Sort single integers: the descending key with its lowest bits replaced by the row, so
    // the sort moves 8 bytes per entry instead of 16. Rows whose keys agree above those bits
    // are then put in full-key order, so the order is exact.
    let bits = usize::BITS - values.len().max(1).leading_zeros();
    let low: u64 = (1u64 << bits) - 1;
    keys.clear();
    keys.reserve(values.len());
    keys.extend(
        values
            .iter()
            .enumerate()
            .filter(|(i, v)| !v.is_nan() && include(*i))
            .map(|(i, v)| (!ascending_key(*v) & !low) | i as u64),
    );
    if keys.len() >= RADIX_MIN_KEYS {
        // The keys were made in row order: a stable sort on the bits above the row's leaves
        // them in full-key order, as the comparison sort would.
        radix_sort_above(keys, bits);
    } else {
        keys.sort_unstable();
    }
    let full = |k: &u64| !ascending_key(values[(k & low) as usize]);
    let mut a = 0;
    while a < keys.len() {
        let mut b = a + 1;
        while b < keys.len() && keys[b] & !low == keys[a] & !low {
            b += 1;
        }
        if b - a > 1 {
            keys[a..b].sort_unstable_by_key(full);
        }
        a = b;
    }
    out.fill(0);
    // Keys that differ above the row bits are of different values, except 0.0 and -0.0, which
    // are equal: only keys alike there, or both at zero, need the values (read at random).
    let zero_high = [!ascending_key(0.0) & !low, !ascending_key(-0.0) & !low];
    let at_zero = |high: u64| zero_high.contains(&high);
    let mut prev: Option<(usize, u64, u32)> = None;
    for (k, key) in keys.iter().enumerate() {
        let i = (key & low) as usize;
        let high = key & !low;
        let r = match prev {
            Some((p, prev_high, prev_rank))
                if (high == prev_high || (at_zero(high) && at_zero(prev_high)))
                    && values[i] == values[p] =>
            {
                prev_rank
            }
            _ => k as u32 + 1,
        };
        out[i] = r;
        prev = Some((i, high, r));
    }
}

/// From this many keys, ranking sorts by radix rather than by comparison.
const RADIX_MIN_KEYS: usize = 1 << 16;

/// Bits per radix digit: 2048 counters fit in the L1 cache.
const RADIX_BITS: u32 = 11;

/// Sorts `keys` stably by their bits from `low_bits` up (the bits below are ignored: keys equal
/// above them keep their order), least significant digit first. Digits that are the same in
/// every key are skipped. `keys` is grown to twice its length for the scratch half and given
/// back at its length, so a reused buffer costs no fresh memory.
fn radix_sort_above(keys: &mut Vec<u64>, low_bits: u32) {
    let n = keys.len();
    let digits = (64 - low_bits).div_ceil(RADIX_BITS) as usize;
    let mask = (1u64 << RADIX_BITS) - 1;
    let shift = |d: usize| low_bits + d as u32 * RADIX_BITS;
    let mut counts = vec![[0usize; 1 << RADIX_BITS]; digits];
    for &k in keys.iter() {
        for (d, c) in counts.iter_mut().enumerate() {
            c[((k >> shift(d)) & mask) as usize] += 1;
        }
    }
    keys.resize(2 * n, 0);
    let (mut from, mut to) = keys.split_at_mut(n);
    let mut in_first = true;
    for (d, c) in counts.iter_mut().enumerate() {
        if c.contains(&n) {
            continue; // one value of this digit: the order stays
        }
        let mut sum = 0;
        for x in c.iter_mut() {
            let here = *x;
            *x = sum;
            sum += here;
        }
        let s = shift(d);
        for &k in from.iter() {
            let b = ((k >> s) & mask) as usize;
            to[c[b]] = k;
            c[b] += 1;
        }
        std::mem::swap(&mut from, &mut to);
        in_first = !in_first;
    }
    if !in_first {
        let (a, b) = keys.split_at_mut(n);
        a.copy_from_slice(b);
    }
    keys.truncate(n);
}

/// An unsigned key with the order of the float (IEEE 754 total order).
fn ascending_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

#[cfg(test)]
mod radix_tests {
    use super::*;

    /// The ranks of the comparison sort, whatever the size, for checking the radix path.
    fn reference(values: &[f64], include: impl Fn(usize) -> bool) -> Vec<u32> {
        let kept: Vec<f64> = values
            .iter()
            .enumerate()
            .map(|(i, v)| if include(i) { *v } else { f64::NAN })
            .collect();
        let mut want = vec![0.0; values.len()];
        competition_ranks(&kept, Order::HighestFirst, &mut want);
        want.iter()
            .map(|w| if w.is_nan() { 0 } else { *w as u32 })
            .collect()
    }

    /// Columns large enough for the radix sort, with ties, near-ties a few ulp apart, both
    /// zeros, negative values, infinities, missing values and excluded rows: the same ranks as
    /// the comparison sort, also through a reused key buffer.
    #[test]
    fn radix_path_equals_comparison_sort() {
        let mut state = 11u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        let mut keys = Vec::new();
        for (case, n) in [RADIX_MIN_KEYS, 100_000, 300_001].into_iter().enumerate() {
            let values: Vec<f64> = (0..n)
                .map(|i| match next() % 20 {
                    0 => f64::NAN,
                    1 => -0.0,
                    2 => 0.0,
                    3 => (next() % 50) as f64 / 8.0,
                    4 => f64::from_bits(0.5f64.to_bits() + next() % 5),
                    5 => -((next() % 1000) as f64),
                    6 if i % 1000 == 0 => f64::INFINITY,
                    7 if i % 1000 == 0 => f64::NEG_INFINITY,
                    _ => (next() % (1 << 40)) as f64 / (1u64 << 40) as f64,
                })
                .collect();
            let include = |i: usize| !(i + case).is_multiple_of(13);
            let want = reference(&values, include);
            let mut got = vec![7u32; n];
            competition_ranks_desc_into(&values, include, &mut keys, &mut got);
            assert_eq!(got, want, "n = {n}");
            assert_eq!(
                competition_ranks_desc(&values, |_| true),
                reference(&values, |_| true)
            );
        }
        // A column where every value is the same: one digit pass after another is skipped.
        let same = vec![0.25; RADIX_MIN_KEYS + 3];
        assert!(competition_ranks_desc(&same, |_| true)
            .iter()
            .all(|r| *r == 1));
    }

    #[test]
    fn radix_ranks_equal_competition_ranks() {
        let mut state = 7u64;
        let values: Vec<f64> = (0..5000)
            .map(|i| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                match i % 50 {
                    0 => f64::NAN,
                    1 => -0.0,
                    2 => 0.0,
                    _ => ((state >> 40) % 300) as f64 - 150.0 + 0.25,
                }
            })
            .collect();
        let mut want = vec![0.0; values.len()];
        competition_ranks(&values, Order::HighestFirst, &mut want);
        let got = competition_ranks_desc(&values, |_| true);
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(*g as f64, if w.is_nan() { 0.0 } else { *w });
        }
    }

    /// Values a few ulp apart agree in the key bits that the packed sort keeps: the full-key
    /// pass must still order them exactly, ties included.
    #[test]
    fn near_ties_below_the_packed_bits_are_ordered_exactly() {
        let mut state = 3u64;
        let values: Vec<f64> = (0..3000)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                f64::from_bits(1.0f64.to_bits() + (state >> 33) % 700)
            })
            .collect();
        let mut want = vec![0.0; values.len()];
        competition_ranks(&values, Order::HighestFirst, &mut want);
        let mut got = vec![0u32; values.len()];
        let mut keys = Vec::new();
        competition_ranks_desc_into(&values, |i| i % 7 != 0, &mut keys, &mut got);
        let kept: Vec<f64> = values
            .iter()
            .enumerate()
            .map(|(i, v)| if i % 7 != 0 { *v } else { f64::NAN })
            .collect();
        competition_ranks(&kept, Order::HighestFirst, &mut want);
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(*g as f64, if w.is_nan() { 0.0 } else { *w });
        }
    }
}

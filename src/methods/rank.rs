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
    let (bits, low) = packed_keys(values, include, keys);
    // The keys were made in row order: sorted above the row's bits, they are ordered as
    // ranks_from_sorted_keys needs.
    sort_above(keys, bits);
    ranks_from_sorted_keys(values, keys, low, out);
}

/// Fills `keys` with one integer per ranked row (present and included), in row order: the
/// descending key of its value with its lowest bits replaced by the row. Returns the number of
/// those bits and their mask.
fn packed_keys(values: &[f64], include: impl Fn(usize) -> bool, keys: &mut Vec<u64>) -> (u32, u64) {
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
    (bits, low)
}

/// Buffers for [`RankBuffers::ranks_desc`], reused across the many rankings of a Monte Carlo.
#[derive(Debug, Default)]
pub struct RankBuffers {
    keys: Vec<u64>,
    sorted: Vec<u64>,
    buckets: Vec<u32>,
    starts: Vec<u32>,
}

impl RankBuffers {
    /// [`competition_ranks_desc_into`] for short columns, by a bucket sort: each key goes to the
    /// bucket of its value's place between the largest and the smallest value (two buckets per
    /// value), and an insertion sort puts each bucket's few keys in order. Columns
    /// whose values bunch up (or that are infinite) fall back to a full sort, so the ranks are
    /// always those of [`competition_ranks_desc_into`].
    pub fn ranks_desc(&mut self, values: &[f64], include: impl Fn(usize) -> bool, out: &mut [u32]) {
        let RankBuffers {
            keys,
            sorted,
            buckets,
            starts,
        } = self;
        let (_, low) = packed_keys(values, include, keys);
        let n = keys.len();
        // The extremes from the keys' own order (the position bits do not change it).
        let (Some(first), Some(last)) = (keys.iter().min(), keys.iter().max()) else {
            return ranks_from_sorted_keys(values, keys, low, out);
        };
        let hi = values[(first & low) as usize];
        let lo = values[(last & low) as usize];
        // Two buckets per value: most buckets hold one key or none.
        let nb = 2 * n;
        let scale = nb as f64 / (hi - lo);
        if n < 2 || !(scale.is_finite() && scale > 0.0) {
            keys.sort_unstable();
            ranks_from_sorted_keys(values, keys, low, out);
            return;
        }
        // Descending: the largest value is in bucket 0. (hi − v)·scale is monotone in v, so
        // keys in different buckets are already in order.
        buckets.clear();
        buckets
            .extend(keys.iter().map(|k| {
                (((hi - values[(k & low) as usize]) * scale) as usize).min(nb - 1) as u32
            }));
        starts.clear();
        starts.resize(nb, 0);
        let starts = &mut starts[..];
        for b in buckets.iter() {
            starts[*b as usize] += 1;
        }
        let mut start = 0;
        for s in starts.iter_mut() {
            let c = *s;
            *s = start;
            start += c;
        }
        sorted.clear();
        sorted.resize(n, 0);
        for (k, b) in keys.iter().zip(buckets.iter()) {
            let s = &mut starts[*b as usize];
            sorted[*s as usize] = *k;
            *s += 1;
        }
        let sorted = &mut sorted[..];
        finish_nearly_sorted(sorted, 8);
        ranks_from_sorted_keys(values, sorted, low, out);
    }
}

/// The ranks from keys sorted as [`competition_ranks_desc_into`] packs them (the descending
/// key above the bits `low`, the position in them): rows whose keys agree above those bits
/// are first put in full-key order, so the order is exact.
pub fn ranks_from_sorted_keys(values: &[f64], keys: &mut [u64], low: u64, out: &mut [u32]) {
    let high = !low;
    // Runs that agree above `low` are rare (a tie, or values a few ulp apart): one scan finds
    // whether there are any.
    if keys.windows(2).any(|w| (w[0] ^ w[1]) & high == 0) {
        let full = |k: &u64| !ascending_key(values[(k & low) as usize]);
        let mut a = 0;
        while a < keys.len() {
            let mut b = a + 1;
            while b < keys.len() && keys[b] & high == keys[a] & high {
                b += 1;
            }
            if b - a > 1 {
                keys[a..b].sort_unstable_by_key(full);
            }
            a = b;
        }
    }
    out.fill(0);
    // Equal values have equal keys: only neighbours that agree above `low` can tie.
    let mut prev = usize::MAX;
    let mut prev_rank = 0u32;
    for (k, key) in keys.iter().enumerate() {
        let i = (key & low) as usize;
        let tie = k > 0 && (keys[k - 1] ^ key) & high == 0 && values[i] == values[prev];
        let r = if tie { prev_rank } else { k as u32 + 1 };
        out[i] = r;
        prev = i;
        prev_rank = r;
    }
}

/// Sorts keys made in the order of their low `low_bits` bits (a row number) by the bits above,
/// keeping that order among keys equal above them: by radix for many keys, else by
/// comparison (which, the low bits being in order, gives the same).
pub fn sort_above(keys: &mut Vec<u64>, low_bits: u32) {
    if keys.len() >= RADIX_MIN_KEYS {
        radix_sort_above(keys, low_bits);
    } else {
        keys.sort_unstable();
    }
}

/// From this many keys, ranking sorts by radix rather than by comparison.
const RADIX_MIN_KEYS: usize = 1 << 16;

/// Bits per radix digit: 2048 counters fit in the L1 cache.
const RADIX_BITS: u32 = 11;

/// Sorts `keys` by their bits from `low_bits` up, keeping the order of keys equal there (the
/// bits below are a row number, in order: the result is the keys in full order).
///
/// Least significant digit first over the two digits at the top of the bits that vary among
/// the keys, then an insertion pass that orders keys agreeing on those 22 bits — few, and
/// next to each other. Where they are not few (values bunched below a couple of outliers),
/// the insertion pass gives up after a few moves per key and the keys are sorted by
/// comparison. `keys` is grown to twice its length for the scratch half and given back at its
/// length, so a reused buffer costs no fresh memory.
fn radix_sort_above(keys: &mut Vec<u64>, low_bits: u32) {
    let n = keys.len();
    let Some(&first) = keys.first() else {
        return;
    };
    let above = !((1u64 << low_bits) - 1);
    let varying = keys.iter().fold(0u64, |acc, k| acc | ((k ^ first) & above));
    if varying == 0 {
        return; // all equal above the row bits: already in order
    }
    let top = 64 - varying.leading_zeros();
    let bottom = top.saturating_sub(2 * RADIX_BITS).max(low_bits);
    let digits = (top - bottom).div_ceil(RADIX_BITS) as usize;
    let mask = (1u64 << RADIX_BITS) - 1;
    let shift = |d: usize| bottom + d as u32 * RADIX_BITS;
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
    if bottom > low_bits {
        // Keys agreeing on the sorted digits are still in row order among themselves.
        finish_nearly_sorted(keys, 4);
    }
}

/// Sorts keys that are nearly in order by insertion, which costs a pass when they are; after
/// more than `per_key` moves per key on average, by comparison instead.
fn finish_nearly_sorted(keys: &mut [u64], per_key: usize) {
    let budget = per_key * keys.len();
    let mut moved = 0;
    for i in 1..keys.len() {
        let k = keys[i];
        let mut j = i;
        while j > 0 && keys[j - 1] > k {
            keys[j] = keys[j - 1];
            j -= 1;
        }
        keys[j] = k;
        moved += i - j;
        if moved > budget {
            keys.sort_unstable();
            return;
        }
    }
}

/// An unsigned key with the order of the float (IEEE 754 total order, except that −0 and +0
/// are one value, as they compare equal).
pub fn ascending_key(v: f64) -> u64 {
    let bits = (v + 0.0).to_bits();
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
        // Scores in a narrow range (the top digits decide nearly everything, the insertion pass
        // the rest), and values bunched below two outliers (the insertion pass gives up).
        let narrow: Vec<f64> = (0..200_000)
            .map(|_| 0.3 + (next() % (1 << 45)) as f64 / (1u64 << 47) as f64)
            .collect();
        let mut bunched: Vec<f64> = (0..200_000)
            .map(|_| 1.0 + (next() % 1000) as f64 * 1e-12)
            .collect();
        bunched[5] = 1e300;
        bunched[7] = -1e300;
        for values in [narrow, bunched] {
            let include = |i: usize| i % 17 != 4;
            let mut got = vec![7u32; values.len()];
            competition_ranks_desc_into(&values, include, &mut keys, &mut got);
            assert_eq!(got, reference(&values, include));
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

    /// The bucket sort gives the ranks of the plain sort: spread, bunched (one outlier, so
    /// that most values share a bucket), tied, near-tied, signed-zero, infinite, missing and
    /// excluded values.
    #[test]
    fn bucketed_ranks_equal_sorted_ranks() {
        let mut state = 9u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        let mut buffers = RankBuffers::default();
        for m in [0usize, 1, 2, 3, 17, 300, 1000] {
            for shape in 0..4 {
                let values: Vec<f64> = (0..m)
                    .map(|i| match (shape, next() % 40) {
                        (_, 0) => f64::NAN,
                        (_, 1) => 0.5,
                        (_, 2) => f64::from_bits(0.5f64.to_bits() + 1 + next() % 3),
                        (_, 3) => -0.0,
                        (_, 4) => 0.0,
                        (1, 5) => 1e6,
                        (2, 5) => f64::INFINITY,
                        (3, _) => 0.25,
                        _ => (i as f64).sin() + (next() % 1000) as f64 * 1e-4,
                    })
                    .collect();
                let include = |i: usize| i % 11 != 3;
                let mut want = vec![0u32; m];
                competition_ranks_desc_into(&values, include, &mut Vec::new(), &mut want);
                let mut got = vec![7u32; m];
                buffers.ranks_desc(&values, include, &mut got);
                assert_eq!(got, want, "m = {m}, shape {shape}");
            }
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

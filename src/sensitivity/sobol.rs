//! Sobol' sensitivity indices: a scrambled Sobol' sequence, the Saltelli design for first and
//! total indices, and their estimators with bootstrap intervals, for many outputs at once.
//!
//! The three parts, in the order a caller uses them:
//!
//! 1. [`Sobol`]: the Sobol' low-discrepancy sequence with the Joe & Kuo (2008)
//!    `new-joe-kuo-6.21201` direction numbers ([`MAX_DIMS`] dimensions), optionally scrambled by
//!    a random linear matrix scramble and a digital shift (LMS + shift, as scipy's
//!    `qmc.Sobol(scramble=True)`), driven by ChaCha8 so a seed gives the same points everywhere.
//! 2. [`Design`]: the Saltelli design without second order, as SALib 1.6's
//!    `SALib.sample.sobol.sample(problem, N, calc_second_order=False, scramble=True)` builds it:
//!    one 2d-dimensional sequence of N points, A = its first d columns, B = its last d, and for
//!    each factor i the matrix AB_i = A with factor i's columns taken from B. A factor owns one or
//!    more scalar columns (a group factor swaps all of them together, as SALib's `groups`); a
//!    categorical factor is one column that the caller maps to one of k levels by ⌊u·k⌋.
//!    Rows come in SALib's order: for each base sample j, A_j, AB_1j … AB_Dj, B_j, so
//!    N·(D + 2) rows. As in SALib 1.6 (`skip_values = 0`), no point is skipped: the scrambled
//!    first point is the random shift, not the degenerate origin.
//! 3. [`analyze`]: Saltelli et al. (2010) first-order and Jansen (1999) total-effect estimates,
//!    with the variance of [f_A; f_B] as SALib's `SALib.analyze.sobol.analyze(...,
//!    calc_second_order=False)` computes them, and bootstrap confidence half-widths, for a matrix
//!    of outputs (for instance one column per unit's score).
//!
//! What differs from SALib, on purpose: the random streams (ChaCha8, not numpy's PCG64, so the
//! scrambled points and the bootstrap resamples are not SALib's; the estimates agree within
//! their Monte Carlo error, and the estimators agree to rounding on the same model outputs), and
//! a constant output gives NaN indices where SALib returns zeros.

mod directions;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, Normal};
use std::fmt;

/// Bits per coordinate: every point is a multiple of 2⁻³² in [0, 1).
pub const BITS: usize = 32;
/// Dimensions of the direction-number table, so a [`Design`] takes at most `MAX_DIMS / 2`
/// scalar inputs.
pub const MAX_DIMS: usize = directions::DIMS;
/// The sequence has 2³² distinct points.
pub const MAX_POINTS: u64 = 1 << BITS;

/// ChaCha8 stream of the scramble, and of the bootstrap: two fixed streams far from the small
/// stream numbers that `qindex uncertainty` gives its replications, so one seed can drive all.
const SCRAMBLE_STREAM: u64 = u64::MAX - 1;
const BOOTSTRAP_STREAM: u64 = u64::MAX - 2;

/// Why a sequence, a design or an analysis could not be made. Factor and column numbers are
/// 0-based.
#[derive(Debug, Clone, PartialEq)]
pub enum SobolError {
    /// A sequence of 0 dimensions: `Sobol::new(0)`.
    NoDimensions,
    /// `samples 0`: a design needs N ≥ 1 base samples.
    NoSamples,
    /// More base samples than the sequence has distinct points (2³²).
    TooManySamples { n: usize },
    /// A design with no factors: `Design::new(64, vec![], 1)`.
    NoFactors,
    /// A factor with no columns: `Design::new(64, vec![vec![0], vec![]], 1)`.
    EmptyFactor { factor: usize },
    /// A column number ≥ the number of columns (d, the total over the factors):
    /// `Design::new(64, vec![vec![0], vec![5]], 1)`.
    ColumnOutOfRange {
        factor: usize,
        column: usize,
        dims: usize,
    },
    /// A column owned twice: `Design::new(64, vec![vec![0, 1], vec![1]], 1)`.
    DuplicateColumn { column: usize },
    /// More dimensions than the direction-number table has: a design of d scalar inputs needs
    /// 2d dimensions.
    TooManyDimensions { dims: usize, max: usize },
    /// The outputs' length is not N·(D + 2)·outputs.
    OutputShape { len: usize, expected: usize },
    /// A confidence level outside (0, 1).
    BadConfLevel { level: f64 },
}

impl fmt::Display for SobolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SobolError::*;
        match self {
            NoDimensions => write!(f, "a Sobol' sequence needs at least one dimension"),
            NoSamples => write!(
                f,
                "the sensitivity analysis needs at least 1 base sample; use `samples 1024` or another power of two"
            ),
            TooManySamples { n } => write!(
                f,
                "{n} base samples is more than the {MAX_POINTS} distinct points of the Sobol' sequence"
            ),
            NoFactors => write!(
                f,
                "the sensitivity analysis needs at least one uncertain factor in the `uncertainty` block"
            ),
            EmptyFactor { factor } => {
                write!(f, "factor {} draws no numbers", factor + 1)
            }
            ColumnOutOfRange {
                factor,
                column,
                dims,
            } => write!(
                f,
                "factor {} uses column {column}, but the factors have {dims} columns in all (0..{dims})",
                factor + 1
            ),
            DuplicateColumn { column } => {
                write!(f, "column {column} belongs to more than one factor")
            }
            TooManyDimensions { dims, max } => write!(
                f,
                "the design needs {dims} Sobol' dimensions (2 per scalar input) but the table has {max}; \
                 reduce the inputs to at most {} (for instance `vary weights in NODE` on fewer nodes)",
                max / 2
            ),
            OutputShape { len, expected } => write!(
                f,
                "{len} model outputs given, expected N·(D + 2)·outputs = {expected}"
            ),
            BadConfLevel { level } => {
                write!(f, "the confidence level is {level}; it must be in (0, 1)")
            }
        }
    }
}

impl std::error::Error for SobolError {}

/// A Sobol' sequence in base 2 with [`BITS`]-bit coordinates, unscrambled or LMS + shift
/// scrambled.
///
/// # Formula
/// Dimension d has a primitive polynomial x^s + a₁x^(s−1) + … + a_(s−1)x + 1 and initial
/// direction integers m₁ … m_s (Joe & Kuo 2008, S. Joe and F. Y. Kuo, "Constructing Sobol
/// sequences with better two-dimensional projections", SIAM J. Sci. Comput. 30:2635–2654; the
/// `new-joe-kuo-6.21201` table). Further integers follow the recurrence
/// m_k = 2a₁m_(k−1) ⊕ 2²a₂m_(k−2) ⊕ … ⊕ 2^s m_(k−s) ⊕ m_(k−s), and v_k = m_k / 2^k.
/// Point i (in Gray-code order, as scipy) is x_i = ⊕_k g_k v_k with g = i ⊕ (i >> 1), so
/// point i + 1 = point i ⊕ v_(c+1), c the number of trailing zeros of i + 1. Dimension 0 is the
/// van der Corput sequence (all m_k = 1).
///
/// Scrambled (Matoušek 1998; Owen 2020, "On dropping the first Sobol' point"), as scipy's
/// `Sobol(scramble=True)`: each dimension's direction numbers, as bit vectors (most significant
/// first), are multiplied over GF(2) by a random lower-triangular matrix with unit diagonal, and
/// every point is XORed with a random shift. The first 2^k points' k leading bits still run
/// through every value, so each 1-D projection of 2^k points keeps exactly one point in each
/// interval [i/2^k, (i + 1)/2^k). The random bits are ChaCha8 words from `seed` (stream
/// [`u64::MAX`] − 1): for each dimension in order, 32 matrix rows then the shift.
#[derive(Debug, Clone)]
pub struct Sobol {
    dims: usize,
    /// `v[d * BITS + k]`: dimension d's direction number v_(k+1), bit 31 = 1/2.
    v: Vec<u32>,
    shift: Vec<u32>,
}

impl Sobol {
    /// The unscrambled sequence (its first point is the origin), as scipy's
    /// `qmc.Sobol(d, scramble=False)` to every bit scipy keeps.
    pub fn new(dims: usize) -> Result<Sobol, SobolError> {
        if dims == 0 {
            return Err(SobolError::NoDimensions);
        }
        if dims > MAX_DIMS {
            return Err(SobolError::TooManyDimensions {
                dims,
                max: MAX_DIMS,
            });
        }
        let mut v = vec![0u32; dims * BITS];
        let mut offset = 0;
        for d in 0..dims {
            let poly = directions::POLY[d];
            let s = (31 - poly.leading_zeros()) as usize;
            let mut m = [1u64; BITS];
            if d > 0 {
                for (k, mk) in m.iter_mut().enumerate().take(s) {
                    *mk = u64::from(directions::M_INIT[offset + k]);
                }
                for k in s..BITS {
                    let mut new = m[k - s] ^ (m[k - s] << s);
                    for i in 1..s {
                        if (poly >> (s - i)) & 1 == 1 {
                            new ^= m[k - i] << i;
                        }
                    }
                    m[k] = new;
                }
            }
            offset += s;
            for (k, &mk) in m.iter().enumerate() {
                // m_k < 2^k (1-based k), so the shifted value fits in 32 bits.
                v[d * BITS + k] = (mk << (BITS - 1 - k)) as u32;
            }
        }
        Ok(Sobol {
            dims,
            v,
            shift: vec![0; dims],
        })
    }

    /// The LMS + shift scrambled sequence for `seed` (see the type's docs).
    pub fn scrambled(dims: usize, seed: u64) -> Result<Sobol, SobolError> {
        let mut seq = Sobol::new(dims)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(SCRAMBLE_STREAM);
        for d in 0..dims {
            // Row p gives bit p (p = 0 is the 1/2 bit): the diagonal, and random bits to its
            // left (the more significant ones) only.
            let mut rows = [0u32; BITS];
            for (p, row) in rows.iter_mut().enumerate() {
                let diag = 1u32 << (BITS - 1 - p);
                *row = (rng.next_u32() & !(diag | (diag - 1))) | diag;
            }
            for vk in &mut seq.v[d * BITS..(d + 1) * BITS] {
                let mut y = 0u32;
                for (p, row) in rows.iter().enumerate() {
                    y |= ((row & *vk).count_ones() & 1) << (BITS - 1 - p);
                }
                *vk = y;
            }
            seq.shift[d] = rng.next_u32();
        }
        Ok(seq)
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Coordinate `dim` of point `index`, in [0, 1). Panics if `dim` ≥ [`Sobol::dims`].
    pub fn coordinate(&self, index: u32, dim: usize) -> f64 {
        let v = &self.v[dim * BITS..(dim + 1) * BITS];
        let mut gray = index ^ (index >> 1);
        let mut x = self.shift[dim];
        while gray != 0 {
            x ^= v[gray.trailing_zeros() as usize];
            gray &= gray - 1;
        }
        f64::from(x) * (1.0 / MAX_POINTS as f64)
    }

    /// Point `index` into `out` (`out.len()` coordinates, from dimension 0).
    pub fn point(&self, index: u32, out: &mut [f64]) {
        for (d, o) in out.iter_mut().enumerate() {
            *o = self.coordinate(index, d);
        }
    }
}

/// Which matrix of the Saltelli design a row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    A,
    /// A with factor i's columns from B.
    Ab(usize),
    B,
}

/// The Saltelli design without second order: N base samples, D factors over d scalar columns,
/// N·(D + 2) model evaluations in SALib's order (for each base sample j: A_j, AB_1j … AB_Dj,
/// B_j). See the module docs.
#[derive(Debug, Clone)]
pub struct Design {
    n: usize,
    dims: usize,
    factors: Vec<Vec<usize>>,
    /// The factor that owns each column.
    factor_of: Vec<usize>,
    /// 2·dims dimensions: A's columns, then B's.
    seq: Sobol,
}

impl Design {
    /// A design of `n` base samples over `factors`, each the list of its scalar columns; the
    /// lists must partition 0..d, d being their total length. The sequence is scrambled with
    /// `seed`.
    pub fn new(n: usize, factors: Vec<Vec<usize>>, seed: u64) -> Result<Design, SobolError> {
        let (dims, factor_of) = check_factors(n, &factors)?;
        let seq = Sobol::scrambled(2 * dims, seed)?;
        Ok(Design {
            n,
            dims,
            factors,
            factor_of,
            seq,
        })
    }

    /// The same design on the unscrambled sequence, as SALib's `scramble=False` (whose first
    /// point is the origin in every dimension: for teaching and tests, not for analyses).
    pub fn unscrambled(n: usize, factors: Vec<Vec<usize>>) -> Result<Design, SobolError> {
        let (dims, factor_of) = check_factors(n, &factors)?;
        let seq = Sobol::new(2 * dims)?;
        Ok(Design {
            n,
            dims,
            factors,
            factor_of,
            seq,
        })
    }

    /// N, the number of base samples.
    pub fn n(&self) -> usize {
        self.n
    }

    /// d, the number of scalar columns of a row.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Each factor's columns, as given.
    pub fn factors(&self) -> &[Vec<usize>] {
        &self.factors
    }

    /// D + 2, the rows per base sample.
    pub fn blocks(&self) -> usize {
        self.factors.len() + 2
    }

    /// N·(D + 2), the number of model evaluations.
    pub fn rows(&self) -> usize {
        self.n * self.blocks()
    }

    /// The base sample and block of row `r`.
    pub fn block(&self, r: usize) -> (usize, Block) {
        let (j, b) = (r / self.blocks(), r % self.blocks());
        let block = match b {
            0 => Block::A,
            b if b == self.blocks() - 1 => Block::B,
            b => Block::Ab(b - 1),
        };
        (j, block)
    }

    /// Row `r`'s d uniforms in [0, 1) into `out`. Panics if `r` ≥ [`Design::rows`] or
    /// `out.len()` ≠ [`Design::dims`] (the caller's sizes, not user input).
    pub fn row(&self, r: usize, out: &mut [f64]) {
        assert!(r < self.rows(), "row {r} of a design of {}", self.rows());
        assert_eq!(
            out.len(),
            self.dims,
            "a design row has {} columns",
            self.dims
        );
        let (j, block) = self.block(r);
        // `check_factors` keeps n ≤ 2^32, so j fits.
        let j = j as u32;
        for (c, o) in out.iter_mut().enumerate() {
            let from_b = match block {
                Block::A => false,
                Block::B => true,
                Block::Ab(i) => self.factor_of[c] == i,
            };
            *o = self
                .seq
                .coordinate(j, if from_b { self.dims + c } else { c });
        }
    }
}

/// Checks the design's sizes; returns d and each column's factor.
fn check_factors(n: usize, factors: &[Vec<usize>]) -> Result<(usize, Vec<usize>), SobolError> {
    if n == 0 {
        return Err(SobolError::NoSamples);
    }
    if n as u64 > MAX_POINTS {
        return Err(SobolError::TooManySamples { n });
    }
    if factors.is_empty() {
        return Err(SobolError::NoFactors);
    }
    let dims: usize = factors.iter().map(Vec::len).sum();
    let mut factor_of = vec![usize::MAX; dims];
    for (i, cols) in factors.iter().enumerate() {
        if cols.is_empty() {
            return Err(SobolError::EmptyFactor { factor: i });
        }
        for &c in cols {
            if c >= dims {
                return Err(SobolError::ColumnOutOfRange {
                    factor: i,
                    column: c,
                    dims,
                });
            }
            if factor_of[c] != usize::MAX {
                return Err(SobolError::DuplicateColumn { column: c });
            }
            factor_of[c] = i;
        }
    }
    // d columns, none out of range or repeated: each of 0..d is owned exactly once.
    if 2 * dims > MAX_DIMS {
        return Err(SobolError::TooManyDimensions {
            dims: 2 * dims,
            max: MAX_DIMS,
        });
    }
    Ok((dims, factor_of))
}

/// How to analyse.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzeOptions {
    /// Bootstrap resamples (SALib's default 100). Fewer than 2 give NaN half-widths.
    pub num_resamples: usize,
    /// The confidence level of the half-widths, in (0, 1) (0.95).
    pub conf_level: f64,
    /// Seed of the bootstrap's ChaCha8 stream ([`u64::MAX`] − 2, apart from the scramble's).
    pub seed: u64,
    /// Threads; 0 = [`crate::threads`]. The results are identical for any value.
    pub threads: usize,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            num_resamples: 100,
            conf_level: 0.95,
            seed: 0,
            threads: 0,
        }
    }
}

/// First-order and total indices of every output and factor, with confidence half-widths.
/// The vectors are output-major: entry `o * factors + i` is output o's index for factor i.
#[derive(Debug, Clone, PartialEq)]
pub struct Indices {
    pub n: usize,
    pub factors: usize,
    pub outputs: usize,
    pub s1: Vec<f64>,
    pub s1_conf: Vec<f64>,
    pub st: Vec<f64>,
    pub st_conf: Vec<f64>,
    /// Each output's population variance of [f_A; f_B] (the estimators' denominator).
    pub variance: Vec<f64>,
}

impl Indices {
    /// Output o's first-order indices, one per factor.
    pub fn s1(&self, o: usize) -> &[f64] {
        &self.s1[o * self.factors..(o + 1) * self.factors]
    }

    /// Output o's first-order half-widths.
    pub fn s1_conf(&self, o: usize) -> &[f64] {
        &self.s1_conf[o * self.factors..(o + 1) * self.factors]
    }

    /// Output o's total indices.
    pub fn st(&self, o: usize) -> &[f64] {
        &self.st[o * self.factors..(o + 1) * self.factors]
    }

    /// Output o's total half-widths.
    pub fn st_conf(&self, o: usize) -> &[f64] {
        &self.st_conf[o * self.factors..(o + 1) * self.factors]
    }

    /// For each factor and kind of index, the outputs whose confidence half-width is larger than
    /// the index's absolute value (the estimate cannot be told from 0 at that level; more
    /// samples would help unless the factor truly does not matter). Only non-empty lists, by
    /// factor then kind. Constant outputs (NaN) are not listed.
    pub fn wide_intervals(&self) -> Vec<SobolWarning> {
        let mut out = Vec::new();
        for i in 0..self.factors {
            for (kind, est, conf) in [
                (IndexKind::First, &self.s1, &self.s1_conf),
                (IndexKind::Total, &self.st, &self.st_conf),
            ] {
                let outputs: Vec<usize> = (0..self.outputs)
                    .filter(|&o| {
                        let k = o * self.factors + i;
                        conf[k] > est[k].abs()
                    })
                    .collect();
                if !outputs.is_empty() {
                    out.push(SobolWarning::WideIntervals {
                        factor: i,
                        kind,
                        outputs,
                        of: self.outputs,
                    });
                }
            }
        }
        out
    }
}

/// First-order or total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    First,
    Total,
}

/// Warnings about a design or its results, as data for the caller to word and print.
#[derive(Debug, Clone, PartialEq)]
pub enum SobolWarning {
    /// N is not a power of two, so the N points lose the Sobol' balance properties (scipy warns
    /// the same: "The balance properties of Sobol' points require n to be a power of 2").
    NotPowerOfTwo { n: usize },
    /// The half-width of factor `factor`'s index exceeds the index for these outputs (of `of`).
    WideIntervals {
        factor: usize,
        kind: IndexKind,
        outputs: Vec<usize>,
        of: usize,
    },
}

impl fmt::Display for SobolWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SobolWarning::NotPowerOfTwo { n } => write!(
                f,
                "{n} base samples is not a power of two, so the Sobol' points lose their balance; use {}",
                n.next_power_of_two()
            ),
            SobolWarning::WideIntervals {
                factor,
                kind,
                outputs,
                of,
            } => write!(
                f,
                "factor {}: the confidence interval of the {} index is wider than the index for {} of {of} outputs; more samples would narrow it",
                factor + 1,
                match kind {
                    IndexKind::First => "first-order",
                    IndexKind::Total => "total",
                },
                outputs.len()
            ),
        }
    }
}

/// The design's warnings: N not a power of two.
pub fn design_warnings(n: usize) -> Vec<SobolWarning> {
    if n.is_power_of_two() {
        Vec::new()
    } else {
        vec![SobolWarning::NotPowerOfTwo { n }]
    }
}

/// Outputs analysed together, so four lanes of f64 share each loop.
const LANES: usize = 4;
/// Base samples per cache tile of the bootstrap.
const TILE: usize = 128;
/// Accumulators the bootstrap keeps in registers.
const BLOCK: usize = 16;

/// Sobol' indices of `outputs` model outputs from a [`Design`]'s N·(D + 2) evaluations.
///
/// `y` is row-major: row r (the design's row r) holds the outputs' values, so
/// `y[r * outputs + o]`. A NaN in an output propagates to that output's indices only.
///
/// # Formula
/// For each output, with f_A, f_B, f_ABi the values on the rows of A, B and AB_i (N each), and
/// every value first centred by the mean of all N·(D + 2) values (SALib standardises Y the same
/// way; the scale cancels, but the centring changes the first-order estimate, so it is kept to
/// agree with SALib to rounding):
///
/// - V = the population variance (÷ 2N) of [f_A; f_B];
/// - S1_i = (1/N) Σ_j f_B,j (f_ABi,j − f_A,j) / V — Saltelli et al. 2010, Comput. Phys.
///   Commun. 181:259–270, table 2 (b);
/// - ST_i = (1/2N) Σ_j (f_A,j − f_ABi,j)² / V — Jansen 1999, Comput. Phys. Commun.
///   117:35–43; Saltelli et al. 2010, table 2 (f);
/// - half-width = Φ⁻¹(½ + level/2) · sd (n − 1) of the estimates over `num_resamples`
///   bootstrap resamples of the N base samples, drawn with replacement (the same resamples for
///   every output and factor, as SALib); V is recomputed within each resample, and a resample
///   whose V is 0 gives estimates 0 (as SALib).
///
/// A constant output (f_A and f_B all equal, so V = 0) has NaN indices and half-widths, where
/// SALib returns 0.
///
/// The resamples are ChaCha8 draws from `options.seed`: for base row j, for resample k, an
/// index uniform in 0..N (Lemire's unbiased multiply-shift), so resample k is column k of an
/// N × resamples matrix, as SALib's `rng(N, size=(N, num_resamples))`.
pub fn analyze(
    y: &[f64],
    n: usize,
    factors: usize,
    outputs: usize,
    options: &AnalyzeOptions,
) -> Result<Indices, SobolError> {
    if n == 0 {
        return Err(SobolError::NoSamples);
    }
    if factors == 0 {
        return Err(SobolError::NoFactors);
    }
    let expected = n * (factors + 2) * outputs;
    if y.len() != expected {
        return Err(SobolError::OutputShape {
            len: y.len(),
            expected,
        });
    }
    let level = options.conf_level;
    if !(level > 0.0 && level < 1.0) {
        return Err(SobolError::BadConfLevel { level });
    }
    let z = Normal::standard().inverse_cdf(0.5 + level / 2.0);
    let resamples = Resamples::new(n, options.num_resamples, options.seed);
    let shape = Shape {
        n,
        factors,
        outputs,
        resamples: options.num_resamples,
        z,
    };

    let chunks = outputs.div_ceil(LANES);
    let threads = match options.threads {
        0 => crate::threads(),
        t => t,
    }
    .clamp(1, chunks.max(1));
    // Contiguous runs of chunks per thread; each chunk's result depends on its outputs only.
    let per = chunks.div_ceil(threads).max(1);
    let run = |first: usize, last: usize| -> Vec<ChunkResult> {
        (first..last)
            .map(|c| chunk(y, &shape, &resamples, c * LANES))
            .collect()
    };
    let results: Vec<ChunkResult> = if threads == 1 {
        run(0, chunks)
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let run = &run;
                    s.spawn(move || run((t * per).min(chunks), ((t + 1) * per).min(chunks)))
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("the estimators do not panic"))
                .collect()
        })
    };

    let mut out = Indices {
        n,
        factors,
        outputs,
        s1: Vec::with_capacity(outputs * factors),
        s1_conf: Vec::with_capacity(outputs * factors),
        st: Vec::with_capacity(outputs * factors),
        st_conf: Vec::with_capacity(outputs * factors),
        variance: Vec::with_capacity(outputs),
    };
    for (c, r) in results.iter().enumerate() {
        for l in 0..LANES.min(outputs - c * LANES) {
            out.variance.push(r.variance[l]);
            for i in 0..factors {
                let k = i * LANES + l;
                out.s1.push(r.s1[k]);
                out.s1_conf.push(r.s1_conf[k]);
                out.st.push(r.st[k]);
                out.st_conf.push(r.st_conf[k]);
            }
        }
    }
    Ok(out)
}

struct Shape {
    n: usize,
    factors: usize,
    outputs: usize,
    resamples: usize,
    z: f64,
}

/// One chunk's results, `[i * LANES + lane]`.
struct ChunkResult {
    variance: [f64; LANES],
    s1: Vec<f64>,
    s1_conf: Vec<f64>,
    st: Vec<f64>,
    st_conf: Vec<f64>,
}

/// `counts[k * n + j]`: how often resample k drew base sample j.
fn resample_counts(n: usize, resamples: usize, seed: u64) -> Vec<u32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(BOOTSTRAP_STREAM);
    let mut counts = vec![0u32; resamples * n];
    for _ in 0..n {
        for k in 0..resamples {
            counts[k * n + below(&mut rng, n as u64) as usize] += 1;
        }
    }
    counts
}

/// The resamples as lists of the base samples drawn, with their counts, in order, split by
/// tiles of [`TILE`] base samples: the bootstrap then runs without branches on zero counts.
struct Resamples {
    /// (base sample, count > 0), resample after resample, base samples ascending.
    drawn: Vec<(usize, f64)>,
    /// `start[k * (tiles + 1) + t]`: where resample k's entries of tile t begin in `drawn`.
    start: Vec<usize>,
    tiles: usize,
}

impl Resamples {
    fn new(n: usize, resamples: usize, seed: u64) -> Resamples {
        let counts = resample_counts(n, resamples, seed);
        let tiles = n.div_ceil(TILE);
        let mut drawn = Vec::with_capacity(resamples * n);
        let mut start = Vec::with_capacity(resamples * (tiles + 1));
        for counts_k in counts.chunks_exact(n) {
            for (j, &c) in counts_k.iter().enumerate() {
                if j % TILE == 0 {
                    start.push(drawn.len());
                }
                if c > 0 {
                    drawn.push((j, f64::from(c)));
                }
            }
            start.push(drawn.len());
        }
        Resamples {
            drawn,
            start,
            tiles,
        }
    }

    /// Resample k's entries in tile t.
    fn tile(&self, k: usize, t: usize) -> &[(usize, f64)] {
        let at = k * (self.tiles + 1) + t;
        &self.drawn[self.start[at]..self.start[at + 1]]
    }
}

/// A uniform integer in 0..n (n ≥ 1), by Lemire's multiply-shift with rejection, so the
/// stream's use is pinned here rather than by a version of `rand`.
fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = u128::from(rng.next_u64()) * u128::from(n);
        if m as u64 >= threshold {
            return (m >> 64) as u64;
        }
    }
}

/// The bootstrap's sums: `acc[k * width + c]` += each count of resample k times column c of
/// the summands `p` (`n` rows of `width`). A tile of base samples stays in cache while every
/// resample passes over it, BLOCK columns at a time held in registers; each sum still runs over
/// its base samples in ascending order, a multiplication then an addition (never fused), so the
/// wider vectors of AVX2 and AVX-512, where the CPU has them, give the same bits.
fn bootstrap_sums(p: &[f64], n: usize, width: usize, resampled: &Resamples, acc: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { bootstrap_sums_avx512(p, n, width, resampled, acc) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { bootstrap_sums_avx2(p, n, width, resampled, acc) };
            return;
        }
    }
    bootstrap_sums_body(p, n, width, resampled, acc);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn bootstrap_sums_avx512(
    p: &[f64],
    n: usize,
    width: usize,
    resampled: &Resamples,
    acc: &mut [f64],
) {
    bootstrap_sums_body(p, n, width, resampled, acc);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn bootstrap_sums_avx2(
    p: &[f64],
    n: usize,
    width: usize,
    resampled: &Resamples,
    acc: &mut [f64],
) {
    bootstrap_sums_body(p, n, width, resampled, acc);
}

#[inline(always)]
fn bootstrap_sums_body(p: &[f64], n: usize, width: usize, resampled: &Resamples, acc: &mut [f64]) {
    for t in 0..resampled.tiles {
        let tile = &p[t * TILE * width..((t + 1) * TILE).min(n) * width];
        for b0 in (0..width).step_by(BLOCK) {
            for (k, acc_k) in acc.chunks_exact_mut(width).enumerate() {
                let mut r = [0.0; BLOCK];
                r.copy_from_slice(&acc_k[b0..b0 + BLOCK]);
                for &(j, c) in resampled.tile(k, t) {
                    let at = (j - t * TILE) * width + b0;
                    let x: &[f64; BLOCK] = tile[at..at + BLOCK].try_into().expect("a block");
                    for (re, xe) in r.iter_mut().zip(x) {
                        *re += c * xe;
                    }
                }
                acc_k[b0..b0 + BLOCK].copy_from_slice(&r);
            }
        }
    }
}

/// The estimates of outputs `o0 .. o0 + LANES` (lanes past the last output are padding).
fn chunk(y: &[f64], shape: &Shape, resampled: &Resamples, o0: usize) -> ChunkResult {
    let Shape {
        n,
        factors: d,
        outputs,
        resamples,
        z,
    } = *shape;
    let blocks = d + 2;
    let lanes = LANES.min(outputs - o0);
    let nf = n as f64;

    // Per output: the mean of all evaluations, and whether f_A and f_B are all equal.
    let mut mu = [0.0; LANES];
    for row in y.chunks_exact(outputs) {
        for l in 0..lanes {
            mu[l] += row[o0 + l];
        }
    }
    for m in &mut mu {
        *m /= (n * blocks) as f64;
    }
    let mut constant = [true; LANES];
    for l in 0..lanes {
        let first = y[o0 + l];
        constant[l] = (0..n).all(|j| {
            y[j * blocks * outputs + o0 + l] == first
                && y[((j + 1) * blocks - 1) * outputs + o0 + l] == first
        });
    }

    // Per base sample, the summands: Â, B̂, Â², B̂², then B̂(ÂB_i − Â) and (Â − ÂB_i)² for each
    // factor (hats: centred), each as LANES values, so sums over any resample are plain adds.
    // Padded to whole blocks of the bootstrap's register accumulators.
    let width = ((4 + 2 * d) * LANES).next_multiple_of(BLOCK);
    let mut p = vec![0.0; n * width];
    for (j, pj) in p.chunks_exact_mut(width).enumerate() {
        let base = j * blocks;
        for l in 0..lanes {
            let at = |b: usize| y[(base + b) * outputs + o0 + l] - mu[l];
            let (a, bv) = (at(0), at(blocks - 1));
            pj[l] = a;
            pj[LANES + l] = bv;
            pj[2 * LANES + l] = a * a;
            pj[3 * LANES + l] = bv * bv;
            for i in 0..d {
                let diff = at(1 + i) - a;
                pj[(4 + i) * LANES + l] = bv * diff;
                pj[(4 + d + i) * LANES + l] = diff * diff;
            }
        }
    }

    // The estimates on all N base samples; V by two passes.
    let mut total = vec![0.0; width];
    for pj in p.chunks_exact(width) {
        for (t, &x) in total.iter_mut().zip(pj) {
            *t += x;
        }
    }
    let mut variance = [0.0; LANES];
    for l in 0..LANES {
        let mean = (total[l] + total[LANES + l]) / (2.0 * nf);
        let mut ss = 0.0;
        for pj in p.chunks_exact(width) {
            ss += (pj[l] - mean) * (pj[l] - mean) + (pj[LANES + l] - mean) * (pj[LANES + l] - mean);
        }
        variance[l] = if constant[l] { 0.0 } else { ss / (2.0 * nf) };
    }
    let mut s1 = vec![0.0; d * LANES];
    let mut st = vec![0.0; d * LANES];
    for i in 0..d {
        for l in 0..LANES {
            let (k, v) = (i * LANES + l, variance[l]);
            if constant[l] {
                s1[k] = f64::NAN;
                st[k] = f64::NAN;
            } else {
                s1[k] = total[(4 + i) * LANES + l] / nf / v;
                st[k] = 0.5 * total[(4 + d + i) * LANES + l] / nf / v;
            }
        }
    }

    // The bootstrap: each resample's count-weighted sums of the summands. A tile of base
    // samples stays in cache while every resample passes over it, BLOCK columns at a time held
    // in registers; each sum still runs over its base samples in ascending order.
    let mut acc = vec![0.0; resamples * width];
    bootstrap_sums(&p, n, width, resampled, &mut acc);
    // Each resample's estimates, then their sd (n − 1) by two passes.
    let mut est_s1 = vec![0.0; resamples * d * LANES];
    let mut est_st = vec![0.0; resamples * d * LANES];
    for k in 0..resamples {
        let a = &acc[k * width..(k + 1) * width];
        for l in 0..LANES {
            let mean = (a[l] + a[LANES + l]) / (2.0 * nf);
            let v = (a[2 * LANES + l] + a[3 * LANES + l]) / (2.0 * nf) - mean * mean;
            for i in 0..d {
                let e = (k * d + i) * LANES + l;
                if v > 0.0 {
                    est_s1[e] = a[(4 + i) * LANES + l] / nf / v;
                    est_st[e] = 0.5 * a[(4 + d + i) * LANES + l] / nf / v;
                }
            }
        }
    }
    let sd = |est: &[f64], i: usize, l: usize| -> f64 {
        if resamples < 2 {
            return f64::NAN;
        }
        let at = |k: usize| est[(k * d + i) * LANES + l];
        let mean = (0..resamples).map(at).sum::<f64>() / resamples as f64;
        let ss: f64 = (0..resamples)
            .map(|k| (at(k) - mean) * (at(k) - mean))
            .sum();
        (ss / (resamples - 1) as f64).sqrt()
    };
    let mut s1_conf = vec![0.0; d * LANES];
    let mut st_conf = vec![0.0; d * LANES];
    for i in 0..d {
        for (l, &is_constant) in constant.iter().enumerate() {
            let k = i * LANES + l;
            if is_constant {
                s1_conf[k] = f64::NAN;
                st_conf[k] = f64::NAN;
            } else {
                s1_conf[k] = z * sd(&est_s1, i, l);
                st_conf[k] = z * sd(&est_st, i, l);
            }
        }
    }
    ChunkResult {
        variance,
        s1,
        s1_conf,
        st,
        st_conf,
    }
}

#[cfg(test)]
mod tests;

# Writes src/sensitivity/sobol/directions.rs from scipy's copy of the Joe-Kuo direction numbers.
import os, sys
import numpy as np, scipy, scipy.stats
DIMS = 4096
path = os.path.join(os.path.dirname(scipy.stats.__file__), "_sobol_direction_numbers.npz")
z = np.load(path)
poly, vinit = z["poly"][:DIMS], z["vinit"][:DIMS]
deg = [int(p).bit_length() - 1 for p in poly]
m = []
for d in range(DIMS):
    row = [int(x) for x in vinit[d, :deg[d]]]
    assert all(0 < x < 2 ** (k + 1) and x % 2 == 1 for k, x in enumerate(row)), d
    assert d == 0 or all(x == 0 for x in vinit[d, deg[d]:]), d
    m += row
def wrap(xs, width=100):
    lines, cur = [], "    "
    for x in xs:
        s = f"{x},"
        if len(cur) + len(s) + 1 > width:
            lines.append(cur.rstrip()); cur = "    "
        cur += s + " "
    lines.append(cur.rstrip())
    return "\n".join(lines)
out = sys.stdout
out.write(f"""//! Sobol' direction numbers for the first {DIMS} dimensions: Joe & Kuo (2008), the
//! `new-joe-kuo-6.21201` set, as scipy {scipy.__version__} ships it in
//! `scipy/stats/_sobol_direction_numbers.npz` (arrays `poly` and `vinit`).
//!
//! GENERATED — do not edit. To regenerate (any scipy >= 1.7 has the same table):
//!
//! ```text
//! python3 -m venv /tmp/venv-sobol && /tmp/venv-sobol/bin/pip install scipy numpy
//! /tmp/venv-sobol/bin/python src/sensitivity/sobol/gen_directions.py > src/sensitivity/sobol/directions.rs
//! ```
//!
//! `POLY[d]` is dimension d's primitive polynomial over GF(2) with both end coefficients included
//! (bit s = x^s, bit 0 = 1; `3` is x + 1), so its degree s is `POLY[d]`'s bit length − 1.
//! Dimension 0 is `1` (degree 0, van der Corput). `M_INIT` holds each dimension's initial
//! direction integers m_1..m_s (odd, m_k < 2^k), dimension after dimension.

/// How many dimensions the table covers.
pub const DIMS: usize = {DIMS};

/// Primitive polynomials, with the x^s and 1 terms.
#[rustfmt::skip]
pub static POLY: [u32; {DIMS}] = [
{wrap([int(p) for p in poly])}
];

/// Initial direction integers m_1..m_s of each dimension, concatenated.
#[rustfmt::skip]
pub static M_INIT: [u16; {len(m)}] = [
{wrap(m)}
];
""")

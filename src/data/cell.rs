//! Reading one cell as a number: missing-value tokens, percentages, thousands separators.

/// The tokens read as a missing value in every numeric column (compared after trimming,
/// ASCII letters case-insensitively). An empty cell is missing too.
pub const DEFAULT_NA_TOKENS: &[&str] = &[
    "NA", "N/A", "NaN", "-", "－", "—", "…", "/", "／", "无", "#N/A", "#DIV/0!", "#VALUE!",
];

/// What a cell holds, read as a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cell {
    Number(f64),
    /// `95%`, already divided by 100.
    Percent(f64),
    /// A quoted number written with thousands separators (`"1,234.5"`).
    Thousands(f64),
    Missing,
    Invalid,
}

/// Reads cells as numbers with the default and the user's missing-value tokens.
#[derive(Debug, Clone)]
pub(crate) struct CellReader {
    user_tokens: Vec<String>,
}

impl CellReader {
    pub fn new(user_tokens: &[String]) -> CellReader {
        CellReader {
            user_tokens: user_tokens
                .iter()
                .map(|t| trim(t).to_string())
                .filter(|t| !t.is_empty())
                .collect(),
        }
    }

    /// Reads one cell; `quoted` allows thousands separators (`"1,234.5"`).
    #[inline]
    pub fn read(&self, cell: &str, quoted: bool) -> Cell {
        let bytes = trim_ascii(cell.as_bytes());
        if bytes.is_empty() {
            return Cell::Missing;
        }
        // User tokens come first: they may look like numbers (`-999`).
        if !self.user_tokens.is_empty() && self.is_user_token(cell) {
            return Cell::Missing;
        }
        if let Some(v) = parse_decimal(bytes) {
            return Cell::Number(v);
        }
        if let Ok(v) = fast_float2::parse::<f64, _>(bytes) {
            return finite(v);
        }
        self.read_slow(cell, quoted)
    }

    /// Whether there are user tokens of missing values.
    #[inline]
    pub fn has_user_tokens(&self) -> bool {
        !self.user_tokens.is_empty()
    }

    /// Whether `cell` (trimmed) is one of the user's tokens of missing values.
    pub fn is_user_token(&self, cell: &str) -> bool {
        let t = trim(cell);
        self.user_tokens.iter().any(|u| u.eq_ignore_ascii_case(t))
    }

    #[cold]
    fn read_slow(&self, cell: &str, quoted: bool) -> Cell {
        let t = trim(cell);
        if t.is_empty() || DEFAULT_NA_TOKENS.iter().any(|n| n.eq_ignore_ascii_case(t)) {
            return Cell::Missing;
        }
        if let Some(inner) = t.strip_suffix('%').or_else(|| t.strip_suffix('％')) {
            return match plain_number(trim(inner), quoted) {
                Some((v, _)) => match finite(v) {
                    Cell::Number(v) => Cell::Percent(v / 100.0),
                    other => other,
                },
                None => Cell::Invalid,
            };
        }
        match plain_number(t, quoted) {
            Some((v, false)) => finite(v),
            Some((v, true)) => match finite(v) {
                Cell::Number(v) => Cell::Thousands(v),
                other => other,
            },
            None => Cell::Invalid,
        }
    }
}

/// Powers of ten that are exact in an f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Reads the plain decimal number at the start of `b` — `[+-]digits[.digits][(e|E)[+-]digits]`,
/// with at least one digit before the exponent — and returns it with the number of bytes it
/// takes; the caller checks what follows.
///
/// Only the common case is taken (Clinger's fast path): at most 19 digits in all, making an
/// integer m ≤ 2^53, and a decimal exponent e with |e| ≤ 22. Then m and 10^|e| are exact in an
/// f64 and one multiplication or division rounds once, so the value is the correctly rounded
/// one, bit for bit what `str::parse::<f64>` gives. Anything else (longer mantissas, large
/// exponents, `inf`, `nan`, ...) is `None`, for the full parser.
#[inline]
pub(crate) fn parse_decimal_prefix(b: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    let negative = sign(b, &mut i);
    let mut m: u64 = 0;
    let int_digits = digit_run(b, &mut i, &mut m);
    let mut decimals = 0usize;
    if b.get(i) == Some(&b'.') {
        i += 1;
        decimals = digit_run(b, &mut i, &mut m);
    }
    let digits = int_digits + decimals;
    if digits == 0 || digits > 19 {
        return None;
    }
    let mut exp: i64 = 0;
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        let exp_negative = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let digits_from = i;
        while let Some(&c) = b.get(i) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            // Saturates far beyond any exponent the fast path takes.
            exp = (exp * 10 + d as i64).min(1 << 20);
            i += 1;
        }
        if i == digits_from {
            return None;
        }
        if exp_negative {
            exp = -exp;
        }
    }
    let v = if m == 0 {
        0.0
    } else {
        if m > 1 << 53 {
            return None;
        }
        let e = exp - decimals as i64;
        match e {
            0..=22 => m as f64 * POW10[e as usize],
            -22..=-1 => m as f64 / POW10[(-e) as usize],
            _ => return None,
        }
    };
    Some((if negative { -v } else { v }, i))
}

/// A sign at `b[*i]`, stepped over: whether it is `-`.
#[inline(always)]
fn sign(b: &[u8], i: &mut usize) -> bool {
    match b.get(*i) {
        Some(b'-') => {
            *i += 1;
            true
        }
        Some(b'+') => {
            *i += 1;
            false
        }
        _ => false,
    }
}

/// Reads the run of ASCII digits at `b[*i..]` into `m` (as `m·10^k + digits`) and moves `*i`
/// past it; returns the number of digits. Eight bytes at a time where the text has them: more
/// than 19 digits in all make the caller give up, so `m` may wrap only then.
#[inline(always)]
fn digit_run(b: &[u8], i: &mut usize, m: &mut u64) -> usize {
    let start = *i;
    while let Some(chunk) = b.get(*i..*i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let t = word.wrapping_sub(0x3030_3030_3030_3030);
        // A byte outside '0'..='9' sets its high bit here; bytes after the first such byte may
        // be marked wrongly (borrows and carries), but only the first one counts.
        let non_digit = (t | word.wrapping_add(0x4646_4646_4646_4646)) & 0x8080_8080_8080_8080;
        let n = (non_digit.trailing_zeros() / 8) as usize;
        if n == 0 {
            return *i - start;
        }
        // The n digits, moved to the top bytes (zeros before them), as one integer.
        let v = eight_digits(t << (8 * (8 - n)));
        *m = m.wrapping_mul(POW10_U64[n]).wrapping_add(v);
        *i += n;
        if n < 8 {
            return *i - start;
        }
    }
    while let Some(&c) = b.get(*i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        *m = m.wrapping_mul(10).wrapping_add(d as u64);
        *i += 1;
    }
    *i - start
}

/// Powers of ten as integers, for [`digit_run`].
const POW10_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The value of eight digits already less '0' (the first in the lowest byte).
#[inline(always)]
fn eight_digits(v: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 0x000F_4240_0000_0064; // 100 + (1000000 << 32)
    const MUL2: u64 = 0x0000_2710_0000_0001; // 1 + (10000 << 32)
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    (((v & MASK).wrapping_mul(MUL1)).wrapping_add(((v >> 16) & MASK).wrapping_mul(MUL2))) >> 32
}

/// Eight bytes of `b` from `at`, the first in the lowest byte (`at + 8 <= b.len()`).
#[inline(always)]
pub(crate) fn load8(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]))
}

/// Where `word`'s bytes are not ASCII digits: the high bit of each such byte (exact up to the
/// first one; the bytes after it may be marked wrongly, see [`digit_run`]), with `word` less
/// '0' in every byte.
#[inline(always)]
fn non_digits(word: u64) -> (u64, u64) {
    let t = word.wrapping_sub(0x3030_3030_3030_3030);
    (
        (t | word.wrapping_add(0x4646_4646_4646_4646)) & 0x8080_8080_8080_8080,
        t,
    )
}

/// [`parse_decimal`] of the field `b[s..e]`, whose end is already known (the delimiters of the
/// record were found first), so that numbers next to each other are read independently. The
/// common form — `[+-]`, at most eight digits, then `.` and at most eight digits — is read
/// with two eight-byte loads and no loop; anything else goes to [`parse_decimal`]. The value is
/// always bit for bit that of [`parse_decimal`] (the same integer and the same one rounding
/// multiplication or division; tested below).
#[inline]
pub(crate) fn parse_decimal_field(b: &[u8], s: usize, e: usize) -> Option<f64> {
    let general = || parse_decimal(&b[s..e]);
    let mut i = s;
    let negative = sign(b, &mut i);
    let len = e.saturating_sub(i);
    if len == 0 || len > 17 || i + 8 > b.len() {
        return general();
    }
    let word = load8(b, i);
    let (nd, t) = non_digits(word);
    let n1 = (nd.trailing_zeros() / 8) as usize;
    // The most common form, `12.3456` in at most eight bytes: the decimals are moved down one
    // byte over the dot, and the digits read as one integer.
    if len <= 8 && n1 < len && b[i + n1] == b'.' && len > 1 {
        let low = if n1 == 0 {
            0
        } else {
            u64::MAX >> (64 - 8 * n1)
        };
        let (nd2, t2) = non_digits((word & low) | ((word >> 8) & !low));
        let digits = len - 1;
        if ((nd2.trailing_zeros() / 8) as usize) >= digits {
            let m = eight_digits(t2 << (8 * (8 - digits)));
            let decimals = digits - n1;
            let v = if m == 0 {
                0.0
            } else if decimals == 0 {
                m as f64 * POW10[0]
            } else {
                m as f64 / POW10[decimals]
            };
            return Some(if negative { -v } else { v });
        }
    }
    let (m, decimals) = if n1 >= len {
        // Digits only: an integer of at most eight digits.
        if len > 8 {
            return general();
        }
        (eight_digits(t << (8 * (8 - len))), 0)
    } else {
        let f = len - n1 - 1;
        if b[i + n1] != b'.' || f > 8 || i + n1 + 1 + 8 > b.len() {
            return general();
        }
        let (nd2, t2) = non_digits(load8(b, i + n1 + 1));
        if ((nd2.trailing_zeros() / 8) as usize) < f || n1 + f == 0 {
            return general();
        }
        let int = if n1 == 0 {
            0
        } else {
            eight_digits(t << (8 * (8 - n1)))
        };
        let frac = if f == 0 {
            0
        } else {
            eight_digits(t2 << (8 * (8 - f)))
        };
        (int * POW10_U64[f] + frac, f)
    };
    let v = if m == 0 {
        0.0
    } else {
        if m > 1 << 53 {
            return general();
        }
        if decimals == 0 {
            m as f64 * POW10[0]
        } else {
            m as f64 / POW10[decimals]
        }
    };
    Some(if negative { -v } else { v })
}

/// [`parse_decimal_prefix`] over the whole of `b`.
#[inline]
pub(crate) fn parse_decimal(b: &[u8]) -> Option<f64> {
    match parse_decimal_prefix(b) {
        Some((v, n)) if n == b.len() => Some(v),
        _ => None,
    }
}

fn finite(v: f64) -> Cell {
    if v.is_nan() {
        Cell::Missing
    } else if v.is_infinite() {
        Cell::Invalid
    } else {
        Cell::Number(v)
    }
}

/// A number, with thousands separators allowed when the cell was quoted; and whether it had
/// them.
fn plain_number(t: &str, quoted: bool) -> Option<(f64, bool)> {
    if let Ok(v) = fast_float2::parse::<f64, _>(t) {
        return Some((v, false));
    }
    if quoted && has_thousands_separators(t) {
        let digits: String = t.chars().filter(|c| *c != ',').collect();
        return fast_float2::parse::<f64, _>(digits).ok().map(|v| (v, true));
    }
    None
}

/// Whether a cell that is not a number is one written with a comma that does not group digits
/// in threes: `1,23`, `1,5`, `12,3456.7` (a misplaced separator or a decimal comma).
pub(crate) fn misgrouped_comma(cell: &str) -> bool {
    let t = trim(cell);
    let t = t
        .strip_suffix('%')
        .or_else(|| t.strip_suffix('％'))
        .map_or(t, trim);
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    t.contains(',')
        && t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b == b',' || b == b'.')
        && t.bytes().filter(|b| *b == b'.').count() <= 1
        && !has_thousands_separators(t)
}

/// `[+-]d{1,3}(,ddd)+(.d*)?`, as in `1,234,567.8`.
fn has_thousands_separators(t: &str) -> bool {
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    if let Some(f) = frac {
        if !f.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    let mut groups = int.split(',');
    let first = groups.next().unwrap_or("");
    if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let mut n = 0;
    for g in groups {
        if g.len() != 3 || !g.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        n += 1;
    }
    n > 0
}

/// Trims ASCII and Unicode white space (including the ideographic space U+3000 and NBSP).
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

#[inline]
fn trim_ascii(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Cell {
        CellReader::new(&[]).read(s, false)
    }

    #[test]
    fn numbers() {
        assert_eq!(read("1.5"), Cell::Number(1.5));
        assert_eq!(read(" -2e3 "), Cell::Number(-2000.0));
        assert_eq!(read("+7"), Cell::Number(7.0));
        assert_eq!(read("inf"), Cell::Invalid);
        assert_eq!(read("abc"), Cell::Invalid);
    }

    /// The fast path must give exactly what `str::parse::<f64>` gives, whenever it answers.
    fn same_as_std(s: &str) -> bool {
        let std = s.parse::<f64>().ok();
        // Followed by more text, as in a record: the eight-byte reads see past the number.
        for tail in [",9876543210", ";x", "\r\n12345678"] {
            let padded = format!("{s}{tail}");
            let whole = parse_decimal(s.as_bytes()).map(|v| (v.to_bits(), s.len()));
            let prefix = parse_decimal_prefix(padded.as_bytes())
                .filter(|(_, n)| *n == s.len())
                .map(|(v, n)| (v.to_bits(), n));
            assert_eq!(prefix, whole, "{padded:?}");
        }
        match parse_decimal(s.as_bytes()) {
            Some(v) => {
                let want = std.unwrap_or_else(|| panic!("{s:?}: fast path took what std rejects"));
                assert_eq!(v.to_bits(), want.to_bits(), "{s:?}");
                let ff: f64 = fast_float2::parse(s).expect("fast-float agrees");
                assert_eq!(v.to_bits(), ff.to_bits(), "{s:?}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn fast_path_matches_std_parser() {
        for s in [
            "0",
            "-0",
            "+0",
            "1.",
            ".5",
            "-.5",
            "+7",
            "123.4567",
            "0.1",
            "0.3",
            "999999999999999",
            "1234567.890123",
            "-0.000000000000001",
            "9007199254740992",
            "9007199254740993",
            "2.2250738585072014",
            "1e22",
            "1e-22",
            "1.5E3",
            "-2e+3",
            "0e999999999999",
            "0.0000e-400",
            "00000000000000000000000001.5",
            "4.9e-324",
            "1e23",
            "123456789012345678901234",
        ] {
            same_as_std(s);
        }
        assert!(same_as_std("123.4567"));
        assert!(same_as_std("-2e+3"));
        for bad in [
            "", ".", "-", "+", "-.", "1.2.3", "1e", "1e+", "e5", "--1", "1-", "inf", "nan", " 1",
            "1 ", "0x10", "1_000", "١",
        ] {
            assert_eq!(parse_decimal(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(parse_decimal_prefix(b"52.25,x"), Some((52.25, 5)));
        assert_eq!(
            parse_decimal_prefix(b"12345678.87654321,1"),
            Some((12345678.87654321, 17))
        );
        assert_eq!(parse_decimal_prefix(b"123456789"), Some((123456789.0, 9)));
        assert_eq!(parse_decimal_prefix(b"1234567\xff"), Some((1234567.0, 7)));
        assert_eq!(parse_decimal_prefix(b"12/45678"), Some((12.0, 2)));
        assert_eq!(parse_decimal_prefix(b"12:45678"), Some((12.0, 2)));
        assert_eq!(parse_decimal_prefix(b"-1e2\r\n"), Some((-100.0, 4)));
    }

    /// Random strings of digits, points, signs and exponents, short and long (mantissas of
    /// more than 19 digits, exponents near the fast path's edges, subnormals, overflow): the
    /// fast path answers for many and agrees with `str::parse` on every one.
    #[test]
    fn fast_path_matches_std_parser_on_random_strings() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut taken = 0;
        let total = 300_000;
        for _ in 0..total {
            let mut s = String::new();
            match next(4) {
                0 => s.push('-'),
                1 if next(4) == 0 => s.push('+'),
                _ => {}
            }
            let int_digits = match next(5) {
                0 => 0,
                1 => next(25),
                _ => next(8),
            };
            for k in 0..int_digits {
                let d = if k == 0 && next(3) == 0 { 0 } else { next(10) };
                s.push((b'0' + d as u8) as char);
            }
            if next(3) != 0 {
                s.push('.');
                let frac = match next(6) {
                    0 => next(30),
                    _ => next(10),
                };
                for _ in 0..frac {
                    s.push((b'0' + next(10) as u8) as char);
                }
            }
            if next(4) == 0 {
                s.push(if next(2) == 0 { 'e' } else { 'E' });
                match next(3) {
                    0 => s.push('-'),
                    1 => s.push('+'),
                    _ => {}
                }
                let e = match next(4) {
                    0 => next(400),
                    1 => 300 + next(30),
                    _ => next(30),
                };
                s.push_str(&e.to_string());
            }
            if same_as_std(&s) {
                taken += 1;
            } else if let Ok(v) = s.parse::<f64>() {
                // Not taken: the full parser reads it.
                let ff: f64 = fast_float2::parse(&s).expect("fast-float reads it");
                assert_eq!(v.to_bits(), ff.to_bits(), "{s:?}");
            }
        }
        assert!(
            taken > total / 3,
            "the fast path took only {taken} of {total}"
        );
    }

    /// Every value written with up to 17 significant digits (as a shortest round-trip printer
    /// writes them) in and around the usual ranges reads back exactly.
    #[test]
    fn fast_path_round_trips_printed_values() {
        let mut state = 12345u64;
        for _ in 0..100_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = f64::from_bits(state >> 2) % 1e6;
            if !v.is_finite() {
                continue;
            }
            for s in [format!("{v}"), format!("{v:.4}"), format!("{v:e}")] {
                same_as_std(&s);
            }
        }
    }

    #[test]
    fn missing_tokens() {
        for t in [
            "", "  ", "NA", "na", "N/A", "NaN", "-", "－", "—", "…", "/", "／", "无", "#N/A",
        ] {
            assert_eq!(read(t), Cell::Missing, "{t:?}");
        }
        assert_eq!(read("\u{3000}无\u{3000}"), Cell::Missing);
        let r = CellReader::new(&["-999".to_string(), "..".to_string()]);
        assert_eq!(r.read("-999", false), Cell::Missing);
        assert_eq!(r.read("..", false), Cell::Missing);
        assert_eq!(r.read("-998", false), Cell::Number(-998.0));
    }

    #[test]
    fn percentages() {
        assert_eq!(read("95%"), Cell::Percent(0.95));
        assert_eq!(read("12.5 ％"), Cell::Percent(0.125));
        assert_eq!(read("%"), Cell::Invalid);
    }

    #[test]
    fn thousands_only_quoted() {
        let r = CellReader::new(&[]);
        assert_eq!(r.read("1,234,567.8", true), Cell::Thousands(1234567.8));
        assert_eq!(r.read("-1,234", true), Cell::Thousands(-1234.0));
        assert_eq!(r.read("1234", true), Cell::Number(1234.0));
        assert_eq!(r.read("1,234", false), Cell::Invalid);
        assert_eq!(r.read("12,34", true), Cell::Invalid);
        assert_eq!(r.read("1,234,56", true), Cell::Invalid);
        assert_eq!(r.read("1,234%", true), Cell::Percent(12.34));
        for bad in [
            "1,23",
            "12,34",
            "1,234,56",
            "1,5",
            "-0,25",
            "1,5%",
            "12,3456.7",
        ] {
            assert!(misgrouped_comma(bad), "{bad}");
        }
        for other in ["1,234", "abc,1", "1.5", ",", "a,b"] {
            assert!(!misgrouped_comma(other), "{other}");
        }
    }

    mod fields {
        use super::super::*;
        use proptest::prelude::*;

        /// A field as data files have them: mostly plain decimals of every length, with signs,
        /// bare dots, exponents, long runs of digits and other bytes now and then.
        fn field() -> impl Strategy<Value = String> {
            prop_oneof![
                6 => ("[+-]?", "[0-9]{0,10}", prop::option::of("[0-9]{0,10}")).prop_map(
                    |(sign, int, frac)| match frac {
                        Some(f) => format!("{sign}{int}.{f}"),
                        None => format!("{sign}{int}"),
                    }
                ),
                1 => "[0-9]{1,20}",
                1 => "[0-9.eE+-]{0,12}",
                1 => "[ -~]{0,12}",
            ]
        }

        proptest! {
            /// Reading a field whose end is known gives what the prefix reader gives over it,
            /// bit for bit, wherever the field lies in the buffer (near its end the loads are
            /// not possible and the general reader is used).
            #[test]
            fn a_field_reads_as_the_prefix_reader_reads_it(
                before in "[0-9,.a]{0,9}",
                text in field(),
                after in "[,\\r\\n0-9]{0,9}",
            ) {
                let buffer = format!("{before}{text}{after}");
                let b = buffer.as_bytes();
                let (s, e) = (before.len(), before.len() + text.len());
                let got = parse_decimal_field(b, s, e).map(f64::to_bits);
                let want = parse_decimal(&b[s..e]).map(f64::to_bits);
                prop_assert_eq!(got, want, "{:?} in {:?}", text, buffer);
            }
        }
    }
}

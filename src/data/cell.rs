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
        if let Some(v) = simple_decimal(bytes) {
            return Cell::Number(v);
        }
        if let Ok(v) = fast_float2::parse::<f64, _>(bytes) {
            return finite(v);
        }
        self.read_slow(cell, quoted)
    }

    fn is_user_token(&self, cell: &str) -> bool {
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
                Some(v) => match finite(v) {
                    Cell::Number(v) => Cell::Percent(v / 100.0),
                    other => other,
                },
                None => Cell::Invalid,
            };
        }
        match plain_number(t, quoted) {
            Some(v) => finite(v),
            None => Cell::Invalid,
        }
    }
}

/// Powers of ten that are exact in an f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The common case `-123.4567` with at most 15 digits: the digits make an exact integer and
/// the power of ten is exact, so one division gives the correctly rounded value (Clinger's
/// fast path), the same as a full parser would.
#[inline]
fn simple_decimal(b: &[u8]) -> Option<f64> {
    let (negative, digits) = match b {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut point: Option<usize> = None;
    for (i, &c) in digits.iter().enumerate() {
        match c {
            b'0'..=b'9' => mantissa = mantissa * 10 + (c - b'0') as u64,
            b'.' if point.is_none() => point = Some(i),
            _ => return None,
        }
    }
    let n_digits = digits.len() - usize::from(point.is_some());
    if n_digits == 0 || n_digits > 15 {
        return None;
    }
    let decimals = point.map_or(0, |p| digits.len() - p - 1);
    let v = mantissa as f64 / POW10[decimals];
    Some(if negative { -v } else { v })
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

/// A number, with thousands separators allowed when the cell was quoted.
fn plain_number(t: &str, quoted: bool) -> Option<f64> {
    if let Ok(v) = fast_float2::parse::<f64, _>(t) {
        return Some(v);
    }
    if quoted && has_thousands_separators(t) {
        let digits: String = t.chars().filter(|c| *c != ',').collect();
        return fast_float2::parse::<f64, _>(digits).ok();
    }
    None
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

    #[test]
    fn fast_path_matches_full_parser() {
        for s in [
            "0",
            "-0",
            "1.",
            ".5",
            "-.5",
            "123.4567",
            "0.1",
            "0.3",
            "999999999999999",
            "1234567.890123",
            "-0.000000000000001",
            "9007199254740993",
            "2.2250738585072014",
        ] {
            let full: f64 = fast_float2::parse(s).unwrap_or(f64::NAN);
            match simple_decimal(s.as_bytes()) {
                Some(v) => assert_eq!(v.to_bits(), full.to_bits(), "{s}"),
                None => assert!(s.len() > 15, "{s}"),
            }
        }
        assert_eq!(simple_decimal(b"."), None);
        assert_eq!(simple_decimal(b"-"), None);
        assert_eq!(simple_decimal(b"1.2.3"), None);
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
        assert_eq!(r.read("1,234,567.8", true), Cell::Number(1234567.8));
        assert_eq!(r.read("-1,234", true), Cell::Number(-1234.0));
        assert_eq!(r.read("1,234", false), Cell::Invalid);
        assert_eq!(r.read("12,34", true), Cell::Invalid);
        assert_eq!(r.read("1,234,56", true), Cell::Invalid);
        assert_eq!(r.read("1,234%", true), Cell::Percent(12.34));
    }
}

//! The memory budget. Analyses whose buffers grow with their samples (the Monte Carlo's rank
//! counts, the Saltelli design's outputs) estimate what they need before allocating and refuse
//! beyond the budget, with the estimate and what to change, instead of aborting when an
//! allocation fails.

use crate::Error;
use std::sync::atomic::{AtomicU64, Ordering};

static LIMIT: AtomicU64 = AtomicU64::new(0);

/// Sets the budget in bytes (0: the default, half of the machine's memory).
pub fn set_limit(bytes: u64) {
    LIMIT.store(bytes, Ordering::Relaxed);
}

/// The budget in bytes, and whether it was set (`--memory-limit`) rather than the default.
pub fn limit() -> (u64, bool) {
    match LIMIT.load(Ordering::Relaxed) {
        0 => (machine_memory().map_or(4 << 30, |m| m / 2), false),
        n => (n, true),
    }
}

/// The machine's memory (`MemTotal` of /proc/meminfo), when known.
fn machine_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// A size such as `512M`, `8G`, `1.5GB`, `2GiB` or a number of bytes (K, M, G, T are powers of
/// 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let value: f64 = number.parse().map_err(|_| {
        format!("`{text}` is not a size: write it as 512M, 8G or a number of bytes")
    })?;
    let unit = unit.trim().to_ascii_uppercase();
    let unit = unit.trim_end_matches("IB").trim_end_matches('B');
    let scale: f64 = match unit {
        "" => 1.0,
        "K" => 1024.0,
        "M" => 1024.0 * 1024.0,
        "G" => 1024.0 * 1024.0 * 1024.0,
        "T" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("`{text}`: the unit is one of K, M, G, T")),
    };
    let bytes = value * scale;
    if !(1.0..1.8e19).contains(&bytes) {
        return Err(format!("`{text}` is not a usable memory limit"));
    }
    Ok(bytes as u64)
}

/// Bytes as `7.2 GB` (powers of 1024).
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    let (value, unit) = if b >= (1u64 << 40) as f64 {
        (b / (1u64 << 40) as f64, "TB")
    } else if b >= (1u64 << 30) as f64 {
        (b / (1u64 << 30) as f64, "GB")
    } else if b >= (1u64 << 20) as f64 {
        (b / (1u64 << 20) as f64, "MB")
    } else {
        (b / 1024.0, "KB")
    };
    format!("{value:.1} {unit}")
}

/// Refuses `what` when it would need more than the budget: the message gives the estimate,
/// the budget and where it comes from, and `hint` says what to change.
pub fn check(need: u64, what: &str, hint: &str) -> Result<(), Error> {
    let (limit, given) = limit();
    if need <= limit {
        return Ok(());
    }
    let source = if given {
        "set by --memory-limit".to_string()
    } else {
        "half of this machine's memory; --memory-limit sets another".to_string()
    };
    Err(Error::Usage(format!(
        "{what} would need about {} of memory, more than the limit of {} ({source}); {hint}",
        human(need),
        human(limit)
    )))
}

/// `a · b · c` bytes, saturating (an estimate never wraps around to something small).
pub fn product(parts: &[u64]) -> u64 {
    parts.iter().fold(1u64, |a, b| a.saturating_mul(*b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("1.5GB"), Ok(3 << 29));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size(" 4 g "), Ok(4 << 30));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5X").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn estimates_saturate_and_print_in_binary_units() {
        assert_eq!(product(&[u64::MAX, 2]), u64::MAX);
        assert_eq!(human(7_730_941_132), "7.2 GB");
        assert_eq!(human(3 << 20), "3.0 MB");
    }
}

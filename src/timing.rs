//! Phase timings on standard error when `QINDEX_TIMINGS` is set: for finding where the time of
//! a large run goes (docs/performance.md).

use std::time::Instant;

/// Prints `timing: WHAT at T s` (seconds since it was made) for each lap, when
/// `QINDEX_TIMINGS` is set; does nothing otherwise.
pub struct Timer {
    start: Instant,
    on: bool,
}

impl Timer {
    pub fn new() -> Timer {
        Timer {
            start: Instant::now(),
            on: std::env::var_os("QINDEX_TIMINGS").is_some(),
        }
    }

    pub fn lap(&self, what: &str) {
        if self.on {
            eprintln!(
                "timing: {what} at {:.3} s",
                self.start.elapsed().as_secs_f64()
            );
        }
    }
}

impl Default for Timer {
    fn default() -> Timer {
        Timer::new()
    }
}

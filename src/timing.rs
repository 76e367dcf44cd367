//! Phase timings on standard error when `QINDEX_TIMINGS` is set: for finding where the time of
//! a large run goes (docs/performance.md); and the phase line a command shows on a terminal.

use std::sync::{LazyLock, Mutex};
use std::time::Instant;

/// Whether `QINDEX_TIMINGS` is set.
static TIMINGS: LazyLock<bool> = LazyLock::new(|| std::env::var_os("QINDEX_TIMINGS").is_some());

/// When the process started (the first [`start`] or [`lap`]) and when the last lap ended.
static CLOCK: Mutex<Option<(Instant, Instant)>> = Mutex::new(None);

/// Starts the phase clock (the command line does, first thing).
pub fn start() {
    if *TIMINGS {
        if let Ok(mut c) = CLOCK.lock() {
            let now = Instant::now();
            c.get_or_insert((now, now));
        }
    }
}

/// Ends a phase of the phase budget: with `QINDEX_TIMINGS` set, prints
/// `timing: PHASE  D s  (at T s)`, D the time since the previous lap and T since the start.
/// The phases of `run`: map, parse, formulas, indicators, aggregate, rank, write.
pub fn lap(phase: &str) {
    if !*TIMINGS {
        return;
    }
    let Ok(mut c) = CLOCK.lock() else { return };
    let now = Instant::now();
    let (start, last) = c.get_or_insert((now, now));
    eprintln!(
        "timing: {phase:<36} {:>8.3} s   (at {:.3} s)",
        (now - *last).as_secs_f64(),
        (now - *start).as_secs_f64()
    );
    *last = now;
}

thread_local! {
    /// Whether this thread runs the command's own evaluation, whose steps are laps.
    static LAPS_HERE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` (the command's evaluation) with the laps of its steps ([`step`]) on; the same
/// steps run thousands of times in a Monte Carlo kernel, where they are not laps.
pub fn with_steps<T>(f: impl FnOnce() -> T) -> T {
    LAPS_HERE.with(|h| h.set(true));
    let out = f();
    LAPS_HERE.with(|h| h.set(false));
    out
}

/// A [`lap`] inside the evaluator: only within [`with_steps`].
pub fn step(phase: &str) {
    if *TIMINGS && LAPS_HERE.with(|h| h.get()) {
        lap(phase);
    }
}

/// The phase line: on a terminal, what the process is doing once it has run for more than a
/// second (`reading data.csv… 2.4 s`), redrawn five times a second and cleared before anything
/// else is printed. The library names its phases with [`phase`]; nothing shows unless the
/// command line turned the line on with [`show_phases`].
mod line {
    use std::io::Write;
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};

    pub(super) struct Line {
        /// The phase now running; `None` while nothing should show (a counter is printing).
        pub label: Option<String>,
        /// The width of the line on the terminal, 0 when none is shown.
        pub shown: usize,
    }

    pub(super) static LINE: Mutex<Line> = Mutex::new(Line {
        label: None,
        shown: 0,
    });
    pub(super) static START: OnceLock<Instant> = OnceLock::new();

    /// How long the process runs before the line appears.
    const QUIET: Duration = Duration::from_secs(1);

    pub(super) fn start() {
        if START.set(Instant::now()).is_err() {
            return;
        }
        std::thread::spawn(|| loop {
            std::thread::sleep(Duration::from_millis(200));
            let elapsed = START.get().map_or(Duration::ZERO, |s| s.elapsed());
            if elapsed < QUIET {
                continue;
            }
            let Ok(mut line) = LINE.lock() else { return };
            if let Some(label) = &line.label {
                let text = format!("{label}… {:.1} s", elapsed.as_secs_f64());
                let width = text.chars().count();
                let pad = line.shown.saturating_sub(width);
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r{text}{}", " ".repeat(pad));
                let _ = err.flush();
                line.shown = width.max(line.shown);
            }
        });
    }

    /// Clears the line if it shows; the caller holds the lock.
    pub(super) fn clear(line: &mut Line) {
        if line.shown > 0 {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}\r", " ".repeat(line.shown));
            let _ = err.flush();
            line.shown = 0;
        }
    }
}

/// Turns the phase line on (the command line does, on a terminal and when not quiet).
pub fn show_phases() {
    line::start();
}

/// Names the phase now starting (`reading data.csv`), for the phase line.
pub fn phase(label: impl Into<String>) {
    if line::START.get().is_none() {
        return;
    }
    if let Ok(mut line) = line::LINE.lock() {
        line.label = Some(label.into());
    }
}

/// Ends the phase line: cleared, and nothing shown until the next [`phase`]. Before a
/// counter of its own or the result is printed.
pub fn phases_done() {
    if let Ok(mut line) = line::LINE.lock() {
        line.label = None;
        line::clear(&mut line);
    }
}

/// Clears the phase line, if it shows, before something else is printed on standard error;
/// it is drawn again on the next tick.
pub fn clear_phase_line() {
    if let Ok(mut line) = line::LINE.lock() {
        line::clear(&mut line);
    }
}

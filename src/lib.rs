//! qindex: a rules language and engine for composite indicators.
#![doc = include_str!("../ARCHITECTURE.md")]
// Diagnostics are large by design (spans, notes, hints) and are returned only on the cold path
// of checking, so boxing them would buy nothing.
#![allow(clippy::result_large_err)]

pub mod analysis;
pub mod check;
pub mod data;
pub mod diagnostics;
pub mod error;
pub mod eval;
pub mod lsp;
pub mod memory;
pub mod methods;
pub mod plan;
pub mod report;
pub mod sensitivity;
pub mod session;
pub mod source;
pub mod sql;
pub mod syntax;
pub mod timing;

pub use diagnostics::{Diagnostic, Severity};
pub use error::{Error, Result};
pub use source::{FileId, Sources, Span};

static THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Sets how many threads qindex uses (0 = the available cores). Results do not depend on it.
pub fn set_threads(n: usize) {
    THREADS.store(n, std::sync::atomic::Ordering::Relaxed);
}

/// The number of threads to use: as set by [`set_threads`], else the available cores.
pub fn threads() -> usize {
    match THREADS.load(std::sync::atomic::Ordering::Relaxed) {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// `f` of every index in `0..n`, in order, on up to [`threads`] threads (each takes a
/// contiguous range): the result is the same for any thread count when `f` is a function of
/// its index.
pub(crate) fn par_map<R: Send>(n: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let threads = threads().clamp(1, n.max(1));
    if threads == 1 {
        return (0..n).map(f).collect();
    }
    let per = n.div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let range = (t * per).min(n)..((t + 1) * per).min(n);
                s.spawn(move || range.map(f).collect::<Vec<R>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(part) => part,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

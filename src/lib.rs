//! qindex: a rules language and engine for composite indicators.
#![doc = include_str!("../ARCHITECTURE.md")]
// Diagnostics are large by design (spans, notes, hints) and are returned only on the cold path
// of checking, so boxing them would buy nothing.
#![allow(clippy::result_large_err)]

pub mod check;
pub mod data;
pub mod diagnostics;
pub mod error;
pub mod eval;
pub mod methods;
pub mod output;
pub mod plan;
pub mod report;
pub mod source;
pub mod syntax;

pub use diagnostics::{Diagnostic, Severity};
pub use error::{Error, Result};
pub use source::{FileId, Sources, Span};

//! qindex: a rules language and engine for composite indicators.
#![doc = include_str!("../ARCHITECTURE.md")]

pub mod check;
pub mod diagnostics;
pub mod error;
pub mod methods;
pub mod plan;
pub mod report;
pub mod source;
pub mod syntax;

pub use diagnostics::{Diagnostic, Severity};
pub use error::{Error, Result};
pub use source::{FileId, Sources, Span};

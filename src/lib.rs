//! qindex: a rules language and engine for composite indicators.
#![doc = include_str!("../ARCHITECTURE.md")]

pub mod data;
pub mod diagnostics;
pub mod error;
pub mod methods;
pub mod source;

pub use diagnostics::{Diagnostic, Severity};
pub use error::{Error, Result};
pub use source::{FileId, Sources, Span};

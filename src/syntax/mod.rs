//! The syntax stage: rules text → AST (pest stays inside this module).

pub mod ast;
pub mod fmt;
pub mod lex;
pub(crate) mod parse;

pub use parse::{parse, parse_expr};

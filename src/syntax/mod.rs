//! The syntax stage: rules text → AST (pest stays inside this module).

pub mod ast;
pub mod fmt;
pub mod lex;
pub(crate) mod parse;
pub mod tokens;

pub use parse::{parse, parse_expr};

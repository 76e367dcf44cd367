//! The library's error type: problems in the rules or data (diagnostics), and I/O or usage errors.

use crate::diagnostics::Diagnostic;
use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// Problems in the rules or the data, each with its location. At least one is an error;
    /// warnings found on the way travel with them.
    Diagnostics(Vec<Diagnostic>),
    /// A file could not be read or written.
    Io { path: PathBuf, message: String },
    /// The command line asked for something impossible.
    Usage(String),
    /// Stopped by the user (Ctrl-C) before anything was written.
    Interrupted,
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            message: err.to_string(),
        }
    }

    pub fn diagnostic(d: Diagnostic) -> Error {
        Error::Diagnostics(vec![d])
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Diagnostics(ds) => {
                let n = ds.iter().filter(|d| d.is_error()).count();
                write!(f, "{n} error(s) in the rules or data")
            }
            Error::Io { path, message } => write!(f, "{}: {message}", path.display()),
            Error::Usage(m) => write!(f, "{m}"),
            Error::Interrupted => write!(f, "interrupted: nothing was written"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

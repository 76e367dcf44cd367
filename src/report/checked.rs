//! `qindex check`'s line per file.

use crate::analysis::checked::FileCheck;

/// `PATH: ok — index `ID`: N groups, M indicators; schemes: ...; K warnings`, or nothing for
/// a file with errors (its diagnostics say it).
pub fn line(f: &FileCheck) -> String {
    let Some(shape) = f.index.as_ref().filter(|_| f.ok) else {
        return String::new();
    };
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    format!(
        "{}: ok — index `{}`: {} groups, {} indicators{}{}\n",
        f.path,
        shape.id,
        shape.groups,
        shape.indicators,
        if shape.schemes.is_empty() {
            String::new()
        } else {
            format!("; schemes: {}", shape.schemes.join(", "))
        },
        if f.warnings > 0 {
            format!("; {} warning{}", f.warnings, plural(f.warnings))
        } else {
            String::new()
        }
    )
}

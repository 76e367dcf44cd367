//! Turning a file's bytes into UTF-8 text: BOMs, detection of GB18030, forced encodings.

use crate::diagnostics::{did_you_mean, Diagnostic};
use crate::error::Error;
use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};
use std::borrow::Cow;

/// Encoding names suggested when an unknown one is given.
const KNOWN: &[&str] = &[
    "utf-8",
    "gb18030",
    "gbk",
    "gb2312",
    "big5",
    "shift_jis",
    "euc-jp",
    "euc-kr",
    "windows-1252",
    "latin1",
    "iso-8859-15",
    "utf-16le",
    "utf-16be",
];

/// The decoded text, the name of the encoding it was read in, and any warnings.
pub(crate) struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static str,
    pub warnings: Vec<Diagnostic>,
}

/// Decodes `bytes`: with `forced`, in that encoding (any label the WHATWG Encoding Standard
/// knows, such as `gbk`, `gb18030`, `latin1`); otherwise UTF-8 (with or without BOM), UTF-16
/// with a BOM, or else GB18030, the encoding of files saved by Chinese Excel and WPS.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    forced: Option<&str>,
    file: &str,
) -> Result<Decoded<'a>, Error> {
    if let Some(label) = forced {
        let encoding = Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
            let mut d =
                Diagnostic::error("unknown-encoding", format!("unknown encoding `{label}`"))
                    .with_location(file.to_string());
            let lower = label.trim().to_lowercase();
            if let Some(close) = did_you_mean(&lower, KNOWN.iter().copied()) {
                d = d.with_hint(format!("did you mean `{close}`?"));
            }
            Error::diagnostic(d.with_note(format!("known encodings include {}", KNOWN.join(", "))))
        })?;
        if encoding == UTF_8 {
            return utf8(bytes, file);
        }
        let (text, _, had_errors) = encoding.decode(bytes);
        let mut warnings = Vec::new();
        if had_errors {
            warnings.push(
                Diagnostic::warning(
                    "decode-errors",
                    format!(
                        "some bytes of {file} are not valid {} and were replaced by �",
                        encoding.name()
                    ),
                )
                .with_location(file.to_string()),
            );
        }
        return Ok(Decoded {
            text,
            encoding: encoding.name(),
            warnings,
        });
    }
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return utf8(bytes, file);
    }
    if let Some(text) = as_utf8(bytes) {
        return Ok(Decoded {
            text: Cow::Borrowed(text),
            encoding: "UTF-8",
            warnings: Vec::new(),
        });
    }
    for (bom, encoding) in [([0xFF, 0xFE], UTF_16LE), ([0xFE, 0xFF], UTF_16BE)] {
        if bytes.starts_with(&bom) {
            let (text, _, _) = encoding.decode(bytes);
            return Ok(Decoded {
                text,
                encoding: encoding.name(),
                warnings: Vec::new(),
            });
        }
    }
    match GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok(Decoded {
            text,
            encoding: GB18030.name(),
            warnings: Vec::new(),
        }),
        None => Err(Error::diagnostic(not_utf8(
            bytes,
            file,
            "is neither UTF-8 nor GB18030",
        ))),
    }
}

fn utf8<'a>(bytes: &'a [u8], file: &str) -> Result<Decoded<'a>, Error> {
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match as_utf8(body) {
        Some(text) => Ok(Decoded {
            text: Cow::Borrowed(text),
            encoding: "UTF-8",
            warnings: Vec::new(),
        }),
        None => Err(Error::diagnostic(not_utf8(
            body,
            file,
            "is not valid UTF-8",
        ))),
    }
}

/// The bytes as text when they are UTF-8. A large file is checked in two halves on two
/// threads, split at a line break (a byte that is never part of a longer character).
fn as_utf8(bytes: &[u8]) -> Option<&str> {
    const PARALLEL_MIN: usize = 8 << 20;
    let middle = bytes.len() / 2;
    let split = memchr::memchr(b'\n', &bytes[middle..]).map(|k| middle + k + 1);
    let (Some(split), true) = (split, bytes.len() >= PARALLEL_MIN && crate::threads() > 1) else {
        return simdutf8::basic::from_utf8(bytes).ok();
    };
    let (a, b) = bytes.split_at(split);
    let (ok_a, ok_b) = std::thread::scope(|s| {
        let second = s.spawn(|| simdutf8::basic::from_utf8(b).is_ok());
        let first = simdutf8::basic::from_utf8(a).is_ok();
        (first, second.join().unwrap_or(false))
    });
    if !(ok_a && ok_b) {
        return None;
    }
    // SAFETY: both parts are valid UTF-8, and the split is just after an ASCII byte ('\n'),
    // which no multi-byte character contains, so no character straddles it: the
    // concatenation is valid UTF-8 too.
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// Names the row of the first byte that is not UTF-8.
fn not_utf8(bytes: &[u8], file: &str, what: &str) -> Diagnostic {
    let at = match std::str::from_utf8(bytes) {
        Err(e) => e.valid_up_to(),
        Ok(_) => 0,
    };
    let row = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
    Diagnostic::error("bad-encoding", format!("{file} {what}"))
        .with_location(format!("{file}:{row}"))
        .with_hint(
            "name the file's encoding (for example `windows-1252` or `big5`), or save it \
             again as UTF-8",
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_gb18030() {
        let (bytes, _, _) = GB18030.encode("地区,得分\n北京,1\n");
        let d = decode(&bytes, None, "f.csv").unwrap_or_else(|_| unreachable!());
        assert_eq!(d.encoding, "gb18030");
        assert_eq!(d.text, "地区,得分\n北京,1\n");
    }

    /// A file large enough to be checked in two halves: valid text with characters of every
    /// length around the split is text; a bad byte in either half is not.
    #[test]
    fn large_files_are_checked_in_halves() {
        let line = "地区,得分,é,𝕏,x\n";
        let mut text = String::new();
        while text.len() < 9 << 20 {
            text.push_str(line);
        }
        let bytes = text.as_bytes();
        assert_eq!(as_utf8(bytes), Some(text.as_str()));
        for at in [10, bytes.len() / 2 + 3, bytes.len() - 5] {
            let mut bad = bytes.to_vec();
            bad[at] = 0xFF;
            assert_eq!(as_utf8(&bad), None, "a bad byte at {at}");
        }
    }

    #[test]
    fn strips_bom() {
        let d = decode(b"\xEF\xBB\xBFa,b\n", None, "f.csv").unwrap_or_else(|_| unreachable!());
        assert_eq!(d.text, "a,b\n");
    }
}

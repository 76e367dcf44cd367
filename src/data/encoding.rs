//! Turning a file's bytes into UTF-8 text: BOMs, a guess between GB18030 and Windows-1252,
//! forced encodings.

use crate::diagnostics::{did_you_mean, Diagnostic};
use crate::error::Error;
use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};
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
/// with a BOM, or else a guess (see [`guess`]) between GB18030, the encoding of files saved by
/// Chinese Excel and WPS, and Windows-1252 (Latin-1), that of Western European ones. A guess
/// always comes with a `guessed-encoding` warning.
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
    let gb = GB18030.decode_without_bom_handling_and_without_replacement(bytes);
    let latin = WINDOWS_1252
        .decode_without_bom_handling_and_without_replacement(bytes)
        // The five bytes Windows-1252 leaves undefined decode to C1 controls: not text.
        .filter(|t| !t.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)));
    let (chosen, other, clear) = match (gb, latin) {
        (None, None) => {
            return Err(Error::diagnostic(not_utf8(
                bytes,
                file,
                "is neither UTF-8, GB18030 nor Windows-1252",
            )))
        }
        (Some(gb), None) => ((gb, GB18030), None, true),
        (None, Some(latin)) => ((latin, WINDOWS_1252), None, true),
        (Some(gb), Some(latin)) => {
            let g = guess(bytes);
            if g.gb18030 {
                ((gb, GB18030), Some((latin, WINDOWS_1252)), g.clear)
            } else {
                ((latin, WINDOWS_1252), Some((gb, GB18030)), g.clear)
            }
        }
    };
    let warning = guessed(bytes, file, &chosen, other.as_ref(), clear);
    Ok(Decoded {
        text: chosen.0,
        encoding: chosen.1.name(),
        warnings: vec![warning],
    })
}

/// Which of GB18030 and Windows-1252 reads a file more plausibly, and whether the choice is
/// clear-cut.
#[derive(Debug, PartialEq)]
struct Guess {
    gb18030: bool,
    clear: bool,
}

/// Judges bytes that both GB18030 and Windows-1252 can decode. Read as GB18030, Chinese text
/// is made of the common characters of GB2312 (both bytes 0xA1 or above, first byte in the
/// punctuation rows 0xA1–0xA9 or the hanzi rows 0xB0–0xF7), while Latin-1 text, whose accented
/// letters stand next to ASCII letters, gives rare characters of the GBK extension (`Zürich`
/// reads `Z黵ich`). Read as Windows-1252, Latin-1 text has its non-ASCII bytes alone or in
/// pairs, each a letter, beside an ASCII letter (`é` in `café`), while Chinese text gives
/// longer runs of accented capitals and symbols. The more plausible reading wins (GB18030 on
/// a tie); the choice is clear-cut when the two shares differ by at least a half over at
/// least three runs of non-ASCII bytes.
fn guess(bytes: &[u8]) -> Guess {
    let (mut common, mut rare) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(0x30..=0x39) => {
                rare += 1;
                i += 4;
            }
            Some(&t) => {
                if (0xA1..=0xA9).contains(&b) || (0xB0..=0xF7).contains(&b) && t >= 0xA1 {
                    common += usize::from(t >= 0xA1);
                    rare += usize::from(t < 0xA1);
                } else {
                    rare += 1;
                }
                i += 2;
            }
            None => {
                rare += 1;
                i += 1;
            }
        }
    }
    let (mut runs, mut good) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] < 0x80 {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i] >= 0x80 {
            i += 1;
        }
        runs += 1;
        let run = &bytes[start..i];
        let letters = run.iter().all(|&b| {
            b >= 0xC0 && b != 0xD7 && b != 0xF7
                || matches!(b, 0x8A | 0x8C | 0x8E | 0x9A | 0x9C | 0x9E | 0x9F)
        });
        let beside = |k: Option<&u8>| k.is_some_and(|c| c.is_ascii_alphabetic());
        let next_to_letter =
            beside(start.checked_sub(1).and_then(|k| bytes.get(k))) || beside(bytes.get(i));
        good += usize::from(run.len() <= 2 && letters && next_to_letter);
    }
    let share = |a: usize, n: usize| if n == 0 { 0.0 } else { a as f64 / n as f64 };
    let gb = share(common, common + rare);
    let latin = share(good, runs);
    Guess {
        gb18030: gb >= latin,
        clear: (gb - latin).abs() >= 0.5 && runs >= 3,
    }
}

/// The `guessed-encoding` warning: the file, the encoding chosen, the text around the first
/// non-ASCII byte as read, and, when the choice is not clear-cut, the other reading.
fn guessed(
    bytes: &[u8],
    file: &str,
    chosen: &(Cow<'_, str>, &'static Encoding),
    other: Option<&(Cow<'_, str>, &'static Encoding)>,
    clear: bool,
) -> Diagnostic {
    // Both encodings read ASCII as ASCII, so the text before the first non-ASCII byte is the
    // same bytes in the decoded text.
    let at = bytes.iter().position(|b| *b >= 0x80).unwrap_or(0);
    let row = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
    let name = chosen.1.name();
    let mut d = Diagnostic::warning(
        "guessed-encoding",
        format!(
            "{file} is not UTF-8 and was read as {name}, a guess (row {row}: `{}`)",
            excerpt(&chosen.0, at)
        ),
    )
    .with_location(format!("{file}:{row}"))
    .with_hint(
        "if the text looks garbled, name the file's encoding: `--encoding latin1` (Western \
         European) or `--encoding gbk` (Chinese), or save the file as UTF-8",
    );
    if let Some((text, encoding)) = other.filter(|_| !clear) {
        d = d.with_note(format!(
            "the choice is not clear-cut (the file has little non-ASCII text, or it reads \
             plausibly both ways); read as {} it says `{}`",
            encoding.name(),
            excerpt(text, at)
        ));
    }
    d
}

/// Up to 20 characters either side of byte `at` of `text`, on its line, with control and
/// bidirectional characters escaped.
fn excerpt(text: &str, at: usize) -> String {
    let at = (0..=at.min(text.len()))
        .rev()
        .find(|k| text.is_char_boundary(*k))
        .unwrap_or(0);
    let line_start = text[..at].rfind('\n').map_or(0, |k| k + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |k| at + k);
    let before: Vec<char> = text[line_start..at].chars().collect();
    let from = before.len().saturating_sub(20);
    let mut out: String = before[from..].iter().collect();
    out.extend(text[at..line_end].trim_end_matches('\r').chars().take(21));
    crate::diagnostics::escape_invisible(&out)
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
    fn guesses_latin1_against_gb18030() {
        fn decode_ok(b: &[u8]) -> Decoded<'_> {
            decode(b, None, "f.csv").unwrap_or_else(|_| unreachable!())
        }
        let latin = decode_ok(b"city,x\nZ\xfcrich,1\nBern,2\n");
        assert_eq!(latin.encoding, "windows-1252");
        assert_eq!(latin.text, "city,x\nZürich,1\nBern,2\n");
        // One non-ASCII character: a guess that says it is not clear-cut.
        assert_eq!(latin.warnings[0].notes.len(), 1, "{:?}", latin.warnings);
        let (gbk, _, _) = GB18030.encode("地区,得分\n北京,1\n上海,2\n广州,3\n");
        let gb = decode_ok(&gbk);
        assert_eq!(gb.encoding, "gb18030");
        assert!(gb.warnings[0].notes.is_empty(), "{:?}", gb.warnings);
        assert_eq!(
            guess(b"unit,x\nS\xe3o Tom\xe9,1\nC\xf4te d'Ivoire,2\nZ\xfcrich,3\n"),
            Guess {
                gb18030: false,
                clear: true
            }
        );
    }

    #[test]
    fn strips_bom() {
        let d = decode(b"\xEF\xBB\xBFa,b\n", None, "f.csv").unwrap_or_else(|_| unreachable!());
        assert_eq!(d.text, "a,b\n");
    }
}

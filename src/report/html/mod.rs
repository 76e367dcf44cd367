//! `qindex report`: one self-contained HTML page (styles, scripts and data inline, a
//! Content-Security-Policy that forbids any fetch), rendered from the report's data model.
//! Every text from the rules or the data is escaped here, once: [`escape`] for HTML and
//! [`script_json`] for the JSON the charts are built from.

mod charts;
pub mod model;
mod page;
mod text;

pub use model::{build, Inputs, Lang, Report};

use serde::Serialize;

/// Apache ECharts, vendored (vendor/echarts/README.md says which release and from where).
pub(crate) const ECHARTS: &str = include_str!("../../../vendor/echarts/echarts.min.js");

/// The report's data model as JSON (`qindex.report/1`).
pub fn json(r: &Report) -> String {
    super::json::document("report", 1, r)
}

/// A file attached to the page as a download link (a data URL), e.g. the tables as xlsx.
pub struct Attachment {
    pub name: String,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

/// The report as one HTML page, with `attachments` as download links in its overview.
pub fn html(r: &Report, attachments: &[Attachment]) -> String {
    page::render(r, attachments)
}

/// Standard base64 with padding (RFC 4648), for data URLs.
pub fn base64(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (k, b)| acc | u32::from(*b) << (16 - 8 * k));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(DIGITS[(n >> (18 - 6 * k)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Text escaped for HTML content and for attribute values (quoted with `"` or `'`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A value as JSON that can stand inside a `<script>` element: `<`, `>` and `&` (so no `</`,
/// `<!--` or `]]>`) and the line separators U+2028/U+2029 are written as `\u` escapes, which
/// JSON reads back as the same characters.
pub fn script_json<T: Serialize + ?Sized>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &str = "<img src=x onerror=alert(1)>";

    #[test]
    fn escape_leaves_no_markup() {
        let e = escape(EVIL);
        assert!(!e.contains('<') && !e.contains('>'), "{e}");
        assert_eq!(e, "&lt;img src=x onerror=alert(1)&gt;");
        assert_eq!(escape("a\"b'c&d"), "a&quot;b&#39;c&amp;d");
        assert_eq!(escape("质量强市"), "质量强市");
    }

    #[test]
    fn script_json_cannot_close_the_script_and_reads_back_the_same() {
        let nasty = format!("{EVIL}</script><!-- x \u{2028}\u{2029} ]]> & é");
        let json = script_json(&vec![nasty.clone()]);
        for bad in ["</", "<!--", "<", ">", "\u{2028}", "\u{2029}", "]]>"] {
            assert!(!json.contains(bad), "{bad:?} in {json}");
        }
        let back: Vec<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, vec![nasty]);
    }

    #[test]
    fn base64_is_rfc_4648() {
        // The test vectors of RFC 4648, section 10.
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded, "{plain}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0xfd]), "//79");
    }

    #[test]
    fn vendored_echarts_is_the_pinned_release() {
        // vendor/echarts/README.md names the release; a different file is a different one.
        assert!(ECHARTS.contains("t.version=\"5.6.0\""));
        assert_eq!(ECHARTS.len(), 1_034_102);
        // Inline in a <script> element: nothing in it may end the element or open a comment.
        assert!(!ECHARTS.to_ascii_lowercase().contains("</script"));
        assert!(!ECHARTS.contains("<!--"));
    }
}

//! Which cells of an `.xlsx` sheet are formatted as percentages. calamine reads a cell shown
//! as `90.12%` as its stored value 0.9012 and keeps no number format but dates', so the
//! workbook's styles and the sheet's cell styles are read here, from the same archive.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::HashSet;
use std::io::{Cursor, Read};

/// The (row, column) of every cell of sheet `sheet` whose number format is a percentage, both
/// 0-based as in calamine's ranges; `None` when the bytes are not an xlsx archive with that
/// sheet (other formats: no cell is known to be a percentage).
pub fn percent_cells(bytes: &[u8], sheet: &str) -> Option<HashSet<(u32, u32)>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut read = |name: &str| -> Option<Vec<u8>> {
        let mut f = zip.by_name(name).ok()?;
        let mut out = Vec::new();
        f.read_to_end(&mut out).ok()?;
        Some(out)
    };
    let workbook = read("xl/workbook.xml")?;
    let rels = read("xl/_rels/workbook.xml.rels")?;
    let styles = read("xl/styles.xml").unwrap_or_default();
    let rid = elements(&workbook, b"sheet")
        .into_iter()
        .find(|a| attr(a, b"name").as_deref() == Some(sheet))
        .and_then(|a| attr(&a, b"r:id").or_else(|| attr(&a, b"id")))?;
    let target = elements(&rels, b"Relationship")
        .into_iter()
        .find(|a| attr(a, b"Id").as_deref() == Some(rid.as_str()))
        .and_then(|a| attr(&a, b"Target"))?;
    let path = match target.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None => format!("xl/{target}"),
    };
    let percent = percent_styles(&styles);
    if !percent.iter().any(|p| *p) {
        return Some(HashSet::new());
    }
    let sheet_xml = read(&path)?;
    let mut out = HashSet::new();
    for a in elements(&sheet_xml, b"c") {
        let Some(s) = attr(&a, b"s").and_then(|s| s.parse::<usize>().ok()) else {
            continue;
        };
        if !percent.get(s).copied().unwrap_or(false) {
            continue;
        }
        if let Some(at) = attr(&a, b"r").and_then(|r| cell_ref(&r)) {
            out.insert(at);
        }
    }
    Some(out)
}

/// Per cell style (`cellXfs`), whether its number format is a percentage.
fn percent_styles(styles: &[u8]) -> Vec<bool> {
    let mut custom: Vec<(u32, bool)> = Vec::new();
    let mut xfs = Vec::new();
    let mut reader = Reader::from_reader(styles);
    let mut buf = Vec::new();
    let mut in_cell_xfs = false;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let name = e.local_name();
                let decoder = reader.decoder();
                match name.as_ref() {
                    b"numFmt" => {
                        let id = attr_of(&e, b"numFmtId", decoder).and_then(|x| x.parse().ok());
                        let code = attr_of(&e, b"formatCode", decoder).unwrap_or_default();
                        if let Some(id) = id {
                            custom.push((id, is_percent_code(&code)));
                        }
                    }
                    b"cellXfs" => in_cell_xfs = true,
                    b"xf" if in_cell_xfs => {
                        let id: u32 = attr_of(&e, b"numFmtId", decoder)
                            .and_then(|x| x.parse().ok())
                            .unwrap_or(0);
                        // Built-in formats 9 (`0%`) and 10 (`0.00%`) are percentages.
                        let pct =
                            matches!(id, 9 | 10) || custom.iter().any(|(c, p)| *c == id && *p);
                        xfs.push(pct);
                    }
                    _ => {}
                }
            }
            Ok(Event::End(e)) if e.local_name().as_ref() == b"cellXfs" => in_cell_xfs = false,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    xfs
}

/// Whether a number format code shows a percentage: a `%` outside quotes, brackets and
/// escapes, in the first section (positive numbers).
fn is_percent_code(code: &str) -> bool {
    let mut quoted = false;
    let mut bracket = false;
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            '\\' if !quoted => {
                chars.next();
            }
            ';' if !quoted && !bracket => return false,
            '%' if !quoted && !bracket => return true,
            _ => {}
        }
    }
    false
}

/// `B12` → (11, 1).
fn cell_ref(r: &str) -> Option<(u32, u32)> {
    let letters: String = r.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let digits = &r[letters.len()..];
    let row: u32 = digits.parse().ok()?;
    let mut col = 0u32;
    for c in letters.chars() {
        col = col.checked_mul(26)? + (c.to_ascii_uppercase() as u32 - 'A' as u32 + 1);
    }
    Some((row.checked_sub(1)?, col.checked_sub(1)?))
}

/// The attributes of every element named `name` (start or empty), as (key, value) pairs.
fn elements(xml: &[u8], name: &[u8]) -> Vec<Vec<(Vec<u8>, String)>> {
    let mut out = Vec::new();
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == name => {
                out.push(
                    e.attributes()
                        .filter_map(Result::ok)
                        .map(|a| {
                            (
                                a.key.as_ref().to_vec(),
                                a.decode_and_unescape_value(reader.decoder())
                                    .map(|v| v.into_owned())
                                    .unwrap_or_default(),
                            )
                        })
                        .collect(),
                );
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

fn attr(attrs: &[(Vec<u8>, String)], key: &[u8]) -> Option<String> {
    attrs
        .iter()
        .find(|(k, _)| k.as_slice() == key)
        .map(|(_, v)| v.clone())
}

fn attr_of(e: &BytesStart, key: &[u8], decoder: quick_xml::encoding::Decoder) -> Option<String> {
    e.attributes()
        .filter_map(Result::ok)
        .find(|a| a.key.as_ref() == key)
        .and_then(|a| {
            a.decode_and_unescape_value(decoder)
                .ok()
                .map(|v| v.into_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_codes() {
        assert!(is_percent_code("0.00%"));
        assert!(is_percent_code("0%"));
        assert!(!is_percent_code("0.00\"%\""));
        assert!(!is_percent_code("0.00\\%"));
        assert!(!is_percent_code("[Red]0.00"));
        assert!(!is_percent_code("0.00;-0.00%"));
        assert!(!is_percent_code("yyyy-mm-dd"));
    }

    #[test]
    fn cell_refs() {
        assert_eq!(cell_ref("A1"), Some((0, 0)));
        assert_eq!(cell_ref("B12"), Some((11, 1)));
        assert_eq!(cell_ref("AA3"), Some((2, 26)));
        assert_eq!(cell_ref("1"), None);
    }
}

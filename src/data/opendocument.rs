//! A check of an OpenDocument spreadsheet (`.ods`) before the workbook reader opens it.
//!
//! A cell or a row of an `.ods` sheet may say it repeats: `table:number-columns-repeated` and
//! `table:number-rows-repeated`. calamine writes every repetition out when the workbook opens,
//! so a 1.3 KB file asking for a value repeated 999,999,999 times in 999,999,999 rows exhausts
//! memory and aborts the process. This scan reads `content.xml`'s tags the way calamine does
//! (the same element names, the same notion of an empty cell, which calamine does not write
//! out when it ends a row), adds up the cells calamine will hold, and refuses the file when
//! they pass the limit. Files whose XML is merely malformed are left to calamine.

use std::io::Read;
use std::mem::size_of;

/// The cells calamine holds for the sheets of `bytes` (a whole `.ods` file), in bytes, when that
/// passes `limit`: `Err` with the reason. Not a zip with `content.xml`: passes.
pub(crate) fn check(bytes: &[u8], limit: u64) -> Result<(), String> {
    if !bytes.starts_with(b"PK") {
        return Ok(());
    }
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return Ok(());
    };
    let is_ods = archive.by_name("mimetype").is_ok_and(|mut m| {
        let mut s = String::new();
        m.read_to_string(&mut s).is_ok()
            && s.trim() == "application/vnd.oasis.opendocument.spreadsheet"
    });
    if !is_ods {
        return Ok(());
    }
    let Ok(content) = archive.by_name("content.xml") else {
        return Ok(());
    };
    // The inflated size was checked against the limit before (the zip's own sizes); `take`
    // keeps a lying size honest.
    let mut xml = Vec::new();
    if content.take(limit).read_to_end(&mut xml).is_err() {
        return Ok(());
    }
    let held = held_bytes(&xml);
    if held <= limit as u128 {
        return Ok(());
    }
    let mb = |b: u128| b as f64 / (1u64 << 20) as f64;
    Err(format!(
        "its repeated rows and cells (`table:number-rows-repeated`, \
         `table:number-columns-repeated`) would take {:.0} MB of memory written out, more than \
         the {:.0} MB qindex allows for a workbook of this size",
        mb(held),
        mb(limit as u128)
    ))
}

/// What calamine holds, in bytes, for the tables of `xml`: per table, every cell it pushes
/// (with an empty formula beside each), then the sheet laid out from its first non-empty row
/// to its last, each row as wide as the widest.
fn held_bytes(xml: &[u8]) -> u128 {
    let cell = size_of::<calamine::Data>() as u128;
    let text = size_of::<String>() as u128;
    let mut total: u128 = 0;
    let mut table: Option<Table> = None;
    for tag in Tags(xml) {
        match (tag.end, tag.name) {
            (false, b"table:table") => table = Some(Table::default()),
            (true, b"table:table") => {
                if let Some(t) = table.take() {
                    total = total.saturating_add(t.held(cell, text));
                }
            }
            (false, b"table:table-row") => {
                if let Some(t) = &mut table {
                    let Some(repeats) = tag.number(b"table:number-rows-repeated") else {
                        // calamine stops on a number it cannot read.
                        return total.saturating_add(t.held(cell, text));
                    };
                    t.start_row(repeats);
                }
            }
            (true, b"table:table-row") => {
                if let Some(t) = &mut table {
                    t.end_row();
                }
            }
            (false, b"table:table-cell" | b"table:covered-table-cell") => {
                if let Some(t) = &mut table {
                    let Some(repeats) = tag.number(b"table:number-columns-repeated") else {
                        return total.saturating_add(t.held(cell, text));
                    };
                    t.cell(repeats, !tag.is_empty_cell());
                }
            }
            _ => {}
        }
    }
    if let Some(t) = table {
        total = total.saturating_add(t.held(cell, text));
    }
    total
}

/// A table being read: its finished rows as (repeats, cells pushed), and the row open.
#[derive(Default)]
struct Table {
    rows: Vec<(u128, u128)>,
    open: Option<Row>,
    pushed: u128,
}

#[derive(Default)]
struct Row {
    repeats: u128,
    pushed: u128,
    /// Empty cells not yet pushed: calamine pushes them when a value follows in the row.
    pending: u128,
}

impl Table {
    fn start_row(&mut self, repeats: u64) {
        self.open = Some(Row {
            repeats: repeats as u128,
            ..Row::default()
        });
    }

    fn cell(&mut self, repeats: u64, value: bool) {
        let Some(row) = &mut self.open else {
            return;
        };
        if value {
            row.pushed = row
                .pushed
                .saturating_add(row.pending)
                .saturating_add(repeats as u128);
            row.pending = 0;
        } else {
            row.pending = repeats as u128;
        }
    }

    fn end_row(&mut self) {
        if let Some(row) = self.open.take() {
            self.pushed = self.pushed.saturating_add(row.pushed);
            self.rows.push((row.repeats, row.pushed));
        }
    }

    /// The cells pushed (each with its formula), and the grid from the first row with a value
    /// to the last, each row repeated, as wide as the widest.
    fn held(&self, cell: u128, text: u128) -> u128 {
        let pushed = self
            .pushed
            .saturating_add(self.open.as_ref().map_or(0, |r| r.pushed));
        let first = self.rows.iter().position(|r| r.1 > 0);
        let last = self.rows.iter().rposition(|r| r.1 > 0);
        let grid = match (first, last) {
            (Some(a), Some(b)) => {
                let width = self.rows.iter().map(|r| r.1).max().unwrap_or(0);
                self.rows[a..=b]
                    .iter()
                    .fold(0u128, |n, r| n.saturating_add(r.0.saturating_mul(width)))
            }
            _ => 0,
        };
        pushed
            .saturating_mul(cell + text)
            .saturating_add(grid.saturating_mul(cell))
    }
}

/// A tag: its name, whether it closes an element, and the text of its attributes.
struct Tag<'a> {
    name: &'a [u8],
    end: bool,
    attrs: &'a [u8],
}

impl Tag<'_> {
    /// The attribute `key`'s value, unquoted (entities left as they are).
    fn attr(&self, key: &[u8]) -> Option<&[u8]> {
        let mut rest = self.attrs;
        loop {
            let start = rest
                .iter()
                .position(|b| !b.is_ascii_whitespace() && *b != b'/')?;
            rest = &rest[start..];
            let eq = rest.iter().position(|b| *b == b'=')?;
            let name = rest[..eq].trim_ascii();
            let after = rest[eq + 1..].trim_ascii_start();
            let quote = *after.first()?;
            if quote != b'"' && quote != b'\'' {
                return None;
            }
            let len = after[1..].iter().position(|b| *b == quote)?;
            if name == key {
                return Some(&after[1..1 + len]);
            }
            rest = &after[len + 2..];
        }
    }

    /// A repeat count: 1 when absent, `None` when calamine could not read it.
    fn number(&self, key: &[u8]) -> Option<u64> {
        match self.attr(key) {
            None => Some(1),
            Some(v) => std::str::from_utf8(v).ok()?.parse().ok(),
        }
    }

    /// Whether calamine reads the cell as empty: no value, no formula, not a string cell.
    fn is_empty_cell(&self) -> bool {
        let valued = [
            &b"office:value"[..],
            b"office:string-value",
            b"office:date-value",
            b"office:time-value",
            b"office:boolean-value",
            b"table:formula",
        ]
        .iter()
        .any(|k| self.attr(k).is_some());
        !valued && self.attr(b"office:value-type") != Some(b"string")
    }
}

/// The tags of an XML text, skipping comments, CDATA sections, processing instructions and
/// declarations (whose text may look like tags).
struct Tags<'a>(&'a [u8]);

impl<'a> Iterator for Tags<'a> {
    type Item = Tag<'a>;

    fn next(&mut self) -> Option<Tag<'a>> {
        loop {
            let at = self.0.iter().position(|b| *b == b'<')?;
            let rest = &self.0[at + 1..];
            let skip_to = |end: &[u8]| {
                rest.windows(end.len())
                    .position(|w| w == end)
                    .map(|p| p + end.len())
            };
            let skipped = if rest.starts_with(b"!--") {
                skip_to(b"-->")
            } else if rest.starts_with(b"![CDATA[") {
                skip_to(b"]]>")
            } else if rest.starts_with(b"?") {
                skip_to(b"?>")
            } else if rest.starts_with(b"!") {
                skip_to(b">")
            } else {
                None
            };
            if rest.starts_with(b"!") || rest.starts_with(b"?") {
                self.0 = &rest[skipped.unwrap_or(rest.len())..];
                continue;
            }
            let end = rest.first() == Some(&b'/');
            let body = if end { &rest[1..] } else { rest };
            // The tag ends at the first `>` outside a quoted value.
            let mut quote = None;
            let close = body.iter().position(|&b| match quote {
                Some(q) => {
                    if b == q {
                        quote = None;
                    }
                    false
                }
                None if b == b'"' || b == b'\'' => {
                    quote = Some(b);
                    false
                }
                None => b == b'>',
            });
            let Some(close) = close else {
                self.0 = &[];
                return None;
            };
            let inner = &body[..close];
            self.0 = &body[close + 1..];
            let name_len = inner
                .iter()
                .position(|b| b.is_ascii_whitespace() || *b == b'/')
                .unwrap_or(inner.len());
            return Some(Tag {
                name: &inner[..name_len],
                end,
                attrs: &inner[name_len..],
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &str) -> Vec<u8> {
        format!(
            "<?xml version=\"1.0\"?><office:document-content><!-- <table:table-row> -->\
             <office:body><office:spreadsheet><table:table table:name=\"S\">{rows}</table:table>\
             </office:spreadsheet></office:body></office:document-content>"
        )
        .into_bytes()
    }

    const V: &str = "<table:table-cell office:value-type=\"float\" office:value=\"1\"/>";

    #[test]
    fn a_plain_table_counts_its_cells() {
        let xml = table(&format!("<table:table-row>{V}{V}</table:table-row>").repeat(3));
        let (cell, text) = (
            size_of::<calamine::Data>() as u128,
            size_of::<String>() as u128,
        );
        assert_eq!(held_bytes(&xml), 6 * (cell + text) + 6 * cell);
    }

    #[test]
    fn trailing_empty_repeats_cost_nothing() {
        // What LibreOffice writes after the data: a row of 1,024 empty cells repeated to the
        // sheet's end, and the rest of each row as repeated empty cells.
        let row = format!(
            "<table:table-row>{V}<table:table-cell table:number-columns-repeated=\"1023\"/>\
             </table:table-row>"
        );
        let tail = "<table:table-row table:number-rows-repeated=\"1048575\">\
                    <table:table-cell table:number-columns-repeated=\"1024\"/></table:table-row>";
        let held = held_bytes(&table(&format!("{row}{tail}")));
        assert!(held < 1024, "{held}");
    }

    #[test]
    fn repeated_values_count_every_repetition() {
        let xml = table(
            "<table:table-row table:number-rows-repeated=\"999999999\">\
             <table:table-cell table:number-columns-repeated=\"999999999\" \
             office:value-type=\"string\"><text:p>x</text:p></table:table-cell>\
             </table:table-row>",
        );
        assert!(held_bytes(&xml) > 999_999_999u128 * 999_999_999);
    }

    #[test]
    fn empty_cells_between_values_are_pushed() {
        let gap = "<table:table-cell table:number-columns-repeated=\"1000000\"/>";
        let xml = table(&format!("<table:table-row>{V}{gap}{V}</table:table-row>"));
        assert!(held_bytes(&xml) > 1_000_000 * size_of::<calamine::Data>() as u128);
    }

    #[test]
    fn tags_skip_comments_and_read_quoted_brackets() {
        let xml = b"<!-- <a> --><b x='>' y=\"2\"/><![CDATA[<c>]]></b>";
        let tags: Vec<_> = Tags(xml).map(|t| (t.name.to_vec(), t.end)).collect();
        assert_eq!(tags, vec![(b"b".to_vec(), false), (b"b".to_vec(), true)]);
        let b = Tags(xml).next().unwrap();
        assert_eq!(b.attr(b"y"), Some(&b"2"[..]));
        assert_eq!(b.attr(b"x"), Some(&b">"[..]));
    }
}

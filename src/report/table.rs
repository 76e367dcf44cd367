//! The one table builder: headings, columns aligned by display width (CJK labels are two
//! columns wide, numbers right-aligned), long labels elided with `…`; rendered as aligned text
//! (split into blocks that fit a terminal), as CSV (RFC 4180, guarded against formulas) or as
//! a markdown pipe table.

use super::{csv_field, guard_formula, pad, pad_left, truncate_to_width};
use crate::diagnostics::display_width;

/// Where a column's cells sit: text on the left, numbers on the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone)]
struct Column {
    heading: String,
    align: Align,
    /// Cells wider than this (in display columns) are cut and end in `…` in text.
    max_width: Option<usize>,
    /// The column is at least this wide in text.
    min_width: usize,
    /// Repeated in every block when the table is split to fit a width.
    key: bool,
}

/// A table of text cells, built column by column, then row by row.
///
/// ```
/// use qindex::report::table::Table;
/// let mut t = Table::new().key_left("unit").left("label").right("score");
/// t.row(["C01", "质量强市", "61.20"]);
/// assert_eq!(t.render_text(None), "unit  label     score\nC01   质量强市  61.20\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
    /// Headings take their column's alignment (else they are all on the left).
    align_headings: bool,
    /// Written before every text line.
    indent: String,
}

/// The columns between text columns in the text rendering.
const GAP: &str = "  ";

impl Table {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a column.
    pub fn column(mut self, heading: impl Into<String>, align: Align) -> Self {
        self.columns.push(Column {
            heading: heading.into(),
            align,
            max_width: None,
            min_width: 0,
            key: false,
        });
        self
    }

    /// Adds a left-aligned (text) column.
    pub fn left(self, heading: impl Into<String>) -> Self {
        self.column(heading, Align::Left)
    }

    /// Adds a right-aligned (number) column.
    pub fn right(self, heading: impl Into<String>) -> Self {
        self.column(heading, Align::Right)
    }

    /// Adds a left-aligned key column: repeated in every block of a split table.
    pub fn key_left(self, heading: impl Into<String>) -> Self {
        self.left(heading).key()
    }

    /// Adds a right-aligned key column (a rank, say).
    pub fn key_right(self, heading: impl Into<String>) -> Self {
        self.right(heading).key()
    }

    /// Makes the last column a key column.
    pub fn key(mut self) -> Self {
        if let Some(c) = self.columns.last_mut() {
            c.key = true;
        }
        self
    }

    /// Elides the last column's cells past `width` display columns in text.
    pub fn max_width(mut self, width: usize) -> Self {
        if let Some(c) = self.columns.last_mut() {
            c.max_width = Some(width);
        }
        self
    }

    /// Makes the last column at least `width` display columns wide in text.
    pub fn min_width(mut self, width: usize) -> Self {
        if let Some(c) = self.columns.last_mut() {
            c.min_width = width;
        }
        self
    }

    /// Aligns each heading as its column (numbers' headings on the right).
    pub fn align_headings(mut self) -> Self {
        self.align_headings = true;
        self
    }

    /// Starts every text line with `indent`.
    pub fn indent(mut self, indent: impl Into<String>) -> Self {
        self.indent = indent.into();
        self
    }

    /// Adds a row; missing cells are empty and extra ones are dropped.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.columns.len(), String::new());
        self.rows.push(row);
    }

    /// The number of rows (headings aside).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A cell as shown in text: on one line, elided past the column's maximum width.
    /// Control characters (ESC, BEL, CR, ...) and bidirectional overrides from labels never
    /// reach the terminal: they show as spaces.
    fn shown(&self, k: usize, cell: &str) -> String {
        let cell = super::one_line(cell);
        match self.columns[k].max_width {
            Some(w) => truncate_to_width(&cell, w),
            None => cell,
        }
    }

    /// Aligned text, one line per row under a line of headings, columns two spaces apart and
    /// no trailing spaces. When `width` is given and the lines would be wider, the columns that
    /// do not fit go into further blocks (separated by a blank line), each repeating the key
    /// columns; a block always has at least one column besides the keys.
    pub fn render_text(&self, width: Option<usize>) -> String {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .map(|(k, c)| self.shown(k, c))
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(k, c)| {
                cells
                    .iter()
                    .map(|r| display_width(&r[k]))
                    .chain([display_width(&c.heading), c.min_width])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for (b, block) in self.blocks(&widths, width).iter().enumerate() {
            if b > 0 {
                out.push('\n');
            }
            let heading: Vec<String> = block
                .iter()
                .map(|&k| {
                    let c = &self.columns[k];
                    if self.align_headings && c.align == Align::Right {
                        pad_left(&c.heading, widths[k])
                    } else {
                        pad(&c.heading, widths[k])
                    }
                })
                .collect();
            self.push_line(&mut out, &heading);
            for row in &cells {
                let line: Vec<String> = block
                    .iter()
                    .map(|&k| match self.columns[k].align {
                        Align::Left => pad(&row[k], widths[k]),
                        Align::Right => pad_left(&row[k], widths[k]),
                    })
                    .collect();
                self.push_line(&mut out, &line);
            }
        }
        out
    }

    fn push_line(&self, out: &mut String, cells: &[String]) {
        let line = format!("{}{}", self.indent, cells.join(GAP));
        out.push_str(line.trim_end());
        out.push('\n');
    }

    /// The columns of each block: all of them when they fit in `width` (or no width is
    /// given), else the key columns and as many others as fit, in order.
    fn blocks(&self, widths: &[usize], width: Option<usize>) -> Vec<Vec<usize>> {
        let all: Vec<usize> = (0..self.columns.len()).collect();
        let line = |cols: &[usize]| -> usize {
            display_width(&self.indent)
                + cols.iter().map(|&k| widths[k]).sum::<usize>()
                + GAP.len() * cols.len().saturating_sub(1)
        };
        let Some(width) = width else {
            return vec![all];
        };
        if line(&all) <= width {
            return vec![all];
        }
        let keys: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&k| self.columns[k].key)
            .collect();
        let mut blocks = Vec::new();
        let mut block = keys.clone();
        for k in all.iter().copied().filter(|&k| !self.columns[k].key) {
            let mut wider = block.clone();
            wider.push(k);
            wider.sort_unstable();
            if block.len() > keys.len() && line(&wider) > width {
                blocks.push(block);
                block = keys.clone();
                block.push(k);
                block.sort_unstable();
            } else {
                block = wider;
            }
        }
        if block.len() > keys.len() || blocks.is_empty() {
            blocks.push(block);
        }
        blocks
    }

    /// CSV per RFC 4180: a heading line, then a line per row, each ended by CRLF when `crlf`
    /// (else LF); fields holding a comma, a quote or a line break are quoted, and text cells
    /// (and headings) that a spreadsheet would run as a formula get a leading `'`. Numbers are
    /// written as they are, so `-1.5` stays a number.
    pub fn render_csv(&self, crlf: bool) -> String {
        let end = if crlf { "\r\n" } else { "\n" };
        let mut out = String::new();
        let heading: Vec<String> = self
            .columns
            .iter()
            .map(|c| csv_field(&guard_formula(&c.heading)))
            .collect();
        out.push_str(&heading.join(","));
        out.push_str(end);
        for row in &self.rows {
            let fields: Vec<String> = row
                .iter()
                .map(|cell| {
                    if cell.parse::<f64>().is_ok() {
                        csv_field(cell)
                    } else {
                        csv_field(&guard_formula(cell))
                    }
                })
                .collect();
            out.push_str(&fields.join(","));
            out.push_str(end);
        }
        out
    }

    /// A markdown pipe table, its columns padded to line up in the source: `|` inside cells
    /// escaped, line breaks as spaces, numbers' columns right-aligned (`---:`). Cells are not
    /// elided.
    pub fn render_markdown(&self) -> String {
        let esc = |s: &str| -> String {
            s.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect::<String>()
                .replace('|', "\\|")
        };
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|c| esc(c)).collect())
            .collect();
        let headings: Vec<String> = self.columns.iter().map(|c| esc(&c.heading)).collect();
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|k| {
                rows.iter()
                    .map(|r| display_width(&r[k]))
                    .chain([display_width(&headings[k]), 3])
                    .max()
                    .unwrap_or(3)
            })
            .collect();
        let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
        let mut out = line(
            headings
                .iter()
                .zip(&widths)
                .map(|(h, w)| pad(h, *w))
                .collect(),
        );
        out.push_str(&line(
            self.columns
                .iter()
                .zip(&widths)
                .map(|(c, w)| match c.align {
                    Align::Left => "-".repeat(*w),
                    Align::Right => format!("{}:", "-".repeat(w - 1)),
                })
                .collect(),
        ));
        for row in &rows {
            out.push_str(&line(
                row.iter()
                    .zip(&widths)
                    .zip(&self.columns)
                    .map(|((cell, w), c)| match c.align {
                        Align::Left => pad(cell, *w),
                        Align::Right => pad_left(cell, *w),
                    })
                    .collect(),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let mut t = Table::new().left("unit").left("label");
        t.row(["C01", "\u{1b}[2J\u{7}Zürich\r\u{202E}cba"]);
        let text = t.render_text(None);
        assert!(
            !text
                .chars()
                .any(|c| (c.is_control() && c != '\n') || c == '\u{202E}'),
            "{text:?}"
        );
        assert!(text.contains("[2J Zürich  cba"), "{text:?}");
    }

    fn sample() -> Table {
        let mut t = Table::new()
            .key_right("rank")
            .key_left("unit")
            .left("label")
            .max_width(8)
            .right("score")
            .right("change");
        t.row(["1", "C01", "质量强市示范城市", "61.20", "+3"]);
        t.row(["2", "C02", "Ōsaka", "58.05", "-1"]);
        t.row(["10", "C10", "", "7.5", "="]);
        t
    }

    #[test]
    fn aligns_by_display_width_numbers_right() {
        insta::assert_snapshot!(sample().render_text(None), @r"
        rank  unit  label    score  change
           1  C01   质量强…  61.20      +3
           2  C02   Ōsaka    58.05      -1
          10  C10              7.5       =
        ");
    }

    #[test]
    fn cjk_counts_two_columns() {
        let mut t = Table::new().left("a").left("b");
        t.row(["质量", "x"]);
        t.row(["ab", "y"]);
        assert_eq!(t.render_text(None), "a     b\n质量  x\nab    y\n");
    }

    #[test]
    fn headings_may_follow_their_column() {
        let mut t = Table::new()
            .left("id")
            .right("value")
            .align_headings()
            .indent("  ");
        t.row(["a", "1234567"]);
        assert_eq!(t.render_text(None), "  id    value\n  a   1234567\n");
    }

    #[test]
    fn splits_into_blocks_repeating_the_keys_when_narrow() {
        let t = sample();
        let text = t.render_text(Some(26));
        insta::assert_snapshot!(text, @r"
        rank  unit  label    score
           1  C01   质量强…  61.20
           2  C02   Ōsaka    58.05
          10  C10              7.5

        rank  unit  change
           1  C01       +3
           2  C02       -1
          10  C10        =
        ");
        assert!(text.lines().all(|l| display_width(l) <= 26));
        // Wide enough: one block, as without a width.
        assert_eq!(t.render_text(Some(200)), t.render_text(None));
    }

    #[test]
    fn a_column_wider_than_the_width_gets_a_block_of_its_own() {
        let mut t = Table::new().key_left("k").left("a").left("b");
        t.row(["1", "aaaaaaaaaa", "bbbbbbbbbb"]);
        assert_eq!(
            t.render_text(Some(5)),
            "k  a\n1  aaaaaaaaaa\n\nk  b\n1  bbbbbbbbbb\n"
        );
    }

    #[test]
    fn csv_quotes_and_guards_text_not_numbers() {
        let mut t = Table::new().left("unit").left("label").right("shift");
        t.row(["C1", "Smith, \"Jr\"", "-3"]);
        t.row(["=HYPERLINK(1)", "a\nb", "2.5"]);
        t.row(["C3", "", "-x+1"]);
        assert_eq!(
            t.render_csv(true),
            "unit,label,shift\r\nC1,\"Smith, \"\"Jr\"\"\",-3\r\n'=HYPERLINK(1),\"a\nb\",2.5\r\nC3,,'-x+1\r\n"
        );
        assert!(t.render_csv(false).starts_with("unit,label,shift\nC1,"));
    }

    #[test]
    fn markdown_escapes_pipes_and_right_aligns_numbers() {
        let mut t = Table::new().left("unit").right("score");
        t.row(["a|b", "1.5"]);
        t.row(["质量", "12.25"]);
        assert_eq!(
            t.render_markdown(),
            "| unit | score |\n| ---- | ----: |\n| a\\|b |   1.5 |\n| 质量 | 12.25 |\n"
        );
    }
}

//! Positions between qindex and the Language Server Protocol: spans are byte offsets into the
//! text; LSP counts lines and, within a line, UTF-16 code units. A Chinese character is one
//! unit (three bytes), a character outside the Basic Multilingual Plane two (four bytes).

use lsp_types::Position;

/// The start of every line of a text, for converting both ways.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// The byte offset at which each line starts (the first is 0).
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The position of byte `offset` (clamped to the text, and back to a character boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(self.len);
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let character: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(line as u32, character as u32)
    }

    /// The byte offset of a position: a line past the end is the end of the text, a character
    /// past the end of its line the end of the line (before its line break), a position inside
    /// a surrogate pair the start of its character.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.len;
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .map_or(self.len, |&next| next - 1);
        let line = &text[start..end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            let next = units + c.len_utf16() as u32;
            if next > position.character {
                return start + i;
            }
            units = next;
        }
        start + line.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each character of lines with Chinese labels, full-width punctuation and characters
    /// outside the BMP maps to the UTF-16 column LSP expects, and back.
    #[test]
    fn utf16_columns_both_ways() {
        let text = "index q \"质量强市，评价\" by city {\r\n    # 𝄞 音乐 😀 x\n    indicator a\n}";
        let index = LineIndex::new(text);
        for (offset, c) in text.char_indices() {
            let p = index.position(text, offset);
            // The column is the UTF-16 length of the line's text before the character.
            let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let want: usize = text[line_start..offset].encode_utf16().count();
            assert_eq!(p.character as usize, want, "at {offset} ({c:?})");
            assert_eq!(
                p.line as usize,
                text[..offset].matches('\n').count(),
                "at {offset}"
            );
            if c != '\n' && c != '\r' {
                assert_eq!(index.offset(text, p), offset, "{c:?} back");
            }
        }
        // `𝄞` takes two units: the position between them is the character's start.
        let clef = text.find('𝄞').unwrap();
        let p = index.position(text, clef);
        let inside = Position::new(p.line, p.character + 1);
        assert_eq!(index.offset(text, inside), clef);
        // Past the end of a line: its end, before "\r\n"; past the last line: the end.
        assert_eq!(
            index.offset(text, Position::new(0, 999)),
            text.find('\r').unwrap()
        );
        assert_eq!(index.offset(text, Position::new(99, 0)), text.len());
        assert_eq!(index.position(text, text.len() + 5), Position::new(3, 1));
    }
}

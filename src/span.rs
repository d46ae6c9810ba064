//! Positions in a source file: what every diagnostic points at.

use std::ops::Range;

/// A region of a source file: byte offsets for the snippet renderer, and the
/// 1-based line and column (in characters) of its start for `file:line:col`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn bytes(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// Maps the parser's character-based positions to byte offsets.
///
/// The YAML parser counts characters; annotate-snippets wants byte ranges.
/// Files are capped at 1 MiB, so a per-line table is cheap.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            line_starts,
            len: text.len(),
        }
    }

    /// Byte offset of a 1-based line and a 0-based character column.
    pub fn offset(&self, text: &str, line: usize, char_col: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.len;
        };
        text[start..]
            .char_indices()
            .nth(char_col)
            .map_or(self.len, |(i, _)| start + i)
    }

    /// The 1-based line and column of a byte offset.
    pub fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.len);
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line, column + 1)
    }

    /// A span from a 1-based line / 0-based character column pair to another.
    pub fn span(&self, text: &str, start: (usize, usize), end: (usize, usize)) -> Span {
        let start_byte = self.offset(text, start.0, start.1);
        let end_byte = self.offset(text, end.0, end.1).max(start_byte);
        // Derived from the byte offset, so that a position past the end of
        // the text (an unclosed bracket at end of file) reads the same in
        // the `file:line:col` header and in the snippet.
        self.span_of_bytes(text, start_byte, end_byte)
    }

    /// A span covering the bytes `start..end`.
    pub fn span_of_bytes(&self, text: &str, start: usize, end: usize) -> Span {
        let (line, column) = self.position(text, start);
        Span {
            line,
            column,
            start,
            end: end.max(start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_characters_not_bytes() {
        let text = "a: é\nb: ü x\n";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, 2, 5), "a: é\nb: ü ".len());
        let span = index.span(text, (2, 3), (2, 4));
        assert_eq!((span.line, span.column), (2, 4));
        assert_eq!(&text[span.bytes()], "ü");
    }

    #[test]
    fn position_round_trips_offset() {
        let text = "one\ntwo: ü\nthree";
        let index = LineIndex::new(text);
        let offset = text.find("three").unwrap();
        assert_eq!(index.position(text, offset), (3, 1));
        assert_eq!(index.position(text, text.find('ü').unwrap()), (2, 6));
    }
}

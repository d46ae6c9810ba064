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

/// Maps the parser's character indices to byte offsets, lines and columns,
/// each in logarithmic time: a spec of one very long line costs no more than
/// the same spec spread over many.
///
/// Lines end at `\n`, `\r\n` or a lone `\r`, as they do for the YAML parser.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset of each line's first character.
    line_starts: Vec<usize>,
    /// Character index of each line's first character.
    line_start_chars: Vec<usize>,
    /// Byte offset of each character, when the text is not ASCII.
    char_bytes: Option<Vec<u32>>,
    len: usize,
    chars: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        let mut line_start_chars = vec![0];
        let ascii = text.is_ascii();
        let mut char_bytes = if ascii {
            None
        } else {
            Some(Vec::with_capacity(text.len()))
        };
        let mut chars = 0;
        let mut iter = text.char_indices().peekable();
        while let Some((byte, c)) = iter.next() {
            if let Some(table) = char_bytes.as_mut() {
                table.push(byte as u32);
            }
            chars += 1;
            let line_break = match c {
                '\n' => true,
                '\r' => iter.peek().is_none_or(|(_, next)| *next != '\n'),
                _ => false,
            };
            if line_break {
                line_starts.push(byte + 1);
                line_start_chars.push(chars);
            }
        }
        LineIndex {
            line_starts,
            line_start_chars,
            char_bytes,
            len: text.len(),
            chars,
        }
    }

    /// The byte offset of a character index (the end of the text past it).
    pub fn byte_of_char(&self, index: usize) -> usize {
        if index >= self.chars {
            return self.len;
        }
        match &self.char_bytes {
            None => index,
            Some(table) => table[index] as usize,
        }
    }

    fn char_of_byte(&self, byte: usize) -> usize {
        match &self.char_bytes {
            None => byte.min(self.len),
            Some(table) => table.partition_point(|&b| (b as usize) < byte),
        }
    }

    /// The byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.len)
    }

    /// The span from character index `start` to `end`.
    pub fn span_of_chars(&self, start: usize, end: usize) -> Span {
        let start_byte = self.byte_of_char(start);
        let end_byte = self.byte_of_char(end).max(start_byte);
        let line = self.line_starts.partition_point(|&s| s <= start_byte);
        let column = start.min(self.chars) - self.line_start_chars[line - 1] + 1;
        Span {
            line,
            column,
            start: start_byte,
            end: end_byte,
        }
    }

    /// A span covering the bytes `start..end`.
    pub fn span_of_bytes(&self, start: usize, end: usize) -> Span {
        let start = start.min(self.len);
        let span = self.span_of_chars(self.char_of_byte(start), self.char_of_byte(start));
        Span {
            start,
            end: end.max(start),
            ..span
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_map_to_bytes_lines_and_columns() {
        let text = "a: é\nb: ü x\n";
        let index = LineIndex::new(text);
        let u = text.find('ü').unwrap();
        let span = index.span_of_chars(8, 9);
        assert_eq!((span.line, span.column), (2, 4));
        assert_eq!(span.start, u);
        assert_eq!(&text[span.bytes()], "ü");
    }

    #[test]
    fn bytes_map_back_to_lines_and_columns() {
        let text = "one\ntwo: ü\nthree";
        let index = LineIndex::new(text);
        let span = index.span_of_bytes(text.find("three").unwrap(), text.len());
        assert_eq!((span.line, span.column), (3, 1));
        let span = index.span_of_bytes(text.find('ü').unwrap(), text.len());
        assert_eq!((span.line, span.column), (2, 6));
    }

    #[test]
    fn crlf_and_lone_cr_end_lines() {
        let text = "a\r\nb\rc\nd";
        let index = LineIndex::new(text);
        let d = index.span_of_bytes(text.find('d').unwrap(), text.len());
        assert_eq!((d.line, d.column), (4, 1));
        let c = index.span_of_bytes(text.find('c').unwrap(), text.len());
        assert_eq!((c.line, c.column), (3, 1));
    }

    #[test]
    fn past_the_end_is_the_end() {
        let text = "a: [1, 2\n";
        let index = LineIndex::new(text);
        let span = index.span_of_chars(100, 101);
        assert_eq!((span.start, span.line, span.column), (text.len(), 2, 1));
    }
}

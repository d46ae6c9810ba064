//! The load stage's parser: YAML text to a tree of nodes that remember where
//! they came from.
//!
//! Customer YAML is read defensively: anchors, aliases and tags are refused
//! (no billion laughs, no type tricks), duplicate keys are refused, nesting is
//! capped, and plain scalars are resolved by the YAML 1.2 core schema only, so
//! `yes`, `no`, `on`, `off`, `1_000` and `12:30` stay strings.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span as ParserSpan};

use crate::diagnostic::Problem;
use crate::diagnostic::span::{LineIndex, Span};

/// How deep mappings and sequences may nest. Real specs stay under 8.
pub const MAX_DEPTH: usize = 64;

/// Past this many errors in one file, parsing stops: the file is not a spec
/// with typos but something else, and a million diagnostics help nobody.
pub const MAX_ERRORS: usize = 50;

/// A YAML node and the span of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string, and whether it was written as a plain (unquoted) scalar.
    Str(String, bool),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping; keys are always strings.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    /// The value of `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The JSON equivalent, for JSON Schema validation and typed decoding.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            // JSON Schema counts `120.0` as an integer; so does the decoder.
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => J::from(*f as i64),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s, _) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// What kind of value this is, in the words an error message uses.
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(..) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// What can be wrong with a file's YAML.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum YamlError {
    #[error("invalid YAML: {0}")]
    Syntax(String),
    #[error("invalid YAML: {message}")]
    Unclosed {
        message: String,
        open: Span,
        bracket: char,
    },
    #[error("the file holds no YAML document")]
    Empty,
    #[error("the file holds more than one YAML document")]
    MultipleDocuments,
    #[error("YAML anchors are not allowed")]
    Anchor,
    #[error("YAML aliases are not allowed")]
    Alias,
    #[error("YAML tags are not allowed (found `{0}`)")]
    Tag(String),
    #[error("duplicate key `{key}`")]
    DuplicateKey { key: String, first: Span },
    #[error("a mapping key must be a plain string")]
    ComplexKey,
    #[error("nesting is deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("more than {limit} YAML errors: stopped reading the file here")]
    TooManyErrors { limit: usize },
}

impl Problem for YamlError {
    fn code(&self) -> &'static str {
        match self {
            YamlError::Syntax(_) | YamlError::Unclosed { .. } => "yaml-syntax",
            YamlError::Empty => "yaml-empty",
            YamlError::MultipleDocuments => "yaml-multiple-documents",
            YamlError::Anchor => "yaml-anchor",
            YamlError::Alias => "yaml-alias",
            YamlError::Tag(_) => "yaml-tag",
            YamlError::DuplicateKey { .. } => "yaml-duplicate-key",
            YamlError::ComplexKey => "yaml-complex-key",
            YamlError::TooDeep { .. } => "yaml-too-deep",
            YamlError::TooManyErrors { .. } => "yaml-too-many-errors",
        }
    }

    fn hint(&self) -> Option<String> {
        Some(
            match self {
                YamlError::Syntax(message) => return syntax_hint(message).map(str::to_string),
                YamlError::Unclosed { open, bracket, .. } => {
                    let close = if *bracket == '[' { ']' } else { '}' };
                    return Some(format!(
                        "the `{bracket}` on line {} is never closed: add `{close}` where the list or mapping ends",
                        open.line
                    ));
                }
                YamlError::Empty => "a site spec starts with `apiVersion: sitectl/v1`; `sitectl new NAME` writes one",
                YamlError::MultipleDocuments => "put each site in its own file and remove the `---` separator",
                YamlError::Anchor | YamlError::Alias => "write the value out in full where it is needed",
                YamlError::Tag(_) => "remove the tag; quote the value if it must stay a string",
                YamlError::DuplicateKey { .. } => "keep one of the two keys and remove the other",
                YamlError::ComplexKey => "use a plain text key, e.g. `name:`",
                YamlError::TooDeep { .. } => "a site spec nests only a few levels deep: flatten the structure",
                YamlError::TooManyErrors { .. } => "fix the errors above and run again",
            }
            .to_string(),
        )
    }

    fn label(&self) -> Option<String> {
        match self {
            YamlError::DuplicateKey { .. } => Some("defined again here".into()),
            YamlError::TooDeep { .. } => Some("too deep".into()),
            _ => None,
        }
    }

    fn related(&self) -> Option<(Span, String)> {
        match self {
            YamlError::DuplicateKey { first, .. } => Some((*first, "first defined here".into())),
            YamlError::Unclosed { open, bracket, .. } => {
                Some((*open, format!("this `{bracket}` is not closed")))
            }
            _ => None,
        }
    }
}

/// An error with the place it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<E> {
    pub span: Span,
    pub error: E,
}

impl<E: fmt::Display> fmt::Display for Located<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.span.line, self.span.column, self.error)
    }
}

/// Parses one YAML document. On failure, returns every error found before
/// parsing had to stop (a syntax error or excessive nesting stops it; refused
/// constructs such as duplicate keys and tags are collected and parsing goes on).
pub fn parse(text: &str) -> Result<Node, Vec<Located<YamlError>>> {
    Builder::new(text).run()
}

enum Frame {
    Seq {
        start: ParserSpan,
        items: Vec<Node>,
    },
    Map {
        start: ParserSpan,
        entries: Vec<Entry>,
        key: Option<PendingKey>,
        /// Index of each key in `entries`: duplicate checks stay linear on
        /// a mapping of a hundred thousand keys. Never iterated.
        seen: HashMap<String, usize>,
    },
}

/// A key waiting for its value; `None` text marks a refused key whose value is dropped.
struct PendingKey {
    text: Option<String>,
    span: Span,
}

struct Builder<'t> {
    text: &'t str,
    lines: LineIndex,
    errors: Vec<Located<YamlError>>,
    stack: Vec<Frame>,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Self {
        Builder {
            text,
            lines: LineIndex::new(text),
            errors: Vec::new(),
            stack: Vec::new(),
        }
    }

    fn span(&self, span: &ParserSpan) -> Span {
        self.lines
            .span_of_chars(span.start.index(), span.end.index())
    }

    fn between(&self, start: &ParserSpan, end: &ParserSpan) -> Span {
        self.lines
            .span_of_chars(start.start.index(), end.end.index())
    }

    fn error(&mut self, span: Span, error: YamlError) {
        self.errors.push(Located { span, error });
    }

    fn fail(mut self, span: Span, error: YamlError) -> Result<Node, Vec<Located<YamlError>>> {
        self.error(span, error);
        Err(self.errors)
    }

    fn scan_error(&self, error: &ScanError) -> (Span, YamlError) {
        let marker = error.marker();
        let span = self.lines.span_of_chars(marker.index(), marker.index() + 1);
        // The scanner caps flow nesting on its own, before our depth check
        // sees the events: to the user it is the same problem.
        let error = match error.info() {
            "recursion limit exceeded" => YamlError::TooDeep { limit: MAX_DEPTH },
            info if info.contains("unknown anchor") => YamlError::Alias,
            // A bracket opened on an earlier line and the parser lost on a
            // later one: almost always the bracket was never closed.
            info => match self
                .innermost_open_flow()
                .filter(|(open, _)| open.line < span.line)
            {
                Some((open, bracket)) => YamlError::Unclosed {
                    message: info.to_string(),
                    open,
                    bracket,
                },
                None => YamlError::Syntax(info.to_string()),
            },
        };
        (span, error)
    }

    /// The innermost `[` or `{` still open when the parser gave up: the
    /// usual cause of a syntax error reported a line or more later.
    fn innermost_open_flow(&self) -> Option<(Span, char)> {
        self.stack.iter().rev().find_map(|frame| {
            let start = match frame {
                Frame::Seq { start, .. } | Frame::Map { start, .. } => start,
            };
            let span = self.span(start);
            let bracket = self.text[span.start..].chars().next()?;
            matches!(bracket, '[' | '{').then(|| {
                let one = self.lines.span_of_bytes(span.start, span.start + 1);
                (one, bracket)
            })
        })
    }

    fn run(mut self) -> Result<Node, Vec<Located<YamlError>>> {
        let mut parser = Parser::new_from_str(self.text);
        let mut root: Option<Node> = None;
        let mut documents = 0;
        while let Some(next) = parser.next_event() {
            let (event, span) = match next {
                Ok(pair) => pair,
                Err(error) => {
                    let (span, error) = self.scan_error(&error);
                    return self.fail(span, error);
                }
            };
            if self.errors.len() >= MAX_ERRORS {
                let at = self.span(&span);
                return self.fail(at, YamlError::TooManyErrors { limit: MAX_ERRORS });
            }
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::StreamEnd => break,
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        let at = self.span(&span);
                        return self.fail(at, YamlError::MultipleDocuments);
                    }
                }
                Event::Alias(_) => {
                    let at = self.span(&span);
                    self.error(at, YamlError::Alias);
                    self.push_node(
                        Node {
                            span: at,
                            value: Value::Null,
                        },
                        &mut root,
                    );
                }
                Event::Scalar(value, style, anchor, tag) => {
                    let at = self.span(&span);
                    self.check_decorations(at, anchor, tag.as_deref());
                    let node = Node {
                        span: at,
                        value: resolve_scalar(value, style),
                    };
                    self.push_node(node, &mut root);
                }
                Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                    let is_sequence = matches!(event, Event::SequenceStart(..));
                    let at = self.span(&span);
                    self.check_decorations(at, anchor, tag.as_deref());
                    if self.stack.len() >= MAX_DEPTH {
                        return self.fail(at, YamlError::TooDeep { limit: MAX_DEPTH });
                    }
                    let frame = if is_sequence {
                        Frame::Seq {
                            start: span,
                            items: Vec::new(),
                        }
                    } else {
                        Frame::Map {
                            start: span,
                            entries: Vec::new(),
                            key: None,
                            seen: HashMap::new(),
                        }
                    };
                    self.stack.push(frame);
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let node = match self.stack.pop() {
                        Some(Frame::Seq { start, items }) => Node {
                            span: self.between(&start, &span),
                            value: Value::Seq(items),
                        },
                        Some(Frame::Map { start, entries, .. }) => Node {
                            span: self.between(&start, &span),
                            value: Value::Map(entries),
                        },
                        None => continue,
                    };
                    self.push_node(node, &mut root);
                }
            }
        }
        let root = match root {
            Some(node) if !is_empty_document(&node) => node,
            _ => {
                let at = self.lines.span_of_bytes(0, 0);
                self.error(at, YamlError::Empty);
                return Err(self.errors);
            }
        };
        if self.errors.is_empty() {
            Ok(root)
        } else {
            Err(self.errors)
        }
    }

    fn check_decorations(&mut self, at: Span, anchor: usize, tag: Option<&saphyr_parser::Tag>) {
        if anchor != 0 {
            self.error(at, YamlError::Anchor);
        }
        if let Some(tag) = tag {
            self.error(at, YamlError::Tag(tag_as_written(tag)));
        }
    }

    fn push_node(&mut self, node: Node, root: &mut Option<Node>) {
        let mut error = None;
        let at = node.span;
        match self.stack.last_mut() {
            None => *root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries, key, seen, ..
            }) => match key.take() {
                Some(PendingKey {
                    text: Some(text),
                    span,
                }) => entries.push(Entry {
                    key: text,
                    key_span: span,
                    value: node,
                }),
                Some(PendingKey { text: None, .. }) => {}
                None => {
                    let text = match &node.value {
                        Value::Str(s, _) => Some(s.clone()),
                        Value::Null if node.span.start == node.span.end => None,
                        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {
                            Some(self.text[node.span.bytes()].to_string())
                        }
                        Value::Seq(_) | Value::Map(_) => None,
                    };
                    match text {
                        Some(text) => {
                            if let Some(&first) = seen.get(&text) {
                                error = Some(YamlError::DuplicateKey {
                                    key: text,
                                    first: entries[first].key_span,
                                });
                                *key = Some(PendingKey {
                                    text: None,
                                    span: node.span,
                                });
                            } else {
                                seen.insert(text.clone(), entries.len());
                                *key = Some(PendingKey {
                                    text: Some(text),
                                    span: node.span,
                                });
                            }
                        }
                        None => {
                            error = Some(YamlError::ComplexKey);
                            *key = Some(PendingKey {
                                text: None,
                                span: node.span,
                            });
                        }
                    }
                }
            },
        }
        if let Some(error) = error {
            self.error(at, error);
        }
    }
}

/// Plain words for the parser's commonest complaints.
fn syntax_hint(message: &str) -> Option<&'static str> {
    Some(if message.contains("mapping values are not allowed") {
        "a `key: value` pair needs a space after the colon, and a value on the same line cannot start another mapping; quote text that contains `: `"
    } else if message.contains("could not find expected ':'")
        || message.contains("simple key expect ':'")
    {
        "a key needs a colon and a space after it, e.g. `seats: 25`"
    } else if message.contains("did not find expected key")
        || message.contains("did not find expected '-'")
    {
        "check the indentation: the keys of one mapping and the items of one list line up"
    } else if message.contains("found character that cannot start any token") {
        "indent with spaces, not tabs, and quote values that start with `@` or a backquote"
    } else if message.contains("quoted scalar") {
        "check the quotes: a quoted value ends at its closing quote, and nothing but a comment may follow it on the line"
    } else if message.contains("while parsing a block") || message.contains("invalid indentation") {
        "check the indentation of this line against the lines above it"
    } else {
        return None;
    })
}

/// `!!str` rather than the resolved `tag:yaml.org,2002:str`.
fn tag_as_written(tag: &saphyr_parser::Tag) -> String {
    match tag.handle.as_str() {
        "tag:yaml.org,2002:" => format!("!!{}", tag.suffix),
        "!" | "" => format!("!{}", tag.suffix),
        handle => format!("{handle}{}", tag.suffix),
    }
}

fn is_empty_document(node: &Node) -> bool {
    matches!(node.value, Value::Null) && node.span.start == node.span.end
}

/// The YAML 1.2 core schema for plain scalars; quoted and block scalars are
/// always strings.
fn resolve_scalar(text: Cow<'_, str>, style: ScalarStyle) -> Value {
    if style != ScalarStyle::Plain {
        return Value::Str(text.into_owned(), false);
    }
    match text.as_ref() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if is_core_int(&text)
        && let Ok(i) = text.parse::<i64>()
    {
        return Value::Int(i);
    }
    if is_core_float(&text)
        && let Ok(f) = text.parse::<f64>()
        && f.is_finite()
    {
        return Value::Float(f);
    }
    Value::Str(text.into_owned(), true)
}

fn is_core_int(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_core_float(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac_part {
        Some(f) => all_digits(int_part) && all_digits(f) && !(int_part.is_empty() && f.is_empty()),
        None => !int_part.is_empty() && all_digits(int_part),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok && (frac_part.is_some() || exponent.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<(usize, usize, String)> {
        parse(text)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.span.line, e.span.column, e.error.code().to_string()))
            .collect()
    }

    #[test]
    fn plain_scalars_follow_the_core_schema_only() {
        let node = parse("a: yes\nb: no\nc: on\nd: 1_000\ne: 12:30\nf: 42\ng: 1.5\nh: true\ni: ~\nj: '42'\nk: 2026-11-20\n").unwrap();
        let json = node.to_json();
        assert_eq!(json["a"], "yes");
        assert_eq!(json["b"], "no");
        assert_eq!(json["c"], "on");
        assert_eq!(json["d"], "1_000");
        assert_eq!(json["e"], "12:30");
        assert_eq!(json["f"], 42);
        assert_eq!(json["g"], 1.5);
        assert_eq!(json["h"], true);
        assert!(json["i"].is_null());
        assert_eq!(json["j"], "42");
        assert_eq!(json["k"], "2026-11-20");
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "spec:\n  tier: gold\n  list: [a, {b: c}]\n";
        let node = parse(text).unwrap();
        let spec = node.get("spec").unwrap();
        let tier = spec.entry("tier").unwrap();
        assert_eq!((tier.key_span.line, tier.key_span.column), (2, 3));
        assert_eq!((tier.value.span.line, tier.value.span.column), (2, 9));
        assert_eq!(&text[tier.value.span.bytes()], "gold");
        let Value::Seq(items) = &spec.get("list").unwrap().value else {
            panic!()
        };
        let inner = items[1].get("b").unwrap();
        assert_eq!((inner.span.line, inner.span.column), (3, 17));
    }

    #[test]
    fn duplicate_keys_are_refused_at_the_second_one() {
        assert_eq!(
            errors("a: 1\nb: 2\na: 3\n"),
            vec![(3, 1, "yaml-duplicate-key".into())]
        );
    }

    #[test]
    fn anchors_aliases_and_tags_are_refused() {
        let found = errors("a: &x 1\nb: *x\nc: !!str 3\n");
        let codes: Vec<_> = found.iter().map(|e| e.2.as_str()).collect();
        assert_eq!(codes, ["yaml-anchor", "yaml-alias", "yaml-tag"]);
    }

    #[test]
    fn tags_are_named_as_written() {
        let found = parse("a: !!str 3\nb: !local x\n").unwrap_err();
        let tags: Vec<String> = found.iter().map(|e| e.error.to_string()).collect();
        assert_eq!(
            tags,
            [
                "YAML tags are not allowed (found `!!str`)",
                "YAML tags are not allowed (found `!local`)"
            ]
        );
    }

    #[test]
    fn an_alias_of_a_missing_anchor_is_an_alias_error() {
        assert_eq!(errors("a: *nowhere\n")[0].2, "yaml-alias");
    }

    #[test]
    fn whole_number_floats_read_as_integers() {
        let json = parse("a: 120.0\nb: 1e2\nc: 1.5\n").unwrap().to_json();
        assert_eq!(json["a"], serde_json::json!(120));
        assert_eq!(json["b"], serde_json::json!(100));
        assert_eq!(json["c"], serde_json::json!(1.5));
    }

    #[test]
    fn an_unclosed_bracket_at_end_of_file_has_one_position() {
        let found = parse("a: [1, 2").unwrap_err();
        let span = found[0].span;
        assert_eq!((span.line, span.column), (1, 9));
        assert_eq!(span.start, 8);
    }

    #[test]
    fn empty_and_comment_only_files_are_empty() {
        assert_eq!(errors(""), vec![(1, 1, "yaml-empty".into())]);
        assert_eq!(
            errors("# just a comment\n"),
            vec![(1, 1, "yaml-empty".into())]
        );
    }

    #[test]
    fn a_second_document_is_refused() {
        assert_eq!(
            errors("a: 1\n---\nb: 2\n"),
            vec![(2, 1, "yaml-multiple-documents".into())]
        );
    }

    #[test]
    fn deep_nesting_stops_at_the_cap() {
        let block: String = (0..100)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect();
        assert_eq!(
            errors(&block),
            vec![(MAX_DEPTH + 1, 2 * MAX_DEPTH + 1, "yaml-too-deep".into())]
        );
        let flow = "[".repeat(10_000);
        let found = errors(&flow);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].2, "yaml-too-deep");
    }

    #[test]
    fn an_unclosed_flow_list_points_back_at_its_bracket() {
        let found = parse("features: [sso, scorm\napp: {version: x}\n").unwrap_err();
        let YamlError::Unclosed { open, bracket, .. } = &found[0].error else {
            panic!("{found:?}")
        };
        assert_eq!((open.line, open.column, *bracket), (1, 11, '['));
    }

    #[test]
    fn syntax_errors_are_located() {
        let found = errors("a: 1\nb: [1, 2\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].2, "yaml-syntax");
    }
}

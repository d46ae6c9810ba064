//! The tree builder: saphyr-parser's events to [`Node`]s, refusing what a
//! spec never needs (anchors, aliases, tags, duplicate keys, deep nesting)
//! as the events arrive, before anything is built from them.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span as ParserSpan};

use crate::diagnostic::span::{LineIndex, Span};
use crate::source::yaml::error::{Located, YamlError};
use crate::source::yaml::{Entry, MAX_DEPTH, MAX_ERRORS, Node, Value};

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

pub(super) struct Builder<'t> {
    text: &'t str,
    lines: LineIndex,
    errors: Vec<Located<YamlError>>,
    stack: Vec<Frame>,
}

impl<'t> Builder<'t> {
    pub(super) fn new(text: &'t str) -> Self {
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

    pub(super) fn run(mut self) -> Result<Node, Vec<Located<YamlError>>> {
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

//! The load stage's parser: YAML text to a tree of nodes that remember where
//! they came from.
//!
//! Customer YAML is read defensively: anchors, aliases and tags are refused
//! (no billion laughs, no type tricks), duplicate keys are refused, nesting is
//! capped, and plain scalars are resolved by the YAML 1.2 core schema only, so
//! `yes`, `no`, `on`, `off`, `1_000` and `12:30` stay strings.

mod build;
mod error;

use crate::diagnostic::span::Span;
use crate::source::yaml::build::Builder;
pub use crate::source::yaml::error::{Located, YamlError};
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

/// Parses one YAML document. On failure, returns every error found before
/// parsing had to stop (a syntax error or excessive nesting stops it; refused
/// constructs such as duplicate keys and tags are collected and parsing goes on).
pub fn parse(text: &str) -> Result<Node, Vec<Located<YamlError>>> {
    Builder::new(text).run()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Problem;

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

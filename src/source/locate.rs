//! Maps a place in the JSON view of a document (a JSON Schema instance path)
//! back to the YAML text it came from.

use crate::diagnostic::span::Span;
use crate::source::yaml::{Node, Value};

/// One step of an instance path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

impl Segment {
    /// Splits a JSON pointer (`/spec/features/0`) into segments.
    pub fn parse_pointer(pointer: &str) -> Vec<Segment> {
        if pointer.is_empty() {
            return Vec::new();
        }
        pointer
            .trim_start_matches('/')
            .split('/')
            .map(|raw| {
                let key = raw.replace("~1", "/").replace("~0", "~");
                // Only a canonical number can be a list index; `01` or `+1`
                // is a mapping key, and `locate` reads an index as a key
                // again when the node is a mapping.
                match key.parse::<usize>() {
                    Ok(i) if i.to_string() == key => Segment::Index(i),
                    _ => Segment::Key(key),
                }
            })
            .collect()
    }
}

/// `spec.features[2]`: a path as a person reads it.
pub fn dotted(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Where a value lives in a document, resolved as far as the document goes.
pub struct Located<'n> {
    pub node: &'n Node,
    /// The span of the key that holds `node`, when `node` is a mapping value.
    pub key_span: Option<Span>,
    /// Whether every segment of the path was found.
    pub complete: bool,
}

/// Follows `path` from `root`, stopping at the deepest node that exists.
pub fn locate<'n>(root: &'n Node, path: &[Segment]) -> Located<'n> {
    let mut here = Located {
        node: root,
        key_span: None,
        complete: true,
    };
    for segment in path {
        let next = match (&here.node.value, segment) {
            (Value::Map(entries), Segment::Key(key)) => entries
                .iter()
                .find(|e| &e.key == key)
                .map(|e| (&e.value, Some(e.key_span))),
            (Value::Map(entries), Segment::Index(i)) => {
                let key = i.to_string();
                entries
                    .iter()
                    .find(|e| e.key == key)
                    .map(|e| (&e.value, Some(e.key_span)))
            }
            (Value::Seq(items), Segment::Index(i)) => items.get(*i).map(|n| (n, None)),
            _ => None,
        };
        match next {
            Some((node, key_span)) => {
                here = Located {
                    node,
                    key_span,
                    complete: true,
                }
            }
            None => {
                here.complete = false;
                break;
            }
        }
    }
    here
}

/// The span of the value at `path` (or of its deepest existing ancestor).
pub fn value_span(root: &Node, path: &[Segment]) -> Span {
    locate(root, path).node.span
}

/// The span of the key of `key` inside the mapping at `path`, falling back
/// to the mapping itself.
pub fn key_span(root: &Node, path: &[Segment], key: &str) -> Span {
    let found = locate(root, path);
    match found.node.entry(key) {
        Some(entry) if found.complete => entry.key_span,
        _ => found.node.span,
    }
}

/// Where to point when the mapping at `path` lacks a key: at the key that
/// holds the mapping (`spec:`), or at the mapping's start for the root.
pub fn missing_key_span(root: &Node, path: &[Segment]) -> Span {
    let found = locate(root, path);
    match found.key_span {
        Some(span) if found.complete => span,
        _ => found.node.span,
    }
}

/// Every string value under `root`, with its path (`metadata.customer` as
/// segments), depth first: the one walk the rules and the output check share.
pub fn string_values(
    root: &crate::source::yaml::Node,
) -> Vec<(Vec<Segment>, &crate::source::yaml::Node, &str)> {
    use crate::source::yaml::Value;
    let mut out = Vec::new();
    let mut stack = vec![(root, Vec::<Segment>::new())];
    while let Some((node, path)) = stack.pop() {
        match &node.value {
            Value::Str(text, _) => out.push((path, node, text.as_str())),
            Value::Map(entries) => stack.extend(entries.iter().map(|e| {
                let mut at = path.clone();
                at.push(Segment::Key(e.key.clone()));
                (&e.value, at)
            })),
            Value::Seq(items) => stack.extend(items.iter().enumerate().map(|(i, item)| {
                let mut at = path.clone();
                at.push(Segment::Index(i));
                (item, at)
            })),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::yaml::parse;

    fn at(span: Span) -> (usize, usize) {
        (span.line, span.column)
    }

    const DOC: &str = "\
apiVersion: sitectl/v1
metadata:
  name: demo
  labels: {segment: k12, region: \"emea\"}
spec:
  features:
    - sso
    - scorm
  matrix: [[1, 2], [3, {deep: x}]]
";

    #[test]
    fn pointers_parse_with_escapes() {
        assert_eq!(
            Segment::parse_pointer("/a~1b/0/c~0d"),
            vec![
                Segment::Key("a/b".into()),
                Segment::Index(0),
                Segment::Key("c~d".into())
            ]
        );
        assert!(Segment::parse_pointer("").is_empty());
    }

    #[test]
    fn block_sequence_items_are_found() {
        let root = parse(DOC).unwrap();
        let path = Segment::parse_pointer("/spec/features/1");
        assert_eq!(at(value_span(&root, &path)), (8, 7));
    }

    #[test]
    fn flow_mapping_values_are_found() {
        let root = parse(DOC).unwrap();
        let path = Segment::parse_pointer("/metadata/labels/region");
        assert_eq!(at(value_span(&root, &path)), (4, 34));
        let labels = Segment::parse_pointer("/metadata/labels");
        assert_eq!(at(key_span(&root, &labels, "segment")), (4, 12));
    }

    #[test]
    fn nested_flow_sequences_are_found() {
        let root = parse(DOC).unwrap();
        let path = Segment::parse_pointer("/spec/matrix/1/1/deep");
        assert_eq!(at(value_span(&root, &path)), (9, 31));
    }

    #[test]
    fn a_missing_key_points_at_its_parent_key() {
        let root = parse(DOC).unwrap();
        assert_eq!(
            at(missing_key_span(&root, &Segment::parse_pointer("/spec"))),
            (5, 1)
        );
        assert_eq!(
            at(missing_key_span(
                &root,
                &Segment::parse_pointer("/metadata/labels")
            )),
            (4, 3)
        );
    }

    #[test]
    fn a_missing_key_of_the_root_points_at_the_document_start() {
        let root = parse("# comment\napiVersion: x\n").unwrap();
        assert_eq!(at(missing_key_span(&root, &[])), (2, 1));
    }

    #[test]
    fn a_path_past_the_document_stops_at_the_deepest_node() {
        let root = parse(DOC).unwrap();
        let path = Segment::parse_pointer("/spec/nothing/here");
        let found = locate(&root, &path);
        assert!(!found.complete);
        assert_eq!(at(value_span(&root, &path)), (6, 3));
    }

    #[test]
    fn number_like_keys_are_keys() {
        let root = parse("labels: {\"01\": a, \"0\": b}\n").unwrap();
        let path = Segment::parse_pointer("/labels/01");
        assert_eq!(path[1], Segment::Key("01".into()));
        assert_eq!(at(value_span(&root, &path)), (1, 16));
        assert_eq!(
            at(value_span(&root, &Segment::parse_pointer("/labels/0"))),
            (1, 24)
        );
    }

    #[test]
    fn dotted_paths_read_like_yaml() {
        assert_eq!(
            dotted(&Segment::parse_pointer("/spec/features/2")),
            "spec.features[2]"
        );
    }
}

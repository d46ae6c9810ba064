//! One validation error of the JSON Schema validator, explained in the
//! user's terms: located in their YAML, worded for what they wrote, with the
//! schema's own hint (`x-sitectl-hint`) or a suggestion.

use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use serde_json::Value as Json;

use super::{SECRET_REF, Schema, SchemaError};
use crate::diagnostic::span::Span;
use crate::diagnostic::words::{did_you_mean, one_of, plural};
use crate::source::locate::{self, Segment};
use crate::source::yaml::{MAX_ERRORS, Node, Value};

/// Where a validation error is, in the document and in the schema.
struct Place<'a> {
    root: &'a Node,
    /// The instance path, and the same dotted (`spec.resources.cpu`).
    path: Vec<Segment>,
    at: String,
    /// The path of the failing keyword inside the schema.
    keyword_path: Vec<String>,
    /// The schema object that holds the failing keyword.
    owner: Option<&'a Json>,
    hint: Option<String>,
    value_span: Span,
    found: &'a Node,
}

fn hint_of(schema: Option<&Json>) -> Option<String> {
    schema
        .and_then(|s| s.get("x-sitectl-hint"))
        .and_then(Json::as_str)
        .map(str::to_string)
}

impl Schema {
    pub(super) fn explain(
        &self,
        root: &Node,
        error: &ValidationError<'_>,
    ) -> Vec<(Span, SchemaError)> {
        let path = Segment::parse_pointer(error.instance_path().as_str());
        let keyword_path: Vec<String> = error
            .schema_path()
            .iter()
            .map(|segment| match segment {
                LocationSegment::Property(p) => p.to_string(),
                LocationSegment::Index(i) => i.to_string(),
            })
            .collect();
        let owner = self.pointer(&keyword_path[..keyword_path.len().saturating_sub(1)]);
        let place = Place {
            root,
            at: locate::dotted(&path),
            hint: hint_of(owner),
            value_span: locate::value_span(root, &path),
            found: locate::locate(root, &path).node,
            path,
            keyword_path,
            owner,
        };
        let at = place.at.clone();
        let hint = place.hint.clone();
        let found = place.found;
        let one = |error| vec![(place.value_span, error)];
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                unknown_keys(&place, unexpected)
            }
            ValidationErrorKind::Required { property } => {
                self.missing_key(&place, property.as_str().unwrap_or_default())
            }
            ValidationErrorKind::Enum { options } => {
                let allowed = json_list(options);
                let shown = shown_value(found);
                let suggestion =
                    did_you_mean(&shown, allowed.iter().map(String::as_str)).map(str::to_string);
                one(SchemaError::NotAllowed {
                    at,
                    value: shown,
                    allowed,
                    suggestion,
                    hint,
                })
            }
            ValidationErrorKind::Constant { expected_value } => one(SchemaError::WrongConstant {
                at,
                value: shown_value(found),
                expected: json_text(expected_value),
            }),
            ValidationErrorKind::Type { kind } => one(wrong_type(&place, &format!("{kind:?}"))),
            ValidationErrorKind::Pattern { .. } if is_secret_reference(&place.keyword_path) => {
                one(SchemaError::NotASecretReference { at, hint })
            }
            ValidationErrorKind::Pattern { .. } => one(SchemaError::BadFormat {
                at,
                value: shown_value(found),
                hint,
            }),
            ValidationErrorKind::PropertyNames { error } => {
                let key = error.instance().as_str().unwrap_or_default().to_string();
                vec![(
                    locate::key_span(root, &place.path, &key),
                    SchemaError::BadKeyName {
                        key,
                        parent: at,
                        hint,
                    },
                )]
            }
            ValidationErrorKind::FalseSchema => vec![self.key_not_allowed(&place)],
            ValidationErrorKind::UniqueItems => {
                let (span, value) =
                    first_repeat(found).unwrap_or((place.value_span, String::new()));
                vec![(span, SchemaError::Repeated { at, value })]
            }
            kind => match bound(kind) {
                Some(Bound::Value(bound)) => one(SchemaError::OutOfRange {
                    at,
                    hint,
                    value: shown_value(found),
                    bound,
                }),
                Some(Bound::Length(bound)) => one(SchemaError::Length { at, hint, bound }),
                Some(Bound::Count(bound)) => one(SchemaError::Count { at, hint, bound }),
                // `oneOf` and the rest only appear in the tier catalog's
                // schema; the generic wording of the validator is good enough there.
                None => one(SchemaError::Other {
                    at,
                    message: error.to_string(),
                }),
            },
        }
    }

    fn missing_key(&self, place: &Place<'_>, key: &str) -> Vec<(Span, SchemaError)> {
        let hint = place.hint.clone().or_else(|| {
            let property = self.resolve(place.owner?.get("properties")?.get(key)?);
            if let Some(value) = property.get("const") {
                Some(format!("add `{key}: {}`", json_text(value)))
            } else if let Some(values) = property.get("enum") {
                Some(format!(
                    "add `{key}:` with one of {}",
                    one_of(&json_list(values))
                ))
            } else {
                hint_of(Some(property))
            }
        });
        vec![(
            locate::missing_key_span(place.root, &place.path),
            SchemaError::MissingKey {
                key: key.to_string(),
                parent: place.at.clone(),
                hint,
            },
        )]
    }

    /// `{"properties": {"x": false}}` inside a conditional: the hint sits on
    /// the conditional branch, two levels up.
    fn key_not_allowed(&self, place: &Place<'_>) -> (Span, SchemaError) {
        let keyword_path = &place.keyword_path;
        let branch = self.pointer(&keyword_path[..keyword_path.len().saturating_sub(2)]);
        let path = &place.path;
        let key = match path.last() {
            Some(Segment::Key(key)) => key.clone(),
            _ => place.at.clone(),
        };
        let parent = locate::dotted(&path[..path.len().saturating_sub(1)]);
        (
            locate::key_span(place.root, &path[..path.len().saturating_sub(1)], &key),
            SchemaError::KeyNotAllowed {
                key,
                parent,
                hint: hint_of(branch),
            },
        )
    }
}

fn unknown_keys(place: &Place<'_>, unexpected: &[String]) -> Vec<(Span, SchemaError)> {
    let allowed: Vec<String> = place
        .owner
        .and_then(|s| s.get("properties"))
        .and_then(Json::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    unexpected
        .iter()
        .take(MAX_ERRORS + 1)
        .map(|key| {
            let suggestion =
                did_you_mean(key, allowed.iter().map(String::as_str)).map(str::to_string);
            (
                locate::key_span(place.root, &place.path, key),
                SchemaError::UnknownKey {
                    key: key.clone(),
                    parent: place.at.clone(),
                    allowed: allowed.clone(),
                    suggestion,
                },
            )
        })
        .collect()
}

fn wrong_type(place: &Place<'_>, kind: &str) -> SchemaError {
    let expected = type_words(kind);
    let hint = match (&place.found.value, expected.as_str()) {
        (Value::Int(_) | Value::Float(_) | Value::Bool(_), "a string") => Some(
            place
                .hint
                .clone()
                .unwrap_or_else(|| "quote the value to make it a string".into()),
        ),
        (Value::Str(text, true), "an integer" | "a number") => Some(format!(
            "`{text}` reads as text: write a plain decimal number, e.g. 1000"
        )),
        (Value::Str(..), "an integer" | "a number") => {
            Some("write the number without quotes".to_string())
        }
        (Value::Str(..), "true or false") => Some(
            "write `true` or `false`: `yes`, `no`, `on` and `off` are text in YAML 1.2".to_string(),
        ),
        (Value::Null, _) => Some("give it a value, or remove the key".to_string()),
        _ => place.hint.clone(),
    };
    SchemaError::WrongType {
        at: place.at.clone(),
        expected,
        found: place.found.kind_name(),
        hint,
    }
}

fn is_secret_reference(keyword_path: &[String]) -> bool {
    keyword_path.len() > SECRET_REF.len()
        && keyword_path.iter().zip(SECRET_REF).all(|(a, b)| a == b)
}

/// A limit a value broke, in words.
enum Bound {
    /// A number's minimum or maximum.
    Value(String),
    /// A string's length.
    Length(String),
    /// How many items or keys.
    Count(String),
}

fn bound(kind: &ValidationErrorKind) -> Option<Bound> {
    Some(match kind {
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            Bound::Value(format!("at least {limit}"))
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            Bound::Value(format!("at most {limit}"))
        }
        ValidationErrorKind::MinLength { limit } => Bound::Length(format!(
            "at least {limit} {}",
            plural(*limit, "character", "characters")
        )),
        ValidationErrorKind::MaxLength { limit } => Bound::Length(format!(
            "at most {limit} {}",
            plural(*limit, "character", "characters")
        )),
        ValidationErrorKind::MinItems { limit } => Bound::Count(format!(
            "at least {limit} {}",
            plural(*limit, "item", "items")
        )),
        ValidationErrorKind::MaxItems { limit } => Bound::Count(format!(
            "at most {limit} {}",
            plural(*limit, "item", "items")
        )),
        ValidationErrorKind::MinProperties { limit } => Bound::Count(format!(
            "at least {limit} {}",
            plural(*limit, "key", "keys")
        )),
        ValidationErrorKind::MaxProperties { limit } => {
            Bound::Count(format!("at most {limit} {}", plural(*limit, "key", "keys")))
        }
        _ => return None,
    })
}

fn json_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn json_list(value: &Json) -> Vec<String> {
    value
        .as_array()
        .map(|items| items.iter().map(json_text).collect())
        .unwrap_or_default()
}

/// The value of a scalar node as the user wrote it, or its kind for a collection.
fn shown_value(node: &Node) -> String {
    match &node.value {
        Value::Str(s, _) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_string(),
        Value::Seq(_) => "a list".to_string(),
        Value::Map(_) => "a mapping".to_string(),
    }
}

/// The second occurrence of a repeated item of a list, in one pass.
fn first_repeat(node: &Node) -> Option<(Span, String)> {
    let Value::Seq(items) = &node.value else {
        return None;
    };
    // A set only answers "seen before?"; it is never iterated into output.
    let mut seen = std::collections::HashSet::new();
    items
        .iter()
        .find(|item| !seen.insert(item.to_json().to_string()))
        .map(|item| (item.span, shown_value(item)))
}

/// `Single(Integer)` → `an integer`: the validator's type names in words.
fn type_words(debug: &str) -> String {
    let names: Vec<&str> = [
        "array", "boolean", "integer", "null", "number", "object", "string",
    ]
    .into_iter()
    .filter(|name| debug.to_lowercase().contains(name))
    .map(|name| match name {
        "array" => "a list",
        "boolean" => "true or false",
        "integer" => "an integer",
        "null" => "null",
        "number" => "a number",
        "object" => "a mapping",
        _ => "a string",
    })
    .collect();
    if names.is_empty() {
        debug.to_string()
    } else {
        names.join(" or ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_read_as_words() {
        assert_eq!(type_words("Single(Integer)"), "an integer");
        assert_eq!(type_words("Single(Object)"), "a mapping");
    }
}

//! The validate stage's first layer: the shape of a document, checked against
//! its JSON Schema, with every error mapped back to the YAML that caused it.

use std::sync::LazyLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use serde_json::Value as Json;

use crate::diagnostic::span::Span;
use crate::diagnostic::words::{did_you_mean, one_of, plural};
use crate::diagnostic::{Diagnostic, Problem};
use crate::source::load::Document;
use crate::source::locate::{self, Segment};
use crate::source::yaml::{MAX_ERRORS, Node, Value};

/// The site spec schema, as published by `sitectl schema`.
pub const SITE_SCHEMA: &str = include_str!("../../schemas/site.schema.json");
/// The tier catalog's schema.
pub const TIERS_SCHEMA: &str = include_str!("../../schemas/tiers.schema.json");
/// A blueprint manifest's schema.
pub const BLUEPRINT_SCHEMA: &str = include_str!("../../schemas/blueprint.schema.json");

/// A compiled schema and the JSON it was compiled from (for hints and the
/// lists of allowed keys).
pub struct Schema {
    json: Json,
    validator: Validator,
}

static SITE: LazyLock<Schema> = LazyLock::new(|| Schema::compile(SITE_SCHEMA));
static TIERS: LazyLock<Schema> = LazyLock::new(|| Schema::compile(TIERS_SCHEMA));
static BLUEPRINT: LazyLock<Schema> = LazyLock::new(|| Schema::compile(BLUEPRINT_SCHEMA));

impl Schema {
    pub fn site() -> &'static Schema {
        &SITE
    }

    pub fn tiers() -> &'static Schema {
        &TIERS
    }

    pub fn blueprint() -> &'static Schema {
        &BLUEPRINT
    }

    /// The schemas ship inside the binary and a test compiles them, so a
    /// failure here is a build defect, not a user error.
    fn compile(text: &str) -> Schema {
        let json: Json = serde_json::from_str(text).expect("embedded schema is JSON");
        let validator = jsonschema::draft202012::options()
            .build(&json)
            .expect("embedded schema compiles");
        Schema { json, validator }
    }

    pub fn json(&self) -> &Json {
        &self.json
    }

    /// Every way `document` departs from the schema, as located diagnostics.
    pub fn check(&self, document: &Document) -> Vec<Diagnostic> {
        let instance = document.root.to_json();
        // Lazily, and at most one past the cap: a file of a hundred thousand
        // unknown keys is not worth a hundred thousand diagnostics.
        let mut found: Vec<(Span, SchemaError)> = self
            .validator
            .iter_errors(&instance)
            .flat_map(|error| self.explain(&document.root, &error))
            .take(MAX_ERRORS + 1)
            .collect();
        let truncated = found.len() > MAX_ERRORS;
        found.truncate(MAX_ERRORS);
        found.sort_by_key(|(span, error)| (*span, error.to_string()));
        found.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        let name = &document.source.name;
        let mut diagnostics: Vec<Diagnostic> = found
            .iter()
            .map(|(span, error)| Diagnostic::error(name.clone(), Some(*span), error))
            .collect();
        if truncated {
            let last = found.last().map(|(span, _)| *span);
            let error = SchemaError::TooMany { limit: MAX_ERRORS };
            diagnostics.push(Diagnostic::error(name.clone(), last, &error));
        }
        diagnostics
    }

    fn explain(&self, root: &Node, error: &ValidationError<'_>) -> Vec<(Span, SchemaError)> {
        let path = Segment::parse_pointer(error.instance_path().as_str());
        let at = locate::dotted(&path);
        let keyword_path: Vec<String> = error
            .schema_path()
            .iter()
            .map(|segment| match segment {
                LocationSegment::Property(p) => p.to_string(),
                LocationSegment::Index(i) => i.to_string(),
            })
            .collect();
        let owner = self.pointer(&keyword_path[..keyword_path.len().saturating_sub(1)]);
        let hint_of = |schema: Option<&Json>| {
            schema
                .and_then(|s| s.get("x-sitectl-hint"))
                .and_then(Json::as_str)
                .map(str::to_string)
        };
        let hint = hint_of(owner);
        let value_span = locate::value_span(root, &path);
        let found = locate::locate(root, &path).node;
        let one = |error| vec![(value_span, error)];
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let allowed: Vec<String> = owner
                    .and_then(|s| s.get("properties"))
                    .and_then(Json::as_object)
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default();
                unexpected
                    .iter()
                    .take(MAX_ERRORS + 1)
                    .map(|key| {
                        let suggestion = did_you_mean(key, allowed.iter().map(String::as_str))
                            .map(str::to_string);
                        (
                            locate::key_span(root, &path, key),
                            SchemaError::UnknownKey {
                                key: key.clone(),
                                parent: at.clone(),
                                allowed: allowed.clone(),
                                suggestion,
                            },
                        )
                    })
                    .collect()
            }
            ValidationErrorKind::Required { property } => {
                let key = property.as_str().unwrap_or_default().to_string();
                let hint = hint.or_else(|| {
                    let property = self.resolve(owner?.get("properties")?.get(&key)?);
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
                    locate::missing_key_span(root, &path),
                    SchemaError::MissingKey {
                        key,
                        parent: at,
                        hint,
                    },
                )]
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
                })
            }
            ValidationErrorKind::Constant { expected_value } => one(SchemaError::WrongConstant {
                at,
                value: shown_value(found),
                expected: json_text(expected_value),
            }),
            ValidationErrorKind::Type { kind } => {
                let expected = type_words(&format!("{kind:?}"));
                let hint = match (&found.value, expected.as_str()) {
                    (Value::Int(_) | Value::Float(_) | Value::Bool(_), "a string") => {
                        Some(hint.unwrap_or_else(|| "quote the value to make it a string".into()))
                    }
                    (Value::Str(text, true), "an integer" | "a number") => Some(format!(
                        "`{text}` reads as text: write a plain decimal number, e.g. 1000"
                    )),
                    (Value::Str(..), "an integer" | "a number") => {
                        Some("write the number without quotes".to_string())
                    }
                    (Value::Str(..), "true or false") => Some(
                        "write `true` or `false`: `yes`, `no`, `on` and `off` are text in YAML 1.2"
                            .to_string(),
                    ),
                    (Value::Null, _) => Some("give it a value, or remove the key".to_string()),
                    _ => hint,
                };
                one(SchemaError::WrongType {
                    at,
                    expected,
                    found: found.kind_name(),
                    hint,
                })
            }
            ValidationErrorKind::Pattern { .. }
                if keyword_path.len() > SECRET_REF.len()
                    && keyword_path.iter().zip(SECRET_REF).all(|(a, b)| a == b) =>
            {
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
                    locate::key_span(root, &path, &key),
                    SchemaError::BadKeyName {
                        key,
                        parent: at,
                        hint,
                    },
                )]
            }
            ValidationErrorKind::FalseSchema => {
                // `{"properties": {"x": false}}` inside a conditional: the hint
                // sits on the conditional branch, two levels up.
                let branch = self.pointer(&keyword_path[..keyword_path.len().saturating_sub(2)]);
                let key = match path.last() {
                    Some(Segment::Key(key)) => key.clone(),
                    _ => at.clone(),
                };
                let parent = locate::dotted(&path[..path.len().saturating_sub(1)]);
                vec![(
                    locate::key_span(root, &path[..path.len().saturating_sub(1)], &key),
                    SchemaError::KeyNotAllowed {
                        key,
                        parent,
                        hint: hint_of(branch),
                    },
                )]
            }
            ValidationErrorKind::Minimum { limit }
            | ValidationErrorKind::ExclusiveMinimum { limit } => one(SchemaError::OutOfRange {
                at,
                hint: hint.clone(),
                value: shown_value(found),
                bound: format!("at least {limit}"),
            }),
            ValidationErrorKind::Maximum { limit }
            | ValidationErrorKind::ExclusiveMaximum { limit } => one(SchemaError::OutOfRange {
                at,
                hint: hint.clone(),
                value: shown_value(found),
                bound: format!("at most {limit}"),
            }),
            ValidationErrorKind::MinLength { limit } => one(SchemaError::Length {
                at,
                hint: hint.clone(),
                bound: format!(
                    "at least {limit} {}",
                    plural(*limit, "character", "characters")
                ),
            }),
            ValidationErrorKind::MaxLength { limit } => one(SchemaError::Length {
                at,
                hint: hint.clone(),
                bound: format!(
                    "at most {limit} {}",
                    plural(*limit, "character", "characters")
                ),
            }),
            ValidationErrorKind::MinItems { limit } => one(SchemaError::Count {
                at,
                hint: hint.clone(),
                bound: format!("at least {limit} {}", plural(*limit, "item", "items")),
            }),
            ValidationErrorKind::MaxItems { limit } => one(SchemaError::Count {
                at,
                hint: hint.clone(),
                bound: format!("at most {limit} {}", plural(*limit, "item", "items")),
            }),
            ValidationErrorKind::MinProperties { limit } => one(SchemaError::Count {
                at,
                hint: hint.clone(),
                bound: format!("at least {limit} {}", plural(*limit, "key", "keys")),
            }),
            ValidationErrorKind::MaxProperties { limit } => one(SchemaError::Count {
                at,
                hint: hint.clone(),
                bound: format!("at most {limit} {}", plural(*limit, "key", "keys")),
            }),
            ValidationErrorKind::UniqueItems => {
                let (span, value) = first_repeat(found).unwrap_or((value_span, String::new()));
                vec![(span, SchemaError::Repeated { at, value })]
            }
            // `oneOf` and the rest only appear in the tier catalog's schema;
            // the generic wording of the validator is good enough there.
            _ => one(SchemaError::Other {
                at,
                message: error.to_string(),
            }),
        }
    }

    /// Follows a local `$ref` to the schema it names.
    fn resolve<'s>(&'s self, schema: &'s Json) -> &'s Json {
        schema
            .get("$ref")
            .and_then(Json::as_str)
            .and_then(|r| self.json.pointer(r.trim_start_matches('#')))
            .unwrap_or(schema)
    }

    fn pointer(&self, segments: &[String]) -> Option<&Json> {
        segments
            .iter()
            .try_fold(&self.json, |node, segment| match node {
                Json::Object(map) => map.get(segment),
                Json::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            })
    }
}

/// A way a document departs from its schema.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    #[error("unknown key `{key}`{}", in_parent(parent))]
    UnknownKey {
        key: String,
        parent: String,
        allowed: Vec<String>,
        suggestion: Option<String>,
    },
    #[error("missing required key `{key}`{}", in_parent(parent))]
    MissingKey {
        key: String,
        parent: String,
        hint: Option<String>,
    },
    #[error("`{at}` is `{value}`, which is not an allowed value")]
    NotAllowed {
        at: String,
        value: String,
        allowed: Vec<String>,
        suggestion: Option<String>,
    },
    #[error("`{at}` must be `{expected}`, not `{value}`")]
    WrongConstant {
        at: String,
        value: String,
        expected: String,
    },
    #[error("`{at}` must be {expected}, found {found}")]
    WrongType {
        at: String,
        expected: String,
        found: &'static str,
        hint: Option<String>,
    },
    #[error("`{at}` has an invalid value `{value}`")]
    BadFormat {
        at: String,
        value: String,
        hint: Option<String>,
    },
    #[error("invalid key `{key}`{}", in_parent(parent))]
    BadKeyName {
        key: String,
        parent: String,
        hint: Option<String>,
    },
    #[error("`{}` is not allowed here", join_path(parent, key))]
    KeyNotAllowed {
        key: String,
        parent: String,
        hint: Option<String>,
    },
    #[error("`{at}` must be {bound}, found {value}")]
    OutOfRange {
        at: String,
        value: String,
        bound: String,
        hint: Option<String>,
    },
    #[error("`{at}` must have {bound}")]
    Length {
        at: String,
        bound: String,
        hint: Option<String>,
    },
    #[error("`{at}` must have {bound}")]
    Count {
        at: String,
        bound: String,
        hint: Option<String>,
    },
    #[error("`{at}` lists `{value}` more than once")]
    Repeated { at: String, value: String },
    #[error("`{at}`: {message}")]
    Other { at: String, message: String },
    #[error("`{at}` is not a secret reference")]
    NotASecretReference { at: String, hint: Option<String> },
    #[error("more than {limit} schema errors: fix these and run again")]
    TooMany { limit: usize },
}

/// Where the secret reference pattern lives: a value failing it is never echoed.
const SECRET_REF: [&str; 2] = ["$defs", "secretRef"];

impl Problem for SchemaError {
    fn shows_source(&self) -> bool {
        !matches!(self, SchemaError::NotASecretReference { .. })
    }

    fn code(&self) -> &'static str {
        match self {
            SchemaError::UnknownKey { .. } => "schema-unknown-key",
            SchemaError::MissingKey { .. } => "schema-missing-key",
            SchemaError::NotAllowed { .. } => "schema-not-allowed-value",
            SchemaError::WrongConstant { .. } => "schema-wrong-constant",
            SchemaError::WrongType { .. } => "schema-wrong-type",
            SchemaError::BadFormat { .. } => "schema-bad-format",
            SchemaError::BadKeyName { .. } => "schema-bad-key-name",
            SchemaError::KeyNotAllowed { .. } => "schema-key-not-allowed",
            SchemaError::OutOfRange { .. } => "schema-out-of-range",
            SchemaError::Length { .. } => "schema-length",
            SchemaError::Count { .. } => "schema-count",
            SchemaError::Repeated { .. } => "schema-repeated-item",
            SchemaError::Other { .. } => "schema-other",
            SchemaError::NotASecretReference { .. } => "schema-not-a-secret-reference",
            SchemaError::TooMany { .. } => "schema-too-many-errors",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            SchemaError::UnknownKey {
                allowed,
                suggestion,
                ..
            } => {
                let allowed = format!("allowed keys here: {}", one_of(allowed));
                Some(match suggestion {
                    Some(s) => format!("did you mean `{s}`? {allowed}"),
                    None => allowed,
                })
            }
            SchemaError::NotAllowed {
                allowed,
                suggestion,
                ..
            } => {
                let allowed = format!("allowed values: {}", one_of(allowed));
                Some(match suggestion {
                    Some(s) => format!("did you mean `{s}`? {allowed}"),
                    None => allowed,
                })
            }
            SchemaError::WrongConstant { expected, .. } => Some(format!("write `{expected}`")),
            SchemaError::MissingKey { hint, .. }
            | SchemaError::WrongType { hint, .. }
            | SchemaError::BadFormat { hint, .. }
            | SchemaError::BadKeyName { hint, .. }
            | SchemaError::KeyNotAllowed { hint, .. }
            | SchemaError::OutOfRange { hint, .. }
            | SchemaError::Length { hint, .. }
            | SchemaError::Count { hint, .. }
            | SchemaError::NotASecretReference { hint, .. } => hint.clone(),
            SchemaError::Repeated { .. } => Some("remove the repeated item".into()),
            _ => None,
        }
    }

    fn label(&self) -> Option<String> {
        Some(
            match self {
                SchemaError::UnknownKey { .. } => "unknown key",
                SchemaError::MissingKey { key, .. } => {
                    return Some(format!("`{key}` is missing here"));
                }
                SchemaError::NotAllowed { .. } => "not an allowed value",
                SchemaError::WrongType { expected, .. } => {
                    return Some(format!("expected {expected}"));
                }
                SchemaError::Repeated { .. } => "repeated here",
                SchemaError::KeyNotAllowed { .. } => "not allowed here",
                _ => return None,
            }
            .to_string(),
        )
    }
}

fn in_parent(parent: &str) -> String {
    if parent.is_empty() {
        String::new()
    } else {
        format!(" in `{parent}`")
    }
}

fn join_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
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
    fn embedded_schemas_compile() {
        assert!(Schema::site().json().get("$defs").is_some());
        assert!(Schema::tiers().json().get("$defs").is_some());
        assert!(Schema::blueprint().json().get("$defs").is_some());
    }

    #[test]
    fn type_names_read_as_words() {
        assert_eq!(type_words("Single(Integer)"), "an integer");
        assert_eq!(type_words("Single(Object)"), "a mapping");
    }
}

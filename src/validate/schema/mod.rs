//! The validate stage's first layer: the shape of a document, checked against
//! its JSON Schema, with every error mapped back to the YAML that caused it.

mod explain;

use std::sync::LazyLock;

use jsonschema::Validator;
use serde_json::Value as Json;

use crate::diagnostic::span::Span;
use crate::diagnostic::words::one_of;
use crate::diagnostic::{Diagnostic, Problem};
use crate::source::load::Document;
use crate::source::yaml::MAX_ERRORS;
use crate::spec::Cloud;

/// The site spec schema, as published by `sitectl schema`.
pub const SITE_SCHEMA: &str = include_str!("../../../schemas/site.schema.json");
/// The tier catalog's schema.
pub const TIERS_SCHEMA: &str = include_str!("../../../schemas/tiers.schema.json");
/// A blueprint manifest's schema.
pub const BLUEPRINT_SCHEMA: &str = include_str!("../../../schemas/blueprint.schema.json");

fn strings(list: Option<&Json>) -> Vec<&str> {
    list.and_then(Json::as_array)
        .map(|v| v.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default()
}

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

    /// The regions a site spec may name in `cloud` (the site schema's
    /// `azureRegion` or `awsRegion`).
    pub fn regions_of(&self, cloud: Cloud) -> Vec<&str> {
        let list = match cloud {
            Cloud::Azure => "/$defs/azureRegion/enum",
            Cloud::Aws => "/$defs/awsRegion/enum",
        };
        self.strings_at(list)
    }

    /// The deployments `cloud` hosts: what the site schema's condition on
    /// `cloud` narrows them to, else every one.
    pub fn deployments_of(&self, cloud: Cloud) -> Vec<&str> {
        let cloud = Json::from(cloud.as_str());
        let narrowed = self.json["$defs"]["spec"]["allOf"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|branch| branch.pointer("/if/properties/cloud/const") == Some(&cloud))
            .and_then(|branch| branch.pointer("/then/properties/deployment/enum"));
        let list = narrowed.or_else(|| self.json.pointer("/$defs/spec/properties/deployment/enum"));
        strings(list)
    }

    fn strings_at(&self, pointer: &str) -> Vec<&str> {
        strings(self.json.pointer(pointer))
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
        /// The schema's own word on the choice (`x-sitectl-hint`).
        hint: Option<String>,
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
                hint,
                ..
            } => {
                let allowed = format!("allowed values: {}", one_of(allowed));
                let allowed = match hint {
                    Some(hint) => format!("{hint}; {allowed}"),
                    None => allowed,
                };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schemas_compile() {
        assert!(Schema::site().json().get("$defs").is_some());
        assert!(Schema::tiers().json().get("$defs").is_some());
        assert!(Schema::blueprint().json().get("$defs").is_some());
    }
}

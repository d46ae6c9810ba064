//! What can be wrong with a file's YAML, located, in plain words.

use std::fmt;

use crate::diagnostic::Problem;
use crate::diagnostic::span::Span;

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

//! The one shape every stage's errors take on their way to the reporter.

pub mod hint;
pub mod report;
pub mod span;

use std::fmt;

use serde::Serialize;

use crate::diagnostic::span::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// What a stage's typed error knows about itself, so that it can become a
/// [`Diagnostic`] without the stage knowing how diagnostics are drawn.
pub trait Problem: fmt::Display {
    /// A stable, greppable code such as `schema-unknown-key`.
    fn code(&self) -> &'static str;
    /// How to fix it, in plain words.
    fn hint(&self) -> Option<String> {
        None
    }
    /// A short text drawn under the caret.
    fn label(&self) -> Option<String> {
        None
    }
    /// Another place in the same file that explains this one.
    fn related(&self) -> Option<(Span, String)> {
        None
    }
    /// Whether the offending source text may be shown. A value that should
    /// have been a secret reference may be a pasted secret: it is located
    /// but never echoed into logs or pull-request annotations.
    fn shows_source(&self) -> bool {
        true
    }
}

/// One finding about one file, located where there is a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub span: Option<Span>,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub label: Option<String>,
    pub hint: Option<String>,
    pub related: Option<(Span, String)>,
    pub shows_source: bool,
}

impl Diagnostic {
    pub fn error(file: impl Into<String>, span: Option<Span>, problem: &dyn Problem) -> Self {
        Diagnostic {
            file: file.into(),
            span,
            severity: Severity::Error,
            code: problem.code(),
            message: problem.to_string(),
            label: problem.label(),
            hint: problem.hint(),
            related: problem.related(),
            shows_source: problem.shows_source(),
        }
    }

    pub fn line(&self) -> usize {
        self.span.map_or(1, |s| s.line)
    }

    pub fn column(&self) -> usize {
        self.span.map_or(1, |s| s.column)
    }

    /// Diagnostics sort by file, then position, so output never depends on
    /// the order files were found or checked in.
    pub fn sort_key(&self) -> (&str, usize, usize, &'static str, &str) {
        (
            &self.file,
            self.line(),
            self.column(),
            self.code,
            &self.message,
        )
    }
}

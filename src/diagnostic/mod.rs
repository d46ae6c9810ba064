//! The one shape every stage's errors take on their way to the reporter.

pub mod report;
pub mod span;
pub mod words;

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

/// Every diagnostic a run found, with the text of each file they point
/// into (for snippets): the one failure type of the validate and render
/// stages. Sorted by file and position once [`Diagnostics::sorted`] ran.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    pub list: Vec<Diagnostic>,
    /// Text of every file a diagnostic may point into, by display name.
    pub sources: std::collections::BTreeMap<String, String>,
    /// How many spec files the run looked at.
    pub files: usize,
}

impl Diagnostics {
    /// One diagnostic about a file whose text needs no snippet.
    pub fn one(diagnostic: Diagnostic) -> Diagnostics {
        Diagnostics {
            list: vec![diagnostic],
            ..Diagnostics::default()
        }
    }

    pub fn error_count(&self) -> usize {
        self.list.len()
    }

    pub fn files_with_errors(&self) -> usize {
        let mut files: Vec<&str> = self.list.iter().map(|d| d.file.as_str()).collect();
        files.sort_unstable();
        files.dedup();
        files.len()
    }

    pub fn add_source(&mut self, name: impl Into<String>, text: impl Into<String>) {
        self.sources.insert(name.into(), text.into());
    }

    /// Takes in another run's diagnostics and sources.
    pub fn absorb(&mut self, other: Diagnostics) {
        self.list.extend(other.list);
        self.sources.extend(other.sources);
        self.files += other.files;
    }

    /// Sorted by file and position: output never depends on the order
    /// files were found or checked in.
    pub fn sort(&mut self) {
        self.list.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }

    /// Sorted, each once (a render may find one problem twice).
    pub fn sorted(mut self) -> Diagnostics {
        self.sort();
        self.list.dedup();
        self
    }
}

/// Read as the list itself: `diagnostics.iter()`, `diagnostics.first()`.
impl std::ops::Deref for Diagnostics {
    type Target = [Diagnostic];

    fn deref(&self) -> &[Diagnostic] {
        &self.list
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<I: IntoIterator<Item = Diagnostic>>(&mut self, items: I) {
        self.list.extend(items);
    }
}

//! The reporting layer: diagnostics and summaries as text for people, JSON
//! for machines, and workflow commands for GitHub Actions. It builds strings;
//! the binary decides where they go.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use crate::diagnostic::words::plural;
use crate::diagnostic::{Diagnostic, Severity};

/// How diagnostics are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// rustc-style snippets with a caret, for people.
    Text,
    /// One JSON document on stdout, for machines.
    Json,
    /// GitHub Actions `::error` workflow commands, for pull-request annotations.
    Github,
}

/// Draws one diagnostic as `file:line:col: error[code]: message`, a snippet
/// with a caret under the offending text, and a `help:` line.
pub fn text(diagnostic: &Diagnostic, sources: &BTreeMap<String, String>, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let location = match diagnostic.span {
        Some(span) => format!("{}:{}:{}", diagnostic.file, span.line, span.column),
        None => diagnostic.file.clone(),
    };
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let name = format!("{location}: {}", diagnostic.severity);
    let title = level
        .with_name(name.as_str())
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code);
    let source = sources.get(&diagnostic.file);
    let mut group = Group::with_title(title);
    let source = source.filter(|_| diagnostic.shows_source);
    if let (Some(span), Some(source)) = (diagnostic.span, source) {
        let primary = clip_to_line(source, span.start, span.end);
        let mut annotation = AnnotationKind::Primary.span(primary);
        if let Some(label) = &diagnostic.label {
            annotation = annotation.label(label.as_str());
        }
        let mut snippet = Snippet::source(source.as_str())
            .path(diagnostic.file.as_str())
            .annotation(annotation);
        if let Some((related, label)) = &diagnostic.related {
            let range = clip_to_line(source, related.start, related.end);
            snippet = snippet.annotation(AnnotationKind::Context.span(range).label(label.as_str()));
        }
        group = group.element(snippet);
    }
    if let Some(hint) = &diagnostic.hint {
        group = group.element(Level::HELP.message(hint.as_str()));
    }
    let mut out = renderer.render(&[group]);
    // A blank line between diagnostics, as rustc and cargo leave one.
    out.push_str("\n\n");
    out
}

/// A span that stays on its first line, so a caret marks where a mapping or
/// list starts instead of underlining all of it.
fn clip_to_line(source: &str, start: usize, end: usize) -> std::ops::Range<usize> {
    let start = start.min(source.len());
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    start..end.clamp(start, line_end)
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: &'a str,
    /// `null` for a problem with the file as a whole (unreadable, too large).
    line: Option<usize>,
    column: Option<usize>,
    severity: Severity,
    code: &'a str,
    message: &'a str,
    hint: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    files: usize,
    errors: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

/// Every diagnostic as one JSON document, with the counts.
pub fn json(diagnostics: &[Diagnostic], files: usize) -> String {
    let report = JsonReport {
        files,
        errors: diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count(),
        diagnostics: diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                file: &d.file,
                line: d.span.map(|s| s.line),
                column: d.span.map(|s| s.column),
                severity: d.severity,
                code: d.code,
                message: &d.message,
                hint: d.hint.as_deref(),
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&report).expect("diagnostics serialize");
    out.push('\n');
    out
}

/// GitHub Actions workflow commands: one `::error` line per diagnostic.
pub fn github(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let mut message = d.message.clone();
        if let Some(hint) = &d.hint {
            message.push_str("\nhelp: ");
            message.push_str(hint);
        }
        // A problem with the file as a whole has no line: GitHub then
        // annotates the file, not a made-up first line.
        let position = d
            .span
            .map(|span| format!(",line={},col={}", span.line, span.column))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "::{} file={}{position},title={}::{}",
            d.severity,
            escape_property(&d.file),
            escape_property(d.code),
            escape_data(&message),
        );
    }
    out
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Rows of cells as left-aligned columns two spaces apart (the first row is
/// the header), for tables on a terminal.
pub fn aligned<R: AsRef<[String]>>(rows: &[R]) -> String {
    let columns = rows.iter().map(|r| r.as_ref().len()).max().unwrap_or(0);
    let widths = column_widths(rows, columns);
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .as_ref()
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The width in characters of each of the first `columns` columns: its
/// widest cell.
pub fn column_widths<R: AsRef<[String]>>(rows: &[R], columns: usize) -> Vec<usize> {
    (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.as_ref().get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// The line that closes a validation run.
pub fn validation_summary(files: usize, errors: usize, files_with_errors: usize) -> String {
    let checked = format!("checked {files} {}", plural(files, "file", "files"));
    if errors == 0 {
        format!("{checked}: all valid\n")
    } else {
        format!(
            "{checked}: {errors} {} in {files_with_errors} {}\n",
            plural(errors, "error", "errors"),
            plural(files_with_errors, "file", "files")
        )
    }
}

/// A progress bar redrawn in place on a terminal: `\r[#####.....] 512/1000 sites`.
pub fn progress_bar(done: usize, total: usize) -> String {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH)
        .checked_div(total)
        .unwrap_or(WIDTH)
        .min(WIDTH);
    format!(
        "\r[{}{}] {done}/{total} sites",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled)
    )
}

/// Erases a progress bar before the next line is written.
pub const CLEAR_LINE: &str = "\r\x1b[K";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::span::Span;

    fn diagnostic() -> Diagnostic {
        Diagnostic {
            file: "sites/a,b.yaml".into(),
            span: Some(Span {
                line: 2,
                column: 7,
                start: 12,
                end: 16,
            }),
            severity: Severity::Error,
            code: "schema-not-allowed-value",
            message: "100% wrong\nreally".into(),
            label: None,
            hint: Some("did you mean `paid`?".into()),
            related: None,
            shows_source: true,
        }
    }

    #[test]
    fn github_commands_escape_data_and_properties() {
        let line = github(&[diagnostic()]);
        assert_eq!(
            line,
            "::error file=sites/a%2Cb.yaml,line=2,col=7,title=schema-not-allowed-value::100%25 wrong%0Areally%0Ahelp: did you mean `paid`?\n"
        );
    }

    #[test]
    fn text_points_a_caret_at_the_span() {
        let mut sources = BTreeMap::new();
        sources.insert(
            "sites/a,b.yaml".to_string(),
            "spec:\n  tier: gold\n".to_string(),
        );
        let out = text(&diagnostic(), &sources, false);
        assert!(
            out.starts_with("sites/a,b.yaml:2:7: error[schema-not-allowed-value]: 100% wrong"),
            "{out}"
        );
        assert!(out.contains("^^^^"), "{out}");
        assert!(out.contains("help: did you mean `paid`?"), "{out}");
    }

    #[test]
    fn progress_bars_fill_in_proportion() {
        assert_eq!(
            progress_bar(0, 10),
            format!("\r[{}] 0/10 sites", ".".repeat(30))
        );
        assert_eq!(
            progress_bar(5, 10),
            format!("\r[{}{}] 5/10 sites", "#".repeat(15), ".".repeat(15))
        );
        assert_eq!(
            progress_bar(0, 0),
            format!("\r[{}] 0/0 sites", "#".repeat(30))
        );
    }

    #[test]
    fn summary_counts_in_words() {
        assert_eq!(validation_summary(1, 0, 0), "checked 1 file: all valid\n");
        assert_eq!(
            validation_summary(5, 3, 2),
            "checked 5 files: 3 errors in 2 files\n"
        );
    }
}

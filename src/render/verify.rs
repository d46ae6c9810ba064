//! The check stage: every rendered file parsed in its own language before
//! anything is written. A template that renders something its consumer
//! cannot read is an error naming the template, the site and the line.

use crate::diagnostic::{Diagnostic, Problem};
use crate::render::engine::RenderedFile;
use crate::render::escape::Language;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("template renders invalid {language} for site `{site}` ({output} line {line}): {message}")]
pub struct CheckError {
    pub site: String,
    pub output: String,
    pub language: &'static str,
    pub line: usize,
    pub message: String,
}

impl Problem for CheckError {
    fn code(&self) -> &'static str {
        "check-invalid-output"
    }

    fn hint(&self) -> Option<String> {
        Some("fix the template: a spec value is always one complete literal, so write `key = {{ value }}` without quotes around it".into())
    }
}

/// Parses `file` as its language; `Err` says where and why it does not parse.
pub fn check(file: &RenderedFile) -> Result<(), Diagnostic> {
    let failure = match file.language {
        Language::Hcl => check_hcl(&file.contents),
        Language::Yaml | Language::Compose => check_yaml(&file.contents),
        Language::Bicep => check_bicep(&file.contents),
        Language::Dotenv => check_dotenv(&file.contents),
    };
    match failure {
        None => Ok(()),
        Some((line, message)) => {
            let error = CheckError {
                site: file.site.clone(),
                output: format!("{}/{}", file.target, file.output),
                language: match file.language {
                    Language::Hcl => "HCL",
                    Language::Bicep => "Bicep",
                    Language::Yaml => "YAML",
                    Language::Compose => "Compose YAML",
                    Language::Dotenv => ".env",
                },
                line,
                message,
            };
            Err(Diagnostic::error(file.template.clone(), None, &error))
        }
    }
}

fn check_hcl(text: &str) -> Option<(usize, String)> {
    match hcl::parse(text) {
        Ok(_) => None,
        Err(error) => {
            let line = match &error {
                hcl::Error::Parse(parse) => parse.location().line(),
                _ => 0,
            };
            Some((
                line,
                error
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            ))
        }
    }
}

fn check_yaml(text: &str) -> Option<(usize, String)> {
    match crate::source::yaml::parse(text) {
        Ok(_) => None,
        Err(errors) => errors.first().map(|e| (e.span.line, e.error.to_string())),
    }
}

/// Bicep has no Rust parser; its tree-sitter grammar marks what it cannot
/// parse with ERROR and MISSING nodes.
/// A Bicep file's syntax tree, by the Bicep grammar every reader of Bicep
/// here shares (the check, the diff's data gate, the preview).
pub fn parse_bicep(text: &str) -> Option<tree_sitter::Tree> {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_bicep::LANGUAGE.into())
        .ok()?;
    parser.parse(text, None)
}

fn check_bicep(text: &str) -> Option<(usize, String)> {
    let tree = parse_bicep(text)?;
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            let line = node.start_position().row + 1;
            let what = if node.is_missing() {
                format!("missing {}", node.kind())
            } else {
                "unexpected text".to_string()
            };
            return Some((line, what));
        }
        if node.has_error() {
            stack.extend(
                node.children(&mut cursor)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev(),
            );
        }
    }
    None
}

fn check_dotenv(text: &str) -> Option<(usize, String)> {
    text.lines()
        .enumerate()
        .find_map(|(i, line)| {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                return None;
            }
            let (key, _) = line.split_once('=')?;
            let valid = key
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
                && key
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            (!valid).then(|| (i + 1, format!("`{key}` is not a variable name")))
        })
        .or_else(|| {
            text.lines().enumerate().find_map(|(i, line)| {
                let line = line.trim();
                (!line.is_empty() && !line.starts_with('#') && !line.contains('=')).then(|| {
                    (
                        i + 1,
                        "a line that is neither `NAME=value` nor a comment".to_string(),
                    )
                })
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_errors_have_a_line() {
        assert_eq!(check_hcl("a = \"x\"\n"), None);
        let (line, _) = check_hcl("a = \"x\"\nb = \"unterminated\n").unwrap();
        assert!(line >= 2, "{line}");
    }

    #[test]
    fn bicep_errors_have_a_line() {
        assert_eq!(check_bicep("param name string = 'x'\n"), None);
        assert!(check_bicep("param name string = 'x\nresource {{\n").is_some());
    }

    #[test]
    fn dotenv_lines_are_names() {
        assert_eq!(check_dotenv("# c\nLICENSE_KEY=\n"), None);
        assert_eq!(check_dotenv("bad-name=1\n").map(|e| e.0), Some(1));
        assert_eq!(check_dotenv("A=1\nnonsense\n").map(|e| e.0), Some(2));
    }
}

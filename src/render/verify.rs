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
    /// The spec values the failing line holds (`metadata.customer`).
    pub values: Vec<String>,
}

impl Problem for CheckError {
    fn code(&self) -> &'static str {
        "check-invalid-output"
    }

    fn hint(&self) -> Option<String> {
        Some(if self.values.is_empty() {
            "fix the template: a spec value is always one complete literal, so write `key = {{ value }}` without quotes around it".into()
        } else {
            format!(
                "the line holds the spec's {}: if the template writes it as `{{{{ value }}}}`, sitectl's {} escaping of that value is at fault, not the spec or the template (report it with the value); else write it so",
                crate::diagnostic::words::one_of(&self.values),
                self.language
            )
        })
    }
}

/// Every string in a spec, by its dotted path (`metadata.customer`).
pub fn spec_strings(root: &crate::source::yaml::Node) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = crate::source::locate::string_values(root)
        .into_iter()
        .map(|(path, _, text)| (crate::source::locate::dotted(&path), text.to_string()))
        .collect();
    out.sort();
    out
}

/// Parses `file` as its language; `Err` says where and why it does not
/// parse, and which of the spec's `values` the failing line holds.
pub fn check(file: &RenderedFile, values: &[(String, String)]) -> Result<(), Diagnostic> {
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
                values: values_on_line(file, line, values),
            };
            Err(Diagnostic::error(file.template.clone(), None, &error))
        }
    }
}

/// The spec values written on `line` of `file` (as the file's language
/// writes them), or on the line before it: a parser often notices an
/// unclosed string one line late.
fn values_on_line(file: &RenderedFile, line: usize, values: &[(String, String)]) -> Vec<String> {
    let lines: Vec<&str> = file.contents.lines().collect();
    let near: String = [line.saturating_sub(1), line]
        .iter()
        .filter_map(|n| n.checked_sub(1).and_then(|i| lines.get(i)))
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    values
        .iter()
        .filter(|(_, text)| text.len() > 1)
        .filter(|(_, text)| {
            let written = crate::render::escape::literal(
                file.language,
                &minijinja::Value::from(text.as_str()),
            )
            .unwrap_or_default();
            let inner = written
                .get(1..written.len().saturating_sub(1))
                .unwrap_or_default();
            (!inner.is_empty() && near.contains(inner)) || near.contains(text.as_str())
        })
        .map(|(at, _)| at.clone())
        .collect()
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

    fn file(language: Language, output: &str, contents: &str) -> RenderedFile {
        RenderedFile {
            site: "acme".into(),
            target: crate::render::target::Target::Terraform,
            output: output.into(),
            language,
            template: "blueprints/managed/terraform/main.tf.j2".into(),
            contents: contents.into(),
        }
    }

    /// A check failure on a valid spec names the spec value on the line,
    /// not only the template.
    #[test]
    fn a_failing_line_names_the_spec_values_it_holds() {
        let values = vec![
            ("metadata.customer".to_string(), "Acme \"Co\"".to_string()),
            ("metadata.name".to_string(), "acme".to_string()),
            ("spec.region".to_string(), "eastus".to_string()),
        ];
        // A template that put its own quotes around the escaped value.
        let broken = file(Language::Hcl, "main.tf", "a = \"\"Acme \\\"Co\\\"\"\"\n");
        let error = check(&broken, &values).unwrap_err();
        assert_eq!(error.code, "check-invalid-output");
        let hint = error.hint.unwrap();
        assert!(hint.contains("`metadata.customer`"), "{hint}");
        assert!(!hint.contains("spec.region"), "{hint}");
        // Without a spec value on it, the template is named.
        let template_only = file(Language::Hcl, "main.tf", "a = = 1\n");
        let hint = check(&template_only, &values).unwrap_err().hint.unwrap();
        assert!(hint.starts_with("fix the template"), "{hint}");
    }
}

//! How a template value becomes text in each output language (ARCHITECTURE.md,
//! "Injection-proof").
//!
//! The render stage registers one of these per output file, so that `{{ x }}`
//! in a template always produces a complete, quoted literal of that language:
//! a spec string can never become code, a key, an interpolation or a variable.

use std::fmt::Write as _;

use minijinja::value::{Value, ValueKind};

/// An output language with its own literal syntax.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Language {
    /// Terraform (`.tf`): HCL quoted strings.
    Hcl,
    /// Bicep (`.bicep`, `.bicepparam`): single-quoted strings.
    Bicep,
    /// YAML (Helm values and other YAML): double-quoted scalars.
    Yaml,
    /// Docker Compose YAML: as YAML, with every `$` doubled first.
    Compose,
    /// A `.env` file: `KEY=value` lines; values are refused, only names go in.
    Dotenv,
}

impl Language {
    /// The name minijinja knows the escaping by.
    pub fn escape_name(self) -> &'static str {
        match self {
            Language::Hcl => "hcl",
            Language::Bicep => "bicep",
            Language::Yaml => "yaml",
            Language::Compose => "compose",
            Language::Dotenv => "dotenv",
        }
    }

    pub fn from_escape_name(name: &str) -> Option<Language> {
        [
            Language::Hcl,
            Language::Bicep,
            Language::Yaml,
            Language::Compose,
            Language::Dotenv,
        ]
        .into_iter()
        .find(|l| l.escape_name() == name)
    }

    /// The language of an output file by its name, when the blueprint does not say.
    pub fn from_file_name(name: &str) -> Option<Language> {
        let extension = name.rsplit('.').next().unwrap_or_default();
        Some(match extension {
            "tf" => Language::Hcl,
            "bicep" | "bicepparam" => Language::Bicep,
            "yaml" | "yml" => Language::Yaml,
            "env" | "example" => Language::Dotenv,
            _ => return None,
        })
    }

    /// The line comment that starts a generated file's header.
    pub fn comment(self) -> &'static str {
        match self {
            Language::Hcl | Language::Yaml | Language::Compose | Language::Dotenv => "#",
            Language::Bicep => "//",
        }
    }
}

/// Why a value cannot be written in a language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EscapeError {
    #[error("a {0} value cannot hold {1}")]
    Unsupported(&'static str, &'static str),
}

/// Writes `value` as a literal of `language`.
pub fn literal(language: Language, value: &Value) -> Result<String, EscapeError> {
    let mut out = String::new();
    write_literal(&mut out, language, value)?;
    Ok(out)
}

fn write_literal(out: &mut String, language: Language, value: &Value) -> Result<(), EscapeError> {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str(match language {
            Language::Hcl | Language::Bicep | Language::Yaml | Language::Compose => "null",
            Language::Dotenv => "",
        }),
        ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => {
            let text = value.to_string();
            if language == Language::Bicep && !text.bytes().all(|b| b.is_ascii_digit() || b == b'-')
            {
                // Bicep has integers only: a fraction stays exact as a string.
                out.push_str(&bicep_string(&text));
            } else {
                out.push_str(&text);
            }
        }
        ValueKind::String => {
            let text = value.as_str().unwrap_or_default();
            match language {
                Language::Hcl => out.push_str(&hcl_string(text)),
                Language::Bicep => out.push_str(&bicep_string(text)),
                Language::Yaml => out.push_str(&yaml_string(text)),
                Language::Compose => out.push_str(&yaml_string(&text.replace('$', "$$"))),
                Language::Dotenv => return Err(EscapeError::Unsupported(".env", "spec text")),
            }
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<Value> = value.try_iter().map(|i| i.collect()).unwrap_or_default();
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_literal(out, language, item)?;
            }
            out.push(']');
        }
        ValueKind::Map => {
            let keys: Vec<Value> = value.try_iter().map(|i| i.collect()).unwrap_or_default();
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let item = value.get_item(key).unwrap_or_default();
                let key = key.to_string();
                match language {
                    Language::Hcl => {
                        let _ = write!(out, "{} = ", hcl_string(&key));
                    }
                    Language::Bicep => {
                        let _ = write!(out, "{}: ", bicep_string(&key));
                    }
                    Language::Yaml | Language::Compose => {
                        let _ = write!(out, "{}: ", yaml_string(&key));
                    }
                    Language::Dotenv => return Err(EscapeError::Unsupported(".env", "a mapping")),
                }
                write_literal(out, language, &item)?;
            }
            out.push('}');
        }
        _ => {
            return Err(EscapeError::Unsupported(
                language.escape_name(),
                "this kind of value",
            ));
        }
    }
    Ok(())
}

/// An HCL quoted template string: escapes, then `${` → `$${` and `%{` → `%%{`,
/// so nothing in it is ever an interpolation or a directive.
pub fn hcl_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if needs_unicode_escape(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Bicep single-quoted string: `\\ \' \n \r \t \u{X}`, and `${` → `\${`.
pub fn bicep_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    let mut chars = text.chars().peekable();
    let mut previous: Option<char> = None;
    while let Some(c) = chars.next() {
        // Inside a run of letters, digits and `:._-` (`https://`, `a//b`) a
        // slash pair stays as it is, readable.
        let mid_word = previous.is_some_and(|p| p.is_alphanumeric() || ":._-".contains(p));
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            // Bicep's grammar (tree-sitter-bicep) splits a string into tokens
            // (at escapes, `$`, `#`, whitespace...) and reads `//` or `/*` at
            // the start of one as a comment: a slash pair that does not sit
            // inside a word is written `\u{2F}/`, the same string.
            '/' if !mid_word && matches!(chars.peek(), Some('/' | '*')) => out.push_str("\\u{2F}"),
            c if needs_unicode_escape(c) => {
                let _ = write!(out, "\\u{{{:X}}}", c as u32);
            }
            c => out.push(c),
        }
        previous = Some(c);
    }
    out.push('\'');
    out
}

/// A YAML double-quoted scalar: never a plain scalar, so `no`, `on`, `~`,
/// `1_000` and `12:30` stay strings in every YAML version.
pub fn yaml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_unicode_escape(c) => {
                let code = c as u32;
                if code <= 0xFF {
                    let _ = write!(out, "\\x{code:02X}");
                } else {
                    let _ = write!(out, "\\u{code:04X}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Characters written as escapes in every language: controls, the Unicode
/// line and paragraph separators (line breaks to some parsers), the byte
/// order mark, and the bidirectional controls that make text read differently
/// from how it parses.
fn needs_unicode_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{FEFF}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{FFFE}'
                | '\u{FFFF}'
        )
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_strings_never_interpolate() {
        assert_eq!(
            hcl_string("${file(\"/etc/passwd\")}"),
            r#""$${file(\"/etc/passwd\")}""#
        );
        assert_eq!(
            hcl_string("%{ if true }x%{ endif }"),
            r#""%%{ if true }x%%{ endif }""#
        );
        assert_eq!(hcl_string("$${x}"), r#""$$${x}""#);
        assert_eq!(hcl_string("a\\b\n\u{1}"), r#""a\\b\n\u0001""#);
        assert_eq!(hcl_string("$HOME 100%"), r#""$HOME 100%""#);
    }

    #[test]
    fn bicep_strings_never_interpolate() {
        assert_eq!(bicep_string("it's ${x}"), r"'it\'s \${x}'");
        assert_eq!(bicep_string("'''"), r"'\'\'\''");
        assert_eq!(bicep_string("a\u{2028}b"), r"'a\u{2028}b'");
    }

    /// Regression (fuzzing): a customer starting with `//` made Bicep's
    /// grammar read a comment, and the whole fleet's render refused.
    #[test]
    fn a_slash_pair_where_a_bicep_token_starts_is_escaped_and_parses() {
        assert_eq!(bicep_string("//x"), r"'\u{2F}/x'");
        assert_eq!(bicep_string("a//b"), "'a//b'");
        assert_eq!(
            bicep_string("https://kv.vault.azure.net/x"),
            "'https://kv.vault.azure.net/x'"
        );
        assert_eq!(bicep_string("'//x"), r"'\'\u{2F}/x'");
        assert_eq!(bicep_string("///*"), r"'\u{2F}\u{2F}\u{2F}*'");
        assert_eq!(bicep_string("a$//b"), r"'a$\u{2F}/b'");
        // Found by fuzzing: whitespace or a `#` before the pair starts a token too.
        assert_eq!(bicep_string(" //x"), r"' \u{2F}/x'");
        assert_eq!(bicep_string("\\#//t"), r"'\\#\u{2F}/t'");
        for text in [
            "//x",
            "'//x",
            "/*x*/",
            "a\n//b",
            "///",
            "x//y",
            "\\/*",
            "$//x",
            "Cost $//Center",
            " /////",
            "\u{3000}//x",
            "a\n  /* b */",
            "\\#//t",
            "\u{1} # //t",
            "$\u{1} # //t",
            "a.//b",
            "a_//b",
            "a-//b",
            "a://b /*c",
            "é//x",
            "\u{1}a//b",
        ] {
            let file = format!("param a string = {}\n", bicep_string(text));
            let tree = crate::render::verify::parse_bicep(&file).unwrap();
            assert!(!tree.root_node().has_error(), "{file}");
        }
    }

    #[test]
    fn yaml_strings_are_always_quoted() {
        assert_eq!(yaml_string("no"), "\"no\"");
        assert_eq!(yaml_string("key: value # y"), "\"key: value # y\"");
        assert_eq!(yaml_string("\u{85}\u{2028}"), "\"\\x85\\u2028\"");
        assert_eq!(yaml_string("émoji 🎓 שלום"), "\"émoji 🎓 שלום\"");
    }

    #[test]
    fn compose_doubles_every_dollar() {
        let v = Value::from("$HOME ${X} $$");
        assert_eq!(
            literal(Language::Compose, &v).unwrap(),
            "\"$$HOME $${X} $$$$\""
        );
    }

    #[test]
    fn collections_nest_as_literals() {
        let v = Value::from(minijinja::value::Serde(
            serde_json::json!({"a": [1, "x\"y"], "b": true}),
        ));
        assert_eq!(
            literal(Language::Hcl, &v).unwrap(),
            r#"{"a" = [1, "x\"y"], "b" = true}"#
        );
        assert_eq!(
            literal(Language::Yaml, &v).unwrap(),
            r#"{"a": [1, "x\"y"], "b": true}"#
        );
        assert_eq!(
            literal(Language::Bicep, &v).unwrap(),
            r#"{'a': [1, 'x"y'], 'b': true}"#
        );
    }

    #[test]
    fn dotenv_refuses_spec_text() {
        assert!(literal(Language::Dotenv, &Value::from("x")).is_err());
    }
}

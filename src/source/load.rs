//! The load stage: a path on disk to a parsed YAML document, within limits.

use std::path::{Path, PathBuf};

use crate::diagnostic::span::{LineIndex, Span};
use crate::diagnostic::{Diagnostic, Problem};
use crate::source::tree::{Kind, Tree};
use crate::source::yaml::{self, Node};

/// Larger files are refused before they are read: no spec comes close.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A file's text, kept for the snippets of its diagnostics.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    /// The path as the user sees it in diagnostics (forward slashes).
    pub name: String,
    pub text: String,
}

/// A source that parsed as one YAML document.
#[derive(Debug, Clone)]
pub struct Document {
    pub source: Source,
    pub root: Node,
}

/// Keys whose values are secret references: a value there that is not a
/// reference may be a pasted secret, so snippets never show it.
const SECRET_KEYS: [&str; 2] = ["secretRef", "licenseRef"];

/// Whether a key names something secret, however it is spelt: its value is
/// never shown (`secretRefs`, `password`, `apiToken`, `client_secret`...).
pub fn looks_secret(key: &str) -> bool {
    let key: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_KEYS.iter().any(|k| key == k.to_ascii_lowercase())
        || [
            "secret",
            "password",
            "passwd",
            "passphrase",
            "token",
            "credential",
            "apikey",
            "privatekey",
            "accesskey",
            "connectionstring",
            "sastoken",
            "licensekey",
        ]
        .iter()
        .any(|word| key.contains(word))
}

/// Whether a key names a secret value itself (`DB_PASSWORD`, `apiToken`,
/// `client_secret`, `STORAGE_ACCOUNT_KEY`), by its last word: stricter than
/// [`looks_secret`], which masks, because it refuses a spec
/// (`TOKEN_TTL_SECONDS` and `PASSWORD_MIN_LENGTH` name settings, not secrets).
pub fn names_a_secret(key: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        if (!c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && previous_lower))
            && !word.is_empty()
        {
            words.push(std::mem::take(&mut word));
        }
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    if !word.is_empty() {
        words.push(word);
    }
    let last = words.last().map(String::as_str).unwrap_or_default();
    let before = words.len().checked_sub(2).map(|i| words[i].as_str());
    matches!(
        last,
        "secret"
            | "password"
            | "passwd"
            | "passphrase"
            | "token"
            | "credential"
            | "credentials"
            | "apikey"
    ) || matches!(
        (before, last),
        (
            Some("api" | "private" | "access" | "account" | "secret" | "signing" | "encryption"),
            "key"
        ) | (Some("connection"), "string")
    )
}

/// Every non-space byte in `range` of `bytes` replaced by `*`: the text
/// keeps its length, so every span stays valid.
fn mask(bytes: &mut [u8], range: std::ops::Range<usize>) {
    let end = range.end.min(bytes.len());
    for b in &mut bytes[range.start.min(end)..end] {
        if !b.is_ascii_whitespace() {
            *b = b'*';
        }
    }
}

impl Document {
    /// The text shown in snippets: the source with the value of every key
    /// that looks secret (`secretRef`, `password`, a misspelt `secretRefs`),
    /// and everything under `extensions.secrets`, masked byte for byte, so
    /// that spans stay valid.
    pub fn display_text(&self) -> String {
        let mut bytes = self.source.text.clone().into_bytes();
        let mut stack: Vec<(&Node, bool)> = vec![(&self.root, false)];
        while let Some((node, secret_map)) = stack.pop() {
            match &node.value {
                crate::source::yaml::Value::Map(entries) => {
                    for entry in entries {
                        if secret_map || looks_secret(&entry.key) {
                            mask(&mut bytes, entry.value.span.bytes());
                        } else {
                            stack.push((&entry.value, entry.key == "secrets"));
                        }
                    }
                }
                crate::source::yaml::Value::Seq(items) => {
                    stack.extend(items.iter().map(|i| (i, false)))
                }
                _ => {}
            }
        }
        String::from_utf8(bytes).unwrap_or_else(|_| self.source.text.clone())
    }
}

/// The text shown in snippets of a file that did not parse: the value of
/// each `key: value` line whose key looks secret, and everything after a
/// quote that never closed (it may have swallowed a secret), masked byte
/// for byte.
pub fn unparsed_display_text(text: &str, diagnostics: &[Diagnostic]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let mut at = 0;
    // The indentation of a `secrets:` key whose block is being read.
    let mut secrets_block: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        let blank = line.trim().is_empty() || line.trim_start().starts_with('#');
        if let Some(parent) = secrets_block
            && !blank
        {
            if indent > parent {
                // Everything under `secrets:` is a secret's place.
                let start = line.find(':').map_or(indent, |colon| colon + 1);
                mask(&mut bytes, at + start..at + line.len());
                at += line.len();
                continue;
            }
            secrets_block = None;
        }
        // Every `key: value` of the line, flow mappings included: the
        // value of a secret-looking key runs to the next `,` or `}`.
        let mut rest = 0;
        while let Some(colon) = line[rest..].find(':').map(|c| rest + c) {
            let key_start = line[..colon].rfind(['{', ',', '[']).map_or(0, |i| i + 1);
            let key = line[key_start..colon]
                .trim()
                .trim_start_matches("- ")
                .trim_matches(['"', '\'']);
            let value_end = line[colon..]
                .find([',', '}'])
                .map_or(line.len(), |i| colon + i);
            if key == "secrets" && line[colon + 1..].trim().is_empty() {
                secrets_block = Some(indent);
            } else if looks_secret(key) {
                mask(&mut bytes, at + colon + 1..at + value_end);
            }
            rest = colon + 1;
        }
        at += line.len();
    }
    for diagnostic in diagnostics {
        if diagnostic.message.contains("quoted scalar")
            && let Some(span) = diagnostic.span
        {
            let end = bytes.len();
            mask(&mut bytes, span.start + 1..end);
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_string())
}

/// Why a file could not be read as text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read the file: {0}")]
    Io(String),
    #[error("is a directory, not a file")]
    NotAFile,
    #[error("is not a regular file (a pipe, socket or device)")]
    NotRegular,
    #[error("the file is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("the file is not valid UTF-8 text")]
    NotUtf8,
    #[error("is a symbolic link to a file outside {0}: it was not read")]
    LinkOutside(String),
}

impl Problem for ReadError {
    fn code(&self) -> &'static str {
        match self {
            ReadError::Io(_) => "read-io",
            ReadError::NotAFile | ReadError::NotRegular => "read-not-a-file",
            ReadError::TooLarge { .. } => "read-too-large",
            ReadError::NotUtf8 => "read-not-utf8",
            ReadError::LinkOutside(_) => "read-link-outside",
        }
    }

    fn hint(&self) -> Option<String> {
        Some(
            match self {
                ReadError::Io(_) => "check that the file exists and that you may read it",
                ReadError::NotAFile => "rename the directory, or name the files inside it instead",
                ReadError::NotRegular => {
                    "name a regular file: reading a pipe or device could block forever"
                }
                ReadError::TooLarge { .. } => {
                    "a site spec is a few kilobytes: check that this is the right file"
                }
                ReadError::NotUtf8 => "save the file as UTF-8",
                ReadError::LinkOutside(_) => {
                    "a spec lives in the specs folder: replace the link with the spec itself"
                }
            }
            .to_string(),
        )
    }
}

/// The name a diagnostic uses for `path`.
pub fn display_name(path: &Path) -> String {
    let text = path.to_string_lossy();
    let text = text.strip_prefix("./").unwrap_or(&text);
    text.replace('\\', "/")
}

/// Reads `path` as UTF-8 text of at most [`MAX_FILE_BYTES`].
pub fn read_source(path: &Path) -> Result<Source, Diagnostic> {
    read_source_in(&Tree::Disk, path)
}

/// Reads `path` from `tree` as UTF-8 text of at most [`MAX_FILE_BYTES`].
pub fn read_source_in(tree: &Tree, path: &Path) -> Result<Source, Diagnostic> {
    let name = display_name(path);
    let fail = |span: Option<Span>, error: ReadError| Diagnostic::error(name.clone(), span, &error);
    let kind = tree
        .kind(path)
        .map_err(|e| fail(None, ReadError::Io(io_message(&e))))?;
    match kind {
        Kind::Dir => return Err(fail(None, ReadError::NotAFile)),
        Kind::Other => return Err(fail(None, ReadError::NotRegular)),
        Kind::File { len } if len > MAX_FILE_BYTES => {
            return Err(fail(
                None,
                ReadError::TooLarge {
                    size: len,
                    limit: MAX_FILE_BYTES,
                },
            ));
        }
        Kind::File { .. } => {}
    }
    let bytes = tree
        .read(path, MAX_FILE_BYTES)
        .map_err(|e| fail(None, ReadError::Io(io_message(&e))))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(
            None,
            ReadError::TooLarge {
                size: bytes.len() as u64,
                limit: MAX_FILE_BYTES,
            },
        ));
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let prefix = std::str::from_utf8(&error.as_bytes()[..valid]).unwrap_or_default();
            let span = LineIndex::new(prefix).span_of_bytes(valid, valid);
            return Err(fail(Some(span), ReadError::NotUtf8));
        }
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text);
    Ok(Source {
        path: path.to_path_buf(),
        name,
        text,
    })
}

/// Parses a source as one YAML document.
pub fn parse_source(source: Source) -> Result<Document, (Source, Vec<Diagnostic>)> {
    match yaml::parse(&source.text) {
        Ok(root) => Ok(Document { source, root }),
        Err(errors) => {
            let diagnostics = errors
                .iter()
                .map(|e| Diagnostic::error(source.name.clone(), Some(e.span), &e.error))
                .collect();
            Err((source, diagnostics))
        }
    }
}

fn io_message(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_a_secret_by_its_last_word() {
        for key in [
            "DB_PASSWORD",
            "apiToken",
            "client_secret",
            "STORAGE_ACCOUNT_KEY",
            "API_KEY",
            "connectionString",
        ] {
            assert!(names_a_secret(key), "{key}");
        }
        for key in [
            "TOKEN_TTL_SECONDS",
            "PASSWORD_MIN_LENGTH",
            "SESSION_TIMEOUT_MINUTES",
            "keyVault",
            "secretRefs",
        ] {
            assert!(!names_a_secret(key), "{key}");
        }
        // Masking is wider: a misspelt reference key is masked, not refused.
        assert!(looks_secret("secretRefs") && looks_secret("TOKEN_TTL_SECONDS"));
    }

    #[test]
    fn a_file_that_does_not_parse_shows_no_secret() {
        let text = "metadata:\n  labels: {segment: x, password: hunter2-flow\nspec:\n  extensions:\n    secrets:\n      db: {url: hunter2-child\n    config: {A: b}\n";
        let shown = unparsed_display_text(text, &[]);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(shown.len(), text.len());
        assert!(
            shown.contains("segment: x") && shown.contains("config: {A: b}"),
            "{shown}"
        );
    }
}

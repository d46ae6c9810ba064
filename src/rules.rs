//! The validate stage's semantic layer: what the schema cannot say about one
//! spec, or about specs taken together.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Problem};
use crate::load::Document;
use crate::locate::{self, Segment};
use crate::spec::{IsoDate, Site};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    #[error("site name `{name}` does not match its file name `{stem}`")]
    NameNotFileStem { name: String, stem: String },
    #[error("site name `{name}` is already used by {other}")]
    DuplicateName { name: String, other: String },
    #[error("`{at}` is `{value}`, which is not a real date")]
    InvalidDate { at: String, value: String },
    #[error("{what} ends on {end}, before it starts on {start}")]
    EndBeforeStart {
        what: &'static str,
        start: String,
        end: String,
    },
}

impl Problem for RuleError {
    fn code(&self) -> &'static str {
        match self {
            RuleError::NameNotFileStem { .. } => "rule-name-not-file-name",
            RuleError::DuplicateName { .. } => "rule-duplicate-name",
            RuleError::InvalidDate { .. } => "rule-invalid-date",
            RuleError::EndBeforeStart { .. } => "rule-end-before-start",
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            RuleError::NameNotFileStem { name, stem } => {
                format!("rename the file to `{name}.yaml`, or set `name: {stem}`")
            }
            RuleError::DuplicateName { .. } => {
                "every site needs its own name: rename one of the two sites and its file".into()
            }
            RuleError::InvalidDate { .. } => "check the day and the month, e.g. 2026-02-28".into(),
            RuleError::EndBeforeStart { .. } => {
                "swap the dates, or fix the one that is wrong".into()
            }
        })
    }
}

/// The rules of one spec taken alone.
pub fn check(document: &Document, site: &Site) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut report = |pointer: &str, error: RuleError| {
        let span = locate::value_span(&document.root, &Segment::parse_pointer(pointer));
        found.push(Diagnostic::error(
            document.source.name.clone(),
            Some(span),
            &error,
        ));
    };
    let stem = document
        .source
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if site.metadata.name != stem {
        report(
            "/metadata/name",
            RuleError::NameNotFileStem {
                name: site.metadata.name.clone(),
                stem,
            },
        );
    }
    let mut dates: Vec<(&str, &IsoDate)> = Vec::new();
    if let Some(trial) = &site.spec.trial {
        dates.push(("/spec/trial/start", &trial.start));
    }
    if let Some(license) = &site.spec.license {
        dates.push(("/spec/license/start", &license.start));
        dates.push(("/spec/license/end", &license.end));
    }
    for (pointer, date) in dates {
        if date.date().is_none() {
            let at = locate::dotted(&Segment::parse_pointer(pointer));
            report(
                pointer,
                RuleError::InvalidDate {
                    at,
                    value: date.0.clone(),
                },
            );
        }
    }
    if let Some(license) = &site.spec.license
        && let (Some(start), Some(end)) = (license.start.date(), license.end.date())
        && end < start
    {
        report(
            "/spec/license/end",
            RuleError::EndBeforeStart {
                what: "the license",
                start: license.start.0.clone(),
                end: license.end.0.clone(),
            },
        );
    }
    found
}

/// The rules across specs: a name may be used once in the whole tree. The
/// first file in path order keeps the name; each later one is reported.
pub fn check_unique_names<'a>(
    sites: impl IntoIterator<Item = (&'a Document, &'a Site)>,
) -> Vec<Diagnostic> {
    let mut first_seen: BTreeMap<&str, &str> = BTreeMap::new();
    let mut found = Vec::new();
    for (document, site) in sites {
        let name = site.metadata.name.as_str();
        match first_seen.get(name) {
            Some(other) => {
                let span =
                    locate::value_span(&document.root, &Segment::parse_pointer("/metadata/name"));
                let error = RuleError::DuplicateName {
                    name: name.to_string(),
                    other: other.to_string(),
                };
                found.push(Diagnostic::error(
                    document.source.name.clone(),
                    Some(span),
                    &error,
                ));
            }
            None => {
                first_seen.insert(name, &document.source.name);
            }
        }
    }
    found
}

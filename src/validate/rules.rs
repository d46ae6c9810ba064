//! The validate stage's semantic layer: what the schema cannot say about one
//! spec, or about specs taken together.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Problem};
use crate::source::load::{Document, names_a_secret};
use crate::source::locate::{self, Segment};
use crate::source::yaml::Value;
use crate::spec::IsoDate;
use crate::spec::PLACEHOLDER_ID;

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
    #[error("`{at}` is the all-zero placeholder GUID, not the customer's ID")]
    PlaceholderId { at: String },
    #[error(
        "`{at}` looks like a secret, and this value would be written in plain text into the rendered files and the repository"
    )]
    SecretInPlainText { at: String },
    #[error("`{at}` holds {code}, a Unicode noncharacter, which YAML and Compose readers refuse")]
    Noncharacter { at: String, code: String },
    #[error(
        "an air-gapped site names no `registry`: its images would be pulled from outside the customer's network"
    )]
    AirGappedWithoutRegistry,
    #[error(
        "`selfhosted.registry` is `{registry}`, a public registry, which an air-gapped network cannot reach"
    )]
    AirGappedPublicRegistry { registry: String },
    #[error(
        "`selfhosted.registry` is `{registry}`, which names no registry host: Docker reads it as a namespace on Docker Hub, which an air-gapped network cannot reach"
    )]
    AirGappedRegistryWithoutHost { registry: String },
}

/// Registries on the internet: an air-gapped site's images cannot come from
/// one. Their subdomains count too (`europe-docker.pkg.dev`).
const PUBLIC_REGISTRIES: &[&str] = &[
    "docker.io",
    "registry-1.docker.io",
    "index.docker.io",
    "ghcr.io",
    "quay.io",
    "gcr.io",
    "pkg.dev",
    "registry.k8s.io",
    "public.ecr.aws",
    "mcr.microsoft.com",
    "registry.gitlab.com",
    "nvcr.io",
];

/// Whether `registry` starts with a host, as Docker tells one from a Docker
/// Hub namespace: a first part with a dot or a port, or `localhost`.
fn names_a_host(registry: &str) -> bool {
    let first = registry.split('/').next().unwrap_or_default();
    first.contains(['.', ':']) || first == "localhost"
}

/// Whether `registry` (a host, an optional port and path) is on the internet.
fn is_public_registry(registry: &str) -> bool {
    let host = registry.split(['/', ':']).next().unwrap_or_default();
    PUBLIC_REGISTRIES
        .iter()
        .any(|public| host == *public || host.ends_with(&format!(".{public}")))
}

impl Problem for RuleError {
    fn code(&self) -> &'static str {
        match self {
            RuleError::NameNotFileStem { .. } => "rule-name-not-file-name",
            RuleError::DuplicateName { .. } => "rule-duplicate-name",
            RuleError::InvalidDate { .. } => "rule-invalid-date",
            RuleError::EndBeforeStart { .. } => "rule-end-before-start",
            RuleError::PlaceholderId { .. } => "rule-placeholder-id",
            RuleError::SecretInPlainText { .. } => "rule-secret-in-plain-text",
            RuleError::Noncharacter { .. } => "rule-noncharacter",
            RuleError::AirGappedWithoutRegistry => "rule-air-gapped-without-registry",
            RuleError::AirGappedPublicRegistry { .. } => "rule-air-gapped-public-registry",
            RuleError::AirGappedRegistryWithoutHost { .. } => {
                "rule-air-gapped-registry-without-host"
            }
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
            RuleError::PlaceholderId { .. } => {
                "write the customer's real ID (the Azure portal shows it); a site cannot deploy into the placeholder".into()
            }
            RuleError::Noncharacter { .. } => {
                "remove it: it is never part of a name or an address (it often comes from a copy and paste)".into()
            }
            RuleError::AirGappedWithoutRegistry => {
                "add `registry:` under `selfhosted`: the registry inside the customer's network that holds the images, e.g. `registry.acme.internal:5000/sitectl`".into()
            }
            RuleError::AirGappedRegistryWithoutHost { registry } => format!(
                "start it with the registry's host (a name with a dot or a port, or `localhost`), e.g. `registry.acme.internal:5000/{registry}`"
            ),
            RuleError::AirGappedPublicRegistry { .. } => {
                "name the registry inside the customer's network that mirrors the images, e.g. `registry.acme.internal:5000/sitectl`".into()
            }
            RuleError::SecretInPlainText { .. } => {
                "move it to `extensions.secrets` as a reference (`https://<vault>.vault.azure.net/secrets/<name>`, `k8s:<secret>/<key>` or `env:<NAME>`), and rotate it if it was a real secret".into()
            }
        })
    }
}

/// The text of the string at `pointer`, if the document has one there.
fn text_at<'d>(document: &'d Document, pointer: &str) -> Option<&'d str> {
    let found = locate::locate(&document.root, &Segment::parse_pointer(pointer));
    match &found.node.value {
        Value::Str(text, _) if found.complete => Some(text),
        _ => None,
    }
}

/// A date written as `YYYY-MM-DD` (the schema checks the shape) and whether it is real.
fn date_at(document: &Document, pointer: &str) -> Option<(String, Option<jiff::civil::Date>)> {
    let text = text_at(document, pointer)?;
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shaped.then(|| (text.to_string(), IsoDate(text.to_string()).date()))
}

/// The rules of one spec taken alone. They read the document itself, not
/// its decoded form, so they run even when the schema found errors: a run
/// reports every error of a file, not one layer at a time.
pub fn check(document: &Document, placeholders: super::Placeholders) -> Vec<Diagnostic> {
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
    if let Some(name) = text_at(document, "/metadata/name")
        && name != stem
    {
        report(
            "/metadata/name",
            RuleError::NameNotFileStem {
                name: name.to_string(),
                stem,
            },
        );
    }
    for pointer in [
        "/spec/trial/start",
        "/spec/license/start",
        "/spec/license/end",
    ] {
        if let Some((value, None)) = date_at(document, pointer) {
            let at = locate::dotted(&Segment::parse_pointer(pointer));
            report(pointer, RuleError::InvalidDate { at, value });
        }
    }
    if let (Some((start, Some(first))), Some((end, Some(last)))) = (
        date_at(document, "/spec/license/start"),
        date_at(document, "/spec/license/end"),
    ) && last < first
    {
        report(
            "/spec/license/end",
            RuleError::EndBeforeStart {
                what: "the license",
                start,
                end,
            },
        );
    }
    for pointer in [
        "/spec/byoi/tenantId",
        "/spec/byoi/subscriptionId",
        "/spec/byoi/servicePrincipal/clientId",
        "/spec/byoi/servicePrincipal/objectId",
    ] {
        if placeholders == super::Placeholders::Refused
            && text_at(document, pointer) == Some(PLACEHOLDER_ID)
        {
            let at = locate::dotted(&Segment::parse_pointer(pointer));
            report(pointer, RuleError::PlaceholderId { at });
        }
    }
    if document
        .root
        .get("spec")
        .and_then(|s| s.get("selfhosted"))
        .and_then(|s| s.get("airGapped"))
        .map(|a| &a.value)
        == Some(&Value::Bool(true))
    {
        match text_at(document, "/spec/selfhosted/registry") {
            None => report(
                "/spec/selfhosted/airGapped",
                RuleError::AirGappedWithoutRegistry,
            ),
            Some(registry) if !names_a_host(registry) => report(
                "/spec/selfhosted/registry",
                RuleError::AirGappedRegistryWithoutHost {
                    registry: registry.to_string(),
                },
            ),
            Some(registry) if is_public_registry(registry) => report(
                "/spec/selfhosted/registry",
                RuleError::AirGappedPublicRegistry {
                    registry: registry.to_string(),
                },
            ),
            Some(_) => {}
        }
    }
    // Every string goes into some output; a noncharacter breaks its readers.
    for (path, node, text) in locate::string_values(&document.root) {
        if let Some(c) = text.chars().find(|c| is_noncharacter(*c)) {
            found.push(Diagnostic::error(
                document.source.name.clone(),
                Some(node.span),
                &RuleError::Noncharacter {
                    at: locate::dotted(&path),
                    code: format!("U+{:04X}", c as u32),
                },
            ));
        }
    }
    // The two free-form maps: their values land in plain text.
    for (pointer, map) in [
        (
            "/metadata/labels",
            document.root.get("metadata").and_then(|m| m.get("labels")),
        ),
        (
            "/spec/extensions/config",
            document
                .root
                .get("spec")
                .and_then(|s| s.get("extensions"))
                .and_then(|e| e.get("config")),
        ),
    ] {
        let Some(Value::Map(entries)) = map.map(|m| &m.value) else {
            continue;
        };
        for entry in entries.iter().filter(|e| names_a_secret(&e.key)) {
            let at = format!(
                "{}.{}",
                locate::dotted(&Segment::parse_pointer(pointer)),
                entry.key
            );
            found.push(Diagnostic::error(
                document.source.name.clone(),
                Some(entry.value.span),
                &RuleError::SecretInPlainText { at },
            ));
        }
    }
    found
}

/// U+FDD0 to U+FDEF, and the last two code points of every plane.
fn is_noncharacter(c: char) -> bool {
    let code = c as u32;
    (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE
}

/// A spec's `metadata.name`, where it is written: all the fleet-wide
/// uniqueness check keeps of a spec, so that a fleet is never held whole.
#[derive(Debug, Clone)]
pub struct NameAt {
    pub name: String,
    pub file: String,
    pub span: crate::diagnostic::span::Span,
}

impl NameAt {
    /// The name `document` gives its site, when it is a string.
    pub fn of(document: &Document) -> Option<NameAt> {
        let name = text_at(document, "/metadata/name")?;
        Some(NameAt {
            name: name.to_string(),
            file: document.source.name.clone(),
            span: locate::value_span(&document.root, &Segment::parse_pointer("/metadata/name")),
        })
    }
}

/// The rule across specs: a name may be used once in the whole tree. The
/// first file in path order keeps the name; each later one is reported.
pub fn check_unique_names<'a>(names: impl IntoIterator<Item = &'a NameAt>) -> Vec<Diagnostic> {
    let mut first_seen: BTreeMap<&str, &str> = BTreeMap::new();
    let mut found = Vec::new();
    for at in names {
        match first_seen.get(at.name.as_str()) {
            Some(other) => {
                let error = RuleError::DuplicateName {
                    name: at.name.clone(),
                    other: other.to_string(),
                };
                found.push(Diagnostic::error(at.file.clone(), Some(at.span), &error));
            }
            None => {
                first_seen.insert(&at.name, &at.file);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::{is_public_registry, names_a_host};

    #[test]
    fn a_registry_without_a_host_is_a_docker_hub_namespace() {
        for hub in ["acme/images", "acme", "sitectl-mirror/app"] {
            assert!(!names_a_host(hub), "{hub}");
        }
        for host in [
            "registry.acme.internal/sitectl",
            "mirror:5000",
            "localhost/app",
            "harbor.acme",
        ] {
            assert!(names_a_host(host), "{host}");
        }
    }

    #[test]
    fn public_registries_are_known_by_host_and_subdomain_whatever_the_port_and_path() {
        for public in [
            "docker.io/library",
            "ghcr.io/acme",
            "europe-docker.pkg.dev/acme/images",
            "quay.io:443/acme",
        ] {
            assert!(is_public_registry(public), "{public}");
        }
        for private in [
            "registry.umbrella.internal:5000/sitectl",
            "harbor.acme.local",
            "notdocker.io.acme.internal",
        ] {
            assert!(!is_public_registry(private), "{private}");
        }
    }
}

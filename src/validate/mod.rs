//! The validate stage: every spec file through every layer (YAML, schema,
//! rules, tier policy), collecting all errors of all files in one run.

pub mod catalog;
pub mod policy;
pub mod rules;
pub mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Problem};
use crate::source::discover;
use crate::source::load::{self, Document};
use crate::spec::Site;
use crate::validate::catalog::Catalog;
use crate::validate::schema::Schema;

/// A spec that passed every layer.
#[derive(Debug, Clone)]
pub struct ValidSite {
    pub document: Document,
    pub site: Site,
}

/// The result of checking a set of specs.
#[derive(Debug, Default)]
pub struct Checked {
    /// Text of every file a diagnostic may point into, by display name.
    pub sources: BTreeMap<String, String>,
    /// Sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Specs without errors, in path order.
    pub sites: Vec<ValidSite>,
    /// How many spec files were looked at.
    pub files: usize,
    pub catalog: Option<Catalog>,
}

impl Checked {
    pub fn error_count(&self) -> usize {
        self.diagnostics.len()
    }

    pub fn files_with_errors(&self) -> usize {
        let mut files: Vec<&str> = self.diagnostics.iter().map(|d| d.file.as_str()).collect();
        files.dedup();
        files.len()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("the spec passed the schema but its types refused it: {0}")]
    TypesDisagree(String),
}

impl Problem for DecodeError {
    fn code(&self) -> &'static str {
        "schema-types-disagree"
    }

    fn hint(&self) -> Option<String> {
        Some("this is a bug in sitectl: please report it with the spec".into())
    }
}

/// The tier catalog, or its diagnostics with its source for snippets, for a
/// command that cannot go on without it.
pub fn load_catalog(blueprints: &Path) -> Result<Catalog, Box<Checked>> {
    let loaded = catalog::load(blueprints);
    loaded.catalog.map_err(|diagnostics| {
        let mut checked = Checked {
            diagnostics,
            ..Checked::default()
        };
        if let Some(source) = loaded.source {
            checked.sources.insert(source.name, source.text);
        }
        Box::new(checked)
    })
}

/// Checks every spec found under `paths` against the schema and the tier
/// catalog in `blueprints`.
pub fn validate(paths: &[PathBuf], blueprints: &Path) -> Checked {
    let mut checked = Checked::default();
    let loaded = catalog::load(blueprints);
    if let Some(source) = loaded.source {
        checked.sources.insert(source.name, source.text);
    }
    match loaded.catalog {
        Ok(catalog) => checked.catalog = Some(catalog),
        Err(diagnostics) => checked.diagnostics.extend(diagnostics),
    }

    let (files, problems) = discover::discover(paths);
    checked.diagnostics.extend(problems);
    checked.files = files.len();

    let mut parsed: Vec<(Document, Option<Site>, bool)> = Vec::new();
    for file in &files {
        match check_file(file, checked.catalog.as_ref()) {
            FileOutcome::Unreadable(diagnostic) => checked.diagnostics.push(diagnostic),
            FileOutcome::Unparsed(source, diagnostics) => {
                checked.diagnostics.extend(diagnostics);
                checked.sources.insert(source.name, source.text);
            }
            FileOutcome::Parsed {
                document,
                site,
                diagnostics,
            } => {
                let clean = diagnostics.is_empty();
                checked.diagnostics.extend(diagnostics);
                parsed.push((document, site, clean));
            }
        }
    }
    let duplicates = rules::check_unique_names(parsed.iter().map(|(d, _, _)| d));
    for (document, site, clean) in parsed {
        let duplicate = duplicates.iter().any(|d| d.file == document.source.name);
        checked
            .sources
            .insert(document.source.name.clone(), document.display_text());
        if let Some(site) = site.filter(|_| clean && !duplicate) {
            checked.sites.push(ValidSite { document, site });
        }
    }
    checked.diagnostics.extend(duplicates);
    checked
        .diagnostics
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    checked
}

#[allow(clippy::large_enum_variant)] // one per file, consumed at once
pub(crate) enum FileOutcome {
    Unreadable(Diagnostic),
    /// Not YAML: the source, for snippets, and why.
    Unparsed(load::Source, Vec<Diagnostic>),
    /// YAML, with every error the layers found; `site` is there when the
    /// shape was right and the spec decoded.
    Parsed {
        document: Document,
        site: Option<Site>,
        diagnostics: Vec<Diagnostic>,
    },
}

/// One file through the layers.
fn check_file(path: &Path, catalog: Option<&Catalog>) -> FileOutcome {
    match load::read_source(path) {
        Ok(source) => check_source(source, catalog),
        Err(diagnostic) => FileOutcome::Unreadable(diagnostic),
    }
}

/// One source through the layers. The schema and the rules always run; the
/// tier policy needs the decoded spec, so it runs when the shape is right.
pub(crate) fn check_source(source: load::Source, catalog: Option<&Catalog>) -> FileOutcome {
    let document = match load::parse_source(source) {
        Ok(document) => document,
        Err((source, diagnostics)) => return FileOutcome::Unparsed(source, diagnostics),
    };
    let mut diagnostics = Schema::site().check(&document);
    diagnostics.extend(rules::check(&document));
    let mut site = None;
    if diagnostics.iter().all(|d| !d.code.starts_with("schema-")) {
        match serde_json::from_value::<Site>(document.root.to_json()) {
            Ok(decoded) => {
                if let Some(catalog) = catalog {
                    diagnostics.extend(policy::check(&document, &decoded, catalog));
                }
                site = Some(decoded);
            }
            Err(error) => {
                let problem = DecodeError::TypesDisagree(error.to_string());
                let span = Some(document.root.span);
                diagnostics.push(Diagnostic::error(
                    document.source.name.clone(),
                    span,
                    &problem,
                ));
            }
        }
    }
    FileOutcome::Parsed {
        document,
        site,
        diagnostics,
    }
}

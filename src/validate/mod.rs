//! The validate stage: every spec file through every layer (YAML, schema,
//! rules, tier policy), collecting all errors of all files in one run.

pub mod catalog;
pub mod policy;
pub mod rules;
pub mod schema;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics, Problem};
use crate::source::discover;
use crate::source::load::{self, Document, Source};
use crate::source::tree::{Files, Tree};
use crate::spec::Site;
use crate::validate::catalog::Catalog;
use crate::validate::schema::Schema;

/// A spec that passed every layer.
#[derive(Debug, Clone)]
pub struct ValidSite {
    pub document: Document,
    pub site: Site,
}

/// Where a run's specs come from: files and folders on disk, or texts in
/// memory (a promotion's new spec, a preview's flags, another revision),
/// each under the name its diagnostics and file headers show.
#[derive(Debug, Clone)]
pub enum Specs {
    Paths(Vec<PathBuf>),
    Sources(Vec<Source>),
    /// `paths` as they are at another git revision, read from its files
    /// in memory under the names they have in the work tree; the tier
    /// catalog and the blueprints are read from that revision too.
    Revision {
        files: Arc<Files>,
        paths: Vec<PathBuf>,
    },
}

impl Specs {
    /// The files the run reads the catalog and the blueprints from.
    pub fn tree(&self) -> Tree {
        match self {
            Specs::Paths(_) | Specs::Sources(_) => Tree::Disk,
            Specs::Revision { files, .. } => Tree::Revision(Arc::clone(files)),
        }
    }
}

/// The result of checking a set of specs: the valid ones, and every
/// diagnostic about the others.
#[derive(Debug, Default)]
pub struct Checked {
    /// Sorted by file and position.
    pub diagnostics: Diagnostics,
    /// Specs without errors, in path order.
    pub sites: Vec<ValidSite>,
    /// How many spec files were looked at.
    pub files: usize,
    pub catalog: Option<Catalog>,
    /// Where the specs were read: the blueprints are read from there too.
    pub tree: Tree,
}

impl Checked {
    pub fn error_count(&self) -> usize {
        self.diagnostics.error_count()
    }

    pub fn files_with_errors(&self) -> usize {
        self.diagnostics.files_with_errors()
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
pub fn load_catalog(blueprints: &Path) -> Result<Catalog, Diagnostics> {
    let loaded = catalog::load(blueprints);
    loaded.catalog.map_err(|list| {
        let mut diagnostics = Diagnostics {
            list,
            ..Diagnostics::default()
        };
        if let Some(source) = loaded.source {
            diagnostics.add_source(source.name, source.text);
        }
        diagnostics
    })
}

/// Checks every spec found under `paths` against the schema and the tier
/// catalog in `blueprints`.
pub fn validate(paths: &[PathBuf], blueprints: &Path) -> Checked {
    validate_specs(Specs::Paths(paths.to_vec()), blueprints)
}

/// Checks every spec of `specs` against the schema and the tier catalog in
/// `blueprints`, all errors of all files in one run.
pub fn validate_specs(specs: Specs, blueprints: &Path) -> Checked {
    let mut checked = Checked {
        tree: specs.tree(),
        ..Checked::default()
    };
    let loaded = catalog::load_in(&checked.tree, blueprints);
    if let Some(source) = loaded.source {
        checked.diagnostics.add_source(source.name, source.text);
    }
    match loaded.catalog {
        Ok(catalog) => checked.catalog = Some(catalog),
        Err(list) => checked.diagnostics.extend(list),
    }
    check_specs(checked, specs, Placeholders::Refused)
}

/// Whether a spec may hold the all-zero placeholder IDs: only a preview's,
/// which deploys nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholders {
    Refused,
    Allowed,
}

/// [`validate_specs`] against a tier catalog the caller has already loaded
/// (a preview or a new spec, built from it).
pub fn validate_specs_against(
    specs: Specs,
    catalog: Catalog,
    placeholders: Placeholders,
) -> Checked {
    let checked = Checked {
        tree: specs.tree(),
        catalog: Some(catalog),
        ..Checked::default()
    };
    check_specs(checked, specs, placeholders)
}

/// Every spec of `specs` through every layer, against `checked`'s catalog.
fn check_specs(mut checked: Checked, specs: Specs, placeholders: Placeholders) -> Checked {
    let diagnostics = &mut checked.diagnostics;

    let sources: Vec<Result<Source, Diagnostic>> = match specs {
        Specs::Paths(paths) => {
            let (files, problems) = discover::discover(&paths);
            diagnostics.extend(problems);
            files.iter().map(|file| load::read_source(file)).collect()
        }
        Specs::Sources(sources) => sources.into_iter().map(Ok).collect(),
        Specs::Revision { paths, .. } => {
            let (files, problems) = discover::discover_in(&checked.tree, &paths);
            diagnostics.extend(problems);
            files
                .iter()
                .map(|file| load::read_source_in(&checked.tree, file))
                .collect()
        }
    };
    diagnostics.files = sources.len();
    checked.files = sources.len();

    let mut parsed: Vec<(Document, Option<Site>, bool)> = Vec::new();
    for source in sources {
        let source = match source {
            Ok(source) => source,
            Err(diagnostic) => {
                diagnostics.list.push(diagnostic);
                continue;
            }
        };
        match check_source(source, checked.catalog.as_ref(), placeholders) {
            FileOutcome::Unparsed(source, list) => {
                let shown = load::unparsed_display_text(&source.text, &list);
                diagnostics.extend(list);
                diagnostics.add_source(source.name, shown);
            }
            FileOutcome::Parsed {
                document,
                site,
                diagnostics: list,
            } => {
                let clean = list.is_empty();
                diagnostics.extend(list);
                parsed.push((document, site, clean));
            }
        }
    }
    let duplicates = rules::check_unique_names(parsed.iter().map(|(d, _, _)| d));
    for (document, site, clean) in parsed {
        let duplicate = duplicates.iter().any(|d| d.file == document.source.name);
        diagnostics.add_source(document.source.name.clone(), document.display_text());
        if let Some(site) = site.filter(|_| clean && !duplicate) {
            checked.sites.push(ValidSite { document, site });
        }
    }
    diagnostics.extend(duplicates);
    checked.diagnostics.sort();
    checked
}

#[allow(clippy::large_enum_variant)] // one per file, consumed at once
enum FileOutcome {
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

/// One source through the layers. The schema and the rules always run; the
/// tier policy needs the decoded spec, so it runs when the shape is right.
fn check_source(
    source: load::Source,
    catalog: Option<&Catalog>,
    placeholders: Placeholders,
) -> FileOutcome {
    let document = match load::parse_source(source) {
        Ok(document) => document,
        Err((source, diagnostics)) => return FileOutcome::Unparsed(source, diagnostics),
    };
    let mut diagnostics = Schema::site().check(&document);
    diagnostics.extend(rules::check(&document, placeholders));
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

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

/// The result of checking a set of specs: the valid ones (or what was
/// made of each as it passed), and every diagnostic about the others.
#[derive(Debug)]
pub struct Checked<T = ValidSite> {
    /// Sorted by file and position.
    pub diagnostics: Diagnostics,
    /// Specs without errors, in path order.
    pub sites: Vec<T>,
    /// How many spec files were looked at.
    pub files: usize,
    pub catalog: Option<Catalog>,
    /// Where the specs were read: the blueprints are read from there too.
    pub tree: Tree,
}

impl<T> Default for Checked<T> {
    fn default() -> Self {
        Checked {
            diagnostics: Diagnostics::default(),
            sites: Vec::new(),
            files: 0,
            catalog: None,
            tree: Tree::default(),
        }
    }
}

impl<T> Checked<T> {
    /// Takes in the diagnostics, sites and file count of a check made
    /// apart (against a catalog this one loaded).
    pub(crate) fn absorb(&mut self, other: Checked<T>) {
        self.diagnostics.absorb(other.diagnostics);
        self.diagnostics.sort();
        self.sites.extend(other.sites);
        self.files += other.files;
    }

    pub fn error_count(&self) -> usize {
        self.diagnostics.error_count()
    }

    pub fn files_with_errors(&self) -> usize {
        self.diagnostics.files_with_errors()
    }
}

impl Checked {
    /// Keeps the text of every valid spec for snippets: a caller holding
    /// the specs may still find problems in them (a render, a promotion).
    fn keep_sources(&mut self) {
        for valid in &self.sites {
            let document = &valid.document;
            let name = document.source.name.clone();
            self.diagnostics.add_source(name, document.display_text());
        }
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
    let mut checked = validate_each(specs, blueprints, &Ok);
    checked.keep_sources();
    checked
}

/// [`validate_specs`], each valid spec handed to `each` as soon as it
/// passed and dropped after: what `each` returns is all a run keeps of it,
/// so memory does not grow with the fleet.
pub(crate) fn validate_each<T: Send>(
    specs: Specs,
    blueprints: &Path,
    each: Each<'_, T>,
) -> Checked<T> {
    let mut checked = with_catalog(specs.tree(), blueprints);
    let catalog = checked.catalog.take();
    let found = check_specs(
        specs,
        catalog.as_ref(),
        Placeholders::Refused,
        &|_, _| {},
        each,
    );
    checked.absorb(found);
    checked.catalog = catalog;
    checked
}

/// A run's start: the tier catalog of `blueprints` in `tree`, or why not
/// (with its text, for snippets).
pub(crate) fn with_catalog<T>(tree: Tree, blueprints: &Path) -> Checked<T> {
    let mut checked = Checked {
        tree,
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
    checked
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
    let mut checked = check_specs(specs, Some(&catalog), placeholders, &|_, _| {}, &Ok);
    checked.catalog = Some(catalog);
    checked.keep_sources();
    checked
}

/// How many spec files go through the layers at once: enough to keep every
/// core busy, few enough that a fleet's specs (and what `each` makes of
/// them) are never all in memory at once.
const BATCH: usize = 256;

/// Told `(specs checked, specs in all)` as a run goes (a spec is checked
/// once it is rendered too, in a render), from any thread.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// What is done with each spec that passed every layer, as soon as it has:
/// its result is kept, the spec dropped; or why the spec cannot go on
/// (diagnostics with the texts they point into).
pub type Each<'a, T> = &'a (dyn Fn(ValidSite) -> Result<T, Diagnostics> + Sync);

/// Every spec of `specs` through every layer against `catalog`, a batch at
/// a time on every core and in path order, each valid one handed to `each`.
/// Only small records outlive a batch: each spec's name (for the rule
/// across specs) and the text of a spec that has diagnostics. The result
/// holds no catalog: the caller owns it.
pub(crate) fn check_specs<T: Send>(
    specs: Specs,
    catalog: Option<&Catalog>,
    placeholders: Placeholders,
    progress: Progress<'_>,
    each: Each<'_, T>,
) -> Checked<T> {
    let mut checked = Checked {
        tree: specs.tree(),
        ..Checked::default()
    };
    let inputs: Vec<Input> = match specs {
        Specs::Paths(paths) => {
            let (files, problems) = discover::discover(&paths);
            checked.diagnostics.extend(problems);
            files.into_iter().map(Input::Path).collect()
        }
        Specs::Sources(sources) => sources.into_iter().map(Input::Source).collect(),
        Specs::Revision { paths, .. } => {
            let (files, problems) = discover::discover_in(&checked.tree, &paths);
            checked.diagnostics.extend(problems);
            files.into_iter().map(Input::Path).collect()
        }
    };
    checked.files = inputs.len();
    checked.diagnostics.files = inputs.len();

    let done = std::sync::atomic::AtomicUsize::new(0);
    let mut names = Vec::new();
    let mut kept: Vec<(String, T)> = Vec::new();
    for batch in inputs.chunks(BATCH) {
        let results = crate::parallel::parallel_map(batch, |input| {
            let result = check_one(input, &checked.tree, catalog, placeholders, each);
            let count = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(count, inputs.len());
            result
        });
        for result in results {
            checked.diagnostics.absorb(result.diagnostics);
            names.extend(result.name);
            kept.extend(result.kept);
        }
    }
    let duplicates = rules::check_unique_names(&names);
    for duplicate in &duplicates {
        // Its text, for the snippet: read again, as only the specs with
        // diagnostics of their own kept theirs.
        if !checked.diagnostics.sources.contains_key(&duplicate.file)
            && let Some(input) = inputs.iter().find(|i| i.name() == duplicate.file)
            && let Some(shown) = input.shown(&checked.tree)
        {
            checked
                .diagnostics
                .add_source(duplicate.file.clone(), shown);
        }
    }
    checked.sites = kept
        .into_iter()
        .filter(|(file, _)| duplicates.iter().all(|d| &d.file != file))
        .map(|(_, item)| item)
        .collect();
    checked.diagnostics.extend(duplicates);
    checked.diagnostics.sort();
    checked
}

/// Where one spec's text comes from.
enum Input {
    /// A file, on disk or at the run's revision.
    Path(PathBuf),
    Source(Source),
}

impl Input {
    fn read(&self, tree: &Tree) -> Result<Source, Diagnostic> {
        match self {
            Input::Path(path) => load::read_source_in(tree, path),
            Input::Source(source) => Ok(source.clone()),
        }
    }

    /// The name its diagnostics show.
    fn name(&self) -> String {
        match self {
            Input::Path(path) => load::display_name(path),
            Input::Source(source) => source.name.clone(),
        }
    }

    /// Its text as snippets show it (secrets masked).
    fn shown(&self, tree: &Tree) -> Option<String> {
        let document = load::parse_source(self.read(tree).ok()?).ok()?;
        Some(document.display_text())
    }
}

/// What one spec file came to.
struct OneFile<T> {
    diagnostics: Diagnostics,
    name: Option<rules::NameAt>,
    /// What `each` made of it, under the spec's file name.
    kept: Option<(String, T)>,
}

fn check_one<T>(
    input: &Input,
    tree: &Tree,
    catalog: Option<&Catalog>,
    placeholders: Placeholders,
    each: Each<'_, T>,
) -> OneFile<T> {
    let mut one = OneFile {
        diagnostics: Diagnostics::default(),
        name: None,
        kept: None,
    };
    let source = match input.read(tree) {
        Ok(source) => source,
        Err(diagnostic) => {
            one.diagnostics.list.push(diagnostic);
            return one;
        }
    };
    match check_source(source, catalog, placeholders) {
        FileOutcome::Unparsed(source, list) => {
            let shown = load::unparsed_display_text(&source.text, &list);
            one.diagnostics.extend(list);
            one.diagnostics.add_source(source.name, shown);
        }
        FileOutcome::Parsed {
            document,
            site,
            diagnostics,
        } => {
            one.name = rules::NameAt::of(&document);
            let file = document.source.name.clone();
            match site.filter(|_| diagnostics.is_empty()) {
                Some(site) => match each(ValidSite { document, site }) {
                    Ok(item) => one.kept = Some((file, item)),
                    Err(refused) => one.diagnostics.absorb(refused),
                },
                None => {
                    one.diagnostics.add_source(file, document.display_text());
                    one.diagnostics.extend(diagnostics);
                }
            }
        }
    }
    one
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

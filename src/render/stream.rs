//! The compiler of a fleet, a site at a time: the tier catalog and the
//! blueprints are loaded and compiled once, then every spec is validated,
//! rendered and checked in batches on every core, and each site's files go
//! to the caller as soon as they exist (written under temporary names,
//! compared with the committed output) and are dropped after. What a run
//! keeps of a site is what the caller returns for it, so memory stays flat
//! however large the fleet.

use std::path::Path;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::render::blueprint::DataResource;
use crate::render::engine::{Engine, RenderedFile};
use crate::render::pipeline::{OutputCheck, load_engine, render_site_checked};
use crate::render::target::Target;
use crate::validate::catalog::Catalog;
use crate::validate::{self, Checked, Placeholders, Progress, Specs, ValidSite};

/// What is done with a site's checked files: what the run keeps of the
/// site, or the site's problems.
pub(crate) type EachSite<'a, T> =
    &'a (dyn Fn(&ValidSite, Vec<RenderedFile>) -> Result<T, Vec<Diagnostic>> + Sync);

/// The catalog and the compiled blueprints of one run.
pub(crate) struct Compiler {
    /// What loading the catalog and the blueprints found, with their texts.
    setup: Diagnostics,
    catalog: Option<Catalog>,
    engine: Option<Engine>,
    /// Every data-bearing resource the blueprints declare (for the gate).
    pub data: Vec<DataResource>,
}

impl Compiler {
    /// The catalog and blueprints in `blueprints`, read from where `specs`
    /// are read (the work tree or a revision).
    pub fn new(specs: &Specs, blueprints: &Path) -> Compiler {
        let mut base: Checked<()> = validate::with_catalog(specs.tree(), blueprints);
        let catalog = base.catalog.take();
        // Loaded whatever the catalog's state, for every problem in one run.
        let prepared = load_engine(&base.tree, blueprints, &mut base.diagnostics);
        let (engine, data) = prepared.map_or((None, Vec::new()), |(e, d)| (Some(e), d));
        Compiler {
            setup: base.diagnostics,
            catalog,
            engine,
            data,
        }
    }

    /// Every spec of `specs` validated, rendered and checked, in path order,
    /// each site's files handed to `each`. A spec or site with problems is
    /// reported and goes no further; when the catalog or the blueprints are
    /// broken, the specs are only validated.
    pub fn render_each<T: Send>(
        &self,
        specs: Specs,
        (only_target, check): (Option<Target>, OutputCheck),
        progress: Progress<'_>,
        each: EachSite<'_, T>,
    ) -> Checked<Option<T>> {
        let site = |valid: ValidSite| -> Result<Option<T>, Diagnostics> {
            let (Some(engine), Some(catalog)) = (&self.engine, &self.catalog) else {
                return Ok(None);
            };
            let refuse = |list: Vec<Diagnostic>| {
                let mut diagnostics = Diagnostics {
                    list,
                    ..Diagnostics::default()
                };
                let document = &valid.document;
                diagnostics.add_source(document.source.name.clone(), document.display_text());
                diagnostics
            };
            let files = match render_site_checked(engine, catalog, &valid, (only_target, check)) {
                Err(problem) => return Err(refuse(vec![problem])),
                Ok((_, problems)) if !problems.is_empty() => return Err(refuse(problems)),
                Ok((files, _)) => files,
            };
            each(&valid, files).map(Some).map_err(refuse)
        };
        let mut checked = validate::check_specs(
            specs,
            self.catalog.as_ref(),
            Placeholders::Refused,
            progress,
            &site,
        );
        checked.diagnostics.absorb(self.setup.clone());
        checked.diagnostics.sort();
        checked
    }
}

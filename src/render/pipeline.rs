//! The whole compiler in one call: load and validate every spec, load the
//! blueprints, render, and check every output in its own language. Nothing
//! here writes: the output stage takes a [`Rendered`] to disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostics;
use crate::parallel::parallel_map;
use crate::render::airgap;
use crate::render::blueprint::{self, Blueprint, Blueprints, DataResource};
use crate::render::engine::{Engine, RenderedFile};
use crate::render::target::Target;
use crate::render::verify;
use crate::source::load::display_name;
use crate::validate::{self, Checked, Progress, Specs, ValidSite};

/// Every file the specs under `paths` render to, checked, in a stable order;
/// or every diagnostic found on the way (then nothing may be written).
pub fn render_in_memory(
    paths: &[PathBuf],
    blueprints: &Path,
    only_target: Option<Target>,
) -> Result<Vec<RenderedFile>, Box<Diagnostics>> {
    render_all(
        Specs::Paths(paths.to_vec()),
        blueprints,
        only_target,
        &|_, _| {},
    )
    .map(|rendered| rendered.files)
}

/// A whole render: the files, what each site is, and every data-bearing
/// resource the blueprints declare (for the data-loss gate).
pub struct Rendered {
    pub files: Vec<RenderedFile>,
    /// Site → (tier, deployment).
    pub sites: BTreeMap<String, (String, String)>,
    pub data: Vec<DataResource>,
    /// The specs rendered, in path order.
    pub valid: Vec<ValidSite>,
    /// The blueprints they rendered with, by name.
    pub blueprints: Blueprints,
}

impl Rendered {
    /// The blueprint a site rendered with.
    pub fn blueprint_of(&self, valid: &ValidSite) -> Option<&Blueprint> {
        self.blueprints.get(&blueprint::name_for(&valid.site))
    }
}

/// Whether every output is parsed in its own language once rendered. A
/// render that is written, shown or handed off always is; a comparison of
/// two renders' bytes (`affected`) need not be, as the output check takes
/// three quarters of a render and `render` or `diff --check` in the same
/// job checks the same output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputCheck {
    /// Every output parsed, or shown to share its skeleton with one that
    /// parsed in this run (`skeleton.rs`).
    Parse,
    /// Every output parsed, one by one: for the tests and fuzz targets
    /// that prove what the skeletons rest on.
    ParseEveryFile,
    Skip,
}

/// Renders every spec of `specs`, checked, in memory.
pub fn render_all(
    specs: Specs,
    blueprints: &Path,
    only_target: Option<Target>,
    progress: Progress<'_>,
) -> Result<Rendered, Box<Diagnostics>> {
    render_all_as(specs, blueprints, only_target, OutputCheck::Parse, progress)
}

/// [`render_all`], with or without the output check.
pub fn render_all_as(
    specs: Specs,
    blueprints: &Path,
    only_target: Option<Target>,
    check: OutputCheck,
    progress: Progress<'_>,
) -> Result<Rendered, Box<Diagnostics>> {
    let checked = validate::validate_specs(specs, blueprints);
    render_checked_as(checked, blueprints, only_target, check, progress)
}

/// Renders specs already checked, when they all passed; else returns
/// their diagnostics with any the blueprints add.
pub fn render_checked(
    checked: Checked,
    blueprints: &Path,
    only_target: Option<Target>,
    progress: Progress<'_>,
) -> Result<Rendered, Box<Diagnostics>> {
    render_checked_as(
        checked,
        blueprints,
        only_target,
        OutputCheck::Parse,
        progress,
    )
}

fn render_checked_as(
    checked: Checked,
    blueprints: &Path,
    only_target: Option<Target>,
    check: OutputCheck,
    progress: Progress<'_>,
) -> Result<Rendered, Box<Diagnostics>> {
    let mut diagnostics = checked.diagnostics;
    let prepared = load_engine(&checked.tree, blueprints, &mut diagnostics);
    let (Some(catalog), Some((engine, data)), true) =
        (checked.catalog, prepared, diagnostics.is_empty())
    else {
        return Err(Box::new(diagnostics.sorted()));
    };
    let (files, problems) = render_sites(
        &engine,
        &catalog,
        &checked.sites,
        (only_target, check),
        progress,
    );
    diagnostics.extend(problems);
    if !diagnostics.is_empty() {
        return Err(Box::new(diagnostics.sorted()));
    }
    let sites = checked
        .sites
        .iter()
        .map(|v| {
            let spec = &v.site.spec;
            (
                v.site.metadata.name.clone(),
                (spec.tier.to_string(), spec.deployment.to_string()),
            )
        })
        .collect();
    Ok(Rendered {
        files,
        sites,
        data,
        valid: checked.sites,
        blueprints: engine.into_blueprints(),
    })
}

/// The blueprints in `blueprints` of `tree`, loaded and compiled, with
/// every data-bearing resource they declare (for the data-loss gate); or
/// `None`, their problems added to `diagnostics`. Template texts go into
/// `diagnostics` for the snippets of a check that fails in one.
pub(crate) fn load_engine(
    tree: &crate::source::tree::Tree,
    blueprints: &Path,
    diagnostics: &mut Diagnostics,
) -> Option<(Engine, Vec<DataResource>)> {
    let loaded = match blueprint::load_all(tree, blueprints) {
        Ok(loaded) => loaded,
        Err(problems) => {
            diagnostics.absorb(problems);
            return None;
        }
    };
    for blueprint in loaded.values() {
        for template in blueprint.templates.values() {
            diagnostics.add_source(template.display.clone(), template.text.clone());
        }
    }
    let data = loaded
        .values()
        .flat_map(|b| b.manifest.data_resources.iter().cloned())
        .collect();
    match compile(tree, blueprints, loaded) {
        Ok(engine) => Some((engine, data)),
        Err(problems) => {
            diagnostics.extend(problems);
            None
        }
    }
}

/// The template engine of one run, for the blueprints in `blueprints` of
/// `tree`: every template compiled once.
pub(crate) fn compile(
    tree: &crate::source::tree::Tree,
    blueprints: &Path,
    loaded: Blueprints,
) -> Result<Engine, Vec<crate::diagnostic::Diagnostic>> {
    // The repository is the folder that holds the blueprints.
    let repository = blueprints.parent().unwrap_or(Path::new(""));
    let chart = blueprint::chart_digest(tree, blueprints).map(|digest| {
        let name = blueprints.file_name().map_or(Path::new(""), Path::new);
        format!(
            "Values for the chart {} (contents sha256:{digest}).",
            display_name(&blueprint::chart(name))
        )
    });
    Engine::new(loaded, repository, chart)
}

/// Renders and checks `sites` with a compiled `engine`: the files, and a
/// diagnostic per file that does not parse or site that does not render.
/// Sites render in parallel; the results are put back in site order, so
/// the output is the same whatever the number of threads.
pub(crate) fn render_sites(
    engine: &Engine,
    catalog: &crate::validate::catalog::Catalog,
    sites: &[ValidSite],
    (only_target, check): (Option<Target>, OutputCheck),
    progress: Progress<'_>,
) -> (Vec<RenderedFile>, Vec<crate::diagnostic::Diagnostic>) {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = sites.len();
    let results = parallel_map(sites, |valid| {
        let count = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress(count, total);
        render_site_checked(engine, catalog, valid, (only_target, check))
    });
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for result in results {
        match result {
            Ok((rendered, problems)) => {
                files.extend(rendered);
                diagnostics.extend(problems);
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    (files, diagnostics)
}

/// One site rendered and, unless the check is skipped, every output parsed
/// in its language: its files and a diagnostic per file that does not
/// parse; or why the site does not render.
pub(crate) fn render_site_checked(
    engine: &Engine,
    catalog: &crate::validate::catalog::Catalog,
    valid: &ValidSite,
    (only_target, check): (Option<Target>, OutputCheck),
) -> Result<(Vec<RenderedFile>, Vec<crate::diagnostic::Diagnostic>), crate::diagnostic::Diagnostic>
{
    let shapes = check == OutputCheck::Parse;
    let (rendered, shapes): (Vec<RenderedFile>, Vec<_>) = engine
        .render_site(valid, catalog, only_target, shapes)?
        .into_iter()
        .unzip();
    // What an air-gapped site runs is part of being valid: checked
    // whether or not the outputs are parsed.
    let air_gap = engine
        .blueprint_for(valid)
        .ok()
        .and_then(|blueprint| airgap::pinned_images(valid, blueprint, &rendered).err())
        .unwrap_or_default();
    if check == OutputCheck::Skip {
        return Ok((rendered, air_gap));
    }
    let mut values = None;
    let problems: Vec<_> = rendered
        .iter()
        .zip(shapes)
        .filter_map(|(f, shape)| {
            // A file whose skeleton parsed already parses (skeleton.rs).
            if shape.is_some_and(|shape| engine.parsed.contains(&shape)) {
                return None;
            }
            match verify::check(f, &[]) {
                Ok(()) => {
                    if let Some(shape) = shape {
                        engine.parsed.insert(shape);
                    }
                    None
                }
                // The spec's strings, read only when a file fails.
                Err(_) => {
                    let values =
                        values.get_or_insert_with(|| verify::spec_strings(&valid.document.root));
                    Some(verify::check(f, values).expect_err("it failed once"))
                }
            }
        })
        .chain(air_gap)
        .collect();
    Ok((rendered, problems))
}

//! The whole compiler in one call: load and validate every spec, load the
//! blueprints, render, check every output, and only then write.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::output::write::{self, Summary};
use crate::render::blueprint;
use crate::render::engine::{Engine, RenderedFile};
use crate::render::verify;
use crate::validate::{self, Checked};

/// Every file the specs under `paths` render to, checked, in a stable order;
/// or every diagnostic found on the way (then nothing may be written).
pub fn render_in_memory(
    paths: &[PathBuf],
    blueprints: &Path,
    only_target: Option<&str>,
) -> Result<Vec<RenderedFile>, Box<Checked>> {
    render_with_progress(paths, blueprints, only_target, &|_, _| {})
}

/// Told `(sites rendered, sites in all)` as rendering goes, from any thread.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// [`render_in_memory`], reporting progress.
pub fn render_with_progress(
    paths: &[PathBuf],
    blueprints: &Path,
    only_target: Option<&str>,
    progress: Progress<'_>,
) -> Result<Vec<RenderedFile>, Box<Checked>> {
    render_all(paths, blueprints, only_target, progress).map(|rendered| rendered.files)
}

/// A whole render: the files, what each site is, and every data-bearing
/// resource the blueprints declare (for the data-loss gate).
pub struct Rendered {
    pub files: Vec<RenderedFile>,
    /// Site → (tier, deployment).
    pub sites: BTreeMap<String, (String, String)>,
    pub data: Vec<crate::render::blueprint::DataResource>,
    /// The specs rendered, in path order.
    pub valid: Vec<crate::validate::ValidSite>,
}

/// Renders every spec under `paths`, checked, in memory.
pub fn render_all(
    paths: &[PathBuf],
    blueprints: &Path,
    only_target: Option<&str>,
    progress: Progress<'_>,
) -> Result<Rendered, Box<Checked>> {
    let mut checked = validate::validate(paths, blueprints);
    let loaded = blueprint::load_all(blueprints);
    checked.sources.extend(loaded.sources);
    checked.diagnostics.extend(loaded.diagnostics);
    let (Some(catalog), true) = (checked.catalog.clone(), checked.diagnostics.is_empty()) else {
        return Err(Box::new(checked));
    };
    for blueprint in loaded.blueprints.values() {
        for template in blueprint.templates.values() {
            checked
                .sources
                .insert(template.display.clone(), template.text.clone());
        }
    }
    let data = loaded
        .blueprints
        .values()
        .flat_map(|b| b.manifest.data_resources.iter().cloned())
        .collect();
    let engine = match Engine::new(loaded.blueprints) {
        Ok(engine) => engine,
        Err(diagnostics) => {
            checked.diagnostics.extend(diagnostics);
            return Err(Box::new(checked));
        }
    };
    // Sites render and check in parallel; the results are put back in site
    // order, so the output is the same whatever the number of threads.
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = checked.sites.len();
    let results = parallel_map(&checked.sites, |valid| {
        let count = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress(count, total);
        let rendered = engine.render_site(valid, &catalog, only_target)?;
        let problems: Vec<_> = rendered
            .iter()
            .filter_map(|f| verify::check(f).err())
            .collect();
        Ok((rendered, problems))
    });
    let mut files = Vec::new();
    for result in results {
        match result {
            Ok((rendered, problems)) => {
                files.extend(rendered);
                checked.diagnostics.extend(problems);
            }
            Err(diagnostic) => checked.diagnostics.push(diagnostic),
        }
    }
    if checked.diagnostics.is_empty() {
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
        })
    } else {
        checked
            .diagnostics
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        checked.diagnostics.dedup();
        Err(Box::new(checked))
    }
}

/// `f` over `items` on every core, results in the order of `items`.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a render thread panicked"))
            .collect()
    })
}

/// Renders and writes under `out`; nothing is written unless every spec,
/// blueprint and output is valid.
pub fn render(
    paths: &[PathBuf],
    blueprints: &Path,
    out: &Path,
    only_target: Option<&str>,
    progress: Progress<'_>,
) -> Result<Summary, Box<Checked>> {
    let files = render_with_progress(paths, blueprints, only_target, progress)?;
    let targets: Option<BTreeSet<String>> = only_target.map(|t| [t.to_string()].into());
    write::write_all(out, &files, targets.as_ref()).map_err(|diagnostic| {
        Box::new(Checked {
            diagnostics: vec![diagnostic],
            ..Checked::default()
        })
    })
}

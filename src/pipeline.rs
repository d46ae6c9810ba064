//! The whole compiler in one call: load and validate every spec, load the
//! blueprints, render, check every output, and only then write.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::blueprint;
use crate::check;
use crate::render::{Engine, RenderedFile};
use crate::validate::{self, Checked};
use crate::write::{self, Summary};

/// Every file the specs under `paths` render to, checked, in a stable order;
/// or every diagnostic found on the way (then nothing may be written).
pub fn render_in_memory(
    paths: &[PathBuf],
    blueprints: &Path,
    only_target: Option<&str>,
) -> Result<Vec<RenderedFile>, Box<Checked>> {
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
    let engine = match Engine::new(loaded.blueprints) {
        Ok(engine) => engine,
        Err(diagnostics) => {
            checked.diagnostics.extend(diagnostics);
            return Err(Box::new(checked));
        }
    };
    let mut files = Vec::new();
    for valid in &checked.sites {
        match engine.render_site(valid, &catalog, only_target) {
            Ok(rendered) => files.extend(rendered),
            Err(diagnostic) => checked.diagnostics.push(diagnostic),
        }
    }
    for file in &files {
        if let Err(diagnostic) = check::check(file) {
            checked.diagnostics.push(diagnostic);
        }
    }
    if checked.diagnostics.is_empty() {
        Ok(files)
    } else {
        checked
            .diagnostics
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        checked.diagnostics.dedup();
        Err(Box::new(checked))
    }
}

/// Renders and writes under `out`; nothing is written unless every spec,
/// blueprint and output is valid.
pub fn render(
    paths: &[PathBuf],
    blueprints: &Path,
    out: &Path,
    only_target: Option<&str>,
) -> Result<Summary, Box<Checked>> {
    let files = render_in_memory(paths, blueprints, only_target)?;
    let targets: Option<BTreeSet<String>> = only_target.map(|t| [t.to_string()].into());
    write::write_all(out, &files, targets.as_ref()).map_err(|diagnostic| {
        Box::new(Checked {
            diagnostics: vec![diagnostic],
            ..Checked::default()
        })
    })
}

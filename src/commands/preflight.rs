//! Before a hand-off (`plan`, `apply`, `destroy`, `reclaim`) runs anything:
//! the render it starts from, and the sites it refuses as they are on disk
//! (stale output, files beside it that sitectl did not render, links),
//! after recovering what a stopped reclaim left.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::CommandError;
use crate::diff::{self, Side};
use crate::handoff;
use crate::output::scan::{self, Stray};
use crate::render::pipeline::{Rendered, render_all};
use crate::source::load::display_name;
use crate::validate::Specs;
use crate::workspace::Workspace;

/// The specs under `specs`, rendered in memory; a hand-off of an invalid
/// tree is refused whole, with its diagnostics.
pub(super) fn render_tree(
    specs: &Path,
    ws: &Workspace,
    verb: &str,
) -> Result<Rendered, CommandError> {
    render_all(
        Specs::Paths(vec![specs.to_path_buf()]),
        &ws.blueprints,
        None,
        &|_, _| {},
    )
    .map_err(|diagnostics| {
        CommandError::invalid(
            diagnostics,
            format!(
                "error: refusing to {verb}: the specs or blueprints are invalid; fix them (`sitectl validate`)\n"
            ),
        )
    })
}

/// Sites among `names` that are refused as they are on disk, each with the
/// line that says why: output that is not what their spec renders to now
/// (the tools would apply something nobody reviewed), or files beside it
/// that a tool would read and sitectl did not render. A reclaim's override
/// left by a stopped reclaim is removed first (it lifts prevent_destroy),
/// with a note; a dry run only says it would be.
pub(super) fn refused_sites(
    out: &Path,
    rendered: &Rendered,
    names: &BTreeSet<String>,
    dry_run: bool,
    notes: &mut String,
) -> BTreeMap<String, String> {
    let mut refused = BTreeMap::new();
    for found in scan::strays_under(out, Some(names)) {
        let site = found
            .path
            .strip_prefix(out)
            .ok()
            .and_then(|p| p.iter().next())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let path = display_name(&found.path);
        match found.kind {
            Stray::Temporary => {}
            // A reclaim that still runs holds the site's lock: its override
            // is its own, and this run will be refused as locked.
            Stray::ReclaimOverride if handoff::lock::is_held(&out.join(&site)) => {}
            Stray::ReclaimOverride if dry_run => notes.push_str(&format!(
                "warning: {path} was left by a reclaim that was stopped: the hand-off removes it first (prevent_destroy is back)\n"
            )),
            Stray::ReclaimOverride => match std::fs::remove_file(&found.path) {
                Ok(()) => notes.push_str(&format!(
                    "warning: removed {path}, left by a reclaim that was stopped: prevent_destroy is back in force\n"
                )),
                Err(error) => {
                    refused.entry(site).or_insert(format!(
                        "error: cannot remove {path} ({error}): it lifts prevent_destroy from the site's data\n"
                    ));
                }
            },
            kind => {
                let line = format!("error: refusing `{site}`: {path}: {}\n", kind.explain());
                refused.entry(site).or_insert(line);
            }
        }
    }
    let new_files: Vec<_> = rendered
        .files
        .iter()
        .filter(|f| names.contains(&f.site))
        .cloned()
        .collect();
    let report = diff::compare(
        &Side::from_disk(out, Some(names)),
        &Side::from_render(&new_files, Default::default()),
        &[],
    );
    for file in &report.files {
        refused
            .entry(file.site.clone())
            .or_insert_with(|| stale_message(&file.site));
    }
    refused
}

pub(super) fn stale_message(site: &str) -> String {
    format!(
        "error: the rendered output of `{site}` is stale or missing: run `sitectl render` (and commit it) first\n"
    )
}

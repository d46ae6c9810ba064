//! Before a hand-off (`plan`, `apply`, `destroy`, `reclaim`) runs anything:
//! the render it starts from, the sites it takes (named, listed in a file,
//! or affected since a revision), and the sites it refuses as they are on
//! disk (stale output, files beside it that sitectl did not render, links),
//! after recovering what a stopped reclaim left.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::CommandError;
use crate::commands::args::HandoffArgs;
use crate::diagnostic::words::did_you_mean;
use crate::diff::{self, Side};
use crate::handoff;
use crate::handoff::{Action, SiteWork};
use crate::lifecycle::reclaim;
use crate::output::scan::{self, Stray};
use crate::render::blueprint::Party;
use crate::render::pipeline::OutputCheck;
use crate::render::pipeline::Rendered;
use crate::source::load::display_name;
use crate::workspace::Workspace;

/// The specs under `specs`, rendered in memory; a hand-off of an invalid
/// tree is refused whole, with its diagnostics.
pub(super) fn render_tree(
    specs: &Path,
    ws: &Workspace,
    verb: &str,
) -> Result<Rendered, CommandError> {
    super::render_specs(
        &[specs.to_path_buf()],
        ws,
        OutputCheck::Parse,
        format!(
            "error: refusing to {verb}: the specs or blueprints are invalid; fix them (`sitectl validate`)\n"
        ),
    )
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

/// Whether a site's blueprint says its customer operates it (self-hosted):
/// it is delivered, not applied.
pub(super) fn customer_operates(rendered: &Rendered, site: &crate::validate::ValidSite) -> bool {
    rendered.blueprint_of(site).is_some_and(|b| {
        b.manifest
            .responsibilities
            .as_ref()
            .is_some_and(|r| r.operates_app.who == Party::Customer)
    })
}

pub(super) fn stale_message(site: &str) -> String {
    format!(
        "error: the rendered output of `{site}` is stale or missing: run `sitectl render` (and commit it) first\n"
    )
}

/// ` (did you mean `x`?)` for a near miss of a site's name.
pub(super) fn did_you_mean_site(name: &str, rendered: &Rendered) -> String {
    did_you_mean(name, rendered.sites.keys().map(String::as_str))
        .map(|near| format!(" (did you mean `{near}`?)"))
        .unwrap_or_default()
}

/// The site names of a list file (`-`: stdin), one per line; blank lines
/// and `#` comments are skipped.
fn read_site_list(file: &Path) -> Result<Vec<String>, CommandError> {
    let text = if file == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map(|_| text)
    } else {
        std::fs::read_to_string(file)
    }
    .map_err(|e| CommandError::Usage(format!("--sites-from {}: {e}", display_name(file))))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// What a hand-off will do: the sites' work, the stale ones it refuses, and
/// the ones it leaves to their operator.
pub(super) struct Plan {
    pub(super) work: Vec<SiteWork>,
    /// The sites refused before anything runs, with why.
    pub(super) refused: BTreeMap<String, String>,
    /// Notes on what was recovered before the run.
    pub(super) notes: String,
    pub(super) delivered: Vec<String>,
}

pub(super) fn plan(
    args: &HandoffArgs,
    ws: &Workspace,
    action: Action,
) -> Result<Plan, CommandError> {
    let specs = args.dir.as_ref().unwrap_or(&ws.sites);
    let out = args.out.as_ref().unwrap_or(&ws.rendered);
    let mut removed_notes = String::new();
    let listed = match (&args.sites_from, &args.affected_since) {
        (Some(file), _) => Some(read_site_list(file)?),
        (None, Some(base)) => {
            let found = super::affected::affected_sites(base, ws)?;
            for gone in found
                .iter()
                .filter(|s| s.change == crate::diff::Change::Removed)
            {
                removed_notes.push_str(&format!(
                    "note: `{}` was removed since {base}: its spec is gone, so there is nothing to hand off (destroy or reclaim a site before removing its spec)\n",
                    gone.site
                ));
            }
            Some(
                found
                    .into_iter()
                    .filter(|s| s.change != crate::diff::Change::Removed)
                    .map(|s| s.site)
                    .collect(),
            )
        }
        (None, None) => None,
    };
    let rendered = render_tree(specs, ws, action.name())?;
    let known = |name: &String| rendered.sites.contains_key(name.as_str());
    let mut unknown: Vec<String> = Vec::new();
    let named = args.sites.iter().chain(listed.iter().flatten());
    for name in named.filter(|s| !known(s)) {
        unknown.push(format!(
            "no site named `{name}` under {}/{}",
            display_name(specs).trim_end_matches('/'),
            did_you_mean_site(name, &rendered)
        ));
    }
    // A misspelt name here would silently keep the gate closed for the
    // site the operator meant, or open it for none.
    for name in args.allow_data_loss.iter().filter(|s| !known(s)) {
        unknown.push(format!(
            "--allow-data-loss {name}: no site of that name under {}/{}",
            display_name(specs).trim_end_matches('/'),
            did_you_mean_site(name, &rendered)
        ));
    }
    if !unknown.is_empty() {
        return Err(CommandError::Usage(unknown.join("\nerror: ")));
    }
    // A site whose blueprint says the customer operates it (self-hosted) is
    // delivered, not applied: only an apply or destroy that names it changes
    // it (a plan still shows it).
    let mut delivered = Vec::new();
    let chosen: Vec<_> = rendered
        .valid
        .iter()
        .filter(|v| {
            let name = &v.site.metadata.name;
            match &listed {
                Some(listed) => args.sites.contains(name) || listed.contains(name),
                None => args.sites.is_empty() || args.sites.contains(name),
            }
        })
        .filter(|v| {
            let named = args.sites.contains(&v.site.metadata.name);
            let skip = action != Action::Plan && !named && customer_operates(&rendered, v);
            if skip {
                delivered.push(v.site.metadata.name.clone());
            }
            !skip
        })
        .collect();
    let names: BTreeSet<String> = chosen
        .iter()
        .map(|v| v.site.metadata.name.clone())
        .collect();
    let mut notes = removed_notes;
    let refused = refused_sites(out, &rendered, &names, args.dry_run, &mut notes);
    let allow: BTreeSet<String> = args.allow_data_loss.iter().cloned().collect();
    let work = chosen
        .iter()
        .filter(|v| !refused.contains_key(&v.site.metadata.name))
        .map(|v| {
            let mut work = handoff::work_for(out, v, args.target, &rendered.data, &allow);
            if work.allow_data_loss {
                // Lifted for this run alone, so that the plan (and the gate's
                // report of what it loses) can be made.
                let header = reclaim::allowed_loss_header(action.name(), &work.site);
                work.terraform_override =
                    reclaim::terraform_override(&rendered.files, &work.site, &header)
                        .map(|text| (reclaim::OVERRIDE_FILE.to_string(), text));
            }
            work
        })
        .filter(|w| !w.targets.is_empty())
        .collect();
    Ok(Plan {
        work,
        refused,
        notes,
        delivered,
    })
}

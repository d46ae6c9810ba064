//! `sitectl diff`: what a render would change against the committed output
//! or another git revision, with the data-loss gate's findings first.

use std::collections::BTreeSet;

use super::{CommandError, Context, Outcome, paths_or_sites, render_specs};
use crate::commands::args::DiffArgs;
use crate::diff::format::{self, DiffFormat};
use crate::diff::{self, Report, Side, base};
use crate::render::engine::RenderedFile;
use crate::render::pipeline::{OutputCheck, Rendered, render_all_as};
use crate::render::stream::Compiler;
use crate::source::tree::Tree;
use crate::validate::{Specs, ValidSite};
use crate::workspace::Workspace;

pub(super) fn diff(
    args: &DiffArgs,
    ws: &Workspace,
    context: &Context,
) -> Result<Outcome, CommandError> {
    let explicit = !args.paths.is_empty();
    let paths = paths_or_sites(&args.paths, ws);
    let refusal = "error: cannot diff: the specs or blueprints are invalid\n";
    let (report, strays) = match &args.base {
        Some(revision) => {
            let new = render_specs(&paths, ws, OutputCheck::Parse, refusal.into())?;
            let mut data = new.data.clone();
            let (base, _) = base_side(revision, &paths, ws, OutputCheck::Parse)?;
            if let Some(base) = &base {
                data.extend(base.data.clone());
            }
            let old = base
                .map(|b| Side::from_render(&b.files, b.sites))
                .unwrap_or_default();
            let new_side = Side::from_render(&new.files, new.sites.clone());
            (diff::compare(&old, &new_side, &data), Vec::new())
        }
        None => {
            let out = args.out.as_ref().unwrap_or(&ws.rendered);
            let (report, rendered) = against_output(&paths, ws, out, !explicit)
                .map_err(|diagnostics| CommandError::invalid(diagnostics, refusal.to_string()))?;
            let only = explicit.then_some(&rendered);
            // What else lies in the output folder: a tool would read it too.
            (report, crate::output::scan::strays_under(out, only))
        }
    };
    let mut outcome = Outcome::default();
    match DiffFormat::from(args.format) {
        DiffFormat::Text => {
            outcome.stdout = format::text(&report, context.color);
            outcome.stderr = format::summary(&report);
        }
        DiffFormat::Markdown => outcome.stdout = format::markdown(&report),
        DiffFormat::Json => outcome.stdout = format::json(&report),
    }
    let level = if args.check { "error" } else { "warning" };
    for found in &strays {
        outcome.stderr.push_str(&format!(
            "{level}: {}: {}\n",
            crate::source::load::display_name(&found.path),
            found.kind.explain()
        ));
    }
    let stale = args.check && (!report.is_empty() || !strays.is_empty());
    if stale {
        outcome.stderr.push_str(
            "error: the rendered output is stale: run `sitectl render` and commit the result\n",
        );
    }
    outcome.code = u8::from(stale || !report.findings.is_empty());
    Ok(outcome)
}

/// What a render of `paths` would change under `out`, a site at a time:
/// each site's files are compared with its folder as soon as they are
/// rendered and dropped after, so only the differences are held. With
/// `whole_folder`, a site folder no spec renders any more is a removal.
/// Returns the report and the sites rendered.
fn against_output(
    paths: &[std::path::PathBuf],
    ws: &Workspace,
    out: &std::path::Path,
    whole_folder: bool,
) -> Result<(Report, BTreeSet<String>), Box<crate::diagnostic::Diagnostics>> {
    let specs = Specs::Paths(paths.to_vec());
    let compiler = Compiler::new(&specs, &ws.blueprints);
    let each = |valid: &ValidSite, files: Vec<RenderedFile>| {
        let site = valid.site.metadata.name.clone();
        let spec = &valid.site.spec;
        let kind = (spec.tier.to_string(), spec.deployment.to_string());
        let new = Side::from_render(&files, [(site.clone(), kind)].into());
        let old = Side::from_disk_site(out, &site);
        Ok((site, diff::compare(&old, &new, &compiler.data)))
    };
    let checked = compiler.render_each(specs, (None, OutputCheck::Parse), &|_, _| {}, &each);
    if !checked.diagnostics.is_empty() {
        return Err(Box::new(checked.diagnostics.sorted()));
    }
    let mut report = Report::default();
    let mut rendered = BTreeSet::new();
    for (site, compared) in checked.sites.into_iter().flatten() {
        rendered.insert(site);
        report.absorb(compared);
    }
    if whole_folder {
        for site in diff::site_folders(out) {
            if !rendered.contains(&site) {
                let old = Side::from_disk_site(out, &site);
                report.absorb(diff::compare(&old, &Side::default(), &compiler.data));
            }
        }
    }
    report.sort();
    Ok((report, rendered))
}

/// What the specs and blueprints at `revision` render to, each spec under
/// its work-tree name (`None` when the specs did not exist there yet), and
/// the revision's files they were read from.
pub(super) fn base_side(
    revision: &str,
    paths: &[std::path::PathBuf],
    ws: &Workspace,
    check: OutputCheck,
) -> Result<(Option<Rendered>, Tree), CommandError> {
    let mut wanted: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
    wanted.push(&ws.blueprints);
    // The repository is the one that holds the blueprints.
    let repository = ws.repository();
    let files = base::files_at(revision, &repository, &wanted).map_err(|error| {
        let message = format!("--base {revision}: {error}");
        match error {
            // What the command line asked for cannot be: a usage error, so
            // that a workflow never reads a typo as data loss (exit 1).
            base::GitError::UnknownRevision(_)
            | base::GitError::Outside(_)
            | base::GitError::NotARepository => CommandError::Usage(message),
            base::GitError::NoGit | base::GitError::Failed(_) => CommandError::Failed(message),
        }
    })?;
    let specs = Specs::Revision {
        files: std::sync::Arc::new(files),
        paths: paths.to_vec(),
    };
    let tree = specs.tree();
    match render_all_as(specs, &ws.blueprints, None, check, &|_, _| {}) {
        Ok(base) => Ok((Some(base), tree)),
        // A base without the specs (they came later) compares as empty.
        Err(_) if paths.iter().all(|p| tree.kind(p).is_err()) => Ok((None, tree)),
        Err(diagnostics) => Err(CommandError::invalid(
            diagnostics,
            format!("error: cannot diff: the specs or blueprints at {revision} do not render\n"),
        )),
    }
}

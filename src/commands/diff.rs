//! `sitectl diff`: what a render would change against the committed output
//! or another git revision, with the data-loss gate's findings first.

use std::collections::BTreeSet;

use super::{CommandError, Context, Outcome, paths_or_sites, render_specs};
use crate::commands::args::DiffArgs;
use crate::diff::format::{self, DiffFormat};
use crate::diff::{self, Side, base};
use crate::render::pipeline::{OutputCheck, Rendered, render_all_as};
use crate::source::tree::Tree;
use crate::validate::Specs;
use crate::workspace::Workspace;

pub(super) fn diff(
    args: &DiffArgs,
    ws: &Workspace,
    context: &Context,
) -> Result<Outcome, CommandError> {
    let explicit = !args.paths.is_empty();
    let paths = paths_or_sites(&args.paths, ws);
    let new = render_specs(
        &paths,
        ws,
        OutputCheck::Parse,
        "error: cannot diff: the specs or blueprints are invalid\n".into(),
    )?;
    let mut data = new.data.clone();
    let mut strays = Vec::new();
    let old = match &args.base {
        Some(revision) => {
            let (base, _) = base_side(revision, &paths, ws, OutputCheck::Parse)?;
            if let Some(base) = &base {
                data.extend(base.data.clone());
            }
            base.map(|b| Side::from_render(&b.files, b.sites))
                .unwrap_or_default()
        }
        None => {
            let only: Option<BTreeSet<String>> =
                explicit.then(|| new.sites.keys().cloned().collect());
            let out = args.out.as_ref().unwrap_or(&ws.rendered);
            // What else lies in the output folder: a tool would read it too.
            strays = crate::output::scan::strays_under(out, only.as_ref());
            Side::from_disk(out, only.as_ref())
        }
    };
    let new_side = Side::from_render(&new.files, new.sites.clone());
    let report = diff::compare(&old, &new_side, &data);
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

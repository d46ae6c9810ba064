//! `sitectl affected --base REF`: the sites a change touches, for CI to plan
//! and apply only those (and in parallel jobs: `--format matrix`).

use std::collections::{BTreeMap, BTreeSet};

use super::{CommandError, Outcome, paths_or_sites};
use crate::commands::args::{AffectedArgs, AffectedFormat};
use crate::diff::Change;
use crate::diff::affected::{self, AffectedSite, Inputs};
use crate::diff::base;
use crate::render::pipeline::OutputCheck;
use crate::render::target::Target;
use crate::source::tree::Tree;
use crate::workspace::Workspace;

/// GitHub Actions runs at most this many jobs of one matrix.
const MAX_MATRIX_JOBS: usize = 256;

/// The affected sites between `base` and the working tree, in name order.
pub(super) fn affected_sites(
    base: &str,
    ws: &Workspace,
) -> Result<Vec<AffectedSite>, CommandError> {
    let paths = paths_or_sites(&[], ws);
    // Bytes are compared, not parsed: `diff --check` or `render` checks
    // the output itself.
    let new = super::render_specs(
        &paths,
        ws,
        OutputCheck::Skip,
        "error: cannot tell what changed: the specs or blueprints are invalid\n".into(),
    )?;
    let (old, old_tree) = super::diff::base_side(base, &paths, ws, OutputCheck::Skip)?;
    let mut found = affected::affected(
        &Inputs {
            rendered: old.as_ref(),
            tree: &old_tree,
        },
        &Inputs {
            rendered: Some(&new),
            tree: &Tree::Disk,
        },
        &ws.blueprints,
    );
    // Committed output (the rendered-manifests pattern) is what was applied:
    // where it differs from the revision's although both sides render the
    // same, another sitectl version rendered it, and its sites change too.
    let repository = ws.repository();
    let changed = base::changed_under(base, &repository, &ws.rendered)
        .map_err(|error| CommandError::Failed(format!("--base {base}: {error}")))?;
    let rendered: BTreeSet<&str> = new
        .valid
        .iter()
        .map(|v| v.site.metadata.name.as_str())
        .collect();
    let mut committed: BTreeMap<String, BTreeSet<Target>> = BTreeMap::new();
    for path in &changed {
        let mut parts = path.iter().filter_map(|p| p.to_str());
        let (Some(site), Some(folder)) = (parts.next(), parts.next()) else {
            continue;
        };
        let target = Target::ALL.iter().find(|t| t.as_str() == folder);
        if let Some(target) = target
            && rendered.contains(site)
        {
            committed
                .entry(site.to_string())
                .or_default()
                .insert(*target);
        }
    }
    // A site found by its render takes the targets whose committed output
    // differs too: those are applied as well.
    for site in &mut found {
        if let Some(mut targets) = committed.remove(&site.site) {
            targets.extend(
                Target::ALL
                    .iter()
                    .filter(|t| site.targets.iter().any(|s| s == t.as_str())),
            );
            let mut targets: Vec<Target> = targets.into_iter().collect();
            Target::apply_order(&mut targets);
            site.targets = targets.iter().map(|t| t.to_string()).collect();
        }
    }
    for (site, targets) in committed {
        let mut targets: Vec<Target> = targets.into_iter().collect();
        Target::apply_order(&mut targets);
        found.push(AffectedSite {
            site,
            change: Change::Modified,
            targets: targets.iter().map(|t| t.to_string()).collect(),
            why: vec![format!(
                "its committed output differs from {base}'s while its inputs render the same (another sitectl version rendered it, or it was edited by hand)"
            )],
        });
    }
    found.sort_by(|a, b| a.site.cmp(&b.site));
    Ok(found)
}

pub(super) fn affected(args: &AffectedArgs, ws: &Workspace) -> Result<Outcome, CommandError> {
    let found = affected_sites(&args.base, ws)?;
    let mut outcome = Outcome::default();
    match args.format {
        AffectedFormat::Text => {
            outcome.stdout = text(&found);
            outcome.stderr = format!(
                "{} {} since {}\n",
                found.len(),
                crate::diagnostic::words::plural(found.len(), "site affected", "sites affected"),
                args.base
            );
        }
        AffectedFormat::Json => {
            outcome.stdout = serde_json::to_string_pretty(&found).expect("plain data") + "\n";
        }
        AffectedFormat::Matrix => {
            // Removed sites have no spec left to hand off.
            let sites: Vec<&str> = found
                .iter()
                .filter(|s| s.change != Change::Removed)
                .map(|s| s.site.as_str())
                .collect();
            let fits = sites.len().div_ceil(MAX_MATRIX_JOBS).max(1);
            let size = match args.shard_size {
                Some(size) => {
                    let size = usize::try_from(size).unwrap_or(usize::MAX);
                    if sites.len().div_ceil(size) > MAX_MATRIX_JOBS {
                        return Err(CommandError::Usage(format!(
                            "--shard-size {size}: {} sites make {} jobs, and a GitHub Actions matrix runs at most {MAX_MATRIX_JOBS}: use --shard-size {fits} or more",
                            sites.len(),
                            sites.len().div_ceil(size)
                        )));
                    }
                    size
                }
                None => fits,
            };
            let include: Vec<serde_json::Value> = affected::shards(&sites, size)
                .into_iter()
                .enumerate()
                .map(|(i, shard)| serde_json::json!({"shard": i + 1, "sites": shard.join(" ")}))
                .collect();
            outcome.stdout = serde_json::json!({ "include": include }).to_string() + "\n";
        }
    }
    Ok(outcome)
}

/// `acme-learning  modified  terraform, helm  spec sites/acme-learning.yaml`
fn text(found: &[AffectedSite]) -> String {
    let rows: Vec<[String; 4]> = found
        .iter()
        .map(|s| {
            [
                s.site.clone(),
                match s.change {
                    Change::Added => "added",
                    Change::Removed => "removed",
                    Change::Modified => "changed",
                }
                .to_string(),
                s.targets.join(", "),
                s.why.join("; "),
            ]
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    crate::diagnostic::report::aligned(&rows)
}

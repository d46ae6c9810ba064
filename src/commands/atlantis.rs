//! `atlantis`: the repository's `atlantis.yaml`, written or checked like
//! rendered output; and `gate`: the hand-off's data-loss gate on a plan
//! another engine saved (Atlantis's plan stage runs it).

use std::path::{Path, PathBuf};

use super::preflight::{customer_operates, render_tree};
use super::{CommandError, Outcome};
use crate::commands::args::{AtlantisArgs, GateArgs};
use crate::fleet::atlantis::{Project, atlantis_yaml};
use crate::handoff::read_plan;
use crate::render::target::Target;
use crate::source::load::display_name;
use crate::source::tree::{Tree, lexical};
use crate::workspace::Workspace;

/// The projects of every site with Terraform output that sitectl applies
/// (not one its customer operates), in name order.
fn projects(ws: &Workspace) -> Result<Vec<Project>, CommandError> {
    let rendered = render_tree(&ws.sites, ws, "write atlantis.yaml")?;
    let repository = repository(ws);
    let cwd = std::env::current_dir().unwrap_or_default();
    let out = lexical(&cwd.join(&ws.rendered));
    let relative = out.strip_prefix(&repository).map_err(|_| {
        CommandError::Usage(format!(
            "the rendered folder {} is outside the repository {}: Atlantis sees only the repository",
            display_name(&ws.rendered),
            repository.display()
        ))
    })?;
    // Atlantis reads `*`, `?` and `[` in a project's dir as a glob.
    let shown = relative.to_string_lossy();
    if shown.contains(['*', '?', '[']) {
        return Err(CommandError::Usage(format!(
            "the rendered folder {shown} has a glob character (`*`, `?` or `[`), which Atlantis would expand: rename it"
        )));
    }
    let mut projects: Vec<Project> = rendered
        .valid
        .iter()
        .filter(|v| !customer_operates(&rendered, v))
        .map(|v| v.site.metadata.name.clone())
        .filter(|site| {
            rendered
                .files
                .iter()
                .any(|f| &f.site == site && f.target == Target::Terraform)
        })
        .map(|site| {
            let dir = relative.join(&site).join(Target::Terraform.as_str());
            let dir = dir
                .iter()
                .map(|part| part.to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            Project { site, dir }
        })
        .collect();
    projects.sort_by(|a, b| a.site.cmp(&b.site));
    Ok(projects)
}

/// The repository's root: the folder that holds the blueprints.
fn repository(ws: &Workspace) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    let blueprints = lexical(&cwd.join(&ws.blueprints));
    blueprints
        .parent()
        .map_or_else(|| blueprints.clone(), Path::to_path_buf)
}

pub(super) fn atlantis(args: &AtlantisArgs, ws: &Workspace) -> Result<Outcome, CommandError> {
    let projects = projects(ws)?;
    let yaml = atlantis_yaml(&projects);
    let file = args
        .out
        .clone()
        .unwrap_or_else(|| repository(ws).join("atlantis.yaml"));
    let name = display_name(&file);
    let present = Tree::Disk.read(&file, u64::MAX - 1).ok();
    if args.check {
        return Ok(if present.as_deref() == Some(yaml.as_bytes()) {
            Outcome::note(format!(
                "{name} is up to date ({} projects)\n",
                projects.len()
            ))
        } else {
            Outcome {
                stderr: format!(
                    "error: {name} is not what the sites make ({}): run `sitectl atlantis` and commit it\n",
                    if present.is_some() {
                        "stale"
                    } else {
                        "missing"
                    }
                ),
                code: 1,
                ..Outcome::default()
            }
        });
    }
    if present.as_deref() == Some(yaml.as_bytes()) {
        return Ok(Outcome::note(format!(
            "{name} unchanged ({} projects)\n",
            projects.len()
        )));
    }
    crate::output::write::write_atomic(&file, yaml.as_bytes())
        .map_err(|error| CommandError::Failed(format!("cannot write {name}: {error}")))?;
    Ok(Outcome::note(format!(
        "wrote {name} ({} projects)\n",
        projects.len()
    )))
}

/// The data-loss gate on a saved plan: exit 0 when it deletes no
/// data-bearing resource (or `--allow-data-loss`), 1 when it does or when
/// it cannot be read (fail closed).
pub(super) fn gate(args: &GateArgs, ws: &Workspace) -> Result<Outcome, CommandError> {
    let name = display_name(&args.plan);
    let text = if args.plan == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map(|_| text)
    } else {
        std::fs::read_to_string(&args.plan)
    }
    .map_err(|error| CommandError::Failed(format!("{name}: {error}")))?;
    let blueprints = crate::render::blueprint::load_all(&Tree::Disk, &ws.blueprints).map_err(
        |diagnostics| {
            CommandError::invalid(
                Box::new(diagnostics),
                "error: the blueprints are invalid: the gate cannot tell which resources hold data\n",
            )
        },
    )?;
    let data = blueprints
        .values()
        .flat_map(|b| &b.manifest.data_resources)
        .filter_map(|d| d.terraform.clone())
        .collect();
    let facts = match read_plan(&text, &data) {
        Ok(facts) => facts,
        Err(error) => {
            return Ok(Outcome {
                stderr: format!(
                    "error: {name}: the plan cannot be read ({error}): the data-loss gate refuses it\n"
                ),
                code: 1,
                ..Outcome::default()
            });
        }
    };
    let mut outcome = Outcome {
        stdout: format!("plan: {}\n", facts.line()),
        ..Outcome::default()
    };
    let deleted = facts.deleted_data_explained();
    if deleted.is_empty() {
        return Ok(outcome);
    }
    if args.allow_data_loss {
        outcome.stderr = format!(
            "warning: allowed by --allow-data-loss: the plan deletes {}\n",
            deleted.join(", ")
        );
        return Ok(outcome);
    }
    let site = args.site.as_deref().unwrap_or("SITE");
    outcome.stderr = format!(
        "error: refused: the plan deletes {}\n  = help: if that is intended, apply it with `sitectl apply {site} --allow-data-loss {site}`\n",
        deleted.join(", ")
    );
    outcome.code = 1;
    Ok(outcome)
}

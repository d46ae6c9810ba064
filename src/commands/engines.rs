//! What the engines that apply a fleet read: `atlantis` (the repository's
//! `atlantis.yaml`) and `gitops` (Argo CD or Flux objects), each written or
//! checked like rendered output; and `gate`, the hand-off's data-loss gate
//! on a plan another engine saved (Atlantis's plan stage runs it).

use std::path::{Path, PathBuf};

use super::preflight::customer_operates;
use super::{CommandError, Outcome};
use crate::commands::args::{AtlantisArgs, GateArgs, GitopsArgs, GitopsEngine};
use crate::fleet::atlantis::{Project, atlantis_yaml};
use crate::fleet::gitops;
use crate::handoff::read_plan;
use crate::render::pipeline::{OutputCheck, Rendered};
use crate::render::target::Target;
use crate::source::load::display_name;
use crate::source::tree::{Tree, lexical};
use crate::workspace::Workspace;

/// What the specs render to, for the sites and targets they have: the
/// output's bytes are not parsed here (`render` and `diff --check` do).
fn render_sites(ws: &Workspace, verb: &str) -> Result<Rendered, CommandError> {
    super::render_specs(
        std::slice::from_ref(&ws.sites),
        ws,
        OutputCheck::Skip,
        format!(
            "error: refusing to {verb}: the specs or blueprints are invalid; fix them (`sitectl validate`)\n"
        ),
    )
}

/// `path` relative to the repository's root, `/`-separated; a path outside
/// it is refused, as is one an engine would read as a glob.
fn in_repository(ws: &Workspace, path: &Path, what: &str) -> Result<String, CommandError> {
    let repository = ws.repository();
    let cwd = std::env::current_dir().unwrap_or_default();
    let full = lexical(&cwd.join(path));
    let relative = full.strip_prefix(&repository).map_err(|_| {
        CommandError::Usage(format!(
            "the {what} {} is outside the repository {}: the engine sees only the repository",
            display_name(path),
            repository.display()
        ))
    })?;
    let shown = relative
        .iter()
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    // Atlantis and Argo CD read `*`, `?` and `[` in a path as a glob.
    if shown.contains(['*', '?', '[']) {
        return Err(CommandError::Usage(format!(
            "the {what} {shown} has a glob character (`*`, `?` or `[`), which the engine would expand: rename it"
        )));
    }
    Ok(shown)
}

/// The projects of every site with Terraform output that sitectl applies
/// (not one its customer operates), in name order.
fn projects(ws: &Workspace) -> Result<Vec<Project>, CommandError> {
    let rendered = render_sites(ws, "write atlantis.yaml")?;
    let out = in_repository(ws, &ws.rendered, "rendered folder")?;
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
        .map(|site| Project {
            dir: format!("{out}/{site}/{}", Target::Terraform.as_str()),
            site,
        })
        .collect();
    projects.sort_by(|a, b| a.site.cmp(&b.site));
    Ok(projects)
}

pub(super) fn atlantis(args: &AtlantisArgs, ws: &Workspace) -> Result<Outcome, CommandError> {
    let projects = projects(ws)?;
    let file = args
        .out
        .clone()
        .unwrap_or_else(|| ws.repository().join("atlantis.yaml"));
    let what = format!("{} projects", projects.len());
    let root = ws.repository();
    let warnings = not_rendered(
        projects
            .iter()
            .map(|p| (p.site.as_str(), root.join(&p.dir))),
    );
    let mut outcome = write_or_check(
        &file,
        &atlantis_yaml(&projects),
        args.check,
        &what,
        "sitectl atlantis",
    )?;
    outcome.stderr.insert_str(0, &warnings);
    Ok(outcome)
}

/// A warning per site whose rendered output an engine will read but that is
/// not on disk yet: the file is still what the sites make, and the engine
/// finds nothing there until the output is rendered and committed.
fn not_rendered<'a>(expected: impl Iterator<Item = (&'a str, PathBuf)>) -> String {
    expected
        .filter(|(_, path)| !path.exists())
        .map(|(site, path)| {
            format!(
                "warning: `{site}` is not rendered yet ({} is missing): run `sitectl render` and commit its output\n",
                display_name(&path)
            )
        })
        .collect()
}

pub(super) fn gitops(args: &GitopsArgs, ws: &Workspace) -> Result<Outcome, CommandError> {
    let rendered = render_sites(ws, "write the GitOps objects")?;
    let out = in_repository(ws, &ws.rendered, "rendered folder")?;
    let chart = in_repository(ws, &ws.chart(), "chart")?;
    let mut deployed = Vec::new();
    let mut excluded = Vec::new();
    for valid in &rendered.valid {
        let site = &valid.site.metadata.name;
        let Some(values) = rendered
            .files
            .iter()
            .find(|f| &f.site == site && f.target == Target::Helm && f.output == "values.yaml")
        else {
            continue;
        };
        if customer_operates(&rendered, valid) {
            excluded.push(site.clone());
        } else {
            let namespace = crate::output::inspect::yaml_tree(&values.contents)
                .and_then(|tree| crate::output::inspect::helm_namespace(&tree))
                .unwrap_or_else(|| format!("site-{site}"));
            deployed.push((site.clone(), namespace));
        }
    }
    deployed.sort();
    excluded.sort();
    let sites = gitops::Sites {
        rendered: &out,
        chart: &chart,
        deployed: &deployed,
        excluded: &excluded,
    };
    let source = gitops::Source {
        url: &args.repo_url,
        revision: &args.revision,
    };
    let (text, name) = match args.engine {
        GitopsEngine::Argocd => (gitops::argocd(&sites, &source), "argocd.yaml"),
        GitopsEngine::Flux => (gitops::flux(&sites, &source), "flux.yaml"),
    };
    let file = args
        .out
        .clone()
        .unwrap_or_else(|| ws.repository().join("gitops").join(name));
    let what = format!("{} sites", deployed.len());
    let root = ws.repository();
    let warnings = not_rendered(deployed.iter().map(|(site, _)| {
        (
            site.as_str(),
            root.join(format!("{out}/{site}/helm/values.yaml")),
        )
    }));
    let again = format!(
        "sitectl gitops --engine {} --repo-url {} --revision {}",
        match args.engine {
            GitopsEngine::Argocd => "argocd",
            GitopsEngine::Flux => "flux",
        },
        crate::diagnostic::words::shell_quoted(&args.repo_url),
        crate::diagnostic::words::shell_quoted(&args.revision)
    );
    let mut outcome = write_or_check(&file, &text, args.check, &what, &again)?;
    outcome.stderr.insert_str(0, &warnings);
    Ok(outcome)
}

/// Writes `text` to `file` unless it is there already (atomically), or
/// with `check` writes nothing and fails when it is not; `again` is the
/// command that regenerates it.
fn write_or_check(
    file: &Path,
    text: &str,
    check: bool,
    what: &str,
    again: &str,
) -> Result<Outcome, CommandError> {
    let name = display_name(file);
    let present = Tree::Disk.read(file, u64::MAX - 1).ok();
    let same = present.as_deref() == Some(text.as_bytes());
    if check {
        return Ok(if same {
            Outcome::note(format!("{name} is up to date ({what})\n"))
        } else {
            Outcome {
                stderr: format!(
                    "error: {name} is not what the sites make ({}): run `{again}` and commit it\n",
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
    if same {
        return Ok(Outcome::note(format!("{name} unchanged ({what})\n")));
    }
    crate::output::write::write_atomic(file, text.as_bytes())
        .map_err(|error| CommandError::Failed(format!("cannot write {name}: {error}")))?;
    Ok(Outcome::note(format!("wrote {name} ({what})\n")))
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
    .map_err(|error| {
        // A file the command line names that is not there: a usage error.
        if error.kind() == std::io::ErrorKind::NotFound {
            CommandError::Usage(format!("{name}: {error}"))
        } else {
            CommandError::Failed(format!("{name}: {error}"))
        }
    })?;
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

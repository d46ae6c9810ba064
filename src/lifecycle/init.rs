//! `sitectl init [DIR]`: a new sites repository from files built into the
//! binary (the blueprints with the tier catalog and the Helm chart, the
//! schemas, an example site, the workflows, a README and a `.gitignore`), with the
//! example's rendered output, so that it validates, renders and passes
//! `diff --check` at once.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::diagnostic::Diagnostics;
use crate::output::write::{render_and_write, write_new};
use crate::source::load::display_name;
use crate::validate::Specs;
use crate::workspace::{BLUEPRINTS, SITES};

static BLUEPRINT_FILES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/blueprints");
static SCHEMA_FILES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/schemas");
/// The GitOps loop, the same files this repository runs.
const WORKFLOWS: [(&str, &str); 4] = [
    (
        ".github/workflows/sites.yml",
        include_str!("../../.github/workflows/sites.yml"),
    ),
    (
        ".github/workflows/reclaim.yml",
        include_str!("../../.github/workflows/reclaim.yml"),
    ),
    (
        ".github/workflows/drift.yml",
        include_str!("../../.github/workflows/drift.yml"),
    ),
    (
        ".github/workflows/trial-signup.yml",
        include_str!("../../.github/workflows/trial-signup.yml"),
    ),
];
const EXAMPLE: (&str, &str) = (
    "northwind-trial.yaml",
    include_str!("../../sites/northwind-trial.yaml"),
);

const README: &str = "# Sites

One YAML spec per customer site under `sites/`, compiled by `sitectl` into
the infrastructure code under `rendered/`, which is committed beside the
specs: a pull request shows the exact files that change.

    sitectl new acme --tier trial --deployment managed   # a new site
    sitectl validate                                     # every error, located
    sitectl render                                       # rendered/<site>/<target>/
    sitectl diff --base origin/main                      # what a change does, data loss first
    sitectl plan acme                                    # hand it to terraform, helm...

`blueprints/` holds the tier catalog (`tiers.yaml`), one folder per
deployment model with its templates, and the Helm chart; `schemas/` the
JSON Schemas editors complete specs from. Commit `rendered/` after every
render: `sitectl diff --check` proves it is what the specs render to.

## The workflows

`.github/workflows/sites.yml` runs the loop:

- **pull request**: `sitectl validate` (errors as annotations), `diff
  --check`, and `diff --base` as a comment, data-loss findings first (they
  fail the check); for a branch of this repository, the real plans of the
  sites it affects (`sitectl affected`) as a second comment.
- **merge to main**: the sites whose rendered output differs from the last
  apply's (the `sites-applied` tag), as a matrix of parallel jobs, are
  planned, gated and applied, infrastructure before workloads; once every
  job has applied, the tag moves. Self-hosted sites are delivered, not
  applied.

`.github/workflows/reclaim.yml` destroys the trials past their end every
morning and archives their specs under `sites/.reclaimed/`.

`.github/workflows/drift.yml` checks every morning that the fleet is still
what main says (`sitectl drift`, in parallel jobs) and keeps one issue,
labelled `drift`, with the combined report until the fleet is in sync.

`.github/workflows/trial-signup.yml` turns a landing page's signup (a
`repository_dispatch` of type `trial-signup`) into a live trial: `sitectl
trial create`, a commit to main by a bot, and an apply of that one site.

All four install the sitectl release named by `SITECTL_VERSION` (built once,
then cached); upgrade it in a pull request of its own. The review needs
nothing more. Plans, applies and reclaims wait until these repository
variables name the cloud login (Settings, Secrets and variables, Actions,
Variables): `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_SUBSCRIPTION_ID`
(a federated identity, no stored secret), `AKS_RESOURCE_GROUP` and
`AKS_CLUSTER_NAME`. Create the environments `plan` (read-only rights) and
`production` (with required reviewers) for them, and `trials` (no
reviewers: a signup deploys by itself) whose cloud identity can create trial
resources only; `SITECTL_SOURCE` points at
a mirror of sitectl's repository when GitHub's is out of reach.
";

const GITIGNORE: &str = "# Rendered output is committed; what a hand-off leaves beside it is not.
/rendered/*/.sitectl-logs/
/rendered/*/.sitectl-lock
/rendered/*/terraform/.terraform/
/rendered/*/terraform/.terraform.lock.hcl
/rendered/*/terraform/sitectl.tfplan
/rendered/*/terraform/*.tfstate*
# A write that was stopped: never committed (`sitectl render` removes them).
*.sitectl-tmp
";

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(
        "{0} is not empty: pass --force to add the files it lacks (none that exists is ever overwritten)"
    )]
    NotEmpty(String),
    #[error("cannot write {path}: {message}")]
    Io { path: String, message: String },
    #[error("the example does not render")]
    Render(Box<Diagnostics>),
}

/// What `init` did.
#[derive(Debug, Default)]
pub struct Initialized {
    pub written: usize,
    /// Files that existed already and were kept as they are.
    pub kept: Vec<String>,
    pub rendered: usize,
}

/// Every file of a new repository: its path in the repository and its bytes.
fn files() -> Vec<(PathBuf, &'static [u8])> {
    fn walk(dir: &'static Dir<'static>, under: &Path, out: &mut Vec<(PathBuf, &'static [u8])>) {
        for file in dir.files() {
            out.push((under.join(file.path()), file.contents()));
        }
        for sub in dir.dirs() {
            walk(sub, under, out);
        }
    }
    let mut files = Vec::new();
    walk(&BLUEPRINT_FILES, Path::new(BLUEPRINTS), &mut files);
    walk(&SCHEMA_FILES, Path::new("schemas"), &mut files);
    files.push((Path::new(SITES).join(EXAMPLE.0), EXAMPLE.1.as_bytes()));
    files.extend(
        WORKFLOWS
            .iter()
            .map(|(path, text)| (PathBuf::from(path), text.as_bytes())),
    );
    files.push(("README.md".into(), README.as_bytes()));
    files.push((".gitignore".into(), GITIGNORE.as_bytes()));
    files.sort();
    files
}

/// Creates a sites repository in `dir`, then renders its example.
pub fn init(dir: &Path, force: bool) -> Result<Initialized, InitError> {
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied && !force {
        return Err(InitError::NotEmpty(display_name(dir)));
    }
    let mut done = Initialized::default();
    for (path, bytes) in files() {
        let target = dir.join(&path);
        let text = String::from_utf8_lossy(bytes);
        match write_new(&target, &text) {
            Ok(()) => done.written += 1,
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                done.kept.push(display_name(&path));
            }
            Err(error) => {
                return Err(InitError::Io {
                    path: display_name(&target),
                    message: error.to_string(),
                });
            }
        }
    }
    // The example alone, and only when nothing is rendered for it yet: the
    // rendered files of a folder's own sites are never touched.
    let example = dir.join(SITES).join(EXAMPLE.0);
    let site = EXAMPLE.0.trim_end_matches(".yaml");
    if !dir.join("rendered").join(site).exists() {
        let summary = render_and_write(
            Specs::Paths(vec![example]),
            &dir.join(BLUEPRINTS),
            &dir.join("rendered"),
            (None, crate::render::pipeline::OutputCheck::Parse),
            &|_, _| {},
        )
        .map_err(InitError::Render)?;
        done.rendered = summary.written;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_repository_holds_the_catalog_the_blueprints_the_chart_and_an_example() {
        let names: Vec<String> = files().into_iter().map(|(p, _)| display_name(&p)).collect();
        for expected in [
            "blueprints/tiers.yaml",
            "blueprints/managed/blueprint.yaml",
            "blueprints/charts/site/Chart.yaml",
            "schemas/site.schema.json",
            "sites/northwind-trial.yaml",
            "README.md",
            ".gitignore",
            ".github/workflows/sites.yml",
            ".github/workflows/reclaim.yml",
            ".github/workflows/drift.yml",
            ".github/workflows/trial-signup.yml",
        ] {
            assert!(names.iter().any(|n| n == expected), "{expected}: {names:?}");
        }
    }
}

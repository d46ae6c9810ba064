//! The exact commands of a hand-off, per target and action, and the tools
//! that run them, found once per run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{Action, HandoffError, SiteWork};
use crate::diagnostic::words::shell_quoted;
use crate::output::inspect;
use crate::render::target::Target;

/// One command of a site's hand-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub program: String,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub role: Role,
    pub pass: Pass,
}

/// The two passes of an apply or a destroy, as terraform runs them: every
/// site is previewed (planned, gated) before anything is changed, and the
/// change applies exactly what was previewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Reads and plans: changes nothing.
    Preview,
    /// Changes the site.
    Change,
}

/// What sitectl does with a step's output besides showing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Shown and logged.
    Run,
    /// `terraform init`: shown and logged; a run's first one goes alone
    /// (see `run::FirstInit`).
    Init,
    /// `terraform show -json`: read for deletions of data-bearing resources.
    Gate,
    /// `terraform show -json` of a drift check: read for what it changes,
    /// never refused.
    Changes,
    /// `az deployment group what-if --no-pretty-print`: read for what it changes.
    WhatIf,
    /// `helm get manifest`: what is deployed now (nothing yet is no failure).
    Deployed,
    /// `helm template`: what would be; shown as a diff against `Deployed`.
    Proposed,
    /// `compose config`: shown as a diff against the configuration recorded
    /// by the last apply.
    ProposedCompose,
    /// `compose config` after a successful `up`: recorded for the next plan.
    RecordCompose,
}

impl Step {
    fn new(program: &str, args: &[&str], cwd: &Path) -> Step {
        Step {
            program: program.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            cwd: cwd.into(),
            role: Role::Run,
            pass: Pass::Preview,
        }
    }

    /// A step of the change pass.
    fn changes(mut self) -> Step {
        self.pass = Pass::Change;
        self
    }

    fn with_role(mut self, role: Role) -> Step {
        self.role = role;
        self
    }

    /// The command as a shell would show it.
    pub fn display(&self) -> String {
        let mut parts = vec![shell_quoted(&self.program)];
        parts.extend(self.args.iter().map(|a| shell_quoted(a)));
        format!(
            "(cd {} && {})",
            shell_quoted(&self.cwd.to_string_lossy()),
            parts.join(" ")
        )
    }
}

/// The programs a run hands off to, found once.
#[derive(Debug, Clone, Default)]
pub struct Tools {
    /// `terraform` or `tofu` (or what `--terraform-bin` / `SITECTL_TERRAFORM` name).
    pub terraform: Option<String>,
    pub helm: Option<HelmTool>,
    /// `docker compose` (as `docker` + `compose`) or `docker-compose`.
    pub compose: Option<(String, Vec<String>)>,
    pub az: Option<String>,
}

impl Tools {
    /// For a dry run, which runs nothing: each missing tool stands in by
    /// its usual name, so the commands are shown on a machine without it
    /// (a CI job reviewing a plan, a laptop). Returns a note per stand-in
    /// of a target in `used`.
    pub fn with_stand_ins(&self, used: &[Target]) -> (Tools, Vec<String>) {
        let mut tools = self.clone();
        let mut notes = Vec::new();
        let mut note = |target: Target, tool: &str, shown: &str| {
            if used.contains(&target) {
                notes.push(format!(
                    "note: `{tool}` is not installed here: the commands show `{shown}"
                ));
            }
        };
        if tools.terraform.is_none() {
            note(Target::Terraform, "terraform", "terraform`");
            tools.terraform = Some("terraform".into());
        }
        if tools.helm.is_none() {
            note(
                Target::Helm,
                "helm",
                "helm` (Helm 3, without the diff plugin)",
            );
            tools.helm = Some(HelmTool {
                program: "helm".into(),
                major: 3,
                diff_plugin: false,
            });
        }
        if tools.compose.is_none() {
            note(Target::Compose, "docker compose", "docker compose`");
            tools.compose = Some(("docker".into(), vec!["compose".into()]));
        }
        if tools.az.is_none() {
            note(Target::Bicep, "az", "az`");
            tools.az = Some("az".into());
        }
        (tools, notes)
    }
}

#[derive(Debug, Clone)]
pub struct HelmTool {
    pub program: String,
    pub major: u32,
    pub diff_plugin: bool,
}

fn on_path(program: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Tools {
    pub fn find(terraform_bin: Option<&str>) -> Tools {
        let terraform = match terraform_bin {
            Some(bin) => Some(bin.to_string()),
            None => ["terraform", "tofu"]
                .into_iter()
                .find(|p| on_path(p))
                .map(str::to_string),
        };
        let helm = on_path("helm").then(|| {
            let version = output_of("helm", &["version", "--short"]).unwrap_or_default();
            let major = version
                .trim()
                .trim_start_matches('v')
                .split('.')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or(3);
            let diff_plugin = output_of("helm", &["plugin", "list"]).is_some_and(|list| {
                list.lines()
                    .any(|l| l.split_whitespace().next() == Some("diff"))
            });
            HelmTool {
                program: "helm".into(),
                major,
                diff_plugin,
            }
        });
        let compose = if on_path("docker") && output_of("docker", &["compose", "version"]).is_some()
        {
            Some(("docker".to_string(), vec!["compose".to_string()]))
        } else if on_path("docker-compose") {
            Some(("docker-compose".to_string(), Vec::new()))
        } else {
            None
        };
        let az = on_path("az").then(|| "az".to_string());
        Tools {
            terraform,
            helm,
            compose,
            az,
        }
    }
}

impl Target {
    /// The commands of this target of one site, in order.
    pub fn steps(
        self,
        action: Action,
        work: &SiteWork,
        tools: &Tools,
        chart: &Path,
    ) -> Result<Vec<Step>, HandoffError> {
        let dir = work.dir.join(self.as_str());
        match self {
            Target::Terraform => terraform(action, tools, &dir),
            Target::Helm => helm(action, work, tools, chart, &dir),
            Target::Compose => compose(action, work, tools, &dir),
            Target::Bicep => bicep(action, work, tools, &dir),
        }
    }
}

/// How long a plan or an apply waits for the site's state lock. Terraform's
/// default is not to wait: a job that overlaps another on the same site (two
/// merges in a row) would fail, and the `pg` backend's advisory locks are
/// numbered per schema (each site's state is 1, and a creation lock is
/// shared), so the sites of one database take turns instead of failing.
const LOCK_TIMEOUT: &str = "-lock-timeout=10m";

/// init, plan to a file, the plan as JSON for the data-loss gate (or, to
/// check drift, for what it changes), then apply exactly that file.
fn terraform(action: Action, tools: &Tools, dir: &Path) -> Result<Vec<Step>, HandoffError> {
    let dir = dir.to_path_buf();
    let tf = tools.terraform.as_deref().ok_or(HandoffError::MissingTool {
        tool: "terraform",
        install: "install Terraform or OpenTofu, or name it with --terraform-bin / SITECTL_TERRAFORM",
    })?;
    let mut steps = vec![Step::new(tf, &["init", "-input=false"], &dir).with_role(Role::Init)];
    let plan = if action == Action::Destroy {
        vec![
            "plan",
            "-destroy",
            "-input=false",
            LOCK_TIMEOUT,
            "-out=sitectl.tfplan",
        ]
    } else {
        vec!["plan", "-input=false", LOCK_TIMEOUT, "-out=sitectl.tfplan"]
    };
    steps.push(Step::new(tf, &plan, &dir));
    let read = if action == Action::Drift {
        Role::Changes
    } else {
        Role::Gate
    };
    steps.push(Step::new(tf, &["show", "-json", "sitectl.tfplan"], &dir).with_role(read));
    if matches!(action, Action::Apply | Action::Destroy) {
        steps.push(
            Step::new(
                tf,
                &["apply", "-input=false", LOCK_TIMEOUT, "sitectl.tfplan"],
                &dir,
            )
            .changes(),
        );
    }
    Ok(steps)
}

/// `helm upgrade --install` with the values file; the plan is `helm diff`
/// or, without the plugin, the template against the release's manifest.
fn helm(
    action: Action,
    work: &SiteWork,
    tools: &Tools,
    chart: &Path,
    dir: &Path,
) -> Result<Vec<Step>, HandoffError> {
    let dir = dir.to_path_buf();
    let site = work.site.as_str();
    let helm = tools.helm.as_ref().ok_or(HandoffError::MissingTool {
        tool: "helm",
        install: "install Helm 3 or 4 (https://helm.sh/docs/intro/install/)",
    })?;
    let values = fs::read_to_string(dir.join("values.yaml")).unwrap_or_default();
    let namespace = inspect::yaml_tree(&values)
        .and_then(|values| inspect::helm_namespace(&values))
        .unwrap_or_else(|| format!("site-{site}"));
    let chart = chart.to_string_lossy().into_owned();
    let h = helm.program.as_str();
    Ok(match action {
        Action::Plan if helm.diff_plugin => vec![Step::new(
            h,
            &[
                "diff",
                "upgrade",
                site,
                &chart,
                "-f",
                "values.yaml",
                "--namespace",
                &namespace,
                // A release not installed yet is all new, not an error.
                "--allow-unreleased",
            ],
            &dir,
        )],
        // Without the diff plugin: the manifests Helm would install,
        // as a diff against the ones the release has now. A drift check
        // always compares them so, object by object.
        Action::Plan | Action::Drift => vec![
            Step::new(
                h,
                &["get", "manifest", site, "--namespace", &namespace],
                &dir,
            )
            .with_role(Role::Deployed),
            Step::new(
                h,
                &[
                    "template",
                    site,
                    &chart,
                    "-f",
                    "values.yaml",
                    "--namespace",
                    &namespace,
                ],
                &dir,
            )
            .with_role(Role::Proposed),
        ],
        Action::Apply => {
            let rollback = if helm.major >= 4 {
                "--rollback-on-failure"
            } else {
                "--atomic"
            };
            // Previewed as a plan is, then upgraded.
            let mut steps = self::helm(Action::Plan, work, tools, Path::new(&chart), &dir)?;
            steps.push(
                Step::new(
                    h,
                    &[
                        "upgrade",
                        "--install",
                        site,
                        &chart,
                        "-f",
                        "values.yaml",
                        "--namespace",
                        &namespace,
                        "--create-namespace",
                        "--wait",
                        "--timeout",
                        "10m0s",
                        rollback,
                    ],
                    &dir,
                )
                .changes(),
            );
            steps
        }
        // A release already gone counts as destroyed, so a destroy
        // (or a reclaim) that failed halfway can simply run again.
        Action::Destroy => vec![
            Step::new(
                h,
                &[
                    "uninstall",
                    site,
                    "--namespace",
                    &namespace,
                    "--wait",
                    "--ignore-not-found",
                ],
                &dir,
            )
            .changes(),
        ],
    })
}

/// `docker compose` in the site's project: config, up, and the applied
/// configuration recorded for the next plan.
fn compose(
    action: Action,
    work: &SiteWork,
    tools: &Tools,
    dir: &Path,
) -> Result<Vec<Step>, HandoffError> {
    let dir = dir.to_path_buf();
    let site = work.site.as_str();
    let (program, prefix) = tools.compose.clone().ok_or(HandoffError::MissingTool {
        tool: "docker compose",
        install: "install Docker with the compose plugin, or docker-compose",
    })?;
    let with = |rest: &[&str]| {
        let mut args: Vec<&str> = prefix.iter().map(String::as_str).collect();
        args.extend(["-p", site, "-f", "compose.yaml"]);
        args.extend(rest);
        Step::new(&program, &args, &dir)
    };
    Ok(match action {
        // The plan is the resolved configuration as a diff against
        // the one the last successful apply recorded.
        Action::Plan | Action::Drift => vec![
            with(&["config", "-q"]),
            with(&["config"]).with_role(Role::ProposedCompose),
        ],
        Action::Apply => vec![
            with(&["config", "-q"]),
            with(&["config"]).with_role(Role::ProposedCompose),
            with(&["up", "-d", "--wait", "--remove-orphans"]).changes(),
            with(&["config"]).with_role(Role::RecordCompose).changes(),
        ],
        Action::Destroy if work.allow_data_loss => {
            vec![
                with(&["config", "-q"]),
                with(&["down", "--volumes"]).changes(),
            ]
        }
        Action::Destroy => vec![with(&["config", "-q"]), with(&["down"]).changes()],
    })
}

/// `az deployment group` in the site's resource group.
fn bicep(
    action: Action,
    work: &SiteWork,
    tools: &Tools,
    dir: &Path,
) -> Result<Vec<Step>, HandoffError> {
    let dir = dir.to_path_buf();
    let az = tools.az.as_deref().ok_or(HandoffError::MissingTool {
        tool: "az",
        install: "install the Azure CLI (https://learn.microsoft.com/cli/azure/install-azure-cli)",
    })?;
    let group = work.resource_group.clone().unwrap_or_default();
    let common = [
        "--resource-group",
        group.as_str(),
        "--template-file",
        "main.bicep",
        "--parameters",
        "main.bicepparam",
    ];
    Ok(match action {
        Action::Plan => vec![Step::new(
            az,
            &[&["deployment", "group", "what-if"][..], &common].concat(),
            &dir,
        )],
        // Incremental only: Complete mode would delete whatever the template does not name.
        Action::Apply => vec![
            Step::new(
                az,
                &[&["deployment", "group", "what-if"][..], &common].concat(),
                &dir,
            ),
            Step::new(
                az,
                &[
                    &["deployment", "group", "create", "--mode", "Incremental"][..],
                    &common,
                ]
                .concat(),
                &dir,
            )
            .changes(),
        ],
        Action::Drift => vec![
            Step::new(
                az,
                &[
                    &["deployment", "group", "what-if"][..],
                    &common,
                    &["--no-pretty-print"],
                ]
                .concat(),
                &dir,
            )
            .with_role(Role::WhatIf),
        ],
        Action::Destroy => return Err(HandoffError::NoBicepDestroy),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn commands_display_as_a_shell_would_run_them() {
        let step = Step::new("terraform", &["plan", "-out=x y"], Path::new("/tmp/a b"));
        assert_eq!(
            step.display(),
            "(cd '/tmp/a b' && terraform plan '-out=x y')"
        );
    }

    #[test]
    fn apply_uses_the_rollback_flag_of_the_helm_version() {
        let dir = std::env::temp_dir();
        let work = SiteWork {
            site: "a".into(),
            dir: dir.clone(),
            targets: vec![Target::Helm],
            resource_group: None,
            data_addresses: BTreeSet::new(),
            allow_data_loss: false,
            terraform_override: None,
        };
        for (major, flag) in [(3, "--atomic"), (4, "--rollback-on-failure")] {
            let tools = Tools {
                helm: Some(HelmTool {
                    program: "helm".into(),
                    major,
                    diff_plugin: false,
                }),
                ..Tools::default()
            };
            let steps = Target::Helm
                .steps(Action::Apply, &work, &tools, Path::new("chart"))
                .unwrap();
            // The upgrade is the change, after the preview's steps.
            let upgrade = steps.last().unwrap();
            assert_eq!(upgrade.pass, Pass::Change);
            assert!(
                upgrade.args.contains(&flag.to_string()),
                "{:?}",
                upgrade.args
            );
        }
    }
}

//! The hand-off stage: a site's rendered output given to the tool that
//! already applies it (terraform or tofu, helm, docker compose, az), in the
//! site's output folder, one site per job, never two jobs on one site.
//!
//! This module decides the exact commands and runs them; what they print
//! reaches the caller line by line through [`Events`], so the library never
//! prints.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Plan,
    Apply,
    Destroy,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Plan => "plan",
            Action::Apply => "apply",
            Action::Destroy => "destroy",
        }
    }
}

/// One command of a site's hand-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub program: String,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub role: Role,
}

/// What sitectl does with a step's output besides showing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Shown and logged.
    Run,
    /// `terraform show -json`: read for deletions of data-bearing resources.
    Gate,
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

/// Where an apply records the Compose configuration it brought up.
const APPLIED_COMPOSE: &str = "applied-compose.yaml";

impl Step {
    fn new(program: &str, args: &[&str], cwd: &Path) -> Step {
        Step {
            program: program.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            cwd: cwd.into(),
            role: Role::Run,
        }
    }

    fn with_role(mut self, role: Role) -> Step {
        self.role = role;
        self
    }

    /// The command as a shell would show it.
    pub fn display(&self) -> String {
        let quote = |s: &str| {
            if !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c))
            {
                s.to_string()
            } else {
                format!("'{}'", s.replace('\'', r"'\''"))
            }
        };
        let mut parts = vec![quote(&self.program)];
        parts.extend(self.args.iter().map(|a| quote(a)));
        format!(
            "(cd {} && {})",
            quote(&self.cwd.to_string_lossy()),
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

/// What a site needs handed off, read from its output folder.
#[derive(Debug, Clone)]
pub struct SiteWork {
    pub site: String,
    pub dir: PathBuf,
    /// Target folders present, e.g. `terraform`, `helm`.
    pub targets: Vec<String>,
    /// Where a Bicep target deploys (its resource group).
    pub resource_group: Option<String>,
    /// Terraform addresses of data-bearing resources.
    pub data_addresses: BTreeSet<String>,
    pub allow_data_loss: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandoffError {
    #[error("`{tool}` is not installed: {install}")]
    MissingTool {
        tool: &'static str,
        install: &'static str,
    },
    #[error(
        "another hand-off holds the lock on this site: {holder} (remove {path} if that process is gone)"
    )]
    Locked { holder: String, path: String },
    #[error(
        "the plan would delete data-bearing resources: {0}; pass --allow-data-loss {1} if that is intended"
    )]
    DataLoss(String, String),
    #[error("`{0}` failed with {1}")]
    Failed(String, String),
    #[error(
        "`{0}` gave no answer within {1}s and was stopped (raise --timeout if it needs longer)"
    )]
    TimedOut(String, u64),
    #[error("{0}")]
    Io(String),
    #[error(
        "`az` has no destroy for a Bicep deployment: the customer's resources stay (delete them in the customer's subscription)"
    )]
    NoBicepDestroy,
}

/// The commands of one target of one site, in order.
pub fn steps(
    action: Action,
    work: &SiteWork,
    target: &str,
    tools: &Tools,
    chart: &Path,
) -> Result<Vec<Step>, HandoffError> {
    let dir = work.dir.join(target);
    let site = work.site.as_str();
    Ok(match target {
        "terraform" => {
            let tf = tools.terraform.as_deref().ok_or(HandoffError::MissingTool {
                tool: "terraform",
                install: "install Terraform or OpenTofu, or name it with --terraform-bin / SITECTL_TERRAFORM",
            })?;
            let mut steps = vec![Step::new(tf, &["init", "-input=false"], &dir)];
            let plan = if action == Action::Destroy {
                vec!["plan", "-destroy", "-input=false", "-out=sitectl.tfplan"]
            } else {
                vec!["plan", "-input=false", "-out=sitectl.tfplan"]
            };
            steps.push(Step::new(tf, &plan, &dir));
            steps.push(
                Step::new(tf, &["show", "-json", "sitectl.tfplan"], &dir).with_role(Role::Gate),
            );
            if action != Action::Plan {
                steps.push(Step::new(
                    tf,
                    &["apply", "-input=false", "sitectl.tfplan"],
                    &dir,
                ));
            }
            steps
        }
        "helm" => {
            let helm = tools.helm.as_ref().ok_or(HandoffError::MissingTool {
                tool: "helm",
                install: "install Helm 3 or 4 (https://helm.sh/docs/intro/install/)",
            })?;
            let values = fs::read_to_string(dir.join("values.yaml")).unwrap_or_default();
            let namespace = crate::yaml::parse(&values)
                .ok()
                .and_then(
                    |root| match root.get("namespace").map(|n| n.value.clone()) {
                        Some(crate::yaml::Value::Str(ns, _)) => Some(ns),
                        _ => None,
                    },
                )
                .unwrap_or_else(|| format!("site-{site}"));
            let chart = chart.to_string_lossy().into_owned();
            let h = helm.program.as_str();
            match action {
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
                    ],
                    &dir,
                )],
                // Without the diff plugin: the manifests Helm would install,
                // as a diff against the ones the release has now.
                Action::Plan => vec![
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
                    vec![Step::new(
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
                    )]
                }
                Action::Destroy => vec![Step::new(
                    h,
                    &["uninstall", site, "--namespace", &namespace, "--wait"],
                    &dir,
                )],
            }
        }
        "compose" => {
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
            match action {
                // The plan is the resolved configuration as a diff against
                // the one the last successful apply recorded.
                Action::Plan => vec![
                    with(&["config", "-q"]),
                    with(&["config"]).with_role(Role::ProposedCompose),
                ],
                Action::Apply => vec![
                    with(&["config", "-q"]),
                    with(&["up", "-d", "--wait", "--remove-orphans"]),
                    with(&["config"]).with_role(Role::RecordCompose),
                ],
                Action::Destroy if work.allow_data_loss => vec![with(&["down", "--volumes"])],
                Action::Destroy => vec![with(&["down"])],
            }
        }
        "bicep" => {
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
            match action {
                Action::Plan => vec![Step::new(
                    az,
                    &[&["deployment", "group", "what-if"][..], &common].concat(),
                    &dir,
                )],
                // Incremental only: Complete mode would delete whatever the template does not name.
                Action::Apply => vec![Step::new(
                    az,
                    &[
                        &["deployment", "group", "create", "--mode", "Incremental"][..],
                        &common,
                    ]
                    .concat(),
                    &dir,
                )],
                Action::Destroy => return Err(HandoffError::NoBicepDestroy),
            }
        }
        other => {
            return Err(HandoffError::Io(format!(
                "no hand-off for target `{other}`"
            )));
        }
    })
}

/// How one target of one site ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub site: String,
    pub target: String,
    pub result: Result<(), HandoffError>,
    pub duration: Duration,
    pub log: PathBuf,
}

/// Where the output goes: each line, prefixed with its site, as a whole line.
pub type Events<'a> = &'a (dyn Fn(&str) + Sync);

/// A per-site lock: created exclusively, removed when dropped.
struct Lock(PathBuf);

impl Lock {
    fn take(dir: &Path) -> Result<Lock, HandoffError> {
        let path = dir.join(".sitectl-lock");
        let holder = format!(
            "sitectl pid {} since {}",
            std::process::id(),
            jiff::Timestamp::now()
        );
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                let _ = file.write_all(holder.as_bytes());
                Ok(Lock(path))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(HandoffError::Locked {
                holder: fs::read_to_string(&path)
                    .unwrap_or_else(|_| "unknown".into())
                    .trim()
                    .to_string(),
                path: crate::load::display_name(&path),
            }),
            Err(e) => Err(HandoffError::Io(e.to_string())),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Hands off every site, `jobs` at a time. One site failing never stops
/// the others.
pub fn run(
    action: Action,
    work: &[SiteWork],
    tools: &Tools,
    chart: &Path,
    jobs: usize,
    timeout: Duration,
    events: Events<'_>,
) -> Vec<Outcome> {
    let queue = Mutex::new(work.iter().collect::<Vec<_>>().into_iter());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(work.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                    let Some(site) = next else { break };
                    let outcomes = run_site(action, site, tools, chart, timeout, events);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend(outcomes);
                }
            });
        }
    });
    let mut outcomes = results.into_inner().unwrap_or_else(|e| e.into_inner());
    outcomes.sort_by(|a, b| (&a.site, &a.target).cmp(&(&b.site, &b.target)));
    outcomes
}

fn run_site(
    action: Action,
    work: &SiteWork,
    tools: &Tools,
    chart: &Path,
    timeout: Duration,
    events: Events<'_>,
) -> Vec<Outcome> {
    let logs = work.dir.join(".sitectl-logs");
    let _ = fs::create_dir_all(&logs);
    let lock = Lock::take(&work.dir);
    work.targets
        .iter()
        .map(|target| {
            let start = Instant::now();
            let log = logs.join(format!("{}-{target}.log", action.name()));
            let result = match &lock {
                Err(error) => Err(error.clone()),
                Ok(_) => steps(action, work, target, tools, chart)
                    .and_then(|steps| run_steps(&steps, work, target, &log, timeout, events)),
            };
            if let Err(error) = &result {
                events(&format!("[{}/{target}] error: {error}", work.site));
            }
            Outcome {
                site: work.site.clone(),
                target: target.clone(),
                result,
                duration: start.elapsed(),
                log,
            }
        })
        .collect()
}

fn run_steps(
    steps: &[Step],
    work: &SiteWork,
    target: &str,
    log: &Path,
    timeout: Duration,
    events: Events<'_>,
) -> Result<(), HandoffError> {
    let mut file = fs::File::create(log).map_err(|e| HandoffError::Io(e.to_string()))?;
    let mut deployed = String::new();
    for step in steps {
        let line = format!("$ {}", step.display());
        let _ = writeln!(file, "{line}");
        events(&format!("[{}/{target}] {line}", work.site));
        let mut child = Command::new(&step.program)
            .args(&step.args)
            .current_dir(&step.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| HandoffError::Failed(step.program.clone(), e.to_string()))?;
        // Both streams are read on their own threads, whole lines at a time,
        // so a tool that hangs can be stopped at the deadline.
        let (sender, lines) = std::sync::mpsc::channel::<(bool, String)>();
        let streams: [(bool, Option<Box<dyn std::io::Read + Send>>); 2] = [
            (
                true,
                child
                    .stdout
                    .take()
                    .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            ),
            (
                false,
                child
                    .stderr
                    .take()
                    .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            ),
        ];
        for (is_stdout, stream) in streams {
            let sender = sender.clone();
            if let Some(stream) = stream {
                std::thread::spawn(move || {
                    for line in BufReader::new(stream).lines().map_while(Result::ok) {
                        if sender.send((is_stdout, line)).is_err() {
                            break;
                        }
                    }
                });
            }
        }
        drop(sender);
        let started = Instant::now();
        let mut captured = String::new();
        let captures = step.role != Role::Run;
        let status = loop {
            match lines.recv_timeout(Duration::from_millis(50)) {
                Ok((is_stdout, line)) => {
                    let _ = writeln!(file, "{line}");
                    if captures && is_stdout {
                        captured.push_str(&line);
                        captured.push('\n');
                    } else {
                        events(&format!("[{}/{target}] {line}", work.site));
                    }
                    continue;
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    if let Some(status) = child
                        .try_wait()
                        .map_err(|e| HandoffError::Io(e.to_string()))?
                    {
                        break status;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            if started.elapsed() > timeout {
                let _ = child.kill();
                let _ = child.wait();
                let _ = writeln!(file, "stopped: no answer after {}s", timeout.as_secs());
                return Err(HandoffError::TimedOut(step.display(), timeout.as_secs()));
            }
        };
        if !status.success() && step.role == Role::Deployed {
            // Not installed yet: everything it would install is new.
            events(&format!(
                "[{}/{target}] (release not installed yet)",
                work.site
            ));
            deployed = String::new();
            continue;
        }
        if !status.success() {
            return Err(HandoffError::Failed(step.display(), status.to_string()));
        }
        if step.role == Role::Deployed {
            deployed = captured.clone();
        }
        let record = log.with_file_name(APPLIED_COMPOSE);
        if step.role == Role::RecordCompose {
            fs::write(&record, &captured).map_err(|e| HandoffError::Io(e.to_string()))?;
        }
        if step.role == Role::ProposedCompose {
            deployed = fs::read_to_string(&record).unwrap_or_default();
        }
        if matches!(step.role, Role::Proposed | Role::ProposedCompose) {
            let diff = similar::TextDiff::from_lines(&deployed, &captured);
            let unified = diff
                .unified_diff()
                .header("deployed", "proposed")
                .to_string();
            for line in unified.lines() {
                let _ = writeln!(file, "{line}");
                events(&format!("[{}/{target}] {line}", work.site));
            }
            if unified.is_empty() {
                events(&format!("[{}/{target}] no changes", work.site));
            }
        }
        if step.role == Role::Gate {
            let deleted = deleted_data(&captured, &work.data_addresses);
            if !deleted.is_empty() && !work.allow_data_loss {
                let _ = writeln!(file, "refused: the plan deletes {}", deleted.join(", "));
                return Err(HandoffError::DataLoss(
                    deleted.join(", "),
                    work.site.clone(),
                ));
            }
        }
    }
    Ok(())
}

/// Addresses of data-bearing resources that a `terraform show -json` plan
/// deletes (a replacement deletes too).
pub fn deleted_data(plan_json: &str, data: &BTreeSet<String>) -> Vec<String> {
    let Ok(plan) = serde_json::from_str::<serde_json::Value>(plan_json) else {
        return Vec::new();
    };
    let mut deleted: Vec<String> = plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|change| {
            change["change"]["actions"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == "delete"))
        })
        .filter_map(|change| {
            let address = change["address"].as_str()?;
            // `module.x.type.name[0]` still names `type.name`.
            let plain: String = address
                .rsplit('.')
                .take(2)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join(".");
            let plain = plain.split('[').next().unwrap_or_default().to_string();
            (data.contains(address) || data.contains(&plain)).then(|| address.to_string())
        })
        .collect();
    deleted.sort();
    deleted
}

/// The closing table: site, target, result, duration, log.
pub fn summary_table(outcomes: &[Outcome]) -> String {
    let mut rows: Vec<[String; 5]> = vec![[
        "site".into(),
        "target".into(),
        "result".into(),
        "duration".into(),
        "log".into(),
    ]];
    for o in outcomes {
        rows.push([
            o.site.clone(),
            o.target.clone(),
            match &o.result {
                Ok(()) => "ok".into(),
                Err(HandoffError::DataLoss(..)) => "refused: data loss".into(),
                Err(HandoffError::Locked { .. }) => "refused: locked".into(),
                Err(HandoffError::MissingTool { tool, .. }) => format!("failed: no {tool}"),
                Err(HandoffError::TimedOut(..)) => "failed: timed out".into(),
                Err(_) => "failed".into(),
            },
            format!("{:.1}s", o.duration.as_secs_f64()),
            crate::load::display_name(&o.log),
        ]);
    }
    crate::report::aligned(&rows)
}

/// Sites by name → their work, from the rendered output folder.
pub fn targets_of(dir: &Path, only: Option<&str>) -> Vec<String> {
    let mut targets: Vec<String> = ["terraform", "helm", "compose", "bicep"]
        .into_iter()
        .filter(|t| dir.join(t).is_dir())
        .filter(|t| only.is_none_or(|o| o == *t))
        .map(str::to_string)
        .collect();
    targets.sort();
    targets
}

/// A site's work, from its spec and the blueprints' data resources.
pub fn work_for(
    out: &Path,
    site: &crate::validate::ValidSite,
    only_target: Option<&str>,
    data: &[crate::blueprint::DataResource],
    allow: &BTreeSet<String>,
) -> SiteWork {
    let name = site.site.metadata.name.clone();
    let dir = out.join(&name);
    let resource_group = site
        .site
        .spec
        .byoi
        .as_ref()
        .map(|b| b.resource_group.clone())
        .or_else(|| Some(crate::resolve::Names::for_site(&name).resource_group));
    SiteWork {
        targets: targets_of(&dir, only_target),
        dir,
        resource_group,
        data_addresses: data.iter().filter_map(|d| d.terraform.clone()).collect(),
        allow_data_loss: allow.contains(&name),
        site: name,
    }
}

/// Groups outcomes by site for a quick "did any fail".
pub fn failed_sites(outcomes: &[Outcome]) -> BTreeMap<&str, usize> {
    let mut failed = BTreeMap::new();
    for o in outcomes.iter().filter(|o| o.result.is_err()) {
        *failed.entry(o.site.as_str()).or_insert(0) += 1;
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_that_deletes_a_database_is_found() {
        let data: BTreeSet<String> =
            ["azurerm_postgresql_flexible_server_database.site".to_string()].into();
        let plan = r#"{"resource_changes": [
            {"address": "azurerm_postgresql_flexible_server_database.site", "change": {"actions": ["delete", "create"]}},
            {"address": "azurerm_dns_cname_record.site", "change": {"actions": ["delete"]}}
        ]}"#;
        assert_eq!(
            deleted_data(plan, &data),
            ["azurerm_postgresql_flexible_server_database.site"]
        );
        let harmless = r#"{"resource_changes": [{"address": "azurerm_postgresql_flexible_server_database.site", "change": {"actions": ["update"]}}]}"#;
        assert!(deleted_data(harmless, &data).is_empty());
    }

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
            targets: vec!["helm".into()],
            resource_group: None,
            data_addresses: BTreeSet::new(),
            allow_data_loss: false,
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
            let steps = steps(Action::Apply, &work, "helm", &tools, Path::new("chart")).unwrap();
            assert!(
                steps[0].args.contains(&flag.to_string()),
                "{:?}",
                steps[0].args
            );
        }
    }
}

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

mod steps;

use crate::render::target::Target;

pub use steps::{HelmTool, Role, Step, Tools, steps};

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

/// Where an apply records the Compose configuration it brought up.
const APPLIED_COMPOSE: &str = "applied-compose.yaml";

/// What a site needs handed off, read from its output folder.
#[derive(Debug, Clone)]
pub struct SiteWork {
    pub site: String,
    pub dir: PathBuf,
    /// Target folders present, in name order.
    pub targets: Vec<Target>,
    /// Where a Bicep target deploys (its resource group).
    pub resource_group: Option<String>,
    /// Terraform addresses of data-bearing resources.
    pub data_addresses: BTreeSet<String>,
    pub allow_data_loss: bool,
    /// A Terraform override file written beside the site's Terraform files
    /// for the length of its hand-off, then removed (see `reclaim`).
    pub terraform_override: Option<(String, String)>,
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

/// How one target of one site ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub site: String,
    pub target: Target,
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
                path: crate::source::load::display_name(&path),
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

/// A file that exists only while one target's tools run.
struct TemporaryFile(PathBuf);

impl TemporaryFile {
    fn write(work: &SiteWork, target: Target) -> Result<Option<TemporaryFile>, HandoffError> {
        let Some((name, text)) = work
            .terraform_override
            .as_ref()
            .filter(|_| target == Target::Terraform)
        else {
            return Ok(None);
        };
        let path = work.dir.join(target.as_str()).join(name);
        fs::write(&path, text).map_err(|e| HandoffError::Io(format!("{}: {e}", path.display())))?;
        Ok(Some(TemporaryFile(path)))
    }
}

impl Drop for TemporaryFile {
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
    work.targets_in_order(action)
        .into_iter()
        .map(|target| {
            let start = Instant::now();
            let log = logs.join(format!("{}-{target}.log", action.name()));
            let result = match &lock {
                Err(error) => Err(error.clone()),
                Ok(_) => steps(action, work, target, tools, chart).and_then(|steps| {
                    let _override = TemporaryFile::write(work, target)?;
                    run_steps(&steps, work, target, &log, timeout, events)
                }),
            };
            if let Err(error) = &result {
                events(&format!("[{}/{target}] error: {error}", work.site));
            }
            Outcome {
                site: work.site.clone(),
                target,
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
    target: Target,
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
            o.target.to_string(),
            match &o.result {
                Ok(()) => "ok".into(),
                Err(HandoffError::DataLoss(..)) => "refused: data loss".into(),
                Err(HandoffError::Locked { .. }) => "refused: locked".into(),
                Err(HandoffError::MissingTool { tool, .. }) => format!("failed: no {tool}"),
                Err(HandoffError::TimedOut(..)) => "failed: timed out".into(),
                Err(_) => "failed".into(),
            },
            format!("{:.1}s", o.duration.as_secs_f64()),
            crate::source::load::display_name(&o.log),
        ]);
    }
    crate::diagnostic::report::aligned(&rows)
}

/// The targets a site's output folder holds (`only` that one), in name order.
pub fn targets_of(dir: &Path, only: Option<Target>) -> Vec<Target> {
    Target::ALL
        .iter()
        .copied()
        .filter(|t| dir.join(t.as_str()).is_dir())
        .filter(|t| only.is_none_or(|o| o == *t))
        .collect()
}

impl SiteWork {
    /// The site's targets in the order `action` takes them: infrastructure
    /// before the workloads that use it, and the reverse to destroy.
    pub fn targets_in_order(&self, action: Action) -> Vec<Target> {
        let mut targets = self.targets.clone();
        match action {
            Action::Plan | Action::Apply => Target::apply_order(&mut targets),
            Action::Destroy => Target::destroy_order(&mut targets),
        }
        targets
    }
}

/// A site's work, from its spec and the blueprints' data resources.
pub fn work_for(
    out: &Path,
    site: &crate::validate::ValidSite,
    only_target: Option<Target>,
    data: &[crate::render::blueprint::DataResource],
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
        .or_else(|| Some(crate::render::resolve::Names::for_site(&name).resource_group));
    SiteWork {
        targets: targets_of(&dir, only_target),
        dir,
        resource_group,
        data_addresses: data.iter().filter_map(|d| d.terraform.clone()).collect(),
        allow_data_loss: allow.contains(&name),
        terraform_override: None,
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
}

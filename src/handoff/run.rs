//! Running a hand-off: one site per job, `jobs` at a time, each site under
//! its lock, its targets in phase order, every command's output logged and
//! passed on line by line, and stopped at the deadline.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::lock::Lock;
use super::process::{Log, Printed, last_error_line, run_step};
use super::{
    Action, Change, Events, HandoffError, Outcome, Pass, Role, SiteWork, Step, Tools, changes,
    read_plan,
};
use crate::render::target::Target;

/// Where an apply records the Compose configuration it brought up.
const APPLIED_COMPOSE: &str = "applied-compose.yaml";

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

/// A run's `terraform init`s take turns until one has succeeded; the rest
/// then run side by side. A backend may create, on its first use, objects
/// that every site's state shares, and not all of them survive two sites
/// doing that at once: Terraform's `pg` backend creates
/// `public.global_states_id_seq` with `CREATE SEQUENCE IF NOT EXISTS`, which
/// fails with "duplicate key value violates unique constraint" in every
/// init but one when they race on a new database (the first apply of a
/// fleet). Once one init has succeeded they exist, and a failed first init
/// lets the next site try.
#[derive(Default)]
struct FirstInit {
    done: AtomicBool,
    turn: Mutex<()>,
}

impl FirstInit {
    /// Runs `init`, alone unless an init of this run already succeeded.
    fn run<T>(
        &self,
        init: impl FnOnce() -> Result<(ExitStatus, T), HandoffError>,
    ) -> Result<(ExitStatus, T), HandoffError> {
        let turn = (!self.done.load(Ordering::Acquire))
            .then(|| self.turn.lock().unwrap_or_else(|e| e.into_inner()))
            // Another site's init may have succeeded while this one waited.
            .filter(|_| !self.done.load(Ordering::Acquire));
        let result = init();
        if result.as_ref().is_ok_and(|(status, _)| status.success()) {
            self.done.store(true, Ordering::Release);
        }
        drop(turn);
        result
    }
}

/// How a run goes: how many sites at once, when a running tool is stopped
/// (at its deadline, or when the run is interrupted: `stop` holds the signal
/// that asked, 0 until then), which pass of the steps it runs (all of them
/// when `None`), and whether the caller already holds the sites' locks.
#[derive(Clone, Copy)]
pub struct Limits<'a> {
    pub jobs: usize,
    pub timeout: Duration,
    pub stop: &'a AtomicUsize,
    pub pass: Option<Pass>,
    pub locked: bool,
}

impl Limits<'_> {
    pub(super) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed) != 0
    }
}

/// Hands off every site, `jobs` at a time. One site failing never stops
/// the others; an interruption stops them all: no new site or target
/// starts, running tools are stopped, every lock is released.
pub fn run(
    action: Action,
    work: &[SiteWork],
    tools: &Tools,
    chart: &Path,
    limits: Limits<'_>,
    events: Events<'_>,
) -> Vec<Outcome> {
    let jobs = limits.jobs;
    let queue = Mutex::new(work.iter().collect::<Vec<_>>().into_iter());
    let results = Mutex::new(Vec::new());
    let first_init = FirstInit::default();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(work.len().max(1)) {
            scope.spawn(|| {
                loop {
                    if limits.stopped() {
                        break;
                    }
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                    let Some(site) = next else { break };
                    let outcomes =
                        run_site(action, site, tools, chart, limits, events, &first_init);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend(outcomes);
                }
            });
        }
    });
    let mut outcomes = results.into_inner().unwrap_or_else(|e| e.into_inner());
    // Sites in name order, each site's targets in the order they ran.
    let mut order = Target::ALL.to_vec();
    match action {
        Action::Destroy => Target::destroy_order(&mut order),
        Action::Plan | Action::Apply | Action::Drift => Target::apply_order(&mut order),
    }
    let rank = |target: Target| order.iter().position(|t| *t == target);
    outcomes.sort_by(|a, b| (&a.site, rank(a.target)).cmp(&(&b.site, rank(b.target))));
    outcomes
}

fn run_site(
    action: Action,
    work: &SiteWork,
    tools: &Tools,
    chart: &Path,
    limits: Limits<'_>,
    events: Events<'_>,
    first_init: &FirstInit,
) -> Vec<Outcome> {
    let logs = work.dir.join(LOGS);
    let _ = fs::create_dir_all(&logs);
    let lock = if limits.locked {
        Ok(None)
    } else {
        Lock::take(&work.dir, &work.site).map(|lock| {
            took_over(&lock, &work.site, events);
            Some(lock)
        })
    };
    // A phase never runs after an earlier one failed: the app is not
    // started against a database that was not created, and a database is
    // not destroyed under an app that is still running.
    let mut failed: Option<Target> = None;
    work.targets_in_order(action)
        .into_iter()
        .filter_map(|target| {
            let start = Instant::now();
            let log = log_path(&work.dir, action, target);
            // The change pass goes on the log its preview began, when the
            // target had a preview; otherwise its log is new for this run.
            let mut continues_log = false;
            let steps = target.steps(action, work, tools, chart).map(|steps| {
                continues_log = limits.pass == Some(Pass::Change)
                    && steps.iter().any(|s| s.pass == Pass::Preview);
                steps
                    .into_iter()
                    .filter(|s| limits.pass.is_none_or(|pass| s.pass == pass))
                    .collect::<Vec<_>>()
            });
            if steps.as_ref().is_ok_and(Vec::is_empty) {
                // Nothing of this target in this pass (a destroy's preview of helm).
                return None;
            }
            // What the plan does, when it was read: shown even when the
            // gate refused it.
            let mut found = Found::default();
            let result = match (&lock, failed) {
                (Err(error), _) => Err(error.clone()),
                (Ok(_), _) if limits.stopped() => Err(HandoffError::Interrupted),
                (Ok(_), Some(before)) if before.phase() != target.phase() => {
                    Err(HandoffError::Skipped(before))
                }
                (Ok(_), _) => steps.and_then(|steps| {
                    let _override = TemporaryFile::write(work, target)?;
                    run_steps(
                        &steps,
                        work,
                        target,
                        (&log, continues_log),
                        (limits, events),
                        first_init,
                        &mut found,
                    )
                }),
            };
            if result.is_err() && failed.is_none() {
                failed = Some(target);
            }
            if let Err(error) = &result {
                events(&format!("[{}/{target}] error: {error}", work.site));
            }
            Some(Outcome {
                site: work.site.clone(),
                target,
                result,
                summary: found.summary,
                changes: found.changes,
                duration: start.elapsed(),
                log,
            })
        })
        .collect()
}

/// The log of one target of a site's hand-off.
fn log_path(site_dir: &Path, action: Action, target: Target) -> PathBuf {
    site_dir
        .join(LOGS)
        .join(format!("{}-{target}.log", action.name()))
}

/// The folder of a site's hand-off logs, beside its rendered output.
const LOGS: &str = ".sitectl-logs";

fn run_steps(
    steps: &[Step],
    work: &SiteWork,
    target: Target,
    (log, continues_log): (&Path, bool),
    (limits, events): (Limits<'_>, Events<'_>),
    first_init: &FirstInit,
    found: &mut Found,
) -> Result<(), HandoffError> {
    // A new log keeps the previous runs' beside it, up to a bound.
    // Never through a link: a log that leads elsewhere is refused, not
    // written over (O_NOFOLLOW).
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = fs::OpenOptions::new();
    options.create(true).custom_flags(libc::O_NOFOLLOW);
    if continues_log {
        options.append(true);
    } else {
        keep_earlier_run(log);
        options.write(true).truncate(true);
    }
    let file = options.open(log).map_err(|e| {
        HandoffError::Io(format!("{}: {e}", crate::source::load::display_name(log)))
    })?;
    let mut out = Log {
        file,
        prefix: format!("[{}/{target}]", work.site),
        events,
    };
    let record = log.with_file_name(APPLIED_COMPOSE);
    let mut deployed = String::new();
    for step in steps {
        out.write(&format!("# {}", jiff::Timestamp::now()));
        out.both(&format!("$ {}", step.display()));
        let started = Instant::now();
        let (status, printed) = if step.role == Role::Init {
            init(step, &mut out, limits, first_init)?
        } else {
            run_step(step, &mut out, limits)?
        };
        out.write(&format!(
            "# {} after {:.1}s",
            status,
            started.elapsed().as_secs_f64()
        ));
        if matches!(step.role, Role::Gate | Role::Changes) {
            out.write(&format!(
                "(the plan's JSON, {} bytes, is read and not logged: it holds the values of sensitive attributes)",
                printed.stdout.len()
            ));
        }
        // Not installed yet: everything it would install is new. Any other
        // failure (no cluster, no right to read the release) is one: the
        // release cannot be compared, never taken for absent.
        if !status.success()
            && step.role == Role::Deployed
            && printed.stderr.contains(RELEASE_NOT_FOUND)
        {
            out.show("(release not installed yet)");
            deployed = String::new();
            continue;
        }
        let captured = printed.stdout;
        if !status.success() {
            // The tool's last word on why, beside the status: a report's
            // reader should not need the log to know what went wrong.
            let why = last_error_line(&printed.stderr)
                .map(|line| format!("{status}: {line}"))
                .unwrap_or_else(|| status.to_string());
            return Err(HandoffError::Failed(step.display(), why));
        }
        match step.role {
            Role::Run | Role::Init => {}
            Role::Deployed => deployed = captured,
            Role::RecordCompose => {
                // Replaced, never written through a link.
                crate::output::write::write_atomic(&record, captured.as_bytes())
                    .map_err(|e| HandoffError::Io(e.to_string()))?;
            }
            Role::Proposed => {
                show_diff(&mut out, &deployed, &captured);
                found.changes = Some(changes::manifests(&deployed, &captured));
            }
            Role::ProposedCompose => {
                deployed = read_no_follow(&record).unwrap_or_default();
                show_diff(&mut out, &deployed, &captured);
                found.changes = Some(changes::compose(&deployed, &captured));
            }
            Role::Changes => {
                let read = read_plan(&captured, &work.data_addresses)
                    .and_then(|facts| Ok((facts, changes::terraform(&captured)?)));
                let (facts, changed) = read.map_err(|why| {
                    out.write(&format!("cannot read the plan: {why}"));
                    HandoffError::UnreadablePreview("the plan".into(), why.to_string())
                })?;
                out.both(&format!("plan: {}", facts.line()));
                show_changes(&mut out, &changed);
                found.summary = Some(facts.line());
                found.changes = Some(changed);
            }
            Role::WhatIf => {
                let changed = changes::what_if(&captured).map_err(|why| {
                    out.write(&format!("cannot read the what-if: {why}"));
                    HandoffError::UnreadablePreview("the what-if".into(), why.to_string())
                })?;
                show_changes(&mut out, &changed);
                found.changes = Some(changed);
            }
            Role::Gate => {
                let facts = read_plan(&captured, &work.data_addresses).map_err(|error| {
                    out.write(&format!("refused: {error}"));
                    HandoffError::UnreadablePlan(error)
                })?;
                out.both(&format!("plan: {}", facts.line()));
                found.summary = Some(facts.line());
                found.changes = changes::terraform(&captured).ok();
                let deleted = facts.deleted_data_explained();
                if !deleted.is_empty() && !work.allow_data_loss {
                    out.write(&format!("refused: the plan deletes {}", deleted.join(", ")));
                    return Err(HandoffError::DataLoss(
                        deleted.join(", "),
                        work.site.clone(),
                    ));
                }
                if !deleted.is_empty() {
                    out.both(&format!(
                        "allowed by --allow-data-loss: the plan deletes {}",
                        deleted.join(", ")
                    ));
                }
            }
        }
    }
    Ok(())
}

/// What `helm get manifest` says of a release that is not installed.
const RELEASE_NOT_FOUND: &str = "release: not found";

/// What `terraform init` says when it lost a race it can win when tried
/// again: another process created, at the same moment, an object every
/// site's state shares (the `pg` backend's sequence on a new database,
/// when the jobs of a matrix first apply their sites at once).
const INIT_RACES: &[&str] = &["duplicate key value violates unique constraint"];

/// How many times an init that lost such a race is tried in all.
const INIT_TRIES: u32 = 3;

/// `terraform init`: alone until one of the run succeeded (`FirstInit`),
/// and tried again, after a pause, when it lost a race with another
/// process (`INIT_RACES`).
fn init(
    step: &Step,
    out: &mut Log<'_>,
    limits: Limits<'_>,
    first_init: &FirstInit,
) -> Result<(ExitStatus, Printed), HandoffError> {
    let mut tries = 1;
    loop {
        let (status, printed) = first_init.run(|| run_step(step, out, limits))?;
        let raced = INIT_RACES
            .iter()
            .find(|race| printed.stderr.contains(*race));
        match raced {
            Some(race) if !status.success() && tries < INIT_TRIES && !limits.stopped() => {
                let pause = Duration::from_secs(2 * u64::from(tries));
                out.both(&format!(
                    "init lost a race with another process (\"{race}\"): trying again in {}s",
                    pause.as_secs()
                ));
                std::thread::sleep(pause);
                tries += 1;
            }
            _ => return Ok((status, printed)),
        }
    }
}

/// What a target's preview found, besides passing or failing.
#[derive(Default)]
struct Found {
    summary: Option<String>,
    changes: Option<Vec<Change>>,
}

/// Each change a preview found, one per line.
fn show_changes(out: &mut Log<'_>, found: &[Change]) {
    for change in found {
        out.both(&format!("  {}", change.line()));
    }
    if found.is_empty() {
        out.show("no changes");
    }
}

/// What would change, as a unified diff from what is deployed.
fn show_diff(out: &mut Log<'_>, deployed: &str, proposed: &str) {
    let diff = similar::TextDiff::from_lines(deployed, proposed);
    let unified = diff
        .unified_diff()
        .header("deployed", "proposed")
        .to_string();
    for line in unified.lines() {
        out.both(line);
    }
    if unified.is_empty() {
        out.show("no changes");
    }
}

/// Takes the lock of every site for a run of two passes, so that nothing
/// changes a site between its preview and its change. Returns the locks (held
/// until dropped), the sites locked, and a refusal per target of the others.
pub fn lock_sites(
    action: Action,
    work: &[SiteWork],
    events: Events<'_>,
) -> (Vec<Lock>, Vec<SiteWork>, Vec<Outcome>) {
    let mut locks = Vec::new();
    let mut locked = Vec::new();
    let mut refused = Vec::new();
    for site in work {
        match Lock::take(&site.dir, &site.site) {
            Ok(lock) => {
                took_over(&lock, &site.site, events);
                locks.push(lock);
                locked.push(site.clone());
            }
            Err(error) => {
                refused.extend(
                    site.targets_in_order(action)
                        .into_iter()
                        .map(|target| Outcome {
                            site: site.site.clone(),
                            target,
                            result: Err(error.clone()),
                            summary: None,
                            changes: None,
                            duration: Duration::ZERO,
                            log: log_path(&site.dir, action, target),
                        }),
                )
            }
        }
    }
    (locks, locked, refused)
}

/// Says that a lock was taken over from a sitectl that is gone.
fn took_over(lock: &Lock, site: &str, events: Events<'_>) {
    if let Some(holder) = &lock.took_over {
        events(&format!(
            "[{site}] warning: took over the lock of {holder}, which is gone (it was stopped): check what it left half done in the logs"
        ));
    }
}

/// A file's text, refused (not followed) when it is a link.
fn read_no_follow(path: &Path) -> std::io::Result<String> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut text = String::new();
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?
        .read_to_string(&mut text)?;
    Ok(text)
}

/// Earlier runs' logs of one site and target kept beside the current one.
const KEPT_RUNS: usize = 10;

/// Moves the previous run's log to `<name>.<n>.log` (1 the newest) and drops
/// the oldest past [`KEPT_RUNS`].
fn keep_earlier_run(log: &Path) {
    // The entry itself, not what it points to: a dangling link goes aside too.
    if fs::symlink_metadata(log).is_err() {
        return;
    }
    let stem = log
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kept = |n: usize| log.with_file_name(format!("{stem}.{n}.log"));
    let _ = fs::remove_file(kept(KEPT_RUNS));
    for n in (1..KEPT_RUNS).rev() {
        let _ = fs::rename(kept(n), kept(n + 1));
    }
    let _ = fs::rename(log, kept(1));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_runs_logs_are_kept_up_to_a_bound() {
        let dir = std::env::temp_dir().join(format!("sitectl-logs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let log = dir.join("apply-terraform.log");
        for run in 0..(KEPT_RUNS + 3) {
            keep_earlier_run(&log);
            fs::write(&log, format!("run {run}")).unwrap();
        }
        let last = KEPT_RUNS + 2;
        assert_eq!(fs::read_to_string(&log).unwrap(), format!("run {last}"));
        assert_eq!(
            fs::read_to_string(dir.join("apply-terraform.1.log")).unwrap(),
            format!("run {}", last - 1)
        );
        assert!(
            dir.join(format!("apply-terraform.{KEPT_RUNS}.log"))
                .exists()
        );
        assert!(
            !dir.join(format!("apply-terraform.{}.log", KEPT_RUNS + 1))
                .exists()
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}

//! `plan`, `apply` and `destroy`, and the pieces `reclaim` shares with them:
//! the question asked before anything is changed, and the run itself (the
//! render it starts from, the sites it takes and those it refuses are
//! `preflight.rs`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

use super::{CommandError, Context, Outcome};
use crate::commands::args::HandoffArgs;
use crate::diagnostic::words::plural;
pub(super) use crate::handoff::Action;
use crate::handoff::{self, Pass, SiteWork, Tools};
use crate::render::target::Target;
use crate::source::load::display_name;
use crate::workspace::Workspace;

use super::preflight::{Plan, plan};
pub(super) use super::preflight::{did_you_mean_site, refused_sites, render_tree};

/// The site chart, as an absolute path: every tool runs in a site's folder.
pub(super) fn chart(ws: &Workspace) -> PathBuf {
    let chart = ws.chart();
    std::fs::canonicalize(&chart).unwrap_or(chart)
}

/// The exact commands, one per line, site by site and target by target in
/// phase order (a real apply or destroy previews every site before it
/// changes any); what cannot be run goes to `stderr`.
pub(super) fn dry_run(
    action: Action,
    work: &[SiteWork],
    tools: &Tools,
    chart: &Path,
    stderr: &mut String,
) -> String {
    let mut stdout = String::new();
    for w in work {
        if let Some((file, text)) = &w.terraform_override
            && w.targets.contains(&Target::Terraform)
        {
            stdout.push_str(&format!(
                "write {} (lifts prevent_destroy from {} for the {}, removed after)\n",
                display_name(&w.dir.join(Target::Terraform.as_str()).join(file)),
                count(
                    text.matches("prevent_destroy = false").count(),
                    "data-bearing resource",
                    "data-bearing resources"
                ),
                action.name(),
            ));
        }
        for target in w.targets_in_order(action) {
            match target.steps(action, w, tools, chart) {
                Ok(steps) => steps
                    .iter()
                    .for_each(|s| stdout.push_str(&format!("{}\n", s.display()))),
                Err(error) => stderr.push_str(&format!("error: {}/{target}: {error}\n", w.site)),
            }
        }
    }
    stdout
}

/// `3 expired trials`.
pub(super) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", plural(n, one, many))
}

/// Asks before a change unless `--yes`; with nobody to ask, refuses.
pub(super) fn confirm(
    context: &Context,
    question: &str,
    yes: bool,
    verb: &str,
) -> Result<(), CommandError> {
    if yes {
        return Ok(());
    }
    match &context.confirm {
        Some(ask) if ask(question) => Ok(()),
        Some(_) => Err(CommandError::Aborted(format!(
            "nothing was {}",
            past_tense(verb)
        ))),
        None => Err(CommandError::Usage(format!(
            "refusing to {verb} without --yes when not on a terminal"
        ))),
    }
}

/// "apply" → "applied", "destroy" → "destroyed", "reclaim" → "reclaimed".
fn past_tense(verb: &str) -> String {
    match verb.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{stem}ied"),
        _ => format!("{verb}ed"),
    }
}

/// Stops with `error`, keeping what was said before it on stderr.
pub(super) fn stop_after(stderr: &str, error: CommandError, context: &Context) -> Outcome {
    let mut outcome = error.outcome(context);
    outcome.stderr.insert_str(0, stderr);
    outcome
}

/// The signals that stop a hand-off, registered once per process: while a
/// hand-off runs they are recorded in `stop` and the run stops cleanly (its
/// tools stopped, its locks released, its summary printed); at any other
/// time (`idle`) they do what they always do.
struct Signals {
    stop: Arc<AtomicUsize>,
    idle: Arc<AtomicBool>,
}

static SIGNALS: OnceLock<Signals> = OnceLock::new();

fn signals() -> &'static Signals {
    SIGNALS.get_or_init(|| {
        let signals = Signals {
            stop: Arc::new(AtomicUsize::new(0)),
            idle: Arc::new(AtomicBool::new(true)),
        };
        // A closed terminal (SIGHUP) too: the run must not die with its
        // tools orphaned and its locks left behind.
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            let _ =
                signal_hook::flag::register_conditional_default(signal, Arc::clone(&signals.idle));
            let _ = signal_hook::flag::register_usize(
                signal,
                Arc::clone(&signals.stop),
                signal as usize,
            );
        }
        signals
    })
}

/// Whether the running hand-off was asked to stop: a question waiting for
/// its answer gives up then.
pub fn interrupted() -> bool {
    // Never installs the handlers: before a hand-off, nothing was asked.
    SIGNALS
        .get()
        .is_some_and(|signals| signals.stop.load(Ordering::Relaxed) != 0)
}

/// Approves the change pass, given the preview's table and the sites whose
/// preview passed; `Err` ends the run there.
pub(super) type Approve<'a> = &'a dyn Fn(&str, &[SiteWork]) -> Result<(), CommandError>;

/// Runs the hand-off; lines go to the terminal as they come, or are
/// collected into the returned stdout when nobody watches. A plan is one
/// pass; an apply or a destroy is two, as terraform runs them: every site is
/// previewed (planned, gated) under its lock, `approve` sees the result, and
/// only the sites whose preview passed are changed, exactly as previewed.
pub(super) fn execute(
    action: Action,
    work: &[SiteWork],
    tools: &Tools,
    chart: &Path,
    (jobs, timeout): (u64, u64),
    context: &Context,
    approve: Approve<'_>,
) -> Executed {
    let collected = std::sync::Mutex::new(String::new());
    let emit = |line: &str| match &context.emit {
        Some(emit) => emit(line),
        None => {
            let mut out = collected.lock().unwrap_or_else(|e| e.into_inner());
            out.push_str(line);
            out.push('\n');
        }
    };
    // For the length of the run, SIGINT, SIGTERM and SIGHUP stop it cleanly
    // instead of killing sitectl on the spot: the running tools are stopped,
    // every lock released, and the summary printed.
    let signals = signals();
    signals.stop.store(0, Ordering::Relaxed);
    signals.idle.store(false, Ordering::Relaxed);
    let stop = &signals.stop;
    let limits = handoff::Limits {
        jobs: usize::try_from(jobs).unwrap_or(usize::MAX),
        timeout: std::time::Duration::from_secs(timeout),
        stop,
        pass: None,
        locked: false,
    };
    let mut preview = Vec::new();
    let mut outcomes = Vec::new();
    let mut refused = None;
    if matches!(action, Action::Plan | Action::Drift) {
        outcomes = handoff::run(action, work, tools, chart, limits, &emit);
    } else {
        let (locks, locked, mut previewed) = handoff::lock_sites(action, work, &emit);
        let passes = |pass| handoff::Limits {
            pass: Some(pass),
            locked: true,
            ..limits
        };
        previewed.extend(handoff::run(
            action,
            &locked,
            tools,
            chart,
            passes(Pass::Preview),
            &emit,
        ));
        // Bicep has no destroy (the customer's resources stay): that is said
        // in its row, and never holds back the rest of the site.
        let blocking: Vec<handoff::Outcome> = previewed
            .iter()
            .filter(|o| !matches!(o.result, Err(handoff::HandoffError::NoBicepDestroy)))
            .cloned()
            .collect();
        let failed = handoff::failed_sites(&blocking);
        let ready: Vec<SiteWork> = locked
            .into_iter()
            .filter(|w| !failed.contains_key(w.site.as_str()))
            .collect();
        preview = previewed;
        let stopped = stop.load(Ordering::Relaxed) != 0;
        if !ready.is_empty() && !stopped {
            match approve(&handoff::summary_table(&preview), &ready) {
                Ok(()) => {
                    outcomes =
                        handoff::run(action, &ready, tools, chart, passes(Pass::Change), &emit);
                }
                Err(error) => refused = Some(error),
            }
        }
        drop(locks);
    }
    // Back to what the signals always do.
    signals.idle.store(true, Ordering::Relaxed);
    let signal = stop.load(Ordering::Relaxed);
    let finished: BTreeSet<&str> = preview
        .iter()
        .chain(&outcomes)
        .map(|o| o.site.as_str())
        .collect();
    let not_started = work
        .iter()
        .filter(|w| !finished.contains(w.site.as_str()))
        .map(|w| w.site.clone())
        .collect();
    Executed {
        stdout: collected.into_inner().unwrap_or_default(),
        preview,
        outcomes,
        refused,
        interrupted: (signal != 0).then(|| Interruption {
            signal: i32::try_from(signal).unwrap_or(SIGINT),
            not_started,
        }),
    }
}

impl Executed {
    /// The closing tables: the preview's (an apply or a destroy), then what
    /// was changed or planned.
    pub fn tables(&self) -> String {
        let mut out = String::new();
        if !self.preview.is_empty() {
            out.push_str(&handoff::summary_table(&self.preview));
        }
        if !self.outcomes.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&handoff::summary_table(&self.outcomes));
        }
        out
    }

    /// The sites whose change failed, or that were refused before it.
    pub fn failed_sites(&self) -> BTreeSet<String> {
        handoff::failed_sites(&self.preview)
            .into_keys()
            .chain(handoff::failed_sites(&self.outcomes).into_keys())
            .map(str::to_string)
            .collect()
    }
}

/// How a hand-off went.
pub(super) struct Executed {
    /// Its output, when nobody watched it as it came.
    pub stdout: String,
    /// The preview pass of an apply or a destroy.
    pub preview: Vec<handoff::Outcome>,
    /// The change pass, or the plan.
    pub outcomes: Vec<handoff::Outcome>,
    /// Why the change pass did not run, when it was not approved.
    pub refused: Option<CommandError>,
    pub interrupted: Option<Interruption>,
}

/// A run stopped by a signal.
pub(super) struct Interruption {
    signal: i32,
    /// Sites the run never reached.
    not_started: Vec<String>,
}

impl Interruption {
    /// The shell's convention: 128 + the signal (130 for Ctrl-C).
    pub fn exit_code(&self) -> u8 {
        u8::try_from(128 + self.signal).unwrap_or(130)
    }

    /// The line that closes an interrupted run.
    pub fn line(&self) -> String {
        let name = match self.signal {
            SIGTERM => "SIGTERM",
            SIGHUP => "SIGHUP",
            _ => "SIGINT",
        };
        let mut line = format!("interrupted by {name}: every lock was released");
        if !self.not_started.is_empty() {
            line.push_str(&format!("; not started: {}", self.not_started.join(", ")));
        }
        line.push('\n');
        line
    }
}

pub(super) fn handoff(
    args: &HandoffArgs,
    ws: &Workspace,
    context: &Context,
    action: Action,
) -> Result<Outcome, CommandError> {
    let Plan {
        work,
        refused,
        notes,
        delivered,
    } = plan(args, ws, action)?;
    let mut stderr = notes;
    stderr.extend(refused.values().map(String::as_str));
    for site in &delivered {
        stderr.push_str(&format!(
            "skipped `{site}`: its customer operates it (its blueprint says so): it is delivered, not handed off; name it to {} it anyway\n",
            action.name()
        ));
    }
    let tools = Tools::find(args.tools.terraform_bin.as_deref());
    let chart = chart(ws);
    if args.dry_run {
        let used: Vec<_> = work.iter().flat_map(|w| w.targets.clone()).collect();
        let (tools, notes) = tools.with_stand_ins(&used);
        let stdout = dry_run(action, &work, &tools, &chart, &mut stderr);
        stderr.extend(notes.iter().map(|n| format!("{n}\n")));
        let code = u8::from(!refused.is_empty() || stderr.contains("error:"));
        return Ok(Outcome {
            stdout,
            stderr,
            code,
        });
    }
    // Nobody to ask and no --yes: refused before anything runs.
    if action != Action::Plan && !work.is_empty() && !args.yes && context.confirm.is_none() {
        return Ok(stop_after(
            &stderr,
            CommandError::Usage(format!(
                "refusing to {} without --yes when not on a terminal",
                action.name()
            )),
            context,
        ));
    }
    // Asked after the preview, with its table in front of the question.
    let approve = |table: &str, ready: &[SiteWork]| {
        let question = format!(
            "{table}\n{} {} {} ({})? [y/N] ",
            action.name(),
            ready.len(),
            plural(ready.len(), "site", "sites"),
            ready
                .iter()
                .map(|w| w.site.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        confirm(context, &question, args.yes, action.name())
    };
    let executed = execute(
        action,
        &work,
        &tools,
        &chart,
        (args.tools.jobs, args.tools.timeout),
        context,
        &approve,
    );
    stderr.push_str(&executed.tables());
    let mut unwritten = false;
    if let Some(file) = &args.summary {
        let markdown = handoff::summary_markdown(action, &executed.preview, &executed.outcomes);
        if let Err(error) = crate::output::write::write_atomic(file, markdown.as_bytes()) {
            stderr.push_str(&format!(
                "error: cannot write the summary to {}: {error}\n",
                display_name(file)
            ));
            unwritten = true;
        }
    }
    if let Some(interruption) = &executed.interrupted {
        stderr.push_str(&interruption.line());
        return Ok(Outcome {
            stdout: executed.stdout,
            stderr,
            code: interruption.exit_code(),
        });
    }
    let failed = !executed.failed_sites().is_empty();
    if let Some(error) = executed.refused {
        let mut outcome = stop_after(&stderr, error, context);
        outcome.stdout = executed.stdout;
        return Ok(outcome);
    }
    Ok(Outcome {
        stdout: executed.stdout,
        stderr,
        code: u8::from(failed || unwritten || !refused.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::past_tense;

    #[test]
    fn refusals_name_the_command_and_aborts_its_past_tense() {
        assert_eq!(past_tense("apply"), "applied");
        assert_eq!(past_tense("destroy"), "destroyed");
        assert_eq!(past_tense("reclaim"), "reclaimed");
    }
}

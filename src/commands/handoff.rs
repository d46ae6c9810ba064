//! `plan`, `apply` and `destroy`, and the pieces `reclaim` shares with them:
//! the render every hand-off starts from, the refusal of stale output, the
//! question asked before anything is changed, and the run itself.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{Context, Outcome, diagnostics_outcome};
use crate::commands::args::{Cli, HandoffArgs};
use crate::diagnostic::report::Format;
use crate::diff::{self, Side};
pub(super) use crate::handoff::Action;
use crate::handoff::{self, SiteWork, Tools};
use crate::render::pipeline;

fn fail(code: u8, message: String) -> Outcome {
    Outcome {
        stderr: message,
        code,
        ..Outcome::default()
    }
}

/// The specs under `specs`, rendered in memory; a hand-off of an invalid
/// tree is refused whole, with its diagnostics.
pub(super) fn render_tree(
    cli: &Cli,
    specs: &Path,
    context: &Context,
    verb: &str,
) -> Result<pipeline::Rendered, Outcome> {
    pipeline::render_all(&[specs.to_path_buf()], &cli.blueprints, None, &|_, _| {}).map_err(
        |checked| {
            diagnostics_outcome(
                &checked,
                Format::Text,
                context,
                format!(
                    "error: refusing to {verb}: the specs or blueprints are invalid; fix them (`sitectl validate`)\n"
                ),
            )
        },
    )
}

/// Sites among `names` whose output under `out` is not what their spec
/// renders to: the tools would apply something nobody reviewed.
pub(super) fn stale_sites(
    out: &Path,
    rendered: &pipeline::Rendered,
    names: &BTreeSet<String>,
) -> BTreeSet<String> {
    let new_files: Vec<_> = rendered
        .files
        .iter()
        .filter(|f| names.contains(&f.site))
        .cloned()
        .collect();
    let report = diff::compare(
        &Side::from_disk(out, Some(names)),
        &Side::from_render(&new_files, Default::default()),
        &[],
    );
    report.files.iter().map(|f| f.site.clone()).collect()
}

pub(super) fn stale_message(site: &str) -> String {
    format!(
        "error: the rendered output of `{site}` is stale or missing: run `sitectl render` (and commit it) first\n"
    )
}

/// The site chart, as an absolute path: every tool runs in a site's folder.
pub(super) fn chart(cli: &Cli) -> PathBuf {
    let chart = cli.blueprints.join("charts/site");
    std::fs::canonicalize(&chart).unwrap_or(chart)
}

/// The exact commands, one per line; what cannot be run goes to `stderr`.
pub(super) fn dry_run(
    action: Action,
    work: &[SiteWork],
    tools: &Tools,
    chart: &Path,
    stderr: &mut String,
) -> String {
    let mut stdout = String::new();
    for w in work {
        for target in &w.targets {
            match handoff::steps(action, w, target, tools, chart) {
                Ok(steps) => steps
                    .iter()
                    .for_each(|s| stdout.push_str(&format!("{}\n", s.display()))),
                Err(error) => stderr.push_str(&format!("error: {}/{target}: {error}\n", w.site)),
            }
        }
    }
    stdout
}

/// Asks before a change unless `--yes`; with nobody to ask, refuses.
/// `Err` is the outcome to end with, `stderr` so far included.
pub(super) fn confirm(
    context: &Context,
    question: &str,
    yes: bool,
    verb: &str,
    stderr: &str,
) -> Result<(), Outcome> {
    if yes {
        return Ok(());
    }
    match &context.confirm {
        Some(ask) if ask(question) => Ok(()),
        Some(_) => Err(fail(1, format!("{stderr}aborted: nothing was {verb}\n"))),
        None => Err(fail(
            2,
            format!(
                "{stderr}error: refusing to {} without --yes when not on a terminal\n",
                verb_stem(verb)
            ),
        )),
    }
}

/// "destroyed" → "destroy", "reclaimed" → "reclaim", "applied" → "apply".
fn verb_stem(past: &str) -> String {
    match past.strip_suffix("ied") {
        Some(stem) => format!("{stem}y"),
        None => past.strip_suffix("ed").unwrap_or(past).to_string(),
    }
}

/// Runs the hand-off; lines go to the terminal as they come, or are
/// collected into the returned stdout when nobody watches.
pub(super) fn execute(
    action: Action,
    work: &[SiteWork],
    tools: &Tools,
    chart: &Path,
    (jobs, timeout): (usize, u64),
    context: &Context,
) -> (String, Vec<handoff::Outcome>) {
    let collected = std::sync::Mutex::new(String::new());
    let emit = |line: &str| match &context.emit {
        Some(emit) => emit(line),
        None => {
            let mut out = collected.lock().unwrap_or_else(|e| e.into_inner());
            out.push_str(line);
            out.push('\n');
        }
    };
    let timeout = std::time::Duration::from_secs(timeout);
    let outcomes = handoff::run(action, work, tools, chart, jobs, timeout, &emit);
    (collected.into_inner().unwrap_or_default(), outcomes)
}

pub(super) fn handoff_command(
    cli: &Cli,
    args: &HandoffArgs,
    context: &Context,
    action: Action,
) -> Outcome {
    let rendered = match render_tree(cli, Path::new("sites"), context, action.name()) {
        Ok(rendered) => rendered,
        Err(outcome) => return outcome,
    };
    if let Some(unknown) = args
        .sites
        .iter()
        .find(|s| !rendered.sites.contains_key(s.as_str()))
    {
        return fail(
            2,
            format!("error: no site named `{unknown}` under sites/\n"),
        );
    }
    let chosen: Vec<&crate::validate::ValidSite> = rendered
        .valid
        .iter()
        .filter(|v| args.sites.is_empty() || args.sites.contains(&v.site.metadata.name))
        .collect();
    let names: BTreeSet<String> = chosen
        .iter()
        .map(|v| v.site.metadata.name.clone())
        .collect();
    let stale = stale_sites(&args.out, &rendered, &names);
    let mut stderr: String = stale.iter().map(|site| stale_message(site)).collect();
    let allow: BTreeSet<String> = args.allow_data_loss.iter().cloned().collect();
    let work: Vec<SiteWork> = chosen
        .iter()
        .filter(|v| !stale.contains(&v.site.metadata.name))
        .map(|v| handoff::work_for(&args.out, v, args.target.as_deref(), &rendered.data, &allow))
        .filter(|w| !w.targets.is_empty())
        .collect();
    let tools = Tools::find(args.terraform_bin.as_deref());
    let chart = chart(cli);
    if args.dry_run {
        let stdout = dry_run(action, &work, &tools, &chart, &mut stderr);
        let code = u8::from(!stale.is_empty() || stderr.contains("error:"));
        return Outcome {
            stdout,
            stderr,
            code,
        };
    }
    if action != Action::Plan && !work.is_empty() {
        let question = format!(
            "{} {} site{} ({})? [y/N] ",
            action.name(),
            work.len(),
            if work.len() == 1 { "" } else { "s" },
            work.iter()
                .map(|w| w.site.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let past = match action {
            Action::Apply => "applied",
            _ => "destroyed",
        };
        if let Err(outcome) = confirm(context, &question, args.yes, past, &stderr) {
            return outcome;
        }
    }
    let (stdout, outcomes) = execute(
        action,
        &work,
        &tools,
        &chart,
        (args.jobs, args.timeout),
        context,
    );
    stderr.push_str(&handoff::summary_table(&outcomes));
    let failed = handoff::failed_sites(&outcomes);
    Outcome {
        stdout,
        stderr,
        code: u8::from(!failed.is_empty() || !stale.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::verb_stem;

    #[test]
    fn refusals_name_the_command_not_its_past_tense() {
        assert_eq!(verb_stem("applied"), "apply");
        assert_eq!(verb_stem("destroyed"), "destroy");
        assert_eq!(verb_stem("reclaimed"), "reclaim");
    }
}

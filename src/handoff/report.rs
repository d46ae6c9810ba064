//! How a hand-off ended, for people: the closing table on a terminal, and
//! the same run as Markdown for a pull-request comment or a job summary
//! (`--summary FILE`), Atlantis style: what each plan does, refusals first,
//! the end of each failed target's log.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{Action, HandoffError, Outcome};
use crate::diagnostic::words::plural;
use crate::output::markdown::{LIMIT, cell, fenced};
use crate::source::load::display_name;

/// Lines of a failed target's log a summary shows: where tools say why.
const LOG_TAIL_LINES: usize = 30;

/// The result column: `ok`, or why not in a few words.
fn result(o: &Outcome) -> String {
    match &o.result {
        Ok(()) => "ok".into(),
        Err(HandoffError::DataLoss(..)) => "refused: data loss".into(),
        Err(HandoffError::UnreadablePlan(_)) => "refused: unreadable plan".into(),
        Err(HandoffError::Skipped(before)) => format!("skipped: {before} failed"),
        Err(HandoffError::Locked { .. }) => "refused: locked".into(),
        Err(HandoffError::Interrupted) => "interrupted".into(),
        Err(HandoffError::MissingTool { tool, .. }) => format!("failed: no {tool}"),
        Err(HandoffError::TimedOut(..)) => "failed: timed out".into(),
        Err(_) => "failed".into(),
    }
}

/// The closing table: site, target, result, what the plan does (when a
/// plan was read), duration, log.
pub fn summary_table(outcomes: &[Outcome]) -> String {
    let mut rows: Vec<[String; 6]> = vec![[
        "site".into(),
        "target".into(),
        "result".into(),
        "plan".into(),
        "duration".into(),
        "log".into(),
    ]];
    for o in outcomes {
        rows.push([
            o.site.clone(),
            o.target.to_string(),
            result(o),
            o.summary.clone().unwrap_or_else(|| "-".into()),
            format!("{:.1}s", o.duration.as_secs_f64()),
            display_name(&o.log),
        ]);
    }
    crate::diagnostic::report::aligned(&rows)
}

/// The run as Markdown under GitHub's comment limit: the totals, every
/// refused or failed target whole (with the end of its log), then as many
/// of the others as fit. `preview` is the plan pass of an apply or a
/// destroy, `outcomes` its change pass (or the plan).
pub fn summary_markdown(action: Action, preview: &[Outcome], outcomes: &[Outcome]) -> String {
    let mut out = format!("## sitectl {}\n\n", action.name());
    let passes: Vec<(&str, &[Outcome])> = match action {
        Action::Plan | Action::Drift => vec![("", outcomes)],
        _ => vec![("Plan", preview), (past_tense(action), outcomes)],
    };
    if passes.iter().all(|(_, o)| o.is_empty()) {
        out.push_str("Nothing to do: no site was selected.\n");
        return out;
    }
    let mut failures: Vec<String> = Vec::new();
    for (title, outcomes) in &passes {
        if !title.is_empty() {
            if outcomes.is_empty() {
                continue;
            }
            let _ = writeln!(out, "### {title}\n");
        }
        let sites: BTreeSet<&str> = outcomes.iter().map(|o| o.site.as_str()).collect();
        // `ok`, `refused`, `failed`, `skipped`, `interrupted`: how many of each.
        let mut tally: BTreeMap<String, usize> = BTreeMap::new();
        for o in outcomes.iter() {
            let result = result(o);
            let word = result.split(':').next().unwrap_or_default().to_string();
            *tally.entry(word).or_default() += 1;
        }
        let ok = tally.remove("ok").unwrap_or(0);
        let rest: String = tally
            .iter()
            .map(|(word, n)| format!(", {n} {word}"))
            .collect();
        let _ = writeln!(
            out,
            "{} {}, {} {}: {ok} ok{rest}.\n",
            sites.len(),
            plural(sites.len(), "site", "sites"),
            outcomes.len(),
            plural(outcomes.len(), "target", "targets"),
        );
        out.push_str("| site | target | result | plan |\n| --- | --- | --- | --- |\n");
        // Refusals and failures first: they are what a reviewer must read.
        let mut rows: Vec<&Outcome> = outcomes.iter().collect();
        rows.sort_by_key(|o| o.result.is_ok());
        let mut left_out = 0;
        for o in rows {
            let row = format!(
                "| `{}` | {} | {} | {} |\n",
                cell(&o.site),
                o.target,
                cell(&result(o)),
                cell(o.summary.as_deref().unwrap_or("-"))
            );
            if o.result.is_ok() && out.len() + row.len() > LIMIT / 2 {
                left_out += 1;
                continue;
            }
            out.push_str(&row);
            if let Err(error) = &o.result {
                failures.push(failure(o, error));
            }
        }
        if left_out > 0 {
            let _ = writeln!(
                out,
                "\n_{left_out} more {} went well and are not listed, to keep this short._",
                plural(left_out, "target", "targets")
            );
        }
        out.push('\n');
    }
    let note = "\n_More failures are left out to keep this under GitHub's limit: see the logs._\n";
    let mut cut = false;
    for block in failures {
        if out.len() + block.len() + note.len() > LIMIT {
            cut = true;
            continue;
        }
        out.push_str(&block);
    }
    if cut {
        out.push_str(note);
    }
    out
}

fn past_tense(action: Action) -> &'static str {
    match action {
        Action::Plan => "Planned",
        Action::Apply => "Applied",
        Action::Destroy => "Destroyed",
        Action::Drift => "Checked",
    }
}

/// A refused or failed target: why, and the end of its log.
fn failure(o: &Outcome, error: &HandoffError) -> String {
    let log = std::fs::read_to_string(&o.log).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    let tail = lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n");
    let mut block = format!(
        "<details><summary><code>{}</code> {}: {}</summary>\n\n{error}\n\n",
        o.site,
        o.target,
        result(o)
    );
    if !tail.is_empty() {
        let _ = writeln!(block, "The end of {}:\n", display_name(&o.log));
        block.push_str(&fenced(&tail, "text"));
    }
    block.push_str("\n</details>\n");
    block
}

//! The drift report: each target of each site checked is in sync (its
//! preview changes nothing), drifted (it changes these resources) or
//! failed (the check could not say), as text for a terminal, Markdown for
//! the issue a scheduled job keeps up to date, and JSON for scripts, which
//! is also what the shards of a fleet's check are combined from.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{Change, HandoffError, Outcome};
use crate::diagnostic::words::plural;
use crate::output::markdown::{LIMIT, cell};
use crate::source::load::display_name;

/// What a drift check found on one target of one site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    InSync,
    Drifted,
    Failed,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::InSync => "in sync",
            State::Drifted => "drifted",
            State::Failed => "failed",
        }
    }
}

/// One checked target, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked {
    pub site: String,
    pub target: String,
    pub state: State,
    pub changes: Vec<Change>,
    /// Why the check failed.
    pub error: Option<String>,
    pub log: String,
}

/// What each target's check found. One that passed without reading what
/// it would change cannot vouch for anything: failed, never in sync.
pub fn checked(outcomes: &[Outcome]) -> Vec<Checked> {
    outcomes
        .iter()
        .map(|o| {
            let (state, error) = match (&o.result, &o.changes) {
                (Ok(()), Some(changes)) if changes.is_empty() => (State::InSync, None),
                (Ok(()), Some(_)) => (State::Drifted, None),
                (Ok(()), None) => (
                    State::Failed,
                    Some(
                        HandoffError::UnreadablePreview(
                            "its preview".into(),
                            "nothing was read".into(),
                        )
                        .to_string(),
                    ),
                ),
                (Err(error), _) => (State::Failed, Some(error.to_string())),
            };
            Checked {
                site: o.site.clone(),
                target: o.target.to_string(),
                state,
                changes: o.changes.clone().unwrap_or_default(),
                error,
                // A target that never ran (skipped, no tool) has no log.
                log: if o.log.is_file() {
                    display_name(&o.log)
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

/// How many sites and targets were checked, and how many of the targets are
/// in each state.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub sites: usize,
    pub targets: usize,
    pub in_sync: usize,
    pub drifted: usize,
    pub failed: usize,
}

pub fn totals(checked: &[Checked]) -> Totals {
    let sites: std::collections::BTreeSet<&str> = checked.iter().map(|c| c.site.as_str()).collect();
    let mut totals = Totals {
        sites: sites.len(),
        targets: checked.len(),
        ..Totals::default()
    };
    for one in checked {
        match one.state {
            State::InSync => totals.in_sync += 1,
            State::Drifted => totals.drifted += 1,
            State::Failed => totals.failed += 1,
        }
    }
    totals
}

impl Totals {
    /// `3 sites (4 targets) checked: 1 drifted, 0 failed, 3 in sync`.
    pub fn line(&self) -> String {
        format!(
            "{} {} ({} {}) checked: {} drifted, {} failed, {} in sync",
            self.sites,
            plural(self.sites, "site", "sites"),
            self.targets,
            plural(self.targets, "target", "targets"),
            self.drifted,
            self.failed,
            self.in_sync
        )
    }
}

/// One line per target, drifted and failed ones first, each change of a
/// drifted one beneath it.
pub fn text(checked: &[Checked]) -> String {
    let mut out = String::new();
    for one in ordered(checked) {
        let _ = write!(out, "{:<8} {}/{}", one.state.as_str(), one.site, one.target);
        match one.state {
            State::InSync => out.push('\n'),
            State::Drifted => {
                let _ = writeln!(out, "{}", log_part(&one.log));
                for change in &one.changes {
                    let _ = writeln!(out, "  {}", change.line());
                }
            }
            State::Failed => {
                let _ = writeln!(
                    out,
                    ": {}{}",
                    one.error.as_deref().unwrap_or_default(),
                    log_part(&one.log)
                );
            }
        }
    }
    out
}

/// ` (log: PATH)`, or nothing for a target that wrote none.
fn log_part(log: &str) -> String {
    if log.is_empty() {
        String::new()
    } else {
        format!(" (log: {log})")
    }
}

/// Drifted and failed targets first, each group in site order.
fn ordered(checked: &[Checked]) -> Vec<&Checked> {
    let mut ordered: Vec<&Checked> = checked.iter().collect();
    ordered.sort_by_key(|c| match c.state {
        State::Drifted => 0,
        State::Failed => 1,
        State::InSync => 2,
    });
    ordered
}

/// The report as the body of an issue: the totals, a row per drifted
/// resource, then the failures; under GitHub's size limit.
pub fn markdown(checked: &[Checked]) -> String {
    let totals = totals(checked);
    let mut out = format!("## Drift\n\n{}.\n\n", totals.line());
    if totals.targets == 0 {
        out.push_str("No site was selected.\n");
        return out;
    }
    let mut left_out = 0;
    let mut table = |out: &mut String, title: &str, header: &str, rows: Vec<String>| {
        if rows.is_empty() {
            return;
        }
        let _ = writeln!(out, "### {title}\n\n{header}");
        for row in rows {
            if out.len() + row.len() > LIMIT {
                left_out += 1;
                continue;
            }
            out.push_str(&row);
        }
        out.push('\n');
    };
    let drifted: Vec<String> = checked
        .iter()
        .filter(|c| c.state == State::Drifted)
        .flat_map(|c| {
            c.changes.iter().map(move |change| {
                format!(
                    "| `{}` | {} | `{}` | {} |\n",
                    cell(&c.site),
                    cell(&c.target),
                    cell(&change.address),
                    cell(&action_cell(change))
                )
            })
        })
        .collect();
    table(
        &mut out,
        "Drifted",
        "| site | target | resource | change |\n| --- | --- | --- | --- |",
        drifted,
    );
    let failed: Vec<String> = checked
        .iter()
        .filter(|c| c.state == State::Failed)
        .map(|c| {
            format!(
                "| `{}` | {} | {} | {} |\n",
                cell(&c.site),
                cell(&c.target),
                cell(c.error.as_deref().unwrap_or_default()),
                if c.log.is_empty() {
                    "-".to_string()
                } else {
                    format!("`{}`", cell(&c.log))
                }
            )
        })
        .collect();
    table(
        &mut out,
        "Failed",
        "| site | target | why | log |\n| --- | --- | --- | --- |",
        failed,
    );
    if left_out > 0 {
        let _ = writeln!(
            out,
            "_{left_out} more {} left out to keep this under GitHub's limit: run `sitectl drift` for all of them._",
            plural(left_out, "row is", "rows are")
        );
    }
    out
}

/// `update: retention_in_days`.
fn action_cell(change: &Change) -> String {
    if change.attributes.is_empty() {
        change.action.as_str().to_string()
    } else {
        format!(
            "{}: {}",
            change.action.as_str(),
            change.attributes.join(", ")
        )
    }
}

/// The JSON report: what `--format json` prints and `--combine` reads.
#[derive(Serialize, Deserialize)]
struct Report {
    totals: Totals,
    targets: Vec<Checked>,
}

/// The report for scripts: the totals, then every target in site order.
pub fn json(checked: &[Checked]) -> String {
    let report = Report {
        totals: totals(checked),
        targets: checked.to_vec(),
    };
    let mut out = serde_json::to_string_pretty(&report).unwrap_or_default();
    out.push('\n');
    out
}

/// The targets of a JSON report (`--format json`), or where and why it is
/// not one: `line:column: what is wrong`.
pub fn read_json(text: &str) -> Result<Vec<Checked>, String> {
    serde_json::from_str::<Report>(text)
        .map(|report| report.targets)
        .map_err(|e| format!("{}:{}: {e}", e.line(), e.column()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::target::Target;
    use std::path::PathBuf;
    use std::time::Duration;

    fn outcome(
        site: &str,
        result: Result<(), HandoffError>,
        changes: Option<Vec<Change>>,
    ) -> Outcome {
        Outcome {
            site: site.into(),
            target: Target::Terraform,
            result,
            summary: None,
            changes,
            duration: Duration::ZERO,
            log: PathBuf::from(format!("rendered/{site}/.sitectl-logs/drift-terraform.log")),
        }
    }

    fn log_group() -> Change {
        Change {
            address: "aws_cloudwatch_log_group.site".into(),
            action: crate::handoff::changes::Act::Update,
            attributes: vec!["retention_in_days".into()],
        }
    }

    fn fleet() -> Vec<Checked> {
        checked(&[
            outcome("a", Ok(()), Some(vec![])),
            outcome("b", Ok(()), Some(vec![log_group()])),
            outcome("c", Err(HandoffError::Interrupted), None),
            // Passed, yet read nothing: it cannot vouch for the site.
            outcome("d", Ok(()), None),
        ])
    }

    #[test]
    fn a_check_that_read_nothing_is_a_failure_never_in_sync() {
        let states: Vec<State> = fleet().iter().map(|c| c.state).collect();
        assert_eq!(
            states,
            [State::InSync, State::Drifted, State::Failed, State::Failed]
        );
        assert_eq!(
            totals(&fleet()).line(),
            "4 sites (4 targets) checked: 1 drifted, 2 failed, 1 in sync"
        );
    }

    #[test]
    fn the_text_puts_drift_first_with_each_change() {
        let text = text(&fleet());
        let lines: Vec<&str> = text.lines().collect();
        // No log was written for these: none is named.
        assert_eq!(lines[0], "drifted  b/terraform", "{text}");
        assert_eq!(
            lines[1],
            "  aws_cloudwatch_log_group.site: update (retention_in_days)"
        );
        assert!(
            lines[2].starts_with("failed   c/terraform: interrupted"),
            "{text}"
        );
        assert_eq!(lines.last(), Some(&"in sync  a/terraform"));
    }

    #[test]
    fn the_markdown_has_a_row_per_drifted_resource_and_per_failure() {
        let markdown = markdown(&fleet());
        assert!(
            markdown.contains(
                "| `b` | terraform | `aws_cloudwatch_log_group.site` | update: retention_in_days |"
            ),
            "{markdown}"
        );
        assert!(
            markdown.contains("| `c` | terraform | interrupted"),
            "{markdown}"
        );
        assert!(!markdown.contains("| `a` |"), "{markdown}");
    }

    #[test]
    fn the_json_has_the_totals_and_every_target_and_reads_back() {
        let text = json(&fleet());
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["totals"]["drifted"], 1);
        assert_eq!(json["targets"][1]["state"], "drifted");
        assert_eq!(
            json["targets"][1]["changes"][0]["attributes"][0],
            "retention_in_days"
        );
        assert_eq!(json["targets"][0]["state"], "in-sync");
        assert!(json["targets"][0]["error"].is_null());
        assert_eq!(read_json(&text).unwrap(), fleet());
        let error = read_json("{\"totals\": {}}").unwrap_err();
        assert!(error.starts_with("1:"), "{error}");
    }
}

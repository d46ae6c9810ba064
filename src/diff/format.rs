//! The reporting layer for `sitectl diff`: the same report as text for a
//! terminal, a Markdown pull-request comment, or JSON for machines.

use std::fmt::Write as _;

use serde::Serialize;

use crate::diagnostic::words::plural;
use crate::diff::{Change, Report};

use crate::output::markdown::{LIMIT as MARKDOWN_LIMIT, cell, fenced};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    /// Data-loss findings, then unified diffs.
    Text,
    /// A pull-request comment: a summary table, findings, collapsible diffs.
    Markdown,
    /// The same facts for machines.
    Json,
}

fn findings_text(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let _ = writeln!(
            out,
            "error[data-loss]: site `{}`: {} `{}`: {}",
            f.site, f.kind, f.resource, f.reason
        );
    }
    if !report.findings.is_empty() {
        out.push_str("  = help: if the loss is intended, the hand-off needs --allow-data-loss SITE; otherwise keep the resource's name and the site's spec\n\n");
    }
    out
}

/// Findings first, then every file's unified diff, then a summary line.
pub fn text(report: &Report, color: bool) -> String {
    findings_text(report) + &diffs_text(report, color)
}

/// A deliberate move across deployments: what the gate found is the data
/// the migration carries to its new home, said as such, then the diffs.
pub fn move_text(report: &Report, color: bool) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let _ = writeln!(
            out,
            "moves[data]: site `{}`: {} `{}` changes home ({}); the migration below carries it",
            f.site, f.kind, f.resource, f.reason
        );
    }
    if !report.findings.is_empty() {
        out.push('\n');
    }
    out + &diffs_text(report, color)
}

/// Every file's unified diff, coloured on a terminal.
fn diffs_text(report: &Report, color: bool) -> String {
    let mut out = String::new();
    for file in &report.files {
        if color {
            for line in file.unified.lines() {
                let styled = if line.starts_with("+++") || line.starts_with("---") {
                    format!("\x1b[1m{line}\x1b[0m")
                } else if line.starts_with('+') {
                    format!("\x1b[32m{line}\x1b[0m")
                } else if line.starts_with('-') {
                    format!("\x1b[31m{line}\x1b[0m")
                } else if line.starts_with("@@") {
                    format!("\x1b[36m{line}\x1b[0m")
                } else {
                    line.to_string()
                };
                out.push_str(&styled);
                out.push('\n');
            }
        } else {
            out.push_str(&file.unified);
        }
    }
    out
}

/// The closing line of a diff run.
pub fn summary(report: &Report) -> String {
    if report.is_empty() {
        return "no changes: the rendered output is up to date\n".into();
    }
    let added: usize = report.files.iter().map(|f| f.added).sum();
    let removed: usize = report.files.iter().map(|f| f.removed).sum();
    format!(
        "{} {} in {} {} would change (+{added} -{removed}); {} data-loss {}\n",
        report.files.len(),
        plural(report.files.len(), "file", "files"),
        report.sites.len(),
        plural(report.sites.len(), "site", "sites"),
        report.findings.len(),
        plural(report.findings.len(), "finding", "findings"),
    )
}

/// A pull-request comment under [`MARKDOWN_LIMIT`] characters: the summary
/// table and the findings always whole, the diffs cut when they do not fit
/// (and the comment says so).
pub fn markdown(report: &Report) -> String {
    let mut head = String::from("## sitectl diff\n\n");
    if report.is_empty() {
        head.push_str("No changes: the rendered output is up to date.\n");
        return head;
    }
    head.push_str(&summary(report).replace(';', ","));
    head.push('\n');
    if !report.findings.is_empty() {
        head.push_str("### :warning: Data-loss findings\n\n| site | resource | kind | why |\n| --- | --- | --- | --- |\n");
        for f in &report.findings {
            let _ = writeln!(
                head,
                "| {} | `{}` | {} | {} |",
                cell(&f.site),
                cell(&f.resource),
                cell(&f.kind),
                cell(&f.reason)
            );
        }
        head.push('\n');
    }
    // The totals and the findings are always whole; the table lists sites
    // with findings first, then as many others as fit.
    head.push_str("| site | tier | deployment | targets | files | lines | findings |\n| --- | --- | --- | --- | ---: | --- | ---: |\n");
    let mut rows: Vec<&crate::diff::SiteSummary> = report.sites.iter().collect();
    rows.sort_by_key(|s| std::cmp::Reverse(s.findings > 0));
    let mut left_out = 0;
    for s in rows {
        let row = format!(
            "| {} | {} | {} | {} | {} | +{} −{} | {} |\n",
            cell(&s.site),
            cell(&s.tier),
            cell(&s.deployment),
            cell(&s.targets.join(", ")),
            s.files_changed,
            s.added,
            s.removed,
            s.findings
        );
        if head.len() + row.len() > MARKDOWN_LIMIT / 2 && s.findings == 0 {
            left_out += 1;
            continue;
        }
        head.push_str(&row);
    }
    if left_out > 0 {
        let _ = writeln!(
            head,
            "\n_{left_out} more changed sites are not listed, to keep this comment short._"
        );
    }
    head.push('\n');
    let note_room = 200;
    let mut body = String::new();
    let mut cut = 0;
    for s in &report.sites {
        let unified: String = report
            .files
            .iter()
            .filter(|f| f.site == s.site)
            .map(|f| f.unified.as_str())
            .collect();
        let block = format!(
            "<details><summary>{}</summary>\n\n{}\n</details>\n",
            cell(&s.site),
            fenced(&unified, "diff")
        );
        if head.len() + body.len() + block.len() + note_room > MARKDOWN_LIMIT {
            cut += 1;
            continue;
        }
        body.push_str(&block);
    }
    let mut out = head;
    out.push_str(&body);
    if cut > 0 {
        let _ = writeln!(
            out,
            "\n_The diffs of {cut} {} are left out to keep this comment under {MARKDOWN_LIMIT} characters; run `sitectl diff` for all of them._",
            plural(cut, "site", "sites")
        );
    }
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    changed: bool,
    findings: &'a [crate::diff::Finding],
    sites: &'a [crate::diff::SiteSummary],
    files: Vec<JsonFile<'a>>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    site: &'a str,
    path: &'a str,
    change: Change,
    added: usize,
    removed: usize,
    diff: &'a str,
}

pub fn json(report: &Report) -> String {
    let value = JsonReport {
        changed: !report.is_empty(),
        findings: &report.findings,
        sites: &report.sites,
        files: report
            .files
            .iter()
            .map(|f| JsonFile {
                site: &f.site,
                path: &f.path,
                change: f.change,
                added: f.added,
                removed: f.removed,
                diff: &f.unified,
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&value).expect("a diff report serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::diff::{Side, compare};

    /// Helm values of one trial site at a release: the lines around the tag
    /// make each site's diff as long as a real one.
    fn values(site: &str, release: &str) -> String {
        let mut text = format!(
            "site:\n  name: \"{site}\"\n  customer: \"Customer {site}\"\n  tier: \"trial\"\nimage:\n  repository: \"registry.example/app\"\n  tag: \"{release}\"\n  pullPolicy: \"IfNotPresent\"\n"
        );
        for line in 0..12 {
            text.push_str(&format!("setting{line}: \"value {line}\"\n"));
        }
        text
    }

    /// The same facts a render of two thousand changed trials gives
    /// `sitectl diff --format markdown`, built in memory: a new release
    /// everywhere, one file of each site changed.
    #[test]
    fn the_markdown_comment_stays_under_sixty_thousand_characters_for_two_thousand_sites() {
        let side = |release: &str| Side {
            files: (0..2000)
                .map(|i| {
                    let site = format!("trial-{i:04}");
                    let text = values(&site, release);
                    ((site, "helm/values.yaml".to_string()), text)
                })
                .collect(),
            sites: BTreeMap::new(),
        };
        let report = compare(&side("2026.11.1"), &side("2026.12.0"), &[]);
        let comment = markdown(&report);
        assert!(comment.len() < 60_000, "{} characters", comment.len());
        assert!(
            comment.contains("2000 files in 2000 sites would change"),
            "{}",
            &comment[..300]
        );
        assert!(comment.contains("left out to keep this comment under 60000 characters"));
        assert!(comment.contains("<details><summary>trial-0000</summary>"));
    }
}

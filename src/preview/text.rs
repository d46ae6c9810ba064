//! The preview for a terminal: the site, its tier's limits, who does what,
//! the resources per target and every generated file, in aligned columns.

use std::fmt::Write as _;

use crate::diagnostic::report;
use crate::preview::{Preview, file_path, size};

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// The preview for a terminal.
pub fn text(p: &Preview) -> String {
    let mut out = String::new();
    let w = &mut out;
    let spec = &p.site.spec;
    let _ = writeln!(
        w,
        "Preview: {} for {} ({} tier, {} deployment, blueprint `{}`)",
        p.site.metadata.name,
        printable(&p.site.metadata.customer),
        spec.tier,
        spec.deployment,
        p.blueprint
    );
    let _ = writeln!(w, "{}", p.blueprint_description);
    let _ = writeln!(w, "\nTier {}: {}", spec.tier, p.limits.tier_description);
    let mut rows: Vec<[String; 2]> = vec![[
        "seats".into(),
        format!("{} ({})", p.limits.seats, p.limits.seat_rule),
    ]];
    if let Some(trial) = p.trial_line() {
        rows.push(["trial".into(), trial]);
    }
    rows.extend([
        ["resources".into(), p.resource_line()],
        ["replicas".into(), p.limits.replicas.to_string()],
        ["backups".into(), p.backups_line()],
        ["features on".into(), list_or_none(&p.limits.features_on)],
        [
            "on this tier".into(),
            list_or_none(&p.limits.features_allowed),
        ],
    ]);
    if !p.limits.features_locked.is_empty() {
        rows.push(["higher tiers".into(), p.locked_line()]);
    }
    rows.push([
        "list price".into(),
        format!("{} ({})", p.price.headline(), p.price.basis()),
    ]);
    indented(w, &rows);
    let _ = writeln!(w, "\nResponsibilities");
    match &p.responsibilities {
        Some(r) => {
            let mut rows = vec![
                [
                    "app runs in".to_string(),
                    r.app_runs_in.clone(),
                    String::new(),
                ],
                [
                    "data lives in".into(),
                    r.data_lives_in.clone(),
                    String::new(),
                ],
            ];
            for (what, duty) in r.duties() {
                rows.push([what.into(), duty.who.as_str().into(), duty.note.clone()]);
            }
            indented(w, &rows);
        }
        None => {
            let _ = writeln!(w, "  blueprint `{}` does not state them", p.blueprint);
        }
    }
    for (target, description) in &p.targets {
        let _ = writeln!(w, "\nResources: {target} ({description})");
        let rows: Vec<[String; 3]> = p
            .resources
            .iter()
            .filter(|r| r.target == *target)
            .map(|r| {
                let data = if r.holds_data { " [data]" } else { "" };
                [
                    r.kind.clone(),
                    r.name.clone(),
                    format!("{}{data}", r.description),
                ]
            })
            .collect();
        if rows.is_empty() {
            let _ = writeln!(w, "  (settings only: no resources of its own)");
        }
        indented(w, &rows);
    }
    let total: usize = p.files.iter().map(|f| f.contents.len()).sum();
    let _ = writeln!(w, "\nFiles ({}, {})", p.files.len(), size(total));
    let rows: Vec<[String; 2]> = p
        .files
        .iter()
        .map(|f| [file_path(f), size(f.contents.len())])
        .collect();
    indented(w, &rows);
    out
}

fn indented<R: AsRef<[String]>>(w: &mut String, rows: &[R]) {
    for line in report::aligned(rows).lines() {
        let _ = writeln!(w, "  {line}");
    }
}

/// Spec text on a terminal: control characters shown as `?`, so a hostile
/// customer name cannot move the cursor or recolour the screen.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

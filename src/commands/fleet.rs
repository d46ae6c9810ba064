//! `sitectl inventory` and `sitectl expired`: the fleet as of a date.

use jiff::civil::Date;

use super::{CommandError, Context, Outcome, diagnostics_outcome, paths_or_sites, today};
use crate::commands::args::{ExpiredArgs, InventoryArgs, ListFormat};
use crate::diagnostic::report::Format;
use crate::diagnostic::words::plural;
use crate::fleet::inventory::{self, Row};
use crate::workspace::Workspace;

/// Rows of the valid specs as of a date, and the outcome so far: invalid
/// specs are reported and counted, never dropped silently.
fn fleet(
    paths: &[std::path::PathBuf],
    as_of: Option<Date>,
    ws: &Workspace,
    context: &Context,
) -> Result<(Vec<Row>, Outcome, Date), CommandError> {
    let today = today(as_of, context)?;
    let checked = crate::validate::validate(&paths_or_sites(paths, ws), &ws.blueprints);
    let mut outcome = Outcome::default();
    if checked.error_count() > 0 {
        let invalid = checked.files_with_errors();
        let summary = format!(
            "error: {invalid} invalid spec {} left out of the list (fix them: `sitectl validate`)\n",
            plural(invalid, "file", "files")
        );
        outcome = diagnostics_outcome(&checked.diagnostics, Format::Text, context, summary);
    }
    let rows = match &checked.catalog {
        Some(catalog) => inventory::rows(&checked.sites, catalog, today),
        None => Vec::new(),
    };
    Ok((rows, outcome, today))
}

fn list(rows: &[Row], format: ListFormat, today: Date) -> String {
    match format {
        ListFormat::Table => inventory::table(rows, today),
        ListFormat::Json => inventory::json(rows),
        ListFormat::Csv => inventory::csv(rows),
    }
}

pub(super) fn inventory(
    args: &InventoryArgs,
    ws: &Workspace,
    context: &Context,
) -> Result<Outcome, CommandError> {
    let (rows, mut outcome, today) = fleet(&args.paths, args.as_of, ws, context)?;
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| args.tier.is_none_or(|t| r.tier == t.as_str()))
        .filter(|r| args.deployment.is_none_or(|d| r.deployment == d.as_str()))
        .filter(|r| {
            args.expiring_within
                .is_none_or(|days| r.trial_days_left.is_some_and(|left| left <= days))
        })
        .collect();
    outcome.stdout = list(&rows, args.format, today);
    Ok(outcome)
}

pub(super) fn expired(
    args: &ExpiredArgs,
    ws: &Workspace,
    context: &Context,
) -> Result<Outcome, CommandError> {
    let (rows, mut outcome, today) = fleet(&args.paths, args.as_of, ws, context)?;
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| r.trial_days_left.is_some_and(|left| left <= args.within))
        .collect();
    let past = rows
        .iter()
        .filter(|r| r.trial_days_left.is_some_and(|left| left <= 0))
        .count();
    outcome.stdout = list(&rows, args.format, today);
    outcome.stderr.push_str(&format!(
        "{past} {} past {} end as of {today}; {} ending within {} days\n",
        plural(past, "trial", "trials"),
        plural(past, "its", "their"),
        rows.len() - past,
        args.within
    ));
    // A scheduled job alerts on this exit code.
    if past > 0 {
        outcome.code = 1;
    }
    Ok(outcome)
}

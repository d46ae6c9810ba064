//! Runs a parsed command line and says what to print, without printing.

pub mod args;

use crate::commands::args::{
    Cli, Command, DiffArgs, ExpiredArgs, InventoryArgs, ListFormat, NewArgs, RenderArgs,
    ValidateArgs,
};
use crate::diagnostic::report::{self, Format};
use crate::diff::format::{self, DiffFormat};
use crate::diff::{self, Side};
use crate::fleet::inventory;
use crate::lifecycle::scaffold;
use crate::render::pipeline;
use crate::validate;
use crate::validate::schema::SITE_SCHEMA;

mod handoff;
mod preview;
mod promote;
mod reclaim;

/// What a command has to say, and how it ends.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    /// 0 success, 1 a problem was found, 2 usage error.
    pub code: u8,
}

/// Told `(done, total)` as a long command goes.
pub type ProgressFn = std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>;
/// Shows one whole line of output.
pub type EmitFn = std::sync::Arc<dyn Fn(&str) + Send + Sync>;
/// Asks a yes/no question.
pub type ConfirmFn = std::sync::Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// Settings that come from the environment rather than the command line.
#[derive(Clone, Default)]
pub struct Context {
    /// Whether diagnostics on stderr may use colour.
    pub color: bool,
    /// `SITECTL_TODAY`, which fixes "today" for reproducible runs (like
    /// `SOURCE_DATE_EPOCH`); read only by the commands that need a date.
    pub today: Option<String>,
    /// Told `(done, total)` as a long command goes, to draw a progress bar
    /// on a terminal; `None` where nobody is watching.
    pub progress: Option<ProgressFn>,
    /// Shows one line of a hand-off's output as it happens (whole lines,
    /// prefixed with the site); `None` collects them into the outcome.
    pub emit: Option<EmitFn>,
    /// Asks the person at the terminal a yes/no question; `None` when there
    /// is nobody to ask (then apply and destroy need `--yes`).
    pub confirm: Option<ConfirmFn>,
}

pub fn run(cli: &Cli, context: &Context) -> Outcome {
    match &cli.command {
        Command::Validate(args) => validate_command(cli, args, context),
        Command::New(args) => new_command(cli, args, context),
        Command::Schema => Outcome {
            stdout: SITE_SCHEMA.to_string(),
            ..Outcome::default()
        },
        Command::Render(args) => render_command(cli, args, context),
        Command::Diff(args) => diff_command(cli, args, context),
        Command::Inventory(args) => inventory_command(cli, args, context),
        Command::Expired(args) => expired_command(cli, args, context),
        Command::Promote(args) => promote::promote_command(cli, args, context),
        Command::Reclaim(args) => reclaim::reclaim_command(cli, args, context),
        Command::Preview(args) => preview::preview_command(cli, args, context),
        Command::Plan(args) => handoff::handoff_command(cli, args, context, handoff::Action::Plan),
        Command::Apply(args) => {
            handoff::handoff_command(cli, args, context, handoff::Action::Apply)
        }
        Command::Destroy(args) => {
            handoff::handoff_command(cli, args, context, handoff::Action::Destroy)
        }
    }
}

fn validate_command(cli: &Cli, args: &ValidateArgs, context: &Context) -> Outcome {
    let checked = validate::validate(&args.paths, &cli.blueprints);
    let mut summary = report::validation_summary(
        checked.files,
        checked.error_count(),
        checked.files_with_errors(),
    );
    if checked.catalog.is_none() {
        summary.push_str(
            "note: tier policy was not checked: the tier catalog has errors (see above)\n",
        );
    }
    diagnostics_outcome(&checked, args.format, context, summary)
}

fn render_command(cli: &Cli, args: &RenderArgs, context: &Context) -> Outcome {
    let progress = |done: usize, total: usize| {
        if let Some(show) = &context.progress {
            show(done, total);
        }
    };
    match pipeline::render(
        &args.paths,
        &cli.blueprints,
        &args.out,
        args.target.as_deref(),
        &progress,
    ) {
        Ok(summary) => Outcome {
            stderr: report::render_summary(&summary),
            ..Outcome::default()
        },
        Err(checked) => {
            let count = checked.error_count();
            let summary = format!(
                "error: {count} error{}: nothing was written\n",
                if count == 1 { "" } else { "s" }
            );
            diagnostics_outcome(&checked, args.format, context, summary)
        }
    }
}

fn diff_command(cli: &Cli, args: &DiffArgs, context: &Context) -> Outcome {
    let explicit = !args.paths.is_empty();
    let paths = if explicit {
        args.paths.clone()
    } else {
        vec![std::path::PathBuf::from("sites")]
    };
    let cannot = |checked: &validate::Checked| {
        diagnostics_outcome(
            checked,
            Format::Text,
            context,
            "error: cannot diff: the specs or blueprints are invalid\n".into(),
        )
    };
    let new = match pipeline::render_all(&paths, &cli.blueprints, None, &|_, _| {}) {
        Ok(rendered) => rendered,
        Err(checked) => return cannot(&checked),
    };
    let mut data = new.data.clone();
    let old = match &args.base {
        Some(revision) => {
            let mut wanted: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
            wanted.push(&cli.blueprints);
            let snapshot = match crate::diff::base::snapshot(revision, &wanted) {
                Ok(snapshot) => snapshot,
                Err(error) => {
                    return Outcome {
                        stderr: format!("error: --base {revision}: {error}\n"),
                        code: 1,
                        ..Outcome::default()
                    };
                }
            };
            let base_paths: Vec<_> = paths.iter().map(|p| snapshot.root.join(p)).collect();
            match pipeline::render_all(
                &base_paths,
                &snapshot.root.join(&cli.blueprints),
                None,
                &|_, _| {},
            ) {
                Ok(base) => {
                    data.extend(base.data.clone());
                    let prefix = format!("{}/", crate::source::load::display_name(&snapshot.root));
                    // Headers name the spec's path: the base's lives in the snapshot.
                    let files: Vec<_> = base
                        .files
                        .into_iter()
                        .map(|mut f| {
                            f.contents = f.contents.replacen(&prefix, "", 1);
                            f
                        })
                        .collect();
                    Side::from_render(&files, base.sites)
                }
                // A base that does not render (it was broken) compares as empty.
                Err(_) if paths.iter().all(|p| !snapshot.root.join(p).exists()) => Side::default(),
                Err(checked) => {
                    return diagnostics_outcome(
                        &checked,
                        Format::Text,
                        context,
                        format!(
                            "error: cannot diff: the specs or blueprints at {revision} do not render\n"
                        ),
                    );
                }
            }
        }
        None => {
            let only: Option<std::collections::BTreeSet<String>> =
                explicit.then(|| new.sites.keys().cloned().collect());
            Side::from_disk(&args.out, only.as_ref())
        }
    };
    let new_side = Side::from_render(&new.files, new.sites.clone());
    let report = diff::compare(&old, &new_side, &data);
    let mut outcome = Outcome::default();
    match args.format {
        DiffFormat::Text => {
            outcome.stdout = format::text(&report, context.color);
            outcome.stderr = format::summary(&report);
        }
        DiffFormat::Markdown => outcome.stdout = format::markdown(&report),
        DiffFormat::Json => outcome.stdout = format::json(&report),
    }
    let stale = args.check && !report.is_empty();
    if stale {
        outcome.stderr.push_str(
            "error: the rendered output is stale: run `sitectl render` and commit the result\n",
        );
    }
    outcome.code = u8::from(stale || !report.findings.is_empty());
    outcome
}

/// "Today": `--as-of`, else `SITECTL_TODAY`, else the UTC date.
fn as_of(flag: Option<jiff::civil::Date>, context: &Context) -> Result<jiff::civil::Date, Outcome> {
    if let Some(date) = flag {
        return Ok(date);
    }
    match &context.today {
        None => Ok(jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()),
        Some(text) => text.parse().map_err(|_| Outcome {
            stderr: format!("error: SITECTL_TODAY must be a date as YYYY-MM-DD, not `{text}`\n"),
            code: 2,
            ..Outcome::default()
        }),
    }
}

/// Rows of the valid specs as of a date; invalid ones are reported and
/// counted, never dropped silently. `Err` is a bad date.
fn fleet(
    cli: &Cli,
    paths: &[std::path::PathBuf],
    as_of_flag: Option<jiff::civil::Date>,
    context: &Context,
) -> Result<(Vec<inventory::Row>, Outcome, jiff::civil::Date), Outcome> {
    let today = as_of(as_of_flag, context)?;
    let checked = validate::validate(paths, &cli.blueprints);
    let mut outcome = Outcome::default();
    if checked.error_count() > 0 {
        let summary = format!(
            "error: {} invalid spec file{} left out of the list (fix them: `sitectl validate`)\n",
            checked.files_with_errors(),
            if checked.files_with_errors() == 1 {
                ""
            } else {
                "s"
            }
        );
        outcome = diagnostics_outcome(&checked, Format::Text, context, summary);
    }
    let rows = match &checked.catalog {
        Some(catalog) => inventory::rows(&checked.sites, catalog, today),
        None => Vec::new(),
    };
    Ok((rows, outcome, today))
}

fn list_output(rows: &[inventory::Row], format: ListFormat, today: jiff::civil::Date) -> String {
    match format {
        ListFormat::Table => inventory::table(rows, today),
        ListFormat::Json => inventory::json(rows),
        ListFormat::Csv => inventory::csv(rows),
    }
}

fn inventory_command(cli: &Cli, args: &InventoryArgs, context: &Context) -> Outcome {
    let (rows, mut outcome, today) = match fleet(cli, &args.paths, args.as_of, context) {
        Ok(fleet) => fleet,
        Err(outcome) => return outcome,
    };
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| args.tier.is_none_or(|t| r.tier == t.as_str()))
        .filter(|r| args.deployment.is_none_or(|d| r.deployment == d.as_str()))
        .filter(|r| {
            args.expiring_within
                .is_none_or(|days| r.trial_days_left.is_some_and(|left| left <= days))
        })
        .collect();
    outcome.stdout = list_output(&rows, args.format, today);
    outcome
}

fn expired_command(cli: &Cli, args: &ExpiredArgs, context: &Context) -> Outcome {
    let (rows, mut outcome, today) = match fleet(cli, &args.paths, args.as_of, context) {
        Ok(fleet) => fleet,
        Err(outcome) => return outcome,
    };
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| r.trial_days_left.is_some_and(|left| left <= args.within))
        .collect();
    let past = rows
        .iter()
        .filter(|r| r.trial_days_left.is_some_and(|left| left <= 0))
        .count();
    outcome.stdout = list_output(&rows, args.format, today);
    outcome.stderr.push_str(&format!(
        "{past} trial{} past {} end as of {today}; {} ending within {} days\n",
        if past == 1 { "" } else { "s" },
        if past == 1 { "its" } else { "their" },
        rows.len() - past,
        args.within
    ));
    // A scheduled job alerts on this exit code.
    if past > 0 {
        outcome.code = 1;
    }
    outcome
}

/// Diagnostics in the chosen format, then the closing line; exit 1 if any.
fn diagnostics_outcome(
    checked: &validate::Checked,
    format: Format,
    context: &Context,
    summary: String,
) -> Outcome {
    let mut outcome = Outcome {
        code: u8::from(checked.error_count() > 0),
        ..Outcome::default()
    };
    match format {
        Format::Text => {
            for diagnostic in &checked.diagnostics {
                outcome
                    .stderr
                    .push_str(&report::text(diagnostic, &checked.sources, context.color));
            }
            outcome.stderr.push_str(&summary);
        }
        Format::Json => outcome.stdout = report::json(&checked.diagnostics, checked.files),
        Format::Github => {
            outcome.stdout = report::github(&checked.diagnostics);
            outcome.stderr = summary;
        }
    }
    outcome
}

fn new_command(cli: &Cli, args: &NewArgs, context: &Context) -> Outcome {
    let today = match as_of(None, context) {
        Ok(today) => today,
        Err(outcome) => return outcome,
    };
    match scaffold::create(args, &cli.blueprints, today) {
        Ok(created) => Outcome {
            stderr: format!(
                "created {} ({} site on {}); check it with `sitectl validate {}`\n",
                created.display, args.tier, args.deployment, created.display
            ),
            ..Outcome::default()
        },
        Err(scaffold::ScaffoldError::Invalid(checked)) => {
            let mut stderr = String::new();
            for diagnostic in &checked.diagnostics {
                stderr.push_str(&report::text(diagnostic, &checked.sources, context.color));
            }
            stderr.push_str("error: nothing was written\n");
            Outcome {
                stderr,
                code: 1,
                ..Outcome::default()
            }
        }
        Err(error) => Outcome {
            stderr: format!("error: {error}\n"),
            code: error.exit_code(),
            ..Outcome::default()
        },
    }
}

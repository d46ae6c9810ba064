//! Runs a parsed command line and says what to print, without printing.

use crate::cli::{
    Cli, Command, DiffArgs, ExpiredArgs, HandoffArgs, InventoryArgs, ListFormat, NewArgs,
    PromoteArgs, RenderArgs, ValidateArgs,
};
use crate::diff::{self, Side};
use crate::diff_format::{self, DiffFormat};
use crate::handoff;
use crate::inventory;
use crate::pipeline;
use crate::report::{self, Format};
use crate::scaffold;
use crate::schema::SITE_SCHEMA;
use crate::validate;

mod preview;

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
    if let Some((name, issue)) = cli.command.planned_in() {
        return Outcome {
            stderr: format!(
                "error: `sitectl {name}` is not implemented yet (planned in issue #{issue}); see `sitectl --help`\n"
            ),
            code: 2,
            ..Outcome::default()
        };
    }
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
        Command::Promote(args) => promote_command(cli, args, context),
        Command::Plan(args) => handoff_command(cli, args, context, handoff::Action::Plan),
        Command::Apply(args) => handoff_command(cli, args, context, handoff::Action::Apply),
        Command::Destroy(args) => handoff_command(cli, args, context, handoff::Action::Destroy),
        Command::Preview(args) => preview::preview_command(cli, args, context),
        _ => unreachable!("every other command is planned"),
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
            let snapshot = match crate::git_base::snapshot(revision, &wanted) {
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
                    let prefix = format!("{}/", crate::load::display_name(&snapshot.root));
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
            outcome.stdout = diff_format::text(&report, context.color);
            outcome.stderr = diff_format::summary(&report);
        }
        DiffFormat::Markdown => outcome.stdout = diff_format::markdown(&report),
        DiffFormat::Json => outcome.stdout = diff_format::json(&report),
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

/// Renders one spec text as if it were the file at `path`, for a proof
/// before anything is written.
fn render_text(
    cli: &Cli,
    path: &std::path::Path,
    text: &str,
) -> Result<pipeline::Rendered, Box<validate::Checked>> {
    let scratch = std::env::temp_dir().join(format!(
        "sitectl-promote-{}-{}",
        std::process::id(),
        text.len()
    ));
    let file = scratch.join(path.file_name().unwrap_or_default());
    let written = std::fs::create_dir_all(&scratch).and_then(|()| std::fs::write(&file, text));
    let rendered = match written {
        Ok(()) => pipeline::render_all(
            std::slice::from_ref(&file),
            &cli.blueprints,
            None,
            &|_, _| {},
        ),
        Err(error) => {
            let problem = crate::write::WriteError {
                path: crate::load::display_name(&file),
                message: error.to_string(),
            };
            let diagnostic =
                crate::diagnostic::Diagnostic::error(problem.path.clone(), None, &problem);
            Err(Box::new(validate::Checked {
                diagnostics: vec![diagnostic],
                ..validate::Checked::default()
            }))
        }
    };
    let _ = std::fs::remove_dir_all(&scratch);
    rendered
}

fn promote_command(cli: &Cli, args: &PromoteArgs, context: &Context) -> Outcome {
    let fail = |code: u8, message: String| Outcome {
        stderr: message,
        code,
        ..Outcome::default()
    };
    let path = match crate::promote::find(&args.dir, &args.site) {
        Ok(path) => path,
        Err(error) => return fail(2, format!("error: {error}\n")),
    };
    let checked = validate::validate(std::slice::from_ref(&path), &cli.blueprints);
    if checked.error_count() > 0 {
        return diagnostics_outcome(
            &checked,
            Format::Text,
            context,
            "error: the spec is invalid: fix it before promoting it\n".into(),
        );
    }
    let (document, site) = match crate::promote::read(&path) {
        Ok(read) => read,
        Err(error) => return fail(1, format!("error: {error}\n")),
    };
    let today = as_of(None, context).ok();
    let options = crate::promote::Options {
        seats: args.seats,
        license_end: args.license_end,
        annual_price: args.annual_price,
        today,
    };
    let text = match crate::promote::promoted_text(&document, &site, args.to, &options) {
        Ok(text) => text,
        Err(error) => return fail(2, format!("error: {error}\n")),
    };
    // The promoted spec must validate against the catalog, as written.
    let source = crate::load::Source {
        path: path.clone(),
        name: document.source.name.clone(),
        text: text.clone(),
    };
    if let validate::FileOutcome::Parsed { diagnostics, .. } =
        validate::check_source(source.clone(), checked.catalog.as_ref())
        && !diagnostics.is_empty()
    {
        let mut invalid = validate::Checked {
            diagnostics,
            ..validate::Checked::default()
        };
        invalid
            .sources
            .insert(source.name.clone(), source.text.clone());
        return diagnostics_outcome(
            &invalid,
            Format::Text,
            context,
            "error: the promoted spec would be invalid: nothing was written\n".into(),
        );
    }
    // The proof: render before and after, and let the data-loss gate compare.
    let (before, after) = match (
        render_text(cli, &path, &document.source.text),
        render_text(cli, &path, &text),
    ) {
        (Ok(before), Ok(after)) => (before, after),
        (Err(checked), _) | (_, Err(checked)) => {
            return diagnostics_outcome(
                &checked,
                Format::Text,
                context,
                "error: the site does not render: nothing was written\n".into(),
            );
        }
    };
    let mut data = before.data.clone();
    data.extend(after.data.clone());
    let report = diff::compare(
        &Side::from_render(&before.files, before.sites),
        &Side::from_render(&after.files, after.sites),
        &data,
    );
    let mut outcome = Outcome {
        stdout: diff_format::text(&report, context.color),
        ..Outcome::default()
    };
    if !report.findings.is_empty() {
        outcome.stderr =
            "error: the promotion would lose customer data: nothing was written\n".into();
        outcome.code = 1;
        return outcome;
    }
    if let Err(error) = crate::write::write_atomic(&path, text.as_bytes()) {
        return fail(
            1,
            format!("error: cannot write {}: {error}\n", document.source.name),
        );
    }
    outcome.stderr = format!(
        "promoted `{}` from {} to {}: {} edited in place; {} rendered file{} change, no data-loss finding; run `sitectl render`\n",
        site.metadata.name,
        site.spec.tier,
        args.to,
        document.source.name,
        report.files.len(),
        if report.files.len() == 1 { "" } else { "s" }
    );
    outcome
}

fn handoff_command(
    cli: &Cli,
    args: &HandoffArgs,
    context: &Context,
    action: handoff::Action,
) -> Outcome {
    let fail = |code: u8, message: String| Outcome {
        stderr: message,
        code,
        ..Outcome::default()
    };
    let paths = vec![std::path::PathBuf::from("sites")];
    let rendered = match pipeline::render_all(&paths, &cli.blueprints, None, &|_, _| {}) {
        Ok(rendered) => rendered,
        Err(checked) => {
            return diagnostics_outcome(
                &checked,
                Format::Text,
                context,
                format!(
                    "error: refusing to {}: the specs or blueprints are invalid; fix them (`sitectl validate`)\n",
                    action.name()
                ),
            );
        }
    };
    let known: std::collections::BTreeSet<&str> =
        rendered.sites.keys().map(String::as_str).collect();
    if let Some(unknown) = args.sites.iter().find(|s| !known.contains(s.as_str())) {
        return fail(
            2,
            format!("error: no site named `{unknown}` under sites/\n"),
        );
    }
    let chosen: Vec<&validate::ValidSite> = rendered
        .valid
        .iter()
        .filter(|v| args.sites.is_empty() || args.sites.contains(&v.site.metadata.name))
        .collect();
    // A site whose committed output is not what its spec renders to is
    // refused: the tools would apply something nobody reviewed.
    let names: std::collections::BTreeSet<String> = chosen
        .iter()
        .map(|v| v.site.metadata.name.clone())
        .collect();
    let new_files: Vec<_> = rendered
        .files
        .iter()
        .filter(|f| names.contains(&f.site))
        .cloned()
        .collect();
    let report = diff::compare(
        &Side::from_disk(&args.out, Some(&names)),
        &Side::from_render(&new_files, Default::default()),
        &[],
    );
    let stale: std::collections::BTreeSet<&str> =
        report.files.iter().map(|f| f.site.as_str()).collect();
    let mut stderr = String::new();
    for site in &stale {
        stderr.push_str(&format!("error: the rendered output of `{site}` is stale or missing: run `sitectl render` (and commit it) first\n"));
    }
    let allow: std::collections::BTreeSet<String> = args.allow_data_loss.iter().cloned().collect();
    let work: Vec<handoff::SiteWork> = chosen
        .iter()
        .filter(|v| !stale.contains(v.site.metadata.name.as_str()))
        .map(|v| handoff::work_for(&args.out, v, args.target.as_deref(), &rendered.data, &allow))
        .filter(|w| !w.targets.is_empty())
        .collect();
    let tools = handoff::Tools::find(args.terraform_bin.as_deref());
    let chart = cli.blueprints.join("charts/site");
    let chart = std::fs::canonicalize(&chart).unwrap_or(chart);
    if args.dry_run {
        let mut stdout = String::new();
        for w in &work {
            for target in &w.targets {
                match handoff::steps(action, w, target, &tools, &chart) {
                    Ok(steps) => steps
                        .iter()
                        .for_each(|s| stdout.push_str(&format!("{}\n", s.display()))),
                    Err(error) => {
                        stderr.push_str(&format!("error: {}/{target}: {error}\n", w.site))
                    }
                }
            }
        }
        let code = u8::from(!stale.is_empty() || stderr.contains("error:"));
        return Outcome {
            stdout,
            stderr,
            code,
        };
    }
    if action != handoff::Action::Plan && !args.yes && !work.is_empty() {
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
        match &context.confirm {
            Some(ask) if ask(&question) => {}
            Some(_) => {
                return fail(
                    1,
                    format!(
                        "{stderr}aborted: nothing was {}ed\n",
                        action.name().trim_end_matches('e')
                    ),
                );
            }
            None => {
                return fail(
                    2,
                    format!(
                        "{stderr}error: refusing to {} without --yes when not on a terminal\n",
                        action.name()
                    ),
                );
            }
        }
    }
    let collected = std::sync::Mutex::new(String::new());
    let emit = |line: &str| match &context.emit {
        Some(emit) => emit(line),
        None => {
            let mut out = collected.lock().unwrap_or_else(|e| e.into_inner());
            out.push_str(line);
            out.push('\n');
        }
    };
    let timeout = std::time::Duration::from_secs(args.timeout);
    let outcomes = handoff::run(action, &work, &tools, &chart, args.jobs, timeout, &emit);
    stderr.push_str(&handoff::summary_table(&outcomes));
    let failed = handoff::failed_sites(&outcomes);
    let code = u8::from(!failed.is_empty() || !stale.is_empty());
    Outcome {
        stdout: collected.into_inner().unwrap_or_default(),
        stderr,
        code,
    }
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
    let today = match &context.today {
        None => jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date(),
        Some(text) => match text.parse() {
            Ok(date) => date,
            Err(_) => {
                return Outcome {
                    stderr: format!(
                        "error: SITECTL_TODAY must be a date as YYYY-MM-DD, not `{text}`\n"
                    ),
                    code: 2,
                    ..Outcome::default()
                };
            }
        },
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

//! Runs a parsed command line and says what to print, without printing.

use crate::cli::{Cli, Command, NewArgs, RenderArgs, ValidateArgs};
use crate::pipeline;
use crate::report::{self, Format};
use crate::scaffold;
use crate::schema::SITE_SCHEMA;
use crate::validate;

/// What a command has to say, and how it ends.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    /// 0 success, 1 a problem was found, 2 usage error.
    pub code: u8,
}

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
    pub progress: Option<std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>>,
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

//! The command layer: a parsed command line in, an [`Outcome`] out (what to
//! print and the exit code), without printing. One file per command, each
//! split into plan → execute → report; the only layer that knows clap
//! ([`args`]) or the [`Workspace`] folders' defaults.

mod affected;
pub mod args;
mod bundle;
mod diff;
mod drift;
mod engines;
mod fleet;
mod handoff;
mod preflight;
pub use handoff::interrupted;
mod init;
mod license;
mod new;
mod preview;
mod promote;
mod reclaim;
mod render;
mod trial;
mod unlock;
mod validate;

use jiff::civil::Date;

use crate::commands::args::{Cli, Command};
use crate::diagnostic::Diagnostics;
use crate::diagnostic::report::{self, Format};
use crate::workspace::Workspace;

/// What a command has to say, and how it ends.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    /// 0 success, 1 a problem was found, 2 usage error.
    pub code: u8,
}

impl Outcome {
    /// A line on stderr, and success.
    fn note(stderr: String) -> Outcome {
        Outcome {
            stderr,
            ..Outcome::default()
        }
    }
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

/// Why a command stopped before its work was done, with its exit code.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CommandError {
    /// The command line asks for something that cannot be (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The command ran and hit a problem (exit 1).
    #[error("{0}")]
    Failed(String),
    /// Asked, the person said no (exit 1).
    #[error("{0}")]
    Aborted(String),
    /// Specs, blueprints or flags with errors: every diagnostic, then a
    /// closing line (exit 1).
    #[error("{summary}")]
    Invalid {
        diagnostics: Box<Diagnostics>,
        summary: String,
    },
}

impl CommandError {
    pub(crate) fn invalid(diagnostics: Box<Diagnostics>, summary: impl Into<String>) -> Self {
        CommandError::Invalid {
            diagnostics,
            summary: summary.into(),
        }
    }

    fn exit_code(&self) -> u8 {
        match self {
            CommandError::Usage(_) => 2,
            CommandError::Failed(_) | CommandError::Aborted(_) | CommandError::Invalid { .. } => 1,
        }
    }

    /// What the command prints as it stops.
    fn outcome(self, context: &Context) -> Outcome {
        let code = self.exit_code();
        match self {
            CommandError::Usage(message) | CommandError::Failed(message) => Outcome {
                stderr: format!("error: {message}\n"),
                code,
                ..Outcome::default()
            },
            CommandError::Aborted(message) => Outcome {
                stderr: format!("aborted: {message}\n"),
                code,
                ..Outcome::default()
            },
            CommandError::Invalid {
                diagnostics,
                summary,
            } => Outcome {
                code,
                ..diagnostics_outcome(&diagnostics, Format::Text, context, summary)
            },
        }
    }
}

pub fn run(cli: &Cli, context: &Context) -> Outcome {
    let cwd = std::env::current_dir().unwrap_or_default();
    let workspace = Workspace::find(&cwd, cli.overrides());
    let ws = &workspace;
    let needs_repository = !matches!(
        &cli.command,
        Command::Schema | Command::Completions(_) | Command::Man | Command::Init(_)
    ) && !matches!(
        // Checking a customer's key against a named public key needs no
        // repository.
        &cli.command,
        Command::License(args::LicenseArgs {
            command: args::LicenseCommand::Verify(args::LicenseVerifyArgs {
                public_key: Some(_),
                ..
            })
        })
    );
    if !ws.found && needs_repository {
        // As git and cargo do outside a repository: say so, and how to
        // point at one, rather than fail on each missing file.
        return CommandError::Usage(format!(
            "no sites repository here: no {}/{} in {} or any folder above it\n  = help: run sitectl inside a sites repository, or name its blueprints with --blueprints DIR (or SITECTL_BLUEPRINTS)",
            crate::workspace::BLUEPRINTS,
            crate::validate::catalog::CATALOG_FILE,
            cwd.display()
        ))
        .outcome(context);
    }
    let result = match &cli.command {
        Command::Validate(args) => Ok(validate::validate(args, ws, context)),
        Command::Schema => Ok(validate::schema()),
        Command::Unlock(args) => unlock::unlock(args, ws),
        Command::Init(args) => init::init(args, context),
        Command::Completions(args) => Ok(Outcome {
            stdout: args::completion_script(args.shell),
            ..Outcome::default()
        }),
        Command::Man => Ok(Outcome {
            stdout: args::man_page(),
            ..Outcome::default()
        }),
        Command::New(args) => new::new(args, ws, context),
        Command::Render(args) => Ok(render::render(args, ws, context)),
        Command::Diff(args) => diff::diff(args, ws, context),
        Command::Affected(args) => affected::affected(args, ws),
        Command::Inventory(args) => fleet::inventory(args, ws, context),
        Command::Expired(args) => fleet::expired(args, ws, context),
        Command::Promote(args) => promote::promote(args, ws, context),
        Command::Reclaim(args) => reclaim::reclaim(args, ws, context),
        Command::Preview(args) => preview::preview(args, ws, context),
        Command::Plan(args) => handoff::handoff(args, ws, context, handoff::Action::Plan),
        Command::Apply(args) => handoff::handoff(args, ws, context, handoff::Action::Apply),
        Command::Destroy(args) => handoff::handoff(args, ws, context, handoff::Action::Destroy),
        Command::Drift(args) => drift::drift(args, ws, context),
        Command::Atlantis(args) => engines::atlantis(args, ws),
        Command::Gate(args) => engines::gate(args, ws),
        Command::Gitops(args) => engines::gitops(args, ws),
        Command::License(args) => license::license(args, ws, context),
        Command::Bundle(args) => bundle::bundle(args, ws, context),
        Command::Trial(args) => trial::trial(args, ws, context),
    };
    result.unwrap_or_else(|error| error.outcome(context))
}

/// "Today": `--as-of`, else `SITECTL_TODAY`, else the UTC date. The one
/// place a command learns the date.
fn today(as_of: Option<Date>, context: &Context) -> Result<Date, CommandError> {
    if let Some(date) = as_of {
        return Ok(date);
    }
    match &context.today {
        None => Ok(jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()),
        Some(text) => text.parse().map_err(|_| {
            CommandError::Usage(format!(
                "SITECTL_TODAY must be a date as YYYY-MM-DD, not `{text}`"
            ))
        }),
    }
}

/// The paths a command was given, or the workspace's specs folder.
fn paths_or_sites(paths: &[std::path::PathBuf], ws: &Workspace) -> Vec<std::path::PathBuf> {
    if paths.is_empty() {
        vec![ws.sites.clone()]
    } else {
        paths.to_vec()
    }
}

/// What the specs under `paths` and the blueprints render to, in memory;
/// invalid ones are an error whose closing line is `refusal`.
fn render_specs(
    paths: &[std::path::PathBuf],
    ws: &Workspace,
    check: crate::render::pipeline::OutputCheck,
    refusal: String,
) -> Result<crate::render::pipeline::Rendered, CommandError> {
    crate::render::pipeline::render_all_as(
        crate::validate::Specs::Paths(paths.to_vec()),
        &ws.blueprints,
        None,
        check,
        &|_, _| {},
    )
    .map_err(|diagnostics| CommandError::invalid(diagnostics, refusal))
}

/// Diagnostics in the chosen format, then the closing line; exit 1 if any.
fn diagnostics_outcome(
    diagnostics: &Diagnostics,
    format: Format,
    context: &Context,
    summary: String,
) -> Outcome {
    let mut outcome = Outcome {
        code: u8::from(!diagnostics.is_empty()),
        ..Outcome::default()
    };
    match format {
        Format::Text => {
            for diagnostic in &diagnostics.list {
                outcome.stderr.push_str(&report::text(
                    diagnostic,
                    &diagnostics.sources,
                    context.color,
                ));
            }
            outcome.stderr.push_str(&summary);
        }
        Format::Json => outcome.stdout = report::json(&diagnostics.list, diagnostics.files),
        Format::Github => {
            outcome.stdout = report::github(&diagnostics.list);
            outcome.stderr = summary;
        }
    }
    outcome
}

//! `sitectl preview`: the command around [`crate::preview`].

use std::path::Path;

use super::{CommandError, Context, Outcome, today};
use crate::commands::args::{PreviewArgs, PreviewFormat};
use crate::diagnostic::Diagnostics;
use crate::diagnostic::words::plural;
use crate::preview::flags::Inputs;
use crate::preview::{self, Preview, PreviewError};
use crate::source::load::display_name;
use crate::workspace::Workspace;

pub(super) fn preview(
    args: &PreviewArgs,
    ws: &Workspace,
    context: &Context,
) -> Result<Outcome, CommandError> {
    // The trial starts today: SITECTL_TODAY makes a preview reproducible.
    let today = today(None, context)?;
    let app_version = args
        .app_version
        .clone()
        .or_else(|| crate::lifecycle::scaffold::newest_app_version(&ws.sites))
        .ok_or_else(|| {
            CommandError::Usage(format!(
                "no spec under {} to take the app version from: pass --app-version, e.g. --app-version 2026.11.1",
                display_name(&ws.sites)
            ))
        })?;
    let inputs = Inputs {
        tier: args.tier,
        deployment: args.deployment,
        customer: args.customer.as_deref(),
        name: args.name.as_deref(),
        seats: args.seats,
        features: &args.features,
        sets: &args.set,
        app_version: &app_version,
        today,
        domain: args.domain.as_deref(),
    };
    let mut preview = preview::preview(&inputs, &ws.blueprints).map_err(|error| match error {
        PreviewError::Invalid(diagnostics) => {
            let count = diagnostics.error_count();
            let summary = format!(
                "error: {count} {} in the flags: nothing was written\n",
                plural(count, "error", "errors")
            );
            CommandError::invalid(diagnostics, summary)
        }
        PreviewError::Spec(error) => CommandError::Usage(error.to_string()),
    })?;
    preview.valid_until = today
        .checked_add(jiff::Span::new().days(i64::from(args.valid_for)))
        .unwrap_or(today);
    let body = match args.format {
        PreviewFormat::Text => preview::text(&preview),
        PreviewFormat::Html => preview::html::page(&preview),
    };
    match &args.out {
        None => Ok(Outcome {
            stdout: body,
            ..Outcome::default()
        }),
        Some(out) => write(&preview, body, args.format, out),
    }
}

/// The generated files under `out` and, for HTML, the page beside them.
fn write(
    preview: &Preview,
    body: String,
    format: PreviewFormat,
    out: &Path,
) -> Result<Outcome, CommandError> {
    let summary = crate::output::write::write_all(out, &preview.files, None).map_err(|list| {
        let diagnostics = Diagnostics {
            list,
            ..Diagnostics::default()
        };
        CommandError::invalid(Box::new(diagnostics), "error: nothing was written\n")
    })?;
    let mut outcome = Outcome::note(format!(
        "wrote {} {} under {} ({} unchanged)\n",
        summary.written,
        plural(summary.written, "file", "files"),
        display_name(out),
        summary.unchanged
    ));
    match format {
        PreviewFormat::Text => outcome.stdout = body,
        PreviewFormat::Html => {
            let page = out.join("preview.html");
            crate::output::write::write_atomic(&page, body.as_bytes()).map_err(|error| {
                CommandError::Failed(format!("cannot write {}: {error}", display_name(&page)))
            })?;
            outcome
                .stderr
                .push_str(&format!("wrote {}\n", display_name(&page)));
        }
    }
    Ok(outcome)
}

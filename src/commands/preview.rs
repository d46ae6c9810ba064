//! `sitectl preview`: the command around [`crate::preview`].

use super::{Context, Outcome, as_of, diagnostics_outcome};
use crate::commands::args::{Cli, PreviewArgs, PreviewFormat};
use crate::diagnostic::report::Format;
use crate::preview::flags::Inputs;
use crate::preview::{self, PreviewError};

pub(super) fn preview_command(cli: &Cli, args: &PreviewArgs, context: &Context) -> Outcome {
    let usage = |message: String| Outcome {
        stderr: format!("error: {message}\n"),
        code: 2,
        ..Outcome::default()
    };
    // The trial starts today: SITECTL_TODAY makes a preview reproducible.
    let today = match as_of(None, context) {
        Ok(today) => today,
        Err(outcome) => return outcome,
    };
    let Some(app_version) = args
        .app_version
        .clone()
        .or_else(|| crate::lifecycle::scaffold::newest_app_version(std::path::Path::new("sites")))
    else {
        return usage(
            "no spec under sites to take the app version from: pass --app-version, e.g. --app-version 2026.11.1".into(),
        );
    };
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
    };
    let preview = match preview::preview(&inputs, &cli.blueprints) {
        Ok(preview) => preview,
        Err(PreviewError::Invalid(checked)) => {
            let count = checked.error_count();
            let summary = format!(
                "error: {count} error{} in the flags: nothing was written\n",
                if count == 1 { "" } else { "s" }
            );
            return diagnostics_outcome(&checked, Format::Text, context, summary);
        }
        Err(error) => {
            return Outcome {
                stderr: format!("error: {error}\n"),
                code: error.exit_code(),
                ..Outcome::default()
            };
        }
    };
    let body = match args.format {
        PreviewFormat::Text => preview::text(&preview),
        PreviewFormat::Html => crate::preview::html::page(&preview),
    };
    let mut outcome = Outcome::default();
    match &args.out {
        None => outcome.stdout = body,
        Some(out) => {
            let written = crate::output::write::write_all(out, &preview.files, None);
            let summary = match written {
                Ok(summary) => summary,
                Err(diagnostic) => {
                    outcome.stderr = format!("error: {}\n", diagnostic.message);
                    outcome.code = 1;
                    return outcome;
                }
            };
            outcome.stderr = format!(
                "wrote {} file{} under {} ({} unchanged)\n",
                summary.written,
                if summary.written == 1 { "" } else { "s" },
                crate::source::load::display_name(out),
                summary.unchanged
            );
            match args.format {
                PreviewFormat::Text => outcome.stdout = body,
                PreviewFormat::Html => {
                    let page = out.join("preview.html");
                    if let Err(error) = crate::output::write::write_atomic(&page, body.as_bytes()) {
                        outcome.stderr.push_str(&format!(
                            "error: cannot write {}: {error}\n",
                            crate::source::load::display_name(&page)
                        ));
                        outcome.code = 1;
                        return outcome;
                    }
                    outcome.stderr.push_str(&format!(
                        "wrote {}\n",
                        crate::source::load::display_name(&page)
                    ));
                }
            }
        }
    }
    outcome
}

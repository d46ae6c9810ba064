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
    if !args.compare.is_empty() {
        return compare(args, ws, today, &app_version);
    }
    let (Some(tier), Some(deployment)) = (args.tier, args.deployment) else {
        return Err(CommandError::Usage(
            "name the site's --tier and --deployment (or --compare options)".into(),
        ));
    };
    let inputs = Inputs {
        tier,
        deployment,
        customer: args.customer.as_deref(),
        name: args.name.as_deref(),
        seats: args.seats,
        features: &args.features,
        sets: &args.set,
        app_version: &app_version,
        today,
        domain: args.domain.as_deref(),
    };
    let mut preview = preview::preview(&inputs, &ws.blueprints).map_err(refused("the flags"))?;
    preview.valid_until = valid_until(today, args.valid_for);
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

/// How a preview that cannot be built stops: every diagnostic, or a usage
/// error.
fn refused(what: &str) -> impl Fn(PreviewError) -> CommandError + '_ {
    move |error| match error {
        PreviewError::Invalid(diagnostics) => {
            let count = diagnostics.error_count();
            let summary = format!(
                "error: {count} {} in {what}: nothing was written\n",
                plural(count, "error", "errors")
            );
            CommandError::invalid(diagnostics, summary)
        }
        PreviewError::Spec(error) => CommandError::Usage(error.to_string()),
    }
}

fn valid_until(today: jiff::civil::Date, days: u16) -> jiff::civil::Date {
    today
        .checked_add(jiff::Span::new().days(i64::from(days)))
        .unwrap_or(today)
}

/// `--compare`: each option built, checked and rendered as a preview of its
/// own, then put side by side.
fn compare(
    args: &PreviewArgs,
    ws: &Workspace,
    today: jiff::civil::Date,
    app_version: &str,
) -> Result<Outcome, CommandError> {
    use crate::preview::compare::{self, Axis, Comparison};
    use crate::spec::{Deployment, Tier};
    let tiers: Option<Vec<Tier>> = args
        .compare
        .iter()
        .map(|o| Tier::ALL.iter().copied().find(|t| t.as_str() == o))
        .collect();
    let deployments: Option<Vec<Deployment>> = args
        .compare
        .iter()
        .map(|o| Deployment::ALL.iter().copied().find(|d| d.as_str() == o))
        .collect();
    let options: Vec<(Tier, Deployment)> = match (tiers, deployments) {
        (Some(tiers), _) => {
            if args.tier.is_some() {
                return Err(CommandError::Usage(
                    "--tier with a comparison of tiers: drop --tier (each option is a tier)".into(),
                ));
            }
            let deployment = args.deployment.unwrap_or(Deployment::Managed);
            tiers.into_iter().map(|t| (t, deployment)).collect()
        }
        (None, Some(deployments)) => {
            if args.deployment.is_some() {
                return Err(CommandError::Usage(
                    "--deployment with a comparison of deployments: drop --deployment (each option is a deployment)".into(),
                ));
            }
            let tier = args.tier.unwrap_or(Tier::Enterprise);
            deployments.into_iter().map(|d| (tier, d)).collect()
        }
        (None, None) => {
            return Err(CommandError::Usage(format!(
                "--compare {}: options are all tiers ({}) or all deployments ({})",
                args.compare.join(","),
                Tier::ALL
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                Deployment::ALL
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    };
    let axis = if args
        .compare
        .iter()
        .any(|o| Tier::ALL.iter().any(|t| t.as_str() == o))
    {
        Axis::Tier
    } else {
        Axis::Deployment
    };
    let mut seen = std::collections::BTreeSet::new();
    if options.len() < 2 || options.len() > 4 || !options.iter().all(|o| seen.insert(*o)) {
        return Err(CommandError::Usage(format!(
            "--compare {}: two to four different options",
            args.compare.join(",")
        )));
    }
    let mut previews = Vec::new();
    for (tier, deployment) in &options {
        let inputs = Inputs {
            tier: *tier,
            deployment: *deployment,
            customer: args.customer.as_deref(),
            name: None,
            seats: None,
            features: &[],
            sets: &[],
            app_version,
            today,
            domain: None,
        };
        let what = format!("the {tier} tier on the {deployment} deployment");
        let mut preview = preview::preview(&inputs, &ws.blueprints).map_err(|error| match error {
            // `--name` is not an option of a comparison: say what is.
            PreviewError::Spec(crate::preview::flags::SpecError::NoName(customer)) => {
                CommandError::Usage(format!(
                    "--customer {customer:?} gives no site name: nothing of it is a letter or a digit, even transliterated; give the customer's name with one"
                ))
            }
            other => refused(&what)(other),
        })?;
        preview.valid_until = valid_until(today, args.valid_for);
        previews.push(preview);
    }
    let mut command = format!("sitectl preview --compare {}", args.compare.join(","));
    match axis {
        Axis::Tier => command.push_str(&format!(" --deployment {}", options[0].1)),
        Axis::Deployment => command.push_str(&format!(" --tier {}", options[0].0)),
    }
    if let Some(customer) = &args.customer {
        command.push_str(&format!(
            " --customer {}",
            crate::diagnostic::words::shell_quoted(customer)
        ));
    }
    let comparison = Comparison {
        axis,
        options: previews,
        command,
    };
    let body = match args.format {
        PreviewFormat::Text => compare::text(&comparison),
        PreviewFormat::Html => compare::page(&comparison),
    };
    let Some(out) = &args.out else {
        return Ok(Outcome {
            stdout: body,
            ..Outcome::default()
        });
    };
    let name = match args.format {
        PreviewFormat::Text => "compare.txt",
        PreviewFormat::Html => "compare.html",
    };
    let page = out.join(name);
    crate::output::write::write_atomic(&page, body.as_bytes()).map_err(|error| {
        CommandError::Failed(format!("cannot write {}: {error}", display_name(&page)))
    })?;
    Ok(Outcome::note(format!("wrote {}\n", display_name(&page))))
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

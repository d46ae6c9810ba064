//! `sitectl promote`: the spec edited in place, then proven before it is
//! written: it validates, and its render before and after, both in memory
//! under the spec's own name, passes the data-loss gate (or, for a move
//! across deployments, the data migration is printed).

use super::{CommandError, Context, Outcome, today};
use crate::commands::args::PromoteArgs;
use crate::diagnostic::words::plural;
use crate::diff::{self, Report, Side, format};
use crate::lifecycle::{migrate, promote};
use crate::render::pipeline::{Rendered, render_checked};
use crate::source::load::{Source, display_name};
use crate::spec::Deployment;
use crate::validate::{self, Specs, ValidSite};
use crate::workspace::Workspace;

pub(super) fn promote(
    args: &PromoteArgs,
    ws: &Workspace,
    context: &Context,
) -> Result<Outcome, CommandError> {
    let specs = args.dir.as_ref().unwrap_or(&ws.sites);
    let path =
        promote::find(specs, &args.site).map_err(|error| CommandError::Usage(error.to_string()))?;
    let mut checked = validate::validate(std::slice::from_ref(&path), &ws.blueprints);
    if checked.error_count() > 0 || checked.sites.is_empty() {
        return Err(CommandError::invalid(
            Box::new(checked.diagnostics),
            "error: the spec is invalid: fix it before promoting it\n",
        ));
    }
    let valid = checked.sites.remove(0);
    let site = &valid.site;
    let moves = args.deployment.filter(|d| *d != site.spec.deployment);
    if let Some(to) = moves
        && !args.move_data
    {
        return Err(CommandError::Usage(format!(
            "moving `{}` from {} to {to} gives its data a new home: the database and files must be exported and imported by an operator; pass --move-data to edit the spec and print the migration steps",
            site.metadata.name, site.spec.deployment
        )));
    }
    let options = promote::Options {
        deployment: args.deployment,
        seats: args.seats,
        license_end: args.license_end,
        annual_price: args.annual_price,
        currency: args.currency,
        license_start: args.license_start,
        azure: args.azure.ids(),
        today: today(None, context)?,
    };
    let text = promote::promoted_text(&valid.document, site, args.to, &options)
        .map_err(|error| CommandError::Usage(error.to_string()))?;
    let (before, after) = prove(&valid, &text, ws)?;
    let mut data = before.data.clone();
    data.extend(after.data.clone());
    let report = diff::compare(
        &Side::from_render(&before.files, before.sites.clone()),
        &Side::from_render(&after.files, after.sites.clone()),
        &data,
    );
    let mut outcome = Outcome {
        stdout: match moves {
            Some(_) => format::move_text(&report, context.color),
            None => format::text(&report, context.color),
        },
        ..Outcome::default()
    };
    match moves {
        Some(to) => {
            outcome
                .stdout
                .push_str(&migration(&valid, to, &before, &after, ws));
        }
        None if !report.findings.is_empty() => {
            outcome.stderr =
                "error: the promotion would lose customer data: nothing was written\n".into();
            outcome.code = 1;
            return Ok(outcome);
        }
        None => {}
    }
    let name = &valid.document.source.name;
    // A spec that is a link stays one: its target is edited (discovery has
    // already refused a link that leads outside the specs folder).
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    if let Some(folder) = path.parent() {
        crate::output::scan::remove_dead_temporaries(folder);
    }
    crate::output::write::write_atomic(&path, text.as_bytes())
        .map_err(|error| CommandError::Failed(format!("cannot write {name}: {error}")))?;
    outcome.stderr = report_line(&valid, args, moves, &report);
    Ok(outcome)
}

/// The spec rendered as it is and as it would be, both in memory under the
/// spec's own name: the promoted spec must validate and render before
/// anything is written.
fn prove(
    valid: &ValidSite,
    text: &str,
    ws: &Workspace,
) -> Result<(Rendered, Rendered), CommandError> {
    let promoted = Source {
        text: text.to_string(),
        ..valid.document.source.clone()
    };
    let after = validate::validate_specs(Specs::Sources(vec![promoted]), &ws.blueprints);
    if after.error_count() > 0 {
        return Err(CommandError::invalid(
            Box::new(after.diagnostics),
            "error: the promoted spec would be invalid: nothing was written\n",
        ));
    }
    let before = validate::validate_specs(
        Specs::Sources(vec![valid.document.source.clone()]),
        &ws.blueprints,
    );
    let render = |checked| {
        render_checked(checked, &ws.blueprints, None, &|_, _| {}).map_err(|diagnostics| {
            CommandError::invalid(
                diagnostics,
                "error: the site does not render: nothing was written\n",
            )
        })
    };
    Ok((render(before)?, render(after)?))
}

/// The operator's steps of a move across deployments.
fn migration(
    valid: &ValidSite,
    to: Deployment,
    before: &Rendered,
    after: &Rendered,
    ws: &Workspace,
) -> String {
    let site = &valid.site;
    let (Some(from), Some(new)) = (
        before.blueprint_of(valid),
        after.valid.first().and_then(|v| after.blueprint_of(v)),
    ) else {
        return String::new();
    };
    let steps = migrate::steps(
        site,
        &from.manifest,
        (to, &new.manifest),
        &display_name(&ws.rendered),
    );
    format!(
        "\n{}",
        migrate::text(&site.metadata.name, site.spec.deployment, to, &steps)
    )
}

fn report_line(
    valid: &ValidSite,
    args: &PromoteArgs,
    moves: Option<Deployment>,
    report: &Report,
) -> String {
    let site = &valid.site;
    let name = &valid.document.source.name;
    let files = format!(
        "{} rendered {} change",
        report.files.len(),
        plural(report.files.len(), "file", "files")
    );
    match moves {
        None => format!(
            "promoted `{}` from {} to {}: {name} edited in place; {files}, no data-loss finding; run `sitectl render`\n",
            site.metadata.name, site.spec.tier, args.to,
        ),
        Some(to) => format!(
            "promoted `{}` from {} on {} to {} on {to}: {name} edited in place; {files}; {} data-bearing {} change home: follow the migration steps before `sitectl apply`\n",
            site.metadata.name,
            site.spec.tier,
            site.spec.deployment,
            args.to,
            report.findings.len(),
            plural(report.findings.len(), "resource", "resources"),
        ),
    }
}

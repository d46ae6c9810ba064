//! `sitectl promote`: the spec edited in place, then proven before it is
//! written (it validates; its render before and after passes the data-loss
//! gate, or, for a move across deployments, the data migration is printed).

use super::{Context, Outcome, as_of, diagnostics_outcome};
use crate::commands::args::{Cli, PromoteArgs};
use crate::diagnostic::report::Format;
use crate::diff::format;
use crate::diff::{self, Side};
use crate::render::pipeline;
use crate::validate;

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
            let problem = crate::output::write::WriteError {
                path: crate::source::load::display_name(&file),
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

pub(super) fn promote_command(cli: &Cli, args: &PromoteArgs, context: &Context) -> Outcome {
    let fail = |code: u8, message: String| Outcome {
        stderr: message,
        code,
        ..Outcome::default()
    };
    let path = match crate::lifecycle::promote::find(&args.dir, &args.site) {
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
    let (document, site) = match crate::lifecycle::promote::read(&path) {
        Ok(read) => read,
        Err(error) => return fail(1, format!("error: {error}\n")),
    };
    let moves = args.deployment.filter(|d| *d != site.spec.deployment);
    if let Some(to) = moves
        && !args.move_data
    {
        return fail(
            2,
            format!(
                "error: moving `{}` from {} to {to} gives its data a new home: the database and files must be exported and imported by an operator; pass --move-data to edit the spec and print the migration steps\n",
                site.metadata.name, site.spec.deployment
            ),
        );
    }
    let today = as_of(None, context).ok();
    let options = crate::lifecycle::promote::Options {
        deployment: args.deployment,
        seats: args.seats,
        license_end: args.license_end,
        annual_price: args.annual_price,
        today,
    };
    let text = match crate::lifecycle::promote::promoted_text(&document, &site, args.to, &options) {
        Ok(text) => text,
        Err(error) => return fail(2, format!("error: {error}\n")),
    };
    // The promoted spec must validate against the catalog, as written.
    let source = crate::source::load::Source {
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
        stdout: format::text(&report, context.color),
        ..Outcome::default()
    };
    if let Some(to) = moves {
        let blueprint = site
            .spec
            .blueprint
            .clone()
            .unwrap_or_else(|| site.spec.deployment.to_string());
        let loaded = crate::render::blueprint::load_all(&cli.blueprints);
        if let (Some(from), Some(new)) = (
            loaded.blueprints.get(&blueprint),
            loaded.blueprints.get(to.as_str()),
        ) {
            let steps = crate::lifecycle::migrate::steps(
                &site,
                &from.manifest,
                (to, &new.manifest),
                "rendered",
            );
            outcome.stdout.push('\n');
            outcome.stdout.push_str(&crate::lifecycle::migrate::text(
                &site.metadata.name,
                site.spec.deployment,
                to,
                &steps,
            ));
        }
    } else if !report.findings.is_empty() {
        outcome.stderr =
            "error: the promotion would lose customer data: nothing was written\n".into();
        outcome.code = 1;
        return outcome;
    }
    if let Err(error) = crate::output::write::write_atomic(&path, text.as_bytes()) {
        return fail(
            1,
            format!("error: cannot write {}: {error}\n", document.source.name),
        );
    }
    let files = format!(
        "{} rendered file{} change",
        report.files.len(),
        if report.files.len() == 1 { "" } else { "s" }
    );
    outcome.stderr = match moves {
        None => format!(
            "promoted `{}` from {} to {}: {} edited in place; {files}, no data-loss finding; run `sitectl render`\n",
            site.metadata.name, site.spec.tier, args.to, document.source.name,
        ),
        Some(to) => format!(
            "promoted `{}` from {} on {} to {} on {to}: {} edited in place; {files}; the {} data-loss finding{} above are the data's move: follow the migration steps before `sitectl apply`\n",
            site.metadata.name,
            site.spec.tier,
            site.spec.deployment,
            args.to,
            document.source.name,
            report.findings.len(),
            if report.findings.len() == 1 { "" } else { "s" },
        ),
    };
    outcome
}

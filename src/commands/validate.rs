//! `sitectl validate` and `sitectl schema`.

use super::{Context, Outcome, diagnostics_outcome, paths_or_sites};
use crate::commands::args::ValidateArgs;
use crate::diagnostic::report;
use crate::validate::schema::SITE_SCHEMA;
use crate::validate::{Specs, validate_each};
use crate::workspace::Workspace;

pub(super) fn validate(args: &ValidateArgs, ws: &Workspace, context: &Context) -> Outcome {
    // Nothing is kept of a valid spec: the fleet streams through.
    let specs = Specs::Paths(paths_or_sites(&args.paths, ws));
    let checked = validate_each(specs, &ws.blueprints, &|_| Ok(()));
    let diagnostics = &checked.diagnostics;
    let mut summary = report::validation_summary(
        diagnostics.files,
        diagnostics.error_count(),
        diagnostics.files_with_errors(),
    );
    if checked.catalog.is_none() {
        summary.push_str(
            "note: tier policy was not checked: the tier catalog has errors (see above)\n",
        );
    }
    diagnostics_outcome(diagnostics, args.format.into(), context, summary)
}

pub(super) fn schema() -> Outcome {
    Outcome {
        stdout: SITE_SCHEMA.to_string(),
        ..Outcome::default()
    }
}

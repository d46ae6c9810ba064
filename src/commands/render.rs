//! `sitectl render`: every spec rendered and written, or nothing written.

use super::{Context, Outcome, diagnostics_outcome, paths_or_sites};
use crate::commands::args::RenderArgs;
use crate::diagnostic::words::plural;
use crate::output::write::render_and_write;
use crate::render::pipeline::OutputCheck;
use crate::validate::Specs;
use crate::workspace::Workspace;

pub(super) fn render(args: &RenderArgs, ws: &Workspace, context: &Context) -> Outcome {
    let progress = |done: usize, total: usize| {
        if let Some(show) = &context.progress {
            show(done, total);
        }
    };
    let out = args.out.as_ref().unwrap_or(&ws.rendered);
    let specs = Specs::Paths(paths_or_sites(&args.paths, ws));
    let check = if args.parse_every_file {
        OutputCheck::ParseEveryFile
    } else {
        OutputCheck::Parse
    };
    match render_and_write(specs, &ws.blueprints, out, (args.target, check), &progress) {
        Ok(summary) => Outcome::note(summary.line()),
        Err(diagnostics) => {
            let count = diagnostics.error_count();
            let summary = format!(
                "error: {count} {}: nothing was written\n",
                plural(count, "error", "errors")
            );
            diagnostics_outcome(&diagnostics, args.format.into(), context, summary)
        }
    }
}

//! `drift`: each selected site's real plan (terraform plan, helm template
//! against the release, compose config against the last apply, az what-if),
//! read for what applying its code would change. On a branch whose code is
//! applied, any change is drift. Exit 2 when any target drifted, as
//! `terraform plan -detailed-exitcode` does; 1 when a check failed, since
//! a fleet with a target nobody could check is not known to be in sync.

use super::handoff::{Action, chart, dry_run, execute};
use super::preflight::{Plan, plan};
use super::{CommandError, Context, Outcome};
use crate::commands::args::{DriftArgs, DriftFormat, HandoffArgs};
use crate::handoff::{Tools, drift};

pub(super) fn drift(
    args: &DriftArgs,
    ws: &crate::workspace::Workspace,
    context: &Context,
) -> Result<Outcome, CommandError> {
    if !args.combine.is_empty() {
        return combine(args);
    }
    // The sites are taken as a plan takes them: stale rendered output is
    // refused (its difference from the code is not drift), and sites their
    // customer operates are left out unless named.
    let selection = HandoffArgs {
        sites: args.sites.clone(),
        sites_from: args.sites_from.clone(),
        affected_since: None,
        target: args.target,
        dry_run: args.dry_run,
        yes: false,
        allow_data_loss: Vec::new(),
        dir: args.dir.clone(),
        out: args.out.clone(),
        tools: args.tools.clone(),
        summary: None,
    };
    let Plan {
        work,
        refused,
        notes,
        delivered,
    } = plan(&selection, ws, Action::Drift)?;
    let mut stderr = notes;
    stderr.extend(refused.values().map(String::as_str));
    for site in &delivered {
        stderr.push_str(&format!(
            "skipped `{site}`: its customer operates it (its blueprint says so); name it to check it anyway\n"
        ));
    }
    let tools = Tools::find(args.tools.terraform_bin.as_deref());
    let chart = chart(ws);
    if args.dry_run {
        let used: Vec<_> = work.iter().flat_map(|w| w.targets.clone()).collect();
        let (tools, notes) = tools.with_stand_ins(&used);
        let stdout = dry_run(Action::Drift, &work, &tools, &chart, &mut stderr);
        stderr.extend(notes.iter().map(|n| format!("{n}\n")));
        let code = u8::from(!refused.is_empty() || stderr.contains("error:"));
        return Ok(Outcome {
            stdout,
            stderr,
            code,
        });
    }
    // The tools' output goes to each target's log only: what is printed is
    // the report, in the format asked for.
    let quiet = Context {
        emit: None,
        ..context.clone()
    };
    let never_asked = |_: &str, _: &[_]| Ok(());
    let executed = execute(
        Action::Drift,
        &work,
        &tools,
        &chart,
        (args.tools.jobs, args.tools.timeout),
        &quiet,
        &never_asked,
    );
    let mut checked = drift::checked(&executed.outcomes);
    // A refused site is in the report too, failed: a scheduled check whose
    // shards are combined from their reports must not lose it.
    for (site, line) in &refused {
        checked.push(drift::Checked {
            site: site.clone(),
            target: "(all)".into(),
            state: drift::State::Failed,
            changes: Vec::new(),
            error: Some(line.trim().trim_start_matches("error: ").to_string()),
            log: String::new(),
        });
    }
    checked.sort_by(|a, b| a.site.cmp(&b.site));
    let stdout = report(&checked, args.format);
    let totals = drift::totals(&checked);
    stderr.push_str(&format!("drift: {}\n", totals.line()));
    if let Some(interruption) = &executed.interrupted {
        stderr.push_str(&interruption.line());
        return Ok(Outcome {
            stdout,
            stderr,
            code: interruption.exit_code(),
        });
    }
    Ok(Outcome {
        stdout,
        stderr,
        code: exit_code(&totals, !refused.is_empty()),
    })
}

fn report(checked: &[drift::Checked], format: DriftFormat) -> String {
    match format {
        DriftFormat::Text => drift::text(checked),
        DriftFormat::Markdown => drift::markdown(checked),
        DriftFormat::Json => drift::json(checked),
    }
}

/// 1 when a target could not be checked (or a site was refused), else 2
/// when one drifted, else 0.
fn exit_code(totals: &drift::Totals, refused: bool) -> u8 {
    if totals.failed > 0 || refused {
        1
    } else if totals.drifted > 0 {
        2
    } else {
        0
    }
}

/// `--combine`: the JSON reports of a fleet's shards as one report, exiting
/// as that one check would have. Every report that cannot be read is
/// named with where and why, and nothing is printed then.
fn combine(args: &DriftArgs) -> Result<Outcome, CommandError> {
    let mut checked = Vec::new();
    let mut errors = String::new();
    for path in &args.combine {
        let name = crate::source::load::display_name(path);
        match std::fs::read_to_string(path) {
            Ok(text) => match drift::read_json(&text) {
                Ok(found) => checked.extend(found),
                Err(why) => errors.push_str(&format!(
                    "error: {name}:{why}\n  = help: --combine reads what `sitectl drift --format json` writes\n"
                )),
            },
            Err(error) => errors.push_str(&format!("error: {name}: {error}\n")),
        }
    }
    if !errors.is_empty() {
        return Ok(Outcome {
            stderr: errors,
            code: 1,
            ..Outcome::default()
        });
    }
    // Each shard's targets are in site order; so is the whole.
    checked.sort_by(|a, b| a.site.cmp(&b.site));
    let totals = drift::totals(&checked);
    Ok(Outcome {
        stdout: report(&checked, args.format),
        stderr: format!("drift: {}\n", totals.line()),
        code: exit_code(&totals, false),
    })
}

//! `sitectl reclaim`: the expired trials destroyed through the hand-off
//! (same tools, locks, logs and confirmation as `destroy`), then, for each
//! site whose every target was destroyed, its spec archived and its rendered
//! output removed. A site that fails keeps its spec, so the next run retries.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use jiff::civil::Date;

use super::handoff::{self, Action, count};
use super::{CommandError, Context, Outcome, today};
use crate::commands::args::ReclaimArgs;
use crate::diagnostic::words::plural;
use crate::handoff::{SiteWork, Tools};
use crate::lifecycle::reclaim::{self, Expired};
use crate::render::pipeline::Rendered;
use crate::source::load::display_name;
use crate::workspace::Workspace;

pub(super) fn reclaim(
    args: &ReclaimArgs,
    ws: &Workspace,
    context: &Context,
) -> Result<Outcome, CommandError> {
    let today = today(args.as_of, context)?;
    let specs = args.dir.clone().unwrap_or_else(|| ws.sites.clone());
    let out = args.out.clone().unwrap_or_else(|| ws.rendered.clone());
    let rendered = handoff::render_tree(&specs, ws, "reclaim")?;
    let expired = chosen(args, &specs, &rendered, today)?;
    if expired.is_empty() {
        return Ok(Outcome::note(format!(
            "no trial is past its end as of {today}: nothing to reclaim\n"
        )));
    }
    let mut stderr = String::new();
    let plan = plan(&expired, &out, &rendered, args.dry_run, &mut stderr);
    let tools = Tools::find(args.tools.terraform_bin.as_deref());
    let chart = handoff::chart(ws);
    stderr.extend(plan.refused.values().map(String::as_str));
    if args.dry_run {
        let used: Vec<_> = plan
            .work
            .iter()
            .flat_map(|(_, w)| w.targets.clone())
            .collect();
        let (tools, notes) = tools.with_stand_ins(&used);
        let stdout = dry_run(
            &expired,
            &plan,
            &tools,
            &chart,
            (&specs, today),
            &mut stderr,
        );
        stderr.extend(notes.iter().map(|n| format!("{n}\n")));
        let code = u8::from(!plan.refused.is_empty() || stderr.contains("error:"));
        return Ok(Outcome {
            stdout,
            stderr,
            code,
        });
    }
    if !plan.work.is_empty() {
        let archive_dir = display_name(&specs.join(reclaim::ARCHIVE_DIR).join(today.to_string()));
        let question = format!(
            "reclaim {} ({})? Their infrastructure and data are destroyed and their specs move to {archive_dir}/. [y/N] ",
            count(plan.work.len(), "expired trial", "expired trials"),
            plan.work
                .iter()
                .map(|(e, _)| e.name())
                .collect::<Vec<_>>()
                .join(", "),
        );
        if let Err(error) = handoff::confirm(context, &question, args.yes, "reclaim") {
            return Ok(handoff::stop_after(&stderr, error, context));
        }
    }
    // A spec edited since it was read (a promotion merged meanwhile) is no
    // longer the expired trial that was judged: it is left alone.
    let (work, changed): (Vec<_>, Vec<_>) = plan.work.into_iter().partition(|(e, _)| {
        std::fs::read_to_string(&e.site.document.source.path)
            .is_ok_and(|now| now == e.site.document.source.text)
    });
    for (e, _) in &changed {
        stderr.push_str(&format!(
            "error: {} changed since this run read it (promoted?): `{}` was not reclaimed\n",
            e.site.document.source.name,
            e.name()
        ));
    }
    let site_work: Vec<SiteWork> = work.iter().map(|(_, w)| w.clone()).collect();
    // Confirmed above, with the trials named: the preview's table comes
    // with the result.
    let executed = handoff::execute(
        Action::Destroy,
        &site_work,
        &tools,
        &chart,
        (args.tools.jobs, args.tools.timeout),
        context,
        &|_, _| Ok(()),
    );
    stderr.push_str(&executed.tables());
    let stdout = executed.stdout.clone();
    if let Some(interruption) = &executed.interrupted {
        // Nothing is archived after an interruption: the next run retries.
        stderr.push_str(&interruption.line());
        return Ok(Outcome {
            stdout,
            stderr,
            code: interruption.exit_code(),
        });
    }
    let failed = executed.failed_sites();
    let mut reclaimed = 0;
    for (e, w) in &work {
        if failed.contains(e.name()) {
            stderr.push_str(&format!(
                "not reclaimed `{}`: its destroy failed (see its log); the spec stays for the next run\n",
                e.name()
            ));
            continue;
        }
        match archive(e, w, &specs, today) {
            Ok(line) => {
                reclaimed += 1;
                stderr.push_str(&line);
            }
            Err(line) => stderr.push_str(&line),
        }
    }
    stderr.push_str(&format!(
        "reclaimed {reclaimed} of {}\n",
        count(expired.len(), "expired trial", "expired trials")
    ));
    Ok(Outcome {
        stdout,
        stderr,
        code: u8::from(reclaimed < expired.len()),
    })
}

/// The expired trials this run reclaims: every one, or those named.
fn chosen<'r>(
    args: &ReclaimArgs,
    specs: &Path,
    rendered: &'r Rendered,
    today: Date,
) -> Result<Vec<Expired<'r>>, CommandError> {
    let all = reclaim::expired(&rendered.valid, today);
    let mut usage = Vec::new();
    for name in &args.sites {
        if !rendered.sites.contains_key(name) {
            usage.push(format!(
                "no site named `{name}` under {}{}",
                display_name(specs).trim_end_matches('/'),
                handoff::did_you_mean_site(name, rendered)
            ));
        } else if !all.iter().any(|e| e.name() == name) {
            usage.push(format!(
                "`{name}` is not a trial past its end as of {today}; `sitectl expired --as-of {today}` lists those that are"
            ));
        }
    }
    if !usage.is_empty() {
        return Err(CommandError::Usage(usage.join("\nerror: ")));
    }
    Ok(all
        .into_iter()
        .filter(|e| args.sites.is_empty() || args.sites.iter().any(|s| s == e.name()))
        .collect())
}

/// The destroy of each expired trial whose output is current, and the
/// trials refused as they are on disk, with why.
struct Plan<'r> {
    work: Vec<(Expired<'r>, SiteWork)>,
    refused: BTreeMap<String, String>,
}

fn plan<'r>(
    expired: &[Expired<'r>],
    out: &Path,
    rendered: &Rendered,
    dry_run: bool,
    notes: &mut String,
) -> Plan<'r> {
    let names: BTreeSet<String> = expired.iter().map(|e| e.name().to_string()).collect();
    let refused = handoff::refused_sites(out, rendered, &names, dry_run, notes);
    // Reclaiming deletes the trial's data on purpose: the gate is opened for
    // these sites alone, and their Terraform's prevent_destroy is lifted by
    // an override that lives only as long as the destroy.
    let work = expired
        .iter()
        .filter(|e| !refused.contains_key(e.name()))
        .map(|e| {
            let mut work = crate::handoff::work_for(out, e.site, None, &rendered.data, &names);
            work.terraform_override =
                reclaim::terraform_override(&rendered.files, e.name(), reclaim::RECLAIM_HEADER)
                    .map(|text| (reclaim::OVERRIDE_FILE.to_string(), text));
            (*e, work)
        })
        .collect();
    Plan { work, refused }
}

fn dry_run(
    expired: &[Expired<'_>],
    plan: &Plan<'_>,
    tools: &Tools,
    chart: &Path,
    (specs, today): (&Path, Date),
    stderr: &mut String,
) -> String {
    let mut stdout = format!(
        "{} past {} end as of {today} (dry run: nothing is changed)\n",
        count(expired.len(), "trial", "trials"),
        plural(expired.len(), "its", "their")
    );
    for e in expired {
        stdout.push_str(&format!("\n{}: trial ended {}\n", e.name(), e.trial_end));
        let Some((_, w)) = plan.work.iter().find(|(w, _)| w.name() == e.name()) else {
            let why = plan.refused.get(e.name()).map_or("", String::as_str);
            stdout.push_str(&format!("refused: {}", why.trim_start_matches("error: ")));
            continue;
        };
        stdout.push_str(&handoff::dry_run(
            Action::Destroy,
            std::slice::from_ref(w),
            tools,
            chart,
            stderr,
        ));
        stdout.push_str(&format!(
            "move {} to {}\nremove the rendered files of {}\n",
            e.site.document.source.name,
            display_name(&reclaim::archive_path(specs, today, e.name())),
            display_name(&w.dir),
        ));
    }
    stdout
}

/// After a destroy: the spec archived, the rendered files removed. `Ok`
/// and `Err` are the line to report.
/// Archives a destroyed trial in an order that a run stopped at any point
/// leaves for the next to finish: the record first, then the rendered
/// files, the spec last. The next run destroys again (harmless: there is
/// nothing left) and finds the same record in place; a trial is never
/// taken for reclaimed without a destroy of its own run.
fn archive(e: &Expired<'_>, w: &SiteWork, specs: &Path, today: Date) -> Result<String, String> {
    let source = &e.site.document.source;
    let dest: PathBuf = reclaim::archive_path(specs, today, e.name());
    let record = reclaim::archived_text(&source.text, today, e.trial_end);
    let failed = |error| format!("error: `{}` was destroyed but {error}\n", e.name());
    reclaim::write_record(&source.path, &source.text, &dest, &record).map_err(failed)?;
    finish(e, &w.dir, &dest).map(|mut line| {
        line.push_str(&format!(
            "reclaimed `{}` (trial ended {}): {} moved to {}\n",
            e.name(),
            e.trial_end,
            source.name,
            display_name(&dest)
        ));
        line
    })
}

/// The rendered files, then the spec, of a trial whose record is written.
fn finish(e: &Expired<'_>, dir: &Path, record: &Path) -> Result<String, String> {
    let source = &e.site.document.source;
    let mut line = String::new();
    if let Err(error) = crate::output::write::remove_site(dir) {
        line.push_str(&format!(
            "warning: cannot remove the rendered files of `{}` under {}: {error}\n",
            e.name(),
            display_name(dir)
        ));
    }
    reclaim::remove_spec(&source.path, &source.text).map_err(|error| {
        format!(
            "error: `{}` was destroyed and recorded in {} but {error}\n",
            e.name(),
            display_name(record)
        )
    })?;
    Ok(line)
}

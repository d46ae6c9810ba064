//! `sitectl reclaim`: the expired trials destroyed through the hand-off
//! (same tools, locks, logs and confirmation as `destroy`), then, for each
//! site whose every target was destroyed, its spec archived and its rendered
//! output removed. A site that fails keeps its spec, so the next run retries.

use std::collections::BTreeSet;

use super::handoff::{self, Action};
use super::{Context, Outcome, as_of};
use crate::commands::args::{Cli, ReclaimArgs};
use crate::handoff::{SiteWork, Tools};
use crate::lifecycle::reclaim::{self, Expired};

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(super) fn reclaim_command(cli: &Cli, args: &ReclaimArgs, context: &Context) -> Outcome {
    let today = match as_of(args.as_of, context) {
        Ok(today) => today,
        Err(outcome) => return outcome,
    };
    let rendered = match handoff::render_tree(cli, &args.dir, context, "reclaim") {
        Ok(rendered) => rendered,
        Err(outcome) => return outcome,
    };
    let all = reclaim::expired(&rendered.valid, today);
    let mut usage = String::new();
    for name in &args.sites {
        if !rendered.sites.contains_key(name) {
            usage.push_str(&format!(
                "error: no site named `{name}` under {}\n",
                crate::source::load::display_name(&args.dir)
            ));
        } else if !all.iter().any(|e| e.name() == name) {
            usage.push_str(&format!(
                "error: `{name}` is not a trial past its end as of {today}; `sitectl expired --as-of {today}` lists those that are\n"
            ));
        }
    }
    if !usage.is_empty() {
        return Outcome {
            stderr: usage,
            code: 2,
            ..Outcome::default()
        };
    }
    let expired: Vec<Expired<'_>> = all
        .into_iter()
        .filter(|e| args.sites.is_empty() || args.sites.iter().any(|s| s == e.name()))
        .collect();
    if expired.is_empty() {
        return Outcome {
            stderr: format!("no trial is past its end as of {today}: nothing to reclaim\n"),
            ..Outcome::default()
        };
    }

    let names: BTreeSet<String> = expired.iter().map(|e| e.name().to_string()).collect();
    let stale = handoff::stale_sites(&args.out, &rendered, &names);
    let mut stderr: String = stale.iter().map(|s| handoff::stale_message(s)).collect();
    // Reclaiming deletes the trial's data on purpose: the gate is opened for
    // these sites alone, and their Terraform's prevent_destroy is lifted by
    // an override that lives only as long as the destroy.
    let work: Vec<(Expired<'_>, SiteWork)> = expired
        .iter()
        .filter(|e| !stale.contains(e.name()))
        .map(|e| {
            let mut work =
                crate::handoff::work_for(&args.out, e.site, None, &rendered.data, &names);
            work.terraform_override = reclaim::terraform_override(&rendered.files, e.name())
                .map(|text| (reclaim::OVERRIDE_FILE.to_string(), text));
            (*e, work)
        })
        .collect();
    let tools = Tools::find(args.terraform_bin.as_deref());
    let chart = handoff::chart(cli);
    let archive_dir = crate::source::load::display_name(
        &args.dir.join(reclaim::ARCHIVE_DIR).join(today.to_string()),
    );

    if args.dry_run {
        let mut stdout = format!(
            "{} past {} end as of {today} (dry run: nothing is changed)\n",
            plural(expired.len(), "trial", "trials"),
            if expired.len() == 1 { "its" } else { "their" }
        );
        for e in &expired {
            stdout.push_str(&format!("\n{}: trial ended {}\n", e.name(), e.trial_end));
            let Some((_, w)) = work.iter().find(|(w, _)| w.name() == e.name()) else {
                stdout.push_str(
                    "refused: its rendered output is stale or missing (run `sitectl render`)\n",
                );
                continue;
            };
            if let Some((file, text)) = &w.terraform_override {
                let lifted = text.matches("prevent_destroy = false").count();
                stdout.push_str(&format!(
                    "write {} (lifts prevent_destroy from {} for the destroy, removed after)\n",
                    crate::source::load::display_name(&w.dir.join("terraform").join(file)),
                    plural(lifted, "data-bearing resource", "data-bearing resources"),
                ));
            }
            stdout.push_str(&handoff::dry_run(
                Action::Destroy,
                std::slice::from_ref(w),
                &tools,
                &chart,
                &mut stderr,
            ));
            stdout.push_str(&format!(
                "move {} to {}\nremove the rendered files of {}\n",
                e.site.document.source.name,
                crate::source::load::display_name(&reclaim::archive_path(
                    &args.dir,
                    today,
                    e.name()
                )),
                crate::source::load::display_name(&w.dir),
            ));
        }
        let code = u8::from(!stale.is_empty() || stderr.contains("error:"));
        return Outcome {
            stdout,
            stderr,
            code,
        };
    }

    if !work.is_empty() {
        let question = format!(
            "reclaim {} ({})? Their infrastructure and data are destroyed and their specs move to {archive_dir}/. [y/N] ",
            plural(work.len(), "expired trial", "expired trials"),
            work.iter()
                .map(|(e, _)| e.name())
                .collect::<Vec<_>>()
                .join(", "),
        );
        if let Err(outcome) = handoff::confirm(context, &question, args.yes, "reclaimed", &stderr) {
            return outcome;
        }
    }
    // A spec edited since it was read (a promotion merged meanwhile) is no
    // longer the expired trial that was judged: it is left alone.
    let (work, changed): (Vec<_>, Vec<_>) = work.into_iter().partition(|(e, _)| {
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
    let (stdout, outcomes) = handoff::execute(
        Action::Destroy,
        &site_work,
        &tools,
        &chart,
        (args.jobs, args.timeout),
        context,
    );
    stderr.push_str(&crate::handoff::summary_table(&outcomes));
    let failed = crate::handoff::failed_sites(&outcomes);
    let mut reclaimed = 0;
    for (e, w) in &work {
        if failed.contains_key(e.name()) {
            stderr.push_str(&format!(
                "not reclaimed `{}`: its destroy failed (see its log); the spec stays for the next run\n",
                e.name()
            ));
            continue;
        }
        let source = &e.site.document.source;
        let dest = reclaim::archive_path(&args.dir, today, e.name());
        let record = reclaim::archived_text(&source.text, today, e.trial_end);
        if let Err(error) = reclaim::archive(&source.path, &source.text, &dest, &record) {
            stderr.push_str(&format!(
                "error: `{}` was destroyed but {error}\n",
                e.name()
            ));
            continue;
        }
        if let Err(error) = crate::output::write::remove_site(&w.dir) {
            stderr.push_str(&format!(
                "warning: cannot remove the rendered files of `{}` under {}: {error}\n",
                e.name(),
                crate::source::load::display_name(&w.dir)
            ));
        }
        reclaimed += 1;
        stderr.push_str(&format!(
            "reclaimed `{}` (trial ended {}): {} moved to {}\n",
            e.name(),
            e.trial_end,
            source.name,
            crate::source::load::display_name(&dest)
        ));
    }
    stderr.push_str(&format!(
        "reclaimed {reclaimed} of {}\n",
        plural(expired.len(), "expired trial", "expired trials")
    ));
    Outcome {
        stdout,
        stderr,
        code: u8::from(reclaimed < expired.len()),
    }
}

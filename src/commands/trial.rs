//! `sitectl trial create`: a signup from the landing page becomes a trial
//! site, its spec written and rendered, within the catalog's limits; what
//! was done said as JSON for the calling service (or in words).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::json;

use super::{CommandError, Context, Outcome, today};
use crate::commands::args::{TrialArgs, TrialCommand, TrialCreateArgs, TrialFormat};
use crate::diagnostic::Diagnostics;
use crate::lifecycle::scaffold::{self, NewSite, ScaffoldError};
use crate::lifecycle::signup::{self, Decision, SIGNUP_LABEL, Signup};
use crate::source::load::display_name;
use crate::spec::{Site, Tier};
use crate::validate::{self, Specs};
use crate::workspace::Workspace;

pub(super) fn trial(
    args: &TrialArgs,
    ws: &Workspace,
    context: &Context,
) -> Result<Outcome, CommandError> {
    match &args.command {
        TrialCommand::Create(args) => create(args, ws, context),
    }
}

/// What the calling service reads back.
fn report(args: &TrialCreateArgs, value: serde_json::Value, words: String, code: u8) -> Outcome {
    match args.format {
        TrialFormat::Json => Outcome {
            stdout: format!("{value:#}\n"),
            code,
            ..Outcome::default()
        },
        TrialFormat::Text => Outcome {
            stdout: if code == 0 {
                words.clone()
            } else {
                String::new()
            },
            stderr: if code == 0 { String::new() } else { words },
            code,
        },
    }
}

/// What the calling service is told of a trial.
struct Facts {
    site: Site,
    /// The rendered files, as paths under the rendered folder.
    files: Vec<String>,
    address: Option<String>,
}

/// Renders the trial's spec once and writes its output (files already
/// current are left alone), or every diagnostic and nothing written.
fn render_and_write(ws: &Workspace, spec: &Path) -> Result<Facts, Box<Diagnostics>> {
    let rendered = crate::render::pipeline::render_all(
        Specs::Paths(vec![spec.to_path_buf()]),
        &ws.blueprints,
        None,
        &|_, _| {},
    )?;
    crate::output::write::write_all(&ws.rendered, &rendered.files, None).map_err(|list| {
        Box::new(Diagnostics {
            list,
            ..Diagnostics::default()
        })
    })?;
    let site = rendered
        .valid
        .first()
        .map(|v| v.site.clone())
        .ok_or_else(|| Box::new(Diagnostics::default()))?;
    let files = rendered
        .files
        .iter()
        .map(|f| {
            display_name(
                &ws.rendered
                    .join(&f.site)
                    .join(f.target.as_str())
                    .join(&f.output),
            )
        })
        .collect();
    let address =
        crate::output::inspect::site_host(&rendered.files).map(|host| format!("https://{host}"));
    Ok(Facts {
        site,
        files,
        address,
    })
}

/// The release the site chart ships (`appVersion` of its Chart.yaml): a
/// new repository's first trial runs it, there being no spec to follow.
fn chart_app_version(ws: &Workspace) -> Option<String> {
    let chart = crate::render::blueprint::chart(&ws.blueprints).join("Chart.yaml");
    let text = std::fs::read_to_string(chart).ok()?;
    let root = crate::source::yaml::parse(&text).ok()?.to_json();
    root.get("appVersion")?.as_str().map(str::to_string)
}

fn create(
    args: &TrialCreateArgs,
    ws: &Workspace,
    context: &Context,
) -> Result<Outcome, CommandError> {
    let today = today(None, context)?;
    let catalog = validate::load_catalog(&ws.blueprints).map_err(|diagnostics| {
        CommandError::invalid(
            Box::new(diagnostics),
            "error: the tier catalog has errors: no signup is taken until they are fixed\n",
        )
    })?;
    // The limits count the fleet: a tree that does not validate could hide
    // trials from the count, so a signup fails closed on it.
    let mut checked = if ws.sites.is_dir() {
        validate::validate_specs(Specs::Paths(vec![ws.sites.clone()]), &ws.blueprints)
    } else {
        // A new repository whose specs folder git has not kept (it was
        // empty): the first signup makes it.
        validate::Checked::default()
    };
    // An empty fleet is no error: the first signup is its first site.
    checked
        .diagnostics
        .list
        .retain(|d| d.code != crate::diagnostic::Problem::code(&crate::source::discover::NoSpecs));
    if !checked.diagnostics.is_empty() {
        return Err(CommandError::invalid(
            Box::new(checked.diagnostics),
            "error: the specs have errors: no signup is taken until they are fixed\n",
        ));
    }
    let sites: Vec<Site> = checked.sites.iter().map(|v| v.site.clone()).collect();
    let (files, _) = crate::source::discover::discover(std::slice::from_ref(&ws.sites));
    let taken: BTreeSet<String> = files
        .iter()
        .filter_map(|f| f.file_stem()?.to_str().map(str::to_string))
        .collect();
    let archived = signup::archived(&ws.sites);
    let request = Signup {
        customer: &args.customer,
        contact: &args.contact,
        region: args.region.as_deref(),
        signup_id: args.signup_id.as_deref(),
    };
    let decision = match signup::decide_with(&request, &catalog, &sites, (&taken, &archived), today)
    {
        Ok(decision) => decision,
        Err(refusal) => {
            return Ok(report(
                args,
                json!({"status": "refused", "code": refusal.code(), "reason": refusal.to_string()}),
                format!("refused ({}): {refusal}\n", refusal.code()),
                1,
            ));
        }
    };
    let refuse = |code: &str, reason: String| {
        report(
            args,
            json!({"status": "refused", "code": code, "reason": reason}),
            format!("refused ({code}): {reason}\n"),
            1,
        )
    };
    let (status, name, spec, facts) = match decision {
        Decision::Exists { name } => {
            // Where the spec really is (an operator may have moved it), and
            // its output made current: a run stopped after the spec was
            // written left it unrendered. Unchanged files are not written.
            let spec = checked
                .sites
                .iter()
                .find(|v| v.site.metadata.name == name)
                .map(|v| v.document.source.path.clone())
                .unwrap_or_else(|| ws.sites.join(format!("{name}.yaml")));
            let facts = render_and_write(ws, &spec).map_err(|diagnostics| {
                CommandError::invalid(diagnostics, "error: the trial's spec does not render\n")
            })?;
            ("exists", name, spec, facts)
        }
        Decision::Create {
            name,
            region,
            cloud,
        } => {
            let policy = catalog.tier(Tier::Trial);
            let new = NewSite {
                name: name.clone(),
                tier: Tier::Trial,
                deployment: policy.deployments[0],
                dir: ws.sites.clone(),
                customer: Some(args.customer.clone()),
                contact: Some(args.contact.clone()),
                cloud,
                region,
                app_version: scaffold::newest_app_version(&ws.sites)
                    .or_else(|| chart_app_version(ws)),
                azure: Default::default(),
                labels: args
                    .signup_id
                    .iter()
                    .map(|id| (SIGNUP_LABEL.to_string(), id.clone()))
                    .collect(),
            };
            match scaffold::create(&new, &ws.sites, &ws.blueprints, today) {
                Ok(_) => {}
                // What the signup's fields make the validator refuse is a
                // refusal too, in the contract's words.
                Err(ScaffoldError::Invalid(diagnostics)) => {
                    let reason = diagnostics
                        .list
                        .iter()
                        .map(|d| d.message.clone())
                        .collect::<Vec<_>>()
                        .join("; ");
                    return Ok(refuse("invalid-signup", reason));
                }
                Err(error) if error.exit_code() == 2 => {
                    return Ok(refuse("invalid-signup", error.to_string()));
                }
                Err(error) => return Err(CommandError::Failed(error.to_string())),
            }
            let spec = ws.sites.join(format!("{name}.yaml"));
            // Written whole or not at all: a render that fails takes the
            // new spec back out.
            let facts = match render_and_write(ws, &spec) {
                Ok(facts) => facts,
                Err(diagnostics) => {
                    let _ = std::fs::remove_file(&spec);
                    return Err(CommandError::invalid(
                        diagnostics,
                        "error: the trial does not render: nothing was written\n",
                    ));
                }
            };
            ("created", name, spec, facts)
        }
    };
    let Facts {
        site,
        files,
        address,
    } = facts;
    let trial = site.spec.trial.as_ref();
    let start = trial.map(|t| t.start.0.clone());
    let end = trial.and_then(|t| t.end()).map(|d| d.to_string());
    let value = json!({
        "status": status,
        "site": name,
        "spec": display_name(&spec),
        "rendered": files,
        "customer": site.metadata.customer,
        "contact": site.metadata.contact,
        "cloud": site.spec.cloud().as_str(),
        "region": site.spec.region,
        "trialStart": start,
        "trialEnd": end,
        "address": address,
        "signupId": args.signup_id,
    });
    let words = format!(
        "{} trial {name} for {} ({}), {} to {}{}\n",
        if status == "created" {
            "created"
        } else {
            "already there, unchanged:"
        },
        site.metadata.customer,
        display_name(&spec),
        start.as_deref().unwrap_or("?"),
        end.as_deref().unwrap_or("?"),
        address
            .as_deref()
            .map(|a| format!(", at {a}"))
            .unwrap_or_default()
    );
    Ok(report(args, value, words, 0))
}

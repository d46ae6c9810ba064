//! `sitectl new`: a commented spec that already validates.

use super::{CommandError, Context, Outcome, today};
use crate::commands::args::NewArgs;
use crate::lifecycle::scaffold::{self, NewSite, ScaffoldError};
use crate::spec::Cloud;
use crate::workspace::Workspace;

pub(super) fn new(
    args: &NewArgs,
    ws: &Workspace,
    context: &Context,
) -> Result<Outcome, CommandError> {
    let today = today(None, context)?;
    let site = NewSite {
        name: args.name.clone(),
        tier: args.tier,
        deployment: args.deployment,
        dir: args.dir.clone().unwrap_or_else(|| ws.sites.clone()),
        customer: args.customer.clone(),
        contact: args.contact.clone(),
        cloud: args.cloud.unwrap_or(Cloud::Azure),
        region: args.region.clone().unwrap_or_else(|| {
            match args.cloud.unwrap_or(Cloud::Azure) {
                Cloud::Azure => "eastus",
                Cloud::Aws => "us-east-1",
            }
            .to_string()
        }),
        app_version: args.app_version.clone(),
        azure: args.azure.ids(),
        labels: Default::default(),
    };
    match scaffold::create(&site, &ws.sites, &ws.blueprints, today) {
        Ok(created) => Ok(Outcome::note(format!(
            "created {} ({} site on {}); check it with `sitectl validate {}`\n",
            created.display, args.tier, args.deployment, created.display
        ))),
        Err(ScaffoldError::Invalid(diagnostics)) => Err(CommandError::invalid(
            diagnostics,
            "error: nothing was written\n",
        )),
        Err(error) if error.exit_code() == 2 => Err(CommandError::Usage(error.to_string())),
        Err(error) => Err(CommandError::Failed(error.to_string())),
    }
}

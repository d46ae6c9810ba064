//! `sitectl unlock SITE`: the way out of a stale hand-off lock, which
//! refuses a lock whose holder still runs.

use super::{CommandError, Outcome};
use crate::commands::args::UnlockArgs;
use crate::handoff::lock::{UnlockError, unlock as remove_lock};
use crate::source::load::display_name;
use crate::workspace::Workspace;

pub(super) fn unlock(args: &UnlockArgs, ws: &Workspace) -> Result<Outcome, CommandError> {
    let out = args.out.as_ref().unwrap_or(&ws.rendered);
    let dir = out.join(&args.site);
    let plain = !args.site.contains(['/', '\\']) && args.site != "." && args.site != "..";
    if !plain || !dir.is_dir() {
        return Err(CommandError::Usage(format!(
            "no rendered output of a site `{}` under {}",
            args.site,
            display_name(out)
        )));
    }
    match remove_lock(&dir, args.force) {
        Ok(Some(holder)) => Ok(Outcome::note(format!(
            "removed the lock of `{}` (held by {holder})\n",
            args.site
        ))),
        Ok(None) => Ok(Outcome::note(format!(
            "`{}` holds no lock: nothing to remove\n",
            args.site
        ))),
        Err(error @ UnlockError::Io { .. }) => Err(CommandError::Failed(error.to_string())),
        Err(error) => Err(CommandError::Failed(format!("`{}`: {error}", args.site))),
    }
}

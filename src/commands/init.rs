//! `sitectl init [DIR]`: a sites repository in one command.

use super::{CommandError, Context, Outcome};
use crate::commands::args::InitArgs;
use crate::diagnostic::words::plural;
use crate::lifecycle::init::{InitError, init as create};
use crate::source::load::display_name;

pub(super) fn init(args: &InitArgs, _context: &Context) -> Result<Outcome, CommandError> {
    let done = create(&args.dir, args.force).map_err(|error| match error {
        InitError::Render(diagnostics) => {
            CommandError::invalid(diagnostics, "error: the example does not render\n")
        }
        other => CommandError::Failed(other.to_string()),
    })?;
    let shown = display_name(&args.dir);
    let mut stderr = format!(
        "created a sites repository in {shown}: {} {} written, {} rendered\n",
        done.written,
        plural(done.written, "file", "files"),
        done.rendered
    );
    if !done.kept.is_empty() {
        let count = done.kept.len();
        let names = if count <= 10 {
            format!(": {}", done.kept.join(", "))
        } else {
            String::new()
        };
        stderr.push_str(&format!(
            "kept {count} {} that existed already, as they are{names}\n",
            plural(count, "file", "files"),
        ));
    }
    let enter = if shown == "." {
        String::new()
    } else {
        format!("cd {} && ", crate::diagnostic::words::shell_quoted(&shown))
    };
    stderr.push_str(&format!(
        "next: {enter}git init && sitectl validate && git add -A && git commit -m \"sites\"\n"
    ));
    Ok(Outcome::note(stderr))
}

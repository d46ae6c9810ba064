use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use sitectl::app::{self, Context};
use sitectl::cli::{Cli, ColorChoice};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // NO_COLOR wins over everything, `--color always` included (DESIGN §4).
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = !no_color
        && match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::io::stderr().is_terminal(),
        };
    let today = std::env::var("SITECTL_TODAY").ok();
    let outcome = app::run(&cli, &Context { color, today });
    // A closed pipe (`sitectl schema | head`) is not an error worth a panic.
    let _ = std::io::stdout()
        .lock()
        .write_all(outcome.stdout.as_bytes());
    let _ = std::io::stderr()
        .lock()
        .write_all(outcome.stderr.as_bytes());
    ExitCode::from(outcome.code)
}

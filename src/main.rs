use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use sitectl::app::{self, Context};
use sitectl::cli::{Cli, ColorChoice};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
    };
    let today = match std::env::var("SITECTL_TODAY") {
        Ok(text) => match text.parse() {
            Ok(date) => Some(date),
            Err(_) => {
                eprintln!("error: SITECTL_TODAY must be a date as YYYY-MM-DD, not `{text}`");
                return ExitCode::from(2);
            }
        },
        Err(_) => None,
    };
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

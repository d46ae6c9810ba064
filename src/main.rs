use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sitectl::{CLEAR_LINE, Cli, ColorChoice, Context, progress_bar};

fn main() -> ExitCode {
    let cli = Cli::from_env();
    // NO_COLOR wins over everything, `--color always` included (README, "Output").
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = !no_color
        && match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::io::stderr().is_terminal(),
        };
    let today = std::env::var("SITECTL_TODAY").ok();
    let drawn = Arc::new(AtomicBool::new(false));
    let progress = std::io::stderr().is_terminal().then(|| {
        let drawn = Arc::clone(&drawn);
        let start = Instant::now();
        // Only a run over a second earns a bar; redrawn at most ten times a second.
        let last = Mutex::new(Instant::now());
        Arc::new(move |done: usize, total: usize| {
            let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
            if start.elapsed() < Duration::from_secs(1)
                || last.elapsed() < Duration::from_millis(100)
            {
                return;
            }
            *last = Instant::now();
            drawn.store(true, Ordering::Relaxed);
            let _ = std::io::stderr()
                .lock()
                .write_all(progress_bar(done, total).as_bytes());
        }) as Arc<dyn Fn(usize, usize) + Send + Sync>
    });
    // Hand-off output line by line, as it happens; whole lines only, so
    // parallel sites never interleave mid-line.
    let emit = Arc::new(|line: &str| {
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }) as Arc<dyn Fn(&str) + Send + Sync>;
    let confirm = std::io::stdin().is_terminal().then(|| {
        Arc::new(|question: &str| {
            eprint!("{question}");
            // The answer is read on its own thread, so that a Ctrl-C while
            // the question waits stops the run (its locks released) at once.
            let (answer, answered) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut line = String::new();
                let yes = std::io::stdin().read_line(&mut line).is_ok()
                    && matches!(line.trim(), "y" | "Y" | "yes");
                let _ = answer.send(yes);
            });
            loop {
                match answered.recv_timeout(Duration::from_millis(100)) {
                    Ok(yes) => return yes,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) if sitectl::interrupted() => {
                        eprintln!();
                        return false;
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return false,
                }
            }
        }) as Arc<dyn Fn(&str) -> bool + Send + Sync>
    });
    let outcome = sitectl::run(
        &cli,
        &Context {
            color,
            today,
            progress,
            emit: Some(emit),
            confirm,
        },
    );
    if drawn.load(Ordering::Relaxed) {
        let _ = std::io::stderr().lock().write_all(CLEAR_LINE.as_bytes());
    }
    // A closed pipe (`sitectl schema | head`) is not an error worth a panic.
    let _ = std::io::stdout()
        .lock()
        .write_all(outcome.stdout.as_bytes());
    let _ = std::io::stderr()
        .lock()
        .write_all(outcome.stderr.as_bytes());
    ExitCode::from(outcome.code)
}

//! One command of a hand-off as a process: its lines logged and passed on
//! as they come, what sitectl reads of them kept, and the process stopped
//! with everything it started, at its deadline or when the run is
//! interrupted.

use std::fs;
use std::io::{BufRead, BufReader, Write as _};
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::run::Limits;
use super::{Events, HandoffError, Role, Step};

/// Where one target's lines go: its log file, and the caller's events
/// prefixed with `[site/target]`.
pub(super) struct Log<'e> {
    pub(super) file: fs::File,
    pub(super) prefix: String,
    pub(super) events: Events<'e>,
}

impl Log<'_> {
    /// Into the log file only.
    pub(super) fn write(&mut self, line: &str) {
        let _ = writeln!(self.file, "{line}");
    }

    /// Shown as it happens, not logged.
    pub(super) fn show(&self, line: &str) {
        (self.events)(&format!("{} {line}", self.prefix));
    }

    /// Logged and shown.
    pub(super) fn both(&mut self, line: &str) {
        self.write(line);
        self.show(line);
    }
}

/// What sitectl reads of a step's output: its stdout, when its role reads
/// it, and the end of its stderr (why it failed).
#[derive(Debug, Default)]
pub(super) struct Printed {
    pub(super) stdout: String,
    pub(super) stderr: String,
}

/// How much of a step's stderr is kept to read: the end, where tools say why.
const STDERR_KEPT: usize = 64 * 1024;

/// Runs one command: its lines logged and shown as they come (a step that
/// captures keeps its stdout instead of showing it), stopped at the
/// deadline. A plan's JSON is read, never logged: it holds the values of
/// the attributes Terraform marks sensitive (generated passwords), and logs
/// are kept and uploaded. Returns how it exited and what it printed.
pub(super) fn run_step(
    step: &Step,
    out: &mut Log<'_>,
    limits: Limits<'_>,
) -> Result<(ExitStatus, Printed), HandoffError> {
    if limits.stopped() {
        return Err(HandoffError::Interrupted);
    }
    let timeout = limits.timeout;
    let mut child = Command::new(&step.program)
        .args(&step.args)
        .current_dir(&step.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A group of its own: the tool and everything it starts are stopped
        // together, and a Ctrl-C at the terminal reaches sitectl alone.
        .process_group(0)
        .spawn()
        .map_err(|e| HandoffError::Failed(step.program.clone(), e.to_string()))?;
    // Both streams are read on their own threads, whole lines at a time,
    // so a tool that hangs can be stopped at the deadline.
    let (sender, lines) = std::sync::mpsc::channel::<(bool, String)>();
    let streams: [(bool, Option<Box<dyn std::io::Read + Send>>); 2] = [
        (
            true,
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ),
        (
            false,
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ),
    ];
    for (is_stdout, stream) in streams {
        let sender = sender.clone();
        if let Some(stream) = stream {
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if sender.send((is_stdout, line)).is_err() {
                        break;
                    }
                }
            });
        }
    }
    drop(sender);
    let started = Instant::now();
    let mut captured = Printed::default();
    let captures = !matches!(step.role, Role::Run | Role::Init);
    let secret = matches!(step.role, Role::Gate | Role::Changes);
    // When the tool exited while something it started still holds its
    // output open: that is stopped shortly after, never waited for.
    let mut exited: Option<(ExitStatus, Instant)> = None;
    loop {
        match lines.recv_timeout(Duration::from_millis(50)) {
            Ok((is_stdout, line)) => {
                if !(secret && is_stdout) {
                    out.write(&line);
                }
                if captures && is_stdout {
                    captured.stdout.push_str(&line);
                    captured.stdout.push('\n');
                } else {
                    out.show(&line);
                }
                if !is_stdout {
                    captured.stderr.push_str(&line);
                    captured.stderr.push('\n');
                    if captured.stderr.len() > 2 * STDERR_KEPT {
                        let cut = captured.stderr.len() - STDERR_KEPT;
                        let cut = (cut..captured.stderr.len())
                            .find(|i| captured.stderr.is_char_boundary(*i))
                            .unwrap_or(cut);
                        captured.stderr.drain(..cut);
                    }
                }
                // No `continue`: a tool that never stops talking is still
                // stopped at its deadline or by an interruption.
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if exited.is_none()
                    && let Some(status) = child
                        .try_wait()
                        .map_err(|e| HandoffError::Io(e.to_string()))?
                {
                    exited = Some((status, Instant::now()));
                }
                if let Some((status, at)) = exited
                    && at.elapsed() > LEFTOVER_GRACE
                {
                    // SAFETY: the group this run created; a group id is not
                    // given to a new process while a member of it lives.
                    unsafe { libc::killpg(child.id() as libc::pid_t, libc::SIGKILL) };
                    out.write("stopped: what the tool left running after it exited");
                    return Ok((status, captured));
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                if let Some((status, _)) = exited {
                    // What it started let go of the output, but may still run.
                    // SAFETY: the group this run created (see below).
                    unsafe { libc::killpg(child.id() as libc::pid_t, libc::SIGKILL) };
                    return Ok((status, captured));
                }
                if let Some(status) = child
                    .try_wait()
                    .map_err(|e| HandoffError::Io(e.to_string()))?
                {
                    // Nothing of the group may outlive the step.
                    // SAFETY: as above.
                    unsafe { libc::killpg(child.id() as libc::pid_t, libc::SIGKILL) };
                    return Ok((status, captured));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        if limits.stopped() {
            stop_group(&mut child);
            out.write("stopped: the run was interrupted");
            return Err(HandoffError::Interrupted);
        }
        if started.elapsed() > timeout {
            stop_group(&mut child);
            out.write(&format!("stopped: no answer after {}s", timeout.as_secs()));
            return Err(HandoffError::TimedOut(step.display(), timeout.as_secs()));
        }
    }
}

/// How long what a tool started may hold its output open after the tool
/// exited (a last line still in a pipe) before it is stopped.
const LEFTOVER_GRACE: Duration = Duration::from_secs(2);

/// How long a stopped tool gets to stop by itself: terraform finishes the
/// resource at hand, saves its state and releases its lock; helm rolls back.
const GRACE: Duration = Duration::from_secs(120);

/// Stops a tool and everything it started. The whole group gets SIGINT, as
/// Ctrl-C at a terminal gives it (terraform and its providers, helm and its
/// plugins are made for that: they finish the step at hand and stop); a
/// script's loop stops with its child. Whatever is left of the group once
/// the tool exited, or after the grace period, gets SIGKILL.
fn stop_group(child: &mut Child) {
    let leader = child.id() as libc::pid_t;
    // SAFETY: killpg only signals the group this run created, which stays
    // ours until the leader is reaped below.
    unsafe { libc::killpg(leader, libc::SIGINT) };
    let grace = Instant::now();
    loop {
        // `try_wait` reaps the leader; the group is killed first, while its
        // id cannot have been reused.
        let exited = matches!(child.try_wait(), Ok(Some(_)));
        if exited || grace.elapsed() > GRACE {
            unsafe { libc::killpg(leader, libc::SIGKILL) };
            let _ = child.wait();
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The line of a tool's stderr that says why it failed: the last one that
/// starts `Error:` (terraform, helm, az), else the last non-blank one;
/// without colour codes, and cut to a line's length.
pub(super) fn last_error_line(stderr: &str) -> Option<String> {
    let plain: Vec<String> = stderr
        .lines()
        .map(|line| {
            strip_ansi(line)
                .trim_matches(|c: char| c.is_whitespace() || "│╷╵".contains(c))
                .to_string()
        })
        .filter(|line| !line.is_empty())
        .collect();
    let line = plain
        .iter()
        .rev()
        .find(|l| l.starts_with("Error:") || l.starts_with("error:"))
        .or_else(|| plain.last())?;
    Some(line.chars().take(200).collect())
}

/// `text` without ANSI escape sequences (terraform colours what it prints).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                // Parameters up to the final byte, a letter.
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failures_reason_is_the_tools_last_error_without_colour() {
        let stderr = "\u{1b}[31m╷\u{1b}[0m\n\u{1b}[31m│\u{1b}[0m \u{1b}[1m\u{1b}[31mError: \u{1b}[0m\u{1b}[1mNo valid credential sources found\u{1b}[0m\n\u{1b}[31m╵\u{1b}[0m\n";
        assert_eq!(
            last_error_line(stderr).as_deref(),
            Some("Error: No valid credential sources found")
        );
        assert_eq!(
            last_error_line("warming up\nboom\n").as_deref(),
            Some("boom")
        );
        assert_eq!(last_error_line(""), None);
    }
}

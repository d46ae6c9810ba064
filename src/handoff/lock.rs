//! The per-site lock of a hand-off: created exclusively in the site's output
//! folder, naming its holder (host, process, start), removed when dropped.
//! A lock whose holder is gone from this host is stale: it is reported as
//! such, with `sitectl unlock SITE` as the way out.

use std::fs;
use std::path::{Path, PathBuf};

use super::HandoffError;
use crate::source::load::display_name;

/// The lock's file name in a site's output folder.
pub const LOCK: &str = ".sitectl-lock";

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub host: String,
    pub pid: u32,
    pub since: String,
}

/// Whether a holder still runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Alive,
    Gone,
    /// On another host: sitectl cannot tell.
    Unknown,
}

impl Holder {
    fn current() -> Holder {
        Holder {
            host: hostname(),
            pid: std::process::id(),
            since: jiff::Timestamp::now().to_string(),
        }
    }

    fn text(&self) -> String {
        format!(
            "host={}\npid={}\nsince={}\n",
            self.host, self.pid, self.since
        )
    }

    /// The lock file's text; `None` when it names no process.
    pub fn parse(text: &str) -> Option<Holder> {
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
                .map(str::to_string)
        };
        Some(Holder {
            host: field("host").unwrap_or_default(),
            pid: field("pid")?.parse().ok()?,
            since: field("since").unwrap_or_default(),
        })
    }

    pub fn liveness(&self) -> Liveness {
        // Outside what a pid can be, kill(2) would ask about a whole group.
        if self.host != hostname() || self.pid == 0 || self.pid > i32::MAX as u32 {
            return Liveness::Unknown;
        }
        // Signal 0 checks that the process exists without touching it.
        // SAFETY: kill(2) with signal 0 sends nothing; any pid is safe to ask.
        let result = unsafe { libc::kill(self.pid as libc::pid_t, 0) };
        let missing =
            result != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if missing || self.pid_was_reused() {
            Liveness::Gone
        } else {
            Liveness::Alive
        }
    }

    /// Whether the process now at the pid started after the lock was taken:
    /// then it is another process that was given the pid again, and the
    /// holder is gone. Read from /proc where there is one; elsewhere, no.
    fn pid_was_reused(&self) -> bool {
        let (Ok(since), Some(started)) = (
            self.since.parse::<jiff::Timestamp>(),
            process_start(self.pid),
        ) else {
            return false;
        };
        // The holder wrote its lock after it started; a few seconds of
        // slack for the clock's resolution.
        started > since.as_second() + 5
    }
}

/// When a process started, in seconds since the epoch, from /proc.
fn process_start(pid: u32) -> Option<i64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may
    // hold spaces; the start time is the 22nd field, the 20th after it.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let ticks: i64 = after_name.split_whitespace().nth(19)?.parse().ok()?;
    let boot: i64 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (per_second > 0).then(|| boot + ticks / per_second as i64)
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sitectl pid {} on {} since {}",
            self.pid, self.host, self.since
        )
    }
}

fn hostname() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that.
    let result = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if result != 0 {
        return "unknown".into();
    }
    let end = buffer.iter().position(|b| *b == 0).unwrap_or(buffer.len());
    String::from_utf8_lossy(&buffer[..end]).into_owned()
}

/// A held lock, released when dropped (also when a run is interrupted).
pub struct Lock {
    path: PathBuf,
    /// What this run wrote: only that is ever removed.
    text: String,
    /// The holder whose lock this one replaced: a sitectl on this host that
    /// is gone (killed), named so the run can say so.
    pub took_over: Option<String>,
}

impl Lock {
    /// Takes the lock of the site in `dir`. A lock left by a sitectl on
    /// this host that is gone (it was killed) is taken over; any other
    /// holder refuses the site.
    pub fn take(dir: &Path, site: &str) -> Result<Lock, HandoffError> {
        let path = dir.join(LOCK);
        let mut took_over = None;
        // Twice at most: once more after a dead holder's lock was cleared.
        let mine = Holder::current().text();
        for _ in 0..2 {
            // Written whole and then linked into place: a lock is never
            // seen empty, so a live one is never taken for a dead one.
            match crate::output::write::write_new(&path, &mine) {
                Ok(()) => {
                    return Ok(Lock {
                        path,
                        text: mine,
                        took_over,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(HandoffError::Io(e.to_string())),
            }
            let text = fs::read_to_string(&path).unwrap_or_default();
            let holder = Holder::parse(&text);
            match &holder {
                Some(dead) if dead.liveness() == Liveness::Gone && took_over.is_none() => {
                    if !clear_dead(&path, &text) {
                        break;
                    }
                    took_over = Some(dead.to_string());
                }
                _ => {
                    return Err(HandoffError::Locked {
                        holder: holder
                            .map_or_else(|| text.trim().to_string(), |holder| holder.to_string()),
                        path: display_name(&path),
                        site: site.to_string(),
                    });
                }
            }
        }
        let holder = fs::read_to_string(&path).unwrap_or_default();
        Err(HandoffError::Locked {
            holder: Holder::parse(&holder)
                .map_or_else(|| holder.trim().to_string(), |h| h.to_string()),
            path: display_name(&path),
            site: site.to_string(),
        })
    }
}

/// Removes the lock at `path` if it is still the dead holder's `text`: it
/// is moved aside first, so that a lock another run took in the meantime
/// is put back, never removed. Whether the dead lock went.
fn clear_dead(path: &Path, text: &str) -> bool {
    let aside = path.with_extension(format!("stale-{}", std::process::id()));
    if fs::rename(path, &aside).is_err() {
        return false;
    }
    let moved = fs::read_to_string(&aside).unwrap_or_default();
    if moved != text {
        // Another run's fresh lock: back into place (unless a third took
        // the name, which then holds the site).
        let _ = fs::hard_link(&aside, path);
        let _ = fs::remove_file(&aside);
        return false;
    }
    fs::remove_file(&aside).is_ok()
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Never another run's lock that replaced this one meanwhile.
        if fs::read_to_string(&self.path).is_ok_and(|now| now == self.text) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Whether the site folder `dir` is locked by a holder that may still run.
pub fn is_held(dir: &Path) -> bool {
    fs::read_to_string(dir.join(LOCK)).is_ok_and(|text| {
        Holder::parse(&text).is_none_or(|holder| holder.liveness() != Liveness::Gone)
    })
}

/// Why `sitectl unlock` left a lock in place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnlockError {
    #[error("the lock is held by a running process ({0}): wait for it, or stop it")]
    Alive(String),
    #[error(
        "the lock is held from another host ({0}): sitectl cannot tell whether it still runs; pass --force once you know it does not"
    )]
    OtherHost(String),
    #[error("cannot remove {path}: {message}")]
    Io { path: String, message: String },
}

/// Removes the lock in `dir` when its holder is gone (or `force`); returns
/// who held it, or `None` when there was no lock.
pub fn unlock(dir: &Path, force: bool) -> Result<Option<String>, UnlockError> {
    let path = dir.join(LOCK);
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(None);
    };
    let holder = Holder::parse(&text);
    let shown = holder
        .as_ref()
        .map_or_else(|| text.trim().to_string(), ToString::to_string);
    match holder.map(|h| h.liveness()) {
        Some(Liveness::Alive) => return Err(UnlockError::Alive(shown)),
        Some(Liveness::Unknown) if !force => return Err(UnlockError::OtherHost(shown)),
        // A lock that names no process (an older sitectl's) is removed.
        _ => {}
    }
    fs::remove_file(&path).map_err(|e| UnlockError::Io {
        path: display_name(&path),
        message: e.to_string(),
    })?;
    Ok(Some(shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_round_trips_and_knows_whether_it_runs() {
        let me = Holder::current();
        assert_eq!(Holder::parse(&me.text()), Some(me.clone()));
        assert_eq!(me.liveness(), Liveness::Alive);
        let gone = Holder {
            pid: i32::MAX as u32,
            ..me.clone()
        };
        assert_eq!(gone.liveness(), Liveness::Gone);
        let elsewhere = Holder {
            host: format!("{}-elsewhere", me.host),
            ..me
        };
        assert_eq!(elsewhere.liveness(), Liveness::Unknown);
        assert_eq!(Holder::parse("sitectl pid 12 since then"), None);
        // A lock older than the process now at its pid: the pid was given again.
        let reused = Holder {
            since: "2000-01-01T00:00:00Z".into(),
            ..Holder::current()
        };
        assert_eq!(reused.liveness(), Liveness::Gone);
    }
}

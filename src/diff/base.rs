//! The base side of `sitectl diff --base REF`: the specs and blueprints as
//! they are at a git revision, read from git objects (`git archive`) into a
//! temporary folder, never by checking out over the user's work tree.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git is not installed or not on PATH")]
    NoGit,
    #[error("`{0}` is not a revision of this repository")]
    UnknownRevision(String),
    #[error("git failed: {0}")]
    Failed(String),
}

/// A folder holding `paths` as they are at `revision`; removed on drop.
pub struct Snapshot {
    pub root: PathBuf,
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn git(args: &[&str]) -> Result<String, GitError> {
    let output = Command::new("git")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|_| GitError::NoGit)?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_string())
    } else {
        Err(GitError::Failed(
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        ))
    }
}

/// Extracts `paths` (relative to the current folder) at `revision` into a
/// new temporary folder, keeping their relative layout.
pub fn snapshot(revision: &str, paths: &[&Path]) -> Result<Snapshot, GitError> {
    git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{revision}^{{commit}}"),
    ])
    .map_err(|_| GitError::UnknownRevision(revision.to_string()))?;
    let prefix = git(&["rev-parse", "--show-prefix"])?;
    let root = std::env::temp_dir().join(format!(
        "sitectl-base-{}-{}",
        std::process::id(),
        revision.replace(['/', ':', '~', '^'], "_")
    ));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).map_err(|e| GitError::Failed(e.to_string()))?;
    let snapshot = Snapshot { root };
    // Only the paths that exist at the revision: a folder added since is
    // simply empty on the base side.
    let present: Vec<String> = paths
        .iter()
        .map(|p| format!("{prefix}{}", p.to_string_lossy().trim_end_matches('/')))
        .filter(|p| git(&["cat-file", "-e", &format!("{revision}:{p}")]).is_ok())
        .collect();
    if present.is_empty() {
        return Ok(snapshot);
    }
    let top = git(&["rev-parse", "--show-toplevel"])?;
    let mut archive = Command::new("git")
        .args(["-C", &top, "archive", "--format=tar", revision, "--"])
        .args(&present)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|_| GitError::NoGit)?;
    let tar = Command::new("tar")
        .args(["-x", "-C"])
        .arg(&snapshot.root)
        .stdin(
            archive
                .stdout
                .take()
                .ok_or_else(|| GitError::Failed("no archive output".into()))?,
        )
        .output()
        .map_err(|e| GitError::Failed(format!("tar: {e}")))?;
    let archived = archive
        .wait_with_output()
        .map_err(|e| GitError::Failed(e.to_string()))?;
    if !archived.status.success() || !tar.status.success() {
        return Err(GitError::Failed(format!(
            "{}{}",
            String::from_utf8_lossy(&archived.stderr),
            String::from_utf8_lossy(&tar.stderr)
        )));
    }
    // `git archive` writes paths from the top of the repository.
    let inner = snapshot.root.join(prefix.trim_end_matches('/'));
    if !prefix.is_empty() {
        let moved = snapshot.root.with_extension("inner");
        let _ = std::fs::rename(&inner, &moved);
        let _ = std::fs::remove_dir_all(&snapshot.root);
        let _ = std::fs::rename(&moved, &snapshot.root);
    }
    Ok(snapshot)
}

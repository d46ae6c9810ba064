//! The base side of `sitectl diff --base REF`: the specs and blueprints as
//! they are at a git revision, read from git objects (`git archive`) into a
//! temporary folder, never by checking out over the user's work tree.

use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git is not installed or not on PATH")]
    NoGit,
    #[error("`{0}` is not a revision of this repository")]
    UnknownRevision(String),
    #[error("git failed: {0}")]
    Failed(String),
    #[error("{0} is outside this git repository")]
    Outside(String),
}

/// The repository's files at a revision, laid out as in the work tree under
/// `root` (the top of the repository is `root`); removed on drop.
pub struct Snapshot {
    pub root: PathBuf,
    /// The top of the work tree, and the working directory, both canonical.
    top: PathBuf,
    cwd: PathBuf,
}

impl Snapshot {
    /// `path`, as named from the working directory, relative to the top of
    /// the repository (where the snapshot holds its copy).
    pub fn in_repository(&self, path: &Path) -> Option<PathBuf> {
        in_repository(&self.top, &self.cwd, path)
    }
}

/// `path` (relative to `cwd`, or absolute) relative to `top`, lexically:
/// `None` when it lies outside.
fn in_repository(top: &Path, cwd: &Path, path: &Path) -> Option<PathBuf> {
    let mut absolute = PathBuf::new();
    for component in cwd.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                absolute.pop();
            }
            other => absolute.push(other),
        }
    }
    absolute.strip_prefix(top).ok().map(Path::to_path_buf)
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

/// Extracts `paths` (relative to the working directory, from any folder of
/// the repository) at `revision` into a new temporary folder, laid out as
/// the repository is.
pub fn snapshot(revision: &str, paths: &[&Path]) -> Result<Snapshot, GitError> {
    git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{revision}^{{commit}}"),
    ])
    .map_err(|_| GitError::UnknownRevision(revision.to_string()))?;
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let cwd = std::env::current_dir().map_err(|e| GitError::Failed(e.to_string()))?;
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    let root = std::env::temp_dir().join(format!(
        "sitectl-base-{}-{}",
        std::process::id(),
        revision.replace(['/', ':', '~', '^'], "_")
    ));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).map_err(|e| GitError::Failed(e.to_string()))?;
    let snapshot = Snapshot { root, top, cwd };
    let mut inside = Vec::new();
    for path in paths {
        let Some(relative) = snapshot.in_repository(path) else {
            return Err(GitError::Outside(path.display().to_string()));
        };
        inside.push(relative.to_string_lossy().into_owned());
    }
    // Only the paths that exist at the revision: a folder added since is
    // simply empty on the base side.
    let present: Vec<String> = inside
        .into_iter()
        .filter(|p| git(&["cat-file", "-e", &format!("{revision}:{p}")]).is_ok())
        .collect();
    if present.is_empty() {
        return Ok(snapshot);
    }
    let mut archive = Command::new("git")
        .arg("-C")
        .arg(&snapshot.top)
        .args(["archive", "--format=tar", revision, "--"])
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
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_from_any_folder_are_named_from_the_top_of_the_repository() {
        let top = Path::new("/repo");
        assert_eq!(
            in_repository(top, Path::new("/repo/sites/emea"), Path::new("../../sites")),
            Some(PathBuf::from("sites"))
        );
        assert_eq!(
            in_repository(top, Path::new("/repo"), Path::new("./blueprints/")),
            Some(PathBuf::from("blueprints"))
        );
        assert_eq!(
            in_repository(
                top,
                Path::new("/repo/sites"),
                Path::new("/repo/sites/a.yaml")
            ),
            Some(PathBuf::from("sites/a.yaml"))
        );
        assert_eq!(
            in_repository(top, Path::new("/repo"), Path::new("../elsewhere")),
            None
        );
    }
}

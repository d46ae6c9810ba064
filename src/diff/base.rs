//! The base side of `sitectl diff --base REF`: the specs, the tier catalog
//! and the blueprints as they are at a git revision, read from git objects
//! into memory (`git ls-tree`, `git cat-file --batch`) under the paths they
//! have in the work tree, never by checking out over the user's work tree
//! and never through a temporary folder.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::source::tree::{Files, lexical, within};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git is not installed or not on PATH")]
    NoGit,
    #[error("`{0}` is not a revision of this repository")]
    UnknownRevision(String),
    #[error(
        "the sites repository is not a git repository (run `git init`, or run this in a clone)"
    )]
    NotARepository,
    #[error("git failed: {0}")]
    Failed(String),
    #[error("{0} is outside this git repository")]
    Outside(String),
}

fn git(repository: &Path, args: &[&str]) -> Result<String, GitError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(repository)
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

/// The files under `paths` (named from the working directory) as they are
/// at `revision` of the git repository that holds `repository`, in memory.
/// A path that did not exist at the revision simply holds nothing.
pub fn files_at(revision: &str, repository: &Path, paths: &[&Path]) -> Result<Files, GitError> {
    let cwd = std::env::current_dir().map_err(|e| GitError::Failed(e.to_string()))?;
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    let repository = lexical(&cwd.join(repository));
    // Outside a git repository, say so: no revision could be found there.
    git(&repository, &["rev-parse", "--git-dir"]).map_err(|_| GitError::NotARepository)?;
    git(
        &repository,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            // A commit, or a tree: the empty tree is a base with no sites.
            &format!("{revision}^{{tree}}"),
        ],
    )
    .map_err(|_| GitError::UnknownRevision(revision.to_string()))?;
    let top = PathBuf::from(git(&repository, &["rev-parse", "--show-toplevel"])?);
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let mut inside = Vec::new();
    for path in paths {
        match within(&top, &cwd, path) {
            Some(relative) if relative.as_os_str().is_empty() => inside.push(".".to_string()),
            Some(relative) => inside.push(relative.to_string_lossy().into_owned()),
            None => return Err(GitError::Outside(path.display().to_string())),
        }
    }
    let listing = Command::new("git")
        .arg("-C")
        .arg(&top)
        .args(["ls-tree", "-r", "-z", "--full-tree", revision, "--"])
        .args(&inside)
        .stdin(Stdio::null())
        .output()
        .map_err(|_| GitError::NoGit)?;
    if !listing.status.success() {
        return Err(GitError::Failed(
            String::from_utf8_lossy(&listing.stderr).trim().to_string(),
        ));
    }
    // `<mode> blob <object>\t<path>`: regular files only (a link or a
    // submodule is no spec, template or catalog).
    let blobs: Vec<(String, PathBuf)> = listing
        .stdout
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let entry = std::str::from_utf8(entry).ok()?;
            let (meta, path) = entry.split_once('\t')?;
            let mut meta = meta.split(' ');
            let (mode, kind, object) = (meta.next()?, meta.next()?, meta.next()?);
            (kind == "blob" && mode.starts_with("100"))
                .then(|| (object.to_string(), PathBuf::from(path)))
        })
        .collect();
    let contents = read_blobs(&top, blobs.iter().map(|(object, _)| object.as_str()))?;
    let files: BTreeMap<PathBuf, Vec<u8>> = blobs
        .into_iter()
        .map(|(_, path)| path)
        .zip(contents)
        .collect();
    Ok(Files::new(top, cwd, files))
}

/// The files under `path` (named from the working directory) whose
/// contents differ between `revision` and the work tree, relative to
/// `path`: git compares the objects' hashes, so this reads no contents.
pub fn changed_under(
    revision: &str,
    repository: &Path,
    path: &Path,
) -> Result<Vec<PathBuf>, GitError> {
    let cwd = std::env::current_dir().map_err(|e| GitError::Failed(e.to_string()))?;
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    let repository = lexical(&cwd.join(repository));
    let top = PathBuf::from(git(&repository, &["rev-parse", "--show-toplevel"])?);
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let Some(relative) = within(&top, &cwd, path) else {
        return Err(GitError::Outside(path.display().to_string()));
    };
    let output = Command::new("git")
        .arg("-C")
        .arg(&top)
        .args(["diff", "--name-only", "-z", "--no-renames", revision, "--"])
        .arg(if relative.as_os_str().is_empty() {
            Path::new(".")
        } else {
            &relative
        })
        .stdin(Stdio::null())
        .output()
        .map_err(|_| GitError::NoGit)?;
    if !output.status.success() {
        return Err(GitError::Failed(
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        ));
    }
    Ok(output
        .stdout
        .split(|b| *b == 0)
        .filter_map(|name| std::str::from_utf8(name).ok())
        .filter_map(|name| Path::new(name).strip_prefix(&relative).ok())
        .map(Path::to_path_buf)
        .collect())
}

/// The contents of git objects, in the order asked, through one
/// `git cat-file --batch`.
fn read_blobs<'a>(
    top: &Path,
    objects: impl Iterator<Item = &'a str>,
) -> Result<Vec<Vec<u8>>, GitError> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|_| GitError::NoGit)?;
    let request: String = objects.map(|o| format!("{o}\n")).collect();
    let count = request.lines().count();
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| GitError::Failed("no stdin".into()))?;
    // Written on its own thread: git answers while it reads, and a full
    // pipe on either side would otherwise stop both.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut out = BufReader::new(
        child
            .stdout
            .take()
            .ok_or_else(|| GitError::Failed("no stdout".into()))?,
    );
    let failed = |what: &str| GitError::Failed(format!("git cat-file: {what}"));
    let mut contents = Vec::with_capacity(count);
    for _ in 0..count {
        let mut header = String::new();
        out.read_line(&mut header)
            .map_err(|e| failed(&e.to_string()))?;
        // `<object> blob <size>`
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| failed(header.trim()))?;
        let mut blob = vec![0; size + 1];
        out.read_exact(&mut blob)
            .map_err(|e| failed(&e.to_string()))?;
        blob.truncate(size);
        contents.push(blob);
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(contents)
}

//! Where a run reads its inputs from: the disk, or the files of a git
//! revision held in memory under the paths they have in the work tree. The
//! source stage, the tier catalog and the blueprints all read through a
//! [`Tree`], so another revision renders through the same pipeline, under
//! the same names, without a temporary folder.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// What a path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File {
        len: u64,
    },
    Dir,
    /// A pipe, a socket, a device.
    Other,
}

/// The files a run reads.
#[derive(Debug, Clone, Default)]
pub enum Tree {
    #[default]
    Disk,
    /// A git revision's files, in memory.
    Revision(Arc<Files>),
}

/// The files of a revision, by their path from the top of the repository.
#[derive(Debug, Default)]
pub struct Files {
    /// The top of the work tree and the working directory, both canonical:
    /// a path as the user names it is looked up from them.
    top: PathBuf,
    cwd: PathBuf,
    blobs: BTreeMap<PathBuf, Vec<u8>>,
}

impl Files {
    pub fn new(top: PathBuf, cwd: PathBuf, blobs: BTreeMap<PathBuf, Vec<u8>>) -> Files {
        Files { top, cwd, blobs }
    }

    /// `path` (from the working directory, or absolute) from the top of
    /// the repository; `None` outside it.
    pub fn in_repository(&self, path: &Path) -> Option<PathBuf> {
        within(&self.top, &self.cwd, path)
    }

    fn kind(&self, path: &Path) -> Option<Kind> {
        let inside = self.in_repository(path)?;
        if let Some(blob) = self.blobs.get(&inside) {
            return Some(Kind::File {
                len: blob.len() as u64,
            });
        }
        let is_dir = inside.as_os_str().is_empty()
            || self
                .blobs
                .range(inside.clone()..)
                .next()
                .is_some_and(|(p, _)| p.starts_with(&inside));
        is_dir.then_some(Kind::Dir)
    }

    /// The names directly inside `dir`, sorted.
    fn children(&self, dir: &Path) -> Vec<String> {
        let Some(inside) = self.in_repository(dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = self
            .blobs
            .range(inside.clone()..)
            .map(|(p, _)| p)
            .take_while(|p| p.starts_with(&inside))
            .filter_map(|p| p.strip_prefix(&inside).ok()?.components().next())
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        names.dedup();
        names
    }
}

fn not_found() -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, "no such file or directory")
}

impl Tree {
    /// What `path` holds, following links on disk.
    pub fn kind(&self, path: &Path) -> io::Result<Kind> {
        match self {
            Tree::Disk => {
                let metadata = std::fs::metadata(path)?;
                Ok(if metadata.is_dir() {
                    Kind::Dir
                } else if metadata.is_file() {
                    Kind::File {
                        len: metadata.len(),
                    }
                } else {
                    Kind::Other
                })
            }
            Tree::Revision(files) => files.kind(path).ok_or_else(not_found),
        }
    }

    pub fn is_dir(&self, path: &Path) -> bool {
        matches!(self.kind(path), Ok(Kind::Dir))
    }

    pub fn is_file(&self, path: &Path) -> bool {
        matches!(self.kind(path), Ok(Kind::File { .. }))
    }

    /// The file's bytes, at most `limit + 1` of them (so that a caller can
    /// tell a file over its limit without reading all of it).
    pub fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        match self {
            Tree::Disk => {
                let mut bytes = Vec::new();
                std::fs::File::open(path)?
                    .take(limit + 1)
                    .read_to_end(&mut bytes)?;
                Ok(bytes)
            }
            Tree::Revision(files) => {
                let inside = files.in_repository(path).ok_or_else(not_found)?;
                let blob = files.blobs.get(&inside).ok_or_else(not_found)?;
                let end = blob
                    .len()
                    .min(usize::try_from(limit + 1).unwrap_or(usize::MAX));
                Ok(blob[..end].to_vec())
            }
        }
    }

    /// The whole file as text.
    pub fn read_to_string(&self, path: &Path) -> io::Result<String> {
        let bytes = self.read(path, u64::MAX - 1)?;
        String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// The entries of a folder, as `dir/<name>`, sorted.
    pub fn read_dir(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let mut entries: Vec<PathBuf> = match self {
            Tree::Disk => std::fs::read_dir(dir)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .collect(),
            Tree::Revision(files) => {
                if !matches!(files.kind(dir), Some(Kind::Dir)) {
                    return Err(not_found());
                }
                files
                    .children(dir)
                    .into_iter()
                    .map(|name| dir.join(name))
                    .collect()
            }
        };
        entries.sort();
        Ok(entries)
    }
}

/// `path` (from `cwd`, or absolute) relative to the folder `root`, by
/// names alone; `None` when it lies outside it.
pub fn within(root: &Path, cwd: &Path, path: &Path) -> Option<PathBuf> {
    lexical(&cwd.join(path))
        .strip_prefix(root)
        .ok()
        .map(Path::to_path_buf)
}

/// `path` with `.` and `..` resolved by their names alone, without asking
/// the file system.
pub fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision() -> Tree {
        let blobs = [
            ("sites/a.yaml", "a"),
            ("sites/emea/b.yaml", "bb"),
            ("blueprints/tiers.yaml", "t"),
        ]
        .into_iter()
        .map(|(p, t)| (PathBuf::from(p), t.as_bytes().to_vec()))
        .collect();
        Tree::Revision(Arc::new(Files::new(
            "/repo".into(),
            "/repo/sites".into(),
            blobs,
        )))
    }

    #[test]
    fn a_revision_is_read_under_the_work_trees_paths() {
        let tree = revision();
        assert_eq!(
            tree.kind(Path::new("a.yaml")).unwrap(),
            Kind::File { len: 1 }
        );
        assert_eq!(tree.kind(Path::new("../sites")).unwrap(), Kind::Dir);
        assert!(tree.is_dir(Path::new("emea")));
        assert!(tree.kind(Path::new("../nothing")).is_err());
        assert_eq!(
            tree.read_dir(Path::new(".")).unwrap(),
            [PathBuf::from("./a.yaml"), PathBuf::from("./emea")]
        );
        assert_eq!(tree.read(Path::new("emea/b.yaml"), 1).unwrap(), b"bb");
        assert_eq!(tree.read(Path::new("emea/b.yaml"), 0).unwrap(), b"b");
        assert_eq!(
            tree.read_to_string(Path::new("/repo/blueprints/tiers.yaml"))
                .unwrap(),
            "t"
        );
    }

    #[test]
    fn paths_are_resolved_by_name() {
        assert_eq!(lexical(Path::new("a/./b/../c")), Path::new("a/c"));
        assert_eq!(lexical(Path::new("/repo/sites/../x")), Path::new("/repo/x"));
    }
}

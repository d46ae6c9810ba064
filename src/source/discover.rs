//! Finds the spec files named on the command line: files as given, folders
//! walked for `.yaml` and `.yml`, in a stable order.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diagnostic::Diagnostic;
use crate::source::load::{ReadError, display_name};
use crate::source::tree::Tree;

/// Whether a path names a spec by its extension.
pub fn is_spec_path(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// Every spec file under `paths`, sorted and without repeats, and a
/// diagnostic for each path that cannot be walked.
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    discover_in(&Tree::Disk, paths)
}

/// [`discover`] in `tree`.
pub fn discover_in(tree: &Tree, paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        // A directory named like a spec is reported as such, never walked:
        // whether it was named on the command line or found in a folder.
        if !tree.is_dir(path) || is_spec_path(path) {
            // A named file is checked whatever its extension; a missing one
            // is reported by the load stage with the rest of its errors.
            files.push(path.clone());
            continue;
        }
        let before = files.len();
        match tree {
            Tree::Disk => walk_disk(path, &mut files, &mut problems),
            Tree::Revision(_) => walk_tree(tree, path, &mut files),
        }
        if files.len() == before {
            problems.push(Diagnostic::error(display_name(path), None, &NoSpecs));
        }
    }
    files.sort();
    // `sites ./sites` or a relative and an absolute path to one file name the
    // same spec: it is checked once, under the first name it was given.
    let mut seen = std::collections::HashSet::new();
    files.retain(|file| {
        let key = match tree {
            Tree::Disk => std::fs::canonicalize(file).unwrap_or_else(|_| file.clone()),
            Tree::Revision(_) => crate::source::tree::lexical(
                &std::env::current_dir().unwrap_or_default().join(file),
            ),
        };
        seen.insert(key)
    });
    (files, problems)
}

fn walk_disk(path: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<Diagnostic>) {
    let root = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut walk = WalkDir::new(path)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.path()));
    while let Some(entry) = walk.next() {
        match entry {
            Ok(entry) if entry.depth() > 0 && is_spec_path(entry.path()) => {
                if entry.file_type().is_dir() {
                    walk.skip_current_dir();
                }
                // A link found in the folder is read only when it leads to
                // a file inside the folder: never `sites/x.yaml` -> /etc/passwd.
                if entry.path_is_symlink()
                    && !std::fs::canonicalize(entry.path()).is_ok_and(|to| to.starts_with(&root))
                {
                    let problem = ReadError::LinkOutside(display_name(path));
                    problems.push(Diagnostic::error(
                        display_name(entry.path()),
                        None,
                        &problem,
                    ));
                    continue;
                }
                files.push(entry.into_path());
            }
            Ok(_) => {}
            Err(error) => {
                let at = error.path().unwrap_or(path);
                let problem = ReadError::Io(
                    error
                        .io_error()
                        .map_or_else(|| error.to_string(), ToString::to_string),
                );
                problems.push(Diagnostic::error(display_name(at), None, &problem));
            }
        }
    }
}

/// The same walk in a revision held in memory: hidden entries skipped, a
/// folder named like a spec taken as one (and refused by the load stage).
fn walk_tree(tree: &Tree, dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in tree.read_dir(dir).unwrap_or_default() {
        if is_hidden(&entry) {
            continue;
        }
        if is_spec_path(&entry) {
            files.push(entry);
        } else if tree.is_dir(&entry) {
            walk_tree(tree, &entry, files);
        }
    }
}

/// A folder named on the command line that holds no spec: most likely the
/// wrong folder, and never a reason to say "all valid".
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("no spec files (.yaml or .yml) in this folder")]
pub struct NoSpecs;

impl crate::diagnostic::Problem for NoSpecs {
    fn code(&self) -> &'static str {
        "read-no-specs"
    }

    fn hint(&self) -> Option<String> {
        Some("name the folder that holds the site specs, e.g. `sites`".into())
    }
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_folders_for_yaml_in_order_and_skips_hidden() {
        let dir = std::env::temp_dir().join(format!("sitectl-discover-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for file in [
            "b.yaml",
            "a.yml",
            "notes.txt",
            "sub/c.yaml",
            ".hidden/d.yaml",
        ] {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x: 1\n").unwrap();
        }
        std::fs::create_dir_all(dir.join("folder.yaml")).unwrap();
        std::fs::write(dir.join("folder.yaml/inner.yaml"), "x: 1\n").unwrap();
        let (files, problems) = discover(std::slice::from_ref(&dir));
        let names: Vec<String> = files
            .iter()
            .map(|f| display_name(f.strip_prefix(&dir).unwrap()))
            .collect();
        assert_eq!(names, ["a.yml", "b.yaml", "folder.yaml", "sub/c.yaml"]);
        assert!(problems.is_empty());
        let empty = dir.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let (_, problems) = discover(std::slice::from_ref(&empty));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, "read-no-specs");
        let twice = [dir.join("b.yaml"), dir.join("sub/../b.yaml"), dir.clone()];
        let (files, _) = discover(&twice);
        let b_files = files.iter().filter(|f| f.ends_with("b.yaml")).count();
        assert_eq!(b_files, 1, "{files:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

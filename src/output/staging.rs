//! The write stage in two steps, so that a fleet streams through it: each
//! site's changed files are written under temporary names as soon as the
//! site is rendered and checked ([`Staging::stage`]), and only once every
//! site of the run has passed are they renamed into place
//! ([`commit`]); a run that fails, or panics, removes what it staged (a
//! [`Staging`] not told to [`Staging::keep`] its files removes them when
//! dropped). Until the renames, no file under its final name
//! has changed; a run killed before them leaves temporary files of a dead
//! process, which the next render removes.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::diagnostic::Diagnostic;
use crate::output::manifest::{self, MANIFEST};
use crate::output::write::{
    Summary, check_site, remove_if_present, remove_rendered, temporary_path, write_atomic,
    write_failed, write_temporary,
};
use crate::render::engine::RenderedFile;
use crate::render::target::Target;

/// A site whose changed files wait under temporary names.
#[derive(Debug)]
pub struct StagedSite {
    pub site: String,
    /// The manifest's entries for what this run rendered.
    rendered: BTreeSet<String>,
    /// The entries whose new bytes wait under their temporary name.
    changed: Vec<String>,
    unchanged: usize,
    /// What a stopped run left in the folder: removed at the commit.
    leftovers: Vec<PathBuf>,
}

/// What a run has staged under one output folder, so that a failed run
/// removes all of it, whichever site it came from.
pub struct Staging<'a> {
    out: &'a Path,
    temporaries: Mutex<Vec<PathBuf>>,
    /// Folders the staging made: removed again, when empty, by a discard.
    made: Mutex<Vec<PathBuf>>,
    /// The sites staged so far: one spec per site folder.
    claimed: Mutex<BTreeSet<String>>,
    kept: bool,
}

impl<'a> Staging<'a> {
    pub fn new(out: &'a Path) -> Staging<'a> {
        Staging {
            out,
            temporaries: Mutex::new(Vec::new()),
            made: Mutex::new(Vec::new()),
            claimed: Mutex::new(BTreeSet::new()),
            kept: false,
        }
    }

    /// Whether `site` is this caller's to stage: `false` when another spec
    /// of the same name staged it already (the run is refused for that).
    pub fn claim(&self, site: &str) -> bool {
        lock(&self.claimed).insert(site.to_string())
    }

    /// Checks `site`'s folder (refused when it holds what is not sitectl's)
    /// and writes each of `files` whose bytes differ from the file on disk
    /// under its temporary name, with the mode of the file it will replace.
    pub fn stage<F: std::borrow::Borrow<RenderedFile>>(
        &self,
        site: &str,
        files: &[F],
    ) -> Result<StagedSite, Vec<Diagnostic>> {
        let dir = self.out.join(site);
        let folder = check_site(&dir)?;
        let mut staged = StagedSite {
            site: site.to_string(),
            rendered: BTreeSet::new(),
            changed: Vec::new(),
            unchanged: 0,
            leftovers: folder.leftovers,
        };
        for file in files {
            let file = file.borrow();
            let entry = format!("{}/{}", file.target, file.output);
            let path = dir.join(&entry);
            staged.rendered.insert(entry.clone());
            // Only a listed file counts as written: anything else at its
            // path is a leftover, removed before the new bytes go in.
            if folder.listed.get(&entry).map(Vec::as_slice) == Some(file.contents.as_bytes()) {
                staged.unchanged += 1;
                continue;
            }
            self.write_temporary(&path, file.contents.as_bytes())
                .map_err(|e| vec![write_failed(&path, e)])?;
            staged.changed.push(entry);
        }
        Ok(staged)
    }

    fn write_temporary(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        self.make_folders(dir)?;
        // Noted first, so that a discard removes even a half-written one.
        lock(&self.temporaries).push(temporary_path(path));
        write_temporary(path, bytes)
    }

    /// Makes `dir` and its missing parents, each noted before it is made
    /// (a discard removes only empty folders, so noting one that another
    /// thread made, or that was never made, is harmless).
    fn make_folders(&self, dir: &Path) -> std::io::Result<()> {
        if dir.is_dir() {
            return Ok(());
        }
        let missing = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf);
        lock(&self.made).extend(missing);
        fs::create_dir_all(dir)
    }

    /// Keeps what was staged, for [`commit`]: dropped after this, the
    /// staging removes nothing.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Staging<'_> {
    /// Removes everything staged, unless kept: the output folder is as it was.
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        for temporary in lock(&self.temporaries).drain(..) {
            let _ = fs::remove_file(temporary);
        }
        let mut made = std::mem::take(&mut *lock(&self.made));
        // The deepest first, whichever thread made them in which order.
        made.sort_by_key(|dir| std::cmp::Reverse(dir.components().count()));
        for dir in made {
            // Only an empty folder: anything else a racing writer put there stays.
            let _ = fs::remove_dir(dir);
        }
    }
}

/// The value behind `mutex`, even after a thread panicked holding it: the
/// lists it guards are whole after every push.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Puts a staged site in place: what a stopped run left goes, each staged
/// file is renamed over its final name, the files of this run's targets
/// that it no longer renders go, and the manifest lists what is there.
/// `targets`, when given, is the set of targets this run rendered: other
/// targets' files are left alone.
pub fn commit(
    out: &Path,
    staged: &StagedSite,
    targets: Option<&BTreeSet<Target>>,
) -> Result<Summary, Diagnostic> {
    let committed = put_in_place(out, staged, targets);
    if committed.is_err() {
        // What was not renamed yet goes: no temporary file outlives the run.
        for entry in &staged.changed {
            let _ = fs::remove_file(temporary_path(&out.join(&staged.site).join(entry)));
        }
    }
    committed
}

fn put_in_place(
    out: &Path,
    staged: &StagedSite,
    targets: Option<&BTreeSet<Target>>,
) -> Result<Summary, Diagnostic> {
    let dir = out.join(&staged.site);
    let mut summary = Summary {
        sites: 1,
        unchanged: staged.unchanged,
        ..Summary::default()
    };
    for path in &staged.leftovers {
        let removed = remove_if_present(path).map_err(|e| write_failed(path, e))?;
        summary.removed += usize::from(removed);
    }
    for entry in &staged.changed {
        let path = dir.join(entry);
        fs::rename(temporary_path(&path), &path).map_err(|e| write_failed(&path, e))?;
        summary.written += 1;
    }
    let previous = manifest::read(&dir).unwrap_or_default();
    let mut now = staged.rendered.clone();
    for entry in &previous {
        if now.contains(entry) {
            continue;
        }
        let in_scope =
            targets.is_none_or(|t| manifest::target_of(entry).is_some_and(|e| t.contains(&e)));
        if !in_scope {
            // Not rendered this run: still sitectl's, still listed.
            now.insert(entry.clone());
            continue;
        }
        let path = dir.join(entry);
        let removed = remove_rendered(&path).map_err(|e| write_failed(&path, e))?;
        summary.removed += usize::from(removed);
    }
    if now != previous {
        let path = dir.join(MANIFEST);
        write_atomic(&path, manifest::text(&now).as_bytes()).map_err(|e| write_failed(&path, e))?;
    }
    Ok(summary)
}

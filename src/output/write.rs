//! The write stage: rendered files onto disk under `<out>/<site>/<target>/`,
//! atomically, only when they changed, and without ever touching a file
//! sitectl did not write.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::diagnostic::words::plural;
use crate::diagnostic::{Diagnostic, Diagnostics, Problem};
use crate::output::manifest::{self, MANIFEST};
use crate::output::scan::{self, Stray};
use crate::output::staging::{self, StagedSite, Staging};
use crate::parallel::parallel_map;
use crate::render::engine::RenderedFile;
use crate::render::pipeline::OutputCheck;
use crate::render::stream::Compiler;
use crate::render::target::Target;
use crate::source::load::display_name;
use crate::validate::{Progress, Specs, ValidSite};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub sites: usize,
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

impl Summary {
    /// The line that closes a render run.
    pub fn line(&self) -> String {
        format!(
            "rendered {} {}: {} {} written, {} unchanged, {} removed\n",
            self.sites,
            plural(self.sites, "site", "sites"),
            self.written,
            plural(self.written, "file", "files"),
            self.unchanged,
            self.removed
        )
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot write {path}: {message}")]
pub struct WriteError {
    pub path: String,
    pub message: String,
}

impl Problem for WriteError {
    fn code(&self) -> &'static str {
        "write-io"
    }

    fn hint(&self) -> Option<String> {
        Some("check that the output folder is writable and the disk has room".into())
    }
}

/// Why an output folder is not written into: nothing is written or
/// removed anywhere when one is found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RefusedOutput {
    #[error(
        "{0} holds files and no site folder sitectl wrote (no {MANIFEST} in any): it is not an output folder of sitectl's"
    )]
    NotOurs(String),
    #[error("{path}: {}", kind.explain())]
    Stray { path: String, kind: Stray },
    #[error("{path} is listed in its site's {MANIFEST} but sitectl did not write it")]
    ListedForeign { path: String },
}

impl Problem for RefusedOutput {
    fn code(&self) -> &'static str {
        match self {
            RefusedOutput::NotOurs(_) => "output-not-ours",
            RefusedOutput::Stray {
                kind: Stray::Link, ..
            } => "output-link",
            RefusedOutput::Stray {
                kind: Stray::ReclaimOverride,
                ..
            } => "output-reclaim-override",
            RefusedOutput::Stray { .. } | RefusedOutput::ListedForeign { .. } => {
                "output-foreign-file"
            }
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            RefusedOutput::NotOurs(_) => {
                "render into a new or empty folder, or into one sitectl rendered before".into()
            }
            RefusedOutput::Stray { .. } => {
                "nothing was written or removed: fix this, then render again".into()
            }
            RefusedOutput::ListedForeign { .. } => {
                "the manifest was not written by sitectl, or the file was replaced: remove both, then render again".into()
            }
        })
    }
}

fn refused(problem: RefusedOutput) -> Diagnostic {
    let file = match &problem {
        RefusedOutput::NotOurs(path)
        | RefusedOutput::Stray { path, .. }
        | RefusedOutput::ListedForeign { path } => path.clone(),
    };
    Diagnostic::error(file, None, &problem)
}

/// Renders `specs` and writes the result under `out`: nothing is written
/// unless every spec, blueprint and output is valid. With `only_target`,
/// the other targets' files are left as they are; `check` says how the
/// outputs are parsed.
///
/// Sites stream through the stages a batch at a time (validate, render,
/// check, stage their changed files under temporary names), so memory does
/// not grow with the fleet; the staged files are renamed into place only
/// once every site has passed, and removed when one has not.
pub fn render_and_write(
    specs: Specs,
    blueprints: &Path,
    out: &Path,
    (only_target, check): (Option<Target>, OutputCheck),
    progress: Progress<'_>,
) -> Result<Summary, Box<Diagnostics>> {
    let compiler = Compiler::new(&specs, blueprints);
    let ours = scan::is_ours(out);
    let staging = Staging::new(out);
    // Every site is staged (or, when the folder is not sitectl's, only
    // checked) whatever the others do, so that a failed run reports the
    // same problems however its threads ran; its staged files go at the end.
    let each = |valid: &ValidSite, files: Vec<RenderedFile>| {
        let site = &valid.site.metadata.name;
        // A second spec of one name (refused at the end) stages nothing
        // into the first one's folder.
        if !ours || !staging.claim(site) {
            return check_site(&out.join(site)).map(|_| None);
        }
        staging.stage(site, &files).map(Some)
    };
    let mut checked = compiler.render_each(specs, (only_target, check), progress, &each);
    if !ours {
        let refusal = refused(RefusedOutput::NotOurs(display_name(out)));
        checked.diagnostics.list.insert(0, refusal);
    }
    if !checked.diagnostics.is_empty() {
        // Dropping the staging removes what it wrote.
        return Err(Box::new(checked.diagnostics.sorted()));
    }
    let staged: Vec<StagedSite> = checked.sites.into_iter().flatten().flatten().collect();
    let targets: Option<BTreeSet<Target>> = only_target.map(|t| [t].into());
    staging.keep();
    commit_all(out, &staged, targets.as_ref()).map_err(|list| {
        Box::new(Diagnostics {
            list,
            ..Diagnostics::default()
        })
    })
}

/// Writes every file of every site in `files`. `targets`, when given, is the
/// set of targets this run rendered: other targets' files are left alone.
/// Every site folder is checked before anything is written: a folder that is
/// not sitectl's, a link, a foreign file or a reclaim's override anywhere
/// refuses the whole run; what a stopped run left (temporary files, rendered
/// files no manifest lists) is removed.
pub fn write_all(
    out: &Path,
    files: &[RenderedFile],
    targets: Option<&BTreeSet<Target>>,
) -> Result<Summary, Vec<Diagnostic>> {
    if !scan::is_ours(out) {
        return Err(vec![refused(RefusedOutput::NotOurs(display_name(out)))]);
    }
    let mut by_site: BTreeMap<&str, Vec<&RenderedFile>> = BTreeMap::new();
    for file in files {
        by_site.entry(&file.site).or_default().push(file);
    }
    let sites: Vec<(&str, Vec<&RenderedFile>)> = by_site.into_iter().collect();
    let staging = Staging::new(out);
    let results = parallel_map(&sites, |(site, files)| staging.stage(site, files));
    let mut staged = Vec::new();
    let mut problems = Vec::new();
    for result in results {
        match result {
            Ok(site) => staged.push(site),
            Err(mut found) => problems.append(&mut found),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    staging.keep();
    commit_all(out, &staged, targets)
}

/// Every staged site put in place: sites are independent folders, so in
/// parallel.
fn commit_all(
    out: &Path,
    staged: &[StagedSite],
    targets: Option<&BTreeSet<Target>>,
) -> Result<Summary, Vec<Diagnostic>> {
    let results = parallel_map(staged, |site| staging::commit(out, site, targets));
    let mut total = Summary::default();
    for result in results {
        let summary = result.map_err(|d| vec![d])?;
        total.sites += summary.sites;
        total.written += summary.written;
        total.unchanged += summary.unchanged;
        total.removed += summary.removed;
    }
    Ok(total)
}

/// A site's folder, read before anything is written into it.
#[derive(Debug, Default)]
pub(crate) struct SiteFolder {
    /// What a stopped run left: removed when the run commits.
    pub leftovers: Vec<PathBuf>,
    /// The bytes of each file the manifest lists (read once, for the check
    /// and for the comparison with what the run renders).
    pub listed: BTreeMap<String, Vec<u8>>,
}

/// A site folder before anything is written into it: the leftovers of a
/// stopped run to remove and the files it holds, or why it is refused.
pub(crate) fn check_site(dir: &Path) -> Result<SiteFolder, Vec<Diagnostic>> {
    let listed = if scan::is_link(dir) {
        BTreeSet::new()
    } else {
        manifest::read(dir).unwrap_or_default()
    };
    let mut problems = Vec::new();
    let mut folder = SiteFolder::default();
    for found in scan::strays(dir, &listed) {
        if found.kind.is_recoverable() {
            folder.leftovers.push(found.path);
        } else {
            problems.push(refused(RefusedOutput::Stray {
                path: display_name(&found.path),
                kind: found.kind,
            }));
        }
    }
    // A listed file sitectl did not write is never overwritten or removed.
    for entry in listed {
        let path = dir.join(&entry);
        if scan::is_link(&path) {
            continue;
        }
        let Ok(bytes) = fs::read(&path) else {
            continue;
        };
        if scan::is_rendered(&bytes) {
            folder.listed.insert(entry, bytes);
        } else {
            problems.push(refused(RefusedOutput::ListedForeign {
                path: display_name(&path),
            }));
        }
    }
    if problems.is_empty() {
        Ok(folder)
    } else {
        Err(problems)
    }
}

pub(crate) fn write_failed(path: &Path, error: std::io::Error) -> Diagnostic {
    Diagnostic::error(
        display_name(path),
        None,
        &WriteError {
            path: display_name(path),
            message: error.to_string(),
        },
    )
}

/// Removes what sitectl wrote for a site (the files its manifest lists, then
/// the manifest): anything else in the folder, such as hand-off logs, stays.
/// Returns how many files went.
pub fn remove_site(dir: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    if scan::is_link(dir) {
        return Err(std::io::Error::other(format!(
            "{} is a symbolic link: sitectl removes nothing through one",
            display_name(dir)
        )));
    }
    for entry in manifest::read(dir).unwrap_or_default() {
        let path = dir.join(&entry);
        // Only what sitectl wrote, never through a link.
        if scan::read_listed(dir, &entry).is_none_or(|text| !scan::is_rendered(text.as_bytes())) {
            continue;
        }
        removed += usize::from(remove_rendered(&path)?);
    }
    remove_if_present(&dir.join(MANIFEST))?;
    let _ = fs::remove_dir(dir);
    Ok(removed)
}

/// Removes `path`; whether it was there.
pub(crate) fn remove_if_present(path: &Path) -> std::io::Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Removes a rendered file and then its target folder if that is empty
/// (anything else in it stays); whether the file was there.
pub(crate) fn remove_rendered(path: &Path) -> std::io::Result<bool> {
    let removed = remove_if_present(path)?;
    if let Some(parent) = path.parent() {
        let _ = fs::remove_dir(parent);
    }
    Ok(removed)
}

/// Where `path`'s new bytes wait before a rename puts them in place:
/// `.NAME.PID.sitectl-tmp` beside it, which the next run of any process
/// finds and, once this one is gone, removes.
pub(crate) fn temporary_path(path: &Path) -> PathBuf {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(
        ".{name}.{}{}",
        std::process::id(),
        scan::TEMPORARY_SUFFIX
    ))
}

/// Writes to a temporary file beside `path` and renames it over `path`: a
/// reader sees the old file or the new one, never half of either.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let temp = temporary_path(path);
    let result = write_temporary(path, bytes).and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Writes `bytes` to `path`'s temporary name (see [`temporary_path`]), in a
/// folder that exists, with the mode of the file at `path` if there is one:
/// what a rename then puts in place.
pub(crate) fn write_temporary(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temp = temporary_path(path);
    // No fsync: rendered files are regenerated from the specs at will, and
    // the rename alone makes the swap atomic for every reader. It cost a
    // sixth of a 1,000-site render (BENCHMARKS.md).
    // Never through whatever lies at the temporary name (a link a pull
    // request planted for a guessed pid): it is removed, not followed.
    let create = || {
        use std::os::unix::fs::OpenOptionsExt as _;
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&temp)
    };
    let mut file = match create() {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            fs::remove_file(&temp)?;
            create()?
        }
        other => other?,
    };
    file.write_all(bytes)?;
    // The file it replaces keeps its mode (a spec kept private stays so).
    if let Ok(old) = fs::symlink_metadata(path)
        && old.is_file()
    {
        file.set_permissions(old.permissions())?;
    }
    Ok(())
}

/// Writes `text` to `path` atomically and only if `path` does not exist: the
/// text goes to a temporary file first and is hard-linked into place, which
/// fails rather than replaces.
pub fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(
        ".{file_name}.{}{}",
        std::process::id(),
        scan::TEMPORARY_SUFFIX
    ));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::hard_link(&temp, path)
    })();
    let _ = fs::remove_file(&temp);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::escape::Language;

    fn file(site: &str, target: &str, output: &str, contents: &str) -> RenderedFile {
        RenderedFile {
            site: site.into(),
            target: target.parse().unwrap(),
            output: output.into(),
            language: Language::Yaml,
            template: "t".into(),
            contents: contents.into(),
        }
    }

    #[test]
    fn writes_skips_unchanged_and_removes_only_its_own_stale_files() {
        let out = std::env::temp_dir().join(format!("sitectl-write-{}", std::process::id()));
        let _ = fs::remove_dir_all(&out);
        let first = [
            file(
                "a",
                "helm",
                "values.yaml",
                "# Generated by sitectl from a\nx: 1\n",
            ),
            file(
                "a",
                "terraform",
                "main.tf",
                "# Generated by sitectl from a\na = 1\n",
            ),
        ];
        let s = write_all(&out, &first, None).unwrap();
        assert_eq!((s.written, s.unchanged, s.removed), (2, 0, 0));

        let second = [file(
            "a",
            "helm",
            "values.yaml",
            "# Generated by sitectl from a\nx: 1\n",
        )];
        let s = write_all(&out, &second, None).unwrap();
        assert_eq!((s.written, s.unchanged, s.removed), (0, 1, 1));
        assert!(!out.join("a/terraform/main.tf").exists());

        // A run narrowed to one target leaves the others' files listed.
        let third = [file(
            "a",
            "terraform",
            "main.tf",
            "# Generated by sitectl from a\n",
        )];
        let only: BTreeSet<Target> = [Target::Terraform].into();
        write_all(&out, &third, Some(&only)).unwrap();
        let manifest = fs::read_to_string(out.join("a").join(MANIFEST)).unwrap();
        assert!(
            manifest.contains("helm/values.yaml") && manifest.contains("terraform/main.tf"),
            "{manifest}"
        );
        fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn a_foreign_file_where_a_tool_reads_refuses_the_run_before_any_write() {
        let out =
            std::env::temp_dir().join(format!("sitectl-write-foreign-{}", std::process::id()));
        let _ = fs::remove_dir_all(&out);
        let files = [file(
            "a",
            "terraform",
            "main.tf",
            "# Generated by sitectl from a\n",
        )];
        write_all(&out, &files, None).unwrap();
        fs::write(
            out.join("a/terraform/backdoor.tf"),
            "resource \"x\" \"y\" {}\n",
        )
        .unwrap();
        let changed = [file(
            "a",
            "terraform",
            "main.tf",
            "# Generated by sitectl from a\nb\n",
        )];
        let refused = write_all(&out, &changed, None).unwrap_err();
        assert_eq!(refused[0].code, "output-foreign-file", "{refused:?}");
        assert!(refused[0].message.contains("backdoor.tf"), "{refused:?}");
        let kept = fs::read_to_string(out.join("a/terraform/main.tf")).unwrap();
        assert_eq!(
            kept, "# Generated by sitectl from a\n",
            "nothing was written"
        );
        fs::remove_dir_all(&out).unwrap();
    }

    /// Regression (review): a link planted at the temporary name of a
    /// guessed pid was written through.
    #[test]
    fn a_link_at_the_temporary_name_is_replaced_not_followed() {
        let dir = std::env::temp_dir().join(format!("sitectl-write-link-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let victim = dir.join("victim");
        fs::write(&victim, "precious").unwrap();
        let temp = dir.join(format!(
            ".out.{}{}",
            std::process::id(),
            scan::TEMPORARY_SUFFIX
        ));
        std::os::unix::fs::symlink(&victim, &temp).unwrap();
        write_atomic(&dir.join("out"), b"new").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(fs::read_to_string(dir.join("out")).unwrap(), "new");
        assert!(!scan::is_link(&dir.join("out")));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_folder_sitectl_did_not_make_is_refused() {
        let out =
            std::env::temp_dir().join(format!("sitectl-write-notours-{}", std::process::id()));
        let _ = fs::remove_dir_all(&out);
        fs::create_dir_all(out.join("a")).unwrap();
        fs::write(out.join("a/notes.txt"), "mine").unwrap();
        let files = [file(
            "b",
            "helm",
            "values.yaml",
            "# Generated by sitectl from b\n",
        )];
        let refused = write_all(&out, &files, None).unwrap_err();
        assert_eq!(refused[0].code, "output-not-ours");
        assert!(!out.join("b").exists());
        fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn a_tampered_manifest_cannot_reach_outside_the_site() {
        let out = std::env::temp_dir().join(format!("sitectl-write-evil-{}", std::process::id()));
        let _ = fs::remove_dir_all(&out);
        fs::create_dir_all(out.join("a")).unwrap();
        fs::write(out.join("keep.txt"), "x").unwrap();
        fs::write(
            out.join("a").join(MANIFEST),
            "../keep.txt\n/etc/passwd\nhelm/../../keep.txt\n",
        )
        .unwrap();
        write_all(&out, &[file("a", "helm", "values.yaml", "x: 1\n")], None).unwrap();
        assert!(out.join("keep.txt").exists());
        fs::remove_dir_all(&out).unwrap();
    }
}

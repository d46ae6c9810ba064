//! Deterministic archives: the same entries give the same bytes, whatever
//! the machine, the clock or the order files were found in. Entries sorted
//! by path, every folder its own entry, fixed modes, owner root (0:0), one
//! time for every entry, gzip without a file name or a time of its own.
//! Also the reading side: every entry of an archive or a folder, hashed as
//! it streams past.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Where an entry's bytes come from: memory, or a file streamed in (an
/// image archive may be gigabytes).
#[derive(Debug, Clone)]
pub enum Source {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// One file of an archive.
#[derive(Debug, Clone)]
pub struct Entry {
    /// A relative path with `/` separators, no `.` or `..` parts.
    pub path: String,
    pub executable: bool,
    pub source: Source,
}

impl Entry {
    pub fn bytes(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Entry {
        Entry {
            path: path.into(),
            executable: false,
            source: Source::Bytes(bytes.into()),
        }
    }

    pub fn script(path: impl Into<String>, text: &str) -> Entry {
        Entry {
            executable: true,
            ..Entry::bytes(path, text)
        }
    }

    pub fn file(path: impl Into<String>, file: PathBuf) -> Entry {
        Entry {
            path: path.into(),
            executable: false,
            source: Source::File(file),
        }
    }

    fn open(&self) -> io::Result<(Box<dyn Read + '_>, u64)> {
        Ok(match &self.source {
            Source::Bytes(bytes) => (Box::new(bytes.as_slice()), bytes.len() as u64),
            Source::File(path) => {
                let file = File::open(path)?;
                let len = file.metadata()?.len();
                (Box::new(file), len)
            }
        })
    }

    /// The SHA-256 of the entry's bytes, in hexadecimal.
    pub fn sha256(&self) -> io::Result<String> {
        let (mut reader, _) = self.open()?;
        hash(&mut reader)
    }
}

/// The SHA-256 of everything `reader` gives, in hexadecimal.
pub fn hash(reader: &mut dyn Read) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let read = reader.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex(&hasher.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A reader that hashes what passes through it.
struct Hashed<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..read]);
        Ok(read)
    }
}

/// The SHA-256 of each entry as it was written, by path: what the archive
/// or folder really holds, to compare with what was signed (a file changed
/// between the two reads would otherwise be signed under the wrong hash).
pub type Written = BTreeMap<String, String>;

impl Entry {
    /// Where its bytes come from, for a message.
    pub fn origin(&self) -> String {
        match &self.source {
            Source::File(path) => crate::source::load::display_name(path),
            Source::Bytes(_) => self.path.clone(),
        }
    }
}

/// Every folder the entries' paths pass through, parents first.
fn folders(entries: &[Entry]) -> Vec<String> {
    let mut folders = std::collections::BTreeSet::new();
    for entry in entries {
        let mut path = entry.path.as_str();
        while let Some((parent, _)) = path.rsplit_once('/') {
            folders.insert(parent.to_string());
            path = parent;
        }
    }
    folders.into_iter().collect()
}

/// Writes `entries` below the folder `top/` as a gzipped tar into `out`,
/// every entry at `mtime` (seconds since the epoch).
pub fn write_tar_gz<W: Write>(
    out: W,
    top: &str,
    entries: &[Entry],
    mtime: u64,
) -> io::Result<(W, Written)> {
    let mut written = Written::new();
    let gzip = flate2::GzBuilder::new()
        .mtime(0)
        .write(out, flate2::Compression::default());
    let mut tar = tar::Builder::new(gzip);
    tar.mode(tar::HeaderMode::Deterministic);
    let header = |kind: tar::EntryType, mode: u32, size: u64| {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(size);
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        header
    };
    let prefixed = |path: &str| {
        if top.is_empty() {
            path.to_string()
        } else {
            format!("{top}/{path}")
        }
    };
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut all: Vec<(String, Option<&Entry>)> = Vec::new();
    if !top.is_empty() {
        all.push((String::new(), None));
    }
    all.extend(folders(entries).into_iter().map(|f| (f, None)));
    all.extend(sorted.into_iter().map(|e| (e.path.clone(), Some(e))));
    all.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, entry) in all {
        match entry {
            None => {
                let mut header = header(tar::EntryType::Directory, 0o755, 0);
                let name = if path.is_empty() {
                    format!("{top}/")
                } else {
                    format!("{}/", prefixed(&path))
                };
                tar.append_data(&mut header, name, io::empty())?;
            }
            Some(entry) => {
                let (reader, len) = entry.open()?;
                let mode = if entry.executable { 0o755 } else { 0o644 };
                let mut header = header(tar::EntryType::Regular, mode, len);
                // A file that changed size under us would write a broken
                // archive: read exactly what the header says, or fail.
                let mut exact = Hashed {
                    inner: reader.take(len),
                    hasher: Sha256::new(),
                };
                tar.append_data(&mut header, prefixed(&path), &mut exact)?;
                if exact.inner.limit() != 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("{} shrank while it was archived", entry.origin()),
                    ));
                }
                written.insert(entry.path.clone(), hex(&exact.hasher.finalize()));
            }
        }
    }
    Ok((tar.into_inner()?.finish()?, written))
}

/// Writes `entries` into the folder `dir` (which must not exist or be
/// empty) with their modes.
pub fn write_folder(dir: &Path, entries: &[Entry]) -> io::Result<Written> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut written = Written::new();
    for entry in entries {
        let path = dir.join(&entry.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let (reader, _) = entry.open()?;
        let mut reader = Hashed {
            inner: reader,
            hasher: Sha256::new(),
        };
        let mut file = File::create(&path)?;
        io::copy(&mut reader, &mut file)?;
        let mode = if entry.executable { 0o755 } else { 0o644 };
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        written.insert(entry.path.clone(), hex(&reader.hasher.finalize()));
    }
    Ok(written)
}

/// What is in an archive or a folder, as a bundle's check reads it.
#[derive(Debug, Default)]
pub struct Listing {
    /// Relative path (below the archive's one top folder) → SHA-256.
    pub files: BTreeMap<String, String>,
    /// The bytes of the small files (up to 1 MiB), by path.
    pub small: BTreeMap<String, Vec<u8>>,
    /// Entries that are neither files nor folders, or lie outside the top
    /// folder: `(path, why)`.
    pub refused: Vec<(String, &'static str)>,
}

const SMALL: u64 = 1 << 20;

impl Listing {
    fn add(&mut self, path: String, reader: &mut dyn Read, len: u64) -> io::Result<()> {
        if len <= SMALL {
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes)?;
            self.files
                .insert(path.clone(), hex(&Sha256::digest(&bytes)));
            self.small.insert(path, bytes);
        } else {
            self.files.insert(path, hash(reader)?);
        }
        Ok(())
    }
}

/// Every entry of the gzipped tar at `path`, below its one top folder.
pub fn read_tar_gz(path: &Path) -> io::Result<Listing> {
    let gzip = flate2::read::GzDecoder::new(io::BufReader::new(File::open(path)?));
    let mut archive = tar::Archive::new(gzip);
    let mut listing = Listing::default();
    let mut top: Option<String> = None;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let name = name.trim_start_matches("./").to_string();
        if name.is_empty() {
            // `./` itself, as a `tar -C DIR .` writes it.
            continue;
        }
        let (first, rest) = name.split_once('/').unwrap_or((&name, ""));
        let unsafe_path = name.starts_with('/') || name.split('/').any(|part| part == "..");
        if unsafe_path {
            listing
                .refused
                .push((name.clone(), "an absolute path or `..`"));
            continue;
        }
        match &top {
            None => top = Some(first.to_string()),
            Some(top) if top != first => {
                listing
                    .refused
                    .push((name.clone(), "outside the bundle's one top folder"));
                continue;
            }
            Some(_) => {}
        }
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() || rest.is_empty() {
            listing
                .refused
                .push((name.clone(), "neither a file nor a folder (a link?)"));
            continue;
        }
        let len = entry.header().size()?;
        listing.add(rest.to_string(), &mut entry, len)?;
    }
    Ok(listing)
}

/// Every entry below the folder `dir`, without following links.
pub fn read_folder(dir: &Path) -> io::Result<Listing> {
    let mut listing = Listing::default();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        let relative = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace(std::path::MAIN_SEPARATOR, "/");
        let kind = entry.file_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            listing
                .refused
                .push((relative, "neither a file nor a folder (a link?)"));
            continue;
        }
        let mut file = File::open(entry.path())?;
        let len = file.metadata()?.len();
        listing.add(relative, &mut file, len)?;
    }
    Ok(listing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<Entry> {
        vec![
            Entry::bytes("b/file.txt", "two\n"),
            Entry::script("install.sh", "#!/bin/sh\n"),
            Entry::bytes("a.txt", "one\n"),
        ]
    }

    #[test]
    fn the_same_entries_in_any_order_give_the_same_bytes() {
        let (one, _) = write_tar_gz(Vec::new(), "top", &entries(), 1_800_000_000).unwrap();
        let mut reversed = entries();
        reversed.reverse();
        let (two, _) = write_tar_gz(Vec::new(), "top", &reversed, 1_800_000_000).unwrap();
        assert_eq!(one, two);
    }

    #[test]
    fn an_archive_reads_back_below_its_top_folder_with_modes_and_one_time() {
        let (bytes, written) = write_tar_gz(Vec::new(), "top", &entries(), 1_800_000_000).unwrap();
        assert_eq!(written["a.txt"], hex(&Sha256::digest(b"one\n")));
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let header = entry.header();
            assert_eq!(header.mtime().unwrap(), 1_800_000_000);
            assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
            seen.push(format!(
                "{} {:o}",
                entry.path().unwrap().display(),
                header.mode().unwrap()
            ));
        }
        assert_eq!(
            seen,
            [
                "top/ 755",
                "top/a.txt 644",
                "top/b/ 755",
                "top/b/file.txt 644",
                "top/install.sh 755"
            ]
        );
        let dir = std::env::temp_dir().join(format!("sitectl-archive-{}", std::process::id()));
        let file = dir.join("x.tar.gz");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&file, &bytes).unwrap();
        let listing = read_tar_gz(&file).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            listing.files.keys().collect::<Vec<_>>(),
            ["a.txt", "b/file.txt", "install.sh"]
        );
        assert_eq!(listing.small["b/file.txt"], b"two\n");
        assert!(listing.refused.is_empty());
    }
}

//! The container images a bundle carries: `docker save` archives, each
//! known by the image IDs inside it (the SHA-256 of each image's
//! configuration, which `manifest.json` names), matched against the
//! blueprint's pins. An archive comes from the command line, or from the
//! local Docker engine by `docker image save`.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use super::archive;

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{archive}: {why}")]
    Unreadable { archive: String, why: String },
    #[error(
        "{archive} holds no `manifest.json`: not an archive `docker save` wrote (docker image save --output FILE IMAGE makes one)"
    )]
    NoManifest { archive: String },
    #[error("cannot save image {id} ({reference}) from the local Docker engine: {why}")]
    Save {
        id: String,
        reference: String,
        why: String,
    },
}

/// `manifest.json` of a `docker save` archive: one entry per image (the
/// legacy layout names the configuration `<hex>.json`, the OCI layout
/// `blobs/sha256/<hex>`).
#[derive(Debug, Deserialize)]
struct SavedImage {
    #[serde(rename = "Config")]
    config: String,
}

fn unreadable(archive: &Path, why: impl ToString) -> ImageError {
    ImageError::Unreadable {
        archive: crate::source::load::display_name(archive),
        why: why.to_string(),
    }
}

/// Each entry of the (uncompressed) tar at `path`, in order, until `each`
/// says stop.
fn each_entry(
    path: &Path,
    mut each: impl FnMut(&str, &mut dyn Read) -> io::Result<bool>,
) -> io::Result<()> {
    let file = std::fs::File::open(path)?;
    let mut tar = tar::Archive::new(io::BufReader::new(file));
    for entry in tar.entries()? {
        let mut entry = entry?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let name = name.trim_start_matches("./").to_string();
        if !each(&name, &mut entry)? {
            break;
        }
    }
    Ok(())
}

/// The image IDs (`sha256:<hex>`) of the `docker save` archive at `path`.
pub fn image_ids(path: &Path) -> Result<Vec<String>, ImageError> {
    let mut manifest = None;
    each_entry(path, |name, reader| {
        if name == "manifest.json" {
            let mut text = String::new();
            reader.take(16 << 20).read_to_string(&mut text)?;
            manifest = Some(text);
            return Ok(false);
        }
        Ok(true)
    })
    .map_err(|e| unreadable(path, e))?;
    let manifest = manifest.ok_or_else(|| ImageError::NoManifest {
        archive: crate::source::load::display_name(path),
    })?;
    let images: Vec<SavedImage> = serde_json::from_str(&manifest)
        .map_err(|e| unreadable(path, format!("manifest.json: {e}")))?;
    let configs: Vec<String> = images
        .into_iter()
        .map(|i| i.config.trim_start_matches("./").to_string())
        .collect();
    let mut ids = vec![None; configs.len()];
    each_entry(path, |name, reader| {
        if let Some(at) = configs.iter().position(|c| c == name) {
            ids[at] = Some(format!("sha256:{}", archive::hash(reader)?));
        }
        Ok(ids.iter().any(Option::is_none))
    })
    .map_err(|e| unreadable(path, e))?;
    ids.into_iter()
        .zip(&configs)
        .map(|(id, config)| {
            id.ok_or_else(|| {
                unreadable(
                    path,
                    format!("manifest.json names {config}, which is not in it"),
                )
            })
        })
        .collect()
}

/// Saves the image `id` of the local Docker engine (`docker`, or the
/// command `SITECTL_DOCKER` names) to an archive in `dir`.
pub fn save(id: &str, reference: &str, dir: &Path) -> Result<PathBuf, ImageError> {
    let docker = std::env::var("SITECTL_DOCKER").unwrap_or_else(|_| "docker".into());
    let file = dir.join(format!("{}.tar", id.trim_start_matches("sha256:")));
    let failed = |why: String| ImageError::Save {
        id: id.to_string(),
        reference: reference.to_string(),
        why,
    };
    let output = Command::new(&docker)
        .args(["image", "save", "--output"])
        .arg(&file)
        .arg(id)
        .output()
        .map_err(|e| failed(format!("`{docker}` cannot run: {e}")))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        let last = said.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(failed(format!(
            "`{docker} image save` failed: {}",
            last.trim()
        )));
    }
    Ok(file)
}

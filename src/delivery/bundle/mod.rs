//! Air-gap bundles: everything a customer without internet needs to run a
//! self-hosted site, in one archive. The rendered Compose files (and the
//! Helm chart packaged with its values, and Bicep, per the site's targets),
//! the images as `docker save` archives pinned by image ID, the license
//! key, the install, upgrade, verify and diagnostics scripts, the offline
//! documentation, and `SHA256SUMS` with our signature over it. The scripts
//! check the signature and every file before anything is loaded.
//!
//! Deterministic: the same inputs (specs, blueprints, image archives, key,
//! and the issue moment, which `SITECTL_TODAY` fixes) give the same bytes;
//! every entry carries the license's issue time.

pub mod archive;
pub mod images;
pub mod verify;

use std::fmt::Write as _;
use std::path::PathBuf;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

use crate::render::engine::RenderedFile;
use archive::Entry;

/// The bundle's files that say what the rest is.
pub const SUMS: &str = "SHA256SUMS";
pub const SIGNATURE: &str = "SHA256SUMS.sig";
pub const PUBLIC_KEY: &str = "sitectl-public.pem";
pub const LICENSE: &str = "license/license.jwt";
pub const METADATA: &str = "BUNDLE";
pub const IMAGES: &str = "images.txt";

const SCRIPTS: [(&str, &str); 5] = [
    ("install.sh", include_str!("scripts/install.sh")),
    ("upgrade.sh", include_str!("scripts/upgrade.sh")),
    ("verify.sh", include_str!("scripts/verify.sh")),
    (
        "collect-diagnostics.sh",
        include_str!("scripts/collect-diagnostics.sh"),
    ),
    ("lib/common.sh", include_str!("scripts/lib/common.sh")),
];

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("the private key is not an RSA key in PEM (PKCS#1 or PKCS#8): {0}")]
    BadPrivateKey(String),
    #[error("the public key is not an RSA key in PEM: {0}")]
    BadPublicKey(String),
    #[error(
        "the private key is not the pair of the public key {public}: the customer could not verify the bundle"
    )]
    NotAPair { public: String },
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
}

/// One image the bundle carries.
#[derive(Debug, Clone)]
pub struct Image {
    /// `sha256:<hex>`, as the blueprint pins it.
    pub id: String,
    /// The name `compose.yaml` runs it by, below the customer's registry.
    pub reference: String,
    /// The `docker save` archive that holds it.
    pub archive: PathBuf,
}

/// The Helm chart, packaged as `helm package` would.
#[derive(Debug, Clone)]
pub struct Chart {
    pub name: String,
    pub version: String,
    /// Path below the chart's folder → bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

/// What a bundle is made of.
#[derive(Debug)]
pub struct Inputs<'a> {
    pub site: &'a str,
    pub customer: &'a str,
    pub version: &'a str,
    /// The site's rendered files, every target.
    pub rendered: &'a [RenderedFile],
    pub chart: Option<Chart>,
    pub images: Vec<Image>,
    /// The signed license key.
    pub license: String,
    /// Its expiry, as a day, for the documentation.
    pub license_until: String,
    pub public_key: Vec<u8>,
    /// Seconds since the epoch every entry carries: the license's issue.
    pub issued: u64,
}

impl Inputs<'_> {
    /// The folder every entry lies in: `<site>-<version>`.
    pub fn top(&self) -> String {
        format!("{}-{}", self.site, self.version)
    }
}

/// `images/<repository>-<tag>.tar`, `/` in a repository as `-`.
fn image_file(reference: &str) -> String {
    let name = reference.rsplit('/').next().unwrap_or(reference);
    format!("images/{}.tar", name.replace(':', "-"))
}

/// Every entry of the bundle, signed with the private key `pem`, whose pair
/// must be `inputs.public_key`.
pub fn entries(inputs: &Inputs<'_>, pem: &[u8]) -> Result<Vec<Entry>, BundleError> {
    let mut entries = Vec::new();
    for file in inputs.rendered {
        entries.push(Entry::bytes(
            format!("{}/{}", file.target, file.output),
            file.contents.clone(),
        ));
    }
    if let Some(chart) = &inputs.chart {
        let files: Vec<Entry> = chart
            .files
            .iter()
            .map(|(path, bytes)| Entry::bytes(path.clone(), bytes.clone()))
            .collect();
        let (packaged, _) = archive::write_tar_gz(Vec::new(), &chart.name, &files, inputs.issued)
            .map_err(|error| BundleError::Read {
            path: chart.name.clone(),
            error,
        })?;
        entries.push(Entry::bytes(
            format!("helm/{}-{}.tgz", chart.name, chart.version),
            packaged,
        ));
    }
    let mut listed =
        String::from("# file image-id reference: loaded, checked and named by the scripts\n");
    let mut files = std::collections::BTreeSet::new();
    for image in &inputs.images {
        let mut file = image_file(&image.reference);
        // Two repositories may end alike (`app`, `acme/app`): the ID, then a
        // count, tells their archives apart.
        let stem = file.trim_end_matches(".tar").to_string();
        let short = image
            .id
            .trim_start_matches("sha256:")
            .get(..12)
            .unwrap_or_default()
            .to_string();
        let mut n = 1;
        while files.contains(&file) {
            file = if n == 1 {
                format!("{stem}-{short}.tar")
            } else {
                format!("{stem}-{short}-{n}.tar")
            };
            n += 1;
        }
        files.insert(file.clone());
        let _ = writeln!(listed, "{file} {} {}", image.id, image.reference);
        entries.push(Entry::file(file, image.archive.clone()));
    }
    entries.push(Entry::bytes(IMAGES, listed));
    entries.push(Entry::bytes(
        METADATA,
        format!(
            "# What this bundle installs, read by its scripts.\nsite {}\nversion {}\nformat 1\n",
            inputs.site, inputs.version
        ),
    ));
    entries.push(Entry::bytes(LICENSE, format!("{}\n", inputs.license)));
    entries.push(Entry::bytes(PUBLIC_KEY, inputs.public_key.clone()));
    for (path, text) in SCRIPTS {
        entries.push(Entry::script(path, text));
    }
    entries.push(Entry::bytes("README.md", readme(inputs)));
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let mut sums = String::new();
    for entry in &entries {
        let digest = entry.sha256().map_err(|error| BundleError::Read {
            path: entry.origin(),
            error,
        })?;
        let _ = writeln!(sums, "{digest}  {}", entry.path);
    }
    let signature = sign(sums.as_bytes(), pem)?;
    check_pair(sums.as_bytes(), &signature, &inputs.public_key)?;
    entries.push(Entry::bytes(SUMS, sums));
    entries.push(Entry::bytes(SIGNATURE, signature));
    Ok(entries)
}

/// An RSA PKCS#1 v1.5 signature over SHA-256 (RS256), raw, as `openssl dgst
/// -sha256 -verify` reads it.
pub fn sign(message: &[u8], pem: &[u8]) -> Result<Vec<u8>, BundleError> {
    let key =
        EncodingKey::from_rsa_pem(pem).map_err(|e| BundleError::BadPrivateKey(e.to_string()))?;
    let encoded = jsonwebtoken::crypto::sign(message, &key, Algorithm::RS256)
        .map_err(|e| BundleError::BadPrivateKey(e.to_string()))?;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|e| BundleError::BadPrivateKey(e.to_string()))
}

/// Whether `signature` over `message` verifies with the public key `pem`.
pub fn verifies(message: &[u8], signature: &[u8], pem: &[u8]) -> Result<bool, BundleError> {
    let key =
        DecodingKey::from_rsa_pem(pem).map_err(|e| BundleError::BadPublicKey(e.to_string()))?;
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature);
    Ok(jsonwebtoken::crypto::verify(&encoded, message, &key, Algorithm::RS256).unwrap_or(false))
}

fn check_pair(message: &[u8], signature: &[u8], public: &[u8]) -> Result<(), BundleError> {
    if verifies(message, signature, public)? {
        Ok(())
    } else {
        Err(BundleError::NotAPair {
            public: PUBLIC_KEY.into(),
        })
    }
}

/// The SHA-256 of the public key's PEM, as `sha256sum` prints it: the
/// fingerprint the delivery note gives.
pub fn fingerprint(public: &[u8]) -> String {
    use sha2::Digest as _;
    archive::hex(&sha2::Sha256::digest(public))
}

/// The offline documentation: what the bundle holds and how to install,
/// verify, upgrade and collect diagnostics, for this site.
fn readme(inputs: &Inputs<'_>) -> String {
    let mut targets: Vec<String> = inputs
        .rendered
        .iter()
        .map(|f| format!("`{}/{}`", f.target, f.output))
        .collect();
    if let Some(chart) = &inputs.chart {
        targets.push(format!(
            "`helm/{}-{}.tgz` (the chart)",
            chart.name, chart.version
        ));
    }
    let images: String = inputs
        .images
        .iter()
        .map(|i| {
            format!(
                "- `{}`, image ID `{}`
",
                i.reference, i.id
            )
        })
        .collect();
    format!(
        include_str!("README.md.in"),
        site = inputs.site,
        customer = inputs.customer,
        version = inputs.version,
        until = inputs.license_until,
        fingerprint = fingerprint(&inputs.public_key),
        files = targets.join(", "),
        images = images,
        top = inputs.top(),
    )
}

#[cfg(test)]
mod tests {
    use super::image_file;

    #[test]
    fn an_image_file_is_named_after_the_last_part_of_its_reference() {
        assert_eq!(
            image_file("registry.acme.internal:5000/sitectl/app:2026.11.1"),
            "images/app-2026.11.1.tar"
        );
    }
}

//! `sitectl bundle verify`: the check the install script makes, before the
//! bundle leaves us or after it arrives. Our signature over SHA256SUMS,
//! every file's SHA-256, no file beside them, no entry that is not a plain
//! file, and the license key's signature and dates. Every problem is
//! reported, not the first.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::archive::Listing;
use super::{BundleError, LICENSE, METADATA, SIGNATURE, SUMS};
use crate::delivery::license::{self, Verdict};

/// What the check found.
#[derive(Debug)]
pub struct Report {
    /// `site` and `version` of the BUNDLE file, when it is there.
    pub site: Option<String>,
    pub version: Option<String>,
    /// Files the signed list names.
    pub signed: usize,
    /// Every problem, in words; empty when the bundle is whole and ours.
    pub problems: Vec<String>,
    /// The license, when its file is there.
    pub license: Option<Verdict>,
}

impl Report {
    /// Whole, ours, and licensed for today.
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && matches!(self.license, Some(Verdict::Valid(_)))
    }
}

/// `hash  path` lines of SHA256SUMS, and a problem for each line that is
/// not one.
pub(crate) fn parse_sums(text: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let mut sums = BTreeMap::new();
    let mut problems = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let Some((digest, path)) = line.split_once("  ") else {
            problems.push(format!(
                "{SUMS} line {}: not `<sha256>  <path>`",
                number + 1
            ));
            continue;
        };
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            problems.push(format!(
                "{SUMS} line {}: `{digest}` is not a SHA-256",
                number + 1
            ));
            continue;
        }
        sums.insert(path.to_string(), digest.to_ascii_lowercase());
    }
    (sums, problems)
}

/// Checks the bundle `listing` with our public key `public` as of `now`.
pub fn check(listing: &Listing, public: &[u8], now: Timestamp) -> Result<Report, BundleError> {
    let mut problems: Vec<String> = listing
        .refused
        .iter()
        .map(|(path, why)| format!("{path}: {why}, which a bundle never holds"))
        .collect();
    let metadata = listing
        .small
        .get(METADATA)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let field = |key: &str| {
        metadata.lines().find_map(|line| {
            let (k, v) = line.split_once(' ')?;
            (k == key).then(|| v.trim().to_string())
        })
    };
    let mut signed = 0;
    for (name, missing) in [
        (SUMS, !listing.small.contains_key(SUMS)),
        (SIGNATURE, !listing.small.contains_key(SIGNATURE)),
    ] {
        if missing {
            problems.push(format!("no {name}: the bundle is not whole"));
        }
    }
    if let (Some(sums), Some(signature)) = (listing.small.get(SUMS), listing.small.get(SIGNATURE))
        && !super::verifies(sums, signature, public)?
    {
        problems.push(format!(
            "{SIGNATURE} does not verify {SUMS} with this public key: the list was changed after it was signed, or signed by another key"
        ));
    }
    if let Some(sums) = listing.small.get(SUMS) {
        let (sums, bad_lines) = parse_sums(&String::from_utf8_lossy(sums));
        problems.extend(bad_lines);
        signed = sums.len();
        for (path, digest) in &sums {
            match listing.files.get(path) {
                None => problems.push(format!("{path}: signed, but missing")),
                Some(actual) if actual != digest => problems.push(format!(
                    "{path}: its SHA-256 is {actual}, the signed one {digest}: the file was changed or damaged"
                )),
                Some(_) => {}
            }
        }
        for path in listing.files.keys() {
            if path != SUMS && path != SIGNATURE && !sums.contains_key(path) {
                problems.push(format!("{path}: not signed (not in {SUMS})"));
            }
        }
    }
    let license = match listing.small.get(LICENSE) {
        None => {
            problems.push(format!("no {LICENSE}: the bundle carries no license key"));
            None
        }
        Some(token) => Some(
            license::verify(&String::from_utf8_lossy(token), public, now)
                .map_err(|e| BundleError::BadPublicKey(e.to_string()))?,
        ),
    };
    Ok(Report {
        site: field("site"),
        version: field("version"),
        signed,
        problems,
        license,
    })
}

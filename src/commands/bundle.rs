//! `sitectl bundle SITE`: an air-gapped site's signed bundle (its rendered
//! files, the images it runs, its license key, the scripts that install it);
//! `sitectl bundle verify`: the check those scripts make.

use std::path::{Path, PathBuf};

use super::license::{describe, find_site, now, private_key, read_named};
use super::{CommandError, Context, Outcome};
use crate::commands::args::{BundleArgs, BundleCommand, BundleVerifyArgs};
use crate::delivery::bundle::{self, Chart, Image, Inputs, archive, images};
use crate::delivery::license::{self, Verdict};
use crate::render::{airgap, blueprint, pipeline};
use crate::source::load::display_name;
use crate::spec::Deployment;
use crate::validate::Specs;
use crate::workspace::Workspace;

pub(super) fn bundle(
    args: &BundleArgs,
    ws: &Workspace,
    context: &Context,
) -> Result<Outcome, CommandError> {
    match &args.command {
        Some(BundleCommand::Verify(verify_args)) => verify(verify_args, ws),
        None => build(args, ws, context),
    }
}

/// The public key: `--public-key`, else the one committed beside the blueprints.
fn public_key(given: Option<&Path>, ws: &Workspace) -> Result<(PathBuf, Vec<u8>), CommandError> {
    let path = given.map_or_else(
        || ws.blueprints.join(super::license::PUBLIC_KEY),
        Path::to_path_buf,
    );
    let pem = std::fs::read(&path).map_err(|e| {
        CommandError::Usage(format!(
            "the public key {}: {e}{}",
            display_name(&path),
            if given.is_none() {
                " (commit it beside the blueprints, or name it with --public-key)"
            } else {
                ""
            }
        ))
    })?;
    if String::from_utf8_lossy(&pem).contains("PRIVATE KEY-----") {
        return Err(CommandError::Usage(format!(
            "{} is a private key: name the public key of the pair",
            display_name(&path)
        )));
    }
    Ok((path, pem))
}

fn failed(error: impl ToString) -> CommandError {
    CommandError::Failed(error.to_string())
}

/// The chart every Helm values file feeds, as `helm package` lays it out.
fn chart(ws: &Workspace) -> Result<Chart, CommandError> {
    let dir = blueprint::chart(&ws.blueprints);
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let entry = entry.map_err(failed)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(&dir)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace(std::path::MAIN_SEPARATOR, "/");
        let bytes = std::fs::read(entry.path())
            .map_err(|e| failed(format!("{}: {e}", display_name(entry.path()))))?;
        files.push((relative, bytes));
    }
    let chart_yaml = files
        .iter()
        .find(|(path, _)| path == "Chart.yaml")
        .and_then(|(_, bytes)| crate::source::yaml::parse(&String::from_utf8_lossy(bytes)).ok())
        .map(|root| root.to_json())
        .ok_or_else(|| failed(format!("{}: no readable Chart.yaml", display_name(&dir))))?;
    let field = |key: &str| {
        chart_yaml
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| failed(format!("{}/Chart.yaml has no `{key}`", display_name(&dir))))
    };
    Ok(Chart {
        name: field("name")?,
        version: field("version")?,
        files,
    })
}

/// The archive of every pinned image: from `--image-archive`, else saved
/// from the local Docker engine into `scratch`.
fn image_archives(
    pinned: &[(String, String)],
    given: &[PathBuf],
    scratch: &Path,
) -> Result<Vec<Image>, CommandError> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for path in given {
        read_named(path, "--image-archive")?;
        let ids = images::image_ids(path).map_err(failed)?;
        let mut used = false;
        for id in ids {
            if pinned.iter().any(|(_, pin)| *pin == id) {
                used = true;
                found.push((id, path.clone()));
            }
        }
        if !used {
            return Err(CommandError::Usage(format!(
                "--image-archive {}: it holds no image the site runs (pinned: {})",
                display_name(path),
                pinned
                    .iter()
                    .map(|(reference, id)| format!("{reference} {id}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let mut chosen = Vec::new();
    for (reference, id) in pinned {
        let archive = match found.iter().find(|(found, _)| found == id) {
            Some((_, path)) => path.clone(),
            None => images::save(id, reference, scratch).map_err(|e| {
                failed(format!(
                    "{e}\nhint: load or pull it into the local engine, or pass its `docker save` archive with --image-archive FILE"
                ))
            })?,
        };
        chosen.push(Image {
            id: id.clone(),
            reference: reference.clone(),
            archive,
        });
    }
    Ok(chosen)
}

fn build(args: &BundleArgs, ws: &Workspace, context: &Context) -> Result<Outcome, CommandError> {
    let (Some(name), Some(out)) = (&args.site, &args.out) else {
        return Err(CommandError::Usage(
            "name the site and --out (or `sitectl bundle verify FILE`)".into(),
        ));
    };
    check_out(out)?;
    let key = private_key(args.key.as_deref(), args.key_env.as_deref(), ws)?;
    let (public_path, public) = public_key(args.public_key.as_deref(), ws)?;
    let valid = find_site(name, ws)?;
    let spec = &valid.site.spec;
    if spec.deployment != Deployment::Selfhosted || airgap::air_gapped_registry(&valid).is_none() {
        return Err(CommandError::Usage(format!(
            "site `{name}` is not air-gapped ({}): a bundle carries everything a site without internet runs; set `selfhosted.airGapped: true` and its `registry`",
            spec.deployment
        )));
    }
    let rendered = pipeline::render_all(
        Specs::Paths(vec![valid.document.source.path.clone()]),
        &ws.blueprints,
        None,
        &|_, _| {},
    )
    .map_err(|diagnostics| {
        CommandError::invalid(
            diagnostics,
            format!("error: site `{name}` does not render\n"),
        )
    })?;
    let blueprint = rendered
        .blueprint_of(&valid)
        .ok_or_else(|| failed(format!("site `{name}` has no blueprint")))?;
    let pinned: Vec<(String, String)> = airgap::pinned_images(&valid, blueprint, &rendered.files)
        .map_err(|problems| {
            let mut diagnostics = crate::diagnostic::Diagnostics::default();
            diagnostics.list.extend(problems);
            CommandError::invalid(
                Box::new(diagnostics),
                format!("error: site `{name}` runs unpinned images\n"),
            )
        })?
        .into_iter()
        .map(|(reference, pin)| (reference, pin.id.clone()))
        .collect();
    let issued = now(context)?;
    let claims = license::claims(&valid.site, issued).map_err(failed)?;
    if issued.as_second() >= claims.exp {
        return Err(CommandError::Failed(format!(
            "the license of `{name}` ended on {}: renew it in the spec (`license.end`) before bundling; its install would refuse it",
            license::day(claims.exp - 1)
        )));
    }
    let token = license::sign(&claims, &key).map_err(failed)?;
    let chart = if rendered
        .files
        .iter()
        .any(|f| f.target == crate::render::target::Target::Helm)
    {
        Some(chart(ws)?)
    } else {
        None
    };
    let scratch = scratch(out)?;
    let result = (|| {
        let images = image_archives(&pinned, &args.image_archives, &scratch.0)?;
        let inputs = Inputs {
            site: name,
            customer: &valid.site.metadata.customer,
            version: &spec.app.version,
            rendered: &rendered.files,
            chart,
            images,
            license: token,
            license_until: license::day(claims.exp - 1),
            public_key: public.clone(),
            issued: u64::try_from(claims.iat).unwrap_or_default(),
        };
        let entries = bundle::entries(&inputs, &key).map_err(|e| match e {
            bundle::BundleError::NotAPair { .. } => CommandError::Usage(format!(
                "the private key is not the pair of {}: the customer could not verify the bundle (name the right one with --public-key)",
                display_name(&public_path)
            )),
            other => failed(other),
        })?;
        let written = write(out, &inputs.top(), &entries, (inputs.issued, &key))?;
        Ok(format!(
            "wrote {}: {name} {}, {} files, {} images; {}; signed by the pair of {} (sha256 {})\n",
            written
                .iter()
                .map(|p| display_name(p))
                .collect::<Vec<_>>()
                .join(", "),
            spec.app.version,
            entries.len(),
            inputs.images.len(),
            describe(&claims),
            display_name(&public_path),
            bundle::fingerprint(&public)
        ))
    })();
    drop(scratch);
    Ok(Outcome::note(result?))
}

/// A folder for saved images, removed when dropped: beside `out` when its
/// folder exists (images are large, and it is where they end up), else
/// the system's temporary folder.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn parent_of(out: &Path) -> &Path {
    out.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// `<parent>/.<name>.<pid>.<what>`: a temporary name beside `out`, whatever
/// trailing slash `out` was typed with.
fn beside(out: &Path, what: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    parent_of(out).join(format!(".{name}.{}.{what}", std::process::id()))
}

fn scratch(out: &Path) -> Result<Scratch, CommandError> {
    let dir = if parent_of(out).is_dir() {
        beside(out, "images.tmp")
    } else {
        std::env::temp_dir().join(format!("sitectl-bundle-images.{}", std::process::id()))
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| failed(format!("cannot create {}: {e}", display_name(&dir))))?;
    Ok(Scratch(dir))
}

fn is_archive(out: &Path) -> bool {
    let name = out.to_string_lossy();
    name.ends_with(".tar.gz") || name.ends_with(".tgz")
}

/// What `--out` names must be free to take the bundle: said before any
/// image is saved.
fn check_out(out: &Path) -> Result<(), CommandError> {
    if is_archive(out) {
        if out.is_dir() {
            return Err(CommandError::Usage(format!(
                "--out {}: a folder has that name",
                display_name(out)
            )));
        }
    } else if std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some()) || out.is_file() {
        return Err(CommandError::Usage(format!(
            "--out {}: it exists and is not an empty folder; name a new folder, or FILE.tar.gz",
            display_name(out)
        )));
    }
    Ok(())
}

/// A writer that hashes what passes through it: the archive's SHA-256
/// without reading it back.
struct HashingWriter<W> {
    inner: W,
    hasher: sha2::Sha256,
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buffer)?;
        sha2::Digest::update(&mut self.hasher, &buffer[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The files a build writes: the bundle, and beside an archive its
/// detached checksum and signature (`FILE.tar.gz.sha256`, `.sha256.sig`),
/// which the customer checks before running anything from inside it.
fn detached(out: &Path) -> (PathBuf, PathBuf) {
    let mut sums = out.as_os_str().to_owned();
    sums.push(".sha256");
    let mut signature = sums.clone();
    signature.push(".sig");
    (PathBuf::from(sums), PathBuf::from(signature))
}

/// Writes the bundle whole or not at all: into temporary names beside
/// `out`, checked against what was signed, renamed into place.
fn write(
    out: &Path,
    top: &str,
    entries: &[archive::Entry],
    (mtime, key): (u64, &[u8]),
) -> Result<Vec<PathBuf>, CommandError> {
    use sha2::Digest as _;
    let cannot = |e: std::io::Error| failed(format!("cannot write {}: {e}", display_name(out)));
    check_out(out)?;
    std::fs::create_dir_all(parent_of(out)).map_err(cannot)?;
    let signed = entries
        .iter()
        .find(|e| e.path == bundle::SUMS)
        .and_then(|e| match &e.source {
            archive::Source::Bytes(bytes) => {
                Some(bundle::verify::parse_sums(&String::from_utf8_lossy(bytes)).0)
            }
            archive::Source::File(_) => None,
        })
        .unwrap_or_default();
    let changed = |written: &archive::Written| {
        let moved: Vec<String> = entries
            .iter()
            .filter(|e| {
                signed
                    .get(&e.path)
                    .is_some_and(|s| written.get(&e.path) != Some(s))
            })
            .map(archive::Entry::origin)
            .collect();
        if moved.is_empty() {
            Ok(())
        } else {
            Err(failed(format!(
                "{} changed while the bundle was written: nothing was written; build it again",
                moved.join(", ")
            )))
        }
    };
    let temporary = beside(out, "tmp");
    if is_archive(out) {
        let (sums_path, signature_path) = detached(out);
        let (sums_temporary, signature_temporary) =
            (beside(out, "sha256.tmp"), beside(out, "sig.tmp"));
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let result = (|| {
            let file = std::fs::File::create(&temporary).map_err(cannot)?;
            let hashing = HashingWriter {
                inner: std::io::BufWriter::new(file),
                hasher: sha2::Sha256::new(),
            };
            let (hashing, written) =
                archive::write_tar_gz(hashing, top, entries, mtime).map_err(cannot)?;
            changed(&written)?;
            let digest = archive::hex(&hashing.hasher.finalize());
            let file = hashing
                .inner
                .into_inner()
                .map_err(|e| cannot(e.into_error()))?;
            file.sync_all().map_err(cannot)?;
            let line = format!("{digest}  {name}\n");
            let signature = bundle::sign(line.as_bytes(), key).map_err(failed)?;
            std::fs::write(&sums_temporary, &line).map_err(cannot)?;
            std::fs::write(&signature_temporary, signature).map_err(cannot)?;
            std::fs::rename(&temporary, out).map_err(cannot)?;
            std::fs::rename(&sums_temporary, &sums_path).map_err(cannot)?;
            std::fs::rename(&signature_temporary, &signature_path).map_err(cannot)
        })();
        for path in [&temporary, &sums_temporary, &signature_temporary] {
            let _ = std::fs::remove_file(path);
        }
        return result.map(|()| vec![out.to_path_buf(), sums_path, signature_path]);
    }
    let result = (|| {
        let written = archive::write_folder(&temporary, entries).map_err(cannot)?;
        changed(&written)?;
        if out.is_dir() {
            std::fs::remove_dir(out).map_err(cannot)?;
        }
        std::fs::rename(&temporary, out).map_err(cannot)
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&temporary);
    }
    result.map(|()| vec![out.to_path_buf()])
}

fn verify(args: &BundleVerifyArgs, ws: &Workspace) -> Result<Outcome, CommandError> {
    let (public_path, public) = public_key(args.public_key.as_deref(), ws)?;
    let path = &args.bundle;
    let listing = if path.is_dir() {
        archive::read_folder(path)
    } else {
        read_named(path, "bundle")?;
        archive::read_tar_gz(path)
    }
    .map_err(|e| {
        failed(format!(
            "{}: not a readable bundle: {e}",
            display_name(path)
        ))
    })?;
    let as_of = match args.as_of {
        Some(date) => {
            license::start_of_day(date).map_err(|e| CommandError::Usage(e.to_string()))?
        }
        None => jiff::Timestamp::now(),
    };
    let report = bundle::verify::check(&listing, &public, as_of).map_err(failed)?;
    let mut stderr = String::new();
    for problem in &report.problems {
        stderr.push_str(&format!("error: {problem}\n"));
    }
    let what = match (&report.site, &report.version) {
        (Some(site), Some(version)) => format!("{site} {version}"),
        _ => format!("no {} names its site and release", bundle::METADATA),
    };
    match &report.license {
        Some(Verdict::Valid(claims)) => {
            stderr.push_str(&format!("license: valid: {}\n", describe(claims)))
        }
        Some(Verdict::Expired(claims)) => stderr.push_str(&format!(
            "error: license: expired on {}: its install would refuse it\n",
            license::day(claims.exp - 1)
        )),
        Some(Verdict::NotYetValid(claims)) => stderr.push_str(&format!(
            "error: license: not valid before {}\n",
            license::day(claims.nbf)
        )),
        Some(Verdict::BadSignature(why)) => {
            stderr.push_str(&format!("error: license: bad signature ({why})\n"))
        }
        None => {}
    }
    let passed = report.passed();
    let license_refused = usize::from(!matches!(report.license, Some(Verdict::Valid(_)) | None));
    let count = report.problems.len() + license_refused;
    stderr.push_str(&if passed {
        format!(
            "verified {}: {what}, {} signed files, signed by the pair of {}\n",
            display_name(path),
            report.signed,
            display_name(&public_path)
        )
    } else {
        format!(
            "refused {}: {what}: {count} problem{}; install nothing from it\n",
            display_name(path),
            if count == 1 { "" } else { "s" }
        )
    });
    Ok(Outcome {
        stderr,
        code: u8::from(!passed),
        ..Outcome::default()
    })
}

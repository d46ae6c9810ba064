//! `sitectl bundle` and `bundle verify`, without a Docker engine: two
//! bundles from the same inputs are byte-identical; one changed byte, an
//! unsigned file, a foreign key or an expired license is refused by `bundle
//! verify` and by the install script before it calls docker at all; the
//! scripts pass shellcheck; the packaged chart and its values pass Helm's
//! engine. (`air_gap_install.rs` installs and upgrades for real.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

use crate::common::require_tool;
use crate::diff::Repo;
use crate::license::key_pair;

/// A sites repository with the air-gapped example, our key pair (the
/// public half committed beside the blueprints) and two image archives in
/// `docker save`'s layout, pinned in the blueprint.
pub(crate) struct Bundling {
    pub repo: Repo,
    pub private: PathBuf,
    pub public: PathBuf,
    pub archives: Vec<PathBuf>,
}

/// A `docker save` archive of one image whose configuration is `config`:
/// its image ID is the configuration's SHA-256.
fn saved_image(path: &Path, config: &str) -> String {
    let id = format!("{:x}", Sha256::digest(config.as_bytes()));
    let manifest = format!(r#"[{{"Config":"{id}.json","RepoTags":null,"Layers":["layer.tar"]}}]"#);
    let mut tar = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in [
        (format!("{id}.json"), config.as_bytes()),
        ("layer.tar".to_string(), &[0u8; 1024][..]),
        ("manifest.json".to_string(), manifest.as_bytes()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, name, bytes).unwrap();
    }
    tar.finish().unwrap();
    format!("sha256:{id}")
}

/// Sets the blueprint's pin of `repository:tag` to `id`.
pub(crate) fn pin(repo: &Repo, repository: &str, tag: &str, id: &str) {
    let path = repo.0.join("blueprints/selfhosted/blueprint.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = format!("  - {{repository: {repository}, tag: \"{tag}\", id: \"");
    let line = format!("{start}{id}\"}}\n");
    let text = match text.lines().find(|l| l.starts_with(&start)) {
        Some(old) => text.replace(&format!("{old}\n"), &line),
        None => text.replacen("images:\n", &format!("images:\n{line}"), 1),
    };
    std::fs::write(path, text).unwrap();
}

impl Bundling {
    pub(crate) fn new(name: &str) -> Bundling {
        let repo = Repo::new(name);
        let (private, public) = key_pair(&repo.0.with_extension("keys"));
        std::fs::copy(&public, repo.0.join("blueprints/license-public.pem")).unwrap();
        Bundling {
            repo,
            private,
            public,
            archives: Vec::new(),
        }
    }

    /// With stand-in image archives made here, no engine needed.
    fn with_archives(name: &str) -> Bundling {
        let mut bundling = Bundling::new(name);
        let images = bundling.repo.0.with_extension("images");
        std::fs::create_dir_all(&images).unwrap();
        for (repository, tag) in [("app", "2026.11.1"), ("postgres", "16.4")] {
            let archive = images.join(format!("{repository}.tar"));
            let id = saved_image(
                &archive,
                &format!(r#"{{"config":{{"Labels":{{"stand-in":"{repository}:{tag}"}}}}}}"#),
            );
            pin(&bundling.repo, repository, tag, &id);
            bundling.archives.push(archive);
        }
        bundling
    }

    /// `sitectl bundle umbrella-airgap --out OUT` as of `today`.
    pub(crate) fn bundle(&self, out: &Path, today: &str, extra: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sitectl"));
        command
            .current_dir(&self.repo.0)
            .env("NO_COLOR", "1")
            .env("SITECTL_TODAY", today)
            .args(["bundle", "umbrella-airgap", "--key"])
            .arg(&self.private)
            .arg("--out")
            .arg(out)
            .args(extra);
        for archive in &self.archives {
            command.arg("--image-archive").arg(archive);
        }
        command.output().unwrap()
    }

    pub(crate) fn verify(&self, bundle: &Path) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sitectl"))
            .current_dir(&self.repo.0)
            .env("NO_COLOR", "1")
            .arg("bundle")
            .arg("verify")
            .arg(bundle)
            .output()
            .unwrap()
    }
}

impl Drop for Bundling {
    fn drop(&mut self) {
        for folder in ["keys", "images"] {
            let _ = std::fs::remove_dir_all(self.repo.0.with_extension(folder));
        }
    }
}

pub(crate) fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A `docker` that records that it was called and fails: the install script
/// must refuse before it gets that far.
fn docker_that_must_not_run(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["docker", "docker-compose"] {
        let path = bin.join(tool);
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\necho \"$0 $*\" >> '{}'\nexit 1\n",
                dir.join("docker-calls").display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// Runs one of the bundle's scripts with a `docker` that must not run.
fn run_script(bundle: &Path, script: &str, public: &Path, scratch: &Path) -> (Output, String) {
    let bin = docker_that_must_not_run(scratch);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut command = Command::new(bundle.join(script));
    if script != "verify.sh" {
        command.arg("--dir").arg(scratch.join("installation"));
    }
    let output = command
        .arg("--public-key")
        .arg(public)
        .env("PATH", path)
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(scratch.join("docker-calls")).unwrap_or_default();
    (output, calls)
}

#[test]
fn two_bundles_from_the_same_inputs_are_byte_identical_and_verify() {
    let bundling = Bundling::with_archives("bundle-twice");
    let out = bundling.repo.0.with_extension("out");
    let (one, two) = (out.join("one.tar.gz"), out.join("two.tar.gz"));
    for file in [&one, &two] {
        let built = bundling.bundle(file, "2026-11-22", &[]);
        assert!(built.status.success(), "{}", said(&built));
    }
    assert_eq!(
        std::fs::read(&one).unwrap(),
        std::fs::read(&two).unwrap(),
        "the same inputs gave different bytes"
    );
    let verified = bundling.verify(&one);
    assert!(verified.status.success(), "{}", said(&verified));
    assert!(said(&verified).contains("verified"), "{}", said(&verified));

    // Beside the archive, its checksum and our signature over it: the
    // customer checks both with openssl and sha256sum before running
    // anything from inside it.
    let checked = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&bundling.public)
        .arg("-signature")
        .arg(out.join("one.tar.gz.sha256.sig"))
        .arg(out.join("one.tar.gz.sha256"))
        .output()
        .unwrap();
    assert!(checked.status.success(), "openssl: {}", said(&checked));
    let summed = Command::new("sha256sum")
        .args(["--check", "--strict", "one.tar.gz.sha256"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(summed.status.success(), "sha256sum: {}", said(&summed));
    let leftovers: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // A folder typed with a trailing slash, as a shell completes it.
    let folder = out.join("folder");
    let built = bundling.bundle(
        Path::new(&format!("{}/", folder.display())),
        "2026-11-22",
        &[],
    );
    assert!(built.status.success(), "{}", said(&built));
    assert!(folder.join("install.sh").is_file());

    // GNU tar reads it: one top folder, the files a customer needs.
    let unpacked = out.join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    let listed = Command::new("tar").arg("-tzf").arg(&one).output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    for file in [
        "umbrella-airgap-2026.11.1/install.sh",
        "umbrella-airgap-2026.11.1/upgrade.sh",
        "umbrella-airgap-2026.11.1/collect-diagnostics.sh",
        "umbrella-airgap-2026.11.1/compose/compose.yaml",
        "umbrella-airgap-2026.11.1/helm/values.yaml",
        "umbrella-airgap-2026.11.1/helm/site-0.1.0.tgz",
        "umbrella-airgap-2026.11.1/images/app-2026.11.1.tar",
        "umbrella-airgap-2026.11.1/images/postgres-16.4.tar",
        "umbrella-airgap-2026.11.1/license/license.jwt",
        "umbrella-airgap-2026.11.1/README.md",
        "umbrella-airgap-2026.11.1/SHA256SUMS",
        "umbrella-airgap-2026.11.1/SHA256SUMS.sig",
    ] {
        assert!(
            listed.lines().any(|l| l == file),
            "{file} missing:\n{listed}"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_changed_byte_an_unsigned_file_or_a_foreign_key_is_refused_before_docker_runs() {
    let bundling = Bundling::with_archives("bundle-tampered");
    let scratch = bundling.repo.0.with_extension("tampered");
    let folder = scratch.join("bundle");
    let built = bundling.bundle(&folder, "2026-11-22", &[]);
    assert!(built.status.success(), "{}", said(&built));

    // The untouched bundle passes the script's own check (verify.sh runs
    // no docker).
    let (ok, calls) = run_script(&folder, "verify.sh", &bundling.public, &scratch);
    assert!(ok.status.success(), "{}", said(&ok));
    assert_eq!(calls, "");

    // One byte of the image archive changed.
    let image = folder.join("images/app-2026.11.1.tar");
    let mut bytes = std::fs::read(&image).unwrap();
    bytes[600] ^= 1;
    std::fs::write(&image, bytes).unwrap();
    let (refused, calls) = run_script(&folder, "install.sh", &bundling.public, &scratch);
    assert_eq!(refused.status.code(), Some(1), "{}", said(&refused));
    assert!(
        said(&refused).contains("differs from the one that was signed"),
        "{}",
        said(&refused)
    );
    assert_eq!(calls, "", "docker ran before the checks refused the bundle");
    let verified = bundling.verify(&folder);
    assert_eq!(verified.status.code(), Some(1), "{}", said(&verified));
    assert!(
        said(&verified).contains("images/app-2026.11.1.tar: its SHA-256 is"),
        "{}",
        said(&verified)
    );
    assert!(
        !scratch.join("installation").exists(),
        "nothing is installed"
    );

    // Restored, plus a file that was never signed.
    let rebuilt = scratch.join("rebuilt");
    let built = bundling.bundle(&rebuilt, "2026-11-22", &[]);
    assert!(built.status.success(), "{}", said(&built));
    std::fs::write(
        rebuilt.join("compose/compose.override.yaml"),
        "services: {}\n",
    )
    .unwrap();
    let (refused, calls) = run_script(&rebuilt, "upgrade.sh", &bundling.public, &scratch);
    assert_eq!(refused.status.code(), Some(1), "{}", said(&refused));
    assert!(
        said(&refused).contains("were not signed: compose/compose.override.yaml"),
        "{}",
        said(&refused)
    );
    assert_eq!(calls, "");
    assert!(said(&bundling.verify(&rebuilt)).contains("compose/compose.override.yaml: not signed"));
    std::fs::remove_file(rebuilt.join("compose/compose.override.yaml")).unwrap();

    // Another key's public half: the signature does not verify.
    let (_, stranger) = key_pair(&scratch.join("stranger"));
    let (refused, calls) = run_script(&rebuilt, "install.sh", &stranger, &scratch);
    assert_eq!(refused.status.code(), Some(1), "{}", said(&refused));
    assert!(
        said(&refused).contains("signature does not verify"),
        "{}",
        said(&refused)
    );
    assert_eq!(calls, "");
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn an_expired_license_is_refused_by_the_install_script_and_never_bundled() {
    let bundling = Bundling::with_archives("bundle-expired");
    bundling
        .repo
        .edit("umbrella-airgap.yaml", "end: 2027-02-28", "end: 2026-06-30");
    let scratch = bundling.repo.0.with_extension("expired");
    // Built while the license ran; installed after it ended (this host's
    // clock is past 2026-06-30).
    let folder = scratch.join("bundle");
    let built = bundling.bundle(&folder, "2026-04-01", &[]);
    assert!(built.status.success(), "{}", said(&built));
    let (refused, calls) = run_script(&folder, "install.sh", &bundling.public, &scratch);
    assert_eq!(refused.status.code(), Some(1), "{}", said(&refused));
    assert!(
        said(&refused).contains("the license expired on 2026-06-30"),
        "{}",
        said(&refused)
    );
    assert_eq!(calls, "", "docker ran for an expired license");
    let verified = bundling.verify(&folder);
    assert_eq!(verified.status.code(), Some(1), "{}", said(&verified));
    assert!(
        said(&verified).contains("expired on 2026-06-30"),
        "{}",
        said(&verified)
    );

    let late = bundling.bundle(&scratch.join("late.tar.gz"), "2026-07-01", &[]);
    assert_eq!(late.status.code(), Some(1), "{}", said(&late));
    assert!(
        said(&late).contains("ended on 2026-06-30"),
        "{}",
        said(&late)
    );
    assert!(!scratch.join("late.tar.gz").exists());
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn bundle_refuses_a_connected_site_an_archive_it_does_not_run_and_a_key_that_is_not_the_pair() {
    let mut bundling = Bundling::with_archives("bundle-refusals");
    let scratch = bundling.repo.0.with_extension("refusals");
    bundling.repo.edit(
        "umbrella-airgap.yaml",
        "airGapped: true",
        "airGapped: false",
    );
    let connected = bundling.bundle(&scratch.join("a.tar.gz"), "2026-11-22", &[]);
    assert_eq!(connected.status.code(), Some(2), "{}", said(&connected));
    assert!(
        said(&connected).contains("is not air-gapped"),
        "{}",
        said(&connected)
    );
    bundling.repo.edit(
        "umbrella-airgap.yaml",
        "airGapped: false",
        "airGapped: true",
    );

    std::fs::create_dir_all(&scratch).unwrap();
    let stranger = scratch.join("stranger.tar");
    saved_image(&stranger, r#"{"config":{}}"#);
    bundling.archives.push(stranger);
    let foreign = bundling.bundle(&scratch.join("b.tar.gz"), "2026-11-22", &[]);
    assert_eq!(foreign.status.code(), Some(2), "{}", said(&foreign));
    assert!(
        said(&foreign).contains("holds no image the site runs"),
        "{}",
        said(&foreign)
    );
    bundling.archives.pop();

    let (_, other_public) = key_pair(&scratch.join("other"));
    let mismatch = bundling.bundle(
        &scratch.join("c.tar.gz"),
        "2026-11-22",
        &["--public-key", other_public.to_str().unwrap()],
    );
    assert_eq!(mismatch.status.code(), Some(2), "{}", said(&mismatch));
    assert!(
        said(&mismatch).contains("is not the pair of"),
        "{}",
        said(&mismatch)
    );
    for name in ["a.tar.gz", "b.tar.gz", "c.tar.gz"] {
        assert!(!scratch.join(name).exists(), "{name} was written");
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn the_bundle_scripts_pass_shellcheck() {
    require_tool("shellcheck", "apt-get install shellcheck");
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/delivery/bundle/scripts");
    let output = Command::new("shellcheck")
        .current_dir(&scripts)
        .args(["--external-sources", "--exclude=SC2015"])
        .args([
            "install.sh",
            "upgrade.sh",
            "verify.sh",
            "collect-diagnostics.sh",
            "lib/common.sh",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", said(&output));
}

#[test]
fn the_packaged_chart_and_its_values_pass_helms_engine() {
    let bundling = Bundling::with_archives("bundle-chart");
    let scratch = bundling.repo.0.with_extension("chart");
    let folder = scratch.join("bundle");
    let built = bundling.bundle(&folder, "2026-11-22", &[]);
    assert!(built.status.success(), "{}", said(&built));
    let unpacked = scratch.join("chart");
    std::fs::create_dir_all(&unpacked).unwrap();
    let untar = Command::new("tar")
        .arg("-xzf")
        .arg(folder.join("helm/site-0.1.0.tgz"))
        .arg("-C")
        .arg(&unpacked)
        .output()
        .unwrap();
    assert!(untar.status.success(), "{}", said(&untar));
    let check = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/helm_check.py");
    let output = Command::new("python3")
        .arg(check)
        .arg(unpacked.join("site"))
        .arg(folder.join("helm/values.yaml"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", said(&output));
    let _ = std::fs::remove_dir_all(&scratch);
}

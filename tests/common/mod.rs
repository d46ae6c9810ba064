//! Shared by the conformance and injection tests: a rendered fleet covering
//! every tier × deployment × target, and running the real consumers.
#![allow(dead_code)]

pub mod aws;
pub mod fake_tools;
pub mod terraform;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub struct Fleet {
    dir: PathBuf,
}

impl Fleet {
    pub fn sites(&self) -> PathBuf {
        self.dir.join("sites")
    }

    pub fn out(&self) -> PathBuf {
        self.dir.join("rendered")
    }

    /// A scratch folder of the fleet's own, for one test.
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sitectl() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sitectl"));
    command
        .current_dir(root())
        .env("SITECTL_TODAY", "2026-11-22")
        .env("NO_COLOR", "1");
    command
}

/// The example sites plus one generated site of every tier and deployment
/// the catalog allows (a selfhosted one with all three targets), rendered
/// once per test binary.
/// The customer's Azure IDs `new` and `promote` need for a byoi site (the
/// example's), none for any other deployment.
pub fn azure_ids(deployment: &str) -> &'static [&'static str] {
    if deployment != "byoi" {
        return &[];
    }
    &[
        "--tenant-id",
        "6f1c2e8a-3b4d-4c5e-9f60-1a2b3c4d5e6f",
        "--subscription-id",
        "2d7e9b41-8c3a-4f1d-a2b5-c6d7e8f90a1b",
        "--client-id",
        "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "--object-id",
        "4c3b2a19-0f8e-4d7c-9b6a-5e4d3c2b1a09",
    ]
}

pub fn rendered_fleet() -> &'static Fleet {
    static FLEET: OnceLock<Fleet> = OnceLock::new();
    FLEET.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("sitectl-fleet-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let sites = dir.join("sites");
        copy_tree(&root().join("sites"), &sites);
        for (tier, deployment, cloud) in [
            ("trial", "managed", "azure"),
            ("paid", "managed", "azure"),
            ("enterprise", "managed", "azure"),
            ("enterprise", "dedicated", "azure"),
            ("enterprise", "byoi", "azure"),
            ("enterprise", "selfhosted", "azure"),
            ("trial", "managed", "aws"),
            ("paid", "managed", "aws"),
            ("enterprise", "managed", "aws"),
            ("enterprise", "dedicated", "aws"),
        ] {
            let name = match cloud {
                "azure" => format!("gen-{tier}-{deployment}"),
                _ => format!("gen-{tier}-{deployment}-{cloud}"),
            };
            let output = sitectl()
                .args([
                    "new",
                    &name,
                    "--tier",
                    tier,
                    "--deployment",
                    deployment,
                    "--app-version",
                    "2026.11.1",
                    "--cloud",
                    cloud,
                ])
                .arg("--dir")
                .arg(sites.join("generated"))
                .args(azure_ids(deployment))
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let selfhosted = sites.join("generated/gen-enterprise-selfhosted.yaml");
        let text = std::fs::read_to_string(&selfhosted)
            .unwrap()
            .replace("targets: [compose]", "targets: [compose, helm, bicep]");
        std::fs::write(&selfhosted, text).unwrap();
        render(&sites, &dir.join("rendered"));
        Fleet { dir }
    })
}

pub fn render(sites: &Path, out: &Path) {
    let output = sitectl()
        .arg("render")
        .arg(sites)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "sitectl render failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Copies the folder `from` to `to`, with everything in it.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Every file under `dir` whose name ends in `.<extension>`, sorted.
pub fn files_with_extension(dir: impl AsRef<Path>, extension: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.as_ref().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == extension) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Fails, naming the install command, when `tool` is not on PATH: a
/// conformance test never passes by skipping its consumer.
pub fn require_tool(tool: &str, install: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()));
    assert!(
        found,
        "`{tool}` is not installed: {install} (`.ci/run` does this)"
    );
}

/// Runs a consumer and fails with its output unless it succeeds.
pub fn run_checked(mut command: Command, what: &str) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} refused the output:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// A copy of a `.env.example` with every variable set, for `docker-compose config`.
pub fn filled_env_file(example: &Path) -> PathBuf {
    let text = std::fs::read_to_string(example).unwrap_or_default();
    let filled: String = text
        .lines()
        .filter_map(|line| line.split_once('=').map(|(k, _)| k.trim()))
        .filter(|k| !k.starts_with('#') && !k.is_empty())
        .map(|k| format!("{k}=test-value-{}\n", k.to_lowercase()))
        .collect();
    let path = example.with_file_name(".env.test");
    std::fs::write(&path, filled).unwrap();
    path
}

/// Runs git in `repo` as a CI identity, failing on an error; its stdout.
pub fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.email=ci@sitectl.example",
            "-c",
            "user.name=ci",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(repo)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

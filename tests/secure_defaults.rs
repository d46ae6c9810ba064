//! Secure by default: checkov judges the rendered Terraform and Bicep and
//! the chart's rendered Kubernetes manifests of every example and every tier
//! × deployment. Each finding must be in `tests/conformance/
//! checkov-baseline.json`, which says why it is accepted; a new finding
//! fails, and so does a baseline entry that no longer occurs (the baseline
//! only ever lists what is true today).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

use crate::common::{files_with_extension, rendered_fleet, require_tool, run_checked};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The blueprint a rendered file came from, read from its header
/// ("... with blueprint `byoi`.").
fn blueprint_of(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .next()
        .and_then(|line| line.split('`').nth(1))
        .unwrap_or_else(|| panic!("{} has no sitectl header", file.display()))
        .to_string()
}

/// `(check, blueprint, resource)` of each failed check under `dir`: the
/// resource by its address (Terraform, Bicep) or by its kind alone
/// (Kubernetes: its names hold the site's). `blueprint` names the blueprint
/// of the file a finding is in, from its path below `dir`.
fn findings(
    dir: &Path,
    frameworks: &[&str],
    blueprint: &dyn Fn(&Path) -> String,
) -> BTreeSet<(String, String, String)> {
    let mut command = Command::new("checkov");
    command
        .arg("--directory")
        .arg(dir)
        .arg("--framework")
        .args(frameworks)
        // No network: it would spend minutes retrying downloads.
        .args([
            "--skip-download",
            "--quiet",
            "--compact",
            "--output",
            "json",
        ]);
    let output = command.output().expect("checkov runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Exit 1 means findings; anything else is checkov failing.
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "checkov failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("checkov printed no JSON ({e}):\n{stdout}"));
    let reports = match report {
        Json::Array(reports) => reports,
        one => vec![one],
    };
    let mut found = BTreeSet::new();
    for report in &reports {
        let kubernetes = report["check_type"] == "kubernetes";
        for failed in report["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let resource = failed["resource"].as_str().unwrap_or_default();
            let resource = if kubernetes {
                resource.split('.').next().unwrap_or_default()
            } else {
                resource
            };
            let file = failed["file_path"].as_str().unwrap_or_default();
            found.insert((
                failed["check_id"].as_str().unwrap_or_default().to_string(),
                blueprint(Path::new(file.trim_start_matches('/'))),
                resource.to_string(),
            ));
        }
    }
    found
}

#[test]
fn checkov_finds_nothing_outside_the_reviewed_baseline() {
    require_tool(
        "checkov",
        "pip install checkov==3.3.30 in a virtual environment (.ci/run does)",
    );
    let fleet = rendered_fleet();
    // The chart's manifests for every site, as Helm's engine renders them.
    let manifests = fleet.out().with_file_name("manifests");
    let values: Vec<PathBuf> = files_with_extension(fleet.out(), "yaml")
        .into_iter()
        .filter(|f| f.ends_with("helm/values.yaml"))
        .collect();
    let mut command = Command::new("python3");
    command
        .arg(root().join("tests/conformance/helm_check.py"))
        .arg(root().join("blueprints/charts/site"))
        .args(&values)
        .arg("--write-manifests")
        .arg(&manifests);
    run_checked(command, "Helm's engine (helm-python-sdk)");
    let out = fleet.out();
    let mut found = findings(&out, &["terraform", "bicep"], &|file| {
        blueprint_of(&out.join(file))
    });
    // A site's manifests come from its Helm values, which name the blueprint.
    found.extend(findings(&manifests, &["kubernetes"], &|file| {
        let site = file.file_stem().unwrap_or_default();
        blueprint_of(&out.join(site).join("helm/values.yaml"))
    }));
    assert!(
        !found.is_empty() || values.is_empty(),
        "checkov checked nothing"
    );

    let baseline: Json = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/conformance/checkov-baseline.json")).unwrap(),
    )
    .unwrap();
    let mut accepted = BTreeSet::new();
    for entry in baseline["accepted"].as_array().unwrap() {
        let reason = entry["reason"].as_str().unwrap_or_default();
        assert!(
            reason.len() > 20,
            "every accepted finding says why: {entry}"
        );
        accepted.insert((
            entry["check"].as_str().unwrap().to_string(),
            entry["blueprint"].as_str().unwrap().to_string(),
            entry["resource"].as_str().unwrap().to_string(),
        ));
    }
    let new: Vec<_> = found.difference(&accepted).collect();
    let stale: Vec<_> = accepted.difference(&found).collect();
    assert!(
        new.is_empty(),
        "checkov findings outside tests/conformance/checkov-baseline.json (fix the blueprint, or accept one there with its reason):\n{new:#?}"
    );
    assert!(
        stale.is_empty(),
        "baseline entries checkov no longer reports (remove them):\n{stale:#?}"
    );
}

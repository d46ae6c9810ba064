//! `sitectl diff`: committed-output drift, the pull-request workflow across
//! two commits of a real git repository, the data-loss gate, and the size cap
//! of the Markdown comment.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch copy of the examples and blueprints, as a repository would hold
/// them (the `affected` tests use it too).
pub struct Repo(pub PathBuf);

impl Repo {
    pub fn new(name: &str) -> Repo {
        let dir = std::env::temp_dir().join(format!("sitectl-diff-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        crate::common::copy_tree(&root().join("sites"), &dir.join("sites"));
        crate::common::copy_tree(&root().join("blueprints"), &dir.join("blueprints"));
        Repo(dir)
    }

    pub fn sitectl(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sitectl"))
            .args(args)
            .current_dir(&self.0)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    pub fn edit(&self, spec: &str, from: &str, to: &str) {
        let path = self.0.join("sites").join(spec);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{spec} has no {from:?}");
        std::fs::write(path, text.replace(from, to)).unwrap();
    }

    pub fn git(&self, args: &[&str]) {
        crate::common::git(&self.0, args);
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

#[test]
fn check_fails_on_stale_output_and_passes_once_rendered() {
    let repo = Repo::new("check");
    let stale = repo.sitectl(&["diff", "--check"]);
    assert_eq!(
        stale.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&stale.stderr)
    );
    assert!(String::from_utf8_lossy(&stale.stderr).contains("stale"));
    assert!(repo.sitectl(&["render"]).status.success());
    let fresh = repo.sitectl(&["diff", "--check"]);
    assert_eq!(
        fresh.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fresh.stdout)
    );
    assert!(fresh.stdout.is_empty());
    repo.edit("acme-learning.yaml", "seats: 180", "seats: 181");
    let drift = repo.sitectl(&["diff", "--check"]);
    assert_eq!(drift.status.code(), Some(1));
    let text = String::from_utf8_lossy(&drift.stdout);
    assert!(
        text.contains("-  SITE_SEATS: \"180\"\n+  SITE_SEATS: \"181\""),
        "{text}"
    );
}

/// The chart is an input of every Helm site: changing it must change their
/// rendered values, or the merge (which applies what the push changed under
/// `rendered/`) would never roll it out.
#[test]
fn a_chart_change_makes_every_helm_site_stale() {
    let repo = Repo::new("chart");
    assert!(repo.sitectl(&["render"]).status.success());
    assert_eq!(repo.sitectl(&["diff", "--check"]).status.code(), Some(0));
    let template = repo
        .0
        .join("blueprints/charts/site/templates/deployment.yaml");
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::write(&template, format!("{text}# a new probe\n")).unwrap();
    let stale = repo.sitectl(&["diff", "--check"]);
    assert_eq!(stale.status.code(), Some(1));
    let report = String::from_utf8_lossy(&stale.stdout);
    for site in ["acme-learning", "northwind-trial", "globex-dedicated"] {
        assert!(
            report.contains(&format!("{site}/helm/values.yaml")),
            "{site}: {report}"
        );
    }
    assert!(!report.contains("terraform/main.tf"), "{report}");
}

#[test]
fn a_promotion_on_the_same_deployment_has_no_data_loss_finding() {
    let repo = Repo::new("promote");
    assert!(repo.sitectl(&["render"]).status.success());
    repo.edit("northwind-trial.yaml", "  tier: trial\n", "  tier: paid\n");
    repo.edit(
        "northwind-trial.yaml",
        "  trial: {start: 2026-11-20, days: 14}\n",
        "",
    );
    let out = repo.sitectl(&["diff", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["changed"], true);
    assert_eq!(report["findings"], serde_json::json!([]));
}

#[test]
fn every_data_loss_cause_is_a_finding() {
    let repo = Repo::new("loss");
    assert!(repo.sitectl(&["render"]).status.success());
    // A deployment change moves the database to another server: replacement.
    repo.edit(
        "acme-learning.yaml",
        "  tier: paid\n  deployment: managed\n",
        "  tier: enterprise\n  deployment: dedicated\n",
    );
    repo.edit(
        "acme-learning.yaml",
        "  app: {version: \"2026.11.1\"}\n",
        "  app: {version: \"2026.11.1\"}\n  license: {seats: 500, start: 2026-01-01, end: 2027-12-31, annualPrice: 90000}\n",
    );
    // A site whose spec is removed: its volumes would go.
    std::fs::remove_file(repo.0.join("sites/umbrella-airgap.yaml")).unwrap();
    // A blueprint edit that drops a data-bearing resource.
    let template = repo.0.join("blueprints/managed/terraform/main.tf.j2");
    let text = std::fs::read_to_string(&template).unwrap();
    let start = text
        .find("resource \"azurerm_storage_container\" \"site\"")
        .unwrap();
    let end = start + text[start..].find("\n}\n").unwrap() + 3;
    let without: String = text[..start].to_string() + &text[end..];
    std::fs::write(
        &template,
        without.replace(
            "output \"storage_container\" {\n  value = azurerm_storage_container.site.name\n}\n",
            "",
        ),
    )
    .unwrap();

    let out = repo.sitectl(&["diff", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "findings fail the diff");
    let report = json(&out);
    let findings: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["site"].as_str().unwrap().into(),
                f["resource"].as_str().unwrap().into(),
                f["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    let has = |site: &str, resource: &str, why: &str| {
        findings
            .iter()
            .any(|(s, r, w)| s == site && r.contains(resource) && w.contains(why))
    };
    assert!(
        has("acme-learning", "flexible_server_database.site", "replace"),
        "{findings:#?}"
    );
    assert!(
        has("umbrella-airgap", "volume postgres-data", "spec is gone"),
        "{findings:#?}"
    );
    assert!(
        has(
            "northwind-trial",
            "azurerm_storage_container.site",
            "no longer rendered"
        ),
        "{findings:#?}"
    );
    // Text output puts the findings before any diff.
    let text = repo.sitectl(&["diff"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.starts_with("error[data-loss]"),
        "{}",
        &stdout[..200.min(stdout.len())]
    );
}

#[test]
fn base_compares_with_another_commit_without_touching_the_work_tree() {
    let repo = Repo::new("base");
    repo.git(&["init", "-q", "-b", "main"]);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "base"]);
    repo.edit("globex-dedicated.yaml", "seats: 2400", "seats: 2450");
    let before = std::fs::read_to_string(repo.0.join("sites/globex-dedicated.yaml")).unwrap();
    let out = repo.sitectl(&["diff", "--base", "main", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let files: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["helm/values.yaml"], "only the seats line changes");
    assert_eq!(report["files"][0]["site"], "globex-dedicated");
    assert_eq!(
        std::fs::read_to_string(repo.0.join("sites/globex-dedicated.yaml")).unwrap(),
        before
    );
    // A typo in the revision is a usage error (2), never read as data loss (1).
    let unknown = repo.sitectl(&["diff", "--base", "no-such-branch"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not a revision"));
}

#[test]
fn a_blueprint_that_renames_a_database_moves_it_instead_of_destroying_it() {
    let repo = Repo::new("moved");
    assert!(repo.sitectl(&["render"]).status.success());
    let template = repo.0.join("blueprints/managed/terraform/main.tf.j2");
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::write(
        &template,
        text.replace(
            "flexible_server_database\" \"site\"",
            "flexible_server_database\" \"primary\"",
        )
        .replace(
            "azurerm_postgresql_flexible_server_database.site.name",
            "azurerm_postgresql_flexible_server_database.primary.name",
        ),
    )
    .unwrap();
    let manifest = repo.0.join("blueprints/managed/blueprint.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            "    terraform: azurerm_postgresql_flexible_server_database.site\n",
            "    terraform: azurerm_postgresql_flexible_server_database.primary\n    terraformMovedFrom: [azurerm_postgresql_flexible_server_database.site]\n",
        ),
    )
    .unwrap();
    let out = repo.sitectl(&["diff", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report = json(&out);
    assert_eq!(report["findings"], serde_json::json!([]));
    let moved = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["site"] == "northwind-trial" && f["path"] == "terraform/moved.tf")
        .expect("a moved.tf is rendered");
    assert!(
        moved["diff"].as_str().unwrap().contains("+  from = azurerm_postgresql_flexible_server_database.site\n+  to   = azurerm_postgresql_flexible_server_database.primary"),
        "{moved}"
    );
    // Without the declaration, the same rename is a deletion.
    std::fs::write(
        &manifest,
        text.replace(
            "azurerm_postgresql_flexible_server_database.site",
            "azurerm_postgresql_flexible_server_database.primary",
        ),
    )
    .unwrap();
    let out = repo.sitectl(&["diff", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
}

/// From a sub-folder the base revision is read from the top of the
/// repository: nothing changed is no change, a removed spec is data loss.
#[test]
fn base_from_a_sub_folder_compares_the_same_files() {
    let repo = Repo::new("base-sub");
    repo.git(&["init", "-q", "-b", "main"]);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "base"]);
    let sub = repo.0.join("sites/emea");
    std::fs::create_dir_all(&sub).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sitectl"))
            .args(args)
            .current_dir(&sub)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let same = run(&["diff", "--base", "main", "--format", "json"]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
    assert_eq!(json(&same)["changed"], false, "{}", json(&same));
    std::fs::remove_file(repo.0.join("sites/northwind-trial.yaml")).unwrap();
    let removed = run(&["diff", "--base", "main", "--format", "json"]);
    assert_eq!(removed.status.code(), Some(1));
    let findings = json(&removed)["findings"].as_array().unwrap().len();
    assert!(findings > 0, "{}", json(&removed));
}

/// End to end, at a size a debug build renders in seconds: specs on disk,
/// rendered, changed, and the comment cut to GitHub's limit. (The formatter's
/// own test in `src/diff/format.rs` takes it to 2,000 sites in memory.)
#[test]
fn the_markdown_comment_of_a_changed_fleet_is_cut_to_fit() {
    let dir = std::env::temp_dir().join(format!("sitectl-diff-fleet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sites = dir.join("sites");
    std::fs::create_dir_all(&sites).unwrap();
    for i in 0..200 {
        let name = format!("trial-{i:04}");
        std::fs::write(
            sites.join(format!("{name}.yaml")),
            format!("apiVersion: sitectl/v1\nkind: Site\nmetadata: {{name: {name}, customer: \"Customer {i}\", contact: it@{name}.example}}\nspec:\n  tier: trial\n  deployment: managed\n  region: eastus\n  trial: {{start: 2026-11-20, days: 14}}\n  seats: 10\n  app: {{version: \"2026.11.1\"}}\n"),
        )
        .unwrap();
    }
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sitectl"))
            .args(args)
            .arg("--blueprints")
            .arg(root().join("blueprints"))
            .current_dir(&dir)
            .output()
            .unwrap()
    };
    assert!(run(&["render"]).status.success());
    for entry in std::fs::read_dir(&sites).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("2026.11.1", "2026.12.0");
        std::fs::write(path, text).unwrap();
    }
    let out = run(&["diff", "--format", "markdown"]);
    let comment = String::from_utf8(out.stdout).unwrap();
    assert!(comment.len() < 60_000, "{} characters", comment.len());
    assert!(
        comment.contains("200 files in 200 sites would change"),
        "{}",
        &comment[..300.min(comment.len())]
    );
    assert!(comment.contains("left out to keep this comment under 60000 characters"));
    assert!(comment.contains("<details><summary>trial-0000</summary>"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The repository follows the rendered-manifests pattern it ships: the
/// examples' rendered output is committed beside them, and current. After a
/// change to a spec or a template, `sitectl render` and commit the result.
#[test]
fn the_committed_rendered_output_of_the_examples_is_current() {
    let out = Command::new(env!("CARGO_BIN_EXE_sitectl"))
        .args(["diff", "--check"])
        .current_dir(root())
        .env_remove("SITECTL_BLUEPRINTS")
        .env_remove("SITECTL_SITES")
        .env_remove("SITECTL_RENDERED")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "rendered/ is stale: run `cargo run -- render` and commit it\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

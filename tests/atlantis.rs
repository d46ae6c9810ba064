//! `sitectl atlantis` and `sitectl gate`: the repository's atlantis.yaml is
//! written from the sites, byte for byte the same each time, and checked
//! like rendered output; its plan stage, run as Atlantis runs `run:` steps
//! (in the project's folder, with `$PLANFILE`, `$SHOWFILE` and
//! `$PROJECT_NAME`), refuses a plan that deletes customer data.

use std::path::{Path, PathBuf};
use std::process::Command;

use sitectl::yaml::{self, Node, Value};

use crate::common::fake_tools::write_fakes;
use crate::diff::Repo;

fn text(node: Option<&Node>) -> String {
    match node.map(|n| &n.value) {
        Some(Value::Str(text, _)) => text.clone(),
        other => panic!("not a string: {other:?}"),
    }
}

fn list(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.value) {
        Some(Value::Seq(items)) => items,
        other => panic!("not a list: {other:?}"),
    }
}

/// The plan stage's `run:` steps of the workflow every project uses.
fn plan_runs(config: &Node) -> Vec<String> {
    let workflow = config
        .get("workflows")
        .and_then(|w| w.get("sitectl"))
        .and_then(|w| w.get("plan"));
    list(workflow.and_then(|p| p.get("steps")))
        .iter()
        .filter_map(|step| step.get("run").map(|run| text(Some(run))))
        .collect()
}

/// Runs the plan stage's `run:` steps as Atlantis does (`sh -c`, in the
/// project's folder), after its built-in `plan` left the plan at `$PLANFILE`.
fn atlantis_plan(repo: &Path, runs: &[String], site: &str, plan_json: &Path) -> (i32, String) {
    let dir = repo.join("rendered").join(site).join("terraform");
    let fakes = repo.join("fake-bin");
    write_fakes(&fakes, &["terraform"]);
    let sitectl_dir = PathBuf::from(env!("CARGO_BIN_EXE_sitectl"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}:{}",
        fakes.display(),
        sitectl_dir.display(),
        std::env::var("PATH").unwrap()
    );
    let mut said = String::new();
    for run in runs {
        let out = Command::new("sh")
            .args(["-c", run])
            .current_dir(&dir)
            .env("PATH", &path)
            .env("PLANFILE", dir.join("default.tfplan"))
            .env("SHOWFILE", dir.join("default.json"))
            .env("PROJECT_NAME", site)
            .env("FAKE_LOG", repo.join("calls.log"))
            .env("FAKE_PLAN_JSON", plan_json)
            .env("FAKE_PLAN_SITE", site)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        said.push_str(&String::from_utf8_lossy(&out.stdout));
        said.push_str(&String::from_utf8_lossy(&out.stderr));
        let code = out.status.code().unwrap_or(-1);
        if code != 0 {
            return (code, said);
        }
    }
    (0, said)
}

#[test]
fn atlantis_yaml_has_a_gated_project_per_terraform_site_and_refuses_data_loss() {
    let repo = Repo::new("atlantis");
    assert!(repo.sitectl(&["render"]).status.success());
    let wrote = repo.sitectl(&["atlantis"]);
    assert!(
        wrote.status.success(),
        "{}",
        String::from_utf8_lossy(&wrote.stderr)
    );
    let file = repo.0.join("atlantis.yaml");
    let first = std::fs::read(&file).unwrap();
    let config = yaml::parse(std::str::from_utf8(&first).unwrap()).unwrap();
    assert!(matches!(
        config.get("version").map(|v| &v.value),
        Some(Value::Int(3))
    ));
    let projects: Vec<(String, String)> = list(config.get("projects"))
        .iter()
        .map(|p| (text(p.get("name")), text(p.get("dir"))))
        .collect();
    // Every site with Terraform; byoi (Bicep) and self-hosted (Compose, its
    // customer's) have none for Atlantis.
    let names: Vec<&str> = projects.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "acme-learning",
            "globex-dedicated",
            "hooli-learning",
            "northwind-trial",
            "wayne-dedicated"
        ]
    );
    for (site, dir) in &projects {
        assert_eq!(dir, &format!("rendered/{site}/terraform"));
        assert!(repo.0.join(dir).join("main.tf").is_file(), "{dir}");
    }
    // The same sites, the same bytes; checked like rendered output.
    assert!(repo.sitectl(&["atlantis"]).status.success());
    assert_eq!(std::fs::read(&file).unwrap(), first);
    assert_eq!(
        repo.sitectl(&["atlantis", "--check"]).status.code(),
        Some(0)
    );
    let new = repo.sitectl(&[
        "new",
        "contoso",
        "--tier",
        "trial",
        "--deployment",
        "managed",
    ]);
    assert!(
        new.status.success(),
        "{}",
        String::from_utf8_lossy(&new.stderr)
    );
    let stale = repo.sitectl(&["atlantis", "--check"]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&stale.stderr).contains("run `sitectl atlantis`"));
    assert_eq!(
        std::fs::read(&file).unwrap(),
        first,
        "--check writes nothing"
    );
    assert!(repo.sitectl(&["atlantis"]).status.success());
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("- name: \"contoso\"\n")
    );

    // The plan stage: a real Terraform 1.11 plan that replaces a bucket
    // holding data fails it; a plan that only adds passes.
    let runs = plan_runs(&config);
    assert_eq!(runs.len(), 2, "{runs:?}");
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans");
    let (code, said) = atlantis_plan(
        &repo.0,
        &runs,
        "hooli-learning",
        &fixtures.join("terraform-1.11-replace-and-delete.json"),
    );
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains(
            "refused: the plan deletes aws_s3_bucket.site (replaced: bucket cannot change in place)"
        ),
        "{said}"
    );
    assert!(
        said.contains("sitectl apply hooli-learning --allow-data-loss hooli-learning"),
        "{said}"
    );
    let adds = repo.0.join("adds.json");
    std::fs::write(&adds, r#"{"format_version": "1.2", "resource_changes": [{"address": "aws_s3_bucket.site", "change": {"actions": ["create"]}}]}"#).unwrap();
    let (code, said) = atlantis_plan(&repo.0, &runs, "hooli-learning", &adds);
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("plan: 1 to add, 0 to change, 0 to destroy"),
        "{said}"
    );
    // Output that is no plan is refused, never passed.
    let garbage = repo.0.join("garbage.json");
    std::fs::write(&garbage, "Error: Failed to load plugin schemas\n").unwrap();
    let (code, said) = atlantis_plan(&repo.0, &runs, "hooli-learning", &garbage);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("the plan cannot be read"), "{said}");
}

//! Conformance: every rendered file, for every example site and a generated
//! site of every tier × deployment × target, is read by the tool that really
//! consumes it: HashiCorp's HCL parser, Helm's engine with Kubernetes schemas,
//! docker compose, and the Bicep grammar.
//!
//! `.ci/run` installs those tools. A missing tool fails the test with the
//! command that installs it; nothing here is ever skipped.

use std::path::{Path, PathBuf};

use crate::common::terraform::terraform;
use crate::common::{files_with_extension, rendered_fleet, require_tool, run_checked};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every Terraform file of the rendered fleet, for a checker that runs on
/// Node.js (which must be installed).
fn terraform_files_for_node() -> Vec<PathBuf> {
    let files = files_with_extension(rendered_fleet().out(), "tf");
    assert!(files.len() >= 8, "{files:?}");
    require_tool(
        "node",
        "apt-get install nodejs (or use the machine's Node.js)",
    );
    files
}

#[test]
fn terraform_parses_with_hashicorps_hcl_parser() {
    let files = terraform_files_for_node();
    let mut command = std::process::Command::new("node");
    command
        .arg(root().join("tests/conformance/hcl_check.mjs"))
        .args(&files);
    run_checked(command, "HashiCorp's HCL parser (@cdktf/hcl2json)");
}

/// Every AWS Terraform output (the examples in AWS and a generated site of
/// every tier on each AWS blueprint) through `terraform init` and
/// `terraform validate` with the real AWS provider: a misspelt or missing
/// argument, a wrong type, a wrong reference or a block the provider does
/// not know fails. Each site in its own copy, the sites side by side.
#[test]
fn aws_terraform_validates_with_the_real_aws_provider() {
    let fleet = rendered_fleet();
    let mut sites: Vec<PathBuf> = std::fs::read_dir(fleet.out())
        .unwrap()
        .map(|entry| entry.unwrap().path().join("terraform"))
        .filter(|dir| {
            std::fs::read_to_string(dir.join("main.tf"))
                .is_ok_and(|text| text.contains("source  = \"hashicorp/aws\""))
        })
        .collect();
    sites.sort();
    let names: Vec<String> = sites
        .iter()
        .map(|dir| {
            dir.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "gen-enterprise-dedicated-aws",
            "gen-enterprise-managed-aws",
            "gen-paid-managed-aws",
            "gen-trial-managed-aws",
            "hooli-learning",
            "wayne-dedicated",
        ],
        "every AWS site of the fleet, and only those"
    );
    let tf = terraform();
    let work = fleet.scratch("aws-validate");
    for (dir, name) in sites.iter().zip(&names) {
        crate::common::copy_tree(dir, &work.join(name));
    }
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = names
            .iter()
            .map(|name| {
                let copy = work.join(name);
                scope.spawn(move || {
                    let mut problems = Vec::new();
                    for args in [
                        &["init", "-backend=false", "-input=false", "-no-color"][..],
                        &["validate", "-no-color"][..],
                    ] {
                        let output = tf.command(&copy).args(args).output().unwrap();
                        if !output.status.success() {
                            problems.push(format!(
                                "{name}: terraform {} failed:\n{}{}",
                                args[0],
                                String::from_utf8_lossy(&output.stdout),
                                String::from_utf8_lossy(&output.stderr)
                            ));
                            break;
                        }
                    }
                    problems
                })
            })
            .collect();
        runs.into_iter()
            .flat_map(|run| run.join().unwrap())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every azurerm block of every Terraform output against the provider's
/// schema (no azurerm provider exists on this machine; its schema does, in
/// @cdktf/provider-azurerm): a misspelt attribute, a missing required one or
/// a literal of the wrong type fails.
#[test]
fn terraform_matches_the_azurerm_providers_schema() {
    let fleet = rendered_fleet();
    let files = terraform_files_for_node();
    let check = |files: &[PathBuf]| {
        let mut command = std::process::Command::new("node");
        command
            .arg(root().join("tests/conformance/azurerm_check.mjs"))
            .args(files);
        command
    };
    let passed = run_checked(
        check(&files),
        "the azurerm schema (npm ci --prefix tests/conformance)",
    );
    assert!(passed.contains("blocks)"), "{passed}");
    // And it can fail: one misspelt attribute and one of the wrong type.
    let storage = fleet.out().join("globex-dedicated/terraform/storage.tf");
    let text = std::fs::read_to_string(&storage).unwrap();
    let broken = fleet.out().with_file_name("misspelt.tf");
    std::fs::write(
        &broken,
        text.replacen("account_tier ", "acount_tier  ", 1).replacen(
            "versioning_enabled  = true",
            "versioning_enabled  = \"yes\"",
            1,
        ),
    )
    .unwrap();
    let refused = check(&[broken]).output().unwrap();
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert_eq!(refused.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("unknown attribute `acount_tier` (did you mean `account_tier`?)")
            && stdout.contains("`versioning_enabled` must be a bool"),
        "{stdout}"
    );
}

#[test]
fn helm_values_render_lint_and_validate_with_helms_engine() {
    let fleet = rendered_fleet();
    let files: Vec<PathBuf> = files_with_extension(fleet.out(), "yaml")
        .into_iter()
        .filter(|f| f.ends_with("helm/values.yaml"))
        .collect();
    assert!(files.len() >= 8, "{files:?}");
    let mut command = std::process::Command::new("python3");
    command
        .arg(root().join("tests/conformance/helm_check.py"))
        .arg(root().join("blueprints/charts/site"))
        .args(&files);
    run_checked(
        command,
        "Helm's engine (helm-python-sdk) and kubernetes-validate",
    );
}

#[test]
fn bicep_parses_with_the_bicep_grammar() {
    let fleet = rendered_fleet();
    let mut files = files_with_extension(fleet.out(), "bicep");
    files.extend(files_with_extension(fleet.out(), "bicepparam"));
    assert!(files.len() >= 4, "{files:?}");
    let mut command = std::process::Command::new("python3");
    command
        .arg(root().join("tests/conformance/bicep_check.py"))
        .args(&files);
    run_checked(command, "the Bicep grammar (tree-sitter-bicep)");
}

#[test]
fn compose_files_pass_docker_compose_config() {
    let fleet = rendered_fleet();
    let files: Vec<PathBuf> = files_with_extension(fleet.out(), "yaml")
        .into_iter()
        .filter(|f| f.ends_with("compose/compose.yaml"))
        .collect();
    assert!(files.len() >= 2, "{files:?}");
    require_tool("docker-compose", "apt-get install docker-compose");
    for file in files {
        let env = crate::common::filled_env_file(&file.with_file_name(".env.example"));
        let mut command = std::process::Command::new("docker-compose");
        command
            .arg("--env-file")
            .arg(&env)
            .arg("-f")
            .arg(&file)
            .args(["config", "-q"])
            .current_dir(file.parent().unwrap_or(Path::new(".")));
        run_checked(command, "docker-compose config -q");
    }
}

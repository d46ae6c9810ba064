//! The commands each tool gets, run in the site's folder: terraform or
//! tofu, helm 3 or 4 with or without the diff plugin, docker compose or
//! docker-compose, az; and a dry run, which needs none of them.

use std::path::Path;

use super::*;

#[test]
fn dry_run_prints_the_exact_commands_and_runs_none() {
    let f = Fixture::new("dry", ALL);
    let out = f.run(
        &["apply", "northwind-trial", "initech-byoi", "--dry-run"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.iter().any(|l| l.ends_with("rendered/initech-byoi/bicep && az deployment group create --mode Incremental --resource-group rg-initech-learning --template-file main.bicep --parameters main.bicepparam)")), "{stdout}");
    assert!(
        lines.iter().any(|l| l.ends_with(
            "rendered/northwind-trial/terraform && terraform apply -input=false -lock-timeout=10m sitectl.tfplan)"
        )),
        "{stdout}"
    );
    assert!(lines.iter().any(|l| l.contains("helm upgrade --install northwind-trial") && l.contains("--namespace site-northwind-trial --create-namespace --wait --timeout 10m0s --atomic")), "{stdout}");
    assert!(!stdout.contains("-lock=false"));
    // Only version probes ran, no hand-off.
    assert_only_probes(&f);
}

#[test]
fn apply_runs_each_tool_in_order_in_the_sites_folder() {
    let f = Fixture::new("apply", ALL);
    let out = f.run(
        &["apply", "northwind-trial", "umbrella-airgap", "--yes"],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let calls: Vec<String> = f
        .calls()
        .into_iter()
        .filter(|c| !c.contains("version") && !c.contains("plugin list"))
        .collect();
    let northwind: Vec<&str> = calls
        .iter()
        .filter(|c| c.ends_with("@ northwind-trial/terraform"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        northwind,
        [
            "terraform init -input=false @ northwind-trial/terraform",
            "terraform plan -input=false -lock-timeout=10m -out=sitectl.tfplan @ northwind-trial/terraform",
            "terraform show -json sitectl.tfplan @ northwind-trial/terraform",
            "terraform apply -input=false -lock-timeout=10m sitectl.tfplan @ northwind-trial/terraform",
        ]
    );
    assert!(calls.iter().any(|c| c.starts_with("docker compose -p umbrella-airgap -f compose.yaml up -d --wait --remove-orphans @ umbrella-airgap/compose")), "{calls:#?}");
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("site"), "summary table: {stderr}");
    assert!(stderr.contains("northwind-trial  terraform"), "{stderr}");
    // Output is prefixed with its site and also kept in a per-site log.
    assert!(
        text(&out.stdout).lines().all(|l| l.starts_with('[')),
        "{}",
        text(&out.stdout)
    );
    assert!(
        f.dir
            .join("rendered/northwind-trial/.sitectl-logs/apply-terraform.log")
            .exists()
    );
}

#[test]
fn a_missing_tool_is_named_with_how_to_install_it() {
    let f = Fixture::new("missing", &["helm"]);
    let out = f.run(&["plan", "northwind-trial"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        all.contains("`terraform` is not installed") && all.contains("OpenTofu"),
        "{all}"
    );
}

#[test]
fn tofu_stands_in_for_terraform_and_docker_compose_for_docker_compose_plugin() {
    let f = Fixture::new("alternatives", &["tofu", "helm", "docker-compose", "az"]);
    let out = f.run(
        &[
            "plan",
            "northwind-trial",
            "umbrella-airgap",
            "--terraform-bin",
            "tofu",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let calls = f.calls();
    assert!(
        calls
            .iter()
            .any(|c| c == "tofu plan -input=false -lock-timeout=10m -out=sitectl.tfplan @ northwind-trial/terraform"),
        "{calls:#?}"
    );
    assert!(calls.iter().any(|c| c == "docker-compose -p umbrella-airgap -f compose.yaml config -q @ umbrella-airgap/compose"), "{calls:#?}");
    // Without the name, the first of terraform and tofu on PATH is used.
    let found = f.run(&["plan", "northwind-trial", "--target", "terraform"], &[]);
    assert_eq!(found.status.code(), Some(0), "{}", text(&found.stderr));
}

#[test]
fn destroy_keeps_compose_volumes_unless_data_loss_is_allowed() {
    let f = Fixture::new("destroy", ALL);
    let out = f.run(
        &["destroy", "umbrella-airgap", "--target", "compose", "--yes"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        f.calls().iter().any(|c| c
            == "docker compose -p umbrella-airgap -f compose.yaml down @ umbrella-airgap/compose"),
        "{:?}",
        f.calls()
    );
    let out = f.run(
        &[
            "destroy",
            "umbrella-airgap",
            "--target",
            "compose",
            "--yes",
            "--allow-data-loss",
            "umbrella-airgap",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        f.calls().iter().any(|c| c.contains("down --volumes")),
        "{:?}",
        f.calls()
    );
}

#[test]
fn compose_output_handed_off_passes_the_real_docker_compose() {
    // The real docker-compose (installed by .ci/run) checks the file it is handed.
    let real = Path::new("/usr/bin/docker-compose");
    assert!(
        real.exists(),
        "docker-compose is not installed: apt-get install docker-compose (.ci/run does this)"
    );
    let f = Fixture::new("real-compose", &["terraform", "helm", "az"]);
    std::os::unix::fs::symlink(real, f.bin.join("docker-compose")).unwrap();
    let secrets = [
        ("POSTGRES_PASSWORD", "not-a-real-password"),
        ("SITECTL_LICENSE_KEY", "not-a-real-key"),
    ];
    let out = f.run(
        &["plan", "umbrella-airgap", "--target", "compose"],
        &secrets,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("[umbrella-airgap/compose]") && stdout.contains("postgres-data"),
        "{stdout}"
    );
    // Without the secrets the compose file refuses to resolve: the site fails.
    let out = f.run(&["plan", "umbrella-airgap", "--target", "compose"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("POSTGRES_PASSWORD"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn helm_plan_without_the_diff_plugin_diffs_the_template_against_the_release() {
    let f = Fixture::new("helm-plan", ALL);
    let out = f.run(&["plan", "northwind-trial", "--target", "helm"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("[northwind-trial/helm] -replicas: 1")
            && stdout.contains("[northwind-trial/helm] +replicas: 2"),
        "{stdout}"
    );
    // A release not installed yet is no failure: everything is new.
    let out = f.run(
        &["plan", "northwind-trial", "--target", "helm"],
        &[("FAKE_NO_RELEASE", "1")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("(release not installed yet)"));
}

#[test]
fn compose_plan_diffs_against_what_the_last_apply_brought_up() {
    let f = Fixture::new("compose-plan", ALL);
    let apply = f.run(
        &["apply", "umbrella-airgap", "--target", "compose", "--yes"],
        &[("FAKE_VERSION", "1")],
    );
    assert_eq!(apply.status.code(), Some(0), "{}", text(&apply.stderr));
    let plan = f.run(
        &["plan", "umbrella-airgap", "--target", "compose"],
        &[("FAKE_VERSION", "2")],
    );
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stderr));
    let stdout = text(&plan.stdout);
    assert!(
        stdout.contains("-services: {app: {image: app:1}}")
            && stdout.contains("+services: {app: {image: app:2}}"),
        "{stdout}"
    );
}

#[test]
fn helm_4_and_the_diff_plugin_are_detected() {
    let f = Fixture::new("helm4", ALL);
    let env = [("FAKE_HELM_VERSION", "v4.0.1"), ("FAKE_HELM_DIFF", "1")];
    let plan = f.run(
        &["plan", "northwind-trial", "--target", "helm", "--dry-run"],
        &env,
    );
    assert!(
        text(&plan.stdout).contains("helm diff upgrade northwind-trial"),
        "{}",
        text(&plan.stdout)
    );
    let apply = f.run(
        &["apply", "northwind-trial", "--target", "helm", "--dry-run"],
        &env,
    );
    let stdout = text(&apply.stdout);
    assert!(
        stdout.contains("--rollback-on-failure") && !stdout.contains("--atomic"),
        "{stdout}"
    );
}

/// A dry run runs nothing, so it needs no tool: a missing one stands in by
/// its usual name, with a note.
#[test]
fn a_dry_run_shows_the_commands_without_the_tools_installed() {
    let f = Fixture::new("dry-no-tools", &[]);
    let out = f.run(&["apply", "northwind-trial", "--dry-run"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("&& terraform apply -input=false -lock-timeout=10m sitectl.tfplan)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("&& helm upgrade --install northwind-trial"),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("note: `helm` is not installed here"),
        "{stderr}"
    );
    assert!(!stderr.contains("`az`"), "no bicep target here: {stderr}");
    assert!(f.calls().is_empty(), "{:?}", f.calls());
}

#[test]
fn plan_runs_from_a_sub_folder_of_the_repository() {
    let f = Fixture::new("subfolder", ALL);
    let out = f.run_in(
        &f.dir.join("sites"),
        &["plan", "northwind-trial", "--dry-run"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("rendered/northwind-trial/terraform && "),
        "{}",
        text(&out.stdout)
    );
}

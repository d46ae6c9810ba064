//! `sitectl drift`: each site's real plan read for what applying its code
//! would change; exit 0 in sync, 2 drifted, 1 when a check could not say.

use super::*;

const LOG_GROUP_DRIFT: &str = r#"{"format_version": "1.2", "resource_changes": [
  {"address": "azurerm_log_analytics_workspace.site", "change": {"actions": ["update"],
   "before": {"name": "law", "retention_in_days": 7}, "after": {"name": "law", "retention_in_days": 30}}},
  {"address": "data.azurerm_client_config.current", "change": {"actions": ["read"]}}]}"#;

#[test]
fn drift_reports_in_sync_sites_and_exits_0() {
    let f = Fixture::new("drift-clean", ALL);
    let out = f.run(&["drift", "--target", "terraform"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("in sync  northwind-trial/terraform\n"),
        "{stdout}"
    );
    assert!(
        stdout.lines().all(|l| l.starts_with("in sync  ")),
        "{stdout}"
    );
    assert!(
        text(&out.stderr).contains("checked: 0 drifted, 0 failed,"),
        "{}",
        text(&out.stderr)
    );
    // The tools' output is in each target's log, not in the report.
    let log = f
        .dir
        .join("rendered/northwind-trial/.sitectl-logs/drift-terraform.log");
    assert!(
        std::fs::read_to_string(log)
            .unwrap()
            .contains("terraform plan")
    );
}

#[test]
fn a_drifted_site_is_named_with_its_changed_resources_and_exits_2() {
    let f = Fixture::new("drift-found", ALL);
    let plan = f.dir.join("plan.json");
    std::fs::write(&plan, LOG_GROUP_DRIFT).unwrap();
    let env = [
        ("FAKE_PLAN_JSON", plan.to_str().unwrap()),
        ("FAKE_PLAN_SITE", "acme-learning"),
    ];
    let out = f.run(&["drift", "--target", "terraform"], &env);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("drifted  acme-learning/terraform (log: rendered/acme-learning/.sitectl-logs/drift-terraform.log)"), "{stdout}");
    assert_eq!(
        lines[1],
        "  azurerm_log_analytics_workspace.site: update (retention_in_days)"
    );
    // Never applied, whatever the plan says.
    assert_never_ran(&f, "terraform apply");

    let json = f.run(
        &["drift", "--target", "terraform", "--format", "json"],
        &env,
    );
    assert_eq!(json.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["totals"]["drifted"], 1);
    let drifted: Vec<&serde_json::Value> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] == "drifted")
        .collect();
    assert_eq!(drifted.len(), 1);
    assert_eq!(drifted[0]["site"], "acme-learning");
    assert_eq!(
        drifted[0]["changes"][0]["address"],
        "azurerm_log_analytics_workspace.site"
    );

    let markdown = f.run(
        &["drift", "--target", "terraform", "--format", "markdown"],
        &env,
    );
    let markdown = text(&markdown.stdout);
    assert!(markdown.starts_with("## Drift\n"), "{markdown}");
    assert!(
        markdown.contains("| `acme-learning` | terraform | `azurerm_log_analytics_workspace.site` | update: retention_in_days |"),
        "{markdown}"
    );
}

#[test]
fn a_plan_drift_cannot_read_fails_the_check_instead_of_passing_it() {
    let f = Fixture::new("drift-unreadable", ALL);
    let plan = f.dir.join("plan.json");
    std::fs::write(&plan, "Error: no valid credential sources found\n").unwrap();
    let out = f.run(
        &["drift", "--target", "terraform"],
        &[
            ("FAKE_PLAN_JSON", plan.to_str().unwrap()),
            ("FAKE_PLAN_SITE", "northwind-trial"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("failed   northwind-trial/terraform: the plan cannot be read (not JSON"),
        "{stdout}"
    );
}

#[test]
fn azure_what_if_and_compose_configuration_are_checked_too() {
    let f = Fixture::new("drift-targets", ALL);
    let what_if = r#"{"status": "Succeeded", "changes": [{"changeType": "Modify", "resourceId": "/subscriptions/s/resourceGroups/rg-initech-learning/providers/Microsoft.Storage/storageAccounts/st", "delta": [{"path": "properties.minimumTlsVersion"}]}, {"changeType": "NoChange", "resourceId": "/x"}]}"#;
    let out = f.run(
        &[
            "drift",
            "initech-byoi",
            "umbrella-airgap",
            "--target",
            "bicep",
        ],
        &[("FAKE_WHAT_IF", what_if)],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("  /subscriptions/s/resourceGroups/rg-initech-learning/providers/Microsoft.Storage/storageAccounts/st: update (properties.minimumTlsVersion)"),
        "{stdout}"
    );
    assert!(f.calls().iter().any(|c| c.starts_with(
        "az deployment group what-if --resource-group rg-initech-learning --template-file main.bicep --parameters main.bicepparam --no-pretty-print"
    )));
    // A Compose site never brought up: every service is still to create.
    let compose = f.run(&["drift", "umbrella-airgap", "--target", "compose"], &[]);
    assert_eq!(
        compose.status.code(),
        Some(2),
        "{}{}",
        text(&compose.stdout),
        text(&compose.stderr)
    );
    assert!(
        text(&compose.stdout).contains("  service app: create"),
        "{}",
        text(&compose.stdout)
    );
}

#[test]
fn shard_reports_combine_into_one_and_a_bad_report_is_named() {
    let f = Fixture::new("drift-combine", ALL);
    let plan = f.dir.join("plan.json");
    std::fs::write(&plan, LOG_GROUP_DRIFT).unwrap();
    let env = [
        ("FAKE_PLAN_JSON", plan.to_str().unwrap()),
        ("FAKE_PLAN_SITE", "acme-learning"),
    ];
    // Two shards of the fleet, each checked on its own.
    for (shard, sites) in [("1", "acme-learning\n"), ("2", "northwind-trial\n")] {
        let list = f.dir.join(format!("shard-{shard}.txt"));
        std::fs::write(&list, sites).unwrap();
        let out = f.run(
            &[
                "drift",
                "--target",
                "terraform",
                "--format",
                "json",
                "--sites-from",
                list.to_str().unwrap(),
            ],
            &env,
        );
        std::fs::write(f.dir.join(format!("drift-{shard}.json")), &out.stdout).unwrap();
    }
    let combined = f.run(
        &[
            "drift",
            "--combine",
            "drift-2.json",
            "drift-1.json",
            "--format",
            "markdown",
        ],
        &[],
    );
    assert_eq!(
        combined.status.code(),
        Some(2),
        "{}",
        text(&combined.stderr)
    );
    let markdown = text(&combined.stdout);
    assert!(
        markdown.starts_with(
            "## Drift\n\n2 sites (2 targets) checked: 1 drifted, 0 failed, 1 in sync.\n"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("| `acme-learning` | terraform |"),
        "{markdown}"
    );
    // Combining runs no tool.
    let calls = f.calls().len();
    std::fs::write(
        f.dir.join("broken.json"),
        "{\"totals\": {},\n \"targets\": 3}",
    )
    .unwrap();
    let broken = f.run(&["drift", "--combine", "drift-1.json", "broken.json"], &[]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        text(&broken.stderr).starts_with("error: broken.json:1:"),
        "{}",
        text(&broken.stderr)
    );
    assert!(broken.stdout.is_empty());
    assert_eq!(f.calls().len(), calls);
    // Checking and combining at once is a usage error.
    let both = f.run(
        &["drift", "acme-learning", "--combine", "drift-1.json"],
        &[],
    );
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn a_failed_check_says_why_in_the_tools_words_and_names_only_logs_that_exist() {
    let f = Fixture::new("drift-why", ALL);
    let out = f.run(
        &["drift", "northwind-trial"],
        &[("FAKE_FAIL_CALL", "terraform init")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("failed   northwind-trial/terraform: `") && stdout.contains("failed with exit status: 4: simulated failure of terraform init (log: rendered/northwind-trial/.sitectl-logs/drift-terraform.log)"),
        "{stdout}"
    );
    // Helm was skipped: it ran nothing and wrote no log, so none is named.
    assert!(
        stdout.contains("failed   northwind-trial/helm: skipped: `terraform` failed before it, in an earlier phase\n"),
        "{stdout}"
    );
}

//! `drift.yml`: every site checked in matrix jobs, the shards' reports
//! combined into one, and one issue opened while the fleet drifts and
//! closed once it is in sync.

use std::path::Path;

use crate::common::fake_tools::write_fakes;
use crate::common::git;

use super::runner::{JobRun, run_job, run_matrix, sitectl};

/// One morning's run: select, check every shard, report.
fn morning(repo: &Path, env: &[(&str, String)], checked: &str) -> JobRun {
    let select = run_job(repo, ("drift.yml", "select"), env, &[]);
    assert!(select.codes.values().all(|c| *c == 0), "{:?}", select.codes);
    let matrix = &select.outputs["shards"]["matrix"];
    assert_eq!(
        matrix,
        r#"{"include":[{"shard":1,"sites":"contoso"},{"shard":2,"sites":"northwind-trial"}]}"#
    );
    let _ = std::fs::remove_dir_all(repo.join("reports"));
    for job in run_matrix(repo, ("drift.yml", "check"), env, matrix) {
        // 0, 1 and 2 are all a report: the step passes on each.
        assert!(job.codes.values().all(|c| *c == 0), "{:?}", job.codes);
    }
    let expressions = [
        ("github.token", "a-token".to_string()),
        ("needs.check.result", checked.to_string()),
    ];
    let report = run_job(repo, ("drift.yml", "report"), env, &expressions);
    assert!(report.codes.values().all(|c| *c == 0), "{:?}", report.codes);
    report
}

#[test]
fn the_morning_check_keeps_one_issue_open_while_the_fleet_drifts() {
    let base = std::env::temp_dir().join(format!("sitectl-drift-workflow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    sitectl(&base, &["init", "repo"]);
    let repo = base.join("repo");
    sitectl(
        &repo,
        &[
            "new",
            "contoso",
            "--tier",
            "trial",
            "--deployment",
            "managed",
        ],
    );
    sitectl(&repo, &["render"]);
    std::fs::write(
        repo.join(".gitignore"),
        format!(
            "{}/.runner/\n/reports/\n/drift.md\n",
            std::fs::read_to_string(repo.join(".gitignore")).unwrap()
        ),
    )
    .unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "sites"]);

    let tools = base.join("tools");
    write_fakes(&tools, &["terraform", "helm", "docker", "az", "gh"]);
    let log = base.join("calls.log");
    let plan = base.join("drifted-plan.json");
    std::fs::write(
        &plan,
        r#"{"format_version": "1.2", "resource_changes": [{"address": "azurerm_storage_account.site", "change": {"actions": ["update"], "before": {"min_tls_version": "TLS1_0"}, "after": {"min_tls_version": "TLS1_2"}}}]}"#,
    )
    .unwrap();
    let faked = [
        ("PATH", tools.to_string_lossy().into_owned()),
        ("FAKE_LOG", log.to_string_lossy().into_owned()),
        // Each release is what its chart and values make.
        ("FAKE_RELEASE_CURRENT", "1".to_string()),
    ];

    // Someone changed contoso's storage account by hand: the issue opens.
    let drifting = [
        &faked[..],
        &[
            ("FAKE_PLAN_JSON", plan.to_string_lossy().into_owned()),
            ("FAKE_PLAN_SITE", "contoso".to_string()),
        ],
    ]
    .concat();
    let report = morning(&repo, &drifting, "success");
    assert_eq!(report.outputs["report"]["status"], "2");
    let body = std::fs::read_to_string(repo.join("drift.md")).unwrap();
    assert!(
        body.starts_with(
            "## Drift\n\n2 sites (4 targets) checked: 1 drifted, 0 failed, 3 in sync.\n"
        ),
        "{body}"
    );
    assert!(
        body.contains(
            "| `contoso` | terraform | `azurerm_storage_account.site` | update: min_tls_version |"
        ),
        "{body}"
    );
    assert!(report.summary.contains("## Drift"));
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls.contains("gh issue create --title Drift: the fleet no longer matches main --label drift --body-file drift.md"),
        "{calls}"
    );
    assert!(
        !calls.contains("terraform apply"),
        "a check applies nothing: {calls}"
    );

    // The next morning, with the issue open and the fleet reconciled: closed.
    std::fs::remove_file(&log).unwrap();
    let in_sync = [&faked[..], &[("FAKE_OPEN_ISSUE", "7".to_string())]].concat();
    // A shard that failed before its report: the issue is never closed then.
    let report = morning(&repo, &in_sync, "failure");
    assert_eq!(report.outputs["report"]["status"], "1");
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls.contains("gh issue edit 7 --body-file drift.md"),
        "{calls}"
    );
    assert!(!calls.contains("gh issue close"), "{calls}");
    assert!(
        std::fs::read_to_string(repo.join("drift.md"))
            .unwrap()
            .contains("**Not every shard reported**")
    );
    std::fs::remove_file(&log).unwrap();
    let report = morning(&repo, &in_sync, "success");
    assert_eq!(report.outputs["report"]["status"], "0");
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains("gh issue close 7 --comment"), "{calls}");
    assert!(!calls.contains("gh issue create"), "{calls}");
    std::fs::remove_dir_all(&base).unwrap();
}

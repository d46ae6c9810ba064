//! The two passes of an apply or a destroy: every site planned and gated
//! (fail closed) before the question, then only what passed changed,
//! infrastructure before workloads and the reverse to destroy, a failed
//! phase skipping the later ones; and the run's Markdown summary.

use super::*;

#[test]
fn a_plan_that_deletes_a_database_is_refused_unless_allowed() {
    let f = Fixture::new("loss", ALL);
    let plan = f.dir.join("plan.json");
    std::fs::write(&plan, r#"{"format_version": "1.2", "resource_changes": [{"address": "azurerm_postgresql_flexible_server_database.site", "change": {"actions": ["delete", "create"]}}]}"#).unwrap();
    let env = [
        ("FAKE_PLAN_JSON", plan.to_str().unwrap()),
        ("FAKE_PLAN_SITE", "acme-learning"),
    ];
    let out = f.run(
        &["apply", "acme-learning", "--target", "terraform", "--yes"],
        &env,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_says(&out, "refused: data loss");
    assert_never_ran(&f, "terraform apply");
    let allowed = f.run(
        &[
            "apply",
            "acme-learning",
            "--target",
            "terraform",
            "--yes",
            "--allow-data-loss",
            "acme-learning",
        ],
        &env,
    );
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stderr));
    assert!(f.calls().iter().any(|c| c.starts_with("terraform apply")));
}

#[test]
fn one_failing_site_never_stops_the_others() {
    let f = Fixture::new("parallel", ALL);
    let out = f.run(
        &["plan", "--jobs", "4"],
        &[("FAKE_FAIL_SITE", "acme-learning")],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let rows: Vec<&str> = stderr.lines().filter(|l| l.contains("  ")).collect();
    assert!(
        rows.iter()
            .any(|r| r.starts_with("acme-learning") && r.contains("failed")),
        "{stderr}"
    );
    for site in [
        "globex-dedicated",
        "initech-byoi",
        "northwind-trial",
        "umbrella-airgap",
    ] {
        assert!(
            rows.iter()
                .any(|r| r.starts_with(site) && r.contains(" ok ")),
            "{site}: {stderr}"
        );
    }
}

#[test]
fn a_new_state_database_is_set_up_by_one_init_before_the_others_run() {
    // The first apply of a fleet whose state lives in one PostgreSQL
    // database: inits racing to create its shared objects failed all but one.
    let f = Fixture::new("first-init", ALL);
    let out = f.run(
        &["plan", "--jobs", "4", "--target", "terraform"],
        &[("FAKE_SHARED_STATE", "1")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let inits = f
        .calls()
        .iter()
        .filter(|c| c.starts_with("terraform init"))
        .count();
    assert!(inits >= 4, "{:#?}", f.calls());
}

#[test]
fn an_init_that_lost_a_race_with_another_process_is_tried_again() {
    // The jobs of a matrix first-applying their sites at once, each its own
    // sitectl: one init creates the state database's sequence, another fails.
    let f = Fixture::new("init-race", ALL);
    let out = f.run(
        &["plan", "northwind-trial", "--target", "terraform"],
        &[("FAKE_INIT_RACE_ONCE", "1")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let inits = f
        .calls()
        .iter()
        .filter(|c| c.starts_with("terraform init"))
        .count();
    assert_eq!(inits, 2, "{:#?}", f.calls());
    let log = std::fs::read_to_string(
        f.dir
            .join("rendered/northwind-trial/.sitectl-logs/plan-terraform.log"),
    )
    .unwrap();
    assert!(
        log.contains("init lost a race with another process"),
        "{log}"
    );
}

#[test]
fn a_release_helm_cannot_read_is_a_failure_never_a_new_install() {
    let f = Fixture::new("helm-forbidden", ALL);
    let env = [("FAKE_HELM_FORBIDDEN", "1")];
    let out = f.run(&["plan", "northwind-trial", "--target", "helm"], &env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("(release not installed yet)"));
    let drift = f.run(&["drift", "northwind-trial", "--target", "helm"], &env);
    assert_eq!(drift.status.code(), Some(1), "{}", text(&drift.stderr));
    assert!(
        text(&drift.stdout).starts_with("failed   northwind-trial/helm:"),
        "{}",
        text(&drift.stdout)
    );
}

#[test]
fn the_plans_json_is_read_by_the_gate_and_never_logged() {
    // `terraform show -json` holds the values of sensitive attributes (a
    // generated database password); the logs are kept and uploaded.
    let f = Fixture::new("plan-secret", ALL);
    let plan = f.dir.join("plan.json");
    std::fs::write(&plan, r#"{"format_version": "1.2", "resource_changes": [{"address": "random_password.postgres_admin", "change": {"actions": ["create"], "after": {"result": "canary-5ecret-value"}}}]}"#).unwrap();
    let env = [
        ("FAKE_PLAN_JSON", plan.to_str().unwrap()),
        ("FAKE_PLAN_SITE", "northwind-trial"),
    ];
    for action in ["plan", "drift"] {
        let out = f.run(&[action, "northwind-trial", "--target", "terraform"], &env);
        let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(
            said.contains("1 to add") || said.contains("random_password.postgres_admin: create"),
            "{said}"
        );
        assert!(!said.contains("canary-5ecret-value"), "{said}");
        let log = std::fs::read_to_string(f.dir.join(format!(
            "rendered/northwind-trial/.sitectl-logs/{action}-terraform.log"
        )))
        .unwrap();
        assert!(!log.contains("canary-5ecret-value"), "{log}");
        assert!(log.contains("is read and not logged"), "{log}");
    }
}

/// The position of the first recorded call that starts with `prefix`.
fn first_call(calls: &[String], prefix: &str) -> usize {
    calls
        .iter()
        .position(|c| c.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` in {calls:#?}"))
}

#[test]
fn infrastructure_is_applied_before_the_app_and_destroyed_after_it() {
    let f = Fixture::new("phases", ALL);
    let out = f.run(&["apply", "northwind-trial", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let calls = f.calls();
    // helm's `--wait` needs the database terraform creates.
    assert!(
        first_call(&calls, "terraform apply") < first_call(&calls, "helm upgrade"),
        "{calls:#?}"
    );
    let dry = f.run(&["destroy", "northwind-trial", "--dry-run"], &[]);
    let stdout = text(&dry.stdout);
    let helm = stdout.find("helm uninstall").expect("helm uninstall");
    let terraform = stdout
        .find("terraform plan -destroy")
        .expect("terraform destroy");
    assert!(helm < terraform, "{stdout}");
}

/// Regression: `terraform show -json` printing nothing, or something that
/// is not a plan, used to read as "deletes nothing" and the apply went on.
#[test]
fn a_plan_the_gate_cannot_read_is_refused_even_with_allow_data_loss() {
    let f = Fixture::new("unreadable", ALL);
    for (case, content) in [
        ("empty", ""),
        (
            "not-a-plan",
            "Error: Failed to read the given file as a state or plan file",
        ),
        ("no-format", r#"{"resource_changes": []}"#),
    ] {
        let plan = f.dir.join(format!("{case}.json"));
        std::fs::write(&plan, content).unwrap();
        let env = [
            ("FAKE_PLAN_JSON", plan.to_str().unwrap()),
            ("FAKE_PLAN_SITE", "acme-learning"),
        ];
        let out = f.run(
            &[
                "apply",
                "acme-learning",
                "--target",
                "terraform",
                "--yes",
                "--allow-data-loss",
                "acme-learning",
            ],
            &env,
        );
        assert_eq!(out.status.code(), Some(1), "{case}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("refused: unreadable plan"),
            "{case}: {}",
            text(&out.stderr)
        );
        assert!(
            !f.calls().iter().any(|c| c.starts_with("terraform apply")),
            "{case}: {:?}",
            f.calls()
        );
    }
}

/// Regression: a failed terraform did not stop helm from starting the app
/// against a database that was never created; on destroy, a failed helm
/// uninstall did not stop terraform from destroying the database under it.
#[test]
fn a_failed_phase_skips_the_later_ones_of_that_site() {
    let f = Fixture::new("skip", ALL);
    let out = f.run(
        &["apply", "northwind-trial", "--yes"],
        &[("FAKE_FAIL_CALL", "terraform apply")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_says(&out, "skipped: terraform failed");
    assert_never_ran(&f, "helm upgrade");
    std::fs::remove_file(&f.log).unwrap();
    let out = f.run(
        &["destroy", "northwind-trial", "--yes"],
        &[("FAKE_FAIL_CALL", "helm uninstall")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_says(&out, "skipped: helm failed");
    // The plan to destroy was previewed; nothing of it was applied.
    assert_never_ran(&f, "terraform apply");
}

/// Regression: `apply` asked "apply 2 sites?" before anything was planned.
/// Now every site is planned and gated first, the plan's table is shown with
/// the question, and only what passed is applied, from its saved plan.
#[test]
fn apply_plans_every_site_before_it_asks_and_changes_only_what_passed() {
    let f = Fixture::new("two-passes", ALL);
    let plan = f.dir.join("plan.json");
    std::fs::write(&plan, r#"{"format_version": "1.2", "resource_changes": [{"address": "azurerm_postgresql_flexible_server_database.site", "change": {"actions": ["delete"]}}]}"#).unwrap();
    let out = f.run(
        &["apply", "northwind-trial", "acme-learning", "--yes"],
        &[
            ("FAKE_PLAN_JSON", plan.to_str().unwrap()),
            ("FAKE_PLAN_SITE", "acme-learning"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let calls = f.calls();
    let position = |prefix: &str| calls.iter().position(|c| c.starts_with(prefix));
    // Both sites were planned before any change began.
    let last_show = calls
        .iter()
        .rposition(|c| c.starts_with("terraform show"))
        .unwrap();
    let first_change = position("terraform apply").expect("northwind-trial is applied");
    assert!(last_show < first_change, "{calls:#?}");
    // The refused site changes nothing, not even its app.
    assert!(
        !calls
            .iter()
            .any(|c| c.contains("@ acme-learning")
                && (c.contains(" apply ") || c.contains("upgrade"))),
        "{calls:#?}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("0 to add, 0 to change, 0 to destroy"),
        "{stderr}"
    );
    assert!(stderr.contains("refused: data loss"), "{stderr}");
}

/// On a terminal, the question comes after the plan, with the plan's table
/// in front of it; answering no changes nothing.
#[test]
fn the_question_shows_the_plan_and_no_applies_nothing() {
    use clap::Parser as _;
    let f = Fixture::new("question", ALL);
    let calls = f.dir.join("terraform-calls");
    let terraform = f.dir.join("terraform-here");
    std::fs::write(
        &terraform,
        format!(
            "#!/bin/bash\necho \"$*\" >> {}\nif [ \"$1\" = show ]; then echo '{{\"format_version\": \"1.2\", \"resource_changes\": []}}'; fi\n",
            calls.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&terraform, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = |name: &str| f.dir.join(name).to_string_lossy().into_owned();
    let cli = sitectl::Cli::parse_from([
        "sitectl".to_string(),
        "--sites".into(),
        dir("sites"),
        "--rendered".into(),
        dir("rendered"),
        "--blueprints".into(),
        dir("blueprints"),
        "apply".into(),
        "northwind-trial".into(),
        "--target".into(),
        "terraform".into(),
        "--terraform-bin".into(),
        terraform.to_string_lossy().into_owned(),
    ]);
    let asked = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let seen = std::sync::Arc::clone(&asked);
    let context = sitectl::Context {
        confirm: Some(std::sync::Arc::new(move |question: &str| {
            seen.lock().unwrap().push_str(question);
            false
        })),
        ..sitectl::Context::default()
    };
    let outcome = sitectl::run(&cli, &context);
    let question = asked.lock().unwrap().clone();
    assert!(question.starts_with("site"), "{question}");
    assert!(
        question.contains("0 to add, 0 to change, 0 to destroy"),
        "{question}"
    );
    assert!(
        question.ends_with("apply 1 site (northwind-trial)? [y/N] "),
        "{question}"
    );
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("aborted: nothing was applied"),
        "{}",
        outcome.stderr
    );
    let ran = std::fs::read_to_string(&calls).unwrap();
    assert!(ran.contains("plan -input=false"), "{ran}");
    assert!(!ran.contains("apply"), "{ran}");
}

/// A destroy of a site whose Terraform is already gone (a reclaim that
/// failed after it) plans nothing, and must run again harmlessly; a site with
/// Bicep, which has no destroy, still has its app uninstalled.
#[test]
fn a_destroy_runs_again_harmlessly_and_bicep_never_holds_back_the_app() {
    let f = Fixture::new("destroy-again", ALL);
    let plan = f.dir.join("empty-plan.json");
    std::fs::write(
        &plan,
        r#"{"format_version": "1.2", "planned_values": {"root_module": {}}, "complete": true, "errored": false}"#,
    )
    .unwrap();
    let out = f.run(
        &["destroy", "northwind-trial", "--yes"],
        &[
            ("FAKE_PLAN_JSON", plan.to_str().unwrap()),
            ("FAKE_PLAN_SITE", "northwind-trial"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let byoi = f.run(&["destroy", "initech-byoi", "--yes"], &[]);
    assert_eq!(byoi.status.code(), Some(1), "{}", text(&byoi.stderr));
    assert_says(&byoi, "initech-byoi");
    assert!(
        f.calls()
            .iter()
            .any(|c| c.starts_with("helm uninstall initech-byoi")),
        "{:#?}",
        f.calls()
    );
}

/// The Markdown a pull request's plan comment is made of: refusals first,
/// with why and the end of their log, then what each plan does.
#[test]
fn a_plan_summary_puts_refusals_first_with_the_end_of_their_log() {
    let f = Fixture::new("summary", ALL);
    let plan = f.dir.join("plan.json");
    std::fs::write(&plan, r#"{"format_version": "1.2", "resource_changes": [{"address": "azurerm_postgresql_flexible_server_database.site", "change": {"actions": ["delete"]}}]}"#).unwrap();
    let summary = f.dir.join("out/plan.md");
    let out = f.run(
        &[
            "plan",
            "acme-learning",
            "northwind-trial",
            "--summary",
            summary.to_str().unwrap(),
        ],
        &[
            ("FAKE_PLAN_JSON", plan.to_str().unwrap()),
            ("FAKE_PLAN_SITE", "acme-learning"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert!(
        markdown
            .starts_with("## sitectl plan\n\n2 sites, 4 targets: 2 ok, 1 refused, 1 skipped.\n"),
        "{markdown}"
    );
    let rows: Vec<&str> = markdown.lines().filter(|l| l.starts_with("| `")).collect();
    assert_eq!(rows.len(), 4, "{markdown}");
    assert!(
        rows[0].starts_with(
            "| `acme-learning` | terraform | refused: data loss | 0 to add, 0 to change, 1 to destroy |"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("azurerm_postgresql_flexible_server_database.site"),
        "the refusal says why: {markdown}"
    );
    assert!(
        markdown.contains("The end of rendered/acme-learning/.sitectl-logs/plan-terraform.log"),
        "{markdown}"
    );
    assert!(markdown.contains("```text\n"), "{markdown}");
}

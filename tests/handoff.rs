//! `sitectl plan|apply|destroy` against fake `terraform`, `helm`, `docker`,
//! `docker-compose` and `az` on PATH that record their argv and working
//! directory, and fail, or print a plan, on demand.

use crate::common::fake_tools::Fixture;

use std::path::Path;

const ALL: &[&str] = &["terraform", "helm", "docker", "az"];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails unless the run's stderr says `needle`.
fn assert_says(out: &std::process::Output, needle: &str) {
    assert!(
        text(&out.stderr).contains(needle),
        "no {needle:?} in\n{}",
        text(&out.stderr)
    );
}

/// Fails unless every recorded call is a tool's version probe: no hand-off ran.
fn assert_only_probes(f: &Fixture) {
    assert!(
        f.calls()
            .iter()
            .all(|c| c.contains("version") || c.contains("plugin list")),
        "{:#?}",
        f.calls()
    );
}

/// Fails if any recorded call starts with `prefix`.
fn assert_never_ran(f: &Fixture, prefix: &str) {
    assert!(
        !f.calls().iter().any(|c| c.starts_with(prefix)),
        "`{prefix}` ran: {:#?}",
        f.calls()
    );
}

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
            "rendered/northwind-trial/terraform && terraform apply -input=false sitectl.tfplan)"
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
            "terraform plan -input=false -out=sitectl.tfplan @ northwind-trial/terraform",
            "terraform show -json sitectl.tfplan @ northwind-trial/terraform",
            "terraform apply -input=false sitectl.tfplan @ northwind-trial/terraform",
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
fn a_locked_site_is_refused_naming_the_holder() {
    let f = Fixture::new("lock", ALL);
    std::fs::write(
        f.dir.join("rendered/northwind-trial/.sitectl-lock"),
        "sitectl pid 4242 since 2026-11-22T10:00:00Z",
    )
    .unwrap();
    let out = f.run(&["plan", "northwind-trial"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("pid 4242"), "{all}");
    assert!(all.contains("refused: locked"), "{all}");
}

#[test]
fn apply_without_yes_off_a_terminal_is_refused() {
    let f = Fixture::new("noyes", ALL);
    let out = f.run(&["apply", "northwind-trial"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("without --yes when not on a terminal"));
    assert!(
        !f.calls()
            .iter()
            .any(|c| c.contains(" init ") || c.contains(" upgrade "))
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
fn a_stale_rendered_output_is_refused_with_the_fix() {
    let f = Fixture::new("stale", ALL);
    let spec = f.dir.join("sites/northwind-trial.yaml");
    let text_before = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text_before.replace("seats: 25", "seats: 24")).unwrap();
    let out = f.run(&["plan", "northwind-trial"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_says(&out, "stale or missing: run `sitectl render`");
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
            .any(|c| c == "tofu plan -input=false -out=sitectl.tfplan @ northwind-trial/terraform"),
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
fn a_hanging_tool_is_stopped_at_the_timeout_and_the_others_finish() {
    let f = Fixture::new("hang", ALL);
    let start = std::time::Instant::now();
    let out = f.run(
        &[
            "plan",
            "--jobs",
            "2",
            "--timeout",
            "2",
            "--target",
            "terraform",
        ],
        &[("FAKE_HANG_SITE", "northwind-trial")],
    );
    assert!(
        start.elapsed() < std::time::Duration::from_secs(60),
        "the run waited for the hung tool"
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("northwind-trial") && l.contains("timed out")),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("acme-learning") && l.contains(" ok ")),
        "{stderr}"
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

#[test]
fn an_unknown_target_is_a_usage_error_not_an_empty_run() {
    let f = Fixture::new("unknown-target", ALL);
    let out = f.run(&["plan", "--target", "terrafrom"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_says(&out, "[possible values: bicep, compose, helm, terraform]");
    assert_never_ran(&f, "terraform");
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

#[test]
fn misspelt_names_and_zero_jobs_are_usage_errors() {
    let f = Fixture::new("usage", ALL);
    let out = f.run(&["plan", "northwind-trail", "--dry-run"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_says(&out, "(did you mean `northwind-trial`?)");
    // A misspelt name must not leave the gate closed for the site meant.
    let out = f.run(
        &[
            "apply",
            "acme-learning",
            "--yes",
            "--allow-data-loss",
            "acme-learnig",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_says(&out, "--allow-data-loss acme-learnig: no site of that name");
    assert!(f.calls().iter().all(|c| !c.starts_with("terraform")));
    for flag in ["--jobs", "--timeout"] {
        let out = f.run(&["plan", flag, "0"], &[]);
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", text(&out.stderr));
    }
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
        stdout.contains("&& terraform apply -input=false sitectl.tfplan)"),
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

/// This machine's name, as a lock records it.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// Regression: Ctrl-C killed sitectl at once, leaving the tools running, no
/// summary, and a lock that refused every later run.
#[test]
fn an_interrupted_apply_stops_its_tools_prints_the_summary_and_releases_every_lock() {
    let f = Fixture::new("interrupt", ALL);
    let child = f
        .command(
            &f.dir,
            &[
                "apply",
                "northwind-trial",
                "acme-learning",
                "--yes",
                "--jobs",
                "1",
            ],
            &[("FAKE_HANG_SITE", "acme-learning")],
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let hanging = f.log.with_extension("log.hanging");
    let start = std::time::Instant::now();
    while !hanging.exists() {
        assert!(
            start.elapsed().as_secs() < 60,
            "the fake tool never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let tool: i32 = std::fs::read_to_string(&hanging)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: signals the sitectl process this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.starts_with("site"), "the summary table: {stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        stderr.contains("interrupted by SIGINT: every lock was released"),
        "{stderr}"
    );
    for site in ["acme-learning", "northwind-trial"] {
        assert!(
            !f.dir
                .join("rendered")
                .join(site)
                .join(".sitectl-lock")
                .exists(),
            "{site} is still locked"
        );
    }
    // The hanging tool was stopped with its run, not orphaned.
    assert!(
        !Path::new(&format!("/proc/{tool}")).exists(),
        "the tool (pid {tool}) still runs"
    );
}

#[test]
fn a_stale_lock_is_named_as_such_and_unlock_removes_only_a_dead_holders() {
    let f = Fixture::new("stale-lock", ALL);
    let lock = f.dir.join("rendered/northwind-trial/.sitectl-lock");
    // A pid no process has: the holder was killed.
    std::fs::write(
        &lock,
        format!(
            "host={}\npid={}\nsince=2026-11-29T10:00:00Z\n",
            hostname(),
            i32::MAX
        ),
    )
    .unwrap();
    let out = f.run(&["plan", "northwind-trial"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("refused: stale lock"), "{stderr}");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("a stale lock: its holder (sitectl pid")
            && stdout.contains("is gone; remove it with `sitectl unlock northwind-trial`"),
        "{stdout}"
    );
    let unlocked = f.run(&["unlock", "northwind-trial"], &[]);
    assert_eq!(
        unlocked.status.code(),
        Some(0),
        "{}",
        text(&unlocked.stderr)
    );
    assert!(!lock.exists());
    assert_eq!(
        f.run(&["plan", "northwind-trial"], &[]).status.code(),
        Some(0)
    );
    // A live holder (this test) keeps its lock.
    std::fs::write(
        &lock,
        format!(
            "host={}\npid={}\nsince=now\n",
            hostname(),
            std::process::id()
        ),
    )
    .unwrap();
    let refused = f.run(&["unlock", "northwind-trial"], &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("held by a running process"));
    assert!(lock.exists());
    let unknown = f.run(&["unlock", "northwind-trail"], &[]);
    assert_eq!(unknown.status.code(), Some(2));
    // Never the rendered folder's own lock, or one outside it.
    for outside in ["..", "."] {
        assert_eq!(f.run(&["unlock", outside], &[]).status.code(), Some(2));
    }
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

/// Regression: the merge job's `apply --yes` tried to apply the self-hosted
/// site, which its customer operates, and failed on its `.env` secrets.
#[test]
fn a_site_its_customer_operates_is_skipped_unless_named() {
    let f = Fixture::new("delivered", ALL);
    let out = f.run(&["apply", "--yes", "--target", "compose"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_says(&out, "skipped `umbrella-airgap`: its customer operates it");
    assert!(
        !f.calls().iter().any(|c| c.contains("@ umbrella-airgap")),
        "{:#?}",
        f.calls()
    );
    let named = f.run(
        &["apply", "umbrella-airgap", "--yes", "--target", "compose"],
        &[],
    );
    assert_eq!(named.status.code(), Some(0), "{}", text(&named.stderr));
    assert!(
        f.calls()
            .iter()
            .any(|c| c.contains("up -d --wait") && c.contains("@ umbrella-airgap"))
    );
}

/// A CI job's share of the sites comes from a file: a selection, not a
/// naming, so a site its customer operates stays skipped; an empty share
/// hands off nothing (never "every site").
#[test]
fn sites_from_a_file_are_a_selection_and_an_empty_one_is_nothing() {
    let f = Fixture::new("sites-from", ALL);
    let list = f.dir.join("changed-sites.txt");
    std::fs::write(
        &list,
        "# changed in this push\nnorthwind-trial\numbrella-airgap\n",
    )
    .unwrap();
    let out = f.run(
        &["apply", "--yes", "--sites-from", list.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let calls = f.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("terraform apply") && c.contains("@ northwind-trial"))
    );
    assert!(
        !calls.iter().any(|c| c.contains("@ umbrella-airgap")),
        "{calls:#?}"
    );
    assert!(
        !calls.iter().any(|c| c.contains("@ acme-learning")),
        "{calls:#?}"
    );
    assert!(text(&out.stderr).contains("skipped `umbrella-airgap`"));
    std::fs::remove_file(&f.log).unwrap();
    std::fs::write(&list, "").unwrap();
    let none = f.run(
        &["apply", "--yes", "--sites-from", list.to_str().unwrap()],
        &[],
    );
    assert_eq!(none.status.code(), Some(0), "{}", text(&none.stderr));
    assert_only_probes(&f);
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

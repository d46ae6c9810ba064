//! `sitectl reclaim` against fake tools on PATH: which trials it destroys,
//! how it passes the blueprints' `prevent_destroy` and the data-loss gate,
//! and what it archives, refuses or leaves alone.

use std::path::Path;

use crate::common::fake_tools::Fixture;

const TOOLS: &[&str] = &["terraform", "helm"];
/// After northwind-trial's end (it starts 2026-11-20 and lasts 14 days).
const AFTER_END: &str = "2026-12-10";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The tool calls made in a site's output folder (probing for versions
/// happens elsewhere and changes nothing).
fn handed_off(f: &Fixture) -> Vec<String> {
    f.calls()
        .into_iter()
        .filter(|c| !c.contains("@ /"))
        .collect()
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn reclaim_destroys_an_expired_trial_and_archives_its_spec() {
    let f = Fixture::new("reclaim-ok", TOOLS);
    let original = read(f.dir.join("sites/northwind-trial.yaml"));
    // The destroy plan deletes the trial's database: the gate must let it
    // through for a reclaimed site.
    let plan = f.dir.join("plan.json");
    std::fs::write(
        &plan,
        r#"{"format_version": "1.2", "resource_changes": [{"address": "azurerm_postgresql_flexible_server_database.site", "change": {"actions": ["delete"]}}]}"#,
    )
    .unwrap();
    let out = f.run(
        &["reclaim", "--as-of", AFTER_END, "--yes"],
        &[
            ("FAKE_PLAN_JSON", plan.to_str().unwrap()),
            ("FAKE_PLAN_SITE", "northwind-trial"),
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    let calls = f.calls();
    let trial: Vec<&String> = calls
        .iter()
        .filter(|c| c.contains("@ northwind-trial/"))
        .collect();
    assert!(
        trial
            .iter()
            .any(|c| c.starts_with("terraform plan -destroy")),
        "{calls:#?}"
    );
    assert!(
        trial
            .iter()
            .any(|c| c.starts_with("terraform apply -input=false -lock-timeout=10m sitectl.tfplan")),
        "{calls:#?}"
    );
    assert!(
        trial.iter().any(|c| c.starts_with("helm uninstall")),
        "{calls:#?}"
    );
    assert!(
        calls
            .iter()
            .any(|c| c == "override present @ northwind-trial/terraform"),
        "prevent_destroy must be lifted while terraform runs: {calls:#?}"
    );
    assert!(
        !calls.iter().any(|c| c.contains("@ acme-learning")
            || c.contains("@ globex-dedicated")
            || c.contains("@ initech-byoi")
            || c.contains("@ umbrella-airgap")),
        "only the expired trial is touched: {calls:#?}"
    );

    let archived = f
        .dir
        .join("sites/.reclaimed")
        .join(AFTER_END)
        .join("northwind-trial.yaml");
    let record = read(&archived);
    assert!(
        record.starts_with(&format!(
            "# Reclaimed by `sitectl reclaim` on {AFTER_END}: the trial ended on 2026-12-04"
        )),
        "{record}"
    );
    assert!(
        record.ends_with(&original),
        "every byte of the spec is kept"
    );
    assert!(!f.dir.join("sites/northwind-trial.yaml").exists());
    let rendered = f.dir.join("rendered/northwind-trial");
    assert!(!rendered.join(".sitectl-manifest").exists());
    assert!(!rendered.join("terraform/main.tf").exists());
    assert!(
        !rendered
            .join("terraform/sitectl_reclaim_override.tf")
            .exists()
    );
    assert!(
        rendered
            .join(".sitectl-logs/destroy-terraform.log")
            .exists(),
        "the logs of the destroy stay"
    );
    assert!(
        stderr.contains("reclaimed `northwind-trial` (trial ended 2026-12-04): sites/northwind-trial.yaml moved to sites/.reclaimed/2026-12-10/northwind-trial.yaml"),
        "{stderr}"
    );

    // The archived record is out of the fleet: nothing renders or lists it,
    // and the tree stays valid.
    let validate = f.run(&["validate"], &[]);
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        text(&validate.stderr)
    );
    // Sales still finds the trial in the archive.
    let record = f.run(
        &[
            "inventory",
            "sites/.reclaimed",
            "--format",
            "csv",
            "--as-of",
            AFTER_END,
        ],
        &[],
    );
    assert_eq!(record.status.code(), Some(0), "{}", text(&record.stderr));
    assert!(
        text(&record.stdout).contains("northwind-trial,Northwind Academy"),
        "{}",
        text(&record.stdout)
    );
    let again = f.run(&["reclaim", "--as-of", AFTER_END, "--yes"], &[]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stderr).contains("nothing to reclaim"),
        "{}",
        text(&again.stderr)
    );
}

#[test]
fn a_promoted_trial_is_never_reclaimed() {
    let f = Fixture::new("reclaim-promoted", TOOLS);
    let promote = f.run(
        &["promote", "northwind-trial", "--to", "paid"],
        &[("SITECTL_TODAY", "2026-11-22")],
    );
    assert_eq!(promote.status.code(), Some(0), "{}", text(&promote.stderr));
    let render = f.run(&["render"], &[]);
    assert!(render.status.success(), "{}", text(&render.stderr));
    let before = handed_off(&f).len();
    let out = f.run(&["reclaim", "--as-of", "2030-01-01", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("nothing to reclaim"));
    assert_eq!(handed_off(&f).len(), before, "no tool was run");
    assert!(f.dir.join("sites/northwind-trial.yaml").exists());
    // Named explicitly, it is refused as not a trial past its end.
    let named = f.run(
        &[
            "reclaim",
            "northwind-trial",
            "--as-of",
            "2030-01-01",
            "--yes",
        ],
        &[],
    );
    assert_eq!(named.status.code(), Some(2));
    assert!(
        text(&named.stderr).contains("`northwind-trial` is not a trial past its end"),
        "{}",
        text(&named.stderr)
    );
}

#[test]
fn a_trial_on_its_last_day_is_not_reclaimed() {
    let f = Fixture::new("reclaim-last-day", TOOLS);
    let out = f.run(&["reclaim", "--as-of", "2026-12-03", "--yes"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "no trial is past its end as of 2026-12-03: nothing to reclaim\n"
    );
    assert_eq!(handed_off(&f), Vec::<String>::new());
}

#[test]
fn reclaim_off_a_terminal_without_yes_refuses_and_changes_nothing() {
    let f = Fixture::new("reclaim-no-yes", TOOLS);
    let out = f.run(&["reclaim", "--as-of", AFTER_END], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("refusing to reclaim without --yes"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(handed_off(&f), Vec::<String>::new());
    assert!(f.dir.join("sites/northwind-trial.yaml").exists());
    assert!(!f.dir.join("sites/.reclaimed").exists());
}

#[test]
fn a_failed_destroy_keeps_the_spec_for_the_next_run() {
    let f = Fixture::new("reclaim-fail", TOOLS);
    let out = f.run(
        &["reclaim", "--as-of", AFTER_END, "--yes"],
        &[("FAKE_FAIL_SITE", "northwind-trial")],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not reclaimed `northwind-trial`: its destroy failed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("reclaimed 0 of 1 expired trial"),
        "{stderr}"
    );
    assert!(f.dir.join("sites/northwind-trial.yaml").exists());
    assert!(!f.dir.join("sites/.reclaimed").exists());
    let rendered = f.dir.join("rendered/northwind-trial");
    assert!(rendered.join(".sitectl-manifest").exists());
    assert!(
        !rendered
            .join("terraform/sitectl_reclaim_override.tf")
            .exists(),
        "the override never outlives the destroy"
    );
}

#[test]
fn dry_run_shows_the_override_the_commands_and_the_moves_and_runs_none() {
    let f = Fixture::new("reclaim-dry", TOOLS);
    let out = f.run(&["reclaim", "--as-of", AFTER_END, "--dry-run"], &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.starts_with("1 trial past its end as of 2026-12-10 (dry run: nothing is changed)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("northwind-trial/terraform/sitectl_reclaim_override.tf (lifts prevent_destroy from 2 data-bearing resources"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "terraform plan -destroy -input=false -lock-timeout=10m -out=sitectl.tfplan)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "move sites/northwind-trial.yaml to sites/.reclaimed/2026-12-10/northwind-trial.yaml"
        ),
        "{stdout}"
    );
    assert_eq!(handed_off(&f), Vec::<String>::new());
    assert!(f.dir.join("sites/northwind-trial.yaml").exists());
    assert!(
        !f.dir
            .join("rendered/northwind-trial/terraform/sitectl_reclaim_override.tf")
            .exists()
    );
}

#[test]
fn a_stale_render_refuses_the_reclaim_of_that_site() {
    let f = Fixture::new("reclaim-stale", TOOLS);
    std::fs::remove_file(f.dir.join("rendered/northwind-trial/terraform/main.tf")).unwrap();
    let out = f.run(&["reclaim", "--as-of", AFTER_END, "--yes"], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the rendered output of `northwind-trial` is stale or missing"),
        "{stderr}"
    );
    assert_eq!(handed_off(&f), Vec::<String>::new());
    assert!(f.dir.join("sites/northwind-trial.yaml").exists());
}

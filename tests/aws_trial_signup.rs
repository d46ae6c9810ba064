//! A self-service trial, signup to applied, with real tools: the steps of
//! `trial-signup.yml` run as GitHub runs them (the workflow runner of
//! `workflows/`) against a bare origin, real Terraform with the real AWS
//! provider against moto, the state in a real PostgreSQL; helm and `aws eks`
//! have no cluster here and are fakes. The time from the signup to the
//! finished apply is measured, and sitectl's own share of it (everything but
//! Terraform's processes, timed by a wrapper around the real binary). The
//! same signup again changes nothing; the domain's daily cap refuses the
//! next one before any tool runs.

use std::path::Path;
use std::time::Instant;

use serde_json::Value;

use crate::common::aws::{Moto, Postgres, aws_repository};
use crate::common::fake_tools::write_fakes;
use crate::common::git;
use crate::common::terraform::terraform;
use crate::workflows::runner::{JobRun, run_job};

const REGION: &str = "us-east-1";

fn signup(repo: &Path, env: &[(&str, String)], contact: &str, id: &str) -> JobRun {
    let expressions = [
        (
            "github.event.client_payload.customer || inputs.customer",
            "Acme Learning".to_string(),
        ),
        (
            "github.event.client_payload.contact || inputs.contact",
            contact.to_string(),
        ),
        (
            "github.event.client_payload.region || inputs.region",
            REGION.to_string(),
        ),
        (
            "github.event.client_payload.signup_id || inputs.signup_id",
            id.to_string(),
        ),
    ];
    let run = run_job(repo, ("trial-signup.yml", "trial"), env, &expressions);
    assert!(run.codes.values().all(|c| *c == 0), "{:?}", run.codes);
    run
}

/// Seconds Terraform's processes took, as the wrapper recorded them.
fn terraform_seconds(times: &Path) -> f64 {
    std::fs::read_to_string(times)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.parse::<f64>().ok())
        .sum()
}

#[test]
fn a_signup_becomes_a_live_aws_trial_with_real_terraform_in_one_run() {
    let dir = std::env::temp_dir().join(format!("sitectl-aws-signup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let tf = terraform();
    let services = dir.join("services");
    std::fs::create_dir_all(&services).unwrap();
    let postgres = Postgres::start(&services);
    let moto = Moto::start(&dir);

    // The sites repository on main, and its origin.
    let repo = dir.join("repo");
    aws_repository(&repo);
    std::fs::write(
        repo.join(".gitignore"),
        "/.runner/\n/signup.json\n/rendered/*/.sitectl-logs/\n/rendered/*/.sitectl-lock\n/rendered/*/terraform/.terraform/\n/rendered/*/terraform/.terraform.lock.hcl\n/rendered/*/terraform/sitectl.tfplan\n",
    )
    .unwrap();
    let workflows = repo.join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows/trial-signup.yml"),
        workflows.join("trial-signup.yml"),
    )
    .unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "sites"]);
    git(&dir, &["clone", "-q", "--bare", "repo", "origin.git"]);
    let origin = dir.join("origin.git");
    git(
        &repo,
        &["remote", "add", "origin", origin.to_str().unwrap()],
    );
    git(&repo, &["fetch", "-q", "origin"]);

    // Fakes for what has no cluster here; a wrapper that times the real
    // terraform.
    let bin = dir.join("bin");
    write_fakes(&bin, &["helm", "aws"]);
    let real = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v terraform"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let times = dir.join("terraform-seconds");
    let wrapper = bin.join("terraform");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nstart=$(date +%s.%N)\n{} \"$@\"\ncode=$?\nend=$(date +%s.%N)\nawk \"BEGIN {{ print $end - $start }}\" >> '{}'\nexit $code\n",
            real.trim(),
            times.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut env: Vec<(&str, String)> = vec![
        ("PATH", bin.to_string_lossy().into_owned()),
        (
            "FAKE_LOG",
            dir.join("calls.log").to_string_lossy().into_owned(),
        ),
        ("PG_CONN_STR", postgres.conn.clone()),
        ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        // One day for every signup below, so the daily cap counts them.
        ("SITECTL_TODAY", "2026-11-22".into()),
    ];
    env.extend(tf.env());
    let aws = |args: &[&str]| -> String {
        let output = std::process::Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/aws.py"))
            .args(args)
            // PATH here is the fakes' folder alone (the runner puts it first).
            .envs(
                env.iter()
                    .filter(|(k, _)| *k != "PATH")
                    .map(|(k, v)| (*k, v.as_str())),
            )
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "aws.py {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    aws(&["platform", REGION]);

    // The signup: from the call to the finished apply, in one run.
    let started = Instant::now();
    let run = signup(&repo, &env, "it@acme.example", "landing-0001");
    let total = started.elapsed().as_secs_f64();
    let in_terraform = terraform_seconds(&times);
    let own = total - in_terraform;
    eprintln!(
        "signup to applied: {total:.1} s, of which terraform {in_terraform:.1} s and sitectl (with git and the runner) {own:.1} s"
    );
    assert_eq!(run.outputs["signup"]["status"], "created");
    assert_eq!(run.outputs["signup"]["site"], "acme-learning");
    assert_eq!(run.outputs["signup"]["cloud"], "aws");
    let facts: Value = serde_json::from_str(&aws(&["describe", REGION])).unwrap();
    assert!(
        facts["instances"].get("site-acme-learning").is_some(),
        "the trial's database is not in AWS: {facts}"
    );
    assert!(in_terraform > 0.0, "terraform never ran");
    assert!(
        own < 15.0,
        "sitectl's own share of a signup is {own:.1} s (of {total:.1} s): it should be seconds"
    );
    let head = git(&origin, &["rev-parse", "main"]);

    // The same signup again: nothing pushed, and the apply finds nothing
    // to change.
    std::fs::remove_file(&times).unwrap();
    let again = signup(&repo, &env, "it@acme.example", "landing-0001");
    assert_eq!(again.outputs["signup"]["status"], "exists");
    assert_eq!(git(&origin, &["rev-parse", "main"]), head);
    let log = std::fs::read_dir(repo.join("rendered/acme-learning/.sitectl-logs"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect::<String>();
    assert!(
        log.contains("No changes."),
        "the second apply changed something:\n{log}"
    );

    // Two more trials of acme.example landed today (the catalog allows three
    // a day): the fourth signup is refused, and no tool runs for it.
    for (n, customer) in ["Acme Two", "Acme Three"].iter().enumerate() {
        crate::workflows::runner::sitectl(
            &repo,
            &[
                "trial",
                "create",
                "--customer",
                customer,
                "--contact",
                &format!("u{n}@acme.example"),
                "--region",
                REGION,
            ],
        );
    }
    git(&repo, &["add", "-A", "sites", "rendered"]);
    git(&repo, &["commit", "-q", "-m", "two more trials"]);
    git(&repo, &["push", "-q", "origin", "HEAD:main"]);
    std::fs::remove_file(dir.join("calls.log")).ok();
    std::fs::remove_file(&times).ok();
    let refused = signup(&repo, &env, "fourth@acme.example", "landing-0004");
    assert_eq!(refused.outputs["signup"]["status"], "refused");
    assert!(
        refused.outputs["signup"]["reason"].starts_with("domain-daily-cap: "),
        "{:?}",
        refused.outputs
    );
    assert!(
        !times.exists() && !dir.join("calls.log").exists(),
        "a tool ran for a refused signup"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

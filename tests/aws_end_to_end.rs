//! The whole loop against real Terraform, the real AWS provider and an AWS
//! API on this machine (moto), with the state in a real PostgreSQL (`pg`
//! backend): three AWS sites are applied and checked for drift (none); a
//! trial is promoted to paid and then enterprise, applied each time, and
//! keeps the same RDS instance and bucket with its data; drift made behind
//! Terraform's back fails `sitectl drift` (exit 2, naming the resource and
//! attribute) until an apply reconciles it; two runs cannot both hold a site's
//! state lock; a blueprint edit that replaces the database is refused and
//! goes through with `--allow-data-loss`; an expired trial is reclaimed for
//! real. Helm has no cluster here: a fake stands in for it alone.
//!
//! One moto and one PostgreSQL for the whole test (a moto reset is global),
//! on free loopback ports, stopped at the end. RDS creates, modifies and
//! deletes wait about 80 s each inside the provider: the steps share them.
//! `.ci/run` installs moto and boto3 (tests/conformance/requirements.txt);
//! Terraform, the AWS provider's mirror and PostgreSQL come with the image.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::aws::{Moto, Postgres, aws_repository};
use crate::common::fake_tools::write_fakes;
use crate::common::terraform::terraform;

/// Each site in a region of its own: moto gives every RDS instance of a
/// region the same DbiResourceId, by which the AWS provider 5.x reads an
/// instance back, so two instances in one region cannot both be managed.
const SITES: [(&str, &str); 3] = [
    ("e2e-promote", "us-west-2"),
    ("e2e-expired", "us-east-2"),
    ("e2e-dedicated", "eu-central-1"),
];

fn region_of(site: &str) -> &'static str {
    SITES.iter().find(|(s, _)| *s == site).unwrap().1
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A sites repository of three AWS sites, its state in the PostgreSQL
/// above, its AWS the moto above.
struct Repo {
    dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Repo {
    fn sitectl(&self, args: &[&str]) -> Output {
        self.sitectl_with(args, &[])
    }

    fn sitectl_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = self.command(args);
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().unwrap()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sitectl"));
        command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .env("NO_COLOR", "1")
            .env_remove("SITECTL_TODAY");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    fn aws(&self, args: &[&str]) -> String {
        let output = Command::new("python3")
            .arg(root().join("tests/e2e/aws.py"))
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "aws.py {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn describe(&self) -> Value {
        let regions: Vec<&str> = SITES.iter().map(|(_, region)| *region).collect();
        serde_json::from_str(&self.aws(&[&["describe"][..], &regions].concat())).unwrap()
    }

    fn log(&self, site: &str) -> String {
        let logs = self.dir.join("rendered").join(site).join(".sitectl-logs");
        let mut all = String::new();
        for entry in std::fs::read_dir(&logs).into_iter().flatten().flatten() {
            all.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
        all
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn succeeds(out: &Output, what: &str) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// The line of a site's terraform in the closing table.
fn plan_line<'a>(report: &'a str, site: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.starts_with(site) && l.contains("terraform"))
        .unwrap_or_else(|| panic!("no terraform line for {site} in:\n{report}"))
}

#[test]
fn aws_sites_apply_promote_drift_gate_and_reclaim_against_real_terraform() {
    let dir = std::env::temp_dir().join(format!("sitectl-aws-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let tf = terraform();
    let services = dir.join("services");
    std::fs::create_dir_all(&services).unwrap();
    let postgres = Postgres::start(&services);
    let moto = Moto::start(&dir);

    let repo_dir = dir.join("repo");
    aws_repository(&repo_dir);
    let bin = dir.join("fake-bin");
    write_fakes(&bin, &["helm"]);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut env: Vec<(String, String)> = [
        ("PATH", path.as_str()),
        ("FAKE_LOG", dir.join("helm.log").to_str().unwrap()),
        ("PG_CONN_STR", postgres.conn.as_str()),
        ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.extend(tf.env().into_iter().map(|(k, v)| (k.to_string(), v)));
    let repo = Repo { dir: repo_dir, env };
    let regions: Vec<&str> = SITES.iter().map(|(_, region)| *region).collect();
    repo.aws(&[&["platform"][..], &regions].concat());

    // Three sites in AWS: a trial to promote, a trial long expired, and a
    // dedicated enterprise site.
    let new = |name: &str, tier: &str, deployment: &str, today: Option<&str>| {
        let args = [
            "new",
            name,
            "--tier",
            tier,
            "--deployment",
            deployment,
            "--cloud",
            "aws",
            "--region",
            region_of(name),
            "--app-version",
            "2026.11.1",
        ];
        let env: Vec<(&str, &str)> = today.map(|t| ("SITECTL_TODAY", t)).into_iter().collect();
        succeeds(&repo.sitectl_with(&args, &env), "sitectl new");
    };
    new("e2e-promote", "trial", "managed", None);
    new("e2e-expired", "trial", "managed", Some("2026-01-05"));
    new("e2e-dedicated", "enterprise", "dedicated", None);
    succeeds(&repo.sitectl(&["render"]), "render");

    // The first apply: real init, plan, show (the gate reads the real plan
    // JSON), apply; then helm (the fake), after terraform.
    let applied = succeeds(&repo.sitectl(&["apply", "--yes"]), "the first apply");
    for site in ["e2e-promote", "e2e-expired", "e2e-dedicated"] {
        assert!(plan_line(&applied, site).contains("ok"), "{applied}");
    }
    let helm_calls = std::fs::read_to_string(dir.join("helm.log")).unwrap();
    assert!(
        helm_calls.contains("helm upgrade --install e2e-promote"),
        "{helm_calls}"
    );
    let before = repo.describe();
    let instance = |facts: &Value, site: &str| facts["instances"][format!("site-{site}")].clone();
    let promoted_db = instance(&before, "e2e-promote");
    assert_eq!(promoted_db["class"], "db.t4g.micro", "{before}");
    assert_eq!(promoted_db["backupDays"], 0);
    assert_eq!(promoted_db["deletionProtection"], false);
    assert_eq!(
        instance(&before, "e2e-dedicated")["deletionProtection"],
        true
    );
    let bucket = "sitectl-sites-e2e-promote-data";
    repo.aws(&[
        "put-object",
        region_of("e2e-promote"),
        bucket,
        "courses/intro.txt",
        "Welcome, learner.",
    ]);

    // A drift check right after the apply: every site's real plan is empty.
    let checked = repo.sitectl(&["drift", "--target", "terraform"]);
    assert_eq!(
        checked.status.code(),
        Some(0),
        "a site drifted right after its apply:\n{}{}",
        text(&checked.stdout),
        text(&checked.stderr)
    );
    for site in ["e2e-promote", "e2e-expired", "e2e-dedicated"] {
        assert!(
            text(&checked.stdout).contains(&format!("in sync  {site}/terraform\n")),
            "{}",
            text(&checked.stdout)
        );
    }

    // Drift made in AWS directly: the check names the resource and the
    // attribute, and exits 2, as `terraform plan -detailed-exitcode` does.
    repo.aws(&[
        "set-log-retention",
        region_of("e2e-dedicated"),
        "/sitectl/sites/e2e-dedicated",
        "1",
    ]);
    let drifted = repo.sitectl(&[
        "drift",
        "e2e-dedicated",
        "--target",
        "terraform",
        "--format",
        "json",
    ]);
    assert_eq!(
        drifted.status.code(),
        Some(2),
        "{}{}",
        text(&drifted.stdout),
        text(&drifted.stderr)
    );
    let report: Value = serde_json::from_slice(&drifted.stdout).unwrap();
    let changes = &report["targets"][0]["changes"];
    assert_eq!(
        changes.as_array().map(Vec::len),
        Some(1),
        "only the log group drifted: {report}"
    );
    assert_eq!(changes[0]["address"], "aws_cloudwatch_log_group.site");
    assert_eq!(changes[0]["action"], "update");
    assert_eq!(changes[0]["attributes"][0], "retention_in_days");
    // An apply of the code reconciles it, and the check passes again.
    succeeds(
        &repo.sitectl(&["apply", "e2e-dedicated", "--yes", "--target", "terraform"]),
        "the apply that reconciles the drift",
    );
    succeeds(
        &repo.sitectl(&["drift", "e2e-dedicated", "--target", "terraform"]),
        "the drift check after the reconcile",
    );

    // Promote trial -> paid, apply; while it runs (the RDS modify takes a
    // while), a second terraform on the same state waits for the lock in vain.
    let promote = |to: &str, extra: &[&str]| {
        let args = [&["promote", "e2e-promote", "--to", to][..], extra].concat();
        succeeds(&repo.sitectl(&args), "promote");
        succeeds(&repo.sitectl(&["render"]), "render after promote");
    };
    promote("paid", &[]);
    let mut apply = repo.command(&["apply", "e2e-promote", "--yes", "--target", "terraform"]);
    let running = apply
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The site's Terraform files alone (not the apply's .terraform).
    let contender = dir.join("contender");
    std::fs::create_dir_all(&contender).unwrap();
    for entry in std::fs::read_dir(repo.dir.join("rendered/e2e-promote/terraform")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            std::fs::copy(&path, contender.join(path.file_name().unwrap())).unwrap();
        }
    }
    let tf_env = || {
        let mut command = tf.command(&contender);
        command.envs(repo.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        command
    };
    succeeds(
        &tf_env()
            .args(["init", "-input=false", "-no-color"])
            .output()
            .unwrap(),
        "the contender's init",
    );
    // Once the apply is modifying the instance (it holds the lock for the
    // minute and more that takes), a plan that does not wait is refused.
    // Asking earlier would race the apply for the lock, and win it.
    let log = repo
        .dir
        .join("rendered/e2e-promote/.sitectl-logs/apply-terraform.log");
    let start = Instant::now();
    while !std::fs::read_to_string(&log)
        .is_ok_and(|text| text.contains("aws_db_instance.site: Modifying..."))
    {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "the apply never started modifying the database:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let contended = tf_env()
        .args(["plan", "-input=false", "-no-color", "-lock-timeout=0s"])
        .output()
        .unwrap();
    let promoted = running.wait_with_output().unwrap();
    let promoted = succeeds(&promoted, "the apply after promotion to paid");
    assert!(
        !contended.status.success()
            && text(&contended.stderr).contains("Error acquiring the state lock"),
        "a second terraform on the site's state did not meet the lock of the running apply:\n{}{}",
        text(&contended.stdout),
        text(&contended.stderr)
    );
    assert!(
        plan_line(&promoted, "e2e-promote").contains("0 to destroy"),
        "{promoted}"
    );
    promote("enterprise", &["--annual-price", "90000"]);
    succeeds(
        &repo.sitectl(&["apply", "e2e-promote", "--yes", "--target", "terraform"]),
        "the apply after promotion to enterprise",
    );
    let after = repo.describe();
    let db = instance(&after, "e2e-promote");
    assert_eq!(
        db["created"], promoted_db["created"],
        "the RDS instance was replaced by promotion: {before} -> {after}"
    );
    assert_eq!(db["class"], "db.t4g.medium");
    assert_eq!(db["backupDays"], 35);
    assert_eq!(db["deletionProtection"], true);
    assert_eq!(
        after["buckets"][bucket]["courses/intro.txt"], "Welcome, learner.",
        "the bucket lost its data: {after}"
    );

    // A blueprint edit that replaces the database (a new db_name forces a new
    // instance): refused, then allowed for the expired trial alone.
    let data_tf = repo.dir.join("blueprints/managed-aws/terraform/data.tf.j2");
    let template = std::fs::read_to_string(&data_tf).unwrap();
    std::fs::write(
        &data_tf,
        template.replace(
            "db_name                     = {{ names.database }}",
            "db_name                     = {{ names.database ~ \"_v2\" }}",
        ),
    )
    .unwrap();
    succeeds(
        &repo.sitectl(&["render"]),
        "render after the blueprint edit",
    );
    let refused = repo.sitectl(&["plan", "e2e-expired", "--target", "terraform"]);
    assert_ne!(refused.status.code(), Some(0));
    let why = format!("{}{}", text(&refused.stderr), repo.log("e2e-expired"));
    assert!(
        why.contains("prevent_destroy") || why.contains("data loss"),
        "the replacement was not refused:\n{}\n{why}",
        text(&refused.stdout)
    );
    let allowed = succeeds(
        &repo.sitectl(&[
            "plan",
            "e2e-expired",
            "--target",
            "terraform",
            "--allow-data-loss",
            "e2e-expired",
        ]),
        "the plan with --allow-data-loss",
    );
    assert!(
        plan_line(&allowed, "e2e-expired").contains("1 to destroy"),
        "{allowed}"
    );
    // The gate read the real plan JSON, found the replacement and why.
    assert!(
        allowed.contains(
            "allowed by --allow-data-loss: the plan deletes aws_db_instance.site (replaced: db_name cannot change in place)"
        ),
        "{allowed}"
    );
    assert!(
        !repo
            .dir
            .join("rendered/e2e-expired/terraform/sitectl_reclaim_override.tf")
            .exists()
    );
    std::fs::write(&data_tf, &template).unwrap();
    succeeds(&repo.sitectl(&["render"]), "render after undoing the edit");

    // The expired trial is reclaimed for real: destroyed, its spec archived.
    let reclaimed = succeeds(&repo.sitectl(&["reclaim", "--yes"]), "reclaim");
    assert!(reclaimed.contains("reclaimed `e2e-expired`"), "{reclaimed}");
    let end = repo.describe();
    assert!(
        end["instances"].get("site-e2e-expired").is_none(),
        "the reclaimed trial's database is still there: {end}"
    );
    assert!(
        end["buckets"]
            .get("sitectl-sites-e2e-expired-data")
            .is_none()
    );
    assert!(end["instances"].get("site-e2e-promote").is_some());
    assert!(!repo.dir.join("sites/e2e-expired.yaml").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

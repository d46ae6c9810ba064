//! `trial-signup.yml` run as GitHub runs its steps, against a bare origin:
//! a signup is committed straight to main by the bot and that one site is
//! applied (fake tools here; `aws_end_to_end.rs` runs the same steps with
//! real Terraform); the same signup again changes nothing; two signups that
//! race for one name both land, the second retried on the moved main; a
//! refused signup commits nothing and says why.

use std::path::Path;

use crate::common::fake_tools::write_fakes;
use crate::common::git;

use super::runner::{JobRun, run_job, sitectl};

fn signup(repo: &Path, env: &[(&str, String)], customer: &str, contact: &str, id: &str) -> JobRun {
    let expressions = [
        (
            "github.event.client_payload.customer || inputs.customer",
            customer.to_string(),
        ),
        (
            "github.event.client_payload.contact || inputs.contact",
            contact.to_string(),
        ),
        (
            "github.event.client_payload.region || inputs.region",
            String::new(),
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

fn head_of_origin(origin: &Path) -> String {
    git(origin, &["rev-parse", "main"]).trim().to_string()
}

#[test]
fn a_signup_lands_on_main_and_applies_one_site_and_racing_signups_both_land() {
    let base = std::env::temp_dir().join(format!("sitectl-trial-workflow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    sitectl(&base, &["init", "repo"]);
    let repo = base.join("repo");
    std::fs::write(
        repo.join(".gitignore"),
        format!(
            "{}/.runner/\n/signup.json\n",
            std::fs::read_to_string(repo.join(".gitignore")).unwrap()
        ),
    )
    .unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "sites"]);
    let origin = base.join("origin.git");
    git(&base, &["clone", "-q", "--bare", "repo", "origin.git"]);
    git(
        &repo,
        &["remote", "add", "origin", origin.to_str().unwrap()],
    );
    git(&repo, &["fetch", "-q", "origin"]);

    let tools = base.join("tools");
    write_fakes(&tools, &["terraform", "helm", "az"]);
    // A `git` whose first push finds main moved: a rival signup for the
    // same customer name lands first (RACE_SCRIPT), as on a busy day.
    let real_git = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let shim = tools.join("git");
    std::fs::write(
        &shim,
        format!(
            "#!/bin/sh\nif [ \"$1\" = push ] && [ -n \"$RACE_SCRIPT\" ] && [ ! -e \"$RACE_SCRIPT.done\" ]; then\n  touch \"$RACE_SCRIPT.done\"\n  sh \"$RACE_SCRIPT\" >&2\nfi\nexec {} \"$@\"\n",
            real_git.trim()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
    let log = base.join("calls.log");
    let env = [
        ("PATH", tools.to_string_lossy().into_owned()),
        ("FAKE_LOG", log.to_string_lossy().into_owned()),
        ("SITECTL_TODAY", "2026-11-30".to_string()),
    ];

    // A signup: committed to main by the bot, that one site applied.
    let before = head_of_origin(&origin);
    let run = signup(&repo, &env, "Acme Learning", "it@acme.example", "form-1");
    assert_eq!(run.outputs["signup"]["status"], "created");
    assert_eq!(run.outputs["signup"]["site"], "acme-learning");
    assert_eq!(
        run.outputs["signup"]["address"],
        "https://acme-learning.sites.sitectl.example"
    );
    let after = head_of_origin(&origin);
    assert_ne!(before, after, "nothing was pushed");
    let author = git(&origin, &["log", "-1", "--format=%an <%ae>", "main"]);
    assert!(author.starts_with("sitectl-signup[bot]"), "{author}");
    let changed = git(&origin, &["diff", "--name-only", &before, &after]);
    assert!(
        changed.lines().any(|l| l == "sites/acme-learning.yaml"),
        "{changed}"
    );
    assert!(
        changed.lines().all(|l| l.contains("acme-learning")),
        "{changed}"
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains("terraform apply"), "{calls}");
    assert!(
        !calls.contains("northwind-trial"),
        "another site was touched: {calls}"
    );
    assert!(
        run.summary.contains("live at https://acme-learning"),
        "{}",
        run.summary
    );

    // The same signup again (the landing page retried): nothing new.
    let again = signup(&repo, &env, "Acme Learning", "it@acme.example", "form-1");
    assert_eq!(again.outputs["signup"]["status"], "exists");
    assert_eq!(
        head_of_origin(&origin),
        after,
        "a retried signup pushed again"
    );

    // Two signups for one name at once: the rival lands first, ours starts
    // over from the moved main and takes the next name.
    let rival = base.join("rival.sh");
    std::fs::write(
        &rival,
        format!(
            "set -e\nrm -rf '{rivals}'\n{git} clone -q '{origin}' '{rivals}'\ncd '{rivals}'\nSITECTL_TODAY=2026-11-30 '{sitectl}' trial create --customer 'Acme Learning' --contact rival@acme.example --signup-id form-rival > /dev/null\n{git} add -A\n{git} -c user.name=rival -c user.email=rival@example.com commit -q -m rival\n{git} push -q origin HEAD:main\n",
            git = real_git.trim(),
            origin = origin.display(),
            rivals = base.join("rival").display(),
            sitectl = env!("CARGO_BIN_EXE_sitectl"),
        ),
    )
    .unwrap();
    let racing = [
        &env[..],
        &[("RACE_SCRIPT", rival.to_string_lossy().into_owned())],
    ]
    .concat();
    let raced = signup(
        &repo,
        &racing,
        "Acme Learning",
        "ops@acme.example",
        "form-2",
    );
    assert_eq!(raced.outputs["signup"]["status"], "created");
    assert_eq!(raced.outputs["signup"]["site"], "acme-learning-3");
    let names = git(&origin, &["ls-tree", "--name-only", "main", "sites/"]);
    for name in [
        "acme-learning.yaml",
        "acme-learning-2.yaml",
        "acme-learning-3.yaml",
    ] {
        assert!(names.lines().any(|l| l.ends_with(name)), "{name}: {names}");
    }

    // A hostile payload: a contact with line breaks that spell outputs of
    // their own. Refused as no address; the outputs say only that.
    let hostile = signup(
        &repo,
        &env,
        "Mallory",
        "x\nstatus=created\nsite=northwind-trial\ncloud=azure",
        "form-evil",
    );
    assert_eq!(hostile.outputs["signup"]["status"], "refused");
    assert!(
        !hostile.outputs["signup"].contains_key("site"),
        "{:?}",
        hostile.outputs
    );
    assert!(
        hostile.outputs["signup"]["reason"].starts_with("bad-contact: "),
        "{:?}",
        hostile.outputs
    );

    // A refused signup: its reason is the job's output, nothing is pushed.
    let head = head_of_origin(&origin);
    std::fs::remove_file(&log).unwrap();
    let refused = signup(&repo, &env, "Spam", "x@mailinator.com", "form-3");
    assert_eq!(refused.outputs["signup"]["status"], "refused");
    assert!(
        refused.outputs["signup"]["reason"].starts_with("refused-domain: "),
        "{:?}",
        refused.outputs
    );
    assert_eq!(head_of_origin(&origin), head);
    assert!(!log.exists(), "a refused signup ran a tool");
    let _ = std::fs::remove_dir_all(&base);
}

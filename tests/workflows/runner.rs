//! A runner of a workflow's jobs as GitHub runs their `run:` steps.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use sitectl::yaml::{self, Node, Value};

/// One step of a job: what it runs, or the action it uses.
struct Step {
    id: Option<String>,
    name: String,
    run: Option<String>,
    condition: Option<String>,
    env: Vec<(String, String)>,
}

pub(crate) fn text(node: Option<&Node>) -> Option<String> {
    match node.map(|n| &n.value) {
        Some(Value::Str(text, _)) => Some(text.clone()),
        _ => None,
    }
}

/// A workflow file of `repo`, parsed.
pub(crate) fn workflow(repo: &Path, file: &str) -> Node {
    let source = std::fs::read_to_string(repo.join(".github/workflows").join(file)).unwrap();
    yaml::parse(&source).unwrap()
}

/// `key: value` pairs of a mapping (a workflow's or a step's `env:`).
pub(crate) fn pairs(node: Option<&Node>) -> Vec<(String, String)> {
    match node.map(|n| &n.value) {
        Some(Value::Map(entries)) => entries
            .iter()
            .map(|e| (e.key.clone(), text(Some(&e.value)).unwrap_or_default()))
            .collect(),
        _ => Vec::new(),
    }
}

/// The workflow-level `env:` of a workflow, then the steps of one job.
fn steps_of(repo: &Path, file: &str, job: &str) -> (Vec<(String, String)>, Vec<Step>) {
    let workflow = workflow(repo, file);
    // The runner below runs what `shell: bash` runs: `bash -eo pipefail`.
    let shell = workflow
        .get("defaults")
        .and_then(|d| d.get("run"))
        .and_then(|r| r.get("shell"));
    assert_eq!(
        text(shell).as_deref(),
        Some("bash"),
        "{file} sets `defaults: run: shell: bash`"
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
pub(crate) struct JobRun {
    pub codes: BTreeMap<String, i32>,
    pub outputs: BTreeMap<String, BTreeMap<String, String>>,
    pub summary: String,
}

/// Runs a job's `run:` steps in `repo` as GitHub does (`bash -eo pipefail`),
/// stopping at the first that fails; `expressions` are the values of the
/// `${{ }}` expressions the steps' `env:` holds.
pub(crate) fn run_job(
    repo: &Path,
    (file, job): (&str, &str),
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
    // A link, not a copy: a copy is a file open for writing, and a process
    // another test thread forks meanwhile inherits that descriptor, so
    // running the copy fails with ETXTBSY ("Text file busy").
    let _ = std::fs::remove_file(&cached);
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_sitectl"), &cached).unwrap();
    let github_path = scratch.join("path");
    std::fs::write(&github_path, "").unwrap();
    let (workflow_env, steps) = steps_of(repo, file, job);
    let expression =
        |value: &str, outputs: &BTreeMap<String, BTreeMap<String, String>>| -> String {
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
            // `steps.ID.outputs.KEY`: what an earlier step of the job set.
            if let ["steps", id, "outputs", key] = inner.split('.').collect::<Vec<_>>().as_slice() {
                return outputs
                    .get(*id)
                    .and_then(|o| o.get(*key))
                    .cloned()
                    .unwrap_or_default();
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
            command.env(key, expression(value, &run.outputs));
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

pub(crate) fn sitectl(repo: &Path, args: &[&str]) {
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

/// Runs a matrix job once per entry of `matrix` (`{"include": [...]}`, as
/// its selecting job printed it), each entry's keys as `matrix.KEY`.
pub(crate) fn run_matrix(
    repo: &Path,
    (file, job): (&str, &str),
    env: &[(&str, String)],
    matrix: &str,
) -> Vec<JobRun> {
    let matrix: serde_json::Value =
        serde_json::from_str(matrix).unwrap_or_else(|e| panic!("{e}: not a matrix: {matrix}"));
    let entries = matrix["include"]
        .as_array()
        .expect("a matrix of `include` entries");
    assert!(
        entries.len() <= 256,
        "GitHub runs at most 256 jobs of a matrix"
    );
    entries
        .iter()
        .map(|entry| {
            let keys: Vec<(String, String)> = entry
                .as_object()
                .expect("an entry is an object")
                .iter()
                .map(|(key, value)| {
                    let value = match value {
                        serde_json::Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    (format!("matrix.{key}"), value)
                })
                .collect();
            let expressions: Vec<(&str, String)> =
                keys.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            run_job(repo, (file, job), env, &expressions)
        })
        .collect()
}

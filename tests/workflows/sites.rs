//! `sites.yml`: a pull request reviewed and planned, its merge applied as a
//! matrix of jobs, and the tag that marks what is applied.

use crate::common::fake_tools::write_fakes;
use crate::common::git;

use super::root;
use super::runner::{run_job, run_matrix, sitectl};

#[test]
fn a_pull_request_reviews_and_its_merge_applies_what_changed_in_order() {
    let base = std::env::temp_dir().join(format!("sitectl-workflow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    sitectl(&base, &["init", "repo"]);
    let repo = base.join("repo");
    for file in super::SHIPPED {
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
    let review = run_job(&repo, ("sites.yml", "review"), &pr, &[]);
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
    let plan = run_job(
        &repo,
        ("sites.yml", "plan"),
        &[&pr[..], &faked[..]].concat(),
        &[],
    );
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

    // The merge: the push applies the two sites it changed, one matrix job
    // each, planned first, infrastructure before workloads, nothing else.
    git(&repo, &["checkout", "-q", "main"]);
    let before = git(&repo, &["rev-parse", "HEAD"]);
    git(&repo, &["merge", "-q", "--ff-only", "contoso"]);
    let after = git(&repo, &["rev-parse", "HEAD"]);
    let push = [&faked[..], &[("GITHUB_SHA", after)]].concat();
    let select = run_job(&repo, ("sites.yml", "select"), &push, &[]);
    assert!(select.codes.values().all(|c| *c == 0), "{:?}", select.codes);
    assert_eq!(select.outputs["affected"]["any"], "true");
    assert_eq!(
        select.outputs["affected"]["matrix"],
        r#"{"include":[{"shard":1,"sites":"contoso"},{"shard":2,"sites":"northwind-trial"}]}"#
    );
    let applied = run_matrix(
        &repo,
        ("sites.yml", "apply"),
        &push,
        &select.outputs["affected"]["matrix"],
    );
    assert_eq!(applied.len(), 2);
    for job in &applied {
        assert_eq!(job.codes.len(), 2, "{:?}", job.codes);
        assert!(job.codes.values().all(|c| *c == 0), "{:?}", job.codes);
    }
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
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.starts_with("terraform apply"))
            .count(),
        2,
        "{calls:#?}"
    );
    // Every job applied: the apply is marked where the next run starts
    // from, and the same push again (a re-run, or a run queued behind it)
    // selects nothing.
    let mark = run_job(&repo, ("sites.yml", "mark"), &push, &[]);
    assert!(mark.codes.values().all(|c| *c == 0), "{:?}", mark.codes);
    let tagged = git(&origin, &["rev-parse", "refs/tags/sites-applied"]);
    assert_eq!(tagged, git(&repo, &["rev-parse", "HEAD"]));
    std::fs::remove_file(&log).unwrap();
    let again = run_job(&repo, ("sites.yml", "select"), &push, &[]);
    assert!(again.codes.values().all(|c| *c == 0), "{:?}", again.codes);
    assert_eq!(again.outputs["affected"]["any"], "false");
    assert_eq!(again.outputs["affected"]["matrix"], r#"{"include":[]}"#);
    // A re-run of the older push, after this one applied: refused, never
    // applying older code nor moving the tag back.
    let older = [&faked[..], &[("GITHUB_SHA", before.clone())]].concat();
    let rerun = run_job(&repo, ("sites.yml", "select"), &older, &[]);
    assert_eq!(
        rerun
            .codes
            .get("The sites whose rendered output differs from the last apply's"),
        Some(&1),
        "{:?}",
        rerun.codes
    );
    let mark = run_job(&repo, ("sites.yml", "mark"), &older, &[]);
    assert!(mark.codes.values().all(|c| *c == 0), "{:?}", mark.codes);
    assert_eq!(
        git(&origin, &["rev-parse", "refs/tags/sites-applied"]),
        git(&repo, &["rev-parse", "HEAD"]),
        "the tag never moves back"
    );

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
    let review = run_job(&repo, ("sites.yml", "review"), &pr, &[]);
    assert_eq!(review.outputs["diff"]["status"], "1", "{:?}", review.codes);
    assert_eq!(review.codes.get("Fail on data-loss findings"), Some(&1));
    let comment = std::fs::read_to_string(repo.join("diff.md")).unwrap();
    assert!(comment.contains("Data-loss findings"), "{comment}");
    std::fs::remove_dir_all(&base).unwrap();
}

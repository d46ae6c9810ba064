//! `sitectl affected` and `--affected-since` on a real git repository: a
//! spec change touches exactly its site, a template change exactly the sites
//! that render it (including through an include), the matrix stays within
//! GitHub's limits, and a hand-off takes only the affected sites.

use std::process::Output;

use crate::diff::Repo;

fn committed(name: &str) -> Repo {
    let repo = Repo::new(name);
    repo.git(&["init", "-q", "-b", "main"]);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "base"]);
    repo
}

fn stdout(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(out)).unwrap()
}

#[test]
fn a_spec_change_affects_exactly_its_site() {
    let repo = committed("affected-spec");
    assert_eq!(stdout(&repo.sitectl(&["affected", "--base", "main"])), "");
    repo.edit("globex-dedicated.yaml", "seats: 2400", "seats: 2450");
    let found = json(&repo.sitectl(&["affected", "--base", "main", "--format", "json"]));
    assert_eq!(
        found,
        serde_json::json!([{
            "site": "globex-dedicated",
            "change": "modified",
            "targets": ["helm"],
            "why": ["spec sites/globex-dedicated.yaml"],
        }])
    );
    let text = stdout(&repo.sitectl(&["affected", "--base", "main"]));
    assert_eq!(
        text,
        "globex-dedicated  changed  helm  spec sites/globex-dedicated.yaml\n"
    );
}

#[test]
fn a_template_change_affects_the_sites_that_render_it_and_only_those() {
    let repo = committed("affected-template");
    let template = repo.0.join("blueprints/managed-aws/terraform/app.tf.j2");
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::write(&template, text.replace("ttl     = 300", "ttl     = 600")).unwrap();
    let found = json(&repo.sitectl(&["affected", "--base", "main", "--format", "json"]));
    let sites: Vec<(&str, &str)> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["site"].as_str().unwrap(), s["why"][0].as_str().unwrap()))
        .collect();
    // dedicated-aws includes managed-aws's app.tf: its site is affected too.
    assert_eq!(
        sites,
        [
            ("hooli-learning", "blueprint managed-aws"),
            (
                "wayne-dedicated",
                "blueprint managed-aws (shared templates)"
            ),
        ]
    );
    assert_eq!(found[0]["targets"], serde_json::json!(["terraform"]));
}

#[test]
fn added_and_removed_sites_are_affected_and_the_matrix_shards_them() {
    let repo = committed("affected-matrix");
    std::fs::remove_file(repo.0.join("sites/northwind-trial.yaml")).unwrap();
    let out = repo.sitectl(&[
        "new",
        "zeta-trial",
        "--tier",
        "trial",
        "--deployment",
        "managed",
        "--app-version",
        "2026.11.1",
    ]);
    stdout(&out);
    let found = json(&repo.sitectl(&["affected", "--base", "main", "--format", "json"]));
    let changes: Vec<(&str, &str)> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["site"].as_str().unwrap(), s["change"].as_str().unwrap()))
        .collect();
    assert_eq!(
        changes,
        [("northwind-trial", "removed"), ("zeta-trial", "added")]
    );
    assert_eq!(
        found[1]["targets"],
        serde_json::json!(["terraform", "helm"])
    );
    // Every site's seats change: seven sites, shards of three.
    for spec in std::fs::read_dir(repo.0.join("sites")).unwrap() {
        let path = spec.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let seats = text
            .lines()
            .find(|l| l.starts_with("  seats: "))
            .unwrap()
            .to_string();
        std::fs::write(&path, text.replace(&seats, "  seats: 7")).unwrap();
    }
    let matrix = json(&repo.sitectl(&[
        "affected",
        "--base",
        "main",
        "--format",
        "matrix",
        "--shard-size",
        "3",
    ]));
    let shards: Vec<&str> = matrix["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sites"].as_str().unwrap())
        .collect();
    assert_eq!(
        shards,
        [
            "acme-learning globex-dedicated hooli-learning",
            "initech-byoi umbrella-airgap wayne-dedicated",
            "zeta-trial",
        ],
        "the removed site has no spec to hand off"
    );
    assert_eq!(matrix["include"][2]["shard"], 3);
    let whole = json(&repo.sitectl(&["affected", "--base", "main", "--format", "matrix"]));
    assert_eq!(
        whole["include"].as_array().unwrap().len(),
        7,
        "one site a job by default"
    );
}

#[test]
fn a_hand_off_since_a_revision_takes_only_the_affected_sites() {
    let repo = committed("affected-handoff");
    repo.sitectl(&["render"]);
    repo.edit("acme-learning.yaml", "seats: 180", "seats: 190");
    repo.sitectl(&["render"]);
    let out = repo.sitectl(&["plan", "--affected-since", "main", "--dry-run"]);
    let commands = stdout(&out);
    assert!(commands.contains("rendered/acme-learning/"), "{commands}");
    for other in ["globex-dedicated", "northwind-trial", "hooli-learning"] {
        assert!(
            !commands.contains(&format!("rendered/{other}/")),
            "{commands}"
        );
    }
    // A revision that does not exist is a usage error, as for diff.
    let unknown = repo.sitectl(&["affected", "--base", "no-such-branch"]);
    assert_eq!(unknown.status.code(), Some(2));
    let both = repo.sitectl(&["plan", "--affected-since", "main", "--sites-from", "-"]);
    assert_eq!(
        both.status.code(),
        Some(2),
        "the two selections exclude each other"
    );
}

#[test]
fn committed_output_another_version_rendered_is_affected_and_the_empty_tree_is_every_site() {
    let repo = Repo::new("affected-committed");
    assert!(repo.sitectl(&["render"]).status.success());
    repo.git(&["init", "-q", "-b", "main"]);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "base"]);
    // The same specs and blueprints, but the output committed at the base
    // is not what this sitectl writes (an upgrade changed its output): what
    // was applied differs from what is now, so the site is affected.
    let main_tf = repo.0.join("rendered/northwind-trial/terraform/main.tf");
    let text = std::fs::read_to_string(&main_tf).unwrap();
    std::fs::write(&main_tf, format!("{text}# written by a later sitectl\n")).unwrap();
    let found = json(&repo.sitectl(&["affected", "--base", "main", "--format", "json"]));
    assert_eq!(
        found,
        serde_json::json!([{
            "site": "northwind-trial",
            "change": "modified",
            "targets": ["terraform"],
            "why": ["its committed output differs from main's while its inputs render the same (another sitectl version rendered it, or it was edited by hand)"],
        }])
    );
    // A site its render finds takes the targets whose committed output
    // differs too: the spec changes its Helm values, the Terraform differs
    // from what was committed.
    repo.edit("northwind-trial.yaml", "seats: 25", "seats: 20");
    let found = json(&repo.sitectl(&["affected", "--base", "main", "--format", "json"]));
    assert_eq!(found[0]["site"], "northwind-trial", "{found}");
    assert_eq!(
        found[0]["targets"],
        serde_json::json!(["terraform", "helm"]),
        "{found}"
    );
    assert_eq!(
        found[0]["why"],
        serde_json::json!(["spec sites/northwind-trial.yaml"])
    );
    repo.edit("northwind-trial.yaml", "seats: 20", "seats: 25");
    // The empty tree as the base (a fleet never applied): every site is new.
    let empty = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    let found = json(&repo.sitectl(&["affected", "--base", empty, "--format", "json"]));
    let sites = std::fs::read_dir(repo.0.join("sites"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yaml")
        })
        .count();
    assert_eq!(found.as_array().unwrap().len(), sites, "{found}");
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["change"] == "added"),
        "{found}"
    );
}

//! The output check's shortcut (each file shape parsed once per run, see
//! `src/render/skeleton.rs`) against parsing every file one by one: the
//! same verdicts, the same bytes; and the streaming render's reports.

use std::path::Path;

use crate::common::fake_tools::Fixture;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Thirty trials on the managed blueprint: one file shape for all of them
/// but for the values.
fn fleet(f: &Fixture) {
    let sites = f.dir.join("sites");
    let example = std::fs::read_to_string(sites.join("northwind-trial.yaml")).unwrap();
    for i in 0..30 {
        let text = example
            .replace("northwind-trial", &format!("shape-{i}"))
            .replace("seats: 25", &format!("seats: {}", i % 25 + 1))
            .replace(
                "Northwind Academy",
                &format!("Academy \\\"{i}\\\" // # ${{x}}"),
            );
        std::fs::write(sites.join(format!("shape-{i}.yaml")), text).unwrap();
    }
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let path = e.path().strip_prefix(dir).unwrap().display().to_string();
            (path, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn each_shape_once_finds_every_file_that_parsing_every_file_refuses() {
    let f = Fixture::new("shapes-refused", &[]);
    fleet(&f);
    // A template that breaks for three sites only: their files have a
    // shape of their own, which must never pass for the others'.
    let template = f.dir.join("blueprints/managed/terraform/main.tf.j2");
    let mut source = std::fs::read_to_string(&template).unwrap();
    source.push_str("{% if \"7\" in site.name %}broken = {% endif %}\n");
    std::fs::write(&template, source).unwrap();

    let shortcut = f.run(&["render"], &[]);
    let every = f.run(&["render", "--parse-every-file"], &[]);
    assert_eq!(shortcut.status.code(), Some(1));
    assert_eq!(every.status.code(), Some(1));
    let stderr = text(&shortcut.stderr);
    assert_eq!(stderr, text(&every.stderr), "the same verdicts");
    for site in ["shape-7", "shape-17", "shape-27"] {
        assert!(stderr.contains(&format!("`{site}`")), "{site}: {stderr}");
    }
    assert!(
        stderr.contains("error: 3 errors: nothing was written"),
        "{stderr}"
    );
}

#[test]
fn each_shape_once_writes_the_bytes_that_parsing_every_file_writes() {
    let f = Fixture::new("shapes-same", &[]);
    fleet(&f);
    let shortcut = f.run(&["render", "--out", "a"], &[]);
    assert!(shortcut.status.success(), "{}", text(&shortcut.stderr));
    let every = f.run(&["render", "--out", "b", "--parse-every-file"], &[]);
    assert!(every.status.success(), "{}", text(&every.stderr));
    let (a, b) = (tree(&f.dir.join("a")), tree(&f.dir.join("b")));
    assert!(a.len() > 90, "{} files", a.len());
    assert!(a == b, "the two renders differ");
}

/// Regression (review): a spec string in a key's place was replaced by a
/// probe, so a Compose `environment` key that repeats one the template
/// writes passed for the shape of another site's harmless key, depending on
/// which site came first.
#[test]
fn a_key_a_spec_repeats_is_refused_whichever_site_comes_first() {
    let f = Fixture::new("shapes-keys", &[]);
    let sites = f.dir.join("sites");
    let example = std::fs::read_to_string(sites.join("umbrella-airgap.yaml")).unwrap();
    for (name, key) in [("a-harmless", "FOO"), ("b-repeats", "DATA_DIR")] {
        let text = example.replace("umbrella-airgap", name).replace(
            "  app: {version:",
            &format!("  extensions: {{config: {{{key}: \"/tmp\"}}}}\n  app: {{version:"),
        );
        std::fs::write(sites.join(format!("{name}.yaml")), text).unwrap();
    }
    for args in [&["render"][..], &["render", "--parse-every-file"]] {
        let refused = f.run(args, &[]);
        let stderr = text(&refused.stderr);
        assert_eq!(refused.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("`b-repeats`"), "{args:?}: {stderr}");
        assert!(!stderr.contains("`a-harmless`"), "{args:?}: {stderr}");
    }
}

/// Regression (review): the streaming render loaded the blueprints only
/// when the tier catalog loaded, so a broken catalog hid a broken
/// blueprint until the next run.
#[test]
fn a_broken_catalog_and_a_broken_blueprint_are_reported_in_one_run() {
    let f = Fixture::new("shapes-setup", &[]);
    let edit = |path: &str, from: &str, to: &str| {
        let path = f.dir.join(path);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{from:?} in {}", path.display());
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };
    edit(
        "blueprints/tiers.yaml",
        "apiVersion: sitectl/v1",
        "apiVersion: [",
    );
    edit(
        "blueprints/managed/blueprint.yaml",
        "kind: Blueprint",
        "kind: Blueprint\nunknownKey: 1",
    );
    let refused = f.run(&["render"], &[]);
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("blueprints/tiers.yaml"), "{stderr}");
    assert!(
        stderr.contains("blueprints/managed/blueprint.yaml"),
        "{stderr}"
    );
}

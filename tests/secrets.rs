//! No secret in any diagnostic or output: secrets pasted into every place a
//! spec could carry one are never shown, in any format, by any command a
//! user or CI runs on it: snippets mask them, validation refuses them, and
//! nothing is rendered, diffed, commented, logged or summarised from them.

use std::path::Path;

use crate::common::fake_tools::Fixture;

/// Where each canary is planted in a copy of an example spec: the text
/// replaced, and what replaces it.
const PLANTS: &[(&str, &str, &str, &str)] = &[
    // A misspelt secret key, at the spec's top level.
    (
        "initech-byoi",
        "  seats: 900\n",
        "  seats: 900\n  secretRefs: CANARY-ONE-4f1d\n",
        "CANARY-ONE",
    ),
    // A pasted secret where a reference belongs.
    (
        "initech-byoi",
        "secretRef: https://initech-learning-kv.vault.azure.net/secrets/sitectl-sp-secret",
        "secretRef: CANARY-TWO-8c3a",
        "CANARY-TWO",
    ),
    (
        "initech-byoi",
        "EHR_API_TOKEN: https://initech-learning-kv.vault.azure.net/secrets/ehr-api-token",
        "EHR_API_TOKEN: CANARY-THREE-a2b5",
        "CANARY-THREE",
    ),
    // A config entry that is a secret in plain text.
    (
        "initech-byoi",
        "      SESSION_TIMEOUT_MINUTES: \"15\"\n",
        "      SESSION_TIMEOUT_MINUTES: \"15\"\n      DB_PASSWORD: \"CANARY-FOUR-9f60\"\n",
        "CANARY-FOUR",
    ),
    // A label that is one.
    (
        "initech-byoi",
        "labels: {segment: healthcare, compliance: hipaa}",
        "labels: {segment: healthcare, compliance: hipaa, apiToken: CANARY-FIVE-1e0f}",
        "CANARY-FIVE",
    ),
    // A quote that never closes, around a secret.
    (
        "northwind-trial",
        "  contact: ",
        "  contact: \"CANARY-SIX-5e4d\n  contact: ",
        "CANARY-SIX",
    ),
    // A secret key given twice.
    (
        "acme-learning",
        "  seats: 180\n",
        "  seats: 180\n  password: CANARY-SEVEN-x\n  password: CANARY-SEVEN-y\n",
        "CANARY-SEVEN",
    ),
];

fn plant(dir: &Path) {
    for (site, from, to, _) in PLANTS {
        let path = dir.join("sites").join(format!("{site}.yaml"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{site}: no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }
}

/// Every file under `dir`, as text.
fn all_text(dir: &Path, out: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.map(|e| e.unwrap().path()) {
        if entry.is_dir() {
            all_text(&entry, out);
        } else if let Ok(text) = std::fs::read(&entry) {
            out.push_str(&String::from_utf8_lossy(&text));
        }
    }
}

#[test]
fn canaries_planted_in_every_place_appear_in_no_output() {
    let f = Fixture::new("canary", &["terraform", "helm", "docker", "az"]);
    crate::common::git(&f.dir, &["init", "-q", "-b", "main"]);
    crate::common::git(&f.dir, &["add", "-A"]);
    crate::common::git(&f.dir, &["commit", "-q", "-m", "sites"]);
    plant(&f.dir);
    let summary = f.dir.join("summary.md");
    let summary_arg = summary.to_string_lossy().into_owned();
    let runs: Vec<Vec<&str>> = vec![
        vec!["validate"],
        vec!["validate", "--format", "json"],
        vec!["validate", "--format", "github"],
        vec!["render"],
        vec!["diff"],
        vec!["diff", "--check"],
        vec!["diff", "--format", "markdown"],
        vec!["diff", "--format", "json"],
        vec!["diff", "--base", "HEAD", "--format", "markdown"],
        vec!["plan", "--summary", &summary_arg],
        vec!["apply", "--yes", "--summary", &summary_arg],
        vec!["inventory", "--format", "csv"],
        vec!["expired"],
    ];
    let mut shown = String::new();
    for args in &runs {
        let out = f.run(args, &[]);
        assert_ne!(out.status.code(), Some(0), "{args:?} accepted the canaries");
        shown.push_str(&String::from_utf8_lossy(&out.stdout));
        shown.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    all_text(&f.dir.join("rendered"), &mut shown);
    shown.push_str(&std::fs::read_to_string(&summary).unwrap_or_default());
    for (site, _, _, canary) in PLANTS {
        assert!(
            !shown.contains(canary),
            "{canary} (planted in {site}) was shown:\n{}",
            shown
                .lines()
                .filter(|l| l.contains(canary))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    // The runs said why: each plant is refused.
    for code in [
        "schema-unknown-key",
        "schema-not-a-secret-reference",
        "rule-secret-in-plain-text",
        "yaml-syntax",
        "yaml-duplicate-key",
    ] {
        assert!(shown.contains(code), "{code}");
    }
}

//! `sitectl promote`, property-tested: any valid trial promoted to paid and
//! then to enterprise on the same deployment stays valid, loses no
//! data-bearing resource (the command refuses if it would), and keeps every
//! comment of the original.

use std::path::PathBuf;
use std::process::Command;

use proptest::prelude::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sitectl(dir: &PathBuf, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sitectl"))
        .args(args)
        .arg("--blueprints")
        .arg(root().join("blueprints"))
        .current_dir(dir)
        .env("SITECTL_TODAY", "2026-11-22")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// A trial spec with comments in many places, and the comments it holds.
fn trial_spec(
    seats: u32,
    block_trial: bool,
    region: &str,
    comments: &[String],
    sso: bool,
) -> String {
    let c = |i: usize| comments[i % comments.len()].as_str();
    let trial = if block_trial {
        format!(
            "  # {}\n  trial:\n    start: 2026-11-20\n    days: 14\n",
            c(3)
        )
    } else {
        "  trial: {start: 2026-11-20, days: 14}\n".to_string()
    };
    format!(
        "# {}\napiVersion: sitectl/v1\nkind: Site\nmetadata:\n  # {}\n  name: prop-trial\n  customer: \"Prop Co\"\n  contact: it@prop.example\nspec:\n  tier: trial   # {}\n  deployment: managed\n  region: {region}\n{trial}  seats: {seats}\n  # {}\n  features: [{}]\n  app: {{version: \"2026.11.1\"}}\n# {}\n",
        c(0),
        c(1),
        c(2),
        c(4),
        if sso { "sso" } else { "" },
        c(5)
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]

    #[test]
    fn promoting_a_trial_to_paid_then_enterprise_loses_nothing(
        seats in 1u32..=25,
        block_trial in any::<bool>(),
        sso in any::<bool>(),
        region in prop::sample::select(vec!["eastus", "westeurope", "japaneast", "uksouth"]),
        comments in prop::collection::vec("[a-zA-Z0-9 ,.:'-]{1,30}", 6),
    ) {
        let dir = std::env::temp_dir().join(format!("sitectl-promote-prop-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sites")).unwrap();
        let original = trial_spec(seats, block_trial, region, &comments, sso);
        let spec = dir.join("sites/prop-trial.yaml");
        std::fs::write(&spec, &original).unwrap();

        let paid = sitectl(&dir, &["promote", "prop-trial", "--to", "paid"]);
        prop_assert_eq!(paid.status.code(), Some(0), "{}", String::from_utf8_lossy(&paid.stderr));
        prop_assert!(String::from_utf8_lossy(&paid.stderr).contains("no data-loss finding"));
        let enterprise = sitectl(&dir, &["promote", "prop-trial", "--to", "enterprise", "--annual-price", "12000"]);
        prop_assert_eq!(enterprise.status.code(), Some(0), "{}", String::from_utf8_lossy(&enterprise.stderr));

        let valid = sitectl(&dir, &["validate", "sites"]);
        prop_assert_eq!(valid.status.code(), Some(0), "{}", String::from_utf8_lossy(&valid.stderr));
        let promoted = std::fs::read_to_string(&spec).unwrap();
        prop_assert!(promoted.contains("tier: enterprise"));
        prop_assert!(!promoted.contains("trial:"));
        for comment in original.lines().filter_map(|l| l.find('#').map(|i| &l[i..])) {
            prop_assert!(promoted.contains(comment), "lost comment {:?} in:\n{}", comment, promoted);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_demotion_is_refused_and_writes_nothing() {
    let dir = std::env::temp_dir().join(format!("sitectl-promote-down-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sites")).unwrap();
    let text = std::fs::read_to_string(root().join("sites/acme-learning.yaml")).unwrap();
    std::fs::write(dir.join("sites/acme-learning.yaml"), &text).unwrap();
    let out = sitectl(&dir, &["promote", "acme-learning", "--to", "trial"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("goes up"));
    assert_eq!(
        std::fs::read_to_string(dir.join("sites/acme-learning.yaml")).unwrap(),
        text
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A scratch folder holding a copy of one example spec.
fn scratch_with(name: &str, example: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("sitectl-promote-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sites")).unwrap();
    let text = std::fs::read_to_string(root().join("sites").join(example)).unwrap();
    std::fs::write(dir.join("sites").join(example), &text).unwrap();
    (dir, text)
}

fn comments(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .collect()
}

#[test]
fn a_move_across_deployments_needs_move_data_and_writes_nothing_without_it() {
    let (dir, text) = scratch_with("move-refused", "northwind-trial.yaml");
    let out = sitectl(
        &dir,
        &[
            "promote",
            "northwind-trial",
            "--to",
            "enterprise",
            "--deployment",
            "dedicated",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("gives its data a new home"), "{stderr}");
    assert!(stderr.contains("--move-data"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("sites/northwind-trial.yaml")).unwrap(),
        text
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn managed_to_dedicated_with_move_data_prints_the_migration_and_keeps_every_comment() {
    let (dir, text) = scratch_with("move-dedicated", "northwind-trial.yaml");
    let out = sitectl(
        &dir,
        &[
            "promote",
            "northwind-trial",
            "--to",
            "enterprise",
            "--deployment",
            "dedicated",
            "--move-data",
            "--annual-price",
            "24000",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // The gate still names what moves, as the migration's cargo, not as an
    // error; the migration says how to carry it.
    assert!(
        stdout.contains("moves[data]: site `northwind-trial`"),
        "{stdout}"
    );
    assert!(!stdout.contains("error[data-loss]"), "{stdout}");
    for phase in [
        "1. freeze:",
        "2. export:",
        "3. detach:",
        "4. new home:",
        "5. import:",
        "6. cut over:",
        "7. retire:",
    ] {
        assert!(stdout.contains(phase), "{phase} in {stdout}");
    }
    assert!(
        stdout.contains("pg_dump --format=custom --no-owner --host psql-sitectl-shared.postgres.database.azure.com --dbname northwind_trial"),
        "{stdout}"
    );
    let promoted = std::fs::read_to_string(dir.join("sites/northwind-trial.yaml")).unwrap();
    assert!(promoted.contains("  deployment: dedicated\n"), "{promoted}");
    assert!(!promoted.contains("trial: {"), "{promoted}");
    for comment in comments(&text) {
        assert!(promoted.contains(comment), "lost {comment:?}");
    }
    let validate = sitectl(&dir, &["validate"]);
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn moves_to_and_from_byoi_add_and_remove_its_block() {
    let (dir, _) = scratch_with("move-byoi", "acme-learning.yaml");
    let promote = [
        "promote",
        "acme-learning",
        "--to",
        "enterprise",
        "--deployment",
        "byoi",
        "--move-data",
        "--annual-price",
        "60000",
    ];
    // Without the customer's IDs, nothing is written.
    let without = sitectl(&dir, &promote);
    assert_eq!(without.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&without.stderr).contains("--subscription-id"));
    let to_byoi = sitectl(
        &dir,
        &[&promote[..], crate::common::azure_ids("byoi")].concat(),
    );
    assert_eq!(
        to_byoi.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&to_byoi.stderr)
    );
    let promoted = std::fs::read_to_string(dir.join("sites/acme-learning.yaml")).unwrap();
    assert!(
        promoted.contains("\n  byoi:\n    tenantId: 6f1c2e8a-3b4d-4c5e-9f60-1a2b3c4d5e6f\n"),
        "{promoted}"
    );
    assert!(
        String::from_utf8_lossy(&to_byoi.stdout)
            .contains("sitectl apply acme-learning --target bicep")
    );
    let back = sitectl(
        &dir,
        &[
            "promote",
            "acme-learning",
            "--to",
            "enterprise",
            "--deployment",
            "dedicated",
            "--move-data",
        ],
    );
    assert_eq!(
        back.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
    let moved = std::fs::read_to_string(dir.join("sites/acme-learning.yaml")).unwrap();
    assert!(!moved.contains("byoi"), "{moved}");
    assert!(moved.contains("  deployment: dedicated\n"), "{moved}");
    let validate = sitectl(&dir, &["validate"]);
    assert_eq!(validate.status.code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The proof renders the spec before and after in memory, under its own
/// name: the diff it prints never shows a scratch folder.
#[test]
fn a_promotion_diff_names_no_temporary_path() {
    let (dir, _) = scratch_with("no-temp-path", "northwind-trial.yaml");
    let out = sitectl(&dir, &["promote", "northwind-trial", "--to", "paid"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let temp = std::env::temp_dir();
    assert!(stdout.contains("-  tier: \"trial\""), "{stdout}");
    assert!(!stdout.contains(&*temp.to_string_lossy()), "{stdout}");
    assert!(!stdout.contains("Generated by sitectl from"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Regression: `--to enterprise` without a price wrote `annualPrice: 0`,
/// zero revenue in the inventory.
#[test]
fn an_enterprise_promotion_needs_the_licenses_price_and_takes_its_terms() {
    let (dir, text) = scratch_with("price", "acme-learning.yaml");
    let refused = sitectl(&dir, &["promote", "acme-learning", "--to", "enterprise"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pass --annual-price AMOUNT"));
    assert_eq!(
        std::fs::read_to_string(dir.join("sites/acme-learning.yaml")).unwrap(),
        text
    );
    let out = sitectl(
        &dir,
        &[
            "promote",
            "acme-learning",
            "--to",
            "enterprise",
            "--annual-price",
            "90000",
            "--currency",
            "EUR",
            "--license-start",
            "2027-01-01",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let promoted = std::fs::read_to_string(dir.join("sites/acme-learning.yaml")).unwrap();
    assert!(
        promoted.contains("start: 2027-01-01, end: 2027-12-31, annualPrice: 90000, currency: EUR"),
        "{promoted}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Regression: after a promotion, the comments `sitectl new` wrote still
/// stated the old tier's limits (`# User seats: 25 at most on tier trial.`
/// above the seats of a paid site).
#[test]
fn the_comments_new_wrote_about_the_old_tier_go_with_it() {
    let dir = std::env::temp_dir().join(format!("sitectl-promote-comments-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sites")).unwrap();
    let new = sitectl(
        &dir,
        &[
            "new",
            "demo",
            "--tier",
            "trial",
            "--deployment",
            "managed",
            "--app-version",
            "2026.11.1",
        ],
    );
    assert_eq!(
        new.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&new.stderr)
    );
    let spec = dir.join("sites/demo.yaml");
    let before = std::fs::read_to_string(&spec).unwrap();
    assert!(before.contains("on tier trial."), "{before}");
    let out = sitectl(&dir, &["promote", "demo", "--to", "paid"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = std::fs::read_to_string(&spec).unwrap();
    for stale in ["tier trial", "The trial window", "tier's defaults"] {
        assert!(!after.contains(stale), "{stale} in\n{after}");
    }
    // Every other comment stays.
    assert!(after.contains("# The commercial tier:"), "{after}");
    assert!(
        after.contains("# The product release the site runs"),
        "{after}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

//! `sitectl preview` as a library: the same flags give the same bytes, spec
//! text is escaped in the HTML page, and one page is pinned by a snapshot.

use std::path::Path;

use sitectl::preview::flags::Inputs;
use sitectl::preview::{self, Preview};
use sitectl::spec::{Deployment, Tier};

const HOSTILE: &str = "<script>alert(\"x\")</script> & 'Co' </style><svg onload=alert(1)>";

fn build(tier: Tier, deployment: Deployment, customer: Option<&str>, sets: &[String]) -> Preview {
    let inputs = Inputs {
        tier,
        deployment,
        customer,
        name: None,
        seats: None,
        features: &[],
        sets,
        app_version: "2026.11.1",
        today: "2026-11-22".parse().unwrap(),
        domain: None,
    };
    // cargo runs tests from the repository root: relative paths, as a user types them.
    preview::preview(&inputs, Path::new("blueprints"))
        .unwrap_or_else(|e| panic!("the preview does not build: {e}"))
}

#[test]
fn the_same_flags_give_byte_identical_output() {
    let sets = vec!["spec.license.annualPrice=90000".to_string()];
    for deployment in [
        Deployment::Managed,
        Deployment::Dedicated,
        Deployment::Byoi,
        Deployment::Selfhosted,
    ] {
        let first = build(Tier::Enterprise, deployment, Some("Globex"), &sets);
        let second = build(Tier::Enterprise, deployment, Some("Globex"), &sets);
        assert_eq!(preview::text(&first), preview::text(&second));
        assert_eq!(
            sitectl::preview::html::page(&first),
            sitectl::preview::html::page(&second)
        );
    }
}

#[test]
fn a_hostile_customer_name_is_text_in_the_page() {
    let page =
        sitectl::preview::html::page(&build(Tier::Trial, Deployment::Managed, Some(HOSTILE), &[]));
    assert!(!page.contains("<script"), "a <script> reached the page");
    assert!(
        !page.contains("<svg onload"),
        "markup from the spec reached the page"
    );
    assert!(
        !page.contains("</style><"),
        "the spec closed the style element"
    );
    assert!(
        page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Co&#39;"),
        "the customer's name is not shown escaped"
    );
    // Nothing is fetched: no URL but the SVG namespace appears in an attribute.
    for fetch in ["src=", "href=", "url(http", "@import", "@font-face"] {
        assert!(!page.contains(fetch), "the page refers to `{fetch}`");
    }
}

#[test]
fn an_enterprise_byoi_page_is_pinned() {
    let sets = vec!["spec.license.annualPrice=150000".to_string()];
    let page = sitectl::preview::html::page(&build(
        Tier::Enterprise,
        Deployment::Byoi,
        Some("Initech Health"),
        &sets,
    ));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/preview");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("enterprise-byoi.html", page));
}

#[test]
fn every_tier_and_deployment_the_catalog_allows_previews() {
    for (tier, deployment) in [
        (Tier::Trial, Deployment::Managed),
        (Tier::Paid, Deployment::Managed),
        (Tier::Enterprise, Deployment::Managed),
        (Tier::Enterprise, Deployment::Dedicated),
        (Tier::Enterprise, Deployment::Byoi),
        (Tier::Enterprise, Deployment::Selfhosted),
    ] {
        let preview = build(tier, deployment, None, &[]);
        assert!(!preview.files.is_empty(), "{tier} {deployment}: no files");
        assert!(
            !preview.resources.is_empty(),
            "{tier} {deployment}: no resources"
        );
        assert!(
            preview.responsibilities.is_some(),
            "{tier} {deployment}: no responsibilities"
        );
        assert!(
            !preview.data_tier.is_empty(),
            "{tier} {deployment}: no data tier"
        );
    }
}

/// Every tier × deployment the catalog allows, each page's facts checked
/// against each other: one backup policy, no region for a self-hosted
/// site, no template text or Markdown leaking into the customer's page.
#[test]
fn no_page_states_two_backup_policies_or_a_region_for_a_self_hosted_site() {
    let sets = vec!["spec.license.annualPrice=90000".to_string()];
    let mut seen = 0;
    for tier in [Tier::Trial, Tier::Paid, Tier::Enterprise] {
        for deployment in [
            Deployment::Managed,
            Deployment::Dedicated,
            Deployment::Byoi,
            Deployment::Selfhosted,
        ] {
            let inputs = Inputs {
                tier,
                deployment,
                customer: Some("Globex"),
                name: None,
                seats: None,
                features: &[],
                sets: if tier == Tier::Enterprise { &sets } else { &[] },
                app_version: "2026.11.1",
                today: "2026-11-22".parse().unwrap(),
                domain: None,
            };
            // A pair the catalog refuses is no page.
            let Ok(p) = preview::preview(&inputs, Path::new("blueprints")) else {
                continue;
            };
            seen += 1;
            let what = format!("{tier} on {deployment}");
            let backups = p.backups_line();
            let duty = p
                .duties()
                .into_iter()
                .find(|d| d.what == "backs up the data")
                .unwrap_or_else(|| panic!("{what}: no backups duty"));
            match backups.as_str() {
                "none on this tier" => assert_eq!(duty.who, "nobody", "{what}: {duty:?}"),
                b if b.ends_with("shared with the customer") => {
                    assert_eq!(duty.who, "shared", "{what}: {duty:?}")
                }
                b if b.starts_with("by the customer") => {
                    assert_eq!(duty.who, "customer", "{what}: {duty:?}")
                }
                b => {
                    assert!(b.ends_with("by us"), "{what}: {b}");
                    assert_ne!(duty.who, "customer", "{what}: {duty:?}");
                    let schedule = b.trim_end_matches(", by us");
                    assert!(duty.note.contains(schedule), "{what}: {b} vs {duty:?}");
                }
            }
            let page = sitectl::preview::html::page(&p);
            let shown = page.split("<section id=\"files\"").next().unwrap();
            if deployment == Deployment::Selfhosted {
                assert!(!shown.contains("region "), "{what}: a region badge");
            }
            for leak in ["names.", "`", "{{", "settings."] {
                assert!(
                    !shown.contains(leak),
                    "{what}: `{leak}` leaks into the page"
                );
            }
            let text = preview::text(&p);
            assert!(
                text.lines().all(|l| l.chars().count() <= 100),
                "{what}: a line wider than 100 columns"
            );
        }
    }
    assert!(seen >= 6, "only {seen} tier × deployment pairs previewed");
}

/// A comparison says what moving from one option to the next does to the
/// data, read off the two renders: tiers on one deployment keep every
/// data-bearing resource; a move to a dedicated deployment does not, and
/// the page says how the data is moved.
#[test]
fn a_comparison_says_which_moves_keep_the_data_and_which_move_it() {
    let run = |options: &str| {
        let output = crate::common::sitectl()
            .args(["preview", "--compare", options])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let tiers = run("trial,paid,enterprise");
    assert_eq!(
        tiers.matches("No data-bearing resource changes").count(),
        2,
        "{tiers}"
    );
    assert!(!tiers.contains("The data moves"), "{tiers}");
    let deployments = run("managed,dedicated");
    assert!(
        deployments.contains("The data moves from the managed deployment's infrastructure"),
        "{deployments}"
    );
    assert!(
        !deployments.contains("No data-bearing resource changes"),
        "{deployments}"
    );
    assert!(deployments.contains("--move-data"), "{deployments}");
    assert!(
        deployments.lines().all(|l| l.chars().count() <= 100),
        "{deployments}"
    );
}

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

//! The HTML preview in a real browser: headless Chromium (the system's
//! /usr/bin/chromium, driven by playwright-core from
//! `tests/conformance/preview_check.mjs`) opens the page from disk, refuses
//! every network request, and checks that the diagram and the summary are
//! visible on the first screen and that spec text never ran as script;
//! then that at 1440, 1280, 1024 and 760 pixels and in print nothing is
//! wider than its box and no diagram label is cut. Each case leaves
//! full-page screenshots in `target/preview-artifacts/<case>[-<width>].png`
//! for a person to look at, and the page printed to `<case>.pdf`, whose
//! text (read by poppler's pdftotext) must name every resource.
//!
//! A missing browser or missing node_modules fails the test with the
//! command that installs it; it never skips.

use std::path::{Path, PathBuf};

use crate::common::{require_tool, run_checked, sitectl};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/` of this build (`CARGO_TARGET_TMPDIR` is `target/tmp`).
fn artifacts() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the tmp folder sits in target/")
        .join("preview-artifacts")
}

fn require_browser() {
    require_tool(
        "node",
        "apt-get install nodejs (or use the machine's Node.js)",
    );
    assert!(
        Path::new("/usr/bin/chromium").is_file(),
        "Chromium is not installed at /usr/bin/chromium: apt-get update && apt-get install -y chromium chromium-driver (`.ci/run` does this)"
    );
    assert!(
        root()
            .join("tests/conformance/node_modules/playwright-core/package.json")
            .is_file(),
        "playwright-core is not installed: npm ci --prefix tests/conformance (`.ci/run` does this)"
    );
}

fn check_in_browser(case: &str, args: &[&str], price: &str) {
    let page_name = if args.contains(&"--compare") {
        "compare.html"
    } else {
        "preview.html"
    };
    require_browser();
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("preview-{case}"));
    let _ = std::fs::remove_dir_all(&out);
    let output = sitectl()
        .arg("preview")
        .args(args)
        .args(["--format", "html", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "sitectl preview failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let page = out.join(page_name);
    let screenshot = artifacts().join(format!("{case}.png"));
    let mut command = std::process::Command::new("node");
    command
        .arg(root().join("tests/conformance/preview_check.mjs"))
        .arg(&page)
        .arg(&screenshot)
        .arg(price);
    run_checked(command, "headless Chromium (preview_check.mjs)");
    assert!(
        screenshot.is_file(),
        "no screenshot at {}",
        screenshot.display()
    );
    println!("screenshot: {}", screenshot.display());
    // The printed page names every resource the screen does.
    require_tool("pdftotext", "apt-get install poppler-utils");
    let pdf = artifacts().join(format!("{case}.pdf"));
    let mut read = std::process::Command::new("pdftotext");
    // -raw: in the order the page draws it, so a name wrapped in its cell
    // reads as one word once the line breaks are gone.
    read.arg("-raw").arg(&pdf).arg("-");
    // A name broken across lines in print is joined back before searching.
    let text: String = run_checked(read, "pdftotext")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("");
    let names = std::fs::read_to_string(artifacts().join(format!("{case}.resources.txt"))).unwrap();
    let names: Vec<&str> = names.lines().filter(|n| !n.is_empty()).collect();
    assert!(!names.is_empty(), "{case}: the page lists no resources");
    for name in names {
        let squeezed: String = name.split_whitespace().collect();
        assert!(
            text.contains(&squeezed),
            "{case}: the printed page does not show the resource {name}"
        );
    }
}

#[test]
fn enterprise_byoi_preview_shows_both_infrastructures() {
    check_in_browser(
        "enterprise-byoi",
        &[
            "--tier",
            "enterprise",
            "--deployment",
            "byoi",
            "--customer",
            "Initech Health",
            "--seats",
            "900",
            "--features",
            "sso,api",
            "--set",
            "spec.license.annualPrice=150000",
        ],
        "12,500.00 USD per month",
    );
}

#[test]
fn trial_preview_with_a_hostile_customer_name_stays_inert() {
    check_in_browser(
        "trial-managed-hostile",
        &[
            "--tier",
            "trial",
            "--deployment",
            "managed",
            "--customer",
            "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=1\"> \"Quoted\" & 'Co'",
        ],
        "0.00 USD per month",
    );
}

#[test]
fn dedicated_preview_with_a_long_name_fits_every_width_and_print() {
    check_in_browser(
        "enterprise-dedicated",
        &[
            "--tier",
            "enterprise",
            "--deployment",
            "dedicated",
            "--customer",
            "The International Federation of Learning Platforms Limited",
            "--features",
            "sso,scorm,analytics,custom-domain",
            "--domain",
            "learning.federation.example",
            "--set",
            "spec.license.annualPrice=240000",
        ],
        "20,000.00 USD per month",
    );
}

#[test]
fn selfhosted_preview_puts_everything_in_the_customers_environment() {
    check_in_browser(
        "enterprise-selfhosted",
        &[
            "--tier",
            "enterprise",
            "--deployment",
            "selfhosted",
            "--customer",
            "Umbrella Research",
            "--set",
            "spec.selfhosted.targets=[compose, helm, bicep]",
        ],
        "negotiated",
    );
}

#[test]
fn a_comparison_of_three_tiers_is_one_page_that_fits_every_width_and_print() {
    check_in_browser(
        "compare-tiers",
        &[
            "--compare",
            "trial,paid,enterprise",
            "--customer",
            "Globex Corporation",
        ],
        "-",
    );
    let pdf = artifacts().join("compare-tiers.pdf");
    let mut read = std::process::Command::new("pdftotext");
    read.arg("-raw").arg(&pdf).arg("-");
    let text = run_checked(read, "pdftotext")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for promise in [
        "No data-bearing resource changes",
        "From trial to paid",
        "From paid to enterprise",
    ] {
        assert!(
            text.contains(promise),
            "the printed comparison does not say {promise:?}:\n{text}"
        );
    }
}

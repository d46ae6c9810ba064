//! The HTML preview in a real browser: headless Chromium (the system's
//! /usr/bin/chromium, driven by playwright-core from
//! `tests/conformance/preview_check.mjs`) opens the page from disk, refuses
//! every network request, and checks that the diagram and the summary are
//! visible on the first screen and that spec text never ran as script.
//! Each case leaves a full-page screenshot in
//! `target/preview-artifacts/<case>.png` for a person to look at.
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
    let page = out.join("preview.html");
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
            "spec.selfhosted.targets=[compose, helm]",
        ],
        "negotiated",
    );
}

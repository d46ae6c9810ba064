//! `sitectl plan|apply|destroy` against fake `terraform`, `helm`, `docker`,
//! `docker-compose` and `az` on PATH that record their argv and working
//! directory, and fail, or print a plan, on demand.

use crate::common::fake_tools::Fixture;

mod drift;
mod passes;
mod safety;
mod tools;

pub(super) const ALL: &[&str] = &["terraform", "helm", "docker", "az"];

pub(super) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails unless the run's stderr says `needle`.
pub(super) fn assert_says(out: &std::process::Output, needle: &str) {
    assert!(
        text(&out.stderr).contains(needle),
        "no {needle:?} in\n{}",
        text(&out.stderr)
    );
}

/// Fails unless every recorded call is a tool's version probe: no hand-off ran.
pub(super) fn assert_only_probes(f: &Fixture) {
    assert!(
        f.calls()
            .iter()
            .all(|c| c.contains("version") || c.contains("plugin list")),
        "{:#?}",
        f.calls()
    );
}

/// Fails if any recorded call starts with `prefix`.
pub(super) fn assert_never_ran(f: &Fixture, prefix: &str) {
    assert!(
        !f.calls().iter().any(|c| c.starts_with(prefix)),
        "`{prefix}` ran: {:#?}",
        f.calls()
    );
}

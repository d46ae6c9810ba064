//! `sitectl preview --set PATH=VALUE`, several at once, through the flag
//! parser and the spec they build, then validate and render: diagnostics
//! on the command line or a site, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sitectl::preview::flags::{self, Inputs};
use sitectl::spec::{Deployment, Tier};

fuzz_target!(|input: (Vec<String>, u8)| {
    let (sets, pick) = input;
    if sets.len() > 8 {
        return;
    }
    let tier = [Tier::Trial, Tier::Paid, Tier::Enterprise][usize::from(pick % 3)];
    let deployment = [
        Deployment::Managed,
        Deployment::Dedicated,
        Deployment::Byoi,
        Deployment::Selfhosted,
    ][usize::from(pick / 3 % 4)];
    let inputs = Inputs {
        tier,
        deployment,
        customer: None,
        name: Some("fuzz"),
        seats: None,
        features: &[],
        sets: &sets,
        app_version: "2026.11.1",
        today: "2026-11-22".parse().unwrap(),
        domain: None,
    };
    if let Ok(built) = flags::build(&inputs, sitectl::fuzzing::preview_catalog()) {
        let _ = sitectl::fuzzing::render_spec_text(built.source.text.clone(), "fuzz");
    }
});

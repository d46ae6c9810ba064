//! Validation throughput: N synthetic sites of mixed tiers and deployments,
//! through every layer, as `sitectl validate` runs them; and the time to
//! refuse each kind of hostile input.
//!
//! Run: `cargo bench --bench validate` (N defaults to 10,000; set
//! `SITECTL_BENCH_SITES` to change it). Results go in BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sitectl::validate::validate;

const KINDS: [(&str, &str, &str); 6] = [
    (
        "trial",
        "managed",
        "  trial: {start: 2026-11-20, days: 14}\n  seats: 20\n  features: [sso]\n",
    ),
    (
        "paid",
        "managed",
        "  seats: 120\n  features: [sso, scorm, custom-domain]\n  domain: learn.SITE.example\n",
    ),
    (
        "enterprise",
        "managed",
        "  seats: 900\n  features: [sso, api]\n  license: {seats: 1000, start: 2026-01-01, end: 2027-12-31, annualPrice: 90000}\n",
    ),
    (
        "enterprise",
        "dedicated",
        "  seats: 2000\n  features: [sso, analytics]\n  resources: {cpu: \"8\", memory: 32Gi, storage: 500Gi}\n  license: {seats: 2000, start: 2026-01-01, end: 2027-12-31, annualPrice: 200000}\n",
    ),
    (
        "enterprise",
        "byoi",
        "  seats: 500\n  license: {seats: 500, start: 2026-01-01, end: 2027-12-31, annualPrice: 80000}\n  byoi:\n    tenantId: 6f1c2e8a-3b4d-4c5e-9f60-1a2b3c4d5e6f\n    subscriptionId: 2d7e9b41-8c3a-4f1d-a2b5-c6d7e8f90a1b\n    resourceGroup: rg-SITE\n    keyVault: kv-bench\n    servicePrincipal:\n      clientId: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d\n      secretRef: env:SP_SECRET\n",
    ),
    (
        "enterprise",
        "selfhosted",
        "  seats: 300\n  license: {seats: 300, start: 2026-01-01, end: 2027-12-31, annualPrice: 60000}\n  selfhosted: {targets: [compose], airGapped: true, registry: registry.local/sitectl, licenseRef: env:LICENSE_KEY}\n",
    ),
];

fn write_sites(dir: &Path, count: usize) {
    for i in 0..count {
        let (tier, deployment, extra) = KINDS[i % KINDS.len()];
        let name = format!("site-{i:05}");
        let text = format!(
            "# yaml-language-server: $schema=../schemas/site.schema.json\napiVersion: sitectl/v1\nkind: Site\nmetadata:\n  name: {name}\n  customer: \"Customer {i}\"\n  contact: it@{name}.example\n  labels: {{segment: k12}}\nspec:\n  tier: {tier}\n  deployment: {deployment}\n  region: eastus\n  app: {{version: \"2026.11.1\"}}\n{}",
            extra.replace("SITE", &name)
        );
        // A hundred sites per folder, as a large fleet would organise them.
        let sub = dir.join(format!("group-{:03}", i / 100));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("{name}.yaml")), text).unwrap();
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let blueprints = root.join("blueprints");
    let count: usize = std::env::var("SITECTL_BENCH_SITES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let dir = std::env::temp_dir().join(format!("sitectl-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write_sites(&dir, count);

    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let checked = validate(std::slice::from_ref(&dir), &blueprints);
        times.push(start.elapsed());
        assert_eq!(
            checked.sites.len(),
            count,
            "{:?}",
            checked.diagnostics.first()
        );
    }
    let time = median(times);
    println!(
        "validate {count} sites: median {:.3} s over 5 runs, {:.0} sites/s",
        time.as_secs_f64(),
        count as f64 / time.as_secs_f64()
    );

    let hostile: [(&str, Vec<u8>); 6] = [
        ("billion laughs", {
            let mut t = String::from("a0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
            for i in 1..10 {
                let alias = format!("*a{}", i - 1);
                t.push_str(&format!(
                    "a{i}: &a{i} [{}]\n",
                    [alias.as_str(); 9].join(",")
                ));
            }
            t.into_bytes()
        }),
        ("10,000-deep flow nesting", "[".repeat(10_000).into_bytes()),
        (
            "10,000-deep block nesting",
            ("- ".repeat(10_000) + "x\n").into_bytes(),
        ),
        ("5 MiB file", vec![b'#'; 5 * 1024 * 1024]),
        (
            "200,000 duplicate keys (under 1 MiB)",
            "k: 1\n".repeat(200_000).into_bytes(),
        ),
        (
            "80,000 distinct keys (1 MiB)",
            (0..80_000)
                .map(|i| format!("key{i:06}: 1\n"))
                .collect::<String>()
                .into_bytes(),
        ),
    ];
    for (what, bytes) in hostile {
        let file = dir.join("hostile.yaml");
        std::fs::write(&file, &bytes).unwrap();
        let mut times = Vec::new();
        for _ in 0..5 {
            let start = Instant::now();
            let checked = validate(std::slice::from_ref(&file), &blueprints);
            times.push(start.elapsed());
            assert!(!checked.diagnostics.is_empty());
        }
        println!(
            "refuse {what}: median {:.1} ms",
            median(times).as_secs_f64() * 1000.0
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

//! Synthetic sites for the benchmarks: a sixth each of trial, paid and
//! enterprise on managed, dedicated, byoi and selfhosted.

use std::path::Path;

pub const KINDS: [(&str, &str, &str); 6] = [
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
        "  seats: 500\n  license: {seats: 500, start: 2026-01-01, end: 2027-12-31, annualPrice: 80000}\n  byoi:\n    tenantId: 6f1c2e8a-3b4d-4c5e-9f60-1a2b3c4d5e6f\n    subscriptionId: 2d7e9b41-8c3a-4f1d-a2b5-c6d7e8f90a1b\n    resourceGroup: rg-SITE\n    keyVault: kv-bench\n    servicePrincipal:\n      clientId: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d\n      objectId: 4c3b2a19-0f8e-4d7c-9b6a-5e4d3c2b1a09\n      secretRef: env:SP_SECRET\n",
    ),
    (
        "enterprise",
        "selfhosted",
        "  seats: 300\n  license: {seats: 300, start: 2026-01-01, end: 2027-12-31, annualPrice: 60000}\n  selfhosted: {targets: [compose], airGapped: true, registry: registry.local/sitectl, licenseRef: env:LICENSE_KEY}\n",
    ),
];

pub fn write_sites(dir: &Path, count: usize) {
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

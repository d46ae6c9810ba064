//! The resolve stage: a valid spec plus its tier's defaults and the names
//! derived from it. This is the context every blueprint template sees; it is
//! documented field by field in `blueprints/README.md`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::spec::quantity::Quantity;
use crate::spec::{Feature, Resources, Site};
use crate::validate::catalog::{Backups, Catalog};

/// What a template sees, as `site`, `tier`, `names` and `source`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolved<'a> {
    /// The spec as written (`site.metadata` and `site.spec` flattened into
    /// one object, see the blueprint README).
    pub site: SiteView<'a>,
    /// The tier's defaults, with the spec's own values where it has them.
    pub tier: TierView,
    /// Names of resources, derived from the site's name alone (never its tier).
    pub names: Names,
    /// Where the output came from, for headers and tags.
    pub source: SourceView,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteView<'a> {
    pub name: &'a str,
    pub customer: &'a str,
    pub contact: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    pub tier: &'static str,
    pub deployment: &'static str,
    /// `azure` or `aws`: `spec.cloud`, else `azure`.
    pub cloud: &'static str,
    pub region: &'a str,
    pub seats: u32,
    pub features: Vec<&'static str>,
    /// Every feature of the schema, on or off: `site.feature.customDomain`.
    pub feature: BTreeMap<String, bool>,
    pub domain: Option<&'a str>,
    pub app_version: &'a str,
    pub trial: Option<TrialView>,
    pub license: Option<&'a crate::spec::License>,
    pub byoi: Option<&'a crate::spec::Byoi>,
    pub selfhosted: Option<&'a crate::spec::Selfhosted>,
    pub extensions: Option<&'a crate::spec::Extensions>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrialView {
    pub start: String,
    pub days: u32,
    /// The first day the trial no longer covers (start + days).
    pub end: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TierView {
    pub replicas: u32,
    pub backups: Option<Backups>,
    /// Requested resources: the spec's, else the tier's defaults.
    pub resources: ResolvedResources,
    /// The tier's caps; `none` where the tier has no cap.
    pub caps: Resources,
    /// Whether the tier caps resources at all (trials and paid do).
    pub capped: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedResources {
    pub cpu: String,
    pub memory: String,
    pub storage: String,
    /// Storage in whole GiB, rounded up (for APIs that take a number).
    pub storage_gib: u64,
    /// The site's CPU shared by its replicas, in millicores (`500m`): the
    /// site's resources are its total, so its quota fits all its pods.
    pub cpu_per_replica: String,
    /// The site's memory shared by its replicas, in MiB (`1024Mi`).
    pub memory_per_replica: String,
}

/// Resource names. Each is a pure function of the site's name, so a change
/// of tier or of anything else in the spec never renames a data-bearing
/// resource (ARCHITECTURE.md, "No data loss").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Names {
    /// Kubernetes namespace: `site-<name>`.
    pub namespace: String,
    /// Helm release name: `<name>`.
    pub release: String,
    /// Postgres database and role: `<name>` with `-` as `_`.
    pub database: String,
    /// Azure storage container / Compose volume / PVC: `<name>-data`.
    pub data: String,
    /// Azure storage account: lowercase letters and digits, at most 24.
    pub storage_account: String,
    /// Azure Key Vault: at most 24 characters.
    pub key_vault: String,
    /// Azure resource group of a dedicated or byoi site.
    pub resource_group: String,
    /// Postgres flexible server of a dedicated or byoi site.
    pub postgres_server: String,
    /// Terraform state key in the shared backend.
    pub state_key: String,
    /// The Kubernetes secret the app's credentials live in.
    pub secret: String,
    /// The address range of a dedicated AWS site's own VPC: one of the 2,048
    /// /20 blocks of 10.128.0.0/9, chosen by the name's hash, so that the
    /// platform VPC can peer with every site's VPC. Two sites whose blocks
    /// meet fail loudly at apply (AWS refuses the overlapping route).
    pub vpc_cidr: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceView {
    pub spec: String,
    pub blueprint: String,
}

impl Names {
    pub fn for_site(name: &str) -> Names {
        let compact: String = name.chars().filter(|c| *c != '-').collect();
        let tag = format!("{:08x}", fnv1a(name));
        let short = |limit: usize| -> String {
            let cut: String = name.chars().take(limit).collect();
            cut.trim_end_matches('-').to_string()
        };
        Names {
            namespace: format!("site-{name}"),
            release: name.to_string(),
            database: name.replace('-', "_"),
            data: format!("{name}-data"),
            // 2 + 14 + 8 = 24: the name keeps the account readable, the hash
            // keeps two long names that share a prefix apart.
            storage_account: format!("st{}{tag}", compact.chars().take(14).collect::<String>()),
            key_vault: format!("kv-{}-{tag}", short(11)),
            resource_group: format!("rg-site-{name}"),
            postgres_server: format!("psql-site-{name}"),
            state_key: format!("sites/{name}.tfstate"),
            secret: format!("{name}-app"),
            vpc_cidr: {
                let block = fnv1a(name) % 2048;
                format!("10.{}.{}.0/20", 128 + block / 16, (block % 16) * 16)
            },
        }
    }
}

/// FNV-1a: a stable hash (unlike std's, which is seeded per process).
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// Resolves a valid site against the catalog.
pub fn resolve<'a>(
    site: &'a Site,
    catalog: &Catalog,
    spec_path: &str,
    blueprint: &str,
) -> Resolved<'a> {
    let spec = &site.spec;
    let policy = catalog.tier(spec.tier);
    let defaults = &policy.defaults.resources;
    let pick = |own: &Option<Quantity>, default: &Option<Quantity>| {
        own.as_ref()
            .or(default.as_ref())
            .map(|q| q.0.clone())
            .unwrap_or_default()
    };
    let storage = pick(&spec.resources.storage, &defaults.storage);
    let cpu = pick(&spec.resources.cpu, &defaults.cpu);
    let memory = pick(&spec.resources.memory, &defaults.memory);
    let replicas = u128::from(policy.defaults.replicas.max(1));
    let per_replica = |quantity: &str, unit: u128| {
        Quantity(quantity.to_string())
            .millis()
            .map_or(0, |m| m / replicas / unit)
    };
    let cpu_per_replica = format!("{}m", per_replica(&cpu, 1).max(1));
    let memory_per_replica = format!("{}Mi", per_replica(&memory, 1000 << 20).max(1));
    let storage_gib = Quantity(storage.clone())
        .millis()
        .map(|m| m.div_ceil(1000 << 30) as u64)
        .unwrap_or(0);
    let feature = Feature::ALL
        .iter()
        .map(|f| (camel(f.as_str()), spec.features.contains(f)))
        .collect();
    Resolved {
        site: SiteView {
            name: &site.metadata.name,
            customer: &site.metadata.customer,
            contact: &site.metadata.contact,
            labels: &site.metadata.labels,
            tier: spec.tier.as_str(),
            deployment: spec.deployment.as_str(),
            cloud: spec.cloud().as_str(),
            region: &spec.region,
            seats: spec.seats,
            features: spec.features.iter().map(|f| f.as_str()).collect(),
            feature,
            domain: spec.domain.as_deref(),
            app_version: &spec.app.version,
            trial: spec.trial.as_ref().map(|t| TrialView {
                start: t.start.0.clone(),
                days: t.days,
                end: t.end().map(|d| d.to_string()).unwrap_or_default(),
            }),
            license: spec.license.as_ref(),
            byoi: spec.byoi.as_ref(),
            selfhosted: spec.selfhosted.as_ref(),
            extensions: spec.extensions.as_ref(),
        },
        tier: TierView {
            replicas: policy.defaults.replicas,
            backups: policy.defaults.backups.clone(),
            resources: ResolvedResources {
                cpu,
                memory,
                storage,
                storage_gib,
                cpu_per_replica,
                memory_per_replica,
            },
            caps: policy.caps.clone(),
            capped: !policy.caps.is_empty(),
        },
        names: Names::for_site(&site.metadata.name),
        source: SourceView {
            spec: spec_path.to_string(),
            blueprint: blueprint.to_string(),
        },
    }
}

/// `custom-domain` → `customDomain`.
fn camel(kebab: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in kebab.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_azure_limits() {
        let long = "a".repeat(20) + "-" + &"b".repeat(19);
        for name in ["a", "acme-learning", long.as_str()] {
            let names = Names::for_site(name);
            assert!(names.storage_account.len() <= 24, "{names:?}");
            assert!(
                names
                    .storage_account
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            );
            assert!(
                names.key_vault.len() <= 24 && names.key_vault.len() >= 3,
                "{names:?}"
            );
            assert!(!names.key_vault.contains("--"), "{names:?}");
            assert!(names.namespace.len() <= 63);
        }
    }

    #[test]
    fn names_depend_on_the_name_alone_and_are_stable() {
        assert_eq!(
            Names::for_site("acme-learning"),
            Names::for_site("acme-learning")
        );
        assert_eq!(
            Names::for_site("acme-learning").storage_account,
            "stacmelearning80aa26e0"
        );
        assert_ne!(
            Names::for_site("northwind-academy-one").storage_account,
            Names::for_site("northwind-academy-two").storage_account
        );
    }

    #[test]
    fn feature_names_become_camel_case() {
        assert_eq!(camel("custom-domain"), "customDomain");
        assert_eq!(camel("sso"), "sso");
    }
}

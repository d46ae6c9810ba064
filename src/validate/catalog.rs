//! The tier catalog (`blueprints/tiers.yaml`): every tier rule the policy
//! layer applies, read from a file operators may edit.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Problem};
use crate::source::load::{self, Source};
use crate::source::locate::{self, Segment};
use crate::source::tree::Tree;
use crate::spec::quantity::Quantity;
use crate::spec::{Currency, Deployment, Feature, Resources, Tier};
use crate::validate::schema::Schema;

/// Where the catalog lives under the blueprints folder.
pub const CATALOG_FILE: &str = "tiers.yaml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Catalog {
    pub api_version: String,
    pub kind: String,
    pub tiers: BTreeMap<Tier, TierPolicy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TierPolicy {
    pub description: String,
    pub deployments: Vec<Deployment>,
    pub features: Vec<Feature>,
    #[serde(default, skip_serializing_if = "Resources::is_empty")]
    pub caps: Resources,
    pub seats: SeatCap,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial_window: Option<TrialPolicy>,
    /// Self-service signups: the trial tier's only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signup: Option<SignupPolicy>,
    pub license: LicenseRule,
    pub extensions: bool,
    pub defaults: TierDefaults,
    pub price: Price,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeatCap {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_license: Option<bool>,
}

/// What bounds `sitectl trial create`: read from the catalog, never code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SignupPolicy {
    pub per_domain_per_day: u32,
    pub max_live_trials: u32,
    /// The first is the default.
    pub regions: Vec<String>,
    #[serde(default)]
    pub refused_domains: Vec<String>,
    #[serde(default)]
    pub reserved_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrialPolicy {
    pub max_days: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LicenseRule {
    Required,
    Optional,
    Forbidden,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TierDefaults {
    pub replicas: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backups: Option<Backups>,
    pub resources: Resources,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Backups {
    pub schedule: String,
    pub retention_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Price {
    pub model: PriceModel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PriceModel {
    Free,
    PerSeatMonthly,
    Negotiated,
}

impl Catalog {
    pub fn tier(&self, tier: Tier) -> &TierPolicy {
        // The catalog's schema requires every tier, so this cannot miss.
        &self.tiers[&tier]
    }

    /// Tiers that allow `deployment`, in catalog order.
    pub fn tiers_allowing_deployment(&self, deployment: Deployment) -> Vec<Tier> {
        self.tiers
            .iter()
            .filter(|(_, p)| p.deployments.contains(&deployment))
            .map(|(t, _)| *t)
            .collect()
    }

    /// Tiers that allow `feature`, in catalog order.
    pub fn tiers_allowing_feature(&self, feature: Feature) -> Vec<Tier> {
        self.tiers
            .iter()
            .filter(|(_, p)| p.features.contains(&feature))
            .map(|(t, _)| *t)
            .collect()
    }
}

/// A catalog that is well-formed but contradicts itself.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CatalogError {
    #[error("the default {resource} of tier `{tier}` ({value}) is above its cap ({cap})")]
    DefaultAboveCap {
        tier: Tier,
        resource: &'static str,
        value: Quantity,
        cap: Quantity,
    },
    #[error("the signup region `{region}` is no region of Azure or AWS a site can run in")]
    UnknownSignupRegion {
        region: String,
        suggestion: Option<String>,
    },
    #[error("cannot decode the tier catalog: {0}")]
    Decode(String),
}

impl Problem for CatalogError {
    fn code(&self) -> &'static str {
        match self {
            CatalogError::DefaultAboveCap { .. } => "catalog-default-above-cap",
            CatalogError::UnknownSignupRegion { .. } => "catalog-unknown-signup-region",
            CatalogError::Decode(_) => "catalog-decode",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            CatalogError::DefaultAboveCap { .. } => {
                Some("lower the default or raise the cap in the tier catalog".into())
            }
            CatalogError::UnknownSignupRegion { suggestion, .. } => Some(match suggestion {
                Some(near) => format!("did you mean `{near}`?"),
                None => {
                    "name a region of schemas/site.schema.json (`sitectl schema` prints it)".into()
                }
            }),
            CatalogError::Decode(_) => None,
        }
    }
}

/// The catalog, or every diagnostic about it, with its source for snippets.
pub struct LoadedCatalog {
    pub source: Option<Source>,
    pub catalog: Result<Catalog, Vec<Diagnostic>>,
}

/// Reads and checks `<blueprints>/tiers.yaml` the way specs are checked.
pub fn load(blueprints: &Path) -> LoadedCatalog {
    load_in(&Tree::Disk, blueprints)
}

/// [`load`] from `tree`.
pub fn load_in(tree: &Tree, blueprints: &Path) -> LoadedCatalog {
    let source = match load::read_source_in(tree, &blueprints.join(CATALOG_FILE)) {
        Ok(source) => source,
        Err(diagnostic) => {
            return LoadedCatalog {
                source: None,
                catalog: Err(vec![diagnostic]),
            };
        }
    };
    let document = match load::parse_source(source) {
        Ok(document) => document,
        Err((source, diagnostics)) => {
            return LoadedCatalog {
                source: Some(source),
                catalog: Err(diagnostics),
            };
        }
    };
    let diagnostics = Schema::tiers().check(&document);
    if !diagnostics.is_empty() {
        return LoadedCatalog {
            source: Some(document.source),
            catalog: Err(diagnostics),
        };
    }
    let name = document.source.name.clone();
    let catalog = match serde_json::from_value::<Catalog>(document.root.to_json()) {
        Ok(catalog) => catalog,
        Err(error) => {
            let problem = CatalogError::Decode(error.to_string());
            let diagnostic = Diagnostic::error(name, Some(document.root.span), &problem);
            return LoadedCatalog {
                source: Some(document.source),
                catalog: Err(vec![diagnostic]),
            };
        }
    };
    let mut diagnostics = Vec::new();
    for (tier, policy) in &catalog.tiers {
        for ((resource, default), (_, cap)) in policy
            .defaults
            .resources
            .entries()
            .into_iter()
            .zip(policy.caps.entries())
        {
            if let (Some(value), Some(cap)) = (default, cap)
                && value.exceeds(cap)
            {
                let path =
                    Segment::parse_pointer(&format!("/tiers/{tier}/defaults/resources/{resource}"));
                let span = locate::value_span(&document.root, &path);
                let problem = CatalogError::DefaultAboveCap {
                    tier: *tier,
                    resource,
                    value: value.clone(),
                    cap: cap.clone(),
                };
                diagnostics.push(Diagnostic::error(name.clone(), Some(span), &problem));
            }
        }
    }
    // A signup region no site can run in would refuse every signup that
    // takes the default: said here, where it is written.
    let schema = crate::validate::schema::Schema::site();
    let known: Vec<&str> = [crate::spec::Cloud::Azure, crate::spec::Cloud::Aws]
        .into_iter()
        .flat_map(|cloud| schema.regions_of(cloud))
        .collect();
    for (tier, policy) in &catalog.tiers {
        let Some(signup) = &policy.signup else {
            continue;
        };
        for (index, region) in signup.regions.iter().enumerate() {
            if known.contains(&region.as_str()) {
                continue;
            }
            let path = Segment::parse_pointer(&format!("/tiers/{tier}/signup/regions/{index}"));
            let span = locate::value_span(&document.root, &path);
            let problem = CatalogError::UnknownSignupRegion {
                region: region.clone(),
                suggestion: crate::diagnostic::words::did_you_mean(region, known.iter().copied())
                    .map(str::to_string),
            };
            diagnostics.push(Diagnostic::error(name.clone(), Some(span), &problem));
        }
    }
    let catalog = if diagnostics.is_empty() {
        Ok(catalog)
    } else {
        Err(diagnostics)
    };
    LoadedCatalog {
        source: Some(document.source),
        catalog,
    }
}

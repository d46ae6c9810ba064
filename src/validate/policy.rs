//! The validate stage's tier policy layer: what each tier allows, read from
//! the tier catalog and never from code.

use crate::diagnostic::words::one_of;
use crate::diagnostic::{Diagnostic, Problem};
use crate::source::load::Document;
use crate::source::locate::{self, Segment};
use crate::spec::quantity::Quantity;
use crate::spec::{Deployment, Feature, Site, Tier};
use crate::validate::catalog::{Catalog, LicenseRule};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("tier `{tier}` does not allow deployment `{deployment}`")]
    DeploymentNotAllowed {
        tier: Tier,
        deployment: Deployment,
        allowed: Vec<Deployment>,
        tiers: Vec<Tier>,
    },
    #[error("feature `{feature}` is not available on tier `{tier}`")]
    FeatureNotAllowed {
        tier: Tier,
        feature: Feature,
        allowed: Vec<Feature>,
        tiers: Vec<Tier>,
    },
    #[error("{resource} `{value}` is above the `{tier}` tier's cap of `{cap}`")]
    AboveCap {
        tier: Tier,
        resource: &'static str,
        value: Quantity,
        cap: Quantity,
    },
    #[error("{seats} seats is more than tier `{tier}` allows ({max} at most)")]
    TooManySeats { tier: Tier, seats: u32, max: u32 },
    #[error("{seats} seats is more than the license grants ({licensed})")]
    SeatsAboveLicense { seats: u32, licensed: u32 },
    #[error("a {days}-day trial is longer than tier `{tier}` allows ({max} days at most)")]
    TrialTooLong { tier: Tier, days: u32, max: u32 },
    #[error("tier `{tier}` requires a license")]
    LicenseRequired { tier: Tier },
    #[error("tier `{tier}` does not take a license")]
    LicenseNotAllowed { tier: Tier },
    #[error("tier `{tier}` does not allow extensions (a custom image, configuration or blueprint)")]
    ExtensionsNotAllowed { tier: Tier, tiers: Vec<Tier> },
}

impl Problem for PolicyError {
    fn code(&self) -> &'static str {
        match self {
            PolicyError::DeploymentNotAllowed { .. } => "policy-deployment",
            PolicyError::FeatureNotAllowed { .. } => "policy-feature",
            PolicyError::AboveCap { .. } => "policy-resource-cap",
            PolicyError::TooManySeats { .. } | PolicyError::SeatsAboveLicense { .. } => {
                "policy-seats"
            }
            PolicyError::TrialTooLong { .. } => "policy-trial-window",
            PolicyError::LicenseRequired { .. } | PolicyError::LicenseNotAllowed { .. } => {
                "policy-license"
            }
            PolicyError::ExtensionsNotAllowed { .. } => "policy-extensions",
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            PolicyError::DeploymentNotAllowed { tier, deployment, allowed, tiers } => format!(
                "tier `{tier}` allows {}; `{deployment}` needs tier {}",
                or_none(allowed),
                or_none(tiers)
            ),
            PolicyError::FeatureNotAllowed { tier, feature, allowed, tiers } => format!(
                "tier `{tier}` allows {}; `{feature}` needs tier {}",
                or_nothing(allowed),
                or_none(tiers)
            ),
            PolicyError::AboveCap { cap, .. } => {
                format!("lower it to `{cap}` or less, or move the site to a larger tier")
            }
            PolicyError::TooManySeats { max, .. } => {
                format!("lower `seats` to {max} or less, or move the site to a larger tier")
            }
            PolicyError::SeatsAboveLicense { licensed, .. } => {
                format!("lower `seats` to {licensed} or less, or raise `license.seats`")
            }
            PolicyError::TrialTooLong { max, .. } => format!("shorten the trial to {max} days or less"),
            PolicyError::LicenseRequired { .. } => {
                "add the negotiated license: `license: {seats: 500, start: 2026-01-01, end: 2027-12-31, annualPrice: 90000}`".into()
            }
            PolicyError::LicenseNotAllowed { .. } => {
                "remove `license`: this tier is priced from the catalog".into()
            }
            PolicyError::ExtensionsNotAllowed { tiers, .. } => {
                format!("remove `extensions`, or move the site to tier {}", or_none(tiers))
            }
        })
    }
}

fn or_none<T: std::fmt::Display>(items: &[T]) -> String {
    let names: Vec<String> = items.iter().map(ToString::to_string).collect();
    if names.is_empty() {
        "(none in the catalog)".into()
    } else {
        one_of(&names)
    }
}

fn or_nothing<T: std::fmt::Display>(items: &[T]) -> String {
    let names: Vec<String> = items.iter().map(ToString::to_string).collect();
    if names.is_empty() {
        "no features".into()
    } else {
        one_of(&names)
    }
}

/// Every way `site` breaks the rules of its tier.
pub fn check(document: &Document, site: &Site, catalog: &Catalog) -> Vec<Diagnostic> {
    let spec = &site.spec;
    let tier = spec.tier;
    let policy = catalog.tier(tier);
    let mut found: Vec<(String, PolicyError)> = Vec::new();
    let mut missing: Vec<PolicyError> = Vec::new();

    if !policy.deployments.contains(&spec.deployment) {
        found.push((
            "/spec/deployment".into(),
            PolicyError::DeploymentNotAllowed {
                tier,
                deployment: spec.deployment,
                allowed: policy.deployments.clone(),
                tiers: catalog.tiers_allowing_deployment(spec.deployment),
            },
        ));
    }
    for (i, feature) in spec.features.iter().enumerate() {
        if !policy.features.contains(feature) {
            found.push((
                format!("/spec/features/{i}"),
                PolicyError::FeatureNotAllowed {
                    tier,
                    feature: *feature,
                    allowed: policy.features.clone(),
                    tiers: catalog.tiers_allowing_feature(*feature),
                },
            ));
        }
    }
    for ((resource, value), (_, cap)) in spec
        .resources
        .entries()
        .into_iter()
        .zip(policy.caps.entries())
    {
        if let (Some(value), Some(cap)) = (value, cap)
            && value.exceeds(cap)
        {
            found.push((
                format!("/spec/resources/{resource}"),
                PolicyError::AboveCap {
                    tier,
                    resource,
                    value: value.clone(),
                    cap: cap.clone(),
                },
            ));
        }
    }
    if let Some(max) = policy.seats.max
        && spec.seats > max
    {
        found.push((
            "/spec/seats".into(),
            PolicyError::TooManySeats {
                tier,
                seats: spec.seats,
                max,
            },
        ));
    }
    if policy.seats.from_license == Some(true)
        && let Some(license) = &spec.license
        && spec.seats > license.seats
    {
        found.push((
            "/spec/seats".into(),
            PolicyError::SeatsAboveLicense {
                seats: spec.seats,
                licensed: license.seats,
            },
        ));
    }
    // Which tier carries a trial window is fixed by the two schemas (the
    // `trial` tier, and only it); how long it may be is the catalog's.
    if let (Some(window), Some(trial)) = (&policy.trial_window, &spec.trial)
        && trial.days > window.max_days
    {
        found.push((
            "/spec/trial/days".into(),
            PolicyError::TrialTooLong {
                tier,
                days: trial.days,
                max: window.max_days,
            },
        ));
    }
    match (policy.license, &spec.license) {
        (LicenseRule::Required, None) => missing.push(PolicyError::LicenseRequired { tier }),
        (LicenseRule::Forbidden, Some(_)) => {
            found.push((
                "/spec/license".into(),
                PolicyError::LicenseNotAllowed { tier },
            ));
        }
        _ => {}
    }
    if !policy.extensions {
        let refused = [
            ("/spec/blueprint", spec.blueprint.is_some()),
            ("/spec/extensions", spec.extensions.is_some()),
        ];
        for (pointer, _) in refused.into_iter().filter(|(_, present)| *present) {
            let tiers = catalog
                .tiers
                .iter()
                .filter(|(_, p)| p.extensions)
                .map(|(t, _)| *t)
                .collect();
            found.push((
                pointer.into(),
                PolicyError::ExtensionsNotAllowed { tier, tiers },
            ));
        }
    }

    let name = &document.source.name;
    let spec_path = Segment::parse_pointer("/spec");
    found
        .into_iter()
        .map(|(pointer, error)| {
            let path = Segment::parse_pointer(&pointer);
            // A block the tier refuses is pointed at by its key, a value by itself.
            let span = match (&error, path.last()) {
                (
                    PolicyError::LicenseNotAllowed { .. }
                    | PolicyError::ExtensionsNotAllowed { .. },
                    Some(Segment::Key(key)),
                ) => locate::key_span(&document.root, &spec_path, key),
                _ => locate::value_span(&document.root, &path),
            };
            Diagnostic::error(name.clone(), Some(span), &error)
        })
        .chain(missing.into_iter().map(|error| {
            Diagnostic::error(
                name.clone(),
                Some(locate::missing_key_span(&document.root, &spec_path)),
                &error,
            )
        }))
        .collect()
}

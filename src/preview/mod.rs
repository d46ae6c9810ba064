//! `sitectl preview`: a site built from flags (no file, no cloud), checked by
//! the real validator, rendered in memory through its blueprint, and summed
//! up for a sales engineer: resources per target, who does what, the tier's
//! limits, the list price and every generated file.

pub mod flags;
pub mod html;
pub mod resources;
mod text;

pub use text::text;

use std::path::Path;

use crate::diagnostic::Diagnostics;
use crate::preview::flags::{Built, Inputs, SpecError};
pub use crate::preview::resources::Resource;
use crate::render::blueprint::{Blueprint, Responsibilities};
use crate::render::engine::RenderedFile;
use crate::render::pipeline::render_checked;
use crate::render::target::Target;
use crate::spec::{Feature, Site};
use crate::validate::catalog::{Backups, Catalog, PriceModel};
use crate::validate::{self, Specs, ValidSite};

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("the site these flags describe is invalid")]
    Invalid(Box<Diagnostics>),
}

impl PreviewError {
    pub fn exit_code(&self) -> u8 {
        match self {
            PreviewError::Spec(_) => 2,
            PreviewError::Invalid(_) => 1,
        }
    }
}

/// Everything a preview shows, in a stable order.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The command line, as a shell would take it back.
    pub command: String,
    pub site: Site,
    /// The spec the flags built, as `sitectl new` would write it.
    pub spec_text: String,
    pub blueprint: String,
    pub blueprint_description: String,
    pub limits: Limits,
    pub price: Price,
    pub responsibilities: Option<Responsibilities>,
    /// Rendered targets and what each is for, in blueprint order.
    pub targets: Vec<(Target, String)>,
    pub resources: Vec<Resource>,
    /// `(kind, description)` of what holds the site's data: the
    /// blueprint's data resources that this render creates.
    pub data_tier: Vec<(String, String)>,
    pub files: Vec<RenderedFile>,
}

/// The tier's rules as they apply to this site.
#[derive(Debug, Clone)]
pub struct Limits {
    pub tier_description: String,
    pub seats: u32,
    /// `at most 25`, or what the license grants.
    pub seat_rule: String,
    /// `start`, `days`, first day not covered, the tier's longest trial.
    pub trial: Option<(String, u32, String, u32)>,
    /// `(resource, the site's value, the tier's cap)`.
    pub resources: Vec<(&'static str, String, Option<String>)>,
    pub replicas: u32,
    pub backups: Option<Backups>,
    pub features_on: Vec<String>,
    pub features_allowed: Vec<String>,
    /// Features of higher tiers, with the tiers that allow each.
    pub features_locked: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Price {
    Monthly {
        amount: f64,
        currency: String,
        basis: String,
    },
    /// An enterprise preview without `--set spec.license.annualPrice=...`.
    Negotiated,
}

impl Price {
    pub fn headline(&self) -> String {
        match self {
            Price::Monthly {
                amount, currency, ..
            } => format!("{amount:.2} {currency} per month"),
            Price::Negotiated => "negotiated".into(),
        }
    }

    pub fn basis(&self) -> String {
        match self {
            Price::Monthly { basis, .. } => basis.clone(),
            Price::Negotiated => {
                "enterprise license: pass --set spec.license.annualPrice=AMOUNT for an estimate"
                    .into()
            }
        }
    }
}

/// Builds, validates and renders the site the flags describe, through the
/// same pipeline as `sitectl render`, in memory.
pub fn preview(inputs: &Inputs<'_>, blueprints: &Path) -> Result<Preview, PreviewError> {
    let catalog = validate::load_catalog(blueprints)
        .map_err(|diagnostics| PreviewError::Invalid(Box::new(diagnostics)))?;
    let built = flags::build(inputs, &catalog)?;
    // A preview deploys nothing: its byoi site keeps the placeholder IDs.
    let checked = validate::validate_specs_against(
        Specs::Sources(vec![built.source.clone()]),
        catalog.clone(),
        validate::Placeholders::Allowed,
    );
    if !checked.diagnostics.is_empty() {
        // Every diagnostic moved onto the command line, all of them at once.
        let mut moved = Diagnostics {
            list: checked
                .diagnostics
                .list
                .iter()
                .map(|d| built.on_command_line(d))
                .collect(),
            files: 1,
            ..Diagnostics::default()
        };
        moved.add_source(flags::COMMAND_LINE, built.command.text.clone());
        return Err(PreviewError::Invalid(Box::new(moved.sorted())));
    }
    let rendered =
        render_checked(checked, blueprints, None, &|_, _| {}).map_err(|mut diagnostics| {
            // What the spec cannot render with (its blueprint, a target) was
            // set by a flag; a template's own error stays in the template.
            for diagnostic in &mut diagnostics.list {
                if diagnostic.file == built.source.name {
                    diagnostic.file = flags::COMMAND_LINE.to_string();
                    diagnostic.span = None;
                }
            }
            PreviewError::Invalid(diagnostics)
        })?;
    let valid = rendered.valid.first().cloned().expect("one spec rendered");
    let blueprint = rendered
        .blueprint_of(&valid)
        .cloned()
        .expect("a rendered site has its blueprint");
    Ok(summarise(
        &built,
        valid,
        &catalog,
        &blueprint,
        rendered.files,
        blueprints,
    ))
}

fn summarise(
    built: &Built,
    valid: ValidSite,
    catalog: &Catalog,
    blueprint: &Blueprint,
    files: Vec<RenderedFile>,
    blueprints: &Path,
) -> Preview {
    let site = valid.site;
    let spec = &site.spec;
    let policy = catalog.tier(spec.tier);
    let resolved =
        crate::render::resolve::resolve(&site, catalog, &built.source.name, &blueprint.name);
    let caps = policy.caps.entries();
    let resources = [
        ("cpu", &resolved.tier.resources.cpu),
        ("memory", &resolved.tier.resources.memory),
        ("storage", &resolved.tier.resources.storage),
    ]
    .into_iter()
    .zip(caps)
    .map(|((name, value), (_, cap))| (name, value.clone(), cap.map(|c| c.0.clone())))
    .collect();
    let seat_rule = match (policy.seats.max, &spec.license) {
        (Some(max), _) => format!("at most {max} on this tier"),
        (None, Some(license)) => format!("the license grants {}", license.seats),
        (None, None) => "no cap".into(),
    };
    let limits = Limits {
        tier_description: policy.description.clone(),
        seats: spec.seats,
        seat_rule,
        trial: spec.trial.as_ref().map(|t| {
            (
                t.start.0.clone(),
                t.days,
                t.end().map(|d| d.to_string()).unwrap_or_default(),
                policy.trial_window.as_ref().map_or(t.days, |w| w.max_days),
            )
        }),
        resources,
        replicas: policy.defaults.replicas,
        backups: policy.defaults.backups.clone(),
        features_on: spec.features.iter().map(ToString::to_string).collect(),
        features_allowed: policy.features.iter().map(ToString::to_string).collect(),
        features_locked: Feature::ALL
            .iter()
            .filter(|f| !policy.features.contains(f))
            .map(|f| {
                let tiers = catalog.tiers_allowing_feature(*f);
                (
                    f.to_string(),
                    tiers.iter().map(ToString::to_string).collect(),
                )
            })
            .collect(),
    };
    let price = match (&spec.license, policy.price.model) {
        (Some(license), _) if license.annual_price <= 0.0 => Price::Negotiated,
        (None, PriceModel::Negotiated) => Price::Negotiated,
        _ => {
            let (amount, currency) = crate::fleet::inventory::monthly_price(spec, catalog);
            let basis = match (&spec.license, policy.price.model) {
                (Some(license), _) => format!(
                    "license of {:.2} {currency} a year, over 12 months",
                    license.annual_price
                ),
                (None, PriceModel::PerSeatMonthly) => format!(
                    "{} seats × {:.2} {currency} per seat per month",
                    spec.seats,
                    policy.price.amount.unwrap_or(0.0)
                ),
                (None, _) => format!("tier `{}` is free", spec.tier),
            };
            Price::Monthly {
                amount,
                currency,
                basis,
            }
        }
    };
    let manifest = &blueprint.manifest;
    let mut targets: Vec<(Target, String)> = Vec::new();
    for file in &files {
        if !targets.iter().any(|(t, _)| *t == file.target) {
            let description = manifest
                .targets
                .get(&file.target)
                .map(|t| t.description.clone())
                .unwrap_or_default();
            targets.push((file.target, description));
        }
    }
    let chart = resources::chart_templates(&crate::render::blueprint::chart(blueprints));
    let resources: Vec<Resource> = files
        .iter()
        .flat_map(|file| resources::resources_of(file, blueprint, &chart))
        .collect();
    let data_tier = manifest
        .data_resources
        .iter()
        // Resources that hold data carry their data resource's description.
        .filter(|d| {
            resources
                .iter()
                .any(|r| r.holds_data && r.description == d.description)
        })
        .map(|d| (d.kind.clone(), d.description.clone()))
        .collect();
    Preview {
        command: built.command.text.clone(),
        spec_text: built.source.text.clone(),
        blueprint: blueprint.name.clone(),
        blueprint_description: manifest.description.clone(),
        limits,
        price,
        responsibilities: manifest.responsibilities.clone(),
        targets,
        resources,
        data_tier,
        files,
        site,
    }
}

/// A byte count for people: `812 B`, `4.2 KiB`.
pub fn size(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

/// Where a rendered file goes under `--out`.
pub fn file_path(file: &RenderedFile) -> String {
    format!("{}/{}/{}", file.site, file.target, file.output)
}

impl Preview {
    /// `(resource, value, cap)` as one line: `cpu 500m (cap 1)`.
    pub fn resource_line(&self) -> String {
        self.limits
            .resources
            .iter()
            .map(|(name, value, cap)| match cap {
                Some(cap) => format!("{name} {value} (cap {cap})"),
                None => format!("{name} {value}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn backups_line(&self) -> String {
        match &self.limits.backups {
            Some(b) => format!("{}, kept {} days", b.schedule, b.retention_days),
            None => "none".into(),
        }
    }

    pub fn trial_line(&self) -> Option<String> {
        self.limits.trial.as_ref().map(|(start, days, end, max)| {
            format!("{days} days from {start}, ends {end} (this tier allows {max} days at most)")
        })
    }

    pub fn locked_line(&self) -> String {
        self.limits
            .features_locked
            .iter()
            .map(|(f, tiers)| format!("{f} ({})", tiers.join(", ")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_count() {
        assert_eq!(size(812), "812 B");
        assert_eq!(size(4300), "4.2 KiB");
    }
}

//! `sitectl preview`: a site built from flags (no file, no cloud), checked by
//! the real validator, rendered in memory through its blueprint, and summed
//! up for a sales engineer: resources per target, who does what, the tier's
//! limits, the list price and every generated file.

pub mod compare;
pub mod flags;
pub mod html;
pub mod resources;
mod text;

pub use text::text;

use std::path::Path;

use crate::diagnostic::Diagnostics;
use crate::preview::flags::{Built, Inputs, SpecError};
pub use crate::preview::resources::Resource;
use crate::render::blueprint::{Blueprint, Party, Responsibilities};
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
    /// Who backs up and on what schedule: the one source of the tier card,
    /// the limits table and the responsibilities' row.
    pub backups: BackupPolicy,
    pub price: Price,
    pub responsibilities: Option<Responsibilities>,
    /// Rendered targets and what each is for, in blueprint order.
    pub targets: Vec<(Target, String)>,
    pub resources: Vec<Resource>,
    /// `(kind, description)` of what holds the site's data: the
    /// blueprint's data resources that this render creates.
    pub data_tier: Vec<(String, String)>,
    pub files: Vec<RenderedFile>,
    /// Where the customer's users reach the site (`https://...`), when the
    /// output names it.
    pub address: Option<String>,
    /// The day the preview was made, and the last day its list price holds
    /// (the command sets it; 30 days by default).
    pub prepared: jiff::civil::Date,
    pub valid_until: jiff::civil::Date,
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

/// Who backs up a site's data, from its blueprint's responsibilities and
/// its tier's schedule taken together, so that no two places disagree.
#[derive(Debug, Clone, PartialEq)]
pub enum BackupPolicy {
    /// We do (alone or with the customer), on the tier's schedule.
    Ours(Backups),
    /// We would, but the tier keeps none (a trial).
    NoneOnThisTier,
    /// The data lives with the customer, who backs it up by its own policy.
    Customers,
    /// We and the customer together, on the tier's schedule.
    Shared(Backups),
    /// The blueprint does not say who does (it states no responsibilities).
    Unstated,
}

impl BackupPolicy {
    fn of(responsibilities: Option<&Responsibilities>, tier: Option<&Backups>) -> BackupPolicy {
        let Some(r) = responsibilities else {
            return BackupPolicy::Unstated;
        };
        match (r.backs_up.who, tier) {
            (Party::Customer, _) => BackupPolicy::Customers,
            (_, None) => BackupPolicy::NoneOnThisTier,
            (Party::Us, Some(backups)) => BackupPolicy::Ours(backups.clone()),
            (Party::Shared, Some(backups)) => BackupPolicy::Shared(backups.clone()),
        }
    }
}

/// A responsibility as shown: what, who (`we do`, `customer`, ...), what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duty {
    pub what: &'static str,
    pub who: String,
    /// The CSS class of the party: `us`, `customer`, `shared`, `nobody`.
    pub party: &'static str,
    pub note: String,
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
            } => format!("{} per month", money(*amount, currency)),
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
        inputs.today,
        &built,
        valid,
        &catalog,
        &blueprint,
        rendered.files,
        blueprints,
    ))
}

fn summarise(
    prepared: jiff::civil::Date,
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
                    "license of {} a year, over 12 months",
                    money(license.annual_price, &currency)
                ),
                (None, PriceModel::PerSeatMonthly) => format!(
                    "{} seats × {} per seat per month",
                    spec.seats,
                    money(policy.price.amount.unwrap_or(0.0), &currency)
                ),
                (None, _) => format!("the {} tier is free", spec.tier),
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
    // The site's address as its Helm values name it (`.invalid` is the
    // output's way of saying none is known), else the spec's domain.
    let address = crate::output::inspect::site_host(&files)
        .or_else(|| spec.domain.clone())
        .map(|host| format!("https://{host}"));
    let backups = BackupPolicy::of(
        manifest.responsibilities.as_ref(),
        policy.defaults.backups.as_ref(),
    );
    Preview {
        command: built.command.text.clone(),
        backups,
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
        address,
        prepared,
        valid_until: prepared
            .checked_add(jiff::Span::new().days(30))
            .unwrap_or(prepared),
    }
}

/// An amount of money for people: thousands grouped, the currency's minor
/// unit (none for yen and won), its code after: `20,000.00 EUR`, `1,500 JPY`.
pub fn money(amount: f64, currency: &str) -> String {
    let decimals = match currency {
        "JPY" | "KRW" | "ISK" | "CLP" | "VND" => 0,
        _ => 2,
    };
    let fixed = format!("{:.*}", decimals, amount.abs());
    let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if amount < 0.0 { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{grouped} {currency}")
    } else {
        format!("{sign}{grouped}.{fraction} {currency}")
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
        match &self.backups {
            BackupPolicy::Ours(b) => {
                format!("{}, kept {} days, by us", b.schedule, b.retention_days)
            }
            BackupPolicy::NoneOnThisTier => "none on this tier".into(),
            BackupPolicy::Customers => {
                "by the customer, on its own schedule: the data lives in its environment".into()
            }
            BackupPolicy::Shared(b) => format!(
                "{}, kept {} days, shared with the customer",
                b.schedule, b.retention_days
            ),
            BackupPolicy::Unstated => "not stated by the blueprint".into(),
        }
    }

    /// Where the site runs, when that is ours to say: a self-hosted site
    /// runs wherever the customer puts it.
    pub fn region(&self) -> Option<&str> {
        (self.site.spec.deployment != crate::spec::Deployment::Selfhosted)
            .then_some(self.site.spec.region.as_str())
    }

    /// The blueprint's responsibilities as shown, with the backups' row
    /// made to agree with the tier: a tier without backups has nobody
    /// backing up, whatever the blueprint would do.
    pub fn duties(&self) -> Vec<Duty> {
        let Some(r) = &self.responsibilities else {
            return Vec::new();
        };
        r.duties()
            .into_iter()
            .map(|(what, duty)| {
                let (who, party) = match duty.who {
                    Party::Us => ("we do", "us"),
                    Party::Customer => ("customer", "customer"),
                    Party::Shared => ("shared", "shared"),
                };
                let mut shown = Duty {
                    what,
                    who: who.into(),
                    party,
                    note: duty.note.clone(),
                };
                if std::ptr::eq(duty, &r.backs_up) {
                    match &self.backups {
                        BackupPolicy::NoneOnThisTier => {
                            shown.who = "nobody".into();
                            shown.party = "nobody";
                            shown.note = format!(
                                "The {} tier keeps no backups; a paid tier backs up the database and files.",
                                self.site.spec.tier
                            );
                        }
                        BackupPolicy::Ours(b) | BackupPolicy::Shared(b) => {
                            shown.note = format!(
                                "{} ({}, kept {} days).",
                                duty.note.trim_end_matches('.'),
                                b.schedule,
                                b.retention_days
                            )
                            .replace(" (see the tier's backups)", "");
                        }
                        BackupPolicy::Customers | BackupPolicy::Unstated => {}
                    }
                }
                shown
            })
            .collect()
    }

    pub fn trial_line(&self) -> Option<String> {
        self.limits.trial.as_ref().map(|(start, days, end, max)| {
            format!("{days} days from {start}, ends {end} (this tier allows {max} days at most)")
        })
    }

    /// What the price is: a list price for a catalog tier, the license's
    /// for a negotiated one.
    pub fn price_status(&self) -> &'static str {
        match (&self.price, &self.site.spec.license) {
            (Price::Negotiated, _) => "price to be negotiated",
            (_, Some(_)) => "an estimate from the license price given, not a quote",
            (_, None) => "list price, not a quote",
        }
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

    #[test]
    fn money_groups_thousands_in_the_currencys_unit() {
        assert_eq!(money(20000.0, "EUR"), "20,000.00 EUR");
        assert_eq!(money(1234567.891, "USD"), "1,234,567.89 USD");
        assert_eq!(money(999.5, "GBP"), "999.50 GBP");
        assert_eq!(money(150000.0, "JPY"), "150,000 JPY");
        assert_eq!(money(0.0, "USD"), "0.00 USD");
    }
}

//! `sitectl new`: a spec that validates, with comments that teach its fields.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use jiff::civil::Date;

use crate::diagnostic::Diagnostics;
use crate::diagnostic::words::one_of;
use crate::render::escape::yaml_string as quoted;
use crate::source::discover;
use crate::source::load::{self, Source, display_name};
use crate::source::tree::lexical;
use crate::spec::{Cloud, Deployment, Tier};
use crate::validate::catalog::{Catalog, LicenseRule};
use crate::validate::schema::Schema;
use crate::validate::{self, Specs};

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(
        "invalid site name `{0}`: use lowercase letters, digits and hyphens, start with a letter, end with a letter or digit, at most 40 characters"
    )]
    BadName(String),
    #[error("tier `{tier}` does not allow deployment `{deployment}` (it allows {allowed})")]
    NotAllowed {
        tier: Tier,
        deployment: Deployment,
        allowed: String,
    },
    #[error("{cloud} does not host deployment `{deployment}` (it hosts {hosted})")]
    CloudDoesNotHost {
        cloud: Cloud,
        deployment: Deployment,
        hosted: String,
    },
    #[error("unknown {cloud} region `{region}`{}; allowed: {allowed}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    BadRegion {
        cloud: Cloud,
        region: String,
        suggestion: Option<String>,
        allowed: String,
    },
    #[error("{0} already exists; `sitectl new` never overwrites a spec")]
    Exists(String),
    #[error("site name `{name}` is already used by {other}; site names are unique across the tree")]
    NameTaken { name: String, other: String },
    #[error(
        "no spec under {0} to take the app version from: pass --app-version, e.g. --app-version 2026.11.1"
    )]
    NoAppVersion(String),
    #[error("cannot write {path}: {message}")]
    Io { path: String, message: String },
    #[error("the spec could not be generated")]
    Invalid(Box<Diagnostics>),
    #[error(
        "a byoi site deploys into the customer's Azure subscription: pass {}, the customer's IDs (the Azure portal shows them: tenant and subscription under Subscriptions, the service principal's client and object IDs under Enterprise applications)",
        crate::diagnostic::words::all_of(.0)
    )]
    MissingIds(Vec<&'static str>),
    #[error(
        "{}: the customer's Azure IDs are for a byoi site only; this one is {deployment}",
        crate::diagnostic::words::all_of(flags)
    )]
    IdsWithoutByoi {
        flags: Vec<&'static str>,
        deployment: Deployment,
    },
}

impl ScaffoldError {
    pub fn exit_code(&self) -> u8 {
        match self {
            ScaffoldError::BadName(_)
            | ScaffoldError::NoAppVersion(_)
            | ScaffoldError::NotAllowed { .. }
            | ScaffoldError::MissingIds(_)
            | ScaffoldError::IdsWithoutByoi { .. }
            | ScaffoldError::CloudDoesNotHost { .. }
            | ScaffoldError::BadRegion { .. } => 2,
            _ => 1,
        }
    }
}

/// What a new spec is to say; what it leaves out comes from the catalog.
#[derive(Debug, Clone)]
pub struct NewSite {
    /// A DNS label; the file is `<dir>/<name>.yaml`.
    pub name: String,
    pub tier: Tier,
    pub deployment: Deployment,
    /// The folder to write into.
    pub dir: PathBuf,
    /// The customer's display name (default: the name).
    pub customer: Option<String>,
    /// The technical contact (default: `it@<name>.example`).
    pub contact: Option<String>,
    pub cloud: Cloud,
    pub region: String,
    /// The product release (default: the newest one used under `dir` or the specs folder).
    pub app_version: Option<String>,
    /// The customer's Azure IDs, which a byoi site needs.
    pub azure: AzureIds,
    /// `metadata.labels` (a signup's id), in key order.
    pub labels: std::collections::BTreeMap<String, String>,
}

pub use crate::spec::PLACEHOLDER_ID;

/// The customer's Azure IDs a byoi site deploys into, as the flags gave them.
#[derive(Debug, Clone, Default)]
pub struct AzureIds {
    pub tenant: Option<String>,
    pub subscription: Option<String>,
    pub client: Option<String>,
    pub object: Option<String>,
}

impl AzureIds {
    fn fields(&self) -> [(&'static str, &Option<String>); 4] {
        [
            ("--tenant-id", &self.tenant),
            ("--subscription-id", &self.subscription),
            ("--client-id", &self.client),
            ("--object-id", &self.object),
        ]
    }

    /// The flags given.
    pub fn given(&self) -> Vec<&'static str> {
        self.fields()
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(f, _)| *f)
            .collect()
    }

    /// The flags missing.
    pub fn missing(&self) -> Vec<&'static str> {
        self.fields()
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(f, _)| *f)
            .collect()
    }

    fn or_placeholder(value: &Option<String>) -> &str {
        value.as_deref().unwrap_or(PLACEHOLDER_ID)
    }
}

/// A spec `sitectl new` wrote.
pub struct Created {
    /// Its path, as diagnostics show it.
    pub display: String,
}

/// Writes a new spec for `args` into its folder, never over an existing
/// file; `specs` is the workspace's specs folder, across which names are unique.
pub fn create(
    args: &NewSite,
    specs: &Path,
    blueprints: &Path,
    today: Date,
) -> Result<Created, ScaffoldError> {
    if !super::names::is_dns_label(&args.name) {
        return Err(ScaffoldError::BadName(args.name.clone()));
    }
    let catalog = validate::load_catalog(blueprints)
        .map_err(|diagnostics| ScaffoldError::Invalid(Box::new(diagnostics)))?;
    let policy = catalog.tier(args.tier);
    if !policy.deployments.contains(&args.deployment) {
        return Err(ScaffoldError::NotAllowed {
            tier: args.tier,
            deployment: args.deployment,
            allowed: one_of(
                &policy
                    .deployments
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>(),
            ),
        });
    }
    let hosted = Schema::site().deployments_of(args.cloud);
    if !hosted.contains(&args.deployment.as_str()) {
        return Err(ScaffoldError::CloudDoesNotHost {
            cloud: args.cloud,
            deployment: args.deployment,
            hosted: one_of(&hosted),
        });
    }
    let regions = Schema::site().regions_of(args.cloud);
    if !regions.contains(&args.region.as_str()) {
        return Err(ScaffoldError::BadRegion {
            cloud: args.cloud,
            region: args.region.clone(),
            suggestion: crate::diagnostic::words::did_you_mean(
                &args.region,
                regions.iter().copied(),
            )
            .map(str::to_string),
            allowed: one_of(&regions),
        });
    }
    match args.deployment {
        Deployment::Byoi if !args.azure.missing().is_empty() => {
            return Err(ScaffoldError::MissingIds(args.azure.missing()));
        }
        Deployment::Byoi => {}
        other if !args.azure.given().is_empty() => {
            return Err(ScaffoldError::IdsWithoutByoi {
                flags: args.azure.given(),
                deployment: other,
            });
        }
        _ => {}
    }
    let path = args.dir.join(format!("{}.yaml", args.name));
    let display = display_name(&path);
    if path.exists() {
        return Err(ScaffoldError::Exists(display));
    }
    // Names are unique across the whole tree, `.yml` twins and sub-folders included.
    let (existing, _) = discover::discover(&[args.dir.clone(), specs.to_path_buf()]);
    if let Some(twin) = existing
        .iter()
        .find(|f| f.file_stem().is_some_and(|stem| stem == args.name.as_str()))
    {
        return Err(ScaffoldError::NameTaken {
            name: args.name.clone(),
            other: display_name(twin),
        });
    }
    let app_version = match &args.app_version {
        Some(version) => version.clone(),
        None => newest_app_version(&args.dir)
            .or_else(|| newest_app_version(specs))
            .ok_or_else(|| ScaffoldError::NoAppVersion(display_name(&args.dir)))?,
    };
    let schema = schema_reference(&args.dir, blueprints);
    let text = spec_text(args, &catalog, today, &app_version, &schema);

    let source = Source {
        path: path.clone(),
        name: display.clone(),
        text: text.clone(),
    };
    // Proven by the validator every spec goes through, before it is written.
    let checked = validate::validate_specs_against(
        Specs::Sources(vec![source]),
        catalog,
        validate::Placeholders::Refused,
    );
    if checked.error_count() > 0 {
        return Err(ScaffoldError::Invalid(Box::new(checked.diagnostics)));
    }
    crate::output::write::write_new(&path, &text).map_err(|error| match error.kind() {
        std::io::ErrorKind::AlreadyExists => ScaffoldError::Exists(display.clone()),
        _ => ScaffoldError::Io {
            path: display.clone(),
            message: error.to_string(),
        },
    })?;
    Ok(Created { display })
}

/// The newest `app.version` among the specs already in `dir`, so that a new
/// site starts on the release the rest of the fleet runs.
pub(crate) fn newest_app_version(dir: &Path) -> Option<String> {
    let (files, _) = discover::discover(&[dir.to_path_buf()]);
    files
        .iter()
        .filter_map(|file| load::read_source(file).ok())
        .filter_map(|source| load::parse_source(source).ok())
        .filter_map(|document| {
            let version = document
                .root
                .get("spec")?
                .get("app")?
                .get("version")?
                .to_json();
            let version = version.as_str()?.to_string();
            let key: Vec<u64> = version
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<_>>()?;
            Some((key, version))
        })
        .max()
        .map(|(_, version)| version)
}

/// The `$schema` reference from a spec in `dir` to the schema that sits
/// beside the blueprints folder (`<root>/schemas/site.schema.json`), as a
/// relative path wherever the command runs from.
fn schema_reference(dir: &Path, blueprints: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let from = lexical(&cwd.join(dir));
    let root = lexical(&cwd.join(blueprints));
    let target = root
        .parent()
        .unwrap_or(&root)
        .join("schemas/site.schema.json");
    let common = from
        .components()
        .zip(target.components())
        .take_while(|(a, b)| a == b)
        .count();
    let up = from.components().count() - common;
    let rest: Vec<String> = target
        .components()
        .skip(common)
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    format!("{}{}", "../".repeat(up), rest.join("/"))
}

pub(crate) fn spec_text(
    args: &NewSite,
    catalog: &Catalog,
    today: Date,
    app_version: &str,
    schema: &str,
) -> String {
    let name = &args.name;
    let tier = args.tier;
    let policy = catalog.tier(tier);
    let customer = args.customer.clone().unwrap_or_else(|| name.clone());
    let contact = args
        .contact
        .clone()
        .unwrap_or_else(|| format!("it@{name}.example"));
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# yaml-language-server: $schema={schema}");
    let _ = writeln!(w, "#");
    let _ = writeln!(
        w,
        "# Site spec for {name}, written by `sitectl new`. Edit it, then run"
    );
    let _ = writeln!(
        w,
        "# `sitectl validate`. Every field is described in schemas/site.schema.json;"
    );
    let _ = writeln!(w, "# what each tier allows is in blueprints/tiers.yaml.");
    let _ = writeln!(w, "apiVersion: sitectl/v1");
    let _ = writeln!(w, "kind: Site");
    let _ = writeln!(w, "metadata:");
    let _ = writeln!(
        w,
        "  # The site's name: equal to the file name. Databases, storage and volumes"
    );
    let _ = writeln!(
        w,
        "  # are named from it alone, so it stays the same for the site's whole life."
    );
    let _ = writeln!(w, "  name: {name}");
    let _ = writeln!(w, "  # The customer's display name: any text.");
    let _ = writeln!(w, "  customer: {}", quoted(&customer));
    let _ = writeln!(w, "  # E-mail address of the customer's technical contact.");
    let _ = writeln!(w, "  contact: {}", quoted(&contact));
    let _ = writeln!(
        w,
        "  # Free-form labels for inventory and reporting, e.g. {{segment: k12}}."
    );
    if args.labels.is_empty() {
        let _ = writeln!(w, "  labels: {{}}");
    } else {
        let _ = writeln!(w, "  labels:");
        for (key, value) in &args.labels {
            let _ = writeln!(w, "    {key}: {}", quoted(value));
        }
    }
    let _ = writeln!(w, "spec:");
    let tiers: Vec<&str> = catalog.tiers.keys().map(|t| t.as_str()).collect();
    let _ = writeln!(w, "  # The commercial tier: {}.", one_of(&tiers));
    let _ = writeln!(w, "  tier: {tier}");
    let deployments: Vec<&str> = policy.deployments.iter().map(|d| d.as_str()).collect();
    let _ = writeln!(
        w,
        "  # Where the site runs; tier {tier} allows {}.",
        one_of(&deployments)
    );
    let _ = writeln!(w, "  deployment: {}", args.deployment);
    if args.cloud != Cloud::Azure {
        let _ = writeln!(w, "  # The cloud our part of the site lives in.");
        let _ = writeln!(w, "  cloud: {}", args.cloud);
    }
    let _ = writeln!(
        w,
        "  # {} region of the site's resources.",
        match args.cloud {
            Cloud::Azure => "Azure",
            Cloud::Aws => "AWS",
        }
    );
    let _ = writeln!(w, "  region: {}", args.region);
    if let Some(window) = &policy.trial_window {
        let days = window.max_days.min(14);
        let _ = writeln!(
            w,
            "  # The trial window: first day and length ({} days at most).",
            window.max_days
        );
        let _ = writeln!(w, "  trial: {{start: {today}, days: {days}}}");
    }
    let seats = match policy.seats.max {
        Some(max) => {
            let _ = writeln!(w, "  # User seats: {max} at most on tier {tier}.");
            max.min(10)
        }
        None => {
            let _ = writeln!(w, "  # User seats: at most the license's seats.");
            100
        }
    };
    let _ = writeln!(w, "  seats: {seats}");
    let features: Vec<&str> = policy.features.iter().map(|f| f.as_str()).collect();
    let _ = writeln!(
        w,
        "  # Premium features; tier {tier} allows {}.",
        one_of(&features)
    );
    if policy
        .features
        .contains(&crate::spec::Feature::CustomDomain)
    {
        let _ = writeln!(
            w,
            "  # `custom-domain` also needs `domain: learn.example.com`."
        );
    }
    let _ = writeln!(w, "  features: []");
    let defaults = &policy.defaults.resources;
    let _ = writeln!(
        w,
        "  # Resources as Kubernetes quantities; omitted values take the tier's defaults:"
    );
    let _ = writeln!(
        w,
        "  # resources: {{cpu: {}, memory: {}, storage: {}}}",
        quoted_quantity(defaults.cpu.as_ref()),
        quoted_quantity(defaults.memory.as_ref()),
        quoted_quantity(defaults.storage.as_ref()),
    );
    let _ = writeln!(
        w,
        "  # The product release the site runs (quoted: YYYY.MM.PATCH)."
    );
    let _ = writeln!(w, "  app: {{version: {}}}", quoted(app_version));
    if policy.license != LicenseRule::Forbidden {
        let end = today
            .checked_add(jiff::Span::new().years(1))
            .and_then(|d| d.yesterday())
            .unwrap_or(today);
        let _ = writeln!(
            w,
            "  # The negotiated license: fill in the figures of the signed agreement."
        );
        let _ = writeln!(w, "  license:");
        let _ = writeln!(w, "    seats: {seats}");
        let _ = writeln!(w, "    start: {today}");
        let _ = writeln!(w, "    end: {end}");
        let _ = writeln!(w, "    annualPrice: 0");
        let _ = writeln!(w, "    currency: USD");
    }
    out.push_str(&deployment_block(args.deployment, name, &args.azure));
    out
}

/// The `spec` entry a deployment needs besides its name (`byoi:` or
/// `selfhosted:`), indented by two spaces under `spec`; empty for the
/// deployments that need none. Shared with `promote --deployment`. An ID not
/// given is the all-zero placeholder, which validation refuses.
pub fn deployment_block(deployment: Deployment, name: &str, ids: &AzureIds) -> String {
    let mut out = String::new();
    let w = &mut out;
    match deployment {
        Deployment::Byoi => {
            let vault: String = format!("{name}-kv").chars().take(24).collect();
            let vault = vault.trim_end_matches('-');
            let _ = writeln!(
                w,
                "  # The customer's Azure subscription that holds the site's data."
            );
            let id = AzureIds::or_placeholder;
            let _ = writeln!(w, "  byoi:");
            let _ = writeln!(w, "    tenantId: {}", id(&ids.tenant));
            let _ = writeln!(w, "    subscriptionId: {}", id(&ids.subscription));
            let _ = writeln!(w, "    resourceGroup: rg-{name}");
            let _ = writeln!(w, "    keyVault: {vault}");
            let _ = writeln!(w, "    servicePrincipal:");
            let _ = writeln!(w, "      clientId: {}", id(&ids.client));
            let _ = writeln!(
                w,
                "      # Its object ID in the customer's tenant, for role assignments."
            );
            let _ = writeln!(w, "      objectId: {}", id(&ids.object));
            let _ = writeln!(
                w,
                "      # A reference to the client secret, never the secret itself."
            );
            let _ = writeln!(
                w,
                "      secretRef: https://{vault}.vault.azure.net/secrets/sitectl-sp-secret"
            );
        }
        Deployment::Selfhosted => {
            let _ = writeln!(
                w,
                "  # What the customer receives to run the site themselves."
            );
            let _ = writeln!(w, "  selfhosted:");
            let _ = writeln!(w, "    # compose, helm and/or bicep.");
            let _ = writeln!(w, "    targets: [compose]");
            let _ = writeln!(
                w,
                "    # true when the environment has no internet: set `registry` too."
            );
            let _ = writeln!(w, "    airGapped: false");
            let _ = writeln!(
                w,
                "    # Where the customer keeps the license key (a reference, not the key)."
            );
            let _ = writeln!(w, "    licenseRef: env:SITECTL_LICENSE_KEY");
        }
        Deployment::Managed | Deployment::Dedicated => {}
    }
    out
}

fn quoted_quantity(quantity: Option<&crate::spec::quantity::Quantity>) -> String {
    quantity.map_or_else(|| "\"\"".to_string(), |q| quoted(&q.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_reference_climbs_out_of_the_folder() {
        let blueprints = Path::new("blueprints");
        assert_eq!(
            schema_reference(Path::new("sites"), blueprints),
            "../schemas/site.schema.json"
        );
        assert_eq!(
            schema_reference(Path::new("sites/emea/"), blueprints),
            "../../schemas/site.schema.json"
        );
        assert_eq!(
            schema_reference(Path::new("./sites/../sites/x"), blueprints),
            "../../schemas/site.schema.json"
        );
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            schema_reference(&cwd.join("sites"), &cwd.join("blueprints")),
            "../schemas/site.schema.json"
        );
        assert_eq!(
            schema_reference(Path::new("elsewhere/sites"), Path::new("repo/blueprints")),
            "../../repo/schemas/site.schema.json"
        );
    }
}

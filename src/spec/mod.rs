//! The site spec as Rust types: what `schemas/site.schema.json` describes.
//! A test proves the two agree field for field.

pub mod quantity;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::spec::quantity::Quantity;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Site {
    pub api_version: String,
    pub kind: String,
    pub metadata: Metadata,
    pub spec: SiteSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metadata {
    pub name: String,
    pub customer: String,
    pub contact: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SiteSpec {
    pub tier: Tier,
    pub deployment: Deployment,
    /// Absent means Azure: every spec written before AWS was a home.
    #[serde(default)]
    pub cloud: Option<Cloud>,
    pub region: String,
    #[serde(default)]
    pub trial: Option<TrialWindow>,
    pub seats: u32,
    #[serde(default)]
    pub features: Vec<Feature>,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub resources: Resources,
    pub app: App,
    #[serde(default)]
    pub license: Option<License>,
    #[serde(default)]
    pub byoi: Option<Byoi>,
    #[serde(default)]
    pub selfhosted: Option<Selfhosted>,
    #[serde(default)]
    pub extensions: Option<Extensions>,
    #[serde(default)]
    pub blueprint: Option<String>,
}

/// An enum whose values are fixed lowercase names: parsed, shown and
/// serialized by those names, listed in `ALL`.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in the order the schema lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "unknown {} `{s}`: expected {}",
                        stringify!($name).to_lowercase(),
                        crate::diagnostic::words::one_of(&[$($text),+]),
                    )),
                }
            }
        }
    };
}

pub(crate) use named_enum;

named_enum!(
    /// The commercial tier; what each allows is read from the tier catalog.
    Tier { Trial = "trial", Paid = "paid", Enterprise = "enterprise" }
);

named_enum!(
    /// Where the site runs and where its data lives.
    Deployment { Managed = "managed", Dedicated = "dedicated", Byoi = "byoi", Selfhosted = "selfhosted" }
);

named_enum!(
    /// The cloud our part of a site lives in.
    Cloud { Azure = "azure", Aws = "aws" }
);

impl SiteSpec {
    /// The site's cloud: `spec.cloud`, else Azure.
    pub fn cloud(&self) -> Cloud {
        self.cloud.unwrap_or(Cloud::Azure)
    }
}

named_enum!(
    /// A premium feature.
    Feature {
        Sso = "sso",
        Scorm = "scorm",
        CustomDomain = "custom-domain",
        Api = "api",
        Analytics = "analytics",
        CustomCode = "custom-code",
    }
);

named_enum!(
    /// An output a self-hosting customer receives.
    SelfhostedTarget { Compose = "compose", Helm = "helm", Bicep = "bicep" }
);

named_enum!(
    /// Currency of a negotiated price.
    Currency { Usd = "USD", Eur = "EUR", Gbp = "GBP", Cad = "CAD", Aud = "AUD" }
);

/// A calendar date as written (`YYYY-MM-DD`); the rules layer checks it is real.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IsoDate(pub String);

impl IsoDate {
    pub fn date(&self) -> Option<jiff::civil::Date> {
        self.0.parse().ok()
    }
}

impl fmt::Display for IsoDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrialWindow {
    pub start: IsoDate,
    pub days: u32,
}

impl TrialWindow {
    /// The first day the site is no longer covered by the trial.
    pub fn end(&self) -> Option<jiff::civil::Date> {
        self.start
            .date()?
            .checked_add(jiff::Span::new().days(i64::from(self.days)))
            .ok()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    #[serde(default)]
    pub cpu: Option<Quantity>,
    #[serde(default)]
    pub memory: Option<Quantity>,
    #[serde(default)]
    pub storage: Option<Quantity>,
}

impl Resources {
    pub fn is_empty(&self) -> bool {
        self.cpu.is_none() && self.memory.is_none() && self.storage.is_none()
    }

    /// `(name, value)` for each resource, in schema order.
    pub fn entries(&self) -> [(&'static str, Option<&Quantity>); 3] {
        [
            ("cpu", self.cpu.as_ref()),
            ("memory", self.memory.as_ref()),
            ("storage", self.storage.as_ref()),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct App {
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct License {
    pub seats: u32,
    pub start: IsoDate,
    pub end: IsoDate,
    pub annual_price: f64,
    #[serde(default)]
    pub currency: Option<Currency>,
}

/// The all-zero GUID: what a byoi spec holds where no ID was given (a
/// preview's site). Validation refuses it: no site deploys into it.
pub const PLACEHOLDER_ID: &str = "00000000-0000-0000-0000-000000000000";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Byoi {
    pub tenant_id: String,
    pub subscription_id: String,
    pub resource_group: String,
    pub key_vault: String,
    pub service_principal: ServicePrincipal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServicePrincipal {
    pub client_id: String,
    pub object_id: String,
    pub secret_ref: SecretRef,
}

/// Where a secret is kept: a Key Vault secret URI, `k8s:<secret>/<key>` or
/// `env:<NAME>`. Never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretRef(pub String);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Selfhosted {
    pub targets: Vec<SelfhostedTarget>,
    #[serde(default)]
    pub air_gapped: Option<bool>,
    #[serde(default)]
    pub registry: Option<String>,
    pub license_ref: SecretRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Extensions {
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretRef>,
}

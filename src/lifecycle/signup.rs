//! Self-service trials: a signup from the landing page becomes a trial
//! site's spec, bounded by the catalog's `signup` limits (per contact domain
//! and day, live trials in all, regions, refused domains), idempotent by
//! the signup's id, with a name derived from the customer that no site of
//! the tree, live or archived, has ever had. Deciding is pure: the command
//! writes the spec and renders it.

use std::collections::BTreeSet;
use std::path::Path;

use jiff::civil::Date;

use crate::spec::{Cloud, Site, Tier};
use crate::validate::catalog::{Catalog, SignupPolicy};
use crate::validate::schema::Schema;

/// The label a signup's site carries its id in.
pub const SIGNUP_LABEL: &str = "signup-id";

/// What the landing page sends.
#[derive(Debug, Clone)]
pub struct Signup<'a> {
    pub customer: &'a str,
    pub contact: &'a str,
    pub region: Option<&'a str>,
    pub signup_id: Option<&'a str>,
}

/// Why a signup is refused: a stable code for the calling service, and
/// words for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("self-service signups are off: the trial tier of the catalog has no `signup` limits")]
    SignupsOff,
    #[error("{0:?} is not an e-mail address (at most 254 characters, one `@`, no spaces)")]
    BadContact(String),
    #[error("the signup id {0:?} is not 1 to 100 letters, digits, `.`, `_` or `-`")]
    BadSignupId(String),
    #[error("the customer's name is empty or longer than 200 characters")]
    BadCustomer,
    #[error(
        "the signup id {id:?} made site `{site}` for another customer or contact: a signup id names one signup"
    )]
    SignupIdConflict { id: String, site: String },
    #[error("the trial of signup id {id:?} (site `{site}`) ended and was reclaimed")]
    SignupReclaimed { id: String, site: String },
    #[error("addresses at `{domain}` cannot start a trial (the catalog refuses the domain)")]
    RefusedDomain { domain: String },
    #[error("`{domain}` has started {count} trials today, the most one domain may start in a day")]
    DomainDailyCap { domain: String, count: u32 },
    #[error("{count} trials are live, the most the fleet runs at once")]
    LiveTrialCap { count: u32 },
    #[error("trials are not offered in {region:?}; they are in {offered}")]
    RegionNotOffered { region: String, offered: String },
    #[error("the customer's name `{0}` has no letter or digit to name a site after")]
    NoName(String),
}

impl Refusal {
    /// The code the calling service branches on.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::SignupsOff => "signups-off",
            Refusal::BadContact(_) => "bad-contact",
            Refusal::BadSignupId(_) => "bad-signup-id",
            Refusal::BadCustomer => "bad-customer",
            Refusal::SignupIdConflict { .. } => "signup-id-conflict",
            Refusal::SignupReclaimed { .. } => "signup-reclaimed",
            Refusal::RefusedDomain { .. } => "refused-domain",
            Refusal::DomainDailyCap { .. } => "domain-daily-cap",
            Refusal::LiveTrialCap { .. } => "live-trial-cap",
            Refusal::RegionNotOffered { .. } => "region-not-offered",
            Refusal::NoName(_) => "no-name",
        }
    }
}

/// What to do with a signup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A site with this signup id exists: nothing changes.
    Exists { name: String },
    /// Create the site `name` in `region` of `cloud`.
    Create {
        name: String,
        region: String,
        cloud: Cloud,
    },
}

/// The contact's e-mail domain, lowercase.
fn domain_of(contact: &str) -> Option<String> {
    // As the spec's schema reads an address: one `@`, no white space.
    if contact.len() > 254 || contact.chars().any(char::is_whitespace) {
        return None;
    }
    let (local, domain) = contact.split_once('@')?;
    let valid = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    valid.then(|| domain.to_ascii_lowercase())
}

fn valid_signup_id(id: &str) -> bool {
    (1..=100).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// What the specs archived under `<specs>/.reclaimed/` leave behind: their
/// names (never given to another customer) and the signup ids they carried
/// (a late retry of one is refused, not made a second trial).
#[derive(Debug, Default)]
pub struct Archived {
    pub names: BTreeSet<String>,
    /// Signup id → the site it made.
    pub signups: std::collections::BTreeMap<String, String>,
}

pub fn archived(specs: &Path) -> Archived {
    let mut archived = Archived::default();
    let label = format!("{SIGNUP_LABEL}:");
    for entry in walkdir::WalkDir::new(specs.join(super::reclaim::ARCHIVE_DIR))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
    {
        let path = entry.path();
        if !matches!(
            path.extension().and_then(|x| x.to_str()),
            Some("yaml" | "yml")
        ) {
            continue;
        }
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        archived.names.insert(name.to_string());
        // The label as `trial create` writes it: `    signup-id: "ID"`.
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(id) = text
            .lines()
            .find_map(|l| l.trim().strip_prefix(&label))
            .map(|v| v.trim().trim_matches('"').to_string())
        {
            archived.signups.insert(id, name.to_string());
        }
    }
    archived
}

/// Decides what `signup` becomes, against the fleet's `sites` (every valid
/// spec of the tree) and the names already taken (live specs' file stems
/// and archived names), as of `today`.
#[cfg(test)]
pub fn decide(
    signup: &Signup<'_>,
    catalog: &Catalog,
    sites: &[Site],
    taken: &BTreeSet<String>,
    today: Date,
) -> Result<Decision, Refusal> {
    decide_with(signup, catalog, sites, (taken, &Archived::default()), today)
}

/// [`decide`], knowing what reclaims archived: their names are taken, and
/// a signup id of theirs is refused.
pub fn decide_with(
    signup: &Signup<'_>,
    catalog: &Catalog,
    sites: &[Site],
    (taken, archived): (&BTreeSet<String>, &Archived),
    today: Date,
) -> Result<Decision, Refusal> {
    let policy: &SignupPolicy = catalog
        .tier(Tier::Trial)
        .signup
        .as_ref()
        .ok_or(Refusal::SignupsOff)?;
    if let Some(id) = signup.signup_id {
        if !valid_signup_id(id) {
            return Err(Refusal::BadSignupId(id.to_string()));
        }
        // Idempotent: the same signup twice is the same site, unchanged.
        if let Some(site) = sites
            .iter()
            .find(|s| s.metadata.labels.get(SIGNUP_LABEL).is_some_and(|v| v == id))
        {
            let same = site.metadata.customer == signup.customer
                && site.metadata.contact.eq_ignore_ascii_case(signup.contact);
            if !same {
                return Err(Refusal::SignupIdConflict {
                    id: id.to_string(),
                    site: site.metadata.name.clone(),
                });
            }
            return Ok(Decision::Exists {
                name: site.metadata.name.clone(),
            });
        }
        if let Some(site) = archived.signups.get(id) {
            return Err(Refusal::SignupReclaimed {
                id: id.to_string(),
                site: site.clone(),
            });
        }
    }
    if signup.customer.trim().is_empty() || signup.customer.chars().count() > 200 {
        return Err(Refusal::BadCustomer);
    }
    let domain =
        domain_of(signup.contact).ok_or_else(|| Refusal::BadContact(signup.contact.into()))?;
    if policy
        .refused_domains
        .iter()
        .any(|refused| domain == *refused || domain.ends_with(&format!(".{refused}")))
    {
        return Err(Refusal::RefusedDomain { domain });
    }
    let trials: Vec<&Site> = sites
        .iter()
        .filter(|s| s.spec.tier == Tier::Trial)
        .collect();
    let today_from_domain = trials
        .iter()
        .filter(|s| domain_of(&s.metadata.contact).as_deref() == Some(domain.as_str()))
        .filter(|s| s.spec.trial.as_ref().and_then(|t| t.start.date()) == Some(today))
        .count() as u32;
    if today_from_domain >= policy.per_domain_per_day {
        return Err(Refusal::DomainDailyCap {
            domain,
            count: today_from_domain,
        });
    }
    let live = trials
        .iter()
        .filter(|s| {
            s.spec
                .trial
                .as_ref()
                .and_then(|t| t.end())
                .is_none_or(|end| end > today)
        })
        .count() as u32;
    if live >= policy.max_live_trials {
        return Err(Refusal::LiveTrialCap { count: live });
    }
    let region = match signup.region {
        None => policy.regions[0].clone(),
        Some(region) if policy.regions.iter().any(|r| r == region) => region.to_string(),
        Some(region) => {
            return Err(Refusal::RegionNotOffered {
                region: region.to_string(),
                offered: crate::diagnostic::words::one_of(&policy.regions),
            });
        }
    };
    let cloud = if Schema::site()
        .regions_of(Cloud::Aws)
        .contains(&region.as_str())
    {
        Cloud::Aws
    } else {
        Cloud::Azure
    };
    let base = super::names::site_name(signup.customer)
        .ok_or_else(|| Refusal::NoName(signup.customer.to_string()))?;
    // Unique in the tree and never an archived name: `acme`, `acme-2`, ...
    let name = std::iter::once(base.clone())
        .chain((2..).map(|n| super::names::numbered(&base, n)))
        .find(|candidate| {
            !taken.contains(candidate)
                && !archived.names.contains(candidate)
                && !policy.reserved_names.contains(candidate)
        })
        .unwrap_or(base);
    Ok(Decision::Create {
        name,
        region,
        cloud,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::names::numbered;

    fn catalog() -> Catalog {
        crate::validate::catalog::load(std::path::Path::new("blueprints"))
            .catalog
            .expect("the example catalog loads")
    }

    #[test]
    fn a_signup_id_names_one_signup_live_or_reclaimed() {
        let sites = vec![trial(
            "acme-learning",
            "a@acme.example",
            "2026-11-30",
            Some("s-1"),
        )];
        let taken = ["acme-learning".to_string()].into();
        let other = Signup {
            customer: "Globex",
            ..signup("a@acme.example", Some("s-1"))
        };
        let refused = decide(&other, &catalog(), &sites, &taken, today());
        assert_eq!(refused.unwrap_err().code(), "signup-id-conflict");
        let archived = Archived {
            names: ["old-trial".to_string()].into(),
            signups: [("s-9".to_string(), "old-trial".to_string())].into(),
        };
        let late = decide_with(
            &signup("a@acme.example", Some("s-9")),
            &catalog(),
            &[],
            (&BTreeSet::new(), &archived),
            today(),
        );
        assert_eq!(late.unwrap_err().code(), "signup-reclaimed");
    }

    #[test]
    fn a_reserved_name_is_never_a_customers() {
        let login = Signup {
            customer: "Login",
            ..signup("a@login.example", None)
        };
        let decision = decide(&login, &catalog(), &[], &BTreeSet::new(), today());
        assert!(
            matches!(&decision, Ok(Decision::Create { name, .. }) if name == "login-2"),
            "{decision:?}"
        );
    }

    #[test]
    fn a_numbered_name_stays_within_forty_characters_at_a_word_boundary() {
        assert_eq!(numbered("acme", 2), "acme-2");
        let long = "the-international-federation-of-learning";
        assert_eq!(long.len(), 40);
        assert_eq!(numbered(long, 2), "the-international-federation-of-2");
        assert_eq!(
            numbered(&"a".repeat(40), 12),
            format!("{}-12", "a".repeat(37))
        );
        let taken = [long.to_string()].into();
        let signup = Signup {
            customer: "The International Federation of Learning Platforms",
            ..signup("a@acme.example", None)
        };
        let decision = decide(&signup, &catalog(), &[], &taken, today());
        assert!(
            matches!(&decision, Ok(Decision::Create { name, .. }) if name.len() <= 40 && name != long),
            "{decision:?}"
        );
    }

    fn trial(name: &str, contact: &str, start: &str, label: Option<&str>) -> Site {
        let labels = label
            .map(|id| format!("  labels: {{signup-id: \"{id}\"}}\n"))
            .unwrap_or_default();
        let text = format!(
            "apiVersion: sitectl/v1\nkind: Site\nmetadata:\n  name: {name}\n  customer: Acme Learning\n  contact: {contact}\n{labels}spec:\n  tier: trial\n  deployment: managed\n  region: eastus\n  seats: 5\n  app: {{version: \"2026.11.1\"}}\n  trial: {{start: {start}, days: 14}}\n"
        );
        let root = crate::source::yaml::parse(&text).unwrap();
        serde_json::from_value(root.to_json()).unwrap()
    }

    fn signup<'a>(contact: &'a str, id: Option<&'a str>) -> Signup<'a> {
        Signup {
            customer: "Acme Learning",
            contact,
            region: None,
            signup_id: id,
        }
    }

    fn today() -> Date {
        "2026-11-30".parse().unwrap()
    }

    #[test]
    fn the_same_signup_id_twice_is_the_same_site() {
        let sites = vec![trial(
            "acme-learning",
            "a@acme.example",
            "2026-11-30",
            Some("s-1"),
        )];
        let taken = ["acme-learning".to_string()].into();
        let decision = decide(
            &signup("A@ACME.example", Some("s-1")),
            &catalog(),
            &sites,
            &taken,
            today(),
        );
        assert_eq!(
            decision,
            Ok(Decision::Exists {
                name: "acme-learning".into()
            })
        );
    }

    #[test]
    fn a_name_is_never_one_taken_live_or_archived() {
        let taken = ["acme-learning".to_string(), "acme-learning-2".to_string()].into();
        let decision = decide(
            &signup("a@acme.example", None),
            &catalog(),
            &[],
            &taken,
            today(),
        );
        assert!(
            matches!(&decision, Ok(Decision::Create { name, .. }) if name == "acme-learning-3"),
            "{decision:?}"
        );
    }

    #[test]
    fn one_domain_starts_at_most_the_catalogs_trials_a_day() {
        let per_day = catalog()
            .tier(Tier::Trial)
            .signup
            .as_ref()
            .unwrap()
            .per_domain_per_day;
        let mut sites: Vec<Site> = (0..per_day)
            .map(|n| {
                trial(
                    &format!("t{n}"),
                    &format!("u{n}@acme.example"),
                    "2026-11-30",
                    None,
                )
            })
            .collect();
        // Yesterday's and another domain's do not count.
        sites.push(trial("old", "x@acme.example", "2026-11-29", None));
        sites.push(trial("other", "x@globex.example", "2026-11-30", None));
        let refused = decide(
            &signup("new@ACME.example", None),
            &catalog(),
            &sites,
            &BTreeSet::new(),
            today(),
        );
        assert_eq!(
            refused,
            Err(Refusal::DomainDailyCap {
                domain: "acme.example".into(),
                count: per_day
            })
        );
        assert_eq!(refused.unwrap_err().code(), "domain-daily-cap");
        sites.truncate(usize::try_from(per_day).unwrap() - 1);
        assert!(
            decide(
                &signup("new@acme.example", None),
                &catalog(),
                &sites,
                &BTreeSet::new(),
                today()
            )
            .is_ok()
        );
    }

    #[test]
    fn disposable_domains_bad_addresses_and_unoffered_regions_are_refused() {
        let catalog = catalog();
        let none = BTreeSet::new();
        let code = |s: &Signup<'_>| decide(s, &catalog, &[], &none, today()).unwrap_err().code();
        assert_eq!(code(&signup("x@mailinator.com", None)), "refused-domain");
        assert_eq!(code(&signup("x@eu.mailinator.com", None)), "refused-domain");
        assert_eq!(code(&signup("not-an-address", None)), "bad-contact");
        assert_eq!(code(&signup("a b@acme.example", None)), "bad-contact");
        assert_eq!(code(&signup("a@b@acme.example", None)), "bad-contact");
        assert_eq!(
            code(&signup("x\nstatus=created@acme.example", None)),
            "bad-contact"
        );
        assert_eq!(
            code(&signup("x@acme.example", Some("a b"))),
            "bad-signup-id"
        );
        let far = Signup {
            region: Some("australiaeast"),
            ..signup("x@acme.example", None)
        };
        assert_eq!(code(&far), "region-not-offered");
        let aws = Signup {
            region: Some("us-east-1"),
            ..signup("x@acme.example", None)
        };
        assert!(
            matches!(
                decide(&aws, &catalog, &[], &none, today()),
                Ok(Decision::Create {
                    cloud: Cloud::Aws,
                    ..
                })
            ),
            "an AWS region makes an AWS site"
        );
    }
}

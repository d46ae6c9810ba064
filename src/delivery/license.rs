//! License keys for the self-hosted edition: a JWT signed RS256 (as the
//! application verifies it) whose claims come from the site's spec, and
//! the verification the customer's application does, said in words.

use jiff::Timestamp;
use jiff::civil::Date;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Who signs the keys, in every token's `iss`.
pub const ISSUER: &str = "sitectl";

/// How long an air-gapped installation runs without reaching the license
/// server: it never can, so the whole license. A connected one phones home
/// and may miss it this many days.
pub const CONNECTED_GRACE_DAYS: u32 = 14;

/// The customer a license is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The site's name: unique and never reused.
    pub id: String,
    pub name: String,
    /// The address the installation serves, when the spec names one.
    pub domain: Option<String>,
}

/// What a license says, as the application reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The customer's id.
    pub sub: String,
    /// Seconds since the epoch: issued, valid from, valid until.
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub customer: Customer,
    /// The tier the license is of (`enterprise`).
    pub edition: String,
    pub seats: u32,
    pub features: Vec<String>,
    pub offline_grace_days: u32,
    pub phone_home_required: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LicenseError {
    #[error(
        "site `{0}` has no `license` in its spec: only a licensed (enterprise) site gets a key"
    )]
    NoLicense(String),
    #[error("the private key is not an RSA key in PEM (PKCS#1 or PKCS#8): {0}")]
    BadPrivateKey(String),
    #[error("the public key is not an RSA key in PEM (SubjectPublicKeyInfo or PKCS#1): {0}")]
    BadPublicKey(String),
    #[error("cannot sign: {0}")]
    Sign(String),
}

/// The moment `date` starts, UTC: a license's days and a verification's
/// `--as-of` are whole UTC days.
pub fn start_of_day(date: Date) -> Result<Timestamp, jiff::Error> {
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
}

/// Seconds since the epoch at the start of `date`, UTC.
fn start_of(date: Date) -> i64 {
    start_of_day(date)
        .map(|t| t.as_second())
        .unwrap_or_default()
}

/// The claims of `site`'s license, issued at `now`: valid from the start of
/// the license's first day to the end of its last (UTC).
pub fn claims(site: &crate::spec::Site, now: Timestamp) -> Result<Claims, LicenseError> {
    let name = site.metadata.name.clone();
    let license = site
        .spec
        .license
        .as_ref()
        .ok_or_else(|| LicenseError::NoLicense(name.clone()))?;
    let air_gapped = site
        .spec
        .selfhosted
        .as_ref()
        .and_then(|s| s.air_gapped)
        .unwrap_or(false);
    // Validation proved both are real dates.
    let (Some(start), Some(end)) = (license.start.date(), license.end.date()) else {
        return Err(LicenseError::NoLicense(name));
    };
    let (nbf, exp) = (start_of(start), start_of(end.tomorrow().unwrap_or(end)));
    Ok(Claims {
        iss: ISSUER.into(),
        sub: name.clone(),
        iat: now.as_second(),
        nbf,
        exp,
        customer: Customer {
            id: name,
            name: site.metadata.customer.clone(),
            domain: site.spec.domain.clone(),
        },
        edition: site.spec.tier.to_string(),
        seats: license.seats,
        features: site.spec.features.iter().map(|f| f.to_string()).collect(),
        offline_grace_days: if air_gapped {
            u32::try_from((exp - nbf) / 86_400).unwrap_or(u32::MAX)
        } else {
            CONNECTED_GRACE_DAYS
        },
        phone_home_required: !air_gapped,
    })
}

/// The token: `claims` signed RS256 with the private key in `pem`.
pub fn sign(claims: &Claims, pem: &[u8]) -> Result<String, LicenseError> {
    let key =
        EncodingKey::from_rsa_pem(pem).map_err(|e| LicenseError::BadPrivateKey(e.to_string()))?;
    let mut header = Header::new(Algorithm::RS256);
    header.typ = Some("JWT".into());
    jsonwebtoken::encode(&header, claims, &key).map_err(|e| LicenseError::Sign(e.to_string()))
}

/// What the application would make of a token on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid(Claims),
    Expired(Claims),
    NotYetValid(Claims),
    /// Not signed by the key's pair, edited, not RS256, or not a token.
    BadSignature(String),
}

/// Checks the signature with the public key in `pem`, then the validity
/// period against `now` (the application's clock), without leeway.
pub fn verify(token: &str, pem: &[u8], now: Timestamp) -> Result<Verdict, LicenseError> {
    let key =
        DecodingKey::from_rsa_pem(pem).map_err(|e| LicenseError::BadPublicKey(e.to_string()))?;
    // The signature and the claims' shape here; the dates below, so that an
    // expired license is still shown for what it is.
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "sub"]);
    validation.set_issuer(&[ISSUER]);
    let claims = match jsonwebtoken::decode::<Claims>(token.trim(), &key, &validation) {
        Ok(data) => data.claims,
        Err(error) => return Ok(Verdict::BadSignature(error.to_string())),
    };
    let now = now.as_second();
    Ok(if now >= claims.exp {
        Verdict::Expired(claims)
    } else if now < claims.nbf {
        Verdict::NotYetValid(claims)
    } else {
        Verdict::Valid(claims)
    })
}

/// A day of the epoch's seconds, as the license shows its ends.
pub fn day(seconds: i64) -> String {
    Timestamp::from_second(seconds)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
        .unwrap_or_else(|_| seconds.to_string())
}

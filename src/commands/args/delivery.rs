//! The arguments of what is delivered to a customer who runs the product:
//! license keys, air-gap bundles and self-service trials.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand};

#[derive(Debug, Args)]
pub struct LicenseArgs {
    #[command(subcommand)]
    pub command: LicenseCommand,
}

#[derive(Debug, Subcommand)]
pub enum LicenseCommand {
    /// Sign a site's license key (a JWT, RS256) from its spec.
    Issue(LicenseIssueArgs),
    /// Check a license key's signature and dates as the application does; exit 1 unless valid.
    Verify(LicenseVerifyArgs),
}

/// One of `--key` and `--key-env` names the private key.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("signing_key").required(true).args(["key", "key_env"])))]
pub struct LicenseIssueArgs {
    /// The site whose license to sign.
    #[arg(value_name = "SITE")]
    pub site: String,
    /// The private key (PEM, RSA), a file outside the repository.
    #[arg(
        long,
        value_name = "PATH",
        required_unless_present = "key_env",
        conflicts_with = "key_env"
    )]
    pub key: Option<PathBuf>,
    /// The environment variable that holds the private key (PEM, RSA).
    #[arg(long, value_name = "VAR")]
    pub key_env: Option<String>,
    /// Write the token to FILE (readable by its owner only) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LicenseVerifyArgs {
    /// The token, or a file that holds it (`-` for stdin).
    #[arg(value_name = "TOKEN_OR_FILE")]
    pub token: String,
    /// The public key (PEM) [default: license-public.pem in the blueprints folder].
    #[arg(long, value_name = "PATH")]
    pub public_key: Option<PathBuf>,
    /// The day to judge the dates by, as YYYY-MM-DD [default: now].
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<jiff::civil::Date>,
}

/// `sitectl bundle SITE ...` builds; `sitectl bundle verify FILE` checks.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    group(ArgGroup::new("signing_key").args(["key", "key_env"]))
)]
pub struct BundleArgs {
    #[command(subcommand)]
    pub command: Option<BundleCommand>,
    /// The air-gapped site to bundle.
    #[arg(value_name = "SITE", required = true)]
    pub site: Option<String>,
    /// Where to write it: FILE.tar.gz (or .tgz) for one archive, else a new folder.
    #[arg(long, value_name = "DIR|FILE.tar.gz", required = true)]
    pub out: Option<PathBuf>,
    /// The private key (PEM, RSA) that signs the bundle and its license, a file outside the repository.
    #[arg(
        long,
        value_name = "PATH",
        required_unless_present = "key_env",
        conflicts_with = "key_env"
    )]
    pub key: Option<PathBuf>,
    /// The environment variable that holds the private key (PEM, RSA).
    #[arg(long, value_name = "VAR")]
    pub key_env: Option<String>,
    /// A `docker save` archive of a pinned image (repeat it); images without one are saved from the local Docker engine.
    #[arg(long = "image-archive", value_name = "FILE")]
    pub image_archives: Vec<PathBuf>,
    /// The public key of the pair (PEM) [default: license-public.pem in the blueprints folder].
    #[arg(long, value_name = "PATH")]
    pub public_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Check a bundle as its install script does: signature, every file's SHA-256, the license; exit 1 unless whole, ours and licensed today.
    Verify(BundleVerifyArgs),
}

#[derive(Debug, Args)]
pub struct BundleVerifyArgs {
    /// The bundle: FILE.tar.gz, or the folder it was unpacked or written into.
    #[arg(value_name = "FILE|DIR")]
    pub bundle: PathBuf,
    /// The public key (PEM) [default: license-public.pem in the blueprints folder].
    #[arg(long, value_name = "PATH")]
    pub public_key: Option<PathBuf>,
    /// The day to judge the license by, as YYYY-MM-DD [default: now].
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<jiff::civil::Date>,
}

#[derive(Debug, Args)]
pub struct TrialArgs {
    #[command(subcommand)]
    pub command: TrialCommand,
}

#[derive(Debug, Subcommand)]
pub enum TrialCommand {
    /// Start a self-service trial from a signup: its spec written and rendered, within the catalog's limits; idempotent by --signup-id.
    Create(TrialCreateArgs),
}

#[derive(Debug, Args)]
pub struct TrialCreateArgs {
    /// The customer's display name, as the signup form gave it.
    #[arg(long, value_name = "NAME")]
    pub customer: String,
    /// The contact's e-mail address: its domain is what the daily cap counts.
    #[arg(long, value_name = "EMAIL")]
    pub contact: String,
    /// A region the catalog offers trials in [default: its first].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The signup's id: the same id twice gives the same site and changes nothing.
    #[arg(long, value_name = "ID")]
    pub signup_id: Option<String>,
    /// What was done: words, or one JSON document for the calling service.
    #[arg(long, value_enum, default_value_t = TrialFormat::Text)]
    pub format: TrialFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TrialFormat {
    Text,
    Json,
}

//! The command-line contract (README, "Commands"), declared with clap. The
//! only module that knows clap: each command turns these into domain types.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

use crate::diagnostic::report::Format;
use crate::diff::format::DiffFormat;
use crate::render::target::Target;
use crate::spec::{Cloud, Currency, Deployment, Tier};
use crate::workspace::Overrides;

mod delivery;
mod handoff;
pub use delivery::*;
pub use handoff::*;

#[derive(Debug, Parser)]
#[command(
    name = "sitectl",
    version,
    about = "Compile checked-in customer site specs into infrastructure code, and hand it to the tools that apply it",
    long_about = "sitectl turns site specs (sites/*.yaml) into Terraform, Helm values, Docker Compose \
and Bicep, shows what a change does to every site, and hands plans and applies to terraform or \
tofu, helm, docker compose and az.\n\nExit codes: 0 success; 1 the command ran and found a \
problem; 2 usage error.",
    propagate_version = true
)]
pub struct Cli {
    /// Folder of blueprints and the tier catalog (tiers.yaml) [default:
    /// blueprints/ of the repository, found by walking up from here].
    #[arg(long, global = true, value_name = "DIR", env = "SITECTL_BLUEPRINTS")]
    pub blueprints: Option<PathBuf>,

    /// Folder of the site specs [default: sites/ of the repository].
    #[arg(
        long = "sites",
        global = true,
        value_name = "DIR",
        env = "SITECTL_SITES"
    )]
    pub sites_dir: Option<PathBuf>,

    /// Folder of the rendered output [default: rendered/ of the repository].
    #[arg(
        long = "rendered",
        global = true,
        value_name = "DIR",
        env = "SITECTL_RENDERED"
    )]
    pub rendered_dir: Option<PathBuf>,

    /// When to colour diagnostics: `auto` colours on a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The command line of this process, or clap's own exit on a usage error.
    pub fn from_env() -> Cli {
        <Cli as Parser>::parse()
    }

    /// The folders this run names; the rest come from the repository.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            sites: self.sites_dir.clone(),
            rendered: self.rendered_dir.clone(),
            blueprints: self.blueprints.clone(),
        }
    }
}

/// A parser for a closed set of names that lists them in `--help` and in
/// its error, without the domain types knowing clap.
fn one_of<T: Copy + Send + Sync + 'static>(
    all: &'static [T],
    name: fn(T) -> &'static str,
) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(all.iter().map(|t| name(*t))).map(move |text| {
        *all.iter()
            .find(|t| name(**t) == text)
            .expect("clap only lets listed names through")
    })
}

/// A parser for a whole number from `min` to `max`, whose error says the
/// bounds in words (clap's own prints `0 is not in 1..18446744073709551615`).
pub(crate) fn count(min: u64, max: u64) -> impl Fn(&str) -> Result<u64, String> + Clone {
    move |text: &str| {
        let bounds = if max == u64::MAX {
            format!("a whole number, {min} or more")
        } else {
            format!("a whole number from {min} to {max}")
        };
        match text.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(format!("`{text}` is not {bounds}")),
        }
    }
}

/// A shell completion script, for `sitectl completions SHELL`.
pub fn completion_script(shell: Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sitectl", &mut script);
    String::from_utf8_lossy(&script).into_owned()
}

/// The man page, in roff, for `sitectl man`.
pub fn man_page() -> String {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .expect("writing to memory cannot fail");
    String::from_utf8_lossy(&page).into_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load and validate site specs; every error with file, line, column and a hint.
    Validate(ValidateArgs),
    /// Scaffold a valid site spec with comments that explain each field.
    New(NewArgs),
    /// Print the site spec's JSON Schema.
    Schema,
    /// Render specs to Terraform, Helm values, Compose and Bicep under rendered/<site>/<target>/.
    Render(RenderArgs),
    /// Show what a render would change, as unified diffs, with data-loss findings first.
    Diff(DiffArgs),
    /// List the sites whose rendered output differs since a git revision, for CI to act on only those.
    Affected(AffectedArgs),
    /// Plan sites through terraform/tofu, helm, docker compose and az.
    Plan(HandoffArgs),
    /// Apply sites through terraform/tofu, helm, docker compose and az (asks first unless --yes).
    Apply(HandoffArgs),
    /// Destroy sites through terraform/tofu, helm, docker compose (asks first unless --yes).
    Destroy(HandoffArgs),
    /// Check that each site's real infrastructure still matches its code; exit 2 when any drifted.
    Drift(DriftArgs),
    /// Write atlantis.yaml: an Atlantis project per site's Terraform, each plan through the data-loss gate.
    Atlantis(AtlantisArgs),
    /// Refuse a saved Terraform plan (`terraform show -json`) that deletes a data-bearing resource.
    Gate(GateArgs),
    /// Write the Argo CD ApplicationSet (or Flux HelmReleases) that deploys every site's Helm values.
    Gitops(GitopsArgs),
    /// Issue and verify the license keys of licensed (enterprise) sites.
    License(LicenseArgs),
    /// Start a self-service trial from a signup (for the landing page's workflow).
    Trial(TrialArgs),
    /// Build a signed air-gap bundle of a self-hosted site (files, images, license, scripts), or verify one.
    Bundle(BundleArgs),
    /// List every site with tier, deployment, seats, trial end and list price.
    Inventory(InventoryArgs),
    /// List trials past (or near) their end; exit 1 when any is past it.
    Expired(ExpiredArgs),
    /// Destroy expired trials through the hand-off and archive their specs (asks first unless --yes).
    Reclaim(ReclaimArgs),
    /// Move a site up a tier: edit its spec in place, proving no data-bearing resource changes.
    Promote(PromoteArgs),
    /// Build and render a site from flags, for a sales engineer: resources, responsibilities, price, files.
    Preview(PreviewArgs),
    /// Create a sites repository: blueprints, tier catalog, chart, schemas, an example, rendered.
    Init(InitArgs),
    /// Remove a site's hand-off lock whose holder is gone (a killed run's).
    Unlock(UnlockArgs),
    /// Print a shell completion script, e.g. `sitectl completions bash > /etc/bash_completion.d/sitectl`.
    Completions(CompletionsArgs),
    /// Print the man page (roff), e.g. `sitectl man > /usr/local/share/man/man1/sitectl.1`.
    Man,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to create the repository in (created if missing).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Add the files a non-empty folder lacks; none that exists is overwritten.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Spec files or folders to check (folders are searched for .yaml and
    /// .yml) [default: the specs folder].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// How to report diagnostics.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
    pub format: DiagnosticFormat,
}

/// How diagnostics are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    /// `file:line:col: error: message`, a snippet and a hint, on stderr.
    Text,
    /// One JSON document on stdout.
    Json,
    /// GitHub Actions workflow commands: annotations on a pull request.
    Github,
}

impl From<DiagnosticFormat> for Format {
    fn from(format: DiagnosticFormat) -> Format {
        match format {
            DiagnosticFormat::Text => Format::Text,
            DiagnosticFormat::Json => Format::Json,
            DiagnosticFormat::Github => Format::Github,
        }
    }
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The site's name: a DNS label of at most 40 characters; the file is NAME.yaml.
    pub name: String,
    #[arg(long, value_name = "TIER", value_parser = one_of(Tier::ALL, Tier::as_str))]
    pub tier: Tier,
    #[arg(long, value_name = "DEPLOYMENT", value_parser = one_of(Deployment::ALL, Deployment::as_str))]
    pub deployment: Deployment,
    /// Folder to write the spec into [default: the specs folder].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The customer's display name (defaults to NAME).
    #[arg(long)]
    pub customer: Option<String>,
    /// The customer's technical contact (defaults to it@NAME.example).
    #[arg(long)]
    pub contact: Option<String>,
    /// The cloud our part of the site lives in [default: azure].
    #[arg(long, value_name = "CLOUD", value_parser = one_of(Cloud::ALL, Cloud::as_str))]
    pub cloud: Option<Cloud>,
    /// Region of the site's cloud [default: eastus, on AWS us-east-1].
    #[arg(long)]
    pub region: Option<String>,
    /// Product release (defaults to the newest release already used under DIR).
    #[arg(long, value_name = "VERSION")]
    pub app_version: Option<String>,
    #[command(flatten)]
    pub azure: AzureIdArgs,
}

/// The customer's Azure IDs, for a site that deploys into the customer's
/// subscription (byoi): all four are needed.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "The customer's Azure IDs (byoi)")]
pub struct AzureIdArgs {
    /// The customer's Entra ID tenant.
    #[arg(long, value_name = "GUID", value_parser = guid)]
    pub tenant_id: Option<String>,
    /// The customer's subscription that holds the site's data.
    #[arg(long, value_name = "GUID", value_parser = guid)]
    pub subscription_id: Option<String>,
    /// The application (client) ID of the service principal the site uses.
    #[arg(long, value_name = "GUID", value_parser = guid)]
    pub client_id: Option<String>,
    /// The object ID of that service principal in the customer's tenant.
    #[arg(long, value_name = "GUID", value_parser = guid)]
    pub object_id: Option<String>,
}

impl AzureIdArgs {
    pub fn ids(&self) -> crate::lifecycle::scaffold::AzureIds {
        crate::lifecycle::scaffold::AzureIds {
            tenant: self.tenant_id.clone(),
            subscription: self.subscription_id.clone(),
            client: self.client_id.clone(),
            object: self.object_id.clone(),
        }
    }
}

/// A GUID as Azure prints it, and not the all-zero placeholder.
fn guid(text: &str) -> Result<String, String> {
    let groups: Vec<&str> = text.split('-').collect();
    let shaped = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
    if !shaped {
        return Err(
            "write a GUID as Azure shows it, e.g. 6f1c2e8a-3b4d-4c5e-9f60-1a2b3c4d5e6f".into(),
        );
    }
    if text == crate::lifecycle::scaffold::PLACEHOLDER_ID {
        return Err("the all-zero GUID is a placeholder: give the customer's real ID".into());
    }
    Ok(text.to_ascii_lowercase())
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Spec files or folders to render (folders are searched for .yaml and
    /// .yml) [default: the specs folder].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Render only this target of each site's blueprint: terraform, bicep, helm or compose.
    #[arg(long, value_name = "TARGET", value_parser = one_of(Target::ALL, Target::as_str))]
    pub target: Option<Target>,
    /// Folder to write into, as <DIR>/<site>/<target>/<file> [default: the rendered folder].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Parse every output file in its language, instead of each distinct
    /// file shape once per run (slower; the same verdict).
    #[arg(long)]
    pub parse_every_file: bool,
    /// How to report diagnostics.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
    pub format: DiagnosticFormat,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Spec files or folders (default: the specs folder, and then a site
    /// whose spec is gone counts as removed).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The committed output to compare with [default: the rendered folder].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Compare with what the specs and blueprints at this git revision render
    /// to (read from git objects; the work tree is never touched).
    #[arg(long, value_name = "GIT_REF")]
    pub base: Option<String>,
    /// Exit 1 on any difference: "the rendered output is stale".
    #[arg(long)]
    pub check: bool,
    #[arg(long, value_enum, default_value_t = DiffFormatArg::Text)]
    pub format: DiffFormatArg,
}

#[derive(Debug, Args)]
pub struct AffectedArgs {
    /// The git revision to compare with (a commit, a branch, `HEAD~1`,
    /// `origin/main`): its specs and blueprints are rendered in memory.
    #[arg(long, value_name = "GIT_REF")]
    pub base: String,
    #[arg(long, value_enum, default_value_t = AffectedFormat::Text)]
    pub format: AffectedFormat,
    /// Sites per job of `--format matrix` [default: 1, or as many as keep
    /// the matrix within GitHub's 256 jobs].
    #[arg(long, value_name = "N", value_parser = count(1, u64::MAX))]
    pub shard_size: Option<u64>,
}

/// How `affected` prints its sites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AffectedFormat {
    /// One line a site: name, change, targets, why.
    Text,
    /// The same for scripts.
    Json,
    /// A GitHub Actions matrix, `{"include": [{"shard": 1, "sites": "a b"}]}`,
    /// of the added and changed sites (at most 256 jobs).
    Matrix,
}

/// How a diff is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormatArg {
    /// Data-loss findings, then unified diffs.
    Text,
    /// A pull-request comment: a summary table, findings, collapsible diffs.
    Markdown,
    /// The same facts for machines.
    Json,
}

impl From<DiffFormatArg> for DiffFormat {
    fn from(format: DiffFormatArg) -> DiffFormat {
        match format {
            DiffFormatArg::Text => DiffFormat::Text,
            DiffFormatArg::Markdown => DiffFormat::Markdown,
            DiffFormatArg::Json => DiffFormat::Json,
        }
    }
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Spec files or folders [default: the specs folder].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Only sites of this tier.
    #[arg(long, value_name = "TIER", value_parser = one_of(Tier::ALL, Tier::as_str))]
    pub tier: Option<Tier>,
    /// Only sites of this deployment.
    #[arg(long, value_name = "DEPLOYMENT", value_parser = one_of(Deployment::ALL, Deployment::as_str))]
    pub deployment: Option<Deployment>,
    /// Only trials that end within this many days (or have ended).
    #[arg(long, value_name = "DAYS")]
    pub expiring_within: Option<i64>,
    /// The date days are counted from (default: today, or SITECTL_TODAY).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<jiff::civil::Date>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table for a terminal, with totals.
    Table,
    /// An array of objects with stable keys.
    Json,
    /// RFC 4180, with a header row; safe to open in a spreadsheet.
    Csv,
}

#[derive(Debug, Args)]
pub struct ExpiredArgs {
    /// Spec files or folders [default: the specs folder].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The date to judge by (default: today, or SITECTL_TODAY).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<jiff::civil::Date>,
    /// Also list trials that end within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 0)]
    pub within: i64,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct PromoteArgs {
    /// The site's name.
    pub site: String,
    /// The tier to move up to: paid or enterprise (or the same tier, with --deployment).
    #[arg(long, value_name = "TIER", value_parser = one_of(Tier::ALL, Tier::as_str))]
    pub to: Tier,
    /// Move the site to another deployment too (its data changes home: needs --move-data).
    #[arg(long, value_name = "DEPLOYMENT", value_parser = one_of(Deployment::ALL, Deployment::as_str))]
    pub deployment: Option<Deployment>,
    /// Confirm a move across deployments: edit the spec and print the data migration steps.
    #[arg(long)]
    pub move_data: bool,
    /// Seats after the promotion (default: unchanged).
    #[arg(long, value_name = "N")]
    pub seats: Option<u32>,
    /// Last day of the license, for enterprise (default: a year from its start).
    #[arg(long, value_name = "DATE")]
    pub license_end: Option<jiff::civil::Date>,
    /// The license's negotiated annual price: required to promote to enterprise.
    #[arg(long, value_name = "AMOUNT")]
    pub annual_price: Option<f64>,
    /// The license's currency (default: the catalog's).
    #[arg(long, value_name = "CURRENCY", value_parser = one_of(Currency::ALL, Currency::as_str))]
    pub currency: Option<Currency>,
    /// First day of the license, for enterprise (default: today).
    #[arg(long, value_name = "DATE")]
    pub license_start: Option<jiff::civil::Date>,
    /// Folder of the specs [default: the specs folder].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub azure: AzureIdArgs,
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The tier [with --compare of deployments, default: enterprise].
    #[arg(long, value_name = "TIER", value_parser = one_of(Tier::ALL, Tier::as_str), required_unless_present = "compare")]
    pub tier: Option<Tier>,
    /// The deployment [with --compare of tiers, default: managed].
    #[arg(long, value_name = "DEPLOYMENT", value_parser = one_of(Deployment::ALL, Deployment::as_str), required_unless_present = "compare")]
    pub deployment: Option<Deployment>,
    /// Put options side by side on one page: tiers (e.g. trial,paid,enterprise) or deployments (e.g. managed,dedicated,byoi,selfhosted), each with its defaults.
    #[arg(long, value_name = "OPTION,...", value_delimiter = ',', num_args = 1, conflicts_with_all = ["name", "seats", "features", "set", "domain"])]
    pub compare: Vec<String>,
    /// The customer's display name (default: Prospect).
    #[arg(long, value_name = "NAME")]
    pub customer: Option<String>,
    /// The site's name (default: a DNS label made from the customer's name).
    #[arg(long, value_name = "SITE")]
    pub name: Option<String>,
    /// User seats (default: the tier's default; for enterprise, also the license's).
    #[arg(long, value_name = "N")]
    pub seats: Option<u32>,
    /// Features to turn on, comma-separated (e.g. sso,scorm).
    #[arg(long, value_name = "FEATURE,...", value_delimiter = ',')]
    pub features: Vec<String>,
    /// Set a spec field, VALUE read as YAML (repeatable), e.g.
    /// `--set spec.license.annualPrice=90000` or `--set metadata.labels.team=emea`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Product release (defaults to the newest release used under the specs folder).
    #[arg(long, value_name = "VERSION")]
    pub app_version: Option<String>,
    /// The customer's own address, e.g. learn.acme.example (turns on the custom-domain feature).
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// How long the preview's list price holds, in days from today.
    #[arg(long, value_name = "DAYS", default_value_t = 30, value_parser = clap::value_parser!(u16).range(1..=365))]
    pub valid_for: u16,
    /// Also write the generated files to DIR/<site>/<target>/ (and, with
    /// `--format html`, the page to DIR/preview.html).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = PreviewFormat::Text)]
    pub format: PreviewFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PreviewFormat {
    /// A summary for a terminal.
    Text,
    /// One self-contained HTML page with an architecture diagram.
    Html,
}

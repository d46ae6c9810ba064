//! The hand-off's arguments: which sites, how the tools run, and the
//! commands built on the hand-off (drift, reclaim, unlock, the Atlantis
//! gate).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{count, one_of};
use crate::render::target::Target;

#[derive(Debug, Args)]
pub struct HandoffArgs {
    /// Sites to hand off (default: every site, or those of --sites-from).
    #[arg(value_name = "SITE")]
    pub sites: Vec<String>,
    /// Hand off the sites listed in FILE (one per line, `-` for stdin), such
    /// as a CI job's share: a selection, so sites their customer operates are
    /// still skipped, and an empty list hands off nothing.
    #[arg(long, value_name = "FILE", conflicts_with = "affected_since")]
    pub sites_from: Option<PathBuf>,
    /// Hand off the sites whose rendered output differs from what the specs
    /// and blueprints at this git revision render to (`sitectl affected`): a
    /// selection, like --sites-from.
    #[arg(long, value_name = "GIT_REF")]
    pub affected_since: Option<String>,
    /// Hand off only this target: terraform, bicep, helm or compose.
    #[arg(long, value_name = "TARGET", value_parser = one_of(Target::ALL, Target::as_str))]
    pub target: Option<Target>,
    /// Print the exact commands, run none.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply or destroy without asking (required when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Let this site's plan delete or replace data-bearing resources (repeatable).
    #[arg(long, value_name = "SITE")]
    pub allow_data_loss: Vec<String>,
    /// Folder of the specs [default: the specs folder].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The rendered output to hand off [default: the rendered folder].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub tools: ToolArgs,
    /// Also write the run's summary as Markdown to FILE (for a pull-request
    /// comment or a job summary): what each plan does, refusals and failures
    /// first, with the end of their logs.
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    pub summary: Option<PathBuf>,
}

/// How the hand-off's tools run: shared by plan, apply, destroy, reclaim
/// and drift.
#[derive(Debug, Clone, Args)]
pub struct ToolArgs {
    /// Sites worked on at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = count(1, 256))]
    pub jobs: u64,
    /// Stop a command still running after this many seconds (it gets SIGINT, then two minutes).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600, value_parser = count(1, u64::MAX))]
    pub timeout: u64,
    /// The Terraform program: terraform, tofu or a path (default: the first on PATH).
    #[arg(long, value_name = "PROGRAM", env = "SITECTL_TERRAFORM")]
    pub terraform_bin: Option<String>,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Sites to check (default: every site, or those of --sites-from).
    #[arg(value_name = "SITE")]
    pub sites: Vec<String>,
    /// Check the sites listed in FILE (one per line, `-` for stdin), such as
    /// a scheduled job's share of the fleet.
    #[arg(long, value_name = "FILE")]
    pub sites_from: Option<PathBuf>,
    /// Check nothing: combine the JSON reports of earlier checks (the shards
    /// of a fleet's check) into one report, in --format.
    #[arg(long, value_name = "REPORT", num_args = 1.., conflicts_with_all = ["sites", "sites_from", "target", "dry_run"])]
    pub combine: Vec<PathBuf>,
    /// Check only this target: terraform, bicep, helm or compose.
    #[arg(long, value_name = "TARGET", value_parser = one_of(Target::ALL, Target::as_str))]
    pub target: Option<Target>,
    /// Print the exact commands, run none.
    #[arg(long)]
    pub dry_run: bool,
    /// How to report: text for a terminal, markdown for an issue, json for scripts.
    #[arg(long, value_enum, default_value_t = DriftFormat::Text)]
    pub format: DriftFormat,
    /// Folder of the specs [default: the specs folder].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The rendered output to check [default: the rendered folder].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub tools: ToolArgs,
}

#[derive(Debug, Args)]
pub struct AtlantisArgs {
    /// Where to write it [default: atlantis.yaml at the repository's root].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write nothing: exit 1 when the file is not what the sites make.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The plan as `terraform show -json` writes it (`-` for stdin).
    #[arg(value_name = "PLAN_JSON")]
    pub plan: PathBuf,
    /// The site the plan is of, named in the refusal's help.
    #[arg(long, value_name = "SITE")]
    pub site: Option<String>,
    /// Let the plan delete or replace data-bearing resources.
    #[arg(long)]
    pub allow_data_loss: bool,
}

/// How `drift` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftFormat {
    /// A line per target, drifted and failed first, each change beneath.
    Text,
    /// The body of an issue: the totals, a row per drifted resource, the failures.
    Markdown,
    /// The totals and every target, for scripts.
    Json,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The site whose lock to remove.
    pub site: String,
    /// Remove a lock taken on another host, which sitectl cannot check.
    #[arg(long)]
    pub force: bool,
    /// The rendered output the lock is in [default: the rendered folder].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReclaimArgs {
    /// Only these expired trials (default: every trial past its end).
    #[arg(value_name = "SITE")]
    pub sites: Vec<String>,
    /// The date to judge expiry by (default: today, or SITECTL_TODAY).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<jiff::civil::Date>,
    /// Print the trials, the exact commands and the moves; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Reclaim without asking (required when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Folder of the specs; archived specs go to DIR/.reclaimed/<date>/
    /// [default: the specs folder].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The rendered output the destroy runs in [default: the rendered folder].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub tools: ToolArgs,
}

#[derive(Debug, Args)]
pub struct GitopsArgs {
    /// The git repository the controller reads this repository from.
    #[arg(long, value_name = "URL")]
    pub repo_url: String,
    /// The branch it follows.
    #[arg(long, value_name = "BRANCH", default_value = "main")]
    pub revision: String,
    /// Which controller: argocd (one ApplicationSet) or flux (a HelmRelease a site).
    #[arg(long, value_enum, default_value_t = GitopsEngine::Argocd)]
    pub engine: GitopsEngine,
    /// Where to write it [default: gitops/argocd.yaml or gitops/flux.yaml at the repository's root].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write nothing: exit 1 when the file is not what the sites make.
    #[arg(long)]
    pub check: bool,
}

/// The GitOps controller `gitops` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GitopsEngine {
    /// Argo CD: an ApplicationSet with a git files generator over the rendered values.
    Argocd,
    /// Flux: a GitRepository and a HelmRelease per site.
    Flux,
}

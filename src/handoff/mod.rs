//! The hand-off stage: a site's rendered output given to the tool that
//! already applies it (terraform or tofu, helm, docker compose, az), in the
//! site's output folder, one site per job, never two jobs on one site.
//!
//! This module decides the exact commands and runs them; what they print
//! reaches the caller line by line through [`Events`], so the library never
//! prints.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

mod changes;
pub mod drift;
mod gate;
pub mod lock;
mod process;
mod report;
mod run;
mod steps;

use crate::render::target::Target;

pub use changes::Change;
pub use gate::{PlanError, read_plan};
pub use report::{summary_markdown, summary_table};
pub use run::{Limits, lock_sites, run};
pub use steps::{Pass, Role, Step, Tools};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Plan,
    Apply,
    Destroy,
    /// A plan read for what it would change, on code that is applied: the
    /// real infrastructure's drift from it.
    Drift,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Plan => "plan",
            Action::Apply => "apply",
            Action::Destroy => "destroy",
            Action::Drift => "drift",
        }
    }
}

/// What a site needs handed off, read from its output folder.
#[derive(Debug, Clone)]
pub struct SiteWork {
    pub site: String,
    pub dir: PathBuf,
    /// Target folders present, in name order.
    pub targets: Vec<Target>,
    /// Where a Bicep target deploys (its resource group).
    pub resource_group: Option<String>,
    /// Terraform addresses of data-bearing resources.
    pub data_addresses: BTreeSet<String>,
    pub allow_data_loss: bool,
    /// A Terraform override file written beside the site's Terraform files
    /// for the length of its hand-off, then removed (see `reclaim`).
    pub terraform_override: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandoffError {
    #[error("`{tool}` is not installed: {install}")]
    MissingTool {
        tool: &'static str,
        install: &'static str,
    },
    #[error(
        "another hand-off holds the lock on this site ({path}): {holder}; once it is gone, `sitectl unlock {site}` removes the lock"
    )]
    Locked {
        holder: String,
        path: String,
        site: String,
    },
    #[error(
        "the plan would delete data-bearing resources: {0}; pass --allow-data-loss {1} if that is intended"
    )]
    DataLoss(String, String),
    #[error(
        "the plan cannot be read ({0}): the data-loss gate cannot check it, so nothing is applied"
    )]
    UnreadablePlan(PlanError),
    #[error("{0} cannot be read ({1}): what it would change is unknown")]
    UnreadablePreview(String, String),
    #[error("skipped: `{0}` failed before it, in an earlier phase")]
    Skipped(Target),
    #[error("interrupted: the run was stopped before this finished")]
    Interrupted,
    #[error("`{0}` failed with {1}")]
    Failed(String, String),
    #[error(
        "`{0}` gave no answer within {1}s and was stopped (raise --timeout if it needs longer)"
    )]
    TimedOut(String, u64),
    #[error("{0}")]
    Io(String),
    #[error(
        "`az` has no destroy for a Bicep deployment: the customer's resources stay (delete them in the customer's subscription)"
    )]
    NoBicepDestroy,
}

/// How one target of one site ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub site: String,
    pub target: Target,
    pub result: Result<(), HandoffError>,
    /// What a plan said it does (`1 to add, 0 to change, 0 to destroy`).
    pub summary: Option<String>,
    /// What applying the code would change, resource by resource, when the
    /// target's preview was read (every target of a drift check).
    pub changes: Option<Vec<Change>>,
    pub duration: Duration,
    pub log: PathBuf,
}

/// Where the output goes: each line, prefixed with its site, as a whole line.
pub type Events<'a> = &'a (dyn Fn(&str) + Sync);

/// The targets a site's output folder holds (`only` that one), in name order.
pub fn targets_of(dir: &Path, only: Option<Target>) -> Vec<Target> {
    // What sitectl wrote there, never a folder that merely exists.
    let written: BTreeSet<Target> = crate::output::manifest::read(dir)
        .unwrap_or_default()
        .iter()
        .filter_map(|entry| crate::output::manifest::target_of(entry))
        .collect();
    written
        .into_iter()
        .filter(|t| only.is_none_or(|o| o == *t))
        .collect()
}

impl SiteWork {
    /// The site's targets in the order `action` takes them: infrastructure
    /// before the workloads that use it, and the reverse to destroy.
    pub fn targets_in_order(&self, action: Action) -> Vec<Target> {
        let mut targets = self.targets.clone();
        match action {
            Action::Plan | Action::Apply | Action::Drift => Target::apply_order(&mut targets),
            Action::Destroy => Target::destroy_order(&mut targets),
        }
        targets
    }
}

/// A site's work, from its spec and the blueprints' data resources.
pub fn work_for(
    out: &Path,
    site: &crate::validate::ValidSite,
    only_target: Option<Target>,
    data: &[crate::render::blueprint::DataResource],
    allow: &BTreeSet<String>,
) -> SiteWork {
    let name = site.site.metadata.name.clone();
    let dir = out.join(&name);
    let resource_group = site
        .site
        .spec
        .byoi
        .as_ref()
        .map(|b| b.resource_group.clone())
        .or_else(|| Some(crate::render::resolve::Names::for_site(&name).resource_group));
    SiteWork {
        targets: targets_of(&dir, only_target),
        dir,
        resource_group,
        data_addresses: data.iter().filter_map(|d| d.terraform.clone()).collect(),
        allow_data_loss: allow.contains(&name),
        terraform_override: None,
        site: name,
    }
}

/// Groups outcomes by site for a quick "did any fail".
pub fn failed_sites(outcomes: &[Outcome]) -> BTreeMap<&str, usize> {
    let mut failed = BTreeMap::new();
    for o in outcomes.iter().filter(|o| o.result.is_err()) {
        *failed.entry(o.site.as_str()).or_insert(0) += 1;
    }
    failed
}

//! The diff stage: what a render would change, file by file, and whether any
//! change can destroy customer data (the data-loss gate).
//!
//! Both sides are sets of files by site: the new render in memory, and the
//! old one from the output folder (the files each site's manifest lists) or
//! from a render of another git revision.

pub mod affected;
pub mod base;
pub mod format;
pub mod gate;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::output::manifest;
use crate::render::blueprint::DataResource;
use crate::render::engine::RenderedFile;

/// One side of a diff: every file of every site, and what is known of each site.
#[derive(Debug, Default, Clone)]
pub struct Side {
    /// `(site, "<target>/<file>")` → contents.
    pub files: BTreeMap<(String, String), String>,
    /// Site → (tier, deployment), where the side knows it.
    pub sites: BTreeMap<String, (String, String)>,
}

impl Side {
    pub fn from_render(files: &[RenderedFile], sites: BTreeMap<String, (String, String)>) -> Side {
        Side {
            files: files
                .iter()
                .map(|f| {
                    (
                        (f.site.clone(), format!("{}/{}", f.target, f.output)),
                        f.contents.clone(),
                    )
                })
                .collect(),
            sites,
        }
    }

    /// What sitectl wrote under `out`: for each site folder, the files its
    /// manifest lists. `only` limits it to some sites.
    pub fn from_disk(out: &Path, only: Option<&BTreeSet<String>>) -> Side {
        let mut side = Side::default();
        for site in site_folders(out) {
            if only.is_none_or(|only| only.contains(&site)) {
                side.read_site(out, &site);
            }
        }
        side
    }

    /// What sitectl wrote under `out` for one site.
    pub fn from_disk_site(out: &Path, site: &str) -> Side {
        let mut side = Side::default();
        side.read_site(out, site);
        side
    }

    fn read_site(&mut self, out: &Path, site: &str) {
        let dir = out.join(site);
        if crate::output::scan::is_link(&dir) {
            // Never read through a link (the check reports it).
            return;
        }
        for entry in manifest::read(&dir).unwrap_or_default() {
            if let Some(text) = crate::output::scan::read_listed(&dir, &entry) {
                self.files.insert((site.to_string(), entry), text);
            }
        }
    }

    pub(crate) fn site_names(&self) -> BTreeSet<&str> {
        self.files.keys().map(|(site, _)| site.as_str()).collect()
    }
}

/// The names of the folders under `out`, sorted: the sites it holds output
/// of (a name that is a link included; reading one never follows it).
pub fn site_folders(out: &Path) -> Vec<String> {
    crate::output::scan::sorted_entries(out)
        .iter()
        .filter_map(|path| path.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    Modified,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileDiff {
    pub site: String,
    pub path: String,
    pub change: Change,
    pub added: usize,
    pub removed: usize,
    /// A unified diff, `a/<site>/<path>` against `b/<site>/<path>`.
    pub unified: String,
}

/// A change that would delete or replace a data-bearing resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub site: String,
    /// The resource as its tool knows it (`azurerm_..._database.site`,
    /// `volume postgres-data`, `bicep postgres`, `helm persistence.claimName`).
    pub resource: String,
    pub kind: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteSummary {
    pub site: String,
    pub tier: String,
    pub deployment: String,
    pub targets: Vec<String>,
    pub files_changed: usize,
    pub added: usize,
    pub removed: usize,
    pub findings: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub sites: Vec<SiteSummary>,
    pub files: Vec<FileDiff>,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Takes in the report of other sites; [`Report::sort`] puts the whole
    /// in the order one comparison of every site at once gives.
    pub fn absorb(&mut self, other: Report) {
        self.findings.extend(other.findings);
        self.sites.extend(other.sites);
        self.files.extend(other.files);
    }

    pub fn sort(&mut self) {
        self.findings.sort();
        self.sites.sort_by(|a, b| a.site.cmp(&b.site));
        self.files
            .sort_by(|a, b| (&a.site, &a.path).cmp(&(&b.site, &b.path)));
    }
}

/// Every difference from `old` to `new`, and the data-loss findings among
/// them. `data` is every data-bearing resource any blueprint declares.
pub fn compare(old: &Side, new: &Side, data: &[DataResource]) -> Report {
    let mut report = Report::default();
    let keys: BTreeSet<&(String, String)> = old.files.keys().chain(new.files.keys()).collect();
    for key in keys {
        let (before, after) = (old.files.get(key), new.files.get(key));
        if before == after {
            continue;
        }
        let (site, path) = key;
        let change = match (before, after) {
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            _ => Change::Modified,
        };
        let a = before.map(String::as_str).unwrap_or_default();
        let b = after.map(String::as_str).unwrap_or_default();
        let diff = similar::TextDiff::from_lines(a, b);
        let (mut added, mut removed) = (0, 0);
        for change in diff.iter_all_changes() {
            match change.tag() {
                similar::ChangeTag::Insert => added += 1,
                similar::ChangeTag::Delete => removed += 1,
                similar::ChangeTag::Equal => {}
            }
        }
        let unified = diff
            .unified_diff()
            .context_radius(3)
            .header(
                &if before.is_some() {
                    format!("a/{site}/{path}")
                } else {
                    "/dev/null".into()
                },
                &if after.is_some() {
                    format!("b/{site}/{path}")
                } else {
                    "/dev/null".into()
                },
            )
            .to_string();
        report.files.push(FileDiff {
            site: site.clone(),
            path: path.clone(),
            change,
            added,
            removed,
            unified,
        });
    }
    let sites: BTreeSet<&str> = old.site_names().union(&new.site_names()).copied().collect();
    for site in sites {
        report
            .findings
            .extend(gate::data_loss(site, old, new, data));
    }
    report.findings.sort();
    let changed: BTreeSet<&str> = report.files.iter().map(|f| f.site.as_str()).collect();
    for site in changed {
        let files: Vec<&FileDiff> = report.files.iter().filter(|f| f.site == site).collect();
        let (tier, deployment) = new
            .sites
            .get(site)
            .or_else(|| old.sites.get(site))
            .cloned()
            .unwrap_or_else(|| ("(removed)".into(), "(removed)".into()));
        let targets: BTreeSet<String> = files
            .iter()
            .map(|f| f.path.split('/').next().unwrap_or_default().to_string())
            .collect();
        report.sites.push(SiteSummary {
            site: site.to_string(),
            tier,
            deployment,
            targets: targets.into_iter().collect(),
            files_changed: files.len(),
            added: files.iter().map(|f| f.added).sum(),
            removed: files.iter().map(|f| f.removed).sum(),
            findings: report.findings.iter().filter(|f| f.site == site).count(),
        });
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(files: &[(&str, &str, &str)]) -> Side {
        Side {
            files: files
                .iter()
                .map(|(s, p, t)| ((s.to_string(), p.to_string()), t.to_string()))
                .collect(),
            sites: BTreeMap::new(),
        }
    }

    fn database() -> Vec<DataResource> {
        vec![
            DataResource {
                kind: "database".into(),
                description: "db".into(),
                terraform: Some("azurerm_postgresql_flexible_server_database.site".into()),
                bicep: None,
                compose: None,
                helm: None,
                terraform_moved_from: vec![
                    "azurerm_postgresql_flexible_server_database.old".into(),
                ],
            },
            DataResource {
                kind: "volume".into(),
                description: "v".into(),
                terraform: None,
                bicep: None,
                compose: Some("postgres-data".into()),
                helm: None,
                terraform_moved_from: Vec::new(),
            },
        ]
    }

    const DB: &str = "resource \"azurerm_postgresql_flexible_server_database\" \"site\" {\n  name = \"acme\"\n}\n";

    #[test]
    fn an_unchanged_database_is_no_finding() {
        let old = side(&[("a", "terraform/main.tf", DB)]);
        let new = side(&[("a", "terraform/main.tf", &format!("# tags changed\n{DB}"))]);
        let report = compare(&old, &new, &database());
        assert_eq!(report.files.len(), 1);
        assert!(report.findings.is_empty(), "{:?}", report.findings);
    }

    #[test]
    fn a_renamed_database_is_a_replacement() {
        let old = side(&[("a", "terraform/main.tf", DB)]);
        let new = side(&[("a", "terraform/main.tf", &DB.replace("acme", "acme_paid"))]);
        let report = compare(&old, &new, &database());
        assert_eq!(report.findings.len(), 1);
        assert!(
            report.findings[0].reason.contains("replace"),
            "{:?}",
            report.findings
        );
    }

    #[test]
    fn a_dropped_database_and_a_removed_site_are_deletions() {
        let old = side(&[
            ("a", "terraform/main.tf", DB),
            ("b", "terraform/main.tf", DB),
        ]);
        let new = side(&[("a", "terraform/main.tf", "# nothing\n")]);
        let report = compare(&old, &new, &database());
        let reasons: Vec<&str> = report.findings.iter().map(|f| f.reason.as_str()).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].contains("no longer rendered"));
        assert!(reasons[1].contains("spec is gone"));
    }

    #[test]
    fn a_new_location_forces_replacement() {
        let at = |region: &str| {
            format!(
                "resource \"azurerm_postgresql_flexible_server_database\" \"site\" {{\n  name = \"acme\"\n  location = \"{region}\"\n}}\n"
            )
        };
        let old = side(&[("a", "terraform/main.tf", &at("eastus"))]);
        let new = side(&[("a", "terraform/main.tf", &at("westeurope"))]);
        let findings = compare(&old, &new, &database()).findings;
        assert_eq!(findings.len(), 1);
        assert!(findings[0].reason.contains("westeurope"), "{findings:?}");
    }

    #[test]
    fn a_declared_move_is_no_finding() {
        let old = side(&[("a", "terraform/main.tf", &DB.replace("\"site\"", "\"old\""))]);
        let new = side(&[("a", "terraform/main.tf", DB)]);
        assert!(compare(&old, &new, &database()).findings.is_empty());
    }

    #[test]
    fn a_renamed_compose_volume_is_a_replacement() {
        let old = side(&[(
            "a",
            "compose/compose.yaml",
            "volumes:\n  postgres-data:\n    name: \"a-data\"\n",
        )]);
        let new = side(&[(
            "a",
            "compose/compose.yaml",
            "volumes:\n  postgres-data:\n    name: \"b-data\"\n",
        )]);
        assert_eq!(compare(&old, &new, &database()).findings.len(), 1);
    }
}

//! The diff stage: what a render would change, file by file, and whether any
//! change can destroy customer data (the data-loss gate).
//!
//! Both sides are sets of files by site: the new render in memory, and the
//! old one from the output folder (the files each site's manifest lists) or
//! from a render of another git revision.

pub mod base;
pub mod format;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use serde::Serialize;

use crate::output::write::MANIFEST;
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
        let mut dirs: Vec<_> = fs::read_dir(out)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        dirs.sort();
        for dir in dirs {
            let site = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if only.is_some_and(|only| !only.contains(&site)) {
                continue;
            }
            let Ok(manifest) = fs::read_to_string(dir.join(MANIFEST)) else {
                continue;
            };
            for entry in manifest
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
            {
                if entry.split('/').count() != 2
                    || entry.split('/').any(|p| p.is_empty() || p == "..")
                {
                    continue;
                }
                if let Ok(text) = fs::read_to_string(dir.join(entry)) {
                    side.files.insert((site.clone(), entry.to_string()), text);
                }
            }
        }
        side
    }

    fn site_names(&self) -> BTreeSet<&str> {
        self.files.keys().map(|(site, _)| site.as_str()).collect()
    }
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
        report.findings.extend(data_loss(site, old, new, data));
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

/// The data-bearing resources of one site on one side: identifier → the
/// attributes that, when changed, replace the resource (its name, location).
fn inventory(site: &str, side: &Side, data: &[DataResource]) -> BTreeMap<String, (String, String)> {
    let files: Vec<(&str, &str)> = side
        .files
        .iter()
        .filter(|((s, _), _)| s == site)
        .map(|((_, path), text)| (path.as_str(), text.as_str()))
        .collect();
    let mut found = BTreeMap::new();
    let tf: String = files
        .iter()
        .filter(|(p, _)| p.ends_with(".tf"))
        .map(|(_, t)| *t)
        .collect::<Vec<_>>()
        .join("\n");
    let terraform = terraform_resources(&tf);
    let bicep: BTreeMap<String, String> = files
        .iter()
        .filter(|(p, _)| p.ends_with(".bicep"))
        .flat_map(|(_, t)| bicep_resources(t))
        .collect();
    let volumes: BTreeMap<String, String> = files
        .iter()
        .filter(|(p, _)| p.starts_with("compose/") && (p.ends_with(".yaml") || p.ends_with(".yml")))
        .flat_map(|(_, t)| compose_volumes(t))
        .collect();
    let claims: BTreeMap<String, String> = files
        .iter()
        .filter(|(p, _)| p.starts_with("helm/") && p.ends_with("values.yaml"))
        .filter_map(|(_, t)| helm_claim(t))
        .map(|claim| ("persistence.claimName".to_string(), claim))
        .collect();
    for resource in data {
        for address in resource
            .terraform
            .iter()
            .chain(&resource.terraform_moved_from)
        {
            if let Some(attributes) = terraform.get(address) {
                found.insert(address.clone(), (resource.kind.clone(), attributes.clone()));
            }
        }
        if let Some(symbol) = &resource.bicep
            && let Some(name) = bicep.get(symbol)
        {
            found.insert(
                format!("bicep {symbol}"),
                (resource.kind.clone(), name.clone()),
            );
        }
        if let Some(volume) = &resource.compose
            && let Some(name) = volumes.get(volume)
        {
            found.insert(
                format!("volume {volume}"),
                (resource.kind.clone(), name.clone()),
            );
        }
        if let Some(path) = &resource.helm
            && let Some(claim) = claims.get(path)
        {
            found.insert(
                format!("helm {path}"),
                (resource.kind.clone(), claim.clone()),
            );
        }
    }
    found
}

fn data_loss(site: &str, old: &Side, new: &Side, data: &[DataResource]) -> Vec<Finding> {
    let before = inventory(site, old, data);
    let after = inventory(site, new, data);
    let site_removed = !new.files.keys().any(|(s, _)| s == site);
    // An address a blueprint declares as moved to one that is still there.
    let moved = |resource: &str| {
        data.iter().any(|d| {
            d.terraform_moved_from.iter().any(|from| from == resource)
                && d.terraform
                    .as_ref()
                    .is_some_and(|to| after.contains_key(to))
        })
    };
    before
        .iter()
        .filter_map(|(resource, (kind, identity))| {
            let reason = match after.get(resource) {
                None if moved(resource) => return None,
                None if site_removed => {
                    "the site's spec is gone: its output would be destroyed".to_string()
                }
                None => "it is no longer rendered: the change would delete it".to_string(),
                Some((_, now)) if now != identity => {
                    format!(
                        "its identity changes ({identity} → {now}): the change would replace it"
                    )
                }
                Some(_) => return None,
            };
            Some(Finding {
                site: site.to_string(),
                resource: resource.clone(),
                kind: kind.clone(),
                reason,
            })
        })
        .collect()
}

/// `type.name` → the attributes that force replacement when they change.
fn terraform_resources(text: &str) -> BTreeMap<String, String> {
    let Ok(body) = hcl::parse(text) else {
        return BTreeMap::new();
    };
    body.blocks()
        .filter(|block| block.identifier() == "resource" && block.labels().len() == 2)
        .map(|block| {
            let labels = block.labels();
            let address = format!("{}.{}", labels[0].as_str(), labels[1].as_str());
            let identity: Vec<String> = block
                .body()
                .attributes()
                .filter(|a| {
                    matches!(
                        a.key(),
                        "name" | "location" | "server_id" | "storage_account_id"
                    )
                })
                .map(|a| format!("{} = {}", a.key(), a.expr()))
                .collect();
            (address, identity.join(", "))
        })
        .collect()
}

/// Bicep symbolic name → the resource's `name:` as written.
fn bicep_resources(text: &str) -> Vec<(String, String)> {
    let Some(tree) = crate::render::verify::parse_bicep(text) else {
        return Vec::new();
    };
    let root = tree.root_node();
    let mut cursor = root.walk();
    let mut found = Vec::new();
    for node in root
        .children(&mut cursor)
        .filter(|n| n.kind() == "resource_declaration")
    {
        let mut inner = node.walk();
        let children: Vec<_> = node.children(&mut inner).collect();
        let Some(symbol) = children.iter().find(|c| c.kind() == "identifier") else {
            continue;
        };
        let name = children
            .iter()
            .find(|c| c.kind() == "object")
            .and_then(|object| {
                let mut walk = object.walk();
                object.children(&mut walk).find_map(|property| {
                    let key = property.child(0)?;
                    (property.kind() == "object_property" && &text[key.byte_range()] == "name")
                        .then(|| property.child(2).map(|v| text[v.byte_range()].to_string()))
                        .flatten()
                })
            })
            .unwrap_or_default();
        found.push((text[symbol.byte_range()].to_string(), name));
    }
    found
}

/// Compose volume key → its `name:` (the key when it has none).
fn compose_volumes(text: &str) -> Vec<(String, String)> {
    let Ok(root) = crate::source::yaml::parse(text) else {
        return Vec::new();
    };
    let Some(crate::source::yaml::Value::Map(entries)) = root.get("volumes").map(|v| &v.value)
    else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|e| {
            let name = match e.value.get("name").map(|n| &n.value) {
                Some(crate::source::yaml::Value::Str(name, _)) => name.clone(),
                _ => e.key.clone(),
            };
            (e.key.clone(), name)
        })
        .collect()
}

/// The claim name of Helm values with persistence on.
fn helm_claim(text: &str) -> Option<String> {
    let root = crate::source::yaml::parse(text).ok()?;
    let persistence = root.get("persistence")?;
    let on = matches!(
        persistence.get("enabled").map(|v| &v.value),
        Some(crate::source::yaml::Value::Bool(true))
    );
    match persistence.get("claimName").map(|v| &v.value) {
        Some(crate::source::yaml::Value::Str(claim, _)) if on => Some(claim.clone()),
        _ => None,
    }
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

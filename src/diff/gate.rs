//! The data-loss gate of a diff: which data-bearing resources a change
//! deletes or replaces, read from both sides' rendered files through the
//! one reader of rendered output.

use std::collections::BTreeMap;

use crate::diff::{Finding, Side};
use crate::output::inspect;
use crate::render::blueprint::DataResource;

/// The data-bearing resources of one site on one side: identifier → the
/// attributes that, when changed, replace the resource (its name, location).
/// A site's files on one side, `(path, contents)` in path order: a range
/// of the side's map, never a scan of every site's files (which made a
/// fleet's diff grow with sites × files).
fn site_files<'s>(side: &'s Side, site: &str) -> Vec<(&'s str, &'s str)> {
    side.files
        .range((site.to_string(), String::new())..)
        .take_while(|((s, _), _)| s == site)
        .map(|((_, path), text)| (path.as_str(), text.as_str()))
        .collect()
}

fn inventory(files: &[(&str, &str)], data: &[DataResource]) -> BTreeMap<String, (String, String)> {
    let mut found = BTreeMap::new();
    let tf: String = files
        .iter()
        .filter(|(p, _)| p.ends_with(".tf"))
        .map(|(_, t)| *t)
        .collect::<Vec<_>>()
        .join("\n");
    let terraform: BTreeMap<String, String> = inspect::terraform_resources(&tf)
        .into_iter()
        .map(|r| (r.address(), r.identity))
        .collect();
    let bicep: BTreeMap<String, String> = files
        .iter()
        .filter(|(p, _)| p.ends_with(".bicep"))
        .flat_map(|(_, t)| inspect::bicep_declarations(t, inspect::Depth::TopLevel))
        .filter(|d| !d.module)
        .map(|d| (d.symbol, d.name))
        .collect();
    let volumes: BTreeMap<String, String> = files
        .iter()
        .filter(|(p, _)| p.starts_with("compose/") && (p.ends_with(".yaml") || p.ends_with(".yml")))
        .filter_map(|(_, t)| inspect::yaml_tree(t))
        .flat_map(|root| inspect::compose_volumes(&root))
        .collect();
    let claims: BTreeMap<String, String> = files
        .iter()
        .filter(|(p, _)| p.starts_with("helm/") && p.ends_with("values.yaml"))
        .filter_map(|(_, t)| inspect::helm_claim(&inspect::yaml_tree(t)?))
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

pub(crate) fn data_loss(site: &str, old: &Side, new: &Side, data: &[DataResource]) -> Vec<Finding> {
    let (old_files, new_files) = (site_files(old, site), site_files(new, site));
    // Output that did not change deletes nothing: not parsed again.
    if data.is_empty() || old_files == new_files {
        return Vec::new();
    }
    let before = inventory(&old_files, data);
    let after = inventory(&new_files, data);
    let site_removed = new_files.is_empty();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sites_files_are_its_own_whatever_the_names_around_it() {
        let side = Side {
            files: [("a", "t/1"), ("a", "t/2"), ("a-b", "t/1"), ("b", "t/1")]
                .into_iter()
                .map(|(site, path)| {
                    (
                        (site.to_string(), path.to_string()),
                        format!("{site}:{path}"),
                    )
                })
                .collect(),
            sites: BTreeMap::new(),
        };
        assert_eq!(site_files(&side, "a"), [("t/1", "a:t/1"), ("t/2", "a:t/2")]);
        assert_eq!(site_files(&side, "a-b"), [("t/1", "a-b:t/1")]);
        assert!(site_files(&side, "c").is_empty());
    }
}

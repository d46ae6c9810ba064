//! `sitectl affected`: the sites whose rendered output differs between a git
//! revision and the working tree, for any cause, found by rendering both
//! sides (never by guessing from the paths a commit touched), each with the
//! targets that change and why: which of its inputs differs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::diff::Change;
use crate::render::blueprint::{self, folder_digest};
use crate::render::pipeline::Rendered;
use crate::render::target::Target;
use crate::source::tree::Tree;

/// One side of the comparison: what it renders, and the tree it was read
/// from (the inputs' bytes, for the why).
pub struct Inputs<'a> {
    pub rendered: Option<&'a Rendered>,
    pub tree: &'a Tree,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AffectedSite {
    pub site: String,
    pub change: Change,
    /// The targets whose files differ, in hand-off order.
    pub targets: Vec<String>,
    /// Which inputs differ: `spec sites/acme.yaml`, `blueprint managed`, ...
    pub why: Vec<String>,
}

/// What the inputs of one side are, per site and shared.
struct Fingerprints {
    /// Site → (spec name, spec text, blueprint name).
    sites: BTreeMap<String, (String, String, String)>,
    blueprints: BTreeMap<String, Option<String>>,
    catalog: Option<Vec<u8>>,
    chart: Option<String>,
}

fn fingerprints(side: &Inputs<'_>, blueprints_dir: &Path) -> Fingerprints {
    let mut sites = BTreeMap::new();
    let mut names = BTreeSet::new();
    if let Some(rendered) = side.rendered {
        for valid in &rendered.valid {
            let name = blueprint::name_for(&valid.site);
            names.insert(name.clone());
            let source = &valid.document.source;
            sites.insert(
                valid.site.metadata.name.clone(),
                (source.name.clone(), source.text.clone(), name),
            );
        }
        names.extend(rendered.blueprints.keys().cloned());
    }
    let blueprints = names
        .into_iter()
        .map(|name| {
            let digest = folder_digest(side.tree, &blueprints_dir.join(&name));
            (name, digest)
        })
        .collect();
    Fingerprints {
        sites,
        blueprints,
        catalog: side
            .tree
            .read(
                &blueprints_dir.join(crate::validate::catalog::CATALOG_FILE),
                u64::MAX - 1,
            )
            .ok(),
        chart: blueprint::chart_digest(side.tree, blueprints_dir),
    }
}

/// Every site whose output differs between `old` and `new`.
pub fn affected<'a>(
    old: &Inputs<'a>,
    new: &Inputs<'a>,
    blueprints_dir: &Path,
) -> Vec<AffectedSite> {
    // Site -> (target, output) -> contents, borrowed from the renders.
    type Files<'r> = BTreeMap<&'r str, BTreeMap<(Target, &'r str), &'r str>>;
    let by_site = |inputs: &Inputs<'a>| -> Files<'a> {
        let mut sites: Files<'a> = BTreeMap::new();
        for file in inputs.rendered.iter().flat_map(|r| &r.files) {
            sites
                .entry(file.site.as_str())
                .or_default()
                .insert((file.target, file.output.as_str()), file.contents.as_str());
        }
        sites
    };
    let (old_files, new_files) = (by_site(old), by_site(new));
    // The inputs are hashed only once some site is found to differ.
    let prints = std::cell::OnceCell::new();
    let names: BTreeSet<&str> = old_files.keys().chain(new_files.keys()).copied().collect();
    let empty = BTreeMap::new();
    let mut found = Vec::new();
    for site in names {
        let before = old_files.get(site).unwrap_or(&empty);
        let after = new_files.get(site).unwrap_or(&empty);
        if before == after {
            continue;
        }
        let files: BTreeSet<&(Target, &str)> = before.keys().chain(after.keys()).collect();
        let mut targets: Vec<Target> = files
            .into_iter()
            .filter(|f| before.get(*f) != after.get(*f))
            .map(|(target, _)| *target)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // In the order a hand-off applies them.
        Target::apply_order(&mut targets);
        let (old_prints, new_prints) = prints.get_or_init(|| {
            (
                fingerprints(old, blueprints_dir),
                fingerprints(new, blueprints_dir),
            )
        });
        let (change, why) = match (old_prints.sites.get(site), new_prints.sites.get(site)) {
            (None, Some((spec, ..))) => (Change::Added, vec![format!("new spec {spec}")]),
            (Some((spec, ..)), None) => (Change::Removed, vec![format!("spec {spec} removed")]),
            _ => (Change::Modified, why(site, old_prints, new_prints)),
        };
        found.push(AffectedSite {
            site: site.to_string(),
            change,
            targets: targets.iter().map(|t| t.to_string()).collect(),
            why,
        });
    }
    found
}

fn why(site: &str, old: &Fingerprints, new: &Fingerprints) -> Vec<String> {
    let (Some((_, old_text, old_blueprint)), Some((spec, new_text, new_blueprint))) =
        (old.sites.get(site), new.sites.get(site))
    else {
        return Vec::new();
    };
    let mut why = Vec::new();
    if old_text != new_text {
        why.push(format!("spec {spec}"));
    }
    if old_blueprint != new_blueprint {
        why.push(format!("blueprint {old_blueprint} -> {new_blueprint}"));
    } else if old.blueprints.get(new_blueprint) != new.blueprints.get(new_blueprint) {
        why.push(format!("blueprint {new_blueprint}"));
    }
    if old.catalog != new.catalog {
        why.push("tier catalog".into());
    }
    if old.chart != new.chart {
        why.push("chart".into());
    }
    if why.is_empty() {
        // Its own inputs are the same: a template it includes or extends
        // from another blueprint changed, or sitectl itself renders anew.
        let others: Vec<String> = new
            .blueprints
            .iter()
            .filter(|(name, digest)| old.blueprints.get(*name) != Some(digest))
            .map(|(name, _)| format!("blueprint {name} (shared templates)"))
            .collect();
        why = if others.is_empty() {
            vec!["sitectl's rendering (no input of the site changed)".into()]
        } else {
            others
        };
    }
    why
}

/// The sites as shards of at most `size` (at least one shard when there is
/// a site): one CI job each.
pub fn shards(sites: &[&str], size: usize) -> Vec<Vec<String>> {
    sites
        .chunks(size.max(1))
        .map(|chunk| chunk.iter().map(|s| s.to_string()).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_in_order_and_never_exceed_the_size() {
        let sites = ["a", "b", "c", "d", "e"];
        assert_eq!(
            shards(&sites, 2),
            [vec!["a", "b"], vec!["c", "d"], vec!["e"]]
        );
        assert_eq!(shards(&sites, 10).len(), 1);
        assert!(shards(&[], 3).is_empty());
    }
}

//! The sites repository a command works in: its specs, rendered output and
//! blueprints folders, resolved once per run from flags, the environment or
//! the defaults, so that every command honours the same three folders.
//!
//! Like git and cargo, a command finds the repository by walking up from the
//! working directory: the root is the nearest folder that holds
//! `blueprints/tiers.yaml`. Paths stay relative to the working directory
//! (`sites`, or `../sites` from a sub-folder), so diagnostics read the same
//! way they would with a path typed by hand.

use std::path::{Path, PathBuf};

use crate::validate::catalog::CATALOG_FILE;

/// The folder names under the repository root.
pub const SITES: &str = "sites";
pub const RENDERED: &str = "rendered";
pub const BLUEPRINTS: &str = "blueprints";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// The site specs (`sites/`).
    pub sites: PathBuf,
    /// The rendered output (`rendered/`).
    pub rendered: PathBuf,
    /// The blueprints and the tier catalog (`blueprints/`).
    pub blueprints: PathBuf,
    /// Whether a repository was found, or its blueprints named; without
    /// either, there is nothing to compile against.
    pub found: bool,
}

/// Folders named by a flag or the environment: each wins over the default.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub sites: Option<PathBuf>,
    pub rendered: Option<PathBuf>,
    pub blueprints: Option<PathBuf>,
}

impl Workspace {
    /// The workspace seen from `cwd`: the nearest folder at or above it
    /// holding `blueprints/tiers.yaml` is the root; without one, `cwd` is.
    pub fn find(cwd: &Path, overrides: Overrides) -> Workspace {
        let depth = cwd
            .ancestors()
            .position(|dir| dir.join(BLUEPRINTS).join(CATALOG_FILE).is_file());
        let found = depth.is_some() || overrides.blueprints.is_some();
        let root: PathBuf = std::iter::repeat_n("..", depth.unwrap_or(0)).collect();
        Workspace {
            found,
            sites: overrides.sites.unwrap_or_else(|| root.join(SITES)),
            rendered: overrides.rendered.unwrap_or_else(|| root.join(RENDERED)),
            blueprints: overrides
                .blueprints
                .unwrap_or_else(|| root.join(BLUEPRINTS)),
        }
    }

    /// The Helm chart every site's values feed.
    pub fn chart(&self) -> PathBuf {
        crate::render::blueprint::chart(&self.blueprints)
    }

    /// The repository's root, absolute: the folder that holds the blueprints
    /// (git, Atlantis and GitOps controllers see paths from there).
    pub fn repository(&self) -> PathBuf {
        let cwd = std::env::current_dir().unwrap_or_default();
        let blueprints = crate::source::tree::lexical(&cwd.join(&self.blueprints));
        blueprints
            .parent()
            .map_or_else(|| blueprints.clone(), Path::to_path_buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_found_from_any_sub_folder() {
        let dir = std::env::temp_dir().join(format!("sitectl-workspace-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("blueprints")).unwrap();
        std::fs::create_dir_all(dir.join("sites/emea/uk")).unwrap();
        std::fs::write(dir.join("blueprints").join(CATALOG_FILE), "x").unwrap();

        let at_root = Workspace::find(&dir, Overrides::default());
        assert_eq!(at_root.sites, Path::new("sites"));
        assert_eq!(at_root.blueprints, Path::new("blueprints"));

        let below = Workspace::find(&dir.join("sites/emea/uk"), Overrides::default());
        assert_eq!(below.blueprints, Path::new("../../../blueprints"));
        assert_eq!(below.sites, Path::new("../../../sites"));
        assert_eq!(below.rendered, Path::new("../../../rendered"));

        let named = Workspace::find(
            &dir.join("sites"),
            Overrides {
                rendered: Some("out".into()),
                ..Overrides::default()
            },
        );
        assert_eq!(named.rendered, Path::new("out"));
        assert_eq!(named.sites, Path::new("../sites"));

        let outside = Workspace::find(&std::env::temp_dir(), Overrides::default());
        assert_eq!(outside.sites, Path::new("sites"));
        assert!(!outside.found && at_root.found && below.found);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! The outputs a blueprint can render, as a type: each target knows the
//! language of its files, the extensions it writes, and the phase in which
//! the hand-off applies it (ARCHITECTURE.md, "Targets").

use crate::render::escape::Language;
use crate::spec::SelfhostedTarget;
use crate::spec::named_enum;
use std::fmt;

use serde::{Deserialize, Serialize};

named_enum!(
    /// One output of a site, rendered into `<out>/<site>/<target>/`.
    /// Declared in name order: that is the order files and tables list them in.
    Target { Bicep = "bicep", Compose = "compose", Helm = "helm", Terraform = "terraform" }
);

/// When a target's hand-off runs relative to the site's others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Databases, storage, networks, key vaults: what the app needs to exist.
    Infrastructure,
    /// The app itself, which connects to the infrastructure as it starts.
    Workloads,
}

impl Target {
    pub fn phase(self) -> Phase {
        match self {
            Target::Terraform | Target::Bicep => Phase::Infrastructure,
            Target::Helm | Target::Compose => Phase::Workloads,
        }
    }

    /// The extensions of the files this target writes.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Target::Terraform => &["tf"],
            Target::Bicep => &["bicep", "bicepparam"],
            Target::Helm => &["yaml", "yml"],
            Target::Compose => &["yaml", "yml", "env", "example"],
        }
    }

    /// The language of one of this target's files, by its name, when the
    /// blueprint does not say: a Compose file is Compose YAML, whose `$`
    /// must be doubled, not plain YAML.
    pub fn language_of(self, output: &str) -> Option<Language> {
        let extension = output.rsplit('.').next().unwrap_or_default();
        if !self.extensions().contains(&extension) {
            return Language::from_file_name(output);
        }
        Some(match (self, extension) {
            (Target::Terraform, _) => Language::Hcl,
            (Target::Bicep, _) => Language::Bicep,
            (Target::Helm, _) => Language::Yaml,
            (Target::Compose, "env" | "example") => Language::Dotenv,
            (Target::Compose, _) => Language::Compose,
        })
    }

    /// `targets` in the order the hand-off applies them: infrastructure
    /// first, then the workloads that use it (name order within a phase).
    pub fn apply_order(targets: &mut [Target]) {
        targets.sort_by_key(|t| (t.phase(), *t));
    }

    /// `targets` in the order the hand-off destroys them: the reverse.
    pub fn destroy_order(targets: &mut [Target]) {
        Target::apply_order(targets);
        targets.reverse();
    }
}

impl From<SelfhostedTarget> for Target {
    fn from(target: SelfhostedTarget) -> Target {
        match target {
            SelfhostedTarget::Compose => Target::Compose,
            SelfhostedTarget::Helm => Target::Helm,
            SelfhostedTarget::Bicep => Target::Bicep,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infrastructure_is_applied_before_the_workloads_and_destroyed_after() {
        let mut targets = Target::ALL.to_vec();
        Target::apply_order(&mut targets);
        assert_eq!(
            targets,
            [
                Target::Bicep,
                Target::Terraform,
                Target::Compose,
                Target::Helm
            ]
        );
        Target::destroy_order(&mut targets);
        assert_eq!(
            targets,
            [
                Target::Helm,
                Target::Compose,
                Target::Terraform,
                Target::Bicep
            ]
        );
    }

    #[test]
    fn a_compose_file_is_compose_yaml_and_a_helm_file_plain_yaml() {
        assert_eq!(
            Target::Compose.language_of("compose.yaml"),
            Some(Language::Compose)
        );
        assert_eq!(
            Target::Compose.language_of(".env.example"),
            Some(Language::Dotenv)
        );
        assert_eq!(
            Target::Helm.language_of("values.yaml"),
            Some(Language::Yaml)
        );
        assert_eq!(
            Target::Terraform.language_of("main.tf"),
            Some(Language::Hcl)
        );
        assert_eq!(Target::Terraform.language_of("notes.txt"), None);
    }

    #[test]
    fn names_round_trip() {
        for target in Target::ALL {
            assert_eq!(target.as_str().parse::<Target>(), Ok(*target));
        }
        assert!(
            "terrafrom"
                .parse::<Target>()
                .unwrap_err()
                .contains("`terraform`")
        );
    }
}

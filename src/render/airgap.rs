//! An air-gapped site pulls nothing from outside the customer's network:
//! every image its rendered output runs lives under the spec's `registry`
//! and is pinned by image ID in the blueprint's `images`, which `sitectl
//! bundle` carries and the bundle's install checks. Read off the output
//! itself (the Compose services, the Helm values), so that no template can
//! slip a public image past it.

use std::collections::BTreeSet;

use crate::diagnostic::{Diagnostic, Problem};
use crate::output::inspect;
use crate::render::blueprint::{Blueprint, PinnedImage};
use crate::render::engine::RenderedFile;
use crate::render::escape::Language;
use crate::render::target::Target;
use crate::source::locate::{self, Segment};
use crate::validate::ValidSite;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AirGapError {
    #[error(
        "{file} of this air-gapped site runs `{image}`, which is not under its registry `{registry}`: it would be pulled from outside the customer's network"
    )]
    OutsideRegistry {
        file: String,
        image: String,
        registry: String,
    },
    #[error(
        "{file} of this air-gapped site runs `{image}`, but {blueprint} pins no image ID for `{repository}:{tag}`: the bundle could not carry it, nor its install check it"
    )]
    NotPinned {
        file: String,
        image: String,
        blueprint: String,
        repository: String,
        tag: String,
    },
}

impl Problem for AirGapError {
    fn code(&self) -> &'static str {
        match self {
            AirGapError::OutsideRegistry { .. } => "air-gap-image-outside-registry",
            AirGapError::NotPinned { .. } => "air-gap-image-not-pinned",
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            AirGapError::OutsideRegistry { registry, .. } => format!(
                "run images the customer mirrors under `{registry}` (a custom `extensions.image` too), or set the site's registry to the one that holds this image"
            ),
            AirGapError::NotPinned {
                repository,
                tag,
                blueprint,
                ..
            } => format!(
                "add `{{repository: {repository}, tag: \"{tag}\", id: \"sha256:...\"}}` to `images` in {blueprint} (`docker image inspect --format '{{{{.Id}}}}'` prints the ID), or choose a release it pins"
            ),
        })
    }
}

/// An image a rendered file runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UsedImage {
    /// The file, as `<target>/<output>`.
    pub file: String,
    pub reference: String,
}

/// Every image `files` run, in file order, each once per file: the
/// services of Compose files, the image of Helm values.
pub fn used_images(files: &[RenderedFile]) -> Vec<UsedImage> {
    let mut used = BTreeSet::new();
    let mut ordered = Vec::new();
    for file in files {
        let Some(root) = inspect::yaml_tree(&file.contents) else {
            continue;
        };
        let name = format!("{}/{}", file.target, file.output);
        let mut references = Vec::new();
        if file.language == Language::Compose {
            references.extend(
                inspect::compose_services(&root)
                    .into_iter()
                    .filter_map(|(_, image)| image),
            );
        } else if file.target == Target::Helm
            && let (Some(repository), Some(tag)) = (
                inspect::string_at(&root, "image.repository"),
                inspect::string_at(&root, "image.tag"),
            )
        {
            references.push(format!("{repository}:{tag}"));
        }
        for reference in references {
            let image = UsedImage {
                file: name.clone(),
                reference,
            };
            if used.insert(image.clone()) {
                ordered.push(image);
            }
        }
    }
    ordered
}

/// `repository:tag` below `registry`, without a `@digest`; `None` when the
/// reference is not under it.
pub fn below_registry<'r>(reference: &'r str, registry: &str) -> Option<(&'r str, &'r str)> {
    let rest = reference.strip_prefix(registry)?.strip_prefix('/')?;
    let rest = rest.split('@').next().unwrap_or(rest);
    let (repository, tag) = rest.rsplit_once(':')?;
    Some((repository, tag))
}

/// The site's registry when it is air-gapped.
pub fn air_gapped_registry(valid: &ValidSite) -> Option<&str> {
    let selfhosted = valid.site.spec.selfhosted.as_ref()?;
    if selfhosted.air_gapped != Some(true) {
        return None;
    }
    selfhosted.registry.as_deref()
}

/// The pinned images an air-gapped site's `files` run, each once (with the
/// reference it runs under); or every problem, located in the spec.
pub fn pinned_images<'b>(
    valid: &ValidSite,
    blueprint: &'b Blueprint,
    files: &[RenderedFile],
) -> Result<Vec<(String, &'b PinnedImage)>, Vec<Diagnostic>> {
    let Some(registry) = air_gapped_registry(valid) else {
        return Ok(Vec::new());
    };
    let spec = &valid.site.spec;
    let custom = spec.extensions.as_ref().and_then(|e| e.image.as_deref());
    let mut pinned: Vec<(String, &PinnedImage)> = Vec::new();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for image in used_images(files) {
        if !seen.insert(image.reference.clone()) {
            continue;
        }
        let is_custom = custom == Some(image.reference.as_str());
        let (pointer, error) = match below_registry(&image.reference, registry) {
            None => (
                if is_custom {
                    "/spec/extensions/image"
                } else {
                    "/spec/selfhosted/registry"
                },
                AirGapError::OutsideRegistry {
                    file: image.file,
                    image: image.reference,
                    registry: registry.to_string(),
                },
            ),
            Some((repository, tag)) => match blueprint.manifest.pinned(repository, tag) {
                Some(pin) => {
                    pinned.push((image.reference.clone(), pin));
                    continue;
                }
                None => (
                    if is_custom {
                        "/spec/extensions/image"
                    } else if tag == spec.app.version {
                        "/spec/app/version"
                    } else {
                        "/spec/selfhosted/airGapped"
                    },
                    AirGapError::NotPinned {
                        file: image.file.clone(),
                        image: image.reference.clone(),
                        blueprint: blueprint.manifest_path(),
                        repository: repository.to_string(),
                        tag: tag.to_string(),
                    },
                ),
            },
        };
        let span = locate::value_span(&valid.document.root, &Segment::parse_pointer(pointer));
        problems.push(Diagnostic::error(
            valid.document.source.name.clone(),
            Some(span),
            &error,
        ));
    }
    if problems.is_empty() {
        Ok(pinned)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::below_registry;

    #[test]
    fn an_image_is_below_a_registry_only_under_its_whole_path() {
        let registry = "registry.acme.internal:5000/sitectl";
        assert_eq!(
            below_registry(
                "registry.acme.internal:5000/sitectl/app:2026.11.1",
                registry
            ),
            Some(("app", "2026.11.1"))
        );
        assert_eq!(
            below_registry(
                "registry.acme.internal:5000/sitectl/acme/app:1@sha256:00",
                registry
            ),
            Some(("acme/app", "1"))
        );
        assert_eq!(
            below_registry("registry.acme.internal:5000/sitectl-other/app:1", registry),
            None
        );
        assert_eq!(
            below_registry("docker.io/library/postgres:16.4", registry),
            None
        );
    }
}

//! Blueprints: `blueprints/<name>/blueprint.yaml` and the templates beside it,
//! loaded and checked like specs are (located errors, all of them at once).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Diagnostics, Problem};
use crate::render::escape::Language;
use crate::render::target::Target;
use crate::source::load;
use crate::source::locate::{self, Segment};
use crate::source::tree::Tree;
use crate::spec::{Cloud, Deployment};
use crate::validate::schema::Schema;

pub const MANIFEST: &str = "blueprint.yaml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Manifest {
    pub api_version: String,
    pub kind: String,
    pub description: String,
    pub deployments: Vec<Deployment>,
    /// Absent means Azure, as for a spec.
    #[serde(default)]
    pub cloud: Option<Cloud>,
    #[serde(default)]
    pub settings: BTreeMap<String, serde_json::Value>,
    pub targets: BTreeMap<Target, TargetFiles>,
    pub data_resources: Vec<DataResource>,
    /// The images its sites run, each release pinned by image ID: an
    /// air-gapped site runs only these, and its bundle's install checks them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<PinnedImage>,
    /// Who does what for the site, for `sitectl preview`; kept in the
    /// blueprint so that a custom blueprint states its own split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsibilities: Option<Responsibilities>,
}

/// One release of an image, pinned by its image ID: the digest of its
/// configuration, which names every layer by the digest of its content. It
/// is what `docker save` writes and `docker load` restores, the same under
/// any registry and any name; a registry's manifest digest is not (it
/// changes with the layers' compression of whoever pushed them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PinnedImage {
    /// The image's name below a registry, e.g. `app`.
    pub repository: String,
    /// The release, e.g. `2026.11.1`.
    pub tag: String,
    /// `sha256:` and 64 hexadecimal digits.
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Responsibilities {
    pub app_runs_in: String,
    pub data_lives_in: String,
    pub operates_app: Duty,
    pub owns_data: Duty,
    pub backs_up: Duty,
    pub patches: Duty,
}

impl Responsibilities {
    /// `(what, duty)` in the order a customer asks about them.
    pub fn duties(&self) -> [(&'static str, &Duty); 4] {
        [
            ("operates the app", &self.operates_app),
            ("owns the data", &self.owns_data),
            ("backs up the data", &self.backs_up),
            ("patches and upgrades", &self.patches),
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Duty {
    pub who: Party,
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Party {
    Us,
    Customer,
    Shared,
}

impl Party {
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Us => "us",
            Party::Customer => "customer",
            Party::Shared => "shared",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TargetFiles {
    pub description: String,
    #[serde(default = "yes")]
    pub default: bool,
    pub files: Vec<OutputFile>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OutputFile {
    pub template: String,
    pub output: String,
    #[serde(default)]
    pub language: Option<Language>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DataResource {
    pub kind: String,
    pub description: String,
    #[serde(default)]
    pub terraform: Option<String>,
    #[serde(default)]
    pub bicep: Option<String>,
    #[serde(default)]
    pub compose: Option<String>,
    #[serde(default)]
    pub helm: Option<String>,
    /// Earlier Terraform addresses of this resource, each moved in state.
    #[serde(default)]
    pub terraform_moved_from: Vec<String>,
}

/// A checked blueprint with its templates' sources.
#[derive(Debug, Clone)]
pub struct Blueprint {
    pub name: String,
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// Template name (`<blueprint>/<target>/<file>.j2`) → (path shown in
    /// diagnostics, source, language of its output).
    pub templates: BTreeMap<String, TemplateSource>,
}

#[derive(Debug, Clone)]
pub struct TemplateSource {
    pub display: String,
    pub text: String,
    pub language: Language,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BlueprintError {
    #[error("template `{template}` does not exist")]
    MissingTemplate { template: String, path: String },
    #[error("cannot tell the language of `{output}` from its name")]
    UnknownLanguage { output: String },
    #[error("target `{target}` writes `{output}` twice")]
    DuplicateOutput { target: Target, output: String },
    #[error("cannot decode the blueprint manifest: {0}")]
    Decode(String),
}

impl Problem for BlueprintError {
    fn code(&self) -> &'static str {
        match self {
            BlueprintError::MissingTemplate { .. } => "blueprint-missing-template",
            BlueprintError::UnknownLanguage { .. } => "blueprint-unknown-language",
            BlueprintError::DuplicateOutput { .. } => "blueprint-duplicate-output",
            BlueprintError::Decode(_) => "blueprint-decode",
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            BlueprintError::MissingTemplate { path, .. } => {
                format!("create {path}, or fix the name")
            }
            BlueprintError::UnknownLanguage { .. } => {
                "add `language:` (hcl, bicep, yaml, compose or dotenv) to the file entry".into()
            }
            BlueprintError::DuplicateOutput { .. } => {
                "give each file of a target its own output name".into()
            }
            BlueprintError::Decode(_) => return None,
        })
    }
}

/// The blueprints of a run, by name.
pub type Blueprints = BTreeMap<String, Blueprint>;

/// What loading found so far: the blueprints, and every diagnostic about
/// them with the sources for snippets.
struct Loaded {
    blueprints: Blueprints,
    diagnostics: Vec<Diagnostic>,
    sources: BTreeMap<String, String>,
}

/// Every blueprint under `dir` in `tree` (each folder with a
/// `blueprint.yaml`), or every diagnostic about them.
pub fn load_all(tree: &Tree, dir: &Path) -> Result<Blueprints, Diagnostics> {
    let mut loaded = Loaded {
        blueprints: BTreeMap::new(),
        diagnostics: Vec::new(),
        sources: BTreeMap::new(),
    };
    for folder in tree.read_dir(dir).unwrap_or_default() {
        let manifest = folder.join(MANIFEST);
        if !tree.is_file(&manifest) {
            continue;
        }
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match load_one(tree, &name, &folder, &mut loaded) {
            Some(blueprint) => {
                loaded.blueprints.insert(name, blueprint);
            }
            None => continue,
        }
    }
    if loaded.diagnostics.is_empty() {
        Ok(loaded.blueprints)
    } else {
        Err(Diagnostics {
            list: loaded.diagnostics,
            sources: loaded.sources,
            files: 0,
        })
    }
}

fn load_one(tree: &Tree, name: &str, folder: &Path, loaded: &mut Loaded) -> Option<Blueprint> {
    let source = match load::read_source_in(tree, &folder.join(MANIFEST)) {
        Ok(source) => source,
        Err(diagnostic) => {
            loaded.diagnostics.push(diagnostic);
            return None;
        }
    };
    let document = match load::parse_source(source) {
        Ok(document) => document,
        Err((source, diagnostics)) => {
            loaded.sources.insert(source.name, source.text);
            loaded.diagnostics.extend(diagnostics);
            return None;
        }
    };
    loaded
        .sources
        .insert(document.source.name.clone(), document.source.text.clone());
    let diagnostics = Schema::blueprint().check(&document);
    if !diagnostics.is_empty() {
        loaded.diagnostics.extend(diagnostics);
        return None;
    }
    let manifest: Manifest = match serde_json::from_value(document.root.to_json()) {
        Ok(manifest) => manifest,
        Err(error) => {
            let problem = BlueprintError::Decode(error.to_string());
            loaded.diagnostics.push(Diagnostic::error(
                document.source.name.clone(),
                Some(document.root.span),
                &problem,
            ));
            return None;
        }
    };
    let mut templates = BTreeMap::new();
    let before = loaded.diagnostics.len();
    for (target, spec) in &manifest.targets {
        let mut outputs = Vec::new();
        for (i, file) in spec.files.iter().enumerate() {
            let at = |field: &str| {
                locate::value_span(
                    &document.root,
                    &Segment::parse_pointer(&format!("/targets/{target}/files/{i}/{field}")),
                )
            };
            let report = |loaded: &mut Loaded, field: &str, problem: BlueprintError| {
                loaded.diagnostics.push(Diagnostic::error(
                    document.source.name.clone(),
                    Some(at(field)),
                    &problem,
                ));
            };
            if outputs.contains(&file.output) {
                report(
                    loaded,
                    "output",
                    BlueprintError::DuplicateOutput {
                        target: *target,
                        output: file.output.clone(),
                    },
                );
            }
            outputs.push(file.output.clone());
            let Some(language) = file.language.or_else(|| target.language_of(&file.output)) else {
                report(
                    loaded,
                    "output",
                    BlueprintError::UnknownLanguage {
                        output: file.output.clone(),
                    },
                );
                continue;
            };
            let path = folder.join(target.as_str()).join(&file.template);
            let display = load::display_name(&path);
            match tree.read_to_string(&path) {
                Ok(text) => {
                    templates.insert(
                        template_name(name, *target, &file.template),
                        TemplateSource {
                            display,
                            text,
                            language,
                        },
                    );
                }
                Err(_) => report(
                    loaded,
                    "template",
                    BlueprintError::MissingTemplate {
                        template: format!("{target}/{}", file.template),
                        path: display,
                    },
                ),
            }
        }
    }
    if loaded.diagnostics.len() > before {
        return None;
    }
    Some(Blueprint {
        name: name.to_string(),
        dir: folder.to_path_buf(),
        manifest,
        templates,
    })
}

/// The Helm chart every site's values feed, beside the blueprints.
pub fn chart(blueprints: &Path) -> PathBuf {
    blueprints.join("charts").join("site")
}

/// The chart's contents as one SHA-256 (every file's path and bytes, in
/// path order), for the header of the Helm values: a change to the chart
/// changes every site's rendered values, so `diff --check` asks for a render
/// and the merge rolls the chart out to the sites that use it. `None`
/// without a chart.
pub fn chart_digest(tree: &Tree, blueprints: &Path) -> Option<String> {
    folder_digest(tree, &chart(blueprints))
}

/// A folder's contents as one SHA-256 (every file's path under it and its
/// bytes, in path order); `None` when it is not a folder.
pub fn folder_digest(tree: &Tree, root: &Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    fn walk(tree: &Tree, dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in tree.read_dir(dir).unwrap_or_default() {
            if tree.is_dir(&entry) {
                walk(tree, &entry, files);
            } else {
                files.push(entry);
            }
        }
    }
    if !tree.is_dir(root) {
        return None;
    }
    let mut files = Vec::new();
    walk(tree, root, &mut files);
    files.sort();
    let mut hasher = Sha256::new();
    for file in &files {
        let name = file.strip_prefix(root).unwrap_or(file);
        // Unreadable bytes hash as empty: the render that follows names it.
        let bytes = tree.read(file, u64::MAX - 1).unwrap_or_default();
        // Name and length before the bytes: no two trees hash alike by
        // moving bytes across a file boundary.
        hasher.update(load::display_name(name).as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    let digest = hasher.finalize();
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// The blueprint a site renders with: `spec.blueprint`, else its
/// deployment's (`managed`), on AWS its deployment's AWS one (`managed-aws`).
pub fn name_for(site: &crate::spec::Site) -> String {
    let spec = &site.spec;
    spec.blueprint
        .clone()
        .unwrap_or_else(|| match spec.cloud() {
            Cloud::Azure => spec.deployment.as_str().to_string(),
            Cloud::Aws => format!("{}-aws", spec.deployment),
        })
}

/// The name a template is known by in the engine (and in `include`).
pub fn template_name(blueprint: &str, target: Target, template: &str) -> String {
    format!("{blueprint}/{target}/{template}")
}

impl Manifest {
    /// The blueprint's cloud: `cloud`, else Azure.
    pub fn cloud(&self) -> Cloud {
        self.cloud.unwrap_or(Cloud::Azure)
    }

    /// The pin of `repository:tag`, if the blueprint has one.
    pub fn pinned(&self, repository: &str, tag: &str) -> Option<&PinnedImage> {
        self.images
            .iter()
            .find(|p| p.repository == repository && p.tag == tag)
    }
}

impl Blueprint {
    /// The document a diagnostic about this blueprint points into.
    pub fn manifest_path(&self) -> String {
        load::display_name(&self.dir.join(MANIFEST))
    }
}

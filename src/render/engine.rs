//! The render stage: resolved sites through blueprint templates, with every
//! spec value escaped for the language of the file it lands in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

use crate::diagnostic::{Diagnostic, Problem};
use crate::render::blueprint::{Blueprint, template_name};
use crate::render::escape::{self, Language};
use crate::render::resolve;
use crate::render::skeleton::{self, Marking, Shape};
use crate::render::target::Target;
use crate::source::load::display_name;
use crate::source::tree::{lexical, within};
use crate::spec::Cloud;
use crate::validate::ValidSite;
use crate::validate::catalog::Catalog;

/// Instructions a template may run per render: ample for any blueprint,
/// small enough that a runaway loop ends in milliseconds.
const FUEL: u64 = 2_000_000;

/// One rendered file, not yet checked or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub site: String,
    pub target: Target,
    /// Path below `<out>/<site>/<target>/`.
    pub output: String,
    pub language: Language,
    /// The template it came from, as shown in diagnostics.
    pub template: String,
    pub contents: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    #[error("site `{site}` names blueprint `{blueprint}`, which does not exist")]
    UnknownBlueprint {
        site: String,
        blueprint: String,
        available: Vec<String>,
    },
    #[error("blueprint `{blueprint}` does not support deployment `{deployment}` (site `{site}`)")]
    WrongDeployment {
        site: String,
        blueprint: String,
        deployment: String,
        supported: Vec<String>,
    },
    #[error(
        "site `{site}` lives in {cloud}, but blueprint `{blueprint}` deploys to {blueprint_cloud}"
    )]
    WrongCloud {
        site: String,
        blueprint: String,
        cloud: Cloud,
        blueprint_cloud: Cloud,
    },
    #[error("blueprint `{blueprint}` has no target `{target}` for site `{site}`")]
    UnknownTarget {
        site: String,
        blueprint: String,
        target: Target,
        available: Vec<Target>,
    },
    #[error("rendering site `{site}`: {message}")]
    Template { site: String, message: String },
}

impl Problem for RenderError {
    fn code(&self) -> &'static str {
        match self {
            RenderError::UnknownBlueprint { .. } => "render-unknown-blueprint",
            RenderError::WrongDeployment { .. } => "render-wrong-deployment",
            RenderError::WrongCloud { .. } => "render-wrong-cloud",
            RenderError::UnknownTarget { .. } => "render-unknown-target",
            RenderError::Template { .. } => "render-template",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            RenderError::UnknownBlueprint { available, .. } => Some(format!(
                "blueprints here: {}",
                crate::diagnostic::words::one_of(available)
            )),
            RenderError::WrongDeployment { supported, .. } => Some(format!(
                "it supports {}",
                crate::diagnostic::words::one_of(supported)
            )),
            RenderError::WrongCloud {
                blueprint_cloud, ..
            } => Some(format!(
                "name a blueprint of the site's cloud in `spec.blueprint`, or set `spec.cloud: {blueprint_cloud}`"
            )),
            RenderError::UnknownTarget { available, .. } => Some(format!(
                "its targets: {}",
                crate::diagnostic::words::one_of(available)
            )),
            RenderError::Template { .. } => None,
        }
    }
}

/// The template engine of one run: every template of every blueprint
/// compiled once, whatever the number of sites.
pub struct Engine {
    env: Environment<'static>,
    blueprints: BTreeMap<String, Blueprint>,
    /// The repository root (the folder holding the blueprints) and the
    /// working directory, both absolute. Outputs name their spec relative to
    /// the root, so that the bytes of a render never depend on the folder it
    /// ran from.
    repository: PathBuf,
    cwd: PathBuf,
    /// The header line Helm values carry: the chart they feed and its
    /// contents' digest, so a chart change changes them (see `chart_digest`).
    chart: Option<String>,
    /// How renders mark their literals, for the output check's shortcut.
    marking: Marking,
    /// The skeletons that parsed in this run (see `skeleton.rs`).
    pub(crate) parsed: skeleton::Parsed,
}

impl Engine {
    /// Compiles every template; a template that does not compile is a
    /// diagnostic located in it.
    pub fn new(
        blueprints: BTreeMap<String, Blueprint>,
        repository: &Path,
        chart: Option<String>,
    ) -> Result<Engine, Vec<Diagnostic>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .expect("the default delimiters are valid"),
        );
        let languages: Arc<BTreeMap<String, Language>> = Arc::new(
            blueprints
                .values()
                .flat_map(|b| {
                    b.templates
                        .iter()
                        .map(|(name, t)| (name.clone(), t.language))
                })
                .collect(),
        );
        env.set_auto_escape_callback(move |name| match languages.get(name) {
            Some(language) => AutoEscape::Custom(language.escape_name().into()),
            // Every template is registered with its language; anything else
            // (a string rendered ad hoc) gets no escaping and no spec data.
            None => AutoEscape::None,
        });
        env.set_formatter(|out, state, value| {
            let language = match state.auto_escape() {
                AutoEscape::Custom(name) => Language::from_escape_name(name),
                _ => None,
            };
            match language {
                Some(language) if !value.is_safe() => {
                    let text = escape::literal(language, value).map_err(|e| {
                        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
                    })?;
                    let text = skeleton::marked(language, value, text);
                    out.write_str(&text).map_err(minijinja::Error::from)
                }
                _ => minijinja::escape_formatter(out, state, value),
            }
        });
        let mut diagnostics = Vec::new();
        for blueprint in blueprints.values() {
            for (name, template) in &blueprint.templates {
                if let Err(error) = env.add_template_owned(name.clone(), template.text.clone()) {
                    diagnostics.push(template_diagnostic(
                        &template.display,
                        &template.text,
                        None,
                        &error,
                    ));
                }
            }
        }
        if diagnostics.is_empty() {
            let cwd = std::env::current_dir().unwrap_or_default();
            let marking = skeleton::marking_for(
                blueprints
                    .values()
                    .flat_map(|b| b.templates.values())
                    .map(|t| t.text.as_str()),
            );
            Ok(Engine {
                env,
                blueprints,
                repository: lexical(&cwd.join(repository)),
                cwd,
                chart,
                marking,
                parsed: skeleton::Parsed::default(),
            })
        } else {
            Err(diagnostics)
        }
    }

    /// The blueprints, once rendering is done.
    pub fn into_blueprints(self) -> BTreeMap<String, Blueprint> {
        self.blueprints
    }

    /// The blueprint a site renders with: `spec.blueprint`, else its deployment's.
    pub fn blueprint_for(&self, valid: &ValidSite) -> Result<&Blueprint, RenderError> {
        let spec = &valid.site.spec;
        let name = crate::render::blueprint::name_for(&valid.site);
        let site = valid.site.metadata.name.clone();
        let blueprint =
            self.blueprints
                .get(&name)
                .ok_or_else(|| RenderError::UnknownBlueprint {
                    site: site.clone(),
                    blueprint: name.clone(),
                    available: self.blueprints.keys().cloned().collect(),
                })?;
        if !blueprint.manifest.deployments.contains(&spec.deployment) {
            return Err(RenderError::WrongDeployment {
                site,
                blueprint: name,
                deployment: spec.deployment.to_string(),
                supported: blueprint
                    .manifest
                    .deployments
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            });
        }
        if blueprint.manifest.cloud() != spec.cloud() {
            return Err(RenderError::WrongCloud {
                site,
                blueprint: name,
                cloud: spec.cloud(),
                blueprint_cloud: blueprint.manifest.cloud(),
            });
        }
        Ok(blueprint)
    }

    /// Renders one valid site: the targets its blueprint renders by default
    /// (for a selfhosted site, the ones its spec lists), or `only` that one;
    /// each file with its skeleton's shape when `shapes` is asked and the
    /// file has one (see `skeleton.rs`).
    pub fn render_site(
        &self,
        valid: &ValidSite,
        catalog: &Catalog,
        only: Option<Target>,
        shapes: bool,
    ) -> Result<Vec<(RenderedFile, Option<Shape>)>, Diagnostic> {
        let spec_name = valid.document.source.name.clone();
        let located = |problem: &dyn Problem| Diagnostic::error(spec_name.clone(), None, problem);
        let spec_path = self.in_repository(&spec_name);
        let blueprint = self.blueprint_for(valid).map_err(|e| located(&e))?;
        let site = &valid.site.metadata.name;
        let targets: Vec<Target> = match only {
            Some(target) => {
                if !blueprint.manifest.targets.contains_key(&target) {
                    return Err(located(&RenderError::UnknownTarget {
                        site: site.clone(),
                        blueprint: blueprint.name.clone(),
                        target,
                        available: blueprint.manifest.targets.keys().copied().collect(),
                    }));
                }
                vec![target]
            }
            None => blueprint
                .manifest
                .targets
                .iter()
                .filter(|(name, target)| match &valid.site.spec.selfhosted {
                    Some(selfhosted) => selfhosted
                        .targets
                        .iter()
                        .any(|t| Target::from(*t) == **name),
                    None => target.default,
                })
                .map(|(name, _)| *name)
                .collect(),
        };
        let resolved = resolve::resolve(&valid.site, catalog, &spec_path, &blueprint.name);
        let context = minijinja::context! {
            settings => Value::from(Serde(&blueprint.manifest.settings)),
            ..Value::from(Serde(&resolved))
        };
        let mut files = Vec::new();
        for target in targets {
            for file in &blueprint.manifest.targets[&target].files {
                let name = template_name(&blueprint.name, target, &file.template);
                let source = &blueprint.templates[&name];
                let fail = |e: minijinja::Error| {
                    template_diagnostic(&source.display, &source.text, Some(site), &e)
                };
                let template = self.env.get_template(&name).map_err(fail)?;
                let chart = self.chart.as_deref().filter(|_| target == Target::Helm);
                let header = |spec: &str, body: &str| {
                    with_header(source.language, spec, &blueprint.name, chart, body)
                };
                let plain = || template.render(&context).map_err(fail);
                // None when the marks cannot be read back.
                let marked = || {
                    skeleton::marking(|| template.render(&context))
                        .transpose()
                        .map_err(fail)
                };
                let split = |marked: Option<String>| {
                    marked.and_then(|marked| skeleton::split(source.language, &marked))
                };
                // A skeleton's header names a probe spec: any path of
                // printable ASCII is one comment's text like another.
                let marking = match shapes && is_plain(&spec_path) {
                    true => self.marking,
                    false => Marking::Off,
                };
                let (body, bones) = match marking {
                    Marking::Off => (plain()?, None),
                    Marking::Alone => match split(marked()?) {
                        Some((body, bones)) => (body, Some(bones)),
                        None => (plain()?, None),
                    },
                    Marking::Compared => {
                        let body = plain()?;
                        let bones = split(marked()?)
                            .filter(|(unmarked, _)| *unmarked == body)
                            .map(|(_, bones)| bones);
                        (body, bones)
                    }
                };
                let shape = bones.map(|bones| {
                    skeleton::shape(source.language, &header("sites/probe.yaml", &bones))
                });
                let contents = header(&spec_path, &body);
                files.push((
                    RenderedFile {
                        site: site.clone(),
                        target,
                        output: file.output.clone(),
                        language: source.language,
                        template: source.display.clone(),
                        contents,
                    },
                    shape,
                ));
            }
        }
        let terraform = files.iter().any(|(f, _)| f.target == Target::Terraform);
        if let Some(moved) = moved_blocks(blueprint, terraform, site, &spec_path) {
            files.push((moved, None));
        }
        Ok(files)
    }
}

impl Engine {
    /// A spec's path as the outputs name it: relative to the repository
    /// when it lies inside it (`sites/a.yaml`, however the path was typed
    /// and from whichever folder), else as given.
    fn in_repository(&self, spec: &str) -> String {
        within(&self.repository, &self.cwd, Path::new(spec))
            .map_or_else(|| spec.to_string(), |path| display_name(&path))
    }
}

/// `moved.tf` for a Terraform target whose blueprint renamed a data-bearing
/// resource: Terraform moves it in state rather than destroying it.
fn moved_blocks(
    blueprint: &Blueprint,
    renders_terraform: bool,
    site: &str,
    spec: &str,
) -> Option<RenderedFile> {
    if !renders_terraform {
        return None;
    }
    let mut body = String::new();
    for resource in &blueprint.manifest.data_resources {
        let Some(to) = &resource.terraform else {
            continue;
        };
        for from in &resource.terraform_moved_from {
            body.push_str(&format!("moved {{\n  from = {from}\n  to   = {to}\n}}\n\n"));
        }
    }
    (!body.is_empty()).then(|| RenderedFile {
        site: site.to_string(),
        target: Target::Terraform,
        output: "moved.tf".into(),
        language: Language::Hcl,
        template: blueprint.manifest_path(),
        contents: with_header(
            Language::Hcl,
            spec,
            &blueprint.name,
            None,
            body.trim_end_matches('\n'),
        ) + "\n",
    })
}

/// Whether a spec path is printable ASCII, spaces included.
fn is_plain(path: &str) -> bool {
    path.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
}

/// The "do not edit" header, in the file's own comment syntax. The spec path
/// is the only outside text in it, cleaned of anything that could end a comment.
/// `extra` is one more line of it (the chart the Helm values feed).
fn with_header(
    language: Language,
    spec: &str,
    blueprint: &str,
    extra: Option<&str>,
    body: &str,
) -> String {
    let spec: String = spec
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    let c = language.comment();
    let extra = extra
        .map(|line| format!("{c} {line}\n"))
        .unwrap_or_default();
    format!(
        "{c} Generated by sitectl from {spec} with blueprint `{blueprint}`.\n{c} Do not edit: change the spec or the blueprint and run `sitectl render`.\n{extra}\n{}",
        body.trim_start_matches('\n')
    )
}

/// A template error, pointing at the template line minijinja names.
fn template_diagnostic(
    display: &str,
    text: &str,
    site: Option<&String>,
    error: &minijinja::Error,
) -> Diagnostic {
    let message = match error.detail() {
        Some(detail) => format!("{}: {detail}", error.kind()),
        None => error.kind().to_string(),
    };
    let problem = RenderError::Template {
        site: site.cloned().unwrap_or_else(|| "(compiling)".into()),
        message,
    };
    let span = error.line().map(|line| {
        let lines = crate::diagnostic::span::LineIndex::new(text);
        let start = lines.line_start(line);
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        lines.span_of_bytes(start, end)
    });
    Diagnostic::error(display.to_string(), span, &problem)
}

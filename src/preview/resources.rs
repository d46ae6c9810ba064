//! What a preview lists per target, read back from the rendered files in
//! their own languages (HCL with hcl-rs, Bicep with its tree-sitter grammar,
//! Compose and Helm values with sitectl's YAML parser, the chart's templates
//! for the objects those values switch on), never from a hard-coded list.

use std::path::Path;

use crate::output::inspect::{self, lookup};
use crate::render::blueprint::{self, Blueprint};
use crate::render::engine::RenderedFile;
use crate::render::escape::Language;
use crate::render::target::Target;
use crate::source::yaml::{Node, Value};

fn data_resource(
    blueprint: &Blueprint,
    matches: impl Fn(&blueprint::DataResource) -> bool,
) -> Option<&blueprint::DataResource> {
    blueprint
        .manifest
        .data_resources
        .iter()
        .find(|d| matches(d))
}

/// One thing a target creates, read back from the rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub target: Target,
    /// Terraform or Bicep type, Kubernetes kind, `service` or `volume`.
    pub kind: String,
    /// Address, symbolic name or object name.
    pub name: String,
    pub description: String,
    pub holds_data: bool,
}

/// What one rendered file creates, parsed in its own language.
pub(crate) fn resources_of(
    file: &RenderedFile,
    blueprint: &Blueprint,
    chart: &[ChartObject],
) -> Vec<Resource> {
    let row = |kind: &str, name: &str, description: String, holds_data: bool| Resource {
        target: file.target,
        kind: kind.to_string(),
        name: name.to_string(),
        description,
        holds_data,
    };
    let mut rows = Vec::new();
    match file.language {
        Language::Hcl => {
            for resource in inspect::terraform_resources(&file.contents) {
                let address = resource.address();
                let data = data_resource(blueprint, |d| d.terraform.as_deref() == Some(&address));
                let description = data.map_or_else(
                    || words_of_terraform_type(&resource.kind),
                    |d| d.description.clone(),
                );
                rows.push(row(&resource.kind, &address, description, data.is_some()));
            }
        }
        Language::Bicep => {
            for declaration in inspect::bicep_declarations(&file.contents, inspect::Depth::All) {
                let (symbol, kind) = (&declaration.symbol, &declaration.kind);
                let (module, existing) = (declaration.module, declaration.existing);
                // A module is a file, not a resource: its resources are listed from it.
                let data = data_resource(blueprint, |d| d.bicep.as_deref() == Some(symbol))
                    .filter(|_| !module && !existing);
                let description = match (data, module) {
                    (Some(d), _) => d.description.clone(),
                    (None, true) => format!("deploys the resources of {kind}"),
                    (None, false) if existing => {
                        format!(
                            "{} (existing: referenced, not created)",
                            words_of_bicep_type(kind)
                        )
                    }
                    (None, false) => words_of_bicep_type(kind),
                };
                let kind = if module {
                    "module"
                } else {
                    kind.split('@').next().unwrap_or(kind)
                };
                rows.push(row(kind, symbol, description, data.is_some()));
            }
        }
        Language::Compose => {
            let Some(root) = inspect::yaml_tree(&file.contents) else {
                return rows;
            };
            for (service, image) in inspect::compose_services(&root) {
                let image = match image {
                    Some(image) => format!("container from image {image}"),
                    None => "container".into(),
                };
                rows.push(row("service", &service, image, false));
            }
            for (key, _) in inspect::compose_volumes(&root) {
                let data = data_resource(blueprint, |d| d.compose.as_deref() == Some(&key));
                let description =
                    data.map_or_else(|| "named volume".to_string(), |d| d.description.clone());
                rows.push(row("volume", &key, description, data.is_some()));
            }
        }
        Language::Yaml if file.target == Target::Helm => {
            let Some(values) = inspect::yaml_tree(&file.contents) else {
                return rows;
            };
            for object in chart {
                let on = object.condition.as_deref().is_none_or(|path| {
                    truthy(lookup(&values, path).or(object.default_value.as_ref()))
                });
                if !on {
                    continue;
                }
                let data = data_resource(blueprint, |d| d.helm.is_some())
                    .filter(|_| object.kind == "PersistentVolumeClaim");
                let description = match (&data, &object.condition) {
                    (Some(d), _) => d.description.clone(),
                    (None, Some(path)) => format!("chart object, on because `{path}` is set"),
                    (None, None) => "chart object, always rendered".into(),
                };
                rows.push(row(
                    &object.kind,
                    &object.template,
                    description,
                    data.is_some(),
                ));
            }
        }
        Language::Yaml | Language::Dotenv => {}
    }
    rows
}

fn truthy(node: Option<&Node>) -> bool {
    match node.map(|n| &n.value) {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Str(text, _)) => !text.is_empty(),
        Some(_) => true,
    }
}

/// One template of the Helm chart: the object it renders and the value
/// that switches it on.
#[derive(Debug, Clone)]
pub(crate) struct ChartObject {
    template: String,
    kind: String,
    condition: Option<String>,
    default_value: Option<Node>,
}

/// The chart's templates, read from the chart itself so that a new template
/// shows up in previews without a change here.
pub(crate) fn chart_templates(chart: &Path) -> Vec<ChartObject> {
    let defaults = std::fs::read_to_string(chart.join("values.yaml"))
        .ok()
        .and_then(|text| inspect::yaml_tree(&text));
    let mut paths: Vec<_> = std::fs::read_dir(chart.join("templates"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let kind = text
                .lines()
                .find_map(|l| l.strip_prefix("kind: "))?
                .trim()
                .to_string();
            let condition = text.lines().next().and_then(|first| {
                let rest = first
                    .trim_start_matches("{{")
                    .trim_start_matches('-')
                    .trim_start()
                    .strip_prefix("if .Values.")?;
                let path: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                    .collect();
                (!path.is_empty()).then_some(path)
            });
            let default_value = condition
                .as_deref()
                .and_then(|c| defaults.as_ref().and_then(|d| lookup(d, c)))
                .cloned();
            Some(ChartObject {
                template: path.file_name()?.to_string_lossy().into_owned(),
                kind,
                condition,
                default_value,
            })
        })
        .collect()
}

/// `azurerm_postgresql_flexible_server_database` → `postgresql flexible
/// server database (azurerm)`.
fn words_of_terraform_type(kind: &str) -> String {
    match kind.split_once('_') {
        Some((provider, rest)) => format!("{} ({provider})", rest.replace('_', " ")),
        None => kind.to_string(),
    }
}

/// `Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01` →
/// `flexible servers / databases (DBforPostgreSQL)`.
fn words_of_bicep_type(kind: &str) -> String {
    let kind = kind.split('@').next().unwrap_or(kind);
    let mut parts = kind.split('/');
    let provider = parts.next().unwrap_or_default();
    let provider = provider.strip_prefix("Microsoft.").unwrap_or(provider);
    let rest: Vec<String> = parts
        .map(|part| {
            let mut words = String::new();
            for c in part.chars() {
                if c.is_ascii_uppercase() && !words.is_empty() {
                    words.push(' ');
                }
                words.extend(c.to_lowercase());
            }
            words
        })
        .collect();
    format!("{} ({provider})", rest.join(" / "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_as_words() {
        assert_eq!(
            words_of_terraform_type("azurerm_postgresql_flexible_server_database"),
            "postgresql flexible server database (azurerm)"
        );
        assert_eq!(
            words_of_bicep_type("Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01"),
            "flexible servers / databases (DBforPostgreSQL)"
        );
    }
}

//! What a preview lists per target, read back from the rendered files in
//! their own languages (HCL with hcl-rs, Bicep with its tree-sitter grammar,
//! Compose and Helm values with sitectl's YAML parser, the chart's templates
//! for the objects those values switch on), never from a hard-coded list.

use std::path::Path;

use crate::preview::Resource;
use crate::render::blueprint::{self, Blueprint};
use crate::render::engine::RenderedFile;
use crate::render::escape::Language;
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

/// What one rendered file creates, parsed in its own language.
pub(crate) fn resources_of(
    file: &RenderedFile,
    blueprint: &Blueprint,
    chart: &[ChartObject],
) -> Vec<Resource> {
    let row = |kind: &str, name: &str, description: String, holds_data: bool| Resource {
        target: file.target.clone(),
        kind: kind.to_string(),
        name: name.to_string(),
        description,
        holds_data,
    };
    let mut rows = Vec::new();
    match file.language {
        Language::Hcl => {
            let Ok(body) = hcl::parse(&file.contents) else {
                return rows;
            };
            for block in body.blocks().filter(|b| b.identifier() == "resource") {
                let [kind, name] = block.labels() else {
                    continue;
                };
                let address = format!("{}.{}", kind.as_str(), name.as_str());
                let data = data_resource(blueprint, |d| d.terraform.as_deref() == Some(&address));
                let description = data.map_or_else(
                    || words_of_terraform_type(kind.as_str()),
                    |d| d.description.clone(),
                );
                rows.push(row(kind.as_str(), &address, description, data.is_some()));
            }
        }
        Language::Bicep => {
            for (symbol, kind, module, existing) in bicep_declarations(&file.contents) {
                // A module is a file, not a resource: its resources are listed from it.
                let data = data_resource(blueprint, |d| d.bicep.as_deref() == Some(&symbol))
                    .filter(|_| !module && !existing);
                let description = match (data, module) {
                    (Some(d), _) => d.description.clone(),
                    (None, true) => format!("deploys the resources of {kind}"),
                    (None, false) if existing => {
                        format!(
                            "{} (existing: referenced, not created)",
                            words_of_bicep_type(&kind)
                        )
                    }
                    (None, false) => words_of_bicep_type(&kind),
                };
                let kind = if module {
                    "module"
                } else {
                    kind.split('@').next().unwrap_or(&kind)
                };
                rows.push(row(kind, &symbol, description, data.is_some()));
            }
        }
        Language::Compose => {
            let Ok(root) = crate::source::yaml::parse(&file.contents) else {
                return rows;
            };
            for entry in entries(root.get("services")) {
                let image = match entry.value.get("image").map(|n| &n.value) {
                    Some(Value::Str(image, _)) => format!("container from image {image}"),
                    _ => "container".into(),
                };
                rows.push(row("service", &entry.key, image, false));
            }
            for entry in entries(root.get("volumes")) {
                let data = data_resource(blueprint, |d| d.compose.as_deref() == Some(&entry.key));
                let description =
                    data.map_or_else(|| "named volume".to_string(), |d| d.description.clone());
                rows.push(row("volume", &entry.key, description, data.is_some()));
            }
        }
        Language::Yaml if file.target == "helm" => {
            let Ok(values) = crate::source::yaml::parse(&file.contents) else {
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

fn entries(node: Option<&Node>) -> &[crate::source::yaml::Entry] {
    match node.map(|n| &n.value) {
        Some(Value::Map(entries)) => entries,
        _ => &[],
    }
}

fn lookup<'n>(root: &'n Node, dotted: &str) -> Option<&'n Node> {
    dotted.split('.').try_fold(root, |node, key| node.get(key))
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
        .and_then(|text| crate::source::yaml::parse(&text).ok());
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

/// `(symbolic name, type or module path, is a module, is existing)` of
/// every resource and module a Bicep file declares, read with its grammar.
fn bicep_declarations(text: &str) -> Vec<(String, String, bool, bool)> {
    let Some(tree) = crate::render::verify::parse_bicep(text) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        let module = node.kind() == "module_declaration";
        if module || node.kind() == "resource_declaration" {
            let mut cursor = node.walk();
            let children: Vec<_> = node.named_children(&mut cursor).collect();
            let piece = |kind: &str| {
                children
                    .iter()
                    .find(|c| c.kind() == kind)
                    .and_then(|c| c.utf8_text(text.as_bytes()).ok())
                    .map(|t| t.trim_matches('\'').to_string())
            };
            let mut cursor = node.walk();
            let existing = node.children(&mut cursor).any(|c| c.kind() == "existing");
            if let (Some(symbol), Some(kind)) = (piece("identifier"), piece("string")) {
                found.push((symbol, kind, module, existing));
            }
        }
        let mut cursor = node.walk();
        let children: Vec<_> = node.named_children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    found
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

    #[test]
    fn bicep_declarations_are_read_with_the_grammar() {
        let text = "resource old 'Microsoft.KeyVault/vaults@2023-07-01' existing = {\n  name: 'y'\n}\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'x'\n}\nmodule pg 'postgres.bicep' = {\n  name: 'pg'\n}\n";
        assert_eq!(
            bicep_declarations(text),
            vec![
                (
                    "old".into(),
                    "Microsoft.KeyVault/vaults@2023-07-01".into(),
                    false,
                    true
                ),
                (
                    "kv".into(),
                    "Microsoft.KeyVault/vaults@2023-07-01".into(),
                    false,
                    false
                ),
                ("pg".into(), "postgres.bicep".into(), true, false),
            ]
        );
    }
}

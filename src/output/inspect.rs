//! The one reader of rendered output: a rendered file parsed in its own
//! language into the facts the rest of sitectl asks about. The data-loss
//! gate, the preview's resource list, reclaim's `prevent_destroy` override
//! and the hand-off all read rendered files through here, so they agree on
//! what a file declares.

use crate::render::verify::parse_bicep;
use crate::source::yaml::{self, Node, Value};

/// A `resource "TYPE" "NAME"` block of a Terraform file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerraformResource {
    pub kind: String,
    pub name: String,
    /// The attributes that replace the resource when they change (its
    /// name, location, parent), as written: `name = "acme", location = ...`.
    pub identity: String,
    /// `lifecycle { prevent_destroy = true }`.
    pub prevent_destroy: bool,
}

impl TerraformResource {
    /// `TYPE.NAME`, as a plan names it.
    pub fn address(&self) -> String {
        format!("{}.{}", self.kind, self.name)
    }
}

/// Every resource block of a Terraform file; none when it does not parse
/// (the render stage refuses such a file before anything reads it).
pub fn terraform_resources(text: &str) -> Vec<TerraformResource> {
    let Ok(body) = hcl::parse(text) else {
        return Vec::new();
    };
    body.blocks()
        .filter(|block| block.identifier() == "resource")
        .filter_map(|block| {
            let [kind, name] = block.labels() else {
                return None;
            };
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
            let prevent_destroy = block
                .body()
                .blocks()
                .filter(|b| b.identifier() == "lifecycle")
                .flat_map(|b| b.body().attributes())
                .any(|a| a.key() == "prevent_destroy" && *a.expr() == hcl::Expression::Bool(true));
            Some(TerraformResource {
                kind: kind.as_str().to_string(),
                name: name.as_str().to_string(),
                identity: identity.join(", "),
                prevent_destroy,
            })
        })
        .collect()
}

/// A `resource` or `module` declaration of a Bicep file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BicepDeclaration {
    pub symbol: String,
    /// The resource type (`Microsoft.KeyVault/vaults@2023-07-01`) or the module's file.
    pub kind: String,
    pub module: bool,
    /// `existing`: referenced, not created.
    pub existing: bool,
    /// Its `name:` property as written, quotes and all; empty without one.
    pub name: String,
}

/// Which declarations of a Bicep file to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Those at the top of the file (what the data-loss gate compares).
    TopLevel,
    /// Nested ones too (child resources, for the preview's list).
    All,
}

/// The resources and modules a Bicep file declares, read with its grammar,
/// in the order they appear.
pub fn bicep_declarations(text: &str, depth: Depth) -> Vec<BicepDeclaration> {
    let Some(tree) = parse_bicep(text) else {
        return Vec::new();
    };
    let root = tree.root_node();
    let source = |node: tree_sitter::Node<'_>| text[node.byte_range()].to_string();
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let module = node.kind() == "module_declaration";
        if module || node.kind() == "resource_declaration" {
            let mut cursor = node.walk();
            let children: Vec<_> = node.named_children(&mut cursor).collect();
            let piece = |kind: &str| {
                children
                    .iter()
                    .find(|c| c.kind() == kind)
                    .map(|c| source(*c).trim_matches('\'').to_string())
            };
            let mut cursor = node.walk();
            let existing = node.children(&mut cursor).any(|c| c.kind() == "existing");
            let name = children
                .iter()
                .find(|c| c.kind() == "object")
                .and_then(|object| {
                    let mut walk = object.walk();
                    object.children(&mut walk).find_map(|property| {
                        let key = property.child(0)?;
                        (property.kind() == "object_property" && source(key) == "name")
                            .then(|| property.child(2).map(source))
                            .flatten()
                    })
                })
                .unwrap_or_default();
            if let (Some(symbol), Some(kind)) = (piece("identifier"), piece("string")) {
                found.push(BicepDeclaration {
                    symbol,
                    kind,
                    module,
                    existing,
                    name,
                });
            }
        }
        if node == root || depth == Depth::All {
            let mut cursor = node.walk();
            let children: Vec<_> = node.named_children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
    }
    found
}

/// A YAML file's tree (Helm values, Compose); `None` when it does not parse.
pub fn yaml_tree(text: &str) -> Option<Node> {
    yaml::parse(text).ok()
}

/// The entries of a mapping, or none.
pub fn entries(node: Option<&Node>) -> &[yaml::Entry] {
    match node.map(|n| &n.value) {
        Some(Value::Map(entries)) => entries,
        _ => &[],
    }
}

/// The string at a dotted path of a YAML tree (`persistence.claimName`).
pub fn string_at<'n>(root: &'n Node, dotted: &str) -> Option<&'n str> {
    match &lookup(root, dotted)?.value {
        Value::Str(text, _) => Some(text),
        _ => None,
    }
}

/// The node at a dotted path of a YAML tree.
pub fn lookup<'n>(root: &'n Node, dotted: &str) -> Option<&'n Node> {
    dotted.split('.').try_fold(root, |node, key| node.get(key))
}

/// A Compose file's services: `(name, image)`.
pub fn compose_services(root: &Node) -> Vec<(String, Option<String>)> {
    entries(root.get("services"))
        .iter()
        .map(|e| {
            (
                e.key.clone(),
                string_at(&e.value, "image").map(str::to_string),
            )
        })
        .collect()
}

/// A Compose file's named volumes: `(key, name)`, the key when it has no `name:`.
pub fn compose_volumes(root: &Node) -> Vec<(String, String)> {
    entries(root.get("volumes"))
        .iter()
        .map(|e| {
            let name = string_at(&e.value, "name").unwrap_or(&e.key);
            (e.key.clone(), name.to_string())
        })
        .collect()
}

/// The claim name of Helm values with persistence on.
pub fn helm_claim(values: &Node) -> Option<String> {
    let persistence = values.get("persistence")?;
    let on = matches!(
        persistence.get("enabled").map(|v| &v.value),
        Some(Value::Bool(true))
    );
    on.then(|| string_at(persistence, "claimName").map(str::to_string))
        .flatten()
}

/// The namespace Helm values name, if any.
pub fn helm_namespace(values: &Node) -> Option<String> {
    string_at(values, "namespace").map(str::to_string)
}

/// The host the site's users reach it at, as its Helm values name it
/// (`ingress.host`); `None` without one, or when it is `.invalid`, the
/// output's way of saying no host is known.
pub fn site_host(files: &[crate::render::engine::RenderedFile]) -> Option<String> {
    files
        .iter()
        .filter(|f| f.target == crate::render::target::Target::Helm)
        .find_map(|f| {
            let root = yaml_tree(&f.contents)?;
            string_at(&root, "ingress.host").map(str::to_string)
        })
        .filter(|host| !host.ends_with(".invalid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_resources_carry_identity_and_prevent_destroy() {
        let text = "resource \"a_db\" \"site\" {\n  name = \"x\"\n  tags = {}\n  lifecycle {\n    prevent_destroy = true\n  }\n}\nresource \"a_dns\" \"site\" {\n  location = \"eastus\"\n}\n";
        let found = terraform_resources(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].address(), "a_db.site");
        assert_eq!(found[0].identity, "name = \"x\"");
        assert!(found[0].prevent_destroy && !found[1].prevent_destroy);
        assert!(terraform_resources("resource {").is_empty());
    }

    #[test]
    fn bicep_declarations_are_read_with_the_grammar() {
        let text = "resource old 'Microsoft.KeyVault/vaults@2023-07-01' existing = {\n  name: 'y'\n}\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'x'\n}\nmodule pg 'postgres.bicep' = {\n  name: 'pg'\n}\n";
        assert_eq!(bicep_declarations(text, Depth::TopLevel).len(), 3);
        let found: Vec<_> = bicep_declarations(text, Depth::All)
            .into_iter()
            .map(|d| (d.symbol, d.kind, d.module, d.existing, d.name))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "old".into(),
                    "Microsoft.KeyVault/vaults@2023-07-01".into(),
                    false,
                    true,
                    "'y'".into()
                ),
                (
                    "kv".into(),
                    "Microsoft.KeyVault/vaults@2023-07-01".into(),
                    false,
                    false,
                    "'x'".into()
                ),
                (
                    "pg".into(),
                    "postgres.bicep".into(),
                    true,
                    false,
                    "'pg'".into()
                ),
            ]
        );
    }

    #[test]
    fn compose_and_helm_facts() {
        let compose = yaml_tree("services:\n  app:\n    image: \"a:1\"\nvolumes:\n  data:\n    name: \"x-data\"\n  cache: {}\n").unwrap();
        assert_eq!(
            compose_services(&compose),
            [("app".to_string(), Some("a:1".to_string()))]
        );
        assert_eq!(
            compose_volumes(&compose),
            [
                ("data".to_string(), "x-data".to_string()),
                ("cache".to_string(), "cache".to_string())
            ]
        );
        let values = yaml_tree(
            "namespace: \"site-a\"\npersistence:\n  enabled: true\n  claimName: \"a-data\"\n",
        )
        .unwrap();
        assert_eq!(helm_claim(&values).as_deref(), Some("a-data"));
        assert_eq!(helm_namespace(&values).as_deref(), Some("site-a"));
        let off = yaml_tree("persistence:\n  enabled: false\n  claimName: \"a\"\n").unwrap();
        assert_eq!(helm_claim(&off), None);
    }
}

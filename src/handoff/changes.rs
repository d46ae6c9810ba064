//! What applying a site's code would change, resource by resource, read
//! from the previews its tools print: a Terraform plan's JSON, Helm's
//! manifests against the release's, Compose's configuration against the
//! one last applied, and `az deployment group what-if`. On a site whose
//! code is applied, each of them is drift: the real infrastructure no
//! longer matches the code. Every reader fails closed: output it cannot
//! read is an error, never "no change".

use std::collections::BTreeMap;

use super::gate::{PlanError, read_plan};

/// One resource that applying the code would change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    /// `aws_cloudwatch_log_group.site`, `Deployment/northwind-trial`,
    /// `service app`, an Azure resource id.
    pub address: String,
    pub action: Act,
    /// The attributes an update changes, when the tool says which
    /// (Terraform's plan, what-if's property changes), in name order.
    pub attributes: Vec<String>,
}

/// What applying the code does to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Act {
    Create,
    Update,
    Replace,
    Delete,
    /// Removed from Terraform's state, left in place (a `removed` block).
    Forget,
    /// Taken into Terraform's state (an `import` block).
    Import,
}

impl Act {
    pub fn as_str(self) -> &'static str {
        match self {
            Act::Create => "create",
            Act::Update => "update",
            Act::Replace => "replace",
            Act::Delete => "delete",
            Act::Forget => "forget",
            Act::Import => "import",
        }
    }
}

impl Change {
    /// `aws_cloudwatch_log_group.site: update (retention_in_days)`.
    pub fn line(&self) -> String {
        let mut line = format!("{}: {}", self.address, self.action.as_str());
        if !self.attributes.is_empty() {
            line.push_str(&format!(" ({})", self.attributes.join(", ")));
        }
        line
    }
}

/// The resources a `terraform show -json` plan changes, as `terraform plan
/// -detailed-exitcode` counts them (reads and no-ops are no change), each
/// update with the attributes it changes.
pub fn terraform(plan_json: &str) -> Result<Vec<Change>, PlanError> {
    // The same checks as the gate: a plan it cannot read is refused.
    read_plan(plan_json, &Default::default())?;
    let plan: serde_json::Value =
        serde_json::from_str(plan_json).map_err(|e| PlanError::NotJson(e.to_string()))?;
    let mut changes = Vec::new();
    for change in plan["resource_changes"].as_array().into_iter().flatten() {
        let actions: Vec<&str> = change["change"]["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str())
            .collect();
        let importing = change["change"]["importing"].is_object();
        let action = match actions.as_slice() {
            ["create"] => Act::Create,
            ["update"] => Act::Update,
            ["delete"] => Act::Delete,
            ["forget"] => Act::Forget,
            ["no-op"] if importing => Act::Import,
            [_, _] => Act::Replace,
            // No change, a read, or a kind of change this sitectl does not
            // know: no known change is taken for none.
            ["no-op"] | ["read"] => continue,
            _ => Act::Update,
        };
        changes.push(Change {
            address: change["address"].as_str().unwrap_or_default().to_string(),
            action,
            attributes: if action == Act::Update {
                changed_keys(&change["change"])
            } else {
                Vec::new()
            },
        });
    }
    // Outputs count too, as `plan -detailed-exitcode` counts them.
    if let Some(outputs) = plan["output_changes"].as_object() {
        for (name, change) in outputs {
            let actions: Vec<&str> = change["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str())
                .collect();
            let action = match actions.as_slice() {
                ["no-op"] | [] => continue,
                ["create"] => Act::Create,
                ["delete"] => Act::Delete,
                _ => Act::Update,
            };
            changes.push(Change {
                address: format!("output.{name}"),
                action,
                attributes: Vec::new(),
            });
        }
    }
    Ok(changes)
}

/// The top-level attributes whose value differs between a change's
/// `before` and `after`, in name order.
fn changed_keys(change: &serde_json::Value) -> Vec<String> {
    let (Some(before), Some(after)) = (change["before"].as_object(), change["after"].as_object())
    else {
        return Vec::new();
    };
    let mut keys: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The Kubernetes objects `helm template` makes that differ from the
/// release's manifest (`helm get manifest`), as `Kind/name`.
pub fn manifests(deployed: &str, proposed: &str) -> Vec<Change> {
    or_whole(
        compare(&objects(deployed), &objects(proposed)),
        "manifest",
        deployed,
        proposed,
    )
}

/// `changes`, or when they found nothing in texts that still differ (in a
/// part no object covers), the whole text as one change: never in sync by
/// not looking.
fn or_whole(changes: Vec<Change>, whole: &str, before: &str, after: &str) -> Vec<Change> {
    if changes.is_empty() && normalised(before) != normalised(after) {
        return vec![Change {
            address: whole.into(),
            action: Act::Update,
            attributes: Vec::new(),
        }];
    }
    changes
}

/// A manifest stream's objects by `Kind/name`. Helm prints each object
/// as its own document, `kind:` and `metadata.name` at fixed places.
fn objects(stream: &str) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for document in split_documents(stream) {
        let kind = document
            .lines()
            .find_map(|l| l.strip_prefix("kind:"))
            .map(|k| k.trim().to_string());
        let name = document
            .lines()
            .skip_while(|l| !l.starts_with("metadata:"))
            .skip(1)
            .take_while(|l| l.starts_with(' ') || l.is_empty())
            .find_map(|l| l.strip_prefix("  name:"))
            .map(|n| n.trim().trim_matches(['"', '\'']).to_string());
        if let Some(kind) = kind {
            let key = format!("{kind}/{}", name.unwrap_or_default());
            found.insert(key, normalised(&document));
        }
    }
    found
}

fn split_documents(stream: &str) -> Vec<String> {
    let mut documents = vec![String::new()];
    for line in stream.lines() {
        if line.trim_end() == "---" {
            documents.push(String::new());
        } else if let Some(current) = documents.last_mut() {
            current.push_str(line);
            current.push('\n');
        }
    }
    documents.retain(|d| d.lines().any(|l| !l.trim().is_empty()));
    documents
}

/// A document without what says where it came from (`# Source:`): the
/// same object from another template file is the same object.
fn normalised(document: &str) -> String {
    document
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty() && l.trim_end() != "---")
        .collect::<Vec<_>>()
        .join("\n")
}

/// The services, volumes and networks of `compose config` that differ
/// from the configuration the last apply recorded (none recorded: all new).
pub fn compose(recorded: &str, proposed: &str) -> Vec<Change> {
    or_whole(
        compare(&sections(recorded), &sections(proposed)),
        "configuration",
        recorded,
        proposed,
    )
}

/// `service app`, `volume data`, `network default`: each entry of the
/// top-level `services`, `volumes` and `networks`, as JSON to compare.
fn sections(config: &str) -> BTreeMap<String, String> {
    let Some(root) = crate::output::inspect::yaml_tree(config) else {
        return BTreeMap::new();
    };
    let mut found = BTreeMap::new();
    for (section, kind) in [
        ("services", "service"),
        ("volumes", "volume"),
        ("networks", "network"),
    ] {
        for entry in crate::output::inspect::entries(root.get(section)) {
            found.insert(
                format!("{kind} {}", entry.key),
                entry.value.to_json().to_string(),
            );
        }
    }
    found
}

/// What turns `before` into `after`, object by object.
fn compare(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<Change> {
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let action = match (before.get(key), after.get(key)) {
                (None, Some(_)) => Act::Create,
                (Some(_), None) => Act::Delete,
                (Some(a), Some(b)) if a != b => Act::Update,
                _ => return None,
            };
            Some(Change {
                address: key.clone(),
                action,
                attributes: Vec::new(),
            })
        })
        .collect()
}

/// Why `az deployment group what-if --no-pretty-print` output cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhatIfError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("no `changes` list: not a what-if result")]
    NoChanges,
    #[error("the what-if says it {0}")]
    NotSucceeded(String),
}

/// The Azure resources a what-if says the deployment creates, modifies or
/// deletes (`Deploy`, `NoChange`, `Ignore` are no change), each with the
/// properties it changes.
pub fn what_if(json: &str) -> Result<Vec<Change>, WhatIfError> {
    let result: serde_json::Value =
        serde_json::from_str(json).map_err(|e| WhatIfError::NotJson(e.to_string()))?;
    if let Some(status) = result["status"].as_str()
        && !status.eq_ignore_ascii_case("succeeded")
    {
        return Err(WhatIfError::NotSucceeded(status.to_lowercase()));
    }
    let changes = result["changes"].as_array().ok_or(WhatIfError::NoChanges)?;
    Ok(changes
        .iter()
        .filter_map(|change| {
            let action = match change["changeType"].as_str()? {
                "Create" => Act::Create,
                "Modify" => Act::Update,
                "Delete" => Act::Delete,
                _ => return None,
            };
            let mut attributes: Vec<String> = change["delta"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d["path"].as_str().map(str::to_string))
                .collect();
            attributes.sort();
            Some(Change {
                address: change["resourceId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                action,
                attributes,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_names_what_changes_and_which_attributes() {
        let plan = r#"{"format_version": "1.2",
          "resource_changes": [
            {"address": "aws_cloudwatch_log_group.site", "change": {"actions": ["update"],
              "before": {"name": "x", "retention_in_days": 1, "tags": {}}, "after": {"name": "x", "retention_in_days": 30, "tags": {}}}},
            {"address": "aws_db_instance.site", "change": {"actions": ["delete", "create"]}},
            {"address": "data.aws_vpc.platform", "change": {"actions": ["read"]}},
            {"address": "aws_s3_bucket.site", "change": {"actions": ["no-op"]}}
          ]}"#;
        let lines: Vec<String> = terraform(plan).unwrap().iter().map(Change::line).collect();
        assert_eq!(
            lines,
            [
                "aws_cloudwatch_log_group.site: update (retention_in_days)",
                "aws_db_instance.site: replace"
            ]
        );
    }

    #[test]
    fn forgets_imports_outputs_and_unknown_actions_are_changes() {
        let plan = r#"{"format_version": "1.2",
          "resource_changes": [
            {"address": "a.forgotten", "change": {"actions": ["forget"]}},
            {"address": "a.imported", "change": {"actions": ["no-op"], "importing": {"id": "x"}}},
            {"address": "a.same", "change": {"actions": ["no-op"]}},
            {"address": "a.future", "change": {"actions": ["transmogrify"]}}
          ],
          "output_changes": {
            "host": {"actions": ["update"]},
            "same": {"actions": ["no-op"]}
          }}"#;
        let lines: Vec<String> = terraform(plan).unwrap().iter().map(Change::line).collect();
        assert_eq!(
            lines,
            [
                "a.forgotten: forget",
                "a.imported: import",
                "a.future: update",
                "output.host: update"
            ]
        );
    }

    #[test]
    fn a_plan_that_cannot_be_read_is_an_error_not_no_change() {
        assert!(terraform("").is_err());
        assert!(terraform(r#"{"resource_changes": []}"#).is_err());
        assert!(terraform(r#"{"format_version": "1.2", "errored": true}"#).is_err());
    }

    #[test]
    fn manifests_are_compared_object_by_object() {
        let deployed = "---\n# Source: site/templates/a.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  port: 80\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n    name: not-this\n  name: old\n";
        let proposed = "---\n# Source: site/templates/b.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  port: 8080\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n";
        let lines: Vec<String> = manifests(deployed, proposed)
            .iter()
            .map(Change::line)
            .collect();
        assert_eq!(
            lines,
            [
                "ConfigMap/old: delete",
                "Deployment/web: create",
                "Service/web: update"
            ]
        );
        assert!(manifests(proposed, proposed).is_empty());
    }

    #[test]
    fn compose_is_compared_service_by_service() {
        let recorded = "name: x\nservices:\n  app:\n    image: app:1\n  db:\n    image: postgres:16\nvolumes:\n  data:\n    name: x_data\n";
        let proposed = "name: x\nservices:\n  app:\n    image: app:2\n  db:\n    image: postgres:16\nvolumes:\n  data:\n    name: x_data\n";
        let lines: Vec<String> = compose(recorded, proposed)
            .iter()
            .map(Change::line)
            .collect();
        assert_eq!(lines, ["service app: update"]);
        assert_eq!(compose("", proposed).len(), 3, "never applied: all new");
        let flow = "services: {app: {image: app:1}}";
        assert_eq!(compose(flow, flow), []);
        assert_eq!(
            compose(flow, "services: {app: {image: app:2}}")[0].line(),
            "service app: update"
        );
    }

    #[test]
    fn texts_that_differ_where_no_object_is_are_one_change_not_in_sync() {
        assert_eq!(
            manifests("replicas: 1\n", "replicas: 2\n")[0].line(),
            "manifest: update"
        );
        assert_eq!(
            compose("name: a\n", "name: b\n")[0].line(),
            "configuration: update"
        );
        assert_eq!(manifests("# Source: a\n---\nx: 1\n", "---\nx: 1\n"), []);
    }

    #[test]
    fn a_what_if_names_what_it_would_change() {
        let json = r#"{"status": "Succeeded", "changes": [
            {"changeType": "Modify", "resourceId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a",
             "delta": [{"path": "properties.minimumTlsVersion"}, {"path": "properties.allowBlobPublicAccess"}]},
            {"changeType": "NoChange", "resourceId": "/b"},
            {"changeType": "Ignore", "resourceId": "/c"},
            {"changeType": "Create", "resourceId": "/d"}]}"#;
        let lines: Vec<String> = what_if(json).unwrap().iter().map(Change::line).collect();
        assert_eq!(
            lines,
            [
                "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a: update (properties.allowBlobPublicAccess, properties.minimumTlsVersion)",
                "/d: create"
            ]
        );
        assert!(what_if("").is_err());
        assert!(what_if(r#"{"status": "Failed", "error": {}}"#).is_err());
        assert!(what_if("{}").is_err());
    }
}

//! The hand-off's data-loss gate on a Terraform plan: the addresses of
//! data-bearing resources that `terraform show -json` says the plan deletes.
//! It fails closed: a plan it cannot read is an error, never "no deletion".

use std::collections::{BTreeMap, BTreeSet};

/// Why `terraform show -json` output is not a plan the gate can check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("no `format_version`: not a plan")]
    NoFormatVersion,
    #[error("plan format {0}, of which sitectl reads 1.x only")]
    UnknownFormat(String),
    #[error("the plan says it errored")]
    Errored,
    #[error("neither `resource_changes` nor `planned_values`: not a plan")]
    NoResourceChanges,
    #[error("a change without a list of actions or an address: {0}")]
    Malformed(String),
}

/// What a plan does, as `terraform plan` counts it, and the data-bearing
/// resources it deletes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanFacts {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    /// Each data-bearing resource the plan deletes, by address, with why in
    /// Terraform's terms (`replace_paths`, `action_reason`):
    /// `replaced: db_name cannot change in place`.
    pub deleted_data: BTreeMap<String, String>,
}

impl PlanFacts {
    /// `1 to add, 0 to change, 0 to destroy`, as terraform says it.
    pub fn line(&self) -> String {
        format!(
            "{} to add, {} to change, {} to destroy",
            self.add, self.change, self.destroy
        )
    }
}

/// What a `terraform show -json` plan does, or why it cannot be read.
pub fn read_plan(plan_json: &str, data: &BTreeSet<String>) -> Result<PlanFacts, PlanError> {
    let plan: serde_json::Value =
        serde_json::from_str(plan_json).map_err(|e| PlanError::NotJson(e.to_string()))?;
    let version = plan["format_version"]
        .as_str()
        .ok_or(PlanError::NoFormatVersion)?;
    if version.split('.').next() != Some("1") {
        return Err(PlanError::UnknownFormat(version.to_string()));
    }
    if plan["errored"] == serde_json::Value::Bool(true) {
        return Err(PlanError::Errored);
    }
    // Terraform leaves `resource_changes` out when there is none (a destroy
    // of what is already gone): a plan then still has its `planned_values`.
    let changes: &[serde_json::Value] = match plan["resource_changes"].as_array() {
        Some(changes) => changes,
        None if plan["planned_values"].is_object() => &[],
        None => return Err(PlanError::NoResourceChanges),
    };
    let mut facts = PlanFacts::default();
    for change in changes {
        let malformed = || PlanError::Malformed(change.to_string().chars().take(120).collect());
        let actions: Vec<&str> = change["change"]["actions"]
            .as_array()
            .ok_or_else(malformed)?
            .iter()
            .map(|a| a.as_str().ok_or_else(malformed))
            .collect::<Result<_, _>>()?;
        if change["address"].as_str().is_none() {
            return Err(malformed());
        }
        // A replacement is a destroy and an add, as terraform counts it.
        facts.add += usize::from(actions.contains(&"create"));
        facts.change += usize::from(actions.contains(&"update"));
        facts.destroy += usize::from(actions.contains(&"delete"));
    }
    facts.deleted_data = changes
        .iter()
        .filter(|change| {
            change["change"]["actions"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == "delete"))
        })
        .filter_map(|change| {
            let address = change["address"].as_str()?;
            // `module.x.type.name[0]` still names `type.name`.
            let plain: String = address
                .rsplit('.')
                .take(2)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join(".");
            let plain = plain.split('[').next().unwrap_or_default().to_string();
            (data.contains(address) || data.contains(&plain))
                .then(|| (address.to_string(), why_deleted(change)))
        })
        .collect();
    Ok(facts)
}

impl PlanFacts {
    /// `aws_db_instance.site (replaced: db_name cannot change in place)`, one
    /// per deleted data-bearing resource.
    pub fn deleted_data_explained(&self) -> Vec<String> {
        self.deleted_data
            .iter()
            .map(|(address, why)| format!("{address} ({why})"))
            .collect()
    }
}

/// Why one change deletes its resource, from Terraform 1.x's plan JSON:
/// `replace_paths` (the attributes that force a new resource) and
/// `action_reason`.
fn why_deleted(change: &serde_json::Value) -> String {
    let actions = &change["change"]["actions"];
    let replaced = actions
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x == "create"));
    let paths: Vec<String> = change["change"]["replace_paths"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|path| {
            let segments: Vec<String> = path
                .as_array()?
                .iter()
                .map(|s| match s {
                    serde_json::Value::String(key) => key.clone(),
                    other => other.to_string(),
                })
                .collect();
            (!segments.is_empty()).then(|| segments.join("."))
        })
        .collect();
    let reason = change["action_reason"].as_str().unwrap_or_default();
    match (replaced, reason) {
        (true, _) if !paths.is_empty() => {
            format!("replaced: {} cannot change in place", paths.join(", "))
        }
        (true, "replace_by_request") => "replaced: asked for with -replace".into(),
        (true, "replace_because_tainted") => "replaced: tainted".into(),
        (true, _) => "replaced".into(),
        (false, "delete_because_no_resource_config") => {
            "deleted: no longer in the configuration".into()
        }
        (false, "delete_because_no_module") => "deleted: its module is gone".into(),
        (false, "delete_because_count_index" | "delete_because_each_key") => {
            "deleted: its count or for_each key is gone".into()
        }
        (false, _) => "deleted".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deleted_data(plan_json: &str, data: &BTreeSet<String>) -> Result<Vec<String>, PlanError> {
        read_plan(plan_json, data).map(|facts| facts.deleted_data.into_keys().collect())
    }

    fn data() -> BTreeSet<String> {
        ["azurerm_postgresql_flexible_server_database.site".to_string()].into()
    }

    /// Regression: a destroy of what is already gone has no
    /// `resource_changes`, and a half-finished reclaim must run again.
    #[test]
    fn a_plan_with_nothing_to_change_is_read_as_such() {
        let empty = r#"{"format_version": "1.2", "planned_values": {"root_module": {}}, "applyable": false, "complete": true, "errored": false}"#;
        assert_eq!(read_plan(empty, &data()).unwrap(), PlanFacts::default());
    }

    #[test]
    fn a_plan_is_counted_as_terraform_counts_it() {
        let plan = r#"{"format_version": "1.2", "resource_changes": [
            {"address": "a.x", "change": {"actions": ["create"]}},
            {"address": "a.y", "change": {"actions": ["update"]}},
            {"address": "a.z", "change": {"actions": ["delete", "create"]}},
            {"address": "a.w", "change": {"actions": ["no-op"]}}
        ]}"#;
        let facts = read_plan(plan, &data()).unwrap();
        assert_eq!(facts.line(), "2 to add, 1 to change, 1 to destroy");
    }

    #[test]
    fn a_plan_that_deletes_a_database_is_found() {
        let plan = r#"{"format_version": "1.2", "resource_changes": [
            {"address": "azurerm_postgresql_flexible_server_database.site", "change": {"actions": ["delete", "create"]}},
            {"address": "azurerm_dns_cname_record.site", "change": {"actions": ["delete"]}}
        ]}"#;
        assert_eq!(
            deleted_data(plan, &data()).unwrap(),
            ["azurerm_postgresql_flexible_server_database.site"]
        );
        let harmless = r#"{"format_version": "1.2", "resource_changes": [{"address": "azurerm_postgresql_flexible_server_database.site", "change": {"actions": ["update"]}}]}"#;
        assert!(deleted_data(harmless, &data()).unwrap().is_empty());
    }

    /// A plan as Terraform 1.11 really writes it (made with the AWS provider
    /// against moto): a bucket replaced because its name changed, a log group
    /// deleted because it left the configuration.
    #[test]
    fn a_real_terraform_plan_says_what_is_lost_and_why() {
        let plan =
            include_str!("../../tests/fixtures/plans/terraform-1.11-replace-and-delete.json");
        let data: BTreeSet<String> = [
            "aws_s3_bucket.site".to_string(),
            "aws_cloudwatch_log_group.old".to_string(),
        ]
        .into();
        let facts = read_plan(plan, &data).unwrap();
        assert_eq!(facts.line(), "1 to add, 0 to change, 2 to destroy");
        assert_eq!(
            facts.deleted_data_explained(),
            [
                "aws_cloudwatch_log_group.old (deleted: no longer in the configuration)",
                "aws_s3_bucket.site (replaced: bucket cannot change in place)",
            ]
        );
        let unwatched = read_plan(plan, &BTreeSet::new()).unwrap();
        assert!(unwatched.deleted_data.is_empty());
    }

    /// Regression: an empty or foreign `show -json` output used to read as
    /// "deletes nothing", and the apply went on.
    #[test]
    fn a_plan_that_cannot_be_read_fails_closed() {
        for (text, error) in [
            ("", "not JSON"),
            ("Error: no plan file", "not JSON"),
            ("{}", "no `format_version`"),
            (
                r#"{"format_version": "2.0", "resource_changes": []}"#,
                "format 2.0",
            ),
            (
                r#"{"format_version": "1.2", "errored": true, "resource_changes": []}"#,
                "errored",
            ),
            (r#"{"format_version": "1.2"}"#, "not a plan"),
            (
                r#"{"format_version": "1.2", "resource_changes": [{"address": "a.b", "change": {}}]}"#,
                "without a list of actions",
            ),
            (
                r#"{"format_version": "1.2", "resource_changes": [{"change": {"actions": ["delete"]}}]}"#,
                "or an address",
            ),
            (r#"{"resource_changes": []}"#, "no `format_version`"),
        ] {
            let refused = deleted_data(text, &data()).unwrap_err();
            assert!(refused.to_string().contains(error), "{text:?}: {refused}");
        }
    }
}

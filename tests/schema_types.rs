//! The schema and the Rust types agree: every example, every scaffolded spec
//! and a set of specs that together use every field of the schema pass both,
//! and come back from the types unchanged. A field the schema allows but the
//! types drop fails here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;
use sitectl::Catalog;
use sitectl::Schema;
use sitectl::spec::{Currency, Deployment, Feature, SelfhostedTarget, Tier};
use sitectl::{Checked, validate};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn validated(paths: &[PathBuf]) -> Checked {
    let checked = validate(paths, &root().join("blueprints"));
    let shown: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| format!("{}:{}: {}", d.file, d.line(), d.message))
        .collect();
    assert!(checked.diagnostics.is_empty(), "{shown:#?}");
    assert!(!checked.sites.is_empty());
    checked
}

/// Nulls and empty collections are absent values (the types write every
/// optional field, so that templates can test it), and every number is a
/// number: the types may write `90000` as `90000.0`.
fn normalized(value: &Json) -> Json {
    match value {
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalized(v)))
                .filter(|(_, v)| {
                    !v.is_null()
                        && !matches!(v, Json::Array(a) if a.is_empty())
                        && !matches!(v, Json::Object(o) if o.is_empty())
                })
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(normalized).collect()),
        Json::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        other => other.clone(),
    }
}

fn assert_round_trips(checked: &Checked) {
    for valid in &checked.sites {
        let written = normalized(&valid.document.root.to_json());
        let typed = normalized(&serde_json::to_value(&valid.site).unwrap());
        assert_eq!(
            written, typed,
            "{} changes through the Rust types",
            valid.document.source.name
        );
    }
}

#[test]
fn every_example_site_passes_schema_and_types_unchanged() {
    let checked = validated(&[root().join("sites")]);
    assert_eq!(checked.sites.len(), checked.files);
    assert_round_trips(&checked);
}

#[test]
fn every_scaffolded_spec_passes_schema_and_types_unchanged() {
    let dir = std::env::temp_dir().join(format!("sitectl-scaffold-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let catalog = catalog();
    let mut made = 0;
    for tier in Tier::ALL {
        for deployment in &catalog.tier(*tier).deployments {
            let name = format!("new-{tier}-{deployment}");
            let status = Command::new(env!("CARGO_BIN_EXE_sitectl"))
                .args([
                    "new",
                    &name,
                    "--tier",
                    tier.as_str(),
                    "--deployment",
                    deployment.as_str(),
                ])
                .args([
                    "--app-version",
                    "2026.11.1",
                    "--customer",
                    "Zoë's \"Quoted\" Co: #1",
                ])
                .args(crate::common::azure_ids(deployment.as_str()))
                .arg("--dir")
                .arg(&dir)
                .current_dir(root())
                .env("SITECTL_TODAY", "2026-11-22")
                .output()
                .unwrap();
            assert!(
                status.status.success(),
                "sitectl new {name}: {}",
                String::from_utf8_lossy(&status.stderr)
            );
            made += 1;
        }
    }
    let checked = validated(std::slice::from_ref(&dir));
    assert_eq!(checked.sites.len(), made);
    assert_round_trips(&checked);
    let customers: BTreeSet<&str> = checked
        .sites
        .iter()
        .map(|s| s.site.metadata.customer.as_str())
        .collect();
    assert_eq!(customers, BTreeSet::from(["Zoë's \"Quoted\" Co: #1"]));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn catalog() -> Catalog {
    let checked = validated(&[root().join("sites")]);
    checked.catalog.expect("the catalog loads")
}

#[test]
fn the_tier_catalog_passes_its_schema_and_types_unchanged() {
    let text = std::fs::read_to_string(root().join("blueprints/tiers.yaml")).unwrap();
    let node = sitectl::yaml::parse(&text).unwrap();
    let typed = serde_json::to_value(catalog()).unwrap();
    assert_eq!(normalized(&node.to_json()), normalized(&typed));
}

/// Resolves `{"$ref": "#/$defs/x"}` against the schema's own definitions.
fn resolve<'a>(schema: &'a Json, node: &'a Json) -> &'a Json {
    match node.get("$ref").and_then(Json::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(
                schema,
                schema
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling {reference}")),
            )
        }
        None => node,
    }
}

/// Paths of the schema that no instance in `instances` sets.
fn uncovered(
    schema: &Json,
    node: &Json,
    instances: &[&Json],
    path: &str,
    missing: &mut Vec<String>,
) {
    let node = resolve(schema, node);
    for part in node
        .get("allOf")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        uncovered(schema, part, instances, path, missing);
    }
    if let Some(properties) = node.get("properties").and_then(Json::as_object) {
        for (key, child) in properties {
            if child == &Json::Bool(false) {
                continue;
            }
            let values: Vec<&Json> = instances.iter().filter_map(|i| i.get(key)).collect();
            let here = format!("{path}/{key}");
            if values.is_empty() {
                missing.push(here);
            } else {
                uncovered(schema, child, &values, &here, missing);
            }
        }
    }
    if let Some(extra @ Json::Object(_)) = node.get("additionalProperties") {
        let known: BTreeSet<&str> = node
            .get("properties")
            .and_then(Json::as_object)
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let values: Vec<&Json> = instances
            .iter()
            .filter_map(|i| i.as_object())
            .flat_map(|o| {
                o.iter()
                    .filter(|(k, _)| !known.contains(k.as_str()))
                    .map(|(_, v)| v)
            })
            .collect();
        if values.is_empty() {
            missing.push(format!("{path}/*"));
        } else {
            uncovered(schema, extra, &values, &format!("{path}/*"), missing);
        }
    }
    if let Some(items) = node.get("items") {
        let values: Vec<&Json> = instances
            .iter()
            .filter_map(|i| i.as_array())
            .flatten()
            .collect();
        if values.is_empty() {
            missing.push(format!("{path}/[]"));
        } else {
            uncovered(schema, items, &values, &format!("{path}/[]"), missing);
        }
    }
}

#[test]
fn the_valid_fixtures_use_every_field_the_schema_allows_and_the_types_keep_them() {
    let checked = validated(&[root().join("tests/fixtures/valid")]);
    assert_round_trips(&checked);
    let instances: Vec<Json> = checked
        .sites
        .iter()
        .map(|s| s.document.root.to_json())
        .collect();
    let refs: Vec<&Json> = instances.iter().collect();
    let schema = Schema::site().json();
    let mut missing = Vec::new();
    uncovered(schema, schema, &refs, "", &mut missing);
    assert!(
        missing.is_empty(),
        "no fixture in tests/fixtures/valid sets {missing:?}: add it, so the types are proven to keep it"
    );
}

fn schema_enum(pointer: &str) -> Vec<String> {
    let schema = Schema::site().json();
    let node = schema
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no {pointer}"));
    node["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn names<T: ToString>(all: &[T]) -> Vec<String> {
    all.iter().map(ToString::to_string).collect()
}

#[test]
fn schema_enums_and_rust_enums_list_the_same_values() {
    assert_eq!(schema_enum("/$defs/spec/properties/tier"), names(Tier::ALL));
    assert_eq!(
        schema_enum("/$defs/spec/properties/deployment"),
        names(Deployment::ALL)
    );
    assert_eq!(
        schema_enum("/$defs/spec/properties/features/items"),
        names(Feature::ALL)
    );
    assert_eq!(
        schema_enum("/$defs/spec/properties/selfhosted/properties/targets/items"),
        names(SelfhostedTarget::ALL)
    );
    assert_eq!(
        schema_enum("/$defs/spec/properties/license/properties/currency"),
        names(Currency::ALL)
    );
}

#[test]
fn sitectl_schema_prints_the_committed_schema() {
    let output = Command::new(env!("CARGO_BIN_EXE_sitectl"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(output.status.success());
    let committed =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/site.schema.json"))
            .unwrap();
    assert_eq!(output.stdout, committed);
}

/// A blueprint may name only the targets sitectl can check and hand off:
/// the blueprint schema's list is `Target::ALL`, in the same order.
#[test]
fn the_blueprint_schema_lists_exactly_the_targets_sitectl_knows() {
    let listed: Vec<String> = Schema::blueprint().json()["properties"]["targets"]["propertyNames"]
        ["enum"]
        .as_array()
        .expect("targets.propertyNames.enum")
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, names(sitectl::Target::ALL));
}

//! The data migration a move across deployments needs. Data-bearing
//! resources are named from the site's name alone, so a change of tier never
//! moves data; a change of deployment does: the database and the files get
//! a new home (our shared server, a dedicated one, the customer's
//! subscription or the customer's own machines), and someone must carry them
//! there. These are the operator's steps, with the site's real names.

use std::collections::BTreeMap;

use crate::diagnostic::words::shell_quoted;
use crate::render::blueprint::Manifest;
use crate::render::resolve::Names;
use crate::render::target::Target;
use crate::spec::{Deployment, Site};

/// One phase of the migration and the commands it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub phase: &'static str,
    pub why: String,
    pub commands: Vec<String>,
}

/// Where a site's data lives under one deployment.
struct Home {
    /// Postgres host.
    host: String,
    /// The files: a blob container URL, or a Compose volume.
    files: String,
    /// Compose keeps both in volumes, reached through `docker compose`.
    compose: bool,
    /// The hand-off target that builds the home.
    target: Target,
    whose: &'static str,
}

fn setting(settings: &BTreeMap<String, serde_json::Value>, key: &str, fallback: &str) -> String {
    settings
        .get(key)
        .and_then(|v| v.as_str())
        .unwrap_or(fallback)
        .to_string()
}

fn home(
    deployment: Deployment,
    names: &Names,
    settings: &BTreeMap<String, serde_json::Value>,
) -> Home {
    let blob = |account: &str| format!("https://{account}.blob.core.windows.net/{}", names.data);
    let postgres = |server: &str| format!("{server}.postgres.database.azure.com");
    match deployment {
        Deployment::Managed => Home {
            host: postgres(&setting(
                settings,
                "sharedPostgresServer",
                "<shared Postgres server>",
            )),
            files: blob(&setting(
                settings,
                "sharedStorageAccount",
                "<shared storage account>",
            )),
            compose: false,
            target: Target::Terraform,
            whose: "our shared server and storage account",
        },
        Deployment::Dedicated => Home {
            host: postgres(&names.postgres_server),
            files: blob(&names.storage_account),
            compose: false,
            target: Target::Terraform,
            whose: "the site's dedicated server and storage account in our cloud",
        },
        Deployment::Byoi => Home {
            host: postgres(&names.postgres_server),
            files: blob(&names.storage_account),
            compose: false,
            target: Target::Bicep,
            whose: "the customer's Azure subscription",
        },
        Deployment::Selfhosted => Home {
            host: "postgres (the Compose service)".into(),
            files: format!("the Compose volume {}-files", names.data),
            compose: true,
            target: Target::Compose,
            whose: "the customer's own environment",
        },
    }
}

/// The steps that carry `site`'s data from its deployment to `to`, in order.
/// `from` is the manifest of the blueprint the site leaves (its settings
/// name the shared servers of a managed site, its data resources what the
/// site's Terraform state must let go of); `to` the one it moves to.
pub fn steps(site: &Site, from: &Manifest, to: (Deployment, &Manifest), out: &str) -> Vec<Step> {
    let (to, to_manifest) = to;
    let from_settings = &from.settings;
    let name = &site.metadata.name;
    let names = Names::for_site(name);
    let old = home(site.spec.deployment, &names, from_settings);
    let new = home(to, &names, &to_manifest.settings);
    let dump = format!("{name}.dump");
    // Compose runs where the project's file is.
    // `out` is the user's folder: quoted as a shell would need it.
    let folder = |target: &str| shell_quoted(&format!("{out}/{name}/{target}"));
    let compose = format!(
        "(cd {} && docker compose -p {name} -f compose.yaml",
        folder("compose")
    );
    let db = &names.database;
    let mut steps = vec![Step {
        phase: "freeze",
        why: "stop writes for the maintenance window agreed with the customer, so nothing is written after the export".into(),
        commands: if old.compose {
            vec![format!("{compose} stop app worker)")]
        } else {
            vec![format!(
                "kubectl scale deployment --all --replicas=0 --namespace {}",
                names.namespace
            )]
        },
    }];
    steps.push(Step {
        phase: "export",
        why: format!("take the database and the files out of {}", old.whose),
        commands: if old.compose {
            vec![
                format!("{compose} exec -T postgres pg_dump --format=custom --no-owner --dbname {db}) > {dump}"),
                format!("docker run --rm -v {}-files:/from -v \"$PWD/{}\":/to alpine cp -a /from/. /to/", names.data, names.data),
            ]
        } else {
            vec![
                format!("pg_dump --format=custom --no-owner --host {} --dbname {db} --file {dump}", old.host),
                format!("azcopy copy '{}/*' './{}/' --recursive", old.files, names.data),
            ]
        },
    });
    let detach: Vec<&str> = from
        .data_resources
        .iter()
        .filter_map(|d| d.terraform.as_deref())
        .collect();
    if !detach.is_empty() {
        steps.push(Step {
            phase: "detach",
            why: "forget the old data resources in the site's Terraform state, without deleting them: the new render would otherwise plan their deletion (refused by prevent_destroy and the data-loss gate), and the old copy stays as the fallback until the cut-over is verified".into(),
            commands: vec![format!(
                "(cd {} && terraform state rm {})",
                folder("terraform"),
                detach.join(" ")
            )],
        });
    }
    let customer_fill = match to {
        Deployment::Byoi => {
            " (fill in spec.byoi with the customer's tenant, subscription, resource group and service principal first: the zero IDs are placeholders)"
        }
        Deployment::Selfhosted => " (the customer runs it; send them the rendered compose folder)",
        _ => "",
    };
    steps.push(Step {
        phase: "new home",
        why: format!("create the new home in {}{customer_fill}", new.whose),
        commands: vec![
            "sitectl render".into(),
            format!("sitectl apply {name} --target {}", new.target),
        ],
    });
    steps.push(Step {
        phase: "import",
        why: "load the export into the new home".into(),
        commands: if new.compose {
            vec![
                format!("{compose} exec -T postgres pg_restore --no-owner --dbname {db}) < {dump}"),
                format!("docker run --rm -v {}-files:/to -v \"$PWD/{}\":/from alpine cp -a /from/. /to/", names.data, names.data),
            ]
        } else {
            vec![
                format!("pg_restore --no-owner --host {} --dbname {db} {dump}", new.host),
                format!("azcopy copy './{}/*' '{}' --recursive", names.data, new.files),
            ]
        },
    });
    steps.push(Step {
        phase: "cut over",
        why: "point the app at the new home, check it with the customer, then lift the freeze"
            .into(),
        commands: if new.compose {
            vec![format!("{compose} up -d --wait)")]
        } else {
            vec![format!("sitectl apply {name} --target helm")]
        },
    });
    steps.push(Step {
        phase: "retire",
        why: format!(
            "after the agreed retention, delete the old copy in {}: no render names it any more, so nothing else ever will",
            old.whose
        ),
        commands: vec![format!("database {db} on {}; files at {}", old.host, old.files)],
    });
    steps
}

/// The steps as numbered text.
pub fn text(site: &str, from: Deployment, to: Deployment, steps: &[Step]) -> String {
    let mut out =
        format!("The data of `{site}` moves from {from} to {to}. Run these steps, in order:\n");
    for (i, step) in steps.iter().enumerate() {
        out.push_str(&format!("\n{}. {}: {}\n", i + 1, step.phase, step.why));
        for command in &step.commands {
            out.push_str(&format!("   {command}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(deployment: Deployment) -> Site {
        let mut site: Site = serde_json::from_value(serde_json::json!({
            "apiVersion": "sitectl/v1", "kind": "Site",
            "metadata": {"name": "acme-learning", "customer": "Acme", "contact": "it@acme.example"},
            "spec": {"tier": "enterprise", "deployment": "managed", "region": "eastus", "seats": 10,
                     "app": {"version": "2026.11.1"}}
        }))
        .unwrap();
        site.spec.deployment = deployment;
        site
    }

    /// A blueprint's manifest, as shipped.
    fn manifest(name: &str) -> Manifest {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("blueprints")
                .join(name)
                .join("blueprint.yaml"),
        )
        .unwrap();
        let root = crate::source::yaml::parse(&text).unwrap();
        serde_json::from_value(root.to_json()).unwrap()
    }

    #[test]
    fn managed_to_dedicated_exports_from_the_shared_server_and_imports_into_the_dedicated_one() {
        let dedicated = manifest("dedicated");
        let steps = steps(
            &site(Deployment::Managed),
            &manifest("managed"),
            (Deployment::Dedicated, &dedicated),
            "rendered",
        );
        let phases: Vec<&str> = steps.iter().map(|s| s.phase).collect();
        assert_eq!(
            phases,
            [
                "freeze", "export", "detach", "new home", "import", "cut over", "retire"
            ]
        );
        let all = text(
            "acme-learning",
            Deployment::Managed,
            Deployment::Dedicated,
            &steps,
        );
        assert!(all.contains("pg_dump --format=custom --no-owner --host psql-sitectl-shared.postgres.database.azure.com --dbname acme_learning"), "{all}");
        assert!(
            all.contains(
                "pg_restore --no-owner --host psql-site-acme-learning.postgres.database.azure.com"
            ),
            "{all}"
        );
        assert!(all.contains("(cd rendered/acme-learning/terraform && terraform state rm azurerm_postgresql_flexible_server_database.site azurerm_storage_container.site)"), "{all}");
        assert!(all.contains("sitectl apply acme-learning --target terraform"));
    }

    #[test]
    fn a_move_to_managed_names_the_shared_server_of_the_managed_blueprint() {
        let managed = manifest("managed");
        let steps = steps(
            &site(Deployment::Selfhosted),
            &manifest("selfhosted"),
            (Deployment::Managed, &managed),
            "out",
        );
        let all = text(
            "acme-learning",
            Deployment::Selfhosted,
            Deployment::Managed,
            &steps,
        );
        assert!(
            all.contains("--host psql-sitectl-shared.postgres.database.azure.com"),
            "{all}"
        );
        assert!(all.contains("(cd out/acme-learning/compose && docker compose -p acme-learning -f compose.yaml exec -T postgres pg_dump"), "{all}");
        assert!(
            !all.contains("detach"),
            "a Compose site has no Terraform state: {all}"
        );
    }

    #[test]
    fn a_move_to_byoi_builds_the_new_home_with_bicep_in_the_customers_subscription() {
        let byoi = manifest("byoi");
        let steps = steps(
            &site(Deployment::Managed),
            &manifest("managed"),
            (Deployment::Byoi, &byoi),
            "rendered",
        );
        let all = text(
            "acme-learning",
            Deployment::Managed,
            Deployment::Byoi,
            &steps,
        );
        assert!(
            all.contains("sitectl apply acme-learning --target bicep"),
            "{all}"
        );
        assert!(all.contains("the customer's Azure subscription"), "{all}");
        assert!(all.contains("zero IDs are placeholders"), "{all}");
    }
}

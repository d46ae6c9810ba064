//! A repository-level `atlantis.yaml`: one Atlantis project per site's
//! Terraform folder, planned when its rendered files change, and a custom
//! workflow whose plan stage passes the saved plan through sitectl's
//! data-loss gate (`sitectl gate`), so that Atlantis never applies a plan
//! that deletes customer data. Written from the sites alone, in name
//! order: the same fleet gives the same bytes.

use std::fmt::Write as _;

/// The name of the custom workflow every project uses.
pub const WORKFLOW: &str = "sitectl";

/// One project: a site and its Terraform folder, relative to the
/// repository's root with `/` separators.
pub struct Project {
    pub site: String,
    pub dir: String,
}

/// A YAML double-quoted scalar: JSON's string syntax is one.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// The whole `atlantis.yaml` for `projects`, in the order given.
pub fn atlantis_yaml(projects: &[Project]) -> String {
    let mut out = String::from(
        "# Written by `sitectl atlantis` from the sites; regenerate it after adding or\n\
         # removing a site (`sitectl atlantis --check` fails while it is stale).\n\
         # One project per site's Terraform folder. The plan stage runs sitectl's\n\
         # data-loss gate on the saved plan: a plan that deletes or replaces a\n\
         # data-bearing resource, or that cannot be read, fails, and Atlantis\n\
         # applies only plans that passed. A deletion that is intended goes through\n\
         # `sitectl apply SITE --allow-data-loss SITE`, outside Atlantis.\n\
         version: 3\n\
         automerge: false\n\
         parallel_plan: true\n\
         parallel_apply: true\n",
    );
    if projects.is_empty() {
        out.push_str("projects: []\n");
    } else {
        out.push_str("projects:\n");
    }
    for project in projects {
        let _ = write!(
            out,
            "- name: {}\n  dir: {}\n  workflow: {WORKFLOW}\n  autoplan:\n    enabled: true\n    when_modified: [\"**/*\"]\n",
            quoted(&project.site),
            quoted(&project.dir),
        );
    }
    let _ = write!(
        out,
        "workflows:\n  {WORKFLOW}:\n    plan:\n      steps:\n      - init\n      - plan\n      \
         - run: terraform show -json \"$PLANFILE\" > \"$SHOWFILE\"\n      \
         - run: sitectl gate \"$SHOWFILE\" --site \"$PROJECT_NAME\"\n    \
         apply:\n      steps:\n      - apply\n"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_site_is_a_project_of_the_gated_workflow() {
        let yaml = atlantis_yaml(&[
            Project {
                site: "acme".into(),
                dir: "rendered/acme/terraform".into(),
            },
            Project {
                site: "globex".into(),
                dir: "out dir/globex/terraform".into(),
            },
        ]);
        assert!(
            yaml.contains(
                "- name: \"acme\"\n  dir: \"rendered/acme/terraform\"\n  workflow: sitectl\n"
            ),
            "{yaml}"
        );
        assert!(
            yaml.contains("  dir: \"out dir/globex/terraform\"\n"),
            "{yaml}"
        );
        assert!(
            yaml.contains("      - run: sitectl gate \"$SHOWFILE\" --site \"$PROJECT_NAME\"\n")
        );
        assert!(atlantis_yaml(&[]).contains("projects: []\n"));
    }
}

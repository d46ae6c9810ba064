//! The objects a GitOps controller reads to deploy every site's Helm
//! values from the repository itself: for Argo CD, one `ApplicationSet`
//! whose git files generator finds each site's rendered values; for Flux,
//! a `GitRepository` and one `HelmRelease` per site. Written from the
//! sites alone, in name order: the same fleet gives the same bytes.
//!
//! Argo CD gets one ApplicationSet rather than an Application per site: a
//! site added or removed in a commit is found by the generator from its
//! rendered values, so a fleet of thousands needs no file per site and the
//! objects never go stale; the sites sitectl does not deploy (the ones their
//! customer operates) are listed as exclusions, which changes only when
//! such a site comes or goes. Flux has no generator: a HelmRelease a site.

use std::fmt::Write as _;

/// Where the rendered Helm values of a site are, relative to the
/// repository's root: `<rendered>/<site>/helm/values.yaml`.
pub struct Sites<'a> {
    /// The rendered folder, relative to the repository, `/`-separated.
    pub rendered: &'a str,
    /// The chart's folder, relative to the repository, `/`-separated.
    pub chart: &'a str,
    /// Sites with Helm values that the controller deploys, in name order:
    /// (site, namespace).
    pub deployed: &'a [(String, String)],
    /// Sites with Helm values their customer operates, in name order.
    pub excluded: &'a [String],
}

/// The git repository the controller reads, and the branch.
pub struct Source<'a> {
    pub url: &'a str,
    pub revision: &'a str,
}

/// A YAML double-quoted scalar: JSON's string syntax is one.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

const HEADER: &str = "# Written by `sitectl gitops` from the sites; regenerate it after adding or\n\
# removing a site (`sitectl gitops --check` fails while it is stale).\n";

/// Argo CD: one ApplicationSet over every deployed site's values.
pub fn argocd(sites: &Sites<'_>, source: &Source<'_>) -> String {
    let values = format!("{}/*/helm/values.yaml", sites.rendered);
    let mut out = String::from(HEADER);
    out.push_str(
        "# Every site's rendered Helm values become an Application of the site chart,\n\
         # synced automatically with prune on; the chart marks the data-bearing\n\
         # PersistentVolumeClaim Prune=false,Delete=false, and an Application whose\n\
         # site is removed goes without its resources (preserveResourcesOnDeletion).\n",
    );
    let _ = write!(
        out,
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: sites\n  namespace: argocd\nspec:\n  goTemplate: true\n  goTemplateOptions: [\"missingkey=error\"]\n  generators:\n  - git:\n      repoURL: {url}\n      revision: {revision}\n      files:\n      - path: {values}\n",
        url = quoted(source.url),
        revision = quoted(source.revision),
        values = quoted(&values),
    );
    for site in sites.excluded {
        let _ = write!(
            out,
            "      - path: {}\n        exclude: true\n",
            quoted(&format!("{}/{site}/helm/values.yaml", sites.rendered))
        );
    }
    let _ = write!(
        out,
        "  syncPolicy:\n    preserveResourcesOnDeletion: true\n  template:\n    metadata:\n      name: \"{{{{.site.name}}}}\"\n      labels:\n        sitectl.io/tier: \"{{{{.site.tier}}}}\"\n        sitectl.io/deployment: \"{{{{.site.deployment}}}}\"\n    spec:\n      project: default\n      sources:\n      - repoURL: {url}\n        targetRevision: {revision}\n        path: {chart}\n        helm:\n          releaseName: \"{{{{.site.name}}}}\"\n          valueFiles:\n          - \"$values/{{{{.path.path}}}}/values.yaml\"\n      - repoURL: {url}\n        targetRevision: {revision}\n        ref: values\n      destination:\n        server: https://kubernetes.default.svc\n        namespace: \"{{{{.namespace}}}}\"\n      syncPolicy:\n        automated:\n          prune: true\n          selfHeal: true\n        syncOptions:\n        - CreateNamespace=true\n",
        url = quoted(source.url),
        revision = quoted(source.revision),
        chart = quoted(sites.chart),
    );
    out
}

/// Flux: the repository as a GitRepository, and a HelmRelease per deployed
/// site, as one multi-document file.
pub fn flux(sites: &Sites<'_>, source: &Source<'_>) -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "# The repository as a source, and a HelmRelease of the site chart per site\n\
         # with its rendered values. Helm keeps the data-bearing claim on uninstall\n\
         # (helm.sh/resource-policy: keep).\n",
    );
    let _ = write!(
        out,
        "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: sites\n  namespace: flux-system\nspec:\n  interval: 5m\n  url: {url}\n  ref:\n    branch: {revision}\n",
        url = quoted(source.url),
        revision = quoted(source.revision),
    );
    for (site, namespace) in sites.deployed {
        let _ = write!(
            out,
            "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {site}\n  namespace: flux-system\nspec:\n  interval: 10m\n  releaseName: {site}\n  targetNamespace: {namespace}\n  install:\n    createNamespace: true\n  chart:\n    spec:\n      chart: {chart}\n      reconcileStrategy: Revision\n      sourceRef:\n        kind: GitRepository\n        name: sites\n      valuesFiles:\n      - {values}\n",
            site = quoted(site),
            namespace = quoted(namespace),
            chart = quoted(&format!("./{}", sites.chart)),
            values = quoted(&format!("{}/{site}/helm/values.yaml", sites.rendered)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites() -> (Vec<(String, String)>, Vec<String>) {
        (
            vec![("acme".into(), "site-acme".into())],
            vec!["umbrella".into()],
        )
    }

    #[test]
    fn argo_cd_gets_one_application_set_excluding_what_customers_operate() {
        let (deployed, excluded) = sites();
        let yaml = argocd(
            &Sites {
                rendered: "rendered",
                chart: "blueprints/charts/site",
                deployed: &deployed,
                excluded: &excluded,
            },
            &Source {
                url: "https://git.example/sites.git",
                revision: "main",
            },
        );
        assert!(yaml.contains("      - path: \"rendered/*/helm/values.yaml\"\n      - path: \"rendered/umbrella/helm/values.yaml\"\n        exclude: true\n"), "{yaml}");
        assert!(
            yaml.contains("          - \"$values/{{.path.path}}/values.yaml\"\n"),
            "{yaml}"
        );
        assert!(yaml.contains("      name: \"{{.site.name}}\"\n"), "{yaml}");
    }

    #[test]
    fn flux_gets_a_release_per_deployed_site() {
        let (deployed, excluded) = sites();
        let yaml = flux(
            &Sites {
                rendered: "rendered",
                chart: "blueprints/charts/site",
                deployed: &deployed,
                excluded: &excluded,
            },
            &Source {
                url: "https://git.example/sites.git",
                revision: "main",
            },
        );
        assert_eq!(yaml.matches("kind: HelmRelease").count(), 1);
        assert!(
            yaml.contains("  targetNamespace: \"site-acme\"\n"),
            "{yaml}"
        );
        assert!(
            yaml.contains("      - \"rendered/acme/helm/values.yaml\"\n"),
            "{yaml}"
        );
        assert!(!yaml.contains("umbrella"));
    }
}

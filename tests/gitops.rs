//! `sitectl gitops`: the Argo CD ApplicationSet and the Flux HelmReleases
//! that deploy every site's Helm values are written from the sites, byte for
//! byte the same each time, checked like rendered output, and valid against
//! the controllers' CRD schemas (kubernetes-models' validators, generated
//! from the upstream CRDs; npm, installed by `.ci/run`). What they point at
//! (the chart, each site's values) is in the repository.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{require_tool, run_checked};
use crate::diff::Repo;

const URL: &str = "https://git.example/sites.git";

/// The objects of a multi-document YAML file, as JSON.
fn objects(file: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut documents = vec![String::new()];
    for line in text.lines() {
        if line == "---" {
            documents.push(String::new());
        } else if let Some(current) = documents.last_mut() {
            current.push_str(line);
            current.push('\n');
        }
    }
    documents
        .iter()
        .filter(|d| d.lines().any(|l| !l.is_empty() && !l.starts_with('#')))
        .map(|d| sitectl::yaml::parse(d).unwrap().to_json())
        .collect()
}

/// Runs the CRD schema check on `objects`; its exit code and what it said.
fn crd_check(repo: &Path, objects: &[Value]) -> (i32, String) {
    require_tool(
        "node",
        "apt-get install nodejs (or use the machine's Node.js)",
    );
    let json = repo.join("objects.json");
    std::fs::write(&json, serde_json::to_string(objects).unwrap()).unwrap();
    let conformance = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let out = Command::new("node")
        .arg(conformance.join("gitops_check.mjs"))
        .arg(&json)
        .current_dir(&conformance)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), said)
}

#[test]
fn gitops_objects_pass_the_crd_schemas_and_point_at_what_the_repository_holds() {
    let repo = Repo::new("gitops");
    assert!(repo.sitectl(&["render"]).status.success());
    for engine in ["argocd", "flux"] {
        let out = repo.sitectl(&["gitops", "--engine", engine, "--repo-url", URL]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let argocd = repo.0.join("gitops/argocd.yaml");
    let flux = repo.0.join("gitops/flux.yaml");
    let (argo_objects, flux_objects) = (objects(&argocd), objects(&flux));
    let all: Vec<Value> = argo_objects.iter().chain(&flux_objects).cloned().collect();
    let (code, said) = crd_check(&repo.0, &all);
    assert_eq!(code, 0, "{said}");
    assert_eq!(
        said.lines().filter(|l| l.starts_with("ok ")).count(),
        all.len(),
        "{said}"
    );
    // And the check can fail: generators that are not a list.
    let mut broken = argo_objects[0].clone();
    broken["spec"]["generators"] = Value::String("every site".into());
    let (code, said) = crd_check(&repo.0, &[broken]);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("generators must be array"), "{said}");

    // Argo CD: the generator's files are each site's values, but the one
    // its customer operates; the chart and every value file are there.
    let set = &argo_objects[0];
    let files = set["spec"]["generators"][0]["git"]["files"]
        .as_array()
        .unwrap();
    assert_eq!(files[0]["path"], "rendered/*/helm/values.yaml");
    assert_eq!(
        files[1]["path"],
        "rendered/umbrella-airgap/helm/values.yaml"
    );
    assert_eq!(files[1]["exclude"], true);
    let chart = set["spec"]["template"]["spec"]["sources"][0]["path"]
        .as_str()
        .unwrap();
    assert!(repo.0.join(chart).join("Chart.yaml").is_file(), "{chart}");
    assert_eq!(
        set["spec"]["template"]["spec"]["syncPolicy"]["automated"]["prune"],
        true
    );
    assert_eq!(
        set["spec"]["syncPolicy"]["preserveResourcesOnDeletion"],
        true
    );
    // Each value file the generator finds has what the template reads.
    for entry in std::fs::read_dir(repo.0.join("rendered")).unwrap() {
        let values = entry.unwrap().path().join("helm/values.yaml");
        if !values.is_file() || values.to_string_lossy().contains("umbrella-airgap") {
            continue;
        }
        let tree = sitectl::yaml::parse(&std::fs::read_to_string(&values).unwrap())
            .unwrap()
            .to_json();
        for key in ["name", "tier", "deployment"] {
            assert!(
                tree["site"][key].is_string(),
                "{}: site.{key}",
                values.display()
            );
        }
        assert!(tree["namespace"].is_string(), "{}", values.display());
    }

    // Flux: the repository, then a release per deployed site, each values
    // file in the repository.
    assert_eq!(flux_objects[0]["kind"], "GitRepository");
    assert_eq!(flux_objects[0]["spec"]["url"], URL);
    let releases: Vec<&str> = flux_objects[1..]
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        releases,
        [
            "acme-learning",
            "globex-dedicated",
            "hooli-learning",
            "initech-byoi",
            "northwind-trial",
            "wayne-dedicated"
        ]
    );
    for release in &flux_objects[1..] {
        let values = release["spec"]["chart"]["spec"]["valuesFiles"][0]
            .as_str()
            .unwrap();
        assert!(repo.0.join(values).is_file(), "{values}");
    }

    // The same sites, the same bytes; a new site needs no change to the
    // ApplicationSet (its generator finds the values), a new HelmRelease.
    let first = std::fs::read(&argocd).unwrap();
    let check = |engine: &str| {
        repo.sitectl(&["gitops", "--engine", engine, "--repo-url", URL, "--check"])
            .status
            .code()
    };
    assert_eq!(check("argocd"), Some(0));
    assert_eq!(check("flux"), Some(0));
    let new = repo.sitectl(&[
        "new",
        "contoso",
        "--tier",
        "trial",
        "--deployment",
        "managed",
    ]);
    assert!(
        new.status.success(),
        "{}",
        String::from_utf8_lossy(&new.stderr)
    );
    assert_eq!(check("argocd"), Some(0));
    assert_eq!(check("flux"), Some(1));
    assert!(
        repo.sitectl(&["gitops", "--repo-url", URL])
            .status
            .success()
    );
    assert_eq!(std::fs::read(&argocd).unwrap(), first);
    let mut command = Command::new(env!("CARGO_BIN_EXE_sitectl"));
    command
        .args(["gitops", "--engine", "flux", "--repo-url", URL])
        .current_dir(&repo.0);
    run_checked(command, "sitectl gitops --engine flux");
    assert!(
        std::fs::read_to_string(&flux)
            .unwrap()
            .contains("name: \"contoso\"")
    );
}

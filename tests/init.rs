//! `sitectl init`: a sites repository in one command, which validates,
//! renders and passes `diff --check` at once, with the binary's own files.

use std::path::Path;
use std::process::{Command, Output};

fn sitectl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sitectl"))
        .args(args)
        .current_dir(dir)
        .env_remove("SITECTL_BLUEPRINTS")
        .env_remove("SITECTL_SITES")
        .env_remove("SITECTL_RENDERED")
        .env("SITECTL_TODAY", "2026-11-22")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn an_initialised_repository_validates_renders_and_is_current_at_once() {
    let base = std::env::temp_dir().join(format!("sitectl-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let made = sitectl(&base, &["init", "fleet"]);
    assert_eq!(made.status.code(), Some(0), "{}", text(&made.stderr));
    assert!(text(&made.stderr).contains("created a sites repository in fleet"));
    let repo = base.join("fleet");
    for args in [&["validate"][..], &["render"], &["diff", "--check"]] {
        let out = sitectl(&repo, args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert!(
        repo.join("rendered/northwind-trial/.sitectl-manifest")
            .exists()
    );
    assert!(repo.join("blueprints/charts/site/Chart.yaml").exists());
    // A new site on the new repository's own catalog and schema.
    let new = sitectl(
        &repo,
        &[
            "new",
            "contoso",
            "--tier",
            "trial",
            "--deployment",
            "managed",
        ],
    );
    assert_eq!(new.status.code(), Some(0), "{}", text(&new.stderr));
    assert_eq!(sitectl(&repo, &["validate"]).status.code(), Some(0));
    // A folder that is not empty is refused, and nothing in it changes...
    let catalog = repo.join("blueprints/tiers.yaml");
    let ours = format!("{}# ours\n", std::fs::read_to_string(&catalog).unwrap());
    std::fs::write(&catalog, &ours).unwrap();
    let again = sitectl(&base, &["init", "fleet"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again.stderr));
    assert!(text(&again.stderr).contains("not empty: pass --force"));
    // ...and with --force, only what is missing is added: no rendered file
    // of the folder's own sites is touched.
    std::fs::remove_file(repo.join("schemas/site.schema.json")).unwrap();
    let rendered = repo.join("rendered/northwind-trial/terraform/main.tf");
    let edited = format!("{}# edited\n", std::fs::read_to_string(&rendered).unwrap());
    std::fs::write(&rendered, &edited).unwrap();
    let forced = sitectl(&base, &["init", "fleet", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert!(repo.join("schemas/site.schema.json").exists());
    assert_eq!(std::fs::read_to_string(&catalog).unwrap(), ours);
    assert_eq!(std::fs::read_to_string(&rendered).unwrap(), edited);
    assert!(
        text(&forced.stderr).contains("that existed already"),
        "{}",
        text(&forced.stderr)
    );
    std::fs::remove_dir_all(&base).unwrap();
}

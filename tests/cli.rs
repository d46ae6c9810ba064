//! The command-line contract, case by case.
//!
//! Every `tests/cmd/**/*.toml` runs the `sitectl` binary from the repository
//! root (`fs.cwd`), so the default `blueprints/` folder is found and paths in
//! diagnostics read `tests/fixtures/...`; its exit code, stdout and stderr
//! must equal the case's `status`, `.stdout` and `.stderr` (or inline `""`).
//! The fixtures live under `tests/fixtures/invalid/`, one per kind of error.
//!
//! Regenerate the expected outputs after a deliberate change with
//! `TRYCMD=overwrite cargo test --test integration cli::`, then read every changed file.

use std::path::Path;
use std::process::Command;

fn sitectl() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_sitectl"))
}

#[test]
fn cli() {
    trycmd::TestCases::new()
        .register_bin("sitectl", sitectl())
        .case("tests/cmd/**/*.toml");
}

/// `sitectl schema` prints exactly the published schema file, byte for byte
/// (the trycmd case `commands/schema` keeps a snapshot for reading).
#[test]
fn schema_prints_the_published_schema_file() {
    let output = Command::new(sitectl())
        .arg("schema")
        .env("NO_COLOR", "1")
        .output()
        .expect("sitectl runs");
    assert!(output.status.success(), "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");
    let published =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/site.schema.json"))
            .expect("schemas/site.schema.json is readable");
    assert!(
        output.stdout == published,
        "`sitectl schema` differs from schemas/site.schema.json"
    );
}

/// Outside a sites repository, as git and cargo do outside theirs: one
/// clear usage error naming where it looked, not an error per missing file.
#[test]
fn outside_a_sites_repository_commands_say_so_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("sitectl-outside-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sites")).unwrap();
    for args in [&["validate"][..], &["inventory"], &["render"], &["plan"]] {
        let output = Command::new(sitectl())
            .args(args)
            .current_dir(&dir)
            .env_remove("SITECTL_BLUEPRINTS")
            .env("NO_COLOR", "1")
            .output()
            .expect("sitectl runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: no sites repository here: no blueprints/tiers.yaml in "),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("--blueprints DIR"), "{stderr}");
    }
    assert!(!dir.join("rendered").exists(), "nothing is written");
    // `schema` needs no repository.
    let schema = Command::new(sitectl())
        .arg("schema")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(schema.status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Completion scripts for every shell clap knows, the bash one checked by
/// bash itself; the man page is roff that names every command.
#[test]
fn completions_and_the_man_page_are_generated_from_the_command_line() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = Command::new(sitectl())
            .args(["completions", shell])
            .output()
            .expect("sitectl runs");
        assert!(output.status.success(), "{shell}: {output:?}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(
            script.contains("sitectl") && script.contains("reclaim"),
            "{shell}"
        );
        if shell == "bash" {
            let dir =
                std::env::temp_dir().join(format!("sitectl-completion-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join("sitectl.bash");
            std::fs::write(&file, &script).unwrap();
            let checked = Command::new("bash").arg("-n").arg(&file).output().unwrap();
            assert!(checked.status.success(), "bash -n: {checked:?}");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
    let bad = Command::new(sitectl())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let man = Command::new(sitectl()).arg("man").output().unwrap();
    assert!(man.status.success());
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.starts_with(".TH"),
        "{}",
        &page[..80]
    );
    assert!(page.contains(".TH sitectl 1"), "{}", &page[..200]);
    for command in [
        "validate", "render", "diff", "apply", "reclaim", "promote", "preview",
    ] {
        assert!(
            page.contains(command),
            "{command} missing from the man page"
        );
    }
}

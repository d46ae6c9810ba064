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

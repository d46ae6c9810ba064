//! A sites repository for the benchmarks that run the binary: the
//! project's blueprints and schemas, and N synthetic specs (see `fleet.rs`).

use std::path::Path;
use std::process::Command;

/// Makes `dir` afresh, holding `blueprints/`, `schemas/` and `count` specs
/// under `sites/`.
pub fn write_repository(dir: &Path, count: usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let copied = Command::new("cp")
        .arg("-r")
        .arg(root.join("blueprints"))
        .arg(root.join("schemas"))
        .arg(dir)
        .status()
        .unwrap();
    assert!(copied.success());
    crate::fleet::write_sites(&dir.join("sites"), count);
}

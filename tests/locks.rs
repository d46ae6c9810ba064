//! The fuzz crate's lock file keeps up with the crate's: `.ci/run`'s fuzz
//! step fetches with `--locked` at the end of a half-hour run, and a
//! dependency added to the crate and not to `fuzz/Cargo.lock` failed it
//! there; this finds it in the test suite, in a moment.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A lock file's packages: (name, version) → the dependencies it lists,
/// each `name` or `name version` (when several versions are locked).
type Lock = BTreeMap<(String, String), Vec<String>>;

fn read_lock(path: &Path) -> Lock {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lock = Lock::new();
    for block in text.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block.lines().find_map(|line| {
                line.strip_prefix(&format!("{key} = \""))
                    .and_then(|rest| rest.strip_suffix('"'))
                    .map(str::to_string)
            })
        };
        let dependencies = block
            .split("dependencies = [")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .map(|list| {
                list.lines()
                    .map(|l| l.trim().trim_end_matches(',').trim_matches('"').to_string())
                    .filter(|l| !l.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if let (Some(name), Some(version)) = (field("name"), field("version")) {
            lock.insert((name, version), dependencies);
        }
    }
    lock
}

/// The names of the crate's `[dependencies]` (not its dev-dependencies).
fn normal_dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let section = text.split("\n[dependencies]\n").nth(1).unwrap();
    let section = section.split("\n[").next().unwrap();
    section
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains(" = "))
        .map(|l| l.split(" = ").next().unwrap().trim().to_string())
        .collect()
}

#[test]
fn the_fuzz_lock_file_pins_every_dependency_of_the_crate_at_its_version() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lock = read_lock(&root.join("Cargo.lock"));
    let fuzz = read_lock(&root.join("fuzz/Cargo.lock"));
    // Every package the crate's own dependencies bring, at its version.
    let find = |entry: &str| -> Option<(String, String)> {
        let mut parts = entry.split(' ');
        let name = parts.next()?;
        let version = parts.next();
        lock.keys()
            .find(|(n, v)| n == name && version.is_none_or(|want| want == v))
            .cloned()
    };
    let mut needed = BTreeSet::new();
    let mut queue: Vec<(String, String)> = normal_dependencies(&root.join("Cargo.toml"))
        .iter()
        .filter_map(|name| find(name))
        .collect();
    assert!(queue.len() > 10, "{queue:?}");
    while let Some(package) = queue.pop() {
        if needed.insert(package.clone()) {
            queue.extend(lock[&package].iter().filter_map(|d| find(d)));
        }
    }
    let missing: Vec<String> = needed
        .iter()
        .filter(|package| !fuzz.contains_key(*package))
        .map(|(name, version)| format!("{name} {version}"))
        .collect();
    assert!(
        missing.is_empty(),
        "fuzz/Cargo.lock lacks {missing:?} of the crate's dependencies: run `cargo update -w` in fuzz/ and commit it"
    );
}

//! Every file the example sites render to, pinned by an insta snapshot:
//! a change to a template or to the resolve stage shows up here as a diff
//! to review (`cargo insta review`), never silently.

use std::path::{Path, PathBuf};

use sitectl::render_in_memory;

#[test]
fn example_sites_render_to_the_pinned_files() {
    // Relative paths, as a user runs it from the repository root (cargo runs
    // tests there): the headers name `sites/<file>`, the same on every machine.
    let files = render_in_memory(&[PathBuf::from("sites")], Path::new("blueprints"), None)
        .unwrap_or_else(|diagnostics| {
            panic!("the examples do not render: {:#?}", diagnostics.list)
        });
    assert!(files.len() >= 10, "{} files", files.len());
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/examples");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for file in &files {
            let name = format!(
                "{}__{}__{}",
                file.site,
                file.target,
                file.output.trim_start_matches('.')
            );
            insta::assert_snapshot!(name, file.contents);
        }
    });
}

#[test]
fn rendering_twice_gives_byte_identical_files() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let first = render_in_memory(&[root.join("sites")], &root.join("blueprints"), None).ok();
    let second = render_in_memory(&[root.join("sites")], &root.join("blueprints"), None).ok();
    assert!(first.is_some());
    assert_eq!(first, second);
}

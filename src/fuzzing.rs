//! Entry points for the fuzz targets in `fuzz/` (the `fuzzing` feature):
//! crate-private stages reached with fuzzer input, the catalog and the
//! compiled templates loaded once per process so that each input costs only
//! its own work. Not part of sitectl's interface.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::diagnostic::Diagnostics;
use crate::render::engine::{Engine, RenderedFile};
use crate::source::load::Source;
use crate::source::tree::Tree;
use crate::validate::catalog::Catalog;
use crate::validate::{self, Placeholders, Specs};

/// The repository's own blueprints, for every target.
pub fn blueprints() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/blueprints"))
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        validate::load_catalog(blueprints()).unwrap_or_else(|_| panic!("the catalog does not load"))
    })
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let loaded = crate::render::blueprint::load_all(&Tree::Disk, blueprints())
            .unwrap_or_else(|_| panic!("the blueprints do not load"));
        crate::render::pipeline::compile(&Tree::Disk, blueprints(), loaded)
            .unwrap_or_else(|_| panic!("the templates do not compile"))
    })
}

/// `text` as the spec `sites/NAME.yaml`, validated: every diagnostic drawn
/// as a user would see it (snippets, spans, JSON).
fn validated(text: String, name: &str) -> validate::Checked {
    let source = Source {
        path: PathBuf::from(format!("sites/{name}.yaml")),
        name: format!("sites/{name}.yaml"),
        text,
    };
    let checked = validate::validate_specs_against(
        Specs::Sources(vec![source]),
        catalog().clone(),
        Placeholders::Refused,
    );
    for diagnostic in checked.diagnostics.iter() {
        let _ = crate::diagnostic::report::text(diagnostic, &checked.diagnostics.sources, false);
    }
    let _ = crate::diagnostic::report::json(&checked.diagnostics, 1);
    checked
}

/// Spec bytes through load and validate: any input ends in diagnostics or
/// a valid site, never a panic. Returns whether the spec was valid.
pub fn validate_spec_bytes(bytes: &[u8]) -> bool {
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        return false;
    };
    validated(text, "fuzz").diagnostics.is_empty()
}

/// Spec text through validate and, when it is valid, render and the output
/// check, every file parsed: its files, or why not (`None` when validation
/// refused it). The check's shortcut (`render/skeleton.rs`) must agree.
pub fn render_spec_text(
    text: String,
    name: &str,
) -> Option<Result<Vec<RenderedFile>, Diagnostics>> {
    let checked = validated(text, name);
    if !checked.diagnostics.is_empty() {
        return None;
    }
    let render = |check| {
        crate::render::pipeline::render_sites(
            engine(),
            catalog(),
            &checked.sites,
            (None, check),
            &|_, _| {},
        )
    };
    use crate::render::pipeline::OutputCheck;
    let (files, problems) = render(OutputCheck::ParseEveryFile);
    // The shortcut (each file shape parsed once, the shapes of every input
    // so far remembered by the one engine) must give the same verdict.
    let (shortcut_files, shortcut_problems) = render(OutputCheck::Parse);
    assert_eq!(files, shortcut_files, "the shortcut changed the output");
    assert_eq!(
        problems.iter().map(|d| &d.message).collect::<Vec<_>>(),
        shortcut_problems
            .iter()
            .map(|d| &d.message)
            .collect::<Vec<_>>(),
        "the shortcut changed the verdict"
    );
    Some(if problems.is_empty() {
        Ok(files)
    } else {
        Err(Diagnostics {
            list: problems,
            ..Diagnostics::default()
        })
    })
}

/// A YAML double-quoted scalar holding `text` exactly, as sitectl writes
/// spec values into YAML.
pub fn yaml_string(text: &str) -> String {
    crate::render::escape::yaml_string(text)
}

/// A plan's JSON through the data-loss gate's reader: read or refused,
/// never a panic.
pub fn read_plan(text: &str) {
    let data: BTreeSet<String> =
        ["azurerm_postgresql_flexible_server_database.site".to_string()].into();
    let _ = crate::handoff::read_plan(text, &data);
}

/// The catalog the preview builds its spec against.
pub fn preview_catalog() -> &'static Catalog {
    catalog()
}

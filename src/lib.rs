//! sitectl: compiles checked-in customer site specs into infrastructure code,
//! and hands that code to the tools that apply it.
//!
//! The pipeline reads off the folders, each stage taking the previous one's
//! type: `source` → `validate` → `render` → `output` → `diff` → `handoff`.
//! `lifecycle`, `fleet`, `delivery` and `preview` are built on it; `commands` turns a
//! command line into an [`Outcome`]. ARCHITECTURE.md at the root of the
//! repository is the map.
//!
//! The public surface is what the binary, the integration tests and the
//! benchmarks use: the spec's types, the pipeline's entry points, the
//! preview, and the command runner. Everything else is crate-private. The
//! library never prints: commands return what to print.

// Errors travel as whole diagnostics, one per file at most on the cold path;
// boxing them would only move the allocation.
#![allow(clippy::result_large_err)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod commands;
mod delivery;
mod diagnostic;
mod diff;
mod fleet;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod handoff;
mod lifecycle;
mod output;
mod parallel;
pub mod preview;
mod render;
mod source;
pub mod spec;
mod validate;
mod workspace;

pub use commands::args::{Cli, ColorChoice};
pub use commands::{Context, Outcome, interrupted, run};
pub use diagnostic::report::{CLEAR_LINE, progress_bar};
pub use diagnostic::{Diagnostic, Diagnostics};
pub use output::write::{Summary, render_and_write};
pub use render::engine::RenderedFile;
pub use render::pipeline::{OutputCheck, Rendered, render_all, render_in_memory};
pub use render::target::Target;
pub use source::yaml;
pub use validate::catalog::Catalog;
pub use validate::schema::Schema;
pub use validate::{Checked, Specs, ValidSite, validate, validate_specs};

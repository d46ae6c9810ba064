//! sitectl: compiles checked-in customer site specs into infrastructure code.
//!
//! One module per pipeline stage, each taking the previous stage's type:
//! [`discover`] and [`load`] (files to YAML documents with spans), [`schema`],
//! [`rules`] and [`policy`] (the layers of [`validate`]), then rendering and
//! hand-off in later stages. [`report`] draws diagnostics; the library never
//! prints.

// Errors travel as whole diagnostics, one per file at most on the cold path;
// boxing them would only move the allocation.
#![allow(clippy::result_large_err)]

pub mod app;
pub mod blueprint;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod diagnostic;
pub mod diff;
pub mod diff_format;
pub mod discover;
pub mod escape;
pub mod git_base;
pub mod handoff;
pub mod hint;
pub mod inventory;
pub mod load;
pub mod locate;
pub mod migrate;
pub mod pipeline;
pub mod policy;
pub mod preview;
pub mod preview_html;
pub mod preview_resources;
pub mod preview_spec;
pub mod promote;
pub mod quantity;
pub mod reclaim;
pub mod render;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod scaffold;
pub mod schema;
pub mod span;
pub mod spec;
pub mod validate;
pub mod write;
pub mod yaml;

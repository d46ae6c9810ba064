//! sitectl: compiles checked-in customer site specs into infrastructure code,
//! and hands that code to the tools that apply it.
//!
//! The pipeline reads off the folders, each stage taking the previous one's
//! type: [`source`] → [`validate`] → [`render`] → [`output`] → [`diff`] →
//! [`handoff`]. [`lifecycle`], [`fleet`] and [`preview`] are built on it;
//! [`commands`] turns a command line into an outcome. ARCHITECTURE.md at the
//! root of the repository is the map. The library never prints.

// Errors travel as whole diagnostics, one per file at most on the cold path;
// boxing them would only move the allocation.
#![allow(clippy::result_large_err)]

pub mod commands;
pub mod diagnostic;
pub mod diff;
pub mod fleet;
pub mod handoff;
pub mod lifecycle;
pub mod output;
pub mod preview;
pub mod render;
pub mod source;
pub mod spec;
pub mod validate;
pub mod workspace;

//! The source stage: spec files found on disk, read within limits, parsed as YAML with a span on every node.

pub mod discover;
pub mod load;
pub mod locate;
pub mod tree;
pub mod yaml;

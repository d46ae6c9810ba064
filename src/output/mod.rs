//! The output stage: rendered files on disk, written atomically, and read back.

pub mod inspect;
pub mod manifest;
pub mod markdown;
pub mod scan;
pub mod staging;
pub mod write;

//! A site's life: created (`new`), promoted, moved, reclaimed.

pub mod init;
pub mod migrate;
pub mod names;
pub mod promote;
pub mod reclaim;
pub mod scaffold;
pub mod signup;

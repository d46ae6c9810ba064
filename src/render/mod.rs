//! The render stage: valid sites through their blueprints' templates, every output parsed in its own language before anyone may write it.

pub mod airgap;
pub mod blueprint;
pub mod engine;
pub mod escape;
pub mod pipeline;
pub mod resolve;
pub mod skeleton;
pub mod stream;
pub mod target;
pub mod verify;

//! The fleet: every site at once, for sales and operations.

pub mod inventory;

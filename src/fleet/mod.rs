//! The fleet: every site at once, for sales and operations, and for the
//! engines that apply it (Atlantis).

pub mod atlantis;
pub mod inventory;

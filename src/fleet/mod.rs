//! The fleet: every site at once, for sales and operations, and for the
//! engines that apply it (Atlantis, Argo CD, Flux).

pub mod atlantis;
pub mod gitops;
pub mod inventory;

//! Delivery to a customer who runs the product: the license key its
//! application verifies.

pub mod license;

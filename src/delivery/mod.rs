//! Delivery to a customer who runs the product: the license key its
//! application verifies, and the signed bundle an air-gapped site is
//! installed from.

pub mod bundle;
pub mod license;

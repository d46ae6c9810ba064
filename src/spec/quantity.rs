//! Kubernetes resource quantities (`500m`, `2`, `1.5Gi`), compared exactly.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A quantity as written in a spec. The schema guarantees the shape; the
/// value is parsed when it is compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Quantity(pub String);

impl Quantity {
    /// The quantity in thousandths of its unit (millicores, millibytes), so
    /// that `500m` and `0.5` compare equal without floating point.
    pub fn millis(&self) -> Option<u128> {
        parse_millis(&self.0)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Quantity {
    /// Whether this quantity is above `cap`. A quantity that cannot be read
    /// counts as above any cap: a limit never fails open.
    pub fn exceeds(&self, cap: &Quantity) -> bool {
        match (self.millis(), cap.millis()) {
            (Some(value), Some(cap)) => value > cap,
            _ => true,
        }
    }

    /// Compares amounts, not spellings (`500m` = `0.5`).
    pub fn amount_cmp(&self, other: &Quantity) -> Option<Ordering> {
        Some(self.millis()?.cmp(&other.millis()?))
    }
}

fn parse_millis(text: &str) -> Option<u128> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    // Multiplier in thousandths: `m` is 1, no suffix is 1000.
    let multiplier: u128 = match suffix {
        "m" => 1,
        "" => 1_000,
        "k" => 1_000_000,
        "M" => 1_000_000_000,
        "G" => 1_000_000_000_000,
        "T" => 1_000_000_000_000_000,
        "P" => 1_000_000_000_000_000_000,
        "E" => 1_000_000_000_000_000_000_000,
        "Ki" => 1_000 << 10,
        "Mi" => 1_000 << 20,
        "Gi" => 1_000 << 30,
        "Ti" => 1_000 << 40,
        "Pi" => 1_000 << 50,
        "Ei" => 1_000 << 60,
        _ => return None,
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() || fraction.len() > 9 {
        return None;
    }
    let whole: u128 = whole.parse().ok()?;
    let scale = 10u128.pow(fraction.len() as u32);
    let fraction: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let value = whole.checked_mul(scale)?.checked_add(fraction)?;
    Some(value.checked_mul(multiplier)? / scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    fn q(s: &str) -> Quantity {
        Quantity(s.to_string())
    }

    #[test]
    fn millicores_and_cores_compare() {
        assert_eq!(q("500m").millis(), Some(500));
        assert_eq!(q("0.5").millis(), q("500m").millis());
        assert!(q("2").exceeds(&q("1500m")));
        assert!(!q("1").exceeds(&q("1")));
        assert_eq!(q("500m").amount_cmp(&q("0.5")), Some(Ordering::Equal));
    }

    #[test]
    fn binary_and_decimal_suffixes() {
        assert_eq!(q("1Gi").millis(), Some(1_000 * 1024 * 1024 * 1024));
        assert!(q("1Gi").exceeds(&q("1G")));
        assert!(q("1Ei").exceeds(&q("1Pi")));
        assert_eq!(q("1.5Gi").millis(), q("1536Mi").millis());
        assert_eq!(q("2Gi").amount_cmp(&q("2048Mi")), Some(Ordering::Equal));
    }

    #[test]
    fn an_unreadable_quantity_exceeds_every_cap() {
        assert!(q("1.0000000001").exceeds(&q("64")));
        assert!(q("1").exceeds(&q("1.00000000001")));
    }

    #[test]
    fn malformed_quantities_do_not_parse() {
        assert_eq!(q("1Qi").millis(), None);
        assert_eq!(q(".5").millis(), None);
        assert_eq!(q("").millis(), None);
    }
}

//! The fleet view: one row per site for sales and operations (`sitectl
//! inventory`), and the trials past or near their end (`sitectl expired`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::civil::Date;
use serde::Serialize;

use crate::render::resolve;
use crate::validate::ValidSite;
use crate::validate::catalog::{Catalog, PriceModel};

/// One site, as sales and operations see it. Keys are stable: the JSON and
/// CSV outputs are read by scripts and spreadsheets.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub name: String,
    pub customer: String,
    pub contact: String,
    pub tier: String,
    pub deployment: String,
    pub cloud: String,
    pub region: String,
    pub seats: u32,
    pub features: Vec<String>,
    pub app_version: String,
    pub trial_start: Option<String>,
    /// The first day the trial no longer covers.
    pub trial_end: Option<String>,
    /// Days from the as-of date to the trial's end: negative once past.
    pub trial_days_left: Option<i64>,
    pub license_end: Option<String>,
    /// Monthly list price: trial 0, paid seats × the catalog's price,
    /// enterprise the license's annual price over 12.
    pub monthly_price: f64,
    pub currency: String,
    pub cpu: String,
    pub memory: String,
    pub storage: String,
    pub spec: String,
    pub labels: BTreeMap<String, String>,
}

/// The rows of `sites`, as of `today`, in site-name order.
pub fn rows(sites: &[ValidSite], catalog: &Catalog, today: Date) -> Vec<Row> {
    let mut rows: Vec<Row> = sites
        .iter()
        .map(|valid| {
            let site = &valid.site;
            let spec = &site.spec;
            let resolved = resolve::resolve(site, catalog, &valid.document.source.name, "");
            let (monthly_price, currency) = monthly_price(spec, catalog);
            let trial_end = spec.trial.as_ref().and_then(|t| t.end());
            Row {
                name: site.metadata.name.clone(),
                customer: site.metadata.customer.clone(),
                contact: site.metadata.contact.clone(),
                tier: spec.tier.to_string(),
                deployment: spec.deployment.to_string(),
                cloud: spec.cloud().to_string(),
                region: spec.region.clone(),
                seats: spec.seats,
                features: spec.features.iter().map(ToString::to_string).collect(),
                app_version: spec.app.version.clone(),
                trial_start: spec.trial.as_ref().map(|t| t.start.0.clone()),
                trial_end: trial_end.map(|d| d.to_string()),
                trial_days_left: trial_end
                    .and_then(|end| today.until(end).ok())
                    .map(|span| i64::from(span.get_days())),
                license_end: spec.license.as_ref().map(|l| l.end.0.clone()),
                monthly_price,
                currency,
                cpu: resolved.tier.resources.cpu.clone(),
                memory: resolved.tier.resources.memory.clone(),
                storage: resolved.tier.resources.storage.clone(),
                spec: valid.document.source.name.clone(),
                labels: site.metadata.labels.clone(),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
}

/// The monthly list price of a spec and its currency: trial 0, paid seats ×
/// the catalog's per-seat price, enterprise the license's annual price / 12.
pub fn monthly_price(spec: &crate::spec::SiteSpec, catalog: &Catalog) -> (f64, String) {
    let price = &catalog.tier(spec.tier).price;
    match (&spec.license, price.model) {
        (Some(license), _) => (
            (license.annual_price / 12.0 * 100.0).round() / 100.0,
            license
                .currency
                .map_or("USD".to_string(), |c| c.to_string()),
        ),
        (None, PriceModel::PerSeatMonthly) => (
            f64::from(spec.seats) * price.amount.unwrap_or(0.0),
            price.currency.map_or("USD".to_string(), |c| c.to_string()),
        ),
        (None, _) => (0.0, "USD".to_string()),
    }
}

pub fn json(rows: &[Row]) -> String {
    let mut out = serde_json::to_string_pretty(rows).expect("rows serialize");
    out.push('\n');
    out
}

/// RFC 4180 CSV with a header row. A cell that a spreadsheet would run as a
/// formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is
/// written as text: quoted, with a leading `'`.
pub fn csv(rows: &[Row]) -> String {
    let mut out = String::new();
    let header = [
        "name",
        "customer",
        "contact",
        "tier",
        "deployment",
        "cloud",
        "region",
        "seats",
        "features",
        "appVersion",
        "trialStart",
        "trialEnd",
        "trialDaysLeft",
        "licenseEnd",
        "monthlyPrice",
        "currency",
        "cpu",
        "memory",
        "storage",
        "spec",
        "labels",
    ];
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for r in rows {
        let labels: Vec<String> = r.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let cells = [
            r.name.clone(),
            r.customer.clone(),
            r.contact.clone(),
            r.tier.clone(),
            r.deployment.clone(),
            r.cloud.clone(),
            r.region.clone(),
            r.seats.to_string(),
            r.features.join(" "),
            r.app_version.clone(),
            r.trial_start.clone().unwrap_or_default(),
            r.trial_end.clone().unwrap_or_default(),
            r.trial_days_left.map(|d| d.to_string()).unwrap_or_default(),
            r.license_end.clone().unwrap_or_default(),
            format!("{:.2}", r.monthly_price),
            r.currency.clone(),
            r.cpu.clone(),
            r.memory.clone(),
            r.storage.clone(),
            r.spec.clone(),
            labels.join(" "),
        ];
        let line: Vec<String> = cells
            .iter()
            .enumerate()
            // Found by name: a new column must not turn days left into text.
            .map(|(i, c)| csv_cell(c, header[i] == "trialDaysLeft"))
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One CSV field. `numeric` cells (days left may be negative) are numbers,
/// not formulas, and stay as they are.
fn csv_cell(text: &str, numeric: bool) -> String {
    let formula = !numeric && text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if formula {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if formula
        || text.contains([',', '"', '\n', '\r'])
        || text.starts_with(' ')
        || text.ends_with(' ')
    {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// A table for a terminal, then the totals sales asks for.
pub fn table(rows: &[Row], today: Date) -> String {
    let mut lines: Vec<[String; 9]> = vec![[
        "SITE".into(),
        "CUSTOMER".into(),
        "TIER".into(),
        "DEPLOYMENT".into(),
        "SEATS".into(),
        "TRIAL END".into(),
        "DAYS LEFT".into(),
        "MONTHLY".into(),
        "FEATURES".into(),
    ]];
    for r in rows {
        let customer: String = r
            .customer
            .chars()
            .filter(|c| !c.is_control())
            .take(24)
            .collect();
        lines.push([
            r.name.clone(),
            customer,
            r.tier.clone(),
            r.deployment.clone(),
            r.seats.to_string(),
            r.trial_end.clone().unwrap_or_else(|| "-".into()),
            r.trial_days_left
                .map_or_else(|| "-".into(), |d| d.to_string()),
            format!("{:.2} {}", r.monthly_price, r.currency),
            r.features.join(","),
        ]);
    }
    let mut out = crate::diagnostic::report::aligned(&lines);
    out.push('\n');
    let mut per_tier: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_deployment: BTreeMap<&str, usize> = BTreeMap::new();
    let mut revenue: BTreeMap<&str, f64> = BTreeMap::new();
    for r in rows {
        *per_tier.entry(&r.tier).or_default() += 1;
        *per_deployment.entry(&r.deployment).or_default() += 1;
        *revenue.entry(&r.currency).or_default() += r.monthly_price;
    }
    let list = |m: &BTreeMap<&str, usize>| {
        m.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if rows.is_empty() {
        let _ = writeln!(out, "sites: 0");
    } else {
        let _ = writeln!(
            out,
            "sites: {} ({}; {})",
            rows.len(),
            list(&per_tier),
            list(&per_deployment)
        );
    }
    let _ = writeln!(
        out,
        "seats: {}",
        rows.iter().map(|r| u64::from(r.seats)).sum::<u64>()
    );
    let money: Vec<String> = revenue.iter().map(|(c, v)| format!("{v:.2} {c}")).collect();
    let _ = writeln!(
        out,
        "monthly revenue at list price: {}",
        if money.is_empty() {
            "0".into()
        } else {
            money.join(" + ")
        }
    );
    let soon = rows
        .iter()
        .filter(|r| r.trial_days_left.is_some_and(|d| (0..=7).contains(&d)))
        .count();
    let _ = writeln!(out, "trials ending within 7 days of {today}: {soon}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_looking_cells_are_text() {
        assert_eq!(
            csv_cell("=HYPERLINK(\"x\")", false),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(csv_cell("+1", false), "\"'+1\"");
        assert_eq!(csv_cell("-3", true), "-3");
        assert_eq!(csv_cell("Acme, Inc.", false), "\"Acme, Inc.\"");
        assert_eq!(csv_cell("plain", false), "plain");
    }
}

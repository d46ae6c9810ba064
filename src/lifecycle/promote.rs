//! `sitectl promote`: a site moves up a tier by an edit of its spec in place
//! (every comment, key order and formatting kept; only what the promotion
//! needs changes), proven before it is written: the new spec validates, and
//! its render loses no data-bearing resource.

use std::path::{Path, PathBuf};

use jiff::civil::Date;

use crate::source::load::Document;
use crate::source::yaml::{Node, Value};
use crate::spec::{Currency, Deployment, Site, Tier};

/// What to change besides the tier.
#[derive(Debug, Clone)]
pub struct Options {
    /// A new deployment: the data changes home (`--deployment`).
    pub deployment: Option<Deployment>,
    pub seats: Option<u32>,
    pub license_end: Option<Date>,
    pub annual_price: Option<f64>,
    pub currency: Option<Currency>,
    pub license_start: Option<Date>,
    /// The customer's Azure IDs, for a move to byoi.
    pub azure: crate::lifecycle::scaffold::AzureIds,
    /// The day the promotion happens: a new license starts on it.
    pub today: Date,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PromoteError {
    #[error("no site named `{0}`")]
    UnknownSite(String),
    #[error(
        "`{site}` is tier `{from}`: a promotion goes up, to a tier after it (trial → paid → enterprise), or stays on its tier and moves to another deployment (--deployment)"
    )]
    NotUp { site: String, from: Tier },
    #[error("the spec of `{0}` is invalid: fix it first (`sitectl validate`)")]
    Invalid(String),
    #[error(
        "promoting `{0}` to enterprise writes its negotiated license: pass --annual-price AMOUNT (and --currency, --license-start, --license-end, --seats as signed)"
    )]
    NoPrice(String),
    #[error(
        "moving `{site}` to byoi deploys it into the customer's Azure subscription: pass {}, the customer's IDs",
        crate::diagnostic::words::all_of(missing)
    )]
    MissingIds {
        site: String,
        missing: Vec<&'static str>,
    },
    #[error("{}: the customer's Azure IDs are for a move to byoi only", crate::diagnostic::words::all_of(.0))]
    IdsWithoutByoi(Vec<&'static str>),
}

/// A byte range of the source and its replacement.
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

/// The spec's text promoted to `to`: the tier set, the trial block gone,
/// seats and a license where the new tier needs them; nothing else touched.
pub fn promoted_text(
    document: &Document,
    site: &Site,
    to: Tier,
    options: &Options,
) -> Result<String, PromoteError> {
    let name = site.metadata.name.clone();
    let moves = options.deployment.filter(|d| *d != site.spec.deployment);
    if to < site.spec.tier || (to == site.spec.tier && moves.is_none()) {
        return Err(PromoteError::NotUp {
            site: name,
            from: site.spec.tier,
        });
    }
    let adds_byoi = moves == Some(Deployment::Byoi);
    if adds_byoi && !options.azure.missing().is_empty() {
        return Err(PromoteError::MissingIds {
            site: name,
            missing: options.azure.missing(),
        });
    }
    if !adds_byoi && !options.azure.given().is_empty() {
        return Err(PromoteError::IdsWithoutByoi(options.azure.given()));
    }
    let text = &document.source.text;
    let spec = document
        .root
        .get("spec")
        .ok_or_else(|| PromoteError::Invalid(name.clone()))?;
    let Value::Map(entries) = &spec.value else {
        return Err(PromoteError::Invalid(name));
    };
    // A value of `spec` replaced where it stands, in its own style.
    let replace = |key: &str, text: String| {
        spec.get(key)
            .map(|node| Edit {
                start: node.span.start,
                end: node.span.end,
                text,
            })
            .ok_or_else(|| PromoteError::Invalid(name.clone()))
    };
    let mut edits = vec![replace("tier", to.to_string())?];
    // Whole entries go, from their line's start to the end of their value's
    // last line; comments on their own lines around them stay.
    let mut remove = |key: &str| {
        if let Some(entry) = spec.entry(key) {
            edits.push(Edit {
                start: line_start(text, entry.key_span.start),
                end: line_end(text, node_end(text, &entry.value)),
                text: String::new(),
            });
        }
    };
    remove("trial");
    if let Some(deployment) = moves {
        // The old deployment's own block belongs to its old home.
        for (old, key) in [
            (Deployment::Byoi, "byoi"),
            (Deployment::Selfhosted, "selfhosted"),
        ] {
            if site.spec.deployment == old && deployment != old {
                remove(key);
            }
        }
        edits.push(replace("deployment", deployment.to_string())?);
    }
    if let Some(seats) = options.seats {
        edits.push(replace("seats", seats.to_string())?);
    }
    // Keys of `spec` share one indentation: what is added gets it too.
    let indent = " ".repeat(entries[0].key_span.column.saturating_sub(1));
    let mut appended = String::new();
    if to == Tier::Enterprise && site.spec.license.is_none() {
        // A license without its price would read as zero revenue.
        let price = options
            .annual_price
            .ok_or_else(|| PromoteError::NoPrice(name.clone()))?;
        let start = options.license_start.unwrap_or(options.today);
        let end = options.license_end.unwrap_or_else(|| {
            start
                .checked_add(jiff::Span::new().years(1))
                .ok()
                .and_then(|d| d.yesterday().ok())
                .unwrap_or(start)
        });
        let seats = options.seats.unwrap_or(site.spec.seats);
        let currency = options
            .currency
            .map(|c| format!(", currency: {c}"))
            .unwrap_or_default();
        appended.push_str(&format!(
            "{indent}# The negotiated license, added by `sitectl promote`.\n{indent}license: {{seats: {seats}, start: {start}, end: {end}, annualPrice: {price}{currency}}}\n"
        ));
    }
    let block_key = match moves {
        Some(Deployment::Byoi) => Some("byoi"),
        Some(Deployment::Selfhosted) => Some("selfhosted"),
        _ => None,
    };
    if let (Some(deployment), Some(key)) = (moves, block_key)
        && spec.entry(key).is_none()
    {
        let block = crate::lifecycle::scaffold::deployment_block(deployment, &name, &options.azure);
        appended.push_str(&reindent(&block, indent.len()));
    }
    if !appended.is_empty() {
        let last = entries
            .last()
            .map_or(text.len(), |e| line_end(text, node_end(text, &e.value)));
        edits.push(Edit {
            start: last,
            end: last,
            text: appended,
        });
    }
    edits.extend(stale_tier_comments(text, spec, site.spec.tier));
    edits.sort_by_key(|e| std::cmp::Reverse(e.start));
    let mut out = text.clone();
    for edit in edits {
        out.replace_range(edit.start..edit.end, &edit.text);
    }
    Ok(out)
}

/// The comments `sitectl new` wrote that state the old tier's limits (its
/// seats, deployments, features, trial window, default resources): removed
/// with the tier they describe, so a paid site never reads "25 at most on
/// tier trial" above its seats. Comments a person wrote are never touched.
fn stale_tier_comments(text: &str, spec: &Node, from: Tier) -> Vec<Edit> {
    let written_by_new = [
        (
            "deployment",
            format!("# Where the site runs; tier {from} allows "),
        ),
        ("seats", "# User seats: ".to_string()),
        (
            "features",
            format!("# Premium features; tier {from} allows "),
        ),
        ("trial", "# The trial window: ".to_string()),
    ];
    let mut edits = Vec::new();
    for (key, prefix) in &written_by_new {
        let Some(entry) = spec.entry(key) else {
            continue;
        };
        let this_line = line_start(text, entry.key_span.start);
        if this_line == 0 {
            continue;
        }
        let above = line_start(text, this_line - 1);
        let comment = text[above..this_line].trim();
        let states_the_tier = comment.starts_with(prefix.as_str())
            && (*key != "seats" || comment.ends_with(&format!("on tier {from}.")));
        if states_the_tier {
            edits.push(Edit {
                start: above,
                end: this_line,
                text: String::new(),
            });
        }
    }
    // The old tier's default resources, written as a commented-out line.
    let defaults = "# Resources as Kubernetes quantities; omitted values take the tier's defaults:";
    if let Some(at) = text.find(defaults) {
        let start = line_start(text, at);
        let first_end = line_end(text, at + 1);
        if text[first_end..].trim_start().starts_with("# resources: {") {
            edits.push(Edit {
                start,
                end: line_end(text, first_end + 1),
                text: String::new(),
            });
        }
    }
    edits
}

/// Text written for two-space indentation under `spec`, at `unit` spaces
/// per level instead.
fn reindent(text: &str, unit: usize) -> String {
    text.lines()
        .map(|line| {
            let depth = (line.len() - line.trim_start().len()) / 2;
            format!("{}{}\n", " ".repeat(depth * unit), line.trim_start())
        })
        .collect()
}

/// The end of a node's text. A block collection's own span runs on to
/// wherever the parser saw it end (often the next line); its last child's
/// end is where its text ends.
fn node_end(text: &str, node: &Node) -> usize {
    let flow = text[node.span.start.min(text.len())..].starts_with(['[', '{']);
    match &node.value {
        Value::Map(entries) if !flow => entries
            .last()
            .map_or(node.span.end, |e| node_end(text, &e.value)),
        Value::Seq(items) if !flow => items.last().map_or(node.span.end, |i| node_end(text, i)),
        _ => node.span.end,
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Just past the newline that ends the line holding byte `at - 1`.
fn line_end(text: &str, at: usize) -> usize {
    let from = at.saturating_sub(1).min(text.len());
    text[from..].find('\n').map_or(text.len(), |i| from + i + 1)
}

/// The spec file of `site` under `dir`.
pub fn find(dir: &Path, site: &str) -> Result<PathBuf, PromoteError> {
    let (files, _) = crate::source::discover::discover(&[dir.to_path_buf()]);
    files
        .into_iter()
        .find(|f| f.file_stem().is_some_and(|s| s == site))
        .ok_or_else(|| PromoteError::UnknownSite(site.to_string()))
}

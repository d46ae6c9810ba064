//! `sitectl preview --compare`: the options a customer chooses between
//! (tiers on one deployment, or deployments on one tier) side by side, each
//! a whole preview built and rendered through the pipeline, and what
//! changes from one to the next read off their renders: whether any
//! data-bearing resource moves, which features and resources come with it.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::preview::Preview;
use crate::preview::html::{STYLE, escape, prose};

/// What the options differ in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Tier,
    Deployment,
}

/// The options, in the order asked for.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub axis: Axis,
    pub options: Vec<Preview>,
    /// The command line that makes the comparison again.
    pub command: String,
}

impl Comparison {
    /// The option's name: its tier or its deployment.
    pub fn label(&self, p: &Preview) -> String {
        match self.axis {
            Axis::Tier => p.site.spec.tier.to_string(),
            Axis::Deployment => p.site.spec.deployment.to_string(),
        }
    }

    /// `the trial, paid and enterprise tiers on the managed deployment`.
    pub fn title(&self) -> String {
        let labels: Vec<String> = self.options.iter().map(|p| self.label(p)).collect();
        let listed = match labels.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        let first = &self.options[0].site.spec;
        match self.axis {
            Axis::Tier => format!("the {listed} tiers on the {} deployment", first.deployment),
            Axis::Deployment => format!("the {listed} deployments of the {} tier", first.tier),
        }
    }

    /// Rows of facts: `(what, one cell per option)`.
    pub fn rows(&self) -> Vec<(String, Vec<String>)> {
        let each = |f: &dyn Fn(&Preview) -> String| self.options.iter().map(f).collect::<Vec<_>>();
        let mut rows = vec![
            (
                "price".to_string(),
                each(&|p| format!("{} ({})", p.price.headline(), p.price_status())),
            ),
            (
                "term".into(),
                each(&|p| match (p.trial_line(), &p.site.spec.license) {
                    (Some(trial), _) => format!("trial: {trial}"),
                    (None, Some(_)) => "a license for a term".into(),
                    (None, None) => "a monthly subscription per seat".into(),
                }),
            ),
            (
                "seats".into(),
                each(&|p| format!("{} ({})", p.limits.seats, p.limits.seat_rule)),
            ),
            ("resources".into(), each(&|p| p.resource_line())),
            ("replicas".into(), each(&|p| p.limits.replicas.to_string())),
            ("backups".into(), each(&|p| p.backups_line())),
            (
                "features".into(),
                each(&|p| p.limits.features_allowed.join(", ")),
            ),
            (
                "app runs in".into(),
                each(&|p| {
                    p.responsibilities
                        .as_ref()
                        .map_or("not stated".into(), |r| r.app_runs_in.clone())
                }),
            ),
            (
                "data lives in".into(),
                each(&|p| {
                    p.responsibilities
                        .as_ref()
                        .map_or("not stated".into(), |r| r.data_lives_in.clone())
                }),
            ),
        ];
        let duties = [
            "operates the app",
            "backs up the data",
            "patches and upgrades",
        ];
        for what in duties {
            rows.push((
                what.to_string(),
                each(&|p| {
                    p.duties()
                        .into_iter()
                        .find(|d| d.what == what)
                        .map_or("not stated".into(), |d| d.who)
                }),
            ));
        }
        rows
    }

    /// What changes from each option to the next, read off their renders.
    pub fn changes(&self) -> Vec<(String, Vec<String>)> {
        self.options
            .windows(2)
            .map(|pair| {
                let (from, to) = (&pair[0], &pair[1]);
                let mut notes = Vec::new();
                let data = |p: &Preview| -> BTreeSet<(String, String)> {
                    p.resources
                        .iter()
                        .filter(|r| r.holds_data)
                        .map(|r| (r.kind.clone(), r.name.clone()))
                        .collect()
                };
                let (before, after) = (data(from), data(to));
                let (from_deployment, to_deployment) =
                    (from.site.spec.deployment, to.site.spec.deployment);
                if from_deployment != to_deployment {
                    // Another deployment is other infrastructure, whatever
                    // its resources are called: the data is copied over.
                    let listed = |set: &BTreeSet<(String, String)>| {
                        set.iter()
                            .map(|(kind, name)| format!("{kind} {name}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    notes.push(format!(
                        "The data moves from the {from_deployment} deployment's infrastructure ({}) to the {to_deployment} one's ({}). Nothing is deleted before it is copied: `sitectl promote --deployment {to_deployment} --move-data` prints the migration, step by step.",
                        listed(&before),
                        listed(&after)
                    ));
                } else if before == after {
                    notes.push(format!(
                        "No data-bearing resource changes ({} of them, compared in the two renders): the data stays where it is, and `sitectl promote` proves it again on the real spec.",
                        before.len()
                    ));
                } else {
                    let changed: Vec<String> = before
                        .symmetric_difference(&after)
                        .map(|(kind, name)| format!("{kind} {name}"))
                        .collect();
                    notes.push(format!(
                        "Data-bearing resources change ({}): `sitectl promote` shows the plan and refuses a deletion.",
                        changed.join(", ")
                    ));
                }
                let had: BTreeSet<&String> = from.limits.features_allowed.iter().collect();
                let gained: Vec<&str> = to
                    .limits
                    .features_allowed
                    .iter()
                    .filter(|f| !had.contains(f))
                    .map(String::as_str)
                    .collect();
                if !gained.is_empty() {
                    notes.push(format!("Adds the features {}.", gained.join(", ")));
                }
                if from.resource_line() != to.resource_line() {
                    notes.push(format!(
                        "Resources: {} becomes {}.",
                        from.resource_line(),
                        to.resource_line()
                    ));
                }
                (format!("{} to {}", self.label(from), self.label(to)), notes)
            })
            .collect()
    }
}

/// The comparison for a terminal: one column per option, in 100 columns.
pub fn text(c: &Comparison) -> String {
    let mut out = String::new();
    let first = &c.options[0];
    let customer: String = first
        .site
        .metadata
        .customer
        .chars()
        .map(|ch| if ch.is_control() { '?' } else { ch })
        .collect();
    for line in crate::preview::text::wrap(&format!("Comparing {} for {customer}", c.title()), 100)
    {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(
        out,
        "Prepared on {}, valid until {}.\n",
        first.prepared, first.valid_until
    );
    let label_width = 22;
    let column = (100 - label_width) / c.options.len() - 2;
    let mut header = format!("{:label_width$}", "");
    for p in &c.options {
        let _ = write!(header, "{:column$}  ", c.label(p));
    }
    let _ = writeln!(out, "{}", header.trim_end());
    for (what, cells) in c.rows() {
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .map(|cell| crate::preview::text::wrap(cell, column))
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        for line in 0..height {
            let mut row = format!(
                "{:label_width$}",
                if line == 0 { what.as_str() } else { "" }
            );
            for cell in &wrapped {
                let _ = write!(
                    row,
                    "{:column$}  ",
                    cell.get(line).map_or("", String::as_str)
                );
            }
            let _ = writeln!(out, "{}", row.trim_end());
        }
    }
    for (step, notes) in c.changes() {
        let _ = writeln!(out, "\nFrom {step}:");
        for note in notes {
            for (n, line) in crate::preview::text::wrap(&note, 96).iter().enumerate() {
                let _ = writeln!(out, "{}{line}", if n == 0 { "  - " } else { "    " });
            }
        }
    }
    out
}

/// The comparison as one self-contained page.
pub fn page(c: &Comparison) -> String {
    let first = &c.options[0];
    let customer = escape(&first.site.metadata.customer);
    let mut w = String::new();
    let _ = write!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{customer}: {title} (sitectl preview)</title>\n<style>{STYLE}\
         #compare th[scope=col] {{ font-size: 14px; text-transform: none; letter-spacing: 0; color: var(--ink); }}\n\
         #compare th[scope=row] {{ width: 18%; }}\nheader {{ margin-bottom: 18px; }}\n</style>\n</head>\n<body>\n<main>\n\
         <header>\n<h1>{customer}</h1>\n<p class=\"lead\">Comparing {title}.</p>\n\
         <p class=\"validity\" id=\"validity\">Prepared on {prepared}, valid until {valid_until}: each option's price says what it is.</p>\n</header>\n",
        title = escape(&c.title()),
        prepared = first.prepared,
        valid_until = first.valid_until,
    );
    let _ = write!(
        w,
        "<section id=\"compare\">\n<h2>Side by side</h2>\n<table>\n<thead><tr><th></th>"
    );
    for p in &c.options {
        let _ = write!(w, "<th scope=\"col\">{}</th>", escape(&c.label(p)));
    }
    w.push_str("</tr></thead>\n<tbody>\n");
    for (what, cells) in c.rows() {
        let _ = write!(w, "<tr><th scope=\"row\">{}</th>", escape(&what));
        for cell in cells {
            let _ = write!(w, "<td>{}</td>", prose(&cell));
        }
        w.push_str("</tr>\n");
    }
    w.push_str("</tbody>\n</table>\n</section>\n");
    let _ = write!(
        w,
        "<section id=\"changes\">\n<h2>What changes when you move</h2>\n"
    );
    for (step, notes) in c.changes() {
        let _ = write!(w, "<h3>From {}</h3>\n<ul>\n", escape(&step));
        for note in notes {
            let _ = writeln!(w, "<li>{}</li>", prose(&note));
        }
        w.push_str("</ul>\n");
    }
    let _ = write!(
        w,
        "</section>\n<footer>\n<p>Each option was built and rendered by <code>sitectl preview</code>; nothing was deployed. To make this page again:</p>\n\
         <pre class=\"command\" aria-label=\"command line\">{}</pre>\n</footer>\n</main>\n</body>\n</html>\n",
        escape(&c.command)
    );
    w
}

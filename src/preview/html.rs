//! `sitectl preview --format html`: one self-contained page for a customer
//! meeting. Inline CSS and an inline SVG diagram; no script, font, image or
//! any other request, so it opens the same offline, from a mail attachment
//! or a file share. Every string that comes from the spec is escaped.

use std::fmt::Write as _;

use crate::diagnostic::words::plural;
use crate::preview::{self, Preview};
use crate::render::blueprint::Party;

/// Text as HTML character data or a quoted attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) const STYLE: &str = r#"
:root { --ink: #1d2433; --muted: #5b6478; --line: #dfe3ea; --page: #f5f6f8; --card: #fff;
  --ours: #2f5fd0; --ours-bg: #eef3ff; --theirs: #1f8a5b; --theirs-bg: #ecf8f1; --shared: #9a6a12; --shared-bg: #fdf6e7; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 48px; }
header h1 { margin: 0 0 4px; font-size: 26px; letter-spacing: -0.01em; }
header p { margin: 0; color: var(--muted); }
.badges { margin: 10px 0 0; display: flex; gap: 8px; flex-wrap: wrap; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 13px; font-weight: 600;
  background: #e8ebf1; color: var(--ink); }
.badge.tier { background: var(--ours-bg); color: var(--ours); }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
.command { margin: 14px 0 0; padding: 8px 12px; background: #1d2433; color: #e8ecf4; border-radius: 8px; white-space: pre-wrap; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; margin: 22px 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 14px 16px; }
.card h2 { margin: 0; font-size: 12px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); }
.card .value { font-size: 22px; font-weight: 650; margin-top: 4px; }
.card .note { color: var(--muted); font-size: 13px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 18px 20px; margin: 0 0 18px; }
section > h2 { margin: 0 0 12px; font-size: 18px; }
svg { display: block; width: 100%; height: auto; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: 7px 10px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
#resources th:nth-child(1) { width: 38%; }
#resources th:nth-child(2) { width: 24%; }
#responsibilities th:nth-child(1) { width: 22%; }
#responsibilities th:nth-child(2) { width: 14%; }
#limits th { width: 26%; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); font-weight: 600; }
tr:last-child td { border-bottom: none; }
.who { display: inline-block; min-width: 78px; text-align: center; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 700; }
.who.us { background: var(--ours-bg); color: var(--ours); }
.who.customer { background: var(--theirs-bg); color: var(--theirs); }
.who.shared { background: var(--shared-bg); color: var(--shared); }
.who.nobody { background: #fdecec; color: #a12626; }
.data { color: var(--theirs); font-weight: 600; font-size: 12px; }
.muted { color: var(--muted); }
details { border: 1px solid var(--line); border-radius: 8px; margin: 8px 0; }
summary { cursor: pointer; padding: 8px 12px; display: flex; justify-content: space-between; gap: 12px; }
summary code { font-weight: 600; }
details pre { margin: 0; padding: 12px; border-top: 1px solid var(--line); background: #fafbfc; overflow-x: auto; max-height: 480px; }
footer { color: var(--muted); font-size: 13px; margin-top: 24px; border-top: 1px solid var(--line); padding-top: 12px; }
.lead { font-size: 18px; margin: 4px 0; }
.validity { color: var(--muted); font-size: 14px; }
@media (max-width: 800px) { .cards { grid-template-columns: repeat(2, 1fr); } main { padding: 20px 14px 36px; } }
@media print {
  body { background: #fff; font-size: 12px; }
  main { max-width: none; padding: 0; }
  section, .card { break-inside: avoid; border-color: #ccd; }
  #resources, #files { break-inside: auto; }
  tr { break-inside: avoid; }
  .command { background: #fff; color: var(--ink); border: 1px solid var(--line); }
}
"#;

/// Prose for the page: escaped, and Markdown's `code` spans (as blueprints
/// and the chart describe things) drawn as code, never as raw backticks.
pub fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut parts = text.split('`').peekable();
    let mut code = false;
    while let Some(part) = parts.next() {
        // An unpaired backtick at the end stays text.
        if code && parts.peek().is_none() {
            out.push('`');
            out.push_str(&escape(part));
            break;
        }
        if code {
            out.push_str("<code>");
            out.push_str(&escape(part));
            out.push_str("</code>");
        } else {
            out.push_str(&escape(part));
        }
        code = !code;
    }
    out
}

/// The whole page.
pub fn page(p: &Preview) -> String {
    let spec = &p.site.spec;
    let customer = escape(&p.site.metadata.customer);
    let mut out = String::new();
    let w = &mut out;
    let _ = write!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{customer}: {tier} on {deployment} (sitectl preview)</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        tier = spec.tier,
        deployment = spec.deployment,
    );
    let address = p
        .address
        .as_ref()
        .map(|a| format!(", at <strong>{}</strong>", escape(a)))
        .unwrap_or_default();
    let _ = write!(
        w,
        "<header>\n<h1>{customer}</h1>\n<p class=\"lead\">The {tier} tier, {deployment} deployment{address}.</p>\n<p>{description}</p>\n\
         <div class=\"badges\"><span class=\"badge tier\">{tier} tier</span><span class=\"badge\">{deployment}</span>\
         {region}<span class=\"badge\">release {version}</span></div>\n\
         <p class=\"validity\" id=\"validity\">Prepared on {prepared}, valid until {valid_until}: {status}.</p>\n</header>\n",
        description = prose(&p.blueprint_description),
        tier = spec.tier,
        deployment = spec.deployment,
        region = p
            .region()
            .map(|region| format!("<span class=\"badge\">region {}</span>", escape(region)))
            .unwrap_or_default(),
        version = escape(&spec.app.version),
        prepared = p.prepared,
        valid_until = p.valid_until,
        status = p.price_status(),
    );
    cards(w, p);
    let _ = write!(
        w,
        "<section id=\"architecture\">\n<h2>Architecture</h2>\n{}</section>\n",
        diagram(p)
    );
    responsibilities(w, p);
    limits(w, p);
    resources(w, p);
    files(w, p);
    let _ = write!(
        w,
        "<footer>\n<p>Site <code>{name}</code>, blueprint <code>{blueprint}</code>. Generated by <code>sitectl preview</code>; nothing was deployed. To make this page again:</p>\n\
         <pre class=\"command\" aria-label=\"command line\">{command}</pre>\n</footer>\n</main>\n</body>\n</html>\n",
        name = escape(&p.site.metadata.name),
        blueprint = escape(&p.blueprint),
        command = escape(&p.command),
    );
    out
}

fn cards(w: &mut String, p: &Preview) {
    let limits = &p.limits;
    let term = match (&limits.trial, &p.site.spec.license) {
        (Some((start, days, end, _)), _) => (
            format!("{days}-day trial"),
            format!("from {start}, ends {end}"),
        ),
        (None, Some(license)) => (
            "licensed".into(),
            format!("{} to {}", license.start, license.end),
        ),
        (None, None) => ("subscription".into(), "monthly, per seat".into()),
    };
    let card = |id: &str, title: &str, value: &str, note: &str| {
        format!(
            "<div class=\"card\" id=\"{id}\"><h2>{title}</h2><div class=\"value\">{}</div><div class=\"note\">{}</div></div>\n",
            escape(value),
            prose(note)
        )
    };
    let _ = write!(
        w,
        "<div class=\"cards\" id=\"summary\">\n{}{}{}{}</div>\n",
        card("price", "List price", &p.price.headline(), &p.price.basis()),
        card(
            "seats",
            "Seats",
            &limits.seats.to_string(),
            &limits.seat_rule
        ),
        card(
            "size",
            "Resources",
            &format!(
                "{} {}",
                limits.replicas,
                plural(limits.replicas, "replica", "replicas")
            ),
            &p.resource_line()
        ),
        card("term", "Term", &term.0, &term.1),
    );
}

/// Colours of a zone: (stroke, fill) by whose infrastructure it is.
fn zone_colours(party: Option<Party>) -> (&'static str, &'static str) {
    match party {
        Some(Party::Us) => ("#2f5fd0", "#eef3ff"),
        Some(Party::Customer) => ("#1f8a5b", "#ecf8f1"),
        _ => ("#9a6a12", "#fdf6e7"),
    }
}

/// Cuts `text` to `max` characters with an ellipsis, before escaping, so
/// that a long name never runs out of its box.
/// `text` in lines of at most `max` characters, broken after a space or a
/// comma (a word longer than that is broken where it must): a diagram's
/// box grows to hold every line rather than cutting one.
fn wrapped(text: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_inclusive(' ') {
        if !line.is_empty() && line.chars().count() + word.trim_end().chars().count() > max {
            lines.push(line.trim_end().to_string());
            line.clear();
        }
        let mut word = word;
        while word.trim_end().chars().count() > max {
            let cut: String = word.chars().take(max).collect();
            lines.push(cut.clone());
            word = &word[cut.len()..];
        }
        line.push_str(word);
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// The architecture drawn from the resolved site: who uses it, the app tier
/// and the data tier, each inside the infrastructure it runs in.
fn diagram(p: &Preview) -> String {
    let r = p.responsibilities.as_ref();
    let app_where = r.map_or("not stated by the blueprint", |r| r.app_runs_in.as_str());
    let data_where = r.map_or("not stated by the blueprint", |r| r.data_lives_in.as_str());
    let app_party = r.map(|r| r.operates_app.who);
    let data_party = r.map(|r| r.owns_data.who);
    let shared_zone = app_where == data_where;
    let spec = &p.site.spec;
    let names = crate::render::resolve::Names::for_site(&p.site.metadata.name);
    let mut app_lines = vec![
        format!("release {}", spec.app.version),
        format!(
            "{} {} · {}",
            p.limits.replicas,
            plural(p.limits.replicas, "replica", "replicas"),
            p.limits
                .resources
                .iter()
                .filter(|(name, _, _)| *name != "storage")
                .map(|(name, value, _)| format!("{name} {value}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ];
    let targets: Vec<&str> = p.targets.iter().map(|(t, _)| t.as_str()).collect();
    if targets.contains(&"helm") {
        app_lines.push(format!("namespace {}", names.namespace));
    }
    let objects = |kinds: &[&str]| {
        p.resources
            .iter()
            .filter(|r| kinds.contains(&r.kind.as_str()))
            .map(|r| {
                if r.kind == "service" {
                    r.name.as_str()
                } else {
                    r.kind.as_str()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let kubernetes = objects(&[
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
    ]);
    if !kubernetes.is_empty() {
        app_lines.push(kubernetes);
    }
    let services = objects(&["service"]);
    if !services.is_empty() {
        app_lines.push(format!("Compose services: {services}"));
    }
    if !spec.features.is_empty() {
        app_lines.push(format!("features: {}", p.limits.features_on.join(", ")));
    }
    // Two volumes read better as "2 × volume" than as the same line twice.
    let mut data_lines: Vec<String> = Vec::new();
    let mut counted: Vec<(&str, usize)> = Vec::new();
    for (kind, _) in &p.data_tier {
        match counted.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => *n += 1,
            None => counted.push((kind, 1)),
        }
    }
    for (kind, n) in counted {
        let kind = kind.replace('-', " ");
        data_lines.push(if n == 1 {
            format!("• {kind}")
        } else {
            format!("• {n} × {kind}")
        });
    }
    if data_lines.is_empty() {
        data_lines.push("no data resource declared".into());
    }
    // Every line whole: wrapped to the box's width, the boxes as tall as
    // the longer list, the zones and the picture around them.
    const LINE: usize = 20;
    let wrap_all =
        |lines: &[String]| -> Vec<String> { lines.iter().flat_map(|l| wrapped(l, 40)).collect() };
    let (app_lines, data_lines) = (wrap_all(&app_lines), wrap_all(&data_lines));
    let rows = app_lines.len().max(data_lines.len()).max(8);
    let box_height = 34 + 24 + LINE * rows;
    let zone_height = box_height + 60;
    let height = zone_height + 38;
    let mut svg = String::new();
    let s = &mut svg;
    let _ = write!(
        s,
        "<svg id=\"diagram\" viewBox=\"0 0 960 {height}\" role=\"img\" aria-labelledby=\"diagram-title\" xmlns=\"http://www.w3.org/2000/svg\" \
         font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif\">\n\
         <title id=\"diagram-title\">App tier in {}, data tier in {}</title>\n\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#5b6478\"/></marker></defs>\n",
        escape(app_where),
        escape(data_where),
    );
    // Users, outside every zone.
    let _ = writeln!(
        s,
        "<g><rect x=\"8\" y=\"125\" width=\"152\" height=\"80\" rx=\"10\" fill=\"#fff\" stroke=\"#5b6478\"/>\
         <text x=\"84\" y=\"158\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"600\" fill=\"#1d2433\">Customer's users</text>\
         <text x=\"84\" y=\"180\" text-anchor=\"middle\" font-size=\"12\" fill=\"#5b6478\">{} {}</text></g>",
        spec.seats,
        plural(spec.seats, "seat", "seats")
    );
    let zone = |s: &mut String, x: u32, width: u32, label: &str, party: Option<Party>| {
        let (stroke, fill) = zone_colours(party);
        let _ = write!(
            s,
            "<g class=\"zone\"><rect x=\"{x}\" y=\"20\" width=\"{width}\" height=\"{zone_height}\" rx=\"14\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"
        );
        // Zone labels are short; a long one takes a second line, never a cut.
        for (i, line) in wrapped(&label.to_uppercase(), 40)
            .iter()
            .take(2)
            .enumerate()
        {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" font-size=\"12\" font-weight=\"700\" letter-spacing=\"0.06em\" fill=\"{stroke}\">{}</text>",
                x + 16,
                40 + 13 * i,
                escape(line)
            );
        }
        s.push_str("</g>\n");
    };
    if shared_zone {
        zone(s, 200, 744, app_where, app_party);
    } else {
        zone(s, 200, 356, app_where, app_party);
        zone(s, 580, 364, data_where, data_party);
    }
    let tier_box = |s: &mut String, x: u32, title: &str, lines: &[String], party: Option<Party>| {
        let (stroke, _) = zone_colours(party);
        let _ = writeln!(
            s,
            "<g class=\"tier\"><rect x=\"{x}\" y=\"62\" width=\"320\" height=\"{box_height}\" rx=\"10\" fill=\"#fff\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>\
             <rect x=\"{x}\" y=\"62\" width=\"320\" height=\"34\" rx=\"10\" fill=\"{stroke}\"/><rect x=\"{x}\" y=\"86\" width=\"320\" height=\"10\" fill=\"{stroke}\"/>\
             <text x=\"{}\" y=\"84\" font-size=\"15\" font-weight=\"700\" fill=\"#fff\">{}</text>",
            x + 14,
            escape(title)
        );
        for (i, line) in lines.iter().enumerate() {
            let _ = writeln!(
                s,
                "<text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"#1d2433\">{}</text>",
                x + 14,
                120 + LINE * i,
                escape(line)
            );
        }
        s.push_str("</g>\n");
    };
    tier_box(s, 218, "App tier", &app_lines, app_party);
    let data_x = 602;
    tier_box(s, data_x, "Data tier", &data_lines, data_party);
    let _ = write!(
        s,
        "<line x1=\"160\" y1=\"165\" x2=\"216\" y2=\"165\" stroke=\"#5b6478\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/>\
         <text x=\"180\" y=\"157\" text-anchor=\"middle\" font-size=\"11\" fill=\"#5b6478\">https</text>\n\
         <line x1=\"538\" y1=\"178\" x2=\"{}\" y2=\"178\" stroke=\"#5b6478\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/>\
         <text x=\"{}\" y=\"170\" text-anchor=\"middle\" font-size=\"11\" fill=\"#5b6478\">data</text>\n</svg>\n",
        data_x - 2,
        (538 + data_x) / 2
    );
    svg
}

fn responsibilities(w: &mut String, p: &Preview) {
    let _ = write!(
        w,
        "<section id=\"responsibilities\">\n<h2>Who does what</h2>\n"
    );
    match &p.responsibilities {
        Some(r) => {
            let _ = write!(
                w,
                "<p class=\"muted\">The app runs in <strong>{}</strong>; the data lives in <strong>{}</strong>.</p>\n\
                 <table>\n<thead><tr><th>Responsibility</th><th>Who</th><th>What it means</th></tr></thead>\n<tbody>\n",
                escape(&r.app_runs_in),
                escape(&r.data_lives_in)
            );
            for duty in p.duties() {
                let _ = writeln!(
                    w,
                    "<tr><td>{}</td><td><span class=\"who {}\">{}</span></td><td>{}</td></tr>",
                    escape(duty.what),
                    duty.party,
                    escape(&duty.who),
                    prose(&duty.note)
                );
            }
            w.push_str("</tbody>\n</table>\n");
        }
        None => {
            let _ = writeln!(
                w,
                "<p>Blueprint <code>{}</code> does not state who does what.</p>",
                escape(&p.blueprint)
            );
        }
    }
    w.push_str("</section>\n");
}

fn limits(w: &mut String, p: &Preview) {
    let spec = &p.site.spec;
    let _ = write!(
        w,
        "<section id=\"limits\">\n<h2>Tier {}: limits and features</h2>\n<p class=\"muted\">{}</p>\n<table>\n<tbody>\n",
        spec.tier,
        prose(&p.limits.tier_description)
    );
    let mut rows = vec![
        (
            "Seats",
            format!("{} ({})", p.limits.seats, p.limits.seat_rule),
        ),
        ("Resources", p.resource_line()),
        ("Replicas", p.limits.replicas.to_string()),
        ("Backups", p.backups_line()),
    ];
    if let Some(trial) = p.trial_line() {
        rows.insert(1, ("Trial", trial));
    }
    let on = |items: &[String]| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    };
    rows.push(("Features on", on(&p.limits.features_on)));
    rows.push(("Available on this tier", on(&p.limits.features_allowed)));
    if !p.limits.features_locked.is_empty() {
        rows.push(("Needs a higher tier", p.locked_line()));
    }
    rows.push((
        "List price",
        format!("{} ({})", p.price.headline(), p.price.basis()),
    ));
    for (name, value) in rows {
        let _ = writeln!(
            w,
            "<tr><th scope=\"row\">{name}</th><td>{}</td></tr>",
            prose(&value)
        );
    }
    w.push_str("</tbody>\n</table>\n</section>\n");
}

fn resources(w: &mut String, p: &Preview) {
    w.push_str("<section id=\"resources\">\n<h2>Resources by target</h2>\n");
    for (target, description) in &p.targets {
        let _ = write!(
            w,
            "<h3>{}</h3>\n<p class=\"muted\">{}</p>\n",
            escape(target.as_str()),
            prose(description)
        );
        let rows: Vec<_> = p.resources.iter().filter(|r| r.target == *target).collect();
        if rows.is_empty() {
            w.push_str("<p>Settings only: no resources of its own.</p>\n");
            continue;
        }
        w.push_str("<table>\n<thead><tr><th>Type</th><th>Name</th><th>What it is</th></tr></thead>\n<tbody>\n");
        for r in rows {
            let data = if r.holds_data {
                " <span class=\"data\">holds data</span>"
            } else {
                ""
            };
            let _ = writeln!(
                w,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}{data}</td></tr>",
                escape(&r.kind),
                escape(&r.name),
                prose(&r.description)
            );
        }
        w.push_str("</tbody>\n</table>\n");
    }
    w.push_str("</section>\n");
}

fn files(w: &mut String, p: &Preview) {
    let total: usize = p.files.iter().map(|f| f.contents.len()).sum();
    let _ = write!(
        w,
        "<section id=\"files\">\n<h2>Generated files</h2>\n<p class=\"muted\">{} files, {} in all; open one to read it.</p>\n",
        p.files.len(),
        preview::size(total)
    );
    for file in &p.files {
        let _ = write!(
            w,
            "<details>\n<summary><code>{}</code><span class=\"muted\">{}</span></summary>\n<pre><code>{}</code></pre>\n</details>\n",
            escape(&preview::file_path(file)),
            preview::size(file.contents.len()),
            escape(&file.contents)
        );
    }
    let _ = write!(
        w,
        "<details>\n<summary><code>{}</code><span class=\"muted\">the site spec these flags build</span></summary>\n<pre><code>{}</code></pre>\n</details>\n</section>\n",
        escape(&format!("sites/{}.yaml", p.site.metadata.name)),
        escape(&p.spec_text)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_the_five_characters() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }

    #[test]
    fn long_diagram_lines_wrap_and_keep_every_character() {
        let text = "Deployment, HorizontalPodAutoscaler, Ingress, PodDisruptionBudget, Service";
        let lines = wrapped(text, 40);
        assert!(lines.iter().all(|l| l.chars().count() <= 40), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        assert_eq!(wrapped(&"x".repeat(90), 40).len(), 3);
    }
}

//! The preview for a terminal: the site, its tier's limits, who does what,
//! the resources per target and every generated file, in aligned columns
//! that fit 100 columns (a long last column wraps under itself).

use std::fmt::Write as _;

use crate::preview::{Preview, file_path, size};

/// The widest line the preview writes.
const WIDTH: usize = 100;
/// The narrowest a wrapped last column gets beside the others; with less
/// room it goes on lines of its own below its row.
const NARROWEST: usize = 30;

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// The preview for a terminal.
pub fn text(p: &Preview) -> String {
    let mut out = String::new();
    let w = &mut out;
    let spec = &p.site.spec;
    paragraph(
        w,
        &format!(
            "Preview: {} for {} ({} tier, {} deployment, blueprint `{}`)",
            p.site.metadata.name,
            printable(&p.site.metadata.customer),
            spec.tier,
            spec.deployment,
            p.blueprint
        ),
        2,
    );
    paragraph(w, &p.blueprint_description, 0);
    if let Some(address) = &p.address {
        paragraph(w, &format!("Address: {address}"), 2);
    }
    paragraph(
        w,
        &format!(
            "Prepared on {}, valid until {}: {}.",
            p.prepared,
            p.valid_until,
            p.price_status()
        ),
        2,
    );
    let _ = writeln!(w);
    paragraph(
        w,
        &format!("Tier {}: {}", spec.tier, p.limits.tier_description),
        2,
    );
    let mut rows: Vec<[String; 2]> = vec![[
        "seats".into(),
        format!("{} ({})", p.limits.seats, p.limits.seat_rule),
    ]];
    if let Some(trial) = p.trial_line() {
        rows.push(["trial".into(), trial]);
    }
    rows.extend([
        ["resources".into(), p.resource_line()],
        ["replicas".into(), p.limits.replicas.to_string()],
        ["backups".into(), p.backups_line()],
        ["features on".into(), list_or_none(&p.limits.features_on)],
        [
            "on this tier".into(),
            list_or_none(&p.limits.features_allowed),
        ],
    ]);
    if !p.limits.features_locked.is_empty() {
        rows.push(["higher tiers".into(), p.locked_line()]);
    }
    rows.push([
        "list price".into(),
        format!("{} ({})", p.price.headline(), p.price.basis()),
    ]);
    indented(w, &rows);
    let _ = writeln!(w, "\nResponsibilities");
    match &p.responsibilities {
        Some(r) => {
            let mut rows = vec![
                [
                    "app runs in".to_string(),
                    r.app_runs_in.clone(),
                    String::new(),
                ],
                [
                    "data lives in".into(),
                    r.data_lives_in.clone(),
                    String::new(),
                ],
            ];
            for duty in p.duties() {
                rows.push([duty.what.into(), duty.who, duty.note]);
            }
            indented(w, &rows);
        }
        None => {
            let _ = writeln!(w, "  blueprint `{}` does not state them", p.blueprint);
        }
    }
    for (target, description) in &p.targets {
        let _ = writeln!(w);
        paragraph(w, &format!("Resources: {target} ({description})"), 2);
        let rows: Vec<[String; 3]> = p
            .resources
            .iter()
            .filter(|r| r.target == *target)
            .map(|r| {
                let data = if r.holds_data { " [data]" } else { "" };
                [
                    r.kind.clone(),
                    r.name.clone(),
                    format!("{}{data}", r.description),
                ]
            })
            .collect();
        if rows.is_empty() {
            let _ = writeln!(w, "  (settings only: no resources of its own)");
        }
        indented(w, &rows);
    }
    let total: usize = p.files.iter().map(|f| f.contents.len()).sum();
    let _ = writeln!(w, "\nFiles ({}, {})", p.files.len(), size(total));
    let rows: Vec<[String; 2]> = p
        .files
        .iter()
        .map(|f| [file_path(f), size(f.contents.len())])
        .collect();
    indented(w, &rows);
    out
}

/// `text` as lines of at most [`WIDTH`] columns, broken at spaces; the
/// lines after the first start with `hang` spaces.
fn paragraph(w: &mut String, text: &str, hang: usize) {
    for (n, line) in wrap(text, WIDTH - hang).iter().enumerate() {
        let indent = if n == 0 { 0 } else { hang };
        let _ = writeln!(w, "{:indent$}{line}", "");
    }
}

/// `text` in lines of at most `width` columns, broken at spaces; a word
/// longer than that is broken where it must.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let words = text.split_whitespace().flat_map(|word| {
        let chars: Vec<char> = word.chars().collect();
        chars
            .chunks(width)
            .map(|piece| piece.iter().collect::<String>())
            .collect::<Vec<_>>()
    });
    for word in words {
        let word = word.as_str();
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Rows in aligned columns, two spaces in, the last column wrapped to fit.
fn indented<R: AsRef<[String]>>(w: &mut String, rows: &[R]) {
    let columns = rows.iter().map(|r| r.as_ref().len()).max().unwrap_or(0);
    if columns == 0 {
        return;
    }
    let mut widths = crate::diagnostic::report::column_widths(rows, columns - 1);
    // The leading columns get at most WIDTH - NARROWEST: the widest gives
    // way, and a row whose cell is wider than its column puts its last
    // column on the lines below.
    let lead_of = |widths: &[usize]| 2 + widths.iter().map(|w| w + 2).sum::<usize>();
    while lead_of(&widths) > WIDTH - NARROWEST {
        let Some(widest) = (0..widths.len()).max_by_key(|&i| widths[i]) else {
            break;
        };
        let excess = lead_of(&widths) - (WIDTH - NARROWEST);
        widths[widest] = widths[widest].saturating_sub(excess).max(8);
        if lead_of(&widths) > WIDTH - NARROWEST && widths.iter().all(|w| *w <= 8) {
            break;
        }
    }
    let lead = lead_of(&widths);
    for row in rows {
        let row = row.as_ref();
        let mut line = String::from("  ");
        let mut fits = true;
        for (cell, width) in row.iter().zip(&widths) {
            fits &= cell.chars().count() <= *width;
            let _ = write!(line, "{cell:<width$}  ");
        }
        let last = row.get(columns - 1).map_or("", String::as_str);
        if !fits {
            // Its leading cells as lines of their own, the rest below.
            let head = row[..columns - 1].join("  ");
            if head.chars().count() + 2 <= WIDTH {
                let _ = writeln!(w, "  {head}");
            } else {
                for cell in &row[..columns - 1] {
                    for piece in wrap(cell, WIDTH - 2) {
                        let _ = writeln!(w, "  {piece}");
                    }
                }
            }
            line = format!("{:lead$}", "");
        }
        for (n, piece) in wrap(last, WIDTH - lead).iter().enumerate() {
            if n > 0 {
                line = format!("{:lead$}", "");
            }
            line.push_str(piece);
            let _ = writeln!(w, "{}", line.trim_end());
        }
    }
}

/// Spec text on a terminal: control characters shown as `?`, so a hostile
/// customer name cannot move the cursor or recolour the screen.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{WIDTH, indented, wrap};

    #[test]
    fn long_text_wraps_at_spaces_within_the_width() {
        let text = "word ".repeat(40);
        let lines = wrap(&text, 20);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(lines.join(" "), text.trim_end());
    }

    #[test]
    fn a_wide_row_fits_the_width_and_keeps_every_word() {
        let rows = vec![
            ["seats".to_string(), "a long explanation ".repeat(12)],
            ["x".repeat(70), "text beside a wide first column ".repeat(4)],
        ];
        let mut out = String::new();
        indented(&mut out, &rows);
        assert!(out.lines().all(|l| l.chars().count() <= WIDTH), "{out}");
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        let expected: Vec<String> = rows
            .iter()
            .flat_map(|r| r.iter().flat_map(|c| words(c)))
            .collect();
        assert_eq!(words(&out), expected);
    }
}

//! A site's manifest, `<out>/<site>/.sitectl-manifest`: the files sitectl
//! wrote there, one `<target>/<file>` per line. It is the only way the write
//! stage decides what it may remove and the only way a diff or a hand-off
//! reads what is on disk, so a file sitectl did not write is never touched.

use std::collections::BTreeSet;
use std::path::Path;

use crate::render::target::Target;

/// The manifest's file name inside a site's output folder.
pub const MANIFEST: &str = ".sitectl-manifest";

const HEADER: &str = "# Files sitectl wrote for this site; only these are ever removed by it.\n";

/// The entries of the manifest in `site_dir`, or `None` when there is none.
/// An entry that could reach outside its target folder (absolute, `..`,
/// `.`, more or fewer than two parts, not a target) is dropped: a tampered
/// manifest cannot make sitectl read or remove anything else.
pub fn read(site_dir: &Path) -> Option<BTreeSet<String>> {
    let text = std::fs::read_to_string(site_dir.join(MANIFEST)).ok()?;
    Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter(|l| is_entry(l))
            .map(str::to_string)
            .collect(),
    )
}

fn is_entry(line: &str) -> bool {
    let parts: Vec<&str> = line.split('/').collect();
    matches!(parts.as_slice(), [target, file]
        if target.parse::<Target>().is_ok() && !file.is_empty() && *file != "." && *file != "..")
}

/// The manifest's text for `entries`.
pub fn text(entries: &BTreeSet<String>) -> String {
    let mut text = String::from(HEADER);
    for entry in entries {
        text.push_str(entry);
        text.push('\n');
    }
    text
}

/// The target an entry belongs to.
pub fn target_of(entry: &str) -> Option<Target> {
    entry.split('/').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_that_could_reach_outside_the_site_are_dropped() {
        let dir = std::env::temp_dir().join(format!("sitectl-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(MANIFEST),
            "# c\nhelm/values.yaml\n../keep.txt\n/etc/passwd\nhelm/../../x\nnotes/a.txt\nterraform/..\nterraform/main.tf\n",
        )
        .unwrap();
        let entries = read(&dir).unwrap();
        assert_eq!(
            entries.into_iter().collect::<Vec<_>>(),
            ["helm/values.yaml", "terraform/main.tf"]
        );
        assert_eq!(read(&dir.join("missing")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

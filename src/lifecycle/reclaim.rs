//! `sitectl reclaim`: expired trials destroyed through the hand-off, then
//! their specs archived under `<specs>/.reclaimed/<date>/` as the record
//! sales keeps.
//!
//! Two guards stand in a destroy's way on purpose, and reclaim passes each
//! explicitly rather than weakening it for everyone: the blueprints' Terraform
//! `prevent_destroy` on data-bearing resources (lifted by an override file
//! that exists only for the length of the destroy) and the hand-off's
//! data-loss gate (opened for the reclaimed sites alone).

use std::path::{Path, PathBuf};

use jiff::civil::Date;

use crate::output::inspect;
use crate::render::engine::RenderedFile;
use crate::render::target::Target;
use crate::spec::Tier;
use crate::validate::ValidSite;

/// Terraform merges `*_override.tf` files into the blocks they name, and a
/// lifecycle block argument by argument: this one flips only
/// `prevent_destroy`, and only while reclaim destroys the site.
pub const OVERRIDE_FILE: &str = crate::output::scan::RECLAIM_OVERRIDE;

/// Where archived specs go, below the specs folder. Hidden, so no command
/// that walks the specs ever renders or applies an archived trial again.
pub const ARCHIVE_DIR: &str = ".reclaimed";

/// A trial past its end.
#[derive(Debug, Clone, Copy)]
pub struct Expired<'a> {
    pub site: &'a ValidSite,
    /// The first day the trial no longer covers.
    pub trial_end: Date,
}

impl Expired<'_> {
    pub fn name(&self) -> &str {
        &self.site.site.metadata.name
    }
}

/// The trials past their end as of `today`, in path order. Only a site whose
/// spec still says `tier: trial` qualifies: a promoted site has no trial
/// (the schema refuses a trial block on any other tier), so a promotion
/// always takes a site out of reach.
pub fn expired(valid: &[ValidSite], today: Date) -> Vec<Expired<'_>> {
    valid
        .iter()
        .filter(|v| v.site.spec.tier == Tier::Trial)
        .filter_map(|v| {
            let end = v.site.spec.trial.as_ref()?.end()?;
            (end <= today).then_some(Expired {
                site: v,
                trial_end: end,
            })
        })
        .collect()
}

/// Why a reclaim lifts `prevent_destroy`: the first lines of its override.
pub const RECLAIM_HEADER: &str = "# Written by `sitectl reclaim` for the length of one destroy, then removed.\n\
     # The blueprint's prevent_destroy keeps these data-bearing resources from\n\
     # every other plan; an expired trial's data is deleted on purpose.\n";

/// Why a hand-off with `--allow-data-loss SITE` lifts `prevent_destroy`
/// (Terraform refuses to plan the deletion of a protected resource,
/// whatever sitectl's gate allows): the first lines of its override.
pub fn allowed_loss_header(action: &str, site: &str) -> String {
    format!(
        "# Written by `sitectl {action} --allow-data-loss {site}` for the length of one run, then removed.\n\
         # The blueprint's prevent_destroy keeps these data-bearing resources from\n\
         # every other plan; this run was allowed to delete or replace them.\n"
    )
}

/// The override that lifts `prevent_destroy` from every resource of the
/// site's Terraform files that sets it, under `header` (why); `None` when
/// none does.
pub fn terraform_override(files: &[RenderedFile], site: &str, header: &str) -> Option<String> {
    // The render stage parsed every rendered file already.
    let mut protected: Vec<(String, String)> = files
        .iter()
        .filter(|f| f.site == site && f.target == Target::Terraform && f.output.ends_with(".tf"))
        .flat_map(|f| inspect::terraform_resources(&f.contents))
        .filter(|r| r.prevent_destroy)
        .map(|r| (r.kind, r.name))
        .collect();
    if protected.is_empty() {
        return None;
    }
    protected.sort();
    let mut text = String::from(header);
    for (kind, name) in protected {
        text.push_str(&format!(
            "\nresource \"{kind}\" \"{name}\" {{\n  lifecycle {{\n    prevent_destroy = false\n  }}\n}}\n"
        ));
    }
    Some(text)
}

/// `<specs>/.reclaimed/<today>/<name>.yaml`: one folder per reclaim day, so
/// a name used again by a later trial never overwrites an earlier record.
pub fn archive_path(specs: &Path, today: Date, name: &str) -> PathBuf {
    specs
        .join(ARCHIVE_DIR)
        .join(today.to_string())
        .join(format!("{name}.yaml"))
}

/// The archived record: the spec exactly as it was, under a header that
/// says when and why it left the fleet.
pub fn archived_text(original: &str, today: Date, trial_end: Date) -> String {
    format!(
        "# Reclaimed by `sitectl reclaim` on {today}: the trial ended on {trial_end}\n\
         # and its infrastructure was destroyed. Kept as the record of the trial.\n{original}"
    )
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    #[error(
        "{0} changed while its site was being reclaimed (promoted?): it was left in place; check the site"
    )]
    Changed(String),
    #[error("{0} already exists: the spec was left in place; move it by hand")]
    Exists(String),
    #[error("cannot archive {path}: {message}")]
    Io { path: String, message: String },
}

/// Writes the record of a reclaimed trial to `dest`, never over another
/// file: the same record already there (a stopped run wrote it) is done.
/// The spec (whose text was `original` when the reclaim began) must still
/// be that text; it is removed later, by [`remove_spec`], once the site's
/// rendered files are gone: a run stopped at any point leaves a state the
/// next one finishes.
pub fn write_record(
    spec: &Path,
    original: &str,
    dest: &Path,
    text: &str,
) -> Result<(), ArchiveError> {
    let shown = crate::source::load::display_name(spec);
    match std::fs::read_to_string(spec) {
        Ok(now) if now == original => {}
        Ok(_) => return Err(ArchiveError::Changed(shown)),
        Err(error) => return Err(io_error(spec, error)),
    }
    match crate::output::write::write_new(dest, text) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            if std::fs::read_to_string(dest).is_ok_and(|there| there == text) {
                Ok(())
            } else {
                Err(ArchiveError::Exists(crate::source::load::display_name(
                    dest,
                )))
            }
        }
        Err(error) => Err(io_error(dest, error)),
    }
}

/// Removes the reclaimed spec, if it is still `original`.
pub fn remove_spec(spec: &Path, original: &str) -> Result<(), ArchiveError> {
    match std::fs::read_to_string(spec) {
        Ok(now) if now == original => std::fs::remove_file(spec).map_err(|e| io_error(spec, e)),
        Ok(_) => Err(ArchiveError::Changed(crate::source::load::display_name(
            spec,
        ))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error(spec, error)),
    }
}

fn io_error(path: &Path, error: std::io::Error) -> ArchiveError {
    ArchiveError::Io {
        path: crate::source::load::display_name(path),
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::escape::Language;

    fn tf(contents: &str) -> RenderedFile {
        RenderedFile {
            site: "a".into(),
            target: Target::Terraform,
            output: "main.tf".into(),
            language: Language::Hcl,
            template: "t".into(),
            contents: contents.into(),
        }
    }

    #[test]
    fn the_override_lifts_prevent_destroy_only_where_it_is_set() {
        let file = tf(r#"
resource "azurerm_storage_container" "site" {
  name = "x"
  lifecycle {
    prevent_destroy = true
  }
}
resource "azurerm_dns_cname_record" "site" {
  name = "y"
}
resource "azurerm_postgresql_flexible_server_database" "site" {
  lifecycle {
    ignore_changes = [charset]
    prevent_destroy = true
  }
}
"#);
        let text = terraform_override(std::slice::from_ref(&file), "a", RECLAIM_HEADER).unwrap();
        let body = hcl::parse(&text).unwrap();
        let names: Vec<String> = body
            .blocks()
            .map(|b| {
                b.labels()
                    .iter()
                    .map(|l| l.as_str())
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect();
        assert_eq!(
            names,
            [
                "azurerm_postgresql_flexible_server_database.site",
                "azurerm_storage_container.site"
            ]
        );
        assert!(text.contains("prevent_destroy = false"));
        assert!(!text.contains("ignore_changes"), "only the one argument");
        assert_eq!(
            terraform_override(&[file], "other-site", RECLAIM_HEADER),
            None
        );
        assert_eq!(
            terraform_override(&[tf("resource \"a\" \"b\" {}\n")], "a", RECLAIM_HEADER),
            None
        );
    }

    #[test]
    fn an_archived_spec_keeps_every_byte_under_its_header() {
        let today: Date = "2026-11-22".parse().unwrap();
        let end: Date = "2026-11-15".parse().unwrap();
        let text = archived_text("# mine\napiVersion: sitectl/v1\n", today, end);
        assert!(text.ends_with("# mine\napiVersion: sitectl/v1\n"));
        assert!(text.starts_with("# Reclaimed by `sitectl reclaim` on 2026-11-22"));
        assert_eq!(
            archive_path(Path::new("sites"), today, "acme"),
            Path::new("sites/.reclaimed/2026-11-22/acme.yaml")
        );
    }

    #[test]
    fn a_spec_changed_during_the_reclaim_is_never_moved() {
        let dir = std::env::temp_dir().join(format!("sitectl-archive-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let spec = dir.join("a.yaml");
        let dest = dir.join(".reclaimed/2026-11-22/a.yaml");
        std::fs::write(&spec, "tier: paid\n").unwrap();
        assert!(matches!(
            write_record(&spec, "tier: trial\n", &dest, "x"),
            Err(ArchiveError::Changed(_))
        ));
        assert!(spec.exists() && !dest.exists());
        let record = "# one\n# two\ntier: paid\n";
        write_record(&spec, "tier: paid\n", &dest, record).unwrap();
        // Written again by a run that finishes a stopped one: the same record is done.
        write_record(&spec, "tier: paid\n", &dest, record).unwrap();
        remove_spec(&spec, "tier: paid\n").unwrap();
        assert!(!spec.exists());
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), record);
        std::fs::write(&spec, "again\n").unwrap();
        assert!(matches!(
            write_record(&spec, "again\n", &dest, "x"),
            Err(ArchiveError::Exists(_))
        ));
        assert!(spec.exists(), "never over an earlier record");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

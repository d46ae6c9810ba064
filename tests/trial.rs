//! `sitectl trial create` as the landing page's workflow runs it, in a
//! repository `sitectl init` made: a signup becomes a trial site whose spec
//! validates and whose rendered output is current; the same signup id twice
//! creates one site and changes nothing the second time; the catalog's
//! limits refuse with a reason in JSON; no name is reused, not even an
//! archived one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Repo(PathBuf);

impl Repo {
    fn new(name: &str) -> Repo {
        let dir = std::env::temp_dir().join(format!("sitectl-trial-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let repo = Repo(dir);
        let made = repo.sitectl(&["init", "."]);
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        repo
    }

    fn sitectl(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sitectl"))
            .args(args)
            .current_dir(&self.0)
            .env("NO_COLOR", "1")
            .env("SITECTL_TODAY", "2026-11-30")
            .output()
            .unwrap()
    }

    fn signup(
        &self,
        customer: &str,
        contact: &str,
        id: Option<&str>,
    ) -> (Output, serde_json::Value) {
        let mut args = vec![
            "trial",
            "create",
            "--customer",
            customer,
            "--contact",
            contact,
            "--format",
            "json",
        ];
        if let Some(id) = id {
            args.extend(["--signup-id", id]);
        }
        let output = self.sitectl(&args);
        let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}):\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (output, json)
    }

    /// Every file under the repository with its bytes, for "nothing changed".
    fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(&self.0)
            .sort_by_file_name()
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
            .collect();
        files.sort();
        files
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn exists(repo: &Path, file: &str) -> bool {
    repo.join(file).is_file()
}

#[test]
fn a_signup_becomes_one_valid_rendered_trial_and_the_same_id_twice_changes_nothing() {
    let repo = Repo::new("idempotent");
    let (output, created) = repo.signup("Ærø Skole & Co.", "it@aero.example", Some("form-7f3a"));
    assert!(output.status.success(), "{created}");
    assert_eq!(created["status"], "created");
    assert_eq!(created["site"], "aero-skole-co");
    assert_eq!(created["trialStart"], "2026-11-30");
    assert_eq!(created["trialEnd"], "2026-12-14");
    assert_eq!(
        created["address"],
        "https://aero-skole-co.sites.sitectl.example"
    );
    assert!(exists(&repo.0, "sites/aero-skole-co.yaml"));
    for file in created["rendered"].as_array().unwrap() {
        assert!(
            exists(&repo.0, file.as_str().unwrap()),
            "{file} was not written"
        );
    }
    // The fleet still validates and the committed output is current.
    for args in [&["validate"][..], &["diff", "--check"][..]] {
        let checked = repo.sitectl(args);
        assert!(
            checked.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&checked.stderr)
        );
    }

    let before = repo.snapshot();
    let (output, again) = repo.signup("Ærø Skole & Co.", "IT@aero.example", Some("form-7f3a"));
    assert!(output.status.success(), "{again}");
    assert_eq!(again["status"], "exists");
    assert_eq!(again["site"], "aero-skole-co");
    assert_eq!(again["rendered"], created["rendered"]);
    assert!(
        repo.snapshot() == before,
        "the second signup changed the repository"
    );

    // The same id from another customer: refused, and nothing of the first
    // customer's site is said.
    let (output, conflict) = repo.signup("Globex", "it@globex.example", Some("form-7f3a"));
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(conflict["code"], "signup-id-conflict");
    assert!(conflict.get("address").is_none(), "{conflict}");

    // A run stopped after writing the spec left no output: the retry
    // renders it, and says `exists`.
    std::fs::remove_dir_all(repo.0.join("rendered/aero-skole-co")).unwrap();
    let (output, repaired) = repo.signup("Ærø Skole & Co.", "it@aero.example", Some("form-7f3a"));
    assert!(output.status.success(), "{repaired}");
    assert_eq!(repaired["status"], "exists");
    assert!(
        repo.snapshot() == before,
        "the retry did not restore the output"
    );
}

#[test]
fn the_catalogs_limits_refuse_with_a_reason_and_write_nothing() {
    let repo = Repo::new("limits");
    // The example catalog lets one domain start three trials a day.
    for n in 1..=3 {
        let (output, json) = repo.signup(
            &format!("Globex {n}"),
            &format!("u{n}@globex.example"),
            None,
        );
        assert!(output.status.success(), "{json}");
    }
    let before = repo.snapshot();
    let (output, refused) = repo.signup("Globex 4", "u4@globex.example", None);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(refused["status"], "refused");
    assert_eq!(refused["code"], "domain-daily-cap");
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("globex.example"),
        "{refused}"
    );
    let (_, disposable) = repo.signup("Spam", "x@mailinator.com", None);
    assert_eq!(disposable["code"], "refused-domain");
    let output = repo.sitectl(&[
        "trial",
        "create",
        "--customer",
        "Far",
        "--contact",
        "a@far.example",
        "--region",
        "australiaeast",
        "--format",
        "json",
    ]);
    let far: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(far["code"], "region-not-offered");
    assert!(
        repo.snapshot() == before,
        "a refused signup wrote something"
    );

    // The live-trial cap, from the catalog too.
    let catalog = repo.0.join("blueprints/tiers.yaml");
    let text = std::fs::read_to_string(&catalog).unwrap();
    std::fs::write(
        &catalog,
        text.replace("maxLiveTrials: 2000", "maxLiveTrials: 3"),
    )
    .unwrap();
    let (_, full) = repo.signup("Initech", "a@initech.example", None);
    assert_eq!(full["code"], "live-trial-cap", "{full}");
}

#[test]
fn a_name_is_never_reused_not_even_a_reclaimed_ones() {
    let repo = Repo::new("names");
    let (_, first) = repo.signup("Acme", "a@acme.example", None);
    assert_eq!(first["site"], "acme");
    // A reclaimed trial's spec, archived: its name stays retired.
    let archive = repo.0.join("sites/.reclaimed/2026-10-01");
    std::fs::create_dir_all(&archive).unwrap();
    std::fs::write(archive.join("acme-2.yaml"), "# archived\n").unwrap();
    let (_, second) = repo.signup("ACME!", "b@acme.example", None);
    assert_eq!(second["site"], "acme-3");
}

//! Crash consistency, proven by killing: `render`, `promote` and `reclaim`
//! are stopped with SIGKILL at pseudo-random moments, and after each kill
//! every file is the old bytes or the new ones, and the next run recovers to
//! exactly what a clean run gives: no temporary file, no stale lock, no
//! lifted `prevent_destroy` left behind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::fake_tools::Fixture;

const KILLS: u64 = 30;

/// A small deterministic generator (xorshift): the same kill moments on
/// every run, printed with any failure.
struct Moments(u64);

impl Moments {
    fn next_below(&mut self, bound: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let micros = bound.as_micros().max(1) as u64;
        Duration::from_micros(self.0 % micros)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file under `dir` (links included, never followed), by its path
/// below `dir`, with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
            let kind = std::fs::symlink_metadata(&entry).unwrap().file_type();
            if kind.is_dir() {
                walk(root, &entry, out);
            } else {
                let bytes = std::fs::read(&entry).unwrap_or_default();
                out.insert(entry.strip_prefix(root).unwrap().to_path_buf(), bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

fn temporaries(tree: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<&PathBuf> {
    tree.keys()
        .filter(|p| p.to_string_lossy().ends_with(".sitectl-tmp"))
        .collect()
}

/// How long `run` takes when nothing slows it: the fastest of three, so that
/// one slow run on a loaded machine does not push the kills past the end.
fn fastest_of_three(mut run: impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .min()
        .unwrap()
}

/// Starts `command`, kills it with SIGKILL after `after`, and waits for
/// it; whether the kill came while it still ran.
fn kill_after(mut command: Command, after: Duration) -> bool {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    child.wait().unwrap();
    running
}

#[test]
fn a_render_killed_at_any_moment_leaves_old_or_new_files_and_the_next_converges() {
    let f = Fixture::new("crash-render", &[]);
    let sites = f.dir.join("sites");
    let example = std::fs::read_to_string(sites.join("northwind-trial.yaml")).unwrap();
    // Two versions of a fleet of 200 sites that differ in every file.
    let version = |b: bool| {
        for i in 0..200 {
            let name = format!("crash-{i}");
            let text = example.replace("northwind-trial", &name);
            let text = if b {
                text.replace("Northwind Academy", "Northwind Academy B")
            } else {
                text
            };
            std::fs::write(sites.join(format!("{name}.yaml")), text).unwrap();
        }
    };
    let render_into = |out: &str| {
        let done = f.run(&["render", "--out", out], &[]);
        assert!(done.status.success(), "{}", text(&done.stderr));
        tree(&f.dir.join(out))
    };
    version(false);
    let old = render_into("reference-a");
    version(true);
    let new = render_into("reference-b");
    assert_ne!(old, new);
    let references = [old, new];
    version(false);
    assert!(f.run(&["render"], &[]).status.success());
    let rendered = f.dir.join("rendered");
    // A full render: the version changes every file, as in each kill below.
    let mut flip = false;
    let clean_render = fastest_of_three(|| {
        flip = !flip;
        version(flip);
        assert!(f.run(&["render"], &[]).status.success());
    }) * 3
        / 2;
    version(false);
    assert!(f.run(&["render"], &[]).status.success());
    let mut moments = Moments(0x5eed_0001);
    let mut mid_run = 0;
    for kill in 0..KILLS {
        let from = (kill % 2) as usize;
        let to = 1 - from;
        version(to == 1);
        let after = moments.next_below(clean_render);
        mid_run += u64::from(kill_after(f.command(&f.dir, &["render"], &[]), after));
        let killed = tree(&rendered);
        for (path, bytes) in &killed {
            if path.to_string_lossy().ends_with(".sitectl-tmp") {
                continue;
            }
            let known = references.iter().any(|r| r.get(path) == Some(bytes));
            assert!(
                known,
                "kill {kill} after {after:?}: {} is neither the old nor the new bytes",
                path.display()
            );
        }
        let next = f.run(&["render"], &[]);
        assert!(
            next.status.success(),
            "kill {kill} after {after:?}: {}",
            text(&next.stderr)
        );
        let recovered = tree(&rendered);
        assert_eq!(
            temporaries(&recovered),
            Vec::<&PathBuf>::new(),
            "kill {kill} after {after:?}"
        );
        assert!(
            recovered == references[to],
            "kill {kill} after {after:?}: the next render is not a clean render"
        );
    }
    assert!(mid_run >= KILLS / 4, "only {mid_run} kills came mid-run");
    // Exactly a clean render, as the pull-request gate sees it too.
    let check = f.run(&["diff", "--check"], &[]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
}

#[test]
fn a_promote_killed_at_any_moment_leaves_the_old_or_new_spec_with_its_mode_and_link() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new("crash-promote", &[]);
    let sites = f.dir.join("sites");
    let private = sites.join("private");
    std::fs::create_dir_all(&private).unwrap();
    let spec = private.join("northwind-trial.yaml");
    std::fs::rename(sites.join("northwind-trial.yaml"), &spec).unwrap();
    std::os::unix::fs::symlink(
        "private/northwind-trial.yaml",
        sites.join("northwind-trial.yml"),
    )
    .unwrap();
    let trial = std::fs::read(&spec).unwrap();
    // The promoted text, from a clean promote of a copy.
    let out = f.run(&["promote", "northwind-trial", "--to", "paid"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let paid = std::fs::read(&spec).unwrap();
    let mut moments = Moments(0x5eed_0002);
    let clean_promote = fastest_of_three(|| {
        std::fs::write(&spec, &trial).unwrap();
        assert!(
            f.run(&["promote", "northwind-trial", "--to", "paid"], &[])
                .status
                .success()
        );
    }) * 3
        / 2;
    let mut mid_run = 0;
    for kill in 0..KILLS {
        std::fs::write(&spec, &trial).unwrap();
        std::fs::set_permissions(&spec, std::fs::Permissions::from_mode(0o600)).unwrap();
        let after = moments.next_below(clean_promote);
        mid_run += u64::from(kill_after(
            f.command(&f.dir, &["promote", "northwind-trial", "--to", "paid"], &[]),
            after,
        ));
        let now = std::fs::read(&spec).unwrap();
        assert!(
            now == trial || now == paid,
            "kill {kill} after {after:?}: torn spec"
        );
        let mode = std::fs::metadata(&spec).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "kill {kill} after {after:?}");
        let link = std::fs::symlink_metadata(sites.join("northwind-trial.yml")).unwrap();
        assert!(link.file_type().is_symlink(), "kill {kill}");
        // The next run (a promote when the kill came first, else a no-op
        // validate) leaves no temporary file for `git add -A sites` to take.
        if now == trial {
            let next = f.run(&["promote", "northwind-trial", "--to", "paid"], &[]);
            assert!(next.status.success(), "kill {kill}: {}", text(&next.stderr));
            assert_eq!(std::fs::read(&spec).unwrap(), paid);
        }
        let left = tree(&sites);
        if now == paid {
            // Nothing reran in that folder: a temporary file, if any, is
            // removed by the next promote there. Prove it.
            std::fs::write(&spec, &trial).unwrap();
            assert!(
                f.run(&["promote", "northwind-trial", "--to", "paid"], &[])
                    .status
                    .success()
            );
        } else {
            assert_eq!(temporaries(&left), Vec::<&PathBuf>::new(), "kill {kill}");
        }
        assert_eq!(
            temporaries(&tree(&sites)),
            Vec::<&PathBuf>::new(),
            "kill {kill}"
        );
    }
    assert!(mid_run >= KILLS / 4, "only {mid_run} kills came mid-run");
}

#[test]
fn a_reclaim_killed_at_any_moment_leaves_no_lifted_guard_or_lock_after_the_next_run() {
    let tools = &["terraform", "helm", "docker", "az"];
    let f = Fixture::new("crash-reclaim", tools);
    let site = f.dir.join("rendered/northwind-trial");
    let override_file = site.join("terraform/sitectl_reclaim_override.tf");
    let reclaim = ["reclaim", "--yes", "northwind-trial"];
    let env = [("SITECTL_TODAY", "2026-12-20"), ("FAKE_SLOW", "0.05")];
    let spec = f.dir.join("sites/northwind-trial.yaml");
    let trial = std::fs::read(&spec).unwrap();
    let start = Instant::now();
    let first = f.run(&reclaim, &env);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let clean_reclaim = start.elapsed();
    let record = f
        .dir
        .join("sites/.reclaimed/2026-12-20/northwind-trial.yaml");
    assert!(record.exists() && !spec.exists() && !site.join(".sitectl-manifest").exists());
    let mut moments = Moments(0x5eed_0003);
    let mut mid_run = 0;
    for kill in 0..KILLS {
        // The trial back, as it was before the reclaim.
        std::fs::remove_file(&record).unwrap();
        std::fs::write(&spec, &trial).unwrap();
        assert!(f.run(&["render"], &[]).status.success(), "kill {kill}");
        let after = moments.next_below(clean_reclaim);
        mid_run += u64::from(kill_after(f.command(&f.dir, &reclaim, &env), after));
        // The next run recovers, as the scheduled workflow runs it: the
        // output checked (rendered again when the kill was mid-removal),
        // then reclaim, which takes over a dead lock, restores the guard
        // first and finishes what the stopped run began.
        if spec.exists() {
            let _ = f.run(&["render"], &[]);
            let next = f.run(&reclaim, &env);
            assert!(
                next.status.success(),
                "kill {kill} after {after:?}: {}",
                text(&next.stderr)
            );
        }
        assert!(
            !override_file.exists(),
            "kill {kill} after {after:?}: guard lifted"
        );
        assert!(
            !site.join(".sitectl-lock").exists(),
            "kill {kill}: lock left"
        );
        assert!(
            !spec.exists() && record.exists() && !site.join(".sitectl-manifest").exists(),
            "kill {kill} after {after:?}: not archived"
        );
        let check = f.run(&["diff", "--check"], &[]);
        assert_eq!(
            check.status.code(),
            Some(0),
            "kill {kill}: {}",
            text(&check.stderr)
        );
    }
    assert!(mid_run >= KILLS / 4, "only {mid_run} kills came mid-run");
}

/// Regression (streaming render): sites are staged a batch at a time, so a
/// refusal found after hundreds of sites were staged (a name taken twice is
/// only known at the end) must remove every staged file and every folder
/// the run made.
#[test]
fn a_render_refused_at_its_last_site_leaves_the_output_as_it_was() {
    let f = Fixture::new("refused-late", &[]);
    let sites = f.dir.join("sites");
    let example = std::fs::read_to_string(sites.join("northwind-trial.yaml")).unwrap();
    let fleet = |customer: &str, count: usize| {
        for i in 0..count {
            let name = format!("fleet-{i:03}");
            let text = example
                .replace("northwind-trial", &name)
                .replace("Northwind Academy", customer);
            std::fs::write(sites.join(format!("{name}.yaml")), text).unwrap();
        }
    };
    // More sites than one batch (256), all rendered.
    fleet("Northwind Academy", 300);
    assert!(f.run(&["render"], &[]).status.success());
    let rendered = f.dir.join("rendered");
    let before = tree(&rendered);

    // Every file changes, five sites are new, and the last spec in path
    // order takes the first one's name.
    fleet("Northwind Academy B", 305);
    let last = example.replace("northwind-trial", "fleet-000");
    std::fs::write(sites.join("zz-last.yaml"), last).unwrap();
    let refused = f.run(&["render"], &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stderr));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("sites/zz-last.yaml"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(
        tree(&rendered) == before,
        "a refused render changed the output"
    );
    for new in 300..305 {
        let folder = rendered.join(format!("fleet-{new:03}"));
        assert!(!folder.exists(), "{} was left", folder.display());
    }
}

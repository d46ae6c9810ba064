//! Fleet-scale change detection: `sitectl affected` (the release binary, as
//! CI runs it) over N synthetic sites committed with their rendered output
//! in a git repository, after a one-line spec change and after a one-line
//! template change; then the `--format matrix` a merge workflow reads,
//! `atlantis` and `gitops --engine flux` over every site, and `drift
//! --dry-run` (every site's commands, planned, none run).
//!
//! Run: `cargo bench --bench affected` (N defaults to 10,000; set
//! `SITECTL_BENCH_SITES` to change it, `SITECTL_BENCH_DIR` to work in
//! another folder than the system's temporary one). Each figure is the
//! median of 5 runs, whole process. Results go in BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[path = "common/fleet.rs"]
mod fleet;
#[path = "common/repository.rs"]
mod repository;
use repository::write_repository;

const RUNS: usize = 5;

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// The median wall time of `sitectl args` in `dir`, and its last stdout.
fn time(dir: &Path, args: &[&str], codes: &[i32]) -> (f64, String) {
    let mut times = Vec::new();
    let mut stdout = String::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_sitectl"))
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        times.push(start.elapsed().as_secs_f64());
        assert!(
            codes.contains(&out.status.code().unwrap_or(-1)),
            "sitectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    }
    times.sort_by(f64::total_cmp);
    (times[RUNS / 2], stdout)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn main() {
    let count: usize = std::env::var("SITECTL_BENCH_SITES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let base = std::env::var_os("SITECTL_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = base.join(format!("sitectl-affected-bench-{}", std::process::id()));
    write_repository(&dir, count);
    let (render, _) = time(&dir, &["render"], &[0]);
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "fleet"]);
    println!("{count} sites, rendered and committed (render with nothing changed: {render:.2} s)");

    let (nothing, found) = time(&dir, &["affected", "--base", "main"], &[0]);
    assert!(found.is_empty(), "{found}");
    println!("affected, nothing changed: {nothing:.2} s");

    // One line of one spec: exactly that site.
    let spec = dir.join("sites/group-000/site-00001.yaml");
    edit(&spec, "seats: 120", "seats: 121");
    let (one_spec, found) = time(&dir, &["affected", "--base", "main"], &[0]);
    assert_eq!(found.lines().count(), 1, "{found}");
    assert!(found.starts_with("site-00001 "), "{found}");
    println!("affected, one spec changed: {one_spec:.2} s, 1 site");
    git(&dir, &["checkout", "-q", "--", "sites"]);

    // One line of the managed blueprint's Terraform: exactly its sites.
    let template = dir.join("blueprints/managed/terraform/main.tf.j2");
    edit(&template, "= 300", "= 600");
    let (one_template, found) = time(&dir, &["affected", "--base", "main"], &[0]);
    let managed = (0..count)
        .filter(|i| fleet::KINDS[i % fleet::KINDS.len()].1 == "managed")
        .count();
    assert_eq!(found.lines().count(), managed, "{found}");
    assert!(
        found.lines().all(|l| l.ends_with("blueprint managed")),
        "{found}"
    );
    println!("affected, one template line changed: {one_template:.2} s, {managed} sites");
    let (matrix, printed) = time(
        &dir,
        &["affected", "--base", "main", "--format", "matrix"],
        &[0],
    );
    let jobs = printed.matches("\"shard\"").count();
    assert!(jobs <= 256, "{jobs} jobs");
    println!("affected --format matrix, the same change: {matrix:.2} s, {jobs} jobs");
    git(&dir, &["checkout", "-q", "--", "blueprints"]);

    let (atlantis, _) = time(&dir, &["atlantis", "--out", "atlantis.yaml"], &[0]);
    let projects = std::fs::read_to_string(dir.join("atlantis.yaml"))
        .unwrap()
        .matches("\n- name: ")
        .count();
    println!("atlantis: {atlantis:.2} s, {projects} projects");
    let (gitops, _) = time(
        &dir,
        &[
            "gitops",
            "--engine",
            "flux",
            "--repo-url",
            "https://git.example/sites.git",
        ],
        &[0],
    );
    println!("gitops --engine flux: {gitops:.2} s");

    let (drift, commands) = time(&dir, &["drift", "--dry-run"], &[0]);
    println!(
        "drift --dry-run, every site: {drift:.2} s, {} commands",
        commands.lines().count()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

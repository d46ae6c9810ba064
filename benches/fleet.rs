//! The fleet at sizes: `validate`, `render` into an empty folder, `render`
//! with nothing changed and `diff --check` of the unchanged fleet, each the
//! release binary as CI runs it (whole process: wall time and the peak
//! resident memory the kernel accounted to it), for each fleet size; and,
//! side by side in the same run, `cp -r` of the rendered tree into an empty
//! folder, the floor a render that writes every byte cannot beat.
//!
//! Run: `cargo bench --bench fleet` (sizes default to 1,000 and 10,000; set
//! `SITECTL_BENCH_SIZES=1000,10000,50000` for others, `SITECTL_BENCH_RUNS`
//! for the runs per figure (default 5; the median is printed),
//! `SITECTL_BENCH_DIR` to work in another folder than the system's
//! temporary one). Results go in BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[path = "common/fleet.rs"]
mod fleet;
#[path = "common/repository.rs"]
mod repository;
use repository::write_repository;

/// One finished run: wall seconds and peak resident MiB.
struct Run {
    wall: f64,
    peak_mib: f64,
}

/// Runs `command` to its end; its wall time and peak memory (from wait4,
/// the kernel's accounting of that one child).
// The child is reaped by wait4, which also reports its peak memory.
#[allow(clippy::zombie_processes)]
fn run(mut command: Command) -> Run {
    let start = Instant::now();
    let child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child, not yet reaped; status and usage are ours.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    assert_eq!(reaped, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{command:?} failed: run it by hand to see why"
    );
    Run {
        wall,
        peak_mib: usage.ru_maxrss as f64 / 1024.0,
    }
}

fn sitectl(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sitectl"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    command
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The median wall time and peak memory of `runs` runs of `make()`, each
/// after `before()` (not timed).
fn measure(runs: usize, mut before: impl FnMut(), mut make: impl FnMut() -> Command) -> (f64, f64) {
    let (mut walls, mut peaks) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        before();
        let done = run(make());
        walls.push(done.wall);
        peaks.push(done.peak_mib);
    }
    (median(walls), median(peaks))
}

fn main() {
    let sizes: Vec<usize> = std::env::var("SITECTL_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .expect("SITECTL_BENCH_SIZES: numbers, comma-separated")
        })
        .collect();
    let runs: usize = std::env::var("SITECTL_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let base = std::env::var_os("SITECTL_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);

    println!("| sites | what | wall (median of {runs}) | peak memory |");
    println!("| ---: | --- | ---: | ---: |");
    for count in sizes {
        let dir = base.join(format!(
            "sitectl-fleet-bench-{}-{count}",
            std::process::id()
        ));
        write_repository(&dir, count);
        let row = |what: &str, (wall, peak): (f64, f64)| {
            println!("| {count} | {what} | {wall:.2} s | {peak:.0} MiB |");
        };
        row(
            "`validate`",
            measure(runs, || {}, || sitectl(&dir, &["validate"])),
        );

        // Into an empty folder, in turns with `cp -r` of the same tree,
        // the ratio taken pair by pair.
        let rendered = dir.join("rendered");
        let copy = dir.join("copy");
        let fresh = |path: &Path| {
            let _ = std::fs::remove_dir_all(path);
        };
        run(sitectl(&dir, &["render"]));
        let reference = dir.join("reference");
        fresh(&reference);
        std::fs::rename(&rendered, &reference).unwrap();
        let (mut renders, mut copies, mut ratios, mut peaks) = (vec![], vec![], vec![], vec![]);
        for _ in 0..runs {
            fresh(&rendered);
            let render = run(sitectl(&dir, &["render"]));
            fresh(&copy);
            let mut cp = Command::new("cp");
            cp.arg("-r").arg(&reference).arg(&copy);
            let cp = run(cp);
            ratios.push(render.wall / cp.wall);
            renders.push(render.wall);
            copies.push(cp.wall);
            peaks.push(render.peak_mib);
        }
        row(
            "`render` into an empty folder",
            (median(renders), median(peaks)),
        );
        println!(
            "| {count} | `cp -r` of the rendered tree, in turns with it | {:.2} s | |",
            median(copies)
        );
        println!(
            "| {count} | render / cp -r, pair by pair | {:.2} | |",
            median(ratios)
        );
        fresh(&copy);
        fresh(&reference);
        row(
            "`render`, nothing changed",
            measure(runs, || {}, || sitectl(&dir, &["render"])),
        );
        row(
            "`diff --check`, nothing changed",
            measure(runs, || {}, || sitectl(&dir, &["diff", "--check"])),
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Render throughput: N synthetic sites (mixed tiers and deployments) through
//! the whole pipeline (validate, resolve, render with templates compiled
//! once, check every output in its language, write), into an empty folder
//! and then again with nothing changed.
//!
//! Run: `cargo bench --bench render` (N defaults to 1,000; set
//! `SITECTL_BENCH_SITES` to change it, `SITECTL_BENCH_DIR` to work in
//! another folder than the system's temporary one). Results go in BENCHMARKS.md.

use std::path::PathBuf;
use std::time::Instant;

use sitectl::Specs;
use sitectl::render_and_write;

#[path = "common/fleet.rs"]
mod fleet;
use fleet::write_sites;

/// Peak resident memory of this process so far, from /proc (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let count: usize = std::env::var("SITECTL_BENCH_SITES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000);
    // SITECTL_BENCH_DIR=/dev/shm measures the compiler without the disk.
    let base = std::env::var_os("SITECTL_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = base.join(format!("sitectl-render-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sites = dir.join("sites");
    write_sites(&sites, count);
    let out = dir.join("rendered");

    for pass in ["into an empty folder", "again, nothing changed"] {
        let start = Instant::now();
        let summary = render_and_write(
            Specs::Paths(vec![sites.clone()]),
            &root.join("blueprints"),
            &out,
            (None, sitectl::OutputCheck::Parse),
            &|_, _| {},
        )
        .unwrap_or_else(|diagnostics| panic!("{:#?}", diagnostics.first()));
        let time = start.elapsed().as_secs_f64();
        println!(
            "render {count} sites {pass}: {time:.3} s, {:.0} sites/s ({} written, {} unchanged)",
            count as f64 / time,
            summary.written,
            summary.unchanged
        );
    }
    if let Some(peak) = peak_rss_mib() {
        println!("peak memory: {peak:.0} MiB");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

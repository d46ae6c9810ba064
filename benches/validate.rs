//! Validation throughput: N synthetic sites of mixed tiers and deployments,
//! through every layer, as `sitectl validate` runs them; and the time to
//! refuse each kind of hostile input.
//!
//! Run: `cargo bench --bench validate` (N defaults to 10,000; set
//! `SITECTL_BENCH_SITES` to change it). Results go in BENCHMARKS.md.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sitectl::validate;

#[path = "common/fleet.rs"]
mod fleet;
use fleet::write_sites;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let blueprints = root.join("blueprints");
    let count: usize = std::env::var("SITECTL_BENCH_SITES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let dir = std::env::temp_dir().join(format!("sitectl-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write_sites(&dir, count);

    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let checked = validate(std::slice::from_ref(&dir), &blueprints);
        times.push(start.elapsed());
        assert_eq!(
            checked.sites.len(),
            count,
            "{:?}",
            checked.diagnostics.first()
        );
    }
    let time = median(times);
    println!(
        "validate {count} sites: median {:.3} s over 5 runs, {:.0} sites/s",
        time.as_secs_f64(),
        count as f64 / time.as_secs_f64()
    );

    let hostile: [(&str, Vec<u8>); 6] = [
        ("billion laughs", {
            let mut t = String::from("a0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
            for i in 1..10 {
                let alias = format!("*a{}", i - 1);
                t.push_str(&format!(
                    "a{i}: &a{i} [{}]\n",
                    [alias.as_str(); 9].join(",")
                ));
            }
            t.into_bytes()
        }),
        ("10,000-deep flow nesting", "[".repeat(10_000).into_bytes()),
        (
            "10,000-deep block nesting",
            ("- ".repeat(10_000) + "x\n").into_bytes(),
        ),
        ("5 MiB file", vec![b'#'; 5 * 1024 * 1024]),
        (
            "200,000 duplicate keys (under 1 MiB)",
            "k: 1\n".repeat(200_000).into_bytes(),
        ),
        (
            "80,000 distinct keys (1 MiB)",
            (0..80_000)
                .map(|i| format!("key{i:06}: 1\n"))
                .collect::<String>()
                .into_bytes(),
        ),
    ];
    for (what, bytes) in hostile {
        let file = dir.join("hostile.yaml");
        std::fs::write(&file, &bytes).unwrap();
        let mut times = Vec::new();
        for _ in 0..5 {
            let start = Instant::now();
            let checked = validate(std::slice::from_ref(&file), &blueprints);
            times.push(start.elapsed());
            assert!(!checked.diagnostics.is_empty());
        }
        println!(
            "refuse {what}: median {:.1} ms",
            median(times).as_secs_f64() * 1000.0
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

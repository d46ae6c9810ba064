//! What a run refuses and how it stops: locks (live and stale, `unlock`),
//! signals, timeouts, no --yes off a terminal, stale output, usage errors,
//! and which sites a run selects.

use std::path::Path;

use super::*;

#[test]
fn a_locked_site_is_refused_naming_the_holder() {
    let f = Fixture::new("lock", ALL);
    std::fs::write(
        f.dir.join("rendered/northwind-trial/.sitectl-lock"),
        "sitectl pid 4242 since 2026-11-22T10:00:00Z",
    )
    .unwrap();
    let out = f.run(&["plan", "northwind-trial"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("pid 4242"), "{all}");
    assert!(all.contains("refused: locked"), "{all}");
}

#[test]
fn apply_without_yes_off_a_terminal_is_refused() {
    let f = Fixture::new("noyes", ALL);
    let out = f.run(&["apply", "northwind-trial"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("without --yes when not on a terminal"));
    assert!(
        !f.calls()
            .iter()
            .any(|c| c.contains(" init ") || c.contains(" upgrade "))
    );
}

#[test]
fn a_stale_rendered_output_is_refused_with_the_fix() {
    let f = Fixture::new("stale", ALL);
    let spec = f.dir.join("sites/northwind-trial.yaml");
    let text_before = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text_before.replace("seats: 25", "seats: 24")).unwrap();
    let out = f.run(&["plan", "northwind-trial"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_says(&out, "stale or missing: run `sitectl render`");
}

#[test]
fn a_hanging_tool_is_stopped_at_the_timeout_and_the_others_finish() {
    let f = Fixture::new("hang", ALL);
    let start = std::time::Instant::now();
    let out = f.run(
        &[
            "plan",
            "--jobs",
            "2",
            "--timeout",
            "2",
            "--target",
            "terraform",
        ],
        &[("FAKE_HANG_SITE", "northwind-trial")],
    );
    assert!(
        start.elapsed() < std::time::Duration::from_secs(60),
        "the run waited for the hung tool"
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("northwind-trial") && l.contains("timed out")),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("acme-learning") && l.contains(" ok ")),
        "{stderr}"
    );
}

#[test]
fn an_unknown_target_is_a_usage_error_not_an_empty_run() {
    let f = Fixture::new("unknown-target", ALL);
    let out = f.run(&["plan", "--target", "terrafrom"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_says(&out, "[possible values: bicep, compose, helm, terraform]");
    assert_never_ran(&f, "terraform");
}

#[test]
fn misspelt_names_and_zero_jobs_are_usage_errors() {
    let f = Fixture::new("usage", ALL);
    let out = f.run(&["plan", "northwind-trail", "--dry-run"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_says(&out, "(did you mean `northwind-trial`?)");
    // A misspelt name must not leave the gate closed for the site meant.
    let out = f.run(
        &[
            "apply",
            "acme-learning",
            "--yes",
            "--allow-data-loss",
            "acme-learnig",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_says(&out, "--allow-data-loss acme-learnig: no site of that name");
    assert!(f.calls().iter().all(|c| !c.starts_with("terraform")));
    for (flag, says) in [
        ("--jobs", "`0` is not a whole number from 1 to 256"),
        ("--timeout", "`0` is not a whole number, 1 or more"),
    ] {
        let out = f.run(&["plan", flag, "0"], &[]);
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", text(&out.stderr));
        assert_says(&out, says);
    }
}

/// This machine's name, as a lock records it.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// Regression: Ctrl-C killed sitectl at once, leaving the tools running, no
/// summary, and a lock that refused every later run.
#[test]
fn an_interrupted_apply_stops_its_tools_prints_the_summary_and_releases_every_lock() {
    let f = Fixture::new("interrupt", ALL);
    let child = f
        .command(
            &f.dir,
            &[
                "apply",
                "northwind-trial",
                "acme-learning",
                "--yes",
                "--jobs",
                "1",
            ],
            &[("FAKE_HANG_SITE", "acme-learning")],
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let hanging = f.log.with_extension("log.hanging");
    let start = std::time::Instant::now();
    while !hanging.exists() {
        assert!(
            start.elapsed().as_secs() < 60,
            "the fake tool never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let tool: i32 = std::fs::read_to_string(&hanging)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: signals the sitectl process this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.starts_with("site"), "the summary table: {stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        stderr.contains("interrupted by SIGINT: every lock was released"),
        "{stderr}"
    );
    for site in ["acme-learning", "northwind-trial"] {
        assert!(
            !f.dir
                .join("rendered")
                .join(site)
                .join(".sitectl-lock")
                .exists(),
            "{site} is still locked"
        );
    }
    // The hanging tool was stopped with its run, not orphaned.
    assert!(
        !Path::new(&format!("/proc/{tool}")).exists(),
        "the tool (pid {tool}) still runs"
    );
}

#[test]
fn a_dead_holders_lock_is_taken_over_and_unlock_removes_only_a_dead_holders() {
    let f = Fixture::new("stale-lock", ALL);
    let lock = f.dir.join("rendered/northwind-trial/.sitectl-lock");
    // A pid no process has: the holder was killed.
    let dead = format!(
        "host={}\npid={}\nsince=2026-11-29T10:00:00Z\n",
        hostname(),
        i32::MAX
    );
    std::fs::write(&lock, &dead).unwrap();
    for action in [&["plan"][..], &["apply", "--yes"]] {
        let out = f.run(&[action, &["northwind-trial"]].concat(), &[]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains(&format!(
                "[northwind-trial] warning: took over the lock of sitectl pid {} on",
                i32::MAX
            )) && stdout.contains("which is gone (it was stopped)"),
            "{stdout}"
        );
        assert!(!lock.exists(), "released at the end");
        std::fs::write(&lock, &dead).unwrap();
    }
    let unlocked = f.run(&["unlock", "northwind-trial"], &[]);
    assert_eq!(
        unlocked.status.code(),
        Some(0),
        "{}",
        text(&unlocked.stderr)
    );
    assert!(!lock.exists());
    // Another host's lock is never taken over: sitectl cannot tell whether it runs.
    std::fs::write(
        &lock,
        format!("host=elsewhere-{}\npid=1\nsince=now\n", hostname()),
    )
    .unwrap();
    let out = f.run(&["plan", "northwind-trial"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("refused: locked"));
    assert!(lock.exists());
    // A live holder (this test) keeps its lock.
    std::fs::write(
        &lock,
        format!(
            "host={}\npid={}\nsince=now\n",
            hostname(),
            std::process::id()
        ),
    )
    .unwrap();
    let refused = f.run(&["unlock", "northwind-trial"], &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("held by a running process"));
    assert!(lock.exists());
    let unknown = f.run(&["unlock", "northwind-trail"], &[]);
    assert_eq!(unknown.status.code(), Some(2));
    // Never the rendered folder's own lock, or one outside it.
    for outside in ["..", "."] {
        assert_eq!(f.run(&["unlock", outside], &[]).status.code(), Some(2));
    }
}

/// Regression: the merge job's `apply --yes` tried to apply the self-hosted
/// site, which its customer operates, and failed on its `.env` secrets.
#[test]
fn a_site_its_customer_operates_is_skipped_unless_named() {
    let f = Fixture::new("delivered", ALL);
    let out = f.run(&["apply", "--yes", "--target", "compose"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_says(&out, "skipped `umbrella-airgap`: its customer operates it");
    assert!(
        !f.calls().iter().any(|c| c.contains("@ umbrella-airgap")),
        "{:#?}",
        f.calls()
    );
    let named = f.run(
        &["apply", "umbrella-airgap", "--yes", "--target", "compose"],
        &[],
    );
    assert_eq!(named.status.code(), Some(0), "{}", text(&named.stderr));
    assert!(
        f.calls()
            .iter()
            .any(|c| c.contains("up -d --wait") && c.contains("@ umbrella-airgap"))
    );
}

/// A CI job's share of the sites comes from a file: a selection, not a
/// naming, so a site its customer operates stays skipped; an empty share
/// hands off nothing (never "every site").
#[test]
fn sites_from_a_file_are_a_selection_and_an_empty_one_is_nothing() {
    let f = Fixture::new("sites-from", ALL);
    let list = f.dir.join("changed-sites.txt");
    std::fs::write(
        &list,
        "# changed in this push\nnorthwind-trial\numbrella-airgap\n",
    )
    .unwrap();
    let out = f.run(
        &["apply", "--yes", "--sites-from", list.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let calls = f.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("terraform apply") && c.contains("@ northwind-trial"))
    );
    assert!(
        !calls.iter().any(|c| c.contains("@ umbrella-airgap")),
        "{calls:#?}"
    );
    assert!(
        !calls.iter().any(|c| c.contains("@ acme-learning")),
        "{calls:#?}"
    );
    assert!(text(&out.stderr).contains("skipped `umbrella-airgap`"));
    std::fs::remove_file(&f.log).unwrap();
    std::fs::write(&list, "").unwrap();
    let none = f.run(
        &["apply", "--yes", "--sites-from", list.to_str().unwrap()],
        &[],
    );
    assert_eq!(none.status.code(), Some(0), "{}", text(&none.stderr));
    assert_only_probes(&f);
}

/// Every process a fake left behind (their pids in `$FAKE_LOG.orphans`) is gone.
fn assert_no_orphans(f: &Fixture) {
    let pids = std::fs::read_to_string(f.log.with_extension("log.orphans")).unwrap();
    assert!(!pids.trim().is_empty());
    for pid in pids.split_whitespace() {
        // Reaped by init or still a zombie for a moment: never running on.
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let running = state
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'));
        assert!(!running, "pid {pid} still runs: {state}");
    }
}

#[test]
fn the_timeout_stops_a_tool_that_never_stops_talking_and_all_it_started() {
    let f = Fixture::new("chatty", ALL);
    let start = std::time::Instant::now();
    let out = f.run(
        &[
            "plan",
            "northwind-trial",
            "--timeout",
            "2",
            "--target",
            "terraform",
        ],
        &[("FAKE_CHATTY_SITE", "northwind-trial")],
    );
    assert!(
        start.elapsed() < std::time::Duration::from_secs(30),
        "the deadline holds however much the tool prints"
    );
    assert_eq!(out.status.code(), Some(1));
    assert_says(&out, "timed out");
    assert_no_orphans(&f);
}

#[test]
fn what_a_tool_leaves_running_when_it_exits_is_stopped_not_waited_for() {
    let f = Fixture::new("orphan", ALL);
    let start = std::time::Instant::now();
    let out = f.run(
        &["plan", "northwind-trial", "--target", "terraform"],
        &[("FAKE_ORPHAN_SITE", "northwind-trial")],
    );
    assert!(
        start.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_no_orphans(&f);
}

/// Real Terraform refuses to plan the replacement of a resource that sets
/// prevent_destroy, whatever sitectl's gate allows: `--allow-data-loss SITE`
/// lifts it for that site's run alone (the reclaim's override, under its
/// own header), says so in a dry run, and removes it after.
#[test]
fn allowing_data_loss_lifts_prevent_destroy_for_that_sites_run_only() {
    let f = Fixture::new("allow-lifts", ALL);
    let args = [
        "apply",
        "acme-learning",
        "northwind-trial",
        "--target",
        "terraform",
        "--yes",
        "--allow-data-loss",
        "acme-learning",
    ];
    let dry = f.run(&[&args[..], &["--dry-run"]].concat(), &[]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    assert!(
        text(&dry.stdout).contains(
            "write rendered/acme-learning/terraform/sitectl_reclaim_override.tf (lifts prevent_destroy from 2 data-bearing resources for the apply, removed after)"
        ),
        "{}",
        text(&dry.stdout)
    );
    assert!(!text(&dry.stdout).contains("northwind-trial/terraform/sitectl_reclaim"));
    let out = f.run(&args, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let calls = f.calls();
    let lifted: Vec<&String> = calls
        .iter()
        .filter(|c| c.starts_with("override present"))
        .collect();
    assert!(
        !lifted.is_empty()
            && lifted
                .iter()
                .all(|c| c.ends_with("@ acme-learning/terraform")),
        "{calls:?}"
    );
    for site in ["acme-learning", "northwind-trial"] {
        let file = f
            .dir
            .join("rendered")
            .join(site)
            .join("terraform/sitectl_reclaim_override.tf");
        assert!(!file.exists(), "{} is left after the run", file.display());
    }
}

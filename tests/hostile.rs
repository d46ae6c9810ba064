//! Hostile YAML is refused quickly and clearly: every input below ends in a
//! located error from a real run of the binary, never a panic or a hang.
//!
//! The timeout here is a hang detector, not a speed test: parse times are
//! measured by `benches/validate.rs` and recorded in BENCHMARKS.md.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Far above the ~10 ms each case takes; only a hang or a blow-up reaches it.
const HANG_LIMIT: Duration = Duration::from_secs(10);

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("sitectl-hostile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, file: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(file);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `sitectl validate --format json PATH` from the repository root,
/// killing it if it outlives [`HANG_LIMIT`].
fn validate(path: &Path) -> Run {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sitectl"))
        .args(["validate", "--format", "json"])
        .arg(path)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).unwrap();
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > HANG_LIMIT {
            child.kill().unwrap();
            panic!(
                "sitectl validate {} hung for more than {HANG_LIMIT:?}",
                path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// The first diagnostic of a run that refused `path` (exit code 1).
fn first_diagnostic(path: &Path) -> serde_json::Value {
    let run = validate(path);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let mut report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    report["diagnostics"][0].take()
}

/// Asserts one run refused `path` with exactly one diagnostic of `code` at
/// `line:column`, and says so in words.
fn assert_refused(path: &Path, code: &str, line: usize, column: usize, words: &str) {
    let run = validate(path);
    assert_eq!(
        run.code,
        Some(1),
        "exit code for {}: {}{}",
        path.display(),
        run.stdout,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{:#}", report);
    let d = &diagnostics[0];
    assert_eq!(d["code"], code, "{d:#}");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(line as u64), Some(column as u64)),
        "{d:#}"
    );
    assert!(
        d["file"]
            .as_str()
            .unwrap()
            .ends_with(path.file_name().unwrap().to_str().unwrap())
    );
    let message = d["message"].as_str().unwrap();
    assert!(message.contains(words), "`{message}` should say `{words}`");
}

#[test]
fn billion_laughs_is_refused_at_the_first_anchor() {
    let scratch = Scratch::new("laughs");
    let mut text = String::from(
        "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        let row = [prev.as_str(); 9].join(",");
        text.push_str(&format!("a{i}: &a{i} [{row}]\n"));
    }
    let path = scratch.write("laughs.yaml", &text);
    let run = validate(&path);
    assert_eq!(run.code, Some(1));
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    // Anchors and aliases are reported up to the error cap, none is expanded.
    assert_eq!(diagnostics[0]["code"], "yaml-anchor");
    assert_eq!(
        (
            diagnostics[0]["line"].as_u64(),
            diagnostics[0]["column"].as_u64()
        ),
        (Some(1), Some(5))
    );
    assert!(diagnostics.iter().any(|d| d["code"] == "yaml-alias"));
    assert!(diagnostics.iter().all(|d| {
        ["yaml-anchor", "yaml-alias", "yaml-too-many-errors"].contains(&d["code"].as_str().unwrap())
    }));
}

#[test]
fn ten_thousand_deep_flow_nesting_is_refused() {
    let scratch = Scratch::new("deep-flow");
    let path = scratch.write("deep-flow.yaml", "[".repeat(10_000) + &"]".repeat(10_000));
    let d = first_diagnostic(&path);
    assert_eq!(d["code"], "yaml-too-deep", "{d:#}");
    assert_eq!(d["line"], 1);
}

#[test]
fn ten_thousand_deep_block_nesting_is_refused_at_the_cap() {
    let scratch = Scratch::new("deep-block");
    // `- - - x` nests block sequences on one line: 10,000 levels in 20 kB.
    let text = "- ".repeat(10_000) + "x\n";
    let path = scratch.write("deep-block.yaml", text);
    let d = &first_diagnostic(&path);
    assert_eq!(d["code"], "yaml-too-deep", "{d:#}");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(1), Some(129)),
        "{d:#}"
    );
}

#[test]
fn a_five_mebibyte_file_is_refused_before_it_is_read() {
    let scratch = Scratch::new("large");
    let line = "# padding padding padding padding padding padding padding padding\n";
    let path = scratch.write("large.yaml", line.repeat(5 * 1024 * 1024 / line.len() + 1));
    let d = &first_diagnostic(&path);
    assert_eq!(d["code"], "read-too-large", "{d:#}");
    assert!(d["message"].as_str().unwrap().contains("1048576"), "{d:#}");
}

#[test]
fn duplicate_keys_are_refused_at_the_second_key() {
    let scratch = Scratch::new("dup");
    let path = scratch.write(
        "dup.yaml",
        "apiVersion: sitectl/v1\nkind: Site\nkind: Site\n",
    );
    assert_refused(&path, "yaml-duplicate-key", 3, 1, "duplicate key `kind`");
}

#[test]
fn tags_are_refused() {
    let scratch = Scratch::new("tags");
    let path = scratch.write("tags.yaml", "apiVersion: !!binary c2l0ZWN0bA==\n");
    assert_refused(&path, "yaml-tag", 1, 13, "tags are not allowed");
    let path = scratch.write(
        "custom-tag.yaml",
        "apiVersion: !ruby/object:Gem::Installer x\n",
    );
    assert_refused(&path, "yaml-tag", 1, 13, "tags are not allowed");
}

#[test]
fn binary_garbage_is_refused_as_not_utf8_at_the_first_bad_byte() {
    let scratch = Scratch::new("garbage");
    let mut bytes = b"apiVersion: sitectl/v1\nkind: ".to_vec();
    // A deterministic pseudo-random tail that is not UTF-8.
    let mut x: u32 = 0x2545_f491;
    bytes.push(0xff);
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push((x & 0xff) as u8);
    }
    let path = scratch.write("garbage.yaml", bytes);
    assert_refused(&path, "read-not-utf8", 2, 7, "not valid UTF-8");
}

#[test]
fn printable_garbage_is_a_located_syntax_or_schema_error() {
    let scratch = Scratch::new("noise");
    let path = scratch.write("noise.yaml", "}{ ][ :: - ? ,, \"unterminated\n\t\tx: [\n");
    let d = first_diagnostic(&path);
    assert_eq!(d["code"], "yaml-syntax", "{d:#}");
}

#[test]
fn empty_and_comment_only_files_are_refused() {
    let scratch = Scratch::new("empty");
    let path = scratch.write("empty.yaml", "");
    assert_refused(&path, "yaml-empty", 1, 1, "no YAML document");
    let path = scratch.write(
        "comments.yaml",
        "# yaml-language-server: $schema=x\n# nothing else\n",
    );
    assert_refused(&path, "yaml-empty", 1, 1, "no YAML document");
}

#[test]
fn several_documents_are_refused_at_the_second() {
    let scratch = Scratch::new("docs");
    let path = scratch.write(
        "docs.yaml",
        "apiVersion: sitectl/v1\n---\napiVersion: sitectl/v1\n",
    );
    assert_refused(
        &path,
        "yaml-multiple-documents",
        2,
        1,
        "more than one YAML document",
    );
}

#[test]
fn a_directory_named_like_a_spec_is_refused() {
    let scratch = Scratch::new("dir");
    let path = scratch.0.join("folder.yaml");
    std::fs::create_dir_all(&path).unwrap();
    let d = first_diagnostic(&path);
    assert_eq!(d["code"], "read-not-a-file", "{d:#}");
}

#[cfg(unix)]
#[test]
fn a_pipe_named_like_a_spec_is_refused_without_blocking() {
    let scratch = Scratch::new("fifo");
    let path = scratch.0.join("pipe.yaml");
    let made = Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(made.success());
    let d = first_diagnostic(&path);
    assert_eq!(d["code"], "read-not-a-file", "{d:#}");
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_a_located_error() {
    // Root reads through permissions, so a dangling link stands in for a
    // file that cannot be opened.
    let scratch = Scratch::new("unreadable");
    let path = scratch.0.join("gone.yaml");
    std::os::unix::fs::symlink(scratch.0.join("missing-target.yaml"), &path).unwrap();
    let d = &first_diagnostic(&path);
    assert_eq!(d["code"], "read-io", "{d:#}");
    assert!(
        d["message"].as_str().unwrap().contains("no such file"),
        "{d:#}"
    );
}

#[test]
fn yes_no_on_off_stay_strings() {
    let scratch = Scratch::new("norway");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sites/umbrella-airgap.yaml"),
    )
    .unwrap()
    .replace("airGapped: true", "airGapped: yes");
    let path = scratch.write("umbrella-airgap.yaml", text);
    let d = &first_diagnostic(&path);
    assert_eq!(d["code"], "schema-wrong-type", "{d:#}");
    assert!(
        d["message"].as_str().unwrap().contains("found a string"),
        "{d:#}"
    );
}

#[test]
fn every_hostile_file_in_one_folder_is_reported_in_one_run() {
    let scratch = Scratch::new("together");
    scratch.write("a-dup.yaml", "a: 1\na: 2\n");
    scratch.write("b-tag.yaml", "a: !!str 1\n");
    scratch.write("c-empty.yaml", "");
    scratch.write("d-garbage.yaml", [0xfe, 0xff, 0x00, 0x41]);
    let run = validate(&scratch.0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "yaml-duplicate-key",
            "yaml-tag",
            "yaml-empty",
            "read-not-utf8"
        ]
    );
    assert_eq!(report["files"], 4);
}

#[test]
fn regression_a_spec_on_one_long_line_does_not_take_quadratic_time() {
    // 300 kB on one line took minutes when columns were counted from the
    // start of the line for every node; the hang detector catches a relapse.
    let scratch = Scratch::new("long-line");
    let list = vec!["1"; 150_000].join(",");
    let path = scratch.write("long-line.yaml", format!("apiVersion: [{list}]\n"));
    let d = first_diagnostic(&path);
    assert_eq!(d["line"], 1, "{d:#}");
}

#[test]
fn regression_a_repeated_item_in_a_long_list_is_found_in_one_pass() {
    let scratch = Scratch::new("long-list");
    let items: String = (0..60_000).map(|i| format!("    - f{i}\n")).collect();
    let text = format!("apiVersion: sitectl/v1\nkind: Site\nspec:\n  features:\n{items}    - f0\n");
    let path = scratch.write("long-list.yaml", text);
    let run = validate(&path);
    assert_eq!(run.code, Some(1));
}

#[test]
fn regression_a_null_feature_list_is_not_a_missing_domain() {
    let scratch = Scratch::new("null-features");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sites/northwind-trial.yaml"),
    )
    .unwrap()
    .replace("features: [sso]", "features:");
    let path = scratch.write("northwind-trial.yaml", text);
    let d = first_diagnostic(&path);
    assert_eq!(d["code"], "schema-wrong-type", "{d:#}");
    assert!(d["message"].as_str().unwrap().contains("features"), "{d:#}");
}

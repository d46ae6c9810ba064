//! The injection suite: hostile customer names (and labels) must come back byte-identical
//! as literal values when each output is read by its real consumer, and must
//! not add a single resource, key or variable (ARCHITECTURE.md, "Injection-proof").

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{filled_env_file, require_tool, run_checked};
use serde_json::Value as Json;

/// Every string here is a valid `metadata.customer`.
const HOSTILE: &[&str] = &[
    r#"Quote " double"#,
    "Quote ' single",
    "Quotes `back` “curly” ‘single’",
    r"Back\slash \\ \n \u0041 \x41",
    r#"${file("/etc/passwd")}"#,
    "%{ if true }x%{ endif }",
    "$HOME and ${HOME} and $$HOME",
    "$${x}",
    "{{ .Values }} {{- .Release.Name }}",
    "''' triple '''",
    "line one\nline two",
    "carriage\rreturn",
    "tab\there \u{1} \u{1b}[31m \u{7f}",
    "line\u{2028}separator\u{2029}paragraph \u{85}next",
    "no",
    "on",
    "~",
    "1_000",
    "12:30",
    "- x",
    "# y",
    "key: value",
    "🎓 Ünïcødé 学校",
    "مدرسة שלום \u{202e}evil\u{202c}",
    "null",
    // Regression (fuzzing): where a Bicep token starts, `//` read as a comment.
    "//comment",
    "'//after an escape /*",
    // Found by fuzzing: whitespace before the pair is skipped, then a comment.
    " //leading space",
];

const EXAMPLES: &[&str] = &[
    "northwind-trial",
    "globex-dedicated",
    "initech-byoi",
    "umbrella-airgap",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Injected {
    out: PathBuf,
}

/// Renders a baseline and one copy per hostile string of each example.
fn rendered() -> &'static Injected {
    static DONE: std::sync::OnceLock<Injected> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("sitectl-injection-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let sites = dir.join("sites");
        std::fs::create_dir_all(&sites).unwrap();
        for example in EXAMPLES {
            let text =
                std::fs::read_to_string(root().join("sites").join(format!("{example}.yaml")))
                    .unwrap()
                    .replace(
                        "targets: [compose, helm]",
                        "targets: [compose, helm, bicep]",
                    );
            let customer_line = text
                .lines()
                .find(|l| l.trim_start().starts_with("customer:"))
                .unwrap()
                .to_string();
            let baseline = text
                .replace(
                    &format!("name: {example}"),
                    &format!("name: {example}-base"),
                )
                .replace(&customer_line, "  customer: \"Benign Customer\"")
                .replace("labels: {", "labels: {note: \"Benign note\", ");
            std::fs::write(sites.join(format!("{example}-base.yaml")), baseline).unwrap();
            for (i, hostile) in HOSTILE.iter().enumerate() {
                let quoted = serde_json::to_string(hostile).unwrap();
                let spec = text
                    .replace(
                        &format!("name: {example}"),
                        &format!("name: {example}-h{i:02}"),
                    )
                    .replace(&customer_line, &format!("  customer: {quoted}"))
                    // A label too: free text lands in two places.
                    .replace("labels: {", &format!("labels: {{note: {quoted}, "));
                std::fs::write(sites.join(format!("{example}-h{i:02}.yaml")), spec).unwrap();
            }
        }
        crate::common::render(&sites, &dir.join("rendered"));
        Injected {
            out: dir.join("rendered"),
        }
    })
}

fn site_dir(example: &str, case: Option<usize>) -> PathBuf {
    let name = match case {
        Some(i) => format!("{example}-h{i:02}"),
        None => format!("{example}-base"),
    };
    rendered().out.join(name)
}

/// Every key path of a JSON document (values left out): the shape a hostile
/// value must not change.
fn shape(value: &Json, path: &str, out: &mut BTreeSet<String>) {
    match value {
        Json::Object(map) => {
            for (k, v) in map {
                let here = format!("{path}/{k}");
                out.insert(here.clone());
                shape(v, &here, out);
            }
        }
        Json::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                shape(v, &format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn shape_of(value: &Json) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    shape(value, "", &mut out);
    // The site's own name differs between copies; keys that carry it are not shape.
    out.into_iter()
        .map(|p| p.replace(|c: char| c.is_ascii_digit(), "#"))
        .collect()
}

fn strings(value: &Json, out: &mut Vec<String>) {
    match value {
        Json::String(s) => out.push(s.clone()),
        Json::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Json::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

fn contains_string(value: &Json, wanted: &str) -> bool {
    let mut all = Vec::new();
    strings(value, &mut all);
    all.iter().any(|s| s == wanted)
}

fn dump(args: &[&str], files: &[PathBuf]) -> Json {
    let mut command = Command::new("python3");
    command
        .arg(root().join("tests/conformance/dump.py"))
        .args(args)
        .args(files);
    serde_json::from_str(&run_checked(command, "the consumer dump")).unwrap()
}

fn hcl_dump(files: &[PathBuf]) -> Json {
    require_tool("node", "apt-get install nodejs");
    let mut command = Command::new("node");
    command
        .arg(root().join("tests/conformance/hcl_dump.mjs"))
        .args(files);
    serde_json::from_str(&run_checked(command, "HashiCorp's HCL parser")).unwrap()
}

fn tf_files(dir: &Path) -> Vec<PathBuf> {
    crate::common::files_with_extension(dir.join("terraform"), "tf")
}

#[test]
fn terraform_reads_every_hostile_customer_back_literally() {
    for example in ["northwind-trial", "globex-dedicated"] {
        let base_files = tf_files(&site_dir(example, None));
        assert!(!base_files.is_empty());
        let cases: Vec<Vec<PathBuf>> = (0..HOSTILE.len())
            .map(|i| tf_files(&site_dir(example, Some(i))))
            .collect();
        // One parser process for every file of every case: it loads a
        // WebAssembly build of the Go parser, which takes a while to start.
        let all: Vec<PathBuf> = base_files
            .iter()
            .chain(cases.iter().flatten())
            .cloned()
            .collect();
        let parsed = hcl_dump(&all);
        let read = |f: &PathBuf| parsed[f.to_str().unwrap()].clone();
        let base_shape: Vec<_> = base_files.iter().map(|f| shape_of(&read(f))).collect();
        for (files, hostile) in cases.iter().zip(HOSTILE) {
            let documents = Json::Array(files.iter().map(read).collect());
            assert!(
                contains_string(&documents, hostile),
                "{example}: HCL does not hold {hostile:?} literally: {documents}"
            );
            for (f, want) in files.iter().zip(&base_shape) {
                assert_eq!(
                    &shape_of(&read(f)),
                    want,
                    "{hostile:?} changed the shape of {}",
                    f.display()
                );
            }
        }
    }
}

#[test]
fn helm_reads_every_hostile_customer_back_literally() {
    for example in EXAMPLES {
        let base_file = site_dir(example, None).join("helm/values.yaml");
        let base = dump(&["helm"], std::slice::from_ref(&base_file));
        let base_shape = shape_of(&base[base_file.to_str().unwrap()]);
        let files: Vec<PathBuf> = (0..HOSTILE.len())
            .map(|i| site_dir(example, Some(i)).join("helm/values.yaml"))
            .collect();
        let values = dump(&["helm"], &files);
        for (i, (file, hostile)) in files.iter().zip(HOSTILE).enumerate() {
            let read = &values[file.to_str().unwrap()];
            assert_eq!(
                read["site"]["customer"],
                Json::from(*hostile),
                "{example} case {i}"
            );
            assert_eq!(
                shape_of(read),
                base_shape,
                "{hostile:?} changed the values' keys"
            );
        }
    }
}

#[test]
fn docker_compose_reads_every_hostile_customer_back_literally() {
    require_tool("docker-compose", "apt-get install docker-compose");
    let base_dir = site_dir("umbrella-airgap", None).join("compose");
    let env = filled_env_file(&base_dir.join(".env.example"));
    let base_file = base_dir.join("compose.yaml");
    let base = dump(&["compose"], &[base_file.clone(), env]);
    let base_shape = shape_of(&base[base_file.to_str().unwrap()]);
    for (i, hostile) in HOSTILE.iter().enumerate() {
        let dir = site_dir("umbrella-airgap", Some(i)).join("compose");
        let env = filled_env_file(&dir.join(".env.example"));
        let file = dir.join("compose.yaml");
        let config = dump(&["compose"], &[file.clone(), env.clone()]);
        let read = &config[file.to_str().unwrap()];
        assert!(
            contains_string(read, hostile),
            "compose does not hold {hostile:?} literally: {read}"
        );
        assert_eq!(
            shape_of(read),
            base_shape,
            "{hostile:?} changed the compose file's keys"
        );
        // No variable docker-compose would warn about as unset.
        let stderr = config["stderr"].as_str().unwrap_or_default();
        assert!(
            !stderr.contains("variable is not set"),
            "{hostile:?} made a variable: {stderr}"
        );
    }
}

#[test]
fn bicep_reads_every_hostile_customer_back_literally() {
    for example in ["initech-byoi", "umbrella-airgap"] {
        let base_files =
            crate::common::files_with_extension(site_dir(example, None).join("bicep"), "bicep");
        assert!(!base_files.is_empty(), "{example} renders no Bicep");
        let base = dump(&["bicep"], &base_files);
        for (i, hostile) in HOSTILE.iter().enumerate() {
            let files = crate::common::files_with_extension(
                site_dir(example, Some(i)).join("bicep"),
                "bicep",
            );
            let parsed = dump(&["bicep"], &files);
            let mut found = false;
            for (file, base_file) in files.iter().zip(&base_files) {
                let read = &parsed[file.to_str().unwrap()];
                let want = &base[base_file.to_str().unwrap()];
                assert_eq!(read["errors"], 0, "{hostile:?} broke {}", file.display());
                assert_eq!(
                    read["declarations"], want["declarations"],
                    "{hostile:?} changed the declarations"
                );
                assert_eq!(
                    read["interpolations"], want["interpolations"],
                    "{hostile:?} made an interpolation"
                );
                found |= read["strings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s == hostile);
            }
            assert!(
                found,
                "{example}: Bicep does not hold {hostile:?} literally"
            );
        }
    }
}

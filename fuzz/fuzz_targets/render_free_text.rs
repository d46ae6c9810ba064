//! Fuzzer strings in the free-text fields of a spec (the customer's name,
//! a label's value) through validate, render and the output check of every
//! language (HCL, Bicep, Helm values, Compose): a spec that validates must
//! render, and the customer must read back exactly from the Helm values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sitectl::fuzzing::{blueprints, render_spec_text, yaml_string};
use sitectl::yaml::{self, Value};

/// The examples with every output language between them, the self-hosted
/// one asking for all three of its targets.
fn examples() -> [(String, &'static str); 2] {
    let sites = blueprints().parent().unwrap().join("sites");
    let read = |name: &str| std::fs::read_to_string(sites.join(format!("{name}.yaml"))).unwrap();
    [
        (read("globex-dedicated"), "globex-dedicated"),
        (
            read("umbrella-airgap").replace(
                "targets: [compose, helm]",
                "targets: [compose, helm, bicep]",
            ),
            "umbrella-airgap",
        ),
    ]
}

fuzz_target!(|input: (&str, &str, bool)| {
    let (customer, label, selfhosted) = input;
    let (example, name) = &examples()[usize::from(selfhosted)];
    let mut text = String::new();
    for line in example.lines() {
        if line.starts_with("  customer: ") {
            text.push_str(&format!("  customer: {}\n", yaml_string(customer)));
        } else if line.starts_with("  labels: {") {
            text.push_str(&format!("  labels: {{note: {}}}\n", yaml_string(label)));
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    let Some(rendered) = render_spec_text(text, name) else {
        return; // refused by validation, with its diagnostics drawn
    };
    let files = rendered.unwrap_or_else(|problems| {
        panic!(
            "a valid spec (customer {customer:?}, label {label:?}) did not render: {:?}",
            problems.iter().map(|d| &d.message).collect::<Vec<_>>()
        )
    });
    let values = files
        .iter()
        .find(|f| f.output == "values.yaml")
        .expect("both examples render Helm values");
    let root = yaml::parse(&values.contents).expect("the check parsed it already");
    let read = root
        .get("site")
        .and_then(|s| s.get("customer"))
        .map(|n| &n.value);
    assert!(
        matches!(read, Some(Value::Str(text, _)) if text == customer),
        "{customer:?} read back as {read:?}"
    );
});

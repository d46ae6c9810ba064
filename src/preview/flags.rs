//! `sitectl preview`'s input: a site spec built from command-line flags, and
//! the way back from a place in that spec to the flag that wrote it, so that
//! a diagnostic points at what the sales engineer typed, not at a file they
//! never saw.

use std::ops::Range;
use std::path::PathBuf;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::span::Span;
use crate::diagnostic::words::shell_quoted;
use crate::render::escape::yaml_string as quoted;
use crate::source::load::Source;
use crate::source::yaml::{self, Entry, Node, Value};
use crate::spec::{Deployment, Tier};
use crate::validate::catalog::Catalog;

/// The file name diagnostics about the flags are reported against.
pub const COMMAND_LINE: &str = "command line";

/// A flag of `sitectl preview` that puts a value into the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Tier,
    Deployment,
    Customer,
    Name,
    Seats,
    Features,
    Domain,
    /// The n-th `--set`, in the order given.
    Set(usize),
}

/// Why the flags cannot become a spec at all: a usage error (exit 2).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    #[error("--set {0}: expected PATH=VALUE, e.g. --set spec.seats=20")]
    SetSyntax(String),
    #[error(
        "--set {arg}: `{path}` is not a path: dotted keys of letters, digits, `_` and `-` (a number indexes a list), e.g. spec.resources.cpu or metadata.labels.team"
    )]
    SetPath { arg: String, path: String },
    #[error("--set {arg}: the value is not a YAML value: {message}")]
    SetValue { arg: String, message: String },
    #[error(
        "--customer {0:?} gives no site name: nothing of it is a letter or a digit, even transliterated; name the site with --name, e.g. --name acme-learning"
    )]
    NoName(String),
}

/// What the flags say, already defaulted by the command.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    pub tier: Tier,
    pub deployment: Deployment,
    /// `None`: the flag was not given (the customer is then a placeholder).
    pub customer: Option<&'a str>,
    pub name: Option<&'a str>,
    pub seats: Option<u32>,
    pub features: &'a [String],
    pub sets: &'a [String],
    pub app_version: &'a str,
    pub today: jiff::civil::Date,
    /// `--domain`: the customer's own address (turns on `custom-domain`).
    pub domain: Option<&'a str>,
}

/// The customer of a preview that names none.
pub const DEFAULT_CUSTOMER: &str = "Prospect";

/// The command line as a one-line source, and where each flag sits in it.
#[derive(Debug, Clone)]
pub struct CommandLine {
    pub text: String,
    flags: Vec<(Flag, Range<usize>)>,
}

impl CommandLine {
    fn span_of(&self, flag: Flag) -> Range<usize> {
        self.flags
            .iter()
            .find(|(f, _)| *f == flag)
            .or_else(|| self.flags.first())
            .map_or(0..self.text.len(), |(_, r)| r.clone())
    }
}

/// A spec built from flags, with what it takes to map its places back.
#[derive(Debug, Clone)]
pub struct Built {
    pub source: Source,
    pub command: CommandLine,
    /// Which flag set each path (later entries win over earlier ones).
    origins: Vec<(Vec<String>, Flag)>,
    /// Byte range of every entry and list item in the spec's text.
    places: Vec<(Vec<String>, Range<usize>)>,
}

pub use crate::lifecycle::names::site_name;

/// Builds the spec `sitectl new` would write for these flags, then applies
/// `--seats`, `--features` and every `--set` in order.
pub fn build(inputs: &Inputs<'_>, catalog: &Catalog) -> Result<Built, SpecError> {
    let customer = inputs.customer.unwrap_or(DEFAULT_CUSTOMER);
    let name = match inputs.name {
        Some(name) => name.to_string(),
        None => site_name(customer).ok_or_else(|| SpecError::NoName(customer.to_string()))?,
    };
    let args = crate::lifecycle::scaffold::NewSite {
        name: name.clone(),
        tier: inputs.tier,
        deployment: inputs.deployment,
        dir: PathBuf::from("sites"),
        customer: Some(customer.to_string()),
        contact: None,
        cloud: crate::spec::Cloud::Azure,
        region: "eastus".into(),
        app_version: Some(inputs.app_version.to_string()),
        // A preview shows a byoi site with placeholder IDs: it deploys nothing.
        azure: Default::default(),
        labels: Default::default(),
    };
    let text = crate::lifecycle::scaffold::spec_text(
        &args,
        catalog,
        inputs.today,
        inputs.app_version,
        "../schemas/site.schema.json",
    );
    let mut root = yaml::parse(&text).expect("`sitectl new` writes YAML");
    let at = |p: &str| p.split('.').map(str::to_string).collect::<Vec<_>>();
    let name_flag = if inputs.name.is_some() {
        Flag::Name
    } else if inputs.customer.is_some() {
        Flag::Customer
    } else {
        Flag::Tier
    };
    let mut origins = vec![
        (at("spec.tier"), Flag::Tier),
        (at("spec.deployment"), Flag::Deployment),
        (at("spec.byoi"), Flag::Deployment),
        (at("spec.selfhosted"), Flag::Deployment),
        (at("metadata.name"), name_flag),
    ];
    if inputs.customer.is_some() {
        origins.push((at("metadata.customer"), Flag::Customer));
    }
    if let Some(seats) = inputs.seats {
        let value = scalar(Value::Int(i64::from(seats)));
        set(&mut root, &at("spec.seats"), value.clone());
        origins.push((at("spec.seats"), Flag::Seats));
        // The license grants the seats a preview asks for.
        if root.get("spec").and_then(|s| s.get("license")).is_some() {
            set(&mut root, &at("spec.license.seats"), value);
            origins.push((at("spec.license.seats"), Flag::Seats));
        }
    }
    if !inputs.features.is_empty() {
        let items = inputs
            .features
            .iter()
            .map(|f| scalar(Value::Str(f.clone(), true)))
            .collect();
        set(&mut root, &at("spec.features"), scalar(Value::Seq(items)));
        origins.push((at("spec.features"), Flag::Features));
    }
    if let Some(domain) = inputs.domain {
        set(
            &mut root,
            &at("spec.domain"),
            scalar(Value::Str(domain.to_string(), true)),
        );
        origins.push((at("spec.domain"), Flag::Domain));
        // A custom domain is a feature of its own: on with the address.
        let mut features: Vec<String> = match root.get("spec").and_then(|s| s.get("features")) {
            Some(Node {
                value: Value::Seq(items),
                ..
            }) => items
                .iter()
                .filter_map(|i| match &i.value {
                    Value::Str(text, _) => Some(text.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        if !features.iter().any(|f| f == "custom-domain") {
            features.push("custom-domain".into());
            let items = features
                .into_iter()
                .map(|f| scalar(Value::Str(f, true)))
                .collect();
            set(&mut root, &at("spec.features"), scalar(Value::Seq(items)));
            if inputs.features.is_empty() {
                origins.push((at("spec.features"), Flag::Domain));
            }
        }
    }
    for (index, arg) in inputs.sets.iter().enumerate() {
        let (path, value) = parse_set(arg)?;
        set(&mut root, &path, value);
        origins.push((path, Flag::Set(index)));
    }
    let mut emitted = Emitter::default();
    if let Value::Map(entries) = &root.value {
        emitted.map(entries, 0, &mut Vec::new());
    }
    // The file stem is the site's final name, so that the name rule checks
    // the name's shape, not a file the preview never wrote.
    let final_name = match root.get("metadata").and_then(|m| m.get("name")) {
        Some(Node {
            value: Value::Str(text, _),
            ..
        }) if !text.is_empty() && !text.contains(['/', '\\']) => text.clone(),
        _ => name,
    };
    let file = format!("{final_name}.yaml");
    Ok(Built {
        source: Source {
            path: PathBuf::from(&file),
            name: file,
            text: emitted.out,
        },
        command: command_line(inputs),
        origins,
        places: emitted.places,
    })
}

impl Built {
    /// The path of the innermost entry at byte `at` of the spec, and the
    /// flag that set it (or an ancestor of it); values no flag set come
    /// from the tier's defaults, so they point at `--tier`.
    pub fn origin_at(&self, at: usize) -> (Vec<String>, Flag) {
        let path = self
            .places
            .iter()
            .filter(|(_, range)| range.contains(&at))
            .min_by_key(|(_, range)| range.len())
            .map(|(path, _)| path.clone())
            .unwrap_or_default();
        // `max_by_key` keeps the last of equals: a later flag wins a tie.
        let ancestor = self
            .origins
            .iter()
            .filter(|(origin, _)| path.starts_with(origin))
            .max_by_key(|(origin, _)| origin.len());
        // A complaint about a mapping (a missing or surplus key) belongs to
        // the flag that wrote inside it.
        let descendant = || {
            self.origins
                .iter()
                .rev()
                .find(|(origin, _)| path.len() >= 2 && origin.starts_with(&path))
        };
        let flag = ancestor
            .or_else(descendant)
            .map_or(Flag::Tier, |(_, flag)| *flag);
        (path, flag)
    }

    /// `diagnostic`, moved from the generated spec onto the command line.
    /// Diagnostics about other files (a blueprint, the catalog) stay put.
    pub fn on_command_line(&self, diagnostic: &Diagnostic) -> Diagnostic {
        if diagnostic.file != self.source.name {
            return diagnostic.clone();
        }
        let (path, flag) = diagnostic
            .span
            .map_or((Vec::new(), Flag::Tier), |s| self.origin_at(s.start));
        let range = self.command.span_of(flag);
        let shown = dotted(&path);
        let own = match (&diagnostic.label, flag) {
            (Some(label), _) => format!(": {label}"),
            (None, Flag::Tier) if shown != "spec.tier" && !shown.is_empty() => {
                " (a default of this tier)".to_string()
            }
            (None, _) => String::new(),
        };
        let label = (!shown.is_empty()).then(|| format!("`{shown}`{own}"));
        Diagnostic {
            file: COMMAND_LINE.to_string(),
            span: Some(Span {
                line: 1,
                column: self.command.text[..range.start].chars().count() + 1,
                start: range.start,
                end: range.end,
            }),
            label,
            related: None,
            ..diagnostic.clone()
        }
    }
}

/// `spec.features[1]` for `["spec", "features", "1"]`.
fn dotted(path: &[String]) -> String {
    let mut out = String::new();
    for part in path {
        if part.bytes().all(|b| b.is_ascii_digit()) && !part.is_empty() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

fn scalar(value: Value) -> Node {
    Node {
        span: Span {
            line: 1,
            column: 1,
            start: 0,
            end: 0,
        },
        value,
    }
}

fn parse_set(arg: &str) -> Result<(Vec<String>, Node), SpecError> {
    let (path, value) = arg
        .split_once('=')
        .ok_or_else(|| SpecError::SetSyntax(arg.to_string()))?;
    let segments: Vec<String> = path.split('.').map(str::to_string).collect();
    let good = |s: &String| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if !segments.iter().all(good) || segments[0].bytes().all(|b| b.is_ascii_digit()) {
        return Err(SpecError::SetPath {
            arg: arg.to_string(),
            path: path.to_string(),
        });
    }
    if value.trim().is_empty() {
        return Ok((segments, scalar(Value::Null)));
    }
    let node = yaml::parse(value).map_err(|errors| SpecError::SetValue {
        arg: arg.to_string(),
        message: errors
            .first()
            .map(|e| e.error.to_string())
            .unwrap_or_default(),
    })?;
    Ok((segments, node))
}

/// Puts `value` at `path`, making mappings on the way; a number indexes a
/// list (one past its end appends).
fn set(node: &mut Node, path: &[String], value: Node) {
    let Some((first, rest)) = path.split_first() else {
        *node = value;
        return;
    };
    if let (Value::Seq(items), Ok(index)) = (&mut node.value, first.parse::<usize>())
        && index <= items.len()
    {
        if index == items.len() {
            items.push(scalar(Value::Null));
        }
        set(&mut items[index], rest, value);
        return;
    }
    if !matches!(node.value, Value::Map(_)) {
        node.value = Value::Map(Vec::new());
    }
    let Value::Map(entries) = &mut node.value else {
        unreachable!("made a mapping above")
    };
    if let Some(entry) = entries.iter_mut().find(|e| e.key == *first) {
        set(&mut entry.value, rest, value);
    } else {
        let mut child = scalar(Value::Null);
        set(&mut child, rest, value);
        entries.push(Entry {
            key: first.clone(),
            key_span: child.span,
            value: child,
        });
    }
}

/// Writes a spec tree back as block YAML, remembering where each entry went.
#[derive(Default)]
struct Emitter {
    out: String,
    places: Vec<(Vec<String>, Range<usize>)>,
}

impl Emitter {
    fn map(&mut self, entries: &[Entry], indent: usize, path: &mut Vec<String>) {
        for entry in entries {
            let start = self.out.len();
            path.push(entry.key.clone());
            self.out.push_str(&" ".repeat(indent));
            self.out.push_str(&key(&entry.key));
            self.out.push(':');
            match &entry.value.value {
                Value::Map(children) if !children.is_empty() => {
                    self.out.push('\n');
                    self.map(children, indent + 2, path);
                }
                Value::Seq(items) => {
                    self.out.push_str(" [");
                    for (index, item) in items.iter().enumerate() {
                        if index > 0 {
                            self.out.push_str(", ");
                        }
                        let at = self.out.len();
                        self.out.push_str(&flow(item));
                        let mut item_path = path.clone();
                        item_path.push(index.to_string());
                        self.places.push((item_path, at..self.out.len()));
                    }
                    self.out.push_str("]\n");
                }
                _ => {
                    self.out.push(' ');
                    self.out.push_str(&flow(&entry.value));
                    self.out.push('\n');
                }
            }
            self.places.push((path.clone(), start..self.out.len()));
            path.pop();
        }
    }
}

fn key(text: &str) -> String {
    let plain = text
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        text.to_string()
    } else {
        quoted(text)
    }
}

/// One value as flow YAML: strings always double-quoted, so that they stay
/// strings whatever they look like.
fn flow(node: &Node) -> String {
    match &node.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_nan() => ".nan".into(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { ".inf" } else { "-.inf" }.into(),
        Value::Float(f) => format!("{f:?}"),
        Value::Str(text, _) => quoted(text),
        Value::Seq(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|e| format!("{}: {}", quoted(&e.key), flow(&e.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The command line, as a shell would take it back, with each flag's place.
fn command_line(inputs: &Inputs<'_>) -> CommandLine {
    let mut line = CommandLine {
        text: "sitectl preview".into(),
        flags: Vec::new(),
    };
    let mut add = |flag: Flag, name: &str, value: &str| {
        line.text.push(' ');
        let start = line.text.len();
        line.text.push_str(name);
        line.text.push(' ');
        line.text.push_str(&shell_quoted(value));
        line.flags.push((flag, start..line.text.len()));
    };
    add(Flag::Tier, "--tier", inputs.tier.as_str());
    add(Flag::Deployment, "--deployment", inputs.deployment.as_str());
    if let Some(customer) = inputs.customer {
        add(Flag::Customer, "--customer", customer);
    }
    if let Some(name) = inputs.name {
        add(Flag::Name, "--name", name);
    }
    if let Some(seats) = inputs.seats {
        add(Flag::Seats, "--seats", &seats.to_string());
    }
    if !inputs.features.is_empty() {
        add(Flag::Features, "--features", &inputs.features.join(","));
    }
    if let Some(domain) = inputs.domain {
        add(Flag::Domain, "--domain", domain);
    }
    for (index, set) in inputs.sets.iter().enumerate() {
        add(Flag::Set(index), "--set", set);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_parses_paths_and_yaml_values() {
        let (path, node) = parse_set("spec.resources.cpu=2").unwrap();
        assert_eq!(path, ["spec", "resources", "cpu"]);
        assert_eq!(node.value, Value::Int(2));
        let (_, node) = parse_set("metadata.labels.team=no").unwrap();
        assert_eq!(node.value, Value::Str("no".into(), true));
        assert!(matches!(
            parse_set("spec.seats"),
            Err(SpecError::SetSyntax(_))
        ));
        assert!(matches!(
            parse_set("spec..x=1"),
            Err(SpecError::SetPath { .. })
        ));
        assert!(matches!(
            parse_set("spec.x=[1"),
            Err(SpecError::SetValue { .. })
        ));
        assert!(matches!(
            parse_set("spec.x=&a 1"),
            Err(SpecError::SetValue { .. })
        ));
    }

    #[test]
    fn emitted_yaml_parses_back_to_the_same_tree() {
        let text = "a: {b: \"x\\u007fy\", c: [1, \"two\"]}\nd: {}\n\"e f\": 1.5\n";
        let root = yaml::parse(text).unwrap();
        let mut emitter = Emitter::default();
        let Value::Map(entries) = &root.value else {
            panic!()
        };
        emitter.map(entries, 0, &mut Vec::new());
        let again = yaml::parse(&emitter.out).unwrap();
        assert_eq!(root.to_json(), again.to_json(), "{}", emitter.out);
    }

    #[test]
    fn a_later_flag_owns_the_value_it_overrode() {
        let catalog = crate::validate::catalog::load(std::path::Path::new("blueprints"))
            .catalog
            .unwrap();
        let sets = ["spec.seats=30".to_string()];
        let inputs = Inputs {
            tier: Tier::Trial,
            deployment: Deployment::Managed,
            customer: Some("Acme"),
            name: None,
            seats: Some(10),
            features: &[],
            sets: &sets,
            app_version: "2026.11.1",
            today: "2026-11-22".parse().unwrap(),
            domain: None,
        };
        let built = build(&inputs, &catalog).unwrap();
        let at = built.source.text.find("seats: 30").unwrap();
        assert_eq!(built.origin_at(at + 7).1, Flag::Set(0));
        let at = built.source.text.find("customer:").unwrap();
        assert_eq!(built.origin_at(at).1, Flag::Customer);
        let at = built.source.text.find("region:").unwrap();
        assert_eq!(built.origin_at(at).1, Flag::Tier);
    }
}

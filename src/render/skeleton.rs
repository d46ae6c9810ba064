//! The output check's shortcut: a file's *skeleton* is its text with every
//! spec value that the escaping wrote as a single literal (a quoted string,
//! an integer, a boolean, null) replaced by a fixed probe literal of the
//! same kind. A spec value can only reach an output as such a literal (the
//! formatter of `engine.rs` escapes every `{{ }}`), and one literal in place
//! of another of its kind cannot change how the file parses: so once one
//! file with a given skeleton has parsed, every file with that skeleton
//! parses. A fleet has a few dozen skeletons, not one per file, and the
//! check parses each once per run instead of every file.
//!
//! What the shortcut rests on is tested where it belongs: that each escape
//! writes one literal token for any input (the injection suite, the
//! `render_free_text` fuzz target, which parses every file); that marking
//! changes nothing (a marked render, unmarked, must equal the plain render
//! byte for byte, else the file gets no skeleton and is parsed).
//! Anything the marks cannot vouch for stays in the skeleton as it is:
//! lists and maps, numbers that are not plain integers, long or multi-line
//! literals, and all of a file whose marks do not pair up.

use std::cell::Cell;
use std::collections::HashSet;
use std::sync::RwLock;

use minijinja::value::{Value, ValueKind};
use sha2::{Digest as _, Sha256};

use crate::render::escape::Language;

/// Noncharacters: never in a spec value (validation refuses them), never
/// written by an escape, and checked for in templates.
const START: char = '\u{FDD0}';
const END: char = '\u{FDD1}';

/// A YAML implicit key may be at most 1024 characters long: a longer
/// literal is left in the skeleton, where its length is seen.
const LONGEST_PROBED: usize = 1000;

thread_local! {
    static MARKING: Cell<bool> = const { Cell::new(false) };
    /// Whether a marked render wrote a literal that holds a mark itself (a
    /// catalog or blueprint value, which validation does not read): its
    /// marks cannot be read back.
    static TAINTED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `render` with the formatter marking literals on this thread; `None`
/// when what it wrote cannot be read back (see `TAINTED`).
pub(crate) fn marking<R>(render: impl FnOnce() -> R) -> Option<R> {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            MARKING.set(false);
        }
    }
    MARKING.set(true);
    TAINTED.set(false);
    let _reset = Reset;
    let rendered = render();
    (!TAINTED.get()).then_some(rendered)
}

/// `literal`, the escaped text of `value` in `language`, as the formatter
/// writes it: wrapped in marks with its kind while marking, when it is a
/// literal a probe may stand for.
pub(crate) fn marked(language: Language, value: &Value, literal: String) -> String {
    if !MARKING.get() {
        return literal;
    }
    if literal.contains([START, END]) {
        TAINTED.set(true);
    }
    match kind(language, value, &literal) {
        Some(kind) => format!("{START}{kind}{literal}{END}"),
        None => literal,
    }
}

fn kind(language: Language, value: &Value, literal: &str) -> Option<char> {
    if language == Language::Dotenv
        || literal.len() > LONGEST_PROBED
        || literal.contains(['\n', '\r', START, END])
    {
        return None;
    }
    match value.kind() {
        ValueKind::String => Some('s'),
        // A plain integer; a fraction (a string in Bicep) stays as it is.
        ValueKind::Number => {
            let digits = literal.strip_prefix('-').unwrap_or(literal);
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some('n')
        }
        ValueKind::Bool => Some('b'),
        ValueKind::Undefined | ValueKind::None => Some('z'),
        _ => None,
    }
}

fn probe(language: Language, kind: char) -> &'static str {
    match (kind, language) {
        ('s', Language::Bicep) => "'p'",
        ('s', _) => "\"p\"",
        ('n', _) => "0",
        ('b', _) => "true",
        _ => "null",
    }
}

/// How an engine's renders mark their literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marking {
    /// A template holds a mark itself: nothing it renders could be read
    /// back reliably, so nothing is marked.
    Off,
    /// A template can see rendered text (a macro, a captured block, a
    /// filter block, `super()`, `self`, a recursive loop), and so the marks
    /// in it: each marked render is compared with a plain one.
    Compared,
    /// No template can see rendered text: a marked render, unmarked, is the
    /// render, and one pass gives both.
    Alone,
}

/// How an engine with these templates marks its literals.
pub(crate) fn marking_for<'a>(templates: impl IntoIterator<Item = &'a str>) -> Marking {
    let mut marking = Marking::Alone;
    for text in templates {
        if text.contains([START, END]) {
            return Marking::Off;
        }
        if sees_rendered_text(text) {
            marking = Marking::Compared;
        }
    }
    marking
}

/// Whether a template can hold rendered text in a value, where a filter or
/// a test could see the marks. Erring towards yes only costs a second render.
fn sees_rendered_text(text: &str) -> bool {
    const CALLS: [&str; 4] = ["super(", "self.", "loop(", "caller("];
    const TAGS: [&str; 4] = ["macro", "call", "filter", "endset"];
    CALLS.iter().any(|call| text.contains(call))
        || text.split("{%").skip(1).any(|tag| {
            let word = tag.trim_start_matches(['-', '+']).trim_start();
            TAGS.iter().any(|t| word.starts_with(t))
        })
}

/// A marked render split into the plain text and its skeleton; `None` when
/// the marks do not pair up. A literal in a key's place (followed by `:` or
/// `=`, or after YAML's `?`) stays in the skeleton as it is: which keys a
/// mapping holds, and whether one is there twice, is structure.
pub(crate) fn split(language: Language, marked: &str) -> Option<(String, String)> {
    let mut plain = String::with_capacity(marked.len());
    let mut skeleton = String::with_capacity(marked.len());
    let mut rest = marked;
    while let Some(at) = rest.find([START, END]) {
        let (before, from) = rest.split_at(at);
        plain.push_str(before);
        skeleton.push_str(before);
        let mut chars = from.chars();
        if chars.next() != Some(START) {
            return None;
        }
        let kind = chars
            .next()
            .filter(|k| matches!(k, 's' | 'n' | 'b' | 'z'))?;
        let literal_and_rest = chars.as_str();
        let end = literal_and_rest.find([START, END])?;
        if !literal_and_rest[end..].starts_with(END) {
            return None;
        }
        let literal = &literal_and_rest[..end];
        rest = &literal_and_rest[end + END.len_utf8()..];
        plain.push_str(literal);
        let before = skeleton.trim_end_matches([' ', '\t']);
        let after = rest.trim_start_matches([' ', '\t']);
        let is_key = after.starts_with([':', '=']) || before.ends_with('?');
        skeleton.push_str(if is_key {
            literal
        } else {
            probe(language, kind)
        });
    }
    plain.push_str(rest);
    skeleton.push_str(rest);
    Some((plain, skeleton))
}

/// A skeleton's identity: SHA-256 of its language and text, so that no
/// crafted spec can make an unparsed shape pass for a parsed one.
pub type Shape = [u8; 32];

pub(crate) fn shape(language: Language, skeleton: &str) -> Shape {
    let mut hash = Sha256::new();
    hash.update(format!("{language:?}\n").as_bytes());
    hash.update(skeleton.as_bytes());
    hash.finalize().into()
}

/// The shapes that parsed in this run, shared by its threads. Only
/// membership is ever asked: nothing is iterated.
#[derive(Debug, Default)]
pub(crate) struct Parsed(RwLock<HashSet<Shape>>);

impl Parsed {
    pub fn contains(&self, shape: &Shape) -> bool {
        self.0.read().is_ok_and(|set| set.contains(shape))
    }

    pub fn insert(&self, shape: Shape) {
        if let Ok(mut set) = self.0.write() {
            set.insert(shape);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_render_splits_into_its_text_and_a_skeleton() {
        let marked = format!("a: {START}s\"x y\"{END}\nb: {START}n120{END}\n");
        let (plain, skeleton) = split(Language::Yaml, &marked).unwrap();
        assert_eq!(plain, "a: \"x y\"\nb: 120\n");
        assert_eq!(skeleton, "a: \"p\"\nb: 0\n");
        let (_, bicep) = split(Language::Bicep, &format!("x = {START}s'a'{END}")).unwrap();
        assert_eq!(bicep, "x = 'p'");
    }

    #[test]
    fn a_literal_in_a_keys_place_stays_in_the_skeleton() {
        let yaml = format!("env:\n  {START}s\"DATA_DIR\"{END}: {START}s\"/tmp\"{END}\n");
        let (_, skeleton) = split(Language::Yaml, &yaml).unwrap();
        assert_eq!(skeleton, "env:\n  \"DATA_DIR\": \"p\"\n");
        let hcl = format!("tags = {{ {START}s\"a\"{END} = {START}s\"b\"{END} }}");
        assert_eq!(
            split(Language::Hcl, &hcl).unwrap().1,
            "tags = { \"a\" = \"p\" }"
        );
        let explicit = format!("? {START}s\"k\"{END}\n: 1\n");
        assert_eq!(
            split(Language::Yaml, &explicit).unwrap().1,
            "? \"k\"\n: 1\n"
        );
    }

    #[test]
    fn a_literal_that_holds_a_mark_leaves_the_render_unread() {
        let value = Value::from(format!("{START}s\"x\"{END}"));
        let tainted = marking(|| marked(Language::Yaml, &value, value.to_string()));
        assert_eq!(tainted, None);
        assert!(marking(|| marked(Language::Yaml, &Value::from("x"), "\"x\"".into())).is_some());
    }

    #[test]
    fn marks_that_do_not_pair_up_give_no_skeleton() {
        for broken in [
            format!("{START}s\"x\""),
            format!("\"x\"{END}"),
            format!("{START}s{START}s\"x\"{END}{END}"),
            format!("{START}q\"x\"{END}"),
        ] {
            assert_eq!(split(Language::Yaml, &broken), None, "{broken:?}");
        }
    }

    #[test]
    fn a_template_that_can_see_rendered_text_gets_a_second_render() {
        assert_eq!(
            marking_for(["a = {{ x }}\n{% if y %}b{% endif %}"]),
            Marking::Alone
        );
        for seeing in [
            "{% macro m() %}{{ x }}{% endmacro %}",
            "{% set s %}{{ x }}{% endset %}{{ s|length }}",
            "{%- filter upper %}{{ x }}{% endfilter %}",
            "{% block b %}{{ super()|trim }}{% endblock %}",
        ] {
            assert_eq!(
                marking_for(["plain", seeing]),
                Marking::Compared,
                "{seeing}"
            );
        }
        let marked = format!("{START}");
        assert_eq!(
            marking_for(["{% macro m() %}{% endmacro %}", &marked]),
            Marking::Off
        );
    }

    #[test]
    fn only_single_literals_are_marked() {
        let mark = |value: Value, literal: &str| {
            marking(|| marked(Language::Hcl, &value, literal.into())).expect("no mark in it")
        };
        assert!(mark(Value::from("x"), "\"x\"").starts_with(START));
        assert!(mark(Value::from(-12), "-12").starts_with(START));
        assert!(!mark(Value::from(1.5), "1.5").starts_with(START));
        assert!(!mark(Value::from(vec!["a"]), "[\"a\"]").starts_with(START));
        assert!(!mark(Value::from("a\nb"), "\"a\nb\"").starts_with(START));
        let long = format!("\"{}\"", "x".repeat(LONGEST_PROBED));
        assert!(!mark(Value::from("x"), &long).starts_with(START));
        assert_eq!(
            marked(Language::Hcl, &Value::from("x"), "\"x\"".into()),
            "\"x\"",
            "not marking"
        );
    }
}

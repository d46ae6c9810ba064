//! How sitectl says things to people: "did you mean" suggestions, lists of
//! allowed values, plurals, and command lines a shell would take back.

/// The closest candidate to `input`, if it is close enough to be a typo.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input_lower = input.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let score = strsim::jaro_winkler(&input_lower, &candidate.to_lowercase());
            (score, candidate)
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, candidate)| candidate)
}

/// Allowed values in plain words: "`a`, `b` or `c`".
pub fn one_of(values: &[impl std::fmt::Display]) -> String {
    listed(values, "or")
}

/// Values a message needs each of: "`a`, `b` and `c`".
pub fn all_of(values: &[impl std::fmt::Display]) -> String {
    listed(values, "and")
}

fn listed(values: &[impl std::fmt::Display], conjunction: &str) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

/// The singular or the plural of a word, by a count: `plural(n, "file", "files")`.
pub fn plural<'a>(n: impl TryInto<u64>, one: &'a str, many: &'a str) -> &'a str {
    if n.try_into().is_ok_and(|n| n == 1) {
        one
    } else {
        many
    }
}

/// `value` as one shell word: bare when it is safe, else single-quoted.
/// Control characters are shown as `?`, since the line is for reading.
pub fn shell_quoted(value: &str) -> String {
    let safe = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.,:=/@+%".contains(&b));
    let value: String = value
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if safe {
        value
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let keys = ["tier", "deployment", "region", "seats"];
        assert_eq!(did_you_mean("teir", keys), Some("tier"));
        assert_eq!(did_you_mean("deploymnet", keys), Some("deployment"));
        assert_eq!(did_you_mean("Region", keys), Some("region"));
        assert_eq!(did_you_mean("colour", keys), None);
    }

    #[test]
    fn lists_values_in_words() {
        assert_eq!(one_of(&["a"]), "`a`");
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
        assert_eq!(all_of(&["a", "b"]), "`a` and `b`");
    }

    #[test]
    fn shell_words_quote_what_a_shell_would_split() {
        assert_eq!(shell_quoted("trial"), "trial");
        assert_eq!(shell_quoted("Acme Inc"), "'Acme Inc'");
        assert_eq!(shell_quoted("sso,scorm"), "sso,scorm");
        assert_eq!(shell_quoted("Acme & Co"), "'Acme & Co'");
        assert_eq!(shell_quoted("it's"), "'it'\\''s'");
        assert_eq!(shell_quoted(""), "''");
        assert_eq!(shell_quoted("a\nb"), "'a?b'");
    }

    #[test]
    fn plurals_follow_the_count() {
        assert_eq!(plural(1_usize, "file", "files"), "file");
        assert_eq!(plural(0_u32, "file", "files"), "files");
        assert_eq!(plural(2_usize, "its", "their"), "their");
    }
}

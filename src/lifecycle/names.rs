//! Site names: a DNS label of at most 40 characters, the one derived from
//! a customer's name (for a preview or a signup), and its numbered twins
//! when that one is taken.

/// The longest site name: the spec schema's `metadata.name` maximum.
pub(crate) const NAME_LENGTH: usize = 40;

/// A DNS label for the site, from the customer's name: transliterated to
/// ASCII (`Ærø Skole` → `aero-skole`, `株式会社テスト` → `zhu-shi-hui-she-tesuto`),
/// words joined by `-`, cut at a word boundary within 40 characters. `None`
/// when nothing of it is a letter or a digit.
pub fn site_name(customer: &str) -> Option<String> {
    // Letters and digits of any script transliterated; everything else (a
    // symbol, an emoji, punctuation) only separates words.
    let ascii: String = customer
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                deunicode::deunicode_char(c).unwrap_or(" ")
            } else {
                " "
            }
        })
        .collect();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in ascii.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    if words.is_empty() {
        return None;
    }
    if !words[0].starts_with(|c: char| c.is_ascii_lowercase()) {
        words.insert(0, "site".into());
    }
    let mut name = String::new();
    for word in words {
        let joined = if name.is_empty() {
            word.len()
        } else {
            name.len() + 1 + word.len()
        };
        if joined > NAME_LENGTH {
            if name.is_empty() {
                // One word longer than the limit: cut it, there is no boundary.
                name = word[..NAME_LENGTH].to_string();
            }
            break;
        }
        if !name.is_empty() {
            name.push('-');
        }
        name.push_str(&word);
    }
    Some(name)
}

/// Whether `name` can be a site's name: a DNS label within [`NAME_LENGTH`].
pub(crate) fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !name.is_empty()
        && name.len() <= NAME_LENGTH
        && bytes[0].is_ascii_lowercase()
        && bytes[bytes.len() - 1] != b'-'
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// `base-N`, cut at a word boundary so that it stays within [`NAME_LENGTH`].
pub(crate) fn numbered(base: &str, n: u32) -> String {
    let suffix = format!("-{n}");
    let room = NAME_LENGTH - suffix.len();
    let mut stem = base.to_string();
    if stem.len() > room {
        stem = match base[..room].rfind('-') {
            Some(cut) if cut > 0 => base[..cut].to_string(),
            _ => base[..room].to_string(),
        };
    }
    format!("{}{suffix}", stem.trim_end_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        assert!(is_dns_label("acme-learning"));
        assert!(is_dns_label("a1"));
        assert!(!is_dns_label("Acme"));
        assert!(!is_dns_label("-acme"));
        assert!(!is_dns_label("acme-"));
        assert!(!is_dns_label("1acme"));
        assert!(!is_dns_label(&"a".repeat(41)));
    }

    #[test]
    fn site_names_are_dns_labels_of_the_customer() {
        let name = |customer: &str| site_name(customer).unwrap_or_default();
        assert_eq!(name("Acme Learning, Inc."), "acme-learning-inc");
        assert_eq!(
            name("<script>alert(\"x\")</script>"),
            "script-alert-x-script"
        );
        assert_eq!(name("3M"), "site-3m");
        assert_eq!(site_name("!!!"), None);
        assert_eq!(name(&"a".repeat(60)).len(), 40);
    }

    #[test]
    fn names_in_any_script_transliterate_and_cut_at_a_word_boundary() {
        let name = |customer: &str| site_name(customer).unwrap_or_default();
        assert_eq!(name("Ærø Skole & Co. Danmark"), "aero-skole-co-danmark");
        assert_eq!(name("株式会社テスト"), "zhu-shi-hui-she-tesuto");
        assert_eq!(name("Müller Grundschule"), "muller-grundschule");
        let long = name("The International Federation of Learning Platforms Limited");
        assert_eq!(long, "the-international-federation-of-learning");
        assert!(long.len() <= 40);
        assert_eq!(site_name("🙂 — 🙂"), None, "symbols are no name");
        assert_eq!(name("Acme™ 🙂 Learning"), "acme-learning");
    }
}

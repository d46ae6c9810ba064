//! Markdown for pull-request comments and job summaries: GitHub's size
//! limit, and text made safe for a table cell or a fenced block.

/// GitHub refuses a comment over 65,536 characters; this leaves room for
/// the comment action's own marker.
pub const LIMIT: usize = 60_000;

/// Text safe inside a Markdown table cell.
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `text` in a fenced block: the fence is longer than any run of backticks
/// in it, so nothing inside can close it.
pub fn fenced(text: &str, language: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    format!("{fence}{language}\n{text}{newline}{fence}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fence_is_longer_than_the_backticks_inside_it() {
        assert_eq!(fenced("a", "text"), "```text\na\n```\n");
        assert_eq!(fenced("x ```` y\n", ""), "`````\nx ```` y\n`````\n");
    }

    #[test]
    fn a_cell_holds_no_column_break_or_line_break() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}

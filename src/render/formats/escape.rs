//! Escaping untrusted text (titles, abstracts, author names, LLM output) for a note's
//! Markdown body and its wikilinks, and for Templater, which executes any `<% … %>` it
//! finds in a new file while Obsidian is open. YAML values are escaped by
//! [`crate::vault::frontmatter::yaml_str`].

/// Text for one line of a Markdown body: line breaks become spaces, and every character
/// that could start Markdown, HTML, a wikilink, a comment (`%%`), a tag, math or a
/// Templater tag is backslash-escaped, so it renders as the literal text.
pub fn md_inline(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 8);
    let mut last_space = false;
    // Characters kept as they are are copied a run at a time, from `run` on; ASCII (most
    // of every title, and two million of them in a 100,000-paper render) is told apart
    // by a table, byte by byte, without decoding characters.
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (c, space) = if b.is_ascii() {
            match ASCII_CLASS[usize::from(b)] {
                PLAIN => {
                    i += 1;
                    continue;
                }
                class => (char::from(b), class == SPACE),
            }
        } else {
            // Markdown's specials are all ASCII: another character is kept, unless a space.
            let c = s[i..].chars().next().unwrap_or(' ');
            if !(c.is_whitespace() || c.is_control()) {
                i += c.len_utf8();
                continue;
            }
            (c, true)
        };
        if run < i {
            out.push_str(&s[run..i]);
            last_space = false;
        }
        i += c.len_utf8();
        run = i;
        if space {
            if !last_space && !out.is_empty() {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push('\\');
            out.push(c);
            last_space = false;
        }
    }
    out.push_str(&s[run..]);
    finish_line(out)
}

/// A line [`md_inline`] escaped, its spaces at the end dropped (only spaces were pushed
/// for whitespace) and a start that Markdown would read as a list escaped.
fn finish_line(mut out: String) -> String {
    out.truncate(out.trim_end_matches(' ').len());
    // A line starting with these would become a list, heading or quote.
    match out.chars().next() {
        Some('-' | '+') => out.insert(0, '\\'),
        Some(d) if d.is_ascii_digit() && starts_ordered_list(&out) => {
            let digits = out.bytes().take_while(u8::is_ascii_digit).count();
            out.insert(digits, '\\');
        }
        _ => {}
    }
    out
}

/// An ASCII character kept as it is by [`md_inline`].
const PLAIN: u8 = 0;
/// An ASCII whitespace or control character: a space in a line.
const SPACE: u8 = 1;
/// An ASCII character Markdown would read as syntax: escaped.
const SPECIAL: u8 = 2;

/// What [`md_inline`] does with each ASCII character.
static ASCII_CLASS: [u8; 128] = {
    let mut class = [PLAIN; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8 as char;
        class[b] = if c == ' ' || c.is_ascii_control() {
            SPACE
        } else if is_md_special(c) {
            SPECIAL
        } else {
            PLAIN
        };
        b += 1;
    }
    class
};

/// Characters Markdown or Obsidian would read as syntax inside a line.
const fn is_md_special(c: char) -> bool {
    matches!(
        c,
        '\\' | '`'
            | '*'
            | '_'
            | '['
            | ']'
            | '<'
            | '>'
            | '#'
            | '|'
            | '~'
            | '='
            | '^'
            | '$'
            | '%'
            | '&'
            | '!'
            | '{'
            | '}'
    )
}

fn starts_ordered_list(s: &str) -> bool {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    matches!(s.as_bytes().get(digits), Some(b'.' | b')'))
}

/// Multi-line text (an abstract, a summary paragraph) as Markdown lines, each escaped
/// with [`md_inline`]; runs of blank lines become one.
pub fn md_lines(s: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in s.lines() {
        let line = md_inline(raw);
        if line.is_empty() && lines.last().is_none_or(std::string::String::is_empty) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(std::string::String::is_empty) {
        lines.pop();
    }
    lines
}

/// The display part of a wikilink (`[[Target|display]]`): characters that would end or
/// redirect the link are dropped.
pub fn link_display(s: &str) -> String {
    // Most titles have nothing to clean: escaped as they are, without two copies first.
    let clean = |c: char| c == ' ' || !(c.is_whitespace() || c.is_control() || breaks_link(c));
    // ASCII's whitespace but the space is all control characters: told by the byte.
    let tidy = if s.is_ascii() {
        s.bytes()
            .all(|b| b == b' ' || !(b.is_ascii_control() || breaks_link(char::from(b))))
    } else {
        s.chars().all(clean)
    };
    if tidy && !s.contains("%%") {
        return md_inline(s);
    }
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_whitespace() || c.is_control() { ' ' } else { c })
        .filter(|&c| !breaks_link(c))
        .collect();
    md_inline(&cleaned.replace("%%", "%"))
}

/// Characters that would end or redirect a wikilink (`[[Note|display]]`) when in its
/// display text.
fn breaks_link(c: char) -> bool {
    matches!(c, '[' | ']' | '|' | '#' | '^')
}

/// A wikilink in a note's body: `[[Note]]`, or `[[Note|display]]` when the (escaped)
/// display text differs from the note's name.
pub fn body_link(note: &str, display: &str) -> String {
    let shown = link_display(display);
    let mut out = String::with_capacity(note.len() + shown.len() + 5);
    out.push_str("[[");
    out.push_str(note);
    if shown != note && !shown.is_empty() {
        out.push('|');
        out.push_str(&shown);
    }
    out.push_str("]]");
    out
}

/// A wikilink for a frontmatter value (quoted by the YAML layer): `[[Note]]`, or
/// `[[Note|display]]` when the display text differs. Characters that would end or
/// redirect the link are dropped from the display text; no Markdown escaping, since
/// property values are not Markdown.
pub fn property_link(note: &str, display: &str) -> String {
    let shown: String = display
        .chars()
        .map(|c| if c.is_whitespace() || c.is_control() { ' ' } else { c })
        .filter(|&c| !breaks_link(c))
        .collect();
    let shown = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    if shown == note || shown.is_empty() {
        format!("[[{note}]]")
    } else {
        format!("[[{note}|{shown}]]")
    }
}

/// Untrusted text for a frontmatter property (a title, an alias, a venue, a name): line
/// breaks, tabs and runs of spaces become one space, and runs of `[` or `]` shrink to one, so Obsidian never reads the value as a `[[link]]`. (YAML
/// quoting is the frontmatter layer's job.)
pub fn property_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(char::is_whitespace) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            if !(matches!(c, '[' | ']') && out.ends_with(c)) {
                out.push(c);
            }
        }
    }
    out
}

/// A URL for a Markdown link target `(…)`: spaces and parentheses percent-encoded so
/// the link cannot be cut short. Only http(s) URLs are linked.
pub fn md_url(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    Some(
        parsed
            .as_str()
            .replace('(', "%28")
            .replace(')', "%29")
            .replace(' ', "%20")
            .replace('<', "%3C")
            .replace('>', "%3E"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn markdown_specials_are_escaped_and_templater_tags_broken() {
        assert_eq!(md_inline("a *b* [[c]]"), "a \\*b\\* \\[\\[c\\]\\]");
        assert_eq!(md_inline("<% x %>"), "\\<\\% x \\%\\>");
        assert_eq!(md_inline("%% hidden %%"), "\\%\\% hidden \\%\\%");
        assert_eq!(md_inline("# not a heading"), "\\# not a heading");
        assert_eq!(md_inline("- not a list"), "\\- not a list");
        assert_eq!(md_inline("1. not a list"), "1\\. not a list");
        assert_eq!(md_inline("two\nlines"), "two lines");
        assert_eq!(
            md_inline("<script>alert(1)</script>"),
            "\\<script\\>alert(1)\\</script\\>"
        );
    }

    /// [`md_inline`] as it was written before its ASCII table: each character decoded
    /// and classed on its own (the line's end and start finished alike).
    fn md_inline_by_chars(s: &str) -> String {
        let mut out = String::new();
        let mut last_space = false;
        for c in s.chars() {
            if c.is_whitespace() || c.is_control() {
                if !last_space && !out.is_empty() {
                    out.push(' ');
                }
                last_space = true;
            } else {
                if is_md_special(c) {
                    out.push('\\');
                }
                out.push(c);
                last_space = false;
            }
        }
        finish_line(out)
    }

    #[test]
    fn multi_line_text_keeps_paragraphs() {
        assert_eq!(md_lines("one\n\n\n two \n\n"), vec!["one", "", "two"]);
    }

    #[test]
    fn property_links_show_the_name_when_it_differs_from_the_note() {
        assert_eq!(property_link("Ada Lovelace", "Ada Lovelace"), "[[Ada Lovelace]]");
        assert_eq!(
            property_link("Ada Lovelace (123)", "Ada [Lovelace]|x"),
            "[[Ada Lovelace (123)|Ada Lovelacex]]"
        );
    }

    #[test]
    fn property_text_is_one_line_without_links() {
        assert_eq!(
            property_text("  Computing\n Machinery\tand   Intelligence "),
            "Computing Machinery and Intelligence"
        );
        assert_eq!(
            property_text("see [[Other note]] and [[[x]]]"),
            "see [Other note] and [x]"
        );
        assert_eq!(property_text("[a] [ [b] ]\u{2028}"), "[a] [ [b] ]");
    }

    #[test]
    fn link_targets_are_http_only_and_cannot_escape_the_parentheses() {
        assert_eq!(md_url("javascript:alert(1)"), None);
        assert_eq!(
            md_url("https://x.org/a (b)").as_deref(),
            Some("https://x.org/a%20%28b%29")
        );
    }

    proptest! {
        #[test]
        fn property_text_never_holds_a_link_or_a_line_break(s in any::<String>()) {
            let out = property_text(&s);
            prop_assert!(!out.contains("[[") && !out.contains("]]"), "{:?}", out);
            prop_assert!(!out.chars().any(|c| c.is_whitespace() && c != ' '), "{:?}", out);
            prop_assert!(!out.contains("  ") && out.trim() == out, "{:?}", out);
        }

        #[test]
        fn inline_markdown_is_what_a_character_by_character_escape_gives(
            s in "[ -~\t\n\u{b}\u{c}\r\u{0}\u{7f}\u{85}\u{a0}\u{2028}\u{3000}é漢🙂]{0,40}|\\PC{0,20}"
        ) {
            prop_assert_eq!(md_inline(&s), md_inline_by_chars(&s));
        }

        #[test]
        fn inline_markdown_never_holds_live_syntax(s in any::<String>()) {
            let out = md_inline(&s);
            prop_assert!(!out.contains('\n'));
            for live in ["<%", "%%", "[[", "]]"] {
                prop_assert!(!out.contains(live), "{:?} in {:?}", live, out);
            }
        }
    }
}

//! Values as BibTeX and LaTeX read them: text escaped (specials, braces kept balanced
//! the way BibTeX counts them, case-protecting braces), names as `Last, First`, page
//! ranges, and verbatim DOIs and URLs.

use crate::render::formats::person;

/// `s` unless it is blank.
pub(super) fn present(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

pub(super) fn escape_opt(s: Option<&str>) -> String {
    s.map(|s| escape_text(s, false)).unwrap_or_default()
}

pub(super) fn escape_title(s: &str) -> String {
    escape_text(s, true)
}

/// Pages with BibTeX's range dash: "5998-6008" → "5998--6008".
pub(super) fn page_range(pages: &str) -> String {
    let mut out = String::with_capacity(pages.len() + 1);
    let mut in_dash = false;
    for c in pages.chars() {
        if matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}') {
            if !in_dash {
                out.push_str("--");
            }
            in_dash = true;
        } else {
            out.push(c);
            in_dash = false;
        }
    }
    out
}

/// A DOI or URL as Better BibTeX writes it (unescaped), without the braces and whitespace
/// that would unbalance or break the value.
pub(super) fn verbatim(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '{' | '}'))
        .collect()
}

/// NFC, with whitespace runs as one space, control characters dropped, and no space at
/// either end.
pub(super) fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in crate::vault::name::nfc(s).chars() {
        if c.is_whitespace() {
            pending_space = true;
        } else if !c.is_control() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}

/// Text as a BibTeX value: LaTeX specials escaped, braces that pair up as `\{`…`\}` and
/// unpaired ones as `\textbraceleft{}`/`\textbraceright{}` (so the value stays balanced).
/// With `protect_case`, words with a capital after their first character are wrapped in
/// braces (`{BERT}`) so bibliography styles keep their case.
fn escape_text(s: &str, protect_case: bool) -> String {
    let text = normalize(s);
    // Most texts have no brace to pair.
    let paired = if text.contains(['{', '}']) {
        paired_braces(&text)
    } else {
        Vec::new()
    };
    let mut out = String::with_capacity(text.len() + 8);
    // Where the word being read began (a run of letters and digits), as a byte offset.
    let mut word: Option<usize> = None;
    for (i, (at, c)) in text.char_indices().enumerate() {
        if c.is_alphanumeric() {
            word.get_or_insert(at);
            continue;
        }
        if let Some(start) = word.take() {
            push_word(&mut out, &text[start..at], protect_case);
        }
        let is_paired = paired.get(i).copied().unwrap_or(false);
        match c {
            '{' if is_paired => out.push_str("\\{"),
            '}' if is_paired => out.push_str("\\}"),
            '{' => out.push_str("\\textbraceleft{}"),
            '}' => out.push_str("\\textbraceright{}"),
            '\\' => out.push_str("\\textbackslash{}"),
            '^' => out.push_str("\\^{}"),
            '~' => out.push_str("\\~{}"),
            '%' | '&' | '#' | '$' | '_' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    if let Some(start) = word {
        push_word(&mut out, &text[start..], protect_case);
    }
    out
}

/// Appends a word, in braces if it needs its case kept.
fn push_word(out: &mut String, word: &str, protect_case: bool) {
    if protect_case && word.chars().skip(1).any(char::is_uppercase) {
        out.push('{');
        out.push_str(word);
        out.push('}');
    } else {
        out.push_str(word);
    }
}

/// For each character of `text`, whether it is a brace with a partner (`{` … `}`
/// nesting properly).
fn paired_braces(text: &str) -> Vec<bool> {
    let mut paired = vec![false; text.chars().count()];
    let mut open = Vec::new();
    for (i, c) in text.chars().enumerate() {
        match c {
            '{' => open.push(i),
            '}' => {
                if let Some(j) = open.pop() {
                    paired[i] = true;
                    paired[j] = true;
                }
            }
            _ => {}
        }
    }
    paired
}

/// One author in BibTeX form: `Last, First` (particles with the surname, e.g.
/// `van Beethoven, Ludwig`), `Last, Jr., First` with a suffix, a single word as is.
/// `None` for a blank name.
pub(super) fn bib_author(full: &str) -> Option<String> {
    let name = normalize(full);
    // Tokens as `person::surname` sees them (a lone comma is no token).
    let tokens: Vec<&str> = name
        .split(' ')
        .filter(|t| !t.trim_end_matches(',').is_empty())
        .collect();
    if tokens.is_empty() {
        return None;
    }
    let surname = person::surname(&name);
    let last: Vec<&str> = surname.split_whitespace().collect();
    let bare: Vec<&str> = tokens.iter().map(|t| t.trim_end_matches(',')).collect();
    let at = (!last.is_empty())
        .then(|| bare.windows(last.len()).rposition(|w| w == last.as_slice()))
        .flatten();
    let Some(at) = at else {
        return Some(name_part(&tokens.join(" ")));
    };
    let first = name_part(&tokens[..at].join(" "));
    let suffix = name_part(&bare[at + last.len()..].join(" "));
    let last = name_part(&surname);
    Some(match (first.is_empty(), suffix.is_empty()) {
        (true, true) => last,
        (false, true) => format!("{last}, {first}"),
        (true, false) => format!("{last}, {suffix},"),
        (false, false) => format!("{last}, {suffix}, {first}"),
    })
}

/// Part of a name, escaped, with the commas and the word "and" that BibTeX would read as
/// name separators put in braces. Most parts have neither and are returned as escaped
/// (`callgrind`, 10,000-paper render: building every part anew cost `bib_author` 6 % more).
fn name_part(part: &str) -> String {
    let escaped = escape_text(part, false);
    let is_and = |t: &str| t.eq_ignore_ascii_case("and");
    if !escaped.contains(',') && !escaped.split(' ').any(is_and) {
        return escaped;
    }
    let mut out = String::with_capacity(escaped.len() + 8);
    for (i, token) in escaped.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if is_and(token) {
            out.push('{');
            out.push_str(token);
            out.push('}');
            continue;
        }
        for (j, piece) in token.split(',').enumerate() {
            if j > 0 {
                out.push_str("{,}");
            }
            out.push_str(piece);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_parts_brace_separators_wherever_they_are() {
        assert_eq!(name_part("plain words"), "plain words");
        assert_eq!(name_part("Mary And Ann"), "Mary {And} Ann");
        assert_eq!(name_part("a b,c d"), "a b{,}c d");
        assert_eq!(name_part("and x, y and"), "{and} x{,} y {and}");
        assert_eq!(name_part("x  and"), "x {and}", "spaces are collapsed when escaped");
        assert_eq!(name_part(""), "");
    }

    #[test]
    fn authors_are_last_comma_first() {
        let authors: Vec<Option<String>> = [
            "Ashish Vaswani",
            "Ludwig van Beethoven",
            "Martin Luther King Jr.",
            "Plato",
            "  ",
            "Smith and Wesson",
            "Ann O'Neil-Smith",
            "R&D Team",
            "King Jr.",
            "Doe, John",
        ]
        .iter()
        .map(|a| bib_author(a))
        .collect();
        let expected = [
            Some("Vaswani, Ashish"),
            Some("van Beethoven, Ludwig"),
            Some("King, Jr., Martin Luther"),
            Some("Plato"),
            None,
            Some("Wesson, Smith {and}"),
            Some("O'Neil-Smith, Ann"),
            Some("Team, R\\&D"),
            Some("King, Jr.,"),
            Some("John, Doe{,}"),
        ];
        assert_eq!(authors, expected.map(|a| a.map(str::to_owned)));
    }

    #[test]
    fn hostile_titles_are_escaped() {
        assert_eq!(
            escape_title("50% of {Q&A} #1 in $x_i$ \\o/ ~ ^"),
            "50\\% of \\{Q\\&A\\} \\#1 in \\$x\\_i\\$ \\textbackslash{}o/ \\~{} \\^{}"
        );
        assert_eq!(
            escape_title("}{ a { b } c\nnext\tline\u{7}"),
            "\\textbraceright{}\\textbraceleft{} a \\{ b \\} c next line"
        );
    }

    #[test]
    fn title_words_with_inner_capitals_keep_their_case() {
        assert_eq!(
            escape_title("BERT and GPT-3 on iPhone: A Study of 3D ÉCOLE Data"),
            "{BERT} and {GPT}-3 on {iPhone}: A Study of {3D} {ÉCOLE} Data"
        );
    }

    #[test]
    fn dois_and_urls_are_verbatim_but_balanced() {
        assert_eq!(
            verbatim("10.1002/(SICI)1097{4571}}x_%20 y\n"),
            "10.1002/(SICI)10974571x_%20y"
        );
        assert_eq!(
            verbatim("https://example.org/a b?q=50%25&x={y}"),
            "https://example.org/ab?q=50%25&x=y"
        );
    }

    #[test]
    fn page_ranges_get_bibtex_dashes() {
        assert_eq!(page_range("5998-6008"), "5998--6008");
        assert_eq!(page_range("433\u{2013}460"), "433--460");
        assert_eq!(page_range("e1002"), "e1002");
    }
}

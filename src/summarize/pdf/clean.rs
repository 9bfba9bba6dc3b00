//! Cleaning extracted text before it is judged and summarized: Unicode composition, ligatures,
//! words hyphenated across lines, stray control and private-use characters, runs of spaces and
//! blank lines. Pure string work, no PDF involved.

use unicode_normalization::UnicodeNormalization;

/// Cleans extracted text.
///
/// - NFC-composes, and expands the ligatures U+FB00–U+FB06 (ff, fi, fl, ffi, ffl, ſt, st) by
///   their compatibility decomposition; other compatibility characters are kept;
/// - joins words hyphenated across a line end (`"exam-\nple is"` → `"example\nis"`) when the
///   next line starts with a lowercase letter; hyphens inside a line are kept;
/// - drops control characters other than `\n` and `\t`, private-use characters (U+E000–U+F8FF,
///   planes 15 and 16) and U+FFFD; drops soft hyphens inside lines;
/// - collapses runs of spaces, trims spaces at line ends, keeps at most two blank lines in a
///   row, and trims blank lines at both ends of the text.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut line = String::new();
    let mut blank_lines = 0;
    for raw_line in text.split('\n') {
        clean_line(raw_line, &mut line);
        if line.is_empty() {
            blank_lines += 1;
        } else {
            push_line(&mut out, &line, blank_lines);
            blank_lines = 0;
        }
    }
    out
}

/// Writes the cleaned `raw` line into `line` (see [`normalize`]).
fn clean_line(raw: &str, line: &mut String) {
    line.clear();
    let mut pending_space = false;
    let mut trailing_soft_hyphen = false;
    for c in raw.nfc() {
        if c == ' ' {
            pending_space = true;
            continue;
        }
        if is_dropped(c) {
            continue;
        }
        trailing_soft_hyphen = c == '\u{AD}';
        if trailing_soft_hyphen {
            continue;
        }
        if pending_space && !line.is_empty() {
            line.push(' ');
        }
        pending_space = false;
        if ('\u{FB00}'..='\u{FB06}').contains(&c) {
            unicode_normalization::char::decompose_compatible(c, |part| line.push(part));
        } else {
            line.push(c);
        }
    }
    // A soft hyphen only shows (as a hyphen) where the line breaks.
    if trailing_soft_hyphen && !pending_space {
        line.push('-');
    }
}

fn is_dropped(c: char) -> bool {
    (c.is_control() && c != '\t') || c == '\u{FFFD}' || ('\u{E000}'..='\u{F8FF}').contains(&c) || c >= '\u{F0000}'
}

/// Appends a non-empty cleaned line, joining a word hyphenated across the line break.
fn push_line(out: &mut String, line: &str, blank_lines: usize) {
    if out.is_empty() {
        out.push_str(line);
        return;
    }
    if blank_lines == 0 && ends_with_hyphenated_word(out) && line.starts_with(char::is_lowercase) {
        out.pop();
        // The rest of the word moves up; the line break moves to after it.
        match line.split_once(' ') {
            Some((word_end, rest)) => {
                out.push_str(word_end);
                out.push('\n');
                out.push_str(rest);
            }
            None => out.push_str(line),
        }
        return;
    }
    // Keep at most two blank lines in a row.
    for _ in 0..=blank_lines.min(2) {
        out.push('\n');
    }
    out.push_str(line);
}

/// Whether `text` ends with a letter followed by a hyphen (U+002D or U+2010).
fn ends_with_hyphenated_word(text: &str) -> bool {
    let mut tail = text.chars().rev();
    matches!(tail.next(), Some('-' | '\u{2010}')) && tail.next().is_some_and(char::is_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_expands_ligatures() {
        assert_eq!(
            normalize("\u{FB01}nd \u{FB00} \u{FB02} \u{FB03} \u{FB04} \u{FB05} \u{FB06}"),
            "find ff fl ffi ffl st st"
        );
    }

    #[test]
    fn normalize_composes_accents() {
        assert_eq!(normalize("Moun\u{69}e\u{301}"), "Mouni\u{E9}");
    }

    #[test]
    fn normalize_joins_words_hyphenated_at_line_end() {
        assert_eq!(normalize("an exam-\nple of it\nnext"), "an example\nof it\nnext");
        assert_eq!(normalize("one exam-\nple"), "one example");
        assert_eq!(normalize("soft exam\u{AD}\nple here"), "soft example\nhere");
    }

    #[test]
    fn normalize_keeps_real_hyphens() {
        assert_eq!(normalize("a well-known fact"), "a well-known fact");
        assert_eq!(normalize("Smith-\nJones"), "Smith-\nJones");
        assert_eq!(normalize("pages 10-\n20"), "pages 10-\n20");
        assert_eq!(normalize("ends with exam-\n\nple"), "ends with exam-\n\nple");
        assert_eq!(normalize("mid\u{AD}word"), "midword");
    }

    #[test]
    fn normalize_drops_control_and_private_use_characters() {
        let dirty = "a\u{0}b\u{7}c\r\u{C}d\u{E000}e\u{F8FF}f\u{FFFD}g\u{F0000}h\u{10FFFD}i\tj";
        assert_eq!(normalize(dirty), "abcdefghi\tj");
    }

    #[test]
    fn normalize_collapses_spaces_and_blank_lines() {
        assert_eq!(normalize("\n\n  a   b  \n\n\n\n\n c\n \n d \n\n"), "a b\n\n\nc\n\nd");
    }
}

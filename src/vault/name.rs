//! Note file names that are safe on Windows, macOS and Linux and inside wikilinks.
//!
//! A [`NoteName`] can only hold a safe basename: NFC, none of `* " \ / < > : | ? # ^ [ ]`,
//! no control characters, no `%%`, no leading dot or space, no trailing dot or space, not
//! a Windows reserved device name, at most [`MAX_NAME_BYTES`] bytes. Uniqueness is decided
//! case-insensitively (two titles that differ only by case get two notes), see
//! [`NoteName::key`]; the full title always stays in the note's aliases.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// Longest basename in bytes, before the `.md` extension (limits are 255 on most file
/// systems; room is left for a disambiguating suffix and temp-file prefixes).
pub const MAX_NAME_BYTES: usize = 200;

const FORBIDDEN: [char; 13] = ['*', '"', '\\', '/', '<', '>', ':', '|', '?', '#', '^', '[', ']'];

const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2",
    "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A safe note basename (without `.md`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoteName(String);

impl NoteName {
    /// A safe name from a title (or any text); "Untitled" when nothing usable is left.
    pub fn from_title(title: &str) -> Self {
        Self(sanitize(title, MAX_NAME_BYTES))
    }

    /// This name with ` (suffix)` appended, shortening the base so the whole stays
    /// within the byte limit.
    pub fn with_suffix(&self, suffix: &str) -> Self {
        let suffix = sanitize(suffix, 64);
        let tail = format!(" ({suffix})");
        let base = sanitize(&self.0, MAX_NAME_BYTES.saturating_sub(tail.len()).max(1));
        Self(format!("{base}{tail}"))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as compared for uniqueness (case-insensitive, like macOS and Windows).
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }

    /// Rebuilds a name read back from the store, re-checking it.
    pub fn from_stored(name: &str) -> Option<Self> {
        let safe = sanitize(name, MAX_NAME_BYTES);
        (safe == name).then_some(Self(safe))
    }
}

impl std::fmt::Display for NoteName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `s` in NFC, borrowed when it is NFC already (as nearly every title and name is): the
/// quick check skips characters below U+0300 without a table look-up, where composing
/// looked up every character's combining class.
pub fn nfc(s: &str) -> Cow<'_, str> {
    match is_nfc_quick(s.chars()) {
        IsNormalized::Yes => Cow::Borrowed(s),
        IsNormalized::No | IsNormalized::Maybe => Cow::Owned(s.nfc().collect()),
    }
}

fn sanitize(raw: &str, max_bytes: usize) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut last_space = true;
    for c in nfc(raw).chars() {
        let c = if FORBIDDEN.contains(&c) || c.is_whitespace() || c.is_control() || is_invisible(c) {
            ' '
        } else {
            c
        };
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else if c == '%' && out.ends_with('%') {
            // `%%` opens an Obsidian comment inside a link.
        } else {
            out.push(c);
            last_space = false;
        }
    }
    // Truncation can end a string mid-sequence; normalizing again keeps it NFC.
    let mut name: String = nfc(&truncate_bytes(&out, max_bytes)).into_owned();
    name = trim_edges(&truncate_bytes(&name, max_bytes));
    if name.is_empty() {
        name = "Untitled".to_owned();
    }
    let stem = name.split('.').next().unwrap_or("").trim_end().to_ascii_uppercase();
    if RESERVED.contains(&stem.as_str()) {
        name = format!("{}_{}", &name[..stem.len()], &name[stem.len()..]);
        name = truncate_bytes(&name, max_bytes);
    }
    name
}

/// Format characters that render as nothing (zero-width joiners, bidi controls):
/// two names differing only by them would look identical.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

fn trim_edges(s: &str) -> String {
    s.trim_start_matches(['.', ' ']).trim_end_matches(['.', ' ']).to_owned()
}

fn truncate_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn is_safe(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= MAX_NAME_BYTES
            && !name.chars().any(|c| FORBIDDEN.contains(&c) || c.is_control())
            && !name.contains("%%")
            && !name.starts_with(['.', ' '])
            && !name.ends_with(['.', ' '])
            && !RESERVED.contains(
                &name
                    .split('.')
                    .next()
                    .unwrap_or("")
                    .trim_end()
                    .to_ascii_uppercase()
                    .as_str(),
            )
            && name.nfc().collect::<String>() == name
    }

    #[test]
    fn nfc_composes_and_borrows_what_is_composed_already() {
        assert!(matches!(nfc("Attention Is All You Need"), Cow::Borrowed(_)));
        assert!(matches!(nfc("Gödel, Escher, Bach"), Cow::Borrowed(_)));
        let decomposed = "Go\u{308}del";
        assert_eq!(nfc(decomposed), "Gödel");
        assert!(matches!(nfc(decomposed), Cow::Owned(_)));
        // Hangul jamo compose too.
        assert_eq!(nfc("\u{1100}\u{1161}"), "\u{AC00}");
    }

    #[test]
    fn hostile_titles_become_safe_names() {
        let cases = [
            ("Attention Is All You Need", "Attention Is All You Need"),
            (
                "BERT: Pre-training of Deep Bidirectional Transformers",
                "BERT Pre-training of Deep Bidirectional Transformers",
            ),
            ("../../etc/passwd", "etc passwd"),
            ("CON", "CON_"),
            ("con.txt", "con_.txt"),
            ("LPT1 ", "LPT1_"),
            ("...hidden", "hidden"),
            ("trailing dots...", "trailing dots"),
            ("a [[b]] | c # d ^ e", "a b c d e"),
            ("100%% sure", "100% sure"),
            ("", "Untitled"),
            ("///", "Untitled"),
            ("e\u{301}cole", "\u{e9}cole"),
            ("zero\u{200b}width", "zero width"),
        ];
        for (title, expected) in cases {
            assert_eq!(NoteName::from_title(title).as_str(), expected, "{title:?}");
        }
    }

    #[test]
    fn long_titles_are_cut_at_a_character_boundary() {
        let title = "é".repeat(300);
        let name = NoteName::from_title(&title);
        assert!(name.as_str().len() <= MAX_NAME_BYTES);
        assert!(is_safe(name.as_str()));
        let suffixed = name.with_suffix("2017");
        assert!(suffixed.as_str().len() <= MAX_NAME_BYTES);
        assert!(suffixed.as_str().ends_with(" (2017)"));
    }

    #[test]
    fn names_differing_by_case_share_a_key() {
        assert_eq!(
            NoteName::from_title("Deep Learning").key(),
            NoteName::from_title("deep learning").key()
        );
    }

    proptest! {
        #[test]
        fn any_title_gives_a_safe_name(title in any::<String>(), suffix in any::<String>()) {
            let name = NoteName::from_title(&title);
            prop_assert!(is_safe(name.as_str()), "{:?}", name);
            let suffixed = name.with_suffix(&suffix);
            prop_assert!(is_safe(suffixed.as_str()), "{:?}", suffixed);
            prop_assert_eq!(NoteName::from_stored(name.as_str()), Some(name.clone()));
        }
    }
}

//! Citekeys as Better BibTeX makes them by default (`auth.lower + shorttitle(3,3) +
//! year`, e.g. `vaswaniAttentionAllYou2017`), and what makes a key valid for BibTeX.

use super::tex::normalize;
use crate::render::formats::person;

/// Better BibTeX's English stop words: title words skipped by `shorttitle`.
const STOP_WORDS: &str =
    "a ab aboard about above across after against al along amid among an and anti around as at before
    behind below beneath beside besides between beyond but by d da das de del dell dello dei degli \
    della delle dem den der des despite die do down du during ein eine einem einen einer eines el en \
    et except for from gli i il in inside into is l la las le les like lo los near nor of off on \
    onto or over past per plus round save since so some sur than the through to toward towards un \
    una unas under underneath une unlike uno unos until up upon versus via von while with within \
    without yet zu zum";

/// How many title words a citekey takes.
const TITLE_WORDS: usize = 3;

/// The base citekey of a paper.
///
/// Better BibTeX's default `auth.lower + shorttitle(3,3) + year`: the first author's
/// surname (particles kept, see [`person::surname`]) lower-cased, the first three title
/// words that are not stop words with their first letter upper-cased, and the year.
/// Everything is ASCII-folded and only ASCII letters and digits are kept. Without an
/// (ASCII-foldable) author the key starts with `anon`; without a year or usable title words
/// those parts are left out; a key that would start with a digit gets a `ref` prefix.
pub fn base_citekey(first_author: Option<&str>, title: &str, year: Option<i64>) -> String {
    let mut key = first_author.map(author_part).unwrap_or_default();
    if key.is_empty() {
        key.push_str("anon");
    }
    key.push_str(&title_part(title));
    if let Some(year) = year {
        key.extend(year.to_string().chars().filter(char::is_ascii_digit));
    }
    if key.is_empty() || key.starts_with(|c: char| c.is_ascii_digit()) {
        key.insert_str(0, "ref");
    }
    key
}

/// Keys to try in order when the base is taken (case-insensitively): base, basea, baseb,
/// …, basez, baseaa, baseab, … (an endless iterator).
pub fn citekey_candidates(base: &str) -> impl Iterator<Item = String> {
    let base = base.to_owned();
    (0u64..).map(move |n| format!("{base}{}", letter_suffix(n)))
}

/// The author part of a key: the surname, folded, ASCII letters and digits, lower-case.
fn author_part(full: &str) -> String {
    let surname = person::surname(&normalize(full));
    fold(&surname)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The title part of a key: the first three words that are not stop words, capitalised.
fn title_part(title: &str) -> String {
    fold(&normalize(title))
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty() && !is_stop_word(w))
        .take(TITLE_WORDS)
        .map(capitalise)
        .collect()
}

/// Whether `word` is one of [`STOP_WORDS`], in any case: a binary search of them sorted
/// (every title's words are tried, 100,000 titles in a large render).
fn is_stop_word(word: &str) -> bool {
    static SORTED: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        let mut words: Vec<&str> = STOP_WORDS.split_whitespace().collect();
        words.sort_unstable();
        words
    });
    // The stop words are lower-case ASCII: compared with the word lower-cased as it goes.
    SORTED
        .binary_search_by(|stop| stop.bytes().cmp(word.bytes().map(|b| b.to_ascii_lowercase())))
        .is_ok()
}

/// `word` with its first letter upper-cased, the rest as written.
fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// ASCII transliteration ("Müller" → "Muller").
fn fold(s: &str) -> String {
    deunicode::deunicode(s)
}

/// The suffix of the `n`th candidate: "" for 0, then "a"…"z", "aa", "ab", … (bijective
/// base 26).
fn letter_suffix(mut n: u64) -> String {
    let mut letters = Vec::new();
    while n > 0 {
        n -= 1;
        letters.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
    }
    letters.iter().rev().collect()
}

/// Characters BibTeX does not allow in a citekey.
fn bad_key_char(c: char) -> bool {
    c.is_whitespace() || c.is_control() || "{},\\\"#%'()=~".contains(c)
}

/// A citekey without the characters BibTeX does not allow in one.
pub(super) fn clean_key(key: &str) -> String {
    let cleaned: String = key.chars().filter(|&c| !bad_key_char(c)).collect();
    if cleaned.is_empty() { "ref".to_owned() } else { cleaned }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_vaswani_key() {
        assert_eq!(
            base_citekey(Some("Ashish Vaswani"), "Attention Is All You Need", Some(2017)),
            "vaswaniAttentionAllYou2017"
        );
    }

    #[test]
    fn keys_are_folded_to_ascii() {
        assert_eq!(
            base_citekey(Some("Thomas Müller"), "Über Graphen", Some(1999)),
            "mullerUberGraphen1999"
        );
        assert_eq!(
            base_citekey(Some("Kurt Gödel"), "Über formal unentscheidbare Sätze", Some(1931)),
            "godelUberFormalUnentscheidbare1931"
        );
        assert_eq!(base_citekey(Some("José Núñez"), "Señales", None), "nunezSenales");
        // Decomposed input folds like composed input.
        assert_eq!(base_citekey(Some("Kurt Go\u{308}del"), "x", None), "godelX");
    }

    #[test]
    fn keys_skip_stop_words_and_keep_case() {
        assert_eq!(
            base_citekey(
                Some("Jacob Devlin"),
                "BERT: Pre-training of Deep Bidirectional Transformers",
                Some(2019)
            ),
            "devlinBERTPreTraining2019"
        );
        assert_eq!(
            base_citekey(
                Some("A. Turing"),
                "On the Computable Numbers, with an Application",
                Some(1936)
            ),
            "turingComputableNumbersApplication1936"
        );
        assert_eq!(base_citekey(Some("X Y"), "The l'homme AND of THE", None), "yHomme");
        assert_eq!(base_citekey(Some("X Y"), "Über die Natur", None), "yUberNatur");
    }

    #[test]
    fn keys_keep_surname_particles() {
        assert_eq!(
            base_citekey(Some("Lucy van der Berg"), "Graphs", Some(2020)),
            "vanderbergGraphs2020"
        );
        assert_eq!(
            base_citekey(Some("Ludwig van Beethoven"), "Symphony", None),
            "vanbeethovenSymphony"
        );
        assert_eq!(base_citekey(Some("Martin Luther King Jr."), "Dream", None), "kingDream");
        assert_eq!(base_citekey(Some("Jean-Luc O'Neil"), "Dream", None), "oneilDream");
    }

    #[test]
    fn keys_survive_missing_parts() {
        assert_eq!(
            base_citekey(None, "Attention Is All You Need", Some(2017)),
            "anonAttentionAllYou2017"
        );
        assert_eq!(base_citekey(Some("   "), "Attention", None), "anonAttention");
        assert_eq!(
            base_citekey(Some("Ashish Vaswani"), "Attention", None),
            "vaswaniAttention"
        );
        assert_eq!(base_citekey(Some("Ashish Vaswani"), "", Some(2017)), "vaswani2017");
        assert_eq!(
            base_citekey(Some("Ashish Vaswani"), "— of the —", Some(2017)),
            "vaswani2017"
        );
        assert_eq!(base_citekey(None, "", None), "anon");
        assert_eq!(base_citekey(Some("3M"), "Tape", Some(1930)), "ref3mTape1930");
        assert_eq!(base_citekey(Some("Plato"), "Republic", Some(-375)), "platoRepublic375");
    }

    #[test]
    fn candidates_run_through_the_alphabet() {
        let keys: Vec<String> = citekey_candidates("base").take(30).collect();
        assert_eq!(keys[0], "base");
        assert_eq!(keys[1], "basea");
        assert_eq!(keys[2], "baseb");
        assert_eq!(keys[26], "basez");
        assert_eq!(keys[27], "baseaa");
        assert_eq!(keys[28], "baseab");
        assert_eq!(citekey_candidates("k").nth(26 + 26 * 26), Some("kzz".to_owned()));
        assert_eq!(citekey_candidates("k").nth(26 + 26 * 26 + 1), Some("kaaa".to_owned()));
    }

    #[test]
    fn stop_words_are_lower_case_and_unique() {
        let words: Vec<&str> = STOP_WORDS.split_whitespace().collect();
        let mut unique = words.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), words.len());
        assert_eq!(words.len(), 121);
        assert!(words.iter().all(|w| w.chars().all(|c| c.is_ascii_lowercase())));
        assert!(is_stop_word("The") && is_stop_word("zum") && !is_stop_word("attention"));
        // The binary search finds what a scan of the list finds, in any case.
        let scan = |w: &str| words.iter().any(|s| s.eq_ignore_ascii_case(w));
        for word in &words {
            for probe in [
                (*word).to_owned(),
                word.to_uppercase(),
                format!("{word}x"),
                format!("a{word}"),
                word[1..].to_owned(),
            ] {
                assert_eq!(is_stop_word(&probe), scan(&probe), "{probe}");
            }
        }
    }

    proptest! {
        #[test]
        fn any_input_gives_a_safe_key(author in proptest::option::of(any::<String>()), title in any::<String>(), year in any::<Option<i64>>()) {
            let key = base_citekey(author.as_deref(), &title, year);
            prop_assert!(!key.is_empty());
            prop_assert!(key.chars().all(|c| c.is_ascii_alphanumeric()), "{key}");
            prop_assert!(!key.starts_with(|c: char| c.is_ascii_digit()), "{key}");
        }
    }
}

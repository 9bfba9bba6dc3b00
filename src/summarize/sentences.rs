//! Sentences worth quoting, and the tests a quoted sentence must pass: not a fragment or
//! caption, not boilerplate (licences, affiliations, addresses, venue lines), not mostly
//! the paper's title. Pure string work, shared by the extractive summarizer's sources.

use std::collections::HashSet;

/// Sentences considered at most (long texts: the first ones, where papers say what they do).
pub(crate) const MAX_SENTENCES: usize = 600;

/// A sentence whose content words are at least this many tenths title words restates
/// the title.
const TITLE_TENTHS: usize = 6;

const STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "by", "can", "for", "from", "has", "have", "in", "into", "is",
    "it", "its", "of", "on", "or", "our", "that", "the", "their", "these", "this", "to", "was", "we", "were", "which",
    "with", "also", "not", "such", "than", "then", "there", "they", "both", "each", "more", "most", "other", "some",
    "using", "used", "use", "may", "all", "one", "two", "however", "between", "when", "where", "while", "so", "if",
    "but",
];

/// What boilerplate says: licences and copyright, publishers' and venues' lines,
/// affiliations and addresses, links and identifiers.
const BOILERPLATE: &[&str] = &[
    "©",
    "(c) 19",
    "(c) 20",
    "copyright",
    "all rights reserved",
    "licensed under",
    "creative commons",
    "cc by",
    "cc-by",
    "open access article",
    "distributed under the terms",
    "permission to make digital",
    "permission to copy",
    "published by",
    "proceedings of the",
    "arxiv:",
    "doi:",
    "doi.org",
    "http://",
    "https://",
    "www.",
    "university of",
    "universit\u{e4}t",
    "department of",
    "corresponding author",
    "equal contribution",
    "contributed equally",
    "work done while",
    "work done during",
    "e-mail",
    "email:",
    "preprint submitted",
    "under review as",
    "accepted for publication",
];

/// Sentences worth quoting: split at `. ` / `? ` / `! ` before a capital or digit, and at
/// blank lines; fragments (headings, captions, formulas) are dropped.
pub(crate) fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for paragraph in text.split("\n\n") {
        let flat: String = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
        let chars: Vec<char> = flat.chars().collect();
        let mut start = 0;
        for i in 0..chars.len() {
            let ends = matches!(chars[i], '.' | '?' | '!')
                && chars.get(i + 1) == Some(&' ')
                && chars.get(i + 2).is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
                && !is_abbreviation(&chars[start..i]);
            if ends {
                push_sentence(&mut out, chars[start..=i].iter().collect());
                start = i + 2;
            }
        }
        if start < chars.len() {
            push_sentence(&mut out, chars[start..].iter().collect());
        }
        if out.len() >= MAX_SENTENCES {
            break;
        }
    }
    out.truncate(MAX_SENTENCES);
    out
}

/// "e.g", "et al", "Fig" and single capitals before a period do not end a sentence.
fn is_abbreviation(before: &[char]) -> bool {
    let word: String = before
        .iter()
        .rev()
        .take_while(|c| !c.is_whitespace())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let lower = word.to_lowercase();
    [
        "e.g", "i.e", "al", "fig", "eq", "sec", "vs", "etc", "cf", "no", "dr", "mr", "ms",
    ]
    .contains(&lower.as_str())
        || (word.chars().count() == 1 && word.chars().all(char::is_uppercase))
}

fn push_sentence(out: &mut Vec<String>, sentence: String) {
    let s = sentence.trim();
    // Captions describe a figure, not the paper.
    if ["fig", "figure", "table", "algorithm"]
        .iter()
        .any(|c| s.to_lowercase().starts_with(c))
    {
        return;
    }
    let letters = s.chars().filter(|c| c.is_alphabetic()).count();
    let words = s.split_whitespace().count();
    if (40..=400).contains(&s.chars().count()) && words >= 6 && letters * 10 >= s.chars().count() * 6 {
        out.push(s.to_owned());
    }
}

/// A text's content words: lowercase, longer than two characters, stop words left out.
pub(crate) fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 2)
        .map(str::to_lowercase)
        .filter(|w| !STOP.contains(&w.as_str()))
}

/// Whether a sentence is boilerplate rather than something the paper says.
pub(crate) fn is_boilerplate(sentence: &str) -> bool {
    let lower = sentence.to_lowercase();
    BOILERPLATE.iter().any(|b| lower.contains(b)) || has_email_address(sentence)
}

fn has_email_address(s: &str) -> bool {
    s.split_whitespace().any(|w| {
        w.split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !host.starts_with('.'))
    })
}

/// The title's content words, to tell sentences that restate it.
#[derive(Debug, Clone, Default)]
pub(crate) struct TitleWords(HashSet<String>);

impl TitleWords {
    /// The content words of `title`.
    pub(crate) fn of(title: &str) -> Self {
        Self(words(title).collect())
    }

    /// Whether at least 60 % of `sentence`'s content words are title words (the title
    /// itself, or the title with a few words around it).
    pub(crate) fn restated_by(&self, sentence: &str) -> bool {
        let (mut shared, mut all) = (0usize, 0usize);
        for w in words(sentence) {
            all += 1;
            shared += usize::from(self.0.contains(&w));
        }
        !self.0.is_empty() && all > 0 && shared * 10 >= all * TITLE_TENTHS
    }

    /// The title's words, for scoring.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &String> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_do_not_split_sentences_and_fragments_are_dropped() {
        let got = sentences(
            "Results are in Fig. 3 of the appendix, e.g. the table of all runs we made.\n\n2 Method\n\nx = y + z",
        );
        assert_eq!(
            got,
            vec!["Results are in Fig. 3 of the appendix, e.g. the table of all runs we made."]
        );
    }

    #[test]
    fn licences_affiliations_addresses_and_links_are_boilerplate() {
        for line in [
            "© 2020 Elsevier Ltd. All rights reserved.",
            "This is an open access article distributed under the terms of the Creative Commons licence.",
            "Ada Lovelace, Department of Computing, Some College, London, UK",
            "Correspondence to ada@example.org for the data set and the code we used.",
            "Code and data are available at https://example.org/quill for everyone.",
            "Proceedings of the 58th Annual Meeting of the Association for Computational Linguistics, pages 1-10",
        ] {
            assert!(is_boilerplate(line), "{line}");
        }
        assert!(!is_boilerplate(
            "We propose Quill, a method based on sparse adapters that cuts training cost."
        ));
    }

    #[test]
    fn a_sentence_mostly_made_of_title_words_restates_the_title() {
        let title = TitleWords::of("Attention Is All You Need");
        assert!(title.restated_by("Attention is all you need."));
        assert!(title.restated_by("Attention Is All You Need (extended version)"));
        assert!(
            !title.restated_by(
                "We propose the Transformer, a network architecture based solely on attention mechanisms."
            )
        );
        assert!(!TitleWords::of("").restated_by("Anything at all is fine here."));
    }
}

//! Text for and about tests: a paragraph of prose that passes the PDF text verdict, and
//! [`word_f1`], the score that compares extracted text with a reference.

use std::collections::HashMap;

use crate::summarize::pdf::normalize;

/// About 700 non-whitespace characters of prose in twelve short lines: enough to pass
/// [`judge`](crate::summarize::pdf::judge()) on one page.
pub const PROSE: [&str; 12] = [
    "Citation graphs connect every paper to the work it builds on,",
    "and reading that neighbourhood is how researchers find context.",
    "We crawl the graph around a seed paper and download the open",
    "access versions of its references and citations where they exist.",
    "Each document is converted to plain text and summarized so that",
    "the reader can decide quickly which papers deserve a closer look.",
    "Extraction has to cope with scanned pages, encrypted files and",
    "downloads that stopped halfway, without stopping the whole crawl.",
    "Text that is glued together or made of symbols is rejected early",
    "because a summary of garbage wastes time and misleads the reader.",
    "The quick brown fox jumps over the lazy dog near the river bank",
    "while the summarizer waits patiently for the next clean document.",
];

/// [`PROSE`] as one text, a line each.
pub fn prose() -> String {
    PROSE.join("\n")
}

/// Word-level F1 of `candidate` against `reference`: both are [`normalize`]d, lowercased and
/// split on non-alphanumeric characters, then compared as bags of words. Two empty texts score 1.
pub fn word_f1(candidate: &str, reference: &str) -> f64 {
    let (candidate, reference) = (word_bag(candidate), word_bag(reference));
    let (candidate_total, reference_total): (usize, usize) = (candidate.values().sum(), reference.values().sum());
    if candidate_total == 0 && reference_total == 0 {
        return 1.0;
    }
    let overlap: usize = candidate
        .iter()
        .map(|(word, &count)| count.min(reference.get(word).copied().unwrap_or(0)))
        .sum();
    if overlap == 0 {
        return 0.0;
    }
    let precision = overlap as f64 / candidate_total as f64;
    let recall = overlap as f64 / reference_total as f64;
    2.0 * precision * recall / (precision + recall)
}

fn word_bag(text: &str) -> HashMap<String, usize> {
    let mut bag = HashMap::new();
    for word in normalize(text).to_lowercase().split(|c: char| !c.is_alphanumeric()) {
        if !word.is_empty() {
            *bag.entry(word.to_owned()).or_insert(0) += 1;
        }
    }
    bag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_f1_of_identical_texts_is_one() {
        assert_eq!(word_f1("The cat sat, on the mat.", "the CAT sat on\nthe mat"), 1.0);
        assert_eq!(word_f1("", ""), 1.0);
    }

    #[test]
    fn word_f1_of_disjoint_texts_is_zero() {
        assert_eq!(word_f1("alpha beta", "gamma delta"), 0.0);
        assert_eq!(word_f1("", "gamma delta"), 0.0);
    }

    #[test]
    fn word_f1_of_partial_overlap_counts_words_as_a_bag() {
        assert_eq!(word_f1("a b c d", "a b x y"), 0.5);
        // precision 2/3, recall 1: the repeated "a" only matches once.
        let f1 = word_f1("a a b", "a b");
        assert!((f1 - 0.8).abs() < 1e-12, "{f1}");
    }

    #[test]
    fn word_f1_sees_through_ligatures_and_hyphenation() {
        assert_eq!(word_f1("e\u{FB03}cient exam-\nple", "efficient example"), 1.0);
    }
}

//! The built-in summarizer: no network, deterministic, the default.
//!
//! It picks sentences from the text itself. Each sentence is scored by how much of the
//! text's vocabulary it carries (word frequencies, stop words left out), with a bonus for
//! coming early (abstracts and introductions state the point). Each sentence belongs to
//! the part whose cue words it carries most ("we propose" for the method, "outperform"
//! for results…), and each part takes its best-scoring sentences; a part whose cues
//! appear nowhere is left empty rather than filled with something unrelated. The TL;DR is
//! the best early sentence stating what the paper does.

use std::collections::HashMap;

use super::summary::{Request, Summarizer, Summary, SummaryFuture};

/// The model name extractive summaries are cached under.
pub const MODEL: &str = "refnet-extractive";
/// Bumped whenever the algorithm changes.
pub const VERSION: &str = "extractive-v1";

/// Sentences considered at most (long texts: the first ones, where papers say what they do).
const MAX_SENTENCES: usize = 600;
/// Sentences per part.
const PER_PART: usize = 2;

const STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "by", "can", "for", "from", "has", "have", "in", "into", "is",
    "it", "its", "of", "on", "or", "our", "that", "the", "their", "these", "this", "to", "was", "we", "were", "which",
    "with", "also", "not", "such", "than", "then", "there", "they", "both", "each", "more", "most", "other", "some",
    "using", "used", "use", "may", "all", "one", "two", "however", "between", "when", "where", "while", "so", "if",
    "but",
];

const PROBLEM: &[&str] = &[
    "problem",
    "challenge",
    "address",
    "difficult",
    "lack",
    "limited",
    "remains",
    "question",
    "need",
    "gap",
    "costly",
    "expensive",
    "hard to",
    "unclear",
    "bottleneck",
];
const METHOD: &[&str] = &[
    "we propose",
    "we present",
    "we introduce",
    "we develop",
    "we describe",
    "our approach",
    "our method",
    "our model",
    "we design",
    "framework",
    "algorithm",
    "architecture",
    "we train",
    "based on",
    "relies on",
    "we use",
];
const RESULTS: &[&str] = &[
    "result",
    "outperform",
    "improve",
    "achieve",
    "accuracy",
    "state-of-the-art",
    "state of the art",
    "show that",
    "demonstrate",
    "experiments",
    "%",
    "better than",
    "significant",
    "bleu",
    "f1",
];
/// What a sentence stating the paper's point tends to say.
const CLAIMS: &[&str] = &[
    "we propose",
    "we present",
    "we introduce",
    "we show",
    "this paper",
    "in this paper",
    "we develop",
    "we describe",
];
const LIMITATIONS: &[&str] = &[
    "limitation",
    "future work",
    "fail",
    "cannot",
    "does not",
    "do not",
    "only",
    "restricted",
    "drawback",
    "leave",
    "beyond the scope",
    "caveat",
];

/// The built-in summarizer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extractive;

impl Summarizer for Extractive {
    fn model(&self) -> &str {
        MODEL
    }

    fn prompt_version(&self) -> &str {
        VERSION
    }

    fn summarize<'a>(&'a self, request: Request<'a>) -> SummaryFuture<'a> {
        let text = request.text.to_owned();
        Box::pin(async move {
            // Sentence scoring of a long paper is CPU work: off the async runtime.
            tokio::task::spawn_blocking(move || summarize_text(&text))
                .await
                .map_err(|e| super::summary::SummarizeError::Failed(e.to_string()))
        })
    }
}

/// Summarizes a text by picking its sentences.
pub fn summarize_text(text: &str) -> Summary {
    let sentences = sentences(text);
    if sentences.is_empty() {
        return Summary::default();
    }
    let freq = frequencies(&sentences);
    let scores: Vec<f64> = sentences
        .iter()
        .enumerate()
        .map(|(i, s)| score(s, &freq) * (1.0 + 0.5 / (1.0 + i as f64 / 10.0)))
        .collect();
    let lower: Vec<String> = sentences.iter().map(|s| s.to_lowercase()).collect();
    let parts = [PROBLEM, METHOD, RESULTS, LIMITATIONS];
    // Each sentence goes to the part whose cues it carries most (the first on a tie).
    let part_of: Vec<Option<usize>> = lower
        .iter()
        .map(|l| {
            let counts: Vec<usize> = parts
                .iter()
                .map(|cues| cues.iter().filter(|c| l.contains(*c)).count())
                .collect();
            let most = counts.iter().copied().max().unwrap_or(0);
            (most > 0).then(|| counts.iter().position(|&c| c == most).unwrap_or(0))
        })
        .collect();
    let pick = |part: usize| -> String {
        let members: Vec<usize> = (0..sentences.len()).filter(|&i| part_of[i] == Some(part)).collect();
        best(&sentences, &scores, &members, PER_PART)
    };
    let early: Vec<usize> = (0..sentences.len().min(30)).collect();
    let claims: Vec<usize> = early
        .iter()
        .copied()
        .filter(|&i| CLAIMS.iter().any(|c| lower[i].contains(c)))
        .collect();
    let tldr = best(&sentences, &scores, if claims.is_empty() { &early } else { &claims }, 1);
    Summary {
        tldr,
        problem: pick(0),
        method: pick(1),
        results: pick(2),
        limitations: pick(3),
    }
}

/// The best `count` of `candidates` by score, in text order.
fn best(sentences: &[String], scores: &[f64], candidates: &[usize], count: usize) -> String {
    let mut ranked = candidates.to_vec();
    ranked.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let mut chosen: Vec<usize> = ranked.into_iter().take(count).collect();
    chosen.sort_unstable();
    chosen
        .iter()
        .map(|&i| sentences[i].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sentences worth quoting: split at `. ` / `? ` / `! ` before a capital or digit, and at
/// blank lines; fragments (headings, captions, formulas) are dropped.
fn sentences(text: &str) -> Vec<String> {
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

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 2)
        .map(str::to_lowercase)
        .filter(|w| !STOP.contains(&w.as_str()))
}

fn frequencies(sentences: &[String]) -> HashMap<String, f64> {
    let mut freq: HashMap<String, f64> = HashMap::new();
    for s in sentences {
        for w in words(s) {
            *freq.entry(w).or_insert(0.0) += 1.0;
        }
    }
    let max = freq.values().copied().fold(1.0, f64::max);
    for v in freq.values_mut() {
        *v /= max;
    }
    freq
}

/// The mean frequency of a sentence's words (long sentences are not favoured).
fn score(sentence: &str, freq: &HashMap<String, f64>) -> f64 {
    let (sum, n) = words(sentence).fold((0.0, 0usize), |(sum, n), w| {
        (sum + freq.get(&w).copied().unwrap_or(0.0), n + 1)
    });
    if n == 0 { 0.0 } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABSTRACT: &str = "Sequence transduction models are based on complex recurrent networks that are costly to \
train and hard to parallelize. We propose the Transformer, a new architecture based solely on attention mechanisms. \
Experiments on two machine translation tasks show that our models outperform the best previous results by over 2 BLEU. \
The Transformer reaches 28.4 BLEU on the English-to-German translation task. However, the model does not handle very \
long documents, which we leave to future work. Fig. 1 shows the model architecture, e.g. the encoder and the decoder.";

    #[test]
    fn each_part_takes_the_sentences_whose_cues_it_carries_most_and_none_twice() {
        let s = summarize_text(ABSTRACT);
        assert_eq!(
            s.method,
            "We propose the Transformer, a new architecture based solely on attention mechanisms."
        );
        assert!(
            s.results.contains("outperform") && s.results.contains("28.4 BLEU"),
            "{s:?}"
        );
        assert!(s.limitations.contains("future work"), "{s:?}");
        assert!(s.problem.contains("costly to train"), "{s:?}");
        assert_eq!(s.tldr, s.method, "the TL;DR is the paper's stated point");
        let parts = [&s.problem, &s.method, &s.results, &s.limitations];
        assert!(!parts.iter().any(|p| p.contains("Fig.")), "captions are dropped: {s:?}");
        for (i, a) in parts.iter().enumerate() {
            for b in &parts[i + 1..] {
                assert!(a.is_empty() || b.is_empty() || !b.contains(a.as_str()), "{a} repeated");
            }
        }
    }

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
    fn the_same_text_gives_the_same_summary_and_empty_text_an_empty_one() {
        assert_eq!(summarize_text(ABSTRACT), summarize_text(ABSTRACT));
        assert!(summarize_text("").is_empty());
        assert!(summarize_text("Too short.").is_empty());
    }
}

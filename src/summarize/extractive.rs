//! The built-in summarizer: no network, deterministic, the default.
//!
//! It picks sentences from the text itself. Each sentence is scored by how much of the
//! text's vocabulary it carries (word frequencies, stop words left out), with a bonus for
//! coming early (abstracts and introductions state the point). Each sentence belongs to
//! the part whose cue words it carries most ("we propose" for the method, "outperform"
//! for results…), and each part takes its best-scoring sentences; a part whose cues
//! appear nowhere is left empty rather than filled with something unrelated. The TL;DR is
//! the best early sentence stating what the paper does.
//!
//! The title helps score sentences (its words count as the text's vocabulary) but is
//! never quoted: a sentence that mostly restates it is left out of every part. So is
//! boilerplate (licences, affiliations, venue lines). From a PDF's full text only the
//! abstract, the introduction's statements of contribution and the conclusion are quoted
//! (found by `sections`); without headings, everything before the reference list.

use std::collections::HashMap;

use super::sections::{self, Kind};
use super::sentences::{TitleWords, is_boilerplate, sentences, words};
use super::summary::{Request, Source, Summarizer, Summary, SummaryFuture};

/// The model name extractive summaries are cached under.
pub const MODEL: &str = "refnet-extractive";
/// Bumped whenever the algorithm changes.
pub const VERSION: &str = "extractive-v2";

/// Sentences per part.
const PER_PART: usize = 2;

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
/// What an introduction says where it states the paper's contributions.
const CONTRIBUTIONS: &[&str] = &[
    "we propose",
    "we present",
    "we introduce",
    "we show",
    "we develop",
    "we describe",
    "we demonstrate",
    "we release",
    "our contribution",
    "contributions",
    "in this paper",
    "in this work",
    "this paper",
    "this work",
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
        let (title, text, source) = (request.title.to_owned(), request.text.to_owned(), request.source);
        Box::pin(async move {
            // Sentence scoring of a long paper is CPU work: off the async runtime.
            tokio::task::spawn_blocking(move || summarize(&title, &text, source))
                .await
                .map_err(|e| super::summary::SummarizeError::Failed(e.to_string()))
        })
    }

    fn is_local(&self) -> bool {
        true
    }

    fn summarize_here(&self, request: Request<'_>) -> Option<Summary> {
        Some(summarize(request.title, request.text, request.source))
    }
}

/// Summarizes a paper's text (from `source`) by picking its sentences; the title scores
/// them but is never picked.
pub fn summarize(title: &str, text: &str, source: Source) -> Summary {
    let title_words = TitleWords::of(title);
    let sentences: Vec<String> = quotable(text, source)
        .into_iter()
        .filter(|s| !title_words.restated_by(s) && !is_boilerplate(s))
        .collect();
    if sentences.is_empty() {
        return Summary::default();
    }
    let freq = frequencies(&sentences, &title_words);
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

/// The sentences a summary may quote, in text order: from a PDF, those of its abstract,
/// its introduction's statements of contribution and its conclusion (all but the back
/// matter when it has no such headings); from an abstract or TLDR, all of them.
fn quotable(text: &str, source: Source) -> Vec<String> {
    if source != Source::Pdf {
        return sentences(text);
    }
    let parts = sections::split(text);
    if !sections::has_structure(&parts) {
        let before_back: Vec<&str> = parts
            .iter()
            .take_while(|s| s.kind != Kind::BackMatter)
            .map(|s| s.text.as_str())
            .collect();
        return sentences(&before_back.join("\n\n"));
    }
    let mut out = Vec::new();
    for section in &parts {
        match section.kind {
            Kind::Abstract | Kind::Conclusion | Kind::Limitations => out.extend(sentences(&section.text)),
            Kind::Introduction => out.extend(
                sentences(&section.text)
                    .into_iter()
                    .filter(|s| CONTRIBUTIONS.iter().any(|c| s.to_lowercase().contains(c))),
            ),
            Kind::Front | Kind::Body | Kind::BackMatter => {}
        }
    }
    out
}

/// Word frequencies over the sentences and the title, the most frequent at 1.
fn frequencies(sentences: &[String], title: &TitleWords) -> HashMap<String, f64> {
    let mut freq: HashMap<String, f64> = HashMap::new();
    for w in sentences.iter().flat_map(|s| words(s)).chain(title.iter().cloned()) {
        *freq.entry(w).or_insert(0.0) += 1.0;
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

    fn summarize_text(text: &str) -> Summary {
        summarize("", text, Source::Abstract)
    }

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
    fn the_same_text_gives_the_same_summary_and_empty_text_an_empty_one() {
        assert_eq!(summarize_text(ABSTRACT), summarize_text(ABSTRACT));
        assert!(summarize_text("").is_empty());
        assert!(summarize_text("Too short.").is_empty());
    }

    /// Every part of a summary, the TL;DR first.
    fn parts(s: &Summary) -> [&str; 5] {
        [&s.tldr, &s.problem, &s.method, &s.results, &s.limitations]
    }

    #[test]
    fn the_title_scores_sentences_but_is_never_quoted_even_when_the_abstract_restates_it() {
        let title = "Attention Is All You Need for Sequence Transduction Models";
        for text in [
            format!("{title}.\n\n{ABSTRACT}"),
            format!("Attention is all you need for sequence transduction models, really. {ABSTRACT}"),
        ] {
            let s = summarize(title, &text, Source::Abstract);
            assert!(!s.tldr.is_empty(), "{s:?}");
            for part in parts(&s) {
                assert!(!part.to_lowercase().contains("all you need"), "{part}");
            }
        }
    }

    /// A paper's full text as PDF extraction gives it: front matter, numbered sections,
    /// acknowledgements and references whose sentences carry every cue word there is.
    pub(crate) const FULL_TEXT: &str = "Quill: Sparse Adapters for Cheap Training\nAda Lovelace and Charles Babbage\n\
Department of Computing, University of Somewhere, ada@example.org\n\nAbstract\n\
Training large language models is costly and hard to reproduce for most research groups. We propose Quill, a method \
based on sparse adapters that cuts the training cost of language models. Experiments show that Quill improves \
accuracy by 4% over dense baselines on three benchmarks.\n\n1 Introduction\n\
Language models have grown a thousandfold in five years, and so has the cost of training them. Many groups cannot \
afford to train a model of their own at all. In this paper we introduce sparse adapters, which train a small share \
of the weights. Adapters were first used for transfer between tasks in vision.\n\n2 Experiments\n\
Our experiments show that Quill outperforms every baseline with a significant improvement in accuracy and BLEU.\n\n\
3 Conclusion\nQuill shows that sparse adapters make training affordable without losing accuracy. Quill does not yet \
handle multilingual data, which we leave to future work.\n\nAcknowledgements\n\
We thank the reviewers, whose comments helped us improve the accuracy of our experiments and results.\n\n\
References\n[1] Ashish Vaswani and others. We propose the Transformer, which outperforms all baselines by 2 BLEU. \
In Advances in Neural Information Processing Systems, 2017.\n";

    #[test]
    fn a_pdf_is_quoted_from_its_abstract_contributions_and_conclusion_only() {
        let s = summarize("Quill: Sparse Adapters for Cheap Training", FULL_TEXT, Source::Pdf);
        let allowed = [
            "Training large language models is costly and hard to reproduce for most research groups.",
            "We propose Quill, a method based on sparse adapters that cuts the training cost of language models.",
            "Experiments show that Quill improves accuracy by 4% over dense baselines on three benchmarks.",
            "In this paper we introduce sparse adapters, which train a small share of the weights.",
            "Quill shows that sparse adapters make training affordable without losing accuracy.",
            "Quill does not yet handle multilingual data, which we leave to future work.",
        ];
        for part in parts(&s) {
            let mut rest = part.to_owned();
            for sentence in allowed {
                rest = rest.replace(sentence, "");
            }
            assert!(rest.trim().is_empty(), "quoted from elsewhere: {rest:?} in {s:?}");
        }
        assert!(s.tldr.starts_with("We propose Quill"), "{s:?}");
        assert!(s.limitations.contains("future work"), "{s:?}");
        assert!(s.results.contains("improves accuracy by 4%"), "{s:?}");
        // Without headings nothing is left out but the back matter.
        let flat = FULL_TEXT.replace("1 Introduction\n", "").replace("Abstract\n", "");
        let flat = flat.replace("3 Conclusion\n", "");
        let s = summarize("Quill: Sparse Adapters for Cheap Training", &flat, Source::Pdf);
        for part in parts(&s) {
            assert!(!part.contains("We thank") && !part.contains("Vaswani"), "{s:?}");
        }
    }

    mod generated {
        use proptest::prelude::*;

        use super::super::summarize;
        use super::parts;
        use crate::summarize::summary::Source;

        const TOPIC: &[&str] = &[
            "graph",
            "neural",
            "sparse",
            "protein",
            "folding",
            "quantum",
            "error",
            "correction",
            "language",
            "model",
            "retrieval",
            "robust",
            "learning",
            "causal",
            "inference",
            "climate",
            "forecasting",
            "wheat",
            "yield",
            "drought",
            "cluster",
            "scheduling",
        ];
        const OTHER: &[&str] = &[
            "benchmarks",
            "datasets",
            "baselines",
            "memory",
            "latency",
            "hardware",
            "annotators",
            "simulations",
            "sensors",
            "farms",
            "patients",
            "servers",
        ];

        fn capitalized(w: &str) -> String {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }

        prop_compose! {
            /// A title of topic words, sentences restating it (with the cue words that
            /// make a sentence a TL;DR or a part), and sentences that do not.
            fn paper()(
                title in prop::collection::vec(prop::sample::select(TOPIC), 3..8),
                other in prop::collection::vec(prop::sample::select(OTHER), 8),
                restated_at in 0usize..5,
                with_claim in any::<bool>(),
                percent in 1u32..60,
            ) -> (String, Vec<String>, String) {
                let title: Vec<String> = title.iter().map(|w| capitalized(w)).collect();
                let title = title.join(" ");
                let lower = title.to_lowercase();
                let restating = vec![
                    format!("{title}."),
                    format!("{title}: A Study of {}.", capitalized(other[0])),
                    format!("In this paper, {lower} and {lower}."),
                    format!("{title} improves {lower} results."),
                    format!("{title} remains a hard problem for {lower}."),
                ];
                let mut sentences = vec![
                    format!("Existing approaches to {lower} are costly and slow to scale to many {}.", other[1]),
                    format!("Experiments on {} show that it improves results by {percent}% over strong {}.", other[4], other[5]),
                    format!("However, it does not handle {} or {}, which we leave to future work.", other[6], other[7]),
                ];
                if with_claim {
                    sentences.insert(1, format!("We propose a simple method based on shared {} and cheap {}.", other[2], other[3]));
                }
                for (i, r) in restating.iter().enumerate() {
                    sentences.insert((restated_at + i).min(sentences.len()), r.clone());
                }
                (title, restating, sentences.join(" "))
            }
        }

        proptest! {
            #[test]
            fn no_part_of_a_summary_restates_the_title((title, restating, text) in paper()) {
                for source in [Source::Abstract, Source::Pdf] {
                    let s = summarize(&title, &text, source);
                    prop_assert!(!s.tldr.is_empty(), "{s:?}");
                    for part in parts(&s) {
                        for r in &restating {
                            prop_assert!(!part.contains(r.as_str()), "{r:?} quoted in {s:?}");
                        }
                    }
                }
            }
        }
    }
}

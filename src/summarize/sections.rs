//! A paper's full text in sections, found by their headings, so the extractive summarizer
//! quotes what says what the paper does — the abstract, the introduction's statements of
//! contribution, the conclusion — and never the front matter (title, authors,
//! affiliations), the reference list, acknowledgements or appendices.
//!
//! Pure string work on the normalized text of [`super::pdf`]: a heading is a short line
//! that, once a section number is taken off ("1", "2.", "IV."), is one of the names below.

/// What a section of a paper is, by its heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Before the first heading: title, authors, affiliations.
    Front,
    /// The abstract.
    Abstract,
    /// The introduction.
    Introduction,
    /// Any other section (method, experiments, related work, discussion…).
    Body,
    /// A section on the paper's limitations.
    Limitations,
    /// The conclusion.
    Conclusion,
    /// References, acknowledgements, funding, declarations, appendices — and the keywords
    /// and subject categories some papers put after their abstract: never quoted.
    BackMatter,
}

/// One section: its kind and its text (the heading line left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    /// What it is.
    pub(crate) kind: Kind,
    /// Its lines, as in the text.
    pub(crate) text: String,
}

/// Headings by kind, lowercase, without numbering or a final colon or period.
const HEADINGS: &[(Kind, &[&str])] = &[
    (Kind::Abstract, &["abstract", "summary", "author summary"]),
    (
        Kind::Introduction,
        &[
            "introduction",
            "introduction and motivation",
            "motivation and introduction",
        ],
    ),
    (
        Kind::Conclusion,
        &[
            "conclusion",
            "conclusions",
            "concluding remarks",
            "final remarks",
            "discussion and conclusion",
            "discussion and conclusions",
            "conclusion and discussion",
            "conclusions and discussion",
            "conclusion and future work",
            "conclusions and future work",
            "conclusion and outlook",
            "conclusions and outlook",
            "summary and conclusion",
            "summary and conclusions",
            "summary and outlook",
        ],
    ),
    (
        Kind::Limitations,
        &["limitations", "limitations and future work", "limitation"],
    ),
    (
        Kind::BackMatter,
        &[
            "references",
            "reference",
            "bibliography",
            "literature cited",
            "works cited",
            "acknowledgements",
            "acknowledgments",
            "acknowledgement",
            "acknowledgment",
            "funding",
            "author contributions",
            "competing interests",
            "conflict of interest",
            "conflicts of interest",
            "declaration of competing interest",
            "data availability",
            "data availability statement",
            "ethics statement",
            "supporting information",
            "supplementary material",
            "supplementary materials",
            "appendix",
            "appendices",
            "keywords",
            "key words",
            "index terms",
            "general terms",
            "categories and subject descriptors",
            "ccs concepts",
            "acm reference format",
        ],
    ),
];

/// Headings other than these that say what a section does ("2 Related Work", "Methods").
const BODY_HEADINGS: &[&str] = &[
    "related work",
    "background",
    "method",
    "methods",
    "materials and methods",
    "approach",
    "model",
    "experiments",
    "experimental setup",
    "evaluation",
    "results",
    "results and discussion",
    "discussion",
    "analysis",
    "preliminaries",
    "implementation",
];

/// Headings after which the rest of the text is back matter, whatever headings follow
/// (appendices after the reference list have headings of their own).
const FINAL: &[&str] = &[
    "references",
    "bibliography",
    "literature cited",
    "works cited",
    "appendix",
    "appendices",
];

/// The text split at its headings, in order; text before the first heading is [`Kind::Front`].
pub(crate) fn split(text: &str) -> Vec<Section> {
    let mut sections = vec![Section {
        kind: Kind::Front,
        text: String::new(),
    }];
    let mut ended = false;
    for line in text.lines() {
        if !ended && let Some((kind, name, rest)) = heading(line) {
            ended = FINAL.contains(&name.as_str()) || name.starts_with("appendix ");
            sections.push(Section {
                kind: if ended { Kind::BackMatter } else { kind },
                text: rest.to_owned(),
            });
            continue;
        }
        let current = &mut sections.last_mut().expect("starts with the front matter").text;
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(line);
    }
    sections
}

/// Whether some section of `sections` is the abstract, the introduction or the conclusion.
pub(crate) fn has_structure(sections: &[Section]) -> bool {
    sections
        .iter()
        .any(|s| matches!(s.kind, Kind::Abstract | Kind::Introduction | Kind::Conclusion))
}

/// A heading line: (kind, its name, text after it on the same line).
fn heading(line: &str) -> Option<(Kind, String, &str)> {
    let line = line.trim();
    let unnumbered = strip_number(line);
    if let Some(rest) = inline_abstract(unnumbered) {
        return Some((Kind::Abstract, "abstract".to_owned(), rest));
    }
    // Headings are short and start with a capital.
    if unnumbered.chars().count() > 60 || !unnumbered.starts_with(char::is_uppercase) {
        return None;
    }
    let name = unnumbered
        .trim_end_matches(['.', ':'])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if let Some((kind, _)) = HEADINGS.iter().find(|(_, names)| names.contains(&name.as_str())) {
        return Some((*kind, name, ""));
    }
    if name.starts_with("appendix ") {
        return Some((Kind::BackMatter, name, ""));
    }
    // Other sections count only when numbered, or named as sections usually are.
    (BODY_HEADINGS.contains(&name.as_str()) || (unnumbered.len() < line.len() && is_title_case(unnumbered)))
        .then_some((Kind::Body, name, ""))
}

/// "Abstract." / "Abstract:" / "Abstract—" / "ABSTRACT We…": an abstract that starts on
/// its heading's line. ("Abstract interpretation is…" is a sentence, not a heading.)
fn inline_abstract(line: &str) -> Option<&str> {
    if let Some(after) = line
        .strip_prefix("Abstract")
        .and_then(|r| r.strip_prefix(['.', ':', '—', '–']))
    {
        return Some(after.trim());
    }
    let rest = line.strip_prefix("ABSTRACT")?;
    let after = rest.strip_prefix(['.', ':', '—', '–', ' '])?;
    Some(after.trim())
}

/// The line without a leading section number ("1", "2.3", "4.", "IV.", "A.").
fn strip_number(line: &str) -> &str {
    let Some((first, rest)) = line.split_once(char::is_whitespace) else {
        return line;
    };
    let digits = first.trim_end_matches('.');
    let numbered = !digits.is_empty()
        && (digits
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
            || (first.ends_with('.') && digits.chars().all(|c| "IVX".contains(c)))
            || (first.ends_with('.') && digits.len() == 1 && digits.chars().all(|c| c.is_ascii_uppercase())));
    if numbered { rest.trim_start() } else { line }
}

/// "Related Work", "Experimental Setup and Results", "EXPERIMENTS": a heading's look (at
/// most eight words, each capitalized or a short joining word, no sentence punctuation).
fn is_title_case(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    !words.is_empty()
        && words.len() <= 8
        && !text.contains(['.', ',', ';', '='])
        && words.iter().all(|w| {
            w.starts_with(char::is_uppercase)
                || ["and", "of", "the", "for", "in", "on", "to", "with", "a", "an", "vs"].contains(w)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, String)> {
        split(text)
            .into_iter()
            .map(|s| (s.kind, s.text.lines().next().unwrap_or("").to_owned()))
            .collect()
    }

    #[test]
    fn numbered_and_plain_headings_start_sections_of_their_kind() {
        let text = "Quill: Sparse Adapters\nAda Lovelace\nUniversity of Somewhere\nABSTRACT\nWe propose Quill.\n\
                    1 Introduction\nTraining is costly.\n2. Related Work\nOthers tried.\n3 Sparse Adapter Training\n\
                    Adapters.\nIV. EXPERIMENTS\nIt works.\n5 Conclusions and Future Work\nQuill helps.\n\
                    Acknowledgements\nWe thank the reviewers.\nReferences\n[1] A. Author. A paper.\n\
                    A Proofs\nLemma 1 holds.\n";
        assert_eq!(
            kinds(text),
            vec![
                (Kind::Front, "Quill: Sparse Adapters".to_owned()),
                (Kind::Abstract, "We propose Quill.".to_owned()),
                (Kind::Introduction, "Training is costly.".to_owned()),
                (Kind::Body, "Others tried.".to_owned()),
                (Kind::Body, "Adapters.".to_owned()),
                (Kind::Body, "It works.".to_owned()),
                (Kind::Conclusion, "Quill helps.".to_owned()),
                (Kind::BackMatter, "We thank the reviewers.".to_owned()),
                (Kind::BackMatter, "[1] A. Author. A paper.".to_owned()),
            ],
            "after the references, even an appendix heading stays back matter"
        );
    }

    #[test]
    fn an_abstract_can_share_its_line_and_sentences_are_not_headings() {
        let got = kinds("Title\nAbstract. We propose Quill, a method.\nReferences to earlier work are in Section 2.\n");
        assert_eq!(
            got,
            vec![
                (Kind::Front, "Title".to_owned()),
                (Kind::Abstract, "We propose Quill, a method.".to_owned()),
            ]
        );
        assert!(!has_structure(&split("Just text.\nMore text.")));
        assert_eq!(
            heading("Abstract interpretation is a theory of sound approximation."),
            None
        );
        assert_eq!(heading("2019. Some year."), None);
    }
}

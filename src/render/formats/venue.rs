//! Where a paper was published, from Semantic Scholar's two names for it: `journal.name`
//! (the journal or proceedings, e.g. "Mind") and `venue` (S2's normalised venue, which
//! can be a different thing: Turing 1950's venue is "The Philosophy of Artificial
//! Intelligence", a book that reprinted it). S2 also names preprint servers as journals
//! (`journal: {name: "ArXiv", volume: "abs/1706.03762"}` on published papers), which
//! are no place of publication.
//!
//! Shared by the paper note (frontmatter `venue`, byline) and BibTeX (`journal`,
//! `booktitle`, `howpublished`), so both name the same place.

/// Lower-case letters and digits of `name`, for matching.
fn squashed(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `name` is a preprint server rather than a journal or proceedings: arXiv
/// (`ArXiv`, `arXiv.org`, `CoRR`, Google Scholar's `arXiv preprint arXiv:…`), the
/// `…rXiv` family, SSRN, Research Square, Preprints.org, OSF Preprints.
pub fn is_preprint_server(name: &str) -> bool {
    let s = squashed(name);
    s.starts_with("arxiv")
        || s.ends_with("rxiv")
        || s.ends_with("rxivorg")
        || s.starts_with("ssrn")
        || matches!(
            s.as_str(),
            "corr" | "researchsquare" | "preprintsorg" | "osfpreprints" | "preprints"
        )
}

/// Whether `name` names an event: a conference, workshop, symposium, meeting or
/// congress (`Conf.`, `Symp.` included).
pub fn is_event(name: &str) -> bool {
    let lower = name.to_lowercase();
    [
        "conference",
        "conf.",
        "workshop",
        "symposium",
        "symp.",
        "meeting",
        "congress",
    ]
    .iter()
    .any(|word| lower.contains(word))
}

/// Whether `name` names proceedings: an event, or `Proceedings`/`Proc.` (which can also
/// be a journal's name: Proceedings of the National Academy of Sciences).
pub fn is_proceedings(name: &str) -> bool {
    let lower = name.to_lowercase();
    is_event(name) || lower.contains("proceedings") || lower.contains("proc.")
}

/// `name` trimmed, unless it is blank (nothing but whitespace and control characters).
fn present(name: Option<&str>) -> Option<&str> {
    name.map(str::trim)
        .filter(|n| n.chars().any(|c| !c.is_whitespace() && !c.is_control()))
}

/// `name` when it is present, not blank and not a preprint server.
pub fn real(name: Option<&str>) -> Option<&str> {
    present(name).filter(|n| !is_preprint_server(n))
}

/// The venue to show: the journal's or proceedings' name when there is one, else S2's
/// venue, else whatever name S2 gave (a preprint server's, for a preprint).
pub fn shown<'a>(journal: Option<&'a str>, venue: Option<&'a str>) -> Option<&'a str> {
    real(journal).or(real(venue)).or(present(venue)).or(present(journal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_name_wins_over_s2s_venue() {
        // Turing 1950 as S2 records it.
        assert_eq!(
            shown(Some("Mind"), Some("The Philosophy of Artificial Intelligence")),
            Some("Mind")
        );
        assert_eq!(shown(None, Some("Nature")), Some("Nature"));
        assert_eq!(shown(Some("  "), Some("Nature")), Some("Nature"));
        assert_eq!(shown(Some("\u{7}\n"), None), None);
        assert_eq!(shown(None, None), None);
    }

    #[test]
    fn preprint_servers_are_no_journal() {
        for name in [
            "ArXiv",
            "arXiv.org",
            "CoRR",
            "arXiv preprint arXiv:1706.03762",
            "bioRxiv",
            "medRxiv",
            "SSRN Electronic Journal",
            "Research Square",
        ] {
            assert!(is_preprint_server(name), "{name}");
        }
        for name in [
            "Nature",
            "Mind",
            "Neural Information Processing Systems",
            "Archives of Virology",
        ] {
            assert!(!is_preprint_server(name), "{name}");
        }
        // Vaswani et al. as S2 records it: the venue, not "ArXiv".
        assert_eq!(
            shown(Some("ArXiv"), Some("Neural Information Processing Systems")),
            Some("Neural Information Processing Systems")
        );
        // A preprint shows its server.
        assert_eq!(shown(Some("ArXiv"), Some("arXiv.org")), Some("arXiv.org"));
        assert_eq!(shown(Some("ArXiv"), None), Some("ArXiv"));
    }

    #[test]
    fn proceedings_are_told_by_their_name() {
        for name in [
            "Proceedings of the 2019 Conference of the North American Chapter",
            "Annual Meeting of the Association for Computational Linguistics",
            "IEEE Symposium on Security and Privacy",
            "Proc. VLDB Endow.",
            "NeurIPS Workshop on Deep Learning",
        ] {
            assert!(is_proceedings(name), "{name}");
        }
        for name in ["Nature", "Mind", "Neural Information Processing Systems"] {
            assert!(!is_proceedings(name), "{name}");
        }
        assert!(is_proceedings("Proceedings of the National Academy of Sciences"));
        assert!(!is_event("Proceedings of the National Academy of Sciences"));
        assert!(is_event(
            "Annual Meeting of the Association for Computational Linguistics"
        ));
    }
}

//! The paper ids in an entry's fields, whatever the format: each reader tags the fields
//! that can hold an id with what they hold, and [`ids`] collects them best first.

use std::str::FromStr;

use crate::ids::PaperId;

/// What an entry's field holds, as far as ids go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    /// A DOI, bare or as a link.
    Doi,
    /// An arXiv id, bare or prefixed (`eprint` of type arXiv).
    Arxiv,
    /// A PubMed id.
    Pmid,
    /// A PubMed Central id, with or without `PMC`.
    Pmcid,
    /// A link.
    Url,
    /// A value that may be an id of any form by itself (`AN`, CSL `number`).
    Any,
    /// Free text that may mention ids with a prefix (`arXiv: 1706.03762`, `PMID: 1`),
    /// as links or bare DOIs: notes, Zotero's Extra, Google Scholar's journal field.
    Text,
}

/// The ids found in `fields`, best first (DOI, arXiv, PMID, PMCID, Semantic Scholar,
/// OpenAlex, other ids, other links), without repeats.
pub(super) fn ids(fields: &[(Field, String)]) -> Vec<PaperId> {
    let mut out: Vec<PaperId> = Vec::new();
    for (field, value) in fields {
        for id in in_field(*field, value) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out.sort_by_key(rank);
    out
}

fn rank(id: &PaperId) -> u8 {
    match id {
        PaperId::Doi(_) => 0,
        PaperId::Arxiv(_) => 1,
        PaperId::Pmid(_) => 2,
        PaperId::Pmcid(_) => 3,
        PaperId::S2(_) | PaperId::Corpus(_) => 4,
        PaperId::OpenAlex(_) => 5,
        PaperId::Mag(_) | PaperId::Acl(_) => 6,
        PaperId::Url(_) => 7,
    }
}

/// The ids one field holds.
fn in_field(field: Field, raw: &str) -> Vec<PaperId> {
    let value = raw.trim();
    if value.is_empty() {
        return Vec::new();
    }
    // A typed field gives an id of its kind only: its value as written (a bare DOI, a
    // link), else with the kind's prefix.
    let one = |prefix: &str, kind: fn(&PaperId) -> bool| -> Vec<PaperId> {
        let bare = strip_prefix_ci(value, prefix).unwrap_or(value);
        PaperId::from_str(value)
            .ok()
            .filter(kind)
            .or_else(|| PaperId::from_str(&format!("{prefix}{bare}")).ok())
            .into_iter()
            .collect()
    };
    match field {
        Field::Doi => one("DOI:", |id| matches!(id, PaperId::Doi(_))),
        Field::Arxiv => one("ARXIV:", |id| matches!(id, PaperId::Arxiv(_))),
        Field::Pmid => one("PMID:", |id| matches!(id, PaperId::Pmid(_))),
        Field::Pmcid => one("PMCID:", |id| matches!(id, PaperId::Pmcid(_))),
        Field::Url => in_text(value),
        Field::Any => match PaperId::from_str(value) {
            Ok(id) => vec![id],
            Err(_) => in_text(value),
        },
        Field::Text => in_text(value),
    }
}

/// Ids mentioned in free text: `prefix:id` or `prefix: id` for arXiv, DOI, PMID and
/// PMCID; links; bare DOIs.
fn in_text(text: &str) -> Vec<PaperId> {
    let cleaned = text.replace("\\url", " ").replace(['{', '}', '<', '>'], " ");
    let tokens: Vec<&str> = cleaned
        .split_whitespace()
        .map(|t| t.trim_matches(|c: char| matches!(c, ',' | ';' | '(' | ')' | '[' | ']' | '"')))
        .filter(|t| !t.is_empty())
        .collect();
    let mut out = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let candidate = match token.split_once(':') {
            Some((prefix, rest))
                if ["arxiv", "doi", "pmid", "pmcid"].contains(&prefix.to_ascii_lowercase().as_str()) =>
            {
                let rest = if rest.is_empty() {
                    tokens.get(i + 1).copied().unwrap_or("")
                } else {
                    rest
                };
                format!("{prefix}:{rest}")
            }
            _ if token.starts_with("10.") || token.contains("://") => (*token).to_owned(),
            _ => continue,
        };
        if let Ok(id) = PaperId::from_str(&candidate) {
            out.push(id);
        }
    }
    out
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s[prefix.len()..].trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(fields: &[(Field, &str)]) -> Vec<String> {
        let owned: Vec<(Field, String)> = fields.iter().map(|(f, v)| (*f, (*v).to_owned())).collect();
        ids(&owned).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn ids_come_best_first_without_repeats() {
        assert_eq!(
            shown(&[
                (Field::Url, "https://example.org/paper"),
                (
                    Field::Url,
                    "https://www.semanticscholar.org/paper/204e3073870fae3d05bcbc2f6a8e263d9b72e776"
                ),
                (Field::Pmcid, "PMC2323736"),
                (Field::Pmid, "19872477"),
                (Field::Arxiv, "1706.03762v5"),
                (Field::Url, "http://arxiv.org/abs/1706.03762"),
                (Field::Doi, "https://doi.org/10.1093/mind/LIX.236.433"),
            ]),
            [
                "DOI:10.1093/mind/LIX.236.433",
                "ARXIV:1706.03762",
                "PMID:19872477",
                "PMCID:2323736",
                "204e3073870fae3d05bcbc2f6a8e263d9b72e776",
                "URL:https://example.org/paper",
            ]
        );
    }

    #[test]
    fn ids_are_found_in_free_text() {
        assert_eq!(shown(&[(Field::Text, "arXiv: 1706.03762 [cs]")]), ["ARXIV:1706.03762"]);
        assert_eq!(
            shown(&[(Field::Text, "arXiv preprint arXiv:1706.03762")]),
            ["ARXIV:1706.03762"]
        );
        assert_eq!(
            shown(&[(Field::Text, "PMID: 19872477\nPMCID: PMC2323736\ntex.x: y")]),
            ["PMID:19872477", "PMCID:2323736"]
        );
        assert_eq!(
            shown(&[(Field::Text, "see \\url{https://doi.org/10.1000/182}.")]),
            ["DOI:10.1000/182"]
        );
        assert_eq!(
            shown(&[(Field::Text, "Pages 1706.03762 and 12345")]),
            Vec::<String>::new()
        );
        assert_eq!(shown(&[(Field::Any, "arXiv:2106.15928")]), ["ARXIV:2106.15928"]);
        assert_eq!(shown(&[(Field::Any, "1706.03762")]), ["ARXIV:1706.03762"]);
        assert_eq!(shown(&[(Field::Any, "WOS:000123")]), Vec::<String>::new());
    }

    #[test]
    fn malformed_values_give_no_id() {
        assert_eq!(
            shown(&[
                (Field::Doi, "not a doi"),
                (Field::Pmid, "n/a"),
                (Field::Arxiv, "  "),
                (Field::Url, "ftp://x.org/y")
            ]),
            Vec::<String>::new()
        );
        assert_eq!(
            shown(&[(Field::Arxiv, "arXiv:hep-th/9901001")]),
            ["ARXIV:hep-th/9901001"]
        );
        assert_eq!(shown(&[(Field::Doi, "DOI: 10.1000/182")]), ["DOI:10.1000/182"]);
        assert_eq!(shown(&[(Field::Pmid, "1706.03762")]), Vec::<String>::new());
        assert_eq!(
            shown(&[(Field::Pmid, "https://pubmed.ncbi.nlm.nih.gov/19872477/")]),
            ["PMID:19872477"]
        );
    }
}

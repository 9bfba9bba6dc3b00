//! The parts of OpenAlex's `work` object refnet reads, and what it makes of them: the
//! abstract rebuilt from its inverted index, the open-access PDF, the venue.

use std::collections::HashMap;

use serde::Deserialize;

/// Most words an abstract is rebuilt from (a hostile index cannot make a huge string).
const MAX_WORDS: usize = 20_000;

/// One page of `/works?filter=…`.
#[derive(Debug, Deserialize)]
pub struct WorksPage {
    /// Paging facts.
    #[serde(default)]
    pub meta: Meta,
    /// The works.
    #[serde(default)]
    pub results: Vec<Work>,
}

/// `meta` of a list.
#[derive(Debug, Default, Deserialize)]
pub struct Meta {
    /// The cursor of the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

/// A work, with the fields refnet selects.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Work {
    /// `https://openalex.org/W…`.
    #[serde(default)]
    pub id: Option<String>,
    /// `https://doi.org/10.…`.
    #[serde(default)]
    pub doi: Option<String>,
    /// Word → positions.
    #[serde(default)]
    pub abstract_inverted_index: Option<HashMap<String, Vec<u32>>>,
    /// The best open-access copy.
    #[serde(default)]
    pub best_oa_location: Option<Location>,
    /// Where it was published.
    #[serde(default)]
    pub primary_location: Option<Location>,
    /// Other ids (`pmid`, `pmcid`, `mag`), as URLs or numbers.
    #[serde(default)]
    pub ids: Option<HashMap<String, serde_json::Value>>,
}

/// A location of a work.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Location {
    /// A direct PDF link.
    #[serde(default)]
    pub pdf_url: Option<String>,
    /// The journal, proceedings or repository.
    #[serde(default)]
    pub source: Option<Source>,
}

/// A journal, proceedings or repository.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Source {
    /// Its name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `journal`, `conference`, `repository`, `book series`, …
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

impl Work {
    /// The short id (`W2741809807`).
    pub fn short_id(&self) -> Option<&str> {
        let id = self.id.as_deref()?;
        Some(id.rsplit('/').next().unwrap_or(id)).filter(|s| !s.is_empty())
    }

    /// The DOI, lower-cased, without the `https://doi.org/` prefix.
    pub fn bare_doi(&self) -> Option<String> {
        self.doi.as_deref().map(bare_doi).filter(|d| !d.is_empty())
    }

    /// The abstract as text, rebuilt from the inverted index.
    pub fn abstract_text(&self) -> Option<String> {
        rebuild_abstract(self.abstract_inverted_index.as_ref()?)
    }

    /// A direct open-access PDF link (http or https only).
    pub fn pdf_url(&self) -> Option<String> {
        let url = self.best_oa_location.as_ref()?.pdf_url.as_deref()?.trim();
        (url.starts_with("https://") || url.starts_with("http://")).then(|| url.to_owned())
    }

    /// The journal's or proceedings' name (a repository such as arXiv is not a venue).
    pub fn venue(&self) -> Option<String> {
        let source = self.primary_location.as_ref()?.source.as_ref()?;
        let kind = source.kind.as_deref().unwrap_or("");
        if !matches!(kind, "journal" | "conference" | "book series" | "ebook platform") {
            return None;
        }
        let name = source
            .display_name
            .as_deref()?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        (!name.is_empty()).then_some(name)
    }

    /// The DOI of a work given by id alone, else its PubMed id: what Semantic Scholar can
    /// look the same paper up by.
    pub fn s2_lookup(&self) -> Option<String> {
        if let Some(doi) = self.bare_doi() {
            return Some(format!("DOI:{doi}"));
        }
        let pmid = self.ids.as_ref()?.get("pmid")?;
        let pmid = pmid.as_str().map(ToOwned::to_owned).unwrap_or_else(|| pmid.to_string());
        let digits = pmid.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_owned();
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| format!("PMID:{digits}"))
    }
}

/// `https://doi.org/10.1/X` → `10.1/x`.
pub fn bare_doi(doi: &str) -> String {
    let doi = doi.trim();
    let lower = doi.to_lowercase();
    for prefix in ["https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
    lower
}

/// Places each word at its positions and joins them; `None` when the index is empty.
pub fn rebuild_abstract<S: std::hash::BuildHasher>(index: &HashMap<String, Vec<u32>, S>) -> Option<String> {
    let mut placed: Vec<(u32, &str)> = index
        .iter()
        .flat_map(|(word, positions)| positions.iter().map(move |&p| (p, word.as_str())))
        .take(MAX_WORDS)
        .collect();
    placed.sort_unstable();
    placed.dedup_by_key(|(p, _)| *p);
    let text = placed
        .iter()
        .map(|(_, w)| w.trim())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inverted_index_becomes_the_text_in_word_order() {
        let index: HashMap<String, Vec<u32>> = serde_json::from_str(
            r#"{"the": [0, 4], "Transformer": [1], "replaces": [2], "recurrence;": [3], "attention": [5]}"#,
        )
        .expect("json");
        assert_eq!(
            rebuild_abstract(&index).as_deref(),
            Some("the Transformer replaces recurrence; the attention")
        );
        assert_eq!(rebuild_abstract(&HashMap::new()), None);
    }

    #[test]
    fn a_work_gives_its_doi_pdf_and_only_a_real_venue() {
        let work: Work = serde_json::from_str(
            r#"{"id": "https://openalex.org/W123", "doi": "https://doi.org/10.1000/ABC",
                "best_oa_location": {"pdf_url": "https://example.org/a.pdf"},
                "primary_location": {"source": {"display_name": "Nature\n Physics", "type": "journal"}},
                "ids": {"pmid": "https://pubmed.ncbi.nlm.nih.gov/123456"}}"#,
        )
        .expect("json");
        assert_eq!(work.short_id(), Some("W123"));
        assert_eq!(work.bare_doi().as_deref(), Some("10.1000/abc"));
        assert_eq!(work.pdf_url().as_deref(), Some("https://example.org/a.pdf"));
        assert_eq!(work.venue().as_deref(), Some("Nature Physics"));
        assert_eq!(work.s2_lookup().as_deref(), Some("DOI:10.1000/abc"));

        let preprint: Work = serde_json::from_str(
            r#"{"best_oa_location": {"pdf_url": "file:///etc/passwd"},
                "primary_location": {"source": {"display_name": "arXiv", "type": "repository"}},
                "ids": {"pmid": "https://pubmed.ncbi.nlm.nih.gov/77/"}}"#,
        )
        .expect("json");
        assert_eq!(preprint.venue(), None, "a repository is not a venue");
        assert_eq!(preprint.pdf_url(), None, "only http(s) links");
        assert_eq!(preprint.s2_lookup().as_deref(), Some("PMID:77"));
    }
}

//! The shapes of Semantic Scholar answers, as refnet reads them.
//!
//! Every field is optional: the API omits fields, sends `null` for others, and nested
//! lists can hold entries with `paperId: null` (unresolved references). A record that
//! still fails to parse is reported as malformed for that one paper, never a crash.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A paper record from `/paper/batch` or `/paper/{id}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Paper {
    /// The 40-hex S2 id.
    pub paper_id: Option<String>,
    /// S2's numeric corpus id.
    pub corpus_id: Option<i64>,
    /// `{"DOI": "…", "ArXiv": "…", "CorpusId": 123, …}` (values are strings or numbers).
    pub external_ids: Option<BTreeMap<String, serde_json::Value>>,
    /// Title.
    pub title: Option<String>,
    /// Abstract.
    #[serde(rename = "abstract")]
    pub abstract_text: Option<String>,
    /// Venue as S2 normalises it.
    pub venue: Option<String>,
    /// Year of publication.
    pub year: Option<i64>,
    /// `YYYY-MM-DD`.
    pub publication_date: Option<String>,
    /// Citations S2 counts.
    pub citation_count: Option<i64>,
    /// References S2 counts.
    pub reference_count: Option<i64>,
    /// Influential citations S2 counts.
    pub influential_citation_count: Option<i64>,
    /// Whether S2 knows an open-access version.
    pub is_open_access: Option<bool>,
    /// Where the open-access PDF is.
    pub open_access_pdf: Option<OpenAccessPdf>,
    /// Broad fields (`["Computer Science"]`).
    pub fields_of_study: Option<Vec<String>>,
    /// Fields with their source.
    pub s2_fields_of_study: Option<Vec<FieldOfStudy>>,
    /// `["JournalArticle", "Conference"]`.
    pub publication_types: Option<Vec<String>>,
    /// Journal details.
    pub journal: Option<Journal>,
    /// Authors in order.
    pub authors: Option<Vec<Author>>,
    /// S2's one-sentence summary.
    pub tldr: Option<Tldr>,
    /// What this paper cites (nested; capped at 1000 by the API).
    pub references: Option<Vec<PaperRef>>,
    /// What cites this paper (nested; capped at 1000 by the API).
    pub citations: Option<Vec<PaperRef>>,
}

/// `openAccessPdf`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct OpenAccessPdf {
    /// The PDF's URL (can be empty).
    pub url: Option<String>,
    /// `GREEN`, `GOLD`, `BRONZE`, …
    pub status: Option<String>,
}

/// One of `s2FieldsOfStudy`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct FieldOfStudy {
    /// `Computer Science`.
    pub category: Option<String>,
    /// `external` or `s2-fos-model`.
    pub source: Option<String>,
}

/// `journal`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct Journal {
    /// Journal name.
    pub name: Option<String>,
    /// Volume (free text).
    pub volume: Option<String>,
    /// Pages (free text).
    pub pages: Option<String>,
}

/// An author as a paper lists them.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Author {
    /// S2 author id (absent for some authors).
    pub author_id: Option<String>,
    /// Name as one string ("Ashish Vaswani").
    pub name: Option<String>,
}

/// `tldr`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct Tldr {
    /// The model that wrote it.
    pub model: Option<String>,
    /// The sentence.
    pub text: Option<String>,
}

/// A paper as another paper's reference or citation: only what the crawl needs to rank it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct PaperRef {
    /// `null` for references S2 could not resolve.
    pub paper_id: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Year.
    pub year: Option<i64>,
    /// Citations S2 counts.
    pub citation_count: Option<i64>,
}

/// A page of `/paper/{id}/references` or `/citations`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EdgePage {
    pub next: Option<u64>,
    pub data: Vec<EdgeItem>,
}

/// One entry of an edge page: the other paper plus the edge's own fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct EdgeItem {
    pub is_influential: Option<bool>,
    pub cited_paper: Option<PaperRef>,
    pub citing_paper: Option<PaperRef>,
}

/// The body of an error answer: 400/404 carry `error`, 403/429/5xx carry `message`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ErrorBody {
    pub error: Option<String>,
    pub message: Option<String>,
}

impl ErrorBody {
    /// The message of an error body, whatever its shape, kept short and on one line.
    pub(crate) fn describe(body: &[u8]) -> String {
        let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
        let text = parsed
            .and_then(|b| b.error.or(b.message))
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
        let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        match one_line.char_indices().nth(200) {
            Some((cut, _)) => format!("{}…", &one_line[..cut]),
            None => one_line,
        }
    }
}

impl Paper {
    /// An external id as a string (`DOI`, `ArXiv`, …), whatever its JSON type.
    pub fn external_id(&self, key: &str) -> Option<String> {
        let value = self.external_ids.as_ref()?.get(key)?;
        match value {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_of_every_shape_give_one_short_line() {
        assert_eq!(
            ErrorBody::describe(br#"{"error":"Paper with id 0 not found"}"#),
            "Paper with id 0 not found"
        );
        assert_eq!(ErrorBody::describe(br#"{"message":"Forbidden"}"#), "Forbidden");
        assert_eq!(
            ErrorBody::describe(b"<html>\n bad\n gateway</html>"),
            "<html> bad gateway</html>"
        );
        let long = "x".repeat(500);
        assert_eq!(ErrorBody::describe(long.as_bytes()).chars().count(), 201);
    }

    #[test]
    fn external_ids_are_read_whether_string_or_number() {
        let p: Paper =
            serde_json::from_str(r#"{"paperId":"a","externalIds":{"DOI":"10.1/x","CorpusId":42,"ArXiv":null}}"#)
                .expect("parses");
        assert_eq!(p.external_id("DOI").as_deref(), Some("10.1/x"));
        assert_eq!(p.external_id("CorpusId").as_deref(), Some("42"));
        assert_eq!(p.external_id("ArXiv"), None);
    }
}

//! The fake's answers in S2's shapes: the fields it knows, paper and nested records,
//! and `/references` and `/citations` pages with the live API's offset limits.

use std::collections::HashSet;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::testkit::corpus::Corpus;

pub(super) const PAPER_FIELDS: [&str; 21] = [
    "paperId",
    "corpusId",
    "externalIds",
    "url",
    "title",
    "abstract",
    "venue",
    "year",
    "publicationDate",
    "journal",
    "citationCount",
    "referenceCount",
    "influentialCitationCount",
    "isOpenAccess",
    "openAccessPdf",
    "fieldsOfStudy",
    "s2FieldsOfStudy",
    "publicationTypes",
    "authors",
    "tldr",
    "citationStyles",
];
pub(super) const NESTED_FIELDS: [&str; 5] = ["paperId", "title", "year", "citationCount", "authors"];

/// Parsed `fields`: top-level names, and nested names under `references.` / `citations.`.
pub(super) struct Fields {
    top: HashSet<String>,
    references: Option<HashSet<String>>,
    citations: Option<HashSet<String>>,
}

pub(super) fn parse_fields(raw: &str) -> Result<Fields, String> {
    let mut fields = Fields {
        top: HashSet::new(),
        references: None,
        citations: None,
    };
    let mut unknown = Vec::new();
    for f in raw.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        if let Some((list, sub)) = f.split_once('.') {
            let slot = match list {
                "references" => &mut fields.references,
                "citations" => &mut fields.citations,
                _ => {
                    unknown.push(f.to_owned());
                    continue;
                }
            };
            if !NESTED_FIELDS.contains(&sub) {
                unknown.push(f.to_owned());
            }
            slot.get_or_insert_with(HashSet::new).insert(sub.to_owned());
        } else if f == "references" || f == "citations" {
            let slot = if f == "references" {
                &mut fields.references
            } else {
                &mut fields.citations
            };
            slot.get_or_insert_with(HashSet::new).insert("paperId".to_owned());
        } else if PAPER_FIELDS.contains(&f) {
            fields.top.insert(f.to_owned());
        } else {
            unknown.push(f.to_owned());
        }
    }
    if unknown.is_empty() {
        Ok(fields)
    } else {
        Err(format!("Unrecognized or unsupported fields: [{}]", unknown.join(", ")))
    }
}

pub(super) fn query_param(query: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

pub(super) fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response()
}

pub(super) fn edge_page(corpus: &Corpus, idx: usize, kind: &str, query: &str) -> Response {
    let offset: usize = query_param(query, "offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    let limit: usize = query_param(query, "limit").and_then(|v| v.parse().ok()).unwrap_or(100);
    if limit > 1000 {
        return bad_request("Limit must be <= 1000");
    }
    let entries: Vec<Option<usize>> = match kind {
        "references" => {
            if offset >= 1000 {
                // The live API returns nothing past offset 1000 for references.
                return Json(json!({"offset": offset, "data": []})).into_response();
            }
            corpus.paper(idx).references.clone()
        }
        _ => {
            if offset + limit >= 10_000 {
                return bad_request("offset + limit must be < 10000");
            }
            corpus.citers(idx).into_iter().map(Some).collect()
        }
    };
    let end = (offset + limit).min(entries.len());
    let data: Vec<Value> = entries
        .get(offset..end)
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let other = match e {
                Some(o) => nested_json(
                    corpus,
                    *o,
                    &NESTED_FIELDS.iter().map(std::string::ToString::to_string).collect(),
                ),
                None => json!({"paperId": null, "title": "An unresolved reference"}),
            };
            let key = if kind == "references" {
                "citedPaper"
            } else {
                "citingPaper"
            };
            json!({"isInfluential": e.is_some_and(|o| o % 5 == 0), key: other})
        })
        .collect();
    let mut page = json!({"offset": offset, "data": data});
    if end < entries.len() {
        page["next"] = json!(end);
    }
    Json(page).into_response()
}

pub(super) fn nested_json(corpus: &Corpus, idx: usize, fields: &HashSet<String>) -> Value {
    let p = corpus.paper(idx);
    let mut v = serde_json::Map::new();
    v.insert("paperId".into(), json!(p.id));
    if fields.contains("title") {
        v.insert("title".into(), json!(p.title));
    }
    if fields.contains("year") {
        v.insert("year".into(), json!(p.year));
    }
    if fields.contains("citationCount") {
        v.insert("citationCount".into(), json!(corpus.citation_count(idx)));
    }
    Value::Object(v)
}

pub(super) fn paper_json(corpus: &Corpus, idx: usize, fields: &Fields) -> Value {
    let p = corpus.paper(idx);
    let mut ext = serde_json::Map::new();
    ext.insert("CorpusId".into(), json!(p.corpus_id));
    if let Some(doi) = &p.doi {
        ext.insert("DOI".into(), json!(doi));
    }
    if let Some(arxiv) = &p.arxiv {
        ext.insert("ArXiv".into(), json!(arxiv));
    }
    let all = json!({
        "paperId": p.id,
        "corpusId": p.corpus_id,
        "externalIds": ext,
        "url": format!("https://www.semanticscholar.org/paper/{}", p.id),
        "title": p.title,
        "abstract": p.abstract_text,
        "venue": p.venue.clone().unwrap_or_default(),
        "year": p.year,
        "publicationDate": p.year.map(|y| format!("{y}-06-01")),
        "journal": p.venue.as_ref().map(|v| json!({"name": v, "volume": "1", "pages": "1-10"})),
        "citationCount": corpus.citation_count(idx),
        "referenceCount": p.references.len(),
        "influentialCitationCount": corpus.citation_count(idx) / 10,
        "isOpenAccess": p.pdf_url.is_some(),
        "openAccessPdf": p.pdf_url.as_ref().map(|u| json!({"url": u, "status": "GREEN"})),
        "fieldsOfStudy": p.fields,
        "s2FieldsOfStudy": p.fields.iter().map(|f| json!({"category": f, "source": "external"})).collect::<Vec<_>>(),
        "publicationTypes": ["JournalArticle"],
        "authors": p.authors.iter().map(|(id, name)| json!({"authorId": id, "name": name})).collect::<Vec<_>>(),
        "tldr": p.tldr.as_ref().map(|t| json!({"model": "tldr@v2.0.0", "text": t})),
        "citationStyles": {"bibtex": format!("@Article{{Fake{idx},\n title = {{{}}}\n}}", p.title)},
    });
    let mut all = all;
    if let Value::Object(map) = &mut all {
        map.extend(p.record.clone());
    }
    let mut out = serde_json::Map::new();
    out.insert("paperId".into(), json!(p.id));
    if let Value::Object(map) = all {
        for (k, v) in map {
            if fields.top.contains(&k) {
                out.insert(k, v);
            }
        }
    }
    if let Some(sub) = &fields.references {
        let value = if p.null_nested_references {
            Value::Null
        } else {
            Value::Array(
                p.references
                    .iter()
                    .take(1000)
                    .map(|r| match r {
                        Some(o) => nested_json(corpus, *o, sub),
                        None => json!({"paperId": null, "title": "An unresolved reference"}),
                    })
                    .collect(),
            )
        };
        out.insert("references".into(), value);
    }
    if let Some(sub) = &fields.citations {
        let list: Vec<Value> = corpus
            .citers(idx)
            .into_iter()
            .take(1000)
            .map(|o| nested_json(corpus, o, sub))
            .collect();
        out.insert("citations".into(), Value::Array(list));
    }
    Value::Object(out)
}

//! Papers, authors and citation edges: writing fetched batches, reading them back.

use std::collections::BTreeMap;

use sqlx::AssertSqlSafe;

use crate::ids::S2Id;

use super::bulk::{JsonRead, json_array};
use super::records::{EdgeRow, FetchedBatch, StoredPaper, UnresolvedRef};
use super::{Doing, IDS_PER_QUERY, Store, StoreError, ids_json, on_db, rows_per_statement};

const PAPER_COLUMNS: &str = "paper_id, corpus_id, doi, arxiv, external_ids, title, abstract, tldr, venue, year, \
publication_date, journal, journal_volume, journal_pages, citation_count, reference_count, \
influential_citation_count, fields_of_study, publication_types, pdf_url, is_open_access, \
references_truncated, citations_truncated, fetched_at, citations_fetched_at, text_hash";

/// The values of [`StoredPaper`], in its fields' order: S2's, with OpenAlex's where S2
/// has none, and where each of those came from.
const PAPER_VALUES: &str = "p.paper_id, p.corpus_id, p.doi, p.arxiv, p.external_ids, p.title, \
COALESCE(p.abstract, o.abstract), p.tldr, COALESCE(p.venue, CASE WHEN p.journal IS NULL THEN o.venue END), \
p.year, p.publication_date, p.journal, p.journal_volume, p.journal_pages, p.citation_count, p.reference_count, \
p.influential_citation_count, p.fields_of_study, p.publication_types, COALESCE(p.pdf_url, o.pdf_url), \
p.is_open_access, p.references_truncated, p.citations_truncated, p.fetched_at, p.citations_fetched_at, \
CASE WHEN p.abstract IS NOT NULL THEN 'semantic_scholar' WHEN o.abstract IS NOT NULL THEN 'openalex' END, \
CASE WHEN p.pdf_url IS NULL AND o.pdf_url IS NOT NULL THEN 'openalex' END, \
CASE WHEN p.venue IS NULL AND p.journal IS NULL AND o.venue IS NOT NULL THEN 'openalex' END";

impl Store {
    /// Writes a fetched batch: papers (replacing earlier versions), their authors, stubs
    /// (never overwriting a full record), edges (keeping a known influential flag), and
    /// marks the crawl's members as checked in `run`. Running it twice changes nothing.
    pub async fn record_batch(
        &self,
        crawl_id: i64,
        run: i64,
        batch: &FetchedBatch,
        now: i64,
    ) -> Result<(), StoreError> {
        let papers = dedup_by(&batch.papers, |p| p.paper_id.clone());
        let stubs = dedup_by(&batch.stubs, |s| s.paper_id.clone());
        let edges = dedup_edges(&batch.edges);
        let fetched: Vec<&str> = papers.iter().map(|p| p.paper_id.as_str()).collect();
        let delete_authors = format!("DELETE FROM paper_authors WHERE paper_id IN ({})", self.id_set(1));
        let mark_checked = format!(
            "UPDATE crawl_members SET checked_run = $1, missing = NULL WHERE crawl_id = $2 AND paper_id IN ({})",
            self.id_set(3)
        );
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            for chunk in papers.chunks(rows_per_statement(27)) {
                let sql = format!(
                    "INSERT INTO papers ({PAPER_COLUMNS}, updated_at) VALUES {} \
                     ON CONFLICT (paper_id) DO UPDATE SET corpus_id = excluded.corpus_id, doi = excluded.doi, \
                     arxiv = excluded.arxiv, external_ids = excluded.external_ids, title = excluded.title, \
                     abstract = excluded.abstract, tldr = excluded.tldr, venue = excluded.venue, year = excluded.year, \
                     publication_date = excluded.publication_date, journal = excluded.journal, \
                     journal_volume = excluded.journal_volume, journal_pages = excluded.journal_pages, \
                     citation_count = excluded.citation_count, reference_count = excluded.reference_count, \
                     influential_citation_count = excluded.influential_citation_count, \
                     fields_of_study = excluded.fields_of_study, publication_types = excluded.publication_types, \
                     pdf_url = excluded.pdf_url, is_open_access = excluded.is_open_access, \
                     references_truncated = excluded.references_truncated, \
                     citations_truncated = excluded.citations_truncated, fetched_at = excluded.fetched_at, \
                     citations_fetched_at = COALESCE(excluded.citations_fetched_at, papers.citations_fetched_at), \
                     text_hash = excluded.text_hash, updated_at = excluded.updated_at",
                    self.placeholders(chunk.len(), 27)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for p in chunk {
                    let listed = batch.citations_listed.contains(&p.paper_id).then_some(now);
                    q = q
                        .bind(p.paper_id.clone())
                        .bind(p.corpus_id)
                        .bind(p.doi.clone())
                        .bind(p.arxiv.clone())
                        .bind(p.external_ids.clone())
                        .bind(p.title.clone())
                        .bind(p.abstract_text.clone())
                        .bind(p.tldr.clone())
                        .bind(p.venue.clone())
                        .bind(p.year)
                        .bind(p.publication_date.clone())
                        .bind(p.journal.clone())
                        .bind(p.journal_volume.clone())
                        .bind(p.journal_pages.clone())
                        .bind(p.citation_count)
                        .bind(p.reference_count)
                        .bind(p.influential_citation_count)
                        .bind(json_array(&p.fields_of_study))
                        .bind(json_array(&p.publication_types))
                        .bind(p.pdf_url.clone())
                        .bind(p.is_open_access)
                        .bind(p.references_truncated)
                        .bind(p.citations_truncated)
                        .bind(now)
                        .bind(listed)
                        .bind(super::paper_text_hash(&p.paper_id, &p.title, p.abstract_text.as_deref()))
                        .bind(now);
                }
                q.execute(&mut *tx).await.doing("storing papers")?;
            }
            for chunk in fetched.chunks(IDS_PER_QUERY) {
                sqlx::query(AssertSqlSafe(delete_authors.clone()))
                    .bind(ids_json(chunk))
                    .execute(&mut *tx)
                    .await
                    .doing("replacing authors")?;
            }
            let rows: Vec<(&str, i64, Option<&str>, &str)> = papers
                .iter()
                .flat_map(|p| {
                    p.authors.iter().enumerate().map(move |(i, (id, name))| {
                        (p.paper_id.as_str(), i as i64, id.as_deref(), name.as_str())
                    })
                })
                .collect();
            for chunk in rows.chunks(rows_per_statement(4)) {
                let sql = format!(
                    "INSERT INTO paper_authors (paper_id, ord, author_id, name) VALUES {}",
                    self.placeholders(chunk.len(), 4)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (paper, ord, id, name) in chunk {
                    q = q.bind(paper.to_string()).bind(*ord).bind(id.map(str::to_owned)).bind(name.to_string());
                }
                q.execute(&mut *tx).await.doing("storing authors")?;
            }
            let mut named: BTreeMap<&str, &str> = BTreeMap::new();
            for (_, _, id, name) in &rows {
                if let Some(id) = id {
                    named.insert(id, name);
                }
            }
            let named: Vec<(&str, &str)> = named.into_iter().collect();
            for chunk in named.chunks(rows_per_statement(2)) {
                let sql = format!(
                    "INSERT INTO authors (author_id, name) VALUES {} \
                     ON CONFLICT (author_id) DO UPDATE SET name = excluded.name",
                    self.placeholders(chunk.len(), 2)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (id, name) in chunk {
                    q = q.bind(id.to_string()).bind(name.to_string());
                }
                q.execute(&mut *tx).await.doing("storing author names")?;
            }
            for chunk in stubs.chunks(rows_per_statement(5)) {
                let sql = format!(
                    "INSERT INTO papers (paper_id, title, year, citation_count, updated_at) VALUES {} \
                     ON CONFLICT (paper_id) DO UPDATE SET title = excluded.title, year = excluded.year, \
                     citation_count = excluded.citation_count, updated_at = excluded.updated_at, text_hash = NULL \
                     WHERE papers.fetched_at IS NULL",
                    self.placeholders(chunk.len(), 5)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for s in chunk {
                    q = q
                        .bind(s.paper_id.clone())
                        .bind(s.title.clone().unwrap_or_default())
                        .bind(s.year)
                        .bind(s.citation_count)
                        .bind(now);
                }
                q.execute(&mut *tx).await.doing("storing listed papers")?;
            }
            for chunk in edges.chunks(rows_per_statement(3)) {
                let sql = format!(
                    "INSERT INTO citations (citing, cited, is_influential) VALUES {} \
                     ON CONFLICT (citing, cited) DO UPDATE SET \
                     is_influential = COALESCE(excluded.is_influential, citations.is_influential)",
                    self.placeholders(chunk.len(), 3)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for e in chunk {
                    q = q.bind(e.citing.clone()).bind(e.cited.clone()).bind(e.is_influential);
                }
                q.execute(&mut *tx).await.doing("storing citations")?;
            }
            for chunk in fetched.chunks(IDS_PER_QUERY) {
                sqlx::query(AssertSqlSafe(mark_checked.clone()))
                    .bind(run)
                    .bind(crawl_id)
                    .bind(ids_json(chunk))
                    .execute(&mut *tx)
                    .await
                    .doing("marking members fetched")?;
            }
            for (citing, list) in &batch.unresolved {
                sqlx::query("DELETE FROM unresolved_references WHERE citing = $1")
                    .bind(citing.clone())
                    .execute(&mut *tx)
                    .await
                    .doing("replacing unresolved references")?;
                for (ord, r) in list.iter().enumerate() {
                    sqlx::query("INSERT INTO unresolved_references (citing, ord, title, year) VALUES ($1, $2, $3, $4)")
                        .bind(citing.clone())
                        .bind(ord as i64)
                        .bind(r.title.clone())
                        .bind(r.year)
                        .execute(&mut *tx)
                        .await
                        .doing("storing unresolved references")?;
                }
            }
            for (id, reason) in &batch.missing {
                sqlx::query(
                    "UPDATE crawl_members SET checked_run = $1, missing = $2 WHERE crawl_id = $3 AND paper_id = $4",
                )
                .bind(run)
                .bind(reason.clone())
                .bind(crawl_id)
                .bind(id.clone())
                .execute(&mut *tx)
                .await
                .doing("marking members missing")?;
            }
            tx.commit().await.doing("committing a batch")
        })
    }

    /// Looks up the S2 id of a paper already stored under a DOI, arXiv or corpus id.
    pub async fn find_paper_by(&self, id: &crate::ids::PaperId) -> Result<Option<S2Id>, StoreError> {
        use crate::ids::PaperId;
        let (sql, value): (&'static str, String) = match id {
            PaperId::S2(sha) => (
                "SELECT paper_id FROM papers WHERE paper_id = $1 AND fetched_at IS NOT NULL",
                sha.clone(),
            ),
            PaperId::Doi(doi) => (
                "SELECT paper_id FROM papers WHERE doi = $1 AND fetched_at IS NOT NULL",
                doi.to_lowercase(),
            ),
            PaperId::Arxiv(a) => (
                "SELECT paper_id FROM papers WHERE arxiv = $1 AND fetched_at IS NOT NULL",
                crate::ids::strip_arxiv_version(a).to_owned(),
            ),
            PaperId::Corpus(n) => {
                let found: Option<S2Id> = on_db!(&self.db, pool => sqlx::query_scalar(
                    "SELECT paper_id FROM papers WHERE corpus_id = $1 AND fetched_at IS NOT NULL",
                )
                .bind(*n as i64)
                .fetch_optional(pool)
                .await
                .doing("looking up a corpus id")?);
                return Ok(found);
            }
            _ => return Ok(None),
        };
        on_db!(&self.db, pool => sqlx::query_scalar(sql)
            .bind(value)
            .fetch_optional(pool)
            .await
            .doing("looking up a paper id"))
    }

    /// The references S2 could not resolve, of each of `ids` that has some, in order.
    pub async fn unresolved_references(
        &self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, Vec<UnresolvedRef>>, StoreError> {
        let rows: Vec<(String, String, Option<i64>)> = self
            .select_by_ids(
                ids,
                |set| {
                    format!(
                        "SELECT citing, title, year FROM unresolved_references WHERE citing IN ({set}) ORDER BY citing, ord"
                    )
                },
                "reading unresolved references",
            )
            .await?;
        let mut out: std::collections::HashMap<String, Vec<UnresolvedRef>> = std::collections::HashMap::new();
        for (citing, title, year) in rows {
            out.entry(citing).or_default().push(UnresolvedRef { title, year });
        }
        Ok(out)
    }

    /// Papers by id (stubs included), in no particular order.
    pub async fn papers(&self, ids: &[String]) -> Result<Vec<StoredPaper>, StoreError> {
        // As JSON: a chunk of paper notes reads 500 rows of 28 values, and sqlx's hand-off
        // of each row cost more than the query.
        self.select_json_by_ids(
            ids,
            &JsonRead {
                columns: PAPER_VALUES,
                order: None,
                from: &|set| {
                    format!(
                        "papers p LEFT JOIN openalex_works o ON o.paper_id = p.paper_id WHERE p.paper_id IN ({set})"
                    )
                },
                doing: "reading papers",
            },
        )
        .await
    }

    /// Titles and years of papers (stubs included), for lists of links.
    pub async fn paper_titles(&self, ids: &[String]) -> Result<Vec<(String, String, Option<i64>)>, StoreError> {
        self.select_json_by_ids(ids, &TITLES).await
    }

    /// [`Store::paper_titles`] a chunk of papers at a time, handed to `each`.
    pub async fn each_paper_titles(
        &self,
        ids: &[String],
        each: impl FnMut(Vec<(String, String, Option<i64>)>),
    ) -> Result<(), StoreError> {
        self.for_each_json_chunk(ids, &TITLES, each).await
    }

    /// [`Store::each_paper_titles`] with each paper's abstract: a render that must
    /// analyse its crawl again reads the analysis's texts with the notes' titles, in one
    /// lookup of each paper instead of two.
    pub async fn each_paper_titles_abstracts(
        &self,
        ids: &[String],
        each: impl FnMut(Vec<(String, String, Option<i64>, Option<String>)>),
    ) -> Result<(), StoreError> {
        self.for_each_json_chunk(ids, &TITLES_ABSTRACTS, each).await
    }

    /// Authors of the given papers, a chunk of papers at a time, handed to `each`:
    /// (paper id, S2 author id, name), each paper's in author order and in one chunk.
    pub async fn each_authors_of(
        &self,
        ids: &[String],
        each: impl FnMut(Vec<(String, Option<String>, String)>),
    ) -> Result<(), StoreError> {
        self.for_each_json_chunk(ids, &AUTHORS, each).await
    }
}

/// Papers' titles and years.
static TITLES: JsonRead<'static> = JsonRead {
    columns: "paper_id, title, year",
    order: None,
    from: &titles_from,
    doing: "reading titles",
};

/// Papers' titles, years and abstracts.
static TITLES_ABSTRACTS: JsonRead<'static> = JsonRead {
    columns: "paper_id, title, year, abstract",
    order: None,
    from: &titles_from,
    doing: "reading titles and abstracts",
};

fn titles_from(set: &str) -> String {
    format!("papers WHERE paper_id IN ({set})")
}

/// Papers' authors, in order.
static AUTHORS: JsonRead<'static> = JsonRead {
    columns: "paper_id, author_id, name",
    order: Some("paper_id, ord"),
    from: &authors_from,
    doing: "reading authors",
};

fn authors_from(set: &str) -> String {
    format!("paper_authors WHERE paper_id IN ({set})")
}

/// Keeps the last entry for each key (a later answer wins), in first-seen order.
fn dedup_by<T: Clone>(items: &[T], key: impl Fn(&T) -> String) -> Vec<T> {
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        match index.get(&key(item)) {
            Some(&i) => out[i] = item.clone(),
            None => {
                index.insert(key(item), out.len());
                out.push(item.clone());
            }
        }
    }
    out
}

/// One row per (citing, cited), keeping a known influential flag over an unknown one:
/// Postgres refuses an upsert that touches the same row twice.
fn dedup_edges(edges: &[EdgeRow]) -> Vec<EdgeRow> {
    let mut map: BTreeMap<(&str, &str), Option<bool>> = BTreeMap::new();
    for e in edges {
        let slot = map.entry((&e.citing, &e.cited)).or_insert(None);
        if e.is_influential.is_some() {
            *slot = e.is_influential;
        }
    }
    map.into_iter()
        .map(|((citing, cited), is_influential)| EdgeRow {
            citing: citing.to_owned(),
            cited: cited.to_owned(),
            is_influential,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_edges_collapse_keeping_the_known_flag() {
        let e = |citing: &str, cited: &str, f| EdgeRow {
            citing: citing.into(),
            cited: cited.into(),
            is_influential: f,
        };
        let out = dedup_edges(&[
            e("a", "b", None),
            e("a", "b", Some(true)),
            e("a", "b", None),
            e("a", "c", None),
        ]);
        assert_eq!(out, vec![e("a", "b", Some(true)), e("a", "c", None)]);
    }

    #[test]
    fn duplicates_keep_the_last_answer_in_first_seen_order() {
        let out = dedup_by(&[("x", 1), ("y", 2), ("x", 3)], |p| p.0.to_string());
        assert_eq!(out, vec![("x", 3), ("y", 2)]);
    }
}

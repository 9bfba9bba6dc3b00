//! Merges of papers that are one work (a preprint and its published version): which
//! paper the vault shows, which folds into it, and the pairs a user pulled apart.

use super::bulk::JsonRead;
use super::{Doing, Store, StoreError, on_db};

/// One recorded merge.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MergeRow {
    /// The paper folded into the other (no note of its own while merged).
    pub merged_id: String,
    /// The paper whose note shows both.
    pub kept_id: String,
    /// Why they were taken for one work.
    pub reason: String,
    /// When (unix seconds).
    pub merged_at: i64,
}

/// What tells at first sight that a member may be one work with another: the ids and
/// the title two records of one work share (read from a JSON array of its fields, in
/// order). Only the members that share one with another are read again in full, as
/// [`IdentityRow`]s.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct IdentityKeys {
    /// S2 id.
    pub paper_id: String,
    /// Lower-cased DOI.
    pub doi: Option<String>,
    /// arXiv id.
    pub arxiv: Option<String>,
    /// External ids (JSON object).
    pub external_ids: String,
    /// Title.
    pub title: String,
}

/// What a paper offers for telling two records of one work apart (read from a JSON
/// array of its fields, in order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct IdentityRow {
    /// S2 id.
    pub paper_id: String,
    /// Lower-cased DOI.
    pub doi: Option<String>,
    /// arXiv id.
    pub arxiv: Option<String>,
    /// External ids (JSON object).
    pub external_ids: String,
    /// Title.
    pub title: String,
    /// Year.
    pub year: Option<i64>,
    /// Journal name.
    pub journal: Option<String>,
    /// Venue.
    pub venue: Option<String>,
    /// Publication types (JSON list).
    pub publication_types: String,
    /// Citation count.
    pub citation_count: Option<i64>,
    /// The first author's name.
    pub first_author: Option<String>,
}

impl Store {
    /// Every merge.
    pub async fn merges(&self) -> Result<Vec<MergeRow>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_as(
            "SELECT merged_id, kept_id, reason, merged_at FROM paper_merges ORDER BY kept_id, merged_id",
        )
        .fetch_all(pool)
        .await
        .doing("reading merges"))
    }

    /// Pairs that must stay apart, each as (smaller id, larger id).
    pub async fn merge_refusals(&self) -> Result<Vec<(String, String)>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_as("SELECT paper_a, paper_b FROM merge_refusals")
            .fetch_all(pool)
            .await
            .doing("reading unmerged pairs"))
    }

    /// Records merges (a paper already merged keeps its first merge).
    pub async fn record_merges(&self, merges: &[MergeRow]) -> Result<(), StoreError> {
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            for m in merges {
                sqlx::query(
                    "INSERT INTO paper_merges (merged_id, kept_id, reason, merged_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (merged_id) DO NOTHING",
                )
                .bind(&m.merged_id)
                .bind(&m.kept_id)
                .bind(&m.reason)
                .bind(m.merged_at)
                .execute(&mut *tx)
                .await
                .doing("recording merges")?;
            }
            tx.commit().await.doing("committing merges")
        })
    }

    /// Undoes the merges `id` takes part in (as the merged or the kept paper), and
    /// remembers each pair as two works. Returns the merges undone.
    pub async fn unmerge(&self, id: &str, now: i64) -> Result<Vec<MergeRow>, StoreError> {
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            let undone: Vec<MergeRow> = sqlx::query_as(
                "DELETE FROM paper_merges WHERE merged_id = $1 OR kept_id = $1 \
                 RETURNING merged_id, kept_id, reason, merged_at",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await
            .doing("undoing merges")?;
            for m in &undone {
                let (a, b) = if m.merged_id < m.kept_id { (&m.merged_id, &m.kept_id) } else { (&m.kept_id, &m.merged_id) };
                sqlx::query(
                    "INSERT INTO merge_refusals (paper_a, paper_b, refused_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (paper_a, paper_b) DO NOTHING",
                )
                .bind(a)
                .bind(b)
                .bind(now)
                .execute(&mut *tx)
                .await
                .doing("remembering unmerged pairs")?;
            }
            tx.commit().await.doing("committing the unmerge")?;
            Ok(undone)
        })
    }

    /// The [`IdentityKeys`] of a crawl's fetched members, in id order. Read as two halves
    /// at once, split by id (S2's ids are hex): the read is a render's first, beside
    /// only the graph's.
    pub async fn member_identity_keys(&self, crawl_id: i64) -> Result<Vec<IdentityKeys>, StoreError> {
        fn below(crawl: &str) -> String {
            format!("{} AND p.paper_id < '8'", super::members::fetched_members_of(crawl))
        }
        fn above(crawl: &str) -> String {
            format!("{} AND p.paper_id >= '8'", super::members::fetched_members_of(crawl))
        }
        let half = |from: &'static (dyn Fn(&str) -> String + Sync)| JsonRead {
            columns: "p.paper_id, p.doi, p.arxiv, p.external_ids, p.title",
            order: Some("p.paper_id"),
            from,
            doing: "reading members' identities",
        };
        let (low, high) = (half(&below), half(&above));
        let (mut first, second) = futures::try_join!(
            self.select_json_of_crawl::<IdentityKeys>(crawl_id, &low),
            self.select_json_of_crawl::<IdentityKeys>(crawl_id, &high),
        )?;
        first.extend(second);
        Ok(first)
    }

    /// The [`IdentityRow`]s of these papers, in the order given (a paper not stored is
    /// left out). The first author's name is looked up for each: reading it for every
    /// member was half of the members' identities' read.
    pub async fn identities(&self, ids: &[String]) -> Result<Vec<IdentityRow>, StoreError> {
        let mut rows: Vec<IdentityRow> = self
            .select_json_by_ids(
                ids,
                &JsonRead {
                    columns: "p.paper_id, p.doi, p.arxiv, p.external_ids, p.title, p.year, p.journal, p.venue, \
                              p.publication_types, p.citation_count, \
                              (SELECT a.name FROM paper_authors a WHERE a.paper_id = p.paper_id ORDER BY a.ord LIMIT 1)",
                    order: None,
                    from: &|set| format!("papers p WHERE p.paper_id IN ({set})"),
                    doing: "reading papers' identities",
                },
            )
            .await?;
        let place: std::collections::HashMap<&str, usize> =
            ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        rows.sort_by_key(|r| place.get(r.paper_id.as_str()).copied().unwrap_or(usize::MAX));
        Ok(rows)
    }
}

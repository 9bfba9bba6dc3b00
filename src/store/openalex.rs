//! What OpenAlex filled in for papers, and each crawl run's OpenAlex budget.

use sqlx::AssertSqlSafe;

use super::{Doing, Store, StoreError, on_db, rows_per_statement};

/// A paper OpenAlex may fill: its id and the DOI to look it up by.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OpenAlexWanted {
    /// S2 id.
    pub paper_id: String,
    /// Lower-cased DOI.
    pub doi: Option<String>,
    /// arXiv id (arXiv's own DOI is derived from it when S2 gave no DOI).
    pub arxiv: Option<String>,
}

/// What OpenAlex answered for one paper (all `None`: it has no work for the DOI).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenAlexFill {
    /// S2 id.
    pub paper_id: String,
    /// OpenAlex's `W…`.
    pub work_id: Option<String>,
    /// The abstract, rebuilt.
    pub abstract_text: Option<String>,
    /// An open-access PDF.
    pub pdf_url: Option<String>,
    /// The journal's or proceedings' name.
    pub venue: Option<String>,
}

impl Store {
    /// Fully fetched papers among `ids` that lack an abstract, an open-access PDF or a
    /// venue, have a DOI or arXiv id, and were not looked up in OpenAlex since `since`.
    pub async fn openalex_wanted(&self, ids: &[String], since: i64) -> Result<Vec<OpenAlexWanted>, StoreError> {
        let mut rows: Vec<OpenAlexWanted> = self
            .select_by_ids(
                ids,
                |set| {
                    format!(
                        "SELECT p.paper_id, p.doi, p.arxiv FROM papers p \
                         LEFT JOIN openalex_works o ON o.paper_id = p.paper_id \
                         WHERE p.paper_id IN ({set}) AND p.fetched_at IS NOT NULL \
                         AND (p.doi IS NOT NULL OR p.arxiv IS NOT NULL) \
                         AND (p.abstract IS NULL OR p.pdf_url IS NULL OR (p.venue IS NULL AND p.journal IS NULL)) \
                         AND (o.checked_at IS NULL OR o.checked_at < {since})"
                    )
                },
                "choosing papers for OpenAlex",
            )
            .await?;
        rows.sort_by(|a, b| a.paper_id.cmp(&b.paper_id));
        Ok(rows)
    }

    /// Records what OpenAlex answered (replacing an earlier answer).
    pub async fn record_openalex(&self, fills: &[OpenAlexFill], now: i64) -> Result<(), StoreError> {
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            for chunk in fills.chunks(rows_per_statement(6)) {
                let sql = format!(
                    "INSERT INTO openalex_works (paper_id, work_id, abstract, pdf_url, venue, checked_at) VALUES {} \
                     ON CONFLICT (paper_id) DO UPDATE SET work_id = excluded.work_id, abstract = excluded.abstract, \
                     pdf_url = excluded.pdf_url, venue = excluded.venue, checked_at = excluded.checked_at",
                    self.placeholders(chunk.len(), 6)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for f in chunk {
                    q = q
                        .bind(f.paper_id.clone())
                        .bind(f.work_id.clone())
                        .bind(f.abstract_text.clone())
                        .bind(f.pdf_url.clone())
                        .bind(f.venue.clone())
                        .bind(now);
                }
                q.execute(&mut *tx).await.doing("storing OpenAlex answers")?;
            }
            tx.commit().await.doing("committing OpenAlex answers")
        })
    }

    /// Counts one OpenAlex request against the run's budget; `false` (and nothing
    /// counted) when `max` are spent.
    pub async fn take_openalex_request(&self, crawl_id: i64, run: i64, max: i64) -> Result<bool, StoreError> {
        let taken: Option<i64> = on_db!(&self.db, pool => sqlx::query_scalar(
            "INSERT INTO openalex_usage (crawl_id, run, requests) VALUES ($1, $2, 1) \
             ON CONFLICT (crawl_id, run) DO UPDATE SET requests = openalex_usage.requests + 1 \
             WHERE openalex_usage.requests < $3 RETURNING requests",
        )
        .bind(crawl_id)
        .bind(run)
        .bind(max)
        .fetch_optional(pool)
        .await
        .doing("counting OpenAlex requests")?);
        Ok(taken.is_some_and(|n| n <= max))
    }

    /// OpenAlex requests a crawl's run has made.
    pub async fn openalex_requests(&self, crawl_id: i64, run: i64) -> Result<i64, StoreError> {
        let n: Option<i64> = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT requests FROM openalex_usage WHERE crawl_id = $1 AND run = $2",
        )
        .bind(crawl_id)
        .bind(run)
        .fetch_optional(pool)
        .await
        .doing("reading OpenAlex requests")?);
        Ok(n.unwrap_or(0))
    }
}

//! Summaries (cached by paper, text hash, model and prompt version), each paper's PDF
//! state, and which members of a run have had their summary job.

use super::{Doing, IDS_PER_QUERY, PdfStatus, Store, StoreError, ids_json, on_db};

/// A stored summary.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SummaryRow {
    /// The paper.
    pub paper_id: String,
    /// SHA-256 of the text summarized.
    pub text_hash: String,
    /// The model (or `refnet-extractive`).
    pub model: String,
    /// The prompt version.
    pub prompt_version: String,
    /// `pdf`, `abstract` or `tldr`.
    pub source: String,
    /// The summary's fields as JSON.
    pub body: String,
    /// When it was made.
    pub created_at: i64,
}

/// What became of a paper's PDF, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PdfRow {
    /// The paper.
    pub paper_id: String,
    /// The URL it was fetched from.
    pub url: String,
    /// Whether it gave text, and if not, why not.
    pub status: PdfStatus,
    /// Why there is no text.
    pub reason: Option<String>,
    /// Where it is kept, vault-relative.
    pub file: Option<String>,
    /// Pages.
    pub pages: Option<i64>,
    /// Characters of text.
    pub chars: Option<i64>,
    /// SHA-256 of the extracted text.
    pub text_hash: Option<String>,
    /// When it was fetched.
    pub fetched_at: i64,
}

impl Store {
    /// The cached summary for exactly this input, if any.
    pub async fn cached_summary(
        &self,
        paper_id: &str,
        text_hash: &str,
        model: &str,
        prompt_version: &str,
    ) -> Result<Option<SummaryRow>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_as(
            "SELECT paper_id, text_hash, model, prompt_version, source, body, created_at FROM summaries \
             WHERE paper_id = $1 AND text_hash = $2 AND model = $3 AND prompt_version = $4",
        )
        .bind(paper_id.to_owned())
        .bind(text_hash.to_owned())
        .bind(model.to_owned())
        .bind(prompt_version.to_owned())
        .fetch_optional(pool)
        .await
        .doing("reading a cached summary"))
    }

    /// Stores a summary (a second store of the same input changes nothing).
    pub async fn save_summary(&self, row: &SummaryRow) -> Result<(), StoreError> {
        self.save_summaries(std::slice::from_ref(row)).await
    }

    /// Stores summaries in one transaction (a second store of the same input changes
    /// nothing).
    pub async fn save_summaries(&self, rows: &[SummaryRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            for row in rows {
                sqlx::query(
                    "INSERT INTO summaries (paper_id, text_hash, model, prompt_version, source, body, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                )
                .bind(row.paper_id.clone())
                .bind(row.text_hash.clone())
                .bind(row.model.clone())
                .bind(row.prompt_version.clone())
                .bind(row.source.clone())
                .bind(row.body.clone())
                .bind(row.created_at)
                .execute(&mut *tx)
                .await
                .doing("storing a summary")?;
            }
            tx.commit().await.doing("committing summaries")
        })
    }

    /// The newest summary of each paper.
    pub async fn latest_summaries(&self, ids: &[String]) -> Result<Vec<SummaryRow>, StoreError> {
        let mut rows: Vec<SummaryRow> = self
            .select_by_ids(
                ids,
                |set| {
                    format!(
                        "SELECT s.paper_id, s.text_hash, s.model, s.prompt_version, s.source, s.body, s.created_at \
                         FROM summaries s WHERE s.paper_id IN ({set}) AND s.created_at = \
                         (SELECT MAX(t.created_at) FROM summaries t WHERE t.paper_id = s.paper_id)"
                    )
                },
                "reading summaries",
            )
            .await?;
        // Two summaries made in the same second: keep one, the same one every time.
        rows.sort_by(|a, b| {
            (&a.paper_id, &a.model, &a.prompt_version).cmp(&(&b.paper_id, &b.model, &b.prompt_version))
        });
        rows.dedup_by(|later, first| later.paper_id == first.paper_id);
        Ok(rows)
    }

    /// A paper's PDF state.
    pub async fn pdf_state(&self, paper_id: &str) -> Result<Option<PdfRow>, StoreError> {
        Ok(self.pdf_states(&[paper_id.to_owned()]).await?.pop())
    }

    /// PDF states of papers.
    pub async fn pdf_states(&self, ids: &[String]) -> Result<Vec<PdfRow>, StoreError> {
        self.select_by_ids(
            ids,
            |set| {
                format!(
                    "SELECT paper_id, url, status, reason, file, pages, chars, text_hash, fetched_at FROM pdfs \
                     WHERE paper_id IN ({set})"
                )
            },
            "reading PDF states",
        )
        .await
    }

    /// Records what became of a paper's PDF.
    pub async fn save_pdf_state(&self, row: &PdfRow) -> Result<(), StoreError> {
        on_db!(&self.db, pool => sqlx::query(
            "INSERT INTO pdfs (paper_id, url, status, reason, file, pages, chars, text_hash, fetched_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (paper_id) DO UPDATE SET \
             url = excluded.url, status = excluded.status, reason = excluded.reason, file = excluded.file, \
             pages = excluded.pages, chars = excluded.chars, text_hash = excluded.text_hash, \
             fetched_at = excluded.fetched_at",
        )
        .bind(row.paper_id.clone())
        .bind(row.url.clone())
        .bind(row.status.as_str())
        .bind(row.reason.clone())
        .bind(row.file.clone())
        .bind(row.pages)
        .bind(row.chars)
        .bind(row.text_hash.clone())
        .bind(row.fetched_at)
        .execute(pool)
        .await
        .map(|_| ())
        .doing("recording a PDF"))
    }

    /// The text hashes each paper has a summary of, by this model and prompt version.
    pub async fn summary_hashes(
        &self,
        ids: &[String],
        model: &str,
        prompt_version: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let sql = format!(
                "SELECT paper_id, text_hash FROM summaries WHERE model = $2 AND prompt_version = $3 \
                 AND paper_id IN ({})",
                self.id_set(1)
            );
            let rows: Vec<(String, String)> = on_db!(&self.db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(ids_json(chunk))
                .bind(model.to_owned())
                .bind(prompt_version.to_owned())
                .fetch_all(pool)
                .await
                .doing("reading summary keys")?);
            out.extend(rows);
        }
        Ok(out)
    }

    /// Where each of `ids` (members of the crawl) stands in `run`'s summaries.
    pub async fn summary_states(&self, crawl_id: i64, ids: &[String]) -> Result<Vec<SummaryState>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let sql = format!(
                "SELECT paper_id, depth, summarized_run, summary_queued_run FROM crawl_members \
                 WHERE crawl_id = $2 AND missing IS NULL AND paper_id IN ({})",
                self.id_set(1)
            );
            let rows: Vec<SummaryState> = on_db!(&self.db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(ids_json(chunk))
                .bind(crawl_id)
                .fetch_all(pool)
                .await
                .doing("reading summary states")?);
            out.extend(rows);
        }
        Ok(out)
    }

    /// Marks members as queued for a summary in `run` (`current`: false), or as needing
    /// none because theirs is current (`current`: true).
    pub async fn mark_summaries(
        &self,
        crawl_id: i64,
        run: i64,
        ids: &[String],
        current: bool,
    ) -> Result<(), StoreError> {
        let set = if current {
            "summarized_run = $2, summary_error = NULL"
        } else {
            "summary_queued_run = $2"
        };
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let sql = format!(
                "UPDATE crawl_members SET {set} WHERE crawl_id = $3 AND paper_id IN ({})",
                self.id_set(1)
            );
            on_db!(&self.db, pool => sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(ids_json(chunk))
                .bind(run)
                .bind(crawl_id)
                .execute(pool)
                .await
                .map(|_| ())
                .doing("marking summaries")?);
        }
        Ok(())
    }

    /// Marks members' summaries of `run` finished (made, or given up with the reason) in
    /// one transaction, and returns how many members of the run still wait for theirs.
    /// Each batch counts after its own commit, so the last one to finish sees zero,
    /// whatever the interleaving.
    pub async fn finish_summaries(
        &self,
        crawl_id: i64,
        run: i64,
        finished: &[(String, Option<String>)],
    ) -> Result<i64, StoreError> {
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            for (paper_id, error) in finished {
                sqlx::query(
                    "UPDATE crawl_members SET summarized_run = $1, summary_error = $2 \
                     WHERE crawl_id = $3 AND paper_id = $4",
                )
                .bind(run)
                .bind(error.clone())
                .bind(crawl_id)
                .bind(paper_id.clone())
                .execute(&mut *tx)
                .await
                .doing("marking a summary done")?;
            }
            tx.commit().await.doing("committing finished summaries")?;
        });
        self.summaries_left(crawl_id, run).await
    }

    /// Members of the crawl (with a record) whose summary `run` has not settled yet.
    pub async fn summaries_left(&self, crawl_id: i64, run: i64) -> Result<i64, StoreError> {
        on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM crawl_members m JOIN papers p ON p.paper_id = m.paper_id \
             WHERE m.crawl_id = $1 AND m.missing IS NULL AND p.fetched_at IS NOT NULL \
             AND (m.summarized_run IS NULL OR m.summarized_run < $2)",
        )
        .bind(crawl_id)
        .bind(run)
        .fetch_one(pool)
        .await
        .doing("counting summaries left"))
    }

    /// `run`'s summary work: (papers queued, of which settled, of which failed).
    pub async fn summary_progress(&self, crawl_id: i64, run: i64) -> Result<SummaryProgress, StoreError> {
        let (queued, settled, failed): (i64, i64, i64) = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT COUNT(*), \
             COALESCE(SUM(CASE WHEN summarized_run = $2 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN summarized_run = $2 AND summary_error IS NOT NULL THEN 1 ELSE 0 END), 0) \
             FROM crawl_members WHERE crawl_id = $1 AND summary_queued_run = $2",
        )
        .bind(crawl_id)
        .bind(run)
        .fetch_one(pool)
        .await
        .doing("reading summary progress")?);
        Ok(SummaryProgress {
            queued,
            settled,
            failed,
        })
    }

    /// Members whose summary the crawl's current run gave up on: (paper id, title, why).
    pub async fn summary_failures(
        &self,
        crawl_id: i64,
        limit: i64,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_as(
            "SELECT m.paper_id, p.title, m.summary_error FROM crawl_members m \
             JOIN crawls c ON c.crawl_id = m.crawl_id JOIN papers p ON p.paper_id = m.paper_id \
             WHERE m.crawl_id = $1 AND m.summarized_run = c.run AND m.summary_error IS NOT NULL \
             ORDER BY m.depth, m.priority DESC, m.paper_id LIMIT $2",
        )
        .bind(crawl_id)
        .bind(limit)
        .fetch_all(pool)
        .await
        .doing("reading summary failures"))
    }
}

/// Where a member stands in a run's summaries.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SummaryState {
    /// The paper.
    pub paper_id: String,
    /// Its level in the crawl.
    pub depth: i64,
    /// The run that last settled its summary (made, current, or given up).
    pub summarized_run: Option<i64>,
    /// The run that last queued it for a summary.
    pub summary_queued_run: Option<i64>,
}

/// A run's summary work so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SummaryProgress {
    /// Papers queued for a summary in the run.
    pub queued: i64,
    /// Of those, settled (made or given up).
    pub settled: i64,
    /// Of those settled, given up.
    pub failed: i64,
}

//! A crawl's members (levels, candidates, counts) and the user's library papers.

use sqlx::AssertSqlSafe;

use crate::ids::S2Id;

use super::{Candidate, Crawl, Db, Direction, Doing, Store, StoreError, on_db, rows_per_statement};

/// A member of a crawl.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberInfo {
    /// S2 id.
    pub paper_id: String,
    /// Level.
    pub depth: i64,
    /// Priority 0–10.
    pub priority: i64,
    /// The run that added it.
    pub added_run: i64,
    /// Why S2 had no record for it.
    pub missing: Option<String>,
}

/// Counts for the crawl's report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrawlStats {
    /// Papers in the crawl.
    pub members: i64,
    /// Members S2 had no record for.
    pub missing: i64,
    /// Citation edges between members.
    pub edges: i64,
    /// Papers left out by the budget.
    pub left_out: i64,
    /// Members whose reference or citation list the API cut.
    pub truncated: i64,
}

impl Store {
    /// Marks papers as the user's own (from their library).
    pub async fn mark_library(&self, ids: &[S2Id], now: i64) -> Result<(), StoreError> {
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            for id in ids {
                sqlx::query("INSERT INTO library_papers (paper_id, added_at) VALUES ($1, $2) ON CONFLICT (paper_id) DO NOTHING")
                    .bind(id.to_string())
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .doing("marking library papers")?;
            }
            tx.commit().await.doing("committing library papers")
        })
    }

    /// Which of `ids` are in the user's library.
    pub async fn in_library(&self, ids: &[String]) -> Result<std::collections::HashSet<String>, StoreError> {
        let rows: Vec<(String,)> = self
            .select_by_ids(
                ids,
                |set| format!("SELECT paper_id FROM library_papers WHERE paper_id IN ({set})"),
                "reading library papers",
            )
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
    /// The members of one level that S2 has a record of.
    pub async fn level_members(&self, crawl_id: i64, depth: i64) -> Result<Vec<String>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT paper_id FROM crawl_members WHERE crawl_id = $1 AND depth = $2 AND missing IS NULL ORDER BY paper_id",
        )
        .bind(crawl_id)
        .bind(depth)
        .fetch_all(pool)
        .await
        .doing("reading a level's members"))
    }

    /// Members of `depth` that this run still has to fetch: not checked in this run, and
    /// stored before the cutoff (or never), or lacking a fresh citing list when needed.
    pub async fn members_to_fetch(
        &self,
        crawl: &Crawl,
        depth: i64,
        needs_citations: bool,
    ) -> Result<Vec<String>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT m.paper_id FROM crawl_members m LEFT JOIN papers p ON p.paper_id = m.paper_id \
             WHERE m.crawl_id = $1 AND m.depth = $2 AND (m.checked_run IS NULL OR m.checked_run < $3) \
             AND (p.fetched_at IS NULL OR p.fetched_at < $4 \
                  OR ($5 AND (p.citations_fetched_at IS NULL OR p.citations_fetched_at < $4))) \
             ORDER BY m.priority DESC, m.paper_id",
        )
        .bind(crawl.crawl_id)
        .bind(depth)
        .bind(crawl.run)
        .bind(crawl.fetch_cutoff)
        .bind(needs_citations)
        .fetch_all(pool)
        .await
        .doing("listing papers to fetch"))
    }

    /// Papers one step from the members of `depth` (along `direction`) that are not yet
    /// members, with what their priority needs.
    pub async fn candidates(
        &self,
        crawl_id: i64,
        depth: i64,
        direction: Direction,
    ) -> Result<Vec<Candidate>, StoreError> {
        // (member end, other end) of an edge, per direction followed.
        let mut ends = Vec::new();
        if direction.follows_references() {
            ends.push(("citing", "cited"));
        }
        if direction.follows_citations() {
            ends.push(("cited", "citing"));
        }
        let mut out: Vec<Candidate> = Vec::new();
        for (member_end, other_end) in ends {
            let sql = format!(
                "SELECT c.{other_end} AS paper_id, MAX(p.citation_count) AS citation_count, MAX(p.year) AS year \
                 FROM crawl_members m JOIN citations c ON c.{member_end} = m.paper_id \
                 LEFT JOIN papers p ON p.paper_id = c.{other_end} \
                 WHERE m.crawl_id = $1 AND m.depth = $2 AND m.missing IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM crawl_members x WHERE x.crawl_id = $1 AND x.paper_id = c.{other_end}) \
                 GROUP BY c.{other_end}"
            );
            let rows: Vec<Candidate> = on_db!(&self.db, pool => sqlx::query_as(AssertSqlSafe(sql))
                .bind(crawl_id)
                .bind(depth)
                .fetch_all(pool)
                .await
                .doing("listing candidates")?);
            out.extend(rows);
        }
        out.sort_by(|a, b| a.paper_id.cmp(&b.paper_id));
        out.dedup_by(|a, b| a.paper_id == b.paper_id);
        Ok(out)
    }

    /// Number of members of a crawl.
    pub async fn member_count(&self, crawl_id: i64) -> Result<i64, StoreError> {
        on_db!(&self.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM crawl_members WHERE crawl_id = $1")
            .bind(crawl_id)
            .fetch_one(pool)
            .await
            .doing("counting members"))
    }

    /// Adds a level's admitted members and records those the budget left out, in one
    /// transaction; members already present are kept as they are.
    pub async fn add_level(
        &self,
        crawl_id: i64,
        run: i64,
        depth: i64,
        admitted: &[(String, i64)],
        left_out: &[(String, i64)],
    ) -> Result<(), StoreError> {
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            for chunk in admitted.chunks(rows_per_statement(5)) {
                let sql = format!(
                    "INSERT INTO crawl_members (crawl_id, paper_id, depth, priority, added_run) VALUES {} \
                     ON CONFLICT (crawl_id, paper_id) DO NOTHING",
                    self.placeholders(chunk.len(), 5)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (id, priority) in chunk {
                    q = q.bind(crawl_id).bind(id.clone()).bind(depth).bind(*priority).bind(run);
                }
                q.execute(&mut *tx).await.doing("adding members")?;
            }
            for chunk in left_out.chunks(rows_per_statement(4)) {
                let sql = format!(
                    "INSERT INTO crawl_left_out (crawl_id, paper_id, depth, priority) VALUES {} \
                     ON CONFLICT (crawl_id, paper_id) DO NOTHING",
                    self.placeholders(chunk.len(), 4)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (id, priority) in chunk {
                    q = q.bind(crawl_id).bind(id.clone()).bind(depth).bind(*priority);
                }
                q.execute(&mut *tx).await.doing("recording papers left out")?;
            }
            tx.commit().await.doing("committing a level")
        })?;
        self.refresh_statistics().await
    }

    /// Postgres plans from table statistics that autovacuum refreshes only after a while;
    /// a crawl's levels grow its tables by orders of magnitude in seconds, and stale
    /// statistics turn joins over them into cross products (seconds instead of
    /// milliseconds). Refreshed after each level's fetch and admission (skipping a table another
    /// worker is analysing); SQLite needs none.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        if let Db::Postgres(pool) = &self.db {
            sqlx::query("ANALYZE (SKIP_LOCKED) crawl_members, citations, papers, paper_authors")
                .execute(pool)
                .await
                .doing("refreshing table statistics")?;
        }
        Ok(())
    }

    /// Every member of a crawl, by depth then priority.
    pub async fn members(&self, crawl_id: i64) -> Result<Vec<MemberInfo>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_as(
            "SELECT paper_id, depth, priority, added_run, missing FROM crawl_members WHERE crawl_id = $1 \
             ORDER BY depth, priority DESC, paper_id",
        )
        .bind(crawl_id)
        .fetch_all(pool)
        .await
        .doing("listing members"))
    }

    /// Members with a stored record, as (paper id, depth), by depth then priority.
    pub async fn fetched_members(&self, crawl_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
        // A render's first read, a row per member: as one JSON array (see `store::bulk`).
        self.select_json_of_crawl(
            crawl_id,
            &super::bulk::JsonRead {
                columns: "m.paper_id, m.depth",
                order: Some("m.depth, m.priority DESC, m.paper_id"),
                from: &fetched_members_of,
                doing: "listing fetched members",
            },
        )
        .await
    }

    /// Counts for a crawl's report.
    pub async fn crawl_stats(&self, crawl_id: i64) -> Result<CrawlStats, StoreError> {
        let edges: i64 = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM crawl_members a JOIN citations c ON c.citing = a.paper_id \
              WHERE a.crawl_id = $1 AND EXISTS \
              (SELECT 1 FROM crawl_members b WHERE b.crawl_id = $1 AND b.paper_id = c.cited)",
        )
        .bind(crawl_id)
        .fetch_one(pool)
        .await
        .doing("counting a crawl's citations")?);
        self.crawl_counts(crawl_id, edges).await
    }

    /// [`Store::crawl_stats`] with the citations between members counted by the caller:
    /// a render counts those in the graph it has read, where a look-up per edge took
    /// three seconds of a 100,000-paper crawl's render.
    pub async fn crawl_counts(&self, crawl_id: i64, edges: i64) -> Result<CrawlStats, StoreError> {
        let row: (i64, i64, i64, i64) = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT \
               (SELECT COUNT(*) FROM crawl_members WHERE crawl_id = $1), \
               (SELECT COUNT(*) FROM crawl_members WHERE crawl_id = $1 AND missing IS NOT NULL), \
               (SELECT COUNT(*) FROM crawl_left_out WHERE crawl_id = $1), \
               (SELECT COUNT(*) FROM crawl_members m JOIN papers p ON p.paper_id = m.paper_id \
                  WHERE m.crawl_id = $1 AND (p.references_truncated OR p.citations_truncated))",
        )
        .bind(crawl_id)
        .fetch_one(pool)
        .await
        .doing("counting a crawl")?);
        Ok(CrawlStats {
            members: row.0,
            missing: row.1,
            edges,
            left_out: row.2,
            truncated: row.3,
        })
    }
}

/// What follows `FROM` for a crawl's members that S2 has a record of (`m`, joined to their
/// papers as `p`), given the parameter that holds the crawl's id.
pub(super) fn fetched_members_of(crawl: &str) -> String {
    format!(
        "crawl_members m JOIN papers p ON p.paper_id = m.paper_id \
         WHERE m.crawl_id = {crawl} AND m.missing IS NULL AND p.fetched_at IS NOT NULL"
    )
}

//! Refreshes (a new run of a crawl that fetches everything again, with a snapshot of the
//! counts it started from), the news a refresh brings, claims on scheduled occurrences,
//! and what the service reports about its workers.

use sqlx::AssertSqlSafe;

use super::crawls::CRAWL_COLUMNS;
use super::{Crawl, Db, Doing, Store, StoreError, on_db};

/// A refresh of a crawl.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct RefreshRow {
    /// The crawl.
    pub crawl_id: i64,
    /// The run the refresh is.
    pub run: i64,
    /// `schedule`, `command` or `api`.
    pub trigger: String,
    /// When it began (unix seconds).
    pub started_at: i64,
    /// When the run before it finished.
    pub previous_at: Option<i64>,
}

/// A member of a refreshed crawl that is new, or whose counts moved.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NewsRow {
    /// The paper.
    pub paper_id: String,
    /// Added to the crawl by this refresh.
    pub added: bool,
    /// Citations before the refresh (none for a new paper).
    pub citations_before: Option<i64>,
    /// Citations now.
    pub citations_now: Option<i64>,
    /// Influential citations before.
    pub influential_before: Option<i64>,
    /// Influential citations now.
    pub influential_now: Option<i64>,
    /// References before.
    pub references_before: Option<i64>,
    /// References now.
    pub references_now: Option<i64>,
}

/// A worker process's queue registration.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct WorkerSeen {
    /// Its unique name.
    pub id: String,
    /// The queue it serves.
    pub queue: String,
    /// Its last heartbeat (unix seconds).
    pub last_seen: i64,
}

impl Store {
    /// Starts a refresh of a crawl: a new run that fetches every member again (all fetched
    /// before `now`'s second ended), with a snapshot of the members' counts to compare
    /// against. `None` when there is no such crawl. Snapshots of earlier refreshes are
    /// dropped: their notes are written.
    pub async fn begin_refresh_run(&self, crawl_id: i64, trigger: &str, now: i64) -> Result<Option<Crawl>, StoreError> {
        let update = format!(
            "UPDATE crawls SET run = run + 1, status = 'running', fetch_cutoff = $1, error = NULL, \
             run_started_at = $1 - 1 WHERE crawl_id = $2 RETURNING {CRAWL_COLUMNS}"
        );
        let crawl: Option<Crawl> = on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            let previous: Option<Option<i64>> = sqlx::query_scalar("SELECT finished_at FROM crawls WHERE crawl_id = $1")
                .bind(crawl_id)
                .fetch_optional(&mut *tx)
                .await
                .doing("reading a crawl")?;
            let Some(previous_at) = previous else {
                return Ok(None);
            };
            let crawl: Crawl = sqlx::query_as(AssertSqlSafe(update))
                .bind(now + 1)
                .bind(crawl_id)
                .fetch_one(&mut *tx)
                .await
                .doing("starting a refresh")?;
            sqlx::query(
                "INSERT INTO refreshes (crawl_id, run, trigger, started_at, previous_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(crawl_id)
            .bind(crawl.run)
            .bind(trigger.to_owned())
            .bind(now)
            .bind(previous_at)
            .execute(&mut *tx)
            .await
            .doing("recording a refresh")?;
            sqlx::query("DELETE FROM refresh_before WHERE crawl_id = $1 AND run < $2")
                .bind(crawl_id)
                .bind(crawl.run)
                .execute(&mut *tx)
                .await
                .doing("dropping old snapshots")?;
            sqlx::query(
                "INSERT INTO refresh_before (crawl_id, run, paper_id, citation_count, influential_citation_count, \
                 reference_count) SELECT m.crawl_id, $2, m.paper_id, p.citation_count, p.influential_citation_count, \
                 p.reference_count FROM crawl_members m JOIN papers p ON p.paper_id = m.paper_id \
                 WHERE m.crawl_id = $1 AND m.missing IS NULL",
            )
            .bind(crawl_id)
            .bind(crawl.run)
            .execute(&mut *tx)
            .await
            .doing("taking a snapshot of the counts")?;
            tx.commit().await.doing("committing a refresh")?;
            Some(crawl)
        });
        self.one_with_seeds(crawl).await
    }

    /// The refresh that run `run` of a crawl is, if it is one.
    pub async fn refresh(&self, crawl_id: i64, run: i64) -> Result<Option<RefreshRow>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_as(
            "SELECT crawl_id, run, trigger, started_at, previous_at FROM refreshes WHERE crawl_id = $1 AND run = $2",
        )
        .bind(crawl_id)
        .bind(run)
        .fetch_optional(pool)
        .await
        .doing("reading a refresh"))
    }

    /// A crawl's refreshes, newest first.
    pub async fn refreshes_of(&self, crawl_id: i64) -> Result<Vec<RefreshRow>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_as(
            "SELECT crawl_id, run, trigger, started_at, previous_at FROM refreshes WHERE crawl_id = $1 \
             ORDER BY run DESC",
        )
        .bind(crawl_id)
        .fetch_all(pool)
        .await
        .doing("listing refreshes"))
    }

    /// What refresh `run` brought: members it added, and members whose counts moved since
    /// its snapshot.
    pub async fn news(&self, crawl_id: i64, run: i64) -> Result<Vec<NewsRow>, StoreError> {
        let added = match &self.db {
            Db::Sqlite(_) => "m.added_run = $2",
            Db::Postgres(_) => "COALESCE(m.added_run = $2, FALSE)",
        };
        let sql = format!(
            "SELECT m.paper_id, {added} AS added, b.citation_count AS citations_before, \
             p.citation_count AS citations_now, b.influential_citation_count AS influential_before, \
             p.influential_citation_count AS influential_now, b.reference_count AS references_before, \
             p.reference_count AS references_now \
             FROM crawl_members m JOIN papers p ON p.paper_id = m.paper_id \
             LEFT JOIN refresh_before b ON b.crawl_id = m.crawl_id AND b.run = $2 AND b.paper_id = m.paper_id \
             WHERE m.crawl_id = $1 AND m.missing IS NULL AND p.fetched_at IS NOT NULL AND (m.added_run = $2 \
             OR (b.paper_id IS NOT NULL AND (b.citation_count IS DISTINCT FROM p.citation_count \
             OR b.influential_citation_count IS DISTINCT FROM p.influential_citation_count \
             OR b.reference_count IS DISTINCT FROM p.reference_count))) \
             ORDER BY m.paper_id"
        );
        on_db!(&self.db, pool => sqlx::query_as(AssertSqlSafe(sql))
            .bind(crawl_id)
            .bind(run)
            .fetch_all(pool)
            .await
            .doing("reading what a refresh brought"))
    }

    /// Claims one occurrence of a schedule for this process: true for the one process
    /// that gets it, false for every other.
    pub async fn claim_slot(&self, name: &str, slot: &str, owner: &str, now: i64) -> Result<bool, StoreError> {
        let inserted: u64 = on_db!(&self.db, pool => sqlx::query(
            "INSERT INTO schedule_claims (name, slot, owner, claimed_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name, slot) DO NOTHING",
        )
        .bind(name.to_owned())
        .bind(slot.to_owned())
        .bind(owner.to_owned())
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        .doing("claiming a scheduled run")?);
        Ok(inserted == 1)
    }

    /// Worker processes that heartbeated at or after `since` (unix seconds).
    pub async fn workers_seen(&self, since: i64) -> Result<Vec<WorkerSeen>, StoreError> {
        match &self.db {
            Db::Sqlite(pool) => sqlx::query_as(
                "SELECT id, worker_type AS queue, last_seen FROM Workers WHERE last_seen >= $1 ORDER BY worker_type, id",
            )
            .bind(since)
            .fetch_all(pool)
            .await,
            Db::Postgres(pool) => sqlx::query_as(
                "SELECT id, worker_type AS queue, EXTRACT(EPOCH FROM last_seen)::BIGINT AS last_seen \
                 FROM apalis.workers WHERE last_seen >= to_timestamp($1) ORDER BY worker_type, id",
            )
            .bind(since as f64)
            .fetch_all(pool)
            .await,
        }
        .doing("listing workers")
    }

    /// Forgets a worker that stopped cleanly, so it stops counting as live at once
    /// (apalis leaves its row until pruned). A worker still holding a claimed or running
    /// job keeps its row: the heartbeat timeout gives that job back through it. The jobs
    /// it finished keep its name (`lock_by`, which the queue's foreign key holds on to, and
    /// which tells who ran them): then its row stays, marked as last seen at the epoch.
    pub async fn forget_worker(&self, name: &str) -> Result<u64, StoreError> {
        let (workers, jobs, epoch) = match &self.db {
            Db::Sqlite(_) => ("Workers", "Jobs", "0"),
            Db::Postgres(_) => ("apalis.workers", "apalis.jobs", "to_timestamp(0)"),
        };
        let delete =
            format!("DELETE FROM {workers} WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM {jobs} j WHERE j.lock_by = $1)");
        let retire = format!(
            "UPDATE {workers} SET last_seen = {epoch} WHERE id = $1 AND NOT EXISTS \
             (SELECT 1 FROM {jobs} j WHERE j.lock_by = $1 AND j.status IN ('Queued', 'Running'))"
        );
        on_db!(&self.db, pool => {
            let deleted = sqlx::query(AssertSqlSafe(delete))
                .bind(name.to_owned())
                .execute(pool)
                .await
                .doing("forgetting a stopped worker")?
                .rows_affected();
            if deleted > 0 {
                return Ok(deleted);
            }
            sqlx::query(AssertSqlSafe(retire))
                .bind(name.to_owned())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
                .doing("forgetting a stopped worker")
        })
    }

    /// Forgets workers unseen since `before` that hold no job (apalis never does).
    pub async fn prune_workers(&self, before: i64) -> Result<u64, StoreError> {
        match &self.db {
            Db::Sqlite(pool) => sqlx::query(
                "DELETE FROM Workers WHERE last_seen < $1 AND NOT EXISTS (SELECT 1 FROM Jobs WHERE Jobs.lock_by = Workers.id)",
            )
            .bind(before)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
            Db::Postgres(pool) => sqlx::query(
                "DELETE FROM apalis.workers w WHERE w.last_seen < to_timestamp($1) \
                 AND NOT EXISTS (SELECT 1 FROM apalis.jobs j WHERE j.lock_by = w.id)",
            )
            .bind(before as f64)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
        }
        .doing("pruning workers")
    }
}

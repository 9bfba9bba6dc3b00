//! refnet's own SQL over the queue library's tables (apalis 1.0): enqueueing inside
//! refnet's transactions with idempotency keys, durable retry delays, dead-job listing
//! and redrive, pruning, queue depths, and releasing a stopping worker's jobs. apalis
//! provides none of these on Postgres.
//!
//! Tables: `apalis.jobs` (Postgres, times are `timestamptz`) and `Jobs` (SQLite, times are
//! unix seconds). Status values: Pending, Queued, Running, Done, Failed, Killed. A job is
//! "dead" when Killed, or Failed with `attempts >= max_attempts`.
//!
//! Longer than most files: every query over those tables is here, so their status rules
//! stay in one place, with tests that run them on both backends.

use apalis::prelude::TaskBuilder;

use super::{Db, Doing, Store, StoreError};

/// A job to enqueue, already encoded.
#[derive(Debug, Clone)]
pub struct JobInput {
    /// JSON of the job's arguments.
    pub args: Vec<u8>,
    /// Unique per queue, forever: a duplicate is "already enqueued".
    pub key: String,
    /// Larger runs first, within the queue.
    pub priority: i32,
    /// Attempts before the job is dead.
    pub max_attempts: i32,
}

/// A dead job, for `refnet jobs dead` and the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct DeadJob {
    /// Task id.
    pub id: String,
    /// Queue name.
    pub queue: String,
    /// `Killed` or `Failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// The idempotency key (names the crawl, run and item).
    pub key: Option<String>,
    /// The last error as stored.
    pub last_result: Option<String>,
}

/// Counts of one queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct QueueDepth {
    /// Queue name.
    pub queue: String,
    /// Waiting to run now (Pending or retryable Failed, due).
    pub pending: i64,
    /// Waiting for a later time (delayed retries).
    pub scheduled: i64,
    /// Claimed or running.
    pub running: i64,
    /// Failed at least once and will be retried.
    pub retrying: i64,
    /// Dead.
    pub dead: i64,
    /// Done.
    pub done: i64,
}

/// The oldest job of one queue that is due and waits for a worker.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OldestPending {
    /// Queue name.
    pub queue: String,
    /// Seconds since it became due.
    pub age_seconds: i64,
}

/// A live-job condition shared by the queries below.
const LIVE: &str = "(status IN ('Pending', 'Queued', 'Running') OR (status = 'Failed' AND attempts < max_attempts))";
pub(super) const DEAD: &str = "(status = 'Killed' OR (status = 'Failed' AND attempts >= max_attempts))";
/// Waiting for a worker: new, or failed with attempts left (due or not).
pub(super) const WAITING: &str = "(status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts))";

impl Store {
    /// Enqueues jobs on `queue`; jobs whose key is already there (in any state) are
    /// skipped. Returns how many were new.
    pub async fn push_jobs(&self, queue: &str, jobs: &[JobInput]) -> Result<usize, StoreError> {
        if jobs.is_empty() {
            return Ok(0);
        }
        let build = |j: &JobInput| {
            TaskBuilder::new(j.args.clone())
                .priority(j.priority.max(0) as usize)
                .max_attempts(j.max_attempts.max(1) as usize)
                .idempotency_key(&j.key)
                .build()
        };
        match &self.db {
            Db::Sqlite(pool) => {
                // IMMEDIATE takes the write lock up front: a deferred transaction that reads
                // then writes fails at once (SQLITE_BUSY_SNAPSHOT) when another connection
                // wrote in between, without waiting out the busy timeout.
                let mut tx = pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .doing("starting a transaction")?;
                let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM Jobs WHERE job_type = $1")
                    .bind(queue.to_owned())
                    .fetch_one(&mut *tx)
                    .await
                    .doing("counting jobs")?;
                let tasks: Vec<_> = jobs.iter().map(build).collect();
                // The insert is `ON CONFLICT (job_type, idempotency_key) DO NOTHING`.
                apalis_sqlite::queries::push_tasks(&mut *tx, queue, &tasks)
                    .await
                    .map_err(|e| match e {
                        apalis_sqlite::Error::Database(source) => StoreError::Query {
                            doing: "enqueueing jobs",
                            source,
                        },
                        other => StoreError::Corrupt {
                            doing: "enqueueing jobs",
                            reason: other.to_string(),
                        },
                    })?;
                let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM Jobs WHERE job_type = $1")
                    .bind(queue.to_owned())
                    .fetch_one(&mut *tx)
                    .await
                    .doing("counting jobs")?;
                tx.commit().await.doing("committing jobs")?;
                Ok((after - before).max(0) as usize)
            }
            Db::Postgres(pool) => {
                // apalis's insert has no ON CONFLICT: a duplicate key fails the whole
                // statement (23505). Filter known keys first; if another process wins a
                // race for one of them, filter again.
                for _ in 0..3 {
                    let mut tx = pool.begin().await.doing("starting a transaction")?;
                    let keys: Vec<String> = jobs.iter().map(|j| j.key.clone()).collect();
                    let known: Vec<String> = sqlx::query_scalar(
                        "SELECT idempotency_key FROM apalis.jobs WHERE job_type = $1 AND idempotency_key = ANY($2)",
                    )
                    .bind(queue.to_owned())
                    .bind(&keys)
                    .fetch_all(&mut *tx)
                    .await
                    .doing("checking job keys")?;
                    let fresh: Vec<_> = jobs.iter().filter(|j| !known.contains(&j.key)).map(build).collect();
                    let count = fresh.len();
                    if count == 0 {
                        return Ok(0);
                    }
                    match apalis_postgres::queries::push_tasks(&mut *tx, queue, fresh).await {
                        Ok(()) => {
                            tx.commit().await.doing("committing jobs")?;
                            return Ok(count);
                        }
                        Err(apalis_postgres::Error::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {}
                        Err(e) => {
                            return Err(StoreError::Corrupt {
                                doing: "enqueueing jobs",
                                reason: e.to_string(),
                            });
                        }
                    }
                }
                Err(StoreError::Corrupt {
                    doing: "enqueueing jobs",
                    reason: "job keys kept colliding with another process".to_owned(),
                })
            }
        }
    }

    /// Jobs still to run (or running) whose key starts with `prefix`.
    pub async fn live_jobs(&self, prefix: &str) -> Result<i64, StoreError> {
        let pattern = format!("{}%", like_escape(prefix));
        let sql =
            |table: &str| format!("SELECT COUNT(*) FROM {table} WHERE idempotency_key LIKE $1 ESCAPE '\\' AND {LIVE}");
        match &self.db {
            Db::Sqlite(pool) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql("Jobs")))
                    .bind(pattern)
                    .fetch_one(pool)
                    .await
            }
            Db::Postgres(pool) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql("apalis.jobs")))
                    .bind(pattern)
                    .fetch_one(pool)
                    .await
            }
        }
        .doing("counting live jobs")
    }

    /// Dead jobs, newest first; only those whose key starts with `prefix` when given.
    pub async fn dead_jobs(&self, prefix: Option<&str>, limit: i64) -> Result<Vec<DeadJob>, StoreError> {
        let pattern = format!("{}%", like_escape(prefix.unwrap_or("")));
        match &self.db {
            Db::Sqlite(pool) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT id, job_type AS queue, status, attempts, idempotency_key AS key, last_result \
                 FROM Jobs WHERE {DEAD} AND COALESCE(idempotency_key, '') LIKE $1 ESCAPE '\\' \
                 ORDER BY done_at DESC LIMIT $2"
                )))
                .bind(pattern)
                .bind(limit)
                .fetch_all(pool)
                .await
            }
            Db::Postgres(pool) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT id, job_type AS queue, status, attempts::BIGINT AS attempts, idempotency_key AS key, \
                 last_result::TEXT AS last_result FROM apalis.jobs WHERE {DEAD} \
                 AND COALESCE(idempotency_key, '') LIKE $1 ESCAPE '\\' ORDER BY done_at DESC NULLS LAST LIMIT $2"
                )))
                .bind(pattern)
                .bind(limit)
                .fetch_all(pool)
                .await
            }
        }
        .doing("listing dead jobs")
    }

    /// The error a job's last attempt ended with, as text (`None` when it has none, or
    /// no such job): what a job given up for lost workers really failed on before.
    pub async fn last_job_error(&self, task_id: &str) -> Result<Option<String>, StoreError> {
        let stored: Option<Option<String>> = match &self.db {
            Db::Sqlite(pool) => {
                sqlx::query_scalar("SELECT last_result FROM Jobs WHERE id = $1")
                    .bind(task_id.to_owned())
                    .fetch_optional(pool)
                    .await
            }
            Db::Postgres(pool) => {
                sqlx::query_scalar("SELECT last_result::TEXT FROM apalis.jobs WHERE id = $1")
                    .bind(task_id.to_owned())
                    .fetch_optional(pool)
                    .await
            }
        }
        .doing("reading a job's last error")?;
        Ok(stored.flatten().and_then(|raw| error_text(&raw)))
    }

    /// Puts dead jobs back in their queue with fresh attempts: one by id, or all.
    /// Returns how many were requeued.
    pub async fn retry_dead(&self, id: Option<&str>) -> Result<u64, StoreError> {
        let filter = if id.is_some() {
            "AND id = $1"
        } else {
            "AND ($1 IS NULL OR TRUE)"
        };
        let result = match &self.db {
            Db::Sqlite(pool) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE Jobs SET status = 'Pending', attempts = 0, run_at = strftime('%s', 'now'), \
                 lock_by = NULL, lock_at = NULL, done_at = NULL WHERE {DEAD} {filter}"
            )))
            .bind(id.map(str::to_owned))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
            Db::Postgres(pool) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE apalis.jobs SET status = 'Pending', attempts = 0, run_at = now(), \
                 lock_by = NULL, lock_at = NULL, done_at = NULL WHERE {DEAD} {filter}"
            )))
            .bind(id.map(str::to_owned))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
        };
        result.doing("requeueing dead jobs")
    }

    /// Deletes finished and dead jobs older than `before` (unix seconds). Returns how
    /// many were deleted.
    pub async fn prune_jobs(&self, before: i64) -> Result<u64, StoreError> {
        let result = match &self.db {
            Db::Sqlite(pool) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM Jobs WHERE (status = 'Done' OR {DEAD}) AND COALESCE(done_at, run_at) < $1"
            )))
            .bind(before)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
            Db::Postgres(pool) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM apalis.jobs WHERE (status = 'Done' OR {DEAD}) \
                 AND COALESCE(done_at, run_at) < to_timestamp($1)"
            )))
            .bind(before as f64)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
        };
        result.doing("pruning jobs")
    }

    /// Moves a failed job's next attempt to `run_at` (unix seconds): a retry delay that
    /// survives restarts, since apalis re-fetches failed jobs at once.
    pub async fn defer_job(&self, task_id: &str, run_at: i64) -> Result<(), StoreError> {
        let result = match &self.db {
            Db::Sqlite(pool) => sqlx::query("UPDATE Jobs SET run_at = $1 WHERE id = $2")
                .bind(run_at)
                .bind(task_id.to_owned())
                .execute(pool)
                .await
                .map(|_| ()),
            Db::Postgres(pool) => sqlx::query("UPDATE apalis.jobs SET run_at = to_timestamp($1) WHERE id = $2")
                .bind(run_at as f64)
                .bind(task_id.to_owned())
                .execute(pool)
                .await
                .map(|_| ()),
        };
        result.doing("scheduling a retry")
    }

    /// Puts the jobs a worker holds back to Pending, for a worker that stops before its
    /// running jobs finish. They run again later, from the start; stages are idempotent.
    pub async fn release_jobs(&self, worker: &str) -> Result<u64, StoreError> {
        let sql = |table: &str| {
            format!(
                "UPDATE {table} SET status = 'Pending', lock_by = NULL, lock_at = NULL \
                 WHERE lock_by = $1 AND status IN ('Queued', 'Running')"
            )
        };
        let result = match &self.db {
            Db::Sqlite(pool) => sqlx::query(sqlx::AssertSqlSafe(sql("Jobs")))
                .bind(worker.to_owned())
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
            Db::Postgres(pool) => sqlx::query(sqlx::AssertSqlSafe(sql("apalis.jobs")))
                .bind(worker.to_owned())
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
        };
        result.doing("releasing a worker's jobs")
    }

    /// Counts per queue. Cheap enough for a Prometheus scrape: one grouped pass.
    pub async fn queue_depths(&self) -> Result<Vec<QueueDepth>, StoreError> {
        self.depths(None).await
    }

    /// Per queue, how long its oldest claimable job (pending or retryable, due at `now`,
    /// unix seconds) has been due. Queues with none are absent. One grouped pass, like
    /// [`Store::queue_depths`]: cheap enough for a scrape.
    pub async fn oldest_pending(&self, now: i64) -> Result<Vec<OldestPending>, StoreError> {
        match &self.db {
            Db::Sqlite(pool) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT job_type AS queue, $1 - MIN(run_at) AS age_seconds FROM Jobs \
                     WHERE {WAITING} AND run_at <= $1 GROUP BY job_type ORDER BY job_type"
                )))
                .bind(now)
                .fetch_all(pool)
                .await
            }
            Db::Postgres(pool) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT job_type AS queue, \
                     FLOOR($1 - EXTRACT(EPOCH FROM MIN(run_at))::DOUBLE PRECISION)::BIGINT AS age_seconds \
                     FROM apalis.jobs WHERE {WAITING} AND run_at <= to_timestamp($1) \
                     GROUP BY job_type ORDER BY job_type"
                )))
                .bind(now as f64)
                .fetch_all(pool)
                .await
            }
        }
        .doing("finding the oldest pending jobs")
    }

    /// Counts per queue of the jobs whose key starts with `prefix` (one crawl run's).
    pub async fn run_progress(&self, prefix: &str) -> Result<Vec<QueueDepth>, StoreError> {
        self.depths(Some(prefix)).await
    }

    async fn depths(&self, prefix: Option<&str>) -> Result<Vec<QueueDepth>, StoreError> {
        let pattern = prefix.map(|p| format!("{}%", like_escape(p)));
        let filter = if pattern.is_some() {
            "WHERE idempotency_key LIKE $1 ESCAPE '\\'"
        } else {
            "WHERE $1 IS NULL"
        };
        let (table, now) = match &self.db {
            Db::Sqlite(_) => ("Jobs", "strftime('%s', 'now')"),
            Db::Postgres(_) => ("apalis.jobs", "now()"),
        };
        let sql = format!(
            "SELECT job_type AS queue, \
             SUM(CASE WHEN {WAITING} AND run_at <= {now} THEN 1 ELSE 0 END) AS pending, \
             SUM(CASE WHEN {WAITING} AND run_at > {now} THEN 1 ELSE 0 END) AS scheduled, \
             SUM(CASE WHEN status IN ('Queued', 'Running') THEN 1 ELSE 0 END) AS running, \
             SUM(CASE WHEN status = 'Failed' AND attempts < max_attempts THEN 1 ELSE 0 END) AS retrying, \
             SUM(CASE WHEN {DEAD} THEN 1 ELSE 0 END) AS dead, \
             SUM(CASE WHEN status = 'Done' THEN 1 ELSE 0 END) AS done \
             FROM {table} {filter} GROUP BY job_type ORDER BY job_type"
        );
        match &self.db {
            Db::Sqlite(pool) => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(pattern)
                    .fetch_all(pool)
                    .await
            }
            Db::Postgres(pool) => {
                // SUM over integers is numeric on Postgres: cast the whole row's sums.
                let sql = sql
                    .replace("END) AS", "END)::BIGINT AS")
                    .replace("$1 IS NULL", "$1::TEXT IS NULL");
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(pattern)
                    .fetch_all(pool)
                    .await
            }
        }
        .doing("counting queues")
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(super) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The error text of a stored result: apalis keeps `{"Err": "…"}` (or a bare string);
/// a success or an empty text is no error.
pub(crate) fn error_text(raw: &str) -> Option<String> {
    let text = match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Object(map)) => map.get("Err")?.as_str()?.to_owned(),
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Null) => return None,
        _ => raw.to_owned(),
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests;

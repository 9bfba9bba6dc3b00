//! What the operations console reads and changes beyond queue depths: jobs listed by
//! queue, state and crawl (paged), deleting failed jobs, pausing queues, and the
//! workers with what each one runs.
//!
//! Job rows are apalis's (`Jobs` on SQLite with unix-second times, `apalis.jobs` on
//! Postgres with `timestamptz`); each query is written once with the backend's table and
//! time expressions filled in. The state names match [`QueueDepth`](super::QueueDepth)'s
//! columns.

use std::fmt;
use std::str::FromStr;

use sqlx::AssertSqlSafe;

use super::jobs::{DEAD, WAITING, like_escape};
use super::{Db, Doing, Store, StoreError, on_db};

/// A job's state as the console names it (the queue-depth columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a worker, due now.
    Pending,
    /// Waiting for a later time (a delayed retry).
    Scheduled,
    /// Claimed or running.
    Running,
    /// Failed at least once, will be retried.
    Retrying,
    /// Out of attempts, or failed for good.
    Dead,
    /// Finished.
    Done,
}

impl JobState {
    /// Every state, in the order a job passes through them.
    pub const ALL: [JobState; 6] = [
        Self::Pending,
        Self::Scheduled,
        Self::Running,
        Self::Retrying,
        Self::Dead,
        Self::Done,
    ];

    /// The name used in URLs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Scheduled => "scheduled",
            Self::Running => "running",
            Self::Retrying => "retrying",
            Self::Dead => "dead",
            Self::Done => "done",
        }
    }

    /// The SQL condition on a job row; `now` is the backend's current-time expression.
    fn condition(self, now: &str) -> String {
        match self {
            Self::Pending => format!("({WAITING} AND run_at <= {now})"),
            Self::Scheduled => format!("({WAITING} AND run_at > {now})"),
            Self::Running => "(status IN ('Queued', 'Running'))".to_owned(),
            Self::Retrying => "(status = 'Failed' AND attempts < max_attempts)".to_owned(),
            Self::Dead => DEAD.to_owned(),
            Self::Done => "(status = 'Done')".to_owned(),
        }
    }

    /// The state of a row with these values (`due`: its `run_at` has passed).
    pub fn of(status: &str, attempts: i64, max_attempts: i64, due: bool) -> Self {
        match status {
            "Done" => Self::Done,
            "Queued" | "Running" => Self::Running,
            "Killed" => Self::Dead,
            "Failed" if attempts >= max_attempts => Self::Dead,
            _ if !due => Self::Scheduled,
            "Failed" => Self::Retrying,
            _ => Self::Pending,
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown job state {s:?}: use pending, scheduled, running, retrying, dead or done"))
    }
}

/// Which jobs to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// Only this queue.
    pub queue: Option<String>,
    /// Only jobs in one of these states (all when empty).
    pub states: Vec<JobState>,
    /// Only jobs whose key starts with this (one crawl run's: `c1r2:`).
    pub key_prefix: Option<String>,
}

/// One job, as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobRow {
    /// Task id.
    pub id: String,
    /// Queue name.
    pub queue: String,
    /// apalis's status (Pending, Queued, Running, Done, Failed, Killed).
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The idempotency key (names the crawl, run and item).
    pub key: Option<String>,
    /// The last result as stored (an error for failed jobs).
    pub last_result: Option<String>,
    /// When it is (or was) due, unix seconds.
    pub run_at: i64,
    /// When a worker claimed it, unix seconds.
    pub lock_at: Option<i64>,
    /// When its last attempt ended, unix seconds.
    pub done_at: Option<i64>,
    /// The worker holding it.
    pub lock_by: Option<String>,
    /// The job's arguments, JSON.
    pub args: Vec<u8>,
}

impl JobRow {
    /// Its state at `now` (unix seconds).
    pub fn state(&self, now: i64) -> JobState {
        JobState::of(&self.status, self.attempts, self.max_attempts, self.run_at <= now)
    }
}

/// What a worker process registered about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerInfo {
    /// The apalis worker name.
    pub worker_id: String,
    /// Its queue.
    pub queue: String,
    /// The host it runs on.
    pub host: String,
    /// Its process id.
    pub pid: i64,
    /// Jobs at once.
    pub concurrency: i64,
    /// When it started, unix seconds.
    pub started_at: i64,
}

/// A live worker with what it registered (absent for a worker of an older refnet).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WorkerDetail {
    /// The apalis worker name.
    pub id: String,
    /// Its queue.
    pub queue: String,
    /// Its last heartbeat, unix seconds.
    pub last_seen: i64,
    /// The host it runs on.
    pub host: Option<String>,
    /// Its process id.
    pub pid: Option<i64>,
    /// Jobs at once.
    pub concurrency: Option<i64>,
    /// When it started, unix seconds.
    pub started_at: Option<i64>,
}

/// A job some worker holds: (worker, task id, key).
pub type HeldJob = (String, String, Option<String>);

/// The table and expressions of one backend.
struct Dialect {
    jobs: &'static str,
    workers: &'static str,
    now: &'static str,
}

impl Dialect {
    fn of(db: &Db) -> Self {
        match db {
            Db::Sqlite(_) => Self {
                jobs: "Jobs",
                workers: "Workers",
                now: "strftime('%s', 'now')",
            },
            Db::Postgres(_) => Self {
                jobs: "apalis.jobs",
                workers: "apalis.workers",
                now: "now()",
            },
        }
    }

    fn postgres(&self) -> bool {
        self.jobs == "apalis.jobs"
    }

    /// A time column as unix seconds.
    fn secs(&self, column: &str) -> String {
        if self.postgres() {
            format!("EXTRACT(EPOCH FROM {column})::BIGINT")
        } else {
            column.to_owned()
        }
    }
}

impl Store {
    /// One page of jobs matching `filter`, newest activity first, and how many match.
    pub async fn list_jobs(
        &self,
        filter: &JobFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<JobRow>, i64), StoreError> {
        let d = Dialect::of(&self.db);
        let mut conditions = vec!["($1 IS NULL OR job_type = $1)".to_owned()];
        conditions.push("COALESCE(idempotency_key, '') LIKE $2 ESCAPE '\\'".to_owned());
        if !filter.states.is_empty() {
            let any: Vec<String> = filter.states.iter().map(|s| s.condition(d.now)).collect();
            conditions.push(format!("({})", any.join(" OR ")));
        }
        let mut filter_sql = conditions.join(" AND ");
        if d.postgres() {
            filter_sql = filter_sql.replace("$1 IS NULL", "$1::TEXT IS NULL");
        }
        let (attempts, max, result) = if d.postgres() {
            ("attempts::BIGINT", "max_attempts::BIGINT", "last_result::TEXT")
        } else {
            ("attempts", "max_attempts", "last_result")
        };
        let list = format!(
            "SELECT id, job_type AS queue, status, {attempts} AS attempts, {max} AS max_attempts, \
             idempotency_key AS key, {result} AS last_result, {run_at} AS run_at, {lock_at} AS lock_at, \
             {done_at} AS done_at, lock_by, job AS args FROM {table} WHERE {filter_sql} \
             ORDER BY COALESCE(done_at, lock_at, run_at) DESC, id DESC LIMIT $3 OFFSET $4",
            run_at = d.secs("run_at"),
            lock_at = d.secs("lock_at"),
            done_at = d.secs("done_at"),
            table = d.jobs,
        );
        let count = format!("SELECT COUNT(*) FROM {} WHERE {filter_sql}", d.jobs);
        let pattern = format!("{}%", like_escape(filter.key_prefix.as_deref().unwrap_or("")));
        let queue = filter.queue.clone();
        on_db!(&self.db, pool => {
            let rows: Vec<JobRow> = sqlx::query_as(AssertSqlSafe(list))
                .bind(queue.clone())
                .bind(pattern.clone())
                .bind(limit.max(0))
                .bind(offset.max(0))
                .fetch_all(pool)
                .await
                .doing("listing jobs")?;
            let total: i64 = sqlx::query_scalar(AssertSqlSafe(count))
                .bind(queue)
                .bind(pattern)
                .fetch_one(pool)
                .await
                .doing("counting jobs")?;
            Ok((rows, total))
        })
    }

    /// Deletes a job that failed (dead, or failed and waiting for a retry). Returns
    /// whether one was deleted; running, waiting and finished jobs are left alone.
    pub async fn delete_failed_job(&self, id: &str) -> Result<bool, StoreError> {
        let d = Dialect::of(&self.db);
        let sql = format!(
            "DELETE FROM {} WHERE id = $1 AND status IN ('Failed', 'Killed')",
            d.jobs
        );
        let deleted: u64 = on_db!(&self.db, pool => sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
            .doing("deleting a job")?);
        Ok(deleted > 0)
    }

    /// Deletes every dead job. Returns how many.
    pub async fn delete_dead_jobs(&self) -> Result<u64, StoreError> {
        let d = Dialect::of(&self.db);
        let sql = format!("DELETE FROM {} WHERE {DEAD}", d.jobs);
        on_db!(&self.db, pool => sqlx::query(AssertSqlSafe(sql))
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
            .doing("deleting dead jobs"))
    }

    /// Removes the jobs of a run (keys starting with `prefix`) that wait for a worker:
    /// pending, scheduled and retrying ones. Those a worker holds run to their end
    /// (their handlers see the crawl cancelled and do nothing, and their acks find their
    /// rows); dead and done ones stay as history.
    pub async fn remove_waiting_jobs(&self, prefix: &str) -> Result<u64, StoreError> {
        let d = Dialect::of(&self.db);
        let sql = format!(
            "DELETE FROM {} WHERE idempotency_key LIKE $1 ESCAPE '\\' AND {WAITING}",
            d.jobs
        );
        let pattern = format!("{}%", like_escape(prefix));
        on_db!(&self.db, pool => sqlx::query(AssertSqlSafe(sql))
            .bind(pattern)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
            .doing("removing a run's waiting jobs"))
    }

    /// Per queue, jobs whose key starts with `prefix` that finished at or after `since`
    /// (unix seconds): the recent rate of a crawl's stages.
    pub async fn finished_since(&self, prefix: &str, since: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let d = Dialect::of(&self.db);
        let since_sql = if d.postgres() { "to_timestamp($2)" } else { "$2" };
        let sql = format!(
            "SELECT job_type, COUNT(*) FROM {} WHERE idempotency_key LIKE $1 ESCAPE '\\' \
             AND status = 'Done' AND done_at >= {since_sql} GROUP BY job_type",
            d.jobs
        );
        let pattern = format!("{}%", like_escape(prefix));
        match &self.db {
            Db::Sqlite(pool) => {
                sqlx::query_as(AssertSqlSafe(sql))
                    .bind(pattern)
                    .bind(since)
                    .fetch_all(pool)
                    .await
            }
            Db::Postgres(pool) => {
                sqlx::query_as(AssertSqlSafe(sql))
                    .bind(pattern)
                    .bind(since as f64)
                    .fetch_all(pool)
                    .await
            }
        }
        .doing("counting finished jobs")
    }

    /// Pauses a queue: workers stop claiming from it. Returns false if it already was.
    pub async fn pause_queue(&self, queue: &str, now: i64) -> Result<bool, StoreError> {
        let inserted: u64 = on_db!(&self.db, pool => sqlx::query(
            "INSERT INTO queue_pauses (queue, paused_at) VALUES ($1, $2) ON CONFLICT (queue) DO NOTHING",
        )
        .bind(queue.to_owned())
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        .doing("pausing a queue")?);
        Ok(inserted == 1)
    }

    /// Resumes a queue. Returns false if it was not paused.
    pub async fn resume_queue(&self, queue: &str) -> Result<bool, StoreError> {
        let deleted: u64 = on_db!(&self.db, pool => sqlx::query("DELETE FROM queue_pauses WHERE queue = $1")
            .bind(queue.to_owned())
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
            .doing("resuming a queue")?);
        Ok(deleted == 1)
    }

    /// The paused queues, with when each was paused (unix seconds).
    pub async fn paused_queues(&self) -> Result<Vec<(String, i64)>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_as("SELECT queue, paused_at FROM queue_pauses ORDER BY queue")
            .fetch_all(pool)
            .await
            .doing("reading paused queues"))
    }

    /// Records what a worker is (replacing an earlier record under its name).
    pub async fn register_worker_info(&self, w: &WorkerInfo) -> Result<(), StoreError> {
        on_db!(&self.db, pool => sqlx::query(
            "INSERT INTO worker_info (worker_id, queue, host, pid, concurrency, started_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (worker_id) DO UPDATE SET queue = excluded.queue, \
             host = excluded.host, pid = excluded.pid, concurrency = excluded.concurrency, \
             started_at = excluded.started_at",
        )
        .bind(w.worker_id.clone())
        .bind(w.queue.clone())
        .bind(w.host.clone())
        .bind(w.pid)
        .bind(w.concurrency)
        .bind(w.started_at)
        .execute(pool)
        .await
        .map(|_| ())
        .doing("registering a worker"))
    }

    /// Forgets what workers registered that apalis no longer lists (pruned or stopped).
    pub async fn prune_worker_info(&self) -> Result<u64, StoreError> {
        let d = Dialect::of(&self.db);
        let sql = format!(
            "DELETE FROM worker_info WHERE NOT EXISTS (SELECT 1 FROM {} w WHERE w.id = worker_info.worker_id)",
            d.workers
        );
        on_db!(&self.db, pool => sqlx::query(AssertSqlSafe(sql))
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
            .doing("pruning worker records"))
    }

    /// Workers that heartbeated at or after `since` (unix seconds), with what they
    /// registered, by queue then name.
    pub async fn workers_detail(&self, since: i64) -> Result<Vec<WorkerDetail>, StoreError> {
        let d = Dialect::of(&self.db);
        let since_sql = if d.postgres() { "to_timestamp($1)" } else { "$1" };
        let sql = format!(
            "SELECT w.id, w.worker_type AS queue, {last_seen} AS last_seen, i.host, i.pid, i.concurrency, \
             i.started_at FROM {workers} w LEFT JOIN worker_info i ON i.worker_id = w.id \
             WHERE w.last_seen >= {since_sql} ORDER BY w.worker_type, w.id",
            last_seen = d.secs("w.last_seen"),
            workers = d.workers,
        );
        match &self.db {
            Db::Sqlite(pool) => sqlx::query_as(AssertSqlSafe(sql)).bind(since).fetch_all(pool).await,
            Db::Postgres(pool) => {
                sqlx::query_as(AssertSqlSafe(sql))
                    .bind(since as f64)
                    .fetch_all(pool)
                    .await
            }
        }
        .doing("listing workers")
    }

    /// The jobs workers hold (claimed or running).
    pub async fn held_jobs(&self) -> Result<Vec<HeldJob>, StoreError> {
        let d = Dialect::of(&self.db);
        let sql = format!(
            "SELECT lock_by, id, idempotency_key FROM {} WHERE status IN ('Queued', 'Running') \
             AND lock_by IS NOT NULL ORDER BY lock_by, id",
            d.jobs
        );
        on_db!(&self.db, pool => sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .doing("listing held jobs"))
    }

    /// A crawl's most central papers: (paper id, title, year, PageRank rank), best first.
    pub async fn top_papers(
        &self,
        crawl_id: i64,
        limit: i64,
    ) -> Result<Vec<(String, Option<String>, Option<i64>, i64)>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_as(
            "SELECT m.paper_id, p.title, p.year, m.pagerank_rank FROM crawl_metrics m \
             LEFT JOIN papers p ON p.paper_id = m.paper_id WHERE m.crawl_id = $1 \
             ORDER BY m.pagerank_rank, m.paper_id LIMIT $2",
        )
        .bind(crawl_id)
        .bind(limit)
        .fetch_all(pool)
        .await
        .doing("reading a crawl's top papers"))
    }
}

#[cfg(test)]
mod tests;

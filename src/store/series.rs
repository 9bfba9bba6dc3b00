//! The queue time series behind the console's charts: per queue and sampling instant,
//! the depths and what finished since the sample before (`queue_samples`, migration
//! 0011). Replicas that sample the same instant insert it once (the instant is the key).

use sqlx::AssertSqlSafe;

use super::jobs::DEAD;
use super::{Db, Doing, Store, StoreError, on_db};

/// Days queue samples are kept before the daily housekeeping deletes them.
pub const SAMPLES_KEPT_DAYS: i64 = 7;

/// One queue at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct QueueSample {
    /// Unix seconds.
    pub at: i64,
    /// Queue name.
    pub queue: String,
    /// Due and waiting.
    pub pending: i64,
    /// Waiting for a later time.
    pub scheduled: i64,
    /// Claimed or running.
    pub running: i64,
    /// Failed, will be retried.
    pub retrying: i64,
    /// Dead.
    pub dead: i64,
    /// Jobs finished in the interval before `at`.
    pub done: i64,
    /// Attempts that failed in the interval before `at`.
    pub failed: i64,
    /// Mean run time of the jobs finished in the interval (claim to finish; whole
    /// seconds on SQLite), none when none finished.
    pub mean_run_ms: Option<i64>,
}

/// What finished in an interval, per queue: (queue, done, failed, mean run ms).
type Finished = (String, i64, i64, Option<f64>);

impl Store {
    /// Samples every queue at `at` (unix seconds), counting what finished in
    /// `(at - interval, at]`, and stores the samples unless another process stored that
    /// instant already. `queues` names the queues to sample (zeros included).
    pub async fn sample_queues(&self, at: i64, interval: i64, queues: &[&str]) -> Result<usize, StoreError> {
        let depths = self.queue_depths().await?;
        let (table, from, to) = match &self.db {
            Db::Sqlite(_) => ("Jobs", "$1", "$2"),
            Db::Postgres(_) => ("apalis.jobs", "to_timestamp($1)", "to_timestamp($2)"),
        };
        let run_secs = match &self.db {
            Db::Sqlite(_) => "(done_at - lock_at)",
            Db::Postgres(_) => "EXTRACT(EPOCH FROM (done_at - lock_at))",
        };
        let sql = format!(
            "SELECT job_type, \
             COALESCE(SUM(CASE WHEN status = 'Done' THEN 1 ELSE 0 END), 0) AS done, \
             COALESCE(SUM(CASE WHEN status = 'Failed' OR {DEAD} THEN 1 ELSE 0 END), 0) AS failed, \
             AVG(CASE WHEN status = 'Done' AND lock_at IS NOT NULL THEN {run_secs} * 1000.0 END) AS mean_ms \
             FROM {table} WHERE done_at > {from} AND done_at <= {to} GROUP BY job_type"
        );
        let finished: Vec<Finished> = match &self.db {
            Db::Sqlite(pool) => sqlx::query_as(AssertSqlSafe(sql))
                .bind(at - interval)
                .bind(at)
                .fetch_all(pool)
                .await
                .doing("counting finished jobs")?,
            Db::Postgres(pool) => {
                let sql = sql
                    .replace("ELSE 0 END), 0) AS", "ELSE 0 END), 0)::BIGINT AS")
                    .replace("END) AS mean_ms", "END)::DOUBLE PRECISION AS mean_ms");
                sqlx::query_as(AssertSqlSafe(sql))
                    .bind((at - interval) as f64)
                    .bind(at as f64)
                    .fetch_all(pool)
                    .await
                    .doing("counting finished jobs")?
            }
        };
        let samples: Vec<QueueSample> = queues
            .iter()
            .map(|&queue| {
                let depth = depths.iter().find(|d| d.queue == queue).cloned().unwrap_or_default();
                let (done, failed, mean) = finished
                    .iter()
                    .find(|f| f.0 == queue)
                    .map_or((0, 0, None), |f| (f.1, f.2, f.3));
                QueueSample {
                    at,
                    queue: queue.to_owned(),
                    pending: depth.pending,
                    scheduled: depth.scheduled,
                    running: depth.running,
                    retrying: depth.retrying,
                    dead: depth.dead,
                    done,
                    failed,
                    mean_run_ms: mean.map(|m| m.round() as i64),
                }
            })
            .collect();
        let mut stored = 0;
        for s in &samples {
            let inserted: u64 = on_db!(&self.db, pool => sqlx::query(
                "INSERT INTO queue_samples (at, queue, pending, scheduled, running, retrying, dead, done, failed, \
                 mean_run_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (at, queue) DO NOTHING",
            )
            .bind(s.at)
            .bind(s.queue.clone())
            .bind(s.pending)
            .bind(s.scheduled)
            .bind(s.running)
            .bind(s.retrying)
            .bind(s.dead)
            .bind(s.done)
            .bind(s.failed)
            .bind(s.mean_run_ms)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
            .doing("storing a queue sample")?);
            stored += inserted as usize;
        }
        Ok(stored)
    }

    /// Samples taken at or after `since` (unix seconds), oldest first, at most `limit`.
    pub async fn queue_samples(&self, since: i64, limit: i64) -> Result<Vec<QueueSample>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_as(
            "SELECT at, queue, pending, scheduled, running, retrying, dead, done, failed, mean_run_ms \
             FROM queue_samples WHERE at >= $1 ORDER BY at, queue LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(pool)
        .await
        .doing("reading queue samples"))
    }

    /// Deletes samples older than `before` (unix seconds). Returns how many.
    pub async fn prune_samples(&self, before: i64) -> Result<u64, StoreError> {
        on_db!(&self.db, pool => sqlx::query("DELETE FROM queue_samples WHERE at < $1")
            .bind(before)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
            .doing("pruning queue samples"))
    }
}

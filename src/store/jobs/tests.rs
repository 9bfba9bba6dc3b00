//! Tests of the parent module.

use super::*;

/// Pushes one job per (key, status, attempts, run_at) on `queue` and sets its state.
async fn put(store: &Store, queue: &str, jobs: &[(&str, &str, i32, i64)]) {
    let input: Vec<JobInput> = jobs
        .iter()
        .map(|(key, ..)| JobInput {
            args: b"{}".to_vec(),
            key: (*key).to_owned(),
            priority: 0,
            max_attempts: 3,
        })
        .collect();
    assert_eq!(store.push_jobs(queue, &input).await.expect("push"), jobs.len());
    let (table, time) = match &store.db {
        Db::Sqlite(_) => ("Jobs", "$3"),
        Db::Postgres(_) => ("apalis.jobs", "to_timestamp($3)"),
    };
    let sql = format!("UPDATE {table} SET status = $1, attempts = $2, run_at = {time} WHERE idempotency_key = $4");
    for (key, status, attempts, run_at) in jobs {
        let done = crate::store::on_db!(&store.db, pool => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(*status)
                .bind(*attempts)
                .bind(*run_at)
                .bind(*key)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()));
        assert_eq!(done.expect("set the job's state"), 1, "{key}");
    }
}

/// The oldest claimable job per queue: pending or retryable, and due; running,
/// done, dead and later jobs do not count, nor do queues without a claimable job.
async fn oldest_pending_counts_only_claimable_due_jobs(store: &Store) {
    let now = 1_000_000;
    put(
        store,
        "crawl",
        &[
            ("c-pending", "Pending", 0, now - 100),
            ("c-newer", "Pending", 0, now - 40),
            ("c-later", "Pending", 0, now + 500),
            ("c-running", "Running", 1, now - 5_000),
            ("c-done", "Done", 1, now - 8_000),
            ("c-killed", "Killed", 1, now - 7_000),
        ],
    )
    .await;
    put(
        store,
        "summarize",
        &[
            ("s-retry", "Failed", 1, now - 250),
            ("s-dead", "Failed", 3, now - 9_000),
            ("s-due-now", "Pending", 0, now),
        ],
    )
    .await;
    put(
        store,
        "render",
        &[("r-later", "Failed", 1, now + 60), ("r-queued", "Queued", 0, now - 60)],
    )
    .await;

    let oldest = store.oldest_pending(now).await.expect("oldest pending");

    let want = [("crawl", 100), ("summarize", 250)].map(|(queue, age_seconds)| OldestPending {
        queue: queue.to_owned(),
        age_seconds,
    });
    assert_eq!(oldest, want);
    assert_eq!(
        store.oldest_pending(now - 1_000_000).await.expect("oldest"),
        [],
        "nothing due yet"
    );
}

#[tokio::test]
async fn oldest_pending_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = crate::store::sqlite_store_in(dir.path()).await;
    oldest_pending_counts_only_claimable_due_jobs(&store).await;
}

#[tokio::test]
async fn oldest_pending_on_postgres() {
    let Some(admin) = crate::testkit::pg::test_server() else {
        return;
    };
    let db = crate::testkit::pg::ScratchDb::create(&admin, "refnet_u").await;
    let store = Store::open(&db.url).await.expect("store");
    oldest_pending_counts_only_claimable_due_jobs(&store).await;
}

#[test]
fn like_patterns_escape_wildcards() {
    assert_eq!(like_escape("c1r2:"), "c1r2:");
    assert_eq!(like_escape("a_b%c\\"), "a\\_b\\%c\\\\");
}

//! Why a job is dead: the error it really failed on, when one is known.

use refnet::queue::{RenderJob, enqueue, run_prefix};
use refnet::store::{Db, Direction};
use refnet::testkit::Corpus;

use super::support::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_given_up_after_its_workers_stopped_is_dead_with_its_last_known_error() {
    let corpus = Corpus::synthetic(5, 1, 1);
    let seed = corpus.paper(4).id.clone();
    let app = TestApp::new(Backend::Sqlite, corpus).await;
    let crawl = app.crawl(&seed, 0, Direction::References, None).await;
    let prefix = run_prefix(crawl.crawl_id, crawl.run);
    enqueue(&app.ctx, &[RenderJob::new(crawl.crawl_id, crawl.run, "test")])
        .await
        .expect("enqueue");
    // It failed on the LLM, then its workers were lost (each loss counts an attempt):
    // past the render stage's attempts, yet still claimable.
    let Db::Sqlite(pool) = app.ctx.store.db() else {
        unreachable!("a SQLite test")
    };
    let changed = sqlx::query(
        "UPDATE Jobs SET status = 'Failed', attempts = 7, max_attempts = 20, last_result = $1 \
         WHERE idempotency_key LIKE $2 AND status = 'Pending'",
    )
    .bind(r#"{"Err":"the LLM at http://127.0.0.1:9 is unreachable"}"#)
    .bind(format!("{prefix}%"))
    .execute(pool)
    .await
    .expect("update");
    assert_eq!(changed.rows_affected(), 1);

    app.drain(&prefix).await;

    let dead = app.ctx.store.dead_jobs(Some(&prefix), 10).await.expect("dead");
    assert_eq!(dead.len(), 1, "{dead:?}");
    let reason = dead[0].last_result.clone().unwrap_or_default();
    assert!(reason.contains("gave up after 5 attempts"), "{reason}");
    assert!(
        reason.contains("the LLM at http://127.0.0.1:9 is unreachable"),
        "{reason}"
    );
    assert!(!reason.contains("its worker stopped"), "{reason}");
}

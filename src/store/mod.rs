//! Storage: the citation graph, crawls, summaries and note state, on SQLite (the
//! embedded default, a file under `<vault>/.refnet/`) or Postgres (shared by several
//! workers). SQL lives only in this module.
//!
//! One set of domain queries serves both backends: the SQL text is the same (`$n`
//! placeholders, `ON CONFLICT … DO UPDATE`, `RETURNING`; multi-row value lists come
//! from [`Store::placeholders`]), and [`on_db!`] expands each query once per pool type.
//! The job queues (apalis) use the same pools.

mod analysis;
mod bulk;
mod console;
mod crawls;
mod edges;
mod graph;
mod jobs;
mod marks;
mod members;
mod merges;
mod metrics;
mod notes;
mod openalex;
mod records;
mod refresh;
mod series;
mod sessions;
mod status;
mod summaries;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolOptions;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use analysis::{Cluster, CrawlAnalysis, PaperAnalysis, PastAnalysis, TextHashSums};
pub(crate) use bulk::task_result;
pub use console::{HeldJob, JobFilter, JobRow, JobState, WorkerDetail, WorkerInfo};
pub use crawls::{Crawl, NewCrawl, NewSeed, seed_key};
pub(crate) use jobs::error_text;
pub use jobs::{DeadJob, JobInput, OldestPending, QueueDepth};
pub use marks::RenderMark;
pub use members::{CrawlStats, MemberInfo};
pub use merges::{IdentityKeys, IdentityRow, MergeRow};
pub use metrics::MetricRow;
pub use notes::{Claims, NoteRecord, NoteRow};
pub use openalex::{OpenAlexFill, OpenAlexWanted};
pub use records::{Candidate, EdgeRow, FetchedBatch, PaperRecord, StoredPaper, StubRecord, UnresolvedRef, title_or_id};
pub use refresh::{NewsRow, RefreshRow, WorkerSeen};
pub use series::{QueueSample, SAMPLES_KEPT_DAYS};
pub(crate) use status::stored_enum;
pub use status::{CorruptValue, CrawlStatus, Direction, PdfStatus};
pub use summaries::{PdfRow, SummaryProgress, SummaryRow, SummaryState};

use crate::secret::redact_url;

/// The options every pool refnet opens starts from: sqlx's, without its idle timeout,
/// maximum lifetime and minimum size. Any one of them starts a maintenance task per pool,
/// and sqlx 0.9.0's can read the idle count after it wrapped below zero (a connection
/// popped between its release and the count's increment, sqlx issue #3645, fixed upstream
/// after 0.9.0); it then sweeps 2^64 times without yielding: a core at 100 % for good, and
/// a process (or a test's runtime) that never finishes shutting down. A pool holds at
/// most its `max_connections` open until it is closed; nothing else changes.
pub fn pool_options<DB: sqlx::Database>() -> PoolOptions<DB> {
    PoolOptions::new()
        .idle_timeout(None)
        .max_lifetime(None)
        .min_connections(0)
}

/// A pool of either backend.
#[derive(Clone, Debug)]
pub enum Db {
    /// The embedded default.
    Sqlite(SqlitePool),
    /// The shared server.
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of `$db`. The body is
/// type-checked once per backend, so the same query text serves both.
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_db;

/// A storage failure, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Could not open or reach the database.
    #[error("cannot open the database at {url}: {reason}; check DATABASE_URL (or the vault's .refnet folder)")]
    Connect {
        /// Where (password redacted).
        url: String,
        /// Why.
        reason: String,
    },
    /// Schema migration failed.
    #[error("cannot prepare the database schema: {0}")]
    Migrate(String),
    /// A query failed.
    #[error("database error while {doing}: {source}")]
    Query {
        /// What refnet was doing.
        doing: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A row that refnet itself wrote cannot be read back.
    #[error("corrupt database row while {doing}: {reason}")]
    Corrupt {
        /// What refnet was doing.
        doing: &'static str,
        /// Why.
        reason: String,
    },
}

/// Shorthand: attach what was being done to a sqlx error.
pub(crate) trait Doing<T> {
    fn doing(self, doing: &'static str) -> Result<T, StoreError>;
}

impl<T> Doing<T> for Result<T, sqlx::Error> {
    fn doing(self, doing: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| match source {
            // A column whose stored value does not parse: damage, not a passing failure.
            sqlx::Error::ColumnDecode { index, source } => StoreError::Corrupt {
                doing,
                reason: format!("column {index}: {source}"),
            },
            source => StoreError::Query { doing, source },
        })
    }
}

/// The store: domain queries over one pool.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
}

impl Store {
    /// Opens the database at `url` (`sqlite://path` or `postgres://…`), creating a
    /// SQLite file and its folder when missing, and brings both refnet's schema and the
    /// queue's schema up to date.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let connect_err = |e: &dyn std::fmt::Display| StoreError::Connect {
            url: redact_url(url),
            reason: e.to_string(),
        };
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|e| connect_err(&e))?;
            let pool = pool_options::<sqlx::Postgres>()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(10))
                // sqlx 0.9 returns a connection to the pool inside a transaction when a
                // `begin()` is cancelled after sending BEGIN (its rollback guard only acts
                // once the depth is counted). Every later statement on it would then be
                // uncommitted, and hold its row locks: such a connection is closed instead.
                // Inside a transaction begun earlier, now() is that transaction's start;
                // a lone simple-protocol statement is its own transaction's first command.
                .after_release(|conn, _| {
                    Box::pin(async move {
                        use sqlx::Row;
                        let row = sqlx::raw_sql("SELECT now() <> statement_timestamp()")
                            .fetch_one(&mut *conn)
                            .await?;
                        Ok(!row.try_get::<bool, _>(0)?)
                    })
                })
                .connect_with(options)
                .await
                .map_err(|e| connect_err(&e))?;
            Db::Postgres(pool)
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            let path = Path::new(path);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| connect_err(&e))?;
            }
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                // A crawl writes tens of thousands of rows a batch: a 16 MiB page cache per
                // connection and rarer automatic checkpoints keep it from stalling on fsync.
                .pragma("cache_size", "-16384")
                // But a render reads every table through every connection of the pool:
                // their caches together stop growing at 16 MiB (a limit for the whole
                // process; each connection then reuses the pages it holds instead of
                // taking more: separate caches, see .cargo/config.toml).
                .pragma("soft_heap_limit", SQLITE_HEAP_LIMIT)
                .pragma("wal_autocheckpoint", "8192")
                .pragma("temp_store", "memory");
            let pool = pool_options::<sqlx::Sqlite>()
                .max_connections(4)
                .connect_with(options)
                .await
                .map_err(|e| connect_err(&e))?;
            Db::Sqlite(pool)
        } else {
            return Err(StoreError::Connect {
                url: redact_url(url),
                reason: "the URL must start with postgres:// or sqlite://".to_owned(),
            });
        };
        Ok(Self { db })
    }

    /// Whether every migration this build has is applied (false when some are missing,
    /// or the database has never been migrated).
    pub async fn schema_current(&self) -> Result<bool, StoreError> {
        let newest = match &self.db {
            Db::Sqlite(_) => sqlx::migrate!("./migrations/sqlite").iter().map(|m| m.version).max(),
            Db::Postgres(_) => sqlx::migrate!("./migrations/postgres").iter().map(|m| m.version).max(),
        };
        let sql = "SELECT MAX(version) FROM _refnet_migrations WHERE success";
        let applied: Result<Option<i64>, sqlx::Error> =
            on_db!(&self.db, pool => sqlx::query_scalar(sql).fetch_one(pool).await);
        match applied {
            Ok(applied) => Ok(applied.is_some() && applied >= newest),
            // No history table: never migrated.
            Err(sqlx::Error::Database(_)) => Ok(false),
            Err(e) => Err(e).doing("reading the schema version"),
        }
    }

    /// Applies refnet's migrations (history in `_refnet_migrations`, apart from the
    /// queue's) and the queue library's own.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let err = |e: &dyn std::fmt::Display| StoreError::Migrate(e.to_string());
        match &self.db {
            Db::Sqlite(pool) => {
                let mut migrator = sqlx::migrate!("./migrations/sqlite");
                migrator.dangerous_set_table_name("_refnet_migrations");
                migrator.run(pool).await.map_err(|e| err(&e))?;
                // apalis's setup also sets pragmas for the connection it happens to run on
                // (a 64,000-page cache, `synchronous = OFF`) and runs `PRAGMA optimize`, which
                // on a store that grew reads whole tables into that cache (250 MB at 100,000
                // papers, at every start). So it runs only while the queue's tables are not
                // all there, on a connection of its own, closed after.
                if !queue_schema_current(pool).await {
                    let setup = pool_options::<sqlx::Sqlite>()
                        .max_connections(1)
                        .connect_with((*pool.connect_options()).clone())
                        .await
                        .map_err(|e| err(&e))?;
                    let done = apalis_sqlite::SqliteStorage::setup(&setup).await;
                    setup.close().await;
                    done.map_err(|e| err(&e))?;
                }
            }
            Db::Postgres(pool) => {
                let mut migrator = sqlx::migrate!("./migrations/postgres");
                migrator.dangerous_set_table_name("_refnet_migrations");
                migrator.run(pool).await.map_err(|e| err(&e))?;
                apalis_postgres::PostgresStorage::setup(pool)
                    .await
                    .map_err(|e| err(&e))?;
            }
        }
        Ok(())
    }

    /// The pool, for the queue.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_db!(&self.db, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()).doing("checking the database"))
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        on_db!(&self.db, pool => pool.close().await);
    }
}

/// Whether every migration of apalis's queue tables is applied (false when its history
/// table is missing).
async fn queue_schema_current(pool: &sqlx::SqlitePool) -> bool {
    let applied: Result<Vec<i64>, sqlx::Error> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await;
    applied.is_ok_and(|applied| {
        apalis_sqlite::SqliteStorage::migrations()
            .iter()
            .all(|m| applied.contains(&m.version))
    })
}

/// The hash stored beside a paper's title and abstract (`papers.text_hash`): FNV-1a of
/// its id, title and abstract (a missing abstract told apart from an empty one), finished
/// by splitmix64. Fixed forever: stored values are compared with ones computed later.
pub fn paper_text_hash(paper_id: &str, title: &str, abstract_text: Option<&str>) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(paper_id.as_bytes());
    eat(&[0xff]);
    eat(title.as_bytes());
    match abstract_text {
        Some(a) => {
            eat(&[0xff]);
            eat(a.as_bytes());
        }
        None => eat(&[0xfe]),
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (h ^ (h >> 31)) as i64
}

/// Now, as unix seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `(?, ?, ?), (?, ?, ?), …` (SQLite) or `($1, $2, $3), ($4, $5, $6), …` (Postgres) for
/// `rows` rows of `cols` values, bound in that order.
fn placeholders(rows: usize, cols: usize, numbered: bool) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            if numbered {
                out.push('$');
                out.push_str(&(r * cols + c + 1).to_string());
            } else {
                out.push('?');
            }
        }
        out.push(')');
    }
    out
}

/// Bound parameters per multi-row statement at most: a statement per few hundred values
/// keeps each one's text, and the values it holds, small.
const MAX_PARAMS: usize = 240;

/// The most memory SQLite should hold in the whole process (`PRAGMA soft_heap_limit`).
const SQLITE_HEAP_LIMIT: &str = "16777216";

/// Rows per multi-row statement of `columns` values each.
pub(crate) fn rows_per_statement(columns: usize) -> usize {
    (MAX_PARAMS / columns.max(1)).max(1)
}

/// Ids per read: one JSON parameter carries them all (see [`Store::id_set`]); the chunks
/// only bound memory.
pub(crate) const IDS_PER_QUERY: usize = 2_000;

/// A list of ids as the JSON array [`Store::id_set`] reads.
pub(crate) fn ids_json<S: AsRef<str>>(ids: &[S]) -> String {
    bulk::json_array(&ids.iter().map(AsRef::as_ref).collect::<Vec<&str>>())
}

impl Store {
    /// The value lists of a multi-row statement that holds nothing else: `rows` rows of
    /// `cols` values. SQLite's are nameless (`?`): sqlx asks SQLite the name of every
    /// parameter it binds, which SQLite finds by a scan of all the named ones, so `$n`
    /// names made binding a statement cost the square of its parameter count.
    pub(crate) fn placeholders(&self, rows: usize, cols: usize) -> String {
        placeholders(rows, cols, matches!(self.db, Db::Postgres(_)))
    }

    /// A subquery yielding the ids of a JSON array bound as parameter `$n`: one
    /// parameter however long the list.
    pub(crate) fn id_set(&self, n: usize) -> String {
        match &self.db {
            Db::Sqlite(_) => format!("SELECT value FROM json_each(${n})"),
            Db::Postgres(_) => format!("SELECT json_array_elements_text(${n}::json)"),
        }
    }

    /// Rows of a query over a list of ids: `sql` gets the id subquery (parameter `$1`) to
    /// put where the list goes; the ids are sent in chunks of [`IDS_PER_QUERY`].
    pub(crate) async fn select_by_ids<T>(
        &self,
        ids: &[String],
        sql: impl Fn(&str) -> String,
        doing: &'static str,
    ) -> Result<Vec<T>, StoreError>
    where
        T: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let text = sql(&self.id_set(1));
            let rows: Vec<T> = on_db!(&self.db, pool => sqlx::query_as(sqlx::AssertSqlSafe(text))
                .bind(ids_json(chunk))
                .fetch_all(pool)
                .await
                .doing(doing)?);
            out.extend(rows);
        }
        Ok(out)
    }
}

/// A store in a new SQLite file in `dir`, for unit tests.
#[cfg(test)]
pub(crate) async fn sqlite_store_in(dir: &Path) -> Store {
    Store::open(&format!("sqlite://{}", dir.join("store.sqlite").display()))
        .await
        .expect("open a store")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_rows_then_columns() {
        assert_eq!(placeholders(2, 3, true), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(placeholders(2, 2, false), "(?, ?), (?, ?)");
        assert_eq!(rows_per_statement(26), 9);
        assert_eq!(rows_per_statement(1000), 1);
        assert_eq!(ids_json(&["a", "b\"q"]), r#"["a","b\"q"]"#);
    }

    #[tokio::test]
    async fn a_stored_value_refnet_did_not_write_is_a_corruption_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = sqlite_store_in(dir.path()).await;
        let new = NewCrawl {
            seeds: vec![NewSeed {
                paper_id: "a".repeat(40).parse().expect("id"),
                input: "ARXIV:1706.03762".to_owned(),
                priority: 5,
            }],
            seed_input: "ARXIV:1706.03762".to_owned(),
            depth: 1,
            direction: Direction::Both,
            max_papers: 0,
            summarize: false,
        };
        let crawl = store.begin_run(&new, 0, 1).await.expect("begin");
        let read = store.crawl(crawl.crawl_id).await.expect("read").expect("there");
        assert_eq!((read.direction, read.status), (Direction::Both, CrawlStatus::Running));
        let Db::Sqlite(pool) = store.db() else { panic!("sqlite") };
        for (column, value) in [("direction", "sideways"), ("status", "paused")] {
            let sql = format!("UPDATE crawls SET {column} = '{value}'");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(pool)
                .await
                .expect("damage");
            let err = store.crawl(crawl.crawl_id).await.expect_err("corrupt");
            assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
            assert!(err.to_string().contains(value), "{err}");
            let fix = "UPDATE crawls SET direction = 'both', status = 'done'".to_owned();
            sqlx::query(sqlx::AssertSqlSafe(fix))
                .execute(pool)
                .await
                .expect("repair");
        }
    }
}

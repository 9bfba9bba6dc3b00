//! Large reads over lists of ids, a JSON array per chunk of ids rather than a row per
//! result. sqlx hands SQLite's rows from its worker thread to the caller one by one, and
//! at a few hundred thousand rows (a 100,000-paper render reads each paper's authors,
//! the titles of every paper it links to) that hand-off costs more than the query; the
//! database builds the array in one go, and serde reads it in one go.

use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;

use super::{Db, Doing, IDS_PER_QUERY, Store, StoreError, ids_json, on_db};

/// Chunks read at once by [`Store::select_json_chunks`].
pub(super) const CHUNKS_AT_ONCE: usize = 2;

/// `pages`, pulled on a task of their own ahead of the caller: the query of the next
/// page runs while the caller splits the last one. For paged reads that cannot be
/// [`StreamExt::buffered`] (each page's query starts after the last page's key); read in
/// turn with the caller's work, the scan of a 100,000-paper crawl's edges kept one core
/// busy of two. The task stops when the stream is dropped, and after the first error.
pub(crate) fn pulled_ahead<T: Send + 'static>(
    pages: impl Stream<Item = Result<T, StoreError>> + Send + 'static,
) -> impl Stream<Item = Result<T, StoreError>> + Send + 'static {
    // One page waits in the channel while the task reads the next.
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let task = tokio::spawn(async move {
        let mut pages = std::pin::pin!(pages);
        while let Some(page) = pages.next().await {
            let failed = page.is_err();
            if tx.send(page).await.is_err() || failed {
                break;
            }
        }
    });
    futures::stream::unfold((rx, Some(Puller(task))), |(mut rx, mut puller)| async move {
        if let Some(page) = rx.recv().await {
            return Some((page, (rx, puller)));
        }
        // The channel closed: the pages ran out, or the task was stopped.
        let mut task = puller.take()?;
        match task_result((&mut task.0).await, "reading pages ahead (stopped with the runtime)") {
            Ok(()) => None,
            Err(e) => Some((Err(e), (rx, None))),
        }
    })
}

/// What a task of the store's work gave: its panic carried on in the caller, and a task
/// stopped with the runtime an error saying what it was `doing`.
pub(crate) fn task_result<T>(joined: Result<T, tokio::task::JoinError>, doing: &'static str) -> Result<T, StoreError> {
    joined.or_else(|e| match e.try_into_panic() {
        Ok(panic) => std::panic::resume_unwind(panic),
        Err(_) => Err(StoreError::Query {
            doing,
            source: sqlx::Error::WorkerCrashed,
        }),
    })
}

/// The task of [`pulled_ahead`], stopped with its stream.
struct Puller(tokio::task::JoinHandle<()>);

impl Drop for Puller {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One JSON read: the values of each result row, its order, and what it reads from.
pub(crate) struct JsonRead<'a> {
    /// The columns of a result row, as an SQL list (`paper_id, title, year`).
    pub columns: &'a str,
    /// The order of the rows, as an SQL list, when it matters.
    pub order: Option<&'a str>,
    /// What follows `FROM`, given the id subquery to put where the list goes (or the
    /// parameter of a crawl's id).
    pub from: &'a (dyn Fn(&str) -> String + Sync),
    /// What refnet is doing, for errors.
    pub doing: &'static str,
}

impl Store {
    /// The rows of `read` over `ids` (in chunks of [`IDS_PER_QUERY`]), each row read as
    /// `T` from a JSON array of its values: a tuple or a struct of that many fields. Rows
    /// come in `read.order` within each chunk.
    pub(crate) async fn select_json_by_ids<T: DeserializeOwned>(
        &self,
        ids: &[String],
        read: &JsonRead<'_>,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        self.for_each_json_chunk(ids, read, |rows| out.extend(rows)).await?;
        Ok(out)
    }

    /// [`Store::select_json_by_ids`] handing each chunk's rows to `each` as they come, in
    /// order, for a caller that keeps only what it makes of them: the rows of every
    /// chunk at once were tens of megabytes at 100,000 papers.
    pub(crate) async fn for_each_json_chunk<T: DeserializeOwned>(
        &self,
        ids: &[String],
        read: &JsonRead<'_>,
        mut each: impl FnMut(Vec<T>),
    ) -> Result<(), StoreError> {
        let mut chunks = std::pin::pin!(self.select_json_chunks::<T>(ids, read));
        while let Some(rows) = chunks.next().await {
            each(rows?);
        }
        Ok(())
    }

    /// [`Store::select_json_by_ids`] a chunk at a time, in order, for a caller that keeps
    /// only what it makes of each chunk's rows. Two chunks are read at once, on two
    /// connections: SQLite reads one while the other is handed over or parsed.
    pub(crate) fn select_json_chunks<'a, T: DeserializeOwned + 'a>(
        &'a self,
        ids: &'a [String],
        read: &'a JsonRead<'a>,
    ) -> impl Stream<Item = Result<Vec<T>, StoreError>> + 'a {
        futures::stream::iter(ids.chunks(IDS_PER_QUERY))
            .map(move |chunk| self.select_json_chunk::<T>(chunk, read))
            .buffered(CHUNKS_AT_ONCE)
    }

    /// [`Store::select_json_by_ids`] over one chunk of ids (at most [`IDS_PER_QUERY`]).
    async fn select_json_chunk<T: DeserializeOwned>(
        &self,
        chunk: &[String],
        read: &JsonRead<'_>,
    ) -> Result<Vec<T>, StoreError> {
        let sql = format!(
            "SELECT {} FROM {}",
            self.json_aggregate(read),
            (read.from)(&self.id_set(1))
        );
        let json: Option<String> = on_db!(&self.db, pool => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(ids_json(chunk))
            .fetch_one(pool)
            .await
            .doing(read.doing)?);
        json_rows(json, read.doing)
    }

    /// The rows of `read` for one crawl, as [`Store::select_json_by_ids`] reads them:
    /// `read.from` is given the parameter that holds the crawl's id.
    pub(crate) async fn select_json_of_crawl<T: DeserializeOwned>(
        &self,
        crawl_id: i64,
        read: &JsonRead<'_>,
    ) -> Result<Vec<T>, StoreError> {
        self.select_json(read, Some(crawl_id)).await
    }

    /// Every row of `read`, as [`Store::select_json_by_ids`] reads them: for a list too
    /// long to hand over row by row that needs no parameter (`read.from` is given none).
    pub(crate) async fn select_json_all<T: DeserializeOwned>(&self, read: &JsonRead<'_>) -> Result<Vec<T>, StoreError> {
        self.select_json(read, None).await
    }

    async fn select_json<T: DeserializeOwned>(
        &self,
        read: &JsonRead<'_>,
        crawl_id: Option<i64>,
    ) -> Result<Vec<T>, StoreError> {
        let sql = format!("SELECT {} FROM {}", self.json_aggregate(read), (read.from)("$1"));
        let json: Option<String> = on_db!(&self.db, pool => {
            let q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
            let q = match crawl_id {
                Some(id) => q.bind(id),
                None => q,
            };
            q.fetch_one(pool).await.doing(read.doing)?
        });
        json_rows(json, read.doing)
    }

    /// A `SELECT` of the rows of a JSON array of arrays bound as parameter `$n`, in the
    /// array's order, named `column1`, `column2`, … as a `VALUES` list names them; `types`
    /// are the SQL types of the values (PostgreSQL reads each as text, then casts it;
    /// SQLite takes the JSON value as it is). A multi-row write then has one parameter
    /// however many rows: bound one by one, values cost more in sqlx than the rows'
    /// writes in SQLite, and a statement could hold only 40 to 60 rows.
    pub(crate) fn json_rows_select(&self, n: usize, types: &[&str]) -> String {
        let columns = |value: &dyn Fn(usize, &str) -> String| {
            types
                .iter()
                .enumerate()
                .map(|(c, t)| format!("{} AS column{}", value(c, t), c + 1))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &self.db {
            // `WHERE true` lets an `INSERT … SELECT` end in `ON CONFLICT` (SQLite's parser).
            Db::Sqlite(_) => format!(
                "SELECT {} FROM json_each(${n}) WHERE true",
                columns(&|c, _| format!("value->>{c}"))
            ),
            Db::Postgres(_) => format!(
                "SELECT {} FROM json_array_elements(${n}::json) WITH ORDINALITY AS r(e, i) ORDER BY r.i",
                columns(&|c, t| if t == "text" {
                    format!("r.e->>{c}")
                } else {
                    format!("CAST(r.e->>{c} AS {t})")
                })
            ),
        }
    }

    /// The rows of a read as one JSON array of JSON arrays, in the read's order.
    fn json_aggregate(&self, read: &JsonRead<'_>) -> String {
        let order = read.order.map(|o| format!(" ORDER BY {o}")).unwrap_or_default();
        match &self.db {
            Db::Sqlite(_) => format!("json_group_array(json_array({}){order})", read.columns),
            Db::Postgres(_) => format!("CAST(json_agg(json_build_array({}){order}) AS TEXT)", read.columns),
        }
    }
}

/// `items` as a JSON array: the rows [`Store::json_rows_select`] reads (each a tuple or an
/// array of its values), the ids [`Store::id_set`] reads, a list stored as JSON text.
pub(crate) fn json_array<T: serde::Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// The rows of a JSON array (none when the database gave `NULL`: Postgres's aggregate of
/// no rows).
fn json_rows<T: DeserializeOwned>(json: Option<String>, doing: &'static str) -> Result<Vec<T>, StoreError> {
    let Some(json) = json else { return Ok(Vec::new()) };
    serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
        doing,
        reason: e.to_string(),
    })
}

/// A boolean column as either database puts it in JSON: `true`/`false` (Postgres) or
/// `1`/`0` (SQLite, which has no boolean type).
struct SqlBool(bool);

impl<'de> serde::Deserialize<'de> for SqlBool {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = SqlBool;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a boolean, 0 or 1")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<SqlBool, E> {
                Ok(SqlBool(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<SqlBool, E> {
                Ok(SqlBool(v != 0))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<SqlBool, E> {
                Ok(SqlBool(v != 0))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// `#[serde(deserialize_with)]` of a `NOT NULL` boolean column read as JSON.
pub(crate) fn sql_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    <SqlBool as serde::Deserialize>::deserialize(d).map(|b| b.0)
}

/// `#[serde(deserialize_with)]` of a nullable boolean column read as JSON.
pub(crate) fn sql_opt_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    <Option<SqlBool> as serde::Deserialize>::deserialize(d).map(|b| b.map(|b| b.0))
}

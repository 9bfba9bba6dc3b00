//! Large reads over lists of ids, a JSON array per chunk of ids rather than a row per
//! result. sqlx hands SQLite's rows from its worker thread to the caller one by one, and
//! at a few hundred thousand rows (a 100,000-paper render reads each paper's authors,
//! the titles of every paper it links to) that hand-off costs more than the query; the
//! database builds the array in one go, and serde reads it in one go.

use serde::de::DeserializeOwned;

use super::{Db, Doing, IDS_PER_QUERY, Store, StoreError, ids_json, on_db};

/// One JSON read: the values of each result row, its order, and what it reads from.
pub(crate) struct JsonRead<'a> {
    /// The columns of a result row, as an SQL list (`paper_id, title, year`).
    pub columns: &'a str,
    /// The order of the rows, as an SQL list, when it matters.
    pub order: Option<&'a str>,
    /// What follows `FROM`, given the id subquery to put where the list goes.
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
        let order = read.order.map(|o| format!(" ORDER BY {o}")).unwrap_or_default();
        let aggregate = match &self.db {
            Db::Sqlite(_) => format!("json_group_array(json_array({}){order})", read.columns),
            Db::Postgres(_) => format!("CAST(json_agg(json_build_array({}){order}) AS TEXT)", read.columns),
        };
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let sql = format!("SELECT {aggregate} FROM {}", (read.from)(&self.id_set(1)));
            let json: Option<String> = on_db!(&self.db, pool => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(ids_json(chunk))
                .fetch_one(pool)
                .await
                .doing(read.doing)?);
            let Some(json) = json else { continue };
            let rows: Vec<T> = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                doing: read.doing,
                reason: e.to_string(),
            })?;
            out.extend(rows);
        }
        Ok(out)
    }
}

//! Citation edges read back: every edge touching a set of papers, a row per paper.

use std::collections::HashSet;

use super::bulk::CHUNKS_AT_ONCE;
use super::records::EdgeRow;
use futures::StreamExt;

use super::{Doing, IDS_PER_QUERY, Store, StoreError, ids_json, on_db};

impl Store {
    /// Every stored edge touching one of `ids` (either end), sorted and without duplicates.
    pub async fn edges_touching(&self, ids: &[String]) -> Result<Vec<EdgeRow>, StoreError> {
        let mut out = Vec::new();
        self.for_each_edge_touching(ids, |citing, cited, is_influential| {
            out.push(EdgeRow {
                citing: citing.to_owned(),
                cited: cited.to_owned(),
                is_influential,
            });
        })
        .await?;
        out.sort_by(|a, b| (&a.citing, &a.cited).cmp(&(&b.citing, &b.cited)));
        out.dedup();
        Ok(out)
    }

    /// Calls `f(citing, cited, influential)` once with every stored edge touching one of
    /// `ids`, so a caller can keep the graph compact: first the edges out of `ids`, then
    /// the edges into `ids` from papers outside them (the others came with the first).
    /// Within each chunk of ids, edges come by paper id, then by the other end's id.
    ///
    /// Each paper's edges are joined into one string, and a chunk's papers into one
    /// string too: a 100,000-paper crawl has two million edge ends, and each row sqlx
    /// hands over costs more than the splitting. Not a JSON array as other large reads
    /// are ([`Store::select_json_by_ids`]): JSON escapes each separator (a control
    /// character) as six bytes, and the escaping and unescaping of 2 × 100 MB took more
    /// than the query.
    pub async fn for_each_edge_touching(
        &self,
        ids: &[String],
        mut f: impl FnMut(&str, &str, Option<bool>),
    ) -> Result<(), StoreError> {
        let inside: HashSet<&str> = ids.iter().map(String::as_str).collect();
        // The separators as SQL: the database builds each paper's string.
        let (join, char_fn) = match &self.db {
            super::Db::Sqlite(_) => ("group_concat", "char"),
            super::Db::Postgres(_) => ("string_agg", "chr"),
        };
        let [sep, yes, no, paper, end_of_id] = [EDGE_SEPARATOR, INFLUENTIAL, NOT_INFLUENTIAL, PAPER_SEPARATOR, ID_END]
            .map(|c| format!("{char_fn}({})", c as u32));
        for into in [false, true] {
            let (end, other) = if into { ("cited", "citing") } else { ("citing", "cited") };
            let sql = format!(
                "SELECT {join}(this || {end_of_id} || others, {paper} ORDER BY this) FROM \
                 (SELECT {end} AS this, {join}({other} || CASE WHEN is_influential THEN {yes} \
                  WHEN NOT is_influential THEN {no} ELSE '' END, {sep} ORDER BY {other}) AS others \
                  FROM citations WHERE {end} IN ({}) GROUP BY {end}) AS edges",
                self.id_set(1)
            );
            let read_chunk = |chunk: &[String]| {
                let (sql, ids) = (sql.clone(), ids_json(chunk));
                async move {
                    let joined: Option<String> = on_db!(&self.db, pool => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                        .bind(ids)
                        .fetch_one(pool)
                        .await
                        .doing("reading citations")?);
                    Ok::<_, StoreError>(joined.unwrap_or_default())
                }
            };
            // Two chunks at once, on two connections: SQLite reads one while the other
            // is split.
            let mut chunks = std::pin::pin!(
                futures::stream::iter(ids.chunks(IDS_PER_QUERY))
                    .map(read_chunk)
                    .buffered(CHUNKS_AT_ONCE)
            );
            while let Some(joined) = chunks.next().await {
                let joined = joined?;
                for row in joined.split(PAPER_SEPARATOR).filter(|r| !r.is_empty()) {
                    let Some((this, others)) = row.split_once(ID_END) else {
                        return Err(StoreError::Corrupt {
                            doing: "reading citations",
                            reason: format!(
                                "a paper's edges without its id: {:?}",
                                row.chars().take(60).collect::<String>()
                            ),
                        });
                    };
                    for item in others.split(EDGE_SEPARATOR) {
                        let (id, is_influential) = match item.strip_suffix(INFLUENTIAL) {
                            Some(id) => (id, Some(true)),
                            None => match item.strip_suffix(NOT_INFLUENTIAL) {
                                Some(id) => (id, Some(false)),
                                None => (item, None),
                            },
                        };
                        if !into {
                            f(this, id, is_influential);
                        } else if !inside.contains(id) {
                            f(id, this, is_influential);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Between the edges of one paper as [`Store::for_each_edge_touching`] reads them, and
/// after an id whose edge S2 calls influential or not; between the papers of a chunk,
/// and after each paper's own id (control characters: never in a paper id).
const EDGE_SEPARATOR: char = '\u{1f}';
const INFLUENTIAL: char = '\u{1e}';
const NOT_INFLUENTIAL: char = '\u{1d}';
const PAPER_SEPARATOR: char = '\u{1c}';
const ID_END: char = '\u{1b}';

#[cfg(test)]
mod tests {
    use crate::store::IDS_PER_QUERY;

    #[tokio::test]
    async fn every_edge_touching_the_ids_comes_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::sqlite_store_in(dir.path()).await;
        let crate::store::Db::Sqlite(pool) = &store.db else {
            unreachable!("a sqlite url")
        };
        // Inside: a, b, c (and fillers). Outside: x cites a; a cites y; x cites y (touches
        // nothing). S2's influential flag: known true, known false, or unknown.
        let edges = [
            ("a", "y", Some(false)),
            ("a", "b", Some(true)),
            ("b", "c", None),
            ("c", "a", None),
            ("x", "a", Some(true)),
            ("x", "y", None),
        ];
        for (citing, cited, influential) in edges {
            sqlx::query("INSERT INTO citations (citing, cited, is_influential) VALUES ($1, $2, $3)")
                .bind(citing)
                .bind(cited)
                .bind(influential)
                .execute(pool)
                .await
                .expect("insert");
        }
        // a and b, c in different chunks of the query: an edge between chunks still comes once.
        let mut ids = vec!["a".to_owned()];
        ids.extend((0..IDS_PER_QUERY).map(|i| format!("filler{i}")));
        ids.extend(["c".to_owned(), "b".to_owned()]);
        let mut seen = Vec::new();
        store
            .for_each_edge_touching(&ids, |citing, cited, influential| {
                seen.push((citing.to_owned(), cited.to_owned(), influential));
            })
            .await
            .expect("edges");
        // Edges out of the ids first, by citing paper then cited within a chunk; then the
        // edges into them from outside.
        let want: Vec<(String, String, Option<bool>)> = [
            ("a", "b", Some(true)),
            ("a", "y", Some(false)),
            ("b", "c", None),
            ("c", "a", None),
            ("x", "a", Some(true)),
        ]
        .map(|(a, b, f)| (a.to_owned(), b.to_owned(), f))
        .to_vec();
        assert_eq!(seen, want);
    }
}

//! Citation edges read back: every edge touching a set of papers, a row per paper.

use std::collections::HashSet;

use super::bulk::{CHUNKS_AT_ONCE, pulled_ahead};
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
    /// `ids`, so a caller can keep the graph compact. The order of the calls is not part
    /// of the contract (a graph orders its lists and ties by paper id).
    ///
    /// When `ids` are most of the stored papers (a render of a crawl that is most of the
    /// store), every edge is read in one ordered scan of the cited index, which SQLite
    /// reads three times as fast as the same edges looked up paper by paper; otherwise
    /// the edges of `ids` are looked up a chunk of papers at a time.
    pub async fn for_each_edge_touching(
        &self,
        ids: &[String],
        f: impl FnMut(&str, &str, Option<bool>),
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let papers: i64 = on_db!(&self.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM papers")
            .fetch_one(pool)
            .await
            .doing("counting papers")?);
        let scan = i64::try_from(ids.len()).unwrap_or(i64::MAX).saturating_mul(SCAN_SHARE) >= papers;
        self.for_each_edge_touching_by(ids, scan, f).await
    }

    /// [`Store::for_each_edge_touching`], scanning every edge (`scan`) or looking the
    /// edges of `ids` up.
    pub(crate) async fn for_each_edge_touching_by(
        &self,
        ids: &[String],
        scan: bool,
        f: impl FnMut(&str, &str, Option<bool>),
    ) -> Result<(), StoreError> {
        if scan {
            self.scan_edges(ids, f).await
        } else {
            self.look_up_edges(ids, f).await
        }
    }

    /// The edges of `ids`, a chunk of papers at a time: first the edges out of `ids`,
    /// then the edges into `ids` from papers outside them (the others came with the
    /// first).
    ///
    /// Each paper's edges are joined into one string, and a chunk's papers into one
    /// string too: a 100,000-paper crawl has two million edge ends, and each row sqlx
    /// hands over costs more than the splitting. Not a JSON array as other large reads
    /// are ([`Store::select_json_by_ids`]): JSON escapes each separator (a control
    /// character) as six bytes, and the escaping and unescaping of 2 × 100 MB took more
    /// than the query.
    async fn look_up_edges(
        &self,
        ids: &[String],
        mut f: impl FnMut(&str, &str, Option<bool>),
    ) -> Result<(), StoreError> {
        let inside: HashSet<&str> = ids.iter().map(String::as_str).collect();
        // The separators as SQL: the database builds each paper's string.
        let (join, sql_char) = self.joining();
        let [sep, yes, no, paper, end_of_id] =
            [EDGE_SEPARATOR, INFLUENTIAL, NOT_INFLUENTIAL, PAPER_SEPARATOR, ID_END].map(sql_char);
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
                    let (this, others) = split_id(row, "a paper's edges without its id")?;
                    for item in others.split(EDGE_SEPARATOR) {
                        let (id, is_influential) = flagged(item);
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

    /// Every stored edge, in one ordered scan of the cited index (two halves of it at
    /// once, on two connections), `f` called with those touching `ids`.
    async fn scan_edges(&self, ids: &[String], mut f: impl FnMut(&str, &str, Option<bool>)) -> Result<(), StoreError> {
        let inside: HashSet<&str> = ids.iter().map(String::as_str).collect();
        // Split at the middle of the ids: about as many edges on either side.
        let mut ids_in_order: Vec<&str> = inside.iter().copied().collect();
        let half = ids_in_order.len() / 2;
        let middle = if ids_in_order.is_empty() {
            String::new()
        } else {
            (*ids_in_order.select_nth_unstable(half).1).to_owned()
        };
        let lower = pulled_ahead(self.edge_pages(String::new(), Some(middle.clone())));
        let upper = pulled_ahead(self.edge_pages(middle, None));
        let mut pages = std::pin::pin!(futures::stream::select(lower, upper));
        while let Some(page) = pages.next().await {
            for item in page?.split(PAPER_SEPARATOR) {
                let (cited, citing, is_influential) = scanned(item)?;
                if inside.contains(citing) || inside.contains(cited) {
                    f(citing, cited, is_influential);
                }
            }
        }
        Ok(())
    }

    /// The database's string aggregate, and a character as its SQL (`char(28)`).
    fn joining(&self) -> (&'static str, impl Fn(char) -> String) {
        let (join, char_fn) = match &self.db {
            super::Db::Sqlite(_) => ("group_concat", "char"),
            super::Db::Postgres(_) => ("string_agg", "chr"),
        };
        (join, move |c: char| format!("{char_fn}({})", c as u32))
    }

    /// The edges from `(from, "")` on in the cited index's order (cited, then citing),
    /// up to cited paper `below` when given, a page of [`SCAN_PAGE`] edges at a time; each
    /// page one string, its edges in order.
    fn edge_pages(
        &self,
        from: String,
        below: Option<String>,
    ) -> impl futures::Stream<Item = Result<String, StoreError>> + Send + 'static {
        let store = self.clone();
        let (join, sql_char) = self.joining();
        let [yes, no, edge, end_of_id] = [INFLUENTIAL, NOT_INFLUENTIAL, PAPER_SEPARATOR, ID_END].map(sql_char);
        // The first page starts at its key, the others after the last edge read.
        let sql = |after: &str| {
            format!(
                "SELECT {join}(cited || {end_of_id} || citing || CASE WHEN is_influential THEN {yes} \
                 WHEN NOT is_influential THEN {no} ELSE '' END, {edge} ORDER BY cited, citing) FROM \
                 (SELECT cited, citing, is_influential FROM citations WHERE (cited, citing) {after} ($1, $2){} \
                  ORDER BY cited, citing LIMIT {SCAN_PAGE}) AS page",
                if below.is_some() { " AND cited < $3" } else { "" }
            )
        };
        let (first, next) = (sql(">="), sql(">"));
        futures::stream::try_unfold((from, String::new(), true), move |(cited, citing, starting)| {
            let (first, next, below, store) = (first.clone(), next.clone(), below.clone(), store.clone());
            async move {
                let sql = if starting { first } else { next };
                let page: Option<String> = on_db!(&store.db, pool => {
                    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(cited).bind(citing);
                    if let Some(below) = below {
                        q = q.bind(below);
                    }
                    q.fetch_one(pool).await.doing("reading citations")?
                });
                let Some(page) = page.filter(|p| !p.is_empty()) else {
                    return Ok(None);
                };
                // The next page starts after this one's last edge.
                let last = page.rsplit(PAPER_SEPARATOR).next().unwrap_or_default();
                let (cited, citing, _) = scanned(last)?;
                let after = (cited.to_owned(), citing.to_owned(), false);
                Ok(Some((page, after)))
            }
        })
    }
}

/// An edge's other end and S2's influential flag, as the database joined them.
fn flagged(item: &str) -> (&str, Option<bool>) {
    match item.strip_suffix(INFLUENTIAL) {
        Some(id) => (id, Some(true)),
        None => match item.strip_suffix(NOT_INFLUENTIAL) {
            Some(id) => (id, Some(false)),
            None => (item, None),
        },
    }
}

/// An edge of a scan: (cited, citing, influential).
fn scanned(item: &str) -> Result<(&str, &str, Option<bool>), StoreError> {
    let (cited, rest) = split_id(item, "an edge without its cited paper")?;
    let (citing, is_influential) = flagged(rest);
    Ok((cited, citing, is_influential))
}

/// A joined row split after its first id; `damage` names what a row without one is.
fn split_id<'a>(row: &'a str, damage: &str) -> Result<(&'a str, &'a str), StoreError> {
    row.split_once(ID_END).ok_or_else(|| StoreError::Corrupt {
        doing: "reading citations",
        reason: format!("{damage}: {:?}", row.chars().take(60).collect::<String>()),
    })
}

/// The edges are scanned when the ids are at least 1 / `SCAN_SHARE` of the stored
/// papers: a scan reads every edge, about three times as fast each as a look-up.
const SCAN_SHARE: i64 = 2;
/// Edges per page of a scan (about 4 MB as one string).
const SCAN_PAGE: usize = 50_000;

/// Between the edges of one paper as [`Store::look_up_edges`] reads them, and
/// after an id whose edge S2 calls influential or not; between the papers of a chunk
/// (and between the edges of a scan), and after each paper's own id (control
/// characters: never in a paper id).
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
            .for_each_edge_touching_by(&ids, false, |citing, cited, influential| {
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

        // A scan of every edge finds the same edges, each once, for the same ids and
        // for ids on one side of its split only (the scan splits at their middle id).
        for ids in [
            ids.clone(),
            vec!["a".to_owned()],
            vec!["y".to_owned()],
            vec!["x".to_owned()],
        ] {
            let (looked_up, scanned) = both_ways(&store, &ids).await;
            assert!(!scanned.is_empty(), "{ids:?}");
            assert_eq!(scanned, looked_up, "{ids:?}");
        }
    }

    /// An edge as the tests compare them: (citing, cited, influential).
    type Edge = (String, String, Option<bool>);

    /// The edges touching `ids`, sorted: looked up, then scanned.
    async fn both_ways(store: &crate::store::Store, ids: &[String]) -> (Vec<Edge>, Vec<Edge>) {
        let (mut looked_up, mut scanned) = (Vec::new(), Vec::new());
        for (scan, out) in [(false, &mut looked_up), (true, &mut scanned)] {
            store
                .for_each_edge_touching_by(ids, scan, |citing, cited, influential| {
                    out.push((citing.to_owned(), cited.to_owned(), influential));
                })
                .await
                .expect("edges");
            out.sort();
        }
        (looked_up, scanned)
    }

    #[tokio::test]
    async fn a_scan_reads_every_page_of_edges_and_splits_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::store::sqlite_store_in(dir.path()).await;
        let crate::store::Db::Sqlite(pool) = &store.db else {
            unreachable!("a sqlite url")
        };
        // More edges than a page, on both sides of the split, many into one paper (its
        // edges cross a page boundary), some between papers outside the ids.
        let n = super::SCAN_PAGE + 700;
        sqlx::query(
            "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < $1) \
             INSERT INTO citations (citing, cited, is_influential) \
             SELECT printf('p%06d', i), printf('p%06d', (i * 7919) % 1000), CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 END \
             FROM k",
        )
        .bind(i64::try_from(n).expect("small"))
        .execute(pool)
        .await
        .expect("insert");
        let ids: Vec<String> = (0..n).step_by(3).map(|i| format!("p{i:06}")).collect();
        let (looked_up, scanned) = both_ways(&store, &ids).await;
        assert!(scanned.len() > super::SCAN_PAGE / 3, "{}", scanned.len());
        assert!(scanned.windows(2).all(|w| w[0] != w[1]), "an edge came twice");
        assert_eq!(scanned, looked_up);
    }
}

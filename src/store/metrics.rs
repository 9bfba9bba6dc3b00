//! What the vault reads besides papers: each crawl's graph metrics, and which papers
//! have notes (for author notes and the bibliography).

use sqlx::AssertSqlSafe;

use super::bulk::{JsonRead, json_array};
use super::{Doing, IDS_PER_QUERY, Store, StoreError, on_db};

/// A paper's place in one crawl's graph.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MetricRow {
    /// The crawl.
    pub crawl_id: i64,
    /// The paper.
    pub paper_id: String,
    /// Its level in the crawl.
    pub depth: i64,
    /// Members of the crawl citing it.
    pub cited_in_crawl: i64,
    /// Members of the crawl it cites.
    pub cites_in_crawl: i64,
    /// PageRank in the crawl's graph.
    pub pagerank: f64,
    /// Rank by PageRank, 1 = most central.
    pub pagerank_rank: i64,
}

impl Store {
    /// Replaces a crawl's metrics.
    pub async fn save_metrics(&self, crawl_id: i64, rows: &[MetricRow]) -> Result<(), StoreError> {
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            sqlx::query("DELETE FROM crawl_metrics WHERE crawl_id = $1")
                .bind(crawl_id)
                .execute(&mut *tx)
                .await
                .doing("replacing crawl metrics")?;
            let sql = format!(
                "INSERT INTO crawl_metrics (crawl_id, paper_id, depth, cited_in_crawl, cites_in_crawl, pagerank, \
                 pagerank_rank) SELECT $2, column1, column2, column3, column4, column5, column6 FROM ({}) AS v",
                self.json_rows_select(1, &["text", "bigint", "bigint", "bigint", "float8", "bigint"])
            );
            for chunk in rows.chunks(IDS_PER_QUERY) {
                let chunk: Vec<_> = chunk
                    .iter()
                    .map(|r| (&r.paper_id, r.depth, r.cited_in_crawl, r.cites_in_crawl, r.pagerank, r.pagerank_rank))
                    .collect();
                sqlx::query(AssertSqlSafe(sql.as_str()))
                    .bind(json_array(&chunk))
                    .bind(crawl_id)
                    .execute(&mut *tx)
                    .await
                    .doing("storing crawl metrics")?;
            }
            tx.commit().await.doing("committing crawl metrics")
        })
    }

    /// The metrics of papers, in every crawl they belong to.
    pub async fn metrics_of(&self, ids: &[String]) -> Result<Vec<MetricRow>, StoreError> {
        self.metrics_where(ids, "").await
    }

    /// The metrics of papers in the crawls other than `crawl_id`: a render has that
    /// crawl's in hand, computed from its graph (read back, they were 100,000 rows at
    /// 100,000 papers, beside the claiming of names). Nothing is read when no other crawl
    /// has metrics.
    pub async fn metrics_besides(&self, ids: &[String], crawl_id: i64) -> Result<Vec<MetricRow>, StoreError> {
        let others: bool = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM crawl_metrics WHERE crawl_id <> $1)",
        )
        .bind(crawl_id)
        .fetch_one(pool)
        .await
        .doing("looking for other crawls' metrics")?);
        if !others {
            return Ok(Vec::new());
        }
        self.metrics_where(ids, &format!("AND crawl_id <> {crawl_id}")).await
    }

    /// The metrics of papers, in the order of their crawls, `and` a condition more.
    async fn metrics_where(&self, ids: &[String], and: &str) -> Result<Vec<MetricRow>, StoreError> {
        self.select_by_ids(
            ids,
            |set| {
                format!(
                    "SELECT crawl_id, paper_id, depth, cited_in_crawl, cites_in_crawl, pagerank, pagerank_rank \
                     FROM crawl_metrics WHERE paper_id IN ({set}) {and} ORDER BY crawl_id"
                )
            },
            "reading crawl metrics",
        )
        .await
    }

    /// Number of papers with metrics, per crawl.
    pub async fn metric_sizes(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_as("SELECT crawl_id, COUNT(*) FROM crawl_metrics GROUP BY crawl_id")
            .fetch_all(pool)
            .await
            .doing("counting crawl metrics"))
    }

    /// (author id, paper id) for the papers of these authors that have notes.
    pub async fn noted_papers_of_authors(&self, author_ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        // Before the first paper note (a new vault's first render) no author has one, and
        // the join would still walk every author's papers (0.5 s at 100,000 papers).
        let any: bool = on_db!(&self.db, pool => sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM notes WHERE note_key LIKE 'paper:%')",
        )
        .fetch_one(pool)
        .await
        .doing("looking for paper notes")?);
        if !any {
            return Ok(Vec::new());
        }
        self.select_json_by_ids(
            author_ids,
            &JsonRead {
                columns: "author_id, paper_id",
                order: None,
                from: &|set| {
                    format!(
                        "(SELECT DISTINCT pa.author_id, pa.paper_id FROM paper_authors pa \
                         JOIN notes n ON n.note_key = 'paper:' || pa.paper_id WHERE pa.author_id IN ({set})) AS d"
                    )
                },
                doing: "listing authors' papers",
            },
        )
        .await
    }

    /// Every paper that has a note, by id, in the order of their note keys.
    pub async fn noted_paper_ids(&self) -> Result<Vec<String>, StoreError> {
        let ids: Vec<(String,)> = self
            .select_json_all(&JsonRead {
                columns: "substr(note_key, 7)",
                order: Some("note_key"),
                from: &|_| "notes WHERE note_key LIKE 'paper:%'".to_owned(),
                doing: "listing papers with notes",
            })
            .await?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }
}

//! A crawl's stored graph analysis (computed by `graph::analysis`): similarity, clusters,
//! most similar papers, prior and derivative works, and the fingerprint of what it was
//! computed from.

mod similar_text;

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::AssertSqlSafe;

use super::bulk::json_array;
use super::{Db, Doing, IDS_PER_QUERY, Store, StoreError, on_db, rows_per_statement};
use similar_text::{similar_list, similar_text};

/// A member's place in the analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperAnalysis {
    /// Similarity to the nearest seed, 0–1 (a seed is 1).
    pub similarity: f64,
    /// Its cluster; `None` when unclustered (isolated, or in a community too small).
    pub cluster_id: Option<i64>,
}

/// A cluster of a crawl.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Stable across runs while most of its members stay.
    pub id: i64,
    /// What to show: the user's label, else the computed one.
    pub label: String,
    /// Its most distinctive terms joined (unique within the crawl).
    pub computed_label: String,
    /// The label the user set, if any.
    pub user_label: Option<String>,
    /// Most distinctive terms, best first.
    pub terms: Vec<String>,
    /// Its top paper by PageRank.
    pub top_paper: Option<String>,
    /// Members.
    pub size: i64,
    /// Members, best PageRank first.
    pub members: Vec<String>,
    /// Neighbouring clusters, closest first.
    pub neighbours: Vec<i64>,
}

/// A crawl's analysis as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CrawlAnalysis {
    /// What it was computed from (members, edges, texts, seeds).
    pub fingerprint: String,
    /// Times the crawl was analysed (an unchanged graph is not: this stays).
    pub runs: i64,
    /// The next fresh cluster id.
    pub next_cluster_id: i64,
    /// When it was last computed (unix seconds).
    pub analysed_at: i64,
    /// Each member's similarity and cluster.
    pub papers: HashMap<String, PaperAnalysis>,
    /// Each member's most similar members, best first, with the score (0–1); a paper id
    /// is shared by every list naming it (a million entries at 100,000 papers).
    pub similar: HashMap<String, Vec<(Arc<str>, f64)>>,
    /// Papers cited by the most members (any stored paper), with that count.
    pub prior: Vec<(String, f64)>,
    /// Papers citing the most members (any stored paper), with that count.
    pub derivative: Vec<(String, f64)>,
    /// Clusters, largest first.
    pub clusters: Vec<Cluster>,
}

impl CrawlAnalysis {
    /// The cluster with this id.
    pub fn cluster(&self, id: i64) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.id == id)
    }

    /// The label of a paper's cluster (`None` when unclustered or not a member).
    pub fn label_of(&self, paper_id: &str) -> Option<&str> {
        let id = self.papers.get(paper_id)?.cluster_id?;
        self.cluster(id).map(|c| c.label.as_str())
    }
}

/// What a new analysis keeps of the previous one: its run count, next fresh cluster id
/// and clusters (for their lasting ids and user labels).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PastAnalysis {
    /// Times the crawl was analysed.
    pub runs: i64,
    /// The next fresh cluster id.
    pub next_cluster_id: i64,
    /// Its clusters: id, the label the user set, members (in no particular order).
    pub clusters: Vec<(i64, Option<String>, Vec<String>)>,
}

/// Papers' text hashes summed: how many, and the sums of their low and high 32 bits
/// (each fits: 2^32 times any number of papers is far below 2^63).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextHashSums {
    /// Papers counted.
    pub count: i64,
    /// Sum of the hashes' low 32 bits.
    pub low: i64,
    /// Sum of the hashes' high 32 bits.
    pub high: i64,
}

impl TextHashSums {
    /// Counts one more paper's hash.
    pub fn add(&mut self, hash: i64) {
        self.count += 1;
        self.low = self.low.wrapping_add(hash & 0xffff_ffff);
        self.high = self.high.wrapping_add((hash >> 32) & 0xffff_ffff);
    }
}

#[derive(sqlx::FromRow)]
struct HeadRow {
    fingerprint: String,
    runs: i64,
    next_cluster_id: i64,
    analysed_at: i64,
}

#[derive(sqlx::FromRow)]
struct ClusterRow {
    cluster_id: i64,
    computed_label: String,
    user_label: Option<String>,
    terms: String,
    top_paper: Option<String>,
    size: i64,
    neighbours: String,
}

fn json<T: serde::de::DeserializeOwned>(text: &str, doing: &'static str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        doing,
        reason: e.to_string(),
    })
}

impl Store {
    /// The fingerprint of a crawl's stored analysis, if it has one.
    pub async fn analysis_fingerprint(&self, crawl_id: i64) -> Result<Option<String>, StoreError> {
        on_db!(&self.db, pool => sqlx::query_scalar("SELECT fingerprint FROM crawl_analysis WHERE crawl_id = $1")
            .bind(crawl_id)
            .fetch_optional(pool)
            .await
            .doing("reading the analysis fingerprint"))
    }

    /// What the next analysis of a crawl keeps of its stored one (`None` before its first):
    /// no similarity lists, scores or works are read.
    pub async fn past_analysis(&self, crawl_id: i64) -> Result<Option<PastAnalysis>, StoreError> {
        let head: Option<(i64, i64)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT runs, next_cluster_id FROM crawl_analysis WHERE crawl_id = $1",
        )
        .bind(crawl_id)
        .fetch_optional(pool)
        .await
        .doing("reading an analysis")?);
        let Some((runs, next_cluster_id)) = head else {
            return Ok(None);
        };
        let clusters: Vec<(i64, Option<String>)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT cluster_id, user_label FROM analysis_clusters WHERE crawl_id = $1 ORDER BY cluster_id",
        )
        .bind(crawl_id)
        .fetch_all(pool)
        .await
        .doing("reading clusters")?);
        let members: Vec<(String, i64)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT paper_id, cluster_id FROM analysis_papers WHERE crawl_id = $1 AND cluster_id IS NOT NULL",
        )
        .bind(crawl_id)
        .fetch_all(pool)
        .await
        .doing("reading clusters' members")?);
        let mut of: HashMap<i64, Vec<String>> = HashMap::new();
        for (paper, cluster) in members {
            of.entry(cluster).or_default().push(paper);
        }
        let clusters = clusters
            .into_iter()
            .map(|(id, label)| (id, label, of.remove(&id).unwrap_or_default()))
            .collect();
        Ok(Some(PastAnalysis {
            runs,
            next_cluster_id,
            clusters,
        }))
    }

    /// Replaces a crawl's analysis (its `runs` and `fingerprint` as given).
    pub async fn save_analysis(&self, crawl_id: i64, a: &CrawlAnalysis) -> Result<(), StoreError> {
        let mut cluster_rank: HashMap<&str, i64, hashbrown::DefaultHashBuilder> = HashMap::with_capacity_and_hasher(
            a.clusters.iter().map(|c| c.members.len()).sum(),
            hashbrown::DefaultHashBuilder::default(),
        );
        for c in &a.clusters {
            for (r, m) in c.members.iter().enumerate() {
                cluster_rank.insert(m.as_str(), r as i64 + 1);
            }
        }
        let mut papers: Vec<(&String, &PaperAnalysis)> = a.papers.iter().collect();
        papers.sort_by(|x, y| x.0.cmp(y.0));
        // A similar paper is stored as its place among these rows (see `similar_text`).
        let mut position: HashMap<&str, usize, hashbrown::DefaultHashBuilder> =
            HashMap::with_capacity_and_hasher(papers.len(), hashbrown::DefaultHashBuilder::default());
        position.extend(papers.iter().enumerate().map(|(i, (id, _))| (id.as_str(), i)));
        let empty = Vec::new();
        on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            for table in ["crawl_analysis", "analysis_papers", "analysis_works", "analysis_clusters"] {
                sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE crawl_id = $1")))
                    .bind(crawl_id)
                    .execute(&mut *tx)
                    .await
                    .doing("replacing an analysis")?;
            }
            sqlx::query(
                "INSERT INTO crawl_analysis (crawl_id, fingerprint, runs, next_cluster_id, analysed_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(crawl_id)
            .bind(a.fingerprint.clone())
            .bind(a.runs)
            .bind(a.next_cluster_id)
            .bind(a.analysed_at)
            .execute(&mut *tx)
            .await
            .doing("storing an analysis")?;
            let sql = format!(
                "INSERT INTO analysis_papers (crawl_id, paper_id, similarity, cluster_id, cluster_rank, similar_papers) \
                 SELECT $2, column1, column2, column3, column4, column5 FROM ({}) AS v",
                self.json_rows_select(1, &["text", "float8", "bigint", "bigint", "text"])
            );
            let rows = |chunk: &[(&String, &PaperAnalysis)]| {
                let rows: Vec<_> = chunk
                    .iter()
                    .map(|(id, p)| {
                        let similar = a.similar.get(*id).unwrap_or(&empty);
                        (
                            id.as_str(),
                            p.similarity,
                            p.cluster_id,
                            cluster_rank.get(id.as_str()).copied(),
                            similar_text(similar, |id| position.get(id).copied()),
                        )
                    })
                    .collect();
                json_array(&rows)
            };
            // Each statement's rows are made while the database stores the one before
            // (a render waits for this save: at 100,000 papers making them was half of it).
            let mut chunks = papers.chunks(IDS_PER_QUERY);
            let mut current = chunks.next().map(rows);
            while let Some(json) = current {
                let q = sqlx::query(AssertSqlSafe(sql.as_str())).bind(json).bind(crawl_id);
                let (stored, next) = tokio::join!(q.execute(&mut *tx), async { chunks.next().map(rows) });
                stored.doing("storing the papers' analysis")?;
                current = next;
            }
            let works: Vec<(&str, usize, &(String, f64))> = [("prior", &a.prior), ("derivative", &a.derivative)]
                .into_iter()
                .flat_map(|(kind, list)| list.iter().enumerate().map(move |(r, w)| (kind, r + 1, w)))
                .collect();
            for chunk in works.chunks(rows_per_statement(5)) {
                let sql = format!(
                    "INSERT INTO analysis_works (crawl_id, kind, rank, paper_id, score) VALUES {}",
                    self.placeholders(chunk.len(), 5)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (kind, rank, (id, score)) in chunk {
                    q = q.bind(crawl_id).bind(*kind).bind(*rank as i64).bind(id.clone()).bind(*score);
                }
                q.execute(&mut *tx).await.doing("storing prior and derivative works")?;
            }
            for chunk in a.clusters.chunks(rows_per_statement(8)) {
                let sql = format!(
                    "INSERT INTO analysis_clusters (crawl_id, cluster_id, computed_label, user_label, terms, top_paper, \
                     size, neighbours) VALUES {}",
                    self.placeholders(chunk.len(), 8)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for c in chunk {
                    q = q
                        .bind(crawl_id)
                        .bind(c.id)
                        .bind(c.computed_label.clone())
                        .bind(c.user_label.clone())
                        .bind(json_array(&c.terms))
                        .bind(c.top_paper.clone())
                        .bind(c.size)
                        .bind(json_array(&c.neighbours));
                }
                q.execute(&mut *tx).await.doing("storing clusters")?;
            }
            tx.commit().await.doing("committing an analysis")
        })
    }

    /// A crawl's stored analysis, `None` before its first.
    pub async fn analysis(&self, crawl_id: i64) -> Result<Option<CrawlAnalysis>, StoreError> {
        let head: Option<HeadRow> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT fingerprint, runs, next_cluster_id, analysed_at FROM crawl_analysis WHERE crawl_id = $1",
        )
        .bind(crawl_id)
        .fetch_optional(pool)
        .await
        .doing("reading an analysis")?);
        let Some(head) = head else { return Ok(None) };
        let papers: Vec<(String, f64, Option<i64>, String)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT paper_id, similarity, cluster_id, similar_papers FROM analysis_papers WHERE crawl_id = $1 \
             ORDER BY cluster_id, cluster_rank, paper_id",
        )
        .bind(crawl_id)
        .fetch_all(pool)
        .await
        .doing("reading the papers' analysis")?);
        let works: Vec<(String, String, f64)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT kind, paper_id, score FROM analysis_works WHERE crawl_id = $1 ORDER BY kind, rank",
        )
        .bind(crawl_id)
        .fetch_all(pool)
        .await
        .doing("reading prior and derivative works")?);
        let clusters: Vec<ClusterRow> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT cluster_id, computed_label, user_label, terms, top_paper, size, neighbours \
             FROM analysis_clusters WHERE crawl_id = $1 ORDER BY size DESC, cluster_id",
        )
        .bind(crawl_id)
        .fetch_all(pool)
        .await
        .doing("reading clusters")?);

        let mut out = CrawlAnalysis {
            fingerprint: head.fingerprint,
            runs: head.runs,
            next_cluster_id: head.next_cluster_id,
            analysed_at: head.analysed_at,
            ..CrawlAnalysis::default()
        };
        let mut members: HashMap<i64, Vec<String>> = HashMap::new();
        // The rows' ids in order: what the similar lists' positions count in.
        let mut ids: Vec<Arc<str>> = papers.iter().map(|row| Arc::from(row.0.as_str())).collect();
        ids.sort_unstable();
        for (id, similarity, cluster_id, similar) in papers {
            if let Some(c) = cluster_id {
                members.entry(c).or_default().push(id.clone());
            }
            let similar = similar_list(&similar, &ids).map_err(|reason| StoreError::Corrupt {
                doing: "reading similar papers",
                reason,
            })?;
            if !similar.is_empty() {
                out.similar.insert(id.clone(), similar);
            }
            out.papers.insert(id, PaperAnalysis { similarity, cluster_id });
        }
        for (kind, id, score) in works {
            match kind.as_str() {
                "prior" => out.prior.push((id, score)),
                "derivative" => out.derivative.push((id, score)),
                other => {
                    return Err(StoreError::Corrupt {
                        doing: "reading prior and derivative works",
                        reason: format!("unknown kind {other:?}"),
                    });
                }
            }
        }
        for c in clusters {
            out.clusters.push(Cluster {
                id: c.cluster_id,
                label: c.user_label.clone().unwrap_or_else(|| c.computed_label.clone()),
                computed_label: c.computed_label,
                user_label: c.user_label,
                terms: json(&c.terms, "reading cluster terms")?,
                top_paper: c.top_paper,
                size: c.size,
                members: members.remove(&c.cluster_id).unwrap_or_default(),
                neighbours: json(&c.neighbours, "reading neighbouring clusters")?,
            });
        }
        Ok(Some(out))
    }

    /// Renames a cluster as the user asked (`None` returns to the computed label); the
    /// name survives re-analysis while the cluster lasts. False when there is no such
    /// cluster.
    pub async fn set_cluster_label(
        &self,
        crawl_id: i64,
        cluster_id: i64,
        label: Option<&str>,
    ) -> Result<bool, StoreError> {
        let label = label.map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned);
        let done = on_db!(&self.db, pool => sqlx::query(
            "UPDATE analysis_clusters SET user_label = $1 WHERE crawl_id = $2 AND cluster_id = $3",
        )
        .bind(label)
        .bind(crawl_id)
        .bind(cluster_id)
        .execute(pool)
        .await
        .doing("renaming a cluster")?
        .rows_affected());
        Ok(done > 0)
    }
}

impl Store {
    /// The stored hashes of papers' titles and abstracts ([`super::paper_text_hash`]),
    /// summed in the database (one row a query, not one a paper), and the papers stored
    /// without one (written before hashes were kept).
    pub async fn text_hash_sums(&self, ids: &[String]) -> Result<(TextHashSums, Vec<String>), StoreError> {
        // SQLite looks ids up in the primary key's index, then in the table, unless told
        // to read the index that holds both columns (4× faster at 100,000 papers).
        let papers = match self.db {
            Db::Sqlite(_) => "papers INDEXED BY papers_text_hash",
            Db::Postgres(_) => "papers",
        };
        let parts: Vec<(i64, Option<i64>, Option<i64>)> = self
            .select_by_ids(
                ids,
                |set| {
                    format!(
                        "SELECT COUNT(text_hash), CAST(SUM(text_hash & 4294967295) AS BIGINT), \
                         CAST(SUM((text_hash >> 32) & 4294967295) AS BIGINT) \
                         FROM {papers} WHERE paper_id IN ({set})"
                    )
                },
                "summing text hashes",
            )
            .await?;
        let mut sums = TextHashSums::default();
        for (count, low, high) in parts {
            sums.count += count;
            sums.low = sums.low.wrapping_add(low.unwrap_or(0));
            sums.high = sums.high.wrapping_add(high.unwrap_or(0));
        }
        let unhashed: Vec<(String,)> = self
            .select_by_ids(
                ids,
                |set| format!("SELECT paper_id FROM {papers} WHERE paper_id IN ({set}) AND text_hash IS NULL"),
                "finding papers without a text hash",
            )
            .await?;
        Ok((sums, unhashed.into_iter().map(|(id,)| id).collect()))
    }

    /// Titles and abstracts of papers, for the analysis's cluster labels: (id, title,
    /// abstract), in no particular order.
    pub async fn paper_texts(&self, ids: &[String]) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
        self.select_json_by_ids(
            ids,
            &super::bulk::JsonRead {
                columns: "paper_id, title, abstract",
                order: None,
                from: &|set| format!("papers WHERE paper_id IN ({set})"),
                doing: "reading titles and abstracts",
            },
        )
        .await
    }
}

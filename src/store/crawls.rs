//! Crawls, their runs and their members.

use sqlx::AssertSqlSafe;

use crate::ids::S2Id;

use super::{CrawlStatus, Direction, Doing, Store, StoreError, on_db};

/// A seed of a new crawl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSeed {
    /// Its S2 id.
    pub paper_id: S2Id,
    /// The id as the user gave it.
    pub input: String,
    /// Its priority.
    pub priority: i64,
}

/// The key that names a crawl's seeds: the seed's id for one seed, `seeds:<sha-256 of
/// the sorted ids>` for several, so the same seeds (in any order) name the same crawl.
pub fn seed_key(seeds: &[S2Id]) -> String {
    let mut ids: Vec<&str> = seeds.iter().map(S2Id::as_str).collect();
    ids.sort_unstable();
    ids.dedup();
    match ids.as_slice() {
        [one] => (*one).to_owned(),
        many => {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(many.join(",").as_bytes());
            let hex = crate::hex::hex(&digest);
            format!("seeds:{hex}")
        }
    }
}

/// What a user asks for; the same parameters name the same crawl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCrawl {
    /// The seeds, in the order given (at least one).
    pub seeds: Vec<NewSeed>,
    /// How the crawl names its seeds (the ids as typed, or the library file).
    pub seed_input: String,
    /// Levels beyond the seed.
    pub depth: i64,
    /// Which way to grow.
    pub direction: Direction,
    /// Most papers in the crawl; 0 = no budget.
    pub max_papers: i64,
    /// Whether to summarize the crawl's papers.
    pub summarize: bool,
}

/// A stored crawl.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Crawl {
    /// Id.
    pub crawl_id: i64,
    /// The seed key (see [`seed_key`]).
    #[sqlx(rename = "seed_id")]
    pub seed_key: String,
    /// The seeds, in the order given.
    #[sqlx(skip)]
    pub seeds: Vec<S2Id>,
    /// Seed as typed.
    pub seed_input: String,
    /// Depth.
    pub depth: i64,
    /// Which way it grows (a stored value refnet did not write is a corruption error).
    pub direction: Direction,
    /// Budget (0 = none).
    pub max_papers: i64,
    /// Summaries wanted.
    pub summarize: bool,
    /// Current run.
    pub run: i64,
    /// Where its current run is.
    pub status: CrawlStatus,
    /// Papers fetched before this (unix seconds) are fetched again in this run.
    pub fetch_cutoff: i64,
    /// Why the run failed.
    pub error: Option<String>,
    /// Created (unix seconds).
    pub created_at: i64,
    /// Current run started.
    pub run_started_at: i64,
    /// When the last run's levels were all fetched.
    pub finished_at: Option<i64>,
    /// The last run whose levels are all fetched (its summaries and render may still run).
    pub fetched_run: Option<i64>,
}

impl Crawl {
    /// The first seed (every crawl has one).
    pub fn seed(&self) -> Option<&S2Id> {
        self.seeds.first()
    }

    /// Whether the current run has fetched all its levels.
    pub fn fetched(&self) -> bool {
        self.fetched_run == Some(self.run)
    }
}

pub(super) const CRAWL_COLUMNS: &str = "crawl_id, seed_id, seed_input, depth, direction, max_papers, summarize, run, status, \
fetch_cutoff, error, created_at, run_started_at, finished_at, fetched_run";

impl Store {
    /// Finds the crawl with these parameters (or creates it), starts a new run of it with
    /// the given fetch cutoff, and makes sure its seeds are members at level 0.
    pub async fn begin_run(&self, new: &NewCrawl, cutoff: i64, now: i64) -> Result<Crawl, StoreError> {
        let ids: Vec<S2Id> = new.seeds.iter().map(|s| s.paper_id.clone()).collect();
        let key = seed_key(&ids);
        let crawl: Crawl = on_db!(&self.db, pool => {
            let mut tx = pool.begin().await.doing("starting a transaction")?;
            let sql = format!(
                "INSERT INTO crawls (seed_id, seed_input, depth, direction, max_papers, summarize, run, status, \
                 fetch_cutoff, created_at, run_started_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 1, 'running', $7, $8, $8) \
                 ON CONFLICT (seed_id, depth, direction, max_papers) DO UPDATE SET \
                 run = crawls.run + 1, status = 'running', fetch_cutoff = excluded.fetch_cutoff, \
                 seed_input = excluded.seed_input, summarize = excluded.summarize, error = NULL, \
                 run_started_at = excluded.run_started_at \
                 RETURNING {CRAWL_COLUMNS}"
            );
            let crawl: Crawl = sqlx::query_as(AssertSqlSafe(sql))
                .bind(key.clone())
                .bind(new.seed_input.clone())
                .bind(new.depth)
                .bind(new.direction.as_str())
                .bind(new.max_papers)
                .bind(new.summarize)
                .bind(cutoff)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .doing("starting a crawl")?;
            for (position, seed) in new.seeds.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO crawl_members (crawl_id, paper_id, depth, priority, added_run) \
                     VALUES ($1, $2, 0, $3, $4) ON CONFLICT (crawl_id, paper_id) DO NOTHING",
                )
                .bind(crawl.crawl_id)
                .bind(seed.paper_id.to_string())
                .bind(seed.priority)
                .bind(crawl.run)
                .execute(&mut *tx)
                .await
                .doing("adding a seed")?;
                sqlx::query(
                    "INSERT INTO crawl_seeds (crawl_id, paper_id, input, position) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (crawl_id, paper_id) DO UPDATE SET input = excluded.input, position = excluded.position",
                )
                .bind(crawl.crawl_id)
                .bind(seed.paper_id.to_string())
                .bind(seed.input.clone())
                .bind(position as i64)
                .execute(&mut *tx)
                .await
                .doing("recording a seed")?;
            }
            tx.commit().await.doing("committing a new crawl")?;
            crawl
        });
        Ok(self.with_seeds(vec![crawl]).await?.remove(0))
    }

    /// Starts a new run of an existing crawl (a refresh) with the given fetch cutoff.
    pub async fn begin_refresh(&self, crawl_id: i64, cutoff: i64, now: i64) -> Result<Option<Crawl>, StoreError> {
        let sql = format!(
            "UPDATE crawls SET run = run + 1, status = 'running', fetch_cutoff = $1, error = NULL, \
             run_started_at = $2 WHERE crawl_id = $3 RETURNING {CRAWL_COLUMNS}"
        );
        let crawl: Option<Crawl> = on_db!(&self.db, pool => sqlx::query_as(AssertSqlSafe(sql))
            .bind(cutoff)
            .bind(now)
            .bind(crawl_id)
            .fetch_optional(pool)
            .await
            .doing("starting a refresh")?);
        self.one_with_seeds(crawl).await
    }

    /// The crawl with these seeds and parameters, if there is one.
    pub async fn find_crawl(
        &self,
        seeds: &[S2Id],
        depth: i64,
        direction: Direction,
        max_papers: i64,
    ) -> Result<Option<Crawl>, StoreError> {
        let sql = format!(
            "SELECT {CRAWL_COLUMNS} FROM crawls WHERE seed_id = $1 AND depth = $2 AND direction = $3 AND max_papers = $4"
        );
        let crawl: Option<Crawl> = on_db!(&self.db, pool => sqlx::query_as(AssertSqlSafe(sql))
            .bind(seed_key(seeds))
            .bind(depth)
            .bind(direction.as_str())
            .bind(max_papers)
            .fetch_optional(pool)
            .await
            .doing("finding a crawl")?);
        self.one_with_seeds(crawl).await
    }

    /// A crawl read on its own, with its seeds.
    pub(super) async fn one_with_seeds(&self, crawl: Option<Crawl>) -> Result<Option<Crawl>, StoreError> {
        match crawl {
            Some(c) => Ok(self.with_seeds(vec![c]).await?.pop()),
            None => Ok(None),
        }
    }

    /// Crawls with their seeds filled in (in the order given).
    pub(super) async fn with_seeds(&self, mut crawls: Vec<Crawl>) -> Result<Vec<Crawl>, StoreError> {
        if crawls.is_empty() {
            return Ok(crawls);
        }
        let rows: Vec<(i64, String)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT crawl_id, paper_id FROM crawl_seeds ORDER BY crawl_id, position",
        )
        .fetch_all(pool)
        .await
        .doing("reading crawl seeds")?);
        let mut by_crawl: std::collections::HashMap<i64, Vec<S2Id>> = std::collections::HashMap::new();
        for (crawl_id, paper_id) in rows {
            let id = paper_id.parse().map_err(|e: crate::ids::BadS2Id| StoreError::Corrupt {
                doing: "reading crawl seeds",
                reason: e.to_string(),
            })?;
            by_crawl.entry(crawl_id).or_default().push(id);
        }
        for c in &mut crawls {
            c.seeds = by_crawl.remove(&c.crawl_id).unwrap_or_default();
        }
        Ok(crawls)
    }

    /// A crawl by id.
    pub async fn crawl(&self, crawl_id: i64) -> Result<Option<Crawl>, StoreError> {
        let sql = format!("SELECT {CRAWL_COLUMNS} FROM crawls WHERE crawl_id = $1");
        let crawl: Option<Crawl> = on_db!(&self.db, pool => sqlx::query_as(AssertSqlSafe(sql))
            .bind(crawl_id)
            .fetch_optional(pool)
            .await
            .doing("reading a crawl")?);
        self.one_with_seeds(crawl).await
    }

    /// Every crawl, newest first.
    pub async fn crawls(&self) -> Result<Vec<Crawl>, StoreError> {
        let sql = format!("SELECT {CRAWL_COLUMNS} FROM crawls ORDER BY crawl_id DESC");
        let crawls: Vec<Crawl> = on_db!(&self.db, pool => sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .doing("listing crawls")?);
        self.with_seeds(crawls).await
    }

    /// Records that a run has fetched all its levels (it keeps running while its
    /// summaries and render do).
    pub async fn mark_fetched(&self, crawl_id: i64, run: i64, now: i64) -> Result<(), StoreError> {
        on_db!(&self.db, pool => sqlx::query(
            "UPDATE crawls SET fetched_run = $3, finished_at = $1 WHERE crawl_id = $2 AND run = $3",
        )
        .bind(now)
        .bind(crawl_id)
        .bind(run)
        .execute(pool)
        .await
        .map(|_| ())
        .doing("recording a fetched crawl"))
    }

    /// Ends a run whose work is all done: `done`, or `done with failures` when some of its
    /// jobs died (only if it is still the current run and has not failed).
    pub async fn finish_run(&self, crawl_id: i64, run: i64, with_failures: bool) -> Result<(), StoreError> {
        let status = if with_failures {
            CrawlStatus::DoneWithFailures
        } else {
            CrawlStatus::Done
        };
        on_db!(&self.db, pool => sqlx::query(
            "UPDATE crawls SET status = $1, error = NULL WHERE crawl_id = $2 AND run = $3 AND status = 'running'",
        )
        .bind(status.as_str())
        .bind(crawl_id)
        .bind(run)
        .execute(pool)
        .await
        .map(|_| ())
        .doing("finishing a crawl"))
    }

    /// Cancels a crawl's current run if it is running: the crawl as it now is, `None`
    /// when there is no such crawl. Its waiting jobs are removed by the caller
    /// ([`Store::remove_waiting_jobs`]); it stays cancelled until a new run starts.
    pub async fn cancel_run(&self, crawl_id: i64) -> Result<Option<Crawl>, StoreError> {
        on_db!(&self.db, pool => sqlx::query(
            "UPDATE crawls SET status = 'cancelled', error = NULL WHERE crawl_id = $1 AND status = 'running'",
        )
        .bind(crawl_id)
        .execute(pool)
        .await
        .map(|_| ())
        .doing("cancelling a crawl")?);
        self.crawl(crawl_id).await
    }

    /// Marks a run failed with the reason (only if it is still the current run and was
    /// not cancelled).
    pub async fn fail_run(&self, crawl_id: i64, run: i64, error: &str) -> Result<(), StoreError> {
        on_db!(&self.db, pool => sqlx::query(
            "UPDATE crawls SET status = 'failed', error = $1 WHERE crawl_id = $2 AND run = $3 AND status <> 'cancelled'",
        )
        .bind(error.to_owned())
        .bind(crawl_id)
        .bind(run)
        .execute(pool)
        .await
        .map(|_| ())
        .doing("recording a failed crawl"))
    }
}

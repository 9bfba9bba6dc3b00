//! Refreshing crawls, by hand (`refnet refresh`, `POST /api/refresh`) or on a schedule
//! (`refnet serve`).
//!
//! A refresh is a new run of a crawl whose fetch cutoff is its start: every member is
//! fetched again (in batches), new papers within the crawl's depth and budget join it,
//! counts are updated, the new papers are summarized, and the render rewrites only the
//! notes that changed and writes a what's-new note. The counts the refresh started from
//! are kept so the note can say what moved.
//!
//! Every replica of `refnet serve` runs the scheduler, and none is the leader: each one
//! that fires claims the occurrence in the database (one row per schedule and time), and
//! only the one whose claim goes in starts the refresh.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};
use tokio_cron_scheduler::{Job as CronJob, JobScheduler};
use tracing::{error, info, warn};

use crate::context::Context;
use crate::crawl::{self, CrawlError};
use crate::store::{StoreError, now};

/// What asking for a refresh of one crawl did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RefreshStart {
    /// A new run started.
    Started {
        /// The crawl.
        crawl_id: i64,
        /// The refresh's run.
        run: i64,
    },
    /// The crawl's current run still has jobs to do; nothing started.
    Busy {
        /// The crawl.
        crawl_id: i64,
        /// The run still going.
        run: i64,
    },
    /// No such crawl.
    Missing {
        /// The id asked for.
        crawl_id: i64,
    },
}

/// Starts a refresh of one crawl, unless its current run is still going.
pub async fn refresh_crawl(ctx: &Context, crawl_id: i64, trigger: &str) -> Result<RefreshStart, CrawlError> {
    let run = crawl::Run::Refresh { crawl_id, trigger };
    match crawl::start(ctx, run, crawl::IfRunning::Join).await {
        Ok(crawl::Start::Started(crawl)) => {
            info!(crawl_id, run = crawl.run, trigger, "refresh started");
            Ok(RefreshStart::Started {
                crawl_id,
                run: crawl.run,
            })
        }
        Ok(crawl::Start::AlreadyRunning(crawl)) => Ok(RefreshStart::Busy {
            crawl_id,
            run: crawl.run,
        }),
        Err(CrawlError::Gone(_)) => Ok(RefreshStart::Missing { crawl_id }),
        Err(e) => Err(e),
    }
}

/// Starts a refresh of every crawl (oldest first).
pub async fn refresh_all(ctx: &Context, trigger: &str) -> Result<Vec<RefreshStart>, CrawlError> {
    let mut ids: Vec<i64> = ctx.store.crawls().await?.into_iter().map(|c| c.crawl_id).collect();
    ids.sort_unstable();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(refresh_crawl(ctx, id, trigger).await?);
    }
    Ok(out)
}

/// A cron schedule: six fields (seconds first) or the classic five, in UTC.
#[derive(Debug, Clone)]
pub struct Schedule {
    text: String,
    cron: Cron,
}

impl Schedule {
    /// Parses a schedule; five fields get a `0` seconds field in front.
    pub fn parse(expr: &str) -> Result<Self, String> {
        let fields = expr.split_whitespace().count();
        let text = match fields {
            5 => format!("0 {}", expr.trim()),
            6 | 7 => expr.split_whitespace().collect::<Vec<_>>().join(" "),
            _ => {
                return Err(format!(
                    "refresh schedule {expr:?} has {fields} fields: give 5 (minute hour day month weekday) or 6 (seconds first), e.g. \"0 0 3 * * *\""
                ));
            }
        };
        let cron = CronParser::builder()
            .seconds(Seconds::Required)
            .dom_and_dow(true)
            .build()
            .parse(&text)
            .map_err(|e| format!("refresh schedule {expr:?} is not a cron expression ({e}), e.g. \"0 0 3 * * *\""))?;
        Ok(Self { text, cron })
    }

    /// The six-or-seven-field form the scheduler takes.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The occurrence a firing at `at` belongs to: the latest one at or before it. Every
    /// replica firing for the same occurrence gets the same answer, even with clocks a
    /// little apart.
    pub fn occurrence(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_previous_occurrence(&at, true).ok()
    }

    /// The next occurrence after `at`.
    pub fn next_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&at, false).ok()
    }
}

/// The claim key of an occurrence.
fn slot(occurrence: DateTime<Utc>) -> String {
    occurrence.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What one firing of the schedule did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fired {
    /// This process claimed the occurrence and started the refreshes.
    Ran(Vec<RefreshStart>),
    /// Another process had claimed it.
    Claimed,
}

/// One firing of the refresh schedule at `at`: claim the occurrence, and refresh every
/// crawl if the claim went in.
pub async fn fire(ctx: &Context, schedule: &Schedule, owner: &str, at: DateTime<Utc>) -> Result<Fired, CrawlError> {
    let Some(occurrence) = schedule.occurrence(at) else {
        return Ok(Fired::Claimed);
    };
    if !ctx.store.claim_slot("refresh", &slot(occurrence), owner, now()).await? {
        info!(occurrence = %slot(occurrence), "another replica runs this refresh");
        return Ok(Fired::Claimed);
    }
    Ok(Fired::Ran(refresh_all(ctx, "schedule").await?))
}

/// The daily housekeeping: finished and dead jobs past the retention, and workers gone
/// as long, deleted once per day across replicas.
pub async fn prune(ctx: &Context, owner: &str, at: DateTime<Utc>) -> Result<Option<(u64, u64)>, StoreError> {
    let day = at.date_naive().to_string();
    if !ctx.store.claim_slot("prune", &day, owner, now()).await? {
        return Ok(None);
    }
    let before = now() - ctx.settings.queue.retention.as_secs() as i64;
    let jobs = ctx.store.prune_jobs(before).await?;
    let workers = ctx.store.prune_workers(before).await?;
    ctx.store.prune_worker_info().await?;
    let samples = ctx
        .store
        .prune_samples(now() - crate::store::SAMPLES_KEPT_DAYS * 86_400)
        .await?;
    info!(
        jobs,
        workers, samples, "pruned finished jobs, departed workers and old queue samples"
    );
    Ok(Some((jobs, workers)))
}

/// When the daily housekeeping runs (UTC).
const PRUNE_CRON: &str = "0 17 4 * * *";

/// Starts the scheduler of `refnet serve`: the refresh on its schedule and the daily
/// prune. Stop it with [`JobScheduler::shutdown`].
pub async fn start_scheduler(ctx: Arc<Context>, owner: String) -> anyhow::Result<JobScheduler> {
    let schedule = Arc::new(Schedule::parse(&ctx.settings.serve.refresh_cron).map_err(anyhow::Error::msg)?);
    let scheduler = JobScheduler::new().await?;
    let owner = Arc::new(owner);
    let refresh = {
        let (ctx, schedule, owner) = (ctx.clone(), schedule.clone(), owner.clone());
        let text = schedule.as_str().to_owned();
        CronJob::new_async_tz(text, Utc, move |_, _| {
            let (ctx, schedule, owner) = (ctx.clone(), schedule.clone(), owner.clone());
            Box::pin(async move {
                match fire(&ctx, &schedule, &owner, Utc::now()).await {
                    Ok(Fired::Ran(started)) => info!(crawls = started.len(), "scheduled refresh"),
                    Ok(Fired::Claimed) => {}
                    Err(e) => error!(error = %e, "scheduled refresh failed; the next occurrence tries again"),
                }
            })
        })?
    };
    scheduler.add(refresh).await?;
    let housekeeping = CronJob::new_async_tz(PRUNE_CRON, Utc, move |_, _| {
        let (ctx, owner) = (ctx.clone(), owner.clone());
        Box::pin(async move {
            if let Err(e) = prune(&ctx, &owner, Utc::now()).await {
                warn!(error = %e, "pruning failed; tomorrow's tries again");
            }
        })
    })?;
    scheduler.add(housekeeping).await?;
    scheduler.start().await?;
    if let Some(next) = schedule.next_after(Utc::now()) {
        info!(schedule = schedule.as_str(), next = %slot(next), "refresh scheduled");
    }
    Ok(scheduler)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn five_fields_get_seconds_and_bad_schedules_name_the_fix() {
        assert_eq!(Schedule::parse("30 2 * * *").expect("five").as_str(), "0 30 2 * * *");
        assert_eq!(Schedule::parse(" 0  0 3 * * * ").expect("six").as_str(), "0 0 3 * * *");
        let err = Schedule::parse("nightly").expect_err("one field");
        assert!(err.contains("give 5"), "{err}");
        let err = Schedule::parse("0 0 25 * * *").expect_err("hour 25");
        assert!(err.contains("not a cron expression"), "{err}");
    }

    #[test]
    fn replicas_firing_for_one_occurrence_agree_on_it() {
        let nightly = Schedule::parse("0 0 3 * * *").expect("parses");
        let early = nightly.occurrence(at("2026-11-22T03:00:00Z")).expect("occurrence");
        let late = nightly.occurrence(at("2026-11-22T03:00:04.700Z")).expect("occurrence");
        assert_eq!(slot(early), "2026-11-22T03:00:00Z");
        assert_eq!(slot(early), slot(late));
        let next = nightly.next_after(at("2026-11-22T03:00:00Z")).expect("next");
        assert_eq!(slot(next), "2026-11-23T03:00:00Z");
        let every_two = Schedule::parse("*/2 * * * * *").expect("parses");
        assert_eq!(
            slot(every_two.occurrence(at("2026-11-22T10:00:03.2Z")).expect("occurrence")),
            "2026-11-22T10:00:02Z"
        );
    }
}

//! `/metrics` in the Prometheus text format (version 0.0.4), written by prometheus-client.
//!
//! Queue depths, the age of the oldest pending job and live workers come from the
//! database at each scrape, so every replica reports the same, whole-cluster numbers
//! (what an autoscaler reads); job outcomes, durations, API calls and tokens are this
//! process's own counters ([`Counters`]).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::metrics::Counters;
use crate::stage::Stage;
use crate::store::{OldestPending, QueueDepth, WorkerSeen};

/// The content type of the text format.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// What the database says at scrape time.
#[derive(Debug, Clone, Default)]
pub struct ClusterState {
    /// Counts per queue.
    pub depths: Vec<QueueDepth>,
    /// The oldest claimable job per queue (queues without one are absent).
    pub oldest: Vec<OldestPending>,
    /// Workers with a recent heartbeat.
    pub workers: Vec<WorkerSeen>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabel {
    queue: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueStateLabels {
    queue: String,
    state: &'static str,
}

/// The gauges read from the database, in a registry of their own made for one scrape.
fn cluster_registry(cluster: &ClusterState) -> Registry {
    let mut registry = Registry::default();
    let jobs = Family::<QueueStateLabels, Gauge>::default();
    for d in &cluster.depths {
        for (state, n) in [
            ("pending", d.pending),
            ("scheduled", d.scheduled),
            ("running", d.running),
            ("retrying", d.retrying),
            ("dead", d.dead),
            ("done", d.done),
        ] {
            jobs.get_or_create(&QueueStateLabels {
                queue: d.queue.clone(),
                state,
            })
            .set(n);
        }
    }
    registry.register(
        "refnet_queue_jobs",
        "Jobs per queue and state, across every process sharing the database (pending = due now)",
        jobs,
    );
    let oldest = Family::<QueueLabel, Gauge>::default();
    for stage in Stage::ALL {
        oldest.get_or_create(&queue(stage.queue())).set(0);
    }
    for o in &cluster.oldest {
        oldest.get_or_create(&queue(&o.queue)).set(o.age_seconds.max(0));
    }
    registry.register(
        "refnet_queue_oldest_pending_seconds",
        "Age of the oldest job per queue that is due and waits for a worker, across every process (0 when none)",
        oldest,
    );
    let workers = Family::<QueueLabel, Gauge>::default();
    for stage in Stage::ALL {
        let n = cluster.workers.iter().filter(|w| w.queue == stage.queue()).count();
        workers
            .get_or_create(&queue(stage.queue()))
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    registry.register(
        "refnet_workers",
        "Worker processes per queue with a recent heartbeat",
        workers,
    );
    registry
}

fn queue(name: &str) -> QueueLabel {
    QueueLabel { queue: name.to_owned() }
}

/// The whole exposition: the cluster's gauges, then this process's counters.
pub fn render(counters: &Counters, cluster: &ClusterState) -> String {
    let mut out = String::with_capacity(8 * 1024);
    // Writing to a String cannot fail; the encoder only passes on the writer's errors.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &cluster_registry(cluster));
    let _ = counters.encode(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, want: &str) -> bool {
        text.lines().any(|l| l == want)
    }

    #[test]
    fn every_queue_state_and_stage_is_exposed() {
        let counters = Counters::default();
        counters.s2_requests.inc_by(7);
        counters.jobs(Stage::Render).done.inc();
        counters.jobs(Stage::Render).duration.observe(0.03);
        let cluster = ClusterState {
            depths: vec![QueueDepth {
                queue: "summarize".to_owned(),
                pending: 12,
                ..QueueDepth::default()
            }],
            oldest: vec![OldestPending {
                queue: "summarize".to_owned(),
                age_seconds: 95,
            }],
            workers: Vec::new(),
        };
        let text = render(&counters, &cluster);
        for want in [
            "refnet_queue_jobs{queue=\"summarize\",state=\"pending\"} 12",
            "refnet_s2_requests_total 7",
            "refnet_jobs_total{queue=\"render\",outcome=\"done\"} 1",
            "refnet_job_duration_seconds_bucket{queue=\"render\",le=\"0.05\"} 1",
            "refnet_job_duration_seconds_bucket{queue=\"render\",le=\"0.025\"} 0",
            "refnet_job_duration_seconds_bucket{queue=\"render\",le=\"+Inf\"} 1",
            "refnet_workers{queue=\"crawl\"} 0",
            "refnet_queue_oldest_pending_seconds{queue=\"summarize\"} 95",
            "refnet_queue_oldest_pending_seconds{queue=\"crawl\"} 0",
            "refnet_queue_oldest_pending_seconds{queue=\"render\"} 0",
            "# TYPE refnet_queue_oldest_pending_seconds gauge",
            "# TYPE refnet_jobs_total counter",
            "# TYPE refnet_build_info gauge",
        ] {
            assert!(line(&text, want), "{want} missing from:\n{text}");
        }
        assert!(!text.contains("stage="), "one label name per dimension: {text}");
    }

    #[test]
    fn label_values_are_escaped() {
        let cluster = ClusterState {
            depths: vec![QueueDepth {
                queue: "we\"ird\\queue\nname".to_owned(),
                dead: 3,
                ..QueueDepth::default()
            }],
            ..ClusterState::default()
        };
        let text = render(&Counters::default(), &cluster);
        assert!(
            line(
                &text,
                r#"refnet_queue_jobs{queue="we\"ird\\queue\nname",state="dead"} 3"#
            ),
            "{text}"
        );
        assert!(
            text.lines().all(|l| !l.starts_with("name")),
            "a newline in a label value does not break the line: {text}"
        );
    }
}

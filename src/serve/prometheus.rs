//! `/metrics` in the Prometheus text format (version 0.0.4).
//!
//! Queue depths and live workers come from the database, so every replica reports the
//! same, whole-cluster numbers (what an autoscaler reads); job outcomes, durations and
//! API calls are this process's own counters.

use std::fmt::Write;

use crate::metrics::{Counter, Counters};
use crate::stage::Stage;
use crate::store::{QueueDepth, WorkerSeen};

/// The content type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn counter(out: &mut String, name: &str, help: &str, value: &Counter) {
    family(out, name, "counter", help);
    let _ = writeln!(out, "{name} {}", value.get());
}

/// Formats a bucket bound the way Prometheus clients do (`0.5`, `1.0`, `600.0`).
fn bound(value: f64) -> String {
    let text = value.to_string();
    if text.contains('.') { text } else { format!("{text}.0") }
}

/// The whole exposition.
pub fn render(counters: &Counters, depths: &[QueueDepth], workers: &[WorkerSeen]) -> String {
    let mut out = String::with_capacity(8 * 1024);
    family(
        &mut out,
        "refnet_queue_jobs",
        "gauge",
        "Jobs per queue and state, across every process sharing the database (pending = due now).",
    );
    for d in depths {
        for (state, n) in [
            ("pending", d.pending),
            ("scheduled", d.scheduled),
            ("running", d.running),
            ("retrying", d.retrying),
            ("dead", d.dead),
            ("done", d.done),
        ] {
            let _ = writeln!(out, "refnet_queue_jobs{{queue=\"{}\",state=\"{state}\"}} {n}", d.queue);
        }
    }
    family(
        &mut out,
        "refnet_workers",
        "gauge",
        "Worker processes per queue with a recent heartbeat.",
    );
    for stage in Stage::ALL {
        let n = workers.iter().filter(|w| w.queue == stage.queue()).count();
        let _ = writeln!(out, "refnet_workers{{queue=\"{}\"}} {n}", stage.queue());
    }
    family(
        &mut out,
        "refnet_jobs_total",
        "counter",
        "Jobs this process finished, by stage and outcome (retried = failed, to run again).",
    );
    for stage in Stage::ALL {
        let m = counters.jobs(stage);
        for (outcome, c) in [("done", &m.done), ("retried", &m.retried), ("dead", &m.dead)] {
            let _ = writeln!(
                out,
                "refnet_jobs_total{{stage=\"{}\",outcome=\"{outcome}\"}} {}",
                stage.queue(),
                c.get()
            );
        }
    }
    family(
        &mut out,
        "refnet_job_duration_seconds",
        "histogram",
        "Run time of the jobs this process ran, by stage.",
    );
    for stage in Stage::ALL {
        let s = counters.jobs(stage).duration.snapshot();
        let q = stage.queue();
        for (le, n) in &s.buckets {
            let _ = writeln!(
                out,
                "refnet_job_duration_seconds_bucket{{stage=\"{q}\",le=\"{}\"}} {n}",
                bound(*le)
            );
        }
        let _ = writeln!(
            out,
            "refnet_job_duration_seconds_bucket{{stage=\"{q}\",le=\"+Inf\"}} {}",
            s.count
        );
        let _ = writeln!(out, "refnet_job_duration_seconds_sum{{stage=\"{q}\"}} {}", s.sum);
        let _ = writeln!(out, "refnet_job_duration_seconds_count{{stage=\"{q}\"}} {}", s.count);
    }
    for (name, help, value) in [
        (
            "refnet_s2_requests_total",
            "Requests sent to Semantic Scholar (retries included).",
            &counters.s2_requests,
        ),
        (
            "refnet_s2_throttled_total",
            "429 answers from Semantic Scholar.",
            &counters.s2_throttled,
        ),
        (
            "refnet_s2_failures_total",
            "5xx answers and transport failures from Semantic Scholar.",
            &counters.s2_failures,
        ),
        (
            "refnet_papers_fetched_total",
            "Full paper records fetched.",
            &counters.papers_fetched,
        ),
        (
            "refnet_llm_calls_total",
            "Chat-completion requests sent to the LLM.",
            &counters.llm_calls,
        ),
        (
            "refnet_llm_throttled_total",
            "429 answers from the LLM.",
            &counters.llm_throttled,
        ),
        (
            "refnet_pdf_downloads_total",
            "Open-access PDFs downloaded.",
            &counters.pdf_downloads,
        ),
        (
            "refnet_summaries_written_total",
            "Summaries made (not served from the cache).",
            &counters.summaries_written,
        ),
        (
            "refnet_notes_written_total",
            "Note files created or changed.",
            &counters.notes_written,
        ),
        (
            "refnet_notes_unchanged_total",
            "Note files left alone because nothing changed.",
            &counters.notes_unchanged,
        ),
    ] {
        counter(&mut out, name, help, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_queue_state_and_stage_is_exposed() {
        let counters = Counters::default();
        counters.s2_requests.add(7);
        counters.jobs(Stage::Render).done.inc();
        counters
            .jobs(Stage::Render)
            .duration
            .observe(std::time::Duration::from_millis(30));
        let depths = vec![QueueDepth {
            queue: "summarize".to_owned(),
            pending: 12,
            ..QueueDepth::default()
        }];
        let text = render(&counters, &depths, &[]);
        assert!(text.contains("refnet_queue_jobs{queue=\"summarize\",state=\"pending\"} 12\n"));
        assert!(text.contains("refnet_s2_requests_total 7\n"));
        assert!(text.contains("refnet_jobs_total{stage=\"render\",outcome=\"done\"} 1\n"));
        assert!(text.contains("refnet_job_duration_seconds_bucket{stage=\"render\",le=\"0.05\"} 1\n"));
        assert!(text.contains("refnet_job_duration_seconds_bucket{stage=\"render\",le=\"0.025\"} 0\n"));
        assert!(text.contains("refnet_job_duration_seconds_bucket{stage=\"render\",le=\"+Inf\"} 1\n"));
        assert!(text.contains("refnet_workers{queue=\"crawl\"} 0\n"));
        assert_eq!(bound(600.0), "600.0");
        assert_eq!(bound(0.005), "0.005");
    }
}

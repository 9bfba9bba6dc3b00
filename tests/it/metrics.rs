//! `/metrics`: the whole exposition is valid Prometheus text (version 0.0.4), and after a
//! crawl it carries every series refnet promises, the cluster-wide ones (read from the
//! database at scrape time) and this process's own.

use std::collections::{HashMap, HashSet};

use refnet::settings::Settings;
use refnet::store::Direction;
use refnet::testkit::{Corpus, FakeLlm, LlmOptions};

use super::service::api_server;
use super::support::{Backend, TestApp};
use crate::both_backends;

/// One sample line, parsed.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    /// Whether every one of `want` is among the labels.
    fn has(&self, want: &[(&str, &str)]) -> bool {
        want.iter()
            .all(|(k, v)| self.labels.iter().any(|(lk, lv)| lk == k && lv == v))
    }
}

fn name_ok(n: &str) -> bool {
    let mut chars = n.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Parses `{k="v",…}` (after the `{`), undoing the escapes `\\`, `\"` and `\n`; returns the
/// labels and the rest of the line after the `}`.
fn parse_labels(line: &str, mut rest: &str) -> (Vec<(String, String)>, String) {
    let mut labels = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return (labels, after.to_owned());
        }
        let (key, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("label=\"value\" in {line}"));
        assert!(name_ok(key), "label name {key:?} in {line}");
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => panic!("bad escape {other:?} in {line}"),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => panic!("unterminated label value in {line}"),
            }
        };
        assert!(!labels.iter().any(|(k, _)| k == key), "label {key} twice in {line}");
        labels.push((key.to_owned(), value));
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// Parses the whole exposition and checks it: every line a `# HELP`/`# TYPE`/other
/// comment or a sample `name{labels} value` with a valid float; every sample's family
/// has exactly one HELP and one TYPE, both before its samples; no series twice;
/// histogram buckets cumulative and ending in `+Inf` equal to `_count`.
pub(super) fn parse_exposition(text: &str) -> Vec<Sample> {
    assert!(text.ends_with('\n'), "the exposition ends with a newline");
    let mut helps: HashSet<String> = HashSet::new();
    let mut types: HashMap<String, String> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, _) = rest.split_once(' ').unwrap_or((rest, ""));
            assert!(name_ok(name), "{line}");
            assert!(helps.insert(name.to_owned()), "HELP twice: {line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(name_ok(name), "{line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(
                types.insert(name.to_owned(), kind.to_owned()).is_none(),
                "TYPE twice: {line}"
            );
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        assert!(!line.trim().is_empty(), "blank line in the exposition");
        let (name, labels, rest) = if let Some((name, rest)) = line.split_once('{') {
            let (labels, rest) = parse_labels(line, rest);
            (name, labels, rest)
        } else {
            let (name, rest) = line.split_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
            (name, Vec::new(), format!(" {rest}"))
        };
        assert!(name_ok(name), "{line}");
        let value = rest
            .strip_prefix(' ')
            .unwrap_or_else(|| panic!("one space before the value: {line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v => v.parse().unwrap_or_else(|_| panic!("bad value {v:?} in {line}")),
        };
        let family = family_of(name, &types);
        assert!(types.contains_key(family), "sample before its TYPE: {line}");
        assert!(helps.contains(family), "sample before its HELP: {line}");
        let mut sorted = labels.clone();
        sorted.sort();
        assert!(seen.insert(format!("{name}{sorted:?}")), "series twice: {line}");
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    check_histograms(&samples, &types);
    samples
}

/// The family a sample belongs to: its own name, or the histogram or summary it is a
/// `_bucket`, `_sum` or `_count` of.
fn family_of<'a>(name: &'a str, types: &HashMap<String, String>) -> &'a str {
    ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|suffix| {
            name.strip_suffix(suffix).filter(|f| {
                types
                    .get(*f)
                    .is_some_and(|t| t == "histogram" || (t == "summary" && *suffix != "_bucket"))
            })
        })
        .unwrap_or(name)
}

fn check_histograms(samples: &[Sample], types: &HashMap<String, String>) {
    let mut buckets: HashMap<String, Vec<(String, f64)>> = HashMap::new();
    let mut counts: HashMap<String, f64> = HashMap::new();
    for s in samples {
        let family = family_of(&s.name, types);
        if types.get(family).is_none_or(|t| t != "histogram") {
            continue;
        }
        let others: Vec<_> = s.labels.iter().filter(|(k, _)| k != "le").collect();
        let key = format!("{family}{others:?}");
        if s.name.ends_with("_bucket") {
            let le = s.labels.iter().find(|(k, _)| k == "le").expect("le label");
            buckets.entry(key).or_default().push((le.1.clone(), s.value));
        } else if s.name.ends_with("_count") {
            counts.insert(key, s.value);
        }
    }
    for (series, list) in &buckets {
        assert!(
            list.windows(2).all(|w| w[0].1 <= w[1].1),
            "{series}: buckets not cumulative"
        );
        let last = list.last().expect("a bucket");
        assert_eq!(last.0, "+Inf", "{series} ends with +Inf");
        assert_eq!(Some(&last.1), counts.get(series), "{series}: +Inf equals _count");
    }
}

/// Checks the exposition (see [`parse_exposition`]).
pub(super) fn assert_prometheus_text(text: &str) {
    parse_exposition(text);
}

/// The value of one sample, e.g. `refnet_queue_jobs{queue="crawl",state="done"}`.
pub(super) fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// The value of the sample named `name` carrying `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.name == name && s.has(labels))
        .map(|s| s.value)
}

fn configure_llm(s: &mut Settings, url: &str) {
    s.llm.url = Some(url::Url::parse(url).expect("url"));
    s.llm.model = Some("fake-model".to_owned());
    s.llm.requests_per_minute = 6000;
}

both_backends!(
    after_a_crawl_metrics_parse_whole_and_carry_every_promised_series,
    |backend: Backend| async move {
        let corpus = Corpus::synthetic(20, 3, 11);
        let seed = corpus.paper(19).id.clone();
        let llm = FakeLlm::start(LlmOptions::default()).await;
        let app = TestApp::with(backend, corpus, Default::default(), |s| configure_llm(s, &llm.url)).await;
        app.crawl_with(&seed, 1, Direction::References, None, true).await;
        let (base, stop) = api_server(&app, None).await;

        let response = reqwest::get(format!("{base}/metrics")).await.expect("get");
        assert_eq!(response.status().as_u16(), 200);
        let text = response.text().await.expect("metrics");
        let samples = parse_exposition(&text);

        for queue in ["crawl", "summarize", "render"] {
            let age = value(&samples, "refnet_queue_oldest_pending_seconds", &[("queue", queue)]);
            assert_eq!(age, Some(0.0), "a drained {queue} queue has nothing waiting: {text}");
            assert!(
                value(&samples, "refnet_queue_jobs", &[("queue", queue), ("state", "done")]) >= Some(1.0),
                "{text}"
            );
            assert!(
                value(&samples, "refnet_jobs_total", &[("queue", queue), ("outcome", "done")]) >= Some(1.0),
                "{text}"
            );
            assert!(
                value(&samples, "refnet_job_duration_seconds_count", &[("queue", queue)]) >= Some(1.0),
                "{text}"
            );
            assert!(
                value(&samples, "refnet_workers", &[("queue", queue)]).is_some(),
                "{text}"
            );
        }
        assert!(
            samples.iter().all(|s| s.labels.iter().all(|(k, _)| k != "stage")),
            "queues are labelled `queue` everywhere: {text}"
        );
        let calls = value(&samples, "refnet_llm_calls_total", &[]).expect("llm calls");
        assert_eq!(calls, llm.calls().len() as f64);
        assert!(calls >= 1.0, "the crawl summarized through the LLM");
        // The fake LLM reports `usage`: 100 completion tokens per answer.
        assert_eq!(
            value(&samples, "refnet_llm_tokens_total", &[("kind", "completion")]),
            Some(100.0 * llm.answered() as f64),
            "{text}"
        );
        assert!(value(&samples, "refnet_llm_tokens_total", &[("kind", "prompt")]) >= Some(1.0));
        for kind in ["429", "4xx", "5xx", "timeout", "transport"] {
            assert_eq!(
                value(&samples, "refnet_llm_errors_total", &[("kind", kind)]),
                Some(0.0),
                "{kind}: {text}"
            );
        }
        assert_eq!(
            value(&samples, "refnet_build_info", &[("version", env!("CARGO_PKG_VERSION"))]),
            Some(1.0),
            "{text}"
        );
        stop.cancel();
    }
);

#[test]
fn the_parser_undoes_escapes_and_rejects_what_prometheus_would() {
    let text = "# HELP x_total A counter.\n# TYPE x_total counter\nx_total{q=\"a\\\"b\\\\c\\nd\",z=\"1\"} 3\n";
    let samples = parse_exposition(text);
    assert_eq!(
        samples[0].labels,
        [
            ("q".to_owned(), "a\"b\\c\nd".to_owned()),
            ("z".to_owned(), "1".to_owned())
        ]
    );
    assert_eq!(samples[0].value, 3.0);
    for bad in [
        "# TYPE x gauge\nx 1\n",                          // no HELP
        "# HELP x X.\n# TYPE x gauge\nx one\n",           // not a float
        "# HELP x X.\n# TYPE x gauge\nx{q=\"a\"b\"} 1\n", // a raw quote
        "# HELP x X.\n# TYPE x gauge\nx 1\nx 2\n",        // a series twice
        "# HELP x X.\n# TYPE x gauge\ny 1\n",             // no family
    ] {
        assert!(
            std::panic::catch_unwind(|| parse_exposition(bad)).is_err(),
            "accepted {bad:?}"
        );
    }
}

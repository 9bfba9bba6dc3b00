//! refnet in scripts: shell completions, `--json` output of `crawls` and `jobs`, and
//! colour only when asked for.

use refnet::testkit::{Corpus, FakeS2, Scripted};
use serde_json::Value;

use super::cli::{fake_seed, run, stderr};

fn stdout_json(out: &std::process::Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.trim().lines().count(), 1, "one line: {text}");
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test]
async fn completions_come_for_each_shell_without_any_settings_or_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Settings that would not load: completions do not read them.
    std::fs::write(dir.path().join("refnet.toml"), "[s2]\nrps = \"lots\"\n").expect("config");
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef refnet"),
        ("fish", "complete -c refnet"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = run(dir.path(), "http://127.0.0.1:9/graph/v1", &["completions", shell]).await;

        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("crawl") && script.contains("depth"), "{shell}");
    }
    assert!(!dir.path().join("vault").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawls_json_lists_each_crawl_with_its_status_and_papers() {
    let fake = FakeS2::start(Corpus::synthetic(30, 3, 2)).await;
    let seed = fake_seed(&fake);
    let dir = tempfile::tempdir().expect("tempdir");
    let before = run(dir.path(), &fake.url, &["crawls", "--json"]).await;
    assert_eq!(stdout_json(&before), serde_json::json!({"crawls": []}));
    let crawl = run(dir.path(), &fake.url, &["crawl", &seed, "--no-summarize", "--json"]).await;
    assert_eq!(crawl.status.code(), Some(0), "{}", stderr(&crawl));
    let summary = stdout_json(&crawl);

    let out = run(dir.path(), &fake.url, &["crawls", "--json"]).await;

    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listed = stdout_json(&out);
    let crawls = listed["crawls"].as_array().expect("a list");
    assert_eq!(crawls.len(), 1, "{listed}");
    assert_eq!(crawls[0]["seed"], seed.as_str());
    assert_eq!(crawls[0]["status"], "done");
    assert_eq!(crawls[0]["papers"], summary["papers"]);
    assert!(crawls[0]["papers"].as_i64() > Some(1), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_json_lists_dead_jobs_with_their_error_and_counts_what_it_requeues() {
    let fake = FakeS2::start(Corpus::synthetic(30, 3, 2)).await;
    let seed = fake_seed(&fake);
    // The seed is found; the level's batch is refused for good (a 400 on its fields is
    // not split and retried): a dead crawl job.
    fake.script([
        Scripted::Pass,
        Scripted::Status(
            400,
            serde_json::json!({"error": "Unrecognized or unsupported fields: [test]"}),
        ),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let crawl = run(dir.path(), &fake.url, &["crawl", &seed, "--no-summarize"]).await;
    assert_eq!(crawl.status.code(), Some(1), "{}", stderr(&crawl));

    let dead = run(dir.path(), &fake.url, &["jobs", "dead", "--json"]).await;

    assert_eq!(dead.status.code(), Some(0), "{}", stderr(&dead));
    let listed = stdout_json(&dead);
    let jobs = listed["jobs"].as_array().expect("a list");
    assert_eq!(jobs.len(), 1, "{listed}");
    assert_eq!(jobs[0]["queue"], "crawl");
    assert!(
        jobs[0]["last_result"]
            .as_str()
            .is_some_and(|e| e.contains("Unrecognized or unsupported fields")),
        "{listed}"
    );
    let retried = run(dir.path(), &fake.url, &["jobs", "--json", "retry", "--all"]).await;
    assert_eq!(stdout_json(&retried), serde_json::json!({"requeued": 1}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_are_coloured_only_when_asked_for() {
    let fake = FakeS2::start(Corpus::synthetic(20, 2, 4)).await;
    let seed = fake_seed(&fake);
    let dir = tempfile::tempdir().expect("tempdir");
    let escape = "\u{1b}[";

    let always = run(
        dir.path(),
        &fake.url,
        &["-v", "--color", "always", "crawl", &seed, "--no-summarize"],
    )
    .await;
    let never = run(
        dir.path(),
        &fake.url,
        &["-v", "--color", "never", "crawl", &seed, "--no-summarize"],
    )
    .await;
    // Not a terminal: auto means none.
    let auto = run(dir.path(), &fake.url, &["-v", "crawl", &seed, "--no-summarize"]).await;

    for out in [&always, &never, &auto] {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
        assert!(!stderr(out).is_empty(), "-v logs something");
    }
    assert!(stderr(&always).contains(escape), "{}", stderr(&always));
    assert!(!stderr(&never).contains(escape), "{}", stderr(&never));
    assert!(!stderr(&auto).contains(escape), "{}", stderr(&auto));
}

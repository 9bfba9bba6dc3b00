//! The console in headless Chromium: its pages load, and pressing Pause, Retry and
//! Cancel changes the store. Chromium is driven over the DevTools protocol on a pipe
//! (`--remote-debugging-pipe`: JSON messages ending in NUL on fds 3 and 4), so no
//! WebSocket client is needed.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use refnet::queue::run_prefix;
use refnet::store::{CrawlStatus, JobFilter, JobState};
use serde_json::{Value, json};

use super::console::kill_jobs;
use super::service::{api_server, small_corpus};
use super::support::{Backend, TestApp};

/// The first Chromium on PATH.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// A headless Chromium with one page, driven over the DevTools pipe.
struct Browser {
    child: Arc<Mutex<Option<Child>>>,
    to: std::fs::File,
    from: BufReader<std::fs::File>,
    next_id: u64,
    session: String,
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

/// A pipe whose ends close on exec: (read, write).
#[expect(unsafe_code, reason = "pipe2 has no safe wrapper in std")]
fn pipe() -> (RawFd, RawFd) {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: pipe2 writes two descriptors into the array it is given.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    (fds[0], fds[1])
}

impl Browser {
    #[expect(unsafe_code, reason = "the DevTools pipe must be on fds 3 and 4 of the child")]
    fn launch(binary: &str) -> Self {
        let profile = tempfile::tempdir().expect("profile dir");
        let (browser_reads, we_write) = pipe();
        let (we_read, browser_writes) = pipe();
        let mut cmd = Command::new(binary);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--remote-debugging-pipe",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        // SAFETY: between fork and exec only fcntl and dup2 run (async-signal-safe).
        // They are first copied above 10, so placing one cannot close the other.
        unsafe {
            cmd.pre_exec(move || {
                let a = libc::fcntl(browser_reads, libc::F_DUPFD, 10);
                let b = libc::fcntl(browser_writes, libc::F_DUPFD, 10);
                if a < 0 || b < 0 || libc::dup2(a, 3) < 0 || libc::dup2(b, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start chromium");
        // SAFETY: these descriptors were made above and are owned by nothing else.
        let (to, from) = unsafe {
            libc::close(browser_reads);
            libc::close(browser_writes);
            (
                std::fs::File::from_raw_fd(we_write),
                std::fs::File::from_raw_fd(we_read),
            )
        };
        let child = Arc::new(Mutex::new(Some(child)));
        // A browser that stops answering is stopped, so the reads below end.
        let watchdog = child.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(120));
            if let Some(mut c) = watchdog.lock().expect("child").take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        });
        let mut browser = Self {
            child,
            to,
            from: BufReader::new(from),
            next_id: 0,
            session: String::new(),
            events: Vec::new(),
            _profile: profile,
        };
        let target = browser.call("Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().expect("target id").to_owned();
        let attached = browser.call("Target.attachToTarget", json!({"targetId": target_id, "flatten": true}));
        browser.session = attached["sessionId"].as_str().expect("session id").to_owned();
        browser.call("Page.enable", json!({}));
        browser
    }

    fn read(&mut self) -> Value {
        let mut buf = Vec::new();
        let n = self.from.read_until(0, &mut buf).expect("read from chromium");
        assert!(n > 0, "chromium closed the DevTools pipe");
        buf.pop();
        serde_json::from_slice(&buf).expect("DevTools JSON")
    }

    /// Sends a command (to the page once attached) and waits for its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&message).expect("json");
        bytes.push(0);
        self.to.write_all(&bytes).expect("write to chromium");
        loop {
            let answer = self.read();
            if answer["id"] == json!(id) {
                assert!(answer["error"].is_null(), "{method}: {answer}");
                return answer["result"].clone();
            }
            self.events.push(answer);
        }
    }

    fn wait_for_load(&mut self) {
        loop {
            if let Some(i) = self.events.iter().position(|e| e["method"] == "Page.loadEventFired") {
                self.events.drain(..=i);
                return;
            }
            let event = self.read();
            self.events.push(event);
        }
    }

    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        result["result"]["value"].clone()
    }

    /// Opens `url` and waits for it to load; its DOM.
    fn open(&mut self, url: &str) -> String {
        self.events.clear();
        self.call("Page.navigate", json!({"url": url}));
        self.wait_for_load();
        self.dom()
    }

    /// Clicks the button `selector` picks and waits for the page it leads to; its DOM.
    fn click(&mut self, selector: &str) -> String {
        self.events.clear();
        let script = format!(
            "(() => {{ const b = document.querySelector({}); if (!b) return false; b.click(); return true; }})()",
            json!(selector)
        );
        assert_eq!(
            self.eval(&script),
            json!(true),
            "no {selector} on the page: {}",
            self.dom()
        );
        self.wait_for_load();
        self.dom()
    }

    fn dom(&mut self) -> String {
        self.eval("document.documentElement.outerHTML")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Ok(mut guard) = self.child.lock()
            && let Some(mut c) = guard.take()
        {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_loads_the_console_and_its_buttons_pause_retry_and_cancel() {
    let Some(binary) = chromium() else {
        refnet::testkit::skip_group(
            "console test in Chromium",
            "no chromium on PATH (.ci/run installs it)",
            "REFNET_TEST_REQUIRE_CHROMIUM",
        );
        return;
    };
    let (corpus, seed) = small_corpus();
    let app = TestApp::new(Backend::Sqlite, corpus).await;
    let (base, stop) = api_server(&app, None).await;
    let response = reqwest::Client::new()
        .post(format!("{base}/api/crawls"))
        .header("content-type", "application/json")
        .body(json!({"seed": seed, "depth": 1}).to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 201);
    let store = app.ctx.store.clone();
    assert_eq!(kill_jobs(&app, &run_prefix(1, 1), "S2 answered 500").await, 1);

    // The browser blocks its thread on the pipe: it runs apart from the server's.
    let base_url = base.clone();
    let browser = tokio::task::spawn_blocking(move || {
        let mut b = Browser::launch(binary);
        let workers = b.open(&format!("{base_url}/workers"));
        assert!(workers.contains("<h1>Workers</h1>"), "{workers}");
        let home = b.open(&format!("{base_url}/"));
        assert!(home.contains("data-queue=\"summarize\""), "{home}");
        assert!(home.contains("id=\"charts\""), "{home}");
        b
    })
    .await
    .expect("browser");

    // Pause on `/`.
    let (browser, after) = tokio::task::spawn_blocking(move || {
        let mut b = browser;
        let after = b.click("tr[data-queue=\"summarize\"] button.pause");
        (b, after)
    })
    .await
    .expect("click pause");
    assert!(after.contains("Queue summarize paused"), "{after}");
    let paused = store.paused_queues().await.expect("paused");
    assert_eq!(
        paused.iter().map(|(q, _)| q.as_str()).collect::<Vec<_>>(),
        ["summarize"]
    );

    // Retry on the dead jobs' list.
    let jobs_url = format!("{base}/jobs?state=dead");
    let (browser, after) = tokio::task::spawn_blocking(move || {
        let mut b = browser;
        let list = b.open(&jobs_url);
        assert!(list.contains("S2 answered 500"), "{list}");
        let after = b.click("button.retry");
        (b, after)
    })
    .await
    .expect("click retry");
    assert!(after.contains("Job queued again"), "{after}");
    let count = |state| {
        let filter = JobFilter {
            states: vec![state],
            ..JobFilter::default()
        };
        let store = store.clone();
        async move { store.list_jobs(&filter, 10, 0).await.expect("list").1 }
    };
    assert_eq!((count(JobState::Dead).await, count(JobState::Pending).await), (0, 1));

    // Cancel on the crawl's page.
    let crawl_url = format!("{base}/crawls/1");
    let (browser, after) = tokio::task::spawn_blocking(move || {
        let mut b = browser;
        let page = b.open(&crawl_url);
        assert!(page.contains("data-stage=\"summarize\""), "{page}");
        let after = b.click("button.cancel");
        (b, after)
    })
    .await
    .expect("click cancel");
    assert!(after.contains("Crawl 1 cancelled"), "{after}");
    let crawl = store.crawl(1).await.expect("crawl").expect("exists");
    assert_eq!(crawl.status, CrawlStatus::Cancelled);
    assert_eq!(store.live_jobs(&run_prefix(1, 1)).await.expect("live"), 0);
    drop(browser);
    stop.cancel();
}

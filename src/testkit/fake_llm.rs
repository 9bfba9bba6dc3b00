//! A fake OpenAI-compatible chat-completions server on 127.0.0.1. It answers with a
//! summary made from the prompt, and can enforce a requests-per-minute limit (429 with
//! `Retry-After`), a context window (400 `context_length_exceeded`), a bearer key (401),
//! and a script of forced answers. Every request's prompt size is logged.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::serve_loopback;

/// How the fake behaves.
#[derive(Debug, Clone)]
pub struct LlmOptions {
    /// Requests allowed in any `window`; more get 429 with `Retry-After`.
    pub rpm_limit: Option<usize>,
    /// The rate window (a minute, unless a test wants a shorter one).
    pub window: Duration,
    /// Context window in tokens (counted as characters / 4); longer prompts get 400.
    pub context_tokens: Option<usize>,
    /// Required bearer key.
    pub key: Option<String>,
    /// Delay before every answer.
    pub latency: Duration,
}

impl Default for LlmOptions {
    fn default() -> Self {
        Self {
            rpm_limit: None,
            window: Duration::from_secs(60),
            context_tokens: None,
            key: None,
            latency: Duration::ZERO,
        }
    }
}

/// A request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmCall {
    /// `model` of the request.
    pub model: String,
    /// Characters of all messages.
    pub prompt_chars: usize,
    /// Whether it was a "notes on one part" call (map) rather than a summary call.
    pub map: bool,
    /// Status answered.
    pub status: u16,
    /// When it came, from the fake's start.
    pub at: Duration,
    /// The user message (title and text).
    pub prompt: String,
}

struct Inner {
    started: Instant,
    calls: Vec<LlmCall>,
    recent: VecDeque<Instant>,
    script: VecDeque<(u16, Value)>,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    options: LlmOptions,
    /// The delay before answers, changeable while the fake runs (milliseconds).
    latency_ms: Arc<std::sync::atomic::AtomicU64>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running fake LLM.
pub struct FakeLlm {
    /// Base URL ending in `/v1`.
    pub url: String,
    shared: Shared,
    _server: tokio::task::JoinHandle<()>,
}

impl FakeLlm {
    /// Starts the fake.
    pub async fn start(options: LlmOptions) -> Self {
        let shared = Shared {
            inner: Arc::new(Mutex::new(Inner {
                started: Instant::now(),
                calls: Vec::new(),
                recent: VecDeque::new(),
                script: VecDeque::new(),
            })),
            latency_ms: Arc::new(std::sync::atomic::AtomicU64::new(options.latency.as_millis() as u64)),
            options,
        };
        let app = axum::Router::new()
            .route("/v1/chat/completions", post(complete))
            .with_state(shared.clone());
        let (addr, server) = serve_loopback(app).await;
        Self {
            url: format!("http://{addr}/v1"),
            shared,
            _server: server,
        }
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<LlmCall> {
        self.shared.lock().calls.clone()
    }

    /// Calls answered 200.
    pub fn answered(&self) -> usize {
        self.shared.lock().calls.iter().filter(|c| c.status == 200).count()
    }

    /// Changes the delay before every answer from now on (a call already waiting keeps
    /// its delay).
    pub fn set_latency(&self, latency: Duration) {
        self.shared
            .latency_ms
            .store(latency.as_millis() as u64, std::sync::atomic::Ordering::Relaxed);
    }

    /// Forces the next answers: (status, JSON body).
    pub fn script(&self, answers: impl IntoIterator<Item = (u16, Value)>) {
        self.shared.lock().script.extend(answers);
    }
}

async fn complete(State(shared): State<Shared>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let prompt_chars: usize = messages
        .iter()
        .map(|m| m["content"].as_str().map_or(0, |s| s.chars().count()))
        .sum();
    let system = messages.first().and_then(|m| m["content"].as_str()).unwrap_or("");
    let user = messages
        .get(1)
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_owned();
    let map = system.contains("one part of a research paper");
    let model = body["model"].as_str().unwrap_or("").to_owned();
    let answer = decide(&shared, &headers, prompt_chars);
    {
        let mut inner = shared.lock();
        let at = inner.started.elapsed();
        inner.calls.push(LlmCall {
            model,
            prompt_chars,
            map,
            status: answer.as_ref().map_or(200, |(status, _, _)| *status),
            at,
            prompt: user.clone(),
        });
    }
    let latency = shared.latency_ms.load(std::sync::atomic::Ordering::Relaxed);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if let Some((status, body, retry_after)) = answer {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (code, Json(body)).into_response();
        if let Some(secs) = retry_after
            && let Ok(value) = secs.to_string().parse()
        {
            response.headers_mut().insert("retry-after", value);
        }
        return response;
    }
    let content = if map {
        format!(
            "Notes: {}",
            user.chars()
                .skip_while(|c| *c != ':')
                .skip(1)
                .take(300)
                .collect::<String>()
                .trim()
        )
    } else {
        let text = user.split_once("):\n").map(|(_, t)| t).unwrap_or(&user);
        let first: String = text.chars().take(120).collect();
        json!({
            "tldr": format!("In short: {}", first.trim()),
            "problem": "The problem the text states.",
            "method": "The method the text describes.",
            "results": "The results the text reports.",
            "limitations": "",
        })
        .to_string()
    };
    Json(json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_chars / 4, "completion_tokens": 100, "total_tokens": prompt_chars / 4 + 100},
    }))
    .into_response()
}

/// A forced or limiting answer: (status, body, Retry-After seconds), or `None` to answer.
fn decide(shared: &Shared, headers: &HeaderMap, prompt_chars: usize) -> Option<(u16, Value, Option<u64>)> {
    let mut inner = shared.lock();
    if let Some((status, body)) = inner.script.pop_front() {
        return Some((status, body, None));
    }
    if let Some(key) = &shared.options.key {
        let sent = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
        if sent != format!("Bearer {key}") {
            return Some((
                401,
                json!({"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}),
                None,
            ));
        }
    }
    if let Some(limit) = shared.options.context_tokens
        && prompt_chars / 4 > limit
    {
        return Some((
            400,
            json!({"error": {"message": format!("This model's maximum context length is {limit} tokens."), "code": "context_length_exceeded"}}),
            None,
        ));
    }
    if let Some(limit) = shared.options.rpm_limit {
        let now = Instant::now();
        let window = shared.options.window;
        while inner.recent.front().is_some_and(|t| now.duration_since(*t) >= window) {
            inner.recent.pop_front();
        }
        if inner.recent.len() >= limit {
            let left = inner
                .recent
                .front()
                .map_or(window, |t| window.saturating_sub(now.duration_since(*t)));
            let wait = left.as_secs_f64().ceil().max(1.0) as u64;
            return Some((
                429,
                json!({"error": {"message": "Rate limit reached for requests", "code": "rate_limit_exceeded"}}),
                Some(wait),
            ));
        }
        inner.recent.push_back(now);
    }
    None
}

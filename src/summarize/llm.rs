//! An OpenAI-compatible chat-completions summarizer (OpenAI, Ollama, vLLM, llama.cpp,
//! LM Studio all speak it).
//!
//! Every call waits on a requests-per-minute and a tokens-per-minute limiter. 429s are
//! retried after `Retry-After` (or backoff), 5xx and timeouts with backoff and jitter; a
//! 400 saying the context is too long makes the text be split into smaller chunks. Long
//! texts are summarized map-reduce: each chunk to notes, then the notes to the summary.
//! A refused key (401/403) pauses the summarizer with one clear error: the crawl and the
//! notes go on without summaries until the configuration is fixed. Failed calls are
//! counted by kind, and tokens as the server's `usage` reports them (else as estimated).

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::StatusCode;
use serde::Deserialize;
use tracing::{debug, error, warn};

use super::summary::{Request, SummarizeError, Summarizer, Summary, SummaryFuture};
use crate::metrics::{Counters, LlmError};
use crate::retry::{Backoff, retry_after};
use crate::secret::Secret;
use crate::settings::LlmSettings;

/// Bumped whenever the prompts change, so cached summaries are redone.
pub const PROMPT_VERSION: &str = "v1";
/// Characters per token, counted low so the estimate errs on the side of fitting.
const CHARS_PER_TOKEN: usize = 3;
/// Tokens kept for the prompt's own words.
const PROMPT_OVERHEAD: usize = 400;
/// Longest answer asked for.
const MAX_ANSWER_TOKENS: usize = 700;
/// Smallest chunk worth sending, in characters.
const MIN_CHUNK_CHARS: usize = 1_000;
/// Rounds of notes-of-notes before the text is simply cut to fit (an LLM that writes
/// longer notes than asked could otherwise keep a text from shrinking).
const MAX_ROUNDS: usize = 3;

const SYSTEM: &str = "You summarize research papers for a researcher's notes. Use only facts from the text you \
are given. Answer with one JSON object and nothing else, with these string fields: \"tldr\" (one sentence), \
\"problem\", \"method\", \"results\", \"limitations\" (two to four sentences each; an empty string when the text \
does not say). No Markdown.";

const MAP_SYSTEM: &str = "You take notes on one part of a research paper. In at most 150 words, write down what \
this part says about the problem, the method, the results and the limitations. Plain sentences, no Markdown.";

/// Why one call failed.
#[derive(Debug)]
enum CallError {
    Unauthorized(String),
    ContextTooLong,
    Unavailable(String),
    Failed(String),
}

/// The client.
pub struct LlmSummarizer {
    http: reqwest::Client,
    url: String,
    model: String,
    key: Option<Secret>,
    requests: Arc<DefaultDirectRateLimiter>,
    tokens: Arc<DefaultDirectRateLimiter>,
    token_burst: u32,
    backoff: Backoff,
    max_retries: u32,
    timeout: Duration,
    context_tokens: usize,
    counters: Arc<Counters>,
    paused: AtomicBool,
    pause_reason: Mutex<Option<String>>,
}

impl std::fmt::Debug for LlmSummarizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmSummarizer")
            .field("url", &self.url)
            .field("model", &self.model)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl LlmSummarizer {
    /// A client for the configured API; `None` when no URL is configured.
    pub fn new(settings: &LlmSettings, http: reqwest::Client, counters: Arc<Counters>) -> Option<Self> {
        let base = settings.url.as_ref()?;
        let rpm = NonZeroU32::new(settings.requests_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        // Requests are spread evenly (no burst): an API counting a sliding minute never
        // sees more than its limit.
        let requests = Quota::with_period(Duration::from_secs(60) / rpm.get()).map(|q| q.allow_burst(NonZeroU32::MIN));
        let tpm = settings.tokens_per_minute.max(1);
        let token_burst = (tpm / 4).max((settings.context_tokens as u32).min(tpm)).max(1);
        let tokens = Quota::per_minute(NonZeroU32::new(tpm).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(token_burst).unwrap_or(NonZeroU32::MIN));
        Some(Self {
            http,
            url: format!("{}/chat/completions", base.as_str().trim_end_matches('/')),
            model: settings.model.clone().unwrap_or_default(),
            key: settings.api_key.clone(),
            requests: Arc::new(RateLimiter::direct(requests.unwrap_or_else(|| Quota::per_minute(rpm)))),
            tokens: Arc::new(RateLimiter::direct(tokens)),
            token_burst,
            backoff: Backoff {
                base: settings.retry_base,
                max: Duration::from_secs(60),
            },
            max_retries: settings.max_retries,
            timeout: settings.timeout,
            context_tokens: settings.context_tokens.max(PROMPT_OVERHEAD + MAX_ANSWER_TOKENS + 256),
            counters,
            paused: AtomicBool::new(false),
            pause_reason: Mutex::new(None),
        })
    }

    /// Characters of text that fit in one call.
    fn chunk_chars(&self) -> usize {
        (self.context_tokens - PROMPT_OVERHEAD - MAX_ANSWER_TOKENS) * CHARS_PER_TOKEN
    }

    fn pause(&self, reason: &str) {
        if !self.paused.swap(true, Ordering::SeqCst) {
            error!(%reason, "summaries paused: fix the LLM configuration, then run `refnet summarize`");
            if let Ok(mut slot) = self.pause_reason.lock() {
                *slot = Some(reason.to_owned());
            }
        }
    }

    fn paused(&self) -> Option<String> {
        if !self.paused.load(Ordering::SeqCst) {
            return None;
        }
        Some(
            self.pause_reason
                .lock()
                .ok()
                .and_then(|r| r.clone())
                .unwrap_or_else(|| "the LLM configuration was refused".to_owned()),
        )
    }

    async fn run(&self, request: Request<'_>) -> Result<Summary, SummarizeError> {
        if let Some(reason) = self.paused() {
            return Err(SummarizeError::Paused(reason));
        }
        let mut chunk_chars = self.chunk_chars();
        loop {
            match self.map_reduce(request, chunk_chars).await {
                Err(CallError::ContextTooLong) if chunk_chars / 2 >= MIN_CHUNK_CHARS => {
                    chunk_chars /= 2;
                    debug!(chunk_chars, "context too long: smaller chunks");
                }
                Err(CallError::ContextTooLong) => {
                    return Err(SummarizeError::Failed(
                        "the LLM's context is too small for even a short chunk: raise REFNET_LLM_CONTEXT_TOKENS to the model's real size"
                            .to_owned(),
                    ));
                }
                Err(CallError::Unauthorized(reason)) => {
                    self.pause(&reason);
                    return Err(SummarizeError::Unauthorized(reason));
                }
                Err(CallError::Unavailable(reason)) => return Err(SummarizeError::Unavailable(reason)),
                Err(CallError::Failed(reason)) => return Err(SummarizeError::Failed(reason)),
                Ok(answer) => return Ok(parse_summary(&answer)),
            }
        }
    }

    /// Summarizes `text` in one call when it fits; else notes per chunk, then the notes
    /// (again if they still do not fit, at most [`MAX_ROUNDS`] times, then cut to fit).
    async fn map_reduce(&self, request: Request<'_>, chunk_chars: usize) -> Result<String, CallError> {
        let mut text = request.text.to_owned();
        let mut round = 0;
        loop {
            if round == MAX_ROUNDS {
                text = text.chars().take(chunk_chars).collect();
            }
            let chunks = split_chunks(&text, chunk_chars);
            if chunks.len() <= 1 {
                let user = format!(
                    "Title: {}\n\nText ({}):\n{}",
                    request.title,
                    super::summary::Source::describe(request.source.as_str()),
                    text
                );
                return self.chat(SYSTEM, &user).await;
            }
            let mut notes = Vec::with_capacity(chunks.len());
            for (i, chunk) in chunks.iter().enumerate() {
                let user = format!(
                    "Title: {}\n\nPart {} of {}:\n{chunk}",
                    request.title,
                    i + 1,
                    chunks.len()
                );
                notes.push(self.chat(MAP_SYSTEM, &user).await?);
            }
            text = notes.join("\n\n");
            round += 1;
        }
    }

    /// One chat completion, with the limits and retries.
    async fn chat(&self, system: &str, user: &str) -> Result<String, CallError> {
        let estimate = ((system.len() + user.len()) / CHARS_PER_TOKEN + MAX_ANSWER_TOKENS) as u32;
        let body = serde_json::json!({
            "model": self.model,
            "temperature": 0.2,
            "max_tokens": MAX_ANSWER_TOKENS,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
        });
        let mut last = String::new();
        for attempt in 0..=self.max_retries {
            self.requests.until_ready().await;
            let cells = NonZeroU32::new(estimate.clamp(1, self.token_burst)).unwrap_or(NonZeroU32::MIN);
            // A request larger than the burst waits for a full burst instead.
            let _ = self.tokens.until_n_ready(cells).await;
            // Another call may have been refused while this one waited its turn: then it
            // is not sent (a refused key is refused for every call).
            if let Some(reason) = self.paused() {
                return Err(CallError::Unauthorized(reason));
            }
            self.counters.llm_calls.inc();
            let mut req = self.http.post(&self.url).json(&body).timeout(self.timeout);
            if let Some(key) = &self.key {
                req = req.bearer_auth(key.expose());
            }
            let wait = match req.send().await {
                Err(e) => {
                    let (kind, reason) = if e.is_timeout() {
                        (LlmError::Timeout, "the LLM timed out")
                    } else {
                        (LlmError::Transport, "cannot reach the LLM")
                    };
                    self.counters.llm_errors(kind).inc();
                    last = reason.to_owned();
                    warn!(attempt, reason = %last, "LLM call failed");
                    self.backoff.delay(attempt)
                }
                Ok(resp) => {
                    let status = resp.status();
                    let after = retry_after(resp.headers());
                    let text = resp.text().await.unwrap_or_default();
                    if !status.is_success() {
                        self.counters.llm_errors(LlmError::of_status(status.as_u16())).inc();
                    }
                    match status {
                        s if s.is_success() => {
                            let answer = answer_text(&text)?;
                            let (prompt, completion) = answer.tokens(system.len() + user.len());
                            self.counters.llm_prompt_tokens.inc_by(prompt);
                            self.counters.llm_completion_tokens.inc_by(completion);
                            return Ok(answer.text);
                        }
                        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                            let reason = format!(
                                "the LLM at {} refused the key ({}): check REFNET_LLM_API_KEY (or OPENAI_API_KEY) and REFNET_LLM_MODEL",
                                self.url,
                                status.as_u16()
                            );
                            // Paused at once, so that calls waiting their turn are not sent.
                            self.pause(&reason);
                            return Err(CallError::Unauthorized(reason));
                        }
                        StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE if is_context_error(&text) => {
                            return Err(CallError::ContextTooLong);
                        }
                        StatusCode::TOO_MANY_REQUESTS => {
                            self.counters.llm_throttled.inc();
                            last = "the LLM kept answering 429 Too Many Requests: lower REFNET_LLM_RPM".to_owned();
                            after.unwrap_or_else(|| self.backoff.delay(attempt))
                        }
                        s if s.is_server_error() => {
                            last = format!("the LLM answered {}", s.as_u16());
                            warn!(attempt, status = s.as_u16(), "LLM server error");
                            after.unwrap_or_else(|| self.backoff.delay(attempt))
                        }
                        s => {
                            return Err(CallError::Failed(format!(
                                "the LLM refused the request ({}): {}",
                                s.as_u16(),
                                text.chars().take(200).collect::<String>()
                            )));
                        }
                    }
                }
            };
            if attempt < self.max_retries {
                tokio::time::sleep(wait).await;
            }
        }
        Err(CallError::Unavailable(format!(
            "{last} (after {} attempts)",
            self.max_retries + 1
        )))
    }
}

impl Summarizer for LlmSummarizer {
    fn model(&self) -> &str {
        &self.model
    }

    fn prompt_version(&self) -> &str {
        PROMPT_VERSION
    }

    fn summarize<'a>(&'a self, request: Request<'a>) -> SummaryFuture<'a> {
        Box::pin(self.run(request))
    }
}

/// Splits text into chunks of at most `max` characters, at paragraph or sentence ends
/// where possible.
pub fn split_chunks(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut chunks = Vec::new();
    let mut current = String::new();
    for piece in text.split_inclusive(['\n', '.']) {
        if current.chars().count() + piece.chars().count() > max && !current.is_empty() {
            chunks.push(std::mem::take(&mut current));
        }
        if piece.chars().count() > max {
            let chars: Vec<char> = piece.chars().collect();
            for part in chars.chunks(max) {
                chunks.push(part.iter().collect());
            }
        } else {
            current.push_str(piece);
        }
    }
    if !current.trim().is_empty() {
        chunks.push(current);
    }
    chunks
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

/// What the LLM says a call cost; servers that do not count leave it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
struct Usage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

/// An answer's text and what the LLM said it cost.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    text: String,
    usage: Option<Usage>,
}

impl Answer {
    /// (prompt, completion) tokens: the LLM's own counts, else estimated from the
    /// characters sent (`prompt_chars`) and received.
    fn tokens(&self, prompt_chars: usize) -> (u64, u64) {
        let estimate = |chars: usize| (chars / CHARS_PER_TOKEN) as u64;
        let usage = self.usage.unwrap_or(Usage {
            prompt_tokens: None,
            completion_tokens: None,
        });
        (
            usage.prompt_tokens.unwrap_or_else(|| estimate(prompt_chars)),
            usage.completion_tokens.unwrap_or_else(|| estimate(self.text.len())),
        )
    }
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
}

fn answer_text(body: &str) -> Result<Answer, CallError> {
    let completion: Completion = serde_json::from_str(body)
        .map_err(|e| CallError::Failed(format!("the LLM's answer is not a chat completion ({e})")))?;
    let text = completion
        .choices
        .into_iter()
        .next()
        .and_then(|c| c.message.content)
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| CallError::Failed("the LLM answered nothing".to_owned()))?;
    Ok(Answer {
        text,
        usage: completion.usage,
    })
}

/// A 400 that says the prompt is longer than the model's context.
fn is_context_error(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    [
        "context_length",
        "context length",
        "maximum context",
        "too many tokens",
        "context window",
        "prompt is too long",
    ]
    .iter()
    .any(|s| lower.contains(s))
}

/// The summary in an answer: the first JSON object in it, or, failing that, the whole
/// answer as the TL;DR.
pub fn parse_summary(answer: &str) -> Summary {
    let start = answer.find('{');
    let end = answer.rfind('}');
    if let (Some(start), Some(end)) = (start, end)
        && start < end
        && let Ok(summary) = serde_json::from_str::<Summary>(&answer[start..=end])
        && !summary.is_empty()
    {
        return summary;
    }
    Summary {
        tldr: answer.trim().to_owned(),
        ..Summary::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_in_json_fences_or_prose_become_summaries() {
        let s = parse_summary("```json\n{\"tldr\": \"A.\", \"method\": \"B.\"}\n```");
        assert_eq!(s.tldr, "A.");
        assert_eq!(s.method, "B.");
        let s = parse_summary("Just prose, no JSON.");
        assert_eq!(s.tldr, "Just prose, no JSON.");
        assert!(s.problem.is_empty());
    }

    #[test]
    fn chunks_stay_under_the_limit_and_keep_all_the_text() {
        let text = "One sentence. Another sentence here.\n\nA third paragraph that is rather longer than the others.";
        for max in [5, 20, 60, 1000] {
            let chunks = split_chunks(text, max);
            assert!(chunks.iter().all(|c| c.chars().count() <= max), "{max}: {chunks:?}");
            assert_eq!(chunks.concat(), text);
        }
    }

    #[test]
    fn tokens_come_from_usage_else_from_the_estimate() {
        let body = |usage: &str| format!(r#"{{"choices": [{{"message": {{"content": "twelve chars"}}}}]{usage}}}"#);
        let counted =
            answer_text(&body(r#", "usage": {"prompt_tokens": 321, "completion_tokens": 54}"#)).expect("answer");
        assert_eq!(counted.tokens(3_000), (321, 54));
        let silent = answer_text(&body("")).expect("answer");
        assert_eq!(silent.text, "twelve chars");
        assert_eq!(silent.tokens(3_000), (1_000, 4), "3 characters a token");
        let partial = answer_text(&body(r#", "usage": {"prompt_tokens": 7}"#)).expect("answer");
        assert_eq!(partial.tokens(3_000), (7, 4));
    }

    #[test]
    fn context_errors_are_recognised_in_the_common_wordings() {
        assert!(is_context_error(r#"{"error":{"code":"context_length_exceeded"}}"#));
        assert!(is_context_error("This model's maximum context length is 4096 tokens"));
        assert!(!is_context_error(r#"{"error":"bad model"}"#));
    }
}

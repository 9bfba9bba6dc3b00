//! One logical request to Semantic Scholar: the limiter before every attempt, retries
//! with backoff, and one bound on it all (`s2.give_up_secs`, waits included), so that an
//! API that accepts connections and never answers ends the run in bounded time. Requests
//! still waiting are tracked for the progress line ("waiting for Semantic Scholar (retry
//! 3, 40 s)").

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tracing::{Instrument, debug, info_span, warn};

use super::model::ErrorBody;
use super::{S2Client, S2Error};
use crate::retry::retry_after;

/// The shortest timeout an attempt gets, even when the give-up bound is nearly spent.
const MIN_ATTEMPT: Duration = Duration::from_millis(200);

/// The request that has waited longest for an answer, for the progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    /// Retries made so far (0 while the first attempt is out).
    pub retries: u32,
    /// Since the request started.
    pub waited: Duration,
}

impl Waiting {
    /// `waiting for Semantic Scholar (retry 3, 40 s)`.
    pub fn describe(&self) -> String {
        let secs = self.waited.as_secs();
        match self.retries {
            0 => format!("waiting for Semantic Scholar ({secs} s)"),
            n => format!("waiting for Semantic Scholar (retry {n}, {secs} s)"),
        }
    }
}

/// Requests under way: when each started and how many retries it has made.
#[derive(Debug, Default)]
pub(super) struct InFlight {
    next: AtomicU64,
    open: Mutex<BTreeMap<u64, (Instant, u32)>>,
}

impl InFlight {
    fn open(&self) -> Ticket<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut open) = self.open.lock() {
            open.insert(id, (Instant::now(), 0));
        }
        Ticket { in_flight: self, id }
    }

    fn longest(&self) -> Option<Waiting> {
        let open = self.open.lock().ok()?;
        open.values()
            .min_by_key(|(started, _)| *started)
            .map(|(started, retries)| Waiting {
                retries: *retries,
                waited: started.elapsed(),
            })
    }
}

/// One request in [`InFlight`], removed when dropped (answered, failed or cancelled).
struct Ticket<'a> {
    in_flight: &'a InFlight,
    id: u64,
}

impl Ticket<'_> {
    fn retry(&self, retries: u32) {
        if let Ok(mut open) = self.in_flight.open.lock()
            && let Some(entry) = open.get_mut(&self.id)
        {
            entry.1 = retries;
        }
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if let Ok(mut open) = self.in_flight.open.lock() {
            open.remove(&self.id);
        }
    }
}

/// Why the previous attempt failed, to choose the wait and the final error.
enum Failure {
    None,
    Throttled(Option<Duration>),
    Status(u16, String, Option<Duration>),
    Transport(String),
}

impl Failure {
    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Throttled(after) | Self::Status(_, _, after) => *after,
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::None => "no attempt was made".to_owned(),
            Self::Throttled(_) => "429 Too Many Requests".to_owned(),
            Self::Status(status, message, _) => format!("{status} {message}"),
            Self::Transport(reason) => reason.clone(),
        }
    }
}

impl S2Client {
    /// The request that has waited longest for an answer, if it has waited at least
    /// `at_least` or has been retried.
    pub fn waiting(&self, at_least: Duration) -> Option<Waiting> {
        self.in_flight
            .longest()
            .filter(|w| w.retries > 0 || w.waited >= at_least)
    }

    /// Sends one logical request, waiting on the limiter before every attempt and
    /// retrying what is worth retrying, all within `s2.give_up_secs`. Returns the body
    /// of a 200.
    pub(super) async fn send(
        &self,
        what: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<bytes::Bytes, S2Error> {
        let ticket = self.in_flight.open();
        let deadline = Instant::now() + self.give_up_after;
        let gave_up = |last: &Failure| S2Error::GaveUp {
            what: what.to_owned(),
            secs: self.give_up_after.as_secs(),
            reason: last.describe(),
        };
        let attempts = self.max_retries + 1;
        let mut last_failure = Failure::None;
        for attempt in 0..attempts {
            if attempt > 0 {
                let wait = last_failure
                    .retry_after()
                    .unwrap_or_else(|| self.backoff.delay(attempt - 1));
                if Instant::now() + wait + MIN_ATTEMPT > deadline {
                    return Err(gave_up(&last_failure));
                }
                ticket.retry(attempt);
                debug!(what, attempt, ?wait, "retrying S2 request");
                tokio::time::sleep(wait).await;
            }
            // The limiter's wait counts too: a request queued behind a hung one gives up
            // with it rather than after it.
            if tokio::time::timeout_at(deadline.into(), self.limiter.until_ready())
                .await
                .is_err()
            {
                return Err(gave_up(&last_failure));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left < MIN_ATTEMPT {
                return Err(gave_up(&last_failure));
            }
            self.counters.s2_requests.inc();
            let mut request = build().timeout(self.timeout.min(left));
            if let Some(key) = &self.key {
                request = request.header("x-api-key", key.expose());
            }
            let span = info_span!("s2_request", what, attempt);
            let outcome = async {
                let response = request.send().await?;
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.bytes().await?;
                Ok::<_, reqwest::Error>((status, headers, body))
            }
            .instrument(span)
            .await;
            let (status, headers, body) = match outcome {
                Ok(answer) => answer,
                Err(e) => {
                    self.counters.s2_failures.inc();
                    warn!(what, attempt, error = %describe_transport(&e), "S2 request failed");
                    last_failure = Failure::Transport(describe_transport(&e));
                    continue;
                }
            };
            match status {
                StatusCode::OK => return Ok(body),
                StatusCode::BAD_REQUEST => {
                    return Err(S2Error::BadRequest {
                        what: what.to_owned(),
                        message: ErrorBody::describe(&body),
                    });
                }
                StatusCode::NOT_FOUND => return Err(S2Error::NotFound(what.to_owned())),
                StatusCode::FORBIDDEN => {
                    let message = ErrorBody::describe(&body);
                    return Err(match self.key {
                        Some(_) => S2Error::KeyRefused(message),
                        None => S2Error::Forbidden(message),
                    });
                }
                StatusCode::TOO_MANY_REQUESTS => {
                    self.counters.s2_throttled.inc();
                    warn!(what, attempt, "S2 answered 429");
                    last_failure = Failure::Throttled(retry_after(&headers));
                }
                s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => {
                    self.counters.s2_failures.inc();
                    let message = ErrorBody::describe(&body);
                    warn!(what, attempt, status = s.as_u16(), %message, "S2 server error");
                    last_failure = Failure::Status(s.as_u16(), message, retry_after(&headers));
                }
                s => {
                    return Err(S2Error::Server {
                        status: s.as_u16(),
                        what: what.to_owned(),
                        message: ErrorBody::describe(&body),
                        attempts: attempt + 1,
                    });
                }
            }
        }
        Err(match last_failure {
            Failure::Throttled(_) => S2Error::RateLimited { attempts },
            Failure::Status(status, message, _) => S2Error::Server {
                status,
                what: what.to_owned(),
                message,
                attempts,
            },
            Failure::Transport(reason) => S2Error::Unreachable {
                base: self.base.clone(),
                reason,
                attempts,
            },
            Failure::None => S2Error::Unreachable {
                base: self.base.clone(),
                reason: "no attempt was made".to_owned(),
                attempts: 0,
            },
        })
    }
}

/// A transport error in a few words, without the URL (which the caller knows).
fn describe_transport(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection refused or unreachable".to_owned()
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off".to_owned()
    } else {
        let mut text = e.to_string();
        if let Some(url) = e.url() {
            text = text.replace(url.as_str(), "the API");
        }
        text.chars().take(120).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_waiting_request_is_the_one_shown_and_answered_ones_leave() {
        let in_flight = InFlight::default();
        assert_eq!(in_flight.longest(), None);
        let first = in_flight.open();
        std::thread::sleep(Duration::from_millis(5));
        let second = in_flight.open();
        second.retry(2);
        let shown = in_flight.longest().expect("one waits");
        assert_eq!(shown.retries, 0, "the older request is shown");
        drop(first);
        assert_eq!(in_flight.longest().map(|w| w.retries), Some(2));
        drop(second);
        assert_eq!(in_flight.longest(), None);
    }

    #[test]
    fn the_wait_reads_as_retries_and_seconds() {
        let w = Waiting {
            retries: 3,
            waited: Duration::from_millis(40_700),
        };
        assert_eq!(w.describe(), "waiting for Semantic Scholar (retry 3, 40 s)");
        let first = Waiting { retries: 0, ..w };
        assert_eq!(first.describe(), "waiting for Semantic Scholar (40 s)");
    }
}

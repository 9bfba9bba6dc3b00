//! Retry and rate timing in one place: exponential backoff with jitter (the S2, OpenAlex
//! and LLM clients and the durable job retries) and the request-rate limiter of the APIs.

use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Exponential backoff: `base · 2^attempt`, capped at `max`, with "equal jitter" (a
/// random point in the upper half) so that many clients retrying together spread out.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Delay before the first retry, before jitter.
    pub base: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Backoff {
    /// The delay before retry number `attempt` (0 = the first retry).
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// The delay without jitter: the upper bound of [`Backoff::delay`].
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(30));
        self.base.saturating_mul(factor).min(self.max)
    }
}

/// Reads a `Retry-After` header given in seconds (the HTTP-date form is rare on APIs and
/// is ignored, falling back to backoff).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// A rate limiter allowing `per_second` requests per second with no burst.
pub fn limiter(per_second: f64) -> DefaultDirectRateLimiter {
    let period = Duration::from_secs_f64(1.0 / per_second.max(1e-3));
    let quota = Quota::with_period(period.max(Duration::from_micros(1))).expect("period is positive");
    RateLimiter::direct(quota)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_stop_at_the_cap_and_stay_in_the_upper_half() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        assert_eq!(b.ceiling(0), Duration::from_millis(100));
        assert_eq!(b.ceiling(2), Duration::from_millis(400));
        assert_eq!(b.ceiling(10), Duration::from_secs(1));
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(1));
        for attempt in 0..6 {
            for _ in 0..50 {
                let d = b.delay(attempt);
                assert!(d >= b.ceiling(attempt) / 2 && d <= b.ceiling(attempt), "{d:?}");
            }
        }
    }

    #[test]
    fn retry_after_in_seconds_is_read_and_nonsense_ignored() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(reqwest::header::RETRY_AFTER, "3".parse().expect("header"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(reqwest::header::RETRY_AFTER, "soon".parse().expect("header"));
        assert_eq!(retry_after(&h), None);
    }
}

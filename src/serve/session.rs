//! Who may in: the bearer token (API clients) or a server-side session (browsers), and
//! how often `/login` may be tried.
//!
//! A browser that logs in with the token gets a cookie holding a random session id (256
//! bits from the operating system); the store keeps only its SHA-256, the token it was
//! made under and its expiry. Logout deletes the row, so the cookie lets nobody in again;
//! so does changing the token. Login attempts are limited per client address with a
//! governor keyed limiter.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::{HeaderMap, header};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use super::AppState;
use crate::hex::hex;
use crate::secret::Secret;
use crate::store::{StoreError, now};

/// The cookie a browser holds after logging in.
pub(crate) const SESSION_COOKIE: &str = "refnet_session";

/// How long a session lasts, in seconds (30 days).
pub(crate) const SESSION_SECONDS: i64 = 30 * 86_400;

/// Login attempts a client address may make at once; after that one more every
/// [`LOGIN_REFILL`] (so five a minute).
const LOGIN_BURST: u32 = 5;
const LOGIN_REFILL: Duration = Duration::from_secs(12);

/// Client addresses the login limiter remembers before it forgets the idle ones.
const LIMITER_KEYS: usize = 10_000;

/// Equal, in time that does not depend on where they differ.
pub(crate) fn same(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What the store keeps of a session id: its SHA-256.
fn id_hash(id: &str) -> String {
    hex(&Sha256::digest(id.as_bytes()))
}

/// Which token a session was made under, without storing the token.
fn token_tag(token: &Secret) -> String {
    hex(&Sha256::digest(
        format!("refnet-session-token:{}", token.expose()).as_bytes(),
    ))
}

/// A fresh session id: 32 random bytes from the operating system, as hex.
fn new_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex(&bytes))
}

/// The session cookie's value in a request, if it carries one.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(name, value)| (name == SESSION_COOKIE && !value.is_empty()).then_some(value))
}

/// Whether the request came over https to a proxy in front (`X-Forwarded-Proto`): then
/// the cookie is marked `Secure`.
pub(crate) fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: the session (or, with an empty value and no age, its removal).
pub(crate) fn set_cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// Why a session could not be started.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SessionError {
    /// The operating system gave no random bytes.
    #[error("no random source for the session id ({0})")]
    Random(getrandom::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Starts a session under `token`: the cookie's value.
pub(crate) async fn begin(state: &AppState, token: &Secret) -> Result<String, SessionError> {
    let id = new_id().map_err(SessionError::Random)?;
    let at = now();
    state
        .ctx
        .store
        .create_session(&id_hash(&id), &token_tag(token), at, at + SESSION_SECONDS)
        .await?;
    Ok(id)
}

/// Ends the request's session, if it has one.
pub(crate) async fn end(state: &AppState, headers: &HeaderMap) -> Result<(), StoreError> {
    if let Some(id) = session_cookie(headers) {
        state.ctx.store.delete_session(&id_hash(id)).await?;
    }
    Ok(())
}

/// Whether the request carries the token as a bearer header.
fn bearer(headers: &HeaderMap, token: &Secret) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| same(given.trim(), token.expose()))
}

/// Whether the request carries the token (header) or a live session's cookie.
pub(crate) async fn authorized(state: &AppState, headers: &HeaderMap, token: &Secret) -> Result<bool, StoreError> {
    if bearer(headers, token) {
        return Ok(true);
    }
    match session_cookie(headers) {
        Some(id) => {
            state
                .ctx
                .store
                .session_live(&id_hash(id), &token_tag(token), now())
                .await
        }
        None => Ok(false),
    }
}

/// Login attempts per client address.
#[derive(Debug)]
pub(crate) struct LoginLimiter(DefaultKeyedRateLimiter<IpAddr>);

impl Default for LoginLimiter {
    fn default() -> Self {
        let burst = NonZeroU32::new(LOGIN_BURST).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(LOGIN_REFILL)
            .unwrap_or_else(|| Quota::per_minute(burst))
            .allow_burst(burst);
        Self(RateLimiter::keyed(quota))
    }
}

impl LoginLimiter {
    /// Counts an attempt from `client`: `Err(wait)` when it has used its attempts.
    pub(crate) fn attempt(&self, client: IpAddr) -> Result<(), Duration> {
        if self.0.len() > LIMITER_KEYS {
            self.0.retain_recent();
        }
        self.0
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_random_and_stored_only_as_hashes() {
        let (a, b) = (new_id().expect("random"), new_id().expect("random"));
        assert_eq!(a.len(), 64, "256 bits as hex");
        assert_ne!(a, b);
        assert_ne!(id_hash(&a), a);
        assert_eq!(id_hash(&a), id_hash(&a));
        let token = Secret::new("s3cret");
        assert!(!token_tag(&token).contains("s3cret"));
        assert_ne!(token_tag(&token), token_tag(&Secret::new("other")));
    }

    #[test]
    fn the_cookie_is_read_among_others_and_marked_secure_behind_https() {
        let mut headers = HeaderMap::new();
        assert_eq!(session_cookie(&headers), None);
        headers.insert(
            header::COOKIE,
            format!("theme=dark; {SESSION_COOKIE}=abc123").parse().expect("value"),
        );
        assert_eq!(session_cookie(&headers), Some("abc123"));
        assert!(!over_https(&headers));
        headers.insert("x-forwarded-proto", "HTTPS".parse().expect("value"));
        assert!(over_https(&headers));
        let cookie = set_cookie("abc123", SESSION_SECONDS, true);
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.ends_with("; Secure"));
        assert!(!set_cookie("abc123", SESSION_SECONDS, false).contains("Secure"));
    }

    #[test]
    fn bearer_tokens_are_compared_whole() {
        let token = Secret::new("s3cret");
        let mut headers = HeaderMap::new();
        assert!(!bearer(&headers, &token));
        headers.insert(header::AUTHORIZATION, "Bearer s3cret".parse().expect("value"));
        assert!(bearer(&headers, &token));
        headers.insert(header::AUTHORIZATION, "Bearer s3cre".parse().expect("value"));
        assert!(!bearer(&headers, &token));
    }

    #[test]
    fn a_client_gets_five_login_attempts_then_waits() {
        let limiter = LoginLimiter::default();
        let (one, two): (IpAddr, IpAddr) = ("192.0.2.1".parse().expect("ip"), "192.0.2.2".parse().expect("ip"));
        for _ in 0..LOGIN_BURST {
            assert!(limiter.attempt(one).is_ok());
        }
        let wait = limiter.attempt(one).expect_err("limited");
        assert!(wait > Duration::ZERO && wait <= LOGIN_REFILL, "{wait:?}");
        assert!(limiter.attempt(two).is_ok(), "another address has its own attempts");
    }
}

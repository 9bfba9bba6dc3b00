//! `refnet serve`'s HTTP side: the JSON API, `/metrics`, the probes, the dashboard and
//! the operations console (crawl, jobs and workers pages; pause, cancel, charts).
//!
//! Bound to loopback by default. A bearer token (`REFNET_API_TOKEN`) guards everything
//! but the probes when it is set, and must be set for any other address (see
//! [`check_bind`]). Browsers reach the dashboard with the same token, typed once into
//! a login form (tries limited per client) that starts a server-side session
//! ([`session`]). Without a token, requests whose `Host` is not a loopback name are
//! refused (DNS rebinding), and every `POST` or `DELETE` whose `Origin` is another site is refused
//! (cross-site requests) — with or without one. Every response carries security
//! headers, and every error body is JSON and bounded ([`layers`]).

pub mod api;
pub mod charts;
pub mod console;
pub mod console_api;
pub mod dashboard;
pub mod failure;
pub mod health;
pub mod layers;
mod page;
pub mod prometheus;
pub mod sampler;
mod session;
pub mod submit;
pub mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use tokio_util::sync::CancellationToken;

use crate::context::Context;
use crate::secret::Secret;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The process's context.
    pub ctx: Arc<Context>,
    /// The bearer token, when one is required.
    pub token: Option<Secret>,
    /// Login attempts per client address.
    logins: Arc<session::LoginLimiter>,
}

impl AppState {
    /// The state of a process's HTTP side.
    pub fn new(ctx: Arc<Context>, token: Option<Secret>) -> Self {
        Self {
            ctx,
            token,
            logins: Arc::default(),
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// Refuses an address other than loopback without a token: one line naming the fix.
pub fn check_bind(addr: &SocketAddr, token: Option<&Secret>) -> Result<(), String> {
    if token.is_some_and(|t| t.expose().trim().is_empty()) {
        return Err(
            "REFNET_API_TOKEN is set but empty: give it a long random value, e.g. `openssl rand -hex 32`".to_owned(),
        );
    }
    if !addr.ip().is_loopback() && token.is_none() {
        return Err(format!(
            "refusing to serve on {addr} without a token: set REFNET_API_TOKEN (e.g. `openssl rand -hex 32`), or bind 127.0.0.1"
        ));
    }
    Ok(())
}

/// The whole HTTP side of `refnet serve`.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/", get(dashboard::page))
        .route("/login", get(dashboard::login_page).post(dashboard::login))
        .route("/logout", post(dashboard::logout))
        .route("/crawls", post(dashboard::start_crawl))
        .route("/crawls/{id}/refresh", post(dashboard::refresh))
        .route("/jobs/{id}/retry", post(dashboard::retry))
        .route("/jobs/retry-all", post(dashboard::retry_all))
        .route("/api/crawls", get(api::list_crawls).post(api::create_crawl))
        .route("/api/crawls/{id}", get(api::get_crawl).delete(console_api::cancel))
        .route("/api/queues", get(api::queues))
        .route("/api/jobs/dead", get(api::dead_jobs).delete(console_api::delete_dead))
        .route("/api/jobs/{id}/retry", post(api::retry_job))
        .route("/api/refresh", post(api::refresh))
        .route("/metrics", get(api::metrics))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(console_routes())
        .fallback(api::not_found);
    guarded(routes, state)
}

/// The operations console's pages, buttons and JSON API (see [`console`], [`console_api`]).
fn console_routes() -> Router<AppState> {
    Router::new()
        .route("/crawls/{id}", get(console::crawl))
        .route("/crawls/{id}/cancel", post(console::cancel))
        .route("/jobs", get(console::jobs))
        .route("/jobs/{id}/delete", post(console::delete_job))
        .route("/jobs/delete-dead", post(console::delete_dead))
        .route("/queues/{queue}/pause", post(console::pause))
        .route("/queues/{queue}/resume", post(console::resume))
        .route("/workers", get(console::workers))
        .route("/api/crawls/{id}/jobs", get(console_api::crawl_jobs))
        .route("/api/jobs", get(console_api::list_jobs))
        .route("/api/jobs/{id}", delete(console_api::delete_job))
        .route("/api/queues/{queue}/pause", post(console_api::pause))
        .route("/api/queues/{queue}/resume", post(console_api::resume))
        .route("/api/workers", get(console_api::workers))
        .route("/api/metrics/series", get(console_api::series))
}

/// A worker's `--metrics-bind`: `/metrics`, and `/healthz` (also `/readyz`) reporting
/// this process's own workers.
pub fn metrics_router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/metrics", get(api::metrics))
        .route("/healthz", get(health::worker_healthz))
        .route("/readyz", get(health::worker_healthz))
        .fallback(api::not_found);
    guarded(routes, state)
}

/// The layers every route sits behind, innermost first: the body limit, the guard, JSON
/// error bodies, security headers.
fn guarded(routes: Router<AppState>, state: AppState) -> Router {
    routes
        .layer(DefaultBodyLimit::max(layers::BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard))
        .layer(axum::middleware::from_fn(layers::json_errors))
        .layer(axum::middleware::from_fn(layers::security_headers))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` is cancelled.
pub async fn run(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    // The peer address reaches handlers (the login limiter keys on it).
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

/// The host part of a `Host` or `Origin` value.
fn host_name(value: &str) -> &str {
    let value = value.split("://").nth(1).unwrap_or(value);
    let value = value.split('/').next().unwrap_or(value);
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    value.rsplit_once(':').map(|(h, _)| h).unwrap_or(value)
}

fn is_loopback_name(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Host, origin and token checks in front of every route.
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let path = request.uri().path().to_owned();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    if state.token.is_none() && !host.is_empty() && !is_loopback_name(host_name(host)) {
        return api::error(
            StatusCode::MISDIRECTED_REQUEST,
            None,
            &format!("this refnet serves loopback only, not {host}: set REFNET_API_TOKEN to serve other names"),
        );
    }
    if matches!(*request.method(), Method::POST | Method::DELETE)
        && let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
        && origin.split("://").nth(1).unwrap_or(origin) != host
    {
        return api::error(
            StatusCode::FORBIDDEN,
            None,
            "cross-site request refused: post from refnet's own pages or without an Origin header",
        );
    }
    let open = matches!(path.as_str(), "/healthz" | "/readyz" | "/login");
    let allowed = match &state.token {
        Some(token) if !open => session::authorized(&state, headers, token).await,
        _ => Ok(true),
    };
    let allowed = match allowed {
        Ok(allowed) => allowed,
        Err(e) => return api::unavailable(&e).into_response(),
    };
    if !allowed {
        let browser = request.method() == Method::GET && !path.starts_with("/api/") && path != "/metrics";
        if browser {
            return (StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response();
        }
        let mut response = api::error(
            StatusCode::UNAUTHORIZED,
            None,
            "missing or wrong token: send `Authorization: Bearer <REFNET_API_TOKEN>`",
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        return response;
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_loopback_needs_a_token() {
        let lo: SocketAddr = "127.0.0.1:8080".parse().expect("addr");
        let any: SocketAddr = "0.0.0.0:8080".parse().expect("addr");
        assert!(check_bind(&lo, None).is_ok());
        let err = check_bind(&any, None).expect_err("refused");
        assert!(err.contains("REFNET_API_TOKEN"), "{err}");
        assert!(check_bind(&any, Some(&Secret::new("t0ken"))).is_ok());
        assert!(check_bind(&any, Some(&Secret::new(" "))).is_err());
    }

    #[test]
    fn hosts_and_origins_are_read_for_their_names() {
        assert_eq!(host_name("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_name("[::1]:8080"), "::1");
        assert_eq!(host_name("http://localhost:8080"), "localhost");
        assert_eq!(host_name("evil.example"), "evil.example");
        assert!(is_loopback_name("LOCALHOST"));
        assert!(is_loopback_name("::1"));
        assert!(!is_loopback_name("127.0.0.1.evil.example"));
    }
}

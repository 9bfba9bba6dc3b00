//! What every response passes through: security headers, and error bodies made JSON
//! (`{"error": "…"}`) and bounded, including axum's own answers (a body over the limit,
//! a form or path that does not parse, a method a path does not take).

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::failure;

/// Most bytes a request body may have (a crawl of a thousand seeds needs far less).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Most bytes of a plain-text error body read to turn it into JSON.
const PLAIN_ERROR_READ: usize = 16 * 1024;

/// The pages are server-rendered with inline styles and no scripts; nothing comes from
/// another origin, and no other site may frame them.
const CSP: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers to every response.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Not `no-referrer`: under it browsers send `Origin: null` with the console's own
        // form posts, which the cross-site check must then refuse. `same-origin` gives
        // other sites nothing and our own pages their origin.
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Turns an error answered as plain text (or nothing) into `{"error": "…"}`; JSON and
/// HTML answers pass (their handlers bound them).
pub async fn json_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = failure::clip(request.uri().path(), failure::ECHO_CHARS);
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let kind = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if kind.starts_with("application/json") || kind.starts_with("text/html") {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, PLAIN_ERROR_READ).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "the request body is larger than {} KiB: send less (a crawl needs a few KiB)",
            BODY_LIMIT / 1024
        ),
        // axum adds `Allow` outside the route layers, after this runs.
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("{path} does not take {method}: the Allow header lists the methods it takes")
        }
        _ if text.is_empty() => format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("error")),
        _ => text,
    };
    let mut json = failure::error(status, None, &message);
    // Keep what the answer said besides its body (`Allow`, `WWW-Authenticate`, …).
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            json.headers_mut().append(name.clone(), value.clone());
        }
    }
    json
}

//! A fake web host on 127.0.0.1 for PDF downloads: files with content types, redirects,
//! error statuses, slow and endless bodies. It counts the TCP connections it accepts, so
//! a test can assert that a refused URL was refused before any connection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// What a path answers.
#[derive(Debug, Clone)]
pub enum Route {
    /// A body with a content type.
    File {
        /// Content type (empty: none).
        content_type: String,
        /// The bytes.
        body: Vec<u8>,
    },
    /// A redirect (302) to a URL.
    Redirect(String),
    /// An error status.
    Status(u16),
    /// A body that never ends (for size caps).
    Endless,
    /// Waits, then answers like the inner route.
    Slow(Duration, Box<Route>),
}

#[derive(Clone, Default)]
struct Shared {
    routes: Arc<Mutex<HashMap<String, Route>>>,
    connections: Arc<AtomicUsize>,
}

/// A running fake host.
pub struct FakeWeb {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// `127.0.0.1:PORT`.
    pub host: String,
    shared: Shared,
    _server: tokio::task::JoinHandle<()>,
}

impl FakeWeb {
    /// Starts an empty host.
    pub async fn start() -> Self {
        let shared = Shared::default();
        let app = axum::Router::new()
            .route("/{*path}", get(serve))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding 127.0.0.1:0 for a fake host");
        let addr = listener.local_addr().expect("local address");
        let counter = shared.connections.clone();
        let server = tokio::spawn(async move {
            use axum::serve::ListenerExt;
            let counted = listener.tap_io(move |_| {
                counter.fetch_add(1, Ordering::SeqCst);
            });
            let _ = axum::serve(counted, app).await;
        });
        Self {
            base: format!("http://{addr}"),
            host: addr.to_string(),
            shared,
            _server: server,
        }
    }

    /// Serves `route` at `path` (without the leading slash).
    pub fn route(&self, path: &str, route: Route) -> String {
        if let Ok(mut routes) = self.shared.routes.lock() {
            routes.insert(path.trim_start_matches('/').to_owned(), route);
        }
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    /// Serves a PDF file's bytes at `path`.
    pub fn pdf(&self, path: &str, body: Vec<u8>) -> String {
        self.route(
            path,
            Route::File {
                content_type: "application/pdf".to_owned(),
                body,
            },
        )
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

async fn serve(State(shared): State<Shared>, Path(path): Path<String>) -> Response {
    let route = shared.routes.lock().ok().and_then(|r| r.get(&path).cloned());
    answer(route).await
}

async fn answer(route: Option<Route>) -> Response {
    let mut route = route;
    loop {
        match route {
            None => return StatusCode::NOT_FOUND.into_response(),
            Some(Route::File { content_type, body }) => {
                let mut response = body.into_response();
                if let Ok(value) = content_type.parse() {
                    response.headers_mut().insert("content-type", value);
                } else {
                    response.headers_mut().remove("content-type");
                }
                return response;
            }
            Some(Route::Redirect(location)) => {
                return (StatusCode::FOUND, [("location", location)]).into_response();
            }
            Some(Route::Status(code)) => {
                return StatusCode::from_u16(code)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                    .into_response();
            }
            Some(Route::Endless) => {
                let chunk = bytes::Bytes::from(vec![b'%'; 64 * 1024]);
                let stream = futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
                return ([("content-type", "application/pdf")], Body::from_stream(stream)).into_response();
            }
            Some(Route::Slow(delay, inner)) => {
                tokio::time::sleep(delay).await;
                route = Some(*inner);
            }
        }
    }
}

//! What every HTML page of the console ends with: the page rendered, or a JSON error when
//! its template fails; and long stored texts cut for a table cell.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::api;

/// The page as an HTML answer with `status`, or a 500 naming the template's failure.
pub(super) fn html(status: StatusCode, page: Result<String, askama::Error>) -> Response {
    match page {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => api::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            &format!("cannot render the page: {e}"),
        ),
    }
}

/// Shortens a stored error for a table cell.
pub(super) fn short(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

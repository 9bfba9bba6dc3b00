//! A failed API request as JSON: `{"error": "…", "field": "…"}` with its status, shared
//! by the API handlers, request reading and the dashboard.

use std::fmt::Display;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A failed request: its status, the field at fault, and a message with the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The request field at fault, if one is.
    pub field: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.message });
        if let Some(field) = self.field {
            body["field"] = json!(field);
        }
        (self.status, Json(body)).into_response()
    }
}

/// A JSON error response.
pub fn error(status: StatusCode, field: Option<&str>, message: &str) -> Response {
    failure(status, field, message).into_response()
}

/// A failed request; the message and field are [`bounded`], so echoed input cannot make
/// the answer large.
pub fn failure(status: StatusCode, field: Option<&str>, message: &str) -> ApiError {
    ApiError {
        status,
        field: field.map(|f| clip(f, ECHO_CHARS)),
        message: bounded(message),
    }
}

/// Most characters of one echoed value (a word of the message) in an error.
pub const ECHO_CHARS: usize = 200;

/// Most characters of an error message.
pub const MESSAGE_CHARS: usize = 1000;

/// The first `max` characters of `text`, with "…" when some were cut.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// A message fit to send back: each long word (an echoed value: a seed, a field name)
/// cut to [`ECHO_CHARS`], and the whole to [`MESSAGE_CHARS`], keeping its end (where the
/// fix is) when the middle has to go.
pub fn bounded(message: &str) -> String {
    if message.chars().count() <= ECHO_CHARS {
        return message.to_owned();
    }
    let mut out = String::with_capacity(message.len().min(4 * MESSAGE_CHARS));
    let mut word = String::new();
    for c in message.chars() {
        if c.is_whitespace() {
            out.push_str(&clip(&word, ECHO_CHARS));
            word.clear();
            out.push(c);
        } else {
            word.push(c);
        }
    }
    out.push_str(&clip(&word, ECHO_CHARS));
    let chars: Vec<char> = out.chars().collect();
    if chars.len() <= MESSAGE_CHARS {
        return out;
    }
    let tail = MESSAGE_CHARS / 4;
    let head: String = chars[..MESSAGE_CHARS - tail].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    format!("{head} … {end}")
}

pub fn bad(field: &str, message: impl Display) -> ApiError {
    failure(StatusCode::BAD_REQUEST, Some(field), &message.to_string())
}

/// The database failed: 503, the request can be tried again.
pub fn unavailable(e: &dyn Display) -> ApiError {
    failure(
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        &format!("the database is unavailable ({e}); try again shortly"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_input_is_cut_and_the_fix_kept() {
        let seed = "x".repeat(100_000);
        let message = format!("unrecognised paper id {seed:?}: use DOI:…, ARXIV:… or a link");
        let short = bounded(&message);
        assert!(short.chars().count() < 300, "{short}");
        assert!(short.starts_with("unrecognised paper id \"xxx"), "{short}");
        assert!(short.contains('…') && short.ends_with("or a link"), "{short}");
        let words = format!("{} then the fix", "many words ".repeat(5_000));
        let short = bounded(&words);
        assert!(short.chars().count() <= MESSAGE_CHARS + 3, "{}", short.len());
        assert!(short.ends_with("then the fix"), "{short}");
        assert_eq!(bounded("a short message"), "a short message");
        let e = failure(StatusCode::BAD_REQUEST, Some(&"k".repeat(5_000)), &words);
        assert!(e.field.is_some_and(|f| f.chars().count() == ECHO_CHARS + 1));
    }
}

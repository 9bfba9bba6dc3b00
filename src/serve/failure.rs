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

pub fn failure(status: StatusCode, field: Option<&str>, message: &str) -> ApiError {
    ApiError {
        status,
        field: field.map(str::to_owned),
        message: message.to_owned(),
    }
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

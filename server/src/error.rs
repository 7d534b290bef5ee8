//! `ApiError`: every failure a handler returns, turned into `{code, message}` with the right status.
//!
//! 4xx errors carry a machine code and a message safe to show; a 5xx says only
//! "internal error" to the client and logs its cause once, here, with the chain.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::db::DbError;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, an unknown one, or a revoked one: sign in again (401 `unauthorized`).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Wrong user name or password at login (401 `bad_credentials`).
    #[error("wrong user name or password")]
    BadCredentials,
    /// The caller's role or team may not do this (403 `forbidden`).
    #[error("{0}")]
    Forbidden(String),
    /// The thing named in the path does not exist (404 `not_found`), e.g. revoking an unknown device.
    #[error("{0}")]
    NotFound(String),
    /// Too many failed sign-ins for this user name (429 `too_many_attempts`, with `Retry-After`).
    #[error("too many failed sign-ins; try again in {} minutes", (retry_after_ms + 59_999) / 60_000)]
    TooManyAttempts { retry_after_ms: i64 },
    /// The request body is larger than the server accepts (413 `too_large`); the client splits and resends.
    #[error("the request body is larger than {limit} bytes; send fewer items per batch")]
    TooLarge { limit: usize },
    /// A malformed request, e.g. a body that is not the expected JSON (400 with `code`).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// The request contradicts what the server holds, e.g. a decision id resent with other content (409 `conflict`).
    #[error("{0}")]
    Conflict(String),
    /// Storage failed; the client sees only "internal error".
    #[error("storage failed")]
    Db(#[from] DbError),
    /// Any other internal failure, e.g. password hashing.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// The status and machine code of this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::TooManyAttempts { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
            }
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Db(_) | ApiError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() {
            // The cause may name tables, paths or hosts: log it, do not send it.
            tracing::error!(error = %chain(&self), "internal error");
            "internal error".to_owned()
        } else {
            self.to_string()
        };
        let retry_after = match &self {
            ApiError::TooManyAttempts { retry_after_ms } => {
                Some(((retry_after_ms + 999) / 1000).to_string())
            }
            _ => None,
        };
        let mut resp = (
            status,
            Json(canvass_protocol::ApiError {
                code: code.to_owned(),
                message,
            }),
        )
            .into_response();
        if let Some(secs) = retry_after.and_then(|s| axum::http::HeaderValue::from_str(&s).ok()) {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs);
        }
        resp
    }
}

/// The error and its sources, joined with ": ".
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

//! Errors: [`ServerError`] for starting and running the service, [`AppError`] for what
//! an HTTP client is told (a status, a code and a message, never internals).

use std::path::PathBuf;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// What can stop the service or one of its parts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The embedded database failed.
    #[error("database {}: {message}", path.display())]
    Storage {
        /// The database file.
        path: PathBuf,
        /// The database's message.
        message: String,
    },
    /// The database holds a record this version cannot read.
    #[error("database {}: unreadable {what}", path.display())]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What was unreadable.
        what: String,
    },
    /// The data folder was written by a service built from another spec.
    #[error(
        "database {} was written under another configuration (found {found}, this run is {expected}); \
         use a fresh --data-dir for a new spec",
        path.display()
    )]
    ConfigMismatch {
        /// The database file.
        path: PathBuf,
        /// This run's configuration digest.
        expected: String,
        /// The digest stored in the database.
        found: String,
    },
    /// Replaying the log did not reproduce the state it recorded.
    #[error("replaying record {seq}: {message}")]
    Replay {
        /// The record's sequence number.
        seq: u64,
        /// What went wrong.
        message: String,
    },
    /// The state machine could not be snapshot or restored.
    #[error("snapshot: {0}")]
    Snapshot(String),
    /// The listening socket could not be bound or served.
    #[error("listening on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The NATS connection or subscription failed.
    #[error("NATS {url}: {message}")]
    Nats {
        /// The server's URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// The writer thread stopped; the service cannot accept events.
    #[error("the writer stopped")]
    WriterStopped,
}

/// An error answered to an HTTP client: the status, a stable code and a message meant
/// for the client. Internal details go to the log, not here.
#[derive(Debug, Clone, PartialEq)]
pub struct AppError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable machine-readable code, e.g. `"unauthorized"`.
    pub code: &'static str,
    /// A sentence for the person reading it.
    pub message: String,
    /// Seconds to wait before retrying (429 and 503).
    pub retry_after_s: Option<u64>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

impl AppError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after_s: None }
    }

    /// 400: the request could not be understood.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401: no valid token.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: the token is valid but not for this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 413: the body or batch is too large.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    /// 422: well-formed events the guard refused; nothing of the request was applied.
    pub fn rejected(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "rejected", message)
    }

    /// 429: over the rate limit.
    pub fn rate_limited(retry_after_s: u64) -> Self {
        Self {
            retry_after_s: Some(retry_after_s),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many requests; retry later")
        }
    }

    /// 503: the service cannot make the request durable now; nothing was applied.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self { retry_after_s: Some(1), ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message) }
    }

    /// 500 for a failure whose details belong in the log only.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; see the service log")
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code, message: &self.message } };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after_s {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<ServerError> for AppError {
    fn from(e: ServerError) -> Self {
        tracing::error!(error = %e, "request failed");
        match e {
            ServerError::WriterStopped => AppError::unavailable("the service is shutting down"),
            _ => AppError::internal(),
        }
    }
}

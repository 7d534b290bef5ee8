//! How a sync call can fail, classified by what the device should do next.
//!
//! Retryable failures (network, timeout, 5xx, 429, an unreadable answer) leave
//! the outbox as it is and back off; [`Error::Unauthorized`] stops and asks the
//! user to sign in again; [`Error::TooLarge`] makes the pass split the batch.
//! Per-item refusals (conflict, invalid) are not errors: they are results that
//! mark single rows rejected.

/// A failed sync call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `canvass sync` before `canvass login`, or after the server refused the token.
    #[error("not signed in; sign in to a server first")]
    NotSignedIn,
    /// 401: the token is unknown, revoked or the user is disabled, or the password was wrong at login.
    #[error("the server refused the sign-in ({code}): {message}")]
    Unauthorized { code: String, message: String },
    /// 413: the request is larger than the server accepts.
    #[error("the server refused a batch as too large: {message}")]
    TooLarge { message: String },
    /// No answer: connection refused or dropped, timeout, DNS, TLS.
    #[error("cannot reach the server")]
    Network(#[source] reqwest::Error),
    /// 5xx or 429: the server is failing or busy.
    #[error("the server is unavailable (HTTP {status}): {message}")]
    Unavailable {
        status: u16,
        message: String,
        /// The server's `Retry-After` in milliseconds (seconds form only), if it sent one.
        retry_after_ms: Option<i64>,
    },
    /// Another 4xx, e.g. 403 for a wrong role or device: waiting will not help, but nothing is lost.
    #[error("the server refused the request (HTTP {status}, {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// A 2xx answer that is not the expected JSON.
    #[error("the server's answer could not be read: {0}")]
    BadResponse(String),
    /// The server address is not an http(s) URL.
    #[error("invalid server address {url:?}; expected http://host:port or https://host")]
    BadUrl { url: String },
    /// The local database failed.
    #[error(transparent)]
    Store(#[from] canvass_store::Error),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Whether the same request may succeed later without anyone doing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Network(_) | Error::Unavailable { .. } | Error::BadResponse(_)
        )
    }

    /// How long the server asked us to wait, if it did.
    pub fn retry_after_ms(&self) -> Option<i64> {
        match self {
            Error::Unavailable { retry_after_ms, .. } => *retry_after_ms,
            _ => None,
        }
    }

    /// Whether the user has to sign in (again) before syncing.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, Error::NotSignedIn | Error::Unauthorized { .. })
    }
}

/// The error and its sources joined with ": ", for the sync log.
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

//! canvass-server: the central server that receives finished work from devices and serves what they need.
//!
//! [`app`] builds the axum `Router` over an [`AppState`]: storage behind the
//! [`db::Database`] trait (SQLite or PostgreSQL), an injected clock, and limits.
//! Endpoints, all under `/v1` (wire types in `canvass-protocol`):
//! `POST /v1/login`, `POST /v1/logout`, `POST /v1/batches`, `GET /v1/changes?since=CURSOR`,
//! `GET /v1/interviews[?team=T]`, `POST /v1/questionnaires` (admins), `POST /v1/assignments`
//! and `POST /v1/decisions` (supervisors for their team, admins for any), `GET /v1/devices`, `POST /v1/devices/{id}/revoke`
//! (a lost laptop: admins any device, supervisors their team's), `POST /v1/cases` and `POST /v1/outcomes`
//! (CATI case lists and outcome tables for a team), `POST /v1/leases` (CATI case leases for the
//! caller's device), `GET /v1/quotas?study=S` (quota totals), and `GET /v1/health`.
//!
//! Invariants: every endpoint but login and health authenticates through
//! [`auth::Caller`] and checks role and team; invalid input gets a 4xx
//! `{code, message}` and changes nothing; one batch is one transaction; the
//! server never depends on client crates (store, sync, app).

pub mod auth;
pub mod cases;
pub mod cli;
pub mod db;
pub mod error;
pub mod export;
pub mod export_data;
pub mod forms;
pub mod ingest;
pub mod review;
mod routes;
pub mod throttle;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;

pub use routes::export_jsonl;

/// A source of Unix milliseconds UTC; tests pass a fixed one.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Size limits of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body after gzip decompression, in bytes (413 `too_large` above it).
    pub max_body_bytes: usize,
    /// Most items in one batch (413 `too_large` above it).
    pub max_items: usize,
    /// Largest attachment body, in bytes (413 `too_large` above it); the devices'
    /// own cap unless lowered, as a proxy in front of the server may do.
    pub max_attachment_bytes: usize,
}

impl Default for Limits {
    /// 4 MiB leaves room above the client's 2 MB batches (performance.md section 4).
    fn default() -> Limits {
        Limits {
            max_body_bytes: 4 * 1024 * 1024,
            max_items: 1000,
            max_attachment_bytes: canvass_protocol::MAX_ATTACHMENT_BYTES,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: Arc<dyn db::Database>,
    pub clock: Clock,
    pub limits: Limits,
    /// Failed sign-ins per user name, shared by every clone of the state.
    pub throttle: Arc<throttle::LoginThrottle>,
}

impl AppState {
    /// State over `db` with the system clock and default limits.
    pub fn new(db: Arc<dyn db::Database>) -> AppState {
        AppState {
            db,
            clock: Arc::new(system_now_ms),
            limits: Limits::default(),
            throttle: Arc::default(),
        }
    }
}

/// The wall clock in Unix milliseconds.
pub fn system_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The HTTP application.
pub fn app(state: AppState) -> Router {
    let limit = state.limits.max_body_bytes;
    let attachment_limit = state.limits.max_attachment_bytes;
    Router::new()
        .route("/v1/health", get(|| async { "ok" }))
        .route("/v1/login", post(routes::login))
        .route("/v1/logout", post(routes::logout))
        .route("/v1/batches", post(routes::push_batch))
        .route("/v1/changes", get(routes::changes))
        .route("/v1/interviews", get(routes::interviews))
        .route("/v1/questionnaires", post(routes::publish_questionnaire))
        .route("/v1/assignments", post(routes::publish_assignment))
        .route("/v1/decisions", post(routes::publish_decision))
        .route("/v1/devices", get(routes::devices))
        .route(
            "/v1/devices/{device_id}/revoke",
            post(routes::revoke_device),
        )
        .route("/v1/cases", post(cases::publish_case_list))
        .route("/v1/outcomes", post(cases::publish_outcomes))
        .route("/v1/leases", post(cases::leases))
        .route("/v1/quotas", get(cases::quota_totals))
        .route("/v1/attachments/missing", post(routes::attachments_missing))
        // An attachment may be larger than a batch; its own limit replaces the general one.
        .route(
            "/v1/attachments/{hash}",
            axum::routing::put(routes::put_attachment)
                .get(routes::get_attachment)
                .layer(DefaultBodyLimit::max(attachment_limit)),
        )
        .fallback(routes::not_found)
        // The limit applies to the decompressed body, so a small gzip bomb cannot blow past it.
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestDecompressionLayer::new())
        .layer(CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

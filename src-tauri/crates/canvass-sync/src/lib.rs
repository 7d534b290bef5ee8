//! Batch sync client: moves finished work from the local outbox to canvass-server and pulls changes back.
//!
//! [`plan`] is pure (rows in, batches out, deterministic); [`sync_pass`] does
//! the I/O: HTTP through reqwest with rustls and gzip, and outbox bookkeeping
//! through `canvass-store`. Every failure is classified ([`Error::is_retryable`],
//! [`Error::needs_sign_in`]); per-item refusals mark single rows rejected.
//!
//! Invariants: this is the only crate that makes HTTP calls; it holds no SQL;
//! a resend after a lost response is harmless because the server answers
//! `duplicate` for an id it already holds with the same hash.

mod attachments;
mod client;
mod error;
mod pass;
mod plan;
mod review;

pub use attachments::RETRY_REFUSED_MS;
pub use client::{Server, DEFAULT_TIMEOUT};
pub use error::{chain, Error, Result};
pub use pass::{
    login, new_id, sync_pass, sync_pass_reporting, Clock, Outcome, PassOptions, PassSummary,
    Progress, ProgressSink, Rejection, Stage,
};
pub use plan::{backoff_ms, item_bytes, plan, split, Batch, Limits};
pub use review::{pull_team_interviews, DECISION_KIND};

/// Runs a future to completion on a fresh single-threaded runtime, for callers without one (the CLI).
pub fn block_on<F: std::future::Future>(f: F) -> std::io::Result<F::Output> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f))
}

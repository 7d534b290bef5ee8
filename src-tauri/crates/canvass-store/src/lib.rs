//! The local store: the only crate that speaks SQL on the client.
//!
//! [`Store::open`] opens the interview database with the pragmas that make
//! every commit durable (WAL, `synchronous=FULL`), runs pending migrations in
//! one transaction, and refuses a file written by a newer Canvass.
//! Repositories are plain methods on [`Store`] that take and return typed rows;
//! callers never see a SQL string or a `rusqlite` type.
//!
//! Invariants: every write that must reach the server inserts its `outbox` row
//! in the same transaction as the change itself ([`Write::complete`]); paradata
//! events are written in the same [`Write`] as the change they describe.

mod attachments;
mod backup;
mod capi;
mod cati;
mod cati_sync;
mod dashboard;
mod error;
mod export;
mod interviews;
mod lifecycle;
mod migrate;
mod open;
mod outbox;
mod paradata;
mod questionnaires;
mod received;
mod review;
mod sync_state;

pub use attachments::{AttachmentRow, NewAttachment};
pub use backup::{list_backups, prune_backups, restore, BACKUP_PREFIX};
pub use capi::{
    AssignmentEventRow, AssignmentPage, AssignmentQuery, AssignmentRow, ConsentRow, NewAssignment,
    RespondentLock, VisitRow,
};
pub use cati::{
    AppointmentRow, AttemptRow, CaseRow, CaseStateRow, CatiEventRow, CatiWrite, NewCase,
    QueueCounts, QuotaRow,
};
pub use cati_sync::{CatiReceived, LeaseCandidate};
pub use dashboard::{DashboardContact, DashboardInterview};
pub use error::{Error, Result};
pub use export::ExportFilter;
pub use interviews::{AnswerRow, InterviewRow, NewInterview, OutboxRow};
pub use migrate::{Migration, MIGRATIONS};
pub use open::{inspect, DbReport, Store};
pub use outbox::{OutboxEntry, OutboxUpdate};
pub use paradata::{EventRow, NewEvent, NewSession, SessionRow, Write};
pub use questionnaires::QuestionnaireRow;
pub use received::{ReceivedAssignment, ReceivedChanges, ReceivedDecision, ReceivedQuestionnaire};
pub use review::{PulledInterview, ReviewDecisionRow, ReviewInterviewRow, ReviewRecord};
pub use sync_state::{SyncLogEntry, SyncSettings, SYNC_LOG_KEEP};

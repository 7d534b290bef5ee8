//! Server storage: one [`Database`] trait, two real backends ([`sqlite`] and [`postgres`]).
//!
//! Handlers see only this trait and the row types below; every SQL string lives
//! in the backend modules, and each backend owns its migrations under
//! `server/migrations/<backend>/`, applied all-or-nothing at open.
//!
//! Invariant: [`Database::ingest`] runs one transaction per batch, inserts with
//! `ON CONFLICT DO NOTHING` and, when nothing was inserted, compares the stored
//! hash; its bookkeeping counts only rows it actually inserted.

pub mod postgres;
pub mod sqlite;

/// Re-exported so that wrappers of [`Database`] (tests, metrics) need no dependency of their own.
pub use async_trait::async_trait;

/// What went wrong in server storage.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite failed, e.g. the data folder is read-only.
    #[error("sqlite error")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed, e.g. the server went away mid-batch.
    #[error("postgres error")]
    Postgres(#[from] tokio_postgres::Error),
    /// The TLS settings for PostgreSQL could not be built (a rustls configuration error).
    #[error("cannot set up TLS for PostgreSQL")]
    Tls(#[source] rustls::Error),
    /// A migration failed; the schema was left as it was.
    #[error("migration {name} failed; nothing of this run was applied")]
    Migration {
        name: String,
        #[source]
        source: Box<DbError>,
    },
    /// The database was migrated by a newer canvass-server (schema `found`, this build knows `supported`).
    #[error("the database was written by a newer canvass-server (schema {found}, this build knows up to {supported})")]
    Incompatible { found: i64, supported: i64 },
    /// `user add` with a name that is taken.
    #[error("a user named {name} already exists")]
    UserExists { name: String },
    /// Storage answered something its own schema rules out, e.g. a record neither inserted nor found.
    #[error("storage is inconsistent: {what}")]
    Inconsistent { what: String },
    /// A blocking SQLite task panicked or was cancelled.
    #[error("storage task failed")]
    Task(#[from] tokio::task::JoinError),
    /// The data folder could not be created, e.g. no permission.
    #[error("cannot create the data folder {path}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Result type of storage calls.
pub type DbResult<T> = std::result::Result<T, DbError>;

/// A migration file compiled into the binary.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// File stem, e.g. `0001_init`.
    pub name: &'static str,
    pub sql: &'static str,
}

/// A user account to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub name: String,
    /// `admin`, `supervisor` or `interviewer`.
    pub role: String,
    pub team: Option<String>,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub created_at: i64,
}

/// A stored user account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UserRow {
    pub name: String,
    pub role: String,
    pub team: Option<String>,
    #[serde(skip)]
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: i64,
}

/// The caller behind a live token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    pub user: UserRow,
    pub device_id: String,
}

/// A device token's metadata (never the token or its hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceRow {
    pub device_id: String,
    pub user: String,
    /// The user's team, for supervisors' scope.
    pub team: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// One validated record of a batch, ready to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    pub id: String,
    pub kind: String,
    /// The payload text exactly as received (its hash is `payload_hash`).
    pub payload: String,
    pub payload_hash: String,
}

/// A batch of validated records with who sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestBatch {
    pub batch_id: String,
    pub device_id: String,
    pub user: String,
    pub team: Option<String>,
    pub received_at: i64,
    /// Items found invalid before storage; counted in the ingest log only.
    pub invalid: usize,
    pub records: Vec<NewRecord>,
}

/// What storage did with one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// Inserted by this batch.
    Inserted,
    /// Already there with the same hash.
    SameHash,
    /// Already there with another hash (the stored one is kept).
    OtherHash { stored_hash: String },
}

/// A record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub payload_hash: String,
    pub device_id: String,
    pub user: String,
    pub team: Option<String>,
    pub received_at: i64,
}

/// One published change (questionnaire version, assignment or decision) with its sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    pub seq: i64,
    /// `questionnaire_version`, `assignment` or `decision`.
    pub kind: String,
    /// `None`: visible to every team.
    pub team: Option<String>,
    /// The change as JSON text, in the shape of its `canvass-protocol` type.
    pub body: String,
}

/// One lease request of a device, decided case by case in one transaction (see `crate::cases::decide`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseBatch {
    pub study_id: String,
    pub team: Option<String>,
    pub device_id: String,
    pub user: String,
    pub case_ids: Vec<String>,
    /// Of `case_ids`, those with attempts the device has not pushed yet.
    pub unsynced: Vec<String>,
    /// Cases the device gives back (only its own leases are removed).
    pub release: Vec<String>,
    pub now: i64,
    pub ttl_ms: i64,
}

/// A supervisor's decision, checked and ready to store and publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDecision {
    /// The decision's id (device-made UUID v7, or derived from its content).
    pub id: String,
    pub interview_id: String,
    pub revision: Option<i64>,
    /// `approved` or `rejected`.
    pub decision: String,
    /// The `canvass_protocol::Decision` as JSON text: what the feed carries.
    pub body: String,
    /// Lowercase hex SHA-256 of `body`, to tell a resend from a different decision under the same id.
    pub body_hash: String,
    pub decided_by: String,
    /// The interviewer's team: whose devices receive it.
    pub team: Option<String>,
    pub received_at: i64,
}

/// A supervisor's decision as the data export reads it: which revision it is on and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRow {
    pub interview_id: String,
    pub revision: Option<i64>,
    /// `approved` or `rejected`.
    pub decision: String,
    /// Its place in the changes feed: a later decision on the same revision has a higher one.
    pub seq: i64,
}

/// Server storage. Both backends pass the same test suite.
#[async_trait]
pub trait Database: Send + Sync + 'static {
    /// Creates an account; [`DbError::UserExists`] if the name is taken.
    async fn add_user(&self, user: NewUser) -> DbResult<()>;
    /// Every account, by name.
    async fn list_users(&self) -> DbResult<Vec<UserRow>>;
    /// One account by name.
    async fn user(&self, name: &str) -> DbResult<Option<UserRow>>;
    /// Disables an account and revokes all its tokens; false if there is no such user.
    async fn disable_user(&self, name: &str, now: i64) -> DbResult<bool>;
    /// Stores a token (by its hash) for a user on a device.
    async fn add_token(
        &self,
        token_hash: &str,
        user: &str,
        device_id: &str,
        now: i64,
    ) -> DbResult<()>;
    /// The owner of a live token: not revoked, user not disabled.
    async fn token_owner(&self, token_hash: &str) -> DbResult<Option<TokenOwner>>;
    /// Revokes one token; false if it was not live.
    async fn revoke_token(&self, token_hash: &str, now: i64) -> DbResult<bool>;
    /// Every token's metadata, newest first.
    async fn devices(&self) -> DbResult<Vec<DeviceRow>>;
    /// Revokes every live token issued to `device_id` (a lost or stolen laptop); returns how many.
    async fn revoke_device(&self, device_id: &str, now: i64) -> DbResult<u64>;
    /// Stores a batch in one transaction; one result per record, in order.
    async fn ingest(&self, batch: IngestBatch) -> DbResult<Vec<Stored>>;
    /// Stored records of `kind`, oldest first; only `team`'s when given, and only those
    /// received at or after `since` (Unix ms, the server's clock) when given.
    async fn records(
        &self,
        kind: &str,
        team: Option<&str>,
        since: Option<i64>,
    ) -> DbResult<Vec<StoredRecord>>;
    /// Publishes a change; returns its sequence number.
    async fn publish_change(&self, kind: &str, team: Option<&str>, body: &str) -> DbResult<i64>;
    /// Changes after `since` visible to `team` (`None`: every change), by sequence.
    async fn changes_since(
        &self,
        since: i64,
        team: Option<&str>,
        all_teams: bool,
    ) -> DbResult<Vec<ChangeRow>>;
    /// Releases and leases cases for one device in one transaction; one answer per `case_ids` entry.
    async fn lease_cases(&self, batch: LeaseBatch) -> DbResult<Vec<canvass_protocol::LeaseGrant>>;
    /// Stores a decision and publishes it to its team in one transaction; returns what
    /// happened and the decision's place in the changes feed. A decision id already
    /// stored is not published again (the stored one's `seq` is returned).
    async fn record_decision(&self, d: NewDecision) -> DbResult<(Stored, i64)>;
    /// Of `hashes`, those `team` has no attachment for (each at most once, in the given order).
    async fn attachments_missing(&self, team: &str, hashes: &[String]) -> DbResult<Vec<String>>;
    /// Stores an attachment's bytes once per hash and grants `team` access;
    /// true when the team did not have it yet. The caller has checked the hash.
    async fn put_attachment(
        &self,
        team: &str,
        user: &str,
        hash: &str,
        data: &[u8],
        now: i64,
    ) -> DbResult<bool>;
    /// An attachment's bytes, if `team` may read it (`None`: any team, for admins).
    async fn attachment(&self, team: Option<&str>, hash: &str) -> DbResult<Option<Vec<u8>>>;
    /// Stored records of `kind` with ids after `after` (all when `None`), in id order, at most
    /// `limit`: a large export reads the table a page at a time.
    async fn records_page(
        &self,
        kind: &str,
        after: Option<&str>,
        limit: usize,
    ) -> DbResult<Vec<StoredRecord>>;
    /// The stored records with these ids, in no particular order; ids not stored are left out.
    async fn records_by_id(&self, ids: &[String]) -> DbResult<Vec<StoredRecord>>;
    /// Every decision on these interviews, oldest first (by `seq`).
    async fn decisions_on(&self, interview_ids: &[String]) -> DbResult<Vec<DecisionRow>>;
}

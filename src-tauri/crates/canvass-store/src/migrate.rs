//! The migration runner: all pending migrations in one transaction, tracked by `PRAGMA user_version`.
//!
//! Migration N (1-based) sets `user_version = N`. A run opens one transaction,
//! reads the version, refuses a database newer than this build, applies what
//! is missing in order, sets the version and commits. A failure anywhere rolls
//! the whole run back, so a crash or a bad migration never leaves half a schema.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

/// One forward-only migration: its file name (without `.sql`) and its SQL.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// File stem in `migrations/`, e.g. `0001_init`.
    pub name: &'static str,
    /// The SQL run to apply it.
    pub sql: &'static str,
}

/// Every client migration, in order. A test checks this list equals the `migrations/` folder.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "0001_init",
        sql: include_str!("../../../../migrations/0001_init.sql"),
    },
    Migration {
        name: "0002_paradata",
        sql: include_str!("../../../../migrations/0002_paradata.sql"),
    },
    Migration {
        name: "0003_sync",
        sql: include_str!("../../../../migrations/0003_sync.sql"),
    },
    Migration {
        name: "0004_questionnaires",
        sql: include_str!("../../../../migrations/0004_questionnaires.sql"),
    },
    Migration {
        name: "0005_cati",
        sql: include_str!("../../../../migrations/0005_cati.sql"),
    },
    Migration {
        name: "0006_received",
        sql: include_str!("../../../../migrations/0006_received.sql"),
    },
    Migration {
        name: "0007_capi",
        sql: include_str!("../../../../migrations/0007_capi.sql"),
    },
    Migration {
        name: "0008_interview_owner",
        sql: include_str!("../../../../migrations/0008_interview_owner.sql"),
    },
    Migration {
        name: "0009_cati_server",
        sql: include_str!("../../../../migrations/0009_cati_server.sql"),
    },
    Migration {
        name: "0010_review",
        sql: include_str!("../../../../migrations/0010_review.sql"),
    },
    Migration {
        name: "0011_capi_attachments",
        sql: include_str!("../../../../migrations/0011_capi_attachments.sql"),
    },
    Migration {
        name: "0012_team_pull_cursor",
        sql: include_str!("../../../../migrations/0012_team_pull_cursor.sql"),
    },
    Migration {
        name: "0013_attachment_refusals",
        sql: include_str!("../../../../migrations/0013_attachment_refusals.sql"),
    },
];

/// Brings `conn` to the latest schema in `migrations`, all or nothing.
///
/// Returns the schema version after the run.
pub fn run(conn: &mut Connection, migrations: &[Migration]) -> Result<i64> {
    let supported = migrations.len() as i64;
    // A deferred transaction takes no write lock until the first write, so
    // opening an up-to-date database never blocks another reader or writer.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > supported {
        return Err(Error::IncompatibleDatabase { found, supported });
    }
    if found == supported {
        return Ok(found);
    }
    // `found` is between 0 and `supported`, so the cast cannot wrap.
    for m in &migrations[found as usize..] {
        tx.execute_batch(m.sql).map_err(|source| Error::Migration {
            name: m.name.to_owned(),
            source,
        })?;
    }
    // PRAGMA takes no bound parameters; the value is an integer we computed.
    tx.execute_batch(&format!("PRAGMA user_version = {supported}"))?;
    tx.commit()?;
    Ok(supported)
}

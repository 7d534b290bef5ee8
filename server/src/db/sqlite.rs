//! The embedded SQLite backend (`--data DIR`): one WAL database file, one writer connection.
//!
//! rusqlite is blocking, so every call runs on tokio's blocking pool behind one
//! mutex: SQLite has a single writer anyway, and one connection keeps batch
//! transactions strictly serial (performance.md 1.3: ~600k answers/s on 2 cores).
//! `synchronous=FULL` because an acknowledged batch must survive a power cut:
//! the device deletes nothing, but it stops resending what was acknowledged.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{
    ChangeRow, Database, DbError, DbResult, DecisionRow, DeviceRow, IngestBatch, LeaseBatch,
    Migration, NewDecision, NewUser, Stored, StoredRecord, TokenOwner, UserRow,
};

/// SQLite migrations, in order; migration N sets `PRAGMA user_version = N`.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "0001_init",
        sql: include_str!("../../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        name: "0002_cati",
        sql: include_str!("../../migrations/sqlite/0002_cati.sql"),
    },
    Migration {
        name: "0003_review",
        sql: include_str!("../../migrations/sqlite/0003_review.sql"),
    },
    Migration {
        name: "0004_attachments",
        sql: include_str!("../../migrations/sqlite/0004_attachments.sql"),
    },
];

/// The database file inside the data folder.
pub const FILE_NAME: &str = "canvass-server.sqlite";

/// An open, migrated server database file.
pub struct SqliteDb {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl SqliteDb {
    /// Opens (creating the folder and file if needed) `DIR/canvass-server.sqlite` and migrates it.
    pub fn open_dir(dir: &Path) -> DbResult<SqliteDb> {
        std::fs::create_dir_all(dir).map_err(|source| DbError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
        Self::open(&dir.join(FILE_NAME))
    }

    /// Opens (creating if needed) the file at `path` and migrates it.
    pub fn open(path: &Path) -> DbResult<SqliteDb> {
        let mut conn = Connection::open(path)?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(SqliteDb {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_owned(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the connection on the blocking pool.
    async fn call<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave a half-written
            // transaction (rusqlite rolls back on drop), so a poisoned lock is safe to reuse.
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await?
    }
}

/// Applies missing migrations in one transaction, refusing a newer database.
fn migrate(conn: &mut Connection) -> DbResult<()> {
    let supported = MIGRATIONS.len() as i64;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > supported {
        return Err(DbError::Incompatible { found, supported });
    }
    // `found` is between 0 and `supported`, so the cast cannot wrap.
    for m in &MIGRATIONS[found as usize..] {
        tx.execute_batch(m.sql).map_err(|e| DbError::Migration {
            name: m.name.to_owned(),
            source: Box::new(e.into()),
        })?;
    }
    // PRAGMA takes no bound parameters; the value is an integer we computed.
    tx.execute_batch(&format!("PRAGMA user_version = {supported}"))?;
    tx.commit()?;
    Ok(())
}

const USER_COLUMNS: &str = "name, role, team, password_hash, disabled, created_at";

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        name: r.get(0)?,
        role: r.get(1)?,
        team: r.get(2)?,
        password_hash: r.get(3)?,
        disabled: r.get(4)?,
        created_at: r.get(5)?,
    })
}

#[async_trait]
impl Database for SqliteDb {
    async fn add_user(&self, u: NewUser) -> DbResult<()> {
        self.call(move |c| {
            let n = c.execute(
                "INSERT INTO users (name, role, team, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (name) DO NOTHING",
                params![u.name, u.role, u.team, u.password_hash, u.created_at],
            )?;
            if n == 0 {
                return Err(DbError::UserExists { name: u.name });
            }
            Ok(())
        })
        .await
    }

    async fn list_users(&self) -> DbResult<Vec<UserRow>> {
        self.call(|c| {
            let mut s = c.prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))?;
            let rows = s
                .query_map([], user_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn user(&self, name: &str) -> DbResult<Option<UserRow>> {
        let name = name.to_owned();
        self.call(move |c| {
            Ok(c.query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"),
                [name],
                user_from_row,
            )
            .optional()?)
        })
        .await
    }

    async fn disable_user(&self, name: &str, now: i64) -> DbResult<bool> {
        let name = name.to_owned();
        self.call(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute("UPDATE users SET disabled = 1 WHERE name = ?1", [&name])?;
            tx.execute(
                "UPDATE tokens SET revoked_at = ?2 WHERE user_name = ?1 AND revoked_at IS NULL",
                params![name, now],
            )?;
            tx.commit()?;
            Ok(n > 0)
        })
        .await
    }

    async fn add_token(
        &self,
        token_hash: &str,
        user: &str,
        device_id: &str,
        now: i64,
    ) -> DbResult<()> {
        let (h, u, d) = (token_hash.to_owned(), user.to_owned(), device_id.to_owned());
        self.call(move |c| {
            c.execute(
                "INSERT INTO tokens (token_hash, user_name, device_id, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![h, u, d, now],
            )?;
            Ok(())
        })
        .await
    }

    async fn token_owner(&self, token_hash: &str) -> DbResult<Option<TokenOwner>> {
        let h = token_hash.to_owned();
        self.call(move |c| {
            let sql = "SELECT u.name, u.role, u.team, u.password_hash, u.disabled, u.created_at, t.device_id
                       FROM tokens t JOIN users u ON u.name = t.user_name
                       WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.disabled = 0";
            Ok(c.query_row(sql, [h], |r| Ok(TokenOwner { user: user_from_row(r)?, device_id: r.get(6)? }))
                .optional()?)
        })
        .await
    }

    async fn revoke_token(&self, token_hash: &str, now: i64) -> DbResult<bool> {
        let h = token_hash.to_owned();
        self.call(move |c| {
            let n = c.execute(
                "UPDATE tokens SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
                params![h, now],
            )?;
            Ok(n > 0)
        })
        .await
    }

    async fn devices(&self) -> DbResult<Vec<DeviceRow>> {
        self.call(|c| {
            let mut s = c.prepare(
                "SELECT t.device_id, t.user_name, u.team, t.created_at, t.revoked_at
                 FROM tokens t JOIN users u ON u.name = t.user_name ORDER BY t.created_at DESC, t.device_id",
            )?;
            let rows = s
                .query_map([], |r| {
                    Ok(DeviceRow {
                        device_id: r.get(0)?,
                        user: r.get(1)?,
                        team: r.get(2)?,
                        created_at: r.get(3)?,
                        revoked_at: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn revoke_device(&self, device_id: &str, now: i64) -> DbResult<u64> {
        let d = device_id.to_owned();
        self.call(move |c| {
            let n = c.execute(
                "UPDATE tokens SET revoked_at = ?2 WHERE device_id = ?1 AND revoked_at IS NULL",
                params![d, now],
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn ingest(&self, b: IngestBatch) -> DbResult<Vec<Stored>> {
        self.call(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut out = Vec::with_capacity(b.records.len());
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO records (id, kind, payload, payload_hash, device_id, user_name, team, received_at, batch_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (id) DO NOTHING",
                )?;
                let mut stored = tx.prepare_cached("SELECT payload_hash FROM records WHERE id = ?1")?;
                for r in &b.records {
                    let n = insert.execute(params![
                        r.id, r.kind, r.payload, r.payload_hash, b.device_id, b.user, b.team, b.received_at, b.batch_id
                    ])?;
                    out.push(if n == 1 {
                        Stored::Inserted
                    } else {
                        let h: String = stored.query_row([&r.id], |row| row.get(0))?;
                        if h == r.payload_hash { Stored::SameHash } else { Stored::OtherHash { stored_hash: h } }
                    });
                }
            }
            let count = |f: fn(&Stored) -> bool| out.iter().filter(|s| f(s)).count() as i64;
            tx.execute(
                "INSERT INTO ingest_log (batch_id, device_id, user_name, received_at, items, inserted, duplicates, conflicts, invalid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    b.batch_id,
                    b.device_id,
                    b.user,
                    b.received_at,
                    (b.records.len() + b.invalid) as i64,
                    count(|s| *s == Stored::Inserted),
                    count(|s| *s == Stored::SameHash),
                    count(|s| matches!(s, Stored::OtherHash { .. })),
                    b.invalid as i64
                ],
            )?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    async fn records(
        &self,
        kind: &str,
        team: Option<&str>,
        since: Option<i64>,
    ) -> DbResult<Vec<StoredRecord>> {
        let (kind, team) = (kind.to_owned(), team.map(str::to_owned));
        self.call(move |c| {
            let mut s = c.prepare(
                "SELECT id, kind, payload, payload_hash, device_id, user_name, team, received_at FROM records
                 WHERE kind = ?1 AND (?2 IS NULL OR team = ?2) AND (?3 IS NULL OR received_at >= ?3)
                 ORDER BY received_at, id",
            )?;
            let rows = s
                .query_map(params![kind, team, since], stored_record)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn publish_change(&self, kind: &str, team: Option<&str>, body: &str) -> DbResult<i64> {
        let (kind, team, body) = (kind.to_owned(), team.map(str::to_owned), body.to_owned());
        self.call(move |c| {
            c.execute(
                "INSERT INTO changes (kind, team, body) VALUES (?1, ?2, ?3)",
                params![kind, team, body],
            )?;
            Ok(c.last_insert_rowid())
        })
        .await
    }

    async fn changes_since(
        &self,
        since: i64,
        team: Option<&str>,
        all_teams: bool,
    ) -> DbResult<Vec<ChangeRow>> {
        let team = team.map(str::to_owned);
        self.call(move |c| {
            let mut s = c.prepare(
                "SELECT seq, kind, team, body FROM changes
                 WHERE seq > ?1 AND (?3 OR team IS NULL OR team = ?2) ORDER BY seq LIMIT 1000",
            )?;
            let rows = s
                .query_map(params![since, team, all_teams], |r| {
                    Ok(ChangeRow {
                        seq: r.get(0)?,
                        kind: r.get(1)?,
                        team: r.get(2)?,
                        body: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn lease_cases(&self, b: LeaseBatch) -> DbResult<Vec<canvass_protocol::LeaseGrant>> {
        self.call(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut out = Vec::with_capacity(b.case_ids.len());
            {
                let mut release = tx.prepare_cached(
                    "DELETE FROM cati_leases WHERE study_id = ?1 AND case_id = ?2 AND device_id = ?3",
                )?;
                for case in &b.release {
                    release.execute(params![b.study_id, case, b.device_id])?;
                }
                let mut read = tx.prepare_cached(
                    "SELECT device_id, expires_at, unsynced FROM cati_leases WHERE study_id = ?1 AND case_id = ?2",
                )?;
                let mut write = tx.prepare_cached(
                    "INSERT INTO cati_leases (study_id, case_id, team, device_id, user_name, expires_at, unsynced)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (study_id, case_id) DO UPDATE SET team = excluded.team, device_id = excluded.device_id,
                        user_name = excluded.user_name, expires_at = excluded.expires_at, unsynced = excluded.unsynced",
                )?;
                for case in &b.case_ids {
                    let existing = read
                        .query_row(params![b.study_id, case], |r| {
                            Ok(crate::cases::Lease {
                                device_id: r.get(0)?,
                                expires_at: r.get(1)?,
                                unsynced: r.get(2)?,
                            })
                        })
                        .optional()?;
                    let unsynced = b.unsynced.contains(case);
                    let (lease, granted) = crate::cases::decide(
                        existing.as_ref(),
                        &b.device_id,
                        unsynced,
                        b.now,
                        b.ttl_ms,
                    );
                    if granted {
                        write.execute(params![
                            b.study_id,
                            case,
                            b.team,
                            b.device_id,
                            b.user,
                            lease.expires_at,
                            lease.unsynced
                        ])?;
                    }
                    out.push(canvass_protocol::LeaseGrant {
                        case_id: case.clone(),
                        granted,
                        holder: lease.device_id,
                        expires_at: lease.expires_at,
                    });
                }
            }
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    async fn attachments_missing(&self, team: &str, hashes: &[String]) -> DbResult<Vec<String>> {
        let (team, hashes) = (team.to_owned(), hashes.to_vec());
        self.call(move |c| {
            let mut s = c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM attachment_teams WHERE hash = ?1 AND team = ?2)",
            )?;
            let mut missing: Vec<String> = Vec::new();
            for h in hashes {
                let held: bool = s.query_row(params![h, team], |r| r.get(0))?;
                if !held && !missing.contains(&h) {
                    missing.push(h);
                }
            }
            Ok(missing)
        })
        .await
    }

    async fn record_decision(&self, d: NewDecision) -> DbResult<(Stored, i64)> {
        self.call(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing: Option<(String, i64)> = tx
                .query_row(
                    "SELECT body_hash, seq FROM decisions WHERE id = ?1",
                    [&d.id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((hash, seq)) = existing {
                let stored = if hash == d.body_hash {
                    Stored::SameHash
                } else {
                    Stored::OtherHash { stored_hash: hash }
                };
                return Ok((stored, seq));
            }
            tx.execute(
                "INSERT INTO changes (kind, team, body) VALUES ('decision', ?1, ?2)",
                params![d.team, d.body],
            )?;
            let seq = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO decisions (id, interview_id, revision, decision, body, body_hash, decided_by, team, received_at, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![d.id, d.interview_id, d.revision, d.decision, d.body, d.body_hash, d.decided_by, d.team, d.received_at, seq],
            )?;
            tx.commit()?;
            Ok((Stored::Inserted, seq))
        })
        .await
    }

    async fn put_attachment(
        &self,
        team: &str,
        user: &str,
        hash: &str,
        data: &[u8],
        now: i64,
    ) -> DbResult<bool> {
        let (team, user, hash, data) = (
            team.to_owned(),
            user.to_owned(),
            hash.to_owned(),
            data.to_vec(),
        );
        self.call(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO attachment_blobs (hash, size, data, stored_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (hash) DO NOTHING",
                params![hash, data.len() as i64, data, now],
            )?;
            let added = tx.execute(
                "INSERT INTO attachment_teams (hash, team, uploaded_by, uploaded_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (hash, team) DO NOTHING",
                params![hash, team, user, now],
            )?;
            tx.commit()?;
            Ok(added == 1)
        })
        .await
    }

    async fn attachment(&self, team: Option<&str>, hash: &str) -> DbResult<Option<Vec<u8>>> {
        let (team, hash) = (team.map(str::to_owned), hash.to_owned());
        self.call(move |c| {
            Ok(c.query_row(
                "SELECT data FROM attachment_blobs WHERE hash = ?1
                 AND (?2 IS NULL OR EXISTS (SELECT 1 FROM attachment_teams WHERE hash = ?1 AND team = ?2))",
                params![hash, team],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await
    }

    async fn records_page(
        &self,
        kind: &str,
        after: Option<&str>,
        limit: usize,
    ) -> DbResult<Vec<StoredRecord>> {
        let (kind, after) = (kind.to_owned(), after.map(str::to_owned));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.call(move |c| {
            let mut s = c.prepare_cached(
                "SELECT id, kind, payload, payload_hash, device_id, user_name, team, received_at FROM records
                 WHERE kind = ?1 AND (?2 IS NULL OR id > ?2) ORDER BY id LIMIT ?3",
            )?;
            let rows = s
                .query_map(params![kind, after, limit], stored_record)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn records_by_id(&self, ids: &[String]) -> DbResult<Vec<StoredRecord>> {
        // The ids travel as one JSON array, so a page needs one statement, not one per id.
        let ids = serde_json::to_string(ids).map_err(|e| DbError::Inconsistent {
            what: format!("record ids cannot be listed as JSON: {e}"),
        })?;
        self.call(move |c| {
            let mut s = c.prepare_cached(
                "SELECT id, kind, payload, payload_hash, device_id, user_name, team, received_at FROM records
                 WHERE id IN (SELECT value FROM json_each(?1))",
            )?;
            let rows = s
                .query_map([ids], stored_record)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn decisions_on(&self, interview_ids: &[String]) -> DbResult<Vec<DecisionRow>> {
        let ids = serde_json::to_string(interview_ids).map_err(|e| DbError::Inconsistent {
            what: format!("interview ids cannot be listed as JSON: {e}"),
        })?;
        self.call(move |c| {
            let mut s = c.prepare_cached(
                "SELECT interview_id, revision, decision, seq FROM decisions
                 WHERE interview_id IN (SELECT value FROM json_each(?1)) ORDER BY seq",
            )?;
            let rows = s
                .query_map([ids], |r| {
                    Ok(DecisionRow {
                        interview_id: r.get(0)?,
                        revision: r.get(1)?,
                        decision: r.get(2)?,
                        seq: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }
}

/// A `records` row selected as `id, kind, payload, payload_hash, device_id, user_name, team, received_at`.
fn stored_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRecord> {
    Ok(StoredRecord {
        id: r.get(0)?,
        kind: r.get(1)?,
        payload: r.get(2)?,
        payload_hash: r.get(3)?,
        device_id: r.get(4)?,
        user: r.get(5)?,
        team: r.get(6)?,
        received_at: r.get(7)?,
    })
}

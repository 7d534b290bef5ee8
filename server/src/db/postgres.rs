//! The PostgreSQL backend (`--database postgres://...`): one connection, reopened if it drops.
//!
//! One connection behind an async mutex: on the 2-core machines we measured, a
//! pool did not ingest faster (performance.md 1.3), and one connection keeps
//! batch transactions serial exactly as on SQLite.
//! Connections use TLS (rustls on ring) whenever the URL's `sslmode` asks for it
//! or the database offers it; see [`connect`].
//! Migrations run in one transaction under an advisory lock, so two servers
//! starting at once cannot both apply them.

use async_trait::async_trait;
use tokio::sync::Mutex;
use tokio_postgres::{Client, Config};

use super::{
    ChangeRow, Database, DbError, DbResult, DecisionRow, DeviceRow, IngestBatch, LeaseBatch,
    Migration, NewDecision, NewUser, Stored, StoredRecord, TokenOwner, UserRow,
};

/// PostgreSQL migrations, in order; tracked in `schema_migrations`.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "0001_init",
        sql: include_str!("../../migrations/postgres/0001_init.sql"),
    },
    Migration {
        name: "0002_cati",
        sql: include_str!("../../migrations/postgres/0002_cati.sql"),
    },
    Migration {
        name: "0003_review",
        sql: include_str!("../../migrations/postgres/0003_review.sql"),
    },
    Migration {
        name: "0004_attachments",
        sql: include_str!("../../migrations/postgres/0004_attachments.sql"),
    },
];

/// Any fixed number works; it only has to be the same in every canvass-server.
const MIGRATION_LOCK: i64 = 0x0063_616e_7661_7373;

/// An open, migrated PostgreSQL database.
pub struct PgDb {
    config: Config,
    client: Mutex<Client>,
}

/// Opens a connection and drives it on the runtime.
///
/// TLS follows the URL's `sslmode`: `disable` connects in plain text, `prefer`
/// (the default) uses TLS when the server offers it, `require` insists on it.
/// Server certificates are checked against the Mozilla roots (webpki-roots).
async fn connect(config: &Config) -> DbResult<Client> {
    let (client, connection) = config.connect(tls()?).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!("postgres connection closed: {e}");
        }
    });
    Ok(client)
}

/// A rustls connector on ring, built with its provider named so that no process-wide default is needed.
fn tls() -> DbResult<tokio_postgres_rustls::MakeRustlsConnect> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(DbError::Tls)?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Creates an empty database `name` on the server of `url` and returns its config.
///
/// For tests and provisioning: every test gets a database of its own.
pub async fn create_database(url: &str, name: &str) -> DbResult<Config> {
    let config: Config = url.parse()?;
    let client = connect(&config).await?;
    // Database names cannot be bound as parameters; accept only plain identifiers.
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    // Two statements, because a multi-statement string runs as one transaction block, which these refuse.
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {safe}"))
        .await?;
    client
        .batch_execute(&format!("CREATE DATABASE {safe}"))
        .await?;
    let mut cfg = config.clone();
    cfg.dbname(&safe);
    Ok(cfg)
}

impl PgDb {
    /// Connects to `url` and migrates the database.
    pub async fn open(url: &str) -> DbResult<PgDb> {
        Self::open_config(url.parse()?).await
    }

    /// Connects with a parsed config and migrates the database.
    pub async fn open_config(config: Config) -> DbResult<PgDb> {
        let mut client = connect(&config).await?;
        migrate(&mut client).await?;
        Ok(PgDb {
            config,
            client: Mutex::new(client),
        })
    }

    /// The live connection, reconnecting first if the old one closed.
    async fn client(&self) -> DbResult<tokio::sync::MutexGuard<'_, Client>> {
        let mut guard = self.client.lock().await;
        if guard.is_closed() {
            *guard = connect(&self.config).await?;
        }
        Ok(guard)
    }
}

async fn migrate(client: &mut Client) -> DbResult<()> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT NOT NULL)")
        .await?;
    let found: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .get(0);
    let supported = MIGRATIONS.len() as i64;
    if found > supported {
        return Err(DbError::Incompatible { found, supported });
    }
    // `found` is between 0 and `supported`, so the cast cannot wrap.
    for m in &MIGRATIONS[found as usize..] {
        tx.batch_execute(m.sql)
            .await
            .map_err(|e| DbError::Migration {
                name: m.name.to_owned(),
                source: Box::new(e.into()),
            })?;
    }
    tx.execute("DELETE FROM schema_migrations", &[]).await?;
    tx.execute(
        "INSERT INTO schema_migrations (version) VALUES ($1)",
        &[&supported],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

const USER_COLUMNS: &str = "name, role, team, password_hash, disabled, created_at";

fn user_from_row(r: &tokio_postgres::Row) -> UserRow {
    UserRow {
        name: r.get(0),
        role: r.get(1),
        team: r.get(2),
        password_hash: r.get(3),
        disabled: r.get(4),
        created_at: r.get(5),
    }
}

#[async_trait]
impl Database for PgDb {
    async fn add_user(&self, u: NewUser) -> DbResult<()> {
        let c = self.client().await?;
        let n = c
            .execute(
                "INSERT INTO users (name, role, team, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (name) DO NOTHING",
                &[&u.name, &u.role, &u.team, &u.password_hash, &u.created_at],
            )
            .await?;
        if n == 0 {
            return Err(DbError::UserExists { name: u.name });
        }
        Ok(())
    }

    async fn list_users(&self) -> DbResult<Vec<UserRow>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"),
                &[],
            )
            .await?;
        Ok(rows.iter().map(user_from_row).collect())
    }

    async fn user(&self, name: &str) -> DbResult<Option<UserRow>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1"),
                &[&name],
            )
            .await?;
        Ok(row.as_ref().map(user_from_row))
    }

    async fn disable_user(&self, name: &str, now: i64) -> DbResult<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let n = tx
            .execute("UPDATE users SET disabled = TRUE WHERE name = $1", &[&name])
            .await?;
        tx.execute(
            "UPDATE tokens SET revoked_at = $2 WHERE user_name = $1 AND revoked_at IS NULL",
            &[&name, &now],
        )
        .await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn add_token(
        &self,
        token_hash: &str,
        user: &str,
        device_id: &str,
        now: i64,
    ) -> DbResult<()> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO tokens (token_hash, user_name, device_id, created_at) VALUES ($1, $2, $3, $4)",
            &[&token_hash, &user, &device_id, &now],
        )
        .await?;
        Ok(())
    }

    async fn token_owner(&self, token_hash: &str) -> DbResult<Option<TokenOwner>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT u.name, u.role, u.team, u.password_hash, u.disabled, u.created_at, t.device_id
                 FROM tokens t JOIN users u ON u.name = t.user_name
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled",
                &[&token_hash],
            )
            .await?;
        Ok(row.map(|r| TokenOwner {
            user: user_from_row(&r),
            device_id: r.get(6),
        }))
    }

    async fn revoke_token(&self, token_hash: &str, now: i64) -> DbResult<bool> {
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL",
                &[&token_hash, &now],
            )
            .await?;
        Ok(n > 0)
    }

    async fn devices(&self) -> DbResult<Vec<DeviceRow>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT t.device_id, t.user_name, u.team, t.created_at, t.revoked_at
                 FROM tokens t JOIN users u ON u.name = t.user_name ORDER BY t.created_at DESC, t.device_id",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| DeviceRow {
                device_id: r.get(0),
                user: r.get(1),
                team: r.get(2),
                created_at: r.get(3),
                revoked_at: r.get(4),
            })
            .collect())
    }

    async fn revoke_device(&self, device_id: &str, now: i64) -> DbResult<u64> {
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE tokens SET revoked_at = $2 WHERE device_id = $1 AND revoked_at IS NULL",
                &[&device_id, &now],
            )
            .await?;
        Ok(n)
    }

    async fn ingest(&self, b: IngestBatch) -> DbResult<Vec<Stored>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // Two statements whatever the batch size (performance.md 1.3: multi-row
        // `unnest` inserts beat one round trip per row): insert all, learn which
        // ids were new, then read the stored hashes of the rest.
        let ids: Vec<&str> = b.records.iter().map(|r| r.id.as_str()).collect();
        let kinds: Vec<&str> = b.records.iter().map(|r| r.kind.as_str()).collect();
        let payloads: Vec<&str> = b.records.iter().map(|r| r.payload.as_str()).collect();
        let hashes: Vec<&str> = b.records.iter().map(|r| r.payload_hash.as_str()).collect();
        let inserted = tx
            .query(
                "INSERT INTO records (id, kind, payload, payload_hash, device_id, user_name, team, received_at, batch_id)
                 SELECT id, kind, payload, payload_hash, $5, $6, $7, $8, $9
                 FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[]) AS t (id, kind, payload, payload_hash)
                 ON CONFLICT (id) DO NOTHING RETURNING id",
                &[&ids, &kinds, &payloads, &hashes, &b.device_id, &b.user, &b.team, &b.received_at, &b.batch_id],
            )
            .await?;
        let mut new_ids: std::collections::HashSet<String> =
            inserted.iter().map(|r| r.get(0)).collect();
        // The usual batch is all new: then there is nothing to compare and no second round trip.
        let stored: std::collections::HashMap<String, String> = if new_ids.len() == ids.len() {
            std::collections::HashMap::new()
        } else {
            // All ids, not only the old ones: an id sent twice in one batch compares with its first copy.
            tx.query(
                "SELECT id, payload_hash FROM records WHERE id = ANY($1)",
                &[&ids],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
        };
        let mut out = Vec::with_capacity(b.records.len());
        for r in &b.records {
            // The first occurrence of a new id was inserted; a repeat within the
            // batch then compares with it, exactly as if items went one by one.
            out.push(if new_ids.remove(&r.id) {
                Stored::Inserted
            } else {
                match stored.get(&r.id) {
                    Some(h) if *h == r.payload_hash => Stored::SameHash,
                    Some(h) => Stored::OtherHash {
                        stored_hash: h.clone(),
                    },
                    // The row was there or inserted a moment ago in this transaction; it cannot vanish.
                    None => {
                        return Err(DbError::Inconsistent {
                            what: format!("record {} neither inserted nor found", r.id),
                        })
                    }
                }
            });
        }
        let count = |f: fn(&Stored) -> bool| out.iter().filter(|s| f(s)).count() as i64;
        tx.execute(
            "INSERT INTO ingest_log (batch_id, device_id, user_name, received_at, items, inserted, duplicates, conflicts, invalid)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &b.batch_id,
                &b.device_id,
                &b.user,
                &b.received_at,
                &((b.records.len() + b.invalid) as i64),
                &count(|s| *s == Stored::Inserted),
                &count(|s| *s == Stored::SameHash),
                &count(|s| matches!(s, Stored::OtherHash { .. })),
                &(b.invalid as i64),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn records(
        &self,
        kind: &str,
        team: Option<&str>,
        since: Option<i64>,
    ) -> DbResult<Vec<StoredRecord>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT id, kind, payload, payload_hash, device_id, user_name, team, received_at FROM records
                 WHERE kind = $1 AND ($2::TEXT IS NULL OR team = $2) AND ($3::BIGINT IS NULL OR received_at >= $3)
                 ORDER BY received_at, id",
                &[&kind, &team, &since],
            )
            .await?;
        Ok(rows.iter().map(stored_record).collect())
    }

    async fn publish_change(&self, kind: &str, team: Option<&str>, body: &str) -> DbResult<i64> {
        let c = self.client().await?;
        let row = c
            .query_one(
                "INSERT INTO changes (kind, team, body) VALUES ($1, $2, $3) RETURNING seq",
                &[&kind, &team, &body],
            )
            .await?;
        Ok(row.get(0))
    }

    async fn changes_since(
        &self,
        since: i64,
        team: Option<&str>,
        all_teams: bool,
    ) -> DbResult<Vec<ChangeRow>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT seq, kind, team, body FROM changes
                 WHERE seq > $1 AND ($3 OR team IS NULL OR team = $2::TEXT) ORDER BY seq LIMIT 1000",
                &[&since, &team, &all_teams],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| ChangeRow {
                seq: r.get(0),
                kind: r.get(1),
                team: r.get(2),
                body: r.get(3),
            })
            .collect())
    }

    async fn lease_cases(&self, b: LeaseBatch) -> DbResult<Vec<canvass_protocol::LeaseGrant>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // Lease requests are few and small; taking them one at a time keeps the
        // read-decide-write of each case free of races between two devices.
        tx.batch_execute("LOCK TABLE cati_leases IN SHARE ROW EXCLUSIVE MODE")
            .await?;
        for case in &b.release {
            tx.execute(
                "DELETE FROM cati_leases WHERE study_id = $1 AND case_id = $2 AND device_id = $3",
                &[&b.study_id, case, &b.device_id],
            )
            .await?;
        }
        let read = tx
            .prepare("SELECT device_id, expires_at, unsynced FROM cati_leases WHERE study_id = $1 AND case_id = $2")
            .await?;
        let write = tx
            .prepare(
                "INSERT INTO cati_leases (study_id, case_id, team, device_id, user_name, expires_at, unsynced)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (study_id, case_id) DO UPDATE SET team = excluded.team, device_id = excluded.device_id,
                    user_name = excluded.user_name, expires_at = excluded.expires_at, unsynced = excluded.unsynced",
            )
            .await?;
        let mut out = Vec::with_capacity(b.case_ids.len());
        for case in &b.case_ids {
            let existing =
                tx.query_opt(&read, &[&b.study_id, case])
                    .await?
                    .map(|r| crate::cases::Lease {
                        device_id: r.get(0),
                        expires_at: r.get(1),
                        unsynced: r.get(2),
                    });
            let unsynced = b.unsynced.contains(case);
            let (lease, granted) =
                crate::cases::decide(existing.as_ref(), &b.device_id, unsynced, b.now, b.ttl_ms);
            if granted {
                tx.execute(
                    &write,
                    &[
                        &b.study_id,
                        case,
                        &b.team,
                        &b.device_id,
                        &b.user,
                        &lease.expires_at,
                        &lease.unsynced,
                    ],
                )
                .await?;
            }
            out.push(canvass_protocol::LeaseGrant {
                case_id: case.clone(),
                granted,
                holder: lease.device_id,
                expires_at: lease.expires_at,
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn record_decision(&self, d: NewDecision) -> DbResult<(Stored, i64)> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // Two concurrent first sends of one id: the second insert fails on the key
        // and the request is retried by the device, which then gets the duplicate.
        let existing = tx
            .query_opt(
                "SELECT body_hash, seq FROM decisions WHERE id = $1",
                &[&d.id],
            )
            .await?;
        if let Some(row) = existing {
            let hash: String = row.get(0);
            let seq: i64 = row.get(1);
            let stored = if hash == d.body_hash {
                Stored::SameHash
            } else {
                Stored::OtherHash { stored_hash: hash }
            };
            return Ok((stored, seq));
        }
        let seq: i64 = tx
            .query_one(
                "INSERT INTO changes (kind, team, body) VALUES ('decision', $1, $2) RETURNING seq",
                &[&d.team, &d.body],
            )
            .await?
            .get(0);
        tx.execute(
            "INSERT INTO decisions (id, interview_id, revision, decision, body, body_hash, decided_by, team, received_at, seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[&d.id, &d.interview_id, &d.revision, &d.decision, &d.body, &d.body_hash, &d.decided_by, &d.team, &d.received_at, &seq],
        )
        .await?;
        tx.commit().await?;
        Ok((Stored::Inserted, seq))
    }

    async fn attachments_missing(&self, team: &str, hashes: &[String]) -> DbResult<Vec<String>> {
        let c = self.client().await?;
        let held: Vec<String> = c
            .query(
                "SELECT hash FROM attachment_teams WHERE team = $1 AND hash = ANY($2)",
                &[&team, &hashes],
            )
            .await?
            .into_iter()
            .map(|r| r.get(0))
            .collect();
        let mut missing: Vec<String> = Vec::new();
        for h in hashes {
            if !held.contains(h) && !missing.contains(h) {
                missing.push(h.clone());
            }
        }
        Ok(missing)
    }

    async fn put_attachment(
        &self,
        team: &str,
        user: &str,
        hash: &str,
        data: &[u8],
        now: i64,
    ) -> DbResult<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "INSERT INTO attachment_blobs (hash, size, data, stored_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (hash) DO NOTHING",
            &[&hash, &(data.len() as i64), &data, &now],
        )
        .await?;
        let added = tx
            .execute(
                "INSERT INTO attachment_teams (hash, team, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (hash, team) DO NOTHING",
                &[&hash, &team, &user, &now],
            )
            .await?;
        tx.commit().await?;
        Ok(added == 1)
    }

    async fn attachment(&self, team: Option<&str>, hash: &str) -> DbResult<Option<Vec<u8>>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT data FROM attachment_blobs WHERE hash = $1
                 AND ($2::TEXT IS NULL OR EXISTS (SELECT 1 FROM attachment_teams WHERE hash = $1 AND team = $2::TEXT))",
                &[&hash, &team],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn records_page(
        &self,
        kind: &str,
        after: Option<&str>,
        limit: usize,
    ) -> DbResult<Vec<StoredRecord>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT id, kind, payload, payload_hash, device_id, user_name, team, received_at FROM records
                 WHERE kind = $1 AND ($2::TEXT IS NULL OR id > $2) ORDER BY id LIMIT $3",
                &[&kind, &after, &limit],
            )
            .await?;
        Ok(rows.iter().map(stored_record).collect())
    }

    async fn records_by_id(&self, ids: &[String]) -> DbResult<Vec<StoredRecord>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT id, kind, payload, payload_hash, device_id, user_name, team, received_at FROM records
                 WHERE id = ANY($1)",
                &[&ids],
            )
            .await?;
        Ok(rows.iter().map(stored_record).collect())
    }

    async fn decisions_on(&self, interview_ids: &[String]) -> DbResult<Vec<DecisionRow>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT interview_id, revision, decision, seq FROM decisions
                 WHERE interview_id = ANY($1) ORDER BY seq",
                &[&interview_ids],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| DecisionRow {
                interview_id: r.get(0),
                revision: r.get(1),
                decision: r.get(2),
                seq: r.get(3),
            })
            .collect())
    }
}

/// A `records` row selected as `id, kind, payload, payload_hash, device_id, user_name, team, received_at`.
fn stored_record(r: &tokio_postgres::Row) -> StoredRecord {
    StoredRecord {
        id: r.get(0),
        kind: r.get(1),
        payload: r.get(2),
        payload_hash: r.get(3),
        device_id: r.get(4),
        user: r.get(5),
        team: r.get(6),
        received_at: r.get(7),
    }
}

//! Opening the database: durable pragmas, migrations, and a read-only health check.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};
use crate::migrate::{self, Migration, MIGRATIONS};

/// How long a writer waits for another connection's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An open, migrated interview database.
pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
}

/// What a health check found in a database file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbReport {
    /// The file that was checked.
    pub path: PathBuf,
    /// `PRAGMA user_version` of the file (0 for a new, empty file).
    pub schema_version: i64,
    /// The newest schema version this build knows.
    pub supported_version: i64,
    /// Lines of `PRAGMA integrity_check`; exactly `["ok"]` for a healthy file.
    pub integrity: Vec<String>,
}

impl DbReport {
    /// Whether SQLite found no damage.
    pub fn is_healthy(&self) -> bool {
        self.integrity == ["ok"]
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it to the latest schema.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with(path, MIGRATIONS)
    }

    /// Like [`Store::open`] with an explicit migration list; tests use it to prove atomicity.
    pub fn open_with(path: &Path, migrations: &[Migration]) -> Result<Store> {
        Self::open_inner(path, migrations, None)
    }

    /// Like [`Store::open`], but first backs the file up to `backup` when it
    /// holds data and a migration is about to change its schema.
    pub fn open_with_backup(path: &Path, backup: &Path) -> Result<Store> {
        Self::open_inner(path, MIGRATIONS, Some(backup))
    }

    fn open_inner(path: &Path, migrations: &[Migration], backup: Option<&Path>) -> Result<Store> {
        let conn = Connection::open(path).map_err(|source| Error::Open {
            path: path.to_owned(),
            source,
        })?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
        };
        store.configure().map_err(|e| not_a_database(e, path))?;
        if let Some(dest) = backup {
            let version = store
                .schema_version()
                .map_err(|e| not_a_database(e, path))?;
            if version > 0 && version < migrations.len() as i64 {
                crate::backup::backup_connection(&store.conn, dest)?;
            }
        }
        migrate::run(&mut store.conn, migrations).map_err(|e| not_a_database(e, path))?;
        Ok(store)
    }

    /// SQLite's quick integrity check: `["ok"]` for a healthy file, else the problems found.
    pub fn quick_check(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA quick_check")?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The file this store writes to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Sets the pragmas every connection needs.
    fn configure(&mut self) -> Result<()> {
        // WAL with synchronous=FULL syncs the log on every commit: an answer
        // reported saved survives a power cut, not only an application crash.
        // NORMAL would be ten times faster but can lose the last commits.
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            // An in-memory database reports "memory"; that is fine for tests only.
            if self.path != Path::new(":memory:") {
                return Err(Error::Sqlite(rusqlite::Error::InvalidQuery));
            }
        }
        self.conn
            .execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // An answer's save and the screen after it run more distinct statements
        // than rusqlite's default cache of 16 keeps once the review, CATI and
        // CAPI repositories share the connection; a statement parsed again on
        // every save is CPU time the interviewer waits for.
        self.conn.set_prepared_statement_cache_capacity(128);
        Ok(())
    }

    /// Returns the value of a pragma, for checks and diagnostics.
    pub fn pragma(&self, name: &str) -> Result<String> {
        // Pragma names cannot be bound as parameters; accept only plain identifiers.
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::Sqlite(rusqlite::Error::InvalidQuery));
        }
        let v: rusqlite::types::Value =
            self.conn
                .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))?;
        Ok(match v {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        })
    }

    /// The schema as sorted `CREATE` statements, for snapshot tests.
    pub fn schema_sql(&self) -> Result<String> {
        let mut stmt = self.conn.prepare(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = String::new();
        for sql in rows {
            out.push_str(&sql?);
            out.push_str(";\n");
        }
        Ok(out)
    }
}

/// Checks a database file without changing it: schema version and `PRAGMA integrity_check`.
///
/// Fails with [`Error::NotADatabase`] for a file that is not SQLite and with
/// [`Error::IncompatibleDatabase`] for one written by a newer Canvass.
pub fn inspect(path: &Path) -> Result<DbReport> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|source| Error::Open {
        path: path.to_owned(),
        source,
    })?;
    let check = || -> Result<DbReport> {
        let schema_version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let supported_version = MIGRATIONS.len() as i64;
        if schema_version > supported_version {
            return Err(Error::IncompatibleDatabase {
                found: schema_version,
                supported: supported_version,
            });
        }
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let integrity = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(DbReport {
            path: path.to_owned(),
            schema_version,
            supported_version,
            integrity,
        })
    };
    check().map_err(|e| not_a_database(e, path))
}

/// Turns SQLite's "file is not a database" into an error that names the file.
fn not_a_database(e: Error, path: &Path) -> Error {
    let code = match &e {
        Error::Sqlite(s) | Error::Corrupt(s) | Error::Migration { source: s, .. } => {
            s.sqlite_error_code()
        }
        _ => None,
    };
    if code == Some(rusqlite::ErrorCode::NotADatabase) {
        Error::NotADatabase {
            path: path.to_owned(),
        }
    } else {
        e
    }
}

//! Keeping the database safe at start-up: rotating backups, the integrity check, and restore.
//!
//! Backups live in `backups/` beside the database file. One is taken before any
//! migration changes the schema of a file that holds data, and one a day
//! (measured on the injected clock) once the file holds interviews. The newest
//! [`KEEP_BACKUPS`] are kept. Every start runs SQLite's quick check; a damaged
//! file is reported with the command that restores the newest backup.

use std::path::{Path, PathBuf};

use canvass_store::{list_backups, prune_backups, Store, BACKUP_PREFIX, MIGRATIONS};
use chrono::{DateTime, NaiveDateTime, Utc};

use crate::clock::Clock;
use crate::error::{Error, Result};

/// How many automatic backups to keep.
pub const KEEP_BACKUPS: usize = 10;

/// A day in milliseconds: the interval between daily backups.
const DAY_MS: i64 = 86_400_000;

const STAMP: &str = "%Y%m%d-%H%M%S";

/// The backup folder for a database file.
pub fn backup_dir(db: &Path) -> PathBuf {
    db.parent().unwrap_or(Path::new(".")).join("backups")
}

/// Opens the store with a pre-migration backup, checks its integrity and takes the daily backup.
pub(crate) fn open_store(db: &Path, clock: &dyn Clock) -> Result<Store> {
    let dir = backup_dir(db);
    std::fs::create_dir_all(&dir).map_err(|source| canvass_store::Error::Io {
        path: dir.clone(),
        source,
    })?;
    let now = clock.now_ms();
    let before_migration = dir.join(backup_name(now, &format!("before-v{}", MIGRATIONS.len())));
    let checked = || -> canvass_store::Result<std::result::Result<Store, Vec<String>>> {
        let store = Store::open_with_backup(db, &before_migration)?;
        let problems = store.quick_check()?;
        if problems != ["ok"] {
            return Ok(Err(problems));
        }
        let newest = list_backups(&dir).last().and_then(|p| backup_time(p));
        let due = newest.is_none_or(|t| now - t >= DAY_MS);
        if due && store.has_interviews()? {
            store.backup_to(&dir.join(backup_name(now, "daily")))?;
        }
        Ok(Ok(store))
    };
    let store = match checked() {
        Ok(Ok(store)) => store,
        Ok(Err(problems)) => return Err(damaged(db, problems)),
        // SQLite may raise the damage as an error rather than list it: the
        // user needs the same recovery path either way. A file that is not
        // SQLite at all only counts as damage if it was a database before.
        Err(e @ canvass_store::Error::Corrupt(_)) => return Err(damaged(db, vec![e.to_string()])),
        Err(e @ canvass_store::Error::NotADatabase { .. }) if db_has_backups(db) => {
            return Err(damaged(db, vec![e.to_string()]))
        }
        Err(e) => return Err(e.into()),
    };
    prune_backups(&dir, KEEP_BACKUPS)?;
    Ok(store)
}

/// Backs the database up to `dest` now (for `canvass db backup`).
pub fn backup_database(db: &Path, dest: &Path) -> Result<()> {
    if !db.exists() {
        return Err(Error::DatabaseMissing {
            path: db.to_owned(),
        });
    }
    let store = Store::open(db)?;
    store.backup_to(dest)?;
    Ok(())
}

/// Replaces the database with a checked backup (for `canvass db restore`); the
/// current file is first saved beside the backups so a wrong restore can be undone.
pub fn restore_database(
    db: &Path,
    from: &Path,
    clock: &dyn Clock,
) -> Result<canvass_store::DbReport> {
    let damaged_backup = |problems| canvass_store::Error::DamagedBackup {
        path: from.to_owned(),
        problems,
    };
    match canvass_store::inspect(from) {
        Ok(r) if r.is_healthy() => {}
        Ok(r) => return Err(damaged_backup(r.integrity).into()),
        Err(e @ canvass_store::Error::Corrupt(_)) => {
            return Err(damaged_backup(vec![e.to_string()]).into())
        }
        Err(e) => return Err(e.into()),
    }
    if db.exists() {
        let dir = backup_dir(db);
        std::fs::create_dir_all(&dir).map_err(|source| canvass_store::Error::Io {
            path: dir.clone(),
            source,
        })?;
        // The file being replaced may itself be damaged, so copy its bytes
        // rather than read it through SQLite.
        let aside = dir.join(format!("replaced-{}.sqlite", stamp(clock.now_ms())));
        std::fs::copy(db, &aside).map_err(|source| canvass_store::Error::Io {
            path: aside.clone(),
            source,
        })?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", db.display()));
            let _ = std::fs::remove_file(side);
        }
    }
    Ok(canvass_store::restore(db, from)?)
}

fn damaged(db: &Path, problems: Vec<String>) -> Error {
    Error::DatabaseDamaged {
        path: db.to_owned(),
        problems,
        latest_backup: list_backups(&backup_dir(db)).pop(),
    }
}

fn db_has_backups(db: &Path) -> bool {
    !list_backups(&backup_dir(db)).is_empty()
}

fn backup_name(now_ms: i64, what: &str) -> String {
    format!("{BACKUP_PREFIX}{}-{what}.sqlite", stamp(now_ms))
}

fn stamp(now_ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .format(STAMP)
        .to_string()
}

/// The time in a backup's name, e.g. `canvass-20261122-090000-daily.sqlite`.
fn backup_time(path: &Path) -> Option<i64> {
    let name = path.file_name()?.to_str()?.strip_prefix(BACKUP_PREFIX)?;
    let stamp = name.get(..15)?;
    NaiveDateTime::parse_from_str(stamp, STAMP)
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

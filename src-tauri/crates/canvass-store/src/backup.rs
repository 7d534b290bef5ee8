//! Backups with SQLite's online backup API: taken while the app runs, restored only from healthy files.
//!
//! A backup is written to a temporary name and renamed into place, so a crash
//! mid-backup never leaves a half file that looks like a backup. Restore first
//! checks the backup (integrity and schema version) and then copies it page by
//! page into the live file, so the database is never a mix of the two.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};
use crate::open::{inspect, DbReport, Store};

/// Pages copied per step; small steps let writers in between on a big file.
const PAGES_PER_STEP: std::os::raw::c_int = 256;

/// File names of automatic backups start with this and sort by time.
pub const BACKUP_PREFIX: &str = "canvass-";

impl Store {
    /// Copies the whole database, as of now, to `dest` (replacing it).
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        backup_connection(&self.conn, dest)
    }
}

pub(crate) fn backup_connection(conn: &Connection, dest: &Path) -> Result<()> {
    let tmp = dest.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    {
        let mut out = Connection::open(&tmp).map_err(|source| Error::Open {
            path: tmp.clone(),
            source,
        })?;
        let backup = Backup::new(conn, &mut out)?;
        backup.run_to_completion(PAGES_PER_STEP, Duration::ZERO, None)?;
    }
    std::fs::rename(&tmp, dest).map_err(|source| Error::Io {
        path: dest.to_owned(),
        source,
    })?;
    Ok(())
}

/// Replaces the database at `db` with the backup at `from`, after checking the backup.
///
/// Refuses a damaged backup or one written by a newer Canvass; returns the backup's report.
pub fn restore(db: &Path, from: &Path) -> Result<DbReport> {
    let report = inspect(from)?;
    if !report.is_healthy() {
        return Err(Error::DamagedBackup {
            path: from.to_owned(),
            problems: report.integrity,
        });
    }
    let src =
        Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|source| {
            Error::Open {
                path: from.to_owned(),
                source,
            }
        })?;
    let mut dst = Connection::open(db).map_err(|source| Error::Open {
        path: db.to_owned(),
        source,
    })?;
    let backup = Backup::new(&src, &mut dst)?;
    backup.run_to_completion(PAGES_PER_STEP, Duration::ZERO, None)?;
    Ok(report)
}

/// Automatic backups in `dir`, oldest first.
pub fn list_backups(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(BACKUP_PREFIX) && n.ends_with(".sqlite"))
        })
        .collect();
    found.sort();
    found
}

/// Deletes all but the newest `keep` automatic backups in `dir`.
pub fn prune_backups(dir: &Path, keep: usize) -> Result<()> {
    let all = list_backups(dir);
    let excess = all.len().saturating_sub(keep);
    for old in &all[..excess] {
        std::fs::remove_file(old).map_err(|source| Error::Io {
            path: old.clone(),
            source,
        })?;
    }
    Ok(())
}

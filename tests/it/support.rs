//! Test fixtures: a temporary data folder with a database path, the repository root, and a fixed clock.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use canvass_app::{App, FixedClock};

/// A temporary folder that holds one test's database; deleted when dropped.
pub struct TempDb {
    /// Keeps the folder alive for the test's duration.
    pub dir: tempfile::TempDir,
    /// `<dir>/canvass.sqlite`; not created until something opens it.
    pub path: PathBuf,
}

impl TempDb {
    pub fn new() -> TempDb {
        let dir = tempfile::tempdir().expect("create a temporary folder");
        let path = dir.path().join("canvass.sqlite");
        TempDb { dir, path }
    }

    /// Opens the app on this database with a clock fixed at 2026-11-22 09:00 UTC.
    pub fn app(&self) -> (App, Arc<FixedClock>) {
        let clock = Arc::new(FixedClock::new(FIXED_NOW_MS));
        let app =
            App::open(&self.path, clock.clone()).expect("open the app on a temporary database");
        (app, clock)
    }
}

/// 2026-11-22T09:00:00Z in Unix milliseconds.
pub const FIXED_NOW_MS: i64 = 1_795_338_000_000;

/// An XLSForm workbook in memory: each `(sheet name, rows)` becomes a sheet of
/// text cells; empty cells are left unwritten, as a spreadsheet leaves them.
pub fn xlsform(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    ws.write_string(r as u32, c as u16, *cell).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// The repository root (where the root Cargo.toml is).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A raw connection for checks the store API deliberately does not offer.
pub fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open the database file directly")
}

//! Attachment benchmark: 3 MiB photos attached to interviews, each committed with its answer.
//!
//! Run with `cargo bench -p canvass-app --bench attachments`. It prints the
//! p50 and p99 time to attach a new photo (hash, store, fsync), the same for a
//! photo already stored (deduplicated), and the database size against the bytes
//! attached. It asserts nothing about time: shared machines make timing assertions flaky.

use std::sync::Arc;
use std::time::Instant;

use canvass_app::{App, FixedClock};

const INTERVIEWS: usize = 40;
const PHOTO_BYTES: usize = 3 * 1024 * 1024;

/// A one-question-per-kind XLSForm: a photo and a GPS point.
fn form() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let rows: [(&str, &[&[&str]]); 2] = [
        (
            "survey",
            &[
                &["type", "name", "label"],
                &["image", "door_photo", "Photo of the entrance"],
                &["geopoint", "location", "Where is it?"],
            ],
        ),
        (
            "settings",
            &[&["form_id", "version"], &["attach_bench", "1"]],
        ),
    ];
    for (name, sheet) in rows {
        let ws = wb.add_worksheet();
        ws.set_name(name).expect("sheet name");
        for (r, row) in sheet.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                ws.write_string(r as u32, c as u16, *cell).expect("cell");
            }
        }
    }
    wb.save_to_buffer().expect("xlsx")
}

/// Reproducible bytes that do not compress (like a JPEG's).
fn photo(seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..PHOTO_BYTES)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("bench.sqlite");
    let app = App::open(&path, Arc::new(FixedClock::new(1_795_338_000_000))).expect("open");
    let study = app
        .install_form(&form(), "attach_bench.xlsx")
        .expect("form");
    let photos: Vec<Vec<u8>> = (0..INTERVIEWS as u64).map(photo).collect();
    let mut new_ms = Vec::new();
    let mut again_ms = Vec::new();
    for p in &photos {
        let id = app.start_interview(&study.id).expect("start").interview_id;
        let t = Instant::now();
        app.attach_file(&id, "door_photo", "door.jpg", p)
            .expect("attach");
        new_ms.push(t.elapsed().as_secs_f64() * 1e3);
        // The same photo on a second interview: hashed, found, linked, not stored again.
        let other = app.start_interview(&study.id).expect("start").interview_id;
        let t = Instant::now();
        app.attach_file(&other, "door_photo", "door.jpg", p)
            .expect("attach");
        again_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    for v in [&mut new_ms, &mut again_ms] {
        v.sort_by(f64::total_cmp);
    }
    let mb = PHOTO_BYTES as f64 / (1024.0 * 1024.0);
    println!(
        "attach a new {mb:.0} MiB photo ({INTERVIEWS} runs): p50 {:.1} ms, p99 {:.1} ms ({:.0} MiB/s at p50)",
        percentile(&new_ms, 0.5),
        percentile(&new_ms, 0.99),
        mb / (percentile(&new_ms, 0.5) / 1e3)
    );
    println!(
        "attach the same photo again (deduplicated): p50 {:.1} ms, p99 {:.1} ms",
        percentile(&again_ms, 0.5),
        percentile(&again_ms, 0.99)
    );
    drop(app);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(path.with_extension("sqlite-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "database with WAL: {:.0} MiB for {} attachments of {:.0} MiB total ({INTERVIEWS} distinct contents)",
        size as f64 / (1024.0 * 1024.0),
        2 * INTERVIEWS,
        2.0 * INTERVIEWS as f64 * mb
    );
}

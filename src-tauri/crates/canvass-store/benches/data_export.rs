//! Benchmark: data export of a large study to CSV and SPSS `.sav`, next to a bare SQLite scan of the answers, with peak memory.
//!
//! It lives in canvass-store because filling 20 million answers needs direct
//! inserts and the bare scan is plain SQL, which only this crate may hold.
//! The study has 200 questions (199 integers and one `select_one`) and no
//! `relevant` binds, so the export takes the stored answers as the record; a
//! second, small run adds one `relevant` bind to measure the engine path too.
//! Peak RSS (VmHWM) is reset before each export, and exports run at 10,000
//! interviews and at the full count, so flat memory shows as equal peaks.
//! `CANVASS_BENCH_INTERVIEWS` sets the full count (default 100,000).
//! Run: cargo bench -p canvass-store --bench data_export

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use canvass_app::export::data::{export_data, DataExportOptions, DataFormat};
use canvass_app::{App, SystemClock};

const QUESTIONS: usize = 200;

fn form(relevant: bool) -> String {
    let mut fields = String::new();
    let mut binds = String::new();
    let mut body = String::new();
    for k in 1..QUESTIONS {
        fields.push_str(&format!("<q{k}/>"));
        let rel = if relevant && k == 2 {
            " relevant=\"/data/q1 &gt; 10\""
        } else {
            ""
        };
        binds.push_str(&format!("<bind nodeset=\"/data/q{k}\" type=\"int\"{rel}/>"));
        body.push_str(&format!(
            "<input ref=\"/data/q{k}\"><label>Question {k}</label></input>"
        ));
    }
    format!(
        r#"<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa">
<h:head><h:title>Bench</h:title><model><instance><data id="bench" version="1">{fields}<sat/></data></instance>
{binds}<bind nodeset="/data/sat" type="string"/></model></h:head>
<h:body>{body}<select1 ref="/data/sat"><label>Satisfied?</label>
<item><label>Yes</label><value>1</value></item><item><label>Somewhat</label><value>2</value></item><item><label>No</label><value>3</value></item>
</select1></h:body></h:html>"#
    )
}

/// Inserts interviews `from..to`, each with every answer, in one transaction.
fn fill(db: &Path, from: usize, to: usize) {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut interview = tx
            .prepare(
                "INSERT INTO interviews (id, questionnaire_id, questionnaire_version, status, \
                 created_at, updated_at, completed_at) VALUES (?1, 'bench', '1', 'completed', ?2, ?2, ?2)",
            )
            .unwrap();
        let mut answer = tx
            .prepare("INSERT INTO answers (interview_id, item_path, value, updated_at) VALUES (?1, ?2, ?3, ?4)")
            .unwrap();
        let paths: Vec<String> = (1..QUESTIONS).map(|k| format!("/data/q{k}")).collect();
        for i in from..to {
            let id = format!("{i:09}");
            let at = 1_795_338_000_000i64 + i as i64 * 1000;
            interview.execute(rusqlite::params![id, at]).unwrap();
            for (k, path) in paths.iter().enumerate() {
                let v = ((i * 31 + k * 7) % 100).to_string();
                answer.execute(rusqlite::params![id, path, v, at]).unwrap();
            }
            answer
                .execute(rusqlite::params![
                    id,
                    "/data/sat",
                    (i % 3 + 1).to_string(),
                    at
                ])
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// Reads every answer in export order and touches its bytes: the floor any export stands on.
fn bare_scan(db: &Path) -> (usize, f64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let t = Instant::now();
    let mut stmt = conn
        .prepare(
            "SELECT interview_id, item_path, value FROM answers ORDER BY interview_id, item_path",
        )
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    let (mut n, mut bytes) = (0usize, 0usize);
    while let Some(r) = rows.next().unwrap() {
        for c in 0..3 {
            bytes += r.get_ref(c).unwrap().as_str().unwrap().len();
        }
        n += 1;
    }
    std::hint::black_box(bytes);
    (n, t.elapsed().as_secs_f64())
}

/// Resets the peak-RSS counter (Linux 4.0 and later) so the next reading is this step's peak.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn dir_mb(dir: &Path) -> f64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len() as f64)
        .sum::<f64>()
        / 1e6
}

fn export(app: &App, format: DataFormat, out: &Path, name: &str) {
    let _ = std::fs::remove_dir_all(out);
    reset_peak();
    let t = Instant::now();
    let s = export_data(app, &DataExportOptions::new("bench", format), out).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let mb = dir_mb(out);
    println!(
        "  {name:<5} {:>7} interviews in {secs:>6.2} s: {:>9.0} rows/s, {:>10.0} answers/s, {:>6.1} MB/s ({mb:.0} MB), peak RSS {:.0} MB",
        s.interviews,
        s.rows as f64 / secs,
        s.answers as f64 / secs,
        mb / secs,
        peak_mb()
    );
}

fn main() {
    let full: usize = std::env::var("CANVASS_BENCH_INTERVIEWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.sqlite");
    {
        let app = App::open(&db, Arc::new(SystemClock::new())).unwrap();
        app.install_form(form(false).as_bytes(), "bench.xml")
            .unwrap();
    }
    let mut filled = 0;
    for size in [10_000.min(full), full] {
        if size > filled {
            let t = Instant::now();
            fill(&db, filled, size);
            eprintln!(
                "filled {} interviews in {:.1} s",
                size - filled,
                t.elapsed().as_secs_f64()
            );
            filled = size;
        }
        println!("{size} interviews x {QUESTIONS} answers:");
        let (n, secs) = bare_scan(&db);
        println!(
            "  bare SQLite scan of answers: {n} rows in {secs:.2} s: {:.0} answers/s",
            n as f64 / secs
        );
        let app = App::open(&db, Arc::new(SystemClock::new())).unwrap();
        export(&app, DataFormat::Csv, &dir.path().join("csv"), "csv");
        export(&app, DataFormat::Sav, &dir.path().join("sav"), "sav");
    }

    // The engine path: the same answers under a form with one `relevant` bind, on fewer interviews.
    let engine = 5_000.min(full);
    let db = dir.path().join("engine.sqlite");
    {
        let app = App::open(&db, Arc::new(SystemClock::new())).unwrap();
        app.install_form(form(true).as_bytes(), "bench.xml")
            .unwrap();
    }
    fill(&db, 0, engine);
    println!(
        "{engine} interviews x {QUESTIONS} answers, form with a relevant bind (engine rebuild):"
    );
    let app = App::open(&db, Arc::new(SystemClock::new())).unwrap();
    export(&app, DataFormat::Csv, &dir.path().join("engine-csv"), "csv");
}

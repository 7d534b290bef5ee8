//! Benchmark: durable answer saves through canvass-app, next to a bare SQLite WAL+FULL commit, at 100 and 50,000 interviews; and resuming a 2,000-question draft.
//!
//! Every figure comes from the same run on the same disk, so the ratios hold
//! even on a noisy machine. The bare baseline is one `INSERT OR REPLACE` into a
//! `WITHOUT ROWID` answers table in its own `BEGIN IMMEDIATE … COMMIT`, which is
//! the least any durable save can cost. `CANVASS_BENCH_SAVES` sets the count.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canvass_app::DEMO_STUDY_ID as DEMO_NPS_ID;
use canvass_app::{App, SystemClock};

fn main() {
    resume_bench();
    let saves: usize = std::env::var("CANVASS_BENCH_SAVES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let dir = tempfile::tempdir().unwrap();

    let bare = bare_commits(&dir.path().join("bare.sqlite"), saves);
    report("bare SQLite WAL+FULL commit", &bare, None);

    for interviews in [100usize, 50_000] {
        let db = dir.path().join(format!("app-{interviews}.sqlite"));
        drop(App::open(&db, Arc::new(SystemClock::new())).unwrap());
        let filled = Instant::now();
        fill(&db, interviews);
        let fill_time = filled.elapsed();
        let app = App::open(&db, Arc::new(SystemClock::new())).unwrap();
        let id = app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
        let mut times = Vec::with_capacity(saves);
        for n in 0..saves {
            // Alternate two values so every save changes the answer and logs an event.
            let value = if n % 2 == 0 { "7" } else { "8" };
            let t = Instant::now();
            app.record_answer(&id, "nps", value).unwrap();
            times.push(t.elapsed());
        }
        println!(
            "({interviews} interviews in the file, filled in {:.1} s)",
            fill_time.as_secs_f64()
        );
        report(
            &format!("record_answer with {interviews} interviews"),
            &times,
            Some(&bare),
        );
    }
}

/// Inserts `n` completed interviews with ten answers each, in key order, in one transaction.
fn fill(db: &Path, n: usize) {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut iv = tx
            .prepare(
                "INSERT INTO interviews (id, questionnaire_id, questionnaire_version, status, created_at, updated_at, completed_at)
                 VALUES (?1, 'demo_nps', '2026-11-22', 'completed', ?2, ?2, ?2)",
            )
            .unwrap();
        let mut an = tx.prepare("INSERT INTO answers (interview_id, item_path, value, updated_at) VALUES (?1, ?2, ?3, ?4)").unwrap();
        for i in 0..n {
            let id = format!("00000000-0000-7000-8000-{i:012}");
            iv.execute(rusqlite::params![id, i as i64]).unwrap();
            for q in 0..10 {
                an.execute(rusqlite::params![
                    id,
                    format!("q{q:02}"),
                    format!("value {i} {q}"),
                    i as i64
                ])
                .unwrap();
            }
        }
    }
    tx.commit().unwrap();
}

fn bare_commits(path: &Path, n: usize) -> Vec<Duration> {
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE answers (interview_id TEXT, item_path TEXT, value TEXT, updated_at INTEGER,
                               PRIMARY KEY (interview_id, item_path)) WITHOUT ROWID;",
    )
    .unwrap();
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        tx.execute(
            "INSERT OR REPLACE INTO answers VALUES ('i', 'nps', ?1, ?2)",
            rusqlite::params![(i % 2).to_string(), i as i64],
        )
        .unwrap();
        tx.commit().unwrap();
        times.push(t.elapsed());
    }
    times
}

fn report(what: &str, times: &[Duration], baseline: Option<&[Duration]>) {
    let (p50, p99, max) = percentiles(times);
    let mut line = format!(
        "{what}: p50 {} µs, p99 {} µs, max {} µs ({} saves)",
        p50,
        p99,
        max,
        times.len()
    );
    if let Some(b) = baseline {
        let (b50, b99, _) = percentiles(b);
        line.push_str(&format!(
            "; {:.2}× bare at p50, {:.2}× at p99 (target ≤ 1.5×)",
            p50 as f64 / b50 as f64,
            p99 as f64 / b99 as f64
        ));
    }
    println!("{line}");
}

fn percentiles(times: &[Duration]) -> (u128, u128, u128) {
    let mut us: Vec<u128> = times.iter().map(|d| d.as_micros()).collect();
    us.sort_unstable();
    let at = |q: f64| us[((us.len() - 1) as f64 * q).round() as usize];
    (at(0.50), at(0.99), *us.last().unwrap())
}

/// Questions in the generated form for the resume benchmark.
const RESUME_QUESTIONS: usize = 2_000;

/// A generated XForm: 40 groups of 50 integer questions, each after the first
/// relevant on its predecessor, with a running-total calculation per group.
fn big_form() -> String {
    let (mut data, mut binds, mut body) = (String::new(), String::new(), String::new());
    for g in 0..RESUME_QUESTIONS / 50 {
        data.push_str(&format!("<g{g}>"));
        body.push_str(&format!(
            "<group ref=\"/data/g{g}\"><label>Section {g}</label>"
        ));
        for q in 0..50 {
            let name = format!("q{g}_{q}");
            data.push_str(&format!("<{name}/>"));
            let relevant = if q == 0 {
                String::new()
            } else {
                format!(" relevant=\"/data/g{g}/q{g}_{} != 99\"", q - 1)
            };
            binds.push_str(&format!(
                "<bind nodeset=\"/data/g{g}/{name}\" type=\"int\"{relevant} constraint=\". &lt; 1000\"/>"
            ));
            body.push_str(&format!(
                "<input ref=\"/data/g{g}/{name}\"><label>Question {g}.{q}</label></input>"
            ));
        }
        data.push_str(&format!("<total{g}/></g{g}>"));
        binds.push_str(&format!(
            "<bind nodeset=\"/data/g{g}/total{g}\" type=\"int\" calculate=\"sum(../*[starts-with(name(), 'q')])\"/>"
        ));
        body.push_str("</group>");
    }
    format!(
        r#"<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa">
<h:head><h:title>Resume bench</h:title><model>
<instance><data id="resume_bench" version="1">{data}<meta><instanceID/></meta></data></instance>
{binds}<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model></h:head><h:body>{body}</h:body></h:html>"#
    )
}

/// Resuming a draft of a 2,000-question form with 1,500 answers, each time in a freshly opened app
/// (the cost after a restart or crash: open, rebuild the instance from the store, log the resume).
fn resume_bench() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("resume.sqlite");
    let form = big_form();
    let id = {
        let app = App::open(&db, Arc::new(SystemClock::new())).unwrap();
        let installed = app
            .install_form(form.as_bytes(), "resume_bench.xml")
            .unwrap();
        let id = app.start_interview(&installed.id).unwrap().interview_id;
        let answered = RESUME_QUESTIONS * 3 / 4;
        let t = Instant::now();
        for n in 0..answered {
            let (g, q) = (n / 50, n % 50);
            app.record_answer(
                &id,
                &format!("/data/g{g}/q{g}_{q}"),
                &((n % 90) + 1).to_string(),
            )
            .unwrap();
        }
        println!(
            "resume bench: {} questions, {answered} answers saved in {:.1} s",
            app.studies()
                .iter()
                .find(|s| s.id == installed.id)
                .unwrap()
                .question_count,
            t.elapsed().as_secs_f64()
        );
        id
    };
    let mut opens = Vec::new();
    let mut resumes = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        let app = App::open(&db, Arc::new(SystemClock::new())).unwrap();
        opens.push(t.elapsed());
        let t = Instant::now();
        let screen = app.resume_interview(&id).unwrap();
        resumes.push(t.elapsed());
        assert_eq!(screen.position, RESUME_QUESTIONS * 3 / 4);
    }
    let ms = |times: &[Duration]| {
        let (p50, p99, _) = percentiles(times);
        (p50 as f64 / 1000.0, p99 as f64 / 1000.0)
    };
    let (o50, o99) = ms(&opens);
    let (r50, r99) = ms(&resumes);
    println!("app open (form import included): p50 {o50:.1} ms, p99 {o99:.1} ms");
    println!(
        "resume 2,000-question draft after a restart: p50 {r50:.1} ms, p99 {r99:.1} ms (target ≤ 100 ms)"
    );
}

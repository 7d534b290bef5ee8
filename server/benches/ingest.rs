//! Load benchmark of batch ingest: 4 devices push batches of 100 interviews x 200 answers over HTTP at once.
//!
//! Prints, per backend, interviews/s, answers/s and batch latency p50/p99 through
//! the real server (gzip, JSON, hashing, one transaction per batch), next to the
//! bare insert rate of the same records into the same kind of database in the
//! same run, so a slow figure can be blamed on the server or on the database.
//! SQLite always runs (a temporary folder on disk, `synchronous=FULL` as in
//! production); PostgreSQL runs when `--database postgres://...` is given or
//! `CANVASS_TEST_POSTGRES_URL` is set (a database `canvass_bench_ingest` is
//! created there). Only loopback traffic; bounded by `--batches` per device.
//!
//! ```sh
//! cargo bench -p canvass-server --bench ingest -- [--database URL] [--batches N]
//! ```
//! Targets on the 2-core reference machine: SQLite >= 2,000 interviews/s,
//! PostgreSQL >= 700 interviews/s, batch p99 <= 1 s.
//!
//! Then, on what each backend received, `canvass-server export data` writes
//! the study as CSV and as `.sav` (the study's 200-question form is published
//! first, as an administrator would), printed as interviews/s, answers/s and
//! MB/s of files written.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canvass_server::auth::{hash_password, hex, token_hash, HashCost};
use canvass_server::db::{self, Database, NewUser};
use sha2::{Digest, Sha256};

const DEVICES: usize = 4;
const PER_BATCH: usize = 100;
const ANSWERS: usize = 200;

/// One prepared batch: the gzip body and the records it holds (for the bare insert).
struct Prepared {
    body: Vec<u8>,
    records: Vec<(String, String, String)>,
}

/// An interview payload as the client makes it: ids, versions, times and 200 answers by path.
fn interview(id: &str, k: usize) -> String {
    let mut answers = serde_json::Map::new();
    for a in 0..ANSWERS {
        let value = match a % 4 {
            0 => ((k + a) % 11).to_string(),
            1 => format!("choice_{}", (k * 7 + a) % 5),
            2 => format!("{}.{}", 20 + (k + a) % 60, a % 10),
            _ => format!("free text answer {a} of interview {k}"),
        };
        answers.insert(format!("/data/section_{}/q{a:03}", a / 20), value.into());
    }
    serde_json::json!({
        "id": id,
        "questionnaire_id": "bench",
        "questionnaire_version": "2026-11-01",
        "created_at": 1_795_338_000_000i64 + k as i64,
        "completed_at": 1_795_338_600_000i64 + k as i64,
        "answers": answers,
    })
    .to_string()
}

fn prepare(device: &str, batches: usize) -> Vec<Prepared> {
    (0..batches)
        .map(|b| {
            let records: Vec<(String, String, String)> = (0..PER_BATCH)
                .map(|k| {
                    let id = uuid::Uuid::now_v7().to_string();
                    let payload = interview(&id, b * PER_BATCH + k);
                    let hash = hex(&Sha256::digest(payload.as_bytes()));
                    (id, payload, hash)
                })
                .collect();
            let items: Vec<String> = records
                .iter()
                .map(|(id, p, h)| {
                    format!(
                        r#"{{"id":"{id}","kind":"interview","payload":{p},"payload_hash":"{h}"}}"#
                    )
                })
                .collect();
            let json = format!(
                r#"{{"device_id":"{device}","batch_id":"{}","items":[{}]}}"#,
                uuid::Uuid::now_v7(),
                items.join(",")
            );
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(json.as_bytes()).unwrap();
            Prepared {
                body: gz.finish().unwrap(),
                records,
            }
        })
        .collect()
}

struct Figures {
    interviews: usize,
    seconds: f64,
    p50: Duration,
    p99: Duration,
}

/// Pushes every device's batches at once through the real server on 127.0.0.1.
async fn through_server(
    db: Arc<dyn Database>,
    work: &[(String, String, Vec<Prepared>)],
) -> Figures {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1/batches", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            canvass_server::app(canvass_server::AppState::new(db)),
        )
        .await
        .unwrap()
    });
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (_, token, batches) in work {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        let bodies: Vec<Vec<u8>> = batches.iter().map(|b| b.body.clone()).collect();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            for body in bodies {
                let t = Instant::now();
                let resp = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .header("content-encoding", "gzip")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert!(resp.status().is_success(), "{}", resp.status());
                let answer: serde_json::Value = resp.json().await.unwrap();
                let accepted = answer["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|i| i["status"] == "accepted")
                    .count();
                assert_eq!(accepted, PER_BATCH, "every interview accepted");
                latencies.push(t.elapsed());
            }
            latencies
        });
    }
    let mut latencies = Vec::new();
    while let Some(l) = tasks.join_next().await {
        latencies.extend(l.unwrap());
    }
    let seconds = started.elapsed().as_secs_f64();
    server.abort();
    latencies.sort();
    let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    Figures {
        interviews: latencies.len() * PER_BATCH,
        seconds,
        p50: pick(0.50),
        p99: pick(0.99),
    }
}

/// Bare SQLite: the same rows into a table of the same shape, one transaction of 100 rows at a time.
fn bare_sqlite(path: &std::path::Path, work: &[(String, String, Vec<Prepared>)]) -> (usize, f64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
        .unwrap();
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         CREATE TABLE bare (id TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL,
                            payload_hash TEXT NOT NULL, device_id TEXT NOT NULL);",
    )
    .unwrap();
    let mut conn = conn;
    let started = Instant::now();
    let mut n = 0;
    for (device, _, batches) in work {
        for b in batches {
            let tx = conn.transaction().unwrap();
            {
                let mut ins = tx
                    .prepare_cached("INSERT INTO bare VALUES (?1, 'interview', ?2, ?3, ?4)")
                    .unwrap();
                for (id, p, h) in &b.records {
                    ins.execute(rusqlite::params![id, p, h, device]).unwrap();
                    n += 1;
                }
            }
            tx.commit().unwrap();
        }
    }
    (n, started.elapsed().as_secs_f64())
}

/// Bare PostgreSQL: the same rows, one multi-row insert per transaction of 100.
async fn bare_postgres(url: &str, work: &[(String, String, Vec<Prepared>)]) -> (usize, f64) {
    let cfg = db::postgres::create_database(url, "canvass_bench_bare")
        .await
        .unwrap();
    let (client, conn) = cfg.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let mut client = client;
    client
        .batch_execute(
            "CREATE TABLE bare (id TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL,
                                payload_hash TEXT NOT NULL, device_id TEXT NOT NULL)",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mut n = 0;
    for (device, _, batches) in work {
        for b in batches {
            let ids: Vec<&str> = b.records.iter().map(|r| r.0.as_str()).collect();
            let ps: Vec<&str> = b.records.iter().map(|r| r.1.as_str()).collect();
            let hs: Vec<&str> = b.records.iter().map(|r| r.2.as_str()).collect();
            let tx = client.transaction().await.unwrap();
            n += tx
                .execute(
                    "INSERT INTO bare SELECT id, 'interview', p, h, $4
                     FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[]) AS t (id, p, h)",
                    &[&ids, &ps, &hs, device],
                )
                .await
                .unwrap() as usize;
            tx.commit().await.unwrap();
        }
    }
    (n, started.elapsed().as_secs_f64())
}

/// Creates the pushing user and one token per device; returns (device, token, batches).
async fn accounts(db: &dyn Database, batches: usize) -> Vec<(String, String, Vec<Prepared>)> {
    db.add_user(NewUser {
        name: "bench".into(),
        role: "interviewer".into(),
        team: Some("north".into()),
        password_hash: hash_password("bench-pw", HashCost::Minimal).unwrap(),
        created_at: 0,
    })
    .await
    .unwrap();
    let mut out = Vec::new();
    for d in 0..DEVICES {
        let device = format!("bench-device-{d}");
        let token = format!("bench-token-{d}-{}", uuid::Uuid::now_v7());
        db.add_token(&token_hash(&token), "bench", &device, 0)
            .await
            .unwrap();
        let prepared = prepare(&device, batches);
        out.push((device, token, prepared));
    }
    out
}

/// The bench study as an XForm: 200 text questions in 10 sections, named as the payloads name them.
fn bench_form() -> String {
    let (mut data, mut body) = (String::new(), String::new());
    for section in 0..ANSWERS / 20 {
        data.push_str(&format!("<section_{section}>"));
        body.push_str(&format!(
            "<group ref=\"/data/section_{section}\"><label>Section {section}</label>"
        ));
        for a in section * 20..section * 20 + 20 {
            data.push_str(&format!("<q{a:03}/>"));
            body.push_str(&format!(
                "<input ref=\"/data/section_{section}/q{a:03}\"><label>Question {a}</label></input>"
            ));
        }
        data.push_str(&format!("</section_{section}>"));
        body.push_str("</group>");
    }
    format!(
        r#"<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">
<h:head><h:title>Bench</h:title><model>
<instance><data id="bench" version="2026-11-01">{data}</data></instance>
</model></h:head><h:body>{body}</h:body></h:html>"#
    )
}

/// Publishes the bench study, then times `export data` as CSV and as `.sav` over what `db` holds.
async fn export_figures(backend: &str, db: Arc<dyn Database>) {
    let published = canvass_server::forms::compile(bench_form().as_bytes(), "bench.xml").unwrap();
    db.publish_change(
        "questionnaire_version",
        None,
        &serde_json::to_string(&published).unwrap(),
    )
    .await
    .unwrap();
    for (name, format) in [
        ("csv", canvass_export::DataFormat::Csv),
        (".sav", canvass_export::DataFormat::Sav),
    ] {
        let out = tempfile::tempdir().unwrap();
        let options = canvass_export::DataExportOptions::new("bench", format);
        let t = Instant::now();
        let summary = canvass_server::export_data::export_data(db.clone(), options, out.path())
            .await
            .unwrap();
        let seconds = t.elapsed().as_secs_f64();
        let bytes: u64 = summary
            .files
            .iter()
            .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
            .sum();
        println!(
            "{backend:<10} export data {name:<4}: {:>6} interviews in {:>5.2} s = {:>7.0} interviews/s, {:>9.0} answers/s, {:>6.1} MB/s",
            summary.interviews,
            seconds,
            summary.interviews as f64 / seconds,
            summary.answers as f64 / seconds,
            bytes as f64 / 1e6 / seconds
        );
    }
}

fn report(backend: &str, f: &Figures, bare: (usize, f64), target: f64) {
    let rate = f.interviews as f64 / f.seconds;
    let bare_rate = bare.0 as f64 / bare.1;
    let verdict = |ok: bool| if ok { "meets" } else { "BELOW" };
    println!(
        "{backend:<10} server: {:>6} interviews in {:>5.2} s = {:>7.0} interviews/s, {:>9.0} answers/s; \
         batch p50 {:>4} ms, p99 {:>4} ms",
        f.interviews,
        f.seconds,
        rate,
        rate * ANSWERS as f64,
        f.p50.as_millis(),
        f.p99.as_millis()
    );
    println!(
        "{backend:<10} bare inserts of the same rows: {:>7.0} interviews/s; server reaches {:.0}% of it",
        bare_rate,
        100.0 * rate / bare_rate
    );
    println!(
        "{backend:<10} target {target:.0} interviews/s: {}; p99 <= 1 s: {}",
        verdict(rate >= target),
        verdict(f.p99 <= Duration::from_secs(1))
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut database = std::env::var("CANVASS_TEST_POSTGRES_URL").ok();
    let mut batches = 10;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--database" => database = args.next(),
            "--batches" => batches = args.next().and_then(|n| n.parse().ok()).unwrap_or(batches),
            // `cargo bench` passes --bench; anything else is ignored so filters do no harm.
            _ => {}
        }
    }
    println!(
        "ingest benchmark: {DEVICES} devices x {batches} batches x {PER_BATCH} interviews x {ANSWERS} answers, concurrent over HTTP"
    );

    let dir = tempfile::tempdir().unwrap();
    let sqlite: Arc<dyn Database> = Arc::new(db::sqlite::SqliteDb::open_dir(dir.path()).unwrap());
    let work = accounts(&*sqlite, batches).await;
    let f = through_server(sqlite.clone(), &work).await;
    let bare = bare_sqlite(&dir.path().join("bare.sqlite"), &work);
    report("sqlite", &f, bare, 2_000.0);
    export_figures("sqlite", sqlite).await;

    match database {
        Some(url) => {
            let cfg = db::postgres::create_database(&url, "canvass_bench_ingest")
                .await
                .unwrap();
            let pg: Arc<dyn Database> =
                Arc::new(db::postgres::PgDb::open_config(cfg).await.unwrap());
            let work = accounts(&*pg, batches).await;
            let f = through_server(pg.clone(), &work).await;
            let bare = bare_postgres(&url, &work).await;
            report("postgresql", &f, bare, 700.0);
            export_figures("postgresql", pg).await;
        }
        None => println!(
            "postgresql skipped: give --database postgres://... or set CANVASS_TEST_POSTGRES_URL"
        ),
    }
}

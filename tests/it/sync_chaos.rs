//! Chaos: several devices sync at once through a proxy that refuses connections, cuts requests and swallows answers;
//! every interview ends up stored exactly once with the content its device hashed.
//!
//! Bounded: a fixed number of devices, interviews and passes; the proxy's choices come from a seed.

use canvass_app::SyncOutcome;

use crate::both_backends;
use crate::sync_harness::{Backend, Device, Proxy, ProxyMode, TestServer};

const DEVICES: usize = 4;
const INTERVIEWS: usize = 5;
const CHAOS_PASSES: usize = 12;

async fn every_interview_is_stored_once_with_identical_content(b: Backend, name: &str) {
    let server = TestServer::start(b, name).await;
    server.add_user("ines", "interviewer", Some("north")).await;
    let proxy = Proxy::start(server.addr, 0x5eed).await;
    let mut devices = Vec::new();
    for _ in 0..DEVICES {
        let d = Device::new();
        d.complete(INTERVIEWS);
        d.login(&server.url, "ines").await;
        // Sign-in went direct; from now on everything goes through the proxy.
        crate::support::raw(&d.db.path)
            .execute("UPDATE sync_settings SET server_url = ?1", [&proxy.url])
            .unwrap();
        devices.push(std::sync::Arc::new(d));
    }

    // Small batches, so a pass can get part of the way before the network fails it.
    let limits = canvass_sync::Limits {
        max_items: 2,
        max_bytes: 1 << 20,
    };
    proxy.set(ProxyMode::Random);
    let mut failed = 0;
    for _ in 0..CHAOS_PASSES {
        // All devices at once, so the server runs their batch transactions concurrently.
        let mut passes = tokio::task::JoinSet::new();
        for d in &devices {
            let d = d.clone();
            passes.spawn(async move {
                d.wait_out_backoff();
                d.sync_with(limits).await.outcome
            });
        }
        while let Some(outcome) = passes.join_next().await {
            if outcome.unwrap() != SyncOutcome::Ok {
                failed += 1;
            }
        }
    }
    assert!(failed > 0, "the proxy should have broken some passes");
    assert!(
        proxy.connections.load(std::sync::atomic::Ordering::SeqCst)
            >= (DEVICES * CHAOS_PASSES) as u64
    );

    // The network heals: one more pass each delivers whatever is left.
    proxy.set(ProxyMode::Pass);
    for d in &devices {
        d.wait_out_backoff();
        let s = d.sync_with(limits).await;
        assert!(
            matches!(s.outcome, SyncOutcome::Ok | SyncOutcome::NothingToDo),
            "{s:?}"
        );
        assert_eq!((s.conflict, s.invalid), (0, 0), "{s:?}");
    }
    let stored = server.interviews().await;
    assert_eq!(
        stored.len(),
        DEVICES * INTERVIEWS,
        "each interview exactly once"
    );
    for d in &devices {
        for e in d.app.outbox().unwrap() {
            assert_eq!(e.state, "acked", "{e:?}");
            let s = stored.iter().find(|s| s.id == e.id).unwrap();
            assert_eq!((&s.payload, &s.payload_hash), (&e.payload, &e.payload_hash));
        }
    }
}
both_backends!(chaos, every_interview_is_stored_once_with_identical_content);

// ---------------------------------------------------------------------------
// At scale, with server crashes: 4 devices x 500 interviews through the chaos proxy,
// while the server process is killed in the middle of batch ingests and started
// again on the same data.

/// Interviews per device in the large chaos test.
const SCALE_INTERVIEWS: usize = 500;
/// How many times the server process dies during an ingest.
const SCALE_CRASHES: u64 = 5;
/// Passes of every device under chaos before the network heals.
const SCALE_ROUNDS: usize = 40;
/// Set in a child process: the JSON spec of the server it runs (see [`server_process`]).
const SERVE_ENV: &str = "CANVASS_CHAOS_SERVE";

/// The chaos test's server, as a process of its own: `cargo test` runs this with
/// `--include-ignored` too, and then, without [`SERVE_ENV`], it does nothing.
#[test]
#[ignore = "the large chaos test starts this as its server process; alone it does nothing"]
fn server_process() {
    let Ok(spec) = std::env::var(SERVE_ENV) else {
        return;
    };
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(serve(spec));
}

/// Opens the storage named by `spec`, arms the crash, and serves on 127.0.0.1 until killed.
async fn serve(spec: serde_json::Value) {
    use canvass_server::db::{postgres::PgDb, sqlite::SqliteDb, Database};
    let inner: std::sync::Arc<dyn Database> = match spec["backend"].as_str() {
        Some("sqlite") => std::sync::Arc::new(
            SqliteDb::open_dir(std::path::Path::new(spec["dir"].as_str().unwrap())).unwrap(),
        ),
        _ => std::sync::Arc::new(PgDb::open(spec["url"].as_str().unwrap()).await.unwrap()),
    };
    let at = spec["crash_at"].as_u64().unwrap();
    let db: std::sync::Arc<dyn Database> = if at == 0 {
        inner
    } else {
        let after = std::time::Duration::from_micros(spec["crash_after_us"].as_u64().unwrap());
        std::sync::Arc::new(crate::sync_harness::FaultyDb::crashing(inner, at, after))
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("CHAOS-LISTEN {}", listener.local_addr().unwrap());
    axum::serve(
        listener,
        canvass_server::app(canvass_server::AppState::new(db)),
    )
    .await
    .unwrap();
}

/// A running server child process and the lines it printed.
struct Child {
    proc: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Child {
    /// Starts this test binary as the server described by `spec` and waits until it listens.
    fn start(spec: &serde_json::Value) -> (Child, std::net::SocketAddr) {
        use std::io::BufRead;
        let exe = std::env::current_exe().unwrap();
        let mut proc = std::process::Command::new(exe)
            .args([
                "sync_chaos::server_process",
                "--exact",
                "--include-ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(SERVE_ENV, spec.to_string())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the server process");
        let out = proc.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let Ok(line) = lines.recv_timeout(left) else {
                let _ = proc.kill();
                let _ = proc.wait();
                panic!("the server process did not say where it listens");
            };
            // libtest may print "test NAME ... " on the same line before the test's own output.
            if let Some((_, addr)) = line.split_once("CHAOS-LISTEN ") {
                return (Child { proc, lines }, addr.trim().parse().unwrap());
            }
        }
    }
}

impl Drop for Child {
    /// A failing test must not leave a server process behind.
    fn drop(&mut self) {
        let _ = self.proc.kill();
        let _ = self.proc.wait();
    }
}

/// Stops the supervisor (and so its server process) when the test ends, also by a panic.
struct StopOnDrop(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// What the supervisor saw: planned crashes, and how many hit a batch still being ingested.
#[derive(Debug, Default)]
struct Crashes {
    restarts: u64,
    in_flight: u64,
}

/// Keeps a server process running behind the proxy: each planned crash is followed
/// by a restart on the same data, re-pointing the proxy; the last process never crashes.
fn supervise(
    base: serde_json::Value,
    seed: u64,
    upstream: std::sync::Arc<std::sync::Mutex<std::net::SocketAddr>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<Crashes> {
    let spec_for = move |run: u64| {
        let mut spec = base.clone();
        let r = crate::sync_harness::splitmix(seed ^ run);
        // Crash on the 2nd to 6th ingest of this run, 0 to 3 ms into it.
        spec["crash_at"] = if run < SCALE_CRASHES {
            (2 + r % 5).into()
        } else {
            0.into()
        };
        spec["crash_after_us"] = ((r >> 8) % 3_000).into();
        spec
    };
    let (mut child, addr) = Child::start(&spec_for(0));
    *upstream.lock().unwrap() = addr;
    std::thread::spawn(move || {
        let mut seen = Crashes::default();
        loop {
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                // Dropping the child kills and reaps it.
                return seen;
            }
            match child.proc.try_wait().unwrap() {
                None => std::thread::sleep(std::time::Duration::from_millis(5)),
                Some(status) => {
                    assert_eq!(
                        status.code(),
                        Some(crate::sync_harness::CRASH_EXIT),
                        "the server process died without a planned crash"
                    );
                    while let Ok(line) = child.lines.try_recv() {
                        if line.contains("CHAOS-CRASH in-flight") {
                            seen.in_flight += 1;
                        }
                    }
                    seen.restarts += 1;
                    let (next, addr) = Child::start(&spec_for(seen.restarts));
                    *upstream.lock().unwrap() = addr;
                    child = next;
                }
            }
        }
    })
}

async fn thousands_survive_chaos_and_server_crashes(b: Backend, name: &str) {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let started = std::time::Instant::now();

    // Seed the storage and its account here, then hand the data to the server process.
    let dir = tempfile::tempdir().unwrap();
    let db = crate::sync_harness::open_db(b, dir.path(), name).await;
    crate::sync_harness::add_user(&*db, "ines", "interviewer", Some("north")).await;
    drop(db);
    let base = match b {
        Backend::Sqlite => {
            serde_json::json!({"backend": "sqlite", "dir": dir.path().to_str().unwrap()})
        }
        Backend::Postgres => serde_json::json!({
            "backend": "postgres",
            "url": crate::sync_harness::postgres_url_for(&format!("canvass_{name}")),
        }),
    };
    let placeholder: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    let proxy = Proxy::start(placeholder, 0xc4a05).await;
    let stop = Arc::new(AtomicBool::new(false));
    let stop_guard = StopOnDrop(stop.clone());
    let supervisor = supervise(base.clone(), 0x5eed, proxy.upstream(), stop.clone());

    // Four devices complete their interviews side by side (each a real, durable interview).
    let mut filling = tokio::task::JoinSet::new();
    for _ in 0..DEVICES {
        filling.spawn_blocking(|| {
            let d = Device::on_tmpfs();
            d.complete(SCALE_INTERVIEWS);
            d
        });
    }
    let mut devices = Vec::new();
    while let Some(d) = filling.join_next().await {
        let d = d.unwrap();
        d.login(&proxy.url, "ines").await;
        devices.push(Arc::new(d));
    }
    let filled = started.elapsed();

    let limits = canvass_sync::Limits {
        max_items: 25,
        max_bytes: 1 << 20,
    };
    let pending = |d: &Device| {
        d.app
            .outbox()
            .unwrap()
            .iter()
            .filter(|e| e.state == "pending")
            .count()
    };
    let mut rounds = 0;
    let (mut failed, mut duplicates) = (0, 0);
    proxy.set(ProxyMode::Chaos);
    // Under chaos, then healed: the last rounds go straight through, and the last server process never crashes.
    for round in 0..SCALE_ROUNDS + 10 {
        if round == SCALE_ROUNDS {
            proxy.set(ProxyMode::Pass);
        }
        if devices.iter().all(|d| pending(d) == 0) && round >= SCALE_ROUNDS {
            break;
        }
        rounds += 1;
        let mut passes = tokio::task::JoinSet::new();
        for d in &devices {
            let d = d.clone();
            passes.spawn(async move {
                d.wait_out_backoff();
                let opts = canvass_app::SyncOptions {
                    limits,
                    seed: 7,
                    // Short, so that the proxy's long delays become client timeouts.
                    timeout: std::time::Duration::from_secs(2),
                    retry_now: false,
                };
                d.app.sync_with(opts).await.unwrap()
            });
        }
        while let Some(s) = passes.join_next().await {
            let s = s.unwrap();
            assert_eq!((s.conflict, s.invalid), (0, 0), "{s:?}");
            duplicates += s.duplicate;
            if s.outcome != SyncOutcome::Ok && s.outcome != SyncOutcome::NothingToDo {
                failed += 1;
            }
        }
    }
    drop(stop_guard);
    let crashes = supervisor.join().unwrap();

    // Read what the server holds with the server process gone, on the same data.
    let db: Arc<dyn canvass_server::db::Database> = match b {
        Backend::Sqlite => {
            Arc::new(canvass_server::db::sqlite::SqliteDb::open_dir(dir.path()).unwrap())
        }
        Backend::Postgres => Arc::new(
            canvass_server::db::postgres::PgDb::open(base["url"].as_str().unwrap())
                .await
                .unwrap(),
        ),
    };
    let stored = db.records("interview", None, None).await.unwrap();
    let total = DEVICES * SCALE_INTERVIEWS;
    assert_eq!(stored.len(), total, "each interview exactly once");
    let by_id: std::collections::HashMap<&str, &canvass_server::db::StoredRecord> =
        stored.iter().map(|r| (r.id.as_str(), r)).collect();
    assert_eq!(by_id.len(), total, "no id twice");
    for d in &devices {
        let outbox = d.app.outbox().unwrap();
        assert_eq!(outbox.len(), SCALE_INTERVIEWS);
        for e in outbox {
            assert_eq!(e.state, "acked", "{e:?}");
            let s = by_id[e.id.as_str()];
            assert_eq!((&s.payload, &s.payload_hash), (&e.payload, &e.payload_hash));
        }
    }
    let counts = proxy.counts.lock().unwrap().clone();
    assert_eq!(
        crashes.restarts, SCALE_CRASHES,
        "every planned crash happened"
    );
    assert!(
        failed > 0 && duplicates > 0,
        "the chaos should have cost something"
    );
    for mode in [
        "delay",
        "cut_later",
        "refuse",
        "cut_request",
        "drop_response",
    ] {
        assert!(
            counts.get(mode).copied().unwrap_or(0) > 0,
            "no {mode} fault: {counts:?}"
        );
    }
    println!(
        "chaos {name}: {total} interviews from {DEVICES} devices stored exactly once; \
         {rounds} rounds, {failed} failed passes, {duplicates} duplicate resends; \
         proxy connections {counts:?}; {} server crashes ({} with a batch in flight), each restarted; \
         filling {:.1}s, total {:.1}s",
        crashes.restarts,
        crashes.in_flight,
        filled.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
both_backends!(chaos_at_scale, thousands_survive_chaos_and_server_crashes);

//! Sync test fixtures: a real canvass-server on 127.0.0.1 (SQLite or PostgreSQL), devices, a faulty proxy.
//!
//! [`Backend`] picks the storage; [`both_backends!`] turns one async test body
//! into a SQLite test and a PostgreSQL test, the latter `#[ignore]`d unless
//! `./test.sh` runs the ignored tests with `CANVASS_TEST_POSTGRES_URL` set (and
//! failing loudly if it is not). All traffic stays on loopback; time comes from
//! fixed clocks.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use canvass_app::DEMO_STUDY_ID as DEMO_NPS_ID;
use canvass_app::{App, FixedClock, SyncOptions};
use canvass_server::auth::{hash_password, HashCost};
use canvass_server::db::{self, Database, NewUser};
use canvass_server::{AppState, Limits};

use crate::support::{TempDb, FIXED_NOW_MS};

/// Which storage the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One async test body run on both backends.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body(
                    $crate::sync_harness::Backend::Sqlite,
                    concat!(stringify!($name), "_sqlite"),
                )
                .await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: ./test.sh starts one"]
            async fn postgres() {
                $body(
                    $crate::sync_harness::Backend::Postgres,
                    concat!(stringify!($name), "_pg"),
                )
                .await
            }
        }
    };
}

/// Opens a fresh, empty server database for one test. `name` must be unique per test.
pub async fn open_db(backend: Backend, dir: &std::path::Path, name: &str) -> Arc<dyn Database> {
    match backend {
        Backend::Sqlite => Arc::new(
            db::sqlite::SqliteDb::open_dir(dir).expect("open the server's SQLite database"),
        ),
        Backend::Postgres => {
            let url = std::env::var("CANVASS_TEST_POSTGRES_URL").expect(
                "CANVASS_TEST_POSTGRES_URL is not set: run ./test.sh, which starts a throwaway PostgreSQL, \
                 or point the variable at a server where the tests may create databases",
            );
            let cfg = db::postgres::create_database(&url, &format!("canvass_{name}"))
                .await
                .expect("create a database for this test on CANVASS_TEST_POSTGRES_URL");
            Arc::new(
                db::postgres::PgDb::open_config(cfg)
                    .await
                    .expect("open and migrate the PostgreSQL database"),
            )
        }
    }
}

/// A running canvass-server on 127.0.0.1 with a fixed clock.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    pub addr: SocketAddr,
    /// The storage behind the server, for seeding accounts and checking what was stored.
    pub db: Arc<dyn Database>,
    /// The state the router was built from (oneshot tests build more routers from it).
    pub state: AppState,
    /// The server's clock (Unix ms); tests move it to let time pass on the server.
    pub clock: Arc<AtomicI64>,
    /// When set, every batch ingest fails with a storage error (the server answers 500).
    pub fail_ingest: Arc<AtomicBool>,
    /// Keeps the SQLite folder alive.
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Server time in tests: 2026-11-22 10:00 UTC.
pub const SERVER_NOW_MS: i64 = FIXED_NOW_MS + 3_600_000;

impl TestServer {
    /// A server with default limits.
    pub async fn start(backend: Backend, name: &str) -> TestServer {
        Self::start_with(backend, name, Limits::default()).await
    }

    /// A server with the given request limits.
    pub async fn start_with(backend: Backend, name: &str, limits: Limits) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db = open_db(backend, dir.path(), name).await;
        Self::serve(db, limits, dir).await
    }

    /// A server over storage opened elsewhere (e.g. by the `canvass-server` command line); `dir` is kept alive.
    pub async fn serve(
        inner: Arc<dyn Database>,
        limits: Limits,
        dir: tempfile::TempDir,
    ) -> TestServer {
        let fail_ingest = Arc::new(AtomicBool::new(false));
        let db: Arc<dyn Database> = Arc::new(FaultyDb {
            inner: inner.clone(),
            fail_ingest: fail_ingest.clone(),
            crash: None,
        });
        let clock = Arc::new(AtomicI64::new(SERVER_NOW_MS));
        let now = clock.clone();
        let state = AppState {
            db,
            clock: Arc::new(move || now.load(Ordering::SeqCst)),
            limits,
            throttle: Arc::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = canvass_server::app(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        TestServer {
            url: format!("http://{addr}"),
            addr,
            db: inner,
            state,
            clock,
            fail_ingest,
            _dir: dir,
            task,
        }
    }

    /// Creates an account with a cheap password hash (the password is the user name plus "-pw").
    pub async fn add_user(&self, name: &str, role: &str, team: Option<&str>) {
        add_user(&*self.db, name, role, team).await
    }

    /// Every interview the server stored, oldest first.
    pub async fn interviews(&self) -> Vec<db::StoredRecord> {
        self.db.records("interview", None, None).await.unwrap()
    }
}

/// Creates an account in `db` with a cheap password hash (the password is the user name plus "-pw").
pub async fn add_user(db: &dyn Database, name: &str, role: &str, team: Option<&str>) {
    let user = NewUser {
        name: name.into(),
        role: role.into(),
        team: team.map(str::to_owned),
        password_hash: hash_password(&password(name), HashCost::Minimal).unwrap(),
        created_at: SERVER_NOW_MS,
    };
    db.add_user(user).await.unwrap();
}

/// `CANVASS_TEST_POSTGRES_URL` with its database replaced by `dbname` (one made by [`open_db`]).
pub fn postgres_url_for(dbname: &str) -> String {
    let url = std::env::var("CANVASS_TEST_POSTGRES_URL").expect("CANVASS_TEST_POSTGRES_URL is set");
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b.to_owned(), format!("?{q}")),
        None => (url.clone(), String::new()),
    };
    // postgres://user@host:port/db: the database is the path after the authority.
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    format!("{}/{dbname}{query}", &base[..authority_end])
}

/// The password tests give `user`.
pub fn password(user: &str) -> String {
    format!("{user}-pw")
}

/// A device: its own database file, the app on a fixed clock.
pub struct Device {
    pub db: TempDb,
    pub app: App,
    pub clock: Arc<FixedClock>,
}

impl Device {
    pub fn new() -> Device {
        let db = TempDb::new();
        let (app, clock) = db.app();
        Device { db, app, clock }
    }

    /// A device whose database lives in memory-backed `/dev/shm` when there is one, so that
    /// thousands of durable saves (each an fsync) cost what the code costs, not what the disk does.
    pub fn on_tmpfs() -> Device {
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            tempfile::tempdir_in(shm).expect("create a folder in /dev/shm")
        } else {
            tempfile::tempdir().expect("create a temporary folder")
        };
        let path = dir.path().join("canvass.sqlite");
        let db = TempDb { dir, path };
        let (app, clock) = db.app();
        Device { db, app, clock }
    }

    /// Completes `n` demo interviews (one second of clock each); returns their ids.
    pub fn complete(&self, n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                let id = self.app.start_interview(DEMO_NPS_ID).unwrap().interview_id;
                self.clock.advance(1_000);
                self.app
                    .record_answer(&id, "nps", &(i % 11).to_string())
                    .unwrap();
                self.app.next_item(&id).unwrap();
                self.app.record_answer(&id, "reason", "2").unwrap();
                self.app.next_item(&id).unwrap();
                self.app
                    .record_answer(&id, "comment", &format!("interview {i}"))
                    .unwrap();
                self.app.next_item(&id).unwrap();
                let s = self.app.next_item(&id).unwrap();
                assert_eq!(s.status, "completed");
                id
            })
            .collect()
    }

    /// Signs in to `server` as `user`.
    pub async fn login(&self, server: &str, user: &str) {
        self.app
            .login(server, user, &password(user))
            .await
            .expect("sign in");
    }

    /// One sync pass with a fixed seed and short timeout.
    pub async fn sync(&self) -> canvass_app::SyncSummary {
        self.sync_with(canvass_sync::Limits::default()).await
    }

    /// One sync pass with batch limits.
    pub async fn sync_with(&self, limits: canvass_sync::Limits) -> canvass_app::SyncSummary {
        let opts = SyncOptions {
            limits,
            seed: 42,
            timeout: std::time::Duration::from_secs(20),
            retry_now: false,
        };
        self.app
            .sync_with(opts)
            .await
            .expect("a sync pass fails only when the local database does")
    }

    /// Outbox states by id, oldest first.
    pub fn outbox_states(&self) -> Vec<(String, String)> {
        self.app
            .outbox()
            .unwrap()
            .into_iter()
            .map(|e| (e.id, e.state))
            .collect()
    }

    /// Lets the backoff of every pending row pass.
    pub fn wait_out_backoff(&self) {
        self.clock.advance(2 * 60 * 60 * 1000);
    }
}

/// A storage wrapper that can make batch ingest fail, so the real server answers a real 500,
/// or end the whole process while a batch is being ingested (the chaos test's server crashes).
pub struct FaultyDb {
    inner: Arc<dyn Database>,
    fail_ingest: Arc<AtomicBool>,
    crash: Option<CrashPlan>,
}

/// When a server process dies: during its `at`-th batch ingest, `after` into it.
pub struct CrashPlan {
    pub at: u64,
    pub after: std::time::Duration,
    seen: AtomicU64,
}

/// The exit code of a planned crash, so the supervisor can tell it from a real failure.
pub const CRASH_EXIT: i32 = 86;

impl FaultyDb {
    /// Storage that ends the process during its `at`-th ingest, `after` into it.
    pub fn crashing(inner: Arc<dyn Database>, at: u64, after: std::time::Duration) -> FaultyDb {
        FaultyDb {
            inner,
            fail_ingest: Arc::default(),
            crash: Some(CrashPlan {
                at,
                after,
                seen: AtomicU64::new(0),
            }),
        }
    }
}

#[canvass_server::db::async_trait]
impl Database for FaultyDb {
    async fn add_user(&self, u: NewUser) -> db::DbResult<()> {
        self.inner.add_user(u).await
    }
    async fn list_users(&self) -> db::DbResult<Vec<db::UserRow>> {
        self.inner.list_users().await
    }
    async fn user(&self, name: &str) -> db::DbResult<Option<db::UserRow>> {
        self.inner.user(name).await
    }
    async fn disable_user(&self, name: &str, now: i64) -> db::DbResult<bool> {
        self.inner.disable_user(name, now).await
    }
    async fn add_token(&self, h: &str, user: &str, device: &str, now: i64) -> db::DbResult<()> {
        self.inner.add_token(h, user, device, now).await
    }
    async fn token_owner(&self, h: &str) -> db::DbResult<Option<db::TokenOwner>> {
        self.inner.token_owner(h).await
    }
    async fn revoke_token(&self, h: &str, now: i64) -> db::DbResult<bool> {
        self.inner.revoke_token(h, now).await
    }
    async fn devices(&self) -> db::DbResult<Vec<db::DeviceRow>> {
        self.inner.devices().await
    }
    async fn revoke_device(&self, device: &str, now: i64) -> db::DbResult<u64> {
        self.inner.revoke_device(device, now).await
    }
    async fn ingest(&self, batch: db::IngestBatch) -> db::DbResult<Vec<db::Stored>> {
        if self.fail_ingest.load(Ordering::SeqCst) {
            return Err(db::DbError::DataDir {
                path: "/injected/failure".into(),
                source: std::io::Error::other("injected storage failure"),
            });
        }
        if let Some(plan) = &self.crash {
            if plan.seen.fetch_add(1, Ordering::SeqCst) + 1 == plan.at {
                // The batch's transaction is under way when the process ends, unless it was quicker than `after`.
                tokio::select! {
                    _ = self.inner.ingest(batch) => println!("CHAOS-CRASH after-ingest"),
                    _ = tokio::time::sleep(plan.after) => println!("CHAOS-CRASH in-flight"),
                }
                // exit() runs no destructors: the open transaction is neither committed nor
                // rolled back by us and the connections are not closed cleanly, as in a kill.
                std::process::exit(CRASH_EXIT);
            }
        }
        self.inner.ingest(batch).await
    }
    async fn records(
        &self,
        kind: &str,
        team: Option<&str>,
        since: Option<i64>,
    ) -> db::DbResult<Vec<db::StoredRecord>> {
        self.inner.records(kind, team, since).await
    }
    async fn publish_change(
        &self,
        kind: &str,
        team: Option<&str>,
        body: &str,
    ) -> db::DbResult<i64> {
        self.inner.publish_change(kind, team, body).await
    }
    async fn changes_since(
        &self,
        since: i64,
        team: Option<&str>,
        all: bool,
    ) -> db::DbResult<Vec<db::ChangeRow>> {
        self.inner.changes_since(since, team, all).await
    }

    async fn lease_cases(
        &self,
        batch: db::LeaseBatch,
    ) -> db::DbResult<Vec<canvass_protocol::LeaseGrant>> {
        self.inner.lease_cases(batch).await
    }

    async fn record_decision(&self, d: db::NewDecision) -> db::DbResult<(db::Stored, i64)> {
        self.inner.record_decision(d).await
    }

    // Attachments pass straight through; the faults above concern batch ingest.
    async fn attachments_missing(
        &self,
        team: &str,
        hashes: &[String],
    ) -> db::DbResult<Vec<String>> {
        self.inner.attachments_missing(team, hashes).await
    }
    async fn put_attachment(
        &self,
        team: &str,
        user: &str,
        hash: &str,
        data: &[u8],
        now: i64,
    ) -> db::DbResult<bool> {
        self.inner.put_attachment(team, user, hash, data, now).await
    }
    async fn attachment(&self, team: Option<&str>, hash: &str) -> db::DbResult<Option<Vec<u8>>> {
        self.inner.attachment(team, hash).await
    }
    // The data export's reads pass straight through too.
    async fn records_page(
        &self,
        kind: &str,
        after: Option<&str>,
        limit: usize,
    ) -> db::DbResult<Vec<db::StoredRecord>> {
        self.inner.records_page(kind, after, limit).await
    }
    async fn records_by_id(&self, ids: &[String]) -> db::DbResult<Vec<db::StoredRecord>> {
        self.inner.records_by_id(ids).await
    }
    async fn decisions_on(&self, ids: &[String]) -> db::DbResult<Vec<db::DecisionRow>> {
        self.inner.decisions_on(ids).await
    }
}

/// What the proxy does with the next connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Forward both ways.
    Pass,
    /// Close the connection before the server sees anything.
    Refuse,
    /// Forward the request, wait for the server's answer, then close without passing it on.
    DropResponse,
    /// Forward part of the request, then close both sides: the server sees a truncated request.
    CutRequest,
    /// Pick one of the four modes above per connection from a seeded sequence (chaos).
    Random,
    /// Forward both ways, holding each answer back for a while (up to a few seconds) first.
    Delay,
    /// Forward both ways, then cut the connection in the middle of a later request
    /// (keep-alive connections carry several requests of one pass).
    CutLater,
    /// Per connection, a seeded mix of every mode above, a third of connections left healthy.
    Chaos,
}

impl ProxyMode {
    /// The name used in the fault counts.
    pub fn name(self) -> &'static str {
        match self {
            ProxyMode::Pass => "pass",
            ProxyMode::Refuse => "refuse",
            ProxyMode::DropResponse => "drop_response",
            ProxyMode::CutRequest => "cut_request",
            ProxyMode::Random => "random",
            ProxyMode::Delay => "delay",
            ProxyMode::CutLater => "cut_later",
            ProxyMode::Chaos => "chaos",
        }
    }
}

/// A TCP proxy on 127.0.0.1 in front of a server, for lost connections and lost answers.
pub struct Proxy {
    pub url: String,
    mode: Arc<std::sync::Mutex<ProxyMode>>,
    /// Where connections go; a restarted server may listen elsewhere.
    upstream: Arc<std::sync::Mutex<SocketAddr>>,
    /// Connections handled so far.
    pub connections: Arc<AtomicU64>,
    /// Connections per mode actually applied, by [`ProxyMode::name`].
    pub counts: Arc<std::sync::Mutex<std::collections::BTreeMap<&'static str, u64>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    pub async fn start(upstream: SocketAddr, seed: u64) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mode = Arc::new(std::sync::Mutex::new(ProxyMode::Pass));
        let upstream = Arc::new(std::sync::Mutex::new(upstream));
        let connections = Arc::new(AtomicU64::new(0));
        let counts = Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
        let (m, n, up, c) = (
            mode.clone(),
            connections.clone(),
            upstream.clone(),
            counts.clone(),
        );
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let k = n.fetch_add(1, Ordering::SeqCst);
                let r = splitmix(seed ^ k);
                let mut chosen = *m.lock().unwrap();
                if chosen == ProxyMode::Random {
                    chosen = match r % 4 {
                        0 => ProxyMode::Pass,
                        1 => ProxyMode::Refuse,
                        2 => ProxyMode::CutRequest,
                        _ => ProxyMode::DropResponse,
                    };
                } else if chosen == ProxyMode::Chaos {
                    chosen = match r % 100 {
                        0..=34 => ProxyMode::Pass,
                        35..=49 => ProxyMode::Delay,
                        50..=69 => ProxyMode::CutLater,
                        70..=79 => ProxyMode::Refuse,
                        80..=89 => ProxyMode::CutRequest,
                        _ => ProxyMode::DropResponse,
                    };
                }
                *c.lock().unwrap().entry(chosen.name()).or_insert(0) += 1;
                let target = *up.lock().unwrap();
                tokio::spawn(handle(client, target, chosen, splitmix(r)));
            }
        });
        Proxy {
            url,
            mode,
            upstream,
            connections,
            counts,
            task,
        }
    }

    pub fn set(&self, mode: ProxyMode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// A handle to re-point the proxy at a restarted server; new connections go there.
    pub fn upstream(&self) -> Arc<std::sync::Mutex<SocketAddr>> {
        self.upstream.clone()
    }
}

/// Serves one connection in `mode`; `r` draws the mode's parameters (delays, cut points).
async fn handle(mut client: tokio::net::TcpStream, upstream: SocketAddr, mode: ProxyMode, r: u64) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    match mode {
        ProxyMode::Refuse => drop(client),
        ProxyMode::CutRequest => {
            let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                return;
            };
            let mut buf = [0u8; 16 * 1024];
            if let Ok(n) = client.read(&mut buf).await {
                let _ = server.write_all(&buf[..n / 2]).await;
            }
        }
        ProxyMode::Pass | ProxyMode::Random | ProxyMode::Chaos => {
            let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                return;
            };
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        }
        ProxyMode::Delay => {
            let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                return;
            };
            // Mostly short waits; one connection in eight waits longer than the chaos test's client timeout.
            let delay = match r % 8 {
                0 => std::time::Duration::from_millis(2_500),
                k => std::time::Duration::from_millis(40 * k),
            };
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            let up = async {
                let _ = tokio::io::copy(&mut cr, &mut sw).await;
            };
            let down = async {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match sr.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            tokio::time::sleep(delay).await;
                            if cw.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            };
            // Either side closing ends the connection (a client that timed out hangs up on the server too).
            tokio::select! {
                _ = up => {}
                _ = down => {}
            }
        }
        ProxyMode::CutLater => {
            let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                return;
            };
            // Somewhere between the first request and a few batches further on.
            let limit = 2_000 + (r % 200_000) as usize;
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            let up = async {
                let mut buf = [0u8; 16 * 1024];
                let mut sent = 0usize;
                loop {
                    match cr.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            let room = limit.saturating_sub(sent);
                            if n >= room {
                                let _ = sw.write_all(&buf[..room]).await;
                                return;
                            }
                            if sw.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                            sent += n;
                        }
                    }
                }
            };
            let down = async {
                let _ = tokio::io::copy(&mut sr, &mut cw).await;
            };
            // Whichever side ends first ends the connection, both halves dropped at once.
            tokio::select! {
                _ = up => {}
                _ = down => {}
            }
        }
        ProxyMode::DropResponse => {
            let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                return;
            };
            let (mut cr, _cw) = client.split();
            let (mut sr, mut sw) = server.into_split();
            // Forward the request until the server starts answering; then hang up on both.
            let forward = async {
                let mut buf = [0u8; 16 * 1024];
                loop {
                    match cr.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if sw.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            };
            let mut first = [0u8; 1];
            tokio::select! {
                _ = forward => {}
                _ = sr.read(&mut first) => {}
            }
        }
    }
}

/// A well-mixed 64-bit hash (SplitMix64), for seeded choices.
pub fn splitmix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One request on the real server's router, with a bearer `token` when given; the answer's status and JSON body (Null when it has none).
pub async fn api_call(
    state: &AppState,
    method: axum::http::Method,
    uri: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (axum::http::StatusCode, serde_json::Value) {
    use tower::ServiceExt as _;
    let mut b = axum::http::Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(axum::http::header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(v) => b
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(v.to_string()))
            .unwrap(),
        None => b.body(axum::body::Body::empty()).unwrap(),
    };
    let resp = canvass_server::app(state.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 22)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

/// Signs `user` in on `device` through the router and returns the token.
pub async fn api_login(state: &AppState, user: &str, device: &str) -> String {
    let body = serde_json::json!({"user": user, "password": password(user), "device_id": device});
    let (s, v) = api_call(
        state,
        axum::http::Method::POST,
        "/v1/login",
        None,
        Some(body),
    )
    .await;
    assert_eq!(s, axum::http::StatusCode::OK, "{v}");
    v["token"].as_str().unwrap().to_owned()
}

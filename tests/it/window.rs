//! Window-test fixtures shared by every end-to-end test: tauri-driver, keys, waits, screenshots, database reads.
//!
//! Each screen's window test lives in its own `e2e_*.rs` module and uses these,
//! so that tests of different areas never edit one file.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::error::NewSessionError;
use fantoccini::{Client, ClientBuilder, Locator};

pub const APP: &str = env!("CARGO_BIN_EXE_canvass-desktop");
pub const WAIT: Duration = Duration::from_secs(20);

pub const ENTER: char = '\u{E007}';
pub const BACKSPACE: char = '\u{E003}';
pub const ALT: char = '\u{E00A}';
pub const LEFT: char = '\u{E012}';

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Which test thread holds the window turn, and how many drivers it has open.
static TURN: std::sync::Mutex<Option<(std::thread::ThreadId, usize)>> = std::sync::Mutex::new(None);
static TURN_FREED: std::sync::Condvar = std::sync::Condvar::new();

/// One test's turn at the display. Window tests take turns: two apps, two
/// WebKitWebDrivers and their builds of pages on two cores at once made
/// WebDriver calls time out now and then, which says nothing about the app.
/// A test may open a second driver while it holds its turn (a relaunch).
struct WindowTurn {
    thread: std::thread::ThreadId,
}

impl WindowTurn {
    fn take() -> WindowTurn {
        let me = std::thread::current().id();
        // A test that panicked while holding the turn left the state consistent
        // (its guard's drop still ran), so a poisoned lock is safe to use.
        let mut state = TURN.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match &mut *state {
                Some((holder, n)) if *holder == me => {
                    *n += 1;
                    break;
                }
                Some(_) => state = TURN_FREED.wait(state).unwrap_or_else(|e| e.into_inner()),
                None => {
                    *state = Some((me, 1));
                    break;
                }
            }
        }
        WindowTurn { thread: me }
    }
}

impl Drop for WindowTurn {
    fn drop(&mut self) {
        let mut state = TURN.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((holder, n)) = &mut *state {
            if *holder == self.thread {
                *n -= 1;
                if *n == 0 {
                    *state = None;
                    TURN_FREED.notify_all();
                }
            }
        }
    }
}

/// A running tauri-driver; stopped with SIGTERM so that it also stops WebKitWebDriver.
pub struct Driver {
    child: Child,
    port: u16,
    // Dropped after the driver process is stopped (fields drop after `Drop::drop`).
    _turn: WindowTurn,
}

impl Driver {
    pub fn start(data_dir: &Path) -> Result<Driver, Box<dyn std::error::Error>> {
        let turn = WindowTurn::take();
        let port = free_port()?;
        let native = free_port()?;
        let child = Command::new("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env("CANVASS_DATA_DIR", data_dir)
            .env("XDG_DATA_HOME", data_dir)
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("tauri-driver must be on PATH (cargo install tauri-driver): {e}")
            })?;
        let driver = Driver {
            child,
            port,
            _turn: turn,
        };
        // tauri-driver listens before the WebKitWebDriver it starts does; a
        // session request in between fails, so wait for both ports.
        for _ in 0..200 {
            let up = |p: u16| std::net::TcpStream::connect(("127.0.0.1", p)).is_ok();
            if up(port) && up(native) {
                return Ok(driver);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("tauri-driver and WebKitWebDriver did not start listening within 10 s".into())
    }

    pub async fn session(&self) -> Result<Client, Box<dyn std::error::Error>> {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": APP, "args": [] }),
        );
        let url = format!("http://127.0.0.1:{}", self.port);
        let mut last_error = String::new();
        // A refused or cut connection while the drivers settle is retried a few
        // times; any other failure (a crash of the app, a bad capability) is not.
        for _ in 0..3 {
            let http = hyper_util::client::legacy::connect::HttpConnector::new();
            // Without a working display the new-session call would hang; bound it.
            let attempt = tokio::time::timeout(
                Duration::from_secs(60),
                ClientBuilder::new(http)
                    .capabilities(caps.clone())
                    .connect(&url),
            )
            .await?;
            match attempt {
                Ok(client) => return Ok(client),
                Err(
                    e @ (NewSessionError::Failed(_)
                    | NewSessionError::FailedC(_)
                    | NewSessionError::Lost(_)),
                ) => last_error = e.to_string(),
                Err(e) => return Err(e.into()),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Err(format!("could not open a WebDriver session: {last_error}").into())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Presses keys as a keyboard does (key down, key up), into whatever has focus.
pub async fn press(client: &Client, keys: &[char]) -> TestResult {
    let mut actions = KeyActions::new("keyboard".into());
    for &k in keys {
        actions = actions
            .then(KeyAction::Down { value: k })
            .then(KeyAction::Up { value: k });
    }
    client.perform_actions(actions).await?;
    Ok(())
}

pub async fn type_text(client: &Client, text: &str) -> TestResult {
    press(client, &text.chars().collect::<Vec<_>>()).await
}

pub async fn alt_left(client: &Client) -> TestResult {
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: ALT })
        .then(KeyAction::Down { value: LEFT })
        .then(KeyAction::Up { value: LEFT })
        .then(KeyAction::Up { value: ALT });
    client.perform_actions(actions).await?;
    Ok(())
}

pub async fn wait_css(client: &Client, css: &str) -> Result<Element, Box<dyn std::error::Error>> {
    Ok(client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await?)
}

/// Waits until the element at `css` shows exactly `expected` (screens redraw after each call).
pub async fn wait_text(client: &Client, css: &str, expected: &str) -> TestResult {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let seen = match client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.ok(),
            Err(_) => None,
        };
        if seen.as_deref() == Some(expected) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("{css} shows {seen:?}, expected {expected:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the interview shows `item`, and returns its label.
pub async fn on_question(
    client: &Client,
    item: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    wait_css(client, &format!("#interview[data-item='{item}']")).await?;
    Ok(wait_css(client, "#q-label").await?.text().await?)
}

/// Saves a screenshot to the target folder, and to $CANVASS_SCREENSHOTS_DIR when set (for the README).
pub async fn screenshot(client: &Client, name: &str) -> TestResult {
    // A screenshot right after a DOM change can show the previous frame; give WebKit a paint.
    tokio::time::sleep(Duration::from_millis(700)).await;
    // WebKitWebDriver takes the picture after the web view's next paint. The
    // window paints with the CPU, and then a page with nothing changing (no
    // caret, no timer: the start-up error page) never paints again, so the
    // picture would never come. A body outline that flickers between two
    // invisible shades while the picture is taken gives WebKit that paint
    // without changing a visible pixel.
    client
        .execute(
            "const b = document.body; let on = false; \
             window.__shot = setInterval(() => { on = !on; \
             b.style.outline = on ? '1px solid rgba(0,0,0,0.004)' : '1px solid rgba(0,0,0,0.008)'; }, 30);",
            vec![],
        )
        .await?;
    let png = client.screenshot().await;
    client
        .execute(
            "clearInterval(window.__shot); document.body.style.outline = '';",
            vec![],
        )
        .await?;
    let png = png?;
    std::fs::write(Path::new(env!("CARGO_TARGET_TMPDIR")).join(name), &png)?;
    if let Some(dir) = std::env::var_os("CANVASS_SCREENSHOTS_DIR") {
        std::fs::write(PathBuf::from(dir).join(name), &png)?;
    }
    Ok(())
}

/// The pids of processes running the app binary.
pub fn app_pids() -> Vec<u32> {
    let target = std::fs::canonicalize(APP).unwrap_or_else(|_| PathBuf::from(APP));
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if std::fs::read_link(e.path().join("exe")).is_ok_and(|exe| exe == target) {
            pids.push(pid);
        }
    }
    pids
}

pub fn db_rows(db: &Path, sql: &str) -> Vec<Vec<String>> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| r.get::<_, rusqlite::types::Value>(i))
            .collect::<Result<Vec<_>, _>>()
    })
    .unwrap()
    .map(|row| {
        row.unwrap()
            .into_iter()
            .map(|v| match v {
                rusqlite::types::Value::Text(t) => t,
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Null => "NULL".into(),
                other => format!("{other:?}"),
            })
            .collect()
    })
    .collect()
}

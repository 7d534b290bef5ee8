//! End to end through the real window: tauri-driver and WebKitWebDriver drive the built app under Xvfb.
//!
//! The test completes the demo interview by keyboard alone, checks the answers
//! in the SQLite file, kills the app (SIGKILL) in the middle of a second
//! interview and checks that a fresh start resumes it where it stopped.
//! It is `#[ignore]`d so that `cargo test` passes on machines without a display;
//! the README's test command runs it with `--include-ignored` under `xvfb-run`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::error::NewSessionError;
use fantoccini::{Client, ClientBuilder, Locator};

const APP: &str = env!("CARGO_BIN_EXE_canvass-desktop");
const WAIT: Duration = Duration::from_secs(20);

const ENTER: char = '\u{E007}';
const BACKSPACE: char = '\u{E003}';
const ALT: char = '\u{E00A}';
const LEFT: char = '\u{E012}';

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A running tauri-driver; stopped with SIGTERM so that it also stops WebKitWebDriver.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(data_dir: &Path) -> Result<Driver, Box<dyn std::error::Error>> {
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
        let driver = Driver { child, port };
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

    async fn session(&self) -> Result<Client, Box<dyn std::error::Error>> {
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

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Presses keys as a keyboard does (key down, key up), into whatever has focus.
async fn press(client: &Client, keys: &[char]) -> TestResult {
    let mut actions = KeyActions::new("keyboard".into());
    for &k in keys {
        actions = actions
            .then(KeyAction::Down { value: k })
            .then(KeyAction::Up { value: k });
    }
    client.perform_actions(actions).await?;
    Ok(())
}

async fn type_text(client: &Client, text: &str) -> TestResult {
    press(client, &text.chars().collect::<Vec<_>>()).await
}

async fn alt_left(client: &Client) -> TestResult {
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: ALT })
        .then(KeyAction::Down { value: LEFT })
        .then(KeyAction::Up { value: LEFT })
        .then(KeyAction::Up { value: ALT });
    client.perform_actions(actions).await?;
    Ok(())
}

async fn wait_css(client: &Client, css: &str) -> Result<Element, Box<dyn std::error::Error>> {
    Ok(client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await?)
}

/// Waits until the interview shows `item`, and returns its label.
async fn on_question(client: &Client, item: &str) -> Result<String, Box<dyn std::error::Error>> {
    wait_css(client, &format!("#interview[data-item='{item}']")).await?;
    Ok(wait_css(client, "#q-label").await?.text().await?)
}

/// Saves a screenshot to the target folder, and to $CANVASS_SCREENSHOTS_DIR when set (for the README).
async fn screenshot(client: &Client, name: &str) -> TestResult {
    // A screenshot right after a DOM change can show the previous frame; give WebKit a paint.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let png = client.screenshot().await?;
    std::fs::write(Path::new(env!("CARGO_TARGET_TMPDIR")).join(name), &png)?;
    if let Some(dir) = std::env::var_os("CANVASS_SCREENSHOTS_DIR") {
        std::fs::write(PathBuf::from(dir).join(name), &png)?;
    }
    Ok(())
}

/// The pids of processes running the app binary.
fn app_pids() -> Vec<u32> {
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

fn db_rows(db: &Path, sql: &str) -> Vec<Vec<String>> {
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

#[tokio::test]
#[ignore = "needs a display (xvfb-run), tauri-driver and WebKitWebDriver; the README test command runs it"]
async fn demo_interview_by_keyboard_then_kill_and_resume() -> TestResult {
    assert!(std::env::var_os("DISPLAY").is_some(), "run under xvfb-run");
    let data = tempfile::tempdir()?;
    let db = data.path().join("canvass.sqlite");

    // ---- First launch: a whole interview by keyboard.
    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    let start = wait_css(&client, "#start-demo_nps").await?;
    assert_eq!(
        client.active_element().await?.attr("id").await?.as_deref(),
        Some("start-demo_nps"),
        "the start button has focus"
    );
    assert!(start.text().await?.contains("Start interview"));
    screenshot(&client, "home-empty.png").await?;
    press(&client, &[ENTER]).await?;

    let label = on_question(&client, "nps").await?;
    assert!(label.contains("recommend Northwind Coffee"), "{label}");
    // Enter on an unanswered required question shows the reason in words and stays.
    press(&client, &[ENTER]).await?;
    let error = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath("//p[@id='q-error'][normalize-space()!='']"))
        .await?;
    assert_eq!(
        error.text().await?,
        "this question needs an answer before moving on"
    );
    // "1" then "0" types a score of 10; then "9" replaces it.
    type_text(&client, "10").await?;
    wait_css(&client, ".option[data-value='10'][aria-pressed='true']").await?;
    type_text(&client, "9").await?;
    wait_css(&client, ".option[data-value='9'][aria-pressed='true']").await?;
    wait_css(&client, "#save-state[data-state='saved']").await?;
    screenshot(&client, "question-score.png").await?;
    press(&client, &[ENTER]).await?;

    let label = on_question(&client, "reason").await?;
    assert_eq!(label, "You gave us 9. What do you like most about us?");
    press(&client, &['2']).await?;
    wait_css(&client, ".option[data-value='2'][aria-pressed='true']").await?;
    // Backspace goes back to the score, which kept its answer; Enter returns.
    press(&client, &[BACKSPACE]).await?;
    on_question(&client, "nps").await?;
    wait_css(&client, ".option[data-value='9'][aria-pressed='true']").await?;
    press(&client, &[ENTER]).await?;
    on_question(&client, "reason").await?;
    wait_css(&client, ".option[data-value='2'][aria-pressed='true']").await?;
    screenshot(&client, "question-follow-up.png").await?;
    press(&client, &[ENTER]).await?;

    on_question(&client, "comment").await?;
    type_text(&client, "Great coffee, slow delivery").await?;
    press(&client, &[ENTER]).await?;
    on_question(&client, "thanks").await?;
    // Alt+Left goes back from the note to the comment, which was saved.
    alt_left(&client).await?;
    on_question(&client, "comment").await?;
    let input = wait_css(&client, "#q-text").await?;
    assert_eq!(
        input.prop("value").await?.as_deref(),
        Some("Great coffee, slow delivery")
    );
    press(&client, &[ENTER]).await?;
    on_question(&client, "thanks").await?;
    press(&client, &[ENTER]).await?;

    let row = wait_css(&client, "#completed tr.completed-row").await?;
    let first_id = row
        .attr("data-id")
        .await?
        .expect("the row names its interview");
    screenshot(&client, "home-completed.png").await?;

    let interviews = db_rows(
        &db,
        "SELECT id, status, completed_at IS NOT NULL FROM interviews",
    );
    assert_eq!(
        interviews,
        vec![vec![first_id.clone(), "completed".into(), "1".into()]]
    );
    let answers = db_rows(&db, &format!("SELECT item_path, value FROM answers WHERE interview_id = '{first_id}' ORDER BY item_path"));
    assert_eq!(
        answers,
        vec![
            vec![
                "/data/comment".to_string(),
                "Great coffee, slow delivery".into()
            ],
            vec!["/data/nps".into(), "9".into()],
            vec!["/data/reason".into(), "2".into()],
        ]
    );
    assert_eq!(
        db_rows(&db, "SELECT id, state FROM outbox"),
        vec![vec![first_id.clone(), "pending".into()]]
    );

    // ---- A second interview, by mouse this time, killed after its second answer is saved.
    press(&client, &['n']).await?;
    on_question(&client, "nps").await?;
    wait_css(&client, ".option[data-value='3']")
        .await?
        .click()
        .await?;
    wait_css(&client, ".option[data-value='3'][aria-pressed='true']").await?;
    wait_css(&client, "#next").await?.click().await?;
    let label = on_question(&client, "reason").await?;
    assert!(label.contains("would not recommend"), "{label}");
    press(&client, &['4']).await?;
    // The option shows as chosen only after Rust reported the commit.
    wait_css(&client, ".option[data-value='4'][aria-pressed='true']").await?;
    let pids = app_pids();
    assert!(!pids.is_empty(), "the app process must be found to kill it");
    for pid in &pids {
        Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()?;
    }
    drop(client);
    drop(driver);

    let second = db_rows(
        &db,
        "SELECT id, status, current_item FROM interviews WHERE status != 'completed'",
    );
    assert_eq!(second.len(), 1, "{second:?}");
    let second_id = second[0][0].clone();
    assert_eq!(
        second[0][1..],
        ["in_progress".to_string(), "/data/reason".into()]
    );
    let answers = db_rows(&db, &format!("SELECT item_path, value FROM answers WHERE interview_id = '{second_id}' ORDER BY item_path"));
    assert_eq!(
        answers,
        vec![
            vec!["/data/nps".to_string(), "3".into()],
            vec!["/data/reason".into(), "4".into()]
        ]
    );
    let integrity = db_rows(&db, "PRAGMA integrity_check");
    assert_eq!(integrity, vec![vec!["ok".to_string()]]);

    // ---- Relaunch: the unfinished interview is offered first and resumes where it stopped.
    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    let resume = wait_css(&client, &format!("#resume-{second_id}")).await?;
    assert_eq!(
        client.active_element().await?.attr("id").await?,
        resume.attr("id").await?,
        "resume has focus"
    );
    screenshot(&client, "home-resume.png").await?;
    press(&client, &[ENTER]).await?;
    let label = on_question(&client, "reason").await?;
    assert!(label.contains("You gave us 3."), "{label}");
    wait_css(&client, ".option[data-value='4'][aria-pressed='true']").await?;
    assert_eq!(
        wait_css(&client, "#progress").await?.text().await?,
        "Question 2 of 4"
    );
    // The session log survived the kill: the question on screen when the app
    // died was closed with an estimated end, and a new session began.
    let log = db_rows(&db, &format!(
        "SELECT kind, coalesce(node, ''), end_estimated FROM paradata_events WHERE interview_id = '{second_id}' ORDER BY seq"
    ));
    let log: Vec<String> = log.iter().map(|r| r.join(" ")).collect();
    assert_eq!(
        log,
        [
            "form_start  0",
            "question /data/nps 0",
            "answer_set /data/nps 0",
            "question /data/reason 1",
            "answer_set /data/reason 0",
            "form_resume  0",
            "question /data/reason 0",
        ],
        "{log:#?}"
    );
    // Esc pauses: the interview goes back to the list and its session is closed.
    press(&client, &['\u{E00C}']).await?;
    wait_css(&client, &format!("#resume-{second_id}")).await?;
    let last = db_rows(&db, &format!("SELECT kind FROM paradata_events WHERE interview_id = '{second_id}' ORDER BY seq DESC LIMIT 1"));
    assert_eq!(last, vec![vec!["exit".to_string()]]);
    client.close().await?;
    drop(driver);

    // ---- A database from a newer Canvass: the window explains it in words, and the file is untouched.
    rusqlite::Connection::open(&db)?.execute_batch("PRAGMA user_version = 99")?;
    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    let message = wait_css(&client, "#startup-message").await?;
    assert_eq!(
        message.attr("data-code").await?.as_deref(),
        Some("incompatible_database")
    );
    assert!(message.text().await?.contains("written by a newer Canvass"));
    let heading = wait_css(&client, "#startup-error h1").await?.text().await?;
    assert_eq!(heading, "Canvass could not open its data");
    screenshot(&client, "startup-error.png").await?;
    client.close().await?;
    assert_eq!(
        db_rows(&db, "PRAGMA user_version"),
        vec![vec!["99".to_string()]]
    );
    assert_eq!(
        db_rows(&db, "SELECT count(*) FROM answers"),
        vec![vec!["5".to_string()]],
        "no answer lost or added"
    );
    Ok(())
}

//! Sync through the real window: sign in to a real server on 127.0.0.1, complete the demo, sync, read the log.
//!
//! `#[ignore]`d like the other window tests; `./test.sh` runs it under `xvfb-run`.

use crate::sync_harness::{Backend, TestServer};
use crate::window::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display (xvfb-run), tauri-driver and WebKitWebDriver; the README test command runs it"]
async fn sign_in_complete_sync_and_read_the_log() -> TestResult {
    assert!(std::env::var_os("DISPLAY").is_some(), "run under xvfb-run");
    let server = TestServer::start(Backend::Sqlite, "e2e_sync").await;
    server.add_user("ines", "interviewer", Some("north")).await;
    let data = tempfile::tempdir()?;
    let db = data.path().join("canvass.sqlite");
    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;

    // The top bar says the device is not signed in; S opens the sync screen from home.
    wait_css(&client, "#start-demo_nps").await?;
    wait_css(&client, "#sync-indicator[data-state='signed_out']").await?;
    press(&client, &['s']).await?;
    wait_css(&client, "#sync-sign-in").await?;
    let focused = client.active_element().await?.attr("id").await?;
    assert_eq!(
        focused.as_deref(),
        Some("sync-server"),
        "the form has focus"
    );
    type_text(&client, &server.url).await?;
    press(&client, &['\u{E004}']).await?; // Tab
    type_text(&client, "ines").await?;
    press(&client, &['\u{E004}']).await?;
    type_text(&client, "ines-pw").await?;
    press(&client, &[ENTER]).await?;
    let who = wait_css(&client, "#sync-who").await?.text().await?;
    assert!(who.contains("ines") && who.contains(&server.url), "{who}");
    screenshot(&client, "sync-signed-in.png").await?;

    // Back home, a whole demo interview by keyboard.
    press(&client, &['\u{E00C}']).await?; // Esc
    wait_css(&client, "#start-demo_nps").await?;
    press(&client, &['n']).await?;
    on_question(&client, "nps").await?;
    type_text(&client, "9").await?;
    wait_css(&client, ".option[data-value='9'][aria-pressed='true']").await?;
    press(&client, &[ENTER]).await?;
    on_question(&client, "reason").await?;
    press(&client, &['2']).await?;
    wait_css(&client, ".option[data-value='2'][aria-pressed='true']").await?;
    press(&client, &[ENTER]).await?;
    on_question(&client, "comment").await?;
    type_text(&client, "synced from the window").await?;
    press(&client, &[ENTER]).await?;
    on_question(&client, "thanks").await?;
    press(&client, &[ENTER]).await?;
    let row = wait_css(&client, "#completed tr.completed-row").await?;
    let id = row
        .attr("data-id")
        .await?
        .expect("the row names its interview");

    // Sync now (S on the sync screen); the log shows the interview accepted.
    press(&client, &['s']).await?;
    wait_css(&client, "#sync-now").await?;
    press(&client, &['s']).await?;
    wait_css(
        &client,
        "#sync-log tr.sync-log-row[data-outcome='ok'][data-accepted='1']",
    )
    .await?;
    wait_css(&client, "#sync-nothing-waiting").await?;
    wait_css(&client, "#sync-indicator[data-pending='0']").await?;
    screenshot(&client, "sync-log.png").await?;

    // The server holds exactly that interview, byte for byte what the device hashed.
    let stored = server.interviews().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, id);
    let outbox = db_rows(&db, "SELECT id, state, payload_hash FROM outbox");
    assert_eq!(
        outbox,
        vec![vec![
            id.clone(),
            "acked".into(),
            stored[0].payload_hash.clone()
        ]]
    );
    client.close().await?;
    Ok(())
}

//! End to end through the real window: the session-log export screen by keyboard, with its progress and result.

use std::sync::Arc;

use crate::window::*;

#[tokio::test]
#[ignore = "needs a display (xvfb-run), tauri-driver and WebKitWebDriver; the README test command runs it"]
async fn session_logs_export_from_the_window() -> TestResult {
    assert!(std::env::var_os("DISPLAY").is_some(), "run under xvfb-run");
    let data = tempfile::tempdir()?;
    let db = data.path().join("canvass.sqlite");
    let out = data.path().join("exported");
    let id = {
        // One completed demo interview to export.
        let app = canvass_app::App::open(&db, Arc::new(canvass_app::SystemClock::new()))?;
        let id = app
            .start_interview(canvass_app::DEMO_STUDY_ID)?
            .interview_id;
        app.record_answer(&id, "nps", "9")?;
        app.record_answer(&id, "reason", "2")?;
        app.complete_interview(&id)?;
        id
    };

    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    wait_css(&client, "#action-export").await?;
    type_text(&client, "e").await?;
    wait_css(&client, "#export-formats").await?;
    // "3" picks JSON Lines; Tab leaves the radio group for the folder field.
    type_text(&client, "3").await?;
    wait_css(&client, "#export-format-jsonl:checked").await?;
    press(&client, &['\u{E004}']).await?;
    type_text(&client, &out.display().to_string()).await?;
    press(&client, &[ENTER]).await?;
    let result = client
        .wait()
        .at_most(WAIT)
        .for_element(fantoccini::Locator::Css("#export-result:not([hidden])"))
        .await?;
    let text = result.text().await?;
    assert!(text.starts_with("Wrote 1 file"), "{text}");
    let progress = wait_css(&client, "#export-progress-text").await?;
    assert_eq!(progress.text().await?, "1 of 1 interviews read");
    screenshot(&client, "export.png").await?;
    client.close().await?;
    drop(driver);

    let jsonl = std::fs::read_to_string(out.join("paradata.jsonl"))?;
    assert!(jsonl.lines().count() >= 5, "{jsonl}");
    assert!(jsonl.lines().all(|l| l.contains(&id)));
    assert!(jsonl.contains("\"finalize\""));
    Ok(())
}

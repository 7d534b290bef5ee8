//! End to end through the real window: the export dialog by keyboard: study data as ODK XML, session logs of one interview, and the call history, checking the files written.

use std::sync::Arc;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::Client;

use crate::window::*;

async fn alt(client: &Client, key: char) -> TestResult {
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: ALT })
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key })
        .then(KeyAction::Up { value: ALT });
    client.perform_actions(actions).await?;
    Ok(())
}

async fn result_text(client: &Client) -> Result<String, Box<dyn std::error::Error>> {
    let result = client
        .wait()
        .at_most(WAIT)
        .for_element(fantoccini::Locator::Css("#export-result:not([hidden])"))
        .await?;
    Ok(result.text().await?)
}

#[tokio::test]
#[ignore = "needs a display (xvfb-run), tauri-driver and WebKitWebDriver; the README test command runs it"]
async fn the_export_dialog_writes_data_session_logs_and_calls() -> TestResult {
    assert!(std::env::var_os("DISPLAY").is_some(), "run under xvfb-run");
    let data = tempfile::tempdir()?;
    let db = data.path().join("canvass.sqlite");
    let out = data.path().join("exported");
    let ids: Vec<String> = {
        // Two completed demo interviews to export.
        let app = canvass_app::App::open(&db, Arc::new(canvass_app::SystemClock::new()))?;
        let mut ids = Vec::new();
        for score in ["9", "3"] {
            let id = app
                .start_interview(canvass_app::DEMO_STUDY_ID)?
                .interview_id;
            app.record_answer(&id, "nps", score)?;
            app.record_answer(&id, "reason", "2")?;
            app.complete_interview(&id)?;
            ids.push(id);
        }
        ids
    };

    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    wait_css(&client, "#action-export").await?;
    type_text(&client, "e").await?;
    wait_css(&client, "#export[data-kind='data'] #export-formats").await?;
    // "6" picks ODK XML; Alt+F goes to the folder field.
    type_text(&client, "6").await?;
    wait_css(&client, "#export-data-format-xml:checked").await?;
    alt(&client, 'f').await?;
    type_text(&client, &out.display().to_string()).await?;
    press(&client, &[ENTER]).await?;
    let text = result_text(&client).await?;
    assert!(text.starts_with("Wrote 2 files"), "{text}");
    let progress = wait_css(&client, "#export-progress-text").await?;
    assert_eq!(progress.text().await?, "2 of 2 interviews read");
    screenshot(&client, "export.png").await?;

    // "L": session logs; "2": one CSV; Alt+I: only the first interview.
    type_text(&client, "l").await?;
    wait_css(&client, "#export[data-kind='logs']").await?;
    type_text(&client, "2").await?;
    wait_css(&client, "#export-logs-format-csv:checked").await?;
    alt(&client, 'i').await?;
    type_text(&client, &ids[0]).await?;
    press(&client, &[ENTER]).await?;
    let text = result_text(&client).await?;
    assert!(text.starts_with("Wrote 1 file with"), "{text}");
    assert!(text.ends_with("of 1 interview."), "{text}");

    // "H": call history; "2": Excel. The selection typed for the session logs
    // stays, and no call belongs to that interview: the export is refused by name
    // rather than written empty. Emptied, the field takes the study's every call.
    type_text(&client, "h").await?;
    wait_css(&client, "#export[data-kind='calls']").await?;
    type_text(&client, "2").await?;
    wait_css(&client, "#export-calls-format-xlsx:checked").await?;
    press(&client, &[ENTER]).await?;
    wait_text(
        &client,
        "#q-error",
        &format!(
            "no call attempt belongs to a case or interview with id {}",
            ids[0]
        ),
    )
    .await?;
    assert!(!out.join("calls.xlsx").exists());
    alt(&client, 'i').await?;
    press(&client, &[BACKSPACE; 40]).await?;
    press(&client, &[ENTER]).await?;
    let text = result_text(&client).await?;
    assert!(text.starts_with("Wrote the call history"), "{text}");
    client.close().await?;
    drop(driver);

    for id in &ids {
        let xml = std::fs::read_to_string(
            out.join(canvass_app::DEMO_STUDY_ID)
                .join(format!("{id}.xml")),
        )?;
        assert!(
            xml.contains(&format!("id=\"{}\"", canvass_app::DEMO_STUDY_ID)),
            "{xml}"
        );
        assert!(xml.contains("<instanceID>uuid:"), "{xml}");
    }
    let logs = std::fs::read_to_string(out.join("paradata.csv"))?;
    assert!(logs.lines().count() >= 3, "{logs}");
    assert!(logs.contains(&ids[0]), "{logs}");
    assert!(!logs.contains(&ids[1]), "only the chosen interview: {logs}");
    assert!(out.join("calls.xlsx").exists());
    Ok(())
}

//! The review workflow through the real window: a supervisor returns an interview with a comment, the interviewer corrects it, revision 2 is approved.
//!
//! Two app runs, each with its own data folder and database, against one real
//! server on 127.0.0.1. The interviewer's first interview and both sign-ins are
//! made headlessly on the same database files the windows then open; the
//! rejection and the correction happen in the windows by keyboard.
//! `#[ignore]`d like the other window tests; `./test.sh` runs it under `xvfb-run`.

use std::sync::Arc;

use canvass_app::review::ReviewFilter;
use canvass_app::{App, FixedClock, DEMO_STUDY_ID};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};

use crate::support::FIXED_NOW_MS;
use crate::sync_harness::{password, Backend, TestServer};
use crate::window::*;

const CTRL: char = '\u{E009}';
const ESC: char = '\u{E00C}';

/// [`wait_css`], printing the page's main part when it times out, so a failure says where the window was.
async fn wait(
    client: &fantoccini::Client,
    css: &str,
) -> Result<fantoccini::elements::Element, Box<dyn std::error::Error>> {
    match wait_css(client, css).await {
        Ok(e) => Ok(e),
        Err(err) => {
            let page = client.source().await.unwrap_or_default();
            let main = page.find("<main").map_or("", |i| &page[i..]);
            eprintln!(
                "waiting for {css} failed; the window shows:\n{}",
                &main[..main.len().min(4000)]
            );
            Err(err)
        }
    }
}

/// Opens the app headlessly on `db` and signs it in as `user`.
async fn signed_in(db: &std::path::Path, url: &str, user: &str) -> App {
    let app = App::open(db, Arc::new(FixedClock::new(FIXED_NOW_MS))).unwrap();
    app.login(url, user, &password(user)).await.unwrap();
    app
}

/// Syncs from the sync screen (`S` twice) and waits for a pass that accepted `accepted` rows.
async fn sync_in_window(client: &fantoccini::Client, accepted: usize) -> TestResult {
    press(client, &['s']).await?;
    wait(client, "#sync-now").await?;
    press(client, &['s']).await?;
    // The pass's result message appears only when the screen is drawn after this
    // pass, so the log row below cannot be one an automatic pass wrote earlier,
    // and no redraw of this pass can come after the caller moves on.
    wait(client, "#sync-message").await?;
    wait(
        client,
        &format!("#sync-log tr.sync-log-row[data-outcome='ok'][data-accepted='{accepted}']"),
    )
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display (xvfb-run), tauri-driver and WebKitWebDriver; the README test command runs it"]
async fn a_returned_interview_is_corrected_and_approved_as_revision_2() -> TestResult {
    assert!(std::env::var_os("DISPLAY").is_some(), "run under xvfb-run");
    let server = TestServer::start(Backend::Sqlite, "e2e_review").await;
    server.add_user("ines", "interviewer", Some("north")).await;
    server.add_user("sam", "supervisor", Some("north")).await;
    let (field_dir, desk_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let (field_db, desk_db) = (
        field_dir.path().join("canvass.sqlite"),
        desk_dir.path().join("canvass.sqlite"),
    );

    // The interviewer's device: one demo interview with NPS 0, sent to the server.
    let id = {
        let app = signed_in(&field_db, &server.url, "ines").await;
        let id = app.start_interview(DEMO_STUDY_ID)?.interview_id;
        app.record_answer(&id, "nps", "0")?;
        app.record_answer(&id, "reason", "2")?;
        app.record_answer(&id, "comment", "fast")?;
        app.complete_interview(&id)?;
        assert_eq!(app.sync_now().await?.accepted, 1);
        id
    };
    drop(signed_in(&desk_db, &server.url, "sam").await);

    // The supervisor's window: R opens the desk, P pulls, Enter opens the interview.
    {
        let driver = Driver::start(desk_dir.path())?;
        let client = driver.session().await?;
        wait(&client, "#action-review").await?;
        press(&client, &['r']).await?;
        wait(&client, "#supervisor").await?;
        press(&client, &['p']).await?;
        // The list drawn after the pull has finished; an earlier drawing may be replaced under the keys.
        let row = wait(
            &client,
            &format!(
                "#supervisor[data-pulls='1'] tr.review-row[data-id='{id}'][data-review='waiting']"
            ),
        )
        .await?;
        assert!(row.text().await?.contains("ines"));
        press(&client, &[ENTER]).await?;
        wait(&client, &format!("#review[data-id='{id}']")).await?;
        // The first answer is the NPS question; Space marks it for the comment.
        let first = wait(&client, "tr.answer-row[aria-selected='true']").await?;
        assert!(first
            .attr("data-path")
            .await?
            .unwrap_or_default()
            .ends_with("/nps"));
        press(&client, &[' ']).await?;
        wait(
            &client,
            "tr.answer-row[aria-selected='true'][data-marked='true']",
        )
        .await?;
        screenshot(&client, "review-viewer.png").await?;
        press(&client, &['r']).await?;
        wait(&client, "#review-comment").await?;
        let focused = client.active_element().await?.attr("id").await?;
        assert_eq!(focused.as_deref(), Some("review-comment"));
        type_text(&client, "The respondent said 9, please check").await?;
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: CTRL })
            .then(KeyAction::Down { value: ENTER })
            .then(KeyAction::Up { value: ENTER })
            .then(KeyAction::Up { value: CTRL });
        client.perform_actions(actions).await?;
        wait(
            &client,
            &format!("#review[data-id='{id}'][data-review='rejected']"),
        )
        .await?;
        press(&client, &[ESC]).await?;
        wait(&client, "#supervisor").await?;
        press(&client, &[ESC]).await?;
        wait(&client, "#action-review").await?;
        sync_in_window(&client, 1).await?;
        client.close().await?;
    }
    let sent = db_rows(&desk_db, "SELECT kind, state FROM outbox");
    assert_eq!(sent, vec![vec!["decision".to_owned(), "acked".to_owned()]]);

    // The interviewer's window: after a sync the interview is back on the home list with the comment.
    {
        let driver = Driver::start(field_dir.path())?;
        let client = driver.session().await?;
        wait(&client, "#start-demo_nps").await?;
        sync_in_window(&client, 0).await?;
        press(&client, &[ESC]).await?;
        let note = wait(&client, &format!("#note-{id}")).await?.text().await?;
        assert!(
            note.contains("The respondent said 9") && note.contains("sam"),
            "{note}"
        );
        wait(
            &client,
            &format!("li.card[data-id='{id}'][data-status='rejected']"),
        )
        .await?;
        screenshot(&client, "review-returned.png").await?;
        // Enter resumes it at the commented question; the correction is completed by keyboard.
        press(&client, &[ENTER]).await?;
        on_question(&client, "nps").await?;
        type_text(&client, "9").await?;
        wait(&client, ".option[data-value='9'][aria-pressed='true']").await?;
        press(&client, &[ENTER]).await?;
        on_question(&client, "reason").await?;
        press(&client, &[ENTER]).await?;
        on_question(&client, "comment").await?;
        press(&client, &[ENTER]).await?;
        on_question(&client, "thanks").await?;
        press(&client, &[ENTER]).await?;
        wait(
            &client,
            &format!("#completed tr.completed-row[data-id='{id}']"),
        )
        .await?;
        sync_in_window(&client, 1).await?;
        client.close().await?;
    }

    // The server holds both revisions; the latest is 2, with the corrected answer.
    let stored = server.interviews().await;
    assert_eq!(stored.len(), 2);
    let latest: serde_json::Value = serde_json::from_str(&stored[1].payload)?;
    assert_eq!(
        (latest["interview_id"].as_str(), latest["revision"].as_i64()),
        (Some(id.as_str()), Some(2))
    );
    assert!(latest["answers"]
        .as_object()
        .unwrap()
        .iter()
        .any(|(k, v)| k.ends_with("/nps") && v == "9"));

    // The supervisor approves revision 2; the interviewer's next sync hears of it.
    let desk = App::open(&desk_db, Arc::new(FixedClock::new(FIXED_NOW_MS + 60_000)))?;
    desk.sync_now().await?;
    let rows = desk.review_list(&ReviewFilter::default())?;
    assert_eq!((rows[0].revision, rows[0].review.as_str()), (2, "waiting"));
    desk.decide(&id, "approved", None, &[])?;
    assert_eq!(desk.sync_now().await?.accepted, 1);
    let field = App::open(&field_db, Arc::new(FixedClock::new(FIXED_NOW_MS + 120_000)))?;
    field.sync_now().await?;
    let kinds: Vec<String> = field.paradata(&id)?.into_iter().map(|e| e.kind).collect();
    for k in ["review_rejected", "reopen", "review_approved"] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
    assert_eq!(field.list_interviews()?[0].status, "completed");
    Ok(())
}

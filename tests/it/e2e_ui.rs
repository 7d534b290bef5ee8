//! End to end through the real window: UI languages, the shortcut sheet, and a roster interview with questionnaire-language switch and break-off.
//!
//! Everything is done by keyboard except choosing from the two language
//! pickers, which are ordinary `<select>` elements. Screenshots of the home
//! screen in each UI language go to $CANVASS_SCREENSHOTS_DIR for the README.

use std::sync::Arc;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, Locator};

use crate::support::repo_root;
use crate::window::*;

/// Presses Alt with a letter, as an interviewer does for the screen's tools.
async fn alt(client: &Client, key: char) -> TestResult {
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: ALT })
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key })
        .then(KeyAction::Up { value: ALT });
    client.perform_actions(actions).await?;
    Ok(())
}

async fn choose_ui_language(client: &Client, code: &str) -> TestResult {
    client
        .find(Locator::Css(&format!("#locale option[value='{code}']")))
        .await?
        .click()
        .await?;
    Ok(())
}

async fn text_of(client: &Client, css: &str) -> Result<String, Box<dyn std::error::Error>> {
    Ok(wait_css(client, css).await?.text().await?)
}

/// Waits until the element at `css` shows exactly `expected` (screens redraw after each call).
async fn wait_text(client: &Client, css: &str, expected: &str) -> TestResult {
    let xpath_css = css.to_owned();
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Ok(e) = client.find(Locator::Css(&xpath_css)).await {
            if e.text().await.ok().as_deref() == Some(expected) {
                return Ok(());
            }
        }
        if std::time::Instant::now() > deadline {
            let seen = text_of(client, css).await.unwrap_or_default();
            return Err(format!("{css} shows {seen:?}, expected {expected:?}").into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
#[ignore = "needs a display (xvfb-run), tauri-driver and WebKitWebDriver; the README test command runs it"]
async fn languages_shortcuts_and_a_roster_interview_by_keyboard() -> TestResult {
    assert!(std::env::var_os("DISPLAY").is_some(), "run under xvfb-run");
    let data = tempfile::tempdir()?;
    let db = data.path().join("canvass.sqlite");
    {
        // Install the two-language roster form as a study, the way `canvass form install` does.
        let app = canvass_app::App::open(&db, Arc::new(canvass_app::SystemClock::new()))?;
        let form = std::fs::read(repo_root().join("tests/data/forms/household_v1.xml"))?;
        app.install_form(&form, "household_v1.xml")?;
    }

    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    if let Err(e) = roster_steps(&client).await {
        // A picture of the window at the failure says more than a timeout.
        let _ = screenshot(&client, "e2e_ui-failure.png").await;
        return Err(e);
    }

    // ---- Russian UI, remembered across a restart of the app.
    choose_ui_language(&client, "ru").await?;
    wait_text(&client, "#home-title", "Интервью").await?;
    screenshot(&client, "home-ru.png").await?;
    client.close().await?;
    drop(driver);

    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    wait_text(&client, "#home-title", "Интервью").await?;
    choose_ui_language(&client, "en").await?;
    wait_text(&client, "#home-title", "Interviews").await?;
    client.close().await?;
    drop(driver);

    // ---- The file holds exactly that.
    let status = db_rows(&db, "SELECT status FROM interviews");
    assert_eq!(status, vec![vec!["broken_off".to_string()]]);
    let answers = db_rows(
        &db,
        "SELECT item_path, value FROM answers WHERE value != '' ORDER BY item_path",
    );
    assert_eq!(
        answers,
        vec![
            vec!["/data/member[1]/age".to_string(), "30".into()],
            vec!["/data/member[1]/name".into(), "Ann".into()],
            vec!["/data/pets".into(), "2".into()],
        ]
    );
    let kinds = db_rows(
        &db,
        "SELECT kind, coalesce(node, ''), coalesce(new_value, '') FROM paradata_events
         WHERE kind IN ('repeat_add', 'repeat_delete', 'language', 'break_off') ORDER BY seq",
    );
    assert_eq!(
        kinds,
        vec![
            vec![
                "repeat_add".to_string(),
                "/data/member[2]".into(),
                "".into()
            ],
            vec!["repeat_delete".into(), "/data/member[2]".into(), "".into()],
            vec![
                "language".into(),
                "/data/member[1]/age".into(),
                "English (en)".into()
            ],
            vec![
                "language".into(),
                "/data/member[1]/age".into(),
                "Ukrainian (uk)".into()
            ],
            vec![
                "break_off".into(),
                "/data/member[1]/age".into(),
                "callback".into()
            ],
        ]
    );
    Ok(())
}

/// From the home screen: the UI in Ukrainian, the shortcut sheet, and the roster interview up to its break-off.
async fn roster_steps(client: &Client) -> TestResult {
    let client = client.clone();
    wait_css(&client, "#start-household").await?;
    assert_eq!(text_of(&client, "#home-title").await?, "Interviews");

    // ---- UI language: Ukrainian, with the shortcut sheet in Ukrainian too.
    choose_ui_language(&client, "uk").await?;
    wait_text(&client, "#home-title", "Інтерв'ю").await?;
    screenshot(&client, "home-uk.png").await?;
    client
        .find(Locator::Css("#home-title"))
        .await?
        .click()
        .await?;
    press(&client, &['?']).await?;
    wait_text(&client, "#shortcuts-title", "Клавіатурні скорочення").await?;
    press(&client, &['\u{E00C}']).await?; // Escape closes the sheet.
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath("/html/body[not(dialog)]"))
        .await?;

    // ---- A roster interview.
    client
        .find(Locator::Css("#start-household"))
        .await?
        .click()
        .await?;
    on_question(&client, "pets").await?;
    let progress = text_of(&client, "#progress").await?;
    assert!(progress.starts_with("Питання 1 з"), "{progress}");
    type_text(&client, "2").await?;
    press(&client, &[ENTER]).await?;

    on_question(&client, "name").await?;
    wait_text(&client, "#roster-position", "Member 1 з 1").await?;
    type_text(&client, "Ann").await?;
    press(&client, &[ENTER]).await?;
    let label = on_question(&client, "age").await?;
    assert_eq!(label, "How old is Ann?");
    type_text(&client, "30").await?;
    wait_css(&client, "#save-state[data-state='saved']").await?;

    // Alt+A adds a second member and goes to its first question.
    alt(&client, 'a').await?;
    wait_text(&client, "#roster-position", "Member 2 з 2").await?;
    on_question(&client, "name").await?;
    type_text(&client, "Bob").await?;
    press(&client, &[ENTER]).await?;
    on_question(&client, "age").await?;
    screenshot(&client, "roster-uk.png").await?;

    // Alt+R removes Bob after a confirmation (Enter).
    alt(&client, 'r').await?;
    wait_css(&client, "#confirm-remove").await?;
    press(&client, &[ENTER]).await?;
    wait_text(&client, "#roster-position", "Member 1 з 1").await?;

    // Alt+L twice: English (the form's default, named), then Ukrainian.
    alt(&client, 'l').await?;
    wait_css(&client, "#q-lang option[value='English (en)']:checked").await?;
    alt(&client, 'l').await?;
    wait_text(&client, "#q-label", "Скільки років Ann?").await?;

    // Alt+B breaks the interview off with a reason.
    alt(&client, 'b').await?;
    wait_css(&client, "#confirm-break-off-input").await?;
    type_text(&client, "callback").await?;
    press(&client, &[ENTER]).await?;
    wait_css(&client, "#unfinished li[data-status='broken_off']").await?;
    Ok(())
}

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

/// Runs `script` (a function body returning a value) in the window and decodes its JSON result.
async fn js<T: serde::de::DeserializeOwned>(
    client: &Client,
    script: &str,
) -> Result<T, Box<dyn std::error::Error>> {
    let v = client.execute(script, vec![]).await?;
    Ok(serde_json::from_value(v)?)
}

/// Presses Ctrl with a key.
async fn ctrl(client: &Client, key: char) -> TestResult {
    const CONTROL: char = '\u{E009}';
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: CONTROL })
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key })
        .then(KeyAction::Up { value: CONTROL });
    client.perform_actions(actions).await?;
    Ok(())
}

/// The id of the focused element.
async fn focused(client: &Client) -> Result<String, Box<dyn std::error::Error>> {
    js(
        client,
        "return document.activeElement ? (document.activeElement.id || document.activeElement.dataset.focusKey || document.activeElement.tagName) : '';",
    )
    .await
}

/// Waits until `script` returns true.
async fn wait_js(client: &Client, script: &str) -> TestResult {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if js::<bool>(client, script).await.unwrap_or(false) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("timed out waiting for: {script}").into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
#[ignore = "needs a display (xvfb-run), tauri-driver and WebKitWebDriver; the README test command runs it"]
async fn field_list_pages_the_outline_and_a_right_to_left_questionnaire_by_keyboard() -> TestResult
{
    assert!(std::env::var_os("DISPLAY").is_some(), "run under xvfb-run");
    let data = tempfile::tempdir()?;
    let db = data.path().join("canvass.sqlite");
    {
        let app = canvass_app::App::open(&db, Arc::new(canvass_app::SystemClock::new()))?;
        app.install_form(&crate::fieldlist::form(), "pages.xlsx")?;
    }
    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    if let Err(e) = pages_steps(&client).await {
        let _ = screenshot(&client, "e2e_ui-pages-failure.png").await;
        return Err(e);
    }
    client.close().await?;
    drop(driver);

    let answers = db_rows(
        &db,
        "SELECT item_path, value FROM answers WHERE value != '' ORDER BY item_path",
    );
    let want: Vec<Vec<String>> = [
        ("/data/contact/age", "30"),
        ("/data/contact/smoker", "yes"),
        ("/data/likes/coffee", "no"),
        ("/data/likes/tea", "yes"),
        ("/data/who", "Ann"),
    ]
    .iter()
    .map(|(p, v)| vec![p.to_string(), v.to_string()])
    .collect();
    assert_eq!(answers, want);
    let jumps = db_rows(
        &db,
        "SELECT node FROM paradata_events WHERE kind = 'jump' ORDER BY seq",
    );
    assert_eq!(jumps, vec![vec!["/data/story".to_string()]]);
    Ok(())
}

async fn pages_steps(client: &Client) -> TestResult {
    wait_css(client, "#start-pages").await?.click().await?;
    on_question(client, "who").await?;
    type_text(client, "Ann").await?;
    press(client, &[ENTER]).await?;

    // ---- The contact page: every question on one screen.
    wait_css(client, "#q-page[data-page='/data/contact']").await?;
    assert_eq!(
        focused(client).await?,
        "q-text-0",
        "focus starts in the age box"
    );
    let next_top: f64 = js(
        client,
        "return document.getElementById('next').getBoundingClientRect().top;",
    )
    .await?;
    // Enter with the required age empty: the message shows at the age, and nothing moves.
    press(client, &[ENTER]).await?;
    wait_css(client, ".q-block[data-name='age'][data-invalid]").await?;
    let message = text_of(client, "#q-error-0").await?;
    assert_eq!(message, "this question needs an answer before moving on");
    let after: f64 = js(
        client,
        "return document.getElementById('next').getBoundingClientRect().top;",
    )
    .await?;
    assert_eq!(
        next_top, after,
        "the message took reserved space; the page did not jump"
    );
    assert_eq!(focused(client).await?, "q-text-0");

    // Typing saves by itself; the smoker question appears and the note recomputes, focus stays.
    type_text(client, "30").await?;
    wait_css(client, ".q-block[data-name='smoker']").await?;
    wait_text(
        client,
        ".q-block[data-name='echo'] .question",
        "Twice your age is 60",
    )
    .await?;
    assert_eq!(focused(client).await?, "q-text-0");
    assert!(
        client
            .find(Locator::Css(".q-block[data-name='age'][data-invalid]"))
            .await
            .is_err(),
        "the age's message went once it was answered"
    );
    // Tab to the smoker's options; digit 1 answers yes, and brand appears.
    press(client, &['\u{E004}']).await?;
    press(client, &['1']).await?;
    wait_css(client, ".q-block[data-name='brand']").await?;
    wait_css(
        client,
        ".q-block[data-name='smoker'] .option[data-value='yes'][aria-pressed='true']",
    )
    .await?;
    press(client, &[ENTER]).await?;

    // ---- The table-list grid: rows are questions, columns the shared choices.
    wait_css(client, "#q-page[data-page='/data/likes'] #q-grid").await?;
    let columns = text_of(client, "#q-grid thead").await?;
    assert!(
        columns.contains("Yes") && columns.contains("No"),
        "{columns}"
    );
    press(client, &['1']).await?;
    wait_css(
        client,
        "tr[data-name='tea'] .option[data-value='yes'][aria-pressed='true']",
    )
    .await?;
    // Tab past tea's "no" to coffee's row; 2 answers no.
    press(client, &['\u{E004}', '\u{E004}']).await?;
    press(client, &['2']).await?;
    wait_css(
        client,
        "tr[data-name='coffee'] .option[data-value='no'][aria-pressed='true']",
    )
    .await?;

    // ---- Ctrl+K: the outline filters as one types; Enter jumps.
    ctrl(client, 'k').await?;
    wait_css(client, "#outline #outline-filter").await?;
    let marks: Vec<(String, String)> = js(
        client,
        "return [...document.querySelectorAll('#outline-list li[data-state]')].map(li => [li.dataset.path, li.dataset.state]);",
    )
    .await?;
    assert!(
        marks.contains(&("/data/contact/age".into(), "answered".into())),
        "{marks:?}"
    );
    assert!(
        marks.contains(&("/data/story".into(), "empty".into())),
        "{marks:?}"
    );
    assert!(
        marks.contains(&("/data/contact/brand".into(), "empty".into())),
        "brand is offered once smoker is yes: {marks:?}"
    );
    type_text(client, "neighbourhood").await?;
    wait_js(
        client,
        "return [...document.querySelectorAll('#outline-list li')].filter(li => !li.hidden).length === 1;",
    )
    .await?;
    press(client, &[ENTER]).await?;
    on_question(client, "story").await?;

    // Esc closes the outline and focus returns where it was.
    let before = focused(client).await?;
    ctrl(client, 'k').await?;
    wait_css(client, "#outline").await?;
    press(client, &['\u{E00C}']).await?;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath("/html/body[not(dialog)]"))
        .await?;
    assert_eq!(focused(client).await?, before);

    // ---- A very long label wraps inside the page; nothing scrolls sideways.
    let fits: bool = js(
        client,
        "const m = document.getElementById('main').getBoundingClientRect(); const l = document.getElementById('q-label').getBoundingClientRect();
         return document.documentElement.scrollWidth <= document.documentElement.clientWidth && l.right <= m.right + 1 && l.height > 60;",
    )
    .await?;
    assert!(fits, "the long label wraps within the main column");

    // ---- Arabic: the question content turns right to left, the chrome does not.
    // The form lists Arabic first among its languages, so one Alt+L reaches it.
    alt(client, 'l').await?;
    wait_css(client, "#q-lang option[value='Arabic (ar)']:checked").await?;
    wait_css(client, "#q-content[dir='rtl'][lang='ar']").await?;
    alt_left(client).await?;
    wait_css(client, "#q-page[data-page='/data/likes']").await?;
    wait_text(client, "tr[data-name='tea'] th", "شاي").await?;
    let dirs: Vec<String> = js(
        client,
        "return ['q-label', 'q-grid', 'progress', 'next', 'q-lang'].map(id => getComputedStyle(document.getElementById(id)).direction);",
    )
    .await?;
    assert_eq!(dirs, ["rtl", "rtl", "ltr", "ltr", "ltr"]);
    // Right to left means the row label sits at the right of the grid's cells.
    let label_right_of_cells: bool = js(
        client,
        "const th = document.querySelector(\"tr[data-name='tea'] th\").getBoundingClientRect();
         const td = document.querySelector(\"tr[data-name='tea'] td\").getBoundingClientRect();
         return th.left > td.right - 1;",
    )
    .await?;
    assert!(label_right_of_cells);
    screenshot(client, "pages-rtl.png").await?;
    Ok(())
}

//! End to end in each UI language (English, Ukrainian, Russian): a full CATI call and a full CAPI interview by keyboard, with screenshots of the main screens.
//!
//! Each language gets a fresh data folder: a one-question telephone study
//! with two cases and the household study with its assignments. After the
//! UI language is chosen in the picker, everything else is done by keyboard:
//! the call queue (`C`), the questionnaire from the call, the assignments
//! (`A`), consent, the roster, the export (`E`) and sync (`S`) screens.
//! With $CANVASS_SCREENSHOTS_DIR set (the README's pictures), the screenshots
//! `lang-<screen>-<language>.png` go there.

use std::sync::Arc;

use canvass_app::cati::schedule::Rules;
use canvass_app::{App, SystemClock};
use fantoccini::{Client, Locator};

use crate::capi::{household_form, HOUSEHOLDS};
use crate::window::*;

const ESCAPE: char = '\u{E00C}';

/// The words each language shows, checked so that a screen left in English fails.
struct Lang {
    code: &'static str,
    home_title: &'static str,
    progress_prefix: &'static str,
    /// The top bar's sync indicator for a device signed in nowhere.
    signed_out: &'static str,
}

const LANGS: [Lang; 3] = [
    Lang {
        code: "en",
        home_title: "Interviews",
        progress_prefix: "Question 1 of",
        signed_out: "Not signed in",
    },
    Lang {
        code: "uk",
        home_title: "Інтерв'ю",
        progress_prefix: "Питання 1 з",
        signed_out: "Вхід не виконано",
    },
    Lang {
        code: "ru",
        home_title: "Интервью",
        progress_prefix: "Вопрос 1 из",
        signed_out: "Вход не выполнен",
    },
];

/// A one-question telephone questionnaire.
fn phone_form() -> Vec<u8> {
    let sheets: [(&str, &[&[&str]]); 3] = [
        (
            "survey",
            &[
                &["type", "name", "label"],
                &[
                    "select_one yn",
                    "agree",
                    "Would ${case.company} take part in the panel?",
                ],
            ],
        ),
        (
            "choices",
            &[
                &["list_name", "name", "label"],
                &["yn", "yes", "Yes"],
                &["yn", "no", "No"],
            ],
        ),
        (
            "settings",
            &[
                &["form_id", "version", "form_title"],
                &["panel", "1", "Panel"],
            ],
        ),
    ];
    crate::support::xlsform(&sheets)
}

/// Types into the focused answer box and moves on with Enter.
async fn answer_text(client: &Client, item: &str, text: &str) -> TestResult {
    on_question(client, item).await?;
    wait_css(client, "#q-text:focus").await?;
    type_text(client, text).await?;
    press(client, &[ENTER]).await
}

/// Back to the home screen's title, so the next single-letter key reaches the home screen.
async fn home(client: &Client, lang: &Lang) -> TestResult {
    wait_text(client, "#home-title", lang.home_title).await
}

#[tokio::test]
#[ignore = "needs a display (xvfb-run), tauri-driver and WebKitWebDriver; the README test command runs it"]
async fn a_call_and_a_face_to_face_interview_by_keyboard_in_each_ui_language() -> TestResult {
    assert!(std::env::var_os("DISPLAY").is_some(), "run under xvfb-run");
    for lang in &LANGS {
        let data = tempfile::tempdir()?;
        let db = data.path().join("canvass.sqlite");
        {
            let app = App::open(&db, Arc::new(SystemClock::new()))?;
            app.install_form(&phone_form(), "panel.xlsx")?;
            app.import_cases(
                "panel",
                b"id,phone,name,timezone,company\nc01,+380440000001,Person 1,Europe/Kyiv,Firm 1\n",
                "cases.csv",
                None,
            )?;
            // Calls are allowed around the clock, so the test does not depend on the hour.
            let rules = Rules {
                windows: std::array::from_fn(|_| vec![(0, 24 * 60)]),
                ..Rules::default()
            };
            app.set_cati_rules("panel", &rules)?;
            app.install_form(&household_form(), "household.xlsx")?;
            app.import_assignments("household_capi", HOUSEHOLDS.as_bytes(), "households.csv")?;
        }
        let driver = Driver::start(data.path())?;
        let client = driver.session().await?;
        if let Err(e) = steps(&client, lang).await {
            let _ = screenshot(&client, &format!("e2e_lang-{}-failure.png", lang.code)).await;
            return Err(format!("{}: {e}", lang.code).into());
        }
        client.close().await?;
        drop(driver);

        // Both interviews completed, each with its link, and the call recorded as a complete.
        let done = db_rows(
            &db,
            "SELECT questionnaire_id FROM interviews WHERE status = 'completed' ORDER BY questionnaire_id",
        );
        assert_eq!(done, [["household_capi"], ["panel"]], "{}", lang.code);
        assert_eq!(
            db_rows(&db, "SELECT case_id, outcome_code FROM cati_attempts"),
            [["c01", "complete"]],
            "{}",
            lang.code
        );
        assert_eq!(
            db_rows(
                &db,
                "SELECT item_path, value FROM answers WHERE item_path IN ('/data/agree', '/data/member[1]/name', '/data/private/income') ORDER BY item_path"
            ),
            [
                ["/data/agree", "yes"],
                ["/data/member[1]/name", "Ann"],
                ["/data/private/income", "2"]
            ],
            "{}",
            lang.code
        );
    }
    Ok(())
}

async fn steps(client: &Client, lang: &Lang) -> TestResult {
    let l = lang.code;
    wait_css(client, "#action-cati").await?;
    client
        .find(Locator::Css(&format!("#locale option[value='{l}']")))
        .await?
        .click()
        .await?;
    home(client, lang).await?;
    // The top bar follows the switch at once, its sync indicator included: read
    // right away, not waited for, since the indicator's own poll would redraw it
    // in the new language within seconds anyway.
    let indicator = wait_css(client, "#sync-indicator").await?.text().await?;
    assert_eq!(indicator, lang.signed_out, "{l}");
    wait_css(client, "#home-title").await?.click().await?;
    screenshot(client, &format!("lang-home-{l}.png")).await?;

    // ---- CATI: the call screen, the respondent agrees, one question, done.
    press(client, &['c']).await?;
    wait_css(client, "#cati[data-case='c01']").await?;
    screenshot(client, &format!("lang-call-{l}.png")).await?;
    press(client, &[ENTER]).await?;
    on_question(client, "agree").await?;
    press(client, &['1']).await?;
    wait_css(client, ".option[data-value='yes'][aria-pressed='true']").await?;
    press(client, &[ENTER]).await?;
    home(client, lang).await?;
    // Back on the call screen the finished interview is recorded as the call's outcome.
    press(client, &['c']).await?;
    wait_css(client, "#cati").await?;
    client
        .execute("document.activeElement?.blur();", vec![])
        .await?;
    press(client, &[ESCAPE]).await?;
    home(client, lang).await?;
    wait_css(client, "#home-title").await?.click().await?;

    // ---- CAPI: the assignments, consent, a one-member household, the private question.
    press(client, &['a']).await?;
    wait_css(client, "#capi-dashboard .capi-row[data-id='HH-01']").await?;
    screenshot(client, &format!("lang-assignments-{l}.png")).await?;
    press(client, &[ENTER]).await?;
    wait_css(client, "#capi-assignment[data-id='HH-01']").await?;
    press(client, &['n']).await?;
    wait_css(client, "#capi-consent-statement").await?;
    press(client, &['y']).await?;
    on_question(client, "hh_size").await?;
    let progress = wait_css(client, "#progress").await?.text().await?;
    assert!(progress.starts_with(lang.progress_prefix), "{progress}");
    answer_text(client, "hh_size", "1").await?;
    answer_text(client, "name", "Ann").await?;
    answer_text(client, "age", "40").await?;
    on_question(client, "works").await?;
    press(client, &['1']).await?;
    wait_css(client, ".option[data-value='1'][aria-pressed='true']").await?;
    screenshot(client, &format!("lang-question-{l}.png")).await?;
    press(client, &[ENTER]).await?;
    on_question(client, "income").await?;
    press(client, &['2']).await?;
    wait_css(client, ".option[data-value='2'][aria-pressed='true']").await?;
    wait_css(client, "#save-state[data-state='saved']").await?;
    press(client, &[ENTER]).await?;
    // The photo and the GPS point are optional; Enter passes both by.
    for item in ["door_photo", "location"] {
        on_question(client, item).await?;
        press(client, &[ENTER]).await?;
    }
    home(client, lang).await?;

    // ---- The export and sync screens.
    wait_css(client, "#home-title").await?.click().await?;
    press(client, &['e']).await?;
    wait_css(client, "#export-formats").await?;
    screenshot(client, &format!("lang-export-{l}.png")).await?;
    client
        .execute("document.activeElement?.blur();", vec![])
        .await?;
    press(client, &[ESCAPE]).await?;
    home(client, lang).await?;
    wait_css(client, "#home-title").await?.click().await?;
    press(client, &['s']).await?;
    wait_css(client, "#sync").await?;
    screenshot(client, &format!("lang-sync-{l}.png")).await?;
    client
        .execute("document.activeElement?.blur();", vec![])
        .await?;
    press(client, &[ESCAPE]).await?;
    home(client, lang).await?;
    Ok(())
}

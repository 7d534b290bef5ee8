//! CAPI end to end through the real window: an interviewer opens an assignment,
//! takes consent, completes a 4-member household roster whose work question is
//! asked of adults only, hands the laptop to the respondent for the private
//! section (PIN to take it back; the app is killed meanwhile and reopens
//! locked), attaches a photo, types a GPS point, then records a no-contact
//! visit at another household. The roster table shows all four members.
//! The SQLite file must hold exactly that, with its paradata.
//! `#[ignore]`d like every window test; `./test.sh` runs it under `xvfb-run`.

use std::sync::Arc;

use canvass_app::{App, SystemClock};
use fantoccini::{Client, Locator};

use crate::capi::{household_form, HOUSEHOLDS};
use crate::support::repo_root;
use crate::window::*;

const ESCAPE: char = '\u{E00C}';
const DOWN: char = '\u{E015}';
const TAB: char = '\u{E004}';

/// Types `text` into the focused answer box and moves on with Enter.
async fn answer_text(client: &Client, item: &str, text: &str) -> TestResult {
    on_question(client, item).await?;
    wait_css(client, "#q-text:focus").await?;
    type_text(client, text).await?;
    press(client, &[ENTER]).await?;
    Ok(())
}

/// Chooses option `digit` by keyboard, waits for it to be saved, and moves on.
async fn answer_choice(client: &Client, item: &str, digit: char) -> TestResult {
    on_question(client, item).await?;
    press(client, &[digit]).await?;
    wait_css(
        client,
        &format!(".option[data-value='{digit}'][aria-pressed='true']"),
    )
    .await?;
    wait_css(client, "#save-state[data-state='saved']").await?;
    press(client, &[ENTER]).await?;
    Ok(())
}

/// Serious or critical WCAG 2.1 A/AA violations axe-core finds on the page now,
/// labelled with `screen` (the same axe run as the e2e_a11y test uses).
async fn axe(client: &Client, screen: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let present = client
        .execute("return typeof window.axe === 'object';", vec![])
        .await?;
    if present != serde_json::Value::Bool(true) {
        let source = std::fs::read_to_string(repo_root().join("tests/data/a11y/axe.min.js"))?;
        client.execute(&source, vec![]).await?;
    }
    let result = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                 .then(r => done(JSON.stringify(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.id + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))))
                 .catch(e => done(JSON.stringify(['axe failed: ' + String(e)])));"#,
            vec![],
        )
        .await?;
    let found: Vec<String> = serde_json::from_str(result.as_str().ok_or("axe returned no text")?)?;
    Ok(found
        .into_iter()
        .map(|v| format!("{screen}: {v}"))
        .collect())
}

async fn displayed(client: &Client, css: &str) -> Result<bool, Box<dyn std::error::Error>> {
    Ok(client.find(Locator::Css(css)).await?.is_displayed().await?)
}

#[tokio::test]
#[ignore = "needs a display (xvfb-run), tauri-driver and WebKitWebDriver; the README test command runs it"]
async fn household_roster_with_respondent_mode_and_a_no_contact_visit() -> TestResult {
    assert!(std::env::var_os("DISPLAY").is_some(), "run under xvfb-run");
    let data = tempfile::tempdir()?;
    let db = data.path().join("canvass.sqlite");
    // The supervisor's part, through the same use cases as the CLI: the form and two households.
    {
        let app = App::open(&db, Arc::new(SystemClock::new()))?;
        app.install_form(&household_form(), "household.xlsx")?;
        app.import_assignments("household_capi", HOUSEHOLDS.as_bytes(), "households.csv")?;
    }

    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    let action = wait_css(&client, "#action-assignments").await?;
    assert!(action.text().await?.contains("Assignments"));
    type_text(&client, "a").await?;
    wait_css(&client, "#capi-dashboard .capi-row[data-id='HH-02']").await?;
    assert_eq!(
        wait_css(&client, "#capi-count-new strong")
            .await?
            .text()
            .await?,
        "2"
    );
    screenshot(&client, "capi-dashboard.png").await?;
    let mut a11y = axe(&client, "dashboard").await?;
    // The first row has focus; Enter opens it.
    assert_eq!(
        client
            .active_element()
            .await?
            .attr("data-id")
            .await?
            .as_deref(),
        Some("HH-01")
    );
    press(&client, &[ENTER]).await?;
    wait_css(&client, "#capi-assignment[data-id='HH-01']").await?;
    assert!(wait_css(&client, "#capi-fields")
        .await?
        .text()
        .await?
        .contains("Kovalenko"));

    // N starts the interview; consent comes first (Y agrees).
    type_text(&client, "n").await?;
    let consent = wait_css(&client, "#capi-consent-statement").await?;
    assert!(consent.text().await?.contains("voluntary"));
    type_text(&client, "y").await?;

    let label = on_question(&client, "hh_size").await?;
    assert_eq!(label, "How many people live in the Kovalenko household?");
    let bar = wait_css(&client, "#capi-bar").await?.text().await?;
    assert!(
        bar.contains("HH-01") && bar.contains("14 Sadova St") && bar.contains("Kovalenko"),
        "{bar}"
    );
    answer_text(&client, "hh_size", "4").await?;
    let members = [
        ("Petro", "40"),
        ("Oksana", "38"),
        ("Dmytro", "12"),
        ("Halyna", "70"),
    ];
    for (n, (name, age)) in members.into_iter().enumerate() {
        answer_text(&client, "name", name).await?;
        if n == 3 {
            // The roster table shows all four members, the current one highlighted with its answers so far.
            on_question(&client, "age").await?;
            let current = client
                .wait()
                .at_most(WAIT)
                .for_element(Locator::XPath(
                    "//table[@id='capi-roster-table'][@data-count='4']//tr[@data-index='4'][contains(@class, 'current')][contains(., 'Halyna')]",
                ))
                .await?;
            assert_eq!(current.attr("aria-current").await?.as_deref(), Some("true"));
            let text = wait_css(&client, "#capi-roster-table")
                .await?
                .text()
                .await?;
            assert!(
                text.contains("Petro") && text.contains("Dmytro") && text.contains("40"),
                "{text}"
            );
            screenshot(&client, "capi-roster-table.png").await?;
            a11y.extend(axe(&client, "roster table").await?);
        }
        let label = on_question(&client, "age").await?;
        assert_eq!(label, format!("How old is {name}?"));
        answer_text(&client, "age", age).await?;
        if age.parse::<u32>()? >= 15 {
            let label = on_question(&client, "works").await?;
            assert_eq!(label, format!("Does {name} have paid work?"));
            answer_choice(&client, "works", '1').await?;
        }
    }

    // The private section: the interviewer hands over with a PIN.
    on_question(&client, "income").await?;
    assert!(displayed(&client, "#q-instructions").await?);
    wait_css(&client, "#capi-handover").await?.click().await?;
    wait_css(&client, "#capi-pin:focus").await?;
    type_text(&client, "2468").await?;
    press(&client, &[ENTER]).await?;
    wait_css(&client, "body.capi-respondent").await?;
    assert!(!displayed(&client, "#q-instructions").await?);
    assert!(!displayed(&client, "#capi-ident").await?);
    assert!(!displayed(&client, "#pause").await?);
    screenshot(&client, "capi-respondent-mode.png").await?;
    a11y.extend(axe(&client, "respondent mode").await?);
    press(&client, &['2']).await?;
    wait_css(&client, ".option[data-value='2'][aria-pressed='true']").await?;
    wait_css(&client, "#save-state[data-state='saved']").await?;
    // Esc cannot take the respondent out of the interview.
    press(&client, &[ESCAPE]).await?;
    on_question(&client, "income").await?;
    // The app dies while the respondent holds the laptop (SIGKILL): it comes back locked.
    let pids = app_pids();
    assert!(!pids.is_empty(), "the app process must be found to kill it");
    for pid in &pids {
        std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()?;
    }
    drop(client);
    drop(driver);
    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    wait_css(&client, "body.capi-respondent").await?;
    on_question(&client, "income").await?;
    wait_css(&client, ".option[data-value='2'][aria-pressed='true']").await?;
    assert!(!displayed(&client, "#q-instructions").await?);
    // A wrong PIN keeps respondent mode; the right one ends it.
    wait_css(&client, "#capi-return").await?.click().await?;
    wait_css(&client, "#capi-pin-check:focus").await?;
    type_text(&client, "1111").await?;
    press(&client, &[ENTER]).await?;
    let error = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//p[@id='capi-pin-error'][normalize-space()!='']",
        ))
        .await?;
    assert_eq!(error.text().await?, "That PIN is not right.");
    type_text(&client, "2468").await?;
    press(&client, &[ENTER]).await?;
    wait_css(&client, "body:not(.capi-respondent)").await?;
    assert!(displayed(&client, "#q-instructions").await?);
    wait_css(&client, "#q-label:focus").await?;
    press(&client, &[ENTER]).await?;

    // The photo: the file input takes the file as the chooser would (WebDriver sets it).
    on_question(&client, "door_photo").await?;
    let photo = data.path().join("door.png");
    std::fs::write(&photo, crate::attachments::PNG)?;
    wait_css(&client, "#q-file")
        .await?
        .send_keys(&photo.to_string_lossy())
        .await?;
    let name = wait_css(&client, "#attach-name").await?.text().await?;
    assert!(name.contains("door.png"), "{name}");
    wait_css(&client, "#attach-thumb").await?;
    wait_css(&client, "#save-state[data-state='saved']").await?;
    screenshot(&client, "capi-photo.png").await?;
    a11y.extend(axe(&client, "photo question").await?);
    // Next by its button: Enter on a focused file input may open the chooser in WebKit.
    wait_css(&client, "#next").await?.click().await?;

    // GPS: typed by hand, and the form says so; a latitude out of range is refused at the question.
    on_question(&client, "location").await?;
    let legend = wait_css(&client, "#geo-manual legend")
        .await?
        .text()
        .await?;
    assert_eq!(legend, "Entered by hand");
    wait_css(&client, "#geo-latitude:focus").await?;
    type_text(&client, "95").await?;
    press(&client, &[ENTER]).await?;
    let error = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath("//p[@id='q-error'][normalize-space()!='']"))
        .await?
        .text()
        .await?;
    assert!(
        error.starts_with("Latitude must be a number from"),
        "{error}"
    );
    press(&client, &[BACKSPACE, BACKSPACE]).await?;
    type_text(&client, "50.4501").await?;
    press(&client, &[TAB]).await?;
    type_text(&client, "30.5234").await?;
    screenshot(&client, "capi-gps.png").await?;
    a11y.extend(axe(&client, "gps question").await?);
    // Enter saves the point and, on the last question, completes the interview.
    press(&client, &[ENTER]).await?;
    wait_css(&client, "#home").await?;

    // The other household: nobody home, recorded from its detail screen.
    type_text(&client, "a").await?;
    wait_css(
        &client,
        "#capi-dashboard .capi-row[data-id='HH-01'][data-status='done']",
    )
    .await?;
    press(&client, &[DOWN]).await?;
    press(&client, &[ENTER]).await?;
    wait_css(&client, "#capi-assignment[data-id='HH-02']").await?;
    type_text(&client, "v").await?;
    wait_css(&client, "#capi-visit-dialog[open]").await?;
    press(&client, &['1']).await?;
    wait_css(
        &client,
        "#capi-visit-dialog button[data-reason='nobody_home'][aria-pressed='true']",
    )
    .await?;
    press(&client, &[ENTER]).await?;
    wait_css(
        &client,
        "#capi-assignment[data-id='HH-02'][data-status='visited_no_contact']",
    )
    .await?;
    let visit = wait_css(&client, "#capi-visits tr[data-reason='nobody_home']").await?;
    assert!(visit.text().await?.contains("2.24"));
    screenshot(&client, "capi-visit.png").await?;
    client.close().await?;
    drop(driver);
    assert!(a11y.is_empty(), "accessibility violations: {a11y:#?}");

    // ---- The database holds exactly that.
    let one = |sql: &str| db_rows(&db, sql);
    let interviews = one("SELECT i.status, ai.assignment_id FROM interviews i JOIN assignment_interviews ai ON ai.interview_id = i.id");
    assert_eq!(interviews, [["completed", "HH-01"]]);
    assert_eq!(one("SELECT count(*) FROM interviews"), [["1"]]);
    let answers = one("SELECT item_path, value FROM answers ORDER BY item_path");
    let expected: Vec<[&str; 2]> = vec![
        ["/data/door_photo", "door.png"],
        ["/data/hh_size", "4"],
        ["/data/location", "50.4501 30.5234 0 0"],
        ["/data/member[1]/age", "40"],
        ["/data/member[1]/name", "Petro"],
        ["/data/member[1]/works", "1"],
        ["/data/member[2]/age", "38"],
        ["/data/member[2]/name", "Oksana"],
        ["/data/member[2]/works", "1"],
        ["/data/member[3]/age", "12"],
        ["/data/member[3]/name", "Dmytro"],
        ["/data/member[4]/age", "70"],
        ["/data/member[4]/name", "Halyna"],
        ["/data/member[4]/works", "1"],
        ["/data/private/income", "2"],
    ];
    assert_eq!(answers, expected);
    assert_eq!(one("SELECT given FROM consents"), [["1"]]);
    // The photo's bytes are in the file, stored once under their hash, linked to the answer.
    let size = crate::attachments::PNG.len().to_string();
    assert_eq!(
        one("SELECT a.file_name, a.item_path, b.size, b.hash = a.hash FROM interview_attachments a JOIN attachment_blobs b ON b.hash = a.hash"),
        [["door.png", "/data/door_photo", size.as_str(), "1"]]
    );
    assert_eq!(
        one("SELECT extra FROM paradata_events WHERE kind = 'answer_set' AND node = '/data/location'"),
        [[r#"{"geopoint_source":"manual"}"#]]
    );
    let kinds: Vec<String> = one(
        "SELECT kind FROM paradata_events WHERE kind IN ('consent', 'respondent_mode_start', 'respondent_mode_end', 'finalize')
         OR (kind = 'answer_set' AND node = '/data/private/income') ORDER BY seq",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    assert_eq!(
        kinds,
        [
            "consent",
            "respondent_mode_start",
            "answer_set",
            "respondent_mode_end",
            "finalize"
        ]
    );
    assert_eq!(
        one("SELECT assignment_id, reason, aapor_code, revisit_at FROM visits"),
        [["HH-02", "nobody_home", "2.24", "NULL"]]
    );
    assert_eq!(
        one("SELECT kind, state FROM outbox ORDER BY kind"),
        [
            ["consent", "pending"],
            ["interview", "pending"],
            ["visit", "pending"]
        ]
    );
    let hh2: Vec<String> =
        one("SELECT kind FROM assignment_events WHERE assignment_id = 'HH-02' ORDER BY seq")
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
    assert_eq!(hh2, ["imported", "visit"]);
    Ok(())
}

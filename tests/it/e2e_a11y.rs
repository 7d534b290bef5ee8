//! Accessibility through the real window: axe-core (tests/data/a11y) checks each main screen for WCAG 2.1 A/AA violations.
//!
//! The checker is injected through WebDriver into the running app, so it sees
//! exactly what the interviewer sees, styles and dark or light theme included.
//! Serious and critical violations fail the test; lesser ones are printed.

use std::sync::Arc;

use fantoccini::Client;

use crate::support::repo_root;
use crate::window::*;

/// Runs axe on the current page and returns the violations as (rule, impact, first targets).
async fn axe(client: &Client) -> Result<Vec<(String, String, String)>, Box<dyn std::error::Error>> {
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
                 .then(r => done(JSON.stringify(r.violations.map(v => [v.id, v.impact || '',
                     v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')]))))
                 .catch(e => done(JSON.stringify([['axe-failed', 'critical', String(e)]])));"#,
            vec![],
        )
        .await?;
    let text = result.as_str().ok_or("axe returned no text")?;
    Ok(serde_json::from_str(text)?)
}

/// Checks the screen on show; returns the serious or critical violations found, labelled with the screen.
async fn check(client: &Client, screen: &str, failures: &mut Vec<String>) -> TestResult {
    for (rule, impact, targets) in axe(client).await? {
        let line = format!("{screen}: {rule} ({impact}) at {targets}");
        if impact == "serious" || impact == "critical" {
            failures.push(line);
        } else {
            eprintln!("accessibility note: {line}");
        }
    }
    Ok(())
}

#[tokio::test]
#[ignore = "needs a display (xvfb-run), tauri-driver and WebKitWebDriver; the README test command runs it"]
async fn main_screens_have_no_serious_accessibility_violations() -> TestResult {
    assert!(std::env::var_os("DISPLAY").is_some(), "run under xvfb-run");
    let data = tempfile::tempdir()?;
    let db = data.path().join("canvass.sqlite");
    {
        // A completed interview (so the home table shows) and the roster form installed.
        let app = canvass_app::App::open(&db, Arc::new(canvass_app::SystemClock::new()))?;
        let form = std::fs::read(repo_root().join("tests/data/forms/household_v1.xml"))?;
        app.install_form(&form, "household_v1.xml")?;
        let id = app
            .start_interview(canvass_app::DEMO_STUDY_ID)?
            .interview_id;
        app.record_answer(&id, "nps", "9")?;
        app.record_answer(&id, "reason", "2")?;
        app.complete_interview(&id)?;
    }
    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    let mut failures = Vec::new();

    wait_css(&client, "#start-demo_nps").await?;
    // The checker must be able to fail: an unlabelled button is a serious violation.
    client
        .execute(
            "const b = document.createElement('button'); b.id = 'axe-probe'; document.body.append(b);",
            vec![],
        )
        .await?;
    let probe = axe(&client).await?;
    assert!(
        probe
            .iter()
            .any(|(rule, _, targets)| rule == "button-name" && targets.contains("axe-probe")),
        "axe did not report the unlabelled probe button: {probe:?}"
    );
    client
        .execute("document.getElementById('axe-probe').remove();", vec![])
        .await?;
    check(&client, "home", &mut failures).await?;

    press(&client, &['?']).await?;
    wait_css(&client, "#shortcuts").await?;
    check(&client, "shortcut sheet", &mut failures).await?;
    press(&client, &['\u{E00C}']).await?;

    client
        .find(fantoccini::Locator::Css("#start-demo_nps"))
        .await?
        .click()
        .await?;
    on_question(&client, "nps").await?;
    check(&client, "score question", &mut failures).await?;
    type_text(&client, "9").await?;
    press(&client, &[ENTER]).await?;
    on_question(&client, "reason").await?;
    check(&client, "choice question", &mut failures).await?;
    press(&client, &['\u{E00C}']).await?; // Esc pauses.

    wait_css(&client, "#start-household").await?;
    client
        .find(fantoccini::Locator::Css("#start-household"))
        .await?
        .click()
        .await?;
    on_question(&client, "pets").await?;
    type_text(&client, "1").await?;
    press(&client, &[ENTER]).await?;
    on_question(&client, "name").await?;
    check(
        &client,
        "roster question with language picker",
        &mut failures,
    )
    .await?;
    press(&client, &['\u{E00C}']).await?;

    wait_css(&client, "#action-export").await?;
    type_text(&client, "e").await?;
    wait_css(&client, "#export-formats").await?;
    check(&client, "export", &mut failures).await?;

    // The same screens in the dark theme: contrast is checked again with the dark palette.
    client
        .find(fantoccini::Locator::Css("#theme option[value='dark']"))
        .await?
        .click()
        .await?;
    wait_css(&client, "html[data-theme='dark']").await?;
    check(&client, "export (dark)", &mut failures).await?;
    press(&client, &['\u{E00C}']).await?;
    wait_css(&client, "#start-demo_nps").await?;
    check(&client, "home (dark)", &mut failures).await?;
    client
        .find(fantoccini::Locator::Css("#unfinished button.resume"))
        .await?
        .click()
        .await?;
    wait_css(&client, "#interview").await?;
    check(&client, "question (dark)", &mut failures).await?;
    screenshot(&client, "question-dark.png").await?;

    client.close().await?;
    drop(driver);
    assert!(
        failures.is_empty(),
        "serious accessibility violations:\n{}",
        failures.join("\n")
    );
    Ok(())
}

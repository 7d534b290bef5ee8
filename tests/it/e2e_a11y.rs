//! Accessibility through the real window: axe-core (tests/data/a11y) checks each main screen for WCAG 2.1 A/AA violations.
//!
//! The checker is injected through WebDriver into the running app, so it sees
//! exactly what the interviewer sees, styles and dark or light theme included.
//! Serious and critical violations fail the test; lesser ones are printed.

use std::sync::Arc;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
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

/// What is wrong with the layout on show at the current zoom: sideways
/// scrolling, controls reaching outside the window, buttons or headings that clip their text.
const LAYOUT_PROBLEMS: &str = r#"
const vw = document.documentElement.clientWidth;
const out = [];
if (document.documentElement.scrollWidth > vw + 1) out.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${vw}px window`);
const root = document.querySelector('dialog[open]') || document;
for (const e of root.querySelectorAll('button, input, select, [role=option], h1, h2, label, kbd, th, td')) {
  if (e.closest('[hidden]')) continue;
  const r = e.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) continue;
  const name = `${e.tagName.toLowerCase()}#${e.id || ''}.${(e.className || '').toString().split(' ')[0]} "${(e.textContent || '').trim().slice(0, 30)}"`;
  if (r.left < -1 || r.right > vw + 1) out.push(`${name} reaches ${Math.round(r.left)}..${Math.round(r.right)} of ${vw}`);
  if (['BUTTON', 'H1', 'H2', 'LABEL', 'KBD'].includes(e.tagName) && e.scrollWidth > e.clientWidth + 1) out.push(`${name} clips its text (${e.scrollWidth} > ${e.clientWidth})`);
}
return out;
"#;

/// Whether the focused element shows a focus ring of at least 2 px and is inside the window.
const FOCUS_VISIBLE: &str = r#"
const e = document.activeElement;
if (!e || e === document.body) return 'nothing has focus';
const cs = getComputedStyle(e);
const r = e.getBoundingClientRect();
const ring = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
const inside = r.left >= -1 && r.right <= document.documentElement.clientWidth + 1 && r.bottom > 0 && r.top < window.innerHeight;
return ring && inside ? '' : `${e.tagName}#${e.id}: ring ${cs.outlineStyle} ${cs.outlineWidth}, at ${Math.round(r.left)},${Math.round(r.top)}`;
"#;

/// Layout, focus and axe checks of the screen on show, each problem labelled with the screen and the mode.
async fn large_check(client: &Client, screen: &str, failures: &mut Vec<String>) -> TestResult {
    // Give the engine a frame to lay out the new screen at the new size.
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let problems: Vec<String> =
        serde_json::from_value(client.execute(LAYOUT_PROBLEMS, vec![]).await?)?;
    failures.extend(problems.into_iter().map(|p| format!("{screen}: {p}")));
    press(client, &['\u{E004}']).await?; // Tab: the next control must show where focus is.
    let focus = client.execute(FOCUS_VISIBLE, vec![]).await?;
    if let Some(p) = focus.as_str().filter(|p| !p.is_empty()) {
        failures.push(format!("{screen}: focus not visible: {p}"));
    }
    check(client, screen, failures).await
}

/// Focuses the button at `css` and presses Enter on it, as a keyboard user does.
async fn activate(client: &Client, css: &str) -> TestResult {
    wait_css(client, css).await?;
    client
        .execute(
            &format!("document.querySelector(\"{css}\").focus();"),
            vec![],
        )
        .await?;
    press(client, &[ENTER]).await
}

/// Presses Ctrl with a key.
async fn ctrl(client: &Client, key: char) -> TestResult {
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: '\u{E009}' })
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key })
        .then(KeyAction::Up { value: '\u{E009}' });
    client.perform_actions(actions).await?;
    Ok(())
}

/// Walks the main screens by keyboard and checks each.
async fn walk_large(client: &Client, mode: &str, failures: &mut Vec<String>) -> TestResult {
    const ESC: char = '\u{E00C}';
    wait_css(client, "#start-pages").await?;
    large_check(client, &format!("home ({mode})"), failures).await?;
    press(client, &[ESC]).await?;

    activate(client, "#start-demo_nps").await?;
    on_question(client, "nps").await?;
    large_check(client, &format!("score question ({mode})"), failures).await?;
    ctrl(client, 'k').await?;
    wait_css(client, "#outline").await?;
    large_check(client, &format!("outline ({mode})"), failures).await?;
    press(client, &[ESC]).await?;
    client
        .wait()
        .at_most(WAIT)
        .for_element(fantoccini::Locator::XPath("/html/body[not(dialog)]"))
        .await?;
    press(client, &[ESC]).await?; // Pause to the home screen.

    activate(client, "#start-pages").await?;
    on_question(client, "who").await?;
    type_text(client, "Ann").await?;
    press(client, &[ENTER]).await?;
    wait_css(client, "#q-page").await?;
    large_check(client, &format!("field-list page ({mode})"), failures).await?;
    press(client, &[ESC]).await?;

    for (key, css, name) in [
        ('e', "#export", "export"),
        ('s', "#sync", "sync"),
        ('a', "#capi-dashboard", "assignments"),
        ('c', "#cati", "call screen"),
    ] {
        wait_css(client, "#home").await?;
        client
            .execute("document.getElementById('home-title')?.focus();", vec![])
            .await?;
        type_text(client, &key.to_string()).await?;
        wait_css(client, css).await?;
        large_check(client, &format!("{name} ({mode})"), failures).await?;
        client
            .execute("document.activeElement?.blur();", vec![])
            .await?;
        press(client, &[ESC]).await?;
    }
    wait_css(client, "#home").await?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs a display (xvfb-run), tauri-driver and WebKitWebDriver; the README test command runs it"]
async fn main_screens_work_at_200_percent_zoom_and_with_large_text() -> TestResult {
    assert!(std::env::var_os("DISPLAY").is_some(), "run under xvfb-run");
    let data = tempfile::tempdir()?;
    let db = data.path().join("canvass.sqlite");
    {
        let app = canvass_app::App::open(&db, Arc::new(canvass_app::SystemClock::new()))?;
        app.install_form(&crate::fieldlist::form(), "pages.xlsx")?;
    }
    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    let mut failures = Vec::new();
    wait_css(&client, "#start-pages").await?;

    // The web view's own zoom at 200%, reached by keyboard: Ctrl+plus five times.
    let normal_width: f64 =
        serde_json::from_value(client.execute("return window.innerWidth;", vec![]).await?)?;
    for _ in 0..5 {
        ctrl(&client, '=').await?;
    }
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let w: f64 =
            serde_json::from_value(client.execute("return window.innerWidth;", vec![]).await?)?;
        if (w - normal_width / 2.0).abs() <= 2.0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "zoom did not reach 200%: {w} CSS px wide, {normal_width} at 100%"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    walk_large(&client, "zoom 200%", &mut failures).await?;
    screenshot(&client, "home-zoom-200.png").await?;

    // Ctrl+0 back to 100%, then the system's large-text setting: the root font at 200%.
    ctrl(&client, '0').await?;
    client
        .execute("document.documentElement.style.fontSize = '200%';", vec![])
        .await?;
    walk_large(&client, "text 200%", &mut failures).await?;

    client.close().await?;
    drop(driver);
    assert!(
        failures.is_empty(),
        "problems at 200%:\n{}",
        failures.join("\n")
    );
    Ok(())
}

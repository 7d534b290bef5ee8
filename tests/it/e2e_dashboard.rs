//! End to end through the real window: the dashboard opened by keyboard shows the NPS of the completed demo interviews, draws its charts, and saves them as PNG with a CSV.

use std::sync::Arc;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};

use crate::window::*;

#[tokio::test]
#[ignore = "needs a display (xvfb-run), tauri-driver and WebKitWebDriver; the README test command runs it"]
async fn the_dashboard_shows_nps_and_saves_csv_and_png() -> TestResult {
    assert!(std::env::var_os("DISPLAY").is_some(), "run under xvfb-run");
    let data = tempfile::tempdir()?;
    let db = data.path().join("canvass.sqlite");
    let out = data.path().join("dashboard");
    {
        // Three completed demo interviews: 10 and 9 are promoters, 5 a detractor: NPS (2 - 1) / 3.
        let app = canvass_app::App::open(&db, Arc::new(canvass_app::SystemClock::new()))?;
        for score in ["10", "9", "5"] {
            let id = app
                .start_interview(canvass_app::DEMO_STUDY_ID)?
                .interview_id;
            app.record_answer(&id, "nps", score)?;
            app.record_answer(&id, "reason", "2")?;
            app.complete_interview(&id)?;
        }
    }

    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    wait_css(&client, "#action-dashboard").await?;
    type_text(&client, "d").await?;
    wait_css(&client, "#dashboard-nps-chart").await?;
    assert_eq!(
        wait_css(&client, "#dashboard-completes")
            .await?
            .text()
            .await?,
        "3"
    );
    assert_eq!(
        wait_css(&client, "#dashboard-nps").await?.text().await?,
        "33.3"
    );
    let bars = client
        .find_all(fantoccini::Locator::Css("#dashboard-nps-chart .bar"))
        .await?;
    assert_eq!(bars.len(), 11, "one bar per score 0-10");
    let ten = wait_css(&client, "#dashboard-nps-chart .bar[data-label='10']").await?;
    assert_eq!(ten.attr("data-value").await?.as_deref(), Some("1"));
    screenshot(&client, "dashboard.png").await?;

    // Tab leaves the study choice for the folder field; Alt+S saves.
    press(&client, &['\u{E004}']).await?;
    type_text(&client, &out.display().to_string()).await?;
    let alt_s = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: ALT })
        .then(KeyAction::Down { value: 's' })
        .then(KeyAction::Up { value: 's' })
        .then(KeyAction::Up { value: ALT });
    client.perform_actions(alt_s).await?;
    let result = client
        .wait()
        .at_most(WAIT)
        .for_element(fantoccini::Locator::Css("#dashboard-result:not([hidden])"))
        .await?;
    let text = result.text().await?;
    assert!(text.starts_with("Saved 3 files"), "{text}");
    client.close().await?;
    drop(driver);

    let study = canvass_app::DEMO_STUDY_ID;
    let csv = std::fs::read_to_string(out.join(format!("{study}-dashboard.csv")))?;
    assert!(csv.contains("\noverall,,3,"), "{csv}");
    assert!(csv.contains(",33.3,3,"), "{csv}");
    for chart in ["nps", "completes"] {
        let png = std::fs::read(out.join(format!("{study}-{chart}.png")))?;
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{chart} is a PNG");
        assert!(png.len() > 1000, "{chart} has a drawing in it");
    }
    Ok(())
}

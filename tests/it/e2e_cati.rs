//! End to end through the real window: an interviewer works a 20-case call list by keyboard only.
//!
//! Outcomes by their keys (no answer, busy, a hard refusal with its note, an
//! appointment), two hand-overs into the questionnaire that end in completes,
//! one that the respondent breaks off (a partial with an appointment), which a
//! second session resumes at the same question once the appointment is due;
//! then the database and the AAPOR report are checked against what was done.

use std::sync::Arc;

use canvass_app::cati::schedule::Rules;

use crate::window::*;

const ESCAPE: char = '\u{E00C}';

/// A one-question telephone questionnaire that pipes the case's company into its label.
fn form() -> Vec<u8> {
    let sheets: [(&str, &[&[&str]]); 3] = [
        (
            "survey",
            &[
                &["type", "name", "label", "relevant"],
                &[
                    "select_one yn",
                    "agree",
                    "Would ${case.company} take part in the panel?",
                    "",
                ],
                &["text", "why_not", "Why not?", "${agree} = 'no'"],
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

async fn on_case(client: &fantoccini::Client, id: &str) -> TestResult {
    wait_css(client, &format!("#cati[data-case='{id}']")).await?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs a display (xvfb-run), tauri-driver and WebKitWebDriver; the README test command runs it"]
async fn an_interviewer_works_a_call_list_by_keyboard() -> TestResult {
    assert!(std::env::var_os("DISPLAY").is_some(), "run under xvfb-run");
    let data = tempfile::tempdir()?;
    let db = data.path().join("canvass.sqlite");
    {
        let app = canvass_app::App::open(&db, Arc::new(canvass_app::SystemClock::new()))?;
        app.install_form(&form(), "panel.xlsx")?;
        let mut list = String::from("id,phone,name,timezone,company\n");
        for i in 1..=20 {
            list.push_str(&format!(
                "c{i:02},+38044000{i:04},Person {i},Europe/Kyiv,Firm {i}\n"
            ));
        }
        app.import_cases("panel", list.as_bytes(), "cases.csv", None)?;
        // Calls are allowed around the clock, so the test does not depend on the hour it runs at.
        let rules = Rules {
            windows: std::array::from_fn(|_| vec![(0, 24 * 60)]),
            ..Rules::default()
        };
        app.set_cati_rules("panel", &rules)?;
        app.set_quota("panel", "firms", "${case.company} != ''", 10)?;
    }

    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    if let Err(e) = steps(&client).await {
        let _ = screenshot(&client, "e2e_cati-failure.png").await;
        return Err(e);
    }
    drop(client);
    drop(driver);

    // The window runs on the system clock, so instead of waiting an hour the
    // test moves c07's callback (booked an hour ahead) into the past: it is due.
    {
        let conn = rusqlite::Connection::open(&db)?;
        let hour = 3_600_000i64;
        conn.execute(
            "UPDATE cati_appointments SET starts_at = starts_at - 2 * ?1, ends_at = ends_at - 2 * ?1
             WHERE case_id = 'c07' AND state = 'pending'",
            [hour],
        )?;
        conn.execute(
            "UPDATE cati_cases SET appointment_at = appointment_at - 2 * ?1 WHERE id = 'c07'",
            [hour],
        )?;
    }
    let partial = db_rows(
        &db,
        "SELECT l.interview_id FROM cati_interviews AS l JOIN interviews AS i ON i.id = l.interview_id
         WHERE l.case_id = 'c07' AND i.status = 'broken_off'",
    );
    assert_eq!(partial.len(), 1, "the break-off left one partial interview");
    let driver = Driver::start(data.path())?;
    let client = driver.session().await?;
    if let Err(e) = resume_steps(&client, &partial[0][0]).await {
        let _ = screenshot(&client, "e2e_cati-resume-failure.png").await;
        return Err(e);
    }
    drop(client);
    drop(driver);

    // The database holds exactly what was done.
    let attempts = db_rows(
        &db,
        "SELECT case_id, outcome_code, note, interviewer FROM cati_attempts ORDER BY case_id",
    );
    let got: Vec<(String, String)> = attempts
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let want: Vec<(String, String)> = [
        ("c01", "no_answer"),
        ("c02", "busy"),
        ("c03", "refusal_hard"),
        ("c04", "appointment"),
        ("c05", "complete"),
        ("c06", "complete"),
        ("c07", "partial"),
        ("c07", "complete"),
    ]
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .into();
    assert_eq!(got, want);
    assert_eq!(attempts[2][2], "rude");
    assert!(attempts.iter().all(|r| r[3] == "interviewer"));
    assert_eq!(
        db_rows(
            &db,
            "SELECT case_id, hard FROM cati_appointments WHERE state = 'pending'"
        ),
        [["c04", "0"]]
    );
    assert_eq!(
        db_rows(&db, "SELECT count(*) FROM cati_interviews AS l JOIN interviews AS i ON i.id = l.interview_id WHERE i.status = 'completed'"),
        [["3"]]
    );
    assert_eq!(
        db_rows(
            &db,
            "SELECT local_count FROM cati_quotas WHERE name = 'firms'"
        ),
        [["3"]]
    );
    // The callback finished the same interview: c07 has one, with both answers.
    assert_eq!(
        db_rows(
            &db,
            "SELECT count(*) FROM cati_interviews WHERE case_id = 'c07'"
        ),
        [["1"]]
    );
    assert_eq!(
        db_rows(
            &db,
            &format!(
                "SELECT item_path, value FROM answers WHERE interview_id = '{}' ORDER BY item_path",
                partial[0][0]
            )
        ),
        [["/data/agree", "no"], ["/data/why_not", "later"]]
    );
    assert_eq!(
        db_rows(
            &db,
            "SELECT count(*) FROM outbox WHERE kind = 'call_attempt'"
        ),
        [["8"]]
    );

    // The AAPOR report: 3 completes, 2 refusals (the appointment counts as R, as queXS does), 15 unknown.
    let app = canvass_app::App::open(&db, Arc::new(canvass_app::SystemClock::new()))?;
    let report = &app.cati_report(Some("panel"), Some(1.0))?[0];
    let c = report.overall.counts;
    assert_eq!((c.i, c.r, c.uh), (3, 2, 15));
    assert_eq!(report.overall.rates.rr1, Some(0.15));
    assert_eq!(report.overall.rates.coop1, Some(0.6));
    Ok(())
}

async fn steps(client: &fantoccini::Client) -> TestResult {
    wait_css(client, "#action-cati").await?;
    press(client, &['c']).await?;
    on_case(client, "c01").await?;
    assert!(wait_css(client, "#cati-intro")
        .await?
        .text()
        .await?
        .contains("Person 1"));
    assert!(
        wait_css(client, "#cati-dial")
            .await?
            .attr("href")
            .await?
            .as_deref()
            == Some("tel:+380440000001")
    );
    // The quota cell with its local count; no server total until a sync brings one.
    let quota = wait_css(client, "#cati-quotas li[data-quota='firms']").await?;
    assert!(
        quota.text().await?.contains("0 of 10"),
        "{}",
        quota.text().await?
    );
    screenshot(client, "cati-call-screen.png").await?;
    press(client, &['n']).await?;
    on_case(client, "c02").await?;
    press(client, &['b']).await?;
    on_case(client, "c03").await?;
    // A hard refusal needs a note.
    press(client, &['h']).await?;
    wait_css(client, "#cati-note-input").await?;
    type_text(client, "rude").await?;
    press(client, &[ENTER]).await?;
    on_case(client, "c04").await?;
    // An appointment an hour from now (the picker's default), booked with Enter.
    press(client, &['a']).await?;
    wait_css(client, "#cati-appointment-theirs").await?;
    press(client, &[ENTER]).await?;
    on_case(client, "c05").await?;
    // Two respondents agree: the questionnaire opens with the case's company piped in.
    for (case, next) in [("c05", "c06"), ("c06", "c07")] {
        on_case(client, case).await?;
        press(client, &[ENTER]).await?;
        let label = on_question(client, "agree").await?;
        let n: u32 = case[1..].parse()?;
        assert_eq!(label, format!("Would Firm {n} take part in the panel?"));
        press(client, &['1']).await?;
        wait_css(client, ".option[data-value='yes'][aria-pressed='true']").await?;
        press(client, &[ENTER]).await?;
        wait_css(client, "#home").await?;
        press(client, &['c']).await?;
        on_case(client, next).await?;
    }
    // c07 agrees, then says no and must stop at the follow-up: Alt+B breaks off,
    // and back on the call screen the partial is recorded with an appointment.
    press(client, &[ENTER]).await?;
    on_question(client, "agree").await?;
    press(client, &['2']).await?;
    wait_css(client, ".option[data-value='no'][aria-pressed='true']").await?;
    press(client, &[ENTER]).await?;
    on_question(client, "why_not").await?;
    alt(client, 'b').await?;
    wait_css(client, "#confirm-break-off-input").await?;
    type_text(client, "callback").await?;
    press(client, &[ENTER]).await?;
    wait_css(client, "#home").await?;
    press(client, &['c']).await?;
    wait_css(client, "#cati-appointment-theirs").await?;
    press(client, &[ENTER]).await?;
    on_case(client, "c08").await?;
    press(client, &[ESCAPE]).await?;
    wait_css(client, "#home").await?;
    Ok(())
}

/// A new session once c07's callback is due: the call screen offers it with its
/// partial, and Enter reopens that interview at the question where it stopped.
async fn resume_steps(client: &fantoccini::Client, interview_id: &str) -> TestResult {
    wait_css(client, "#action-cati").await?;
    press(client, &['c']).await?;
    on_case(client, "c07").await?;
    wait_css(client, "#cati-appointment-due").await?;
    wait_css(
        client,
        &format!("#cati-partial[data-interview='{interview_id}']"),
    )
    .await?;
    press(client, &[ENTER]).await?;
    assert_eq!(on_question(client, "why_not").await?, "Why not?");
    type_text(client, "later").await?;
    press(client, &[ENTER]).await?;
    wait_css(client, "#home").await?;
    // Back on the call screen the complete is recorded and the queue moves on.
    press(client, &['c']).await?;
    on_case(client, "c08").await?;
    press(client, &[ESCAPE]).await?;
    wait_css(client, "#home").await?;
    Ok(())
}

/// Alt plus a letter, as a keyboard sends it.
async fn alt(client: &fantoccini::Client, key: char) -> TestResult {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: ALT })
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key })
        .then(KeyAction::Up { value: ALT });
    client.perform_actions(actions).await?;
    Ok(())
}

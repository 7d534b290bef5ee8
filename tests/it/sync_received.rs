//! What a pass pulls is kept: questionnaire versions installed (usable offline), assignments and decisions stored.
//!
//! Each body runs on both server backends (see `both_backends!`).

use base64::Engine as _;
use canvass_app::SyncOutcome;

use crate::both_backends;
use crate::support::{raw, repo_root};
use crate::sync_harness::{Backend, Device, TestServer};

/// A real XLSForm from the engine's corpus, with the id and version its settings give.
fn corpus_form() -> (Vec<u8>, String, String) {
    let bytes = std::fs::read(
        repo_root().join("src-tauri/crates/canvass-form/test_data/forms/px_specify_other.xlsx"),
    )
    .unwrap();
    let form = canvass_form::import_form(&bytes, "px_specify_other.xlsx")
        .form
        .expect("the corpus form imports");
    let version = form.version.clone().unwrap_or_else(|| "1".into());
    (bytes, form.id, version)
}

fn version_body(id: &str, version: &str, file: Option<(&str, &[u8])>) -> String {
    let mut v = serde_json::json!({"questionnaire_id": id, "version": version, "definition": {"title": id}});
    if let Some((name, bytes)) = file {
        v["file_name"] = name.into();
        v["source_base64"] = base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .into();
    }
    v.to_string()
}

async fn pulled_changes_are_stored_and_versions_installed(b: Backend, name: &str) {
    let server = TestServer::start(b, name).await;
    server.add_user("ines", "interviewer", Some("north")).await;
    let (bytes, form_id, form_version) = corpus_form();
    let publish = |kind: &'static str, team: Option<&'static str>, body: String| {
        let db = server.db.clone();
        async move { db.publish_change(kind, team, &body).await.unwrap() }
    };
    publish(
        "questionnaire_version",
        None,
        version_body(
            &form_id,
            &form_version,
            Some(("px_specify_other.xlsx", &bytes)),
        ),
    )
    .await;
    publish(
        "questionnaire_version",
        None,
        version_body("bare", "1", None),
    )
    .await;
    publish(
        "questionnaire_version",
        None,
        version_body("broken", "1", Some(("broken.xlsx", b"not a spreadsheet"))),
    )
    .await;
    let a = |address: &str| {
        serde_json::json!({"id": "case-1", "questionnaire_id": form_id, "assignee": "ines", "body": {"address": address}})
            .to_string()
    };
    publish("assignment", Some("north"), a("1 Main St")).await;
    publish("assignment", Some("north"), a("2 Main St")).await;
    publish(
        "decision",
        Some("north"),
        r#"{"interview_id":"i-1","decision":"rejected","comment":"question 3 is blank","decided_at":5}"#.into(),
    )
    .await;
    let last = publish("assignment", Some("south"), a("elsewhere")).await;

    let dev = Device::new();
    dev.login(&server.url, "ines").await;
    assert!(!dev.app.studies().iter().any(|s| s.id == form_id));
    let s = dev.sync().await;
    assert_eq!((s.outcome, s.changes), (SyncOutcome::Ok, 6), "{s:?}");

    // The corpus form is installed; the others are kept with the reason they are not.
    let got = dev.app.received_questionnaires().unwrap();
    let state = |id: &str| {
        let q = got.iter().find(|q| q.questionnaire_id == id).unwrap();
        (q.state.clone(), q.problem.clone().unwrap_or_default())
    };
    assert_eq!(state(&form_id), ("installed".into(), String::new()));
    let (st, why) = state("bare");
    assert!(
        st == "refused" && why.contains("without its form file"),
        "{why}"
    );
    let (st, why) = state("broken");
    assert!(st == "refused" && why.contains("broken"), "{why}");

    // The later assignment replaced the earlier; another team's never came; the decision is kept.
    let assignments = dev.app.received_assignments().unwrap();
    assert_eq!(assignments.len(), 1);
    assert!(assignments[0].body.contains("2 Main St"), "{assignments:?}");
    let decisions = dev.app.received_decisions(Some("i-1")).unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(
        (
            decisions[0].decision.as_str(),
            decisions[0].comment.as_deref()
        ),
        ("rejected", Some("question 3 is blank"))
    );
    // The cursor went to the last change this device may see, in the same transaction as the rows.
    let cursor: String = raw(&dev.db.path)
        .query_row(
            "SELECT changes_cursor FROM sync_settings WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(cursor.parse::<i64>().unwrap() < last);

    // A second pass pulls nothing and duplicates nothing.
    assert_eq!(dev.sync().await.outcome, SyncOutcome::NothingToDo);
    assert_eq!(dev.app.received_questionnaires().unwrap().len(), 3);
    assert_eq!(dev.app.received_decisions(None).unwrap().len(), 1);

    // The server goes away: the new version can be interviewed offline, also after a restart of the app.
    drop(server);
    assert!(dev.app.studies().iter().any(|s| s.id == form_id));
    let screen = dev.app.start_interview(&form_id).unwrap();
    assert_eq!(screen.status, "in_progress");
    let (reopened, _) = dev.db.app();
    let started = reopened
        .list_interviews()
        .unwrap()
        .into_iter()
        .find(|i| i.id == screen.interview_id)
        .unwrap();
    assert_eq!(started.questionnaire_version, form_version);
    assert!(reopened.studies().iter().any(|s| s.id == form_id));
}
both_backends!(received, pulled_changes_are_stored_and_versions_installed);

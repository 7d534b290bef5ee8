//! Field-list and table-list pages, and the interview outline with jumps, through canvass-app on a real SQLite file.

use canvass_app::{App, Error, Screen};

use crate::support::TempDb;

// The benchmarks' generated 2,000-question form, so the outline is tested on the form it must be quick on.
#[path = "../bench/bigform.rs"]
mod bigform;

/// A two-language form (English and Arabic) with a `field-list` page whose
/// relevance and calculation depend on its own questions, and a `table-list` grid.
pub fn form() -> Vec<u8> {
    let long = "Please tell us, in your own words and with as much detail as you would like to share, what you think about the services offered in your neighbourhood over the last twelve months, including transport, health care, schools, shops, parks and anything else that matters to you";
    let sheets: [(&str, &[&[&str]]); 3] = [
        (
            "survey",
            &[
                &[
                    "type",
                    "name",
                    "label::English (en)",
                    "label::Arabic (ar)",
                    "appearance",
                    "required",
                    "relevant",
                    "calculation",
                    "constraint",
                    "constraint_message::English (en)",
                ],
                &["text", "who", "Your name", "اسمك", "", "", "", "", "", ""],
                &[
                    "begin_group",
                    "contact",
                    "Contact",
                    "اتصال",
                    "field-list",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
                &[
                    "integer",
                    "age",
                    "Age",
                    "العمر",
                    "",
                    "yes",
                    "",
                    "",
                    ". < 120",
                    "Age must be below 120",
                ],
                &[
                    "select_one yn",
                    "smoker",
                    "Do you smoke?",
                    "هل تدخن؟",
                    "",
                    "",
                    "${age} >= 18",
                    "",
                    "",
                    "",
                ],
                &[
                    "text",
                    "brand",
                    "Which brand?",
                    "أي علامة؟",
                    "",
                    "",
                    "${smoker} = 'yes'",
                    "",
                    "",
                    "",
                ],
                &[
                    "calculate",
                    "double",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "${age} * 2",
                    "",
                    "",
                ],
                &[
                    "note",
                    "echo",
                    "Twice your age is ${double}",
                    "ضعف عمرك ${double}",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
                &["end_group", "", "", "", "", "", "", "", "", ""],
                &[
                    "begin_group",
                    "likes",
                    "Likes",
                    "يحب",
                    "table-list",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
                &[
                    "select_one yn",
                    "tea",
                    "Tea",
                    "شاي",
                    "",
                    "yes",
                    "",
                    "",
                    "",
                    "",
                ],
                &[
                    "select_one yn",
                    "coffee",
                    "Coffee",
                    "قهوة",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
                &["end_group", "", "", "", "", "", "", "", "", ""],
                &["text", "story", long, long, "", "", "", "", "", ""],
            ],
        ),
        (
            "choices",
            &[
                &[
                    "list_name",
                    "name",
                    "label::English (en)",
                    "label::Arabic (ar)",
                ],
                &["yn", "yes", "Yes", "نعم"],
                &["yn", "no", "No", "لا"],
            ],
        ),
        (
            "settings",
            &[
                &["form_id", "form_title", "version", "default_language"],
                &["pages", "Pages", "1", "English (en)"],
            ],
        ),
    ];
    crate::support::xlsform(&sheets)
}

fn names(s: &Screen) -> Vec<String> {
    let q = s.question.as_ref().expect("a question is shown");
    match &q.page {
        Some(p) => p.questions.iter().map(|q| q.name.clone()).collect(),
        None => vec![q.name.clone()],
    }
}

fn started(app: &App) -> Screen {
    app.install_form(&form(), "pages.xlsx").unwrap();
    app.start_interview("pages").unwrap()
}

#[test]
fn a_field_list_group_is_one_screen_that_updates_as_its_answers_are_saved() {
    let db = TempDb::new();
    let (app, _clock) = db.app();
    let s = started(&app);
    let id = s.interview_id.clone();
    // Four screens: the name, the contact page, the likes grid and the story.
    assert_eq!((s.position, s.total), (1, 4));
    app.record_answer(&id, "who", "Ann").unwrap();
    let s = app.next_item(&id).unwrap();
    assert_eq!(s.position, 2);
    assert_eq!(names(&s), ["age", "echo"]);
    let page = s.question.as_ref().unwrap().page.as_ref().unwrap();
    assert_eq!(
        (page.path.as_str(), page.label.as_str(), page.table),
        ("/data/contact", "Contact", false)
    );
    assert_eq!(
        page.questions[0].missing.as_deref(),
        Some("this question needs an answer before moving on")
    );

    // Enter on the page with the required age empty is refused, naming the age.
    match app.next_item(&id) {
        Err(Error::Required { item, .. }) => assert_eq!(item, "age"),
        other => panic!("expected a required refusal, got {other:?}"),
    }
    // Each answer is saved on its own; relevance and the calculation follow at once.
    let s = app.record_answer(&id, "/data/contact/age", "30").unwrap();
    assert_eq!(s.position, 2, "answering on a page stays on the page");
    assert_eq!(names(&s), ["age", "smoker", "echo"]);
    let page = s.question.as_ref().unwrap().page.as_ref().unwrap();
    assert_eq!(page.questions[2].label, "Twice your age is 60");
    assert_eq!(page.questions[0].missing, None);
    let s = app
        .record_answer(&id, "/data/contact/smoker", "yes")
        .unwrap();
    assert_eq!(names(&s), ["age", "smoker", "brand", "echo"]);
    let s = app.record_answer(&id, "/data/contact/age", "12").unwrap();
    assert_eq!(
        names(&s),
        ["age", "echo"],
        "smoker and brand go when age drops"
    );

    // A constraint broken on the page is refused with the form's message.
    app.record_answer(&id, "/data/contact/age", "150").unwrap();
    match app.next_item(&id) {
        Err(Error::ConstraintFailed { item, message }) => {
            assert_eq!(
                (item.as_str(), message.as_str()),
                ("age", "Age must be below 120")
            )
        }
        other => panic!("expected a constraint refusal, got {other:?}"),
    }
    app.record_answer(&id, "/data/contact/age", "40").unwrap();
    let s = app.next_item(&id).unwrap();
    assert_eq!(s.position, 3);
    let page = s.question.as_ref().unwrap().page.as_ref().unwrap();
    assert!(page.table, "table-list renders as a grid");
    assert_eq!(names(&s), ["tea", "coffee"]);
    let columns: Vec<&str> = page.questions[0]
        .choices
        .iter()
        .map(|c| c.value.as_str())
        .collect();
    assert_eq!(columns, ["yes", "no"]);
    // Back from the grid returns to the whole contact page; the smoker's kept
    // answer counts again now that the age makes it relevant, so brand is back too.
    let s = app.previous_item(&id).unwrap();
    assert_eq!(s.position, 2);
    assert_eq!(names(&s), ["age", "smoker", "brand", "echo"]);
}

#[test]
fn the_outline_lists_relevant_items_with_their_state_and_a_jump_is_logged() {
    let db = TempDb::new();
    let (app, _clock) = db.app();
    let id = started(&app).interview_id;
    app.record_answer(&id, "who", "Ann").unwrap();
    app.record_answer(&id, "/data/contact/age", "150").unwrap();
    let outline = app.outline(&id).unwrap();
    let rows: Vec<(&str, &str, &str, usize, usize)> = outline
        .iter()
        .map(|i| (i.path.as_str(), i.kind, i.state, i.depth, i.screen))
        .collect();
    assert_eq!(
        rows,
        [
            ("/data/who", "question", "answered", 0, 1),
            ("/data/contact", "group", "", 0, 2),
            ("/data/contact/age", "question", "error", 1, 2),
            ("/data/contact/smoker", "question", "empty", 1, 2),
            ("/data/contact/echo", "question", "empty", 1, 2),
            ("/data/likes", "group", "", 0, 3),
            ("/data/likes/tea", "question", "missing", 1, 3),
            ("/data/likes/coffee", "question", "empty", 1, 3),
            ("/data/story", "question", "empty", 0, 4),
        ]
    );
    // Brand is not relevant (smoker unanswered): not offered, and a jump to it is refused.
    assert!(app.jump_to(&id, "/data/contact/brand").is_err());
    let s = app.jump_to(&id, "/data/story").unwrap();
    assert_eq!((s.position, names(&s)), (4, vec!["story".to_string()]));
    let s = app.jump_to(&id, "/data/likes").unwrap();
    assert_eq!(s.position, 3);
    let s = app.jump_to(&id, "/data/contact/smoker").unwrap();
    assert_eq!(s.position, 2, "a question on a page shows its page");
    let jumps: Vec<String> = app
        .paradata(&id)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "jump")
        .map(|e| e.node.unwrap_or_default())
        .collect();
    assert_eq!(
        jumps,
        ["/data/story", "/data/likes", "/data/contact/smoker"]
    );
}

#[test]
fn the_outline_of_a_two_thousand_question_form_has_every_question() {
    let db = TempDb::new();
    let (app, _clock) = db.app();
    let xml = bigform::big_form();
    let study = app.install_form(xml.as_bytes(), "big.xml").unwrap();
    let id = app.start_interview(&study.id).unwrap().interview_id;
    let outline = app.outline(&id).unwrap();
    let questions = outline.iter().filter(|i| i.kind == "question").count();
    assert!(questions >= 2_000, "{questions} questions in the outline");
    let last = outline.last().unwrap();
    let s = app.jump_to(&id, &last.path).unwrap();
    assert_eq!(s.position, last.screen);
}

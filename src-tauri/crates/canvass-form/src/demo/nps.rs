//! The built-in demo study: a four-item Net Promoter Score questionnaire.
//!
//! It exercises what the walking skeleton must show end to end: a 0–10 score,
//! a follow-up whose wording depends on the score band (detractor 0–6,
//! passive 7–8, promoter 9–10), an optional comment and a closing note.

use super::model::{Choice, Condition, Item, ItemKind, LabelVariant, Questionnaire};

/// The demo questionnaire's id.
pub const DEMO_NPS_ID: &str = "demo_nps";

/// Builds the demo NPS questionnaire.
pub fn demo_nps() -> Questionnaire {
    let band = |min, max| Some(Condition::AnswerBetween { item: "nps".into(), min, max });
    let reasons = [
        ("1", "Product quality"),
        ("2", "Price"),
        ("3", "Customer service"),
        ("4", "Delivery"),
        ("5", "Something else"),
    ];
    Questionnaire {
        id: DEMO_NPS_ID.into(),
        version: "2026-11-22".into(),
        title: "Customer experience (NPS demo)".into(),
        items: vec![
            Item {
                name: "nps".into(),
                kind: ItemKind::Range { min: 0, max: 10 },
                label: vec![LabelVariant {
                    when: None,
                    text: "How likely is it that you would recommend Northwind Coffee to a friend or colleague?"
                        .into(),
                }],
                hint: Some("0 means not at all likely, 10 means extremely likely.".into()),
                required: true,
                relevant: None,
            },
            Item {
                name: "reason".into(),
                kind: ItemKind::SelectOne {
                    choices: reasons
                        .iter()
                        .map(|(n, l)| Choice { name: (*n).into(), label: (*l).into() })
                        .collect(),
                },
                label: vec![
                    LabelVariant {
                        when: band(0, 6),
                        text: "You gave us ${nps}. What is the main reason you would not recommend us?".into(),
                    },
                    LabelVariant {
                        when: band(7, 8),
                        text: "You gave us ${nps}. What would make you more likely to recommend us?".into(),
                    },
                    LabelVariant {
                        when: band(9, 10),
                        text: "You gave us ${nps}. What do you like most about us?".into(),
                    },
                ],
                hint: None,
                required: true,
                relevant: None,
            },
            Item {
                name: "comment".into(),
                kind: ItemKind::Text,
                label: vec![LabelVariant {
                    when: None,
                    text: "Is there anything else you would like to tell us?".into(),
                }],
                hint: Some("Optional. Type the respondent's words.".into()),
                required: false,
                relevant: None,
            },
            Item {
                name: "thanks".into(),
                kind: ItemKind::Note,
                label: vec![LabelVariant {
                    when: None,
                    text: "Thank you for your time. That is the end of the interview.".into(),
                }],
                hint: None,
                required: false,
                relevant: None,
            },
        ],
    }
}

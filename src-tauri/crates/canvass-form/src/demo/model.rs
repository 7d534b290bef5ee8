//! The questionnaire model: items, choices, label variants and the routing rules over them.
//!
//! Values are strings, as in ODK: an integer answer is stored as `"9"`, a
//! select_one answer as the choice's name, an empty string means no answer.
//! Keeping one representation from model to store to export means no layer
//! has to guess how another one encoded a value.

use std::collections::BTreeMap;

use serde::Serialize;

use super::error::{Error, Result};

/// Answers given so far, by item name.
pub type Answers = BTreeMap<String, String>;

/// One questionnaire version: its identity and its items in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Questionnaire {
    /// Stable id of the questionnaire (the XLSForm `form_id`).
    pub id: String,
    /// Version string (the XLSForm `version`); interviews are pinned to it.
    pub version: String,
    /// Title shown to interviewers.
    pub title: String,
    /// Items in form order.
    pub items: Vec<Item>,
}

/// One question or note.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// Unique name, used as the answer's path.
    pub name: String,
    /// What kind of value the item takes.
    pub kind: ItemKind,
    /// Label variants; the first whose condition holds is shown, `when: None` always holds.
    pub label: Vec<LabelVariant>,
    /// Optional hint shown under the label.
    pub hint: Option<String>,
    /// Whether the interviewer must answer before moving on.
    pub required: bool,
    /// Shown only when this holds; `None` means always shown.
    pub relevant: Option<Condition>,
}

/// The kind of value an item takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ItemKind {
    /// A whole number between `min` and `max` inclusive (XLSForm `range`).
    Range { min: i64, max: i64 },
    /// One option out of a list (XLSForm `select_one`).
    SelectOne { choices: Vec<Choice> },
    /// Free text.
    Text,
    /// Text to read or display; takes no answer.
    Note,
}

/// One option of a select question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    /// The stored value.
    pub name: String,
    /// What the interviewer sees.
    pub label: String,
}

/// One wording of a label and the condition under which it applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelVariant {
    /// When this wording applies; `None` means always.
    pub when: Option<Condition>,
    /// The wording, with `${name}` placeholders for earlier answers.
    pub text: String,
}

/// A condition over the answers. The ODK expression language (issue #3) replaces this.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Condition {
    /// Holds when `item` has a whole-number answer between `min` and `max` inclusive.
    AnswerBetween { item: String, min: i64, max: i64 },
}

impl Condition {
    /// Evaluates the condition; a missing or non-numeric answer makes it false, as in ODK.
    pub fn holds(&self, answers: &Answers) -> bool {
        match self {
            Condition::AnswerBetween { item, min, max } => answers
                .get(item)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .is_some_and(|n| (*min..=*max).contains(&n)),
        }
    }
}

impl Questionnaire {
    /// Position of the item called `name`.
    pub fn index_of(&self, name: &str) -> Result<usize> {
        self.items
            .iter()
            .position(|i| i.name == name)
            .ok_or_else(|| Error::UnknownItem { name: name.to_owned() })
    }

    /// The item called `name`.
    pub fn item(&self, name: &str) -> Result<&Item> {
        Ok(&self.items[self.index_of(name)?])
    }

    /// Checks `value` against the item and returns it in canonical form.
    ///
    /// An empty (or all-blank) value clears the answer and is always accepted here;
    /// whether the question may stay empty is [`Questionnaire::check_required`]'s call.
    pub fn validate(&self, name: &str, value: &str) -> Result<String> {
        let item = self.item(name)?;
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return match item.kind {
                ItemKind::Note => Err(Error::NotAnswerable { item: name.to_owned() }),
                _ => Ok(String::new()),
            };
        }
        match &item.kind {
            ItemKind::Range { min, max } => {
                let n: i64 = trimmed.parse().map_err(|_| Error::NotAnInteger {
                    item: name.to_owned(),
                    value: value.to_owned(),
                })?;
                if !(*min..=*max).contains(&n) {
                    return Err(Error::OutOfRange {
                        item: name.to_owned(),
                        value: value.to_owned(),
                        min: *min,
                        max: *max,
                    });
                }
                Ok(n.to_string())
            }
            ItemKind::SelectOne { choices } => choices
                .iter()
                .find(|c| c.name == trimmed)
                .map(|c| c.name.clone())
                .ok_or_else(|| Error::UnknownChoice { item: name.to_owned(), value: value.to_owned() }),
            // Free text keeps the interviewer's spacing inside the text; only the
            // ends are trimmed so that "  " never counts as an answer.
            ItemKind::Text => Ok(trimmed.to_owned()),
            ItemKind::Note => Err(Error::NotAnswerable { item: name.to_owned() }),
        }
    }

    /// Fails with [`Error::Required`] when `name` is required, shown, and unanswered.
    pub fn check_required(&self, name: &str, answers: &Answers) -> Result<()> {
        let item = self.item(name)?;
        let empty = answers.get(name).is_none_or(|v| v.is_empty());
        if item.required && empty && self.is_relevant(item, answers) {
            return Err(Error::Required { item: name.to_owned() });
        }
        Ok(())
    }

    /// The label to show for `item` given the answers so far, with `${name}` piped in.
    pub fn label(&self, item: &Item, answers: &Answers) -> String {
        let text = item
            .label
            .iter()
            .find(|v| v.when.as_ref().is_none_or(|c| c.holds(answers)))
            .map(|v| v.text.as_str())
            .unwrap_or("");
        pipe(text, answers)
    }

    /// Whether the item is shown given the answers.
    pub fn is_relevant(&self, item: &Item, answers: &Answers) -> bool {
        item.relevant.as_ref().is_none_or(|c| c.holds(answers))
    }

    /// The first shown item.
    pub fn first(&self, answers: &Answers) -> Option<usize> {
        self.items.iter().position(|i| self.is_relevant(i, answers))
    }

    /// The next shown item after position `from`, or `None` at the end.
    pub fn next_after(&self, from: usize, answers: &Answers) -> Option<usize> {
        (from + 1..self.items.len()).find(|&i| self.is_relevant(&self.items[i], answers))
    }

    /// The previous shown item before position `from`, or `None` at the start.
    pub fn previous_before(&self, from: usize, answers: &Answers) -> Option<usize> {
        (0..from).rev().find(|&i| self.is_relevant(&self.items[i], answers))
    }
}

/// Replaces `${name}` with the answer to `name` (empty when unanswered), as ODK piping does.
fn pipe(text: &str, answers: &Answers) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                out.push_str(answers.get(name).map(String::as_str).unwrap_or(""));
                rest = &after[end + 1..];
            }
            // An unclosed placeholder is shown as written rather than dropped, so
            // the author sees the typo in the question text.
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::super::demo_nps;

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn piping_replaces_known_names_and_blanks_unknown_ones() {
        let a = answers(&[("nps", "9")]);
        assert_eq!(pipe("You gave ${nps}.", &a), "You gave 9.");
        assert_eq!(pipe("Missing: [${x}]", &a), "Missing: []");
        assert_eq!(pipe("Open ${nps", &a), "Open ${nps");
    }

    #[test]
    fn range_values_are_checked_and_canonical() {
        let q = demo_nps();
        assert_eq!(q.validate("nps", " 07 ").unwrap(), "7");
        assert!(matches!(q.validate("nps", "11"), Err(Error::OutOfRange { .. })));
        assert!(matches!(q.validate("nps", "-1"), Err(Error::OutOfRange { .. })));
        assert!(matches!(q.validate("nps", "nine"), Err(Error::NotAnInteger { .. })));
        assert_eq!(q.validate("nps", "").unwrap(), "");
    }

    #[test]
    fn select_one_accepts_only_listed_choices() {
        let q = demo_nps();
        assert_eq!(q.validate("reason", "2").unwrap(), "2");
        assert!(matches!(q.validate("reason", "9"), Err(Error::UnknownChoice { .. })));
    }

    #[test]
    fn notes_take_no_answer_and_unknown_names_are_reported() {
        let q = demo_nps();
        assert!(matches!(q.validate("thanks", "x"), Err(Error::NotAnswerable { .. })));
        assert!(matches!(q.validate("colour", "x"), Err(Error::UnknownItem { .. })));
    }

    #[test]
    fn follow_up_wording_follows_the_score_band() {
        let q = demo_nps();
        let item = q.item("reason").unwrap();
        let band = |score: &str| q.label(item, &answers(&[("nps", score)]));
        assert!(band("0").contains("not recommend"), "{}", band("0"));
        assert!(band("6").contains("not recommend"));
        assert!(band("7").contains("more likely"), "{}", band("7"));
        assert!(band("8").contains("more likely"));
        assert!(band("9").contains("like most"), "{}", band("9"));
        assert!(band("10").contains("like most"));
        assert!(band("10").contains("10"), "the score is piped into the wording");
    }

    #[test]
    fn required_applies_only_to_empty_answers() {
        let q = demo_nps();
        assert!(matches!(q.check_required("nps", &answers(&[])), Err(Error::Required { .. })));
        assert!(q.check_required("nps", &answers(&[("nps", "0")])).is_ok());
        assert!(q.check_required("comment", &answers(&[])).is_ok());
    }

    #[test]
    fn navigation_walks_the_items_in_order() {
        let q = demo_nps();
        let a = answers(&[]);
        assert_eq!(q.first(&a), Some(0));
        assert_eq!(q.next_after(0, &a), Some(1));
        assert_eq!(q.next_after(q.items.len() - 1, &a), None);
        assert_eq!(q.previous_before(1, &a), Some(0));
        assert_eq!(q.previous_before(0, &a), None);
    }
}

//! The AAPOR-coded outcome table: what each call result means for the case, its number and the rates.
//!
//! Each outcome has a stable local code (its short name, e.g. `no_answer`) and
//! the AAPOR disposition code it maps to (`3.13`), stored apart because several
//! local outcomes share one AAPOR code (soft and hard refusal are both 2.112).
//! The defaults follow queXS's table (cati-model.md section 4); a study may
//! override any field of any outcome and add outcomes of its own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The AAPOR rate class of a disposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RateClass {
    /// Complete interview.
    I,
    /// Partial interview.
    P,
    /// Refusal and break-off.
    R,
    /// Non-contact.
    NC,
    /// Other eligible non-interview.
    O,
    /// Unknown if household.
    UH,
    /// Unknown eligibility, other.
    UO,
    /// Not eligible (left out of every rate).
    NE,
}

/// What kind of result an outcome is, as queXS's `outcome_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// The case goes back to the queue after the delay.
    Temporary,
    /// A refusal that may be converted later.
    Refusal,
    /// The respondent asked to be called at a set time.
    Appointment,
    /// Closes the case (or, with `try_next_number`, only the number).
    Final,
}

/// One row of the outcome table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Stable local code and short name, e.g. `no_answer`.
    pub name: String,
    /// The AAPOR disposition code as a string (`"2.10"` is not `"2.1"`).
    pub aapor: String,
    /// English description for reports.
    pub label: String,
    /// Minimum minutes before the case may be dialled again.
    pub delay_minutes: i64,
    pub kind: OutcomeKind,
    /// Try the case's next phone number on the next attempt.
    pub try_next_number: bool,
    /// This number may be dialled again.
    pub try_again: bool,
    /// A person was reached.
    pub contacted: bool,
    /// The respondent is known to be eligible.
    pub eligible: bool,
    /// The interviewer must type a note.
    pub note_required: bool,
    pub class: RateClass,
    /// The key on the call screen, when the outcome has one.
    #[serde(default)]
    pub key: Option<String>,
}

/// The outcome used when a case closes because attempts ran out and eligibility is unknown.
pub const MAX_ATTEMPTS_UNKNOWN: &str = "max_attempts_unknown";
/// The outcome used when a case closes because attempts ran out and the respondent is known eligible.
pub const MAX_ATTEMPTS_ELIGIBLE: &str = "max_attempts_eligible";
/// The outcome for a respondent whose quota cell is full.
pub const QUOTA_FULL: &str = "quota_full";
/// The outcome recorded for a finished questionnaire.
pub const COMPLETE: &str = "complete";
/// The outcome recorded when the interview was broken off to resume later.
pub const PARTIAL: &str = "partial";

#[allow(clippy::too_many_arguments)]
fn row(
    name: &str,
    aapor: &str,
    label: &str,
    delay_minutes: i64,
    kind: OutcomeKind,
    flags: [bool; 5],
    class: RateClass,
    key: Option<&str>,
) -> Outcome {
    let [try_next_number, contacted, try_again, eligible, note_required] = flags;
    Outcome {
        name: name.into(),
        aapor: aapor.into(),
        label: label.into(),
        delay_minutes,
        kind,
        try_next_number,
        try_again,
        contacted,
        eligible,
        note_required,
        class,
        key: key.map(str::to_owned),
    }
}

/// The built-in table. Flags are, in queXS's order: try next number, contacted,
/// try again, eligible, note required.
pub fn default_outcomes() -> Vec<Outcome> {
    use OutcomeKind::*;
    use RateClass::*;
    const T: bool = true;
    const F: bool = false;
    vec![
        row(
            COMPLETE,
            "1.1",
            "Complete",
            0,
            Final,
            [F, T, F, T, F],
            I,
            None,
        ),
        row(
            PARTIAL,
            "1.2",
            "Partial (interview broken off, to resume)",
            0,
            Temporary,
            [F, T, T, T, F],
            P,
            None,
        ),
        row(
            "refusal_soft",
            "2.112",
            "Soft refusal, respondent",
            10080,
            Refusal,
            [F, T, T, T, T],
            R,
            Some("r"),
        ),
        row(
            "refusal_hard",
            "2.112",
            "Hard refusal, respondent (final)",
            0,
            Final,
            [F, T, F, T, T],
            R,
            Some("h"),
        ),
        row(
            "refusal_household",
            "2.111",
            "Household-level refusal (final)",
            0,
            Final,
            [F, T, F, T, F],
            R,
            None,
        ),
        row(
            "break_off",
            "2.12",
            "Break-off",
            1440,
            Refusal,
            [F, T, T, T, F],
            R,
            Some("k"),
        ),
        row(
            "appointment",
            "2.12",
            "Appointment made (definite)",
            0,
            Appointment,
            [F, T, T, T, F],
            R,
            Some("a"),
        ),
        row(
            "no_answer",
            "3.13",
            "No answer",
            180,
            Temporary,
            [T, F, T, T, F],
            UH,
            Some("n"),
        ),
        row(
            "busy",
            "3.12",
            "Busy",
            15,
            Temporary,
            [F, F, T, F, F],
            UH,
            Some("b"),
        ),
        row(
            "answering_machine_message",
            "2.221",
            "Answering machine, message left",
            180,
            Temporary,
            [T, T, T, T, F],
            NC,
            Some("m"),
        ),
        row(
            "answering_machine_no_message",
            "2.222",
            "Answering machine, no message left",
            180,
            Temporary,
            [T, T, T, T, F],
            NC,
            Some("v"),
        ),
        row(
            "answering_machine_unknown",
            "3.14",
            "Answering device, not known if household",
            180,
            Temporary,
            [T, F, T, F, F],
            UH,
            None,
        ),
        row(
            "technical",
            "3.16",
            "Technical phone problems",
            180,
            Temporary,
            [T, F, T, F, F],
            UH,
            None,
        ),
        row(
            "respondent_unavailable",
            "2.21",
            "Respondent not available now",
            180,
            Temporary,
            [F, T, T, T, F],
            NC,
            Some("u"),
        ),
        row(
            "language",
            "2.332",
            "Respondent language problem",
            0,
            Final,
            [F, T, F, T, F],
            O,
            Some("l"),
        ),
        row(
            "language_household",
            "2.331",
            "Household-level language problem",
            0,
            Final,
            [T, T, F, T, F],
            O,
            None,
        ),
        row(
            "dead",
            "2.31",
            "Respondent dead",
            0,
            Final,
            [F, T, F, T, F],
            O,
            None,
        ),
        row(
            "unable",
            "2.32",
            "Physically or mentally unable",
            0,
            Final,
            [F, T, F, T, F],
            O,
            None,
        ),
        row(
            "fax",
            "4.20",
            "Fax/data line",
            0,
            Final,
            [T, T, F, F, F],
            NE,
            Some("f"),
        ),
        row(
            "non_working",
            "4.31",
            "Non-working number",
            0,
            Final,
            [T, F, F, F, F],
            NE,
            None,
        ),
        row(
            "disconnected",
            "4.32",
            "Disconnected number",
            0,
            Final,
            [T, F, F, F, F],
            NE,
            Some("d"),
        ),
        row(
            "wrong_number",
            "4.51",
            "Wrong number: business, government office or other organization",
            0,
            Final,
            [T, T, F, F, F],
            NE,
            Some("w"),
        ),
        row(
            "out_of_sample",
            "4.10",
            "Out of sample",
            0,
            Final,
            [F, T, F, F, F],
            NE,
            None,
        ),
        row(
            "ineligible",
            "4.70",
            "No eligible respondent",
            0,
            Final,
            [T, T, F, F, F],
            NE,
            Some("i"),
        ),
        row(
            QUOTA_FULL,
            "4.80",
            "Quota filled",
            0,
            Final,
            [F, T, F, F, F],
            NE,
            None,
        ),
        row(
            MAX_ATTEMPTS_UNKNOWN,
            "3.90",
            "Maximum attempts reached (unknown eligibility)",
            0,
            Final,
            [F, F, F, F, F],
            UH,
            None,
        ),
        row(
            MAX_ATTEMPTS_ELIGIBLE,
            "2.30",
            "Maximum attempts reached (eligible)",
            0,
            Final,
            [F, F, F, T, F],
            O,
            None,
        ),
    ]
}

/// A study's outcome table: the defaults with its overrides applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeTable {
    by_name: BTreeMap<String, Outcome>,
}

impl Default for OutcomeTable {
    fn default() -> Self {
        OutcomeTable::new(default_outcomes())
    }
}

impl OutcomeTable {
    /// A table of exactly these outcomes.
    pub fn new(outcomes: Vec<Outcome>) -> OutcomeTable {
        OutcomeTable {
            by_name: outcomes.into_iter().map(|o| (o.name.clone(), o)).collect(),
        }
    }

    /// Replaces or adds an outcome (a study's override).
    pub fn set(&mut self, outcome: Outcome) {
        self.by_name.insert(outcome.name.clone(), outcome);
    }

    /// Every outcome, by name.
    pub fn all(&self) -> impl Iterator<Item = &Outcome> {
        self.by_name.values()
    }

    /// The outcome with this short name.
    pub fn get(&self, name: &str) -> Option<&Outcome> {
        self.by_name.get(name)
    }

    /// Finds an outcome by short name or AAPOR code. An AAPOR code shared by
    /// several outcomes resolves to the one whose name sorts first among those
    /// with a screen key, then among all; `None` when nothing matches.
    pub fn find(&self, code: &str) -> Option<&Outcome> {
        if let Some(o) = self.by_name.get(code) {
            return Some(o);
        }
        let mut matching: Vec<&Outcome> =
            self.by_name.values().filter(|o| o.aapor == code).collect();
        matching.sort_by_key(|o| (o.key.is_none(), o.name.clone()));
        matching.first().copied()
    }
}

//! Random valid walks: a steps file that fills a form the way an interviewer could, for test data and load tests.
//!
//! The walk goes through the form in document order, re-reading relevance after
//! every answer, so it only answers questions that are shown at that moment.
//! Each value is drawn for the question's type from a seeded generator and kept
//! only if the form's constraint accepts it; optional questions are sometimes
//! left blank, and interviewer-controlled repeats get one to three instances.
//! The same form, seed and context always give the same steps.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::expr::{Context, NodeId};
use crate::model::{NodeKind, QuestionType, RepeatCount};
use crate::{Instance, Questionnaire};

/// How many values to try before giving up on a question's constraint.
const TRIES: usize = 60;

/// Returns `{"seed": N, "steps": [...]}` in the replay format for a random valid walk through `form`.
pub fn random_walk(form: &Questionnaire, seed: u64, ctx: Context) -> Value {
    let mut inst = Instance::new(form.clone(), ctx);
    let mut rng = Rng::new(seed);
    let mut steps = Vec::new();
    let mut visited: HashSet<String> = HashSet::new();
    // Each pass handles the first unvisited node; a node is visited once, so the
    // loop ends after at most one pass per node (bounded for hostile forms too).
    let limit = 20 * (inst.all_nodes().len() + 10) + 10_000;
    for _ in 0..limit {
        let Some(id) = inst
            .all_nodes()
            .into_iter()
            .find(|&id| !visited.contains(&inst.path_of_node(id)))
        else {
            break;
        };
        let path = inst.path_of_node(id);
        visited.insert(path.clone());
        let Some(model) = inst
            .model_of(id)
            .and_then(|m| inst.form().nodes.get(m))
            .cloned()
        else {
            continue;
        };
        if !inst.state_of(id).relevant {
            continue;
        }
        match &model.kind {
            NodeKind::Repeat {
                count: RepeatCount::User,
            } if path.ends_with("[1]") => {
                let range = path.trim_end_matches("[1]").to_owned();
                for _ in 1..1 + rng.below(3) {
                    if inst.add_repeat(&range).is_ok() {
                        steps.push(json!({ "add_repeat": range }));
                    }
                }
            }
            NodeKind::Question(t) => answer(&mut inst, &mut rng, id, &path, t, &mut steps),
            _ => {}
        }
    }
    json!({ "seed": seed, "steps": steps })
}

fn answer(
    inst: &mut Instance,
    rng: &mut Rng,
    id: NodeId,
    path: &str,
    t: &QuestionType,
    steps: &mut Vec<Value>,
) {
    let state = inst.state_of(id);
    if state.read_only || !state.value.is_empty() {
        return;
    }
    // Leave about one optional question in five blank, as real interviews do.
    if !state.required && rng.below(5) == 0 {
        return;
    }
    for _ in 0..TRIES {
        let Some(value) = candidate(inst, rng, id, t) else {
            return;
        };
        if inst.set_answer(path, &value).is_err() {
            return;
        }
        if inst.state_of(id).constraint_ok {
            steps.push(json!({ "set": path, "value": value }));
            return;
        }
    }
    // No value satisfied the constraint: leave the question blank rather than
    // record an answer the form refuses.
    let _ = inst.set_answer(path, "");
}

/// A random value of the question's type, or `None` for types a walk does not fill.
fn candidate(inst: &Instance, rng: &mut Rng, id: NodeId, t: &QuestionType) -> Option<String> {
    Some(match t {
        // Numbers are drawn at a random magnitude (units to thousands) so that
        // narrow constraints such as a child's weight or an age band get hit.
        QuestionType::Integer => {
            let m = magnitude(rng);
            rng.below(m).to_string()
        }
        // Typed as a person would, `8` rather than `8.0` for a whole number, so that a form
        // copying the text (`string` calculates) reads the same in every engine.
        QuestionType::Decimal => {
            let m = magnitude(rng);
            match (rng.below(m), rng.below(10)) {
                (units, 0) => units.to_string(),
                (units, tenths) => format!("{units}.{tenths}"),
            }
        }
        QuestionType::Range { start, end, step } => {
            let steps = if *step > 0.0 {
                ((end - start) / step).floor().max(0.0) as u64
            } else {
                0
            };
            let v = start + step * rng.below(steps + 1) as f64;
            if v.fract() == 0.0 {
                (v as i64).to_string()
            } else {
                v.to_string()
            }
        }
        QuestionType::SelectOne => {
            let choices = inst.choices_of(id);
            choices
                .get(rng.below(choices.len() as u64) as usize)?
                .clone()
        }
        QuestionType::SelectMultiple => {
            let choices = inst.choices_of(id);
            if choices.is_empty() {
                return None;
            }
            let picked: Vec<String> = choices
                .iter()
                .filter(|_| rng.below(3) == 0)
                .cloned()
                .collect();
            if picked.is_empty() {
                choices[rng.below(choices.len() as u64) as usize].clone()
            } else {
                picked.join(" ")
            }
        }
        QuestionType::Rank => {
            let mut choices = inst.choices_of(id);
            for i in (1..choices.len()).rev() {
                choices.swap(i, rng.below(i as u64 + 1) as usize);
            }
            choices.join(" ")
        }
        // Forms often keep numbers in text fields (XForm `string` with a numeric
        // constraint), so text candidates are sometimes numbers too.
        QuestionType::Text | QuestionType::Barcode => match rng.below(3) {
            0 => format!("text {}", rng.below(100_000)),
            1 => {
                let m = magnitude(rng);
                rng.below(m).to_string()
            }
            _ => {
                let m = magnitude(rng);
                format!("{}.{}", rng.below(m), rng.below(10))
            }
        },
        QuestionType::Date => date(rng),
        QuestionType::Time => format!("{:02}:{:02}:00.000+00:00", rng.below(24), rng.below(60)),
        QuestionType::DateTime => format!(
            "{}T{:02}:{:02}:00.000+00:00",
            date(rng),
            rng.below(24),
            rng.below(60)
        ),
        QuestionType::Geopoint => {
            format!(
                "{:.5} {:.5} 0 10",
                rng.below(140_000) as f64 / 1000.0 - 70.0,
                rng.below(340_000) as f64 / 1000.0 - 170.0
            )
        }
        QuestionType::Acknowledge => "OK".into(),
        _ => return None,
    })
}

/// An upper bound of 10 or 100, and now and then 1,000.
///
/// Larger numbers are rare on purpose: a number may be a `repeat_count`, and a
/// walk that creates thousands of repeat instances is no longer useful test data.
fn magnitude(rng: &mut Rng) -> u64 {
    match rng.below(8) {
        0 => 1_000,
        1..=3 => 10,
        _ => 100,
    }
}

/// A day between 2000-01-01 and about 2027.
fn date(rng: &mut Rng) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    (base + chrono::Duration::days(rng.below(10_000) as i64))
        .format("%Y-%m-%d")
        .to_string()
}

/// xorshift64*: small, fast and the same on every platform, which is all a test-data walk needs.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            now: chrono::DateTime::parse_from_rfc3339("2025-01-15T10:00:00+00:00").unwrap(),
            random_seed: 7,
            language: None,
        }
    }

    /// Every step of a walk applies, and the final state has no required blank and no broken constraint.
    #[test]
    fn walks_are_valid_and_reproducible_on_corpus_forms() {
        // vm_liberia_std_form.xlsx (a ~100-member roster, 3,000 steps) also walks
        // cleanly, but takes 20 s in a debug build: the walk re-lists the nodes
        // after every answer, which is quadratic on very large rosters.
        for name in [
            "px_tutorial.xls",
            "wf_all_question_types.xlsx",
            "px_cascading_select.xls",
            "wf_nested_repeat.xml",
            "wf_validation.xml",
            "wf_socio_economic_survey.xlsx",
        ] {
            let bytes = crate::test_util::corpus(name);
            let form = crate::import_form(&bytes, name).form.unwrap();
            for seed in [1, 2] {
                let walk = random_walk(&form, seed, ctx());
                assert_eq!(
                    walk,
                    random_walk(&form, seed, ctx()),
                    "{name} seed {seed}: not reproducible"
                );
                // Apply the steps to a fresh interview, as replay and `interview run` do.
                let mut inst = Instance::new(form.clone(), ctx());
                for step in walk["steps"].as_array().unwrap() {
                    let applied = match (step["set"].as_str(), step["add_repeat"].as_str()) {
                        (Some(path), _) => inst
                            .set_answer(path, step["value"].as_str().unwrap())
                            .map(|_| ()),
                        (_, Some(range)) => inst.add_repeat(range).map(|_| ()),
                        _ => panic!("unexpected step {step}"),
                    };
                    assert!(
                        applied.is_ok(),
                        "{name} seed {seed}: {step} failed: {applied:?}"
                    );
                }
                for state in inst.snapshot() {
                    assert!(state.constraint_ok, "{name} seed {seed}: {state:?}");
                    assert!(
                        state.required_ok,
                        "{name} seed {seed}: a required question left blank: {state:?}"
                    );
                }
            }
        }
    }
}

//! Rebuilding an interview's instance from its stored answers, and the evaluation context of an interview.
//!
//! The device resumes drafts with these, and the data exports (on the device
//! and on the server) replay a finished interview's answers through the engine
//! to get its final record; keeping them here means both sides compute the
//! record the same way. Pure: the clock reading comes in as an argument.

use chrono::{DateTime, FixedOffset, Offset, Utc};

use crate::expr::Context;
use crate::{Instance, Questionnaire};

/// Rebuilds an interview's instance from its stored answers.
///
/// Repeat instances named in the paths (`/data/member[3]/age`) are added first,
/// so answers land where they were given.
pub fn rebuild(form: &Questionnaire, ctx: Context, answers: &[(String, String)]) -> Instance {
    rebuild_with_preload(form, ctx, answers, &std::collections::BTreeMap::new())
}

/// [`rebuild`] for an interview started for a case, with its `${case.NAME}` preload values.
pub fn rebuild_with_preload(
    form: &Questionnaire,
    ctx: Context,
    answers: &[(String, String)],
    preload: &std::collections::BTreeMap<String, String>,
) -> Instance {
    let mut inst = Instance::with_preload(form.clone(), ctx, preload);
    for (path, _) in answers {
        ensure_repeats(&mut inst, path);
    }
    // One evaluation of the whole form instead of one propagation per answer: a
    // 2,000-question draft resumes in milliseconds rather than seconds.
    let later: Vec<(String, String)> = inst.load_answers(answers).into_iter().cloned().collect();
    for (path, value) in &later {
        ensure_repeats(&mut inst, path);
        // An answer whose question no longer exists (a form change) stays in the
        // store and out of the instance; the move-to-new-version flow lists it.
        let _ = inst.set_answer(path, value);
    }
    inst
}

/// How many instances the repeat range at `range_path` (`/data/hh[1]/member`) has now.
pub fn instance_count(inst: &Instance, range_path: &str) -> usize {
    (1..)
        .take_while(|k| inst.find(&format!("{range_path}[{k}]")).is_some())
        .count()
}

/// Adds repeat instances until every `[k]` step of `path` exists.
pub fn ensure_repeats(inst: &mut Instance, path: &str) {
    let mut prefix = String::new();
    for step in path.split('/').filter(|s| !s.is_empty()) {
        prefix.push('/');
        prefix.push_str(step);
        if let Some((name, index)) = step.strip_suffix(']').and_then(|s| s.split_once('[')) {
            let range = format!("{}{name}", &prefix[..prefix.len() - step.len()]);
            let Ok(k) = index.parse::<usize>() else {
                return;
            };
            // Bounded by k: each successful add creates one more instance.
            for _ in 0..k {
                if inst.find(&prefix).is_some() || inst.add_repeat(&range).is_err() {
                    break;
                }
            }
        }
    }
}

/// The evaluation context of an interview: its clock reading, a seed stable for
/// the interview (so randomized choices keep their order), and the language.
pub fn context(
    now_ms: i64,
    offset_min: i32,
    interview_id: &str,
    language: Option<String>,
) -> Context {
    // An offset beyond ±24 h cannot come from a real clock; UTC is the safe reading.
    let offset = FixedOffset::east_opt(offset_min * 60).unwrap_or_else(|| Utc.fix());
    let now = DateTime::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .with_timezone(&offset);
    Context {
        now,
        random_seed: seed_of(interview_id),
        language,
    }
}

/// FNV-1a of the interview id: a stable seed that needs no storage.
pub fn seed_of(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

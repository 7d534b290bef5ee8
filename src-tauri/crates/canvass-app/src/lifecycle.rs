//! Interview lifecycle use cases beyond answering: language switch, roster removal, break-off, and moving a draft to a new version.
//!
//! Each follows the rule of `interview.rs`: the change is tried on a copy of
//! the engine instance, committed with its paradata in one store `Write`, and
//! only then applied to the cached instance.

use std::collections::HashMap;
use std::sync::Arc;

use canvass_form::model::{NodeKind, RepeatCount};
use canvass_form::{Instance, Questionnaire};
use canvass_store::{InterviewRow, NewEvent};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::interview::{ensure_open, find_form, version_of, App, Inner, Screen};
use crate::runner;

/// What moving a draft to another questionnaire version did, or would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionMove {
    pub interview_id: String,
    pub from_version: String,
    pub to_version: String,
    /// Answers carried over, by their path in the new version.
    pub carried: usize,
    /// Answers that no longer fit, with the reason; they stay in the session log.
    pub misfits: Vec<Misfit>,
    /// Whether the move was made (false for a preview).
    pub applied: bool,
}

/// An answer that could not be carried to the new version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Misfit {
    /// Its path in the old version (in the new one when `kept`).
    pub path: String,
    pub value: String,
    pub reason: String,
    /// True when the answer was carried over but breaks a rule of the new version;
    /// false when it could not be carried and lives on only in the session log.
    pub kept: bool,
}

impl App {
    /// Shows the interview's questions in `language` (a name from the form, or empty for the
    /// form's default), logs the switch, and resumes in that language later.
    pub fn set_language(&self, interview_id: &str, language: &str) -> Result<Screen> {
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        let form = find_form(&self.forms(), &row)?;
        if !language.is_empty() && !form.languages.iter().any(|l| l == language) {
            return Err(Error::UnknownLanguage {
                language: language.to_owned(),
                available: form.languages.clone(),
            });
        }
        let old = self.instance(&mut inner, &row)?.context().language.clone();
        if old.as_deref().unwrap_or("") == language {
            return self.screen_in(&mut inner, interview_id);
        }
        let Inner {
            store,
            sessions,
            instances,
        } = &mut *inner;
        let w = store.write(interview_id)?;
        let session = self.session(&w, sessions, &row)?;
        w.event(&NewEvent {
            kind: "language".into(),
            node: row.current_item.clone(),
            old_value: old,
            new_value: Some(language.to_owned()),
            ..self.instant(&session)
        })?;
        w.commit()?;
        if let Some(inst) = instances.get_mut(interview_id) {
            inst.set_language((!language.is_empty()).then(|| language.to_owned()));
        }
        self.screen_in(&mut inner, interview_id)
    }

    /// Removes one instance of an interviewer-controlled repeat (`/data/member[2]`) with
    /// everything answered in it; later instances renumber down, as in ODK.
    ///
    /// The removed answers are kept in the `repeat_delete` event, so a removal
    /// made by mistake can be read back from the session log.
    pub fn remove_repeat(&self, interview_id: &str, instance_path: &str) -> Result<Screen> {
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        let (range, index) = split_instance(instance_path)?;
        let (trial, count, current) = {
            let inst = self.instance(&mut inner, &row)?;
            let not_removable = |reason: &str| Error::NotARepeatInstance {
                path: instance_path.to_owned(),
                reason: reason.to_owned(),
            };
            if inst.find(instance_path).is_none() {
                return Err(not_removable("the interview has no such instance"));
            }
            let siblings = runner::instance_count(inst, &range);
            let mut trial = inst.clone();
            trial
                .remove_repeat(instance_path)
                .map_err(|e| not_removable(&e.to_string()))?;
            // Where the interviewer stands afterwards: the same question renumbered,
            // or, when it was inside the removed instance, the next screen after it.
            let old_screens: Vec<String> = runner::screens(inst)
                .into_iter()
                .map(|n| inst.path_of_node(n))
                .collect();
            let at = runner::position(inst, &runner::screens(inst), row.current_item.as_deref());
            let current = old_screens
                .get(at)
                .and_then(|p| renumber(p, &range, index))
                .or_else(|| {
                    old_screens[at.min(old_screens.len())..]
                        .iter()
                        .find_map(|p| renumber(p, &range, index))
                })
                .or_else(|| {
                    runner::screens(&trial)
                        .last()
                        .map(|&n| trial.path_of_node(n))
                });
            (trial, siblings, current)
        };
        let now = self.clock.now_ms();
        let Inner {
            store,
            sessions,
            instances,
        } = &mut *inner;
        let w = store.write(interview_id)?;
        let session = self.session(&w, sessions, &row)?;
        let removed = w.remove_repeat_instance(&range, index, count, now)?;
        let removed: Vec<(String, String)> =
            removed.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        w.close_spans(&session.id, self.offset(&session))?;
        w.event(&NewEvent {
            kind: "repeat_delete".into(),
            node: Some(instance_path.to_owned()),
            old_value: (!removed.is_empty()).then(|| {
                serde_json::to_string(&removed.iter().cloned().collect::<HashMap<_, _>>())
                    .unwrap_or_default()
            }),
            ..self.instant(&session)
        })?;
        if let Some(path) = &current {
            w.set_current_item(Some(path), now)?;
            w.event(&self.span(&session, path))?;
        }
        w.commit()?;
        instances.insert(interview_id.to_owned(), trial);
        self.screen_in(&mut inner, interview_id)
    }

    /// Stops an interview the respondent will not finish now (a partial, AAPOR 1.2 in CATI):
    /// closes the session with a `break_off` event and marks it `broken_off`. Its answers
    /// stay, and it can be resumed later, e.g. at a callback.
    pub fn break_off_interview(&self, interview_id: &str, reason: &str) -> Result<()> {
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        let now = self.clock.now_ms();
        let Inner {
            store, sessions, ..
        } = &mut *inner;
        let w = store.write(interview_id)?;
        let session = self.session(&w, sessions, &row)?;
        w.close_spans(&session.id, self.offset(&session))?;
        w.event(&NewEvent {
            kind: "break_off".into(),
            node: row.current_item.clone(),
            new_value: (!reason.is_empty()).then(|| reason.to_owned()),
            ..self.instant(&session)
        })?;
        w.set_status("broken_off", now)?;
        w.commit()?;
        sessions.remove(interview_id);
        Ok(())
    }

    /// Moves a draft to another installed version of its questionnaire, carrying answers over
    /// by question name (and repeat position). With `apply` false it only reports what would
    /// happen, so the interviewer sees the misfits before agreeing.
    ///
    /// Answers that no longer fit (the question is gone, or the value is not allowed any
    /// more) are listed and kept in the `version_change` event's old value, never dropped silently.
    pub fn move_to_version(
        &self,
        interview_id: &str,
        to_version: &str,
        apply: bool,
    ) -> Result<VersionMove> {
        let forms = self.forms();
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        if row.questionnaire_version == to_version {
            return Err(Error::SameVersion {
                id: row.id.clone(),
                version: to_version.to_owned(),
            });
        }
        let target = forms
            .iter()
            .rev()
            .find(|f| f.id == row.questionnaire_id && version_of(f) == to_version)
            .cloned()
            .ok_or_else(|| Error::QuestionnaireMissing {
                id: row.questionnaire_id.clone(),
                version: to_version.to_owned(),
            })?;
        let language = self.instance(&mut inner, &row)?.context().language.clone();
        let stored = inner.store.answers(interview_id)?;
        let ctx = runner::context(
            self.clock.now_ms(),
            self.clock.utc_offset_min(),
            interview_id,
            language.filter(|l| target.languages.contains(l)),
        );
        let mut trial = Instance::new(Questionnaire::clone(&target), ctx);
        let repeats = repeat_paths(&target);
        let mut carried: Vec<(String, String)> = Vec::new();
        let mut misfits = Vec::new();
        for a in stored {
            let misfit = |reason: String| Misfit {
                path: a.item_path.clone(),
                value: a.value.clone(),
                reason,
                kept: false,
            };
            let Some(new_path) = map_path(&target, &repeats, &a.item_path) else {
                if !a.value.is_empty() {
                    misfits.push(misfit(
                        "the new version has no question of this name".into(),
                    ));
                }
                continue;
            };
            runner::ensure_repeats(&mut trial, &new_path);
            if a.value.is_empty() {
                // A repeat-instance marker: it only needs the instance to exist.
                if trial.find(&new_path).is_some() {
                    carried.push((new_path, String::new()));
                }
                continue;
            }
            let Some(node) = trial.find(&new_path) else {
                misfits.push(misfit(
                    "the question's repeat no longer takes this position".into(),
                ));
                continue;
            };
            match runner::check_value(&trial, node, &a.value) {
                Ok(canonical) => {
                    if trial.set_answer(&new_path, &canonical).is_ok() {
                        carried.push((new_path, canonical));
                    } else {
                        misfits.push(misfit("the new version refuses this answer".into()));
                    }
                }
                Err(e) => misfits.push(misfit(e.to_string())),
            }
        }
        // Answers that were carried but break a rule of the new version (a tighter
        // constraint) are kept, as ODK keeps them, and listed so the interviewer fixes them.
        for (path, value) in &carried {
            let Some(node) = trial.find(path) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            if let Some(problem) = runner::blocking_problem(&trial, node) {
                if !matches!(problem, Error::Required { .. }) {
                    misfits.push(Misfit {
                        path: path.clone(),
                        value: value.clone(),
                        reason: problem.to_string(),
                        kept: true,
                    });
                }
            }
        }
        let report = VersionMove {
            interview_id: row.id.clone(),
            from_version: row.questionnaire_version.clone(),
            to_version: to_version.to_owned(),
            carried: carried.iter().filter(|(_, v)| !v.is_empty()).count(),
            misfits,
            applied: apply,
        };
        if !apply {
            return Ok(report);
        }
        let current = {
            let screens = runner::screens(&trial);
            let mapped = row
                .current_item
                .as_deref()
                .and_then(|p| map_path(&target, &repeats, p));
            let at = runner::position(&trial, &screens, mapped.as_deref());
            screens.get(at).map(|&n| trial.path_of_node(n))
        };
        let now = self.clock.now_ms();
        let Inner {
            store,
            sessions,
            instances,
        } = &mut *inner;
        let w = store.write(interview_id)?;
        let session = self.session(&w, sessions, &row)?;
        w.close_spans(&session.id, self.offset(&session))?;
        w.move_to_version(to_version, &carried, current.as_deref(), now)?;
        w.event(&NewEvent {
            kind: "version_change".into(),
            old_value: Some(row.questionnaire_version.clone()),
            new_value: Some(to_version.to_owned()),
            extra: (!report.misfits.is_empty())
                .then(|| serde_json::to_string(&report.misfits).unwrap_or_default()),
            ..self.instant(&session)
        })?;
        if let Some(path) = &current {
            w.event(&self.span(&session, path))?;
        }
        w.commit()?;
        instances.insert(interview_id.to_owned(), trial);
        Ok(report)
    }

    /// Installed versions of the study newer than the one this draft is pinned to, newest last.
    pub fn newer_versions(&self, interview_id: &str) -> Result<Vec<String>> {
        let forms = self.forms();
        let row = self.lock().store.interview(interview_id)?;
        Ok(newer_versions_in(&forms, &row))
    }
}

/// Versions of `row`'s study installed after the one it is pinned to, newest last.
pub(crate) fn newer_versions_in(forms: &[Arc<Questionnaire>], row: &InterviewRow) -> Vec<String> {
    let mut seen = false;
    let mut out = Vec::new();
    // Forms are kept in installation order, so "newer" means installed later.
    for f in forms.iter().filter(|f| f.id == row.questionnaire_id) {
        let v = version_of(f);
        if seen && v != row.questionnaire_version && !out.contains(&v) {
            out.push(v);
        } else if v == row.questionnaire_version {
            seen = true;
        }
    }
    out
}

/// `/data/hh[1]/member[2]` → (`/data/hh[1]/member`, 2).
fn split_instance(path: &str) -> Result<(String, usize)> {
    let bad = || Error::NotARepeatInstance {
        path: path.to_owned(),
        reason: "a repeat instance path ends with its position, e.g. /data/member[2]".into(),
    };
    let body = path.strip_suffix(']').ok_or_else(bad)?;
    let (range, index) = body.rsplit_once('[').ok_or_else(bad)?;
    let index: usize = index.parse().map_err(|_| bad())?;
    if index == 0 || range.ends_with('/') || range.is_empty() {
        return Err(bad());
    }
    Ok((range.to_owned(), index))
}

/// The path `path` takes after instance `index` of `range` is removed: `None` inside
/// the removed instance, one position lower in a later instance, unchanged elsewhere.
fn renumber(path: &str, range: &str, index: usize) -> Option<String> {
    let Some(rest) = path.strip_prefix(range).and_then(|r| r.strip_prefix('[')) else {
        return Some(path.to_owned());
    };
    let Some((k, tail)) = rest.split_once(']') else {
        return Some(path.to_owned());
    };
    let Ok(k) = k.parse::<usize>() else {
        return Some(path.to_owned());
    };
    if tail.starts_with('/') || tail.is_empty() {
        match k.cmp(&index) {
            std::cmp::Ordering::Less => Some(path.to_owned()),
            std::cmp::Ordering::Equal => None,
            std::cmp::Ordering::Greater => Some(format!("{range}[{}]{tail}", k - 1)),
        }
    } else {
        // A sibling whose name merely starts with the range's name (`member_count`).
        Some(path.to_owned())
    }
}

/// Model paths of the form's repeats, to know which steps of a path take a position.
fn repeat_paths(form: &Questionnaire) -> Vec<String> {
    form.nodes
        .iter()
        .filter(|n| {
            matches!(
                n.kind,
                NodeKind::Repeat {
                    count: RepeatCount::User | RepeatCount::Fixed(_) | RepeatCount::Dynamic(_)
                }
            )
        })
        .map(|n| n.path.clone())
        .collect()
}

/// Where an answer stored at `old_path` belongs in `form`: the question of the same name,
/// with the repeat positions of the old path applied to the new path's repeats by name.
fn map_path(form: &Questionnaire, repeats: &[String], old_path: &str) -> Option<String> {
    let steps: Vec<(&str, Option<usize>)> = old_path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_suffix(']').and_then(|b| b.split_once('[')) {
                Some((name, k)) => (name, k.parse().ok()),
                None => (s, None),
            },
        )
        .collect();
    let (name, _) = *steps.last()?;
    let positions: HashMap<&str, usize> = steps
        .iter()
        .filter_map(|(n, k)| k.map(|k| (*n, k)))
        .collect();
    let matches = form.by_name(name);
    let [one] = matches.as_slice() else {
        return None;
    };
    let model_path = &form.nodes.get(*one)?.path;
    let mut out = String::new();
    for step in model_path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(step);
        if repeats.iter().any(|r| r == &out) {
            let k = positions.get(step).copied().unwrap_or(1);
            out.push_str(&format!("[{k}]"));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renumbering_follows_odk() {
        let r = "/data/member";
        assert_eq!(
            renumber("/data/member[1]/age", r, 2).as_deref(),
            Some("/data/member[1]/age")
        );
        assert_eq!(renumber("/data/member[2]/age", r, 2), None);
        assert_eq!(renumber("/data/member[2]", r, 2), None);
        assert_eq!(
            renumber("/data/member[3]/age", r, 2).as_deref(),
            Some("/data/member[2]/age")
        );
        assert_eq!(
            renumber("/data/member_count", r, 2).as_deref(),
            Some("/data/member_count")
        );
        assert_eq!(renumber("/data/end", r, 2).as_deref(), Some("/data/end"));
    }

    #[test]
    fn instance_paths_split_into_range_and_position() {
        assert_eq!(
            split_instance("/data/hh[1]/member[2]").unwrap(),
            ("/data/hh[1]/member".to_owned(), 2)
        );
        assert!(split_instance("/data/member").is_err());
        assert!(split_instance("/data/member[0]").is_err());
        assert!(split_instance("[2]").is_err());
    }
}

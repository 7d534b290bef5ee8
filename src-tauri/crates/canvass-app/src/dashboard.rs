//! Dashboards: completes and response rates per interviewer and per day, interview length, and the CX scores NPS, CSAT and CES by segment and wave.
//!
//! The figures come from the completed interviews this device holds. Each
//! interview's final record comes from the engine when the form can hide
//! answers (as in the data export), so an answer that relevance hid never
//! counts. A form marks its score questions with the XLSForm column
//! `canvass::metric` (`nps`, `csat`, `ces`, `segment`, `wave`); without it a
//! top-level question named exactly so (any case) is taken.
//!
//! Definitions (also in the README):
//! - NPS: % promoters (9–10) minus % detractors (0–6) of 0–10 answers, in points.
//! - CSAT: % of 1–5 answers that are 4 or 5 (top-2 box).
//! - CES: the mean of the answers.
//! - Response rate: units (CATI cases, CAPI assignments) with a completed interview
//!   divided by units worked (called, visited or completed), per interviewer or per
//!   UTC day; absent when nothing was called or visited.
//! - Interview length: minutes spent in the interview by its session log (each
//!   session's first event to its last, summed), so a pause or a callback between
//!   sessions does not count; completion minus start when no log is held.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use canvass_form::model::{NodeKind, QuestionType};
use canvass_form::Questionnaire;
use canvass_store::ExportFilter;

use crate::error::{Error, Result};
use crate::interview::App;

/// The five kinds of question a dashboard reads.
pub const METRICS: [&str; 5] = ["nps", "csat", "ces", "segment", "wave"];

/// A whole study's dashboard.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CxReport {
    pub study: String,
    pub title: String,
    /// Completed interviews counted.
    pub completes: usize,
    pub median_minutes: Option<f64>,
    /// Question name read for each metric found (`nps` → `rec`).
    pub questions: BTreeMap<String, String>,
    pub by_interviewer: Vec<WorkRow>,
    pub by_day: Vec<WorkRow>,
    pub overall: Scores,
    pub by_segment: Vec<Group>,
    /// Waves in order, each with its change since the one before.
    pub by_wave: Vec<Group>,
}

/// Work of one interviewer or one day.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WorkRow {
    /// The interviewer (`""` when unknown) or the UTC day `YYYY-MM-DD`.
    pub key: String,
    pub completes: usize,
    /// Cases and assignments called, visited or completed.
    pub units_worked: usize,
    /// Of those, the ones with a completed interview.
    pub units_completed: usize,
    /// `units_completed / units_worked` as a percentage; `None` when nothing was worked.
    pub response_rate: Option<f64>,
    pub median_minutes: Option<f64>,
}

/// The scores of a set of interviews.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Scores {
    pub interviews: usize,
    pub nps: Nps,
    pub csat: Csat,
    pub ces: Ces,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Nps {
    pub responses: usize,
    pub promoters: usize,
    pub passives: usize,
    pub detractors: usize,
    /// Answers 0 to 10.
    pub distribution: [usize; 11],
    /// Promoters minus detractors as percentages of responses, in points (−100 to 100).
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Csat {
    pub responses: usize,
    pub satisfied: usize,
    /// Answers 1 to 5.
    pub distribution: [usize; 5],
    /// % of responses that are 4 or 5.
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Ces {
    pub responses: usize,
    pub mean: Option<f64>,
}

/// Scores of one segment or wave.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Group {
    /// The answer's code.
    pub code: String,
    /// Its choice label in the chosen language, or the code.
    pub label: String,
    pub scores: Scores,
    /// For waves: this wave's score minus the previous wave's (NPS and CSAT in points).
    pub change: Option<Change>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Change {
    pub nps: Option<f64>,
    pub csat: Option<f64>,
    pub ces: Option<f64>,
}

/// How one form version is read: the form, each metric's template path, and whether
/// its stored answers are its record (no relevance or calculation to apply).
type Plan = (Arc<Questionnaire>, Vec<(&'static str, String)>, bool);

/// One interview's metric answers.
#[derive(Debug, Default)]
struct Answers {
    values: HashMap<&'static str, String>,
}

impl Scores {
    fn add(&mut self, a: &Answers) {
        self.interviews += 1;
        let num = |k: &str| a.values.get(k).and_then(|v| v.trim().parse::<f64>().ok());
        if let Some(v) = num("nps").filter(|v| v.fract() == 0.0 && (0.0..=10.0).contains(v)) {
            let n = &mut self.nps;
            n.responses += 1;
            n.distribution[v as usize] += 1;
            match v as usize {
                9 | 10 => n.promoters += 1,
                7 | 8 => n.passives += 1,
                _ => n.detractors += 1,
            }
        }
        if let Some(v) = num("csat").filter(|v| v.fract() == 0.0 && (1.0..=5.0).contains(v)) {
            let c = &mut self.csat;
            c.responses += 1;
            c.distribution[v as usize - 1] += 1;
            if v >= 4.0 {
                c.satisfied += 1;
            }
        }
        if let Some(v) = num("ces") {
            let c = &mut self.ces;
            // The running sum lives in `mean` until `finish`.
            c.mean = Some(c.mean.unwrap_or(0.0) + v);
            c.responses += 1;
        }
    }

    fn finish(&mut self) {
        let pct = |part: usize, of: usize| (of > 0).then(|| part as f64 * 100.0 / of as f64);
        let n = &mut self.nps;
        n.score = pct(n.promoters, n.responses)
            .zip(pct(n.detractors, n.responses))
            .map(|(p, d)| p - d);
        self.csat.score = pct(self.csat.satisfied, self.csat.responses);
        if self.ces.responses > 0 {
            self.ces.mean = self.ces.mean.map(|s| s / self.ces.responses as f64);
        }
    }
}

/// The node read for each metric: marked by `canvass::metric`, else a top-level question of that name.
fn metric_nodes(form: &Questionnaire) -> Vec<(&'static str, usize)> {
    let mut out = Vec::new();
    let top_level = |i: usize| {
        let mut p = form.nodes[i].parent;
        while let Some(n) = p {
            if matches!(form.nodes[n].kind, NodeKind::Repeat { .. }) {
                return false;
            }
            p = form.nodes[n].parent;
        }
        true
    };
    let question = |i: usize| matches!(form.nodes[i].kind, NodeKind::Question(ref t) if !matches!(t, QuestionType::Note));
    for m in METRICS {
        let marked = (0..form.nodes.len())
            .find(|&i| form.nodes[i].metric.as_deref() == Some(m) && question(i) && top_level(i));
        let named = || {
            (0..form.nodes.len()).find(|&i| {
                form.nodes[i].name.eq_ignore_ascii_case(m) && question(i) && top_level(i)
            })
        };
        if let Some(i) = marked.or_else(named) {
            out.push((m, i));
        }
    }
    out
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    })
}

fn day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Per-key work figures from interviews `(key, unit, minutes)` and contacts `(key, unit)`.
fn work_rows(
    done: Vec<(String, Option<String>, f64)>,
    contacts: Vec<(String, String)>,
) -> Vec<WorkRow> {
    #[derive(Default)]
    struct Acc {
        completes: usize,
        worked: BTreeSet<String>,
        completed: BTreeSet<String>,
        minutes: Vec<f64>,
    }
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    for (key, unit, minutes) in done {
        let a = acc.entry(key).or_default();
        a.completes += 1;
        a.minutes.push(minutes);
        if let Some(u) = unit {
            a.worked.insert(u.clone());
            a.completed.insert(u);
        }
    }
    for (key, unit) in contacts {
        acc.entry(key).or_default().worked.insert(unit);
    }
    acc.into_iter()
        .map(|(key, a)| WorkRow {
            key,
            completes: a.completes,
            units_worked: a.worked.len(),
            units_completed: a.completed.len(),
            response_rate: (!a.worked.is_empty())
                .then(|| a.completed.len() as f64 * 100.0 / a.worked.len() as f64),
            median_minutes: median(a.minutes),
        })
        .collect()
}

/// Orders wave codes: numerically when all are numbers, else as text.
fn wave_order(codes: &mut [String]) {
    if codes.iter().all(|c| c.parse::<f64>().is_ok()) {
        codes.sort_by(|a, b| {
            let (x, y) = (a.parse::<f64>(), b.parse::<f64>());
            x.unwrap_or(0.0).total_cmp(&y.unwrap_or(0.0))
        });
    } else {
        codes.sort();
    }
}

impl App {
    /// The dashboard of `study` over the completed interviews this device holds; labels of
    /// segments and waves in `language` (the form's default when `None`).
    pub fn cx_report(&self, study: &str, language: Option<&str>) -> Result<CxReport> {
        let forms: Vec<Arc<Questionnaire>> =
            self.forms().into_iter().filter(|f| f.id == study).collect();
        let Some(newest) = forms.last().cloned() else {
            return Err(Error::UnknownStudy {
                id: study.to_owned(),
            });
        };
        let (interviews, contacts) = {
            let inner = self.lock();
            let user = inner.store.dashboard_user()?;
            (
                inner.store.dashboard_interviews(study, user.as_deref())?,
                inner.store.dashboard_contacts(study)?,
            )
        };
        let by_id: HashMap<&str, usize> = interviews
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let mut answers: Vec<Answers> = interviews.iter().map(|_| Answers::default()).collect();
        // Each version's metric paths and whether the engine must rebuild its records.
        let mut plans: HashMap<String, Plan> = HashMap::new();
        let filter = ExportFilter {
            questionnaire_id: study.to_owned(),
            statuses: vec!["completed".to_owned()],
            from_ms: None,
            to_ms: None,
        };
        let mut after: Option<String> = None;
        loop {
            let (page, stored) = {
                let inner = self.lock();
                let page = inner.store.export_page(&filter, after.as_deref(), 500)?;
                let (Some(first), Some(last)) = (page.first(), page.last()) else {
                    break;
                };
                let mut stored: HashMap<String, Vec<(String, String)>> = HashMap::new();
                inner
                    .store
                    .for_each_answer(&first.id, &last.id, &mut |id, path, value| {
                        stored
                            .entry(id.to_owned())
                            .or_default()
                            .push((path.to_owned(), value.to_owned()));
                    })?;
                (page, stored)
            };
            after = page.last().map(|r| r.id.clone());
            for row in page {
                let Some(&at) = by_id.get(row.id.as_str()) else {
                    continue;
                };
                if !plans.contains_key(&row.questionnaire_version) {
                    let form = crate::interview::find_form(&forms, &row)?;
                    let paths = metric_nodes(&form)
                        .into_iter()
                        .map(|(m, i)| (m, form.nodes[i].path.clone()))
                        .collect();
                    let plain = crate::export::data::record_is_stored_answers(&form);
                    plans.insert(row.questionnaire_version.clone(), (form, paths, plain));
                }
                let (form, paths, plain) = &plans[&row.questionnaire_version];
                let stored = stored.get(&row.id).cloned().unwrap_or_default();
                let values = if *plain {
                    stored
                } else {
                    let now = row.completed_at.unwrap_or(row.updated_at);
                    let ctx = crate::runner::context(now, 0, &row.id, None);
                    crate::runner::rebuild(form, ctx, &stored).record()
                };
                for (path, value) in values {
                    if let Some((m, _)) = paths.iter().find(|(_, p)| *p == path) {
                        if !value.trim().is_empty() {
                            answers[at].values.insert(m, value);
                        }
                    }
                }
            }
        }

        // Time in the interview by its session log; the start-to-completion span
        // only when no log is held (it would count pauses and callbacks).
        let minutes = |r: &canvass_store::DashboardInterview| {
            r.active_ms
                .unwrap_or((r.completed_at - r.created_at).max(0)) as f64
                / 60_000.0
        };
        let who = |r: &canvass_store::DashboardInterview| r.interviewer.clone().unwrap_or_default();
        let by_interviewer = work_rows(
            interviews
                .iter()
                .map(|r| (who(r), r.unit.clone(), minutes(r)))
                .collect(),
            contacts
                .iter()
                .map(|c| (c.interviewer.clone(), c.unit.clone()))
                .collect(),
        );
        let by_day = work_rows(
            interviews
                .iter()
                .map(|r| (day(r.completed_at), r.unit.clone(), minutes(r)))
                .collect(),
            contacts
                .iter()
                .map(|c| (day(c.at), c.unit.clone()))
                .collect(),
        );

        let mut overall = Scores::default();
        let mut segments: BTreeMap<String, Scores> = BTreeMap::new();
        let mut waves: BTreeMap<String, Scores> = BTreeMap::new();
        for a in &answers {
            overall.add(a);
            if let Some(s) = a.values.get("segment") {
                segments.entry(s.clone()).or_default().add(a);
            }
            if let Some(w) = a.values.get("wave") {
                waves.entry(w.clone()).or_default().add(a);
            }
        }
        overall.finish();
        let metric_of = metric_nodes(&newest);
        let label = |metric: &str, code: &str| -> String {
            let lang_fallback = newest.default_language.as_deref();
            metric_of
                .iter()
                .find(|(m, _)| *m == metric)
                .and_then(|(_, i)| newest.nodes[*i].choices.as_ref())
                .and_then(|c| newest.choice_lists.get(&c.list))
                .and_then(|l| l.choices.iter().find(|c| c.name == code))
                .and_then(|c| c.label.get(language, lang_fallback))
                .unwrap_or(code)
                .to_owned()
        };
        let by_segment = segments
            .into_iter()
            .map(|(code, mut scores)| {
                scores.finish();
                Group {
                    label: label("segment", &code),
                    code,
                    scores,
                    change: None,
                }
            })
            .collect();
        let mut codes: Vec<String> = waves.keys().cloned().collect();
        wave_order(&mut codes);
        let mut by_wave: Vec<Group> = Vec::new();
        for code in codes {
            let mut scores = waves.remove(&code).unwrap_or_default();
            scores.finish();
            let change = by_wave.last().map(|prev| {
                let diff = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a - b);
                Change {
                    nps: diff(scores.nps.score, prev.scores.nps.score),
                    csat: diff(scores.csat.score, prev.scores.csat.score),
                    ces: diff(scores.ces.mean, prev.scores.ces.mean),
                }
            });
            by_wave.push(Group {
                label: label("wave", &code),
                code,
                scores,
                change,
            });
        }
        Ok(CxReport {
            study: study.to_owned(),
            title: newest.title.clone(),
            completes: interviews.len(),
            median_minutes: median(interviews.iter().map(minutes).collect()),
            questions: metric_of
                .iter()
                .map(|(m, i)| ((*m).to_owned(), newest.nodes[*i].name.clone()))
                .collect(),
            by_interviewer,
            by_day,
            overall,
            by_segment,
            by_wave,
        })
    }
}

/// The dashboard as one CSV file: a `section` column names each block's rows.
pub fn report_csv(r: &CxReport) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let f = |x: Option<f64>| x.map(|v| format!("{v:.1}")).unwrap_or_default();
    let mut rows: Vec<Vec<String>> = vec![vec![
        "section".into(),
        "key".into(),
        "completes".into(),
        "units_worked".into(),
        "response_rate".into(),
        "median_minutes".into(),
        "nps".into(),
        "nps_responses".into(),
        "csat".into(),
        "csat_responses".into(),
        "ces".into(),
        "ces_responses".into(),
        "nps_change".into(),
        "csat_change".into(),
        "ces_change".into(),
    ]];
    let blank = || vec![String::new(); 9];
    rows.push(
        [
            vec![
                "overall".into(),
                String::new(),
                r.completes.to_string(),
                String::new(),
                String::new(),
                f(r.median_minutes),
            ],
            scores_cells(&r.overall),
            vec![String::new(); 3],
        ]
        .concat(),
    );
    for (section, list) in [("interviewer", &r.by_interviewer), ("day", &r.by_day)] {
        for w in list {
            let mut row = vec![
                section.to_owned(),
                w.key.clone(),
                w.completes.to_string(),
                w.units_worked.to_string(),
                f(w.response_rate),
                f(w.median_minutes),
            ];
            row.extend(blank());
            rows.push(row);
        }
    }
    for (section, list) in [("segment", &r.by_segment), ("wave", &r.by_wave)] {
        for g in list {
            let mut row = vec![
                section.to_owned(),
                g.label.clone(),
                g.scores.interviews.to_string(),
                String::new(),
                String::new(),
                String::new(),
            ];
            row.extend(scores_cells(&g.scores));
            match &g.change {
                Some(c) => row.extend([
                    f(c.nps),
                    f(c.csat),
                    c.ces.map(|v| format!("{v:.2}")).unwrap_or_default(),
                ]),
                None => row.extend(vec![String::new(); 3]),
            }
            rows.push(row);
        }
    }
    for d in 0..=10 {
        let mut row = vec![
            "nps_distribution".to_owned(),
            d.to_string(),
            r.overall.nps.distribution[d].to_string(),
        ];
        row.extend(vec![String::new(); 12]);
        rows.push(row);
    }
    for row in rows {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(&row);
    }
    w.into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn scores_cells(s: &Scores) -> Vec<String> {
    let f = |x: Option<f64>| x.map(|v| format!("{v:.1}")).unwrap_or_default();
    vec![
        f(s.nps.score),
        s.nps.responses.to_string(),
        f(s.csat.score),
        s.csat.responses.to_string(),
        s.ces.mean.map(|v| format!("{v:.2}")).unwrap_or_default(),
        s.ces.responses.to_string(),
    ]
}

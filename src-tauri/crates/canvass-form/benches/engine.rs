//! Questionnaire engine benchmark: a generated 2,000-question XLSForm, timed from bytes to answers.
//!
//! Run with `cargo bench -p canvass-form --bench engine`. It prints figures next to their targets
//! and asserts nothing about time, because shared CI machines make timing assertions flaky; the
//! numbers are for people comparing runs.

use std::time::{Duration, Instant};

use canvass_form::expr::Context;
use canvass_form::{import_xlsform, Instance, Questionnaire};
use rust_xlsxwriter::Workbook;

/// Groups of ordinary questions in the generated form.
const GROUPS: usize = 40;
/// Questions per group (before the group's two calculations).
const PER_GROUP: usize = 48;
/// Repeat instances the interviewer adds to the household roster.
const REPEATS: usize = 500;
/// Walks over the whole form; the median run is reported so one noisy run does not decide.
const RUNS: usize = 3;
/// Changes between two full recomputes in the oracle pass, so that pass stays a few seconds long.
const RECOMPUTE_EVERY: usize = 250;

/// What kind of question a generated row is, so the walk knows what value is valid for it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Decimal,
    Text,
    Date,
    SelectOne,
    SelectMultiple,
}

/// One survey-sheet row of the generated form.
#[derive(Default)]
struct Row {
    ty: String,
    name: String,
    label: String,
    relevant: String,
    constraint: String,
    calculation: String,
    required: String,
    choice_filter: String,
}

const SURVEY_HEADERS: [&str; 8] = [
    "type",
    "name",
    "label",
    "relevance",
    "constraint",
    "calculation",
    "required",
    "choice_filter",
];

impl Row {
    fn cells(&self) -> [&str; 8] {
        [
            &self.ty,
            &self.name,
            &self.label,
            &self.relevant,
            &self.constraint,
            &self.calculation,
            &self.required,
            &self.choice_filter,
        ]
    }
}

/// The generated form: its workbook bytes and, for the walk, every question's instance path
/// (`{i}` stands for the repeat position) and kind, in document order.
struct Generated {
    bytes: Vec<u8>,
    /// Top-level questions before the roster, the roster's questions, and the questions after it.
    before: Vec<(String, Kind)>,
    roster: Vec<(String, Kind)>,
    after: Vec<(String, Kind)>,
    counts: Counts,
}

#[derive(Default)]
struct Counts {
    by_kind: [usize; 6],
    relevance: usize,
    constraints: usize,
    required: usize,
    calculations: usize,
    choice_filters: usize,
    groups: usize,
}

impl Counts {
    fn note(&mut self, k: Kind) {
        self.by_kind[k as usize] += 1;
    }
}

/// A small deterministic generator, so every run benchmarks the same form.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

/// Builds the XLSForm in memory: 40 groups of mixed questions with relevance, constraints, choice
/// filters and per-group calculations, a household roster repeat in the middle, and summary
/// calculations at the end that read across groups and across the roster.
fn generate() -> Generated {
    let mut rows: Vec<Row> = Vec::new();
    let mut counts = Counts::default();
    let mut rng = Lcg(2026);
    let (mut before, mut roster, mut after) = (Vec::new(), Vec::new(), Vec::new());
    // Earlier questions that relevance expressions may point at.
    let mut earlier_ints: Vec<String> = Vec::new();
    let mut earlier_selects: Vec<String> = Vec::new();
    let lists = ["c5", "c7", "c10"];
    let mut q = 0;
    for g in 1..=GROUPS {
        rows.push(Row {
            ty: "begin group".into(),
            name: format!("g{g}"),
            label: format!("Section {g}"),
            ..Row::default()
        });
        counts.groups += 1;
        let mut group_ints: Vec<String> = Vec::new();
        let mut group_text: Option<String> = None;
        // Every eighth group has a cascading pair: a region, then districts filtered by it.
        let cascade = g % 8 == 0;
        let mut region: Option<String> = None;
        for j in 0..PER_GROUP {
            q += 1;
            let name = format!("q{q}");
            let mut row = Row {
                name: name.clone(),
                label: format!("Question {q} of section {g}"),
                ..Row::default()
            };
            let kind = match j % 10 {
                0..=2 => Kind::Integer,
                3 | 4 => Kind::SelectOne,
                5 => Kind::SelectMultiple,
                6 | 7 => Kind::Text,
                8 => Kind::Decimal,
                _ => Kind::Date,
            };
            match kind {
                Kind::Integer => {
                    row.ty = "integer".into();
                    row.constraint = ". >= 0 and . <= 100".into();
                }
                Kind::Decimal => {
                    row.ty = "decimal".into();
                    row.constraint = ". >= 0".into();
                }
                Kind::Text => row.ty = "text".into(),
                Kind::Date => {
                    row.ty = "date".into();
                    row.constraint = ". <= today()".into();
                }
                Kind::SelectOne if cascade && j == 3 => {
                    row.ty = "select_one region".into();
                    region = Some(name.clone());
                }
                Kind::SelectOne if cascade && j == 4 => {
                    row.ty = "select_one district".into();
                    row.choice_filter = format!("region = ${{{}}}", region.clone().unwrap());
                    counts.choice_filters += 1;
                }
                Kind::SelectOne => row.ty = format!("select_one {}", lists[q % 3]),
                Kind::SelectMultiple => row.ty = format!("select_multiple {}", lists[q % 3]),
            }
            counts.note(kind);
            if !row.constraint.is_empty() {
                counts.constraints += 1;
            }
            // About a third of the questions are asked only after some earlier answer.
            if j % 3 == 2 && !earlier_ints.is_empty() && !earlier_selects.is_empty() {
                row.relevant = if q % 2 == 0 {
                    format!("${{{}}} > 3", earlier_ints[rng.below(earlier_ints.len())])
                } else {
                    format!(
                        "selected(${{{}}}, 'b')",
                        earlier_selects[rng.below(earlier_selects.len())]
                    )
                };
                counts.relevance += 1;
            }
            if j % 7 == 1 {
                row.required = "yes".into();
                counts.required += 1;
            }
            match kind {
                Kind::Integer => {
                    earlier_ints.push(name.clone());
                    group_ints.push(name.clone());
                }
                Kind::SelectOne | Kind::SelectMultiple
                    if !row.ty.contains("district") && !row.ty.contains("region") =>
                {
                    earlier_selects.push(name.clone())
                }
                Kind::Text => group_text = Some(name.clone()),
                _ => {}
            }
            before.push((format!("/data/g{g}/{name}"), kind));
            rows.push(row);
        }
        // Two calculations per group: a sum of three answers, then an if() or a concat() over it.
        let sum = format!("g{g}_sum");
        let terms: Vec<String> = group_ints
            .iter()
            .take(3)
            .map(|n| format!("${{{n}}}"))
            .collect();
        rows.push(Row {
            ty: "calculate".into(),
            name: sum.clone(),
            calculation: terms.join(" + "),
            ..Row::default()
        });
        let second = if g % 2 == 0 {
            format!("if(${{{sum}}} > 90, 'high', 'low')")
        } else {
            format!(
                "concat(${{{}}}, ': ', ${{{sum}}})",
                group_text.clone().unwrap()
            )
        };
        rows.push(Row {
            ty: "calculate".into(),
            name: format!("g{g}_flag"),
            calculation: second,
            ..Row::default()
        });
        counts.calculations += 2;
        rows.push(Row {
            ty: "end group".into(),
            ..Row::default()
        });

        // The roster sits halfway, so questions after it run with 500 instances in the tree.
        if g == GROUPS / 2 {
            rows.push(Row {
                ty: "begin repeat".into(),
                name: "roster".into(),
                label: "Household member".into(),
                ..Row::default()
            });
            let member: [(&str, &str, Kind, &str, &str); 10] = [
                ("r_name", "text", Kind::Text, "", ""),
                ("r_age", "integer", Kind::Integer, "", ". >= 0 and . <= 120"),
                ("r_sex", "select_one c5", Kind::SelectOne, "", ""),
                ("r_income", "decimal", Kind::Decimal, "", ". >= 0"),
                (
                    "r_school",
                    "select_one c7",
                    Kind::SelectOne,
                    "${r_age} < 18",
                    "",
                ),
                (
                    "r_work",
                    "select_multiple c10",
                    Kind::SelectMultiple,
                    "${r_age} >= 15",
                    "",
                ),
                (
                    "r_hours",
                    "integer",
                    Kind::Integer,
                    "selected(${r_work}, 'b')",
                    ". <= 100",
                ),
                ("r_dob", "date", Kind::Date, "", ". <= today()"),
                ("r_phone", "text", Kind::Text, "${r_age} >= 15", ""),
                ("r_notes", "text", Kind::Text, "", ""),
            ];
            for (name, ty, kind, relevant, constraint) in member {
                rows.push(Row {
                    ty: ty.into(),
                    name: name.into(),
                    label: format!("{name} of ${{r_name}}"),
                    relevant: relevant.into(),
                    constraint: constraint.into(),
                    ..Row::default()
                });
                counts.note(kind);
                counts.relevance += usize::from(!relevant.is_empty());
                counts.constraints += usize::from(!constraint.is_empty());
                roster.push((format!("/data/roster[{{i}}]/{name}"), kind));
            }
            rows.push(Row {
                ty: "calculate".into(),
                name: "r_months".into(),
                calculation: "${r_age} * 12".into(),
                ..Row::default()
            });
            counts.calculations += 1;
            rows.push(Row {
                ty: "end repeat".into(),
                ..Row::default()
            });
        }
        if g > GROUPS / 2 {
            after.append(&mut before.split_off(before.len() - PER_GROUP));
        }
    }
    // Summary calculations: pairwise group totals, a concat over flags, and roster aggregates.
    rows.push(Row {
        ty: "begin group".into(),
        name: "summary".into(),
        label: "Summary".into(),
        ..Row::default()
    });
    for k in 1..=17 {
        let calculation = format!("${{g{}_sum}} + ${{g{}_sum}}", 2 * k - 1, 2 * k);
        rows.push(Row {
            ty: "calculate".into(),
            name: format!("total{k}"),
            calculation,
            ..Row::default()
        });
    }
    let flags: Vec<String> = (1..=10).map(|g| format!("${{g{g}_flag}}")).collect();
    let summary = [
        ("flags", format!("concat({})", flags.join(", '|', "))),
        ("members", "count(${roster})".to_string()),
        ("income", "sum(${r_income})".to_string()),
    ];
    for (name, calculation) in summary {
        rows.push(Row {
            ty: "calculate".into(),
            name: name.into(),
            calculation,
            ..Row::default()
        });
    }
    counts.calculations += 20;
    rows.push(Row {
        ty: "end group".into(),
        ..Row::default()
    });

    let mut wb = Workbook::new();
    let survey = wb.add_worksheet();
    survey.set_name("survey").unwrap();
    for (c, h) in SURVEY_HEADERS.iter().enumerate() {
        survey.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.cells().iter().enumerate() {
            if !v.is_empty() {
                survey.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
    }
    let choices = wb.add_worksheet();
    choices.set_name("choices").unwrap();
    let mut r = 0u32;
    let mut choice = |list: &str, name: &str, label: &str, region: &str| {
        r += 1;
        for (c, v) in [list, name, label, region].iter().enumerate() {
            if !v.is_empty() {
                choices.write_string(r, c as u16, *v).unwrap();
            }
        }
    };
    let letters = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    for (list, n) in [("c5", 5), ("c7", 7), ("c10", 10), ("region", 5)] {
        for l in &letters[..n] {
            choice(list, l, &format!("Option {}", l.to_uppercase()), "");
        }
    }
    for d in 0..10 {
        choice(
            "district",
            &format!("d{d}"),
            &format!("District {d}"),
            letters[d / 2],
        );
    }
    for (c, h) in ["list_name", "name", "label", "region"].iter().enumerate() {
        choices.write_string(0, c as u16, *h).unwrap();
    }
    let settings = wb.add_worksheet();
    settings.set_name("settings").unwrap();
    for (c, (k, v)) in [("form_id", "bench_2000"), ("version", "1")]
        .iter()
        .enumerate()
    {
        settings.write_string(0, c as u16, *k).unwrap();
        settings.write_string(1, c as u16, *v).unwrap();
    }
    Generated {
        bytes: wb.save_to_buffer().unwrap(),
        before,
        roster,
        after,
        counts,
    }
}

/// Peak resident set size of this process in MiB (`VmHWM`), or 0 where /proc is missing.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The fixed clock and seed, so that `today()` constraints and UUIDs are the same every run.
fn context() -> Context {
    Context {
        now: chrono::DateTime::parse_from_rfc3339("2026-01-15T10:00:00+00:00").unwrap(),
        random_seed: 7,
        language: None,
    }
}

/// A valid answer for question number `n` of kind `kind`, using the choices offered right now so
/// that filtered selects get a choice their filter lets through.
fn answer(inst: &Instance, path: &str, kind: Kind, n: usize) -> String {
    match kind {
        Kind::Integer => ((n * 37) % 60).to_string(),
        Kind::Decimal => format!("{}.5", (n * 13) % 200),
        Kind::Text => format!("answer {n}"),
        Kind::Date => format!("2024-{:02}-{:02}", n % 12 + 1, n % 28 + 1),
        Kind::SelectOne | Kind::SelectMultiple => {
            let offered = inst.choices(path).unwrap();
            if offered.is_empty() {
                return String::new();
            }
            let first = &offered[n % offered.len()];
            if kind == Kind::SelectOne || offered.len() < 2 {
                first.clone()
            } else {
                format!("{first} {}", offered[(n + 1) % offered.len()])
            }
        }
    }
}

/// The questions of one interview in answering order: the roster's questions once per member.
fn walk_order(g: &Generated) -> Vec<(String, Kind)> {
    let mut out = g.before.clone();
    for i in 1..=REPEATS + 1 {
        out.extend(
            g.roster
                .iter()
                .map(|(p, k)| (p.replace("{i}", &i.to_string()), *k)),
        );
    }
    out.extend(g.after.iter().cloned());
    out
}

/// What one walk measured.
struct Walk {
    times: Vec<Duration>,
    /// Whether each timed change answered a roster member's question (with 500 siblings).
    in_roster: Vec<bool>,
    evaluations: Vec<usize>,
    skipped: usize,
    invalid: usize,
    /// Full recomputes (time, model-node evaluations) and nodes whose state they changed, which
    /// would mean the incremental update had missed something.
    full: Vec<(Duration, usize)>,
    mismatched: usize,
    /// Evaluation failures the engine recorded over the walk (a clean form should have none).
    eval_errors: usize,
}

/// Answers every relevant question in order, timing each `set_answer` alone; with `oracle`, also
/// runs `recompute_all` every `RECOMPUTE_EVERY` changes and compares states around it.
fn walk(start: &Instance, order: &[(String, Kind)], oracle: bool) -> Walk {
    let mut inst = start.clone();
    let mut w = Walk {
        times: Vec::new(),
        in_roster: Vec::new(),
        evaluations: Vec::new(),
        skipped: 0,
        invalid: 0,
        full: Vec::new(),
        mismatched: 0,
        eval_errors: 0,
    };
    for (n, (path, kind)) in order.iter().enumerate() {
        // Questions hidden by relevance are skipped, as an interviewer never sees them.
        if !inst.node_state(path).unwrap().relevant {
            w.skipped += 1;
            continue;
        }
        let value = answer(&inst, path, *kind, n);
        let evals = inst.evaluation_count();
        let t = Instant::now();
        inst.set_answer(path, &value).unwrap();
        w.times.push(t.elapsed());
        w.in_roster.push(path.starts_with("/data/roster["));
        w.evaluations.push(inst.evaluation_count() - evals);
        if !inst.node_state(path).unwrap().constraint_ok {
            w.invalid += 1;
        }
        if oracle && w.times.len().is_multiple_of(RECOMPUTE_EVERY) {
            let before = inst.snapshot();
            let evals = inst.evaluation_count();
            let t = Instant::now();
            inst.recompute_all();
            w.full.push((t.elapsed(), inst.evaluation_count() - evals));
            w.mismatched += before
                .iter()
                .zip(inst.snapshot())
                .filter(|(a, b)| **a != *b)
                .count();
        }
    }
    w.eval_errors = inst.eval_errors().len();
    w
}

fn percentile<T: Copy + Ord>(sorted: &[T], p: f64) -> T {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Median of a few timed repetitions of `f`, with the last result.
fn median_of<R>(reps: usize, mut f: impl FnMut() -> R) -> (Duration, R) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..reps {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], last.unwrap())
}

fn main() {
    let rss_start = peak_rss_mib();
    let total = Instant::now();

    let g = generate();
    let c = &g.counts;
    println!("canvass-form engine benchmark");
    println!(
        "form: {} KiB xlsx, {} groups + a summary group, {} questions (integer {}, decimal {}, text {}, date {}, select_one {}, select_multiple {}), \
         {} calculations, {} relevance, {} constraints, {} required, {} choice filters, roster of {} questions",
        g.bytes.len() / 1024,
        c.groups,
        c.by_kind.iter().sum::<usize>(),
        c.by_kind[Kind::Integer as usize],
        c.by_kind[Kind::Decimal as usize],
        c.by_kind[Kind::Text as usize],
        c.by_kind[Kind::Date as usize],
        c.by_kind[Kind::SelectOne as usize],
        c.by_kind[Kind::SelectMultiple as usize],
        c.calculations,
        c.relevance,
        c.constraints,
        c.required,
        c.choice_filters,
        g.roster.len(),
    );

    // Import is measured several times because it is short and the first run warms allocators.
    let (import_time, import) = median_of(5, || import_xlsform(&g.bytes, "bench_2000.xlsx"));
    let errors: Vec<_> = import.errors().collect();
    assert!(
        errors.is_empty(),
        "the generated form has import errors: {errors:#?}"
    );
    let form: Questionnaire = import.form.unwrap();
    println!("model: {} nodes", form.nodes.len());
    let rss_imported = peak_rss_mib();

    let (new_time, inst) = median_of(5, || Instance::new(form.clone(), context()));
    println!(
        "import (bytes -> Questionnaire): {:.1} ms (median of 5)",
        ms(import_time)
    );
    println!(
        "instance creation (Instance::new): {:.1} ms (median of 5)",
        ms(new_time)
    );
    println!(
        "load = import + instance: {:.1} ms (target ≤ 50 ms)",
        ms(import_time + new_time)
    );

    // The roster starts with one member (interviewer-controlled repeat); the interviewer adds 500.
    let mut inst = inst;
    let mut adds = Vec::with_capacity(REPEATS);
    for _ in 0..REPEATS {
        let t = Instant::now();
        inst.add_repeat("/data/roster").unwrap();
        adds.push(t.elapsed());
    }
    let add_time: Duration = adds.iter().sum();
    let mean_ms = |d: &[Duration]| ms(d.iter().sum::<Duration>()) / d.len() as f64;
    assert_eq!(
        inst.node_state(&format!("/data/roster[{}]", REPEATS + 1))
            .map(|s| s.relevant)
            .ok(),
        Some(true)
    );
    println!(
        "add {REPEATS} roster instances (add_repeat): {:.0} ms total, {:.2} ms per instance (first 10 {:.2} ms, last 10 {:.2} ms; {} instance nodes after)",
        ms(add_time),
        ms(add_time) / REPEATS as f64,
        mean_ms(&adds[..10]),
        mean_ms(&adds[REPEATS - 10..]),
        inst.all_nodes().len()
    );
    let rss_repeats = peak_rss_mib();

    let order = walk_order(&g);
    // The first walk also runs the full-recompute oracle between changes; those recomputes sit
    // outside the timed calls, and a separate oracle walk would add a quarter to the bench's time.
    let mut runs: Vec<Walk> = (0..RUNS).map(|r| walk(&inst, &order, r == 0)).collect();
    let oracle_full = runs[0].full.clone();
    let oracle_mismatched = runs[0].mismatched;
    runs.sort_by_key(|w| {
        let mut t = w.times.clone();
        t.sort();
        percentile(&t, 0.5)
    });
    let median = &runs[RUNS / 2];
    let mut times = median.times.clone();
    times.sort();
    println!(
        "answer change (set_answer): p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs, count {} (target p99 ≤ 50 µs; median of {RUNS} walks)",
        us(percentile(&times, 0.5)),
        us(percentile(&times, 0.99)),
        us(*times.last().unwrap()),
        times.len(),
    );
    // Roster answers re-evaluate their siblings' binds, so they are reported apart from the rest.
    for (label, roster) in [("outside the roster", false), ("in the roster", true)] {
        let mut t: Vec<Duration> = median
            .times
            .iter()
            .zip(&median.in_roster)
            .filter(|(_, r)| **r == roster)
            .map(|(t, _)| *t)
            .collect();
        t.sort();
        println!(
            "  {label}: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs, count {}",
            us(percentile(&t, 0.5)),
            us(percentile(&t, 0.99)),
            us(*t.last().unwrap()),
            t.len()
        );
    }
    println!(
        "walk: {} questions in order, {} skipped as not relevant, {} answers failing their constraint, {} evaluation errors; whole walk {:.0} ms",
        order.len(),
        median.skipped,
        median.invalid,
        median.eval_errors,
        ms(times.iter().sum()),
    );
    let mut evals = median.evaluations.clone();
    evals.sort();
    let mean = evals.iter().sum::<usize>() as f64 / evals.len() as f64;

    let mut full_times: Vec<Duration> = oracle_full.iter().map(|f| f.0).collect();
    full_times.sort();
    let full_evals = oracle_full.first().map_or(0, |f| f.1);
    println!(
        "evaluations per change (model nodes): p50 {}, p99 {}, max {}, mean {:.1}; full recompute: {} ({:.2}% of it on average)",
        percentile(&evals, 0.5),
        percentile(&evals, 0.99),
        evals.last().unwrap(),
        mean,
        full_evals,
        100.0 * mean / full_evals as f64,
    );
    println!(
        "full recompute (recompute_all): p50 {:.2} ms over {} samples; states it changed after incremental updates: {}",
        ms(percentile(&full_times, 0.5)),
        full_times.len(),
        oracle_mismatched,
    );
    let rss_end = peak_rss_mib();
    println!(
        "peak RSS (VmHWM): start {rss_start:.1} MiB, after import {rss_imported:.1} MiB, after {REPEATS} repeats {rss_repeats:.1} MiB, end {rss_end:.1} MiB"
    );
    compare_with_odk();
    println!("bench total: {:.1} s", total.elapsed().as_secs_f64());
}

/// Corpus forms replayed through both engines: the Canvass file and the XForm ODK's engine reads,
/// relative to the repository root.
const ODK_FORMS: [(&str, &str); 2] = [
    (
        "src-tauri/crates/canvass-form/test_data/forms/wf_who_verbal_autopsy.xlsx",
        "tests/data/odk/wf_who_verbal_autopsy.xml",
    ),
    (
        "src-tauri/crates/canvass-form/test_data/forms/vm_liberia_std_form.xlsx",
        "tests/data/odk/vm_liberia_std_form.xml",
    ),
];

/// The same random walk through Canvass and through ODK's own engine (`tests/odk/harness.mjs
/// --time`, Node), per-answer times side by side. The generated form above has no XForm for ODK's
/// engine, so this uses real corpus forms. Skipped with a note when Node or the harness is absent.
fn compare_with_odk() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let harness = root.join("tests/odk/harness.mjs");
    let installed = root
        .join("tests/odk/node_modules/@getodk/xforms-engine")
        .is_dir();
    if !installed
        || std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_err()
    {
        println!("ODK comparison skipped: install Node and run `npm ci` in tests/odk");
        return;
    }
    for (canvass, odk) in ODK_FORMS {
        let bytes = std::fs::read(root.join(canvass)).unwrap();
        let name = canvass.rsplit('/').next().unwrap();
        let t = Instant::now();
        let import = canvass_form::import_form(&bytes, name);
        let form = import.form.unwrap();
        let inst = Instance::new(form.clone(), context());
        let load = t.elapsed();
        let walk = canvass_form::fill::random_walk(&form, 1, context());
        let steps = walk["steps"].as_array().unwrap().clone();
        // Canvass: each step timed alone, median of three walks.
        let mut ours: Vec<Duration> = Vec::new();
        for _ in 0..3 {
            let mut i = inst.clone();
            let mut times = Vec::new();
            for step in &steps {
                let t = Instant::now();
                if let Some(p) = step["set"].as_str() {
                    let _ = i.set_answer(p, step["value"].as_str().unwrap_or(""));
                } else if let Some(p) = step["add_repeat"].as_str() {
                    let _ = i.add_repeat(p);
                }
                times.push(t.elapsed());
            }
            if ours.is_empty() || times.iter().sum::<Duration>() < ours.iter().sum::<Duration>() {
                ours = times;
            }
        }
        let file = std::env::temp_dir().join(format!("canvass-bench-{name}.json"));
        std::fs::write(&file, walk.to_string()).unwrap();
        let out = std::process::Command::new("node")
            .arg(&harness)
            .arg(root.join(odk))
            .arg(&file)
            .arg("--time")
            .env("TZ", "UTC")
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&file);
        let line = String::from_utf8_lossy(&out.stdout);
        let Ok(theirs) = serde_json::from_str::<serde_json::Value>(line.trim()) else {
            println!(
                "{name}: ODK's engine failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            continue;
        };
        let mut theirs_ms: Vec<f64> = theirs["step_ms"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_f64())
            .collect();
        theirs_ms.sort_by(f64::total_cmp);
        let mut ours_us: Vec<f64> = ours.iter().map(|d| us(*d)).collect();
        ours_us.sort_by(f64::total_cmp);
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let p = |v: &[f64], q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        println!(
            "vs ODK on {name} ({} steps): load Canvass {:.1} ms, ODK {:.0} ms (+ {:.0} ms instance); per answer Canvass p50 {:.1} µs mean {:.1} µs, ODK p50 {:.0} µs mean {:.0} µs; ODK / Canvass per answer (mean) {:.0}x (target ≥ 100x)",
            steps.len(),
            ms(load),
            theirs["load_ms"].as_f64().unwrap_or(0.0),
            theirs["create_ms"].as_f64().unwrap_or(0.0),
            p(&ours_us, 0.5),
            mean(&ours_us),
            1000.0 * p(&theirs_ms, 0.5),
            1000.0 * mean(&theirs_ms),
            1000.0 * mean(&theirs_ms) / mean(&ours_us),
        );
    }
}

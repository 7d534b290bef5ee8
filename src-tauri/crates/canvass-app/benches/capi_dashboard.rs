//! CAPI dashboard benchmark: 10,000 assignments, 2,000 of them with an interview and 2,000 with a visit.
//!
//! Run with `cargo bench -p canvass-app --bench capi_dashboard`. It prints the
//! p50 and p99 of each dashboard query next to the 50 ms target and asserts
//! nothing about time: shared machines make timing assertions flaky.

use std::sync::Arc;
use std::time::Instant;

use canvass_app::capi::{AssignmentFilter, VisitInput};
use canvass_app::{App, FixedClock, DEMO_STUDY_ID};

const ASSIGNMENTS: usize = 10_000;
const WITH_INTERVIEW: usize = 2_000;
const WITH_VISIT: usize = 2_000;
const RUNS: usize = 200;

/// A reproducible assignment list: ids, streets, areas, due dates and two preload columns.
fn list() -> String {
    let mut s = String::from("id,interviewer,address,target,due,area,hh_head,phone\n");
    for i in 0..ASSIGNMENTS {
        s.push_str(&format!(
            "H-{i:05},olena,{} Shevchenka St apt {},{},2026-{:02}-{:02},District {},Head {i},+380{:09}\n",
            i % 500,
            i % 97,
            1 + i % 3,
            1 + i % 12,
            1 + i % 28,
            i % 20,
            i * 7919 % 1_000_000_000
        ));
    }
    s
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let clock = Arc::new(FixedClock::new(1_795_338_000_000));
    let app = App::open(&dir.path().join("bench.sqlite"), clock.clone()).expect("open");
    let t = Instant::now();
    app.import_assignments(DEMO_STUDY_ID, list().as_bytes(), "list.csv")
        .expect("import");
    println!(
        "import of {ASSIGNMENTS} assignments (CSV, checked, one transaction): {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    for i in 0..WITH_INTERVIEW {
        app.start_assignment_interview(&format!("H-{:05}", i * 5))
            .expect("start");
    }
    for i in 0..WITH_VISIT {
        clock.advance(1_000);
        app.record_visit(&VisitInput {
            assignment_id: format!("H-{:05}", i * 5 + 1),
            reason: "nobody_home".into(),
            revisit_at: None,
            note: None,
        })
        .expect("visit");
    }
    let cases: Vec<(&str, AssignmentFilter)> = vec![
        ("first page, no filter", AssignmentFilter::default()),
        (
            "search preload text",
            AssignmentFilter {
                search: Some("head 42".into()),
                ..Default::default()
            },
        ),
        (
            "status started",
            AssignmentFilter {
                status: Some("started".into()),
                ..Default::default()
            },
        ),
        (
            "area and due by",
            AssignmentFilter {
                area: Some("District 7".into()),
                due_by: Some("2026-06-30".into()),
                ..Default::default()
            },
        ),
        (
            "all 10,000 rows (CLI list)",
            AssignmentFilter {
                limit: Some(0),
                ..Default::default()
            },
        ),
    ];
    println!("dashboard queries over {ASSIGNMENTS} assignments, {RUNS} runs each (target: p99 well under 50 ms):");
    for (name, filter) in cases {
        let mut times = Vec::with_capacity(RUNS);
        let mut rows = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let d = app.assignment_dashboard(&filter).expect("dashboard");
            times.push(t.elapsed().as_secs_f64() * 1e3);
            rows = d.rows.len();
        }
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "  {name:<28} rows {rows:>5}  p50 {:>6.2} ms  p99 {:>6.2} ms",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
}

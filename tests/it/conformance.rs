//! Differential conformance with ODK's own form engine: every corpus form, random walks with fixed
//! seeds, the same steps replayed by `canvass form replay` and by `@getodk/xforms-engine` 0.22.0
//! (headless in Node, `tests/odk/harness.mjs`), snapshots compared row by row.
//!
//! Canvass imports each XLSForm itself (.xlsx/.xls); ODK's engine reads the XForm that pyxform
//! made of it once (`tests/data/odk/`, see SOURCES.md there), so this also tests our XLSForm
//! import against pyxform's. Both engines draw the same fixed number from `random()` (see
//! `FIXED_RANDOM`). The test prints per-form and total figures and requires the share of strictly
//! identical snapshots to stay at or above what Canvass reaches (a ratchet, `THRESHOLD`), no
//! form below its pinned share, every remaining difference explained by a documented rule (an ODK
//! web-engine bug, or a place where Canvass follows ODK Collect, listed in the README under
//! "Known differences from ODK tools"), and every corpus form loading.
//!
//! The harness needs Node and `npm ci` in `tests/odk` (`.ci/deps.sh` does both). Under `./test.sh`
//! `CANVASS_ODK_REQUIRED=1` is set and a missing harness fails the test; elsewhere it says what to
//! run and passes without comparing.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use canvass_form::replay::compare::{compare, Comparison, Difference};
use serde_json::Value;

use crate::support::repo_root;

/// One corpus form in the comparison.
struct Case {
    /// The file Canvass imports, in `src-tauri/crates/canvass-form/test_data/forms/`.
    file: &'static str,
    /// The XForm ODK's engine reads, relative to the repository root.
    odk: &'static str,
    /// Seeds of the random walks (one walk each).
    seeds: std::ops::Range<u64>,
    /// Steps kept from the start of each walk, so heavy forms stay within the time budget.
    max_steps: usize,
    /// The lowest share of strictly identical snapshots this form may fall to (0..=1).
    pinned: f64,
}

const FORMS: &str = "src-tauri/crates/canvass-form/test_data/forms";

fn cases() -> Vec<Case> {
    let xml = |file: &'static str, seeds, max_steps, pinned| Case {
        file,
        odk: file,
        seeds,
        max_steps,
        pinned,
    };
    let xls = |file: &'static str, odk: &'static str, seeds, max_steps, pinned| Case {
        file,
        odk,
        seeds,
        max_steps,
        pinned,
    };
    vec![
        xml("co_all_widgets.xml", 1..3, 60, 1.0),
        xml("co_fieldlist_updates.xml", 1..3, 200, 1.0),
        xml("co_likert_test.xml", 1..3, 200, 1.0),
        xml("vm_liberia_coverage_round2_xform.xml", 1..2, 100, 1.0),
        xml("wf_child_vaccination_vol_tool_alt.xml", 1..2, 100, 0.16),
        xml("wf_complex_repeats.xml", 1..3, 200, 1.0),
        xml("wf_itext_basic.xml", 1..3, 200, 1.0),
        xml("wf_nested_repeat.xml", 1..3, 200, 1.0),
        xml("wf_nigeria_wards_cascading.xml", 1..3, 200, 1.0),
        xml("wf_relevant_calculate_group.xml", 1..3, 200, 1.0),
        xml("wf_three_level_cascading_select.xml", 1..3, 200, 1.0),
        xml("wf_validation.xml", 1..3, 200, 1.0),
        xls(
            "px_cascading_select.xls",
            "tests/data/odk/px_cascading_select.xml",
            1..3,
            200,
            1.0,
        ),
        xls(
            "px_choice_filter_test.xlsx",
            "tests/data/odk/px_choice_filter_test.xml",
            1..3,
            200,
            1.0,
        ),
        xls(
            "px_repeat_date_test.xls",
            "tests/data/odk/px_repeat_date_test.xml",
            1..3,
            200,
            1.0,
        ),
        xls(
            "px_specify_other.xlsx",
            "tests/data/odk/px_specify_other.xml",
            1..3,
            200,
            1.0,
        ),
        xls(
            "px_tutorial.xls",
            "tests/data/odk/px_tutorial.xml",
            1..3,
            200,
            1.0,
        ),
        xls(
            "px_xlsform_spec_test.xlsx",
            "tests/data/odk/px_xlsform_spec_test.xml",
            1..3,
            200,
            1.0,
        ),
        xls(
            "vm_liberia_std_form.xlsx",
            "tests/data/odk/vm_liberia_std_form.xml",
            1..3,
            60,
            1.0,
        ),
        xls(
            "wf_all_question_types.xlsx",
            "tests/data/odk/wf_all_question_types.xml",
            1..3,
            60,
            1.0,
        ),
        xls(
            "wf_ifrc_distribution_site_assessment.xls",
            "tests/data/odk/wf_ifrc_distribution_site_assessment.xml",
            1..3,
            60,
            1.0,
        ),
        xls(
            "wf_socio_economic_survey.xlsx",
            "tests/data/odk/wf_socio_economic_survey.xml",
            1..3,
            150,
            1.0,
        ),
        xls(
            "wf_who_verbal_autopsy.xlsx",
            "tests/data/odk/wf_who_verbal_autopsy.xml",
            1..2,
            60,
            1.0,
        ),
    ]
}

/// Corpus forms that load in Canvass but cannot be compared, with the reason.
const NOT_COMPARED: [(&str, &str); 4] = [
    ("co_repeat_group_form.xml", "ODK's web engine 0.22 cannot load it: \"Multiple body elements for reference\" (ODK Collect can)"),
    ("wf_eimci_dtree.xml", "ODK's web engine 0.22 cannot load it: \"Unexpected body element\""),
    ("wf_child_vaccination_vol_tool.xml", "ODK's web engine 0.22 loops forever when building_type = multi (getodk/web-forms #205); its variant _alt is compared"),
    ("vm_liberia_coverage_round2.xlsx", "pyxform and Canvass both reject it (duplicate choice names at choices row 126, no allow_choice_duplicates); the authors' XForm of the same survey is compared"),
];

/// How long ODK's engine may take over one form's walks before the test gives up on it.
const NODE_TIMEOUT: Duration = Duration::from_secs(240);

/// The overall share of snapshots that must be strictly identical. Issue #3 targets 0.98; the
/// figure is pinned at what Canvass reaches (99.42% of 868 snapshots), so it can only go up. The
/// rest must be explained by a rule of `explain` (all are today): two ODK web-engine behaviours in
/// `wf_child_vaccination_vol_tool_alt.xml`, see the README.
const THRESHOLD: f64 = 0.994;

/// The share of snapshots that must be identical or explained: all of them.
const EXPLAINED_THRESHOLD: f64 = 1.0;

const NOW: &str = "2025-01-15T10:00:00.000Z";

/// The number every `random()` draw returns in both engines (Canvass's replay option
/// `fixed_random`, the harness's `--fixed-random`). Two generators never agree draw by draw, as
/// each engine draws in its own order; with the same fixed draw, what a form computes from its
/// draws (`once()`, `int(n * random()) + 1`, a sampling threshold) is compared like any value.
const FIXED_RANDOM: &str = "0.371";

/// Runs the CLI in-process and returns its standard output, failing the test on a non-zero exit.
fn canvass(args: &[&str]) -> String {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let argv = std::iter::once("canvass").chain(args.iter().copied());
    let code = canvass_cli::run(argv, &mut out, &mut err);
    assert_eq!(
        code,
        0,
        "canvass {args:?} failed: {}",
        String::from_utf8_lossy(&err)
    );
    String::from_utf8(out).expect("the CLI prints UTF-8")
}

/// The harness folder, or `None` (with the reason) when Node or its packages are missing.
fn harness() -> Result<PathBuf, String> {
    let dir = repo_root().join("tests/odk");
    if Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        return Err("node is not installed".into());
    }
    if !dir.join("node_modules/@getodk/xforms-engine").is_dir()
        || !dir.join("node_modules/jsdom").is_dir()
    {
        return Err(format!(
            "ODK's engine is not installed: run `npm ci` in {}",
            dir.display()
        ));
    }
    Ok(dir)
}

/// Runs ODK's engine over one form and several steps files; one trace per steps file.
fn odk_traces(dir: &Path, form: &Path, steps: &[PathBuf]) -> Result<Vec<Value>, String> {
    let mut cmd = Command::new("node");
    cmd.arg(dir.join("harness.mjs"))
        .arg(form)
        .args(steps)
        .args(["--now", NOW, "--fixed-random", FIXED_RANDOM])
        .env("TZ", "UTC")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot start node: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    // Both pipes are drained on their own threads, so a large trace never blocks the child.
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > NODE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "ODK's engine took longer than {NODE_TIMEOUT:?} on {}",
                form.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("the harness failed on {}: {err}", form.display()));
    }
    let traces: Vec<Value> = if steps.len() == 1 {
        vec![serde_json::from_str(&out).map_err(|e| e.to_string())?]
    } else {
        out.lines()
            .map(|l| serde_json::from_str(l).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?
    };
    Ok(traces)
}

/// Explains a difference by a documented rule, or returns `None`.
fn explain(d: &Difference, ours: &[Value], _theirs: &[Value]) -> Option<&'static str> {
    // Canvass keeps a selection that a choice filter stops offering, as ODK Collect does; ODK's
    // web engine clears it. From then on the select's value, and whatever reads it, differ.
    let kept_selection = ours.iter().any(|r| {
        let (Some(value), Some(choices)) = (r["value"].as_str(), r["choices"].as_array()) else {
            return false;
        };
        r["relevant"] == Value::Bool(true)
            && value
                .split(' ')
                .filter(|v| !v.is_empty())
                .any(|v| !choices.iter().any(|c| c == v))
    });
    // XPath 1.0 (section 4.4) and JavaRosa: `sum()` of an empty node-set is 0. ODK's web engine
    // 0.22 returns NaN, which it stores blank, so a total over a repeat with no instances yet is
    // `0` in Canvass and blank there (and so is a sum of such sums).
    let empty_sum = d.field == "value" && d.ours == "0" && d.theirs == "";
    if empty_sum {
        let parent = |p: &str| p.rsplit_once('/').map(|(a, _)| a.to_string());
        let empty_range = ours.iter().any(|r| {
            r["count"] == 0 && parent(r["path"].as_str().unwrap_or_default()) == parent(&d.path)
        });
        if empty_range {
            return Some("sum() of an empty node-set is 0 (ODK web engine: blank)");
        }
    }
    // A repeat range with no instances: ODK's web engine evaluates the repeat's own `relevant`
    // on the empty range, Canvass reports the range as relevant as its parent (there is no
    // instance to evaluate it on; each instance created later gets the repeat's relevance).
    if d.field == "relevant" {
        let range = ours
            .iter()
            .find(|r| r["path"] == d.path.as_str() && r.get("count").is_some());
        if range.is_some_and(|r| r["count"] == 0) {
            return Some("relevance of an empty repeat range");
        }
    }
    if kept_selection {
        return Some("selection kept when a choice filter stops offering it (ODK Collect)");
    }
    None
}

/// One form's result.
struct FormResult {
    file: &'static str,
    comparison: Comparison,
    pinned: f64,
    steps: usize,
}

fn run_case(dir: &Path, case: &Case, tmp: &Path) -> Result<FormResult, String> {
    let form = repo_root().join(FORMS).join(case.file);
    let form_arg = form.to_string_lossy().into_owned();
    let mut steps_files = Vec::new();
    let mut total_steps = 0;
    for seed in case.seeds.clone() {
        let walk = canvass(&[
            "form",
            "fill",
            &form_arg,
            "--seed",
            &seed.to_string(),
            "--now",
            NOW,
        ]);
        let mut walk: Value = serde_json::from_str(&walk).map_err(|e| e.to_string())?;
        if let Some(steps) = walk["steps"].as_array_mut() {
            steps.truncate(case.max_steps);
            total_steps += steps.len();
        }
        let path = tmp.join(format!("{}-{seed}.json", case.file));
        std::fs::write(&path, walk.to_string()).map_err(|e| e.to_string())?;
        steps_files.push(path);
    }
    // An XForm of the corpus is read by both engines; an XLSForm's XForm is pyxform's.
    let odk = if case.odk.contains('/') {
        repo_root().join(case.odk)
    } else {
        repo_root().join(FORMS).join(case.odk)
    };
    let theirs = odk_traces(dir, &odk, &steps_files)?;
    let mut comparison = Comparison::default();
    let import =
        canvass_form::import_form(&std::fs::read(&form).map_err(|e| e.to_string())?, case.file);
    // What `canvass form replay --now NOW` does, with the fixed draw the harness uses too.
    let options = canvass_form::replay::Options {
        fixed_random: FIXED_RANDOM.parse().ok(),
    };
    for (steps, theirs) in steps_files.iter().zip(theirs) {
        let ctx = canvass_form::expr::Context {
            now: chrono::DateTime::parse_from_rfc3339(NOW).map_err(|e| e.to_string())?,
            random_seed: 0,
            language: None,
        };
        let steps_text = std::fs::read_to_string(steps).map_err(|e| e.to_string())?;
        let ours =
            canvass_form::replay::replay_with(&import, &form_arg, &steps_text, ctx, &options)
                .map_err(|e| e.to_string())?;
        if theirs["load"]["ok"] != Value::Bool(true) {
            return Err(format!(
                "ODK's engine did not load {}: {}",
                case.odk, theirs["load"]
            ));
        }
        // CANVASS_CONFORMANCE_DUMP=DIR keeps both traces of every walk, for reading differences.
        if let Some(dump) = std::env::var_os("CANVASS_CONFORMANCE_DUMP") {
            let name = steps.file_name().unwrap_or_default().to_string_lossy();
            let dump = Path::new(&dump);
            let _ = std::fs::create_dir_all(dump);
            let _ = std::fs::write(dump.join(format!("{name}.ours.json")), ours.to_string());
            let _ = std::fs::write(dump.join(format!("{name}.theirs.json")), theirs.to_string());
        }
        comparison.absorb(compare(&ours, &theirs, &explain));
    }
    Ok(FormResult {
        file: case.file,
        comparison,
        pinned: case.pinned,
        steps: total_steps,
    })
}

#[test]
fn canvass_agrees_with_odks_engine_on_the_corpus() {
    let dir = match harness() {
        Ok(dir) => dir,
        Err(why) if std::env::var_os("CANVASS_ODK_REQUIRED").is_some() => {
            panic!("the ODK conformance harness is required here but {why}")
        }
        Err(why) => {
            eprintln!("conformance with ODK's engine NOT checked: {why} (./test.sh installs it)");
            return;
        }
    };
    // Every corpus form loads in Canvass, including those ODK's engine cannot compare.
    for entry in std::fs::read_dir(repo_root().join(FORMS)).expect("the corpus folder") {
        let path = entry.expect("a corpus entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("a corpus form");
        let import = canvass_form::import_form(&bytes, &name);
        let errors: Vec<String> = import.errors().map(|d| d.to_string()).collect();
        // The one corpus form with an authoring error is refused as pyxform refuses it, with
        // the place named, rather than loaded half-right.
        if name == "vm_liberia_coverage_round2.xlsx" {
            assert!(
                errors
                    .iter()
                    .any(|e| e.contains("row 126") && e.contains("appears twice")),
                "{name}: expected the duplicate choice at choices row 126, got {errors:?}"
            );
            continue;
        }
        assert!(
            import.form.is_some() && errors.is_empty(),
            "{name} does not load in Canvass: {errors:?}"
        );
    }
    let only = std::env::var("CANVASS_CONFORMANCE_ONLY").ok();
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| only.as_deref().is_none_or(|o| c.file.contains(o)))
        .collect();
    // Two forms at a time: one Node process and one replay each, on a two-core machine.
    let queue = Mutex::new(cases.iter().collect::<Vec<_>>());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let Some(case) = queue.lock().unwrap().pop() else {
                    break;
                };
                let r = run_case(&dir, case, tmp.path());
                results.lock().unwrap().push((case.file, r));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(f, _)| *f);
    let mut total = Comparison::default();
    let mut failures = Vec::new();
    println!(
        "{:<45} {:>6} {:>9} {:>10} {:>9}",
        "form", "steps", "snapshots", "identical", "explained"
    );
    for (file, r) in results {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        let c = &r.comparison;
        let share = |n: usize| 100.0 * n as f64 / c.snapshots.max(1) as f64;
        println!(
            "{:<45} {:>6} {:>9} {:>9.1}% {:>8.1}%",
            r.file,
            r.steps,
            c.snapshots,
            share(c.identical),
            share(c.identical + c.excluded)
        );
        for d in c.differences.iter().take(5) {
            println!("    {d}");
        }
        let identical = c.identical as f64 / c.snapshots.max(1) as f64;
        if identical < r.pinned {
            failures.push(format!(
                "{}: {:.1}% identical, pinned at {:.1}%",
                r.file,
                100.0 * identical,
                100.0 * r.pinned
            ));
        }
        total.absorb(r.comparison);
    }
    for (file, why) in NOT_COMPARED {
        println!("{file:<45} not compared: {why}");
    }
    let share = |n: usize| 100.0 * n as f64 / total.snapshots.max(1) as f64;
    println!(
        "overall: {} snapshots, {:.2}% identical, {:.2}% identical or explained; explained by rule: {:?}",
        total.snapshots,
        share(total.identical),
        share(total.identical + total.excluded),
        total.excluded_by_rule
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let identical = total.identical as f64 / total.snapshots.max(1) as f64;
    assert!(
        identical >= THRESHOLD,
        "only {:.2}% of snapshots are identical to ODK's engine's (at least {:.1}% required)",
        100.0 * identical,
        100.0 * THRESHOLD
    );
    let ok = (total.identical + total.excluded) as f64 / total.snapshots.max(1) as f64;
    assert!(
        ok >= EXPLAINED_THRESHOLD,
        "{:.2}% of snapshots are identical or explained; every difference needs a documented rule",
        100.0 * ok
    );
}

/// `canvass form replay --delta` writes the delta encoding, and expanding it gives back exactly
/// what `canvass form replay` prints in full.
#[test]
fn replay_delta_expands_to_the_full_trace() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let form = repo_root().join(FORMS).join("wf_complex_repeats.xml");
    let form = form.to_string_lossy().into_owned();
    for seed in ["1", "2"] {
        let walk = canvass(&["form", "fill", &form, "--seed", seed]);
        let steps = tmp.path().join(format!("steps-{seed}.json"));
        std::fs::write(&steps, walk).expect("write the steps");
        let steps = steps.to_string_lossy().into_owned();
        let full: Value = serde_json::from_str(&canvass(&["form", "replay", &form, &steps]))
            .expect("a full trace");
        let delta: Value =
            serde_json::from_str(&canvass(&["form", "replay", &form, &steps, "--delta"]))
                .expect("a delta trace");
        assert_eq!(delta["snapshot_mode"], "delta");
        assert!(delta["final"].is_array());
        assert!(full["steps"].as_array().is_some_and(|s| !s.is_empty()));
        assert_eq!(canvass_form::replay::delta::expand(&delta), full);
    }
}

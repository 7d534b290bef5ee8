//! Benchmark: keypress to the next question painted, in the real window, on a 2,000-question form; printed beside the engine alone.
//!
//! Run under a display: `xvfb-run -a cargo bench --bench paint`. The window is
//! driven through tauri-driver like the end-to-end tests. For each question the
//! page records the time from the Enter keydown (captured before the app's own
//! handler) to two animation frames after the next question's DOM is in place,
//! which is when WebKit has painted it. The same answers are then timed through
//! `canvass-app` alone (save plus move on, and the move alone), which is the part Rust owns.
//!
//! Reading the figures: waiting for two animation frames adds 17 to 33 ms at
//! 60 Hz whatever the page does (a one-word text change measures 33 ms the
//! same way, and replacing the whole screen 34 ms), so the painted figure is the
//! DOM-in-place figure plus that frame wait. A typed number is saved as it is
//! typed, so the Enter measured here pays only for the move (IPC, one durable
//! commit, building the screen), which is the "move alone" figure plus IPC.
//!
//! The window paints with the CPU unless `CANVASS_GPU=1` (see `choose_painting`
//! in src-tauri/src/lib.rs); run the bench with `CANVASS_GPU=1` to see what
//! WebKit's GL compositor costs on this machine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use canvass_app::{App, SystemClock};

#[path = "bigform.rs"]
mod bigform;
#[path = "../it/window.rs"]
#[allow(dead_code)]
mod window;

use window::*;

/// Questions answered in the window per run.
const STEPS: usize = 150;

const MEASURE: &str = r#"
window.__paint = window.__paint || [];
window.__dom = window.__dom || [];
const before = document.querySelector('#interview') && document.querySelector('#interview').dataset.item;
let t0 = null;
function once(e) { if (e.key === 'Enter') { t0 = performance.now(); document.removeEventListener('keydown', once, true); } }
document.addEventListener('keydown', once, true);
const obs = new MutationObserver(() => {
  const now = document.querySelector('#interview');
  if (t0 !== null && now && now.dataset.item !== before) {
    obs.disconnect();
    window.__dom.push(performance.now() - t0);
    requestAnimationFrame(() => requestAnimationFrame(() => { window.__paint.push(performance.now() - t0); }));
  }
});
obs.observe(document.getElementById('main'), { childList: true, subtree: true, attributes: true });
"#;

fn main() {
    if std::env::var_os("DISPLAY").is_none() {
        eprintln!("paint bench: needs a display; run it as: xvfb-run -a cargo bench --bench paint");
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join("canvass.sqlite");
    let form = bigform::big_form();
    {
        let app = App::open(&db, Arc::new(SystemClock::new())).unwrap();
        app.install_form(form.as_bytes(), "resume_bench.xml")
            .unwrap();
    }
    let (window, dom) = runtime.block_on(in_window(data.path())).unwrap();
    let (engine, moves) = engine_alone(&data.path().join("engine.sqlite"), &form);
    report("keypress to next question painted (window)", &window);
    report("keypress to next question's DOM in place (window)", &dom);
    report("save + next question (canvass-app alone)", &engine);
    report("next question alone (canvass-app alone)", &moves);
    println!("target: window p95 ≤ 50 ms");
}

/// Times in the window: keypress to next question painted, and keypress to its DOM in place
/// (the part before the web view's frame: IPC, the save and move in Rust, building the screen).
async fn in_window(
    dir: &std::path::Path,
) -> Result<(Vec<f64>, Vec<f64>), Box<dyn std::error::Error>> {
    let driver = Driver::start(dir)?;
    let client = driver.session().await?;
    wait_css(&client, "#start-resume_bench")
        .await?
        .click()
        .await?;
    for n in 0..STEPS {
        let (g, q) = (n / 50, n % 50);
        on_question(&client, &format!("q{g}_{q}")).await?;
        type_text(&client, "5").await?;
        client.execute(MEASURE, vec![]).await?;
        press(&client, &[ENTER]).await?;
    }
    // Wait for the last measurement to land.
    let mut times: Vec<f64> = Vec::new();
    for _ in 0..100 {
        let v = client
            .execute("return JSON.stringify(window.__paint || []);", vec![])
            .await?;
        times = serde_json::from_str(v.as_str().unwrap_or("[]"))?;
        if times.len() >= STEPS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let dom = client
        .execute("return JSON.stringify(window.__dom || []);", vec![])
        .await?;
    let dom: Vec<f64> = serde_json::from_str(dom.as_str().unwrap_or("[]"))?;
    client.close().await?;
    drop(driver);
    Ok((times, dom))
}

/// Times through canvass-app: save plus move on per question, and the move alone.
fn engine_alone(db: &std::path::Path, form: &str) -> (Vec<f64>, Vec<f64>) {
    let app = App::open(db, Arc::new(SystemClock::new())).unwrap();
    let study = app
        .install_form(form.as_bytes(), "resume_bench.xml")
        .unwrap();
    let id = app.start_interview(&study.id).unwrap().interview_id;
    let (mut times, mut moves) = (Vec::new(), Vec::new());
    for n in 0..STEPS {
        let (g, q) = (n / 50, n % 50);
        let t = Instant::now();
        app.record_answer(&id, &format!("/data/g{g}/q{g}_{q}"), "5")
            .unwrap();
        let m = Instant::now();
        app.next_item(&id).unwrap();
        moves.push(m.elapsed().as_secs_f64() * 1000.0);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    (times, moves)
}

fn report(what: &str, times: &[f64]) {
    if times.is_empty() {
        println!("{what}: no measurements");
        return;
    }
    let mut sorted = times.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let at = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
    println!(
        "{what}: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms ({} questions of a {}-question form)",
        at(0.5),
        at(0.95),
        sorted[sorted.len() - 1],
        sorted.len(),
        bigform::RESUME_QUESTIONS
    );
}

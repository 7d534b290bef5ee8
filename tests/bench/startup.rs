//! Benchmark: the app's cold start to the home screen and the memory of all its processes, as medians.
//!
//! Each run starts the built app on a fresh data folder with
//! `CANVASS_STARTUP_PROBE=1`; the home screen's first call into Rust prints a
//! probe line once its script has run. The time from spawning the process to
//! that line is the start-up time. One second later the resident memory (RSS)
//! of the app and every process it started (WebKit's web and network
//! processes) is summed from /proc. Run it on a display or under xvfb-run:
//! `xvfb-run -a cargo bench --bench startup` (`CANVASS_BENCH_RUNS` sets the count).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const APP: &str = env!("CARGO_BIN_EXE_canvass-desktop");

fn main() {
    if std::env::var_os("DISPLAY").is_none() {
        eprintln!("startup bench: no DISPLAY; run it as `xvfb-run -a cargo bench --bench startup`");
        std::process::exit(2);
    }
    let runs: usize = std::env::var("CANVASS_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let mut starts = Vec::new();
    let mut rss = Vec::new();
    for run in 0..runs {
        let data = tempfile::tempdir().expect("temporary data folder");
        let began = Instant::now();
        let mut child = Command::new(APP)
            .env("CANVASS_DATA_DIR", data.path())
            .env("CANVASS_STARTUP_PROBE", "1")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the app");
        let stderr = child.stderr.take().expect("stderr is piped");
        let mut ready = None;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("canvass-probe: home screen ready") {
                ready = Some(began.elapsed());
                break;
            }
        }
        let Some(ready) = ready else {
            let _ = child.kill();
            panic!("run {run}: the app exited before the home screen was ready");
        };
        std::thread::sleep(Duration::from_secs(1));
        let kib = tree_rss_kib(child.id());
        let _ = child.kill();
        let _ = child.wait();
        println!(
            "run {run}: home screen after {:.0} ms, RSS of all processes {:.1} MiB",
            ms(ready),
            kib as f64 / 1024.0
        );
        starts.push(ms(ready));
        rss.push(kib as f64 / 1024.0);
    }
    println!(
        "cold start to home screen: median {:.0} ms (min {:.0}, max {:.0}, {runs} runs)",
        median(&mut starts),
        min(&starts),
        max(&starts)
    );
    println!(
        "RSS of all app processes:  median {:.1} MiB (min {:.1}, max {:.1})",
        median(&mut rss),
        min(&rss),
        max(&rss)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

/// Sums VmRSS over `root` and all its descendants.
fn tree_rss_kib(root: u32) -> u64 {
    let mut parents = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // The parent pid is the second field after the command name, which is in parentheses.
        let Some(after) = stat.rsplit_once(')').map(|(_, a)| a) else {
            continue;
        };
        let ppid = after
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0);
        parents.push((pid, ppid));
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let p = tree[i];
        tree.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    tree.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .filter_map(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .sum()
}

//! Idle green threads: memory and spawn time per blocked task, side by side
//! for sprout, may (one worker), tokio (current-thread, stackless, for
//! reference) and gevent, at 10k, 100k and 1M tasks each waiting on an
//! event. Each case runs in its own process so RSS is its own.
//!
//! Run: `scripts/bench_idle.sh` (installs gevent with pip, runs this pinned
//! with `taskset`, writes BENCHMARKS.md's "Idle greenlets" section and
//! `docs/idle.svg`). One case alone: `idle worker sprout 100000`.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark binary reports on stdout"
)]

use std::process::Command;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sprout_bench::rss_kib;

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
const IMPLS: [&str; 4] = ["sprout", "may", "tokio", "gevent"];

/// Prints `ok <ns per spawn> <KiB per task>` for one case.
fn report(n: usize, before: u64, start: Instant) {
    let elapsed = start.elapsed();
    let after = rss_kib(None);
    println!(
        "ok {:.0} {:.2}",
        elapsed.as_nanos() as f64 / n as f64,
        after.saturating_sub(before) as f64 / n as f64
    );
}

fn worker_sprout(n: usize) {
    let event = Rc::new(sprout::sync::Event::new());
    let before = rss_kib(None);
    let start = Instant::now();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let e = event.clone();
            sprout::spawn(move || {
                e.wait();
            })
        })
        .collect();
    // Every greenlet runs until it blocks in `wait`.
    sprout::yield_now();
    assert_eq!(event.waiters(), n);
    report(n, before, start);
    event.set();
    for h in handles {
        h.join().expect("idle greenlet");
    }
}

fn worker_may(n: usize) {
    may::config().set_workers(1);
    let flag = Arc::new(may::sync::SyncFlag::new());
    let started = Arc::new(AtomicUsize::new(0));
    let before = rss_kib(None);
    let start = Instant::now();
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        let (f, s) = (flag.clone(), started.clone());
        // SAFETY: the closure owns its data and uses no thread-local state.
        let h = unsafe {
            may::coroutine::Builder::new().spawn(move || {
                s.fetch_add(1, Ordering::Relaxed);
                f.wait();
            })
        };
        match h {
            Ok(h) => handles.push(h),
            Err(e) => {
                println!("failed after {} coroutines: {e}", handles.len());
                std::process::exit(0);
            }
        }
    }
    // may keeps going when a coroutine's stack cannot be mapped (each costs
    // two kernel mappings), so bound the wait and say what happened.
    while started.load(Ordering::Relaxed) < n {
        if start.elapsed() > Duration::from_secs(60) {
            let maps = std::fs::read_to_string("/proc/self/maps")
                .map(|m| m.lines().count())
                .unwrap_or(0);
            println!(
                "failed: only {} of {n} coroutines started ({maps} memory mappings in use)",
                started.load(Ordering::Relaxed)
            );
            std::process::exit(0);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    report(n, before, start);
    flag.fire();
    for h in handles {
        let _ = h.join();
    }
}

fn worker_tokio(n: usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let notify = Arc::new(tokio::sync::Notify::new());
        let started = Arc::new(AtomicUsize::new(0));
        let before = rss_kib(None);
        let start = Instant::now();
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let (nt, s) = (notify.clone(), started.clone());
                tokio::task::spawn(async move {
                    let wait = nt.notified();
                    s.fetch_add(1, Ordering::Relaxed);
                    wait.await;
                })
            })
            .collect();
        while started.load(Ordering::Relaxed) < n {
            tokio::task::yield_now().await;
        }
        report(n, before, start);
        notify.notify_waiters();
        for h in handles {
            h.await.expect("idle task");
        }
    });
}

const GEVENT_SCRIPT: &str = r#"
import sys, time, gevent, gevent.event
def rss():
    for l in open('/proc/self/status'):
        if l.startswith('VmRSS:'):
            return int(l.split()[1])
n = int(sys.argv[1])
ev = gevent.event.Event()
before = rss()
t = time.perf_counter()
gs = [gevent.spawn(ev.wait) for _ in range(n)]
gevent.sleep(0)
el = time.perf_counter() - t
print("ok %.0f %.2f" % (el * 1e9 / n, (rss() - before) / n))
ev.set()
gevent.joinall(gs)
"#;

/// One case: implementation, task count, and `(ns/spawn, KiB/task)` or why not.
type CaseResult = (&'static str, usize, Result<(f64, f64), String>);

/// Runs one case in a child process; returns `(ns/spawn, KiB/task)` or why not.
fn run_case(imp: &str, n: usize) -> Result<(f64, f64), String> {
    // `timeout`: a runtime that cannot map a stack may hang instead of
    // failing (may deadlocks in its out-of-memory hook).
    let mut cmd = Command::new("timeout");
    cmd.arg("180");
    if imp == "gevent" {
        cmd.args(["python3", "-c", GEVENT_SCRIPT, &n.to_string()]);
    } else {
        cmd.arg(std::env::current_exe().map_err(|e| e.to_string())?);
        cmd.args(["worker", imp, &n.to_string()]);
    }
    let out = cmd.output().map_err(|e| format!("cannot run: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("ok ") || l.starts_with("failed"));
    match line {
        Some(l) if l.starts_with("ok ") => {
            let v: Vec<f64> = l[3..]
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            Ok((v[0], v[1]))
        }
        Some(l) => Err(l.to_string()),
        None if out.status.code() == Some(124) => Err("failed: hung, killed after 180 s".into()),
        None => {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no output");
            Err(format!("failed ({}): {last}", out.status))
        }
    }
}

fn plot(results: &[CaseResult], path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let series: Vec<_> = IMPLS
        .iter()
        .map(|imp| {
            let pts = results
                .iter()
                .filter(|r| r.0 == *imp)
                .filter_map(|r| r.2.as_ref().ok().map(|v| (r.1 as f64, v.1)))
                .collect();
            (*imp, pts)
        })
        .collect();
    sprout_bench::plot_lines(
        path,
        "RSS per idle task (KiB) vs number of tasks",
        ("tasks", "KiB per task"),
        (10_000.0, 1_000_000.0),
        &series,
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("worker") {
        let n: usize = args[2].parse().expect("task count");
        match args[1].as_str() {
            "sprout" => worker_sprout(n),
            "may" => worker_may(n),
            "tokio" => worker_tokio(n),
            other => panic!("unknown implementation {other}"),
        }
        return;
    }
    let svg = args
        .first()
        .cloned()
        .unwrap_or_else(|| "docs/idle.svg".into());
    let mut results = Vec::new();
    for n in SIZES {
        for imp in IMPLS {
            eprintln!("running {imp} with {n} idle tasks");
            results.push((imp, n, run_case(imp, n)));
        }
    }
    println!("| tasks | implementation | spawn+start ns/task | RSS KiB/task |");
    println!("|---:|---|---:|---:|");
    for (imp, n, r) in &results {
        match r {
            Ok((ns, kib)) => println!("| {n} | {imp} | {ns:.0} | {kib:.2} |"),
            Err(e) => println!("| {n} | {imp} | — | {} |", e.replace('|', "/")),
        }
    }
    if let Err(e) = plot(&results, &svg) {
        eprintln!("plot failed: {e}");
    } else {
        println!("\nPlot: [{svg}]({svg})");
    }
}

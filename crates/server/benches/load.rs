//! The guard service under load, over loopback: a burst of guard events posted in
//! batches from several connections to a service running the bundled example's guard
//! with a durable log (every acknowledgement waits for an fsync'd commit).
//!
//! ```text
//! cargo bench -p bulwark-server --bench load -- [--events N] [--batch B] [--connections C]
//!     [--max-seconds S] [--snapshot-every N] [--rate EVENTS_PER_S]
//! ```
//!
//! Prints sustained events per second, the per-request latency (from when the request
//! was due, with `--rate`, or sent, to its durable acknowledgement) and the service's own
//! receipt-to-durable-decision latency.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)] // A benchmark's report is its output.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bulwark_server::guard_machine::GuardMachine;
use bulwark_server::http::About;
use bulwark_server::load::{LoadOptions, run};
use bulwark_server::{EngineOptions, Limits, ServeOptions};

const TOKEN: &str = "load-benchmark-token";
/// 2026-01-01T00:00:00Z.
const T0_MS: u64 = 1_767_225_600_000;

struct Args {
    events: u64,
    batch: u64,
    connections: usize,
    max_seconds: u64,
    snapshot_every: u64,
    rate: Option<f64>,
}

fn args() -> Args {
    let mut a = Args {
        events: 200_000,
        batch: 100,
        connections: 8,
        max_seconds: 60,
        snapshot_every: EngineOptions::default().snapshot_every,
        rate: None,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    // `cargo test --all-targets` runs this without `--bench`: a short smoke run then.
    if !argv.iter().any(|x| x == "--bench") {
        a.events = 2_000;
    }
    let mut i = 0;
    while i < argv.len() {
        let value = || argv.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match argv[i].as_str() {
            "--events" => a.events = value().expect("--events N"),
            "--batch" => a.batch = value().expect("--batch B").max(1),
            "--connections" => a.connections = value().expect("--connections C").max(1) as usize,
            "--max-seconds" => a.max_seconds = value().expect("--max-seconds S"),
            "--snapshot-every" => a.snapshot_every = value().expect("--snapshot-every N").max(1),
            "--rate" => a.rate = Some(value().expect("--rate EVENTS_PER_S") as f64),
            _ => {
                i += 1; // cargo bench passes --bench; ignore what is not ours
                continue;
            }
        }
        i += 2;
    }
    a
}

/// Event `k` of the stream: deposits and withdrawals of USDC (net inflow, so the
/// limiter is exercised without tripping), WETH venue prices and oracle rounds, one
/// event every 100 ms of event time.
fn event(k: u64) -> String {
    let t = T0_MS + k * 100;
    let price = 3000.0 + (k % 200) as f64 * 0.5;
    match k % 10 {
        0..=3 => format!(r#"{{"id":"L{k}","time_ms":{t},"kind":"inflow","asset":"USDC","amount":1000.0}}"#),
        4..=7 => format!(r#"{{"id":"L{k}","time_ms":{t},"kind":"outflow","asset":"USDC","amount":900.0}}"#),
        8 => format!(
            r#"{{"id":"L{k}","time_ms":{t},"kind":"venue_price","asset":"WETH","venue":"uniswap","price":{price}}}"#
        ),
        _ => format!(
            r#"{{"id":"L{k}","time_ms":{t},"kind":"oracle_round","asset":"WETH","price":{price},"round_time_ms":{t}}}"#
        ),
    }
}

fn main() {
    let a = args();
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/aave-v3-ethereum.toml");
    let protocol = bulwark_spec::load(&spec).unwrap_or_else(|e| panic!("{e}"));
    let machine = GuardMachine::from_protocol(&protocol).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        writer_token: TOKEN.into(),
        admin_token: None,
        limits: Limits { requests_per_s: 1e9, burst: 1e9, ..Limits::default() },
        engine: EngineOptions { snapshot_every: a.snapshot_every, ..EngineOptions::default() },
        nats: None,
        about: About { protocol: protocol.name.clone(), spec: "examples/aave-v3-ethereum.toml".into() },
        config_digest: machine.config_digest(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let running = runtime.block_on(bulwark_server::start(options, machine)).unwrap();
    let addr = running.addr();
    let engine = Arc::clone(running.engine());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(running.run_until(async move {
        let _ = stopped.await;
    }));

    let bodies: Vec<(Vec<u8>, u64)> = (0..a.events.div_ceil(a.batch))
        .map(|b| {
            let first = b * a.batch;
            let last = (first + a.batch).min(a.events);
            let events: Vec<String> = (first..last).map(event).collect();
            (format!("[{}]", events.join(",")).into_bytes(), last - first)
        })
        .collect();
    let options = LoadOptions {
        addr,
        token: TOKEN.into(),
        connections: a.connections,
        max_duration: Duration::from_secs(a.max_seconds),
        rate: a.rate,
    };
    let report = run(&options, Arc::new(bodies)).unwrap();

    let metrics = engine.metrics();
    let commits = metrics.commits.load(Ordering::Relaxed);
    let applied = metrics.events_applied.load(Ordering::Relaxed);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let server_ms = |q: f64| metrics.decision_latency.quantile_upper_s(q).map_or(f64::NAN, |s| s * 1e3);
    let offered = a.rate.map_or_else(|| "as fast as answered".to_string(), |r| format!("offered at {r:.0} events/s"));
    println!(
        "guard service load: {} events in batches of {} over {} connections, {offered} (loopback, durable log)",
        a.events, a.batch, a.connections
    );
    println!(
        "  acknowledged      {} events, {} requests, {} errors, in {:.2} s",
        report.events,
        report.requests,
        report.errors,
        report.elapsed.as_secs_f64()
    );
    println!("  throughput        {:.0} events/s", report.events_per_s());
    println!(
        "  request latency   p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (due to durable acknowledgement, client side)",
        ms(report.latency_quantile(0.5)),
        ms(report.latency_quantile(0.99)),
        ms(report.latency_quantile(1.0))
    );
    println!(
        "  decision latency  p50 <= {:.2} ms, p99 <= {:.2} ms (receipt to durable decision, per event, service side; bucket bounds)",
        server_ms(0.5),
        server_ms(0.99)
    );
    let commit_ms = |q: f64| metrics.commit_latency.quantile_upper_s(q).map_or(f64::NAN, |s| s * 1e3);
    println!(
        "  group commit      {commits} fsync'd commits, {:.0} events per commit on average; commit time p50 <= {:.2} ms, p99 <= {:.2} ms",
        applied as f64 / commits.max(1) as f64,
        commit_ms(0.5),
        commit_ms(0.99)
    );
    stop.send(()).unwrap();
    runtime.block_on(server).unwrap().unwrap();
    assert_eq!(report.errors, 0, "requests failed under load");
    assert_eq!(report.events, applied, "every acknowledged event was applied once");
}

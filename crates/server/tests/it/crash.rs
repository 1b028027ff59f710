//! The crash test: the service is killed with SIGKILL during a burst of writes and
//! restarted, three times; every acknowledged event id is in the log exactly once, and
//! the state rebuilt from the log matches the log (nothing half-applied).
//!
//! The server runs in a child process: this test binary itself, re-run with
//! `crash::crash_child_server` (an ignored test that serves until killed).

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bulwark_server::http::About;
use bulwark_server::load::Client;
use bulwark_server::{EngineOptions, Limits, ServeOptions};

use crate::toy::{Sums, add};

const CHILD_DIR: &str = "BULWARK_CRASH_CHILD_DIR";
const TOKEN: &str = "crash-token";

/// Not a test on its own: the server process of the crash test.
#[test]
#[ignore = "run by the crash test as its server process"]
fn crash_child_server() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else { return };
    bulwark_server::init_tracing();
    let options = ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.into(),
        writer_token: TOKEN.into(),
        admin_token: None,
        limits: Limits { requests_per_s: 1e9, burst: 1e9, ..Limits::default() },
        // Snapshots often, so that kills also land around snapshot writes.
        engine: EngineOptions { snapshot_every: 500, ..EngineOptions::default() },
        nats: None,
        about: About { protocol: "crash test".into(), spec: "toy".into() },
        config_digest: "toy".into(),
    };
    bulwark_server::run_blocking(options, Sums::default()).unwrap();
}

/// Starts the server process on `dir` and returns it with its address, read from its
/// "listening on" log line.
pub(crate) fn start_child(dir: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash::crash_child_server", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent && let Some(rest) = line.split("listening on http://").nth(1) {
                let addr: SocketAddr = rest.split_whitespace().next().unwrap().parse().unwrap();
                tx.send(addr).unwrap();
                sent = true;
            }
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(30)).expect("the server printed where it listens");
    (child, addr)
}

/// Every logged record, by paging `GET /v1/events`.
pub(crate) fn all_records(addr: SocketAddr) -> Vec<serde_json::Value> {
    let mut client = Client::connect(addr).unwrap();
    let mut since = 0;
    let mut out = Vec::new();
    loop {
        let reply = client.request("GET", &format!("/v1/events?since={since}&limit=10000"), None, b"").unwrap();
        assert_eq!(reply.status, 200, "{}", reply.text());
        let page: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        let events = page["events"].as_array().unwrap();
        if events.is_empty() {
            return out;
        }
        since = page["next_since"].as_u64().unwrap();
        out.extend(events.iter().cloned());
    }
}

#[test]
fn sigkill_during_a_burst_loses_no_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut next_batch = 0u64;
    for round in 0..3 {
        let (mut child, addr) = start_child(dir.path());
        let stop = Arc::new(AtomicBool::new(false));
        let mut writers = Vec::new();
        for writer in 0..4 {
            let acked = Arc::clone(&acked);
            let stop = Arc::clone(&stop);
            let first = next_batch + writer * 1_000_000;
            writers.push(std::thread::spawn(move || {
                let mut client = Client::connect(addr).unwrap();
                let mut n = 0;
                for batch in first.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let size = 1 + (batch % 40) as usize;
                    let ids: Vec<String> = (0..size).map(|i| format!("r{round}-b{batch}-{i}")).collect();
                    let body = format!(
                        "[{}]",
                        ids.iter().map(|id| add(id, &format!("acct{}", batch % 7), 1)).collect::<Vec<_>>().join(",")
                    );
                    match client.request("POST", "/v1/events", Some(TOKEN), body.as_bytes()) {
                        Ok(reply) if reply.status == 200 => {
                            acked.lock().unwrap().extend(ids);
                            n += size;
                        }
                        Ok(reply) => panic!("unexpected answer {}: {}", reply.status, reply.text()),
                        Err(_) => break, // the server died mid-request: not acknowledged
                    }
                }
                n
            }));
        }
        // Kill at a different moment each round, while the writers are busy.
        std::thread::sleep(Duration::from_millis(300 + 170 * round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        let written: usize = writers.into_iter().map(|w| w.join().unwrap()).sum();
        assert!(written > 0, "round {round}: the burst acknowledged nothing before the kill");
        next_batch += 10_000_000;
    }

    let (mut child, addr) = start_child(dir.path());
    let records = all_records(addr);
    let mut seen = HashSet::new();
    let mut per_account: BTreeMap<String, i64> = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record["seq"].as_u64(), Some(i as u64 + 1), "the log has no gaps");
        let id = record["event"]["id"].as_str().unwrap().to_string();
        assert!(seen.insert(id.clone()), "{id} is in the log twice");
        let account = record["event"]["account"].as_str().unwrap().to_string();
        let sum = per_account.entry(account).or_default();
        *sum += 1;
        assert_eq!(record["decision"].as_i64(), Some(*sum), "decision of {id}");
    }
    let acked = acked.lock().unwrap();
    let missing: Vec<&String> = acked.iter().filter(|id| !seen.contains(*id)).take(5).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?} (of {})", acked.len());
    // The state rebuilt on restart is the log's: no half-applied batch.
    let mut client = Client::connect(addr).unwrap();
    let reply = client.request("GET", "/v1/parameters", None, b"").unwrap();
    let state: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(state["parameters"], serde_json::to_value(&per_account).unwrap());
    eprintln!("crash test: {} acknowledged, {} logged, 3 kills", acked.len(), records.len());
    // Re-sending an acknowledged event applies nothing.
    let one = acked.iter().next().unwrap().clone();
    let reply = client.request("POST", "/v1/events", Some(TOKEN), add(&one, "acct0", 1).as_bytes()).unwrap();
    assert!(reply.text().contains("\"duplicate\":true"), "{}", reply.text());
    child.kill().unwrap();
    child.wait().unwrap();
}

//! Ingestion from NATS against a real `nats-server` on 127.0.0.1 (a free port, started
//! by the test). Publishers use request/reply and re-send until answered; the test
//! re-sends, loses a reply on purpose, and shows every event applied exactly once.
//!
//! Needs `nats-server`: `scripts/test.sh` installs Debian's; `BULWARK_NATS_SERVER`
//! names another binary.

use std::collections::{BTreeMap, HashSet};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bulwark_server::http::About;
use bulwark_server::nats::NatsOptions;
use bulwark_server::{EngineOptions, Limits, ServeOptions};

use crate::crash::all_records;
use crate::toy::{Sums, add};

fn nats_server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("BULWARK_NATS_SERVER") {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain(["/usr/sbin".into(), "/usr/bin".into()]);
    for dir in dirs {
        let candidate = dir.join("nats-server");
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!("no nats-server found: run scripts/test.sh (it installs Debian's nats-server) or set BULWARK_NATS_SERVER");
}

/// A nats-server on 127.0.0.1, killed on drop.
pub(crate) struct NatsServer {
    child: Child,
    pub(crate) url: String,
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_nats() -> NatsServer {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(nats_server_binary())
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server starts");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "nats-server did not listen on {addr}");
        std::thread::sleep(Duration::from_millis(20));
    }
    NatsServer { child, url: format!("nats://{addr}") }
}

async fn request(client: &async_nats::Client, subject: &str, body: String) -> serde_json::Value {
    // At least once: re-send until a reply comes.
    for _ in 0..20 {
        let sent = client.request(subject.to_string(), body.clone().into());
        if let Ok(Ok(reply)) = tokio::time::timeout(Duration::from_secs(5), sent).await {
            return serde_json::from_slice(&reply.payload).unwrap();
        }
    }
    panic!("no reply after 20 tries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_messages_are_applied_exactly_once() {
    let nats = start_nats();
    let dir = tempfile::tempdir().unwrap();
    let subject = "bulwark.test.events";
    let options = ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        writer_token: "t".into(),
        admin_token: None,
        limits: Limits::default(),
        engine: EngineOptions::default(),
        nats: Some(NatsOptions { url: nats.url.clone(), subject: subject.into() }),
        about: About::default(),
        config_digest: "toy".into(),
    };
    let running = bulwark_server::start(options, Sums::default()).await.unwrap();
    let addr = running.addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(running.run_until(async move {
        let _ = stopped.await;
    }));
    let client = async_nats::connect(nats.url.as_str()).await.unwrap();

    let reply = request(&client, subject, add("n1", "a", 5)).await;
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(reply["applied"], 1);
    let reply = request(&client, subject, add("n1", "a", 5)).await;
    assert_eq!((reply["applied"].as_u64(), reply["duplicates"].as_u64()), (Some(0), Some(1)), "{reply}");

    // A reply lost on the way back: published with a reply subject nobody reads. The
    // publisher, seeing no answer, re-sends; the service acknowledges without re-applying.
    client.publish_with_reply(subject.to_string(), "lost.inbox".to_string(), add("n2", "a", 3).into()).await.unwrap();
    client.flush().await.unwrap();
    let reply = request(&client, subject, add("n2", "a", 3)).await;
    assert_eq!(reply["results"][0]["id"], "n2", "{reply}");

    // A burst of concurrent requests, each sent twice.
    let mut pending = Vec::new();
    for i in 0..200 {
        for _ in 0..2 {
            let client = client.clone();
            let body = format!("{}\n{}", add(&format!("b{i}-0"), "b", 1), add(&format!("b{i}-1"), "b", 1));
            pending.push(tokio::spawn(async move { request(&client, subject, body).await }));
        }
    }
    for p in pending {
        let reply = p.await.unwrap();
        assert_eq!(reply["ok"], true, "{reply}");
    }

    // Malformed input and commands are answered with an error and change nothing.
    let reply = request(&client, subject, "{not json".into()).await;
    assert_eq!((reply["ok"].as_bool(), reply["error"]["code"].as_str()), (Some(false), Some("bad_request")), "{reply}");
    let reply = request(&client, subject, r#"{"id":"c","account":"a","amount":1,"command":true}"#.into()).await;
    assert_eq!(reply["error"]["code"], "forbidden", "{reply}");

    let records = tokio::task::spawn_blocking(move || all_records(addr)).await.unwrap();
    let ids: Vec<&str> = records.iter().map(|r| r["event"]["id"].as_str().unwrap()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "an id was applied twice");
    assert_eq!(ids.len(), 2 + 400, "n1, n2 and 400 burst events");
    let mut sums = BTreeMap::new();
    for r in &records {
        *sums.entry(r["event"]["account"].as_str().unwrap()).or_insert(0) += r["event"]["amount"].as_i64().unwrap();
    }
    assert_eq!(sums, BTreeMap::from([("a", 8), ("b", 400)]));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

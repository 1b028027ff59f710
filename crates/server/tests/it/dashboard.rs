//! The dashboard as a person sees it, in headless Chromium: it connects, shows the
//! example's breakers green, and turns the outflow breaker red within a second of the
//! event that trips it, with the flow chart drawn.

use std::time::{Duration, Instant};

use bulwark_server::http::About;
use bulwark_server::load::Client;
use bulwark_server::{EngineOptions, Limits, ServeOptions};

use crate::cdp::Browser;
use crate::guard::{example_machine, tripping_events};

const RED: &str = "rgb(207, 34, 46)";
const GREEN: &str = "rgb(26, 127, 55)";

fn wait_for(browser: &mut Browser, expression: &str, expected: &serde_json::Value, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let value = browser.eval(expression);
        if &value == expected {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "{expression} is {value}, not {expected}, after {within:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_tripped_breaker_turns_red_on_the_dashboard_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let machine = example_machine();
    let options = ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("data"),
        writer_token: "dashboard-token".into(),
        admin_token: None,
        limits: Limits::default(),
        engine: EngineOptions::default(),
        nats: None,
        about: About { protocol: "example".into(), spec: "examples/aave-v3-ethereum.toml".into() },
        config_digest: machine.config_digest(),
    };
    let running = runtime.block_on(bulwark_server::start(options, machine)).unwrap();
    let addr = running.addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(running.run_until(async move {
        let _ = stopped.await;
    }));
    let mut client = Client::connect(addr).unwrap();
    let (deposit, withdrawal) = tripping_events();
    assert_eq!(client.request("POST", "/v1/events", Some("dashboard-token"), deposit.as_bytes()).unwrap().status, 200);

    let mut browser = Browser::launch(dir.path());
    browser.open(&format!("http://{addr}/"));
    let badge = r#"(() => { const b = document.querySelector('tr[data-breaker="outflow:USDC"] .breaker'); return b ? getComputedStyle(b).backgroundColor : null; })()"#;
    wait_for(&mut browser, "document.getElementById('conn').dataset.state", &"live".into(), Duration::from_secs(20));
    wait_for(&mut browser, badge, &GREEN.into(), Duration::from_secs(5));

    let sent = Instant::now();
    let reply = client.request("POST", "/v1/events", Some("dashboard-token"), withdrawal.as_bytes()).unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    let acknowledged = sent.elapsed();
    let turned_red = wait_for(&mut browser, badge, &RED.into(), Duration::from_secs(5)) + acknowledged;
    eprintln!("the breaker turned red {turned_red:?} after the event was sent");
    assert!(turned_red < Duration::from_secs(1), "red only after {turned_red:?}");
    // The flow chart has drawn the USDC line, and the page raised no error.
    wait_for(&mut browser, "document.getElementById('flows').dataset.lines", &"1".into(), Duration::from_secs(2));
    assert_eq!(browser.eval("document.querySelectorAll('#alerts tr td.sev-critical').length"), serde_json::json!(1));
    assert!(browser.errors.is_empty(), "the page reported errors: {:?}", browser.errors);
    drop(browser);
    stop.send(()).unwrap();
    runtime.block_on(server).unwrap().unwrap();
}

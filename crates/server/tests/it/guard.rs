//! The service running the real guard on the bundled example spec: an outflow trips a
//! breaker, the write token cannot loosen, the admin token can, and a restart rebuilds
//! the same state from the snapshot and the log.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use bulwark_server::guard_machine::GuardMachine;
use bulwark_server::http::About;
use bulwark_server::{AppState, Engine, EngineOptions, Limits, Store, app};

use crate::api::{ADMIN, TOKEN, call};

pub(crate) const HOUR_MS: u64 = 3_600_000;
/// 2026-01-01T00:00:00Z, a start for the events' clock.
pub(crate) const T0_MS: u64 = 1_767_225_600_000;

pub(crate) fn example_machine() -> GuardMachine {
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/aave-v3-ethereum.toml");
    let protocol = bulwark_spec::load(&spec).unwrap_or_else(|e| panic!("{e}"));
    GuardMachine::from_protocol(&protocol).unwrap()
}

pub(crate) fn flow(id: &str, hours: u64, kind: &str, asset: &str, amount: f64) -> String {
    format!(
        r#"{{"id":"{id}","time_ms":{},"kind":"{kind}","asset":"{asset}","amount":{amount}}}"#,
        T0_MS + hours * HOUR_MS
    )
}

/// A deposit of 2M USDC, settled after the 4 h window, then 35 % of it withdrawn: more
/// than the 30 % the example's ERC-7265 limiter lets leave in 4 hours.
pub(crate) fn tripping_events() -> (String, String) {
    (flow("dep-1", 0, "inflow", "USDC", 2_000_000.0), flow("wd-1", 5, "outflow", "USDC", 700_000.0))
}

fn guard_app(dir: &std::path::Path, snapshot_every: u64) -> (Router, Arc<Engine<GuardMachine>>) {
    let machine = example_machine();
    let store = Store::open(dir, &machine.config_digest()).unwrap();
    let engine =
        Arc::new(Engine::start(store, machine, EngineOptions { snapshot_every, ..EngineOptions::default() }).unwrap());
    let auth = bulwark_server::auth::Auth::new(TOKEN, Some(ADMIN));
    (app(AppState::new(Arc::clone(&engine), auth, Limits::default(), About::default())), engine)
}

fn breaker<'a>(breakers: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    breakers["breakers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == name)
        .unwrap_or_else(|| panic!("no breaker {name}: {breakers}"))
}

#[tokio::test]
async fn an_outflow_trips_the_breaker_and_only_the_admin_loosens() {
    let dir = tempfile::tempdir().unwrap();
    let (router, engine) = guard_app(dir.path(), 2);
    let (deposit, withdrawal) = tripping_events();
    let (status, reply) = call(&router, "POST", "/v1/events", Some(TOKEN), &deposit).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let (_, breakers) = call(&router, "GET", "/v1/breakers", None, "").await;
    assert_eq!(breaker(&breakers, "outflow:USDC")["state"], "armed");

    let (status, reply) = call(&router, "POST", "/v1/events", Some(TOKEN), &withdrawal).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let decisions = &reply["results"][0]["decision"]["decisions"];
    assert!(
        decisions.as_array().unwrap().iter().any(|d| d["decision"] == "breaker" && d["breaker"] == "outflow:USDC"),
        "{reply}"
    );
    let (_, breakers) = call(&router, "GET", "/v1/breakers", None, "").await;
    let tripped = breaker(&breakers, "outflow:USDC");
    assert_eq!((tripped["state"].as_str(), tripped["in_force"].as_bool()), (Some("tripped"), Some(true)), "{tripped}");
    let (_, alerts) = call(&router, "GET", "/v1/alerts", None, "").await;
    assert!(alerts["alerts"].as_array().unwrap().iter().any(|a| a["alert_id"] == "outflow:USDC"), "{alerts}");
    let (_, status_page) = call(&router, "GET", "/v1/status", None, "").await;
    // The outflow breaker among others (the example's oracles have gone stale by then).
    assert!(status_page["breakers_in_force"].as_u64() >= Some(1), "{status_page}");

    // Loosening through the write endpoint is refused, whatever authority it claims.
    let reset = |id: &str, method: &str| {
        format!(
            r#"{{"id":"{id}","time_ms":{},"kind":"reset_breaker","breaker":"outflow:USDC","force":true,"authority":{{"principal":"ops","method":{{"method":"{method}"}}}}}}"#,
            T0_MS + 6 * HOUR_MS
        )
    };
    let (status, reply) = call(&router, "POST", "/v1/events", Some(TOKEN), &reset("r1", "admin_token")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{reply}");
    let multisig = reset("r2", "admin_token")
        .replace(r#"{"method":"admin_token"}"#, r#"{"method":"multisig","signers":["a","b"],"queued_ms":0}"#);
    let (status, reply) = call(&router, "POST", "/v1/admin/events", Some(ADMIN), &multisig).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{reply}");
    let (_, breakers) = call(&router, "GET", "/v1/breakers", None, "").await;
    assert_eq!(breaker(&breakers, "outflow:USDC")["state"], "tripped", "nothing loosened");

    // A well-formed event the guard refuses: 422, nothing applied.
    let (status, reply) =
        call(&router, "POST", "/v1/events", Some(TOKEN), &flow("x1", 6, "outflow", "DOGE", 1.0)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    assert!(reply["error"]["message"].as_str().unwrap().contains("DOGE"), "{reply}");

    let (status, reply) = call(&router, "POST", "/v1/admin/events", Some(ADMIN), &reset("r3", "admin_token")).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let (_, breakers) = call(&router, "GET", "/v1/breakers", None, "").await;
    assert_eq!(breaker(&breakers, "outflow:USDC")["state"], "armed");

    // Restart: the state rebuilt from the snapshot and the log is the same.
    let before = serde_json::to_value(&*engine.view()).unwrap();
    engine.stop();
    drop(router);
    drop(engine);
    let (router, engine) = guard_app(dir.path(), 2);
    let after = serde_json::to_value(&*engine.view()).unwrap();
    for part in ["breakers", "alerts", "parameters", "seq"] {
        assert_eq!(before[part], after[part], "{part} differs after the restart");
    }
    assert_eq!(before["status"]["guard"], after["status"]["guard"]);
    let (_, reply) = call(&router, "POST", "/v1/events", Some(TOKEN), &withdrawal).await;
    assert_eq!(reply["duplicates"], 1, "re-sent after the restart: {reply}");
}

//! The HTTP API without a socket (`tower::ServiceExt::oneshot`): auth, limits, bad
//! input, idempotency and the read endpoints, on the small test machine.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use bulwark_server::http::About;
use bulwark_server::{AppState, Engine, EngineOptions, Limits, Store, app};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::toy::{Sums, add};

pub(crate) const TOKEN: &str = "writer-secret";
pub(crate) const ADMIN: &str = "admin-secret";

pub(crate) struct TestApp {
    pub(crate) router: Router,
    pub(crate) engine: Arc<Engine<Sums>>,
    _dir: tempfile::TempDir,
}

pub(crate) fn test_app(limits: Limits) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), "toy").unwrap();
    let engine = Arc::new(Engine::start(store, Sums::default(), EngineOptions::default()).unwrap());
    let auth = bulwark_server::auth::Auth::new(TOKEN, Some(ADMIN));
    let state = AppState::new(Arc::clone(&engine), auth, limits, About::default());
    TestApp { router: app(state), engine, _dir: dir }
}

pub(crate) async fn call(
    router: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (StatusCode, serde_json::Value) {
    let mut request = Request::builder().method(method).uri(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = router.clone().oneshot(request.body(Body::from(body.to_string())).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, value)
}

async fn sums(router: &Router) -> serde_json::Value {
    call(router, "GET", "/v1/parameters", None, "").await.1["parameters"].clone()
}

#[tokio::test]
async fn events_are_applied_once_however_often_they_are_sent() {
    let t = test_app(Limits::default());
    let body = format!("[{},{}]", add("e1", "a", 5), add("e2", "a", 7));
    let (status, reply) = call(&t.router, "POST", "/v1/events", Some(TOKEN), &body).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["applied"], 2);
    assert_eq!(reply["results"][1]["decision"], 12);
    // Re-sent, alone and mixed with a new one, as newline-delimited JSON.
    let again = format!("{}\n{}\n", add("e2", "a", 7), add("e3", "a", 1));
    let (status, reply) = call(&t.router, "POST", "/v1/events", Some(TOKEN), &again).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!((reply["applied"].as_u64(), reply["duplicates"].as_u64()), (Some(1), Some(1)));
    assert_eq!(reply["results"][0]["seq"], 2, "a duplicate points at the first copy");
    assert_eq!(reply["results"][0]["duplicate"], true);
    // The same id twice in one request counts once.
    let (_, reply) = call(&t.router, "POST", "/v1/events", Some(TOKEN), &format!("[{0},{0}]", add("e4", "b", 1))).await;
    assert_eq!(reply["applied"], 1, "{reply}");
    assert_eq!(sums(&t.router).await, serde_json::json!({"a": 13, "b": 1}));

    let (status, page) = call(&t.router, "GET", "/v1/events?since=1&limit=2", None, "").await;
    assert_eq!(status, StatusCode::OK);
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["seq"], 2);
    assert_eq!(events[0]["event"]["id"], "e2");
    assert_eq!(events[0]["decision"], 12);
    assert_eq!(page["next_since"], 3);
}

#[tokio::test]
async fn writes_need_the_token_and_reads_do_not() {
    let t = test_app(Limits::default());
    let body = add("e1", "a", 1);
    for (token, expected) in [(None, 401), (Some("wrong"), 401), (Some(&format!("{TOKEN}x")[..]), 401)] {
        let (status, reply) = call(&t.router, "POST", "/v1/events", token, &body).await;
        assert_eq!(status.as_u16(), expected, "{reply}");
        assert_eq!(reply["error"]["code"], "unauthorized");
    }
    // The write token does not open the admin endpoint.
    let (status, _) = call(&t.router, "POST", "/v1/admin/events", Some(TOKEN), &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(sums(&t.router).await, serde_json::json!({}), "nothing was applied");
    for path in ["/v1/status", "/v1/breakers", "/v1/alerts", "/v1/parameters", "/v1/events", "/metrics", "/"] {
        let (status, _) = call(&t.router, "GET", path, None, "").await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn commands_need_the_admin_channel() {
    let t = test_app(Limits::default());
    let command = r#"{"id":"c1","account":"a","amount":1,"command":true}"#;
    let (status, reply) = call(&t.router, "POST", "/v1/events", Some(TOKEN), command).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{reply}");
    let (status, reply) = call(&t.router, "POST", "/v1/admin/events", Some(ADMIN), command).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
}

#[tokio::test]
async fn malformed_and_hostile_bodies_get_a_4xx_and_change_nothing() {
    let t = test_app(Limits { max_body_bytes: 4096, max_events: 3, ..Limits::default() });
    let cases: Vec<(String, u16, &str)> = vec![
        ("".into(), 400, "no events"),
        ("not json".into(), 400, "event 0"),
        (format!("{}\n{{\"id\":\"x\"}}", add("ok1", "a", 1)), 400, "event 1"),
        (format!("[{}, 7]", add("ok2", "a", 1)), 400, "array"),
        ("[".repeat(3000), 400, "event 0"),
        (add("", "a", 1), 400, "not valid"),
        (add("bad\\u0000id", "a", 1), 400, "control"),
        (
            format!("[{}]", (0..4).map(|i| add(&format!("m{i}"), "a", 1)).collect::<Vec<_>>().join(",")),
            413,
            "more than 3",
        ),
        (format!("[{}]", add(&"x".repeat(5000), "a", 1)), 413, "larger than 4096"),
        // A well-formed request whose second event the machine refuses: the first is undone.
        (format!("[{},{}]", add("r1", "a", 1), add("r2", "a", -1)), 422, "event 1"),
        (format!("[{},{}]", add("r3", "b", 1), add("r4", "reserved", 1)), 422, "closed"),
    ];
    for (body, expected, needle) in cases {
        let (status, reply) = call(&t.router, "POST", "/v1/events", Some(TOKEN), &body).await;
        assert_eq!(status.as_u16(), expected, "{body:.80}: {reply}");
        let message = reply["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{message:?} should mention {needle:?}");
    }
    assert_eq!(sums(&t.router).await, serde_json::json!({}), "nothing was applied");
    let (_, page) = call(&t.router, "GET", "/v1/events", None, "").await;
    assert_eq!(page["events"].as_array().unwrap().len(), 0);
    // Bad query strings are refused too.
    let (status, _) = call(&t.router, "GET", "/v1/events?since=-1", None, "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(&t.router, "GET", "/v1/events?limit=0", None, "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, reply) = call(&t.router, "GET", "/v2/nothing", None, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{reply}");
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let t = test_app(Limits { requests_per_s: 0.1, burst: 2.0, ..Limits::default() });
    for i in 0..2 {
        let (status, _) = call(&t.router, "POST", "/v1/events", Some(TOKEN), &add(&format!("e{i}"), "a", 1)).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, reply) = call(&t.router, "POST", "/v1/events", Some(TOKEN), &add("e9", "a", 1)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{reply}");
    assert_eq!(sums(&t.router).await, serde_json::json!({"a": 2}));
}

#[tokio::test]
async fn metrics_count_what_happened() {
    let t = test_app(Limits::default());
    call(&t.router, "POST", "/v1/events", Some(TOKEN), &add("e1", "a", 1)).await;
    call(&t.router, "POST", "/v1/events", Some(TOKEN), &add("e1", "a", 1)).await;
    call(&t.router, "POST", "/v1/events", None, &add("e2", "a", 1)).await;
    let (_, text) = call(&t.router, "GET", "/metrics", None, "").await;
    let text = text.as_str().unwrap().to_string();
    for line in [
        "bulwark_events_applied_total 1\n",
        "bulwark_events_duplicate_total 1\n",
        "bulwark_requests_refused_total 1\n",
        "bulwark_decision_latency_seconds_count 2\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert_eq!(t.engine.view().seq, 1);
}

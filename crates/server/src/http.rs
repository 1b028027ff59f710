//! The HTTP API, versioned under `/v1`, plus `/metrics` and the dashboard at `/`.
//!
//! Writes (`POST /v1/events`, `POST /v1/admin/events`) need a bearer token, compared in
//! constant time, and pass a rate limit and a size limit before their body is read.
//! Reads are open. Every refusal is an [`AppError`]: a status, a code and a message.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::auth::{Auth, RateLimiter};
use crate::clock::{Clock, SystemClock};
use crate::engine::{Engine, Outcome, SubmitError};
use crate::error::AppError;
use crate::ingest::{ParseLimits, parse_events};
use crate::machine::{Channel, Machine};

/// Limits on write requests.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest body accepted, bytes.
    pub max_body_bytes: usize,
    /// The most events in one request.
    pub max_events: usize,
    /// Write requests per second, sustained.
    pub requests_per_s: f64,
    /// Write requests allowed in a burst above the sustained rate.
    pub burst: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_body_bytes: 8 << 20, max_events: 10_000, requests_per_s: 2_000.0, burst: 4_000.0 }
    }
}

/// Bodies larger than this are parsed on a blocking thread.
const PARSE_OFF_THREAD_BYTES: usize = 256 << 10;
/// Default and largest page of `GET /v1/events`.
const EVENTS_PAGE: usize = 1_000;
const EVENTS_PAGE_MAX: usize = 10_000;
/// The dashboard's stream sends at most this often.
const STREAM_INTERVAL: Duration = Duration::from_millis(100);

/// Everything the handlers share.
pub struct AppState<M: Machine> {
    /// The writer.
    pub engine: Arc<Engine<M>>,
    /// The tokens.
    pub auth: Arc<Auth>,
    /// Limits on writes.
    pub limits: Limits,
    /// The write rate limit.
    pub rate: Arc<RateLimiter>,
    /// What the service runs: the spec's label and the protocol's name.
    pub about: Arc<About>,
    /// When the service started.
    pub started: Instant,
    /// The service's clock: governance requests and evidence are stamped with it.
    pub clock: Arc<dyn Clock>,
    /// Set when the service is shutting down: open streams end.
    closing: Arc<watch::Sender<bool>>,
}

impl<M: Machine> Clone for AppState<M> {
    fn clone(&self) -> Self {
        Self {
            engine: Arc::clone(&self.engine),
            auth: Arc::clone(&self.auth),
            limits: self.limits,
            rate: Arc::clone(&self.rate),
            about: Arc::clone(&self.about),
            started: self.started,
            clock: Arc::clone(&self.clock),
            closing: Arc::clone(&self.closing),
        }
    }
}

impl<M: Machine> AppState<M> {
    /// State for `engine` with these tokens and limits.
    pub fn new(engine: Arc<Engine<M>>, auth: Auth, limits: Limits, about: About) -> Self {
        Self {
            engine,
            auth: Arc::new(auth),
            rate: Arc::new(RateLimiter::new(limits.requests_per_s, limits.burst)),
            limits,
            about: Arc::new(about),
            started: Instant::now(),
            clock: Arc::new(SystemClock),
            closing: Arc::new(watch::channel(false).0),
        }
    }

    /// The same state reading another clock (tests move a [`crate::clock::ManualClock`]).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Setting it to true ends the open streams (for graceful shutdown).
    pub fn closing_sender(&self) -> Arc<watch::Sender<bool>> {
        Arc::clone(&self.closing)
    }
}

/// What the service runs, for `/v1/status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct About {
    /// The protocol's name.
    pub protocol: String,
    /// Where the spec came from.
    pub spec: String,
}

/// The router: every endpoint of the service.
pub fn app<M: Machine>(state: AppState<M>) -> Router {
    let writes = Router::new()
        .route("/v1/events", post(post_events::<M>))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_writer::<M>));
    let admin = Router::new()
        .route("/v1/admin/events", post(post_admin_events::<M>))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_admin::<M>));
    Router::new()
        .route("/", get(dashboard))
        .route("/v1/status", get(status::<M>))
        .route("/v1/breakers", get(breakers::<M>))
        .route("/v1/alerts", get(alerts::<M>))
        .route("/v1/parameters", get(parameters::<M>))
        .route("/v1/events", get(list_events::<M>))
        .route("/v1/stream", get(stream::<M>))
        .route("/metrics", get(metrics::<M>))
        .merge(writes)
        .merge(admin)
        .with_state(state.clone())
        .merge(M::routes(state.clone()))
        .fallback(not_found)
        // The size limit is enforced by the handlers' own reading (to answer in JSON);
        // axum's default of 2 MB is lifted to the configured limit.
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
}

async fn not_found() -> AppError {
    AppError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint; the API is under /v1")
}

/// When a write request arrived, stamped before its body is read.
#[derive(Debug, Clone, Copy)]
struct Received(Instant);

/// The write token's gate (token, rate limit, declared size), for a machine's own routes.
pub async fn require_writer<M: Machine>(State(state): State<AppState<M>>, request: Request, next: Next) -> Response {
    gate(&state, request, next, false).await
}

async fn require_admin<M: Machine>(State(state): State<AppState<M>>, request: Request, next: Next) -> Response {
    gate(&state, request, next, true).await
}

/// Token, rate and declared size, checked before the body is read.
async fn gate<M: Machine>(state: &AppState<M>, mut request: Request, next: Next, admin: bool) -> Response {
    let received = Instant::now();
    let refused = || {
        state.engine.metrics().requests_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    let token = bearer(request.headers());
    let checked = if admin { state.auth.check_admin(token) } else { state.auth.check_writer(token) };
    if let Err(e) = checked {
        refused();
        return e.into_response();
    }
    if let Err(retry_after_s) = state.rate.take() {
        refused();
        return AppError::rate_limited(retry_after_s).into_response();
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > state.limits.max_body_bytes) {
        refused();
        return AppError::too_large(format!("the body is larger than {} bytes", state.limits.max_body_bytes))
            .into_response();
    }
    request.extensions_mut().insert(Received(received));
    next.run(request).await
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// The answer to an accepted write.
#[derive(Debug, Serialize, Deserialize)]
pub struct Accepted<D> {
    /// Events applied now.
    pub applied: usize,
    /// Events already in the log (re-sent), acknowledged without applying.
    pub duplicates: usize,
    /// One outcome per event, in the request's order.
    pub results: Vec<Outcome<D>>,
}

impl<D> Accepted<D> {
    /// The answer for these outcomes.
    pub fn new(results: Vec<Outcome<D>>) -> Self {
        let duplicates = results.iter().filter(|o| o.duplicate).count();
        Self { applied: results.len() - duplicates, duplicates, results }
    }
}

async fn post_events<M: Machine>(
    State(state): State<AppState<M>>,
    received: Option<axum::Extension<Received>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Accepted<M::Decision>>, AppError> {
    write(state, received, body, Channel::Writer).await
}

async fn post_admin_events<M: Machine>(
    State(state): State<AppState<M>>,
    received: Option<axum::Extension<Received>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Accepted<M::Decision>>, AppError> {
    write(state, received, body, Channel::Admin).await
}

async fn write<M: Machine>(
    state: AppState<M>,
    received: Option<axum::Extension<Received>>,
    body: Result<Bytes, BytesRejection>,
    channel: Channel,
) -> Result<Json<Accepted<M::Decision>>, AppError> {
    let received = received.map_or_else(Instant::now, |r| r.0.0);
    let refused = |e: AppError| {
        state.engine.metrics().requests_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        e
    };
    let body = body.map_err(|rejection| {
        refused(if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::too_large(format!("the body is larger than {} bytes", state.limits.max_body_bytes))
        } else {
            AppError::bad_request(format!("the body could not be read: {}", rejection.body_text()))
        })
    })?;
    let limits = ParseLimits { max_events: state.limits.max_events };
    let parsed = if body.len() > PARSE_OFF_THREAD_BYTES {
        tokio::task::spawn_blocking(move || parse_events::<M>(&body, limits, channel))
            .await
            .map_err(|_| AppError::internal())?
    } else {
        parse_events::<M>(&body, limits, channel)
    };
    let events = parsed.map_err(|e| refused(e.into_app_error()))?;
    let outcomes = state.engine.submit(events, received).await.map_err(submit_error)?;
    Ok(Json(Accepted::new(outcomes)))
}

/// The client's view of a refused submission.
pub fn submit_error(e: SubmitError) -> AppError {
    match e {
        SubmitError::Rejected { .. } => AppError::rejected(e.to_string()),
        SubmitError::Unavailable(_) => {
            tracing::error!(error = %e, "a write could not be made durable");
            AppError::unavailable("the event log is unavailable; nothing was applied; retry")
        }
    }
}

#[derive(Serialize)]
struct Status<'a> {
    service: &'static str,
    version: &'static str,
    protocol: &'a str,
    spec: &'a str,
    uptime_s: u64,
    seq: u64,
    #[serde(flatten)]
    summary: &'a serde_json::Value,
}

async fn status<M: Machine>(State(state): State<AppState<M>>) -> Response {
    let published = state.engine.view();
    let summary = &published.view.status;
    Json(Status {
        service: "bulwark",
        version: env!("CARGO_PKG_VERSION"),
        protocol: &state.about.protocol,
        spec: &state.about.spec,
        uptime_s: state.started.elapsed().as_secs(),
        seq: published.seq,
        summary,
    })
    .into_response()
}

async fn breakers<M: Machine>(State(state): State<AppState<M>>) -> Response {
    let published = state.engine.view();
    Json(serde_json::json!({ "seq": published.seq, "breakers": published.view.breakers })).into_response()
}

async fn alerts<M: Machine>(State(state): State<AppState<M>>) -> Response {
    let published = state.engine.view();
    Json(serde_json::json!({ "seq": published.seq, "alerts": published.view.alerts })).into_response()
}

async fn parameters<M: Machine>(State(state): State<AppState<M>>) -> Response {
    let published = state.engine.view();
    Json(serde_json::json!({ "seq": published.seq, "parameters": published.view.parameters })).into_response()
}

/// `GET /v1/events?since=SEQ&limit=N`.
#[derive(Debug, Deserialize)]
struct Since {
    #[serde(default)]
    since: u64,
    limit: Option<usize>,
}

async fn list_events<M: Machine>(
    State(state): State<AppState<M>>,
    query: Result<Query<Since>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let Query(q) = query.map_err(|e| {
        AppError::bad_request(format!(
            "{}; expected ?since=SEQ (a log sequence number) and optional &limit=N",
            e.body_text()
        ))
    })?;
    let limit = q.limit.unwrap_or(EVENTS_PAGE);
    if limit == 0 || limit > EVENTS_PAGE_MAX {
        return Err(AppError::bad_request(format!("limit must be between 1 and {EVENTS_PAGE_MAX}")));
    }
    let engine = Arc::clone(&state.engine);
    let records = tokio::task::spawn_blocking(move || engine.records_after(q.since, limit))
        .await
        .map_err(|_| AppError::internal())??;
    // Records are stored as JSON objects; the page is assembled without re-parsing them.
    let mut body = Vec::with_capacity(64 + records.iter().map(|(_, r)| r.len() + 24).sum::<usize>());
    body.extend_from_slice(b"{\"events\":[");
    let mut last = q.since;
    for (i, (seq, record)) in records.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(format!("{{\"seq\":{seq},").as_bytes());
        body.extend_from_slice(record.get(1..).unwrap_or_default());
        last = *seq;
    }
    body.extend_from_slice(format!("],\"next_since\":{last}}}").as_bytes());
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response())
}

async fn metrics<M: Machine>(State(state): State<AppState<M>>) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"))],
        state.engine.metrics().render(),
    )
        .into_response()
}

/// Server-sent events: the whole view on connect, then after every commit (at most
/// every [`STREAM_INTERVAL`]).
async fn stream<M: Machine>(State(state): State<AppState<M>>) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let mut rx = state.engine.subscribe();
    rx.mark_changed();
    let closing = state.closing.subscribe();
    let stream = futures_util::stream::unfold((rx, closing, true), |(mut rx, mut closing, first)| async move {
        if !first {
            tokio::time::sleep(STREAM_INTERVAL).await;
        }
        tokio::select! {
            changed = rx.changed() => changed.ok()?,
            _ = closing.wait_for(|c| *c) => return None,
        }
        let published = Arc::clone(&rx.borrow_and_update());
        let data = serde_json::to_string(&*published).unwrap_or_else(|_| "{}".into());
        Some((Ok(SseEvent::default().event("state").data(data)), (rx, closing, false)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn dashboard() -> Html<&'static str> {
    Html(crate::dashboard::PAGE)
}

//! The governance and evidence endpoints of the guard service.
//!
//! | Method and path | What |
//! |---|---|
//! | `POST /v1/governance/proposals` | a Safe transaction and its signatures: scheduled (201), applied at once for a pause or cancel (200), or refused |
//! | `GET /v1/governance/proposals` | the configuration, the next nonces and every proposal with its state now (`waiting`, `ready`, `executed`, `cancelled`) |
//! | `POST /v1/governance/proposals/{id}/execute` | executes a ready proposal (200); before the timelock runs out, 425 with `ready_ms` and `Retry-After` |
//! | `POST /v1/governance/pause` | a guardian's signed pause (200) |
//! | `POST /v1/evidence` | slashing evidence: verified, it raises a critical alert (200); otherwise 400 or 422 and nothing changes |
//!
//! All POSTs need the write token, which only keeps strangers from filling the log:
//! the signatures are the authority. Requests are stamped with the service's clock.

use std::sync::Arc;
use std::time::Instant;

use alloy_primitives::{Address, B256, Bytes, keccak256};
use axum::body::Bytes as Body;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use bulwark_guard::Event;
use bulwark_verify::safe::{SafeTransaction, SafeVersion};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{GovernanceAction, GovernanceDecision, GovernanceEvent, Refusal};
use crate::error::AppError;
use crate::guard_machine::{GuardMachine, ServiceDecision, ServiceEvent};
use crate::http::{AppState, require_writer, submit_error};

/// The routes, merged into the service's router.
pub fn routes(state: AppState<GuardMachine>) -> Router {
    let writes = Router::new()
        .route("/v1/governance/proposals", post(propose))
        .route("/v1/governance/proposals/{id}/execute", post(execute))
        .route("/v1/governance/pause", post(guardian_pause))
        .route("/v1/evidence", post(evidence))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_writer::<GuardMachine>));
    Router::new().route("/v1/governance/proposals", get(list)).merge(writes).with_state(state)
}

/// `POST /v1/governance/proposals`: the Safe transaction and its signatures. The Safe's
/// own fields (`safe`, `chain_id`, `version`, `owners`, `threshold`), as
/// `bulwark verify safe-tx` reads them, may be included; they must then match the
/// configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProposalRequest {
    tx: SafeTransaction,
    signatures: Bytes,
    #[serde(default)]
    safe: Option<Address>,
    #[serde(default)]
    chain_id: Option<u64>,
    #[serde(default)]
    version: Option<SafeVersion>,
    #[serde(default)]
    owners: Option<Vec<Address>>,
    #[serde(default)]
    threshold: Option<usize>,
    #[serde(default)]
    executor: Option<Address>,
    #[serde(default)]
    safe_tx_hash: Option<B256>,
}

/// `POST /v1/governance/pause`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PauseRequest {
    market: String,
    nonce: u64,
    signature: Bytes,
}

fn json_error(e: JsonRejection) -> AppError {
    AppError::bad_request(e.body_text())
}

fn governance_config(state: &AppState<GuardMachine>) -> Result<Value, AppError> {
    let published = state.engine.view();
    let config = published.view.governance["governance"]["config"].clone();
    if config.is_null() {
        return Err(AppError::new(
            StatusCode::NOT_FOUND,
            "not_configured",
            "governance is not configured: the spec has no [guard.governance]",
        ));
    }
    Ok(config)
}

/// The fields the client repeated must be the configured ones.
fn check_safe_fields(request: &ProposalRequest, config: &Value) -> Result<(), AppError> {
    let mismatch = |field: &str| {
        Err(AppError::bad_request(format!("{field} differs from this service's Safe ({})", config[field])))
    };
    if request.safe.is_some_and(|s| json!(s) != config["safe"]) {
        return mismatch("safe");
    }
    if request.chain_id.is_some_and(|c| json!(c) != config["chain_id"]) {
        return mismatch("chain_id");
    }
    if request.version.is_some_and(|v| json!(v.as_str()) != config["safe_version"]) {
        return mismatch("safe_version");
    }
    if let Some(owners) = &request.owners {
        let mut owners = owners.clone();
        owners.sort();
        if json!(owners) != config["owners"] {
            return mismatch("owners");
        }
    }
    if request.threshold.is_some_and(|t| json!(t) != config["threshold"]) {
        return mismatch("threshold");
    }
    if request.executor.is_some() {
        return Err(AppError::bad_request(
            "executor approvals (v = 1) need the chain; the service counts ECDSA and eth_sign signatures only",
        ));
    }
    Ok(())
}

async fn propose(
    State(state): State<AppState<GuardMachine>>,
    body: Result<Json<ProposalRequest>, JsonRejection>,
) -> Result<Response, AppError> {
    let Json(request) = body.map_err(json_error)?;
    let config = governance_config(&state)?;
    check_safe_fields(&request, &config)?;
    if let Some(shown) = request.safe_tx_hash {
        let safe: Address = serde_json::from_value(config["safe"].clone()).map_err(|_| AppError::internal())?;
        let chain_id = config["chain_id"].as_u64().unwrap_or_default();
        let version: SafeVersion =
            serde_json::from_value(config["safe_version"].clone()).map_err(|_| AppError::internal())?;
        let computed = bulwark_verify::safe::safe_tx_hash(version, chain_id, safe, &request.tx);
        if computed != shown {
            return Err(AppError::bad_request(format!(
                "safe_tx_hash {shown} is not the transaction's hash {computed} for this Safe"
            )));
        }
    }
    // The id binds the signed content: the same request sent again is a duplicate.
    let mut key = request.tx.struct_hash().to_vec();
    key.extend_from_slice(&request.signatures);
    let id = format!("governance-proposal-{}", keccak256(&key));
    let action = GovernanceAction::GovernanceProposal { tx: Box::new(request.tx), signatures: request.signatures };
    submit(&state, id, action).await
}

async fn execute(State(state): State<AppState<GuardMachine>>, Path(id): Path<String>) -> Result<Response, AppError> {
    governance_config(&state)?;
    let proposal: B256 =
        id.parse().map_err(|_| AppError::bad_request(format!("{id:?} is not a proposal id (0x and 64 hex digits)")))?;
    let now = state.clock.now_ms();
    let event_id = format!("governance-execute-{proposal}-{now}");
    submit(&state, event_id, GovernanceAction::GovernanceExecute { proposal }).await
}

async fn guardian_pause(
    State(state): State<AppState<GuardMachine>>,
    body: Result<Json<PauseRequest>, JsonRejection>,
) -> Result<Response, AppError> {
    let Json(request) = body.map_err(json_error)?;
    governance_config(&state)?;
    let id = format!("governance-pause-{}", keccak256(&request.signature));
    let action = GovernanceAction::GovernanceGuardianPause {
        market: request.market,
        nonce: request.nonce,
        signature: request.signature,
    };
    submit(&state, id, action).await
}

/// Logs one governance request, stamped now, and answers with its decision.
async fn submit(state: &AppState<GuardMachine>, id: String, action: GovernanceAction) -> Result<Response, AppError> {
    let event = GovernanceEvent { id: id.clone(), time_ms: state.clock.now_ms(), action };
    let mut outcomes =
        state.engine.submit(vec![ServiceEvent::Governance(event)], Instant::now()).await.map_err(submit_error)?;
    let outcome = outcomes.pop().ok_or_else(AppError::internal)?;
    if outcome.duplicate {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "duplicate",
            format!("this request was already logged (seq {}); see GET /v1/governance/proposals", outcome.seq),
        ));
    }
    let decision = match outcome.decision {
        Some(ServiceDecision::Governance(d)) => d,
        _ => return Err(AppError::internal()),
    };
    let seq = outcome.seq;
    let status = match &decision {
        GovernanceDecision::Scheduled { .. } => StatusCode::CREATED,
        GovernanceDecision::Applied { .. } | GovernanceDecision::Cancelled { .. } => StatusCode::OK,
        GovernanceDecision::Refused { code, message, ready_ms } => {
            return Err(refusal(*code, message, *ready_ms, seq, state.clock.now_ms()));
        }
    };
    Ok((status, Json(json!({ "id": id, "seq": seq, "decision": decision }))).into_response())
}

/// A refusal as the client sees it; the refusal itself is in the log at `seq`.
fn refusal(code: Refusal, message: &str, ready_ms: Option<u64>, seq: u64, now_ms: u64) -> AppError {
    let message = format!("{message} (logged as seq {seq})");
    match code {
        Refusal::BadSignatures => AppError::new(StatusCode::FORBIDDEN, "bad_signatures", message),
        Refusal::NonceUsed => AppError::new(StatusCode::CONFLICT, "nonce_used", message),
        Refusal::NonceAhead => AppError::new(StatusCode::CONFLICT, "nonce_ahead", message),
        Refusal::BadCommand => AppError::new(StatusCode::BAD_REQUEST, "bad_command", message),
        Refusal::UnknownProposal => AppError::new(StatusCode::NOT_FOUND, "unknown_proposal", message),
        Refusal::Closed => AppError::new(StatusCode::CONFLICT, "closed", message),
        Refusal::NotReady => {
            let wait_s = ready_ms.map_or(1, |r| r.saturating_sub(now_ms).div_ceil(1000).max(1));
            AppError { retry_after_s: Some(wait_s), ..AppError::new(StatusCode::TOO_EARLY, "not_ready", message) }
        }
        Refusal::GuardRefused => AppError::rejected(message),
        Refusal::NotConfigured => AppError::new(StatusCode::NOT_FOUND, "not_configured", message),
    }
}

/// `GET /v1/governance/proposals`: the view's governance part, each proposal's state
/// read against the service's clock.
async fn list(State(state): State<AppState<GuardMachine>>) -> Result<Response, AppError> {
    let published = state.engine.view();
    let mut governance = published.view.governance.clone();
    if governance["governance"].is_null() {
        governance_config(&state)?;
    }
    let now = state.clock.now_ms();
    if let Some(proposals) = governance["governance"]["proposals"].as_array_mut() {
        for p in proposals {
            let s = match p["status"].as_str() {
                Some("scheduled") if p["ready_ms"].as_u64().is_some_and(|r| now >= r) => "ready",
                Some("scheduled") => "waiting",
                Some(other) => other,
                None => "unknown",
            };
            p["state"] = json!(s);
        }
    }
    let mut body = governance["governance"].take();
    body["seq"] = json!(published.seq);
    body["now_ms"] = json!(now);
    body["audit"] = governance["audit"].take();
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /v1/evidence`: verified off the async threads; proven evidence is logged as a
/// guard event and raises a critical alert.
async fn evidence(
    State(state): State<AppState<GuardMachine>>,
    body: Result<Body, BytesRejection>,
) -> Result<Response, AppError> {
    let body = body.map_err(|e| AppError::bad_request(e.body_text()))?;
    let bytes = Arc::new(body);
    let verified = {
        let bytes = Arc::clone(&bytes);
        tokio::task::spawn_blocking(move || crate::evidence::verify(&bytes)).await.map_err(|_| AppError::internal())?
    };
    let body = verified.map_err(|e| match e {
        crate::evidence::EvidenceRefusal::Malformed(_) => AppError::bad_request(e.to_string()),
        _ => AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "unproven", e.to_string()),
    })?;
    let digest = crate::evidence::digest(&bytes);
    let id = format!("evidence-{}", digest.trim_start_matches("sha256:").get(..32).unwrap_or_default());
    let event = Event::new(id.clone(), state.clock.now_ms(), body);
    let mut outcomes =
        state.engine.submit(vec![ServiceEvent::Guard(event)], Instant::now()).await.map_err(submit_error)?;
    let outcome = outcomes.pop().ok_or_else(AppError::internal)?;
    Ok(Json(json!({
        "id": id,
        "seq": outcome.seq,
        "duplicate": outcome.duplicate,
        "evidence": digest,
        "decision": outcome.decision,
    }))
    .into_response())
}

//! Governance end to end over the HTTP API, on a 2-of-3 Safe behind a two-day timelock
//! (tests/fixtures/guarded-multisig.toml, test keys 1 to 5): a guardian pauses at once;
//! an unpause without quorum, from a non-owner, or before the timelock is refused and the
//! market stays paused; after the timelock it applies, naming the signers; a nonce cannot
//! be replayed; a restart keeps proposals and state. Slashing evidence raises alerts.
//!
//! The service's clock is a `ManualClock`: time moves only when the test says so.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use alloy_primitives::{Address, B256, Bytes, U256};
use axum::Router;
use axum::http::StatusCode;
use bulwark_server::Machine;
use bulwark_server::clock::ManualClock;
use bulwark_server::guard_machine::{GuardMachine, ServiceEvent};
use bulwark_server::http::About;
use bulwark_server::{AppState, Engine, EngineOptions, Limits, Store, app};
use bulwark_verify::safe::{Operation, SafeTransaction, SafeVersion, safe_tx_hash};
use k256::ecdsa::SigningKey;
use serde_json::{Value, json};

use crate::api::{ADMIN, TOKEN, call};

/// 2026-01-01T00:00:00Z.
const T0_MS: u64 = 1_767_225_600_000;
const DAY_MS: u64 = 86_400_000;
const SAFE: &str = "0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe";
const TIMELOCK: &str = "0x7100000000000000000000000000000000000001";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Signatures made by eth-account 0.14.0 (tests/fixtures/governance/generate.py).
fn reference() -> Value {
    let text = std::fs::read_to_string(fixtures().join("governance/signatures.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn machine() -> GuardMachine {
    let protocol = bulwark_spec::load(&fixtures().join("guarded-multisig.toml")).unwrap_or_else(|e| panic!("{e}"));
    GuardMachine::from_protocol(&protocol).unwrap()
}

struct Service {
    router: Router,
    engine: Arc<Engine<GuardMachine>>,
}

impl Service {
    fn start(dir: &Path, clock: &ManualClock) -> Self {
        let machine = machine();
        let store = Store::open(dir, &machine.config_digest()).unwrap();
        let options = EngineOptions { snapshot_every: 3, ..EngineOptions::default() };
        let engine = Arc::new(Engine::start(store, machine, options).unwrap());
        let auth = bulwark_server::auth::Auth::new(TOKEN, Some(ADMIN));
        let state = AppState::new(Arc::clone(&engine), auth, Limits::default(), About::default())
            .with_clock(Arc::new(clock.clone()));
        Self { router: app(state), engine }
    }

    fn stop(self) {
        self.engine.stop();
    }

    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        call(&self.router, "POST", path, Some(TOKEN), &body.to_string()).await
    }

    async fn paused(&self) -> bool {
        let (_, status) = call(&self.router, "GET", "/v1/status", None, "").await;
        status["markets"]["pool"]["paused"].as_bool().unwrap_or_else(|| panic!("{status}"))
    }

    async fn proposals(&self) -> Value {
        let (status, body) = call(&self.router, "GET", "/v1/governance/proposals", None, "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

/// JSON compared without regard to the case of hex digits (addresses serialize in
/// lowercase, display with their EIP-55 checksum).
fn lower(v: &Value) -> String {
    v.to_string().to_lowercase()
}

fn key(n: u8) -> SigningKey {
    let mut bytes = [0u8; 32];
    bytes[31] = n;
    SigningKey::from_slice(&bytes).unwrap()
}

fn address(k: &SigningKey) -> Address {
    Address::from_public_key(k.verifying_key())
}

/// `r ‖ s ‖ v` (v = 27 + parity) over a 32-byte hash.
fn sign(k: &SigningKey, hash: B256) -> Vec<u8> {
    let (sig, recid) = k.sign_prehash_recoverable(hash.as_slice()).unwrap();
    let mut out = sig.to_bytes().to_vec();
    out.push(27 + recid.to_byte());
    out
}

fn command_tx(command: &Value, nonce: u64) -> SafeTransaction {
    SafeTransaction {
        to: TIMELOCK.parse().unwrap(),
        value: U256::ZERO,
        data: Bytes::from(command.to_string().into_bytes()),
        operation: Operation::Call,
        safe_tx_gas: U256::ZERO,
        base_gas: U256::ZERO,
        gas_price: U256::ZERO,
        gas_token: Address::ZERO,
        refund_receiver: Address::ZERO,
        nonce: U256::from(nonce),
    }
}

/// A proposal signed by `keys`, their signatures ordered by signer as Safe requires.
fn proposal(command: &Value, nonce: u64, keys: &[u8]) -> Value {
    let tx = command_tx(command, nonce);
    let hash = safe_tx_hash(SafeVersion::V1_3_0, 1, SAFE.parse().unwrap(), &tx);
    let mut signers: Vec<SigningKey> = keys.iter().map(|&n| key(n)).collect();
    signers.sort_by_key(address);
    let signatures: Vec<u8> = signers.iter().flat_map(|k| sign(k, hash)).collect();
    json!({ "tx": tx, "signatures": Bytes::from(signatures) })
}

fn unpause() -> Value {
    json!({"kind": "unpause", "market": "pool"})
}

#[tokio::test]
async fn an_unpause_needs_quorum_and_the_timelock_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0_MS);
    let svc = Service::start(dir.path(), &clock);
    let refs = reference();

    // A guardian pauses at once, with the signature eth-account made.
    let pause = &refs["guardian_pause"][0];
    let body = json!({"market": "pool", "nonce": 0, "signature": pause["signature"]});
    let (status, reply) = svc.post("/v1/governance/pause", &body).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(lower(&reply["decision"]["principal"]), lower(&refs["keys"]["4"]), "{reply}");
    assert!(svc.paused().await);

    // Too few signatures: one of two.
    let (status, reply) = svc.post("/v1/governance/proposals", &proposal(&unpause(), 0, &[1])).await;
    assert_eq!((status, reply["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("bad_signatures")), "{reply}");
    assert!(reply["error"]["message"].as_str().unwrap().contains("GS020"), "{reply}");
    // A non-owner (key 5) beside an owner.
    let (status, reply) = svc.post("/v1/governance/proposals", &proposal(&unpause(), 0, &[1, 5])).await;
    assert_eq!((status, reply["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("bad_signatures")), "{reply}");
    assert!(reply["error"]["message"].as_str().unwrap().contains("GS026"), "{reply}");
    // A client cannot choose the time.
    let mut timed = proposal(&unpause(), 0, &[1, 2]);
    timed["time_ms"] = json!(0);
    let (status, _) = svc.post("/v1/governance/proposals", &timed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Quorum, with the owners' signatures as eth-account made them (EIP-712 typed data).
    let reference_tx = &refs["safe_tx"][0];
    let body = json!({"tx": reference_tx["tx"], "signatures": reference_tx["signatures"]});
    let (status, reply) = svc.post("/v1/governance/proposals", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let decision = &reply["decision"];
    assert_eq!(decision["governance"], "scheduled");
    assert_eq!(decision["safe_tx_hash"], reference_tx["safe_tx_hash"], "the SafeTx hash eth-account signed");
    assert_eq!(lower(&decision["signers"]), lower(&reference_tx["signers"]), "{reply}");
    assert_eq!(decision["ready_ms"], json!(T0_MS + 2 * DAY_MS));
    let id = decision["proposal"].as_str().unwrap().to_string();
    assert_eq!(svc.proposals().await["proposals"][0]["state"], "waiting");

    // Before the timelock: refused with the time it becomes ready; the market stays paused.
    let execute = format!("/v1/governance/proposals/{id}/execute");
    let (status, reply) = svc.post(&execute, &json!({})).await;
    assert_eq!((status, reply["error"]["code"].as_str()), (StatusCode::TOO_EARLY, Some("not_ready")), "{reply}");
    clock.advance(2 * DAY_MS - 1);
    let (status, reply) = svc.post(&execute, &json!({})).await;
    assert_eq!(status, StatusCode::TOO_EARLY, "{reply}");
    assert!(reply["error"]["message"].as_str().unwrap().contains(&(T0_MS + 2 * DAY_MS).to_string()), "{reply}");
    assert!(svc.paused().await, "still paused one millisecond before the timelock ends");

    // The same nonce again: the identical request is a duplicate, other signatures a replay.
    let (status, reply) = svc.post("/v1/governance/proposals", &body).await;
    assert_eq!((status, reply["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("duplicate")), "{reply}");
    let (status, reply) = svc.post("/v1/governance/proposals", &proposal(&unpause(), 0, &[1, 3])).await;
    assert_eq!((status, reply["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("nonce_used")), "{reply}");

    // After the timelock: applied, the market unpaused, the signers on record.
    clock.advance(1);
    assert_eq!(svc.proposals().await["proposals"][0]["state"], "ready");
    let (status, reply) = svc.post(&execute, &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["decision"]["governance"], "applied");
    assert_eq!(lower(&reply["decision"]["signers"]), lower(&reference_tx["signers"]));
    assert!(!svc.paused().await);
    let listed = svc.proposals().await;
    assert_eq!(listed["proposals"][0]["state"], "executed", "{listed}");
    assert_eq!(listed["next_nonce"], 1);
    let unpaused = listed["audit"].as_array().unwrap().iter().find(|a| a["command"] == "unpause").unwrap().clone();
    assert_eq!(lower(&unpaused["authority"]["principal"]), lower(&json!(SAFE)));
    assert_eq!(unpaused["authority"]["method"]["method"], "multisig");
    assert_eq!(lower(&unpaused["authority"]["method"]["signers"]), lower(&reference_tx["signers"]));
    assert_eq!(unpaused["authority"]["method"]["queued_ms"], T0_MS);
    clock.advance(1);
    let (status, reply) = svc.post(&execute, &json!({})).await;
    assert_eq!((status, reply["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("closed")), "{reply}");

    // Every proposal and decision is in the durable log, refusals included.
    let (_, log) = call(&svc.router, "GET", "/v1/events?since=0", None, "").await;
    let kinds: Vec<(String, String)> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let d = &r["decision"]["governance"];
            (r["event"]["kind"].as_str().unwrap().to_string(), d.as_str().unwrap_or("").to_string())
        })
        .collect();
    let expected = [
        ("governance_guardian_pause", "applied"),
        ("governance_proposal", "refused"),
        ("governance_proposal", "refused"),
        ("governance_proposal", "scheduled"),
        ("governance_execute", "refused"),
        ("governance_execute", "refused"),
        ("governance_proposal", "refused"),
        ("governance_execute", "applied"),
        ("governance_execute", "refused"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(k, d)| (k.to_string(), d.to_string())).collect();
    assert_eq!(kinds, expected, "{log}");

    // Replaying the log on a fresh machine reaches the same decisions (signature checks
    // are pure functions of the logged event and the state).
    let mut fresh = machine();
    for (seq, record) in svc.engine.records_after(0, 1000).unwrap() {
        let record: Value = serde_json::from_slice(&record).unwrap();
        let event: ServiceEvent = serde_json::from_value(record["event"].clone()).unwrap();
        let decision = fresh.apply(&event).unwrap();
        assert_eq!(serde_json::to_value(&decision).unwrap(), record["decision"], "record {seq}");
    }

    // A second proposal scheduled before a restart executes after it.
    let (status, reply) = svc
        .post(
            "/v1/governance/pause",
            &json!({
                "market": "pool", "nonce": 1, "signature": refs["guardian_pause"][1]["signature"]
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let (status, reply) = svc.post("/v1/governance/proposals", &proposal(&unpause(), 1, &[2, 3])).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let second = reply["decision"]["proposal"].as_str().unwrap().to_string();
    let before = svc.proposals().await;
    svc.stop();

    let svc = Service::start(dir.path(), &clock);
    let after = svc.proposals().await;
    assert_eq!(after["proposals"], before["proposals"], "proposals survive the restart");
    assert_eq!((after["next_nonce"].as_u64(), after["next_guardian_nonce"].as_u64()), (Some(2), Some(2)));
    assert!(svc.paused().await);
    let execute = format!("/v1/governance/proposals/{second}/execute");
    let (status, reply) = svc.post(&execute, &json!({})).await;
    assert_eq!(status, StatusCode::TOO_EARLY, "the rebuilt timelock still runs: {reply}");
    clock.advance(2 * DAY_MS);
    let (status, reply) = svc.post(&execute, &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert!(!svc.paused().await);
    // A replayed nonce is refused after the restart too.
    let (status, _) = svc.post("/v1/governance/proposals", &proposal(&unpause(), 1, &[1, 3])).await;
    assert_eq!(status, StatusCode::CONFLICT);
    svc.stop();
}

#[tokio::test]
async fn guardians_pause_once_per_nonce_and_only_they_do() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0_MS);
    let svc = Service::start(dir.path(), &clock);
    let message = |nonce: u64| format!("bulwark guardian pause\nmarket: pool\nsafe: {SAFE}\nchain: 1\nnonce: {nonce}");
    let personal = |nonce: u64| bulwark_server::governance::personal_message_hash(&message(nonce));
    assert_eq!(
        message(0),
        bulwark_server::governance::guardian_message("pool", SAFE.parse().unwrap(), 1, 0),
        "the documented text"
    );
    let signed = |k: u8, nonce: u64| Bytes::from(sign(&key(k), personal(nonce)));

    // Not a guardian (an owner's key, even): refused, nothing paused.
    let (status, reply) =
        svc.post("/v1/governance/pause", &json!({"market": "pool", "nonce": 0, "signature": signed(1, 0)})).await;
    assert_eq!((status, reply["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("bad_signatures")), "{reply}");
    assert!(!svc.paused().await);
    // A signature for another nonce does not recover the guardian for this one.
    let (status, _) =
        svc.post("/v1/governance/pause", &json!({"market": "pool", "nonce": 0, "signature": signed(4, 1)})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Ahead of the next nonce.
    let (status, reply) =
        svc.post("/v1/governance/pause", &json!({"market": "pool", "nonce": 3, "signature": signed(4, 3)})).await;
    assert_eq!((status, reply["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("nonce_ahead")), "{reply}");
    // The guardian, nonce 0 (k256 and eth-account sign deterministically: the same bytes).
    let body = json!({"market": "pool", "nonce": 0, "signature": signed(4, 0)});
    assert_eq!(body["signature"], reference()["guardian_pause"][0]["signature"]);
    let (status, reply) = svc.post("/v1/governance/pause", &body).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert!(svc.paused().await);
    let (status, _) = svc.post("/v1/governance/pause", &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "replayed");
    // A guardian cannot unpause: the write and admin channels refuse forged authorities.
    let forged = json!({"id": "f1", "time_ms": T0_MS, "kind": "unpause", "market": "pool",
        "authority": {"principal": address(&key(4)), "method": {"method": "guardian", "signer": address(&key(4))}}});
    let (status, _) = call(&svc.router, "POST", "/v1/admin/events", Some(ADMIN), &forged.to_string()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let forged = json!({"id": "f2", "time_ms": T0_MS, "kind": "governance_execute", "proposal": B256::ZERO});
    let (status, _) = call(&svc.router, "POST", "/v1/events", Some(TOKEN), &forged.to_string()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The admin token no longer loosens under a multisig requirement.
    let admin_unpause = json!({"id": "a1", "time_ms": T0_MS, "kind": "unpause", "market": "pool",
        "authority": {"principal": "ops", "method": {"method": "admin_token"}}});
    let (status, reply) = call(&svc.router, "POST", "/v1/admin/events", Some(ADMIN), &admin_unpause.to_string()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    assert!(svc.paused().await);
    // The Safe pauses at once too (no timelock for tightening).
    let pause = json!({"kind": "pause", "market": "pool"});
    let (status, reply) = svc.post("/v1/governance/proposals", &proposal(&pause, 0, &[2, 3])).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["decision"]["governance"], "applied", "{reply}");

    // The Safe cancels a scheduled unpause at once; it can no longer execute, before or
    // after a restart.
    let (status, reply) = svc.post("/v1/governance/proposals", &proposal(&unpause(), 1, &[1, 2])).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let id = reply["decision"]["proposal"].as_str().unwrap().to_string();
    let cancel = json!({"kind": "cancel", "proposal": id});
    let (status, reply) = svc.post("/v1/governance/proposals", &proposal(&cancel, 2, &[1])).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "one signature does not cancel: {reply}");
    let (status, reply) = svc.post("/v1/governance/proposals", &proposal(&cancel, 2, &[1, 3])).await;
    assert_eq!((status, reply["decision"]["governance"].as_str()), (StatusCode::OK, Some("cancelled")), "{reply}");
    svc.stop();
    let svc = Service::start(dir.path(), &clock);
    clock.advance(3 * DAY_MS);
    let (status, reply) = svc.post(&format!("/v1/governance/proposals/{id}/execute"), &json!({})).await;
    assert_eq!((status, reply["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("closed")), "{reply}");
    assert_eq!(svc.proposals().await["proposals"][1]["state"], "cancelled");
    assert!(svc.paused().await);
    svc.stop();
}

async fn post_evidence(svc: &Service, file: &str) -> (StatusCode, Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../verify/tests/fixtures/slashing").join(file);
    let body = std::fs::read_to_string(path).unwrap();
    call(&svc.router, "POST", "/v1/evidence", Some(TOKEN), &body).await
}

#[tokio::test]
async fn verified_slashing_evidence_raises_a_critical_alert() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0_MS);
    let svc = Service::start(dir.path(), &clock);
    let alert_of = |reply: &Value| {
        reply["decision"]["decisions"].as_array().unwrap().iter().find(|d| d["decision"] == "alert").cloned()
    };

    for (file, offence) in [
        ("ethereum/double_vote.json", "double_vote"),
        ("ethereum/double_proposal.json", "double_proposal"),
        ("cometbft/duplicate_vote.json", "duplicate_vote"),
    ] {
        let (status, reply) = post_evidence(&svc, file).await;
        assert_eq!(status, StatusCode::OK, "{file}: {reply}");
        let alert = alert_of(&reply).unwrap_or_else(|| panic!("{file}: no alert in {reply}"));
        assert_eq!((alert["severity"].as_str(), alert["type"].as_str()), (Some("critical"), Some("exploit")));
        assert!(alert["alert_id"].as_str().unwrap().contains(offence), "{alert}");
    }
    let (_, alerts) = call(&svc.router, "GET", "/v1/alerts", None, "").await;
    assert_eq!(alerts["alerts"].as_array().unwrap().iter().filter(|a| a["severity"] == "critical").count(), 3);
    // The validators are named: the fixture's double vote convicts the indices both
    // attestations share (manifest.json).
    let (_, log) = call(&svc.router, "GET", "/v1/events?since=0", None, "").await;
    let first = &log["events"][0]["event"];
    assert_eq!(first["kind"], "slashing_evidence");
    assert_eq!(first["chain"], "ethereum");
    assert!(!first["validators"].as_array().unwrap().is_empty(), "{first}");

    // The same document again is one event.
    let (status, reply) = post_evidence(&svc, "ethereum/double_vote.json").await;
    assert_eq!((status, reply["duplicate"].as_bool()), (StatusCode::OK, Some(true)), "{reply}");

    // Unverifiable evidence is refused and changes nothing.
    let seq = svc.engine.view().seq;
    for (file, expected) in [
        ("ethereum/double_vote_already_slashed.json", StatusCode::UNPROCESSABLE_ENTITY),
        ("ethereum/double_proposal_wrong_key.json", StatusCode::UNPROCESSABLE_ENTITY),
        ("cometbft/duplicate_vote_wrong_order.json", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (status, reply) = post_evidence(&svc, file).await;
        assert_eq!(status, expected, "{file}: {reply}");
    }
    let (status, _) = call(&svc.router, "POST", "/v1/evidence", Some(TOKEN), "{\"attester_slashing\": 7}").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(&svc.router, "POST", "/v1/evidence", None, "{}").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(svc.engine.view().seq, seq, "refused evidence is not logged");
    // Evidence cannot be slipped in as a plain event.
    let forged = json!({"id": "x", "time_ms": T0_MS, "kind": "slashing_evidence", "chain": "ethereum",
        "offence": "double_vote", "validators": ["1"], "evidence": "sha256:00"});
    let (status, _) = call(&svc.router, "POST", "/v1/events", Some(TOKEN), &forged.to_string()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    svc.stop();
}

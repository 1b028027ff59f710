//! `bulwark verify light-client` and `bulwark verify slashing`: exit codes 0 (valid),
//! 1 (invalid, with the reason) and 2 (malformed), on files and on stdin.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::{bulwark, repo, stdout};

fn fixtures() -> PathBuf {
    repo().join("crates/verify/tests/fixtures")
}

fn eth(name: &str) -> String {
    fixtures().join(format!("slashing/ethereum/{name}.json")).display().to_string()
}

/// Runs `bulwark args…` with `input` on stdin.
fn with_stdin(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn valid_ethereum_evidence_exits_0_and_prices_the_slashing() {
    let tmp = tempfile::tempdir().unwrap();
    let o = bulwark(tmp.path(), &["verify", "slashing", &eth("double_vote")]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).starts_with("valid: double_vote (3 validators slashed"), "{}", stdout(&o));

    // Electra, 34M ETH active, validators 1 and 2 (32 ETH) and 3 (2048 ETH) slashed together.
    let o = bulwark(
        tmp.path(),
        &[
            "verify",
            "slashing",
            &eth("double_vote"),
            "--format",
            "json",
            "--total-active-balance-gwei",
            "34000000000000000",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["fork"], "electra", "read from the evidence's fork version 0x05000000");
    let rows = v["slashed"].as_array().unwrap();
    // Initial penalty eb // 4096 (MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA).
    assert_eq!(rows[0]["initial_penalty_gwei"], 7_812_500);
    assert_eq!(rows[2]["initial_penalty_gwei"], 500_000_000);
    // Correlation: adjusted = min(2112 ETH * 3, total) = 6336e9 gwei;
    // per increment 6336e9 // 34e6 = 186352 gwei. A 32 ETH validator keeps eb 32 ETH after
    // hysteresis: 186352 * 32. The 2048 ETH one drops to 2047 ETH (balance 2047.5 ETH):
    // 186352 * 2047.
    assert_eq!(rows[0]["correlation_penalty_gwei"], 186_352 * 32);
    assert_eq!(rows[2]["correlation_penalty_gwei"], 186_352 * 2047);
    assert_eq!(v["total_loss_gwei"], (2 * (7_812_500 + 186_352 * 32) + 500_000_000 + 186_352 * 2047).to_string());

    // The same from stdin.
    let bytes = std::fs::read(eth("double_proposal")).unwrap();
    let o = with_stdin(&["verify", "slashing", "-"], &bytes);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).starts_with("valid: double_proposal (1 validator slashed"));
}

#[test]
fn rejected_ethereum_evidence_exits_1_with_the_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let o = bulwark(tmp.path(), &["verify", "slashing", &eth("surround_vote_reversed")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("neither a double vote nor a surround vote"), "{}", stdout(&o));
    let o = bulwark(tmp.path(), &["verify", "slashing", &eth("double_vote_wrong_fork_version"), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["reason"], "the signature of `attestation_2` does not verify");
    let bytes = std::fs::read(eth("same_header")).unwrap();
    assert_eq!(with_stdin(&["verify", "slashing", "-"], &bytes).status.code(), Some(1));
}

#[test]
fn malformed_input_exits_2_on_files_and_stdin() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, b"{\"attester_slashing\": 1}").unwrap();
    let o = bulwark(tmp.path(), &["verify", "slashing", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`fork` is missing"), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(with_stdin(&["verify", "slashing", "-"], b"not json").status.code(), Some(2));
    assert_eq!(with_stdin(&["verify", "light-client", "-"], b"[1, 2]").status.code(), Some(2));
    let missing = tmp.path().join("absent.json");
    assert_eq!(bulwark(tmp.path(), &["verify", "light-client", missing.to_str().unwrap()]).status.code(), Some(2));
}

#[test]
fn cometbft_duplicate_votes() {
    let tmp = tempfile::tempdir().unwrap();
    let f = |n: &str| fixtures().join(format!("slashing/cometbft/{n}.json")).display().to_string();
    let o = bulwark(tmp.path(), &["verify", "slashing", &f("duplicate_vote")]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).starts_with("valid: CometBFT duplicate precommit by "), "{}", stdout(&o));
    let o = bulwark(tmp.path(), &["verify", "slashing", &f("duplicate_vote_wrong_order")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("invalid order"));
}

#[test]
fn interchange_files_and_signing_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let pk = format!("0x{}", "a1".repeat(48));
    let file = json!({
        "metadata": { "interchange_format_version": "5", "genesis_validators_root": format!("0x{}", "04".repeat(32)) },
        "data": [{ "pubkey": pk, "signed_blocks": [{ "slot": "100" }],
                   "signed_attestations": [{ "source_epoch": "10", "target_epoch": "20" }] }]
    });
    let path = tmp.path().join("interchange.json");
    std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
    let p = path.to_str().unwrap();
    let o = bulwark(tmp.path(), &["verify", "slashing", p]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("1 keys, 1 blocks, 1 attestations"), "{}", stdout(&o));
    // Condition 3: a surround of the recorded (10, 20).
    let o = bulwark(tmp.path(), &["verify", "slashing", p, "--pubkey", &pk, "--attestation", "9:21"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("condition 3"), "{}", stdout(&o));
    let o =
        bulwark(tmp.path(), &["verify", "slashing", p, "--pubkey", &pk, "--attestation", "20:21", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(serde_json::from_str::<Value>(&stdout(&o)).unwrap()["check"]["allowed"], true);
    // Condition 2: slot 100 is the minimum.
    let o = bulwark(tmp.path(), &["verify", "slashing", p, "--pubkey", &pk, "--block", "99"]);
    assert_eq!(o.status.code(), Some(1));
    // Another chain.
    let o =
        bulwark(tmp.path(), &["verify", "slashing", p, "--genesis-validators-root", &format!("0x{}", "05".repeat(32))]);
    assert_eq!(o.status.code(), Some(1));
    // Version 4 is malformed input.
    let mut old = file.clone();
    old["metadata"]["interchange_format_version"] = json!("4");
    assert_eq!(with_stdin(&["verify", "slashing", "-"], &serde_json::to_vec(&old).unwrap()).status.code(), Some(2));
}

/// Steps of tendermint-rs's vector `MC4_4_faulty_TestSuccess.json` as update files.
fn light_client_update(verdict: &str) -> Vec<u8> {
    let path = fixtures().join("tendermint/single_step/MC4_4_faulty_TestSuccess.json");
    let tc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let step = tc["input"].as_array().unwrap().iter().find(|s| s["verdict"] == verdict).unwrap();
    let b = &step["block"];
    serde_json::to_vec(&json!({
        "trusted": { "signed_header": tc["initial"]["signed_header"], "next_validator_set": tc["initial"]["next_validator_set"] },
        "untrusted": { "signed_header": b["signed_header"], "validator_set": b["validator_set"], "next_validator_set": b["next_validator_set"] },
        "trusting_period_ns": tc["initial"]["trusting_period"],
        "now": step["now"],
    }))
    .unwrap()
}

#[test]
fn light_client_updates() {
    let tmp = tempfile::tempdir().unwrap();
    let ok = tmp.path().join("ok.json");
    std::fs::write(&ok, light_client_update("SUCCESS")).unwrap();
    let o = bulwark(tmp.path(), &["verify", "light-client", ok.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).starts_with("valid: the header at height"));
    let o = with_stdin(&["verify", "light-client", "-", "--format", "json"], &light_client_update("NOT_ENOUGH_TRUST"));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(serde_json::from_str::<Value>(&stdout(&o)).unwrap()["verdict"], "not_enough_trust");
}

//! `bulwark verify safe-tx | vaa | merkle`: exit codes 0 (valid), 1 (invalid), 2
//! (malformed), from files and from stdin, in text and JSON.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use crate::{bulwark, repo, stderr, stdout};

fn verify_fixture(path: &str) -> String {
    std::fs::read_to_string(repo().join("crates/verify/tests/fixtures").join(path)).unwrap()
}

/// Runs `bulwark verify <what> <file>` on a document written to a temporary file.
fn run_file(what: &str, doc: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.json");
    std::fs::write(&path, doc).unwrap();
    let mut args = vec!["verify", what, path.to_str().unwrap()];
    args.extend_from_slice(extra);
    bulwark(dir.path(), &args)
}

/// Runs `bulwark verify <what> -` with `doc` on stdin.
fn run_stdin(what: &str, doc: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulwark"))
        .args(["verify", what, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(doc.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// A 2-of-5 Safe 1.3.0 document from the eth-account fixture, with the given owners signing.
fn safe_doc(signers: &[usize]) -> Value {
    let f: Value = serde_json::from_str(&verify_fixture("safe/safe_tx.json")).unwrap();
    let case = f["cases"].as_array().unwrap().iter().find(|c| c["version"] == "1.3.0").unwrap();
    let mut sigs: Vec<(String, String)> = signers
        .iter()
        .map(|&i| {
            let s = &case["signatures"][i];
            (s["owner"].as_str().unwrap().to_lowercase(), s["signature"].as_str().unwrap()[2..].to_string())
        })
        .collect();
    sigs.sort();
    let blob: String = sigs.into_iter().map(|(_, s)| s).collect();
    json!({
        "safe": case["safe"], "chain_id": case["chain_id"], "version": "1.3.0",
        "owners": f["owners"], "threshold": 2, "tx": case["tx"],
        "signatures": format!("0x{blob}"), "safe_tx_hash": case["safe_tx_hash"],
    })
}

#[test]
fn safe_tx_valid_invalid_malformed() {
    let out = run_file("safe-tx", &safe_doc(&[0, 3]).to_string(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).starts_with("valid: 2 of 5 owners approved"), "{}", stdout(&out));

    // One signer twice: GS026.
    let mut doc = safe_doc(&[0, 3]);
    let sig = doc["signatures"].as_str().unwrap()[2..132].to_string();
    doc["signatures"] = json!(format!("0x{sig}{sig}"));
    let out = run_file("safe-tx", &doc.to_string(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["code"], "GS026");

    // Not JSON, and a threshold of 0.
    assert_eq!(run_file("safe-tx", "{not json", &[]).status.code(), Some(2));
    let mut doc = safe_doc(&[0, 3]);
    doc["threshold"] = json!(0);
    let out = run_file("safe-tx", &doc.to_string(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("GS001"), "{}", stderr(&out));

    // stdin.
    assert_eq!(run_stdin("safe-tx", &safe_doc(&[1, 2]).to_string()).status.code(), Some(0));
    assert_eq!(run_stdin("safe-tx", "").status.code(), Some(2));
}

/// The mainnet VAA `gs1` (guardian set upgrade 0 -> 1), checked against genesis set 0.
fn vaa_doc(mutate: impl Fn(&mut Vec<u8>)) -> String {
    let csv = verify_fixture("wormhole/mainnet_guardian_set_upgrades.csv");
    let hex = csv.lines().next().unwrap().split(',').nth(1).unwrap();
    let mut bytes: Vec<u8> =
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    mutate(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    json!({
        "vaa": format!("0x{hex}"),
        "guardian_sets": [{ "index": 0, "keys": ["0x58CC3AE5C097b213cE3c81979e1B9f9570746AA5"] }],
        "now": 1_700_000_000u64,
    })
    .to_string()
}

#[test]
fn vaa_valid_invalid_malformed() {
    let out = run_file("vaa", &vaa_doc(|_| {}), &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("1 guardians of set 0 signed"), "{}", stdout(&out));
    // A flipped payload byte: the signature recovers someone else.
    let out = run_file("vaa", &vaa_doc(|b| *b.last_mut().unwrap() ^= 1), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(v["reason"].as_str().unwrap().contains("recovers"), "{v}");
    // Truncated inside the body: malformed.
    let out = run_file("vaa", &vaa_doc(|b| b.truncate(80)), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("inside"), "{}", stderr(&out));
    // stdin.
    assert_eq!(run_stdin("vaa", &vaa_doc(|_| {})).status.code(), Some(0));
}

#[test]
fn merkle_valid_invalid_malformed() {
    // RFC 6962 tree of the first two certificate-transparency test leaves ("" and 0x00):
    // root and the leaf hash of 0x00 from transparency-dev/merkle testonly/constants.go.
    let doc = |root: &str| {
        json!({
            "scheme": "rfc6962", "root": root, "leaf": "0x", "index": 0, "size": 2,
            "proof": ["0x96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"],
        })
        .to_string()
    };
    let good = doc("0xfac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
    let bad = doc("0xfac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c126");
    let out = run_file("merkle", &good, &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let out = run_file("merkle", &bad, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("invalid: proof leads to root"), "{}", stdout(&out));
    assert_eq!(run_file("merkle", r#"{"scheme": "sha3-tree"}"#, &[]).status.code(), Some(2));
    assert_eq!(run_stdin("merkle", &good).status.code(), Some(0));
    assert_eq!(run_stdin("merkle", &bad).status.code(), Some(1));
}

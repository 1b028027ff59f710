//! Tendermint light client against tendermint-rs's model-based single-step vectors
//! (`tests/fixtures/tendermint/single_step/`, Apache-2.0, provenance in its README).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{Value, json};

use bulwark_verify::tendermint::{self, Rule, Verdict};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tendermint/single_step")
}

fn vector_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

/// One step of a vector in the input form of `bulwark_verify::tendermint`.
fn update(trusted: &Value, trusting_period: &Value, input: &Value) -> Value {
    let b = &input["block"];
    json!({
        "trusted": trusted,
        "untrusted": {
            "signed_header": b["signed_header"],
            "validator_set": b["validator_set"],
            "next_validator_set": b["next_validator_set"],
        },
        "trusting_period_ns": trusting_period,
        "clock_drift_ns": "0",
        "now": input["now"],
    })
}

/// Every step of every vector gets the model's verdict; the trusted block advances on
/// success, as tendermint-rs's `single_step_test` does. Fails if a file was not read.
#[test]
fn single_step_vectors_give_the_model_verdicts() {
    let mut read = BTreeSet::new();
    let mut counts = [0usize; 3];
    for path in vector_files() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let tc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let mut trusted = json!({
            "signed_header": tc["initial"]["signed_header"],
            "next_validator_set": tc["initial"]["next_validator_set"],
        });
        let period = &tc["initial"]["trusting_period"];
        for (i, input) in tc["input"].as_array().unwrap().iter().enumerate() {
            let bytes = serde_json::to_vec(&update(&trusted, period, input)).unwrap();
            let verdict = tendermint::verify_json(&bytes).unwrap_or_else(|e| panic!("{name} step {i}: {e}"));
            let want = input["verdict"].as_str().unwrap();
            match (&verdict, want) {
                (Verdict::Valid { .. }, "SUCCESS") => {
                    counts[0] += 1;
                    let b = &input["block"];
                    trusted =
                        json!({ "signed_header": b["signed_header"], "next_validator_set": b["next_validator_set"] });
                }
                (Verdict::NotEnoughTrust { tallied, total }, "NOT_ENOUGH_TRUST") => {
                    counts[1] += 1;
                    // Not more than 1/3 of the trusted next set signed.
                    assert!(3 * u128::from(*tallied) <= u128::from(*total), "{name} step {i}");
                }
                (Verdict::Invalid { .. }, "INVALID") => counts[2] += 1,
                (got, _) => panic!("{name} step {i}: got {got:?}, want {want}"),
            }
        }
        read.insert(name);
    }
    let on_disk: BTreeSet<String> =
        vector_files().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(read, on_disk, "every vector file was read");
    assert_eq!(read.len(), 25, "the vector set changed: update this count and the README");
    // Each verdict occurs (numbers counted from the files themselves).
    assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
    eprintln!(
        "light-client vector steps: {} success, {} not enough trust, {} invalid",
        counts[0], counts[1], counts[2]
    );
}

/// The first successful step of a vector, as update JSON.
fn a_success() -> Value {
    let tc: Value =
        serde_json::from_slice(&std::fs::read(dir().join("MC4_4_faulty_TestSuccess.json")).unwrap()).unwrap();
    let trusted = json!({
        "signed_header": tc["initial"]["signed_header"],
        "next_validator_set": tc["initial"]["next_validator_set"],
    });
    let input = tc["input"].as_array().unwrap().iter().find(|s| s["verdict"] == "SUCCESS").unwrap();
    update(&trusted, &tc["initial"]["trusting_period"], input)
}

#[test]
fn a_trusted_header_past_the_trusting_period_is_invalid() {
    let mut u = a_success();
    assert!(matches!(tendermint::verify_json(&serde_json::to_vec(&u).unwrap()).unwrap(), Verdict::Valid { .. }));
    u["now"] = json!("1971-01-01T00:00:00Z");
    let v = tendermint::verify_json(&serde_json::to_vec(&u).unwrap()).unwrap();
    assert!(matches!(v, Verdict::Invalid { rule: Rule::NotWithinTrustPeriod, .. }), "{v:?}");
}

#[test]
fn malformed_input_names_the_field() {
    let mut u = a_success();
    u["trusting_period_ns"] = json!(5);
    let e = tendermint::verify_json(&serde_json::to_vec(&u).unwrap()).unwrap_err();
    assert_eq!(e.to_string(), "`trusting_period_ns`: expected a decimal string");
    let mut u = a_success();
    u["untrusted"]["signed_header"]["header"]["height"] = json!("x");
    let e = tendermint::verify_json(&serde_json::to_vec(&u).unwrap()).unwrap_err();
    assert!(e.to_string().starts_with("`untrusted.signed_header`:"), "{e}");
}

const HEADER_FIELDS: [&str; 8] = [
    "app_hash",
    "data_hash",
    "validators_hash",
    "next_validators_hash",
    "consensus_hash",
    "last_results_hash",
    "evidence_hash",
    "proposer_address",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Build (a vector's successful step), verify, tamper with any header field or any
    /// byte of any commit signature, reject.
    #[test]
    fn tampering_is_rejected(which in 0usize..9, pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut u = a_success();
        if which < 8 {
            let f = HEADER_FIELDS[which];
            let h = &mut u["untrusted"]["signed_header"]["header"][f];
            let s = h.as_str().unwrap().to_owned();
            // A different hex digit string of the same length (or a new value where empty).
            let t = if s.is_empty() { "AB".repeat(32) } else {
                let i = pos.index(s.len());
                let c = s.as_bytes()[i];
                let r = if c == b'0' { '1' } else { '0' };
                format!("{}{}{}", &s[..i], r, &s[i + 1..])
            };
            *h = json!(t);
        } else {
            let sigs = u["untrusted"]["signed_header"]["commit"]["signatures"].as_array_mut().unwrap();
            let k = pos.index(sigs.len());
            let b64 = sigs[k]["signature"].as_str().unwrap().to_owned();
            let mut raw = b64_decode(&b64);
            let i = pos.index(raw.len());
            raw[i] ^= 1 << bit;
            sigs[k]["signature"] = json!(b64_encode(&raw));
        }
        let got = tendermint::verify_json(&serde_json::to_vec(&u).unwrap());
        prop_assert!(!matches!(got, Ok(Verdict::Valid { .. })), "tampered update accepted");
    }

    /// Arbitrary bytes: an error or a verdict, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = tendermint::verify_json(&bytes);
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=') {
        acc = (acc << 6) | B64.iter().position(|&x| x == c).unwrap() as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn b64_encode(b: &[u8]) -> String {
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |a, (i, &x)| a | (u32::from(x) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        for _ in chunk.len()..3 {
            out.push('=');
        }
    }
    out
}

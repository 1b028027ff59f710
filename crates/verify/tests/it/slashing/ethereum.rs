//! Ethereum attester and proposer slashings against the fixtures of
//! `tests/fixtures/slashing/ethereum/generate.py` (py_ecc 8.0.0 and remerkleable 0.1.24).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use blst::min_pk::{AggregateSignature, SecretKey};
use proptest::prelude::*;
use serde_json::Value;

use bulwark_verify::slashing::EvidenceError;
use bulwark_verify::slashing::ethereum::{self, Offence, OffenceKind, Rejection, Verdict};

/// Signing roots, signatures and signer indices of the two halves of a case.
type Signed = ([[u8; 32]; 2], [[u8; 96]; 2], [Vec<u64>; 2]);

const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/slashing/ethereum")
}

fn manifest() -> Value {
    serde_json::from_slice(&std::fs::read(dir().join("manifest.json")).unwrap()).unwrap()
}

fn hex_of(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap().trim_start_matches("0x")).unwrap()
}

fn reason(r: &Rejection) -> (&'static str, Option<&'static str>) {
    match r {
        Rejection::NotSlashableData => ("not_slashable_data", None),
        Rejection::EmptyIndices { which } => ("empty_indices", Some(which)),
        Rejection::IndicesNotSortedUnique { which, .. } => ("indices_not_sorted_unique", Some(which)),
        Rejection::BadSignature { which } => ("bad_signature", Some(which)),
        Rejection::NoSlashableValidator => ("no_slashable_validator", None),
        Rejection::DifferentSlots { .. } => ("different_slots", None),
        Rejection::DifferentProposers { .. } => ("different_proposers", None),
        Rejection::SameHeader => ("same_header", None),
        Rejection::ProposerNotSlashable { .. } => ("proposer_not_slashable", None),
        other => panic!("unexpected rejection {other:?}"),
    }
}

/// Every evidence file gets the verdict and the slashed set that the spec's rules, run by
/// the generator on py_ecc, gave; every file in the folder is read.
#[test]
fn fixtures_match_the_reference_verdicts() {
    let m = manifest();
    let cases = m["cases"].as_object().unwrap();
    let mut read = BTreeSet::new();
    for (name, case) in cases {
        let bytes = std::fs::read(dir().join(format!("{name}.json"))).unwrap();
        read.insert(format!("{name}.json"));
        let verdict = ethereum::verify_json(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = &case["expected"];
        match (&verdict, want["verdict"].as_str().unwrap()) {
            (Verdict::Slashable(s), "slashable") => {
                assert_eq!(s.offence.name(), want["offence"].as_str().unwrap(), "{name}");
                let got: Vec<(u64, u64)> = s.slashed.iter().map(|v| (v.index, v.effective_balance_gwei)).collect();
                let expected: Vec<(u64, u64)> = want["slashed"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| (v["index"].as_u64().unwrap(), v["effective_balance_gwei"].as_u64().unwrap()))
                    .collect();
                assert_eq!(got, expected, "{name}");
            }
            (Verdict::Rejected(r), "rejected") => {
                let (why, which) = reason(r);
                assert_eq!(why, want["reason"].as_str().unwrap(), "{name}");
                assert_eq!(which, want["which"].as_str(), "{name}");
            }
            (got, _) => panic!("{name}: got {got:?}, want {want}"),
        }
    }
    // Both orders of the directional rule are covered.
    assert_eq!(cases["surround_vote"]["expected"]["verdict"], "slashable");
    assert_eq!(cases["surround_vote_reversed"]["expected"]["verdict"], "rejected");
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json") && n != "manifest.json")
        .collect();
    assert_eq!(read, on_disk, "every evidence file is a manifest case, and every case was read");
    assert!(read.len() >= 20, "only {} cases read", read.len());
}

/// Keys, domains, signing roots and signatures agree byte for byte with py_ecc and
/// remerkleable.
#[test]
fn keys_roots_and_signatures_match_py_ecc_byte_for_byte() {
    let m = manifest();
    let mut sks = Vec::new();
    for k in m["keys"].as_array().unwrap() {
        let sk_hex = k["secret_key"].as_str().unwrap().trim_start_matches("0x");
        let sk_bytes: [u8; 32] = {
            let mut b = [0u8; 32];
            let raw = hex::decode(format!("{sk_hex:0>64}")).unwrap();
            b.copy_from_slice(&raw);
            b
        };
        let sk = SecretKey::from_bytes(&sk_bytes).unwrap();
        assert_eq!(sk.sk_to_pk().compress().to_vec(), hex_of(&k["pubkey"]), "public key {}", k["index"]);
        sks.push(sk);
    }
    let mut signatures_checked = 0;
    for (name, case) in m["cases"].as_object().unwrap() {
        let ev = ethereum::parse(&std::fs::read(dir().join(format!("{name}.json"))).unwrap()).unwrap();
        let rec = case["bytes"].as_array().unwrap();
        let (roots, sigs, signers): Signed = match &ev.offence {
            Offence::Attester { attestation_1: a1, attestation_2: a2 } => (
                [ev.context.attestation_signing_root(&a1.data), ev.context.attestation_signing_root(&a2.data)],
                [a1.signature, a2.signature],
                [a1.attesting_indices.clone(), a2.attesting_indices.clone()],
            ),
            Offence::Proposer { signed_header_1: h1, signed_header_2: h2 } => (
                [ev.context.header_signing_root(&h1.message), ev.context.header_signing_root(&h2.message)],
                [h1.signature, h2.signature],
                [vec![h1.message.proposer_index], vec![h2.message.proposer_index]],
            ),
            other => panic!("{other:?}"),
        };
        for i in 0..2 {
            assert_eq!(hex_of(&rec[i]["signature"]), sigs[i].to_vec(), "{name}: signature {i} parsed");
            let want_root = hex_of(&rec[i]["signing_root"]);
            // Wrong-domain cases were signed under another fork version on purpose.
            if name.contains("wrong_fork_version") && i == 1 {
                assert_ne!(roots[i].to_vec(), want_root, "{name}");
                continue;
            }
            assert_eq!(roots[i].to_vec(), want_root, "{name}: signing root {i}");
            if name.contains("missing_signer") || name.contains("wrong_key") {
                continue;
            }
            // BLS signing is deterministic: blst must produce py_ecc's bytes.
            let parts: Vec<_> = signers[i].iter().map(|&j| sks[j as usize].sign(&roots[i], DST, &[])).collect();
            let refs: Vec<_> = parts.iter().collect();
            let agg = AggregateSignature::aggregate(&refs, true).unwrap().to_signature();
            assert_eq!(agg.compress(), sigs[i], "{name}: signature {i}");
            signatures_checked += 1;
        }
    }
    assert!(signatures_checked >= 30, "{signatures_checked}");
}

/// `is_slashable_attestation_data` is directional for surrounds, symmetric for double votes.
#[test]
fn surround_rule_is_directional() {
    use bulwark_verify::slashing::ethereum::{AttestationData, Checkpoint, is_slashable_attestation_data};
    let d = |s: u64, t: u64| AttestationData {
        slot: 0,
        index: 0,
        beacon_block_root: [0; 32],
        source: Checkpoint { epoch: s, root: [0; 32] },
        target: Checkpoint { epoch: t, root: [0; 32] },
    };
    assert!(is_slashable_attestation_data(&d(1, 10), &d(2, 9)));
    assert!(!is_slashable_attestation_data(&d(2, 9), &d(1, 10)));
    // Same target, different source: double vote, both ways.
    assert!(is_slashable_attestation_data(&d(1, 10), &d(2, 10)));
    assert!(is_slashable_attestation_data(&d(2, 10), &d(1, 10)));
    // Sharing an end is no surround.
    assert!(!is_slashable_attestation_data(&d(1, 10), &d(1, 9)));
    assert!(!is_slashable_attestation_data(&d(1, 10), &d(2, 11)));
}

#[test]
fn a_validator_missing_from_the_context_is_malformed_input() {
    let mut v: Value = serde_json::from_slice(&std::fs::read(dir().join("double_vote.json")).unwrap()).unwrap();
    v["validators"].as_array_mut().unwrap().retain(|x| x["index"] != "5");
    let err = ethereum::verify_json(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(matches!(err, EvidenceError::UnknownValidator { index: 5, .. }), "{err}");
}

#[test]
fn malformed_fields_are_named() {
    let mut v: Value = serde_json::from_slice(&std::fs::read(dir().join("double_vote.json")).unwrap()).unwrap();
    v["attester_slashing"]["attestation_2"]["data"]["target"]["epoch"] = Value::from(12);
    let err = ethereum::verify_json(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`attester_slashing.attestation_2.data.target.epoch`: expected a decimal string, e.g. \"12\""
    );
    v["attester_slashing"]["attestation_2"]["data"]["target"]["epoch"] = Value::from("12");
    v["attester_slashing"]["attestation_2"]["signature"] = Value::from("0x1234");
    let err = ethereum::verify_json(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("`attester_slashing.attestation_2.signature`: expected 0x-prefixed hex of 96 bytes")
    );
}

fn valid_cases() -> Vec<(String, Vec<u8>)> {
    ["double_vote", "surround_vote", "double_proposal"]
        .iter()
        .map(|n| (n.to_string(), std::fs::read(dir().join(format!("{n}.json"))).unwrap()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Build (the fixture), verify (slashable), tamper with any byte of any signed field
    /// or signature, reject.
    #[test]
    fn tampering_with_any_signed_byte_is_rejected(case in 0usize..3, field in 0usize..6, byte in 0usize..96, bit in 0u8..8) {
        let (name, bytes) = &valid_cases()[case];
        let mut ev = ethereum::parse(bytes).unwrap();
        prop_assert!(matches!(ethereum::verify(&ev).unwrap(), Verdict::Slashable(_)));
        let flip = |b: &mut [u8]| { let i = byte % b.len(); b[i] ^= 1 << bit; };
        match &mut ev.offence {
            Offence::Attester { attestation_1: a1, attestation_2: a2 } => match field {
                0 => flip(&mut a1.signature),
                1 => flip(&mut a2.signature),
                2 => flip(&mut a1.data.beacon_block_root),
                3 => flip(&mut a2.data.source.root),
                4 => flip(&mut ev.context.genesis_validators_root),
                _ => { let v = ev.context.validators.get_mut(&a1.attesting_indices[0]).unwrap(); flip(&mut v.pubkey) }
            },
            Offence::Proposer { signed_header_1: h1, signed_header_2: h2 } => match field {
                0 => flip(&mut h1.signature),
                1 => flip(&mut h2.signature),
                2 => flip(&mut h1.message.body_root),
                3 => flip(&mut h2.message.state_root),
                4 => flip(&mut ev.context.fork.current_version),
                _ => { let v = ev.context.validators.get_mut(&h1.message.proposer_index).unwrap(); flip(&mut v.pubkey) }
            },
            other => panic!("{other:?}"),
        }
        if let Ok(Verdict::Slashable(s)) = ethereum::verify(&ev) {
            prop_assert!(false, "{name}: tampered evidence accepted: {s:?}");
        }
    }

    /// Any byte of the file changed: no panic, and if the evidence still proves an
    /// offence it parses to the same evidence (the change was formatting only).
    #[test]
    fn tampering_with_any_file_byte_never_forges(case in 0usize..3, pos in any::<prop::sample::Index>(), val in any::<u8>()) {
        let (_, bytes) = &valid_cases()[case];
        let original = ethereum::parse(bytes).unwrap();
        let mut t = bytes.clone();
        let i = pos.index(t.len());
        t[i] = val;
        if let Ok(Verdict::Slashable(_)) = ethereum::verify_json(&t) {
            let parsed = ethereum::parse(&t).unwrap();
            prop_assert_eq!(parsed.offence, original.offence);
        }
    }
}

#[test]
fn offence_names_are_stable() {
    assert_eq!(OffenceKind::DoubleVote.name(), "double_vote");
    assert_eq!(OffenceKind::SurroundVote.name(), "surround_vote");
    assert_eq!(OffenceKind::DoubleProposal.name(), "double_proposal");
}

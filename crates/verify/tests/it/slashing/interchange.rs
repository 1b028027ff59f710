//! EIP-3076 interchange: cases written from the EIP's text (ethereum/EIPs
//! `EIPS/eip-3076.md`, "Conditions"), re-derived rather than copied.

use proptest::prelude::*;
use serde_json::json;

use bulwark_verify::DocumentError;
use bulwark_verify::slashing::EvidenceError;
use bulwark_verify::slashing::interchange::{Allowed, ImportError, Interchange, Refusal, SlashingProtection};

const GVR: [u8; 32] = [0x04; 32];
const PK: [u8; 48] = [0xa1; 48];
const OTHER: [u8; 48] = [0xb2; 48];

fn root(b: u8) -> Option<[u8; 32]> {
    Some([b; 32])
}

fn hex32(b: u8) -> String {
    format!("0x{}", hex::encode([b; 32]))
}

fn file(blocks: serde_json::Value, atts: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "metadata": { "interchange_format_version": "5", "genesis_validators_root": format!("0x{}", hex::encode(GVR)) },
        "data": [{ "pubkey": format!("0x{}", hex::encode(PK)), "signed_blocks": blocks, "signed_attestations": atts }]
    }))
    .unwrap()
}

fn imported(blocks: serde_json::Value, atts: serde_json::Value) -> SlashingProtection {
    let mut db = SlashingProtection::new(GVR);
    db.import(&Interchange::parse(&file(blocks, atts)).unwrap()).unwrap();
    db
}

#[test]
fn condition_1_refuses_a_second_block_at_a_slot() {
    let db = imported(json!([{ "slot": "100", "signing_root": hex32(1) }, { "slot": "90" }]), json!([]));
    assert_eq!(db.check_block(&PK, 100, root(2)), Err(Refusal::DoubleBlockProposal { slot: 100 }));
    assert_eq!(db.check_block(&PK, 100, root(1)), Ok(Allowed::Repeat));
    // Without a signing root, any block at that slot is slashable, even an equal one.
    assert_eq!(db.check_block(&PK, 90, root(1)), Err(Refusal::DoubleBlockProposal { slot: 90 }));
    // A zero root cannot identify a repeat.
    let db = imported(json!([{ "slot": "100", "signing_root": hex32(0) }]), json!([]));
    assert_eq!(db.check_block(&PK, 100, root(0)), Err(Refusal::DoubleBlockProposal { slot: 100 }));
}

#[test]
fn condition_2_refuses_slots_at_or_below_the_minimum() {
    let db = imported(
        json!([{ "slot": "100", "signing_root": hex32(1) }, { "slot": "200", "signing_root": hex32(2) }]),
        json!([]),
    );
    assert_eq!(db.check_block(&PK, 99, root(3)), Err(Refusal::SlotNotAboveMinimum { slot: 99, min_slot: 100 }));
    assert_eq!(db.check_block(&PK, 150, root(3)), Ok(Allowed::Fresh));
    assert_eq!(db.check_block(&PK, 201, root(3)), Ok(Allowed::Fresh));
    // Another key is unaffected.
    assert_eq!(db.check_block(&OTHER, 1, root(3)), Ok(Allowed::Fresh));
}

#[test]
fn condition_3_refuses_double_and_surround_votes_both_ways() {
    let db = imported(json!([]), json!([{ "source_epoch": "10", "target_epoch": "20", "signing_root": hex32(7) }]));
    assert_eq!(db.check_attestation(&PK, 10, 20, root(7)), Ok(Allowed::Repeat));
    assert_eq!(db.check_attestation(&PK, 11, 20, root(8)), Err(Refusal::DoubleVote { target_epoch: 20 }));
    assert_eq!(db.check_attestation(&PK, 10, 20, None), Err(Refusal::DoubleVote { target_epoch: 20 }));
    assert_eq!(
        db.check_attestation(&PK, 11, 19, root(8)),
        Err(Refusal::SurroundedByRecorded { source_epoch: 11, target_epoch: 19, prev_source: 10, prev_target: 20 })
    );
    let db = imported(
        json!([]),
        json!([{ "source_epoch": "10", "target_epoch": "20" }, { "source_epoch": "5", "target_epoch": "8" }]),
    );
    assert_eq!(
        db.check_attestation(&PK, 9, 21, root(8)),
        Err(Refusal::SurroundsRecorded { source_epoch: 9, target_epoch: 21, prev_source: 10, prev_target: 20 })
    );
    assert_eq!(db.check_attestation(&PK, 10, 21, root(8)), Ok(Allowed::Fresh));
    assert_eq!(db.check_attestation(&PK, 20, 21, root(8)), Ok(Allowed::Fresh));
}

#[test]
fn conditions_4_and_5_refuse_below_the_minimum_source_and_target() {
    let db = imported(
        json!([]),
        json!([{ "source_epoch": "10", "target_epoch": "20", "signing_root": hex32(7) }, { "source_epoch": "30", "target_epoch": "31" }]),
    );
    assert_eq!(
        db.check_attestation(&PK, 9, 32, root(8)).unwrap_err(),
        Refusal::SurroundsRecorded { source_epoch: 9, target_epoch: 32, prev_source: 10, prev_target: 20 }
    );
    // With only a far-later record, condition 4 alone decides.
    let db = imported(json!([]), json!([{ "source_epoch": "10", "target_epoch": "11" }]));
    assert_eq!(
        db.check_attestation(&PK, 9, 12, root(8)),
        Err(Refusal::SurroundsRecorded { source_epoch: 9, target_epoch: 12, prev_source: 10, prev_target: 11 })
    );
    let db = imported(
        json!([]),
        json!([{ "source_epoch": "10", "target_epoch": "11" }, { "source_epoch": "12", "target_epoch": "13" }]),
    );
    assert_eq!(
        db.check_attestation(&PK, 9, 10, root(8)),
        Err(Refusal::SourceBelowMinimum { source_epoch: 9, min_source: 10 })
    );
    assert_eq!(
        db.check_attestation(&PK, 10, 10, root(8)),
        Err(Refusal::TargetNotAboveMinimum { target_epoch: 10, min_target: 11 })
    );
    assert_eq!(db.check_attestation(&PK, 11, 12, root(8)), Ok(Allowed::Fresh));
    assert_eq!(
        db.check_attestation(&PK, 3, 2, root(8)),
        Err(Refusal::SourceAfterTarget { source_epoch: 3, target_epoch: 2 })
    );
}

#[test]
fn import_checks_version_chain_and_encoding() {
    let good = file(json!([{ "slot": "1" }]), json!([]));
    let mut v: serde_json::Value = serde_json::from_slice(&good).unwrap();
    v["metadata"]["interchange_format_version"] = json!("4");
    let err = Interchange::parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "`metadata.interchange_format_version`: version `4` is not supported: expected \"5\"");
    let mut v: serde_json::Value = serde_json::from_slice(&good).unwrap();
    v["data"][0]["signed_blocks"][0]["slot"] = json!(1);
    let err = Interchange::parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(
        matches!(err, EvidenceError::Document(DocumentError::Field { ref path, .. }) if path == "data[0].signed_blocks[0].slot"),
        "{err}"
    );
    let mut db = SlashingProtection::new([9; 32]);
    let err = db.import(&Interchange::parse(&good).unwrap()).unwrap_err();
    assert!(matches!(err, ImportError::GenesisValidatorsRootMismatch { .. }));
    assert_eq!(db.pubkeys().count(), 0, "nothing imported from another chain");
}

#[test]
fn export_then_import_reproduces_the_record() {
    let mut db = imported(
        json!([{ "slot": "100", "signing_root": hex32(1) }]),
        json!([{ "source_epoch": "1", "target_epoch": "2" }]),
    );
    db.sign_block(&OTHER, 5, root(3)).unwrap();
    db.sign_attestation(&PK, 2, 3, root(4)).unwrap();
    let out = serde_json::to_vec(&db.export().to_json()).unwrap();
    let mut again = SlashingProtection::new(GVR);
    again.import(&Interchange::parse(&out).unwrap()).unwrap();
    assert_eq!(again.export(), db.export());
    // Importing the same file twice changes nothing.
    again.import(&Interchange::parse(&out).unwrap()).unwrap();
    assert_eq!(again.export(), db.export());
}

#[test]
fn files_with_slashable_records_are_reported() {
    let db = imported(
        json!([{ "slot": "5", "signing_root": hex32(1) }, { "slot": "5", "signing_root": hex32(2) }]),
        json!([{ "source_epoch": "1", "target_epoch": "10" }, { "source_epoch": "2", "target_epoch": "9" }]),
    );
    assert_eq!(db.slashable_pairs().len(), 2);
}

#[derive(Debug, Clone)]
enum Req {
    Block(u64, u8),
    Att(u64, u64, u8),
}

fn req() -> impl Strategy<Value = Req> {
    prop_oneof![
        (0u64..40, 0u8..3).prop_map(|(s, r)| Req::Block(s, r)),
        (0u64..20, 0u64..20, 0u8..3).prop_map(|(s, d, r)| Req::Att(s, s + d, r)),
    ]
}

proptest! {
    /// Whatever a signer is asked, signing only what the conditions allow never leaves two
    /// slashable signings in the record.
    #[test]
    fn allowed_signings_are_never_slashable(reqs in proptest::collection::vec(req(), 0..60)) {
        let mut db = SlashingProtection::new(GVR);
        for r in reqs {
            let _ = match r {
                Req::Block(slot, b) => db.sign_block(&PK, slot, root(b)),
                Req::Att(s, t, b) => db.sign_attestation(&PK, s, t, root(b)),
            };
        }
        prop_assert!(db.slashable_pairs().is_empty(), "{:?}", db.slashable_pairs());
        // And the record survives an export and an import.
        let out = serde_json::to_vec(&db.export().to_json()).unwrap();
        let mut again = SlashingProtection::new(GVR);
        again.import(&Interchange::parse(&out).unwrap()).unwrap();
        prop_assert_eq!(again.export(), db.export());
    }

    /// A byte changed anywhere in a valid file: no panic; a file that still parses and
    /// imports either equals the original or differs where the byte was.
    #[test]
    fn tampered_files_never_panic(pos in any::<prop::sample::Index>(), val in any::<u8>()) {
        let mut f = file(json!([{ "slot": "100", "signing_root": hex32(1) }]), json!([{ "source_epoch": "1", "target_epoch": "2" }]));
        let i = pos.index(f.len());
        f[i] = val;
        if let Ok(parsed) = Interchange::parse(&f) {
            let mut db = SlashingProtection::new(GVR);
            let _ = db.import(&parsed);
        }
    }
}

/// The O(n²) definition: some two recorded signings are slashable against each other.
fn brute_force_slashable(blocks: &[(u64, u8)], atts: &[(u64, u64, u8)]) -> bool {
    let root_differs = |a: u8, b: u8| a == 0 || b == 0 || a != b;
    let blocks_clash =
        blocks.iter().enumerate().any(|(i, a)| blocks[i + 1..].iter().any(|b| a.0 == b.0 && root_differs(a.1, b.1)));
    let atts_clash = atts.iter().enumerate().any(|(i, a)| {
        atts[i + 1..].iter().any(|b| {
            (a.1 == b.1 && (root_differs(a.2, b.2) || a.0 != b.0))
                || (a.0 < b.0 && b.1 < a.1)
                || (b.0 < a.0 && a.1 < b.1)
        })
    });
    blocks_clash || atts_clash
}

proptest! {
    /// The O(n log n) report finds slashable records exactly when the pairwise definition does.
    #[test]
    fn slashable_pairs_agree_with_the_pairwise_definition(
        blocks in proptest::collection::vec((0u64..8, 0u8..3), 0..8),
        atts in proptest::collection::vec((0u64..8, 0u64..8, 0u8..3), 0..10),
    ) {
        let atts: Vec<(u64, u64, u8)> = atts.into_iter().map(|(s, d, r)| (s, s + d, r)).collect();
        let mut dedup_b = blocks.clone();
        dedup_b.sort();
        dedup_b.dedup();
        let mut dedup_a = atts.clone();
        dedup_a.sort();
        dedup_a.dedup();
        let db = imported(
            serde_json::Value::Array(blocks.iter().map(|(s, r)| json!({ "slot": s.to_string(), "signing_root": hex32(*r) })).collect()),
            serde_json::Value::Array(atts.iter().map(|(s, t, r)| json!({ "source_epoch": s.to_string(), "target_epoch": t.to_string(), "signing_root": hex32(*r) })).collect()),
        );
        prop_assert_eq!(!db.slashable_pairs().is_empty(), brute_force_slashable(&dedup_b, &dedup_a));
    }
}

/// A large history is checked in well under a second, not in quadratic time.
#[test]
fn large_histories_are_no_hang() {
    let atts: Vec<serde_json::Value> = (0..100_000u64)
        .map(|e| json!({ "source_epoch": e.to_string(), "target_epoch": (e + 1).to_string() }))
        .collect();
    let start = std::time::Instant::now();
    let db = imported(json!([]), serde_json::Value::Array(atts));
    assert!(db.slashable_pairs().is_empty());
    assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
}
